//! The `Resolver`: the one path by which render, online lint and library users get values. It
//! fetches each distinct secret once per TTL, then picks each mask's key from it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use futures::{FutureExt, StreamExt};
use moka::future::Cache;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

use crate::mask::{Mask, Modifier, SecretRef, Store};
use crate::provider::{Described, ProviderError, Providers, SecretValue};

/// Why a mask has no value: one shared error for every mask that selects the same key of the
/// same secret, so a template with many masks holds one pointer per mask. Holds key *names* at
/// most, never a value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(transparent)]
pub struct ResolveError(Arc<ResolveErrorKind>);

impl ResolveError {
    /// What went wrong.
    pub fn kind(&self) -> &ResolveErrorKind {
        &self.0
    }
}

impl From<ResolveErrorKind> for ResolveError {
    fn from(kind: ResolveErrorKind) -> Self {
        Self(Arc::new(kind))
    }
}

impl From<ProviderError> for ResolveError {
    fn from(error: ProviderError) -> Self {
        ResolveErrorKind::Provider(error).into()
    }
}

/// The cause of a [`ResolveError`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveErrorKind {
    /// The store could not give the secret.
    #[error("{0}")]
    Provider(ProviderError),
    /// The secret has no such key.
    #[error("key `{key}` is not in the secret{}", available_keys(.available))]
    KeyMissing {
        /// The key asked for.
        key: String,
        /// The keys it has.
        available: Vec<String>,
    },
    /// A key was asked of a secret that is not a JSON object.
    #[error("the secret is not a JSON object, so key `{key}` cannot be selected")]
    NotJsonObject {
        /// The key asked for.
        key: String,
    },
    /// A key was asked of a binary secret.
    #[error("the secret is binary, so key `{key}` cannot be selected")]
    BinaryWithKey {
        /// The key asked for.
        key: String,
    },
    /// `jsonParse` of a value that is not JSON text.
    #[error("the value of key `{key}` is not JSON text, which `jsonParse` reads")]
    NotJson {
        /// The key asked for.
        key: String,
    },
}

fn available_keys(keys: &[String]) -> String {
    if keys.is_empty() {
        String::new()
    } else {
        format!(
            " (it has {})",
            keys.iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

/// Why a resolver could not be set up from the configuration ([`Resolver::from_env`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// The working directory is unreadable.
    #[error("the current directory: {0}")]
    CurrentDir(#[source] std::io::Error),
    /// The configuration is unreadable or invalid.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The secrets file is unreadable or invalid.
    #[error("secrets file {0}")]
    SecretsFile(#[from] crate::provider::file::FileStoreError),
}

/// How the resolver fetches and caches.
#[derive(Clone, Debug)]
pub struct Options {
    /// How long a fetched secret is served from the cache (`cache.ttl`).
    pub ttl: Duration,
    /// How many secrets the cache holds at most (`cache.capacity`).
    pub capacity: u64,
    /// How many store calls may be in flight at once (`--concurrency`).
    pub concurrency: usize,
    /// How long a whole resolution may take (`--timeout`); what is unanswered by then fails.
    pub timeout: Option<Duration>,
    /// For how long after its TTL a secret's last good value is served when its store cannot
    /// be reached (unreachable, timed out, throttled, sealed); `None` (the default) never
    /// serves a value older than the TTL. Answers that say something about the secret (not
    /// found, denied) are never papered over.
    pub serve_stale_for: Option<Duration>,
}

impl Options {
    /// The defaults with the `cache` section's TTL and capacity.
    pub fn from_config(config: &crate::config::Config) -> Self {
        let defaults = Self::default();
        Self {
            ttl: config.cache.ttl.map_or(defaults.ttl, |ttl| ttl.0),
            capacity: config.cache.capacity.unwrap_or(defaults.capacity),
            ..defaults
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(300),
            capacity: 10_000,
            concurrency: 8,
            timeout: None,
            serve_stale_for: None,
        }
    }
}

/// Fetches secrets through a TTL cache that coalesces loads: a secret is fetched once per TTL
/// however many masks or concurrent callers want it. Safe to share between tasks.
pub struct Resolver {
    providers: Providers,
    cache: Cache<SecretRef, Arc<SecretValue>>,
    /// The last good value of each secret, kept for the TTL and the stale window
    /// (`Options::serve_stale_for`).
    last_good: Option<Cache<SecretRef, Arc<SecretValue>>>,
    permits: Arc<Semaphore>,
    /// How many store calls may be in flight at once (the permits).
    concurrency: usize,
    timeout: Option<Duration>,
}

/// Each answer of one batch call, shared by the loads of its secrets.
type BatchAnswer = Arc<Vec<Result<Arc<SecretValue>, ProviderError>>>;

/// One batch call, made by the first of its secrets' loads that finds its secret missing. A
/// type of its own: a future holding it must be `Send` for every lifetime the compiler erases.
#[derive(Clone)]
struct Batch(futures::future::Shared<futures::future::BoxFuture<'static, BatchAnswer>>);

impl Resolver {
    /// A resolver over `providers`.
    pub fn new(providers: Providers, options: &Options) -> Self {
        Self {
            providers,
            cache: Cache::builder()
                .max_capacity(options.capacity)
                .time_to_live(options.ttl)
                .build(),
            last_good: options.serve_stale_for.map(|stale| {
                Cache::builder()
                    .max_capacity(options.capacity)
                    .time_to_live(options.ttl + stale)
                    .build()
            }),
            permits: Arc::new(Semaphore::new(options.concurrency.max(1))),
            concurrency: options.concurrency.max(1),
            timeout: options.timeout,
        }
    }

    /// Fetches `secret` anew, now, whatever its TTL: for a service told that a secret rotated.
    /// The new value replaces the cached one only if the store answered; on an error the old
    /// value stays cached and the error is returned.
    pub async fn refresh(&self, secret: &SecretRef) -> Result<(), ProviderError> {
        let provider = self.providers.get(secret.store()).clone();
        let answer = {
            let _permit = self.permits.acquire().await.expect("never closed");
            let deadline = self.timeout.map(|t| tokio::time::Instant::now() + t);
            let call = async {
                provider
                    .fetch(std::slice::from_ref(secret))
                    .await
                    .pop()
                    .unwrap_or(Err(ProviderError::NotFound))
            };
            self.by(deadline, call).await?
        };
        let value = Arc::new(answer);
        self.cache.insert(secret.clone(), value.clone()).await;
        if let Some(last_good) = &self.last_good {
            last_good.insert(secret.clone(), value).await;
        }
        Ok(())
    }

    /// A resolver for the stores a loaded configuration sets up (see
    /// [`Providers::from_config`]), with `options` (start from [`Options::from_config`]).
    pub fn from_config(
        loaded: &crate::config::Loaded,
        secrets_file: Option<&std::path::Path>,
        options: &Options,
    ) -> Result<Self, crate::provider::file::FileStoreError> {
        Ok(Self::new(
            Providers::from_config(loaded, secrets_file, options.timeout)?,
            options,
        ))
    }

    /// A resolver on the `file` store, from the text of a secrets file: for tests, examples and
    /// local development. An error gives the line and column, never the text.
    pub fn from_secrets_yaml(text: &str) -> Result<Self, crate::provider::file::FileStoreError> {
        let store = crate::provider::file::FileStore::parse(text)
            .map_err(|at| crate::source::FileSyntax::at(std::path::Path::new("<secrets>"), at))?;
        Ok(Self::new(
            Providers::all(std::sync::Arc::new(store)),
            &Options::default(),
        ))
    }

    /// A resolver as the command line would build it in the current directory: the user's
    /// config, the nearest `.secretmask.yaml` (trust rules and all), and the environment.
    pub fn from_env() -> Result<Self, SetupError> {
        let here = std::env::current_dir().map_err(SetupError::CurrentDir)?;
        let loaded = crate::config::load(None, &here)?;
        let options = Options::from_config(&loaded.config);
        Ok(Self::from_config(&loaded, None, &options)?)
    }

    /// The ARN of each AWS secret a reference names without one (argocd-vault-plugin's and
    /// vals'), by `(region, name)`: `DescribeSecret` by name, metadata only.
    pub async fn arns_of(
        &self,
        names: &[(String, String)],
    ) -> HashMap<(String, String), Result<String, ProviderError>> {
        let lookups = names.iter().map(|(region, name)| async move {
            let _permit = self.permits.acquire().await;
            let answer = self.providers.get(Store::Sm).arn_of(region, name).await;
            ((region.clone(), name.clone()), answer)
        });
        futures::future::join_all(lookups)
            .await
            .into_iter()
            .collect()
    }

    /// The value of every mask, in order.
    pub async fn resolve<M: std::borrow::Borrow<Mask>>(
        &self,
        masks: &[M],
    ) -> Vec<Result<Value, ResolveError>> {
        let refs: Vec<SecretRef> = unique(masks.iter().map(|m| &*m.borrow().secret));
        let secrets = self.fetch(&refs).await;
        // Each secret's JSON is parsed once for all its masks, and dropped with this call.
        let selectors: HashMap<&SecretRef, Result<Selector<'_>, &ProviderError>> = secrets
            .iter()
            .map(|(secret, value)| (secret, value.as_deref().map(Selector::new)))
            .collect();
        // Masks that select the same key of the same secret share one value.
        type Selected<'m> = (&'m SecretRef, &'m str, Option<Modifier>);
        let mut selected: HashMap<Selected<'_>, Result<Value, ResolveError>> = HashMap::new();
        masks
            .iter()
            .map(|mask| mask.borrow())
            .map(|mask| {
                selected
                    .entry((&mask.secret, &*mask.key, mask.modifier))
                    .or_insert_with(|| {
                        let value = match &selectors[&*mask.secret] {
                            Ok(selector) => selector.get(&mask.key),
                            Err(e) => Err((*e).clone().into()),
                        };
                        match mask.modifier {
                            Some(Modifier::JsonParse) => {
                                value.and_then(|v| v.json_parsed(&mask.key))
                            }
                            None => value,
                        }
                    })
                    .clone()
            })
            .collect()
    }

    /// Every secret of `refs`, fetched through the cache: the misses of one provider group go
    /// out in batches of the provider's limit, `concurrency` calls at a time.
    pub async fn fetch(
        &self,
        refs: &[SecretRef],
    ) -> HashMap<SecretRef, Result<Arc<SecretValue>, ProviderError>> {
        let deadline = self.timeout.map(|t| tokio::time::Instant::now() + t);
        let mut groups: BTreeMap<(Store, String), Vec<SecretRef>> = BTreeMap::new();
        for secret in refs {
            let provider = self.providers.get(secret.store());
            groups
                .entry((secret.store(), provider.group(secret)))
                .or_default()
                .push(secret.clone());
        }
        // What each load needs, small; the loads themselves are large futures, made only as
        // they start.
        let mut wanted: Vec<(SecretRef, Batch, usize)> = Vec::with_capacity(refs.len());
        let mut widest = 1;
        for ((store, _), secrets) in groups {
            let provider = self.providers.get(store).clone();
            widest = widest.max(provider.batch_limit().max(1));
            for chunk in secrets.chunks(provider.batch_limit().max(1)) {
                let chunk: Arc<[SecretRef]> = chunk.into();
                // Runs only if some secret of the chunk is not cached or loading elsewhere.
                let batch = {
                    let (provider, chunk, permits) =
                        (provider.clone(), chunk.clone(), self.permits.clone());
                    async move {
                        let _permit = permits.acquire_owned().await.expect("never closed");
                        let answers = provider.fetch(&chunk).await;
                        BatchAnswer::new(answers.into_iter().map(|a| a.map(Arc::new)).collect())
                    }
                    .boxed()
                    .shared()
                };
                let batch = Batch(batch);
                wanted.extend(
                    chunk
                        .iter()
                        .enumerate()
                        .map(|(i, secret)| (secret.clone(), batch.clone(), i)),
                );
            }
        }
        let loads = wanted.into_iter().map(|(secret, batch, i)| async move {
            let load = self.cache.try_get_with(secret.clone(), async move {
                let answers = batch.0.await;
                answers[i].clone()
            });
            let answer = self
                .by(deadline, async { load.await.map_err(|e| (*e).clone()) })
                .await;
            (secret, answer)
        });
        // Only as many loads run at once as keep every permit's batch busy, so a thousand
        // secrets do not hold a thousand of them. A chunk's loads are consecutive, so each
        // started load's batch is driven by itself.
        let answers: Vec<_> = futures::stream::iter(loads)
            .buffer_unordered(self.concurrency * widest * 2)
            .collect()
            .await;
        let mut served = HashMap::with_capacity(answers.len());
        for (secret, answer) in answers {
            let answer = self.keep_or_fall_back(&secret, answer).await;
            served.insert(secret, answer);
        }
        served
    }

    /// Records a good answer as the secret's last good value; for a store that could not be
    /// reached, serves the last good value instead, when `serve_stale_for` allows it.
    async fn keep_or_fall_back(
        &self,
        secret: &SecretRef,
        answer: Result<Arc<SecretValue>, ProviderError>,
    ) -> Result<Arc<SecretValue>, ProviderError> {
        let Some(last_good) = &self.last_good else {
            return answer;
        };
        match answer {
            Ok(value) => {
                last_good.insert(secret.clone(), value.clone()).await;
                Ok(value)
            }
            Err(
                error @ (ProviderError::Unreachable { .. }
                | ProviderError::TimedOut { .. }
                | ProviderError::Throttled { .. }
                | ProviderError::Sealed),
            ) => match last_good.get(secret).await {
                Some(value) => {
                    tracing::warn!(
                        "serving the last good value of {secret}: the store did not answer ({error})"
                    );
                    Ok(value)
                }
                None => Err(error),
            },
            Err(error) => Err(error),
        }
    }

    /// What each store says about each secret (online lint), `concurrency` calls at a time.
    pub async fn describe(
        &self,
        refs: &[SecretRef],
    ) -> HashMap<SecretRef, Result<Described, ProviderError>> {
        self.each(refs, |provider, secret| provider.describe(secret))
            .await
    }

    /// `ask` for each secret of `refs` of its store's provider, `concurrency` calls at a time,
    /// all within the deadline.
    async fn each<'a, T>(
        &'a self,
        refs: &'a [SecretRef],
        ask: impl Fn(
            &'a dyn crate::provider::Provider,
            &'a SecretRef,
        ) -> futures::future::BoxFuture<'a, Result<T, ProviderError>>,
    ) -> HashMap<SecretRef, Result<T, ProviderError>> {
        let deadline = self.timeout.map(|t| tokio::time::Instant::now() + t);
        let ask = &ask;
        let calls = refs.iter().map(|secret| async move {
            let call = async {
                let _permit = self.permits.acquire().await.expect("never closed");
                ask(self.providers.get(secret.store()).as_ref(), secret).await
            };
            (secret.clone(), self.by(deadline, call).await)
        });
        futures::future::join_all(calls).await.into_iter().collect()
    }

    /// Each secret's fingerprint: what identifies its current version without its value (see
    /// [`Provider::fingerprint`](crate::provider::Provider::fingerprint)), `concurrency` calls
    /// at a time within the deadline. A service polls this and [`refresh`](Self::refresh)es
    /// the secrets whose fingerprint changed.
    pub async fn fingerprints(
        &self,
        refs: &[SecretRef],
    ) -> HashMap<SecretRef, Result<String, ProviderError>> {
        self.each(refs, |provider, secret| provider.fingerprint(secret))
            .await
    }

    /// Adds `tags` to one secret through its store (`secretmask tag`), within the concurrency
    /// and the deadline; nothing is cached. `current` is what `describe` found.
    pub async fn tag(
        &self,
        secret: &SecretRef,
        tags: &BTreeMap<String, String>,
        current: &BTreeMap<String, String>,
        deadline: Option<tokio::time::Instant>,
    ) -> Result<(), ProviderError> {
        let call = async {
            let _permit = self.permits.acquire().await.expect("never closed");
            self.providers
                .get(secret.store())
                .tag(secret, tags, current)
                .await
        };
        self.by(deadline, call).await
    }

    /// When calls started now must end, from the timeout.
    pub fn deadline(&self) -> Option<tokio::time::Instant> {
        self.timeout.map(|t| tokio::time::Instant::now() + t)
    }

    /// `work`'s answer, or `TimedOut` when `deadline` (from `--timeout`) comes first.
    async fn by<T>(
        &self,
        deadline: Option<tokio::time::Instant>,
        work: impl Future<Output = Result<T, ProviderError>>,
    ) -> Result<T, ProviderError> {
        match deadline {
            Some(at) => tokio::time::timeout_at(at, work).await.unwrap_or_else(|_| {
                Err(ProviderError::TimedOut {
                    seconds: self.timeout.map(|t| t.as_secs()),
                })
            }),
            None => work.await,
        }
    }

    /// How many distinct secrets `masks` name.
    pub fn distinct<M: std::borrow::Borrow<Mask>>(masks: &[M]) -> usize {
        unique(masks.iter().map(|m| &*m.borrow().secret)).len()
    }
}

/// The distinct secrets, in first-seen order.
fn unique<'a>(refs: impl Iterator<Item = &'a SecretRef>) -> Vec<SecretRef> {
    let mut seen = HashSet::new();
    refs.filter(|r| seen.insert(*r)).cloned().collect()
}

/// The JSON type of a selected value: render keeps it in every reader of the output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A string, the whole of a text secret, or a binary secret as base64.
    String,
    /// A JSON number.
    Number,
    /// `true` or `false`.
    Bool,
    /// `null`.
    Null,
    /// A JSON array (compact JSON text).
    Array,
    /// A JSON object (compact JSON text).
    Object,
}

impl Kind {
    /// The JSON type's name: `string`, `number`, `boolean`, `null`, `array`, `object`.
    pub fn describe(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Number => "number",
            Self::Bool => "boolean",
            Self::Null => "null",
            Self::Array => "array",
            Self::Object => "object",
        }
    }
}

/// One mask's value: its text (a string as it is, anything else as compact JSON) and the JSON
/// type it had in the secret. `Debug` never shows the text.
#[derive(Clone)]
pub struct Value {
    /// Shared: every mask that selects this value holds the one copy.
    text: Arc<SecretString>,
    kind: Kind,
    /// Read by `jsonParse`: placed as the JSON value it is, not as text.
    parsed: bool,
}

impl Value {
    /// A value of `kind` whose text is `text`.
    pub fn new(text: SecretString, kind: Kind) -> Self {
        Self {
            text: Arc::new(text),
            kind,
            parsed: false,
        }
    }

    /// Whether the value came through `jsonParse` ([`crate::Modifier`]): it is placed as the
    /// JSON value it is (a collection, a number, …), or refused where that type cannot stand.
    pub fn is_parsed(&self) -> bool {
        self.parsed
    }

    /// `jsonParse`: a string value's text read as the JSON value it holds (a string as its
    /// characters, anything else as compact JSON); a value of another type is JSON already.
    fn json_parsed(self, key: &str) -> Result<Self, ResolveError> {
        let mut value = if self.kind == Kind::String {
            let not_json = || ResolveErrorKind::NotJson {
                key: key.to_owned(),
            };
            let raw: Box<serde_json::value::RawValue> =
                serde_json::from_str(self.expose_secret()).map_err(|_| not_json())?;
            Value::from_json(raw.get())
        } else {
            self
        };
        value.parsed = true;
        Ok(value)
    }

    /// The value JSON text holds, as a `RawValue` keeps it (valid, without surrounding white
    /// space): a string as its characters, anything else as compact JSON, with its type.
    fn from_json(raw: &str) -> Self {
        match raw.as_bytes().first() {
            Some(b'"') => Value::string(
                serde_json::from_str::<String>(raw).expect("a JSON string reads as a string"),
            ),
            // Compact JSON text; its numbers keep their digits too.
            Some(b'[') => Value::new(compact(raw).into(), Kind::Array),
            Some(b'{') => Value::new(compact(raw).into(), Kind::Object),
            Some(b't' | b'f') => Value::new(raw.to_owned().into(), Kind::Bool),
            Some(b'n') => Value::new(raw.to_owned().into(), Kind::Null),
            _ => Value::new(raw.to_owned().into(), Kind::Number),
        }
    }

    /// A string value.
    pub fn string(text: impl Into<String>) -> Self {
        Self::new(SecretString::from(text.into()), Kind::String)
    }

    /// The JSON type the value had in its secret.
    pub fn kind(&self) -> Kind {
        self.kind
    }
}

impl ExposeSecret<str> for Value {
    fn expose_secret(&self) -> &str {
        self.text.expose_secret()
    }
}

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Value({:?}, [REDACTED])", self.kind)
    }
}

/// The value a mask's key selects (`grammar/mask.ebnf`): the whole string for an empty key (base64 for a
/// binary secret); otherwise the member of the JSON object, a string as it is and anything else
/// as compact JSON.
pub fn select(value: &SecretValue, key: &str) -> Result<Value, ResolveError> {
    Selector::new(value).get(key)
}

/// JSON text without the white space between its tokens (strings kept as written).
fn compact(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in json.chars() {
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_ascii_whitespace() {
            out.push(c);
        }
    }
    out
}

/// Selects keys from one secret, parsing its JSON once, on the first key asked for.
pub struct Selector<'a> {
    value: &'a SecretValue,
    /// The secret's members as written: a number keeps its own digits (`1e2`, `-0`, more than
    /// an `f64` holds), never a float's round trip.
    object: std::sync::OnceLock<Option<Members>>,
}

type Members = std::collections::BTreeMap<String, Box<serde_json::value::RawValue>>;

impl<'a> Selector<'a> {
    /// A selector over `value`.
    pub fn new(value: &'a SecretValue) -> Self {
        Self {
            value,
            object: std::sync::OnceLock::new(),
        }
    }

    /// The value `key` selects ([`select`]).
    pub fn get(&self, key: &str) -> Result<Value, ResolveError> {
        let text = match self.value {
            SecretValue::Binary(bytes) if key.is_empty() => {
                return Ok(Value::string(
                    base64::engine::general_purpose::STANDARD.encode(bytes.expose_secret()),
                ));
            }
            SecretValue::Binary(_) => {
                return Err(ResolveErrorKind::BinaryWithKey {
                    key: key.to_owned(),
                }
                .into());
            }
            SecretValue::Text(text) if key.is_empty() => {
                return Ok(Value::new(text.clone(), Kind::String));
            }
            SecretValue::Text(text) => text,
        };
        let object = self
            .object
            .get_or_init(|| serde_json::from_str::<Members>(text.expose_secret()).ok());
        let Some(object) = object else {
            return Err(ResolveErrorKind::NotJsonObject {
                key: key.to_owned(),
            }
            .into());
        };
        match object.get(key) {
            Some(raw) => Ok(Value::from_json(raw.get())),
            None => Err(ResolveErrorKind::KeyMissing {
                key: key.to_owned(),
                available: object.keys().cloned().collect(),
            }
            .into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(json: &str, key: &str) -> (String, Kind) {
        let secret = SecretValue::Text(json.to_owned().into());
        let value = select(&secret, key).unwrap();
        (value.expose_secret().to_owned(), value.kind())
    }

    #[test]
    fn json_parse_reads_a_string_s_text_as_the_json_value_it_holds() {
        let parsed = |json: &str| {
            let value = get(&serde_json::json!({ "k": json }).to_string(), "k");
            Value::new(value.0.into(), value.1).json_parsed("k")
        };
        let read = |json: &str| {
            let value = parsed(json).unwrap();
            assert!(value.is_parsed());
            (value.expose_secret().to_owned(), value.kind())
        };
        assert_eq!(
            read(" {\"b\": [1e2, \"x y\"], \"a\": null} "),
            ("{\"b\":[1e2,\"x y\"],\"a\":null}".into(), Kind::Object)
        );
        assert_eq!(read("[ ]"), ("[]".into(), Kind::Array));
        assert_eq!(
            read("12345678901234567890123"),
            ("12345678901234567890123".into(), Kind::Number)
        );
        assert_eq!(read("\"a \\\"q\\\"\""), ("a \"q\"".into(), Kind::String));
        assert_eq!(read("false"), ("false".into(), Kind::Bool));
        assert_eq!(read("null"), ("null".into(), Kind::Null));
        // A value that is JSON already (a key selecting a number) is kept, and placed as JSON.
        let number = Value::new("5".to_owned().into(), Kind::Number)
            .json_parsed("n")
            .unwrap();
        assert_eq!(
            (number.expose_secret(), number.kind(), number.is_parsed()),
            ("5", Kind::Number, true)
        );
        // Text that is not JSON is an error that names the key, never the value.
        let error = parsed("secret-canary {").unwrap_err().to_string();
        assert_eq!(
            error,
            "the value of key `k` is not JSON text, which `jsonParse` reads"
        );
        assert!(parsed("1 2").is_err());
    }

    #[test]
    fn a_number_keeps_the_secret_s_own_digits() {
        let json = r#"{"big": 12345678901234567890123, "exp": 1e2, "zero": -0, "f": 1.50,
            "s": "12345678901234567890123", "list": [ 1e2, "a b" ], "o": {"k" : 1.0}}"#;
        assert_eq!(
            get(json, "big"),
            ("12345678901234567890123".into(), Kind::Number)
        );
        assert_eq!(get(json, "exp"), ("1e2".into(), Kind::Number));
        assert_eq!(get(json, "zero"), ("-0".into(), Kind::Number));
        assert_eq!(get(json, "f"), ("1.50".into(), Kind::Number));
        assert_eq!(
            get(json, "s"),
            ("12345678901234567890123".into(), Kind::String)
        );
        assert_eq!(get(json, "list"), ("[1e2,\"a b\"]".into(), Kind::Array));
        assert_eq!(get(json, "o"), ("{\"k\":1.0}".into(), Kind::Object));
    }

    #[test]
    fn strings_booleans_and_null_are_themselves() {
        let json = r#"{"s": "a\"b\u00e9", "t": true, "n": null}"#;
        assert_eq!(get(json, "s"), ("a\"bé".into(), Kind::String));
        assert_eq!(get(json, "t"), ("true".into(), Kind::Bool));
        assert_eq!(get(json, "n"), ("null".into(), Kind::Null));
    }
}
