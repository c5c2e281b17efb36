//! `fixtures/lint/<case>/{input, expected}`: `secretmask lint input` run in the case folder,
//! its whole stdout, stderr and exit code compared with `expected`.

use crate::support::{assert_matches_file, cases, secretmask, transcript};

#[test]
fn lint_fixtures() {
    let cases = cases("lint");
    assert!(cases.len() >= 25, "fixtures/lint has {} cases", cases.len());
    for case in cases {
        let output = secretmask()
            .current_dir(&case)
            .args(["lint", "input"])
            .output()
            .unwrap();
        assert_matches_file(&case.join("expected"), &transcript(&output));
    }
}

/// Every rule of the table has a fixture named after it.
#[test]
fn every_rule_has_a_fixture() {
    let names: Vec<String> = cases("lint")
        .iter()
        .map(|c| c.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for rule in secretmask::lint::RULES {
        assert!(
            names.iter().any(|n| n == rule.name),
            "no fixtures/lint/{} for {}",
            rule.name,
            rule.id
        );
    }
}
