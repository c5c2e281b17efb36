//! `--format sarif` is checked by Microsoft's SARIF Multitool, which `scripts/test` installs from
//! the npm package `@microsoft/sarif-multitool-linux` and names in `SARIF_MULTITOOL`.

use std::path::PathBuf;
use std::process::Command;

use crate::support::secretmask;

fn multitool() -> Option<PathBuf> {
    crate::support::tool("SARIF_MULTITOOL")
}

#[test]
fn sarif_log_passes_the_multitool_with_no_error_or_warning() {
    let Some(tool) = multitool() else { return };
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("lint.sarif");
    let output = secretmask()
        .current_dir(crate::support::root().join("fixtures/lint"))
        .args(["lint", "--format", "sarif", "."])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    std::fs::write(&log, &output.stdout).unwrap();

    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let run = &value["runs"][0];
    assert_eq!(value["version"], "2.1.0");
    assert_eq!(
        run["tool"]["driver"]["rules"].as_array().unwrap().len(),
        secretmask::lint::RULES.len()
    );
    let results = run["results"].as_array().unwrap();
    assert!(results.len() > 50);
    for result in results {
        let region = &result["locations"][0]["physicalLocation"]["region"];
        assert!(region["startLine"].as_u64().unwrap() >= 1);
        assert!(region["startColumn"].as_u64().unwrap() >= 1);
    }

    let report = dir.path().join("validation.sarif");
    let validation = Command::new(&tool)
        .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
        .arg("validate")
        .arg(&log)
        .arg("--output")
        .arg(&report)
        .output()
        .unwrap();
    let stdout = format!(
        "{}{}",
        String::from_utf8_lossy(&validation.stdout),
        String::from_utf8_lossy(&validation.stderr)
    );
    assert!(validation.status.success(), "{stdout}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let problems: Vec<&serde_json::Value> = report["runs"][0]["results"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter(|r| r["level"] != "note" && r["level"] != "none")
                .collect()
        })
        .unwrap_or_default();
    assert!(
        problems.is_empty(),
        "the Multitool found: {problems:#?}\n{stdout}"
    );
}
