//! The GitHub Action (`action.yml`) and the workflow that shows how to use it pass actionlint,
//! which reads the action's metadata where a workflow uses it (`uses: ./`).

use std::process::Command;

use crate::support::root;

#[test]
fn the_action_and_its_workflow_pass_actionlint() {
    let Some(actionlint) = crate::support::tool("SECRETMASK_TEST_ACTIONLINT") else {
        return;
    };
    let output = Command::new(&actionlint)
        .current_dir(root())
        .arg(".github/workflows/secretmask.yml")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );

    // actionlint really reads the action: an input it does not declare is an error.
    let dir = tempfile::tempdir().unwrap();
    // actionlint finds the project (and so `./`) by its `.git`.
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    std::fs::copy(root().join("action.yml"), dir.path().join("action.yml")).unwrap();
    std::fs::create_dir_all(dir.path().join(".github/workflows")).unwrap();
    std::fs::write(
        dir.path().join(".github/workflows/w.yml"),
        "on: push\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ./\n        with:\n          pathz: .\n",
    )
    .unwrap();
    let output = Command::new(&actionlint)
        .current_dir(dir.path())
        .arg(".github/workflows/w.yml")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("pathz"),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}
