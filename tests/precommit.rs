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

/// A fresh git repository with `config` as its `.pre-commit-config.yaml`, the hook installed
/// (its cache inside the repository), the config staged and a broken mask staged in `app.yaml`;
/// returns the repository and a runner of `pre-commit ARGS` in it.
fn staged_broken_mask(
    pre_commit: &Path,
    config: &str,
) -> (
    tempfile::TempDir,
    impl Fn(&[&str]) -> std::process::Output + use<>,
) {
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path().to_path_buf();
    assert!(git(&dir, &["init", "-q", "-b", "main"]).status.success());
    std::fs::write(dir.join(".pre-commit-config.yaml"), config).unwrap();
    let pre_commit = pre_commit.to_path_buf();
    let run = move |args: &[&str]| {
        Command::new(&pre_commit)
            .current_dir(&dir)
            .env("PRE_COMMIT_HOME", dir.join(".cache-pre-commit"))
            .env("NO_COLOR", "1")
            .args(args)
            .output()
            .unwrap()
    };
    assert!(run(&["install"]).status.success());
    let dir = repo.path();
    git(dir, &["add", ".pre-commit-config.yaml"]);
    std::fs::write(
        dir.join("app.yaml"),
        "token: \"{{workato:ssm:key:kv/app}}\"\n",
    )
    .unwrap();
    git(dir, &["add", "app.yaml"]);
    (repo, run)
}

#[test]
fn hook_refuses_a_broken_mask_and_passes_a_clean_commit() {
    let Some(pre_commit) = pre_commit() else {
        return;
    };
    // The shipped hook definition, run as the framework runs it with only what a local repository
    // needs changed: the built binary for `secretmask`, and `language: system` (the `rust` build
    // from the repository is `the_hook_installed_from_the_repository_refuses_a_broken_mask`).
    let shipped = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap();
    let hooks: Vec<serde_json::Value> = serde_saphyr::from_str(&shipped).unwrap();
    let [hook] = hooks.as_slice() else {
        panic!("one hook is shipped: {hooks:?}")
    };
    assert_eq!(hook["id"], "secretmask-lint");
    let mut local = hook.clone();
    let entry = hook["entry"].as_str().unwrap();
    let binary = assert_cmd::cargo::cargo_bin("secretmask");
    local["entry"] = format!(
        "{}{}",
        binary.display(),
        entry
            .strip_prefix("secretmask")
            .expect("the entry runs secretmask")
    )
    .into();
    local["language"] = "system".into();
    // JSON is YAML: the framework reads this as it reads any config.
    let config = serde_json::json!({"repos": [{"repo": "local", "hooks": [local]}]});
    let (repo, _) = staged_broken_mask(&pre_commit, &config.to_string());
    let dir = repo.path();
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

/// The README's plain git hook, as written there, refuses a staged broken mask.
#[test]
fn the_readme_plain_git_hook_refuses_a_broken_mask() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme
        .find("```sh\n#!/bin/sh\ngit diff --cached")
        .expect("the README shows the plain hook")
        + "```sh\n".len();
    let hook = &readme[start..start + readme[start..].find("```").unwrap()];
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    assert!(git(dir, &["init", "-q", "-b", "main"]).status.success());
    let path = dir.join(".git/hooks/pre-commit");
    std::fs::write(&path, hook).unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let binary = assert_cmd::cargo::cargo_bin("secretmask");
    let path_env = format!(
        "{}:{}",
        binary.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let commit = |content: &str| {
        std::fs::write(dir.join("app.yaml"), content).unwrap();
        git(dir, &["add", "app.yaml"]);
        Command::new("git")
            .current_dir(dir)
            .env("PATH", &path_env)
            .env("NO_COLOR", "1")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(["-c", "commit.gpgsign=false", "commit", "-q", "-m", "x"])
            .output()
            .unwrap()
    };
    let refused = commit("token: \"{{workato:ssm:key:kv/app}}\"\n");
    assert!(!refused.status.success());
    // git shows a hook's output on its stderr.
    let shown = format!(
        "{}{}",
        String::from_utf8_lossy(&refused.stdout),
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(shown.contains("app.yaml:1:19: error[SM005]"), "{shown}");
    assert!(
        commit("token: \"{{workato:vault:key:kv/app}}\"\n")
            .status
            .success()
    );
}

/// The hook the way users install it: `repo:` a clone of this repository, `rev:` a commit,
/// `language: rust`, so the framework builds secretmask with cargo. Minutes long: `scripts/test`
/// runs it under CI only (`SECRETMASK_TEST_HOOK_BUILD`).
#[test]
fn the_hook_installed_from_the_repository_refuses_a_broken_mask() {
    if std::env::var_os("SECRETMASK_TEST_HOOK_BUILD").is_none() {
        eprintln!("skipped: SECRETMASK_TEST_HOOK_BUILD is not set (scripts/test sets it under CI)");
        return;
    }
    let Some(pre_commit) = pre_commit() else {
        return;
    };
    let head = Command::new("git")
        .current_dir(root())
        .args(["rev-parse", "HEAD"])
        .output()
        .unwrap();
    assert!(head.status.success());
    let rev = String::from_utf8(head.stdout).unwrap().trim().to_owned();
    let (_repo, run) = staged_broken_mask(
        &pre_commit,
        &format!(
            "repos:\n- repo: {}\n  rev: {rev}\n  hooks:\n  - id: secretmask-lint\n",
            root().display()
        ),
    );
    let refused = run(&["run"]);
    let shown = String::from_utf8_lossy(&refused.stdout);
    assert!(!refused.status.success(), "{shown}");
    assert!(shown.contains("app.yaml:1:19: error[SM005]"), "{shown}");
}
