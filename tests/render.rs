//! `secretmask render` end to end: all or nothing, atomic targets, byte-exact passthrough,
//! and no value in any message.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::support::{root, secretmask};

const CANARY: &str = "CANARY-0c7e1d-NEVER-PRINTED";

fn store(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("secrets.yaml");
    fs::write(
        &path,
        format!("kv/app:\n  password: {CANARY}\n  user: app\n  colon: 'a: b {CANARY}'\n"),
    )
    .unwrap();
    path
}

fn assert_no_canary(output: &std::process::Output) {
    for stream in [&output.stdout, &output.stderr] {
        assert!(
            !String::from_utf8_lossy(stream).contains(CANARY),
            "canary leaked"
        );
    }
}

#[test]
fn quickstart_renders_with_nothing_installed() {
    let output = secretmask()
        .current_dir(root())
        .args([
            "render",
            "examples/app.yaml.tpl",
            "--config",
            "examples/secretmask.yaml",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let yaml = String::from_utf8(output.stdout).unwrap();
    assert!(yaml.contains("user: jira-bot\n"));
    assert!(!yaml.contains("workato:"));
    for example in ["app.json.tpl", "app.env.tpl"] {
        secretmask()
            .current_dir(root().join("examples"))
            .args(["render", example, "--config", "secretmask.yaml"])
            .assert()
            .success();
    }
}

#[test]
fn failed_render_leaves_target_untouched_and_prints_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = store(dir.path());
    let target = dir.path().join("app.yaml");
    fs::write(&target, "old: content\n").unwrap();
    for template in [
        "a: \"{{workato:vault:missing:kv/app}}\"\nb: \"{{workato:vault:password:kv/app}}\"\n",
        "a: \"{{workato:vault:password:kv/absent}}\"\nb: \"{{workato:vault:password:kv/app}}\"\n",
        "a: x-{{workato:vault:colon:kv/app}}\nb: \"{{workato:vault:password:kv/app}}\"\n",
    ] {
        let tpl = dir.path().join("app.yaml.tpl");
        fs::write(&tpl, template).unwrap();
        let output = secretmask()
            .arg("render")
            .arg(&tpl)
            .arg("-o")
            .arg(&target)
            .arg("--secrets-file")
            .arg(&secrets)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1));
        assert!(output.stdout.is_empty());
        assert_no_canary(&output);
        assert_eq!(fs::read_to_string(&target).unwrap(), "old: content\n");
        // Only the old target and the inputs: no temporary file left behind.
        let names = crate::support::file_names(dir.path());
        assert_eq!(names, ["app.yaml", "app.yaml.tpl", "secrets.yaml"]);
    }
}

#[test]
fn unwritable_output_directory_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = store(dir.path());
    let templates = dir.path().join("templates");
    fs::create_dir_all(&templates).unwrap();
    fs::write(
        templates.join("a.yaml.tpl"),
        "a: \"{{workato:vault:password:kv/app}}\"\n",
    )
    .unwrap();
    fs::write(
        templates.join("b.yaml.tpl"),
        "b: \"{{workato:vault:user:kv/app}}\"\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    fs::create_dir_all(out.join("b.yaml")).unwrap(); // a directory where a file must go
    fs::write(out.join("a.yaml"), "old\n").unwrap();
    let output = secretmask()
        .arg("render")
        .arg(&templates)
        .arg("--out-dir")
        .arg(&out)
        .arg("--secrets-file")
        .arg(&secrets)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_no_canary(&output);
    assert_eq!(fs::read_to_string(out.join("a.yaml")).unwrap(), "old\n");

    let readonly = dir.path().join("readonly");
    fs::create_dir_all(&readonly).unwrap();
    fs::set_permissions(&readonly, fs::Permissions::from_mode(0o500)).unwrap();
    let output = secretmask()
        .arg("render")
        .arg(templates.join("a.yaml.tpl"))
        .arg("-o")
        .arg(readonly.join("a.yaml"))
        .arg("--secrets-file")
        .arg(&secrets)
        .output()
        .unwrap();
    // root may write anywhere; everyone else gets the I/O error.
    if !output.status.success() {
        assert_eq!(output.status.code(), Some(2));
        assert!(output.stdout.is_empty());
    }
    assert_no_canary(&output);
}

#[test]
fn out_dir_keeps_relative_paths_drops_tpl_and_uses_mode_0600() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = store(dir.path());
    let templates = dir.path().join("templates");
    fs::create_dir_all(templates.join("nested")).unwrap();
    fs::write(
        templates.join("nested/app.yaml.tpl"),
        "p: \"{{workato:vault:password:kv/app}}\"\n",
    )
    .unwrap();
    fs::write(templates.join("plain.txt"), "no masks\n").unwrap();
    let out = dir.path().join("out");
    secretmask()
        .arg("render")
        .arg(&templates)
        .arg("--out-dir")
        .arg(&out)
        .arg("--secrets-file")
        .arg(&secrets)
        .assert()
        .success()
        .stdout("");
    let rendered = out.join("nested/app.yaml");
    assert_eq!(
        fs::read_to_string(&rendered).unwrap(),
        format!("p: \"{CANARY}\"\n")
    );
    assert_eq!(
        fs::metadata(&rendered).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        fs::read_to_string(out.join("plain.txt")).unwrap(),
        "no masks\n"
    );

    secretmask()
        .arg("render")
        .arg(templates.join("nested/app.yaml.tpl"))
        .arg("-o")
        .arg(dir.path().join("custom.yaml"))
        .args(["--mode", "0640", "--secrets-file"])
        .arg(&secrets)
        .assert()
        .success();
    let mode = fs::metadata(dir.path().join("custom.yaml"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o640);
}

#[test]
fn several_inputs_need_out_dir() {
    secretmask()
        .args(["render", "a.tpl", "b.tpl"])
        .assert()
        .code(2)
        .stderr("error: several inputs or a directory need --out-dir DIR\n");
}

#[test]
fn check_prints_a_summary_and_no_value() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = store(dir.path());
    let tpl = dir.path().join("app.yaml.tpl");
    fs::write(
        &tpl,
        "a: \"{{workato:vault:password:kv/app}}\"\nb: \"{{workato:vault:user:kv/app}}\"\n",
    )
    .unwrap();
    let output = secretmask()
        .arg("render")
        .arg(&tpl)
        .arg("--check")
        .arg("--secrets-file")
        .arg(&secrets)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(output.stdout.clone()).unwrap(),
        "ok: 2 masks resolve (1 distinct secret) in 1 file\n"
    );
    assert_no_canary(&output);
}

#[test]
fn stdin_renders_to_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = store(dir.path());
    secretmask()
        .args(["render", "--as", "yaml", "--secrets-file"])
        .arg(&secrets)
        .write_stdin("user: {{workato:vault:user:kv/app}}\r\n")
        .assert()
        .success()
        .stdout("user: app\r\n");
}

/// `cat app.yaml.tpl | secretmask render > app.yaml`: no name and no `--as`, so the content
/// tells the format, and the value is escaped for YAML (or refused) all the same.
#[test]
fn stdin_without_as_is_escaped_for_the_format_its_content_has() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = store(dir.path());
    let render = |template: &str| {
        secretmask()
            .args(["render", "--secrets-file"])
            .arg(&secrets)
            .write_stdin(template.to_owned())
            .output()
            .unwrap()
    };
    let yaml = render("a: \"{{workato:vault:colon:kv/app}}\"\n");
    assert!(yaml.status.success());
    assert_eq!(
        String::from_utf8_lossy(&yaml.stdout),
        format!("a: \"a: b {CANARY}\"\n")
    );
    // A whole plain scalar is quoted in the mask's place; part of one cannot be.
    let plain = render("a: {{workato:vault:colon:kv/app}}\n");
    assert_eq!(
        String::from_utf8_lossy(&plain.stdout),
        format!("a: \"a: b {CANARY}\"\n")
    );
    let refused = render("a: x-{{workato:vault:colon:kv/app}}\n");
    assert_eq!(refused.status.code(), Some(1));
    assert_no_canary(&refused);
    let json = render("{\"a\": \"{{workato:vault:colon:kv/app}}\"}\n");
    assert!(json.status.success());
    // `KEY=value` lines are a dotenv file: a bare value is refused, a quoted one escaped.
    let bare = render("A={{workato:vault:colon:kv/app}}\n");
    assert_eq!(bare.status.code(), Some(1));
    let env = render("A=\"{{workato:vault:colon:kv/app}}\"\n");
    assert_eq!(
        String::from_utf8_lossy(&env.stdout),
        format!("A=\"a: b {CANARY}\"\n")
    );
}

/// When the output's name says nothing (stdout, `-o -`, `/dev/stdout`, a FIFO), the input's
/// name decides; when no name does (`/dev/stdin`, `<(…)`), the content; `--verbose` says which.
#[test]
fn the_input_s_name_decides_when_the_output_s_says_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = dir.path().join("secrets.yaml");
    fs::write(
        &secrets,
        "kv/app:\n  cert: \"-----BEGIN-----\\nMIIB\\n-----END-----\\n\"\n  pw: 'p@ss\"w0rd\\'\n",
    )
    .unwrap();
    let tpl = dir.path().join("app.yaml.tpl");
    fs::write(
        &tpl,
        "tls:\n  cert: {{workato:vault:cert:kv/app}}\n  z: 1\n",
    )
    .unwrap();
    let yaml = "tls:\n  cert: \"-----BEGIN-----\\nMIIB\\n-----END-----\\n\"\n  z: 1\n";
    for output in ["-", "/dev/stdout"] {
        let rendered = secretmask()
            .current_dir(dir.path())
            .args([
                "-v",
                "render",
                "app.yaml.tpl",
                "-o",
                output,
                "--secrets-file",
            ])
            .arg(&secrets)
            .output()
            .unwrap();
        assert!(
            rendered.status.success(),
            "{}",
            String::from_utf8_lossy(&rendered.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&rendered.stdout),
            yaml,
            "-o {output}"
        );
        let said = String::from_utf8_lossy(&rendered.stderr);
        assert!(said.contains("as yaml (from the input's name)"), "{said}");
    }
    assert!(!dir.path().join("-").exists(), "-o - wrote a file named -");
    // /dev/stdin has no name to tell: the content does.
    let rendered = secretmask()
        .args(["-v", "render", "/dev/stdin", "--secrets-file"])
        .arg(&secrets)
        .pipe_stdin(&tpl)
        .unwrap()
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&rendered.stdout), yaml);
    assert!(String::from_utf8_lossy(&rendered.stderr).contains("as yaml (from the content)"));
    // `cat app.env.tpl | secretmask render`: a dotenv file by its lines.
    secretmask()
        .args(["render", "--secrets-file"])
        .arg(&secrets)
        .write_stdin("DB_PASSWORD=\"{{workato:vault:pw:kv/app}}\"\n")
        .assert()
        .success()
        .stdout("DB_PASSWORD=\"p@ss\\\"w0rd\\\\\"\n");
}

/// `-o /dev/null`, `-o /dev/stdout` or a FIFO: written into, never replaced by a regular file.
#[test]
fn a_target_that_is_not_a_file_is_written_into_not_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let secrets = store(dir.path());
    let fifo = dir.path().join("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::read_to_string(fifo).unwrap())
    };
    secretmask()
        .args(["render", "--as", "yaml", "-o"])
        .arg(&fifo)
        .arg("--secrets-file")
        .arg(&secrets)
        .write_stdin("user: {{workato:vault:user:kv/app}}\n")
        .assert()
        .success();
    assert_eq!(reader.join().unwrap(), "user: app\n");
    assert!(fs::metadata(&fifo).unwrap().file_type().is_fifo());
}

#[test]
fn config_is_discovered_and_unknown_keys_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    store(dir.path());
    fs::write(
        dir.path().join(".secretmask.yaml"),
        "secrets_file: secrets.yaml\n",
    )
    .unwrap();
    fs::create_dir_all(dir.path().join("deep/er")).unwrap();
    // Its `secrets_file` is used once the file is trusted.
    let xdg = dir.path().join("xdg");
    secretmask()
        .current_dir(dir.path().join("deep/er"))
        .env("XDG_CONFIG_HOME", &xdg)
        .arg("trust")
        .assert()
        .success();
    secretmask()
        .current_dir(dir.path().join("deep/er"))
        .env("XDG_CONFIG_HOME", &xdg)
        .args(["render", "--as", "yaml"])
        .write_stdin("u: {{workato:vault:user:kv/app}}\n")
        .assert()
        .success()
        .stdout("u: app\n");

    fs::write(
        dir.path().join(".secretmask.yaml"),
        "secrets_file: secrets.yaml\nsecret_file: typo.yaml\n",
    )
    .unwrap();
    let output = secretmask()
        .current_dir(dir.path())
        .args(["render", "--as", "yaml"])
        .write_stdin("u: {{workato:vault:user:kv/app}}\n")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains(".secretmask.yaml:2:"), "{stderr}");
    assert!(stderr.contains("secret_file"), "{stderr}");
}

#[test]
fn realworld_corpus_renders_byte_identical() {
    let corpus = root().join("fixtures/corpus/realworld");
    let out = tempfile::tempdir().unwrap();
    let secrets = out.path().join("secrets.yaml");
    fs::write(&secrets, "").unwrap();
    secretmask()
        .arg("render")
        .arg(&corpus)
        .arg("--out-dir")
        .arg(out.path().join("rendered"))
        .arg("--secrets-file")
        .arg(&secrets)
        .assert()
        .success();
    let mut compared = 0;
    for entry in ignore::WalkBuilder::new(&corpus).hidden(false).build() {
        let entry = entry.unwrap();
        if !entry.file_type().unwrap().is_file() {
            continue;
        }
        let relative = entry.path().strip_prefix(&corpus).unwrap();
        let name = relative.to_string_lossy();
        let target = out
            .path()
            .join("rendered")
            .join(name.strip_suffix(".tpl").unwrap_or(&name));
        assert_eq!(
            fs::read(entry.path()).unwrap(),
            fs::read(&target).unwrap(),
            "{name}"
        );
        compared += 1;
    }
    assert!(compared > 1200, "{compared} files");
}

#[test]
fn render_killed_while_writing_leaves_old_target_intact() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = store(dir.path());
    let tpl = dir.path().join("big.yaml.tpl");
    let line = "k: \"{{workato:vault:password:kv/app}}\"\n";
    fs::write(&tpl, line.repeat(2_000_000)).unwrap();
    let target = dir.path().join("big.yaml");
    fs::write(&target, "old: intact\n").unwrap();
    let complete = format!("k: \"{CANARY}\"\n").repeat(2_000_000).into_bytes();
    let binary = assert_cmd::cargo::cargo_bin("secretmask");
    for delay_ms in [50, 200, 600] {
        let mut child = std::process::Command::new(&binary)
            .arg("render")
            .arg(&tpl)
            .arg("-o")
            .arg(&target)
            .arg("--secrets-file")
            .arg(&secrets)
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let now = fs::read(&target).unwrap();
        assert!(
            now == b"old: intact\n" || now == complete,
            "target is neither old nor complete after a kill at {delay_ms} ms ({} bytes)",
            now.len()
        );
    }
}

/// `helm template … | secretmask render`: a stream of documents with `---` and `# Source:`
/// comments, told from its content, escaped and re-read per document; ConfigMap values stay
/// strings.
#[test]
fn helm_template_output_renders_from_stdin_as_yaml() {
    let case = crate::support::root().join("fixtures/render/helm-template-stream-keeps-strings");
    let output = secretmask()
        .current_dir(&case)
        .args(["render", "--secrets-file", "secrets.yaml"])
        .write_stdin(fs::read(case.join("input")).unwrap())
        .output()
        .unwrap();
    // The same output as the fixture's, which reads the stream from a file.
    crate::support::assert_matches_snapshot(&case, &crate::support::transcript(&output));
}

/// `{ echo header; secretmask render … -o /dev/stdout; echo footer; } >> deploy.log`: the
/// descriptor is written at its place, so the log keeps its lines; a pipe works too.
#[test]
fn a_descriptor_target_is_written_through_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = store(dir.path());
    let tpl = dir.path().join("app.txt.tpl");
    fs::write(&tpl, "user={{workato:vault:user:kv/app}}\n").unwrap();
    let log = dir.path().join("deploy.log");
    fs::write(&log, "earlier\n").unwrap();
    let bin = assert_cmd::cargo::cargo_bin!("secretmask");
    for (target, redirect) in [
        ("/dev/stdout", ">>"),
        ("/dev/fd/1", ">>"),
        ("/dev/stdout", "|cat>>"),
    ] {
        let mut sh = std::process::Command::new("sh");
        crate::support::test_env(&mut sh);
        let status = sh
            .arg("-c")
            .arg(format!(
                "{{ echo header; \"$0\" render \"$1\" -o {target} --secrets-file \"$2\"; echo footer; }} {redirect} \"$3\""
            ))
            .arg(bin)
            .arg(&tpl)
            .arg(&secrets)
            .arg(&log)
            .status()
            .unwrap();
        assert!(status.success());
    }
    assert_eq!(
        fs::read_to_string(&log).unwrap(),
        "earlier\n".to_owned() + &"header\nuser=app\nfooter\n".repeat(3)
    );
    assert!(!fs::symlink_metadata(&log).unwrap().file_type().is_symlink());
}

/// `render.mode` is for new files: an existing target keeps its mode. `--mode` sets every
/// output's, new or not.
#[test]
fn the_configured_mode_is_for_new_files_and_the_flag_for_every_output() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    store(dir.path());
    fs::write(
        dir.path().join("config.yaml"),
        "secrets_file: secrets.yaml\nrender:\n  mode: \"0640\"\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("app.yaml.tpl"),
        "u: {{workato:vault:user:kv/app}}\n",
    )
    .unwrap();
    fs::write(dir.path().join("old.yaml"), "").unwrap();
    fs::set_permissions(
        dir.path().join("old.yaml"),
        fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let mode = |name: &str| {
        fs::metadata(dir.path().join(name))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    let render = |out: &str, extra: &[&str]| {
        secretmask()
            .current_dir(dir.path())
            .args([
                "render",
                "app.yaml.tpl",
                "--config",
                "config.yaml",
                "-o",
                out,
            ])
            .args(extra)
            .assert()
            .success();
    };
    render("old.yaml", &[]);
    assert_eq!(mode("old.yaml"), 0o644, "an existing target keeps its mode");
    render("new.yaml", &[]);
    assert_eq!(mode("new.yaml"), 0o640, "a new file gets render.mode");
    render("old.yaml", &["--mode", "0600"]);
    assert_eq!(mode("old.yaml"), 0o600, "--mode sets every output's");
}

/// A Secret's base64 `data` holding a mask renders in a JSON manifest and inside a `kind: List`,
/// as lint already checks them.
#[test]
fn secret_data_renders_in_json_manifests_and_lists() {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let dir = tempfile::tempdir().unwrap();
    store(dir.path());
    let mask = b64("{{workato:vault:user:kv/app}}");
    let value = b64("app");
    fs::write(
        dir.path().join("sec.json"),
        format!(
            "{{\"apiVersion\": \"v1\", \"kind\": \"Secret\", \"data\": {{\"u\": \"{mask}\"}}}}\n"
        ),
    )
    .unwrap();
    fs::write(
        dir.path().join("list.yaml"),
        format!("apiVersion: v1\nkind: List\nitems:\n- kind: Secret\n  data:\n    u: {mask}\n"),
    )
    .unwrap();
    for (input, expected) in [
        (
            "sec.json",
            format!(
                "{{\"apiVersion\": \"v1\", \"kind\": \"Secret\", \"data\": {{\"u\": \"{value}\"}}}}\n"
            ),
        ),
        (
            "list.yaml",
            format!(
                "apiVersion: v1\nkind: List\nitems:\n- kind: Secret\n  data:\n    u: {value}\n"
            ),
        ),
    ] {
        secretmask()
            .current_dir(dir.path())
            .args(["render", input, "--secrets-file", "secrets.yaml", "-o", "-"])
            .assert()
            .success()
            .stdout(expected);
        secretmask()
            .current_dir(dir.path())
            .args(["lint", input])
            .assert()
            .success();
    }
}

/// The image pull secret pattern: `.dockerconfigjson` JSON in base64 whose `auth` is
/// base64 of `user:password` again. Both the plain mask and the nested one resolve; a mask in
/// JSON escapes inside the data is refused, and lint reports it.
#[test]
fn nested_base64_in_secret_data_resolves_and_escaped_masks_in_it_are_refused() {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let dir = tempfile::tempdir().unwrap();
    store(dir.path());
    let config = |user: &str, auth: &str| {
        format!(
            r#"{{"auths":{{"r.io":{{"username":"robot","password":"{user}","auth":"{auth}"}}}}}}"#
        )
    };
    let mask = "{{workato:vault:user:kv/app}}";
    let template = config(mask, &b64(&format!("robot:{mask}")));
    let manifest = |data: &str| {
        format!(
            "kind: Secret\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: {data}\n"
        )
    };
    fs::write(dir.path().join("pull.yaml"), manifest(&b64(&template))).unwrap();
    let expected = manifest(&b64(&config("app", &b64("robot:app"))));
    secretmask()
        .current_dir(dir.path())
        .args([
            "render",
            "pull.yaml",
            "--secrets-file",
            "secrets.yaml",
            "-o",
            "-",
        ])
        .assert()
        .success()
        .stdout(expected);
    secretmask()
        .current_dir(dir.path())
        .args(["lint", "pull.yaml"])
        .assert()
        .success();

    let escaped = config("\\u003c\\u003cworkato:vault:user:kv/app>>", "x");
    fs::write(dir.path().join("escaped.yaml"), manifest(&b64(&escaped))).unwrap();
    let output = secretmask()
        .current_dir(dir.path())
        .args([
            "render",
            "escaped.yaml",
            "--secrets-file",
            "secrets.yaml",
            "-o",
            "-",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("in this Secret's base64 data value: a backslash-escaped mask"),
        "{stderr}"
    );
    let output = secretmask()
        .current_dir(dir.path())
        .args(["lint", "escaped.yaml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("SM037"));
}

/// Base64 `data` wrapped over lines, broken inside `workato:`'s encoding where no single line
/// shows it, is refused by render and reported by lint; a ConfigMap's `binaryData` resolves.
#[test]
fn wrapped_secret_data_is_refused_and_binary_data_resolves() {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let dir = tempfile::tempdir().unwrap();
    store(dir.path());
    let encoded = b64("{{workato:vault:user:kv/app}}");
    // `e3t3b3JrYXRvOn` is `{{workato:`: break it in the middle.
    let (head, tail) = encoded.split_at(6);
    fs::write(
        dir.path().join("wrapped.yaml"),
        format!("kind: Secret\ndata:\n  a: |\n    {head}\n    {tail}\n"),
    )
    .unwrap();
    let output = secretmask()
        .current_dir(dir.path())
        .args([
            "render",
            "wrapped.yaml",
            "--secrets-file",
            "secrets.yaml",
            "-o",
            "-",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("over several lines"));
    let output = secretmask()
        .current_dir(dir.path())
        .args(["lint", "wrapped.yaml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");

    fs::write(
        dir.path().join("cm.yaml"),
        format!("kind: ConfigMap\nbinaryData:\n  a: {encoded}\n"),
    )
    .unwrap();
    secretmask()
        .current_dir(dir.path())
        .args([
            "render",
            "cm.yaml",
            "--secrets-file",
            "secrets.yaml",
            "-o",
            "-",
        ])
        .assert()
        .success()
        .stdout(format!(
            "kind: ConfigMap\nbinaryData:\n  a: {}\n",
            b64("app")
        ));
}

/// A write into a device cannot be taken back, so it comes before any rename: when it fails,
/// every renamed target is still old.
#[test]
fn devices_are_written_before_any_target_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    store(dir.path());
    for name in ["a", "b"] {
        fs::write(
            dir.path().join(format!("{name}.yaml.tpl")),
            "u: {{workato:vault:user:kv/app}}\n",
        )
        .unwrap();
    }
    fs::create_dir(dir.path().join("out")).unwrap();
    fs::write(dir.path().join("out/a.yaml"), "old\n").unwrap();
    // Writing into /dev/full fails with ENOSPC.
    std::os::unix::fs::symlink("/dev/full", dir.path().join("out/b.yaml")).unwrap();
    let output = secretmask()
        .current_dir(dir.path())
        .args(["render", "a.yaml.tpl", "b.yaml.tpl", "--out-dir", "out"])
        .args(["--secrets-file", "secrets.yaml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert_eq!(
        fs::read_to_string(dir.path().join("out/a.yaml")).unwrap(),
        "old\n"
    );
    let left: Vec<_> = fs::read_dir(dir.path().join("out")).unwrap().collect();
    assert_eq!(left.len(), 2, "no staged file is left: {left:?}");
}

/// What an attack run found refused though every reader takes it: a value starting with a
/// byte order mark as a whole plain YAML scalar (written `"\uFEFF…"`), C1 controls in a TOML
/// literal string (TOML allows them), YAML nested 300 levels (the parser's default stops at 255).
#[test]
fn values_every_reader_takes_are_not_refused() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("secrets.yaml"),
        "kv/a:\n  bom: \"\\uFEFFabc\"\n  c1: \"a\\u0085b\\u009Fc\"\n  v: deep\n",
    )
    .unwrap();
    let render = |format: &str, template: &str| {
        secretmask()
            .current_dir(dir.path())
            .args(["render", "--as", format, "--secrets-file", "secrets.yaml"])
            .write_stdin(template.to_owned())
            .output()
            .unwrap()
    };
    let output = render("yaml", "a: {{workato:vault:bom:kv/a}}\n");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(output.stdout, b"a: \"\\uFEFFabc\"\n");
    let output = render("toml", "a = '{{workato:vault:c1:kv/a}}'\n");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "a = 'a\u{85}b\u{9f}c'\n"
    );
    let mut deep = String::new();
    for i in 0..300 {
        deep.push_str(&format!("{}k{i}:\n", "  ".repeat(i)));
    }
    deep.push_str(&format!(
        "{}v: {{{{workato:vault:v:kv/a}}}}\n",
        "  ".repeat(300)
    ));
    let output = render("yaml", &deep);
    assert!(output.status.success(), "{output:?}");
    assert!(
        String::from_utf8(output.stdout)
            .unwrap()
            .ends_with("v: deep\n")
    );
    let flow = format!(
        "{}{{{{workato:vault:v:kv/a}}}}{}\n",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let output = render("yaml", &flow);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("nested deeper than 4096 levels"),
        "{output:?}"
    );
}

/// All or nothing includes folders: `--out-dir` and the folders under it that a failed render
/// created are gone again; a successful render keeps them.
#[test]
fn a_failed_render_leaves_no_folder_it_created() {
    let dir = tempfile::tempdir().unwrap();
    store(dir.path());
    fs::create_dir_all(dir.path().join("in/sub")).unwrap();
    fs::write(
        dir.path().join("in/sub/a.yaml"),
        "u: {{workato:vault:user:kv/app}}\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("in/z.yaml"),
        "u: {{workato:vault:nope:kv/app}}\n",
    )
    .unwrap();
    let render = || {
        secretmask()
            .current_dir(dir.path())
            .args([
                "render",
                "in",
                "--out-dir",
                "out/deep",
                "--secrets-file",
                "secrets.yaml",
            ])
            .output()
            .unwrap()
    };
    let output = render();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(
        !dir.path().join("out").exists(),
        "the failed render created no folder"
    );
    fs::write(
        dir.path().join("in/z.yaml"),
        "u: {{workato:vault:user:kv/app}}\n",
    )
    .unwrap();
    let output = render();
    assert!(output.status.success(), "{output:?}");
    assert!(dir.path().join("out/deep/sub/a.yaml").is_file());
}

/// A large template read again node by node beside its output: a value that needs the second
/// reading renders and reads back, and one the second reading refuses is named at its own mask
/// alone.
#[test]
fn a_large_yaml_template_is_read_again_beside_its_output() {
    use secretmask::render::{self, Escape, Format, RenderError};
    use secretmask::resolve::{Kind, Value};
    let mut template = String::new();
    for i in 0..120_000 {
        template.push_str(&format!(
            "key{i}: \"{{{{workato:vault:v:kv/app}}}}\" # pad\n"
        ));
    }
    // A plain scalar the mask only starts: its type comes from the whole text.
    template.push_str("last: {{workato:vault:v:kv/app}}1\n");
    assert!(template.len() > 4 << 20);
    let masks: Vec<_> = secretmask::grammar::scan(template.as_bytes())
        .into_iter()
        .map(|m| m.unwrap())
        .collect();
    let with = |value: &str| {
        let values: Vec<_> = masks
            .iter()
            .map(|_| Ok(Value::new(value.to_owned().into(), Kind::String)))
            .collect();
        render::render(
            template.as_bytes(),
            &masks,
            &values,
            Format::Yaml,
            Escape::Auto,
        )
    };
    let output = with("abc").unwrap();
    assert!(output.starts_with(b"key0: \"abc\" # pad\n"));
    assert!(output.ends_with(b"last: abc1\n"));
    // `0x` makes the last scalar `0x1`, an integer to YAML 1.1 readers: that mask alone.
    match with("0x") {
        Err(RenderError::Masks(failures)) => {
            assert_eq!(failures.len(), 1, "{failures:?}");
            assert_eq!(failures[0].span, masks.last().unwrap().span);
            assert!(
                failures[0].failure.to_string().contains("integer"),
                "{failures:?}"
            );
        }
        other => panic!("{:?}", other.map(|o| o.len())),
    }
}
