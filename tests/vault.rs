//! HashiCorp Vault KV v2 through vaultrs against a real OpenBao server on 127.0.0.1, with the
//! proxy of `support::proxy` in front where a call count or a stall is needed.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::bao::{self, AppRole, Bao, OwnServer};
use crate::support::proxy::{Fault, Proxy};
use crate::support::secretmask;

/// Every secret value planted here starts with this: it must appear in no error or log.
const CANARY: &str = "CANARY-9b2c";

/// No canary value, token or secret_id in `text`.
fn assert_clean(what: &str, text: &[u8], also: &[&str]) {
    let text = String::from_utf8_lossy(text);
    for needle in [CANARY].iter().chain(also) {
        assert!(!text.contains(needle), "{what} holds `{needle}`:\n{text}");
    }
}

/// The CLI with the Vault environment of `address` and, if given, `token`.
fn cli(address: &str, token: Option<&str>) -> assert_cmd::Command {
    let mut cmd = secretmask();
    cmd.env("VAULT_ADDR", address)
        .env_remove("VAULT_TOKEN")
        .env_remove("VAULT_ROLE_ID")
        .env_remove("VAULT_SECRET_ID")
        .env_remove("VAULT_NAMESPACE")
        .env_remove("VAULT_CACERT")
        .env("HOME", "/nonexistent");
    if let Some(token) = token {
        cmd.env("VAULT_TOKEN", token);
    }
    cmd
}

/// A config that logs in with `role`, its ids in files beside it.
fn approle_config(dir: &Path, role: &AppRole, secret_id: &str, extra: &str) {
    std::fs::write(dir.join("role-id"), &role.role_id).unwrap();
    std::fs::write(dir.join("secret-id"), secret_id).unwrap();
    std::fs::write(
        dir.join("config.yaml"),
        format!(
            "vault:\n  approle:\n    mount: {}\n    role_id_file: role-id\n    secret_id_file: secret-id\n{extra}",
            role.mount
        ),
    )
    .unwrap();
}

#[test]
fn renders_versions_nested_mounts_and_non_string_values_with_a_token() {
    let Some((address, token)) = bao::server() else {
        return;
    };
    let bao = Bao::new(&address, &token);
    let u = bao::unique("render");
    let (kv, nested) = (format!("kv-{u}"), format!("team-{u}/kv"));
    bao.mount_kv(&kv, 2);
    bao.mount_kv(&nested, 2);
    bao.put(&kv, "app/db", json!({"password": format!("{CANARY}-v1")}));
    bao.put(
        &kv,
        "app/db",
        json!({"password": "p\"w: #2", "port": 5432, "flags": {"a": true}}),
    );
    bao.put(&nested, "deep/app", json!({"token": "nested-token"}));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.yaml"),
        format!("vault:\n  mounts: [{nested}]\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("app.yaml.tpl"),
        format!(
            "password: \"{{{{workato:vault:password:{kv}/app/db}}}}\"\n\
             port: <<workato:vault:port:{kv}/app/db?version=2>>\n\
             flags: '{{{{workato:vault:flags:{kv}/app/db}}}}'\n\
             token: {{{{workato:vault:token:{nested}/deep/app}}}}\n"
        ),
    )
    .unwrap();
    for log in [
        None,
        Some("trace"),
        Some("debug"),
        Some("info"),
        Some("vaultrs=trace,rustify=trace,reqwest=trace,hyper=trace"),
    ] {
        let mut cmd = cli(&address, Some(&token));
        if let Some(level) = log {
            cmd.env("RUST_LOG", level);
        }
        let output = cmd
            .current_dir(dir.path())
            .args(["render", "app.yaml.tpl", "--config", "config.yaml"])
            .output()
            .unwrap();
        assert_clean("stderr", &output.stderr, &[&token, "p\\\"w: #2"]);
        assert!(output.status.success(), "{output:?}");
        assert_eq!(
            String::from_utf8(output.stdout).unwrap(),
            "password: \"p\\\"w: #2\"\nport: 5432\nflags: '{\"a\":true}'\ntoken: nested-token\n"
        );
    }
}

#[test]
fn approle_logs_in_once_and_reads_each_path_once() {
    let Some((address, token)) = bao::server() else {
        return;
    };
    let bao = Bao::new(&address, &token);
    let u = bao::unique("approle");
    let kv = format!("kv-{u}");
    bao.mount_kv(&kv, 2);
    let mut template = String::new();
    for p in 0..30 {
        let data: serde_json::Map<String, serde_json::Value> = (0..10)
            .map(|k| (format!("k{k}"), format!("{CANARY}-{p}-{k}").into()))
            .collect();
        bao.put(&kv, &format!("app/s{p}"), data.into());
        for k in 0..10 {
            template.push_str(&format!(
                "p{p}k{k}: {{{{workato:vault:k{k}:{kv}/app/s{p}}}}}\n"
            ));
        }
    }
    let role = bao.approle(
        &u,
        &format!("path \"{kv}/data/*\" {{ capabilities = [\"read\"] }}"),
    );
    let dir = tempfile::tempdir().unwrap();
    approle_config(dir.path(), &role, &role.secret_id, "");
    let proxy = Proxy::start(&address, Fault::None);
    let output = cli(&proxy.url, None)
        .current_dir(dir.path())
        .env("RUST_LOG", "trace")
        .args(["render", "--as", "yaml", "--config", "config.yaml"])
        .write_stdin(template)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_clean("stderr", &output.stderr, &[&role.secret_id, &token]);
    assert_eq!(String::from_utf8_lossy(&output.stdout).lines().count(), 300);
    let read_prefix = format!("GET /v1/{kv}/data/");
    assert_eq!(proxy.count_where(|c| c.starts_with(&read_prefix)), 30);
    assert_eq!(
        proxy.count(&format!("POST /v1/auth/{}/login", role.mount)),
        1
    );
}

#[test]
fn every_failure_names_each_mask_and_writes_nothing() {
    let Some((address, token)) = bao::server() else {
        return;
    };
    let bao = Bao::new(&address, &token);
    let u = bao::unique("failures");
    let (kv, v1) = (format!("kv-{u}"), format!("kv1-{u}"));
    bao.mount_kv(&kv, 2);
    bao.mount_kv(&v1, 1);
    bao.put(&kv, "app", json!({"present": format!("{CANARY}-1")}));
    bao.put(&kv, "private/app", json!({"k": format!("{CANARY}-2")}));
    for version in 1..=3 {
        bao.put(
            &kv,
            "versions",
            json!({"k": format!("{CANARY}-v{version}")}),
        );
    }
    bao.delete_version(&kv, "versions", 1);
    bao.destroy_version(&kv, "versions", 2);
    bao.put_v1(&v1, "app", &[("k", CANARY)]);
    let role = bao.approle(
        &u,
        &format!(
            "path \"{kv}/data/*\" {{ capabilities = [\"read\"] }}\n\
             path \"{kv}/metadata/*\" {{ capabilities = [\"read\"] }}\n\
             path \"{kv}/data/private/*\" {{ capabilities = [\"deny\"] }}\n\
             path \"{v1}/*\" {{ capabilities = [\"read\"] }}\n"
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    approle_config(dir.path(), &role, &role.secret_id, "");
    std::fs::write(
        dir.path().join("app.yaml.tpl"),
        format!(
            "a: {{{{workato:vault:absent:{kv}/app}}}}\n\
             b: {{{{workato:vault:k:{kv}/private/app}}}}\n\
             c: {{{{workato:vault:k:{kv}/missing}}}}\n\
             d: {{{{workato:vault:k:{kv}/versions?version=1}}}}\n\
             e: {{{{workato:vault:k:{kv}/versions?version=2}}}}\n\
             f: {{{{workato:vault:k:{v1}/app}}}}\n\
             g: {{{{workato:vault:k:{kv}/versions?version=3}}}}\n"
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join("app.yaml"), "old: target\n").unwrap();
    let output = cli(&address, None)
        .current_dir(dir.path())
        .env("RUST_LOG", "trace")
        .args([
            "render",
            "app.yaml.tpl",
            "-o",
            "app.yaml",
            "--config",
            "config.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(output.stdout.is_empty());
    assert_clean("stderr", &output.stderr, &[&role.secret_id, &token]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    for expected in [
        format!(
            "app.yaml.tpl:1:4: error: key `absent` is not in the secret (it has `present`)\n    secret: {kv}/app\n"
        ),
        format!(
            "app.yaml.tpl:2:4: error: access denied: permission denied (403)\n    secret: {kv}/private/app\n"
        ),
        format!("app.yaml.tpl:3:4: error: secret not found\n    secret: {kv}/missing\n"),
        "app.yaml.tpl:4:4: error: version 1 was deleted on ".to_owned(),
        format!(
            "app.yaml.tpl:5:4: error: version 2 was destroyed\n    secret: {kv}/versions?version=2\n"
        ),
        format!(
            "app.yaml.tpl:6:4: error: `{v1}` is a KV version 1 mount; only KV version 2 is supported\n"
        ),
        "error: 6 masks failed; nothing was written".to_owned(),
    ] {
        assert!(stderr.contains(&expected), "no `{expected}` in:\n{stderr}");
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("app.yaml")).unwrap(),
        "old: target\n"
    );

    // Wrong AppRole credentials: the login fails once, for every mask.
    approle_config(
        dir.path(),
        &role,
        "00000000-0000-0000-0000-000000000000",
        "",
    );
    let output = cli(&address, None)
        .current_dir(dir.path())
        .args(["render", "app.yaml.tpl", "--config", "config.yaml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Said in full once; the other six masks point at it.
    assert_eq!(
        stderr
            .matches(&format!(
                "error: login failed: AppRole login at `auth/{}` refused the role_id and secret_id",
                role.mount
            ))
            .count(),
        1,
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("error: the same failure as at ").count(),
        6,
        "{stderr}"
    );
}

#[test]
fn a_sealed_vault_is_named_and_an_unsealed_one_serves_again() {
    let token = "canary-own-root-token";
    let Some(own) = OwnServer::start(token, None) else {
        return;
    };
    let bao = Bao::new(&own.address, token);
    bao.put("secret", "app", json!({"k": "value"}));
    let render = || {
        cli(&own.address, Some(token))
            .args(["render", "--as", "yaml"])
            .write_stdin("a: {{workato:vault:k:secret/app}}\n")
            .output()
            .unwrap()
    };
    bao.seal();
    let sealed = render();
    assert_eq!(sealed.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&sealed.stderr);
    assert!(
        stderr.contains("<stdin>:1:4: error: the store is sealed (503)"),
        "{stderr}"
    );
    assert_clean("stderr", &sealed.stderr, &[token]);
    bao.unseal(&own.unseal_key);
    let unsealed = render();
    assert!(unsealed.status.success(), "{unsealed:?}");
    assert_eq!(unsealed.stdout, b"a: value\n");
}

#[test]
fn no_address_is_guessed_the_message_says_how_to_set_one() {
    let mut cmd = cli("", Some("canary-token-unset-address"));
    let output = cmd
        .env_remove("VAULT_ADDR")
        .args(["render", "--as", "yaml"])
        .write_stdin("a: {{workato:vault:k:secret/app}}\n")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no Vault address is set: export VAULT_ADDR"),
        "{stderr}"
    );
    assert_clean("stderr", &output.stderr, &["canary-token-unset-address"]);
}

#[test]
fn a_refused_connection_and_a_stall_fail_clearly() {
    let Some((address, token)) = bao::server() else {
        return;
    };
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let stall = Proxy::start(&address, Fault::Stall);
    for (at, reason) in [
        (closed.as_str(), "error: cannot reach the store: "),
        (stall.url.as_str(), "error: timed out"),
    ] {
        let started = Instant::now();
        let output = cli(at, Some(&token))
            .args(["render", "--as", "yaml", "--timeout", "2s"])
            .write_stdin("a: {{workato:vault:k:secret/app}}\n")
            .output()
            .unwrap();
        assert!(started.elapsed() < Duration::from_secs(10));
        assert_eq!(output.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(reason), "no `{reason}` in:\n{stderr}");
        assert_clean("stderr", &output.stderr, &[&token]);
    }
}

#[test]
fn online_lint_checks_paths_versions_keys_and_custom_metadata() {
    let Some((address, token)) = bao::server() else {
        return;
    };
    let bao = Bao::new(&address, &token);
    let u = bao::unique("online");
    let kv = format!("kv-{u}");
    bao.mount_kv(&kv, 2);
    bao.put(&kv, "tagged", json!({"password": CANARY}));
    bao.custom_metadata(&kv, "tagged", &[("owner", "payments")]);
    bao.put(&kv, "untagged", json!({"password": CANARY}));
    bao.put(&kv, "private/app", json!({"password": CANARY}));
    for _ in 0..2 {
        bao.put(&kv, "versions", json!({"k": CANARY}));
    }
    bao.delete_version(&kv, "versions", 1);
    bao.destroy_version(&kv, "versions", 2);
    let role = bao.approle(
        &u,
        &format!(
            "path \"{kv}/data/*\" {{ capabilities = [\"read\"] }}\n\
             path \"{kv}/metadata/*\" {{ capabilities = [\"read\"] }}\n\
             path \"{kv}/data/private/*\" {{ capabilities = [\"deny\"] }}\n\
             path \"{kv}/metadata/private/*\" {{ capabilities = [\"deny\"] }}\n"
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    approle_config(
        dir.path(),
        &role,
        &role.secret_id,
        "lint:\n  require_tags:\n    vault: {owner: payments}\n",
    );
    std::fs::write(
        dir.path().join("app.yaml"),
        format!(
            "a: {{{{workato:vault:password:{kv}/tagged}}}}\n\
             b: {{{{workato:vault:passwd:{kv}/tagged}}}}\n\
             c: {{{{workato:vault:password:{kv}/untagged}}}}\n\
             d: {{{{workato:vault:password:{kv}/private/app}}}}\n\
             e: {{{{workato:vault:k:{kv}/versions?version=1}}}}\n\
             f: {{{{workato:vault:k:{kv}/versions?version=2}}}}\n\
             g: {{{{workato:vault:k:{kv}/missing}}}}\n"
        ),
    )
    .unwrap();
    let output = cli(&address, None)
        .current_dir(dir.path())
        .args([
            "lint",
            "app.yaml",
            "--online",
            "--format",
            "json",
            "--config",
            "config.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_clean("stdout", &output.stdout, &[&role.secret_id, &token]);
    assert_clean("stderr", &output.stderr, &[&role.secret_id, &token]);
    let found = crate::support::findings(&output.stdout);
    assert_eq!(
        found,
        [
            "2:key-missing",
            "3:missing-required-tag",
            "4:access-denied",
            "5:version-deleted",
            "6:version-destroyed",
            "7:secret-not-found"
        ]
    );
}

#[test]
fn a_namespace_is_honoured() {
    let Some((address, token)) = bao::server() else {
        return;
    };
    let namespace = bao::unique("ns");
    bao::cli(&address, &token, None, &["namespace", "create", &namespace]);
    let ns = Some(namespace.as_str());
    bao::cli(
        &address,
        &token,
        ns,
        &["secrets", "enable", "-path=kv", "kv-v2"],
    );
    let mut put = None;
    for _ in 0..50 {
        let status = std::process::Command::new(std::env::var("SECRETMASK_TEST_BAO_BIN").unwrap())
            .args(["kv", "put", "kv/app", "k=in-namespace"])
            .env("BAO_ADDR", &address)
            .env("BAO_TOKEN", &token)
            .env("BAO_NAMESPACE", &namespace)
            .output()
            .unwrap()
            .status;
        if status.success() {
            put = Some(());
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(put.is_some(), "could not write into the namespace");
    let template = "a: {{workato:vault:k:kv/app}}\n";
    cli(&address, Some(&token))
        .env("VAULT_NAMESPACE", &namespace)
        .args(["render", "--as", "yaml"])
        .write_stdin(template)
        .assert()
        .success()
        .stdout("a: in-namespace\n");
    // Outside the namespace the path does not exist.
    let output = cli(&address, Some(&token))
        .args(["render", "--as", "yaml"])
        .write_stdin(template)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn a_private_ca_is_trusted_only_when_named() {
    let token = "canary-tls-root-token";
    let certs = tempfile::tempdir().unwrap();
    let Some(own) = OwnServer::start(token, Some(certs.path())) else {
        return;
    };
    let ca = certs.path().join("vault-ca.pem");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.yaml"),
        format!(
            "vault:\n  address: {}\n  ca_file: {}\n",
            own.address,
            ca.display()
        ),
    )
    .unwrap();
    let render = |config: bool| {
        let mut cmd = cli("http://127.0.0.1:1", Some(token));
        cmd.current_dir(dir.path())
            .args(["render", "--as", "yaml", "--timeout", "10s"])
            .write_stdin("a: {{workato:vault:k:secret/missing}}\n");
        if config {
            cmd.args(["--config", "config.yaml"]);
        } else {
            cmd.env("VAULT_ADDR", &own.address);
        }
        cmd.output().unwrap()
    };
    // Trusted: the server answers (the secret is simply not there).
    let trusted = render(true);
    let stderr = String::from_utf8_lossy(&trusted.stderr);
    assert!(stderr.contains("error: secret not found"), "{stderr}");
    // Without the CA the TLS handshake fails, and says so.
    let untrusted = render(false);
    let stderr = String::from_utf8_lossy(&untrusted.stderr);
    assert!(
        stderr.contains("error: cannot reach the store: "),
        "{stderr}"
    );
    assert!(stderr.to_lowercase().contains("certificate"), "{stderr}");
    assert_clean("stderr", &untrusted.stderr, &[token]);
}

#[test]
fn tag_patches_custom_metadata_keeping_other_entries_and_the_value() {
    let Some((address, token)) = bao::server() else {
        return;
    };
    let bao = Bao::new(&address, &token);
    let kv = format!("kv-{}", bao::unique("tag"));
    bao.mount_kv(&kv, 2);
    bao.put(&kv, "app/db", json!({"password": CANARY}));
    bao.custom_metadata(&kv, "app/db", &[("owner", "payments")]);
    bao.put(&kv, "app/api", json!({"token": CANARY}));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.yaml"),
        format!(
            "a: {{{{workato:vault:password:{kv}/app/db}}}}\nb: {{{{workato:vault:token:{kv}/app/api}}}}\nc: {{{{workato:vault:x:{kv}/app/missing}}}}\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("config.yaml"),
        "lint:\n  require_tags:\n    vault: {team: payments, tier: \"1\"}\n",
    )
    .unwrap();
    let tag = |args: &[&str]| {
        let output = cli(&address, Some(&token))
            .current_dir(dir.path())
            .args(["tag", "app.yaml", "--config", "config.yaml"])
            .args(args)
            .output()
            .unwrap();
        assert_clean("stdout", &output.stdout, &[&token]);
        assert_clean("stderr", &output.stderr, &[&token]);
        output
    };
    let output = tag(&["--yes"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.starts_with(&format!(
            "to tag vault {kv}/app/db: team=payments, tier=1\nto tag vault {kv}/app/api: team=payments, tier=1\n"
        )),
        "{stdout}"
    );
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("app.yaml:3:4: error: cannot tag the secret: secret not found"),
        "{stderr}"
    );
    let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    assert_eq!(
        bao.metadata(&kv, "app/db"),
        (
            vec![
                pair("owner", "payments"),
                pair("team", "payments"),
                pair("tier", "1")
            ],
            1
        ),
        "other entries kept, no new version"
    );
    assert_eq!(
        bao.metadata(&kv, "app/api").0,
        vec![pair("team", "payments"), pair("tier", "1")]
    );
    let output = tag(&["--yes"]);
    assert!(
        String::from_utf8(output.stdout)
            .unwrap()
            .ends_with("0 secrets tagged; 2 already tagged; 1 failed\n")
    );
}

/// A response cut mid-body or a proxy's 502 among many reads is retried, as the AWS SDK retries:
/// the render succeeds, and only the faulted reads are made again.
#[test]
fn reads_cut_short_or_answered_by_a_failing_proxy_are_retried() {
    let Some((address, token)) = bao::server() else {
        return;
    };
    let bao = Bao::new(&address, &token);
    let kv = format!("kv-{}", bao::unique("retry"));
    bao.mount_kv(&kv, 2);
    let mut template = String::new();
    for p in 0..20 {
        let data: serde_json::Map<String, serde_json::Value> =
            [("k".to_owned(), format!("{CANARY}-{p}").into())]
                .into_iter()
                .collect();
        bao.put(&kv, &format!("app/s{p}"), data.into());
        template.push_str(&format!("p{p}: {{{{workato:vault:k:{kv}/app/s{p}}}}}\n"));
    }
    for fault in [Fault::CutEvery(5), Fault::BadGatewayEvery(5)] {
        let proxy = Proxy::start(&address, fault);
        let output = cli(&proxy.url, Some(&token))
            .env("RUST_LOG", "debug")
            .args(["render", "--as", "yaml", "--concurrency", "1"])
            .write_stdin(template.clone())
            .output()
            .unwrap();
        assert!(output.status.success(), "{fault:?}: {output:?}");
        assert_eq!(String::from_utf8_lossy(&output.stdout).lines().count(), 20);
        assert_clean("stderr", &output.stderr, &[&token]);
        assert!(String::from_utf8_lossy(&output.stderr).contains("vault: retrying in"));
        let reads = proxy.count_where(|c| c.starts_with(&format!("GET /v1/{kv}/data/")));
        assert!(
            (21..=30).contains(&reads),
            "{fault:?}: {reads} reads for 20 secrets"
        );
    }
    // A 403 is an answer that will not change: one attempt.
    let proxy = Proxy::start(&address, Fault::None);
    let output = cli(&proxy.url, Some("not-a-token"))
        .args(["render", "--as", "yaml"])
        .write_stdin(format!("a: {{{{workato:vault:k:{kv}/app/s0}}}}\n"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        proxy.count_where(|c| c.starts_with(&format!("GET /v1/{kv}/data/"))),
        1
    );
}

/// A wrong AppRole mount fails the login, and the message says so, naming the mount: it is not
/// a policy problem on the secrets.
#[test]
fn a_wrong_approle_mount_is_named_as_a_login_failure() {
    let Some((address, token)) = bao::server() else {
        return;
    };
    let bao = Bao::new(&address, &token);
    let u = bao::unique("wrongmount");
    let kv = format!("kv-{u}");
    bao.mount_kv(&kv, 2);
    let mut role = bao.approle(
        &u,
        &format!("path \"{kv}/data/*\" {{ capabilities = [\"read\"] }}"),
    );
    role.mount = format!("no-such-{u}");
    let dir = tempfile::tempdir().unwrap();
    approle_config(dir.path(), &role, &role.secret_id, "");
    let output = cli(&address, None)
        .current_dir(dir.path())
        .args(["render", "--as", "yaml", "--config", "config.yaml"])
        .write_stdin(format!("a: {{{{workato:vault:k:{kv}/app}}}}\n"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("AppRole login at `auth/no-such-{u}` failed")),
        "{stderr}"
    );
    assert!(!stderr.contains("access denied"), "{stderr}");
    assert_clean("stderr", &output.stderr, &[&role.secret_id, &token]);
}

/// `inventory --online` reads each path's metadata once, never its data, and lists the current
/// version, deleted and destroyed versions and custom metadata; never a value or the token.
#[test]
fn inventory_online_reads_metadata_once_per_secret_and_never_a_value() {
    let Some((address, token)) = bao::server() else {
        return;
    };
    let bao = Bao::new(&address, &token);
    let kv = format!("kv-{}", bao::unique("inventory"));
    bao.mount_kv(&kv, 2);
    for _ in 0..3 {
        bao.put(&kv, "app/db", json!({"password": CANARY}));
    }
    bao.delete_version(&kv, "app/db", 1);
    bao.destroy_version(&kv, "app/db", 2);
    bao.custom_metadata(&kv, "app/db", &[("owner", "payments")]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.yaml"),
        format!(
            "a: {{{{workato:vault:password:{kv}/app/db}}}}\nb: {{{{workato:vault:password:{kv}/app/db?version=3}}}}\nc: {{{{workato:vault:password:{kv}/app/gone}}}}\n"
        ),
    )
    .unwrap();
    let proxy = Proxy::start(&address, Fault::None);
    let output = cli(&proxy.url, Some(&token))
        .current_dir(dir.path())
        .env("RUST_LOG", "trace")
        .args(["inventory", "--online", "--format", "json", "app.yaml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_clean("stdout", &output.stdout, &[&token]);
    assert_clean("stderr", &output.stderr, &[&token]);
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let secrets = document["secrets"].as_array().unwrap();
    assert_eq!(secrets.len(), 2, "{document}");
    let db = &secrets[0];
    assert_eq!(db["secret"], format!("{kv}/app/db"));
    assert_eq!(db["references"].as_array().unwrap().len(), 2);
    let metadata = &db["metadata"];
    assert_eq!(metadata["current_version"], "3", "{metadata}");
    assert_eq!(metadata["deleted_versions"], json!([1]));
    assert_eq!(metadata["destroyed_versions"], json!([2]));
    assert_eq!(metadata["tags"], json!({"owner": "payments"}));
    assert!(
        metadata["updated"]
            .as_str()
            .is_some_and(|t| t.starts_with("20"))
    );
    assert!(secrets[1]["error"].as_str().is_some(), "{document}");
    // One metadata read per distinct secret, no data read.
    let reads = |part: &str| proxy.count_where(|call| call.contains(part));
    assert_eq!(reads(&format!("/{kv}/metadata/app/db")), 1);
    assert_eq!(reads(&format!("/{kv}/data/")), 0);
}

/// A pin behind the current version and, with `lint.max_age`, a secret unchanged for longer
/// are warnings of online lint.
#[test]
fn online_lint_warns_of_a_stale_pin_and_an_old_secret() {
    let Some((address, token)) = bao::server() else {
        return;
    };
    let bao = Bao::new(&address, &token);
    let kv = format!("kv-{}", bao::unique("drift"));
    bao.mount_kv(&kv, 2);
    for _ in 0..2 {
        bao.put(&kv, "app/db", json!({"password": CANARY}));
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.yaml"),
        format!(
            "a: {{{{workato:vault:password:{kv}/app/db?version=1}}}}\nb: {{{{workato:vault:password:{kv}/app/db?version=2}}}}\n"
        ),
    )
    .unwrap();
    let lint = |config: &str| {
        std::fs::write(dir.path().join("config.yaml"), config).unwrap();
        let output = cli(&address, Some(&token))
            .current_dir(dir.path())
            .args(["lint", "app.yaml", "--online", "--format", "json"])
            .args(["--config", "config.yaml"])
            .output()
            .unwrap();
        assert_clean("stdout", &output.stdout, &[&token]);
        crate::support::findings(&output.stdout)
    };
    assert_eq!(lint(""), ["1:pinned-version-not-current"]);
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(
        lint("lint:\n  max_age: 1s\n"),
        [
            "1:pinned-version-not-current",
            "1:secret-not-changed",
            "2:secret-not-changed"
        ]
    );
}
