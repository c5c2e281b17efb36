//! The OpenBao server `scripts/test` started (`SECRETMASK_TEST_BAO`, root token in
//! `SECRETMASK_TEST_BAO_TOKEN`), set up through its own HTTP API with vaultrs. Every test works
//! under mounts and paths of its own, so tests run in parallel against one server.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};

use vaultrs::api::auth::approle::requests::SetAppRoleRequestBuilder;
use vaultrs::api::kv2::requests::SetSecretMetadataRequestBuilder;
use vaultrs::api::sys::requests::EnableEngineRequestBuilder;
use vaultrs::client::{VaultClient, VaultClientSettingsBuilder};

/// The server's address and root token, or `None` (with a note) when the suite may skip.
pub fn server() -> Option<(String, String)> {
    match (
        std::env::var("SECRETMASK_TEST_BAO"),
        std::env::var("SECRETMASK_TEST_BAO_TOKEN"),
    ) {
        (Ok(address), Ok(token)) if !address.is_empty() => Some((address, token)),
        _ if super::tools_required() => {
            panic!("SECRETMASK_TEST_BAO is not set: run the suite with scripts/test")
        }
        _ => {
            eprintln!("skipped: no OpenBao server (SECRETMASK_TEST_BAO); scripts/test starts one");
            None
        }
    }
}

/// A mount or path segment no other test or run uses.
pub fn unique(test: &str) -> String {
    super::moto::prefix(test).replace('/', "-")
}

pub struct Bao {
    client: VaultClient,
    runtime: tokio::runtime::Runtime,
}

/// AppRole credentials, as seed 004 makes them.
pub struct AppRole {
    pub mount: String,
    pub role_id: String,
    pub secret_id: String,
}

impl Bao {
    pub fn new(address: &str, token: &str) -> Self {
        let client = VaultClient::new(
            VaultClientSettingsBuilder::default()
                .address(address)
                .token(token)
                .build()
                .unwrap(),
        )
        .unwrap();
        Self {
            client,
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
        }
    }

    /// Enables a KV engine of `version` (1 or 2) at `path`.
    pub fn mount_kv(&self, path: &str, version: u8) {
        let options = HashMap::from([("version".to_owned(), version.to_string())]);
        self.runtime
            .block_on(vaultrs::sys::mount::enable(
                &self.client,
                path,
                "kv",
                Some(EnableEngineRequestBuilder::default().options(options)),
            ))
            .unwrap();
    }

    /// Writes a new version of a KV v2 secret. A new KV v2 mount answers 400 ("Upgrading from
    /// non-versioned to versioned data") for a moment after it is enabled: wait that out.
    pub fn put(&self, mount: &str, path: &str, data: serde_json::Value) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            match self
                .runtime
                .block_on(vaultrs::kv2::set(&self.client, mount, path, &data))
            {
                Ok(_) => return,
                Err(vaultrs::error::ClientError::APIError { code: 400, errors })
                    if errors.iter().any(|e| e.contains("Upgrading"))
                        && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                Err(e) => panic!("writing {mount}/{path}: {e}"),
            }
        }
    }

    pub fn put_v1(&self, mount: &str, path: &str, data: &[(&str, &str)]) {
        let data: HashMap<&str, &str> = data.iter().copied().collect();
        self.runtime
            .block_on(vaultrs::kv1::set(&self.client, mount, path, &data))
            .unwrap();
    }

    pub fn delete_version(&self, mount: &str, path: &str, version: u64) {
        self.runtime
            .block_on(vaultrs::kv2::delete_versions(
                &self.client,
                mount,
                path,
                vec![version],
            ))
            .unwrap();
    }

    pub fn destroy_version(&self, mount: &str, path: &str, version: u64) {
        self.runtime
            .block_on(vaultrs::kv2::destroy_versions(
                &self.client,
                mount,
                path,
                vec![version],
            ))
            .unwrap();
    }

    pub fn custom_metadata(&self, mount: &str, path: &str, tags: &[(&str, &str)]) {
        let tags: HashMap<String, String> = tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.runtime
            .block_on(vaultrs::kv2::set_metadata(
                &self.client,
                mount,
                path,
                Some(SetSecretMetadataRequestBuilder::default().custom_metadata(tags)),
            ))
            .unwrap();
    }

    /// The secret's custom_metadata (sorted) and its current version.
    pub fn metadata(&self, mount: &str, path: &str) -> (Vec<(String, String)>, u64) {
        let metadata = self
            .runtime
            .block_on(vaultrs::kv2::read_metadata(&self.client, mount, path))
            .unwrap();
        let mut tags: Vec<(String, String)> = metadata
            .custom_metadata
            .unwrap_or_default()
            .into_iter()
            .collect();
        tags.sort();
        (tags, metadata.current_version)
    }

    /// A token whose only policy is `policy`, set under `name`.
    pub fn token_with_policy(&self, name: &str, policy: &str) -> String {
        self.runtime.block_on(async {
            vaultrs::sys::policy::set(&self.client, name, policy)
                .await
                .unwrap();
            vaultrs::token::new(
                &self.client,
                Some(
                    vaultrs::api::token::requests::CreateTokenRequest::builder()
                        .policies(vec![name.to_owned()])
                        .no_default_policy(true),
                ),
            )
            .await
            .unwrap()
            .client_token
        })
    }

    /// Seed 004's setup: the AppRole method at a mount of its own, a policy, a role with that
    /// policy, its `role_id` and a fresh `secret_id`.
    pub fn approle(&self, name: &str, policy: &str) -> AppRole {
        let mount = format!("approle-{name}");
        self.runtime.block_on(async {
            vaultrs::sys::auth::enable(&self.client, &mount, "approle", None)
                .await
                .unwrap();
            vaultrs::sys::policy::set(&self.client, name, policy)
                .await
                .unwrap();
            vaultrs::auth::approle::role::set(
                &self.client,
                &mount,
                name,
                Some(
                    SetAppRoleRequestBuilder::default()
                        .token_policies(vec![name.to_owned()])
                        .token_ttl("60m")
                        .token_max_ttl("4h"),
                ),
            )
            .await
            .unwrap();
            let role_id = vaultrs::auth::approle::role::read_id(&self.client, &mount, name)
                .await
                .unwrap()
                .role_id;
            let secret_id =
                vaultrs::auth::approle::role::secret::generate(&self.client, &mount, name, None)
                    .await
                    .unwrap()
                    .secret_id;
            AppRole {
                mount,
                role_id,
                secret_id,
            }
        })
    }
}

/// A dev server of the test's own (for sealing), killed when dropped.
pub struct OwnServer {
    child: Child,
    pub address: String,
    pub unseal_key: String,
}

impl OwnServer {
    /// With `tls`, the server listens on https with a CA and certificate it writes there
    /// (`vault-ca.pem`).
    pub fn start(token: &str, tls: Option<&std::path::Path>) -> Option<Self> {
        let binary = match std::env::var("SECRETMASK_TEST_BAO_BIN") {
            Ok(binary) => binary,
            Err(_) if super::tools_required() => panic!("SECRETMASK_TEST_BAO_BIN is not set"),
            Err(_) => return None,
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = tempfile::NamedTempFile::new().unwrap();
        let mut args = vec![
            "server".to_owned(),
            "-dev".to_owned(),
            format!("-dev-root-token-id={token}"),
            format!("-dev-listen-address=127.0.0.1:{port}"),
        ];
        if let Some(dir) = tls {
            args.push("-dev-tls".into());
            args.push(format!("-dev-tls-cert-dir={}", dir.display()));
        }
        let child = Command::new(binary)
            .args(&args)
            .stdout(log.reopen().unwrap())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut server = Self {
            child,
            address: format!(
                "{}://127.0.0.1:{port}",
                if tls.is_some() { "https" } else { "http" }
            ),
            unseal_key: String::new(),
        };
        for _ in 0..150 {
            let text = std::fs::read_to_string(log.path()).unwrap();
            if let Some(line) = text.lines().find(|l| l.starts_with("Unseal Key: "))
                && std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
            {
                server.unseal_key = line["Unseal Key: ".len()..].trim().to_owned();
                return Some(server);
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("bao server did not start");
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Bao {
    pub fn seal(&self) {
        self.runtime
            .block_on(vaultrs::sys::seal(&self.client))
            .unwrap();
    }

    pub fn unseal(&self, key: &str) {
        self.runtime
            .block_on(vaultrs::sys::unseal(
                &self.client,
                Some(key.to_owned()),
                None,
                None,
            ))
            .unwrap();
    }
}

/// Runs the server's own CLI against `address` as `token` (for what vaultrs has no call for,
/// such as namespaces).
pub fn cli(address: &str, token: &str, namespace: Option<&str>, args: &[&str]) {
    let binary = std::env::var("SECRETMASK_TEST_BAO_BIN").expect("SECRETMASK_TEST_BAO_BIN");
    let mut cmd = Command::new(binary);
    cmd.args(args)
        .env("BAO_ADDR", address)
        .env("BAO_TOKEN", token)
        .stdout(Stdio::null());
    if let Some(namespace) = namespace {
        cmd.env("BAO_NAMESPACE", namespace);
    }
    let status = cmd.status().unwrap();
    assert!(status.success(), "bao {args:?}: {status}");
}
