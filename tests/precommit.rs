//! The real `pre-commit` framework (from PyPI, in the virtualenv `scripts/test` makes and names in
//! `PRE_COMMIT`) runs our hook on a temporary repository.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::root;

fn pre_commit() -> Option<PathBuf> {
    crate::support::tool("PRE_COMMIT")
}

fn git(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn hook_refuses_a_broken_mask_and_passes_a_clean_commit() {
    let Some(pre_commit) = pre_commit() else {
        return;
    };
    let binary = assert_cmd::cargo::cargo_bin("secretmask");
    // The local entry runs the hook the way the shipped definition does: `secretmask lint` on
    // the staged text files.
    let shipped = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap();
    assert!(
        shipped.contains("- id: secretmask-lint") && shipped.contains("entry: secretmask lint")
    );
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    assert!(git(dir, &["init", "-q", "-b", "main"]).status.success());
    std::fs::write(
        dir.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n- repo: local\n  hooks:\n  - id: secretmask-lint\n    name: secretmask lint\n    entry: {}\n    args: [lint]\n    language: system\n    types: [text]\n",
            binary.display()
        ),
    )
    .unwrap();
    let home = dir.join(".cache-pre-commit");
    let run_hook = |args: &[&str]| {
        Command::new(&pre_commit)
            .current_dir(dir)
            .env("PRE_COMMIT_HOME", &home)
            .env("NO_COLOR", "1")
            .args(args)
            .output()
            .unwrap()
    };
    assert!(run_hook(&["install"]).status.success());
    git(dir, &["add", ".pre-commit-config.yaml"]);

    std::fs::write(
        dir.join("app.yaml"),
        "token: \"{{workato:ssm:key:kv/app}}\"\n",
    )
    .unwrap();
    git(dir, &["add", "app.yaml"]);
    let refused = git(dir, &["commit", "-q", "-m", "broken"]);
    let shown = format!(
        "{}{}",
        String::from_utf8_lossy(&refused.stdout),
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(!refused.status.success(), "{shown}");
    assert!(
        shown.contains("app.yaml:1:19: error[SM005]: unknown store `ssm`"),
        "{shown}"
    );

    std::fs::write(
        dir.join("app.yaml"),
        "token: \"{{workato:vault:key:kv/app}}\"\n",
    )
    .unwrap();
    git(dir, &["add", "app.yaml"]);
    let passed = git(dir, &["commit", "-q", "-m", "clean"]);
    assert!(
        passed.status.success(),
        "{}{}",
        String::from_utf8_lossy(&passed.stdout),
        String::from_utf8_lossy(&passed.stderr)
    );
}
