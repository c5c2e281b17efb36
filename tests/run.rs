//! `secretmask run`: the command sees exactly the values, nothing else does, and it runs only
//! when every mask resolved; signals and exit statuses are the command's own.

use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::time::Duration;

use crate::support::{secretmask, secretmask_process};

const SECRETS: &str = "kv/app/db:\n  password: CANARY-pa55 'w\"rd\n  user: admin\n";
const PASSWORD: &str = "CANARY-pa55 'w\"rd";
const MASK: &str = "{{workato:vault:password:kv/app/db}}";

fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("secrets.yaml"), SECRETS).unwrap();
    dir
}

fn run_in(dir: &tempfile::TempDir, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = secretmask();
    cmd.current_dir(dir.path())
        .args(["run", "--secrets-file", "secrets.yaml"])
        .args(args);
    cmd
}

#[test]
fn the_command_sees_each_value_exactly_in_its_environment() {
    let dir = folder();
    std::fs::write(
        dir.path().join(".env.tpl"),
        "# a dotenv template\nDB_USER={{workato:vault:user:kv/app/db}}\nMODE=prod\nDB_URL=\"pg://{{workato:vault:user:kv/app/db}}@db\"\n",
    )
    .unwrap();
    let output = run_in(&dir, &["--env-file", ".env.tpl", "--", "env"])
        .env("DB_PASSWORD", MASK)
        .env("MODE", "dev")
        .env("PLAIN", "untouched")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(output.stderr.is_empty(), "secretmask says nothing");
    let env = String::from_utf8(output.stdout).unwrap();
    for line in [
        format!("DB_PASSWORD={PASSWORD}"),
        "DB_USER=admin".into(),
        "DB_URL=pg://admin@db".into(),
        // The env file overrides the inherited environment.
        "MODE=prod".into(),
        "PLAIN=untouched".into(),
    ] {
        assert!(env.lines().any(|l| l == line), "{line} in\n{env}");
    }
}

#[test]
fn a_failing_mask_keeps_the_command_from_starting() {
    let dir = folder();
    let output = run_in(&dir, &["--", "touch", "started"])
        .env("DB_PASSWORD", MASK)
        .env("API_TOKEN", "{{workato:vault:token:kv/app/db}}")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(!dir.path().join("started").exists(), "the command ran");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("$API_TOKEN:1:1: error: key `token` is not in the secret"),
        "{stderr}"
    );
    assert!(stderr.contains("the command was not run"), "{stderr}");
    assert!(!stderr.contains("CANARY"), "{stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn a_mask_on_the_command_line_is_refused_since_ps_would_show_its_value() {
    let dir = folder();
    let output = run_in(&dir, &["--", "touch", MASK]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("argv[1]:1:1: error: a mask in the command line"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn exit_statuses_are_the_commands_own_with_and_without_redact() {
    let dir = folder();
    for redact in [&[][..], &["--redact"]] {
        let output = run_in(&dir, redact)
            .args(["--", "sh", "-c", "exit 42"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(42), "{redact:?}");
        let output = run_in(&dir, redact)
            .args(["--", "sh", "-c", "kill -KILL $$"])
            .output()
            .unwrap();
        assert_eq!(output.status.signal(), Some(9), "{redact:?}: {output:?}");
        let output = run_in(&dir, redact)
            .args(["--", "no-such-command-anywhere"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(127), "{redact:?}");
    }
}

#[test]
fn redact_replaces_values_and_encodings_even_split_across_writes() {
    let dir = folder();
    let script = r#"
        printf 'out: %s\n' "$DB_PASSWORD"
        printf 'err: %s\n' "$DB_PASSWORD" >&2
        half=${#DB_PASSWORD}; half=$((half / 2))
        first=$(printf %s "$DB_PASSWORD" | cut -c1-$half)
        rest=$(printf %s "$DB_PASSWORD" | cut -c$((half + 1))-)
        printf 'split: %s' "$first"; sleep 0.3; printf '%s done\n' "$rest"
        printf 'b64: %s\n' "$(printf %s "$DB_PASSWORD" | base64)"
        printf 'json: %s\n' "CANARY-pa55 'w\\\"rd"
        printf 'user: %s\n' "$DB_USER"
    "#;
    let output = run_in(&dir, &["--redact", "--", "sh", "-c", script])
        .env("DB_PASSWORD", MASK)
        .env("DB_USER", "{{workato:vault:user:kv/app/db}}")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        stdout,
        "out: <redacted>\nsplit: <redacted> done\nb64: <redacted>\njson: <redacted>\nuser: <redacted>\n"
    );
    assert_eq!(stderr, "err: <redacted>\n");
}

#[test]
fn under_github_actions_each_value_is_masked_by_the_runner_on_stderr_only() {
    let dir = folder();
    let output = run_in(&dir, &["--redact", "--", "echo", "started"])
        .env("DB_PASSWORD", MASK)
        .env("GITHUB_ACTIONS", "true")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    // The promised-clean stdout holds only the command's output: a `tee`d log keeps no value.
    assert_eq!(String::from_utf8(output.stdout).unwrap(), "started\n");
    let stderr = String::from_utf8(output.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(
        lines.contains(&"::add-mask::CANARY-pa55 'w\"rd"),
        "{stderr}"
    );
    assert!(
        lines.iter().all(|l| l.starts_with("::add-mask::")),
        "{stderr}"
    );
    // One stream for both: the lines would be kept with the output, so none is written.
    let output = std::process::Command::new("sh")
        .current_dir(dir.path())
        .args([
            "-c",
            "\"$0\" run --secrets-file secrets.yaml --redact -- echo started 2>&1",
        ])
        .arg(assert_cmd::cargo::cargo_bin("secretmask"))
        .env("DB_PASSWORD", MASK)
        .env("GITHUB_ACTIONS", "true")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let both = String::from_utf8(output.stdout).unwrap();
    assert!(!both.contains("CANARY"), "{both}");
    assert!(both.contains("::add-mask:: lines not written"), "{both}");
}

/// The forms in which `value` can be read back out of `output`: itself, its hex, and its
/// base64 at any alignment and line wrapping (what remains once every line break is removed).
fn leaked_forms(output: &str, value: &str) -> Vec<String> {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let joined = output.replace(['\n', '\r'], "");
    let mut forms = vec![value.to_owned()];
    forms.push(value.bytes().map(|b| format!("{b:02x}")).collect());
    for skip in 0..3 {
        let rest = &value.as_bytes()[skip..];
        for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
            let core = engine.encode(&rest[..rest.len() / 3 * 3]);
            forms.extend(
                core.as_bytes()
                    .chunks(12)
                    .filter(|c| c.len() == 12)
                    .map(|c| String::from_utf8(c.to_vec()).unwrap()),
            );
        }
    }
    forms.retain(|form| joined.contains(form.as_str()));
    forms
}

#[test]
fn redact_catches_the_forms_programs_and_ci_logs_give_a_value() {
    let dir = tempfile::tempdir().unwrap();
    let cert: String = (0..40)
        .map(|i| format!("MIIB{i:02}kqhkiG9w0BAQEFAASC/+{}\n", "x".repeat(i % 7)))
        .collect();
    std::fs::write(
        dir.path().join("secrets.yaml"),
        format!(
            "kv/ci/a:\n  user: deploy-admin\n  password: admin-P4ssw0rd!\n  word: contraseña-añejo\n  cert: {}\n",
            serde_json::to_string(&cert).unwrap()
        ),
    )
    .unwrap();
    let script = r#"
        printf 'login %s-%s\n' "$U" "${P#admin-}"
        echo "$P" | base64
        printf 'Authorization: Basic %s\n' "$(printf 'robot:%s' "$P" | base64)"
        printf 'Basic %s\n' "$(printf 'ro:%s' "$W" | base64)"
        printf '%s' "$C" | base64
        printf '%s' "$C" | base64 -w 64
        printf 'jwt %s.sig\n' "$(printf '{"k":"%s"}' "$P" | base64 -w0 | tr '+/' '-_' | tr -d '=')"
        python3 -c 'import json, os; print(json.dumps({"w": os.environ["W"]}))'
        python3 -c 'import os, urllib.parse; print(urllib.parse.quote(os.environ["W"]), urllib.parse.quote_plus(os.environ["P"]))'
        python3 -c 'import os; print(os.environ["P"].encode().hex(), os.environ["W"].encode().hex().upper())'
        printf 'end\n'
    "#;
    let output = secretmask()
        .current_dir(dir.path())
        .args(["run", "--secrets-file", "secrets.yaml", "--redact", "--"])
        .args(["sh", "-c", script])
        .env("U", "{{workato:vault:user:kv/ci/a}}")
        .env("P", "{{workato:vault:password:kv/ci/a}}")
        .env("W", "{{workato:vault:word:kv/ci/a}}")
        .env("C", "{{workato:vault:cert:kv/ci/a}}")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.starts_with("login <redacted>\n"), "{stdout}");
    assert!(stdout.ends_with("end\n"), "{stdout}");
    assert!(stdout.contains("Authorization: Basic "), "{stdout}");
    for value in [
        "deploy-admin",
        "admin-P4ssw0rd!",
        "P4ssw0rd!",
        "contraseña-añejo",
        &cert,
    ] {
        assert_eq!(
            leaked_forms(&stdout, value),
            Vec::<String>::new(),
            "{stdout}"
        );
    }
    for line in cert.lines() {
        assert!(!stdout.contains(line), "{line} in {stdout}");
    }
    for escaped in ["contrase\\u00f1a", "contrase%C3%B1a", "admin-P4ssw0rd%21"] {
        assert!(!stdout.contains(escaped), "{escaped} in {stdout}");
    }
}

#[test]
fn env_files_expand_variables_against_the_commands_environment() {
    let dir = folder();
    std::fs::write(dir.path().join("first.env"), "HOST=db.internal\n").unwrap();
    std::fs::write(
        dir.path().join("second.env"),
        "DB_URL=\"postgres://app:${DB_PASSWORD}@${HOST}/app\"\n",
    )
    .unwrap();
    let output = run_in(
        &dir,
        &[
            "--env-file",
            "first.env",
            "--env-file",
            "second.env",
            "--",
            "env",
        ],
    )
    .env("DB_PASSWORD", MASK)
    .output()
    .unwrap();
    assert!(output.status.success(), "{output:?}");
    let env = String::from_utf8(output.stdout).unwrap();
    let url = format!("DB_URL=postgres://app:{PASSWORD}@db.internal/app");
    assert!(env.lines().any(|l| l == url), "{url} in\n{env}");
    assert!(
        !env.contains("workato"),
        "no mask reaches the command:\n{env}"
    );

    // dotenvy would expand `$MODE` from secretmask's environment (`dev`), the command sees `prod`.
    std::fs::write(dir.path().join("first.env"), "MODE=prod\n").unwrap();
    std::fs::write(
        dir.path().join("second.env"),
        "\nURL=\"https://$MODE.example\"\n",
    )
    .unwrap();
    let output = run_in(
        &dir,
        &[
            "--env-file",
            "first.env",
            "--env-file",
            "second.env",
            "--",
            "touch",
            "ran",
        ],
    )
    .env("MODE", "dev")
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("second.env:2:1: error:"), "{stderr}");
    assert!(stderr.contains("expands `$MODE`"), "{stderr}");
    assert!(!dir.path().join("ran").exists());
}

#[test]
fn a_value_with_a_nul_byte_is_a_failure_of_its_variable() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("secrets.yaml"),
        "kv/app/db:\n  password: \"a\\0b\"\n",
    )
    .unwrap();
    let output = secretmask()
        .current_dir(dir.path())
        .args([
            "run",
            "--secrets-file",
            "secrets.yaml",
            "--",
            "touch",
            "ran",
        ])
        .env("V", MASK)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("$V:1:1: error: the value holds a NUL byte"),
        "{stderr}"
    );
    assert!(!dir.path().join("ran").exists());
}

/// Ctrl-C typed at a terminal: the terminal sends SIGINT to the whole foreground process group.
#[test]
fn ctrl_c_at_a_terminal_reaches_the_command_once() {
    let dir = folder();
    let count = dir.path().join("count");
    let script = r#"
import os, pty, sys, time, select
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out = b""
deadline = time.time() + 20
while b"ready" not in out and time.time() < deadline:
    if select.select([fd], [], [], 0.2)[0]:
        out += os.read(fd, 1024)
os.write(fd, b"\x03")
while time.time() < deadline:
    try:
        if select.select([fd], [], [], 0.2)[0] and not os.read(fd, 1024):
            break
    except OSError:
        break
os.waitpid(pid, 0)
"#;
    let output = std::process::Command::new("python3")
        .current_dir(dir.path())
        .args(["-c", script])
        .arg(assert_cmd::cargo::cargo_bin("secretmask"))
        .args([
            "run",
            "--secrets-file",
            "secrets.yaml",
            "--redact",
            "--",
            "sh",
            "-c",
        ])
        .arg(format!(
            "trap 'echo INT >> {}' INT; echo ready; sleep 1; sleep 1; exit 0",
            count.display()
        ))
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let got = std::fs::read_to_string(&count).unwrap_or_default();
    assert_eq!(got, "INT\n", "SIGINTs the command received");
}

#[test]
fn no_value_reaches_the_environment_of_secretmask_itself() {
    let dir = folder();
    // Under --redact secretmask is the command's parent: its own environment holds the mask,
    // never the value.
    let output = run_in(
        &dir,
        &[
            "--redact",
            "--",
            "sh",
            "-c",
            "tr '\\0' '\\n' < /proc/$PPID/environ | grep '^DB_PASSWORD='",
        ],
    )
    .env("DB_PASSWORD", MASK)
    .output()
    .unwrap();
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        format!("DB_PASSWORD={MASK}\n")
    );
}

/// Starts `secretmask run [--redact] -- sh -c …` whose shell traps TERM, waits until it is
/// ready, sends TERM to secretmask's pid and returns how the run ended and what it printed.
fn terminate(redact: bool) -> (std::process::ExitStatus, String) {
    let dir = folder();
    let mut cmd = secretmask_process();
    cmd.current_dir(dir.path())
        .args(["run", "--secrets-file", "secrets.yaml"])
        .args(redact.then_some("--redact"))
        .args([
            "--",
            "sh",
            "-c",
            "trap 'echo got TERM; exit 7' TERM; echo ready; while :; do sleep 0.05; done",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line, "ready\n");
    // SAFETY: sends a signal to our own child.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(std::time::Instant::now() < deadline, "the run did not end");
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    (status, rest)
}

#[test]
fn signals_reach_the_command_with_and_without_redact() {
    for redact in [false, true] {
        let (status, rest) = terminate(redact);
        assert_eq!(status.code(), Some(7), "redact {redact}");
        assert_eq!(rest, "got TERM\n", "redact {redact}");
    }
}

/// `run --watch`: a rotation restarts the command with the new value (SIGTERM first), a
/// refresh that fails leaves it running, with `--redact` the new value is redacted too, and a
/// SIGTERM to secretmask ends both.
#[test]
fn a_watch_restarts_the_command_with_each_new_value() {
    let dir = folder();
    let secrets = dir.path().join("secrets.yaml");
    let seen = dir.path().join("seen.log");
    // Each start appends its value (base64, so the log holds no redaction marker) and a stop
    // appends `stopped`.
    let script = "trap 'echo stopped >> seen.log; exit 0' TERM; printf '%s\\n' \"$DB_PASSWORD\" | base64 >> seen.log; echo \"value: $DB_PASSWORD\"; while :; do sleep 0.1; done";
    let mut watch = secretmask_process()
        .current_dir(dir.path())
        .env("DB_PASSWORD", MASK)
        .args([
            "run",
            "--secrets-file",
            "secrets.yaml",
            "--redact",
            "--watch",
        ])
        .args([
            "--interval",
            "1s",
            "--grace",
            "5s",
            "--",
            "sh",
            "-c",
            script,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let read = || std::fs::read_to_string(&seen).unwrap_or_default();
    let wait_for = |lines: usize| {
        crate::support::eventually(Duration::from_secs(10), || read().lines().count() >= lines);
        read()
    };
    let b64 = |v: &str| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(format!("{v}\n"))
    };
    assert_eq!(wait_for(1), format!("{}\n", b64(PASSWORD)));
    // A check that fails (the secrets file is broken): said once, the command keeps running.
    std::fs::write(&secrets, "kv/app/db: [\n").unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(read(), format!("{}\n", b64(PASSWORD)));
    // A refresh that fails (the key is gone): the command keeps running.
    std::fs::write(&secrets, "kv/app/db:\n  user: u\n").unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(read(), format!("{}\n", b64(PASSWORD)));
    // A rotation: stopped with SIGTERM and started again with the new value.
    std::fs::write(&secrets, "kv/app/db:\n  password: rotated-value\n").unwrap();
    assert_eq!(
        wait_for(3),
        format!("{}\nstopped\n{}\n", b64(PASSWORD), b64("rotated-value"))
    );
    unsafe {
        libc::kill(watch.id() as i32, libc::SIGTERM);
    }
    let status = watch.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(0),
        "the command exits 0 on SIGTERM: {status:?}"
    );
    assert_eq!(read().lines().last(), Some("stopped"));
    let mut out = String::new();
    std::io::Read::read_to_string(watch.stdout.as_mut().unwrap(), &mut out).unwrap();
    assert_eq!(out, "value: <redacted>\nvalue: <redacted>\n");
    let mut err = String::new();
    std::io::Read::read_to_string(watch.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert_eq!(
        err.matches("warning: cannot check secret `kv/app/db` for a new version")
            .count(),
        1,
        "{err}"
    );
    assert!(
        err.contains("warning: 1 secret changed, but the new values do not all resolve"),
        "{err}"
    );
    assert!(
        !err.contains(PASSWORD) && !err.contains("rotated-value"),
        "{err}"
    );
}

/// `run --watch --reload-signal HUP`: on a change the command gets the signal and keeps
/// running (its environment cannot change under it); it is never restarted.
#[test]
fn a_watch_with_a_reload_signal_signals_instead_of_restarting() {
    let dir = folder();
    let secrets = dir.path().join("secrets.yaml");
    let seen = dir.path().join("seen.log");
    let script =
        "trap 'echo reload >> seen.log' HUP; echo start >> seen.log; while :; do sleep 0.1; done";
    let mut watch = secretmask_process()
        .current_dir(dir.path())
        .env("DB_PASSWORD", MASK)
        .args(["run", "--secrets-file", "secrets.yaml", "--watch"])
        .args([
            "--interval",
            "1s",
            "--reload-signal",
            "HUP",
            "--",
            "sh",
            "-c",
            script,
        ])
        .spawn()
        .unwrap();
    let read = || std::fs::read_to_string(&seen).unwrap_or_default();
    crate::support::eventually(Duration::from_secs(10), || !read().is_empty());
    std::fs::write(&secrets, "kv/app/db:\n  password: rotated-value\n").unwrap();
    crate::support::eventually(Duration::from_secs(10), || read().contains("reload"));
    // Still running after the signal: no second start.
    std::thread::sleep(Duration::from_millis(1500));
    assert!(watch.try_wait().unwrap().is_none());
    // SIGTERM reaches the command, which dies of it; secretmask exits as it did.
    unsafe {
        libc::kill(watch.id() as i32, libc::SIGTERM);
    }
    let status = watch.wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{status:?}");
    assert_eq!(read(), "start\nreload\n");
    let refused = secretmask()
        .args(["run", "--watch", "--reload-signal", "KILL", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
}
