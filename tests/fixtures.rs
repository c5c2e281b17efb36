//! `fixtures/lint/<case>/{input, expected}` and an optional `args` file: `secretmask lint input
//! [args]` run in the case folder, its whole stdout, stderr and exit code compared with
//! `expected`.

use crate::support::{assert_matches_snapshot, cases, secretmask, transcript};

#[test]
fn lint_fixtures() {
    let cases = cases("lint");
    assert!(cases.len() >= 25, "fixtures/lint has {} cases", cases.len());
    for case in cases {
        let args = std::fs::read_to_string(case.join("args")).unwrap_or_default();
        let output = secretmask()
            .current_dir(&case)
            .args(["lint", "input"])
            .args(args.split_whitespace())
            .output()
            .unwrap();
        assert_matches_snapshot(&case, &transcript(&output));
    }
}

/// Every offline rule of the table has a fixture named after it. Online rules need a store that
/// has tags, deletion, denial or versions, which the file store has not: see the next test.
#[test]
fn every_offline_rule_has_a_fixture() {
    let names: Vec<String> = cases("lint")
        .iter()
        .map(|c| c.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for rule in secretmask::lint::RULES {
        if !rule.summary.starts_with("(online)") {
            assert!(
                names.iter().any(|n| n == rule.name),
                "no fixtures/lint/{} for {}",
                rule.name,
                rule.id
            );
        }
    }
}

/// Every online rule came out of `secretmask lint --online` against a real store (moto,
/// OpenBao, the Key Vault server) in this run of the suite: the tests note each rule they read
/// in a finding (`support::findings`). It reads what the other tests left, so scripts/test runs
/// it alone after them; `cargo test` skips it.
#[test]
#[ignore = "run by scripts/test after the whole suite"]
fn every_online_rule_was_found_by_a_test_against_its_store() {
    let seen = crate::support::seen_rules();
    let missing: Vec<&str> = secretmask::lint::RULES
        .iter()
        .filter(|rule| rule.summary.starts_with("(online)"))
        .filter(|rule| !seen.join(rule.name).is_file())
        .map(|rule| rule.name)
        .collect();
    assert!(
        missing.is_empty(),
        "no test saw a finding of {missing:?} (in {})",
        seen.display()
    );
}

/// `fixtures/render/<case>/{input, secrets.yaml, expected}` and an optional `args` file:
/// `secretmask render input --secrets-file secrets.yaml [args]` run in the case folder.
#[test]
fn render_fixtures() {
    let cases = cases("render");
    assert!(
        cases.len() >= 30,
        "fixtures/render has {} cases",
        cases.len()
    );
    for case in cases {
        let args = std::fs::read_to_string(case.join("args")).unwrap_or_default();
        let output = secretmask()
            .current_dir(&case)
            .args(["render", "input", "--secrets-file", "secrets.yaml"])
            .args(args.split_whitespace())
            .output()
            .unwrap();
        if !output.status.success() {
            // A failed render writes nothing, and never shows a value.
            assert!(
                output.stdout.is_empty(),
                "{}: stdout on failure",
                case.display()
            );
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                !stderr.contains("CANARY"),
                "{}: canary leaked",
                case.display()
            );
        }
        assert_matches_snapshot(&case, &transcript(&output));
    }
}
