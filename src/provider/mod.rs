//! Secret stores behind one async trait. A provider fetches whole secrets, a batch at a time;
//! choosing a key inside one is the resolver's job, the same for every store.

pub mod file;

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::future::BoxFuture;
use secrecy::{SecretSlice, SecretString};

use crate::mask::{SecretRef, Store};

/// A whole secret, as the store holds it. Values stay in `secrecy` types from the moment they
/// are read: `Debug` prints `[REDACTED]`.
pub enum SecretValue {
    /// A string secret (AWS `SecretString`, a Key Vault value), often a JSON object.
    Text(SecretString),
    /// AWS `SecretBinary`.
    Binary(SecretSlice<u8>),
}

impl std::fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Text(_) => f.write_str("Text([REDACTED])"),
            Self::Binary(_) => f.write_str("Binary([REDACTED])"),
        }
    }
}

/// What a store says about a secret besides its value, for online lint.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Metadata {
    /// `None` when the store has no tags (the file store).
    pub tags: Option<BTreeMap<String, String>>,
    /// When the secret was scheduled for deletion (AWS `DeletedDate`), as the store wrote it.
    pub deleted: Option<String>,
    /// The version a versioned store (Vault KV v2) answered about.
    pub version: Option<u64>,
    /// When that version was soft-deleted (Vault `deletion_time`).
    pub version_deleted: Option<String>,
    /// Whether that version was destroyed (Vault `destroyed`).
    pub version_destroyed: bool,
    /// When the secret expired, if it has (Key Vault `exp` in the past).
    pub expired: Option<String>,
    /// When the secret becomes valid, if that is still to come (Key Vault `nbf`).
    pub not_before: Option<String>,
    /// What the inventory shows besides: never a value.
    pub details: Details,
}

/// What a store says of a secret for `secretmask inventory`, each where the store has it; times
/// as RFC 3339.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Details {
    /// The secret's name (AWS `Name`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The full ARN (AWS), for a mask that wrote a partial one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// When the secret was created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// When it last changed (AWS `LastChangedDate`, Vault `updated_time`, Key Vault `updated`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    /// When it was last read (AWS `LastAccessedDate`, a day's precision).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_accessed: Option<String>,
    /// Whether rotation is on (AWS `RotationEnabled`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_enabled: Option<bool>,
    /// When it was last rotated (AWS `LastRotatedDate`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_rotated: Option<String>,
    /// When it rotates next (AWS `NextRotationDate`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_rotation: Option<String>,
    /// The current version (Vault's number, Key Vault's id, AWS's `AWSCURRENT` version id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<String>,
    /// Whether it is enabled (Key Vault).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// When it expires (Key Vault `exp`), past or future.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Vault versions soft-deleted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deleted_versions: Vec<u64>,
    /// Vault versions destroyed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub destroyed_versions: Vec<u64>,
}

impl Metadata {
    /// Whether the secret (and the version asked for) can be read.
    pub fn is_live(&self) -> bool {
        self.deleted.is_none()
            && self.version_deleted.is_none()
            && !self.version_destroyed
            && self.expired.is_none()
            && self.not_before.is_none()
    }
}

/// A store's answer to `describe`: the metadata, and the value too where the store can only
/// give both at once (Key Vault), so it need not be read twice.
#[derive(Debug)]
pub struct Described {
    /// What the store says.
    pub metadata: Metadata,
    /// The value, when it came with the metadata.
    pub value: Option<Arc<SecretValue>>,
}

impl From<Metadata> for Described {
    fn from(metadata: Metadata) -> Self {
        Self {
            metadata,
            value: None,
        }
    }
}

/// Why a store could not give a secret. Never holds a value: messages come from the store's
/// error metadata, which names secrets, not their contents.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProviderError {
    /// The store has no such secret, or these credentials cannot see it.
    #[error("secret not found")]
    NotFound,
    /// A partial ARN that matches more than one secret.
    #[error("the partial ARN matches {count} secrets; use the full ARN")]
    AmbiguousPartialArn {
        /// How many it matches.
        count: usize,
    },
    /// The store denied the call.
    #[error("access denied: {message}")]
    AccessDenied {
        /// The store's reason.
        message: String,
    },
    /// The secret is scheduled for deletion.
    #[error("the secret is scheduled for deletion")]
    ScheduledForDeletion,
    /// The store could not decrypt the secret (its KMS key).
    #[error("the store could not decrypt the secret: {message}")]
    DecryptionFailure {
        /// The store's reason.
        message: String,
    },
    /// Throttled, after the SDK's retries.
    #[error("throttled by the store, still after the SDK's retries: {message}")]
    Throttled {
        /// The store's reason.
        message: String,
    },
    /// No answer in time.
    #[error("timed out{}", seconds.map(|s| format!(": no answer within {s}s (--timeout)")).unwrap_or_default())]
    TimedOut {
        /// The `--timeout`, when it was the limit.
        seconds: Option<u64>,
    },
    /// The store could not be reached.
    #[error("cannot reach the store: {message}")]
    Unreachable {
        /// Why.
        message: String,
    },
    /// No credentials could be found or used.
    #[error("no credentials: {message}")]
    Credentials {
        /// Which and why, never the credential.
        message: String,
    },
    /// Another error answer of the store.
    #[error("the store refused the request: {code}: {message}")]
    Service {
        /// The store's error code.
        code: String,
        /// The store's message.
        message: String,
    },
    /// Vault is sealed.
    #[error("the store is sealed (503): unseal it, then run again")]
    Sealed,
    /// A login (AppRole) was refused.
    #[error("login failed: {message}")]
    AuthFailed {
        /// Why.
        message: String,
    },
    /// A Vault mount of KV version 1.
    #[error("`{mount}` is a KV version 1 mount; only KV version 2 is supported")]
    KvV1 {
        /// The mount.
        mount: String,
    },
    /// The Vault version read was soft-deleted.
    #[error("version {version} was deleted on {since} (it can be undeleted)")]
    VersionDeleted {
        /// The version.
        version: u64,
        /// When.
        since: String,
    },
    /// The Vault version read was destroyed.
    #[error("version {version} was destroyed")]
    VersionDestroyed {
        /// The version.
        version: u64,
    },
    /// The Key Vault secret or version is disabled.
    #[error("the secret is disabled")]
    Disabled,
    /// The Key Vault secret expired (`exp`).
    #[error("the secret expired on {since}")]
    Expired {
        /// When.
        since: String,
    },
    /// The Key Vault secret is not valid yet (`nbf`).
    #[error("the secret is not valid before {from}")]
    NotYetValid {
        /// From when.
        from: String,
    },
    /// The SDK failed in another way.
    #[error("the SDK failed: {message}")]
    Sdk {
        /// What it said, from its error's metadata.
        message: String,
    },
    /// No store is configured for the secret's kind.
    #[error(
        "no store is configured for `{store}` secrets: give --secrets-file or `secrets_file` in .secretmask.yaml"
    )]
    NoProvider {
        /// The store.
        store: Store,
    },
    /// This build left the store out.
    #[error(
        "this secretmask was built without the `{feature}` feature, so it cannot read `{store}` secrets"
    )]
    NotBuilt {
        /// The store.
        store: Store,
        /// The Cargo feature that brings it.
        feature: &'static str,
    },
    /// The store keeps no tags (the `file` store).
    #[error("a secrets file holds no tags: tag the secret in its store")]
    NoTags,
}

/// An error and its sources, outermost first.
#[cfg(any(feature = "aws", feature = "vault", feature = "azure"))]
pub(crate) fn chain<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(error), |e| e.source())
}

/// The messages of an error and its sources, joined; a message its cause repeats is skipped.
#[cfg(any(feature = "aws", feature = "vault", feature = "azure"))]
pub(crate) fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    join_causes(chain(error).map(|e| e.to_string()))
}

/// Messages, outermost first, joined with `: `; an empty one, or one an earlier one already
/// holds, is skipped.
#[cfg(any(feature = "aws", feature = "vault", feature = "azure"))]
pub(crate) fn join_causes(messages: impl Iterator<Item = String>) -> String {
    let mut parts: Vec<String> = Vec::new();
    for text in messages {
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

/// The answer for one secret of a batch.
pub type Fetched = Result<SecretValue, ProviderError>;

/// Answers a batch one secret at a time, in order: for stores without a batch read.
#[cfg(any(feature = "vault", feature = "azure"))]
pub(crate) async fn one_at_a_time<'a, Fut>(
    secrets: &'a [SecretRef],
    read: impl Fn(&'a SecretRef) -> Fut,
) -> Vec<Fetched>
where
    Fut: Future<Output = Fetched>,
{
    let mut answers = Vec::with_capacity(secrets.len());
    for secret in secrets {
        answers.push(read(secret).await);
    }
    answers
}

impl ProviderError {
    /// The answer for a secret no provider here can read (a provider asked for another store's
    /// secret: `ok_or_else(|| ProviderError::no_provider(secret))` after the locator type's `of`).
    pub(crate) fn no_provider(secret: &SecretRef) -> Self {
        Self::NoProvider {
            store: secret.store(),
        }
    }
}

/// A secret store.
pub trait Provider: Send + Sync {
    /// Secrets in the same group can be fetched in one batch (AWS: one partition and region).
    fn group(&self, _secret: &SecretRef) -> String {
        String::new()
    }

    /// The most secrets one `fetch` is given.
    fn batch_limit(&self) -> usize {
        1
    }

    /// Fetches `secrets` (all of one group, at most `batch_limit`): one answer each, in order.
    fn fetch<'a>(&'a self, secrets: &'a [SecretRef]) -> BoxFuture<'a, Vec<Fetched>>;

    /// What the store says about a secret (with its value only where the store cannot give
    /// one without the other).
    fn describe<'a>(
        &'a self,
        secret: &'a SecretRef,
    ) -> BoxFuture<'a, Result<Described, ProviderError>>;

    /// The ARN of the AWS secret named `name` in `region` (`DescribeSecret` by name), for a
    /// reference written without its ARN; only a store that holds AWS secrets answers.
    fn arn_of<'a>(
        &'a self,
        _region: &'a str,
        _name: &'a str,
    ) -> BoxFuture<'a, Result<String, ProviderError>> {
        Box::pin(async { Err(ProviderError::NotFound) })
    }

    /// What identifies the secret's current content without its value, for a watch to tell a
    /// new version: AWS the `AWSCURRENT` version id, Vault KV v2 the current version, Key
    /// Vault the current version id (each from `describe`).
    fn fingerprint<'a>(
        &'a self,
        secret: &'a SecretRef,
    ) -> BoxFuture<'a, Result<String, ProviderError>> {
        Box::pin(async move {
            let described = self.describe(secret).await?;
            described
                .metadata
                .details
                .current_version
                .ok_or_else(|| ProviderError::Service {
                    code: "NoVersion".into(),
                    message: "the store gave no current version for the secret".into(),
                })
        })
    }

    /// Adds `tags` to a secret, keeping its other tags and never writing its value. `current`
    /// is what `describe` found, for a store whose update replaces every tag (Key Vault).
    fn tag<'a>(
        &'a self,
        _secret: &'a SecretRef,
        _tags: &'a BTreeMap<String, String>,
        _current: &'a BTreeMap<String, String>,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async { Err(ProviderError::NoTags) })
    }
}

/// The provider for each store, one per [`Store::ALL`], each built by its store's section of
/// the configuration (`store`): nothing here names a store.
#[derive(Clone)]
pub struct Providers {
    by_store: [Arc<dyn Provider>; Store::ALL.len()],
}

impl Providers {
    /// Every store as a loaded configuration sets it up: the file store for everything when a
    /// secrets file is named (`secrets_file` wins over the config's), else AWS, Vault and Azure
    /// built from their sections and the environment (each lazily: no call, no credential read
    /// until a secret of that store is asked for). `timeout` bounds each call.
    pub fn from_config(
        loaded: &crate::config::Loaded,
        secrets_file: Option<&std::path::Path>,
        timeout: Option<std::time::Duration>,
    ) -> Result<Self, file::FileStoreError> {
        let config = &loaded.config;
        if let Some(path) = secrets_file.or(config.secrets_file.as_deref()) {
            let why = match (secrets_file, &loaded.secrets_file_from) {
                (Some(_), _) => "--secrets-file".to_owned(),
                (None, Some(from)) => format!("secrets_file in {}", from.display()),
                (None, None) => "secrets_file".to_owned(),
            };
            tracing::info!(
                "stores: every mask resolves from the file store {} ({why}); no network is used",
                path.display()
            );
            return Ok(Self::all(Arc::new(file::FileStore::load(path)?)));
        }
        Ok(Self::each(|store| {
            crate::store::provider(store, config, timeout)
        }))
    }

    /// A provider per store, each made by `make`.
    pub fn each(mut make: impl FnMut(Store) -> Arc<dyn Provider>) -> Self {
        Self {
            by_store: Store::ALL.map(&mut make),
        }
    }

    /// One provider for every store (the file store).
    pub fn all(provider: Arc<dyn Provider>) -> Self {
        Self::each(|_| provider.clone())
    }

    /// These providers with `store`'s replaced by `provider`.
    pub fn with(mut self, store: Store, provider: Arc<dyn Provider>) -> Self {
        self.by_store[store.index()] = provider;
        self
    }

    /// The provider of `store`.
    pub fn get(&self, store: Store) -> &Arc<dyn Provider> {
        &self.by_store[store.index()]
    }
}

/// The provider of a store this build left out: every secret fails with the feature's name.
pub struct NotBuilt(pub &'static str);

impl Provider for NotBuilt {
    fn fetch<'a>(&'a self, secrets: &'a [SecretRef]) -> BoxFuture<'a, Vec<Fetched>> {
        Box::pin(async move {
            secrets
                .iter()
                .map(|s| {
                    Err(ProviderError::NotBuilt {
                        store: s.store(),
                        feature: self.0,
                    })
                })
                .collect()
        })
    }

    fn describe<'a>(
        &'a self,
        secret: &'a SecretRef,
    ) -> BoxFuture<'a, Result<Described, ProviderError>> {
        Box::pin(async move {
            Err(ProviderError::NotBuilt {
                store: secret.store(),
                feature: self.0,
            })
        })
    }
}

/// The provider of a store nothing is configured for.
pub struct Unconfigured;

impl Provider for Unconfigured {
    fn fetch<'a>(&'a self, secrets: &'a [SecretRef]) -> BoxFuture<'a, Vec<Fetched>> {
        Box::pin(async move {
            secrets
                .iter()
                .map(|s| Err(ProviderError::no_provider(s)))
                .collect()
        })
    }

    fn describe<'a>(
        &'a self,
        secret: &'a SecretRef,
    ) -> BoxFuture<'a, Result<Described, ProviderError>> {
        Box::pin(async move { Err(ProviderError::no_provider(secret)) })
    }
}
