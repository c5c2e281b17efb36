//! Azure Key Vault through the official SDK (`azure_security_keyvault_secrets`,
//! `azure_identity`): one `SecretClient` per vault host, one credential per cloud (the cloud is
//! the identifier's DNS suffix), the latest version or the identifier's.
//!
//! The SDK's own models are not used for values: `Secret.value` is a plain `String`. The
//! response body is read straight into a `SecretString` instead. Errors are built from status
//! codes, Key Vault's error codes and `Display` chains, never `{:?}` (which carries a backtrace
//! and the raw response).
//!
//! For tests and private endpoints, `azure.endpoints` sends a vault host's requests elsewhere.
//! The challenge then still names `vault.azure.net`, so the SDK's check that the challenge
//! matches the host is turned off for mapped hosts only. `azure.ca_file` is trusted by the one
//! `reqwest` client that both the credential's token requests and the vault requests go through.
//!
//! Nothing here is built until the first Key Vault secret is asked for.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::{Secret, TokenCredential};
use azure_core::http::{ClientOptions, ExponentialRetryOptions, RetryOptions, Transport};
use azure_identity::{
    ClientAssertionCredentialOptions, ClientSecretCredential, ClientSecretCredentialOptions,
    DeveloperToolsCredential, ManagedIdentityCredential, ManagedIdentityCredentialOptions,
    UserAssignedId, WorkloadIdentityCredential, WorkloadIdentityCredentialOptions,
};
use azure_security_keyvault_secrets::models::{
    SecretClientGetSecretOptions, SecretClientUpdateSecretPropertiesOptions,
    UpdateSecretPropertiesParameters,
};
use azure_security_keyvault_secrets::{SecretClient, SecretClientOptions};
use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};

use super::{AzureCloud, KeyVaultId};
use crate::mask::SecretRef;
use crate::provider::{Described, Fetched, Metadata, Provider, ProviderError, SecretValue};

mod errors;
mod transport;
mod wire;

use self::errors::{messages, sdk_error};
use self::transport::Http;
use self::wire::WireSecret;

/// How the provider gets a token (`azure.credential`): parsed where the config is read.
pub use super::Credential as CredentialKind;

/// `auto`'s choice and why, from the environment (`var`) and the programs on `PATH`
/// (`on_path`): the same order as the other Azure SDKs' `DefaultAzureCredential`.
pub fn pick(
    var: impl Fn(&str) -> bool,
    on_path: impl Fn(&str) -> bool,
) -> (CredentialKind, &'static str) {
    let service_principal = ["AZURE_TENANT_ID", "AZURE_CLIENT_ID"]
        .iter()
        .all(|v| var(v));
    if service_principal && var("AZURE_CLIENT_SECRET") {
        (
            CredentialKind::ClientSecret,
            "AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET are set",
        )
    } else if service_principal && var("AZURE_FEDERATED_TOKEN_FILE") {
        (
            CredentialKind::WorkloadIdentity,
            "AZURE_FEDERATED_TOKEN_FILE, AZURE_TENANT_ID and AZURE_CLIENT_ID are set",
        )
    } else if var("IDENTITY_ENDPOINT") || var("MSI_ENDPOINT") {
        (
            CredentialKind::ManagedIdentity,
            "a managed identity endpoint (IDENTITY_ENDPOINT or MSI_ENDPOINT) is set",
        )
    } else if on_path("az") || on_path("azd") {
        (
            CredentialKind::DeveloperTools,
            "no service principal or managed identity is configured, and the Azure CLI is installed",
        )
    } else {
        (
            CredentialKind::ManagedIdentity,
            "nothing else is configured, so the instance metadata service (IMDS) is asked",
        )
    }
}

/// A service principal's credentials, for library users who hold them already.
#[derive(Clone, Debug)]
pub struct ServicePrincipal {
    /// The Entra tenant.
    pub tenant_id: String,
    /// The application (client) id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: SecretString,
}

/// Where and as whom the provider talks to Key Vault.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// How a token is obtained.
    pub credential: CredentialKind,
    /// With `client-secret`: these credentials instead of the `AZURE_*` environment variables.
    pub service_principal: Option<ServicePrincipal>,
    /// The Microsoft Entra authority for every cloud, instead of `AZURE_AUTHORITY_HOST` or the
    /// cloud's own.
    pub authority_host: Option<String>,
    /// A vault host (lowercase, such as `corp-kv.vault.azure.net`) → the `https://` URL its
    /// requests go to instead.
    pub endpoints: BTreeMap<String, String>,
    /// PEM files of CAs to trust besides the system's, for vaults and token endpoints alike.
    pub ca_files: Vec<PathBuf>,
    /// The longest one call may take, retries included.
    pub timeout: Option<Duration>,
}

impl Settings {
    /// The `azure` section. The SDK reads its own environment variables (`AZURE_TENANT_ID`,
    /// `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`, `AZURE_FEDERATED_TOKEN_FILE`,
    /// `AZURE_AUTHORITY_HOST`, …) for the credential the config picks.
    pub fn from_config(config: &super::Section, timeout: Option<Duration>) -> Self {
        Self {
            credential: config.credential.unwrap_or_default(),
            endpoints: config
                .endpoints
                .iter()
                .map(|(host, url)| (host.to_ascii_lowercase(), url.as_str().to_owned()))
                .collect(),
            ca_files: config.ca_file.clone().into_iter().collect(),
            timeout,
            ..Self::default()
        }
    }
}

/// Something built once per run; a failure is kept and given to every secret that needs it.
type Built<T> = Result<T, ProviderError>;

/// Azure Key Vault through the SDK: one client per vault host, one credential per cloud.
pub struct AzureProvider {
    settings: Settings,
    /// The one HTTP client, built on first use (it reads the CA files).
    http: OnceLock<Result<reqwest::Client, ProviderError>>,
    /// The credential kind in use: `auto` resolved once.
    kind: OnceLock<CredentialKind>,
    /// One credential per cloud: each cloud has its own authority host, and each credential
    /// caches its token.
    credentials: Mutex<HashMap<AzureCloud, Built<Arc<dyn TokenCredential>>>>,
    /// One client per vault host: each learns its vault's challenge once.
    clients: Mutex<HashMap<String, Built<Arc<SecretClient>>>>,
}

impl AzureProvider {
    /// A provider that builds its credential and clients on first use.
    pub fn new(settings: Settings) -> Self {
        Self {
            settings,
            http: OnceLock::new(),
            kind: OnceLock::new(),
            credentials: Mutex::new(HashMap::new()),
            clients: Mutex::new(HashMap::new()),
        }
    }

    fn http(&self) -> Result<reqwest::Client, ProviderError> {
        self.http
            .get_or_init(|| {
                let mut builder = reqwest::Client::builder();
                if let Some(timeout) = self.settings.timeout {
                    builder = builder
                        .timeout(timeout)
                        .connect_timeout(timeout.min(Duration::from_secs(10)));
                }
                for file in &self.settings.ca_files {
                    let pem = std::fs::read(file).map_err(|e| ProviderError::Unreachable {
                        message: format!("reading the CA file {}: {e}", file.display()),
                    })?;
                    let certs = reqwest::Certificate::from_pem_bundle(&pem)
                        .ok()
                        .filter(|certs| !certs.is_empty())
                        .ok_or_else(|| ProviderError::Unreachable {
                            message: format!(
                                "the CA file {} holds no PEM certificate",
                                file.display()
                            ),
                        })?;
                    builder = builder.tls_certs_merge(certs);
                }
                builder.build().map_err(|e| ProviderError::Unreachable {
                    message: format!("building the HTTP client: {}", crate::provider::causes(&e)),
                })
            })
            .clone()
    }

    /// Options for every pipeline: our transport, and retries that give up within the timeout
    /// (the SDK's default retries transport failures for a minute).
    fn client_options(&self) -> Result<ClientOptions, ProviderError> {
        let mut retry = ExponentialRetryOptions::default();
        if let Some(timeout) = self.settings.timeout
            && let Ok(budget) = azure_core::time::Duration::try_from(timeout / 2)
        {
            retry.max_total_elapsed = retry.max_total_elapsed.min(budget);
        }
        Ok(ClientOptions {
            transport: Some(Transport::new(Arc::new(Http(self.http()?)))),
            retry: RetryOptions::exponential(retry),
            ..ClientOptions::default()
        })
    }

    fn kind(&self) -> CredentialKind {
        *self.kind.get_or_init(|| match self.settings.credential {
            CredentialKind::Auto => {
                let (kind, why) = pick(|v| env(v).is_some(), on_path);
                tracing::info!("azure.credential auto: using {} ({why})", kind.name());
                kind
            }
            kind => {
                tracing::info!("azure.credential: {}", kind.name());
                kind
            }
        })
    }

    fn credential(&self, cloud: AzureCloud) -> Result<Arc<dyn TokenCredential>, ProviderError> {
        let mut credentials = self.credentials.lock().expect("never poisoned");
        credentials
            .entry(cloud)
            .or_insert_with(|| self.build_credential(cloud))
            .clone()
    }

    fn build_credential(
        &self,
        cloud: AzureCloud,
    ) -> Result<Arc<dyn TokenCredential>, ProviderError> {
        let kind = self.kind();
        let mut client_options = self.client_options()?;
        if let Some(authority) = &self.settings.authority_host {
            let mut custom = CustomConfiguration::default();
            custom.authority_host = authority.clone();
            client_options.cloud = Some(Arc::new(custom.into()));
        } else if env("AZURE_AUTHORITY_HOST").is_none() {
            // The SDK reads `AZURE_AUTHORITY_HOST` itself, but only when no cloud is given.
            client_options.cloud = Some(Arc::new(cloud_configuration(cloud)));
        }
        let required = |name: &str| {
            env(name).ok_or_else(|| ProviderError::Credentials {
                message: format!("azure.credential is {}, but {name} is not set", kind.name()),
            })
        };
        let credential: Result<Arc<dyn TokenCredential>, azure_core::Error> = match kind {
            CredentialKind::ClientSecret | CredentialKind::Auto => {
                let (tenant, client, secret) = match &self.settings.service_principal {
                    Some(sp) => (
                        sp.tenant_id.clone(),
                        sp.client_id.clone(),
                        sp.client_secret.expose_secret().to_owned(),
                    ),
                    None => (
                        required("AZURE_TENANT_ID")?,
                        required("AZURE_CLIENT_ID")?,
                        required("AZURE_CLIENT_SECRET")?,
                    ),
                };
                let options = ClientSecretCredentialOptions { client_options };
                ClientSecretCredential::new(&tenant, client, Secret::new(secret), Some(options))
                    .map(|c| c as Arc<dyn TokenCredential>)
            }
            CredentialKind::WorkloadIdentity => {
                let options = WorkloadIdentityCredentialOptions {
                    credential_options: ClientAssertionCredentialOptions { client_options },
                    tenant_id: Some(required("AZURE_TENANT_ID")?),
                    client_id: Some(required("AZURE_CLIENT_ID")?),
                    token_file_path: Some(required("AZURE_FEDERATED_TOKEN_FILE")?.into()),
                };
                WorkloadIdentityCredential::new(Some(options))
                    .map(|c| c as Arc<dyn TokenCredential>)
            }
            CredentialKind::ManagedIdentity => {
                let options = ManagedIdentityCredentialOptions {
                    user_assigned_id: env("AZURE_CLIENT_ID").map(UserAssignedId::ClientId),
                    client_options,
                };
                ManagedIdentityCredential::new(Some(options)).map(|c| c as Arc<dyn TokenCredential>)
            }
            CredentialKind::DeveloperTools => {
                DeveloperToolsCredential::new(None).map(|c| c as Arc<dyn TokenCredential>)
            }
        };
        credential.map_err(|e| ProviderError::Credentials {
            message: format!("azure.credential {}: {}", kind.name(), messages(&e)),
        })
    }

    fn client(&self, id: &KeyVaultId) -> Result<Arc<SecretClient>, ProviderError> {
        let host = format!("{}.{}", id.vault, id.cloud.vault_suffix());
        let mut clients = self.clients.lock().expect("never poisoned");
        clients
            .entry(host)
            .or_insert_with_key(|host| self.build_client(host, id))
            .clone()
    }

    fn build_client(&self, host: &str, id: &KeyVaultId) -> Built<Arc<SecretClient>> {
        let mapped = self.settings.endpoints.get(host);
        let credential = self.credential(id.cloud)?;
        let options = SecretClientOptions {
            client_options: self.client_options()?,
            // A mapped host is not under the challenge's `vault.azure.net`.
            verify_challenge_resource: Some(mapped.is_none()),
            ..SecretClientOptions::default()
        };
        let url = mapped.cloned().unwrap_or_else(|| id.vault_url());
        SecretClient::new(&url, credential, Some(options))
            .map(Arc::new)
            .map_err(|e| ProviderError::Unreachable {
                message: format!("Key Vault URL `{url}`: {}", messages(&e)),
            })
    }

    /// One `GET /secrets/{name}[/{version}]`: the value, and what the attributes say.
    async fn read(&self, id: &KeyVaultId) -> Result<(Metadata, SecretValue), ProviderError> {
        let client = self.client(id)?;
        let options = SecretClientGetSecretOptions {
            secret_version: id.version.clone(),
            ..SecretClientGetSecretOptions::default()
        };
        let response = client
            .get_secret(&id.name, Some(options))
            .await
            .map_err(|e| sdk_error(&e))?;
        let body: WireSecret = response
            .into_body()
            .json()
            .map_err(|_| ProviderError::Service {
                code: "InvalidResponse".into(),
                message: "the answer is not a Key Vault secret bundle".into(),
            })?;
        let attributes = body.attributes.unwrap_or_default();
        if attributes.enabled == Some(false) {
            return Err(ProviderError::Disabled);
        }
        let now = SystemTime::now();
        let metadata = Metadata {
            tags: Some(body.tags.unwrap_or_default()),
            expired: attributes
                .exp
                .map(timestamp)
                .filter(|exp| *exp <= now)
                .map(rfc3339),
            not_before: attributes
                .nbf
                .map(timestamp)
                .filter(|nbf| *nbf > now)
                .map(rfc3339),
            details: crate::provider::Details {
                created: attributes.created.map(timestamp).map(rfc3339),
                updated: attributes.updated.map(timestamp).map(rfc3339),
                current_version: body
                    .id
                    .as_deref()
                    .and_then(|id| id.rsplit('/').next())
                    .map(str::to_owned),
                enabled: attributes.enabled.or(Some(true)),
                expires: attributes.exp.map(timestamp).map(rfc3339),
                ..crate::provider::Details::default()
            },
            ..Metadata::default()
        };
        let value = body
            .value
            .unwrap_or_else(|| SecretString::from(String::new()));
        Ok((metadata, SecretValue::Text(value)))
    }

    /// The value to render: Key Vault serves expired and not-yet-valid secrets (`exp` and `nbf`
    /// are advisory there), but a render must not use them.
    async fn value(&self, id: &KeyVaultId) -> Fetched {
        let (metadata, value) = self.read(id).await?;
        if let Some(since) = metadata.expired {
            return Err(ProviderError::Expired { since });
        }
        if let Some(from) = metadata.not_before {
            return Err(ProviderError::NotYetValid { from });
        }
        Ok(value)
    }
}

impl Provider for AzureProvider {
    fn fetch<'a>(&'a self, secrets: &'a [SecretRef]) -> BoxFuture<'a, Vec<Fetched>> {
        Box::pin(crate::provider::one_at_a_time(secrets, move |secret| async move {
            let id = KeyVaultId::of(secret).ok_or_else(|| ProviderError::no_provider(secret))?;
            self.value(id).await
        }))
    }

    /// Key Vault has no metadata-only read of a version: the one GET gives both, and the value
    /// is handed back so online lint need not read it again to check keys.
    fn describe<'a>(
        &'a self,
        secret: &'a SecretRef,
    ) -> BoxFuture<'a, Result<Described, ProviderError>> {
        Box::pin(async move {
            let id = KeyVaultId::of(secret).ok_or_else(|| ProviderError::no_provider(secret))?;
            let (mut metadata, value) = self.read(id).await?;
            // A pinned version's current one is the unversioned secret's: one more
            // read, so lint can tell a pin behind a rotation (its value is dropped).
            if id.version.is_some() {
                metadata.details.current_version = self
                    .read(&id.latest())
                    .await
                    .ok()
                    .and_then(|(current, _)| current.details.current_version);
            }
            Ok(Described {
                metadata,
                value: Some(Arc::new(value)),
            })
        })
    }

    /// Update Secret (`PATCH /secrets/{name}/{version}`, the SDK's `update_secret_properties`)
    /// on the version the mask reads: Key Vault replaces the tags whole, so the current ones
    /// are sent along; the value is not part of the request.
    fn tag<'a>(
        &'a self,
        secret: &'a SecretRef,
        tags: &'a BTreeMap<String, String>,
        current: &'a BTreeMap<String, String>,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            let id = KeyVaultId::of(secret).ok_or_else(|| ProviderError::no_provider(secret))?;
            let client = self.client(id)?;
            let mut all: std::collections::HashMap<String, String> =
                current.clone().into_iter().collect();
            all.extend(tags.clone());
            let parameters = UpdateSecretPropertiesParameters {
                tags: Some(all),
                ..UpdateSecretPropertiesParameters::default()
            };
            let options = SecretClientUpdateSecretPropertiesOptions {
                secret_version: id.version.clone(),
                ..SecretClientUpdateSecretPropertiesOptions::default()
            };
            let body = parameters.try_into().map_err(|_| ProviderError::Sdk {
                message: "cannot write the tags as JSON".into(),
            })?;
            client
                .update_secret_properties(&id.name, body, Some(options))
                .await
                .map_err(|e| sdk_error(&e))?;
            Ok(())
        })
    }
}

fn cloud_configuration(cloud: AzureCloud) -> CloudConfiguration {
    match cloud {
        AzureCloud::Public => CloudConfiguration::AzurePublic,
        AzureCloud::China => CloudConfiguration::AzureChina,
        AzureCloud::UsGovernment => CloudConfiguration::AzureGovernment,
        AzureCloud::Germany => {
            let mut custom = CustomConfiguration::default();
            custom.authority_host = "https://login.microsoftonline.de".into();
            custom.into()
        }
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

fn timestamp(seconds: i64) -> SystemTime {
    match u64::try_from(seconds) {
        Ok(s) => UNIX_EPOCH + Duration::from_secs(s),
        Err(_) => UNIX_EPOCH - Duration::from_secs(seconds.unsigned_abs()),
    }
}

fn rfc3339(time: SystemTime) -> String {
    humantime::format_rfc3339_seconds(time).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picked(vars: &[&str], path: &[&str]) -> CredentialKind {
        pick(|v| vars.contains(&v), |p| path.contains(&p)).0
    }

    #[test]
    fn auto_picks_by_what_the_environment_provides() {
        let with = |extra: &'static str| ["AZURE_TENANT_ID", "AZURE_CLIENT_ID", extra];
        assert_eq!(
            picked(&with("AZURE_CLIENT_SECRET"), &["az"]),
            CredentialKind::ClientSecret
        );
        assert_eq!(
            picked(&with("AZURE_FEDERATED_TOKEN_FILE"), &[]),
            CredentialKind::WorkloadIdentity
        );
        assert_eq!(
            picked(&["AZURE_CLIENT_SECRET", "IDENTITY_ENDPOINT"], &["az"]),
            CredentialKind::ManagedIdentity
        );
        assert_eq!(picked(&[], &["azd"]), CredentialKind::DeveloperTools);
        assert_eq!(picked(&[], &[]), CredentialKind::ManagedIdentity);
    }

    #[test]
    fn every_kind_has_a_name_that_parses_back() {
        for kind in [
            CredentialKind::Auto,
            CredentialKind::ClientSecret,
            CredentialKind::WorkloadIdentity,
            CredentialKind::ManagedIdentity,
            CredentialKind::DeveloperTools,
        ] {
            assert_eq!(CredentialKind::from_name(kind.name()), Some(kind));
            assert!(CredentialKind::NAMES.contains(kind.name()));
        }
        assert_eq!(CredentialKind::from_name("default"), None);
    }

    #[test]
    fn settings_never_print_the_client_secret() {
        let settings = Settings {
            service_principal: Some(ServicePrincipal {
                tenant_id: "t".into(),
                client_id: "c".into(),
                client_secret: "CANARY-sp-secret".into(),
            }),
            ..Settings::default()
        };
        let printed = format!("{settings:?}");
        assert!(!printed.contains("CANARY"), "{printed}");
        assert!(printed.contains("REDACTED"), "{printed}");
    }

    #[test]
    fn attribute_times_format_as_rfc3339() {
        assert_eq!(rfc3339(timestamp(1_700_000_000)), "2023-11-14T22:13:20Z");
    }
}
