//! The suite every store must pass, run against each real one: AWS Secrets Manager (moto), Vault
//! (OpenBao) and Azure Key Vault (the test server): values and reads, missing and denied secrets,
//! a rotation under `--watch`, no value or credential in any log. A store's own files test what
//! only it has (batches, versions, credentials, tags); a new store gets an adapter here first.

use std::time::Duration;

use serde_json::json;

use crate::support::bao::{self, Bao};
use crate::support::keyvault::{KeyVault, Version};
use crate::support::moto::{self, Moto};
use crate::support::proxy::{Fault, Proxy};
use crate::support::secretmask_process;

/// Every value planted here holds this: it must appear in no error or log.
const CANARY: &str = "CANARY-stores-6d1f";

/// One running store, as the suite sees it.
trait Store {
    fn name(&self) -> &'static str;
    /// Plants a secret whose JSON object is `value` under a fresh name: the mask's store and
    /// locator for it.
    fn plant(&self, name: &str, value: &serde_json::Value) -> (&'static str, String);
    /// Writes a new current version of the secret planted as `name` at `locator`.
    fn rotate(&self, name: &str, locator: &str, value: &serde_json::Value);
    /// Plants a secret that the returned command's credentials may not read.
    fn plant_denied(&self, name: &str, value: &serde_json::Value) -> Denied;
    /// The store and a locator of a secret that does not exist.
    fn absent(&self) -> (&'static str, String);
    /// Sets `secretmask` up to reach this store, and nothing else.
    fn setup(&self, cmd: &mut std::process::Command);
    /// Reads of secret values the store served so far.
    fn reads(&self) -> usize;
    /// Checks of a secret's current version that read no value, so far (a store without a
    /// metadata read of the current version checks by reading it: `None`).
    fn metadata_checks(&self) -> Option<usize>;
    /// Credentials the run holds, which no output may show.
    fn credentials(&self) -> Vec<String>;
}

/// A secret the run may not read, and the run.
struct Denied {
    kind: &'static str,
    locator: String,
    command: std::process::Command,
    /// Credentials of that run beside the store's own.
    credentials: Vec<String>,
}

/// `secretmask` set up to reach `store`.
fn process(store: &dyn Store) -> std::process::Command {
    let mut cmd = secretmask_process();
    store.setup(&mut cmd);
    cmd
}

fn cli(store: &dyn Store) -> assert_cmd::Command {
    assert_cmd::Command::from_std(process(store))
}

struct Aws {
    moto: Moto,
    proxy: Proxy,
    /// Answers every call with AccessDeniedException.
    denying: Proxy,
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
    fn rotate(&self, _: &str, locator: &str, value: &serde_json::Value) {
        self.moto.rotate("us-east-1", locator, &value.to_string());
    }
    fn plant_denied(&self, name: &str, value: &serde_json::Value) -> Denied {
        let (kind, locator) = self.plant(name, value);
        let mut command = process(self);
        command.env("AWS_ENDPOINT_URL", &self.denying.url);
        Denied {
            kind,
            locator,
            command,
            credentials: Vec::new(),
        }
    }
    fn absent(&self) -> (&'static str, String) {
        (
            "sm",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:stores-absent-AbCdEf".into(),
        )
    }
    fn setup(&self, cmd: &mut std::process::Command) {
        cmd.env("AWS_ENDPOINT_URL", &self.proxy.url)
            .env("AWS_ACCESS_KEY_ID", moto::ACCESS_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", moto::SECRET_ACCESS_KEY);
    }
    fn reads(&self) -> usize {
        self.proxy.count("BatchGetSecretValue") + self.proxy.count("GetSecretValue")
    }
    fn metadata_checks(&self) -> Option<usize> {
        Some(self.proxy.count("DescribeSecret"))
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
    fn rotate(&self, name: &str, _: &str, value: &serde_json::Value) {
        self.bao.put(&self.mount, name, value.clone());
    }
    fn plant_denied(&self, name: &str, value: &serde_json::Value) -> Denied {
        let (kind, locator) = self.plant(name, value);
        // A token that may read the mount, but not this secret.
        let mount = &self.mount;
        let token = self.bao.token_with_policy(
            &format!("deny-{mount}-{name}"),
            &format!(
                "path \"{mount}/data/*\" {{ capabilities = [\"read\"] }}\n\
                 path \"{mount}/data/{name}\" {{ capabilities = [\"deny\"] }}\n"
            ),
        );
        let mut command = process(self);
        command.env("VAULT_TOKEN", &token);
        Denied {
            kind,
            locator,
            command,
            credentials: vec![token],
        }
    }
    fn absent(&self) -> (&'static str, String) {
        ("vault", format!("{}/absent", self.mount))
    }
    fn setup(&self, cmd: &mut std::process::Command) {
        cmd.env("VAULT_ADDR", &self.proxy.url)
            .env("VAULT_TOKEN", &self.token)
            .env_remove("VAULT_NAMESPACE");
    }
    fn reads(&self) -> usize {
        let prefix = format!("GET /v1/{}/data/", self.mount);
        self.proxy.count_where(|c| c.starts_with(&prefix))
    }
    fn metadata_checks(&self) -> Option<usize> {
        let prefix = format!("GET /v1/{}/metadata/", self.mount);
        Some(self.proxy.count_where(|c| c.starts_with(&prefix)))
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
    fn rotate(&self, name: &str, _: &str, value: &serde_json::Value) {
        self.kv.set(name, Version::new(&value.to_string()));
    }
    fn plant_denied(&self, name: &str, value: &serde_json::Value) -> Denied {
        let (kind, locator) = self.plant(name, value);
        self.kv.deny(name);
        Denied {
            kind,
            locator,
            command: process(self),
            credentials: Vec::new(),
        }
    }
    fn absent(&self) -> (&'static str, String) {
        ("akv", format!("https://{VAULT_HOST}/secrets/absent"))
    }
    fn setup(&self, cmd: &mut std::process::Command) {
        // The user's own configuration sends the vault's host to the test server.
        cmd.envs(self.kv.env())
            .env("XDG_CONFIG_HOME", self.dir.path());
    }
    fn reads(&self) -> usize {
        self.kv.reads()
    }
    fn metadata_checks(&self) -> Option<usize> {
        // Key Vault has no metadata read of a secret's current version.
        None
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
            denying: Proxy::start(&endpoint, Fault::Answer("AccessDeniedException")),
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
    render_with(store, cli(store), &[], template)
}

/// [`render`] by `command`, whose `credentials` no output may show either.
fn render_with(
    store: &dyn Store,
    mut command: assert_cmd::Command,
    credentials: &[String],
    template: &str,
) -> std::process::Output {
    let output = command
        .env("RUST_LOG", "trace")
        .args(["render", "--as", "yaml", "-"])
        .write_stdin(template.to_owned())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    for secret in store
        .credentials()
        .iter()
        .chain(credentials)
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

/// The stderr of a render that was refused (exit 1) and wrote nothing.
fn refused(store: &dyn Store, output: &std::process::Output) -> String {
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}: {output:?}",
        store.name()
    );
    assert!(output.stdout.is_empty(), "{}: wrote output", store.name());
    String::from_utf8_lossy(&output.stderr).into_owned()
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
        let stderr = refused(store.as_ref(), &output);
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

#[test]
fn every_store_names_a_denied_secret_at_its_mask_and_writes_nothing() {
    for store in stores() {
        let (kind, locator) = store.plant("readable", &json!({"user": "app"}));
        let denied = store.plant_denied("denied", &json!({"user": CANARY}));
        let template = format!(
            "a: {{{{workato:{kind}:user:{locator}}}}}\nb: {{{{workato:{}:user:{}}}}}\n",
            denied.kind, denied.locator
        );
        let output = render_with(
            store.as_ref(),
            assert_cmd::Command::from_std(denied.command),
            &denied.credentials,
            &template,
        );
        let stderr = refused(store.as_ref(), &output);
        assert!(
            stderr.contains("<stdin>:2:4: error: access denied: ")
                && stderr.contains(&format!("    secret: {}", denied.locator)),
            "{}: {stderr}",
            store.name()
        );
        assert!(
            stderr.contains("nothing was written"),
            "{}: {stderr}",
            store.name()
        );
    }
}

/// `render --watch --interval 1s`: a new version of a secret is rendered within two intervals,
/// and only then is the output replaced; where the store has a metadata read of the current
/// version, checks read no value and the change reads the rotated secret alone, once.
#[test]
fn every_store_renders_a_rotation_under_watch() {
    for store in stores() {
        let name = store.name();
        let (kind, rotating) = store.plant("watched", &json!({"password": "first"}));
        let (_, steady) = store.plant("steady", &json!({"key": "steady"}));
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("app.yaml.tpl"),
            format!(
                "db: {{{{workato:{kind}:password:{rotating}}}}}\napi: {{{{workato:{kind}:key:{steady}}}}}\n"
            ),
        )
        .unwrap();
        let mut watch = process(store.as_ref())
            .current_dir(dir.path())
            .args([
                "render",
                "app.yaml.tpl",
                "-o",
                "app.yaml",
                "--watch",
                "--interval",
                "1s",
            ])
            .stderr(std::fs::File::create(dir.path().join("stderr.log")).unwrap())
            .spawn()
            .unwrap();
        let output = dir.path().join("app.yaml");
        let read = || std::fs::read_to_string(&output).unwrap_or_default();
        let wait_for =
            |want: &str| crate::support::eventually(Duration::from_secs(10), || read() == want);
        let first = wait_for("db: first\napi: steady\n");
        std::thread::sleep(Duration::from_millis(300));
        let modified = std::fs::metadata(&output).and_then(|m| m.modified()).ok();
        let (checks, reads) = (store.metadata_checks(), store.reads());
        // Unchanged checks leave the file as it is.
        std::thread::sleep(Duration::from_millis(2200));
        let unchanged = std::fs::metadata(&output).and_then(|m| m.modified()).ok() == modified;
        let idle = (
            store.metadata_checks().zip(checks).map(|(a, b)| a - b),
            store.reads() - reads,
        );
        store.rotate("watched", &rotating, &json!({"password": "second"}));
        let reads = store.reads();
        let rotated = wait_for("db: second\napi: steady\n");
        std::thread::sleep(Duration::from_millis(300));
        let change_reads = store.reads() - reads;
        let _ = watch.kill();
        let _ = watch.wait();
        let log = std::fs::read_to_string(dir.path().join("stderr.log")).unwrap();
        assert!(
            first && unchanged && rotated,
            "{name}: {:?} {}",
            (first, unchanged, rotated),
            log
        );
        assert!(!log.contains(CANARY), "{name}: {log}");
        if let (Some(checks), idle_reads) = idle {
            assert!(checks >= 2, "{name}: {checks} checks in two intervals");
            assert_eq!(idle_reads, 0, "{name}: checks read values");
            assert_eq!(
                change_reads, 1,
                "{name}: the change read more than the rotated secret"
            );
        }
    }
}
