//! HashiCorp Vault (or OpenBao) KV version 2 through `vaultrs`: a token or an AppRole login (once
//! per run), the mount taken from the path (the first segment, or the longest of `vault.mounts`
//! that prefixes it), the latest version or `?version=N`.
//!
//! vaultrs' `VaultClientSettings` and `AuthInfo` derive `Debug` with the token inside: neither is
//! ever formatted, and errors are mapped from their status codes, never printed with `{:?}`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures::future::BoxFuture;
use rustify::enums::{RequestMethod, RequestType, ResponseType};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::sync::OnceCell;
use vaultrs::client::{Client, VaultClient, VaultClientSettingsBuilder};
use vaultrs::error::ClientError;

use super::VaultPath;
use crate::mask::SecretRef;
use crate::provider::{Described, Fetched, Metadata, Provider, ProviderError, SecretValue};

/// A credential, or the file it is read from on first use (so a run without Vault masks never
/// reads it).
pub enum Credential {
    /// A value and the environment variable it came from, for messages.
    Value(SecretString, &'static str),
    /// Read from this file (one line, at most 64 KiB) when needed.
    File(PathBuf),
}

/// The most a credential file may hold: a token or an id is a line.
const CREDENTIAL_FILE_LIMIT: u64 = 64 * 1024;

impl Credential {
    /// Where it comes from, for `--verbose`: a variable's name or a file's path.
    fn source(&self) -> String {
        match self {
            Self::Value(_, name) => (*name).to_owned(),
            Self::File(path) => path.display().to_string(),
        }
    }

    /// The credential, checked to be one line of header-safe text: a control character would
    /// make an invalid HTTP header (and vaultrs panics on one). Messages name where it came
    /// from, never the text.
    fn get(&self) -> Result<SecretString, ProviderError> {
        let (value, from) = match self {
            Self::Value(value, name) => (value.clone(), (*name).to_owned()),
            Self::File(path) => (read_credential_file(path)?, path.display().to_string()),
        };
        if value.expose_secret().contains(['\n', '\r']) {
            return Err(ProviderError::Credentials {
                message: format!("{from} holds more than one line; a token or id is one line"),
            });
        }
        if value.expose_secret().chars().any(char::is_control) {
            return Err(ProviderError::Credentials {
                message: format!(
                    "{from} holds a control character, which no HTTP header can carry"
                ),
            });
        }
        Ok(value)
    }
}

/// A credential file's text, trimmed, read only if it is a regular file of a sane size.
fn read_credential_file(path: &Path) -> Result<SecretString, ProviderError> {
    use std::io::Read;
    let fail = |why: String| ProviderError::Credentials {
        message: format!("reading {}: {why}", path.display()),
    };
    let file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
    let metadata = file.metadata().map_err(|e| fail(e.to_string()))?;
    if !metadata.is_file() {
        return Err(fail("not a regular file".into()));
    }
    let mut bytes = Vec::new();
    file.take(CREDENTIAL_FILE_LIMIT + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(e.to_string()))?;
    if bytes.len() as u64 > CREDENTIAL_FILE_LIMIT {
        return Err(fail(format!(
            "larger than {CREDENTIAL_FILE_LIMIT} bytes, so not a credential"
        )));
    }
    let text = String::from_utf8(bytes).map_err(|_| fail("not UTF-8 text".into()))?;
    Ok(SecretString::from(text.trim().to_owned()))
}

/// A value bound for an HTTP header or a URL path, checked before any client is built.
fn check_setting(setting: &str, value: &str, path_segments: bool) -> Result<(), ProviderError> {
    let bad = if value.chars().any(char::is_control) {
        Some("a control character, which no HTTP header or URL can carry")
    } else if path_segments
        && (value.is_empty()
            || value
                .split('/')
                .any(|s| s.is_empty() || s == "." || s == ".."))
    {
        Some("an empty, `.` or `..` path segment")
    } else {
        None
    };
    match bad {
        Some(why) => Err(ProviderError::Credentials {
            message: format!("{setting} holds {why}"),
        }),
        None => Ok(()),
    }
}

/// How to log in.
pub enum Auth {
    /// A token.
    Token(Credential),
    /// An AppRole login at `mount` (usually `approle`).
    AppRole {
        /// Where the AppRole method is mounted.
        mount: String,
        /// The `role_id`.
        role_id: Credential,
        /// The `secret_id`.
        secret_id: Credential,
    },
    /// Nothing was found: every read fails with a message that says where a token is looked for.
    Missing,
}

/// Where and as whom the provider talks to Vault.
pub struct Settings {
    /// The server's address; `None` when neither the config nor `VAULT_ADDR` sets one (no
    /// address is guessed: a read names how to set it).
    pub address: Option<String>,
    /// An enterprise namespace.
    pub namespace: Option<String>,
    /// PEM files of CAs to trust besides the system's.
    pub ca_files: Vec<PathBuf>,
    /// How to log in.
    pub auth: Auth,
    /// Mounts longer than one segment, such as `team/kv`.
    pub mounts: Vec<String>,
    /// The longest one request may take.
    pub timeout: Option<Duration>,
}

impl Settings {
    /// The `vault` section, then Vault's own environment variables and `~/.vault-token`, as
    /// the Vault CLI reads them. Precedence: the config's address, namespace and CA over
    /// `VAULT_ADDR`, `VAULT_NAMESPACE` and `VAULT_CACERT`; AppRole files from the config, else
    /// `VAULT_ROLE_ID` and `VAULT_SECRET_ID`, else `VAULT_TOKEN`, else `~/.vault-token`.
    pub fn from_config(
        config: &super::Section,
        env: impl Fn(&str) -> Option<String>,
        timeout: Option<Duration>,
    ) -> Self {
        let env = |name: &str| env(name).filter(|v| !v.is_empty());
        let value = |text: String, name| Credential::Value(SecretString::from(text), name);
        let auth = if let Some(approle) = &config.approle {
            Auth::AppRole {
                mount: approle.mount.clone().unwrap_or_else(|| "approle".into()),
                role_id: Credential::File(approle.role_id_file.clone()),
                secret_id: Credential::File(approle.secret_id_file.clone()),
            }
        } else if let (Some(role_id), Some(secret_id)) =
            (env("VAULT_ROLE_ID"), env("VAULT_SECRET_ID"))
        {
            Auth::AppRole {
                mount: "approle".into(),
                role_id: value(role_id, "VAULT_ROLE_ID"),
                secret_id: value(secret_id, "VAULT_SECRET_ID"),
            }
        } else if let Some(token) = env("VAULT_TOKEN") {
            Auth::Token(value(token, "VAULT_TOKEN"))
        } else {
            let file = env("HOME").map(|h| PathBuf::from(h).join(".vault-token"));
            match file.filter(|f| f.is_file()) {
                Some(file) => Auth::Token(Credential::File(file)),
                None => Auth::Missing,
            }
        };
        Self {
            address: config.address.clone().or_else(|| env("VAULT_ADDR")),
            namespace: config.namespace.clone().or_else(|| env("VAULT_NAMESPACE")),
            ca_files: config
                .ca_file
                .clone()
                .or_else(|| env("VAULT_CACERT").map(PathBuf::from))
                .into_iter()
                .collect(),
            auth,
            mounts: config.mounts.clone(),
            timeout,
        }
    }
}

/// Vault KV v2 through vaultrs: one login, shared by every read.
pub struct VaultProvider {
    settings: Settings,
    /// Built, and logged in, on first use; a failed login fails every read of the run.
    client: OnceCell<Result<VaultClient, ProviderError>>,
}

impl VaultProvider {
    /// A provider that logs in on first use.
    pub fn new(settings: Settings) -> Self {
        Self {
            settings,
            client: OnceCell::new(),
        }
    }

    async fn client(&self) -> Result<&VaultClient, ProviderError> {
        self.client
            .get_or_init(|| self.login())
            .await
            .as_ref()
            .map_err(Clone::clone)
    }

    async fn login(&self) -> Result<VaultClient, ProviderError> {
        let s = &self.settings;
        let Some(address) = &s.address else {
            return Err(ProviderError::Unreachable {
                message: "no Vault address is set: export VAULT_ADDR (as `vault` reads it), or set vault.address in .secretmask.yaml".into(),
            });
        };
        if let Some(namespace) = &s.namespace {
            check_setting(
                "the Vault namespace (vault.namespace or VAULT_NAMESPACE)",
                namespace,
                true,
            )?;
        }
        if let Auth::AppRole { mount, .. } = &s.auth {
            check_setting("vault.approle.mount", mount, true)?;
        }
        tracing::info!(
            "vault: {address}{}, {}",
            s.namespace
                .as_deref()
                .map(|n| format!(" namespace {n}"))
                .unwrap_or_default(),
            match &s.auth {
                Auth::Token(token) => format!("token from {}", token.source()),
                Auth::AppRole {
                    mount,
                    role_id,
                    secret_id,
                } => format!(
                    "AppRole login at auth/{mount} (role_id from {}, secret_id from {})",
                    role_id.source(),
                    secret_id.source()
                ),
                Auth::Missing => "no token found".to_owned(),
            }
        );
        let mut builder = VaultClientSettingsBuilder::default();
        builder
            .address(address)
            .ca_certs(s.ca_files.iter().map(|p| p.display().to_string()).collect())
            .timeout(s.timeout);
        if let Some(namespace) = &s.namespace {
            builder.set_namespace(namespace.clone());
        }
        match &s.auth {
            Auth::Token(token) => {
                builder.token(token.get()?.expose_secret());
            }
            Auth::AppRole { .. } => {
                builder.token("");
            }
            Auth::Missing => {
                return Err(ProviderError::Credentials {
                    message: "no Vault token: set VAULT_TOKEN, write ~/.vault-token, or configure AppRole (VAULT_ROLE_ID and VAULT_SECRET_ID, or vault.approle)".into(),
                });
            }
        }
        let settings = builder.build().map_err(|e| ProviderError::Unreachable {
            message: format!("Vault address `{address}`: {e}"),
        })?;
        let mut client = VaultClient::new(settings).map_err(|e| client_error(&e))?;
        if let Auth::AppRole {
            mount,
            role_id,
            secret_id,
        } = &s.auth
        {
            let (role_id, secret_id) = (role_id.get()?, secret_id.get()?);
            let auth = retried(|| {
                vaultrs::auth::approle::login(
                    &client,
                    mount,
                    role_id.expose_secret(),
                    secret_id.expose_secret(),
                )
            })
            .await
            .map_err(|e| match status(&e) {
                Some(400) => ProviderError::AuthFailed {
                    message: format!(
                        "AppRole login at `auth/{mount}` refused the role_id and secret_id"
                    ),
                },
                // No such auth mount, or a path the login may not use: the login failed, not a
                // policy on the secrets.
                Some(code @ 403..=405) => ProviderError::AuthFailed {
                    message: format!(
                        "AppRole login at `auth/{mount}` failed ({code}): is `{mount}` the mount of the AppRole auth method (vault.approle.mount)?"
                    ),
                },
                _ => client_error(&e),
            })?;
            let token = SecretString::from(auth.client_token);
            client.set_token(token.expose_secret());
        }
        Ok(client)
    }

    /// The mount and the path inside it.
    fn split<'a>(&self, path: &'a str) -> (&'a str, &'a str) {
        let longest = self
            .settings
            .mounts
            .iter()
            .map(|m| m.trim_matches('/'))
            .filter(|m| {
                path.strip_prefix(m)
                    .is_some_and(|rest| rest.starts_with('/'))
            })
            .max_by_key(|m| m.len());
        let at = match longest {
            Some(mount) => mount.len(),
            None => path.find('/').unwrap_or(path.len()),
        };
        (&path[..at], path[at..].trim_start_matches('/'))
    }

    async fn read(&self, secret: &VaultPath) -> Fetched {
        let client = self.client().await?;
        let (mount, path) = self.split(&secret.path);
        let read = retried(|| async {
            match secret.version {
                Some(version) => {
                    vaultrs::kv2::read_version::<serde_json::Value>(client, mount, path, version)
                        .await
                }
                None => vaultrs::kv2::read::<serde_json::Value>(client, mount, path).await,
            }
        })
        .await;
        match read {
            Ok(serde_json::Value::Object(data)) => {
                // The value leaves vaultrs as JSON; keep it only as a secret string from here.
                let text = serde_json::Value::Object(data).to_string();
                Ok(SecretValue::Text(SecretString::from(text)))
            }
            Ok(_) => Err(ProviderError::Service {
                code: "NotAnObject".into(),
                message: "the KV v2 secret's data is not a JSON object".into(),
            }),
            Err(e) if status(&e) == Some(404) => Err(self
                .why_not_found(client, mount, path, secret.version)
                .await),
            Err(e) => Err(client_error(&e)),
        }
    }

    /// A 404 on a read means a missing secret, a deleted or destroyed version, or a mount that
    /// is not KV v2: the metadata and the mount tell which.
    async fn why_not_found(
        &self,
        client: &VaultClient,
        mount: &str,
        path: &str,
        version: Option<u64>,
    ) -> ProviderError {
        if let Ok(info) = vaultrs::api::exec_with_result(
            client,
            MountInfoRequest {
                path: format!("{mount}/{path}"),
            },
        )
        .await
            && info.kind == "kv"
        {
            let real = info.path.trim_end_matches('/');
            if info.options.get("version").map(String::as_str) != Some("2") {
                return ProviderError::KvV1 {
                    mount: real.to_owned(),
                };
            }
            if real != mount {
                return ProviderError::Service {
                    code: "WrongMount".into(),
                    message: format!(
                        "the path is under the mount `{real}`, not `{mount}`: list `{real}` in vault.mounts"
                    ),
                };
            }
        }
        let Ok(metadata) = retried(|| vaultrs::kv2::read_metadata(client, mount, path)).await
        else {
            return ProviderError::NotFound;
        };
        let version = version.unwrap_or(metadata.current_version);
        match metadata.versions.get(&version.to_string()) {
            Some(v) if v.destroyed => ProviderError::VersionDestroyed { version },
            Some(v) if !v.deletion_time.is_empty() => ProviderError::VersionDeleted {
                version,
                since: v.deletion_time.clone(),
            },
            _ => ProviderError::NotFound,
        }
    }

    async fn describe_path(&self, secret: &VaultPath) -> Result<Metadata, ProviderError> {
        let client = self.client().await?;
        let (mount, path) = self.split(&secret.path);
        let metadata = match retried(|| vaultrs::kv2::read_metadata(client, mount, path)).await {
            Ok(metadata) => metadata,
            Err(e) if status(&e) == Some(404) => {
                return Err(self
                    .why_not_found(client, mount, path, secret.version)
                    .await);
            }
            Err(e) => return Err(client_error(&e)),
        };
        let version = secret.version.unwrap_or(metadata.current_version);
        let Some(state) = metadata.versions.get(&version.to_string()) else {
            return Err(ProviderError::NotFound);
        };
        let tags: BTreeMap<String, String> = metadata
            .custom_metadata
            .unwrap_or_default()
            .into_iter()
            .collect();
        let mut details = crate::provider::Details {
            created: Some(metadata.created_time.clone()).filter(|t| !t.is_empty()),
            updated: Some(metadata.updated_time.clone()).filter(|t| !t.is_empty()),
            current_version: Some(metadata.current_version.to_string()),
            ..crate::provider::Details::default()
        };
        for (number, each) in &metadata.versions {
            let Ok(number) = number.parse::<u64>() else {
                continue;
            };
            if each.destroyed {
                details.destroyed_versions.push(number);
            } else if !each.deletion_time.is_empty() {
                details.deleted_versions.push(number);
            }
        }
        details.deleted_versions.sort_unstable();
        details.destroyed_versions.sort_unstable();
        Ok(Metadata {
            tags: Some(tags),
            version_deleted: (!state.destroyed && !state.deletion_time.is_empty())
                .then(|| state.deletion_time.clone()),
            version_destroyed: state.destroyed,
            version: Some(version),
            details,
            ..Metadata::default()
        })
    }
}

impl Provider for VaultProvider {
    fn fetch<'a>(&'a self, secrets: &'a [SecretRef]) -> BoxFuture<'a, Vec<Fetched>> {
        Box::pin(crate::provider::one_at_a_time(secrets, move |secret| async move {
            let path = VaultPath::of(secret).ok_or_else(|| ProviderError::no_provider(secret))?;
            self.read(path).await
        }))
    }

    fn describe<'a>(
        &'a self,
        secret: &'a SecretRef,
    ) -> BoxFuture<'a, Result<Described, ProviderError>> {
        Box::pin(async move {
            let path = VaultPath::of(secret).ok_or_else(|| ProviderError::no_provider(secret))?;
            self.describe_path(path).await.map(Described::from)
        })
    }

    /// `PATCH <mount>/metadata/<path>` with a JSON merge patch of `custom_metadata`: the named
    /// entries are set, the others (and the secret's versions) stay as they are.
    fn tag<'a>(
        &'a self,
        secret: &'a SecretRef,
        tags: &'a BTreeMap<String, String>,
        _current: &'a BTreeMap<String, String>,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            let vault_path =
                VaultPath::of(secret).ok_or_else(|| ProviderError::no_provider(secret))?;
            let client = self.client().await?;
            let (mount, path) = self.split(&vault_path.path);
            let patch = PatchMetadataRequest {
                mount: mount.to_owned(),
                path: path.to_owned(),
                custom_metadata: tags.clone(),
            };
            use rustify::Endpoint;
            patch
                .with_middleware(&MergePatch(client.middle()))
                .exec(client.http())
                .await
                .map(|_| ())
                .map_err(|e| client_error(&ClientError::RestClientError { source: e }))
        })
    }
}

/// `PATCH <mount>/metadata/<path>` (KV v2, Vault 1.9 and OpenBao).
#[derive(serde::Serialize)]
struct PatchMetadataRequest {
    #[serde(skip)]
    mount: String,
    #[serde(skip)]
    path: String,
    custom_metadata: BTreeMap<String, String>,
}

impl rustify::Endpoint for PatchMetadataRequest {
    type Response = ();
    const REQUEST_BODY_TYPE: RequestType = RequestType::JSON;
    const RESPONSE_BODY_TYPE: ResponseType = ResponseType::JSON;

    fn path(&self) -> String {
        format!("{}/metadata/{}", self.mount, self.path)
    }

    fn method(&self) -> RequestMethod {
        RequestMethod::PATCH
    }

    fn body(&self) -> Result<Option<Vec<u8>>, rustify::errors::ClientError> {
        serde_json::to_vec(self)
            .map(Some)
            .map_err(|e| rustify::errors::ClientError::DataParseError { source: e.into() })
    }
}

/// vaultrs's middleware (address, token, namespace), and the content type Vault requires of
/// a PATCH: a JSON merge patch.
struct MergePatch<'a>(&'a vaultrs::api::EndpointMiddleware);

impl rustify::MiddleWare for MergePatch<'_> {
    fn request<E: rustify::Endpoint>(
        &self,
        endpoint: &E,
        request: &mut http::Request<Vec<u8>>,
    ) -> Result<(), rustify::errors::ClientError> {
        self.0.request(endpoint, request)?;
        request.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/merge-patch+json"),
        );
        Ok(())
    }

    fn response<E: rustify::Endpoint>(
        &self,
        endpoint: &E,
        response: &mut http::Response<Vec<u8>>,
    ) -> Result<(), rustify::errors::ClientError> {
        self.0.response(endpoint, response)
    }
}

/// `GET sys/internal/ui/mounts/:path`: the mount a path is under, its type and options — the
/// request Vault's own CLI makes to tell KV v1 from v2, allowed to any token that can use the
/// path.
struct MountInfoRequest {
    path: String,
}

#[derive(Deserialize)]
struct MountInfo {
    #[serde(rename = "type")]
    kind: String,
    path: String,
    #[serde(default)]
    options: BTreeMap<String, String>,
}

impl rustify::Endpoint for MountInfoRequest {
    type Response = MountInfo;
    const REQUEST_BODY_TYPE: RequestType = RequestType::JSON;
    const RESPONSE_BODY_TYPE: ResponseType = ResponseType::JSON;

    fn path(&self) -> String {
        format!("sys/internal/ui/mounts/{}", self.path)
    }

    fn method(&self) -> RequestMethod {
        RequestMethod::GET
    }
}

/// The HTTP status of a server's error answer. vaultrs makes an `APIError` of it only when the
/// body holds Vault's `errors` list; a KV v2 404 for a deleted version has none.
/// Attempts of one Vault request: the first and up to two retries, as the AWS SDK's standard
/// mode makes (`README.md` §Reliability).
const ATTEMPTS: usize = 3;

/// `call`, retried with jittered exponential backoff (200 ms, then 400 ms, at most 5 s) while it
/// fails in a way another attempt may cure ([`transient`]); the caller's `--timeout` bounds it
/// all.
async fn retried<T, F, Fut>(call: F) -> Result<T, ClientError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ClientError>>,
{
    use backon::Retryable;
    let policy = backon::ExponentialBuilder::default()
        .with_min_delay(std::time::Duration::from_millis(200))
        .with_max_delay(std::time::Duration::from_secs(5))
        .with_max_times(ATTEMPTS - 1)
        .with_jitter();
    call.retry(policy)
        .sleep(tokio::time::sleep)
        .when(transient)
        .notify(|error, after| {
            tracing::debug!(
                "vault: retrying in {} ms: {}",
                after.as_millis(),
                client_error(error)
            );
        })
        .await
}

/// Whether another attempt may succeed: a connection refused, reset or cut mid-answer, an
/// answer that does not parse, 429 and 5xx (but 501); never another 4xx, which will not change.
fn transient(error: &ClientError) -> bool {
    use rustify::errors::ClientError as Http;
    match (status(error), error) {
        (Some(code), _) => code == 429 || ((500..600).contains(&code) && code != 501),
        (None, ClientError::RestClientError { source }) => matches!(
            source,
            Http::RequestError { .. }
                | Http::ResponseError { .. }
                | Http::ResponseParseError { .. }
                | Http::ResponseConversionError { .. }
        ),
        (None, ClientError::JsonParseError { .. } | ClientError::ResponseEmptyError) => true,
        (None, _) => false,
    }
}

fn status(error: &ClientError) -> Option<u16> {
    match error {
        ClientError::APIError { code, .. } => Some(*code),
        ClientError::RestClientError {
            source: rustify::errors::ClientError::ServerResponseError { code, .. },
        } => Some(*code),
        _ => None,
    }
}

/// Maps a vaultrs error by its kind and status: its messages are generic, and its sources can
/// quote a response body.
fn client_error(error: &ClientError) -> ProviderError {
    match (status(error), error) {
        (Some(403), _) => ProviderError::AccessDenied {
            message: "permission denied (403)".into(),
        },
        (Some(404), _) => ProviderError::NotFound,
        (Some(503), _) => ProviderError::Sealed,
        (Some(429), _) => ProviderError::Throttled {
            message: "rate limited (429)".into(),
        },
        (_, ClientError::APIError { code, errors }) => ProviderError::Service {
            code: code.to_string(),
            message: errors.join("; "),
        },
        (Some(code), _) => ProviderError::Service {
            code: code.to_string(),
            message: "the server answered with an error".into(),
        },
        (_, ClientError::RestClientError { source }) => transport_error(source),
        (_, ClientError::FileReadError { path, source }) => ProviderError::Unreachable {
            message: format!("reading the CA file {path}: {source}"),
        },
        (_, ClientError::ParseCertificateError { path, .. }) => ProviderError::Unreachable {
            message: format!("the CA file {path} holds no PEM certificate"),
        },
        (_, other) => ProviderError::Unreachable {
            message: other.to_string(),
        },
    }
}

/// A transport failure: the reqwest error underneath says what happened (refused, timed out,
/// certificate); its chain names the URL, never a body.
fn transport_error(error: &rustify::errors::ClientError) -> ProviderError {
    match crate::provider::chain(error).find_map(|e| e.downcast_ref::<reqwest::Error>()) {
        Some(r) if r.is_timeout() => ProviderError::TimedOut { seconds: None },
        Some(r) => ProviderError::Unreachable {
            message: crate::provider::causes(r),
        },
        None => ProviderError::Unreachable {
            message: error.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(mounts: &[&str]) -> VaultProvider {
        VaultProvider::new(Settings {
            address: Some("http://127.0.0.1:8200".into()),
            namespace: None,
            ca_files: Vec::new(),
            auth: Auth::Missing,
            mounts: mounts.iter().map(|m| m.to_string()).collect(),
            timeout: None,
        })
    }

    #[test]
    fn the_mount_is_the_first_segment_or_the_longest_listed_prefix() {
        assert_eq!(provider(&[]).split("kv/app/db"), ("kv", "app/db"));
        let p = provider(&["team/kv", "team/kv/deep", "team/k"]);
        assert_eq!(p.split("team/kv/app/db"), ("team/kv", "app/db"));
        assert_eq!(p.split("team/kv/deep/x"), ("team/kv/deep", "x"));
        assert_eq!(p.split("other/x"), ("other", "x"));
    }
}
