//! Azure Key Vault: a mask's locator is a secret identifier (`id`), the `azure:` section picks
//! the credential kind and maps vault hosts to endpoints, and the provider talks to Key Vault
//! through the SDK (`provider`, built with the `azure` feature).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use crate::config::{HttpsUrl, Restricted, SENDS, TRUSTS, parsed};
use crate::provider::Provider;

mod id;
#[cfg(feature = "azure")]
mod provider;

pub use self::id::{AzureCloud, Fault, IdFault, KeyVaultId};
#[cfg(feature = "azure")]
pub use self::provider::{AzureProvider, CredentialKind, ServicePrincipal, Settings, pick};

/// `azure:`: the credential kind and the endpoints of Key Vault.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Section {
    /// How to get a token: `auto` (the default), `client-secret`, `workload-identity`,
    /// `managed-identity` or `developer-tools`.
    pub credential: Option<Credential>,
    /// A vault host → the `https://` URL its requests go to instead (an endpoint setting), for
    /// private endpoints and tests.
    #[serde(default)]
    pub endpoints: BTreeMap<String, HttpsUrl>,
    /// A PEM CA to trust (an endpoint setting), relative to this file, for vault and token
    /// requests alike.
    pub ca_file: Option<PathBuf>,
}

impl super::Section for Section {
    const RESTRICTED: &'static [Restricted] = &[
        Restricted {
            name: "azure.endpoints",
            why: SENDS,
            endpoint: true,
            is_set: |c| !c.azure.endpoints.is_empty(),
        },
        Restricted {
            name: "azure.ca_file",
            why: TRUSTS,
            endpoint: true,
            is_set: |c| c.azure.ca_file.is_some(),
        },
    ];

    fn overridden_by(self, over: Self) -> Self {
        Self {
            credential: over.credential.or(self.credential),
            endpoints: if over.endpoints.is_empty() {
                self.endpoints
            } else {
                over.endpoints
            },
            ca_file: over.ca_file.or(self.ca_file),
        }
    }

    fn resolve_paths(&mut self, resolve: &dyn Fn(&mut PathBuf)) {
        if let Some(ca_file) = &mut self.ca_file {
            resolve(ca_file);
        }
    }

    fn provider(&self, timeout: Option<Duration>) -> Arc<dyn Provider> {
        #[cfg(feature = "azure")]
        return Arc::new(AzureProvider::new(Settings::from_config(self, timeout)));
        #[cfg(not(feature = "azure"))]
        {
            let _ = timeout;
            Arc::new(crate::provider::NotBuilt(super::Store::Akv.feature()))
        }
    }
}

/// How the Key Vault provider gets a token (`azure.credential`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Credential {
    /// Pick by what the environment provides, in `DefaultCredential`'s order.
    #[default]
    Auto,
    /// A service principal: `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`.
    ClientSecret,
    /// A federated token file (AKS workload identity): `AZURE_FEDERATED_TOKEN_FILE`.
    WorkloadIdentity,
    /// The host's managed identity (a user-assigned one when `AZURE_CLIENT_ID` is set).
    ManagedIdentity,
    /// The Azure CLI's or the Azure Developer CLI's login.
    DeveloperTools,
}

impl Credential {
    /// Every kind's name, for messages.
    pub const NAMES: &str =
        "auto, client-secret, workload-identity, managed-identity or developer-tools";

    /// The kind a name (as written in the config) stands for.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "auto" => Self::Auto,
            "client-secret" => Self::ClientSecret,
            "workload-identity" => Self::WorkloadIdentity,
            "managed-identity" => Self::ManagedIdentity,
            "developer-tools" => Self::DeveloperTools,
            _ => return None,
        })
    }

    /// The kind's name, as written in the config.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::ClientSecret => "client-secret",
            Self::WorkloadIdentity => "workload-identity",
            Self::ManagedIdentity => "managed-identity",
            Self::DeveloperTools => "developer-tools",
        }
    }
}

impl<'de> Deserialize<'de> for Credential {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        parsed(
            deserializer,
            Self::from_name,
            &format!("one of {}", Self::NAMES),
        )
    }
}
