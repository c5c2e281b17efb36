//! Helpers shared by the integration tests.

pub mod bao;
pub mod keyvault;
pub mod moto;
pub mod proxy;

use std::path::{Path, PathBuf};
use std::process::Output;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The built `secretmask` binary, with colour off and the user's config out of the way.
pub fn secretmask() -> assert_cmd::Command {
    assert_cmd::Command::from_std(secretmask_process())
}

/// `secretmask()` as a process to spawn and signal.
pub fn secretmask_process() -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("secretmask"));
    test_env(&mut cmd);
    cmd
}

/// The environment every secretmask the tests run gets, also for a program (a shell, a Helm
/// stand-in) that runs secretmask itself.
pub fn test_env(cmd: &mut std::process::Command) {
    cmd.env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_REGION")
        .env_remove("RUST_LOG")
        // Never the developer's own AWS files, and no instance-metadata probe.
        .env("AWS_CONFIG_FILE", root().join("target/test-no-aws/config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            root().join("target/test-no-aws/credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("VAULT_ADDR")
        .env_remove("AZURE_TENANT_ID")
        .env_remove("AZURE_CLIENT_ID")
        .env_remove("AZURE_CLIENT_SECRET")
        .env_remove("AZURE_AUTHORITY_HOST")
        .env_remove("AZURE_FEDERATED_TOKEN_FILE")
        .env_remove("IDENTITY_ENDPOINT")
        .env_remove("MSI_ENDPOINT")
        .env("XDG_CONFIG_HOME", root().join("target/test-xdg-config"));
}

/// Whether the suite runs under `scripts/test` or CI, where a missing tool is a failure rather
/// than a skip (ARCHITECTURE.md §Tests).
pub fn tools_required() -> bool {
    std::env::var_os("CI").is_some() || std::env::var_os("SECRETMASK_TEST_STRICT").is_some()
}

/// The tool `scripts/test` installs and names in the environment variable `var`; `None` (the
/// test skips, and says so) when it is not set, a failure where tools are required.
pub fn tool(var: &str) -> Option<PathBuf> {
    let found = std::env::var_os(var)
        .map(PathBuf::from)
        .filter(|p| p.is_file());
    if found.is_none() {
        assert!(
            !tools_required(),
            "{var} is not set: run the suite with scripts/test"
        );
        eprintln!("skipped: {var} is not set (scripts/test sets it)");
    }
    found
}

/// Whole output as one text: stdout, then stderr and the exit code, for snapshots. A carriage
/// return shows as `␍` (before its line feed, if any): snapshots keep text, not line endings.
pub fn transcript(output: &Output) -> String {
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.stderr.is_empty() {
        text.push_str("--- stderr\n");
        text.push_str(&String::from_utf8_lossy(&output.stderr));
    }
    text.push_str(&format!(
        "--- exit {}\n",
        output.status.code().unwrap_or(-1)
    ));
    text.replace('\r', "␍")
}

/// Compares `actual` with the case folder's insta snapshot, `<case>/expected.snap`
/// (`cargo insta review`, or `INSTA_UPDATE=always cargo test`, blesses a change).
pub fn assert_matches_snapshot(case: &Path, actual: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(case);
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_input_file(case.join("input"));
    settings.bind(|| insta::assert_snapshot!("expected", actual));
}

/// The case folders under `fixtures/<kind>/`, sorted.
pub fn cases(kind: &str) -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures").join(kind))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    cases
}

/// `line:rule-name` of each finding of `lint --format json` output, in order. Each rule seen is
/// noted in [`seen_rules`], so the suite can tell which rules a test saw come out of secretmask.
pub fn findings(stdout: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|line| {
            let d: serde_json::Value = serde_json::from_str(line).unwrap();
            let name = d["name"].as_str().unwrap();
            let seen = seen_rules();
            std::fs::create_dir_all(&seen).unwrap();
            std::fs::write(seen.join(name), "").unwrap();
            format!("{}:{name}", d["line"])
        })
        .collect()
}

/// Where [`findings`] notes every rule it saw: one empty file per rule name. scripts/test empties
/// it before the run and checks after it that every online rule is there
/// (`fixtures::every_online_rule_was_found_by_a_test_against_its_store`).
pub fn seen_rules() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("rules-seen")
}

/// Waits up to `within` for `check`; whether it came true.
pub fn eventually(within: std::time::Duration, check: impl Fn() -> bool) -> bool {
    let started = std::time::Instant::now();
    while started.elapsed() < within {
        if check() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    check()
}

/// The names in folder `dir`, sorted.
pub fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}
