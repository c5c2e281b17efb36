//! secretmask attacked as a hostile repository and an unlucky user would: what a discovered
//! config may choose, what output may replace, which inputs are read, and what reaches a
//! terminal. One test per finding of issue 13, each named for the behaviour it pins.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::secretmask;

const CANARY: &str = "CANARY-9d41-NEVER-PRINTED";
const MASK: &str = "{{workato:vault:password:kv/app}}";

fn secrets(dir: &Path, value: &str) -> std::path::PathBuf {
    let path = dir.join("secrets.yaml");
    fs::write(&path, format!("kv/app:\n  password: {value}\n")).unwrap();
    path
}

/// `cmd render --as yaml` with `a: MASK` on stdin.
fn render_mask(cmd: &mut assert_cmd::Command) -> std::process::Output {
    cmd.args(["render", "--as", "yaml"])
        .write_stdin(format!("a: {MASK}\n"))
        .output()
        .unwrap()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A config found by walking up chooses nothing that reads credentials from elsewhere or scopes
/// a token, until trusted: AppRole files, the namespace, a secrets file outside its folder.
#[test]
fn a_discovered_config_needs_trust_for_credential_files_namespace_and_outside_files() {
    let home = tempfile::tempdir().unwrap();
    let outside = secrets(home.path(), CANARY);
    for (config, setting) in [
        (
            "vault:\n  approle: {role_id_file: /etc/hostname, secret_id_file: /etc/hostname}\n",
            "`vault.approle`",
        ),
        ("vault:\n  namespace: admin\n", "`vault.namespace`"),
        (
            &*format!("secrets_file: {}\n", outside.display()),
            "`secrets_file` replaces the value of every mask",
        ),
        ("secrets_file: ../secrets.yaml\n", "`secrets_file`"),
        // Inside its own folder too: a `.secretmask.yaml` in a shared parent (`/tmp`, a CI
        // workspace) would answer for every project below it.
        ("secrets_file: secrets.yaml\n", "`secrets_file`"),
    ] {
        let project = home.path().join("project");
        fs::create_dir_all(&project).unwrap();
        fs::write(project.join(".secretmask.yaml"), config).unwrap();
        let output = render_mask(
            secretmask()
                .current_dir(&project)
                .env("XDG_CONFIG_HOME", home.path().join("xdg")),
        );
        assert_eq!(output.status.code(), Some(2), "{config}: {output:?}");
        assert!(stderr(&output).contains(setting), "{}", stderr(&output));
        assert!(stderr(&output).contains("secretmask trust"));
        assert!(!stderr(&output).contains(CANARY));
    }
}

/// A trusted discovered config's secrets file is used, and `--verbose` says which and why.
#[test]
fn a_trusted_config_names_the_secrets_file_and_verbose_says_so() {
    let project = tempfile::tempdir().unwrap();
    let xdg = project.path().join("xdg");
    secrets(project.path(), "inside");
    fs::write(
        project.path().join(".secretmask.yaml"),
        "secrets_file: secrets.yaml\n",
    )
    .unwrap();
    let trust = secretmask()
        .current_dir(project.path())
        .env("XDG_CONFIG_HOME", &xdg)
        .arg("trust")
        .output()
        .unwrap();
    assert!(trust.status.success(), "{}", stderr(&trust));
    let output = render_mask(
        secretmask()
            .current_dir(project.path())
            .env("XDG_CONFIG_HOME", &xdg)
            .arg("--verbose"),
    );
    assert_eq!(output.stdout, b"a: inside\n", "{}", stderr(&output));
    let said = stderr(&output);
    assert!(
        said.contains("every mask resolves from the file store")
            && said.contains("(secrets_file in ")
            && said.contains(".secretmask.yaml)"),
        "{said}"
    );
    // Edited after it was trusted: the refusal says it changed, and how to trust it again.
    fs::write(
        project.path().join(".secretmask.yaml"),
        "secrets_file: secrets.yaml\ncache: {ttl: 1m}\n",
    )
    .unwrap();
    let output = render_mask(
        secretmask()
            .current_dir(project.path())
            .env("XDG_CONFIG_HOME", &xdg),
    );
    assert_eq!(output.status.code(), Some(2));
    let said = stderr(&output);
    assert!(
        said.contains("this file changed since it was trusted")
            && said.contains("secretmask trust"),
        "{said}"
    );
}

/// A relative path resolves against the folder of the file that set it, after following
/// symlinks: the user's own config never takes a cloned repository's secrets file.
#[test]
fn relative_paths_resolve_against_the_file_that_set_them() {
    let home = tempfile::tempdir().unwrap();
    let xdg = home.path().join("xdg");
    fs::create_dir_all(xdg.join("secretmask")).unwrap();
    fs::write(
        xdg.join("secretmask/config.yaml"),
        "secrets_file: secrets.yaml\n",
    )
    .unwrap();
    secrets(&xdg.join("secretmask"), "from-the-user");
    let project = home.path().join("project");
    fs::create_dir_all(&project).unwrap();
    secrets(&project, "from-the-repository");
    let render =
        |dir: &Path| render_mask(secretmask().current_dir(dir).env("XDG_CONFIG_HOME", &xdg));
    assert_eq!(render(&project).stdout, b"a: from-the-user\n");

    // A symlinked `.secretmask.yaml`: relative to the folder of the file it points to.
    let shared = home.path().join("shared");
    fs::create_dir_all(&shared).unwrap();
    secrets(&shared, "from-the-shared-folder");
    fs::write(shared.join("team.yaml"), "secrets_file: secrets.yaml\n").unwrap();
    std::os::unix::fs::symlink(shared.join("team.yaml"), project.join(".secretmask.yaml")).unwrap();
    let output = secretmask()
        .current_dir(&project)
        .env("XDG_CONFIG_HOME", &xdg)
        .args(["trust"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(render(&project).stdout, b"a: from-the-shared-folder\n");
}

/// Modes are read, write and execute bits: never setuid, setgid or sticky, from a flag or a
/// config; a mode that lets others write is said.
#[test]
fn output_modes_are_bounded_and_group_or_other_write_is_said() {
    let dir = tempfile::tempdir().unwrap();
    let store = secrets(dir.path(), "v");
    fs::write(dir.path().join("t.yaml.tpl"), format!("a: {MASK}\n")).unwrap();
    let output = secretmask()
        .current_dir(dir.path())
        .args(["render", "t.yaml.tpl", "-o", "t.yaml", "--mode", "6777"])
        .arg("--secrets-file")
        .arg(&store)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    // The mode a discovered config sets, then a render to `t.yaml`.
    let render_with_config_mode = |mode: &str| {
        fs::write(
            dir.path().join(".secretmask.yaml"),
            format!("render:\n  mode: \"{mode}\"\n"),
        )
        .unwrap();
        secretmask()
            .current_dir(dir.path())
            .args(["render", "t.yaml.tpl", "-o", "t.yaml", "--secrets-file"])
            .arg(&store)
            .output()
            .unwrap()
    };
    let output = render_with_config_mode("4755");
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("no setuid, setgid or sticky bit"));
    assert!(!dir.path().join("t.yaml").exists());
    let output = render_with_config_mode("0666");
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("warning: mode 0666 lets group or others write"));
    let mode = fs::metadata(dir.path().join("t.yaml")).unwrap().mode() & 0o7777;
    assert_eq!(mode, 0o666);
}

/// A symlink target is written through: the link stays a link, pointing where it did, and a
/// link to a device (as `/dev/stdout` is on Linux) is written into, never replaced by a file.
#[test]
fn a_symlinked_target_is_written_through_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let store = secrets(dir.path(), "through");
    fs::write(dir.path().join("t.yaml.tpl"), format!("a: {MASK}\n")).unwrap();
    fs::write(dir.path().join("real.yaml"), "old\n").unwrap();
    fs::set_permissions(
        dir.path().join("real.yaml"),
        fs::Permissions::from_mode(0o640),
    )
    .unwrap();
    std::os::unix::fs::symlink("real.yaml", dir.path().join("link.yaml")).unwrap();
    std::os::unix::fs::symlink("/dev/null", dir.path().join("null.yaml")).unwrap();
    for target in ["link.yaml", "null.yaml"] {
        let output = secretmask()
            .current_dir(dir.path())
            .args(["render", "t.yaml.tpl", "-o", target, "--secrets-file"])
            .arg(&store)
            .output()
            .unwrap();
        assert!(output.status.success(), "{target}: {}", stderr(&output));
        let link = fs::symlink_metadata(dir.path().join(target)).unwrap();
        assert!(link.file_type().is_symlink(), "{target} was replaced");
    }
    assert_eq!(
        fs::read_to_string(dir.path().join("real.yaml")).unwrap(),
        "a: through\n"
    );
    let mode = fs::metadata(dir.path().join("real.yaml")).unwrap().mode() & 0o7777;
    assert_eq!(mode, 0o640);
}

/// An output that is an input, or that two inputs render to, is refused before anything is
/// written, with both paths named.
#[test]
fn an_output_that_is_an_input_or_shared_by_two_inputs_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = secrets(dir.path(), "v");
    let d = dir.path();
    for sub in ["in", "d1", "d2"] {
        fs::create_dir_all(d.join(sub)).unwrap();
    }
    let template = format!("a: {MASK}\n");
    for file in [
        "x.yaml",
        "in/c.yaml",
        "in/a.yaml",
        "in/a.yaml.tpl",
        "d1/c.yaml",
        "d2/c.yaml",
    ] {
        fs::write(d.join(file), &template).unwrap();
    }
    for (args, named) in [
        (&["render", "x.yaml", "-o", "x.yaml"][..], "x.yaml"),
        (&["render", "in", "--out-dir", "in"][..], "in/"),
        (
            &["render", "in/a.yaml", "in/a.yaml.tpl", "--out-dir", "o"][..],
            "a.yaml",
        ),
        (
            &["render", "d1/c.yaml", "d2/c.yaml", "--out-dir", "o"][..],
            "d2/c.yaml",
        ),
    ] {
        let output = secretmask()
            .current_dir(d)
            .args(args)
            .arg("--secrets-file")
            .arg(&store)
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(named),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(stderr(&output).contains("nothing was written"));
        for file in ["x.yaml", "in/c.yaml", "in/a.yaml", "d1/c.yaml"] {
            assert_eq!(fs::read_to_string(d.join(file)).unwrap(), template);
        }
        assert!(!d.join("o").exists(), "{args:?} wrote o/");
    }
}

/// The files a process has open in `dir` that have no name there: its anonymous staged files
/// (`O_TMPFILE`), as `/proc` shows them.
fn anonymous_in(pid: u32, dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(fds) = fs::read_dir(format!("/proc/{pid}/fd")) else {
        return Vec::new();
    };
    fds.filter_map(|fd| {
        let fd = fd.ok()?.path();
        let target = fs::read_link(&fd).ok()?;
        let text = target.to_string_lossy().into_owned();
        (text.starts_with(&*dir.to_string_lossy()) && text.ends_with("(deleted)")).then_some(fd)
    })
    .collect()
}

/// Every name in `dir` that is no target: staged files left behind.
fn leftovers(dir: &Path, targets: &[&str]) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !targets.contains(&name.as_str()))
        .collect()
}

/// Any catchable signal while outputs are staged leaves no staged file: staged files are
/// anonymous (a SIGKILL leaves nothing either), `0600` whatever the target's mode, and get that
/// mode and a name only when committed.
#[test]
fn a_signal_mid_render_leaves_no_staged_file() {
    for (signal, code) in [
        ("INT", 130),
        ("TERM", 143),
        ("HUP", 129),
        ("QUIT", 131),
        ("KILL", -9),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let store = secrets(dir.path(), CANARY);
        let input = dir.path().join("in");
        let out = dir.path().join("out");
        fs::create_dir_all(&input).unwrap();
        fs::create_dir_all(&out).unwrap();
        fs::write(input.join("a.yaml"), format!("a: {MASK}\n")).unwrap();
        fs::write(input.join("b.yaml"), format!("b: {MASK}\n")).unwrap();
        fs::write(out.join("b.yaml"), "old\n").unwrap();
        fs::set_permissions(out.join("b.yaml"), fs::Permissions::from_mode(0o644)).unwrap();
        // `a.yaml` is a FIFO nobody reads: its commit, first, blocks while `b.yaml` is staged.
        assert!(
            Command::new("mkfifo")
                .arg(out.join("a.yaml"))
                .status()
                .unwrap()
                .success()
        );
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("secretmask"))
            .current_dir(dir.path())
            .args(["render", "in", "--out-dir", "out", "--secrets-file"])
            .arg(&store)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let started = Instant::now();
        let staged = loop {
            let staged = anonymous_in(child.id(), &out);
            if !staged.is_empty() {
                break staged;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "nothing staged"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        let mode = fs::metadata(&staged[0]).unwrap().mode() & 0o7777;
        assert_eq!(mode, 0o600, "a staged file holding secrets is 0600");
        assert_eq!(leftovers(&out, &["a.yaml", "b.yaml"]), Vec::<String>::new());
        assert!(
            Command::new("kill")
                .args([&format!("-{signal}"), &child.id().to_string()])
                .status()
                .unwrap()
                .success()
        );
        let status = child.wait().unwrap();
        if code > 0 {
            assert_eq!(status.code(), Some(code), "SIG{signal}");
        } else {
            assert_eq!(status.signal(), Some(-code), "SIG{signal}");
        }
        assert_eq!(
            leftovers(&out, &["a.yaml", "b.yaml"]),
            Vec::<String>::new(),
            "SIG{signal}"
        );
        assert_eq!(fs::read_to_string(out.join("b.yaml")).unwrap(), "old\n");
    }
}

/// A signal during the commit of many outputs waits for it: the targets are all old or all
/// new, never mixed.
#[test]
fn a_signal_during_the_commit_leaves_all_old_or_all_new() {
    let dir = tempfile::tempdir().unwrap();
    let store = secrets(dir.path(), CANARY);
    let input = dir.path().join("in");
    let out = dir.path().join("out");
    fs::create_dir_all(&input).unwrap();
    fs::create_dir_all(&out).unwrap();
    let names: Vec<String> = (0..400).map(|i| format!("f{i:03}.yaml")).collect();
    for name in &names {
        fs::write(input.join(name), format!("a: {MASK}\n")).unwrap();
    }
    let mut mixed = 0;
    for attempt in 0..12u64 {
        for name in &names {
            fs::write(out.join(name), "old\n").unwrap();
        }
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("secretmask"))
            .current_dir(dir.path())
            .args(["render", "in", "--out-dir", "out", "--secrets-file"])
            .arg(&store)
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait for the first rename, then signal at once: mid-commit.
        let started = Instant::now();
        while fs::read_to_string(out.join(&names[0])).unwrap() == "old\n"
            && fs::read_to_string(out.join(&names[399])).unwrap() == "old\n"
            && started.elapsed() < Duration::from_secs(20)
        {
            std::hint::spin_loop();
        }
        std::thread::sleep(Duration::from_micros(attempt * 300));
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        child.wait().unwrap();
        let new = names
            .iter()
            .filter(|n| fs::read_to_string(out.join(n)).unwrap() != "old\n")
            .count();
        if new != 0 && new != names.len() {
            mixed += 1;
        }
        let names_ref: Vec<&str> = names.iter().map(String::as_str).collect();
        assert_eq!(leftovers(&out, &names_ref), Vec::<String>::new());
    }
    assert_eq!(mixed, 0, "runs that left a mixed tree");
}

/// Run as root on another user's file, the output keeps that user as its owner; run as another
/// user on a folder it cannot write, the render fails and changes nothing.
#[test]
fn owners_are_kept_and_unwritable_folders_fail_cleanly() {
    // SAFETY-free check of who we are: a file we create is ours.
    let probe = tempfile::NamedTempFile::new().unwrap();
    if probe.as_file().metadata().unwrap().uid() != 0 {
        eprintln!("skipped: owner keeping needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let store = secrets(dir.path(), "v");
    fs::set_permissions(&store, fs::Permissions::from_mode(0o644)).unwrap();
    fs::write(dir.path().join("t.yaml.tpl"), format!("a: {MASK}\n")).unwrap();
    fs::set_permissions(
        dir.path().join("t.yaml.tpl"),
        fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let target = dir.path().join("t.yaml");
    fs::write(&target, "old\n").unwrap();
    std::os::unix::fs::chown(&target, Some(4242), Some(4343)).unwrap();
    let output = secretmask()
        .current_dir(dir.path())
        .args(["render", "t.yaml.tpl", "-o", "t.yaml", "--secrets-file"])
        .arg(&store)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let metadata = fs::metadata(&target).unwrap();
    assert_eq!((metadata.uid(), metadata.gid()), (4242, 4343));
    assert_eq!(fs::read_to_string(&target).unwrap(), "a: v\n");

    // As `nobody`, in a folder only root may write.
    let output = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(assert_cmd::cargo::cargo_bin("secretmask"))
        .current_dir(dir.path())
        .env("XDG_CONFIG_HOME", dir.path().join("no-xdg"))
        .args(["render", "t.yaml.tpl", "-o", "t.yaml", "--secrets-file"])
        .arg(&store)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("t.yaml"), "{}", stderr(&output));
    assert_eq!(fs::read_to_string(&target).unwrap(), "a: v\n");
    let names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
}

/// A path the user names is read whatever its type: `<(…)` is a FIFO, `/dev/stdin` a pipe. A
/// CI lint never passes without checking.
#[test]
fn named_fifos_and_dev_stdin_are_read_not_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("bad.yaml");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::write(fifo, "a: {{workato:sm:k:arn:bad}}\n").unwrap())
    };
    let output = secretmask().arg("lint").arg(&fifo).output().unwrap();
    writer.join().unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("SM010"));

    let store = secrets(dir.path(), "piped");
    let output = secretmask()
        .args(["render", "/dev/stdin", "--as", "yaml", "--secrets-file"])
        .arg(&store)
        .write_stdin(format!("a: {MASK}\n"))
        .output()
        .unwrap();
    assert_eq!(output.stdout, b"a: piped\n", "{}", stderr(&output));
}

/// A walk reads regular files only, and never opens a FIFO (which would block).
#[test]
fn a_walk_passes_over_fifos_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    assert!(
        Command::new("mkfifo")
            .arg(dir.path().join("pipe.yaml"))
            .status()
            .unwrap()
            .success()
    );
    fs::write(dir.path().join("ok.yaml"), "a: 1\n").unwrap();
    let output = secretmask()
        .args(["lint", "--verbose"])
        .arg(dir.path())
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(
        stderr(&output).contains("passed over"),
        "{}",
        stderr(&output)
    );
}

/// A binary file is told from its first block and never read further; a text file larger
/// than the limit is an error that says how to raise it.
#[test]
fn reads_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let sparse = dir.path().join("disk.img");
    fs::File::create(&sparse).unwrap().set_len(2 << 30).unwrap();
    let output = secretmask()
        .arg("lint")
        .arg(&sparse)
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let output = secretmask()
        .args(["lint", "/proc/self/pagemap"])
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let big = dir.path().join("big.yaml");
    fs::write(&big, "a: 1\n".repeat(10_000)).unwrap();
    for command in ["lint", "render"] {
        let output = secretmask()
            .args([command, "--max-file-size", "16K"])
            .arg(&big)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{command}: {output:?}");
        assert!(
            stderr(&output).contains("larger than 16384 bytes")
                && stderr(&output).contains("--max-file-size"),
            "{}",
            stderr(&output)
        );
    }
}

/// A control character in a header-bound value is an error naming the setting, never a panic
/// inside the HTTP client.
#[test]
fn header_bound_values_with_control_characters_are_errors_not_panics() {
    let home = tempfile::tempdir().unwrap();
    fs::write(home.path().join(".vault-token"), "line-one\nline-two\n").unwrap();
    let cases: [(&[(&str, &str)], &str); 3] = [
        (
            &[("VAULT_TOKEN", "tok\u{1}en")],
            "VAULT_TOKEN holds a control character",
        ),
        (&[], "holds more than one line"),
        (
            &[
                ("VAULT_TOKEN", "token"),
                ("VAULT_NAMESPACE", "team\nX-Injected: 1"),
            ],
            "Vault namespace",
        ),
    ];
    for (env, said) in cases {
        let output = render_mask(
            secretmask()
                .env("HOME", home.path())
                .env_remove("VAULT_TOKEN")
                .env_remove("VAULT_NAMESPACE")
                .env("VAULT_ADDR", "http://127.0.0.1:9")
                .envs(env.iter().copied()),
        );
        assert_eq!(output.status.code(), Some(1), "{env:?}: {output:?}");
        assert!(
            stderr(&output).contains(said),
            "{env:?}: {}",
            stderr(&output)
        );
        assert!(!stderr(&output).contains("line-two") && !stderr(&output).contains("tok\u{1}en"));
    }
}

/// Reporting many failures indexes each file once: 40,000 failing masks are all listed.
#[test]
fn forty_thousand_failures_are_all_reported() {
    let dir = tempfile::tempdir().unwrap();
    let store = secrets(dir.path(), "v");
    let template: String = (0..40_000)
        .map(|i| format!("k{i}: {{{{workato:vault:absent:kv/app}}}}\n"))
        .collect();
    let output = secretmask()
        .args(["render", "--as", "yaml", "--secrets-file"])
        .arg(&store)
        .write_stdin(template)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert_eq!(text.matches("error: key `absent`").count(), 40_000);
    assert!(text.contains("<stdin>:40000:9: error"));
}

/// An error about a secrets file names the place and the kind of problem, never its text: a
/// wrong file's lines may be credentials.
#[test]
fn secrets_file_errors_show_no_text() {
    let dir = tempfile::tempdir().unwrap();
    for (content, at) in [
        (format!("{CANARY}-pasted-token\n"), ":1:1:"),
        (format!("kv/app: 5\nz: {CANARY}\n"), ":1:9:"),
        (format!("a: [\n  {CANARY}\n"), ":"),
    ] {
        fs::write(dir.path().join("s.yaml"), content).unwrap();
        let output = secretmask()
            .args(["render", "--as", "yaml", "--secrets-file"])
            .arg(dir.path().join("s.yaml"))
            .write_stdin(format!("a: {MASK}\n"))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        let text = stderr(&output);
        assert!(!text.contains(CANARY), "{text}");
        assert!(text.contains(at) && !text.contains(":0:0:"), "{text}");
    }
}

/// Terminal control characters in a file name or a mask's text are shown escaped, even when
/// colour is forced: a file cannot retitle the terminal or hide a line.
#[test]
fn control_characters_never_reach_the_terminal_raw() {
    let dir = tempfile::tempdir().unwrap();
    let name = "evil\u{1b}]0;pwned\u{7}.yaml";
    fs::write(
        dir.path().join(name),
        "a: {{workato:sm:k\u{1b}[2J:arn:bad}}\n",
    )
    .unwrap();
    let output = secretmask()
        .current_dir(dir.path())
        .env("CLICOLOR_FORCE", "1")
        .env_remove("NO_COLOR")
        .args(["lint", name])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        !text.contains("\u{1b}]0;"),
        "an OSC sequence reached the terminal"
    );
    assert!(
        !text.contains("\u{1b}[2J"),
        "a clear-screen sequence reached the terminal"
    );
    assert!(!text.contains('\u{7}'), "a bell reached the terminal");
    assert!(text.contains("evil\\u{1b}]0;pwned\\u{7}.yaml"), "{text}");
}

/// The trusted file is read once: the bytes hashed for trust are the bytes parsed. While a
/// trusted config is swapped for an untrusted one that sends the token elsewhere, a run either
/// refuses the untrusted file or uses the trusted one; the other address never hears from it.
/// (Before, a swap between the two reads sent `X-Vault-Token` to the untrusted address.)
#[test]
fn a_config_swapped_during_the_trust_check_never_sends_the_token_elsewhere() {
    use std::net::TcpListener;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let evil = TcpListener::bind("127.0.0.1:0").unwrap();
    evil.set_nonblocking(true).unwrap();
    let evil_addr = evil.local_addr().unwrap();
    let heard = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let listener = {
        let (heard, done) = (heard.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                if evil.accept().is_ok() {
                    heard.fetch_add(1, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        })
    };
    let dir = tempfile::tempdir().unwrap();
    let xdg = dir.path().join("xdg");
    let config = dir.path().join(".secretmask.yaml");
    let trusted = "vault:\n  address: http://127.0.0.1:9\n";
    let untrusted = format!("vault:\n  address: http://{evil_addr}\n");
    fs::write(&config, trusted).unwrap();
    let output = secretmask()
        .current_dir(dir.path())
        .env("XDG_CONFIG_HOME", &xdg)
        .arg("trust")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let swapper = {
        let (dir, done) = (dir.path().to_path_buf(), done.clone());
        let config = config.clone();
        std::thread::spawn(move || {
            let mut flip = false;
            while !done.load(Ordering::Relaxed) {
                let next = dir.join("next.yaml");
                fs::write(&next, if flip { trusted } else { untrusted.as_str() }).unwrap();
                fs::rename(&next, &config).unwrap();
                flip = !flip;
            }
        })
    };
    let (mut refused, mut used) = (0, 0);
    for _ in 0..150 {
        let output = secretmask()
            .current_dir(dir.path())
            .env("XDG_CONFIG_HOME", &xdg)
            .env("VAULT_TOKEN", CANARY)
            .args(["render", "--as", "yaml", "--timeout", "2s"])
            .write_stdin(format!("a: {MASK}\n"))
            .output()
            .unwrap();
        if stderr(&output).contains("secretmask trust") {
            refused += 1;
        } else {
            used += 1;
        }
    }
    done.store(true, Ordering::Relaxed);
    swapper.join().unwrap();
    listener.join().unwrap();
    assert_eq!(
        heard.load(Ordering::Relaxed),
        0,
        "the untrusted address was contacted"
    );
    assert!(refused > 0 && used > 0, "refused {refused}, used {used}");
}
