//! argocd-vault-plugin's placeholders and vals' references, written as their projects document
//! them, rendered from the real stores (OpenBao, moto, the Key Vault server, the file store)
//! with `--syntax`, and `secretmask migrate`'s rewrite: a migrated tree renders to the bytes the
//! original rendered to.

use std::path::Path;
use std::process::Output;

use serde_json::json;

use crate::support::bao::{self, Bao};
use crate::support::keyvault::{KeyVault, Version};
use crate::support::moto::{self, Moto};
use crate::support::secretmask;

const CANARY: &str = "CANARY-syn-41c7";

fn assert_clean(output: &Output) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains(CANARY), "{stderr}");
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "{output:?}");
    assert_clean(output);
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// The CLI pointed at moto through the environment, with its credentials.
fn aws_cli(endpoint: &str) -> assert_cmd::Command {
    let mut cmd = secretmask();
    cmd.env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", moto::ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", moto::SECRET_ACCESS_KEY);
    cmd
}

/// `secretmask migrate --from avp --avp-type vault PATH` in `dir`.
fn migrate_avp(dir: &Path, path: &str) -> Output {
    secretmask()
        .current_dir(dir)
        .args(["migrate", "--from", "avp", "--avp-type", "vault", path])
        .output()
        .unwrap()
}

/// [`migrate_avp`] of `file`, which must succeed; the file as it is after.
fn migrated_avp(dir: &Path, file: &str) -> String {
    let migrate = migrate_avp(dir, file);
    assert!(migrate.status.success(), "{migrate:?}");
    std::fs::read_to_string(dir.join(file)).unwrap()
}

/// Copies `dir`'s files into a new folder.
fn copy(dir: &Path) -> tempfile::TempDir {
    let to = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.path().join(entry.file_name())).unwrap();
        }
    }
    to
}

#[test]
fn avp_and_vals_references_render_from_openbao_as_native_masks_do_and_migrate_to_them() {
    let Some((address, token)) = bao::server() else {
        return;
    };
    let bao = Bao::new(&address, &token);
    let kv = format!("kv-{}", bao::unique("syntax"));
    bao.mount_kv(&kv, 2);
    bao.put(
        &kv,
        "app/db",
        json!({"password": format!("{CANARY}-v1"), "user": "app"}),
    );
    bao.put(
        &kv,
        "app/db",
        json!({"password": format!("{CANARY}: #2"), "user": "app"}),
    );
    let dir = tempfile::tempdir().unwrap();
    // AVP's documented forms (inline path, a version) beside vals' (a fragment, `?version=`, a
    // closing `+`), and text that only looks like a placeholder.
    let b64 = |text: &str| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(text)
    };
    std::fs::write(
        dir.path().join("secret.yaml"),
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  annotations:\n    note: \"<b>rotated</b> by <placeholder>\"\ndata:\n  password: {}\nstringData:\n  user: <path:{kv}/data/app/db#user>\n  old: <path:{kv}/data/app/db#password#1>\n",
            b64(&format!("<path:{kv}/data/app/db#password>"))
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("values.yaml"),
        format!("db:\n  password: ref+vault://{kv}/app/db#/password+\n  first: \"ref+vault://{kv}/app/db?version=1#/password\"\n"),
    )
    .unwrap();
    let render = |dir: &Path, file: &str, syntax: Option<&str>| {
        let mut cmd = secretmask();
        cmd.current_dir(dir)
            .env("VAULT_ADDR", &address)
            .env("VAULT_TOKEN", &token)
            .env("ARGOCD_ENV_AVP_TYPE", "vault")
            .args(["render", file]);
        if let Some(syntax) = syntax {
            cmd.args(["--syntax", syntax]);
        }
        cmd.output().unwrap()
    };
    let secret = stdout(&render(dir.path(), "secret.yaml", Some("workato,avp")));
    assert!(
        secret.contains(&format!("  password: {}\n", b64(&format!("{CANARY}: #2")))),
        "{secret}"
    );
    assert!(secret.contains("  user: app\n"), "{secret}");
    assert!(
        secret.contains(&format!("  old: {CANARY}-v1\n")),
        "{secret}"
    );
    assert!(
        secret.contains("<b>rotated</b> by <placeholder>"),
        "{secret}"
    );
    let values = stdout(&render(dir.path(), "values.yaml", Some("vals")));
    assert_eq!(
        values,
        format!("db:\n  password: \"{CANARY}: #2\"\n  first: \"{CANARY}-v1\"\n")
    );
    // Without --syntax nothing is read: the file comes out as it is.
    let untouched = stdout(&render(dir.path(), "values.yaml", None));
    assert!(untouched.contains("ref+vault://"), "{untouched}");

    // migrate --dry-run shows the change and writes nothing.
    let migrated = copy(dir.path());
    let before = std::fs::read(migrated.path().join("secret.yaml")).unwrap();
    let diff = secretmask()
        .current_dir(migrated.path())
        .env("AVP_TYPE", "vault")
        .args(["migrate", "--from", "avp", "--dry-run"])
        .output()
        .unwrap();
    let diff = stdout(&diff);
    assert!(
        diff.starts_with("--- a/secret.yaml\n+++ b/secret.yaml\n"),
        "{diff}"
    );
    for line in [
        format!("\n-  user: <path:{kv}/data/app/db#user>\n"),
        format!("\n+  user: <<workato:vault:user:{kv}/app/db>>\n"),
    ] {
        assert!(diff.contains(&line), "{line} not in {diff}");
    }
    assert_eq!(
        std::fs::read(migrated.path().join("secret.yaml")).unwrap(),
        before
    );
    // Then in place, each syntax; the migrated files render natively to the same bytes.
    for from in ["avp", "vals"] {
        let output = secretmask()
            .current_dir(migrated.path())
            .env("AVP_TYPE", "vault")
            .args(["migrate", "--from", from])
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
    }
    let text = std::fs::read_to_string(migrated.path().join("values.yaml")).unwrap();
    assert_eq!(
        text,
        format!(
            "db:\n  password: <<workato:vault:password:{kv}/app/db>>\n  first: \"<<workato:vault:password:{kv}/app/db?version=1>>\"\n"
        )
    );
    assert_eq!(
        stdout(&render(migrated.path(), "secret.yaml", None)),
        secret
    );
    assert_eq!(
        stdout(&render(migrated.path(), "values.yaml", None)),
        values
    );
    // A migrated tree lints clean offline.
    let lint = secretmask()
        .current_dir(migrated.path())
        .arg("lint")
        .output()
        .unwrap();
    assert!(lint.status.success(), "{lint:?}");
}

#[test]
fn aws_placeholders_and_references_name_secrets_by_arn_through_moto() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let moto = Moto::new(&endpoint);
    let arn = moto.string(
        "us-east-1",
        &format!("{}/db", moto::prefix("syntax")),
        &json!({"user": "app", "password": format!("{CANARY}\"pw")}).to_string(),
        &[],
    );
    let output = aws_cli(&endpoint)
        .env("AVP_TYPE", "awssecretsmanager")
        .args(["render", "--as", "json", "--syntax", "avp,vals", "-"])
        .write_stdin(format!(
            "{{\"user\": \"<path:{arn}#user>\", \"password\": \"ref+awssecrets://{arn}?region=us-east-1#/password\"}}\n"
        ))
        .output()
        .unwrap();
    assert_eq!(
        stdout(&output),
        format!("{{\"user\": \"app\", \"password\": \"{CANARY}\\\"pw\"}}\n")
    );
}

#[test]
fn an_aws_secret_named_without_its_arn_is_looked_up_by_name_when_rendering() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let moto = Moto::new(&endpoint);
    let name = format!("{}/named", moto::prefix("syntax"));
    moto.string(
        "eu-west-1",
        &name,
        &json!({"user": "app", "password": format!("{CANARY}-named")}).to_string(),
        &[],
    );
    let template = format!(
        "user: <path:{name}#user>\npassword: ref+awssecrets://{name}?region=eu-west-1#/password\n"
    );
    let render = |region: Option<&str>, template: &str| {
        let mut cmd = aws_cli(&endpoint);
        cmd.env("AVP_TYPE", "awssecretsmanager")
            .env_remove("AWS_DEFAULT_REGION")
            .args(["render", "--as", "yaml", "--syntax", "avp,vals", "-"])
            .write_stdin(template.to_owned());
        match region {
            Some(region) => cmd.env("AWS_REGION", region),
            None => cmd.env_remove("AWS_REGION"),
        };
        cmd.output().unwrap()
    };
    // AVP's placeholder in AWS_REGION, vals' in its own ?region=.
    let output = render(Some("eu-west-1"), &template);
    assert_eq!(
        stdout(&output),
        format!("user: app\npassword: {CANARY}-named\n")
    );
    // Without a region the placeholder cannot be looked up; vals' reference still can.
    let output = render(None, &template);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("<stdin>:1:7: error: an argocd-vault-plugin placeholder names the AWS secret `{name}` without its ARN; no region says where to look it up")), "{stderr}");
    assert!(stderr.contains("error: 1 mask failed"), "{stderr}");
    // A name the store does not know is said so.
    let output = render(Some("eu-west-1"), "x: <path:no-such-secret-here#user>\n");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("DescribeSecret found no such secret in eu-west-1"),
        "{stderr}"
    );
    // `run` looks it up too, for a variable that holds the reference.
    let run = aws_cli(&endpoint)
        .env_remove("AWS_REGION")
        .env(
            "DB_PASSWORD",
            format!("ref+awssecrets://{name}?region=eu-west-1#/password"),
        )
        .args(["run", "--syntax", "vals", "--", "printenv", "DB_PASSWORD"])
        .output()
        .unwrap();
    assert!(run.status.success(), "{run:?}");
    assert_eq!(
        String::from_utf8_lossy(&run.stdout),
        format!("{CANARY}-named\n")
    );
    // lint --online and inventory --online look names up in the files they read.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("values.yaml"), &template).unwrap();
    let online = |args: &[&str]| {
        secretmask()
            .current_dir(dir.path())
            .env("AWS_ENDPOINT_URL", &endpoint)
            .env("AWS_ACCESS_KEY_ID", moto::ACCESS_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", moto::SECRET_ACCESS_KEY)
            .env("AWS_REGION", "eu-west-1")
            .env("AVP_TYPE", "awssecretsmanager")
            .args(args)
            .args(["--syntax", "avp,vals", "--online", "values.yaml"])
            .output()
            .unwrap()
    };
    let lint = online(&["lint", "--format", "json"]);
    assert!(lint.status.success(), "{lint:?}");
    assert!(lint.stdout.is_empty(), "{lint:?}");
    let inventory = online(&["inventory", "--format", "csv"]);
    let csv = stdout(&inventory);
    let arn_prefix = format!("sm,arn:aws:secretsmanager:eu-west-1:123456789012:secret:{name}-");
    assert_eq!(csv.matches(&arn_prefix).count(), 2, "{csv}");
    // And in what they read from stdin, read once: looked up first, then linted.
    let from_stdin = |command: &str, format: &str| {
        secretmask()
            .env("AWS_ENDPOINT_URL", &endpoint)
            .env("AWS_ACCESS_KEY_ID", moto::ACCESS_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", moto::SECRET_ACCESS_KEY)
            .env("AWS_REGION", "eu-west-1")
            .env("AVP_TYPE", "awssecretsmanager")
            .args([
                command, "--format", format, "--syntax", "avp,vals", "--online", "-",
            ])
            .write_stdin(template.clone())
            .output()
            .unwrap()
    };
    let lint = from_stdin("lint", "json");
    assert!(lint.status.success(), "{lint:?}");
    assert!(lint.stdout.is_empty(), "{lint:?}");
    let csv = stdout(&from_stdin("inventory", "csv"));
    assert_eq!(csv.matches(&arn_prefix).count(), 2, "{csv}");
    assert!(csv.contains(",<stdin>,1,7\n"), "{csv}");
    // Offline, lint says a render would look it up.
    let lint = secretmask()
        .env("AVP_TYPE", "awssecretsmanager")
        .args(["lint", "--syntax", "avp", "-"])
        .write_stdin(template.clone())
        .output()
        .unwrap();
    assert_eq!(lint.status.code(), Some(1), "{lint:?}");
    assert!(String::from_utf8_lossy(&lint.stdout).contains("render looks a name up"));
}

#[test]
fn key_vault_placeholders_name_a_vault_and_a_secret_through_the_test_server() {
    let kv = KeyVault::start("client-secret-syn");
    kv.set(
        "db-login",
        Version::new(&format!(r#"{{"username": "app", "password": "{CANARY}"}}"#)),
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.yaml"),
        format!(
            "{}syntax: [workato, avp, vals]\n",
            kv.config("client-secret", &["corp-kv.vault.azure.net"])
        ),
    )
    .unwrap();
    let output = secretmask()
        .current_dir(dir.path())
        .envs(kv.env())
        .env("AVP_TYPE", "azurekeyvault")
        .args(["render", "--as", "env", "--config", "config.yaml", "-"])
        .write_stdin("LOGIN='<path:corp-kv#db-login>'\nUSER=ref+azurekeyvault://corp-kv/db-login#/username\n")
        .output()
        .unwrap();
    assert_eq!(
        stdout(&output),
        format!("LOGIN='{{\"username\": \"app\", \"password\": \"{CANARY}\"}}'\nUSER=app\n")
    );
}

#[test]
fn online_lint_and_inventory_place_findings_at_the_reference() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("secrets.yaml"), "kv/app:\n  user: u\n").unwrap();
    std::fs::write(
        dir.path().join("values.yaml"),
        "a: ref+vault://kv/app#/user\nb:   <path:kv/data/app#password>\n",
    )
    .unwrap();
    let lint = secretmask()
        .current_dir(dir.path())
        .args([
            "lint",
            "values.yaml",
            "--online",
            "--secrets-file",
            "secrets.yaml",
        ])
        .args([
            "--syntax",
            "vals,avp",
            "--avp-type",
            "vault",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(lint.status.code(), Some(1), "{lint:?}");
    let finding: serde_json::Value = serde_json::from_slice(&lint.stdout).unwrap();
    assert_eq!(
        (&finding["line"], &finding["column"], &finding["name"]),
        (&json!(2), &json!(6), &json!("key-missing"))
    );
    let inventory = secretmask()
        .current_dir(dir.path())
        .args(["inventory", "values.yaml", "--format", "csv"])
        .args(["--syntax", "vals,avp", "--avp-type", "vault"])
        .output()
        .unwrap();
    let csv = stdout(&inventory);
    assert!(csv.contains(",user,,values.yaml,1,4\n"), "{csv}");
    assert!(csv.contains(",password,,values.yaml,2,6\n"), "{csv}");
}

#[test]
fn migrate_names_what_has_no_native_form_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let fine = "a: <path:kv/data/app#user>\n";
    let broken = "b: <path:kv/data/app#pw | base64encode>\nc: <path:kv/data/app#pw\n";
    std::fs::write(dir.path().join("fine.yaml"), fine).unwrap();
    std::fs::write(dir.path().join("broken.yaml"), broken).unwrap();
    let output = migrate_avp(dir.path(), ".");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("broken.yaml:1:4: error[SM045]"), "{stderr}");
    assert!(stderr.contains("`base64encode`"), "{stderr}");
    assert!(stderr.contains("broken.yaml:2:4: error[SM042]"), "{stderr}");
    assert!(
        stderr.contains("2 references cannot be written as masks; nothing was migrated"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("fine.yaml")).unwrap(),
        fine
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("broken.yaml")).unwrap(),
        broken
    );
    // Without AVP_TYPE the store of a placeholder is unknown: named, not guessed.
    let output = secretmask()
        .current_dir(dir.path())
        .env_remove("AVP_TYPE")
        .env_remove("ARGOCD_ENV_AVP_TYPE")
        .args(["migrate", "--from", "avp", "fine.yaml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("[SM043]"));
}

#[test]
fn base64encode_is_read_as_the_whole_value_of_a_secrets_data_and_refused_elsewhere() {
    use base64::Engine;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("secrets.yaml"),
        format!("secret/app:\n  pw: \"{CANARY}: 1\"\n"),
    )
    .unwrap();
    let secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: <path:secret/data/app#pw | base64encode>\n";
    std::fs::write(dir.path().join("secret.yaml"), secret).unwrap();
    let render = |file: &str, syntax: &[&str]| {
        secretmask()
            .current_dir(dir.path())
            .args([
                "render",
                file,
                "--secrets-file",
                "secrets.yaml",
                "--avp-type",
                "vault",
            ])
            .args(syntax)
            .output()
            .unwrap()
    };
    let rendered = stdout(&render("secret.yaml", &["--syntax", "avp"]));
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{CANARY}: 1"));
    assert_eq!(
        rendered,
        secret.replace("<path:secret/data/app#pw | base64encode>", &encoded)
    );
    // Migrated, it is a base64 mask in data, which renders to the same bytes natively.
    let migrated = migrated_avp(dir.path(), "secret.yaml");
    let mask = base64::engine::general_purpose::STANDARD.encode("<<workato:vault:pw:secret/app>>");
    assert!(
        migrated.contains(&format!("  password: {mask}\n")),
        "{migrated}"
    );
    assert_eq!(stdout(&render("secret.yaml", &[])), rendered);
    // In a ConfigMap the modifier has no native form.
    std::fs::write(
        dir.path().join("config.yaml"),
        "kind: ConfigMap\ndata:\n  password: <path:secret/data/app#pw | base64encode>\n",
    )
    .unwrap();
    let refused = render("config.yaml", &["--syntax", "avp"]);
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    assert!(refused.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("config.yaml:3:13: error: an argocd-vault-plugin placeholder secretmask cannot read exactly: the modifier `base64encode`"), "{stderr}");
}

/// AVP's bare `<KEY>` placeholders, in an object that names their secret in its
/// `avp.kubernetes.io/path` annotation (and a version in `avp.kubernetes.io/secret-version`);
/// the same text in another object stays text. Migrated, they are masks that render alike.
#[test]
fn bare_placeholders_read_their_path_from_the_objects_annotation() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("secrets.yaml"),
        "secret/app?version=2:\n  username: app\n  password: p4ss-w0rd\n",
    )
    .unwrap();
    let manifests = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  annotations:\n    avp.kubernetes.io/path: secret/data/app\n    avp.kubernetes.io/secret-version: \"2\"\nstringData:\n  url: postgres://<username>:<password>@db:5432\n  password: <password>\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: page\ndata:\n  html: <b>bold</b> <password>\n";
    std::fs::write(dir.path().join("app.yaml"), manifests).unwrap();
    let render = |syntax: &[&str]| {
        secretmask()
            .current_dir(dir.path())
            .args([
                "render",
                "app.yaml",
                "--secrets-file",
                "secrets.yaml",
                "--avp-type",
                "vault",
            ])
            .args(syntax)
            .output()
            .unwrap()
    };
    let rendered = stdout(&render(&["--syntax", "workato,avp"]));
    assert_eq!(
        rendered,
        manifests
            .replace(
                "postgres://<username>:<password>@db",
                "postgres://app:p4ss-w0rd@db"
            )
            .replace("  password: <password>\n", "  password: p4ss-w0rd\n")
    );
    let migrated = migrated_avp(dir.path(), "app.yaml");
    assert!(
        migrated.contains("  password: <<workato:vault:password:secret/app?version=2>>\n"),
        "{migrated}"
    );
    assert!(
        migrated.contains("html: <b>bold</b> <password>"),
        "{migrated}"
    );
    assert_eq!(stdout(&render(&[])), rendered);
}

/// `| jsonParse` places the JSON a value holds where the placeholder is a whole YAML value or a
/// JSON value outside a string, as argocd-vault-plugin replaces the node: PyYAML (YAML 1.1),
/// ruamel (YAML 1.2) and Python's json read back the very structure the secret's text is.
/// Where its type cannot stand (in quotes, inside text, in TOML) or the text is not JSON, the
/// render is refused at the placeholder, naming the type, and nothing is written.
#[test]
fn json_parse_places_the_json_a_value_holds_where_the_placeholder_is_the_whole_value() {
    let Some(python) = crate::support::tool("SECRETMASK_TEST_PYTHON") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        r#"{{"b": [1, 2.5e3, "x y", true, null, -0, 1e-7], "a": {{"n": "\u00e9: #x", "q": "it's \"q\" \\ {CANARY}", "e": {{}}, "l": []}}, "big": 12345678901234567890123, "yes": "yes", "k: ey": "007\n"}}"#
    );
    let secrets = json!({
        "secret/app": {
            "config": config,
            "list": "[1, \"two\", [3]]",
            "num": "1e2",
            "str": "\"plain: text\"",
            "bad": format!("not json {CANARY}"),
        }
    });
    std::fs::write(dir.path().join("secrets.json"), secrets.to_string()).unwrap();
    let render = |file: &str, text: &str| {
        std::fs::write(dir.path().join(file), text).unwrap();
        secretmask()
            .current_dir(dir.path())
            .args(["render", file, "--syntax", "avp", "--avp-type", "vault"])
            .args(["--secrets-file", "secrets.json"])
            .output()
            .unwrap()
    };
    let yaml = render(
        "app.yaml",
        "config: <path:secret/data/app#config | jsonParse>\nitems:\n  - <path:secret/data/app#list | jsonParse>\nflow: [<path:secret/data/app#list | jsonParse>, x]\nn: <path:secret/data/app#num | jsonParse>\ns: <path:secret/data/app#str | jsonParse>\nq: \"<path:secret/data/app#str | jsonParse>\"\n",
    );
    let json = render(
        "app.json",
        "{\"config\": <path:secret/data/app#config | jsonParse>, \"n\": <path:secret/data/app#num | jsonParse>, \"s\": \"<path:secret/data/app#str | jsonParse>\"}\n",
    );
    // What the secret's JSON is, as Python's json reads it.
    let list = "[1, \"two\", [3]]";
    let expected_yaml = format!(
        r#"{{"config": {config}, "items": [{list}], "flow": [{list}, "x"], "n": 1e2, "s": "plain: text", "q": "plain: text"}}"#
    );
    let expected_json = format!(r#"{{"config": {config}, "n": 1e2, "s": "plain: text"}}"#);
    // Each reader's document as JSON, numbers as floats where the reader makes them floats.
    let read = |reader: &str, text: String| -> serde_json::Value {
        let script = format!(
            "import json, sys, yaml\nfrom ruamel.yaml import YAML\ntext = sys.stdin.read()\nreaders = {{'yaml11': lambda t: yaml.safe_load(t), 'yaml12': lambda t: YAML(typ='safe', pure=True).load(t), 'json': json.loads}}\nprint(json.dumps(readers['{reader}'](text)))\n"
        );
        let mut child = std::process::Command::new(&python)
            .args(["-c", &script])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{reader}: {out:?}");
        serde_json::from_slice(&out.stdout).unwrap()
    };
    // Integers stay integers (the big one whole), floats floats, `-0` the integer 0.
    let expected_yaml = read("json", expected_yaml);
    let yaml = stdout(&yaml);
    let json = stdout(&json);
    for reader in ["yaml11", "yaml12"] {
        assert_eq!(
            read(reader, yaml.clone()),
            expected_yaml,
            "{reader} read {yaml}"
        );
    }
    assert_eq!(read("json", json), read("json", expected_json));
    // Where the JSON type cannot stand, or the text is not JSON: refused at the placeholder.
    for (file, text, at, why) in [
        (
            "quoted.yaml",
            "a: \"<path:secret/data/app#list | jsonParse>\"\n",
            "quoted.yaml:1:5",
            "`jsonParse` gives a JSON array",
        ),
        (
            "inside.yaml",
            "a: x <path:secret/data/app#num | jsonParse>\n",
            "inside.yaml:1:6",
            "`jsonParse` gives a JSON number",
        ),
        (
            "key.yaml",
            "? <path:secret/data/app#list | jsonParse>\n: v\n",
            "key.yaml:1:3",
            "the value would change the document's structure",
        ),
        (
            "string.json",
            "{\"a\": \"<path:secret/data/app#config | jsonParse>\"}\n",
            "string.json:1:8",
            "`jsonParse` gives a JSON object",
        ),
        (
            "app.toml",
            "a = <path:secret/data/app#num | jsonParse>\n",
            "app.toml:1:5",
            "`jsonParse` gives a JSON number",
        ),
        (
            "bad.yaml",
            "a: <path:secret/data/app#bad | jsonParse>\n",
            "bad.yaml:1:4",
            "the value of key `bad` is not JSON text",
        ),
    ] {
        let refused = render(file, text);
        assert_eq!(refused.status.code(), Some(1), "{file}: {refused:?}");
        assert!(refused.stdout.is_empty(), "{file}");
        assert_clean(&refused);
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(
            stderr.contains(&format!("{at}: error: {why}")),
            "{file}: {stderr}"
        );
    }
    // No native mask writes it: migrate names it and leaves the file.
    let before = std::fs::read(dir.path().join("app.yaml")).unwrap();
    let migrate = migrate_avp(dir.path(), "app.yaml");
    assert_eq!(migrate.status.code(), Some(1), "{migrate:?}");
    assert!(
        String::from_utf8_lossy(&migrate.stderr)
            .contains("app.yaml:1:9: error[SM045]: an argocd-vault-plugin placeholder secretmask cannot read exactly: the modifier `jsonParse`")
    );
    assert_eq!(std::fs::read(dir.path().join("app.yaml")).unwrap(), before);
}
