//! `secretmask inventory`: every secret a tree references and where, grouped as the stores
//! identify secrets; JSON checked against its published schema, CSV read back by Python's
//! `csv`, and `--secret` exiting as grep does so a rotation can gate on it.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::support::{root, secretmask, tool};

const FULL: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf";
const PARTIAL: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app";
const KV: &str = "https://corp-kv.vault.azure.net/secrets/token";

/// A tree whose masks name four secrets six ways.
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("deploy")).unwrap();
    fs::write(
        dir.path().join("app.yaml"),
        format!(
            "db: {{{{workato:vault:password:kv/app/db?version=2}}}}\nuser: {{{{workato:vault:user:kv/app/db}}}}\napi: \"{{{{workato:sm:key:{PARTIAL}}}}}\"\n"
        ),
    )
    .unwrap();
    fs::write(
        dir.path().join("deploy/values.env"),
        format!(
            "API={{{{workato:sm:key:{FULL}}}}}\nTOKEN=<<workato:akv::{KV}/0123456789abcdef0123456789abcdef>>\nOTHER={{{{workato:vault:x:kv/app/other}}}}\n"
        ),
    )
    .unwrap();
    dir
}

fn inventory(dir: &Path, args: &[&str]) -> std::process::Output {
    secretmask()
        .current_dir(dir)
        .arg("inventory")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn every_secret_is_listed_once_with_every_reference() {
    let dir = tree();
    let output = inventory(dir.path(), &[]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!(
            "sm {FULL} (2 references)
  app.yaml:3:7  key key, as {PARTIAL}
  deploy/values.env:1:5  key key
vault kv/app/db (2 references)
  app.yaml:1:5  key password, version 2
  app.yaml:2:7  key user
vault kv/app/other (1 reference)
  deploy/values.env:3:7  key x
akv {KV} (1 reference)
  deploy/values.env:2:7  version 0123456789abcdef0123456789abcdef
"
        )
    );
    // stdin, named as lint names it.
    let output = secretmask()
        .args(["inventory", "-", "--stdin-filename", "in.yaml"])
        .write_stdin("a: {{workato:vault:k:kv/app/db}}\n")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "vault kv/app/db (1 reference)\n  in.yaml:1:4  key k\n"
    );
}

#[test]
fn the_json_document_follows_its_published_schema() {
    let dir = tree();
    let output = inventory(dir.path(), &["--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(document["version"], 1);
    let secrets = document["secrets"].as_array().unwrap();
    assert_eq!(secrets.len(), 4);
    assert_eq!(secrets[1]["store"], "vault");
    assert_eq!(secrets[1]["secret"], "kv/app/db");
    assert_eq!(
        secrets[1]["references"][0],
        serde_json::json!({"path": "app.yaml", "line": 1, "column": 5, "key": "password", "version": "2", "locator": "kv/app/db?version=2"})
    );
    assert_eq!(
        secrets[1]["references"][1]["version"],
        serde_json::Value::Null
    );
    let Some(python) = tool("SECRETMASK_TEST_PYTHON") else {
        return;
    };
    let report = dir.path().join("inventory.json");
    fs::write(&report, &output.stdout).unwrap();
    let checked = Command::new(python)
        .args([
            "-c",
            "import json, sys, jsonschema; jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))",
        ])
        .arg(root().join("doc/inventory.schema.json"))
        .arg(&report)
        .output()
        .unwrap();
    assert!(checked.status.success(), "{checked:?}");
}

#[test]
fn csv_has_a_row_per_reference_as_python_reads_it() {
    let dir = tree();
    // A path with a comma and a quote is quoted as CSV quotes it.
    fs::write(
        dir.path().join("odd, \"name\".yaml"),
        "a: {{workato:vault:k:kv/app/odd}}\n",
    )
    .unwrap();
    let output = inventory(dir.path(), &["--format", "csv"]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let Some(python) = tool("SECRETMASK_TEST_PYTHON") else {
        return;
    };
    let file = dir.path().join("inventory.csv");
    fs::write(&file, &output.stdout).unwrap();
    let read = Command::new(python)
        .args([
            "-c",
            "import csv, json, sys; print(json.dumps(list(csv.DictReader(open(sys.argv[1], newline='')))))",
        ])
        .arg(&file)
        .output()
        .unwrap();
    assert!(read.status.success(), "{read:?}");
    let rows: Vec<std::collections::BTreeMap<String, String>> =
        serde_json::from_slice(&read.stdout).unwrap();
    assert_eq!(rows.len(), 7);
    let row = |path: &str, line: &str| {
        rows.iter()
            .find(|r| r["path"] == path && r["line"] == line)
            .unwrap_or_else(|| panic!("no row {path}:{line} in {rows:?}"))
    };
    let db = row("app.yaml", "1");
    assert_eq!(
        (
            &*db["store"],
            &*db["secret"],
            &*db["key"],
            &*db["version"],
            &*db["column"]
        ),
        ("vault", "kv/app/db", "password", "2", "5")
    );
    assert_eq!(row("odd, \"name\".yaml", "1")["secret"], "kv/app/odd");
}

/// grep's codes: 0 some reference, 1 none, 2 an error; a partial ARN, a path with or without
/// a version select the same secret.
#[test]
fn secret_selects_references_and_exits_as_grep_does() {
    let dir = tree();
    for (args, code, listed) in [
        (
            &["--secret", "kv/app/db"][..],
            0,
            "vault kv/app/db (2 references)",
        ),
        (&["--secret", "kv/app/db?version=7"], 0, "vault kv/app/db"),
        (&["--secret", PARTIAL], 0, FULL),
        (&["--secret", FULL], 0, FULL),
        (&["--secret", KV], 0, KV),
        (&["--secret", "kv/app/gone"], 1, ""),
        (
            &["--secret", "kv/app/gone", "--secret", "kv/app/other"],
            0,
            "kv/app/other",
        ),
    ] {
        let output = inventory(dir.path(), args);
        assert_eq!(output.status.code(), Some(code), "{args:?}: {output:?}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains(listed), "{args:?}: {stdout}");
        if code == 1 {
            assert_eq!(stdout, "");
        }
    }
    let output = inventory(dir.path(), &["--secret", "kv/app/other"]);
    assert!(!String::from_utf8_lossy(&output.stdout).contains("kv/app/db"));
    // A locator that is none: a usage error.
    let output = inventory(dir.path(), &["--secret", "kv"]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    // A broken mask might be a reference: the gate says "error", never "none".
    fs::write(
        dir.path().join("broken.yaml"),
        "a: {{workato:vault:k:kv/app/gone\n",
    )
    .unwrap();
    let output = inventory(dir.path(), &["--secret", "kv/app/gone"]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("broken.yaml:1:4: error[SM001]"), "{stderr}");
    // Without --secret, the rest is still listed and the exit says a mask is broken.
    let output = inventory(dir.path(), &[]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("kv/app/db"));
}

/// `--online` on the file store: what it can say (nothing but existence), and a secret it does
/// not hold is named with the store's reason; never a value.
#[test]
fn online_names_what_the_store_cannot_describe_and_never_a_value() {
    let dir = tree();
    fs::write(
        dir.path().join("secrets.yaml"),
        format!("kv/app/db: {{password: canary-inventory-p, user: u}}\n{FULL}: {{key: canary-inventory-k}}\n"),
    )
    .unwrap();
    let output = inventory(
        dir.path(),
        &[
            "--online",
            "--secrets-file",
            "secrets.yaml",
            "--format",
            "json",
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let secrets = document["secrets"].as_array().unwrap();
    assert!(secrets[0]["metadata"].is_object(), "{document}");
    assert_eq!(secrets[2]["secret"], "kv/app/other");
    assert!(
        secrets[2]["error"]
            .as_str()
            .unwrap()
            .contains("does not exist")
            || secrets[2]["error"].as_str().unwrap().contains("not found"),
        "{document}"
    );
    for text in [&output.stdout, &output.stderr] {
        assert!(!String::from_utf8_lossy(text).contains("canary-inventory"));
    }
}
