//! HashiCorp Vault KV v2: a mask's locator is `<mount>/<path>[?version=N]` (`path`), the
//! `vault:` section names the server, its namespace, a CA, long mounts and an AppRole login,
//! and the provider reads through vaultrs (`provider`, built with the `vault` feature).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use crate::config::{Restricted, SENDS, TRUSTS};
use crate::provider::Provider;

mod path;
#[cfg(feature = "vault")]
mod provider;

pub use self::path::{Fault, PathFault, VaultPath};
#[cfg(feature = "vault")]
pub use self::provider::{Auth, Credential, Settings, VaultProvider};

/// `vault:`: the server, its namespace and how to log in.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Section {
    /// The server (an endpoint setting); else `VAULT_ADDR`.
    pub address: Option<String>,
    /// An enterprise namespace; else `VAULT_NAMESPACE`.
    pub namespace: Option<String>,
    /// A PEM CA to trust (an endpoint setting), relative to this file; else `VAULT_CACERT`.
    pub ca_file: Option<PathBuf>,
    /// KV v2 mounts longer than one path segment, such as `team/kv`.
    #[serde(default)]
    pub mounts: Vec<String>,
    /// Log in with AppRole, reading the ids from these files.
    pub approle: Option<AppRole>,
}

/// `vault.approle`: an AppRole login from two files.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AppRole {
    /// Where the AppRole auth method is mounted (default `approle`).
    pub mount: Option<String>,
    /// The file holding the `role_id`, relative to the config file.
    pub role_id_file: PathBuf,
    /// The file holding the `secret_id`, relative to the config file.
    pub secret_id_file: PathBuf,
}

impl super::Section for Section {
    const RESTRICTED: &'static [Restricted] = &[
        Restricted {
            name: "vault.address",
            why: SENDS,
            endpoint: true,
            is_set: |c| c.vault.address.is_some(),
        },
        Restricted {
            name: "vault.ca_file",
            why: TRUSTS,
            endpoint: true,
            is_set: |c| c.vault.ca_file.is_some(),
        },
        Restricted {
            name: "vault.namespace",
            why: "decides which Vault namespace your token is used in",
            endpoint: false,
            is_set: |c| c.vault.namespace.is_some(),
        },
        Restricted {
            name: "vault.approle",
            why: "names credential files to read and send for a login",
            endpoint: false,
            is_set: |c| c.vault.approle.is_some(),
        },
    ];

    fn overridden_by(self, over: Self) -> Self {
        Self {
            address: over.address.or(self.address),
            namespace: over.namespace.or(self.namespace),
            ca_file: over.ca_file.or(self.ca_file),
            mounts: if over.mounts.is_empty() {
                self.mounts
            } else {
                over.mounts
            },
            approle: over.approle.or(self.approle),
        }
    }

    fn resolve_paths(&mut self, resolve: &dyn Fn(&mut PathBuf)) {
        if let Some(ca_file) = &mut self.ca_file {
            resolve(ca_file);
        }
        if let Some(approle) = &mut self.approle {
            resolve(&mut approle.role_id_file);
            resolve(&mut approle.secret_id_file);
        }
    }

    fn provider(&self, timeout: Option<Duration>) -> Arc<dyn Provider> {
        #[cfg(feature = "vault")]
        return Arc::new(VaultProvider::new(Settings::from_config(
            self,
            |name| std::env::var(name).ok(),
            timeout,
        )));
        #[cfg(not(feature = "vault"))]
        {
            let _ = timeout;
            Arc::new(crate::provider::NotBuilt(super::Store::Vault.feature()))
        }
    }
}
