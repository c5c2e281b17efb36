//! The `lint` command as a user meets it: formats, exit codes, walking, stdin, colour.

use std::fs;

use crate::support::{root, secretmask};

const BROKEN: &str = "\
jira_token: \"{{workato:sm:prod.jira.secret.key:arn:aws:secretsmanager:us-east-1:13714987914:secret:prod-jira-credentials-FsmeTs}}\"
db: <<workato:sm:password:arn:aws:secretsmanager:us-east-1:137149879143:secret:prod/db>>
role_id: {{workato:vault::kv/apono/approle}}
";

fn lint_stdin(args: &[&str], input: &str) -> (String, i32) {
    let output = secretmask()
        .args(["lint", "--stdin-filename", "app.yaml"])
        .args(args)
        .arg("-")
        .write_stdin(input)
        .output()
        .unwrap();
    (
        String::from_utf8(output.stdout).unwrap(),
        output.status.code().unwrap(),
    )
}

#[test]
fn human_output_shows_line_caret_and_help() {
    let (stdout, code) = lint_stdin(&[], BROKEN);
    assert_eq!(code, 1);
    insta::assert_snapshot!(stdout);
}

#[test]
fn json_output_is_one_object_per_finding() {
    let (stdout, code) = lint_stdin(&["--format", "json"], BROKEN);
    assert_eq!(code, 1);
    insta::assert_snapshot!(stdout);
    for line in stdout.lines() {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        let keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected = vec![
            "path",
            "line",
            "column",
            "end_line",
            "end_column",
            "rule",
            "name",
            "severity",
            "message",
        ];
        expected.sort_unstable();
        let mut keys = keys;
        keys.sort_unstable();
        assert_eq!(keys, expected);
    }
}

#[test]
fn github_output_is_workflow_commands() {
    let (stdout, _) = lint_stdin(&["--format", "github"], BROKEN);
    assert_eq!(
        stdout,
        "::error file=app.yaml,line=1,col=81,endLine=1,endColumn=92,title=SM014::account `13714987914` is not 12 digits\n\
         ::warning file=app.yaml,line=2,col=80,endLine=2,endColumn=87,title=SM018::partial ARN: secret `prod/db` is named without its 6-character suffix\n\
         ::error file=app.yaml,line=3,col=10,endLine=3,endColumn=45,title=SM008::a Vault mask needs a key\n"
    );
}

#[test]
fn warnings_alone_exit_zero_unless_denied() {
    let partial = "db: <<workato:sm:password:arn:aws:secretsmanager:us-east-1:137149879143:secret:prod/db>>\n";
    assert_eq!(lint_stdin(&[], partial).1, 0);
    assert_eq!(lint_stdin(&["--deny-warnings"], partial).1, 1);
}

#[test]
fn clean_input_prints_nothing() {
    assert_eq!(lint_stdin(&[], "a: {{ .Values.x }}\n"), (String::new(), 0));
}

#[test]
fn colour_only_when_asked_and_never_with_no_color() {
    let coloured = secretmask()
        .env_remove("NO_COLOR")
        .env("CLICOLOR_FORCE", "1")
        .args(["lint", "-"])
        .write_stdin(BROKEN)
        .output()
        .unwrap();
    assert!(
        coloured.stdout.contains(&0x1b),
        "CLICOLOR_FORCE gives colour"
    );
    let plain = secretmask()
        .env("NO_COLOR", "1")
        .env("CLICOLOR_FORCE", "1")
        .args(["lint", "-"])
        .write_stdin(BROKEN)
        .output()
        .unwrap();
    assert!(!plain.stdout.contains(&0x1b), "NO_COLOR wins");
    let piped = secretmask()
        .env_remove("NO_COLOR")
        .args(["lint", "-"])
        .write_stdin(BROKEN)
        .output()
        .unwrap();
    assert!(!piped.stdout.contains(&0x1b), "no colour into a pipe");
}

#[test]
fn directory_walk_honours_gitignore_and_reads_hidden_files() {
    let dir = tempfile::tempdir().unwrap();
    let bad = "x: {{workato:ssm:k:kv/a}}\n";
    fs::write(dir.path().join(".gitignore"), "ignored.yaml\n").unwrap();
    fs::write(dir.path().join("ignored.yaml"), bad).unwrap();
    fs::write(dir.path().join(".env"), bad).unwrap();
    fs::write(dir.path().join(".gitlab-ci.yml"), bad).unwrap();
    fs::create_dir_all(dir.path().join(".git")).unwrap();
    fs::write(dir.path().join(".git/config.yaml"), bad).unwrap();
    fs::create_dir_all(dir.path().join("nested/deeper")).unwrap();
    fs::write(dir.path().join("nested/deeper/app.yaml"), bad).unwrap();
    let output = secretmask()
        .current_dir(dir.path())
        .args(["lint", "--format", "json"])
        .output()
        .unwrap();
    let paths: Vec<String> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["path"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(paths, [".env", ".gitlab-ci.yml", "nested/deeper/app.yaml"]);
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn explicit_file_is_linted_even_if_ignored() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join(".gitignore"), "*.yaml\n").unwrap();
    fs::write(dir.path().join("a.yaml"), "x: {{workato:ssm:k:kv/a}}\n").unwrap();
    secretmask()
        .current_dir(dir.path())
        .args(["lint", "a.yaml"])
        .assert()
        .code(1);
}

#[test]
fn missing_path_is_an_io_error_with_exit_2() {
    let output = secretmask()
        .args(["lint", "does/not/exist.yaml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with("error: does/not/exist.yaml: "),
        "{stderr}"
    );
}

#[test]
fn unknown_flag_is_a_usage_error_with_exit_2() {
    secretmask().args(["lint", "--frobnicate"]).assert().code(2);
}

#[test]
fn list_rules_prints_every_rule() {
    let output = secretmask()
        .args(["lint", "--list-rules"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count(), secretmask::lint::RULES.len());
    insta::assert_snapshot!(stdout);
}

/// The README's rule table is generated from `RULES`: a failure prints the table to paste.
#[test]
fn readme_lists_every_rule() {
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let (begin, end) = ("<!-- rules:begin -->\n", "<!-- rules:end -->");
    let start = readme.find(begin).expect("README has the rules markers") + begin.len();
    let stop = readme.find(end).unwrap();
    let mut table = String::from("| id | name | severity | finds |\n|---|---|---|---|\n");
    for rule in secretmask::lint::RULES {
        table.push_str(&format!(
            "| {} | `{}` | {} | {} |\n",
            rule.id,
            rule.name,
            rule.severity,
            rule.summary.replace('|', "\\|")
        ));
    }
    assert!(
        readme[start..stop] == table,
        "README's rule table is stale; between the rules markers it must read:\n{table}"
    );
}

/// `doc/` holds every page `secretmask man --out-dir` writes, secretmask's own and one per
/// subcommand with its options, kept current (`cargo run -- man --out-dir doc` writes them); `secretmask
/// man PAGE` prints the same; each renders without a warning under man's and groff's checks.
#[test]
fn every_man_page_is_current_and_renders_without_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let output = secretmask()
        .args(["man", "--out-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let names = crate::support::file_names(dir.path());
    assert_eq!(
        names,
        [
            "secretmask-completions.1",
            "secretmask-inventory.1",
            "secretmask-lint.1",
            "secretmask-man.1",
            "secretmask-migrate.1",
            "secretmask-render.1",
            "secretmask-run.1",
            "secretmask-tag.1",
            "secretmask-trust.1",
            "secretmask.1"
        ]
    );
    for name in &names {
        let written = fs::read_to_string(dir.path().join(name)).unwrap();
        let page = root().join("doc").join(name);
        assert!(
            fs::read_to_string(&page).ok().as_deref() == Some(written.as_str()),
            "{} is stale: cargo run -- man --out-dir doc",
            page.display()
        );
        let printed = secretmask()
            .arg("man")
            .args(name.strip_suffix(".1").filter(|n| *n != "secretmask"))
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&printed.stdout), written, "{name}");
        let checked = std::process::Command::new("man")
            .env("MANWIDTH", "80")
            .args(["--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z"])
            .arg(&page)
            .output()
            .unwrap();
        assert!(checked.status.success(), "{checked:?}");
        assert_eq!(String::from_utf8_lossy(&checked.stderr), "", "{name}");
        let groff = std::process::Command::new("groff")
            .args(["-ww", "-man", "-Tutf8"])
            .arg(&page)
            .output()
            .unwrap();
        assert!(groff.status.success(), "{groff:?}");
        assert_eq!(String::from_utf8_lossy(&groff.stderr), "", "{name}");
    }
    // A subcommand's page documents its options.
    let lint = fs::read_to_string(root().join("doc/secretmask-lint.1")).unwrap();
    for option in ["online", "profile", "deny\\-warnings", "max\\-file\\-size"] {
        assert!(lint.contains(option), "no {option} in secretmask-lint.1");
    }
    let unknown = secretmask().args(["man", "nope"]).output().unwrap();
    assert_eq!(unknown.status.code(), Some(2));
}

/// bash loads the completion script and completes `secretmask re` to `render`.
#[test]
fn bash_completes_subcommands() {
    let script = secretmask().args(["completions", "bash"]).output().unwrap();
    assert!(script.status.success());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("secretmask.bash"), &script.stdout).unwrap();
    let output = std::process::Command::new("bash")
        .current_dir(dir.path())
        .args([
            "-c",
            ". ./secretmask.bash; COMP_WORDS=(secretmask re); COMP_CWORD=1; COMP_LINE='secretmask re'; COMP_POINT=${#COMP_LINE}; _secretmask secretmask re secretmask; printf '%s\\n' \"${COMPREPLY[@]}\"",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "render\n");
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let output = secretmask().args(["completions", shell]).output().unwrap();
        assert!(
            output.status.success() && !output.stdout.is_empty(),
            "{shell}"
        );
    }
}

/// A reader that stops reading (`lint . | head`, `render | true`) got less than all: a gate
/// must not pass by accident under `pipefail`, so the exit is 2, never 0.
#[test]
fn a_closed_output_is_a_failure() {
    use std::os::fd::FromRawFd;
    let dir = tempfile::tempdir().unwrap();
    for i in 0..50 {
        std::fs::write(
            dir.path().join(format!("f{i}.yaml")),
            "a: {{workato:vault:k:kv/x/}}\n",
        )
        .unwrap();
    }
    let closed = |args: &[&str], stdin: &str| {
        // A pipe whose reader is gone before secretmask starts.
        let mut fds = [0; 2];
        // SAFETY: `pipe` writes two descriptors into `fds`; the read end is closed at once and
        // the write end handed to the child as its stdout.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        unsafe { libc::close(fds[0]) };
        let write_end = unsafe { std::os::fd::OwnedFd::from_raw_fd(fds[1]) };
        let mut cmd = crate::support::secretmask_process();
        cmd.current_dir(dir.path())
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::from(write_end))
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    for (args, stdin) in [
        (&["lint", "."][..], ""),
        (&["render", "--as", "yaml"][..], "a: 1\n"),
        (&["completions", "bash"][..], ""),
    ] {
        let output = closed(args, stdin);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("broken pipe"),
            "{args:?}: {output:?}"
        );
    }
}

/// `help --help` is help, not a usage error; `CLICOLOR_FORCE=0` forces nothing (only another
/// value does); log lines are plain text when stderr is not a terminal.
#[test]
fn clap_conventions_hold_for_help_colour_and_logs() {
    let output = secretmask().args(["help", "--help"]).output().unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("Usage: secretmask"));

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.yaml"), "a: {{workato:vault:k:kv/x/}}\n").unwrap();
    let lint = |force: &str| {
        secretmask()
            .current_dir(dir.path())
            .env_remove("NO_COLOR")
            .env("CLICOLOR_FORCE", force)
            .args(["lint", "a.yaml"])
            .output()
            .unwrap()
    };
    assert!(
        !lint("0").stdout.contains(&0x1b),
        "no colour with CLICOLOR_FORCE=0"
    );
    assert!(
        lint("1").stdout.contains(&0x1b),
        "colour with CLICOLOR_FORCE=1"
    );

    let output = secretmask()
        .current_dir(dir.path())
        .env_remove("NO_COLOR")
        .env("RUST_LOG", "info")
        .args(["render", "--as", "yaml", "--secrets-file", "/dev/null"])
        .write_stdin("a: 1\n")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("INFO"),
        "{output:?}"
    );
    assert!(
        !output.stderr.contains(&0x1b),
        "log lines in a file carry no colour codes"
    );
}

/// A broken configuration is an error wherever it is read: offline lint (which uses no setting)
/// and `trust` (which would record a file the next render refuses) stop at its line.
#[test]
fn a_broken_config_fails_offline_lint_and_trust() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".secretmask.yaml"),
        "vault:\n  adress: https://v\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("a.yaml"), "a: 1\n").unwrap();
    let xdg = dir.path().join("xdg");
    for args in [&["lint", "a.yaml"][..], &["trust"]] {
        let output = secretmask()
            .current_dir(dir.path())
            .env("XDG_CONFIG_HOME", &xdg)
            .args(args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(".secretmask.yaml:2:"), "{args:?}: {stderr}");
        assert!(stderr.contains("adress"), "{args:?}: {stderr}");
    }
    assert!(
        !xdg.join("secretmask/trusted.yaml").exists(),
        "nothing was trusted"
    );
}

/// Options before the command are secretmask's: a mistyped one is a usage error, while the
/// command keeps every option of its own.
#[test]
fn a_mistyped_run_option_is_a_usage_error_not_the_command() {
    let output = secretmask()
        .args(["run", "--redcat", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("unexpected argument '--redcat'") && stderr.contains("'--redact'"),
        "{stderr}"
    );
    for args in [&["--", "sh", "-c", "exit 3"][..], &["sh", "-c", "exit 3"]] {
        let output = secretmask().arg("run").args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(3), "{args:?}: {output:?}");
    }
}

/// On the file store, `tag` says once that a secrets file holds no tags, counts a Vault
/// secret's versions as the one secret whose tags they share, and claims nothing was tagged;
/// `lint --online` says the required tags went unchecked.
#[test]
fn tags_on_the_file_store_are_explained_once_and_counted_per_secret() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("secrets.yaml"),
        "kv/app/db: {password: p}\nkv/app/other: {password: q}\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("app.yaml"),
        "a: {{workato:vault:password:kv/app/db?version=1}}\nb: {{workato:vault:password:kv/app/db}}\nc: {{workato:vault:password:kv/app/other}}\n",
    )
    .unwrap();
    for dry_run in [true, false] {
        let output = secretmask()
            .current_dir(dir.path())
            .args(["tag", "app.yaml", "--secrets-file", "secrets.yaml", "--yes"])
            .args(["--tag", "team=payments"])
            .args(dry_run.then_some("--dry-run"))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("2 secrets are read from a secrets file, which holds no tags"),
            "{stderr}"
        );
        assert!(!stderr.contains("the others were"), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
    let output = secretmask()
        .current_dir(dir.path())
        .args(["lint", "app.yaml", "--online", "--profile", "apono"])
        .args(["--secrets-file", "secrets.yaml"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("required tags are not checked: a secrets file holds no tags")
            && stderr.contains("--profile apono"),
        "{stderr}"
    );
}

/// A report written into the tree it lints (the README's CI examples) is not a finding of the
/// next lint: rule texts and messages hold no mask, in any format a CI keeps as a file.
#[test]
fn reports_written_into_the_tree_do_not_trigger_findings() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("app.yaml"),
        "a: \"{{workato:smx:k:arn}}\"\nb: \"{{ workato:sm:k:x}}\"\nc: <<workato:vault::kv/a>>\nd: {{workato:vault:k:kv/a>>\n",
    )
    .unwrap();
    for (format, report) in [
        ("sarif", "secretmask.sarif"),
        ("gitlab", "gl-code-quality-report.json"),
        ("json", "secretmask.jsonl"),
        ("github", "secretmask.log"),
    ] {
        for round in 0..2 {
            let output = secretmask()
                .current_dir(dir.path())
                .args(["lint", "--format", format, "."])
                .output()
                .unwrap();
            assert_eq!(output.status.code(), Some(1), "{format}: {output:?}");
            if round == 1 {
                // The second run finds what the first did: nothing in the first's report.
                let text = String::from_utf8_lossy(&output.stdout);
                assert!(
                    !text.contains(report),
                    "{format} flags its own report:\n{text}"
                );
            }
            fs::write(dir.path().join(report), &output.stdout).unwrap();
        }
        let output = secretmask()
            .current_dir(dir.path())
            .args(["lint", report])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{format}: {output:?}");
    }
}

/// `--verbose` tells the story, one line per decision: which configuration files were read,
/// the format each output got, and which store and credential each store uses; never a
/// credential.
#[test]
fn verbose_says_what_was_chosen_and_never_a_credential() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("app.yaml"),
        "a: {{workato:vault:k:kv/a}}\nb: {{workato:sm:k:arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf}}\n",
    )
    .unwrap();
    fs::write(dir.path().join(".secretmask.yaml"), "cache: {ttl: 1m}\n").unwrap();
    let output = secretmask()
        .current_dir(dir.path())
        .env("VAULT_ADDR", "http://127.0.0.1:9")
        .env("VAULT_TOKEN", "canary-vault-token-verbose")
        .env("AWS_ACCESS_KEY_ID", "AKIACANARYVERBOSE")
        .env("AWS_SECRET_ACCESS_KEY", "canary-aws-secret-verbose")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .args(["--verbose", "render", "app.yaml", "--timeout", "5s"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let said = String::from_utf8_lossy(&output.stderr);
    for line in [
        "config: read ",
        ".secretmask.yaml (found by walking up; not trusted",
        "render app.yaml: as yaml (from the input's name)",
        "vault: http://127.0.0.1:9, token from VAULT_TOKEN",
        "aws: credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
        "endpoint http://127.0.0.1:9 (AWS_ENDPOINT_URL)",
    ] {
        assert!(said.contains(line), "no `{line}` in:\n{said}");
    }
    for secret in [
        "canary-vault-token-verbose",
        "AKIACANARYVERBOSE",
        "canary-aws-secret-verbose",
    ] {
        assert!(!said.contains(secret), "{secret} in:\n{said}");
    }
}
