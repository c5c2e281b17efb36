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
fn under_github_actions_each_value_is_masked_by_the_runner_first() {
    let dir = folder();
    let output = run_in(&dir, &["--redact", "--", "echo", "started"])
        .env("DB_PASSWORD", MASK)
        .env("GITHUB_ACTIONS", "true")
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.last(), Some(&"started"));
    assert!(
        lines.contains(&"::add-mask::CANARY-pa55 'w\"rd"),
        "{stdout}"
    );
    assert!(
        lines[..lines.len() - 1]
            .iter()
            .all(|l| l.starts_with("::add-mask::")),
        "{stdout}"
    );
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
