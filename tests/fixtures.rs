//! `fixtures/lint/<case>/{input, expected}` and an optional `args` file: `secretmask lint input
//! [args]` run in the case folder, its whole stdout, stderr and exit code compared with
//! `expected`.

use crate::support::{assert_matches_file, cases, secretmask, transcript};

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
        assert_matches_file(&case.join("expected"), &transcript(&output));
    }
}

/// Every rule of the table has a fixture named after it, or, for an online rule the file store
/// cannot show (tags, deletion, denial, an unreachable store), a test against a real server
/// that names it.
#[test]
fn every_rule_has_a_fixture() {
    let names: Vec<String> = cases("lint")
        .iter()
        .map(|c| c.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let server_tests: String = ["tests/aws.rs", "tests/vault.rs", "tests/azure.rs"]
        .iter()
        .map(|f| std::fs::read_to_string(crate::support::root().join(f)).unwrap())
        .collect();
    for rule in secretmask::lint::RULES {
        let online = rule.summary.starts_with("(online)");
        assert!(
            names.iter().any(|n| n == rule.name) || (online && server_tests.contains(rule.name)),
            "no fixtures/lint/{} for {}",
            rule.name,
            rule.id
        );
    }
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
        assert_matches_file(&case.join("expected"), &transcript(&output));
    }
}
