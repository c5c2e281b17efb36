//! The README's GitLab CI job, run as written by gitlab-ci-local (shell executor, secretmask on
//! PATH so the job's build step is skipped as in an image that has it): it fails on a broken
//! mask with a Code Quality report GitLab can read, and passes on a clean tree.

use std::path::Path;
use std::process::Command;

use crate::support::{root, test_env, tool};

fn readme_job() -> String {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let section = &readme[readme
        .find("### GitLab CI")
        .expect("the README has a GitLab CI section")..];
    let start = section.find("```yaml\n").unwrap() + "```yaml\n".len();
    section[start..start + section[start..].find("```").unwrap()].to_owned()
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(["-c", "commit.gpgsign=false"])
        .args(args)
        .output()
        .unwrap();
    assert!(status.status.success(), "git {args:?}: {status:?}");
}

/// A project with `files`, the README's job as its `.gitlab-ci.yml`, run by gitlab-ci-local.
fn run_job(
    gitlab_ci_local: &Path,
    files: &[(&str, &str)],
) -> (std::process::Output, tempfile::TempDir) {
    let project = tempfile::tempdir().unwrap();
    let dir = project.path();
    std::fs::write(dir.join(".gitlab-ci.yml"), readme_job()).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    git(dir, &["init", "-q", "-b", "main"]);
    git(
        dir,
        &[
            "remote",
            "add",
            "origin",
            "https://gitlab.example.com/group/project.git",
        ],
    );
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "x"]);
    let binary = std::path::PathBuf::from(assert_cmd::cargo::cargo_bin!("secretmask"));
    let mut command = Command::new(gitlab_ci_local);
    test_env(&mut command);
    let output = command
        .current_dir(dir)
        .env(
            "PATH",
            format!(
                "{}:{}",
                binary.parent().unwrap().display(),
                std::env::var("PATH").unwrap()
            ),
        )
        .args([
            "--force-shell-executor",
            "--home",
            &dir.join(".home").display().to_string(),
        ])
        .arg("secretmask")
        .output()
        .unwrap();
    (output, project)
}

#[test]
fn the_readme_gitlab_job_fails_on_a_broken_mask_with_a_code_quality_report() {
    let Some(gitlab_ci_local) = tool("SECRETMASK_TEST_GITLAB_CI_LOCAL") else {
        return;
    };
    let (output, project) = run_job(
        &gitlab_ci_local,
        &[(
            "app.yaml",
            "db: {{workato:vault:password:kv/app/db}}\ntoken: \"{{workato:ssm:key:kv/app}}\"\n",
        )],
    );
    let log = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success(), "{log}");
    assert!(
        log.contains("app.yaml:2:19: error[SM005]"),
        "the log shows the finding:\n{log}"
    );
    let report: serde_json::Value = serde_json::from_slice(
        &std::fs::read(project.path().join("gl-code-quality-report.json")).unwrap(),
    )
    .unwrap();
    // GitLab's Code Quality format: an array of issues with these fields.
    let issues = report.as_array().unwrap();
    assert_eq!(issues.len(), 1);
    let issue = &issues[0];
    assert_eq!(issue["check_name"], "secretmask/unknown-store");
    assert_eq!(issue["severity"], "major");
    assert_eq!(issue["location"]["path"], "app.yaml");
    assert_eq!(issue["location"]["lines"]["begin"], 2);
    assert!(issue["description"].as_str().unwrap().contains("SM005"));
    assert_eq!(issue["fingerprint"].as_str().unwrap().len(), 32);
    // The report stays in the tree: the next lint there finds the mask again, not the report.
    let again = crate::support::secretmask()
        .current_dir(project.path())
        .args(["lint", "--format", "json", "."])
        .output()
        .unwrap();
    let found = String::from_utf8_lossy(&again.stdout);
    assert!(found.contains("\"app.yaml\""), "{found}");
    assert!(!found.contains("gl-code-quality-report"), "{found}");
}

#[test]
fn the_readme_gitlab_job_passes_on_clean_masks() {
    let Some(gitlab_ci_local) = tool("SECRETMASK_TEST_GITLAB_CI_LOCAL") else {
        return;
    };
    let (output, project) = run_job(
        &gitlab_ci_local,
        &[("app.yaml", "db: {{workato:vault:password:kv/app/db}}\n")],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let report =
        std::fs::read_to_string(project.path().join("gl-code-quality-report.json")).unwrap();
    assert_eq!(report.trim(), "[]");
}
