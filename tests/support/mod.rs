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

/// Whole output as one text: stdout, then stderr and the exit code, for `expected` files.
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
    text
}

/// Compares `actual` with the file `expected`; `SNAPSHOTS=overwrite` writes it instead.
pub fn assert_matches_file(expected: &Path, actual: &str) {
    if std::env::var("SNAPSHOTS").as_deref() == Ok("overwrite") {
        std::fs::write(expected, actual).unwrap();
        return;
    }
    let want = std::fs::read_to_string(expected).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (bless with SNAPSHOTS=overwrite)",
            expected.display()
        )
    });
    assert!(
        want == actual,
        "{} differs\n--- expected\n{want}\n--- actual\n{actual}",
        expected.display()
    );
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

/// `line:rule-name` of each finding of `lint --format json` output, in order.
pub fn findings(stdout: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|line| {
            let d: serde_json::Value = serde_json::from_str(line).unwrap();
            format!("{}:{}", d["line"], d["name"].as_str().unwrap())
        })
        .collect()
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
