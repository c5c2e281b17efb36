//! The suite every store must pass, run against each real one: AWS Secrets Manager (moto), Vault
//! (OpenBao) and Azure Key Vault (the test server). A store's own files test what only it has
//! (batches, versions, credentials, tags); a new store gets an adapter here first.

use serde_json::json;

use crate::support::bao::{self, Bao};
use crate::support::keyvault::{KeyVault, Version};
use crate::support::moto::{self, Moto};
use crate::support::proxy::{Fault, Proxy};
use crate::support::secretmask;

/// Every value planted here holds this: it must appear in no error or log.
const CANARY: &str = "CANARY-stores-6d1f";

/// One running store, as the suite sees it.
trait Store {
    fn name(&self) -> &'static str;
    /// Plants a secret whose JSON object is `value` under a fresh name: the mask's store and
    /// locator for it.
    fn plant(&self, name: &str, value: &serde_json::Value) -> (&'static str, String);
    /// The store and a locator of a secret that does not exist.
    fn absent(&self) -> (&'static str, String);
    /// `secretmask` set up to reach this store, and nothing else.
    fn cli(&self) -> assert_cmd::Command;
    /// Reads of secret values the store served so far.
    fn reads(&self) -> usize;
    /// Credentials the run holds, which no output may show.
    fn credentials(&self) -> Vec<String>;
}

struct Aws {
    moto: Moto,
    proxy: Proxy,
}

impl Store for Aws {
    fn name(&self) -> &'static str {
        "aws"
    }
    fn plant(&self, name: &str, value: &serde_json::Value) -> (&'static str, String) {
        let arn = self.moto.string(
            "us-east-1",
            &format!("{}/{name}", moto::prefix("stores")),
            &value.to_string(),
            &[],
        );
        ("sm", arn)
    }
    fn absent(&self) -> (&'static str, String) {
        (
            "sm",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:stores-absent-AbCdEf".into(),
        )
    }
    fn cli(&self) -> assert_cmd::Command {
        let mut cmd = secretmask();
        cmd.env("AWS_ENDPOINT_URL", &self.proxy.url)
            .env("AWS_ACCESS_KEY_ID", moto::ACCESS_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", moto::SECRET_ACCESS_KEY);
        cmd
    }
    fn reads(&self) -> usize {
        self.proxy.count("BatchGetSecretValue") + self.proxy.count("GetSecretValue")
    }
    fn credentials(&self) -> Vec<String> {
        vec![moto::SECRET_ACCESS_KEY.into()]
    }
}

struct Vault {
    bao: Bao,
    token: String,
    mount: String,
    proxy: Proxy,
}

impl Store for Vault {
    fn name(&self) -> &'static str {
        "vault"
    }
    fn plant(&self, name: &str, value: &serde_json::Value) -> (&'static str, String) {
        self.bao.put(&self.mount, name, value.clone());
        ("vault", format!("{}/{name}", self.mount))
    }
    fn absent(&self) -> (&'static str, String) {
        ("vault", format!("{}/absent", self.mount))
    }
    fn cli(&self) -> assert_cmd::Command {
        let mut cmd = secretmask();
        cmd.env("VAULT_ADDR", &self.proxy.url)
            .env("VAULT_TOKEN", &self.token)
            .env_remove("VAULT_NAMESPACE");
        cmd
    }
    fn reads(&self) -> usize {
        let prefix = format!("GET /v1/{}/data/", self.mount);
        self.proxy.count_where(|c| c.starts_with(&prefix))
    }
    fn credentials(&self) -> Vec<String> {
        vec![self.token.clone()]
    }
}

struct Akv {
    kv: KeyVault,
    dir: tempfile::TempDir,
}

const CLIENT_SECRET: &str = "CANARY-stores-client-secret";
const VAULT_HOST: &str = "stores-kv.vault.azure.net";

impl Store for Akv {
    fn name(&self) -> &'static str {
        "akv"
    }
    fn plant(&self, name: &str, value: &serde_json::Value) -> (&'static str, String) {
        self.kv.set(name, Version::new(&value.to_string()));
        ("akv", format!("https://{VAULT_HOST}/secrets/{name}"))
    }
    fn absent(&self) -> (&'static str, String) {
        ("akv", format!("https://{VAULT_HOST}/secrets/absent"))
    }
    fn cli(&self) -> assert_cmd::Command {
        // The user's own configuration sends the vault's host to the test server.
        let mut cmd = secretmask();
        cmd.envs(self.kv.env())
            .env("XDG_CONFIG_HOME", self.dir.path());
        cmd
    }
    fn reads(&self) -> usize {
        self.kv.reads()
    }
    fn credentials(&self) -> Vec<String> {
        vec![CLIENT_SECRET.into()]
    }
}

/// Every store the machine runs; under scripts/test, all three.
fn stores() -> Vec<Box<dyn Store>> {
    let mut stores: Vec<Box<dyn Store>> = Vec::new();
    if let Some(endpoint) = moto::endpoint() {
        stores.push(Box::new(Aws {
            moto: Moto::new(&endpoint),
            proxy: Proxy::start(&endpoint, Fault::None),
        }));
    }
    if let Some((address, token)) = bao::server() {
        let bao = Bao::new(&address, &token);
        let mount = format!("kv-{}", bao::unique("stores"));
        bao.mount_kv(&mount, 2);
        stores.push(Box::new(Vault {
            bao,
            token,
            mount,
            proxy: Proxy::start(&address, Fault::None),
        }));
    }
    let kv = KeyVault::start(CLIENT_SECRET);
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("secretmask")).unwrap();
    std::fs::write(
        dir.path().join("secretmask/config.yaml"),
        kv.config("client-secret", &[VAULT_HOST]),
    )
    .unwrap();
    stores.push(Box::new(Akv { kv, dir }));
    stores
}

/// `render --as yaml` of `template` on stdin, with every log at `trace`; no value planted and
/// no credential in stderr.
fn render(store: &dyn Store, template: &str) -> std::process::Output {
    let output = store
        .cli()
        .env("RUST_LOG", "trace")
        .args(["render", "--as", "yaml", "-"])
        .write_stdin(template.to_owned())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    for secret in store
        .credentials()
        .iter()
        .map(String::as_str)
        .chain([CANARY])
    {
        assert!(
            !stderr.contains(secret),
            "{}: stderr holds `{secret}`",
            store.name()
        );
    }
    output
}

#[test]
fn every_store_renders_each_key_reading_each_secret_once() {
    for store in stores() {
        let mut template = String::new();
        let mut expected = String::new();
        for s in 0..3 {
            let (kind, locator) = store.plant(
                &format!("app-{s}"),
                &json!({"user": format!("user-{s}"), "password": format!("{CANARY}-{s}: #")}),
            );
            for key in ["user", "password", "user"] {
                template.push_str(&format!(
                    "{key}{s}: {{{{workato:{kind}:{key}:{locator}}}}}\n"
                ));
            }
            expected.push_str(&format!(
                "user{s}: user-{s}\npassword{s}: \"{CANARY}-{s}: #\"\nuser{s}: user-{s}\n"
            ));
        }
        let before = store.reads();
        let output = render(store.as_ref(), &template);
        assert!(output.status.success(), "{}: {output:?}", store.name());
        assert_eq!(
            String::from_utf8_lossy(&output.stdout),
            expected,
            "{}",
            store.name()
        );
        let reads = store.reads() - before;
        assert!(
            (1..=3).contains(&reads),
            "{}: {reads} reads for 3 secrets",
            store.name()
        );
    }
}

#[test]
fn every_store_names_a_missing_secret_and_a_missing_key_and_writes_nothing() {
    for store in stores() {
        let (kind, locator) = store.plant("present", &json!({"user": CANARY}));
        let (absent_kind, absent) = store.absent();
        let template = format!(
            "a: {{{{workato:{absent_kind}:user:{absent}}}}}\nb: {{{{workato:{kind}:nope:{locator}}}}}\nc: {{{{workato:{kind}:user:{locator}}}}}\n"
        );
        let output = render(store.as_ref(), &template);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{}: {output:?}",
            store.name()
        );
        assert!(output.stdout.is_empty(), "{}: wrote output", store.name());
        let stderr = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("<stdin>:"))
            .collect();
        assert_eq!(lines.len(), 2, "{}: {stderr}", store.name());
        assert!(
            lines[0].starts_with("<stdin>:1:4: error:"),
            "{}: {stderr}",
            store.name()
        );
        assert!(
            lines[1].starts_with("<stdin>:2:4: error:")
                && lines[1].contains("key `nope` is not in the secret (it has `user`)"),
            "{}: {stderr}",
            store.name()
        );
        assert!(
            stderr.contains("error: 2 masks failed; nothing was written"),
            "{stderr}"
        );
    }
}
