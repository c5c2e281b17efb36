//! `.secretmask.yaml`: found by walking up from the working directory, or named with `--config`.
//!
//! Every field is optional and unknown keys are an error that names the key and its line, so a
//! typo never silently turns a setting off.
//!
//! The user's own `$XDG_CONFIG_HOME/secretmask/config.yaml` is read first; the project's file
//! overrides it setting by setting. Settings that decide where credentials are sent or what is
//! read ([`restricted_settings`]) are refused from a project file that was only discovered, until
//! `secretmask trust` records that file (ARCHITECTURE.md §Invariants): a repository someone else wrote must not
//! send your token to its server.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest, Sha256};

use crate::mask::Store;
use crate::source::FileSyntax;

/// The file name looked for in the working directory and its ancestors.
pub const FILE_NAME: &str = ".secretmask.yaml";

crate::store::with_sections! {
    /// One configuration, as read from a file or several layered; besides the fields here, a
    /// section per store (`aws:`, `vault:`, `azure:`), each its folder's `Section`, which the list
    /// in `store` adds.
    #[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
    #[serde(deny_unknown_fields)]
    pub struct Config {
        /// The `file` store: a YAML file of secrets; when set, no network is touched.
        pub secrets_file: Option<PathBuf>,
        /// `render:`.
        #[serde(default)]
        pub render: RenderConfig,
        /// `cache:`.
        #[serde(default)]
        pub cache: CacheConfig,
        /// `lint:`.
        #[serde(default)]
        pub lint: LintConfig,
        /// `syntax:`: the reference syntaxes read as masks (`workato`, `avp`, `vals`); secretmask's
        /// own alone when unset. It chooses what is read, nothing that is sent.
        pub syntax: Option<Vec<crate::syntax::Syntax>>,
    }
}

/// `cache:`: how long and how many secrets a `Resolver` keeps.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CacheConfig {
    /// How long a fetched secret is reused, as `"5m"` or `"300s"`.
    pub ttl: Option<Ttl>,
    /// How many secrets the cache holds at most.
    pub capacity: Option<u64>,
}

/// `lint:`: what online lint requires.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LintConfig {
    /// Tags every secret of a store must carry, for `lint --online`: store → tag → value.
    #[serde(default)]
    pub require_tags: BTreeMap<Store, BTreeMap<String, String>>,
    /// `lint --online` warns of a secret that expires within this (default 30 days).
    #[serde(default)]
    pub expires_within: Option<Period>,
    /// `lint --online` warns of a secret not changed for longer than this (off by default).
    #[serde(default)]
    pub max_age: Option<Period>,
}

/// A setting a discovered file may set only once trusted: each declares itself here once,
/// with how to tell that a file sets it.
#[derive(Clone, Copy)]
pub struct Restricted {
    /// As `section.key`.
    pub name: &'static str,
    /// Why it needs trust, as the end of a sentence.
    pub why: &'static str,
    /// Whether it decides where credentials are sent.
    pub endpoint: bool,
    /// Whether a file sets it.
    pub(crate) is_set: fn(&Config) -> bool,
}

impl std::fmt::Debug for Restricted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// Why an endpoint setting needs trust.
pub(crate) const SENDS: &str = "decides where credentials are sent";
/// Why a CA setting needs trust.
pub(crate) const TRUSTS: &str = "decides which server is trusted with credentials";

/// The settings a discovered file may set only once trusted: where credentials go, which
/// credential files are read and sent, in which Vault namespace a token is used (each store's
/// section declares its own), and a secrets file that replaces every store's values. The rest
/// (a profile or credential kind among the user's own, cache, lint and output settings, the
/// mounts' layout) chooses nothing outside the project.
pub fn restricted_settings() -> impl Iterator<Item = &'static Restricted> {
    const SECRETS_FILE: Restricted = Restricted {
        name: "secrets_file",
        why: "replaces the value of every mask with a file's",
        endpoint: false,
        is_set: |c| c.secrets_file.is_some(),
    };
    crate::store::restricted().chain([&SECRETS_FILE])
}

impl Config {
    /// The endpoint settings this file sets.
    pub fn endpoint_settings(&self) -> Vec<&'static str> {
        self.restricted()
            .filter(|r| r.endpoint)
            .map(|r| r.name)
            .collect()
    }

    /// The settings of [`restricted_settings`] this file sets.
    pub fn restricted(&self) -> impl Iterator<Item = &'static Restricted> {
        restricted_settings().filter(|r| (r.is_set)(self))
    }

    /// Every path setting, made absolute against `base` (the folder of the file that set it).
    fn resolve_paths(&mut self, base: &Path) {
        let resolve = |path: &mut PathBuf| {
            if path.is_relative() {
                *path = base.join(&*path);
            }
        };
        if let Some(path) = &mut self.secrets_file {
            resolve(path);
        }
        crate::store::resolve_paths(self, &resolve);
    }

    /// `self` with every setting `over` sets replaced.
    fn overridden_by(mut self, mut over: Config) -> Config {
        crate::store::override_sections(&mut self, &mut over);
        let mut require_tags = self.lint.require_tags;
        require_tags.extend(over.lint.require_tags);
        Config {
            secrets_file: over.secrets_file.or(self.secrets_file),
            render: RenderConfig {
                mode: over.render.mode.or(self.render.mode),
            },
            cache: CacheConfig {
                ttl: over.cache.ttl.or(self.cache.ttl),
                capacity: over.cache.capacity.or(self.cache.capacity),
            },
            lint: LintConfig {
                require_tags,
                expires_within: over.lint.expires_within.or(self.lint.expires_within),
                max_age: over.lint.max_age.or(self.lint.max_age),
            },
            syntax: over.syntax.or(self.syntax),
            ..self
        }
    }
}

/// Parses a duration such as `"300ms"`, `"30s"`, `"5m"` or `"1h 30m"`.
pub fn parse_duration(text: &str) -> Option<std::time::Duration> {
    humantime::parse_duration(text.trim()).ok()
}

/// `render:`: how outputs are written.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RenderConfig {
    /// Octal permission bits for new output files, as `"0600"`.
    pub mode: Option<Mode>,
}

/// A string setting parsed where it is read, so a bad value is an error at its line and
/// column when the file is loaded.
pub(crate) fn parsed<'de, D, T>(
    deserializer: D,
    parse: impl FnOnce(&str) -> Option<T>,
    expected: &str,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    let text = String::deserialize(deserializer)?;
    parse(&text).ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not {expected}")))
}

/// A Key Vault endpoint: the SDK sends a bearer token over TLS only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpsUrl(String);

impl HttpsUrl {
    /// The URL, without a trailing `/`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for HttpsUrl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        parsed(
            deserializer,
            |text| {
                text.starts_with("https://")
                    .then(|| Self(text.trim_end_matches('/').to_owned()))
            },
            "an https:// URL; Key Vault is reached over https:// only",
        )
    }
}

/// `cache.ttl`: a duration such as `"5m"` or `"300s"`.
pub type Ttl = Period;

/// A duration in the configuration (`cache.ttl`, `lint.expires_within`, `lint.max_age`), such as
/// `"5m"`, `"30d"` or `"1y"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period(pub std::time::Duration);

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        parsed(
            deserializer,
            |text| parse_duration(text).map(Self),
            "a duration such as \"5m\", \"300s\" or \"30d\"",
        )
    }
}

/// Octal permission bits of an output file: read, write and execute bits only, never setuid,
/// setgid or sticky.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mode(pub u32);

impl Mode {
    /// `0600` or `0o600`.
    pub fn parse(text: &str) -> Option<Self> {
        u32::from_str_radix(text.trim_start_matches("0o"), 8)
            .ok()
            .filter(|m| *m <= 0o777)
            .map(Self)
    }

    /// Whether group or others may write the file: worth a warning for a file of secrets.
    pub fn lets_others_write(self) -> bool {
        self.0 & 0o022 != 0
    }
}

impl<'de> Deserialize<'de> for Mode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        parsed(
            deserializer,
            Self::parse,
            "an octal mode of read, write and execute bits such as \"0600\" (no setuid, setgid or sticky bit)",
        )
    }
}

impl<'de> Deserialize<'de> for Store {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        parsed(
            deserializer,
            Self::from_name,
            &format!("a store: {}", Store::names()),
        )
    }
}

/// A configuration and where it came from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Loaded {
    /// The layered configuration.
    pub config: Config,
    /// The file it was read from; `None` when there was none.
    pub path: Option<PathBuf>,
    /// `lint.require_tags` from trusted sources only (the user's config, a file named with
    /// `--config` or trusted): what `tag` may write. Lint checks the layered ones.
    pub tags_to_write: BTreeMap<Store, BTreeMap<String, String>>,
    /// The configuration file that set `secrets_file`, if one did.
    pub secrets_file_from: Option<PathBuf>,
}

impl Loaded {
    /// `secrets_file`, resolved against the folder of the file that set it.
    pub fn secrets_file(&self) -> Option<PathBuf> {
        self.config.secrets_file.clone()
    }
}

/// Why a configuration could not be used. Never holds a value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A discovered, untrusted file sets what only a trusted one may.
    #[error(
        "{}: `{setting}` {why}, and this file was found by walking up from the working directory, not named; if you trust it, run `secretmask trust {}`, or pass --config",
        path.display(),
        path.display()
    )]
    Untrusted {
        /// The file.
        path: PathBuf,
        /// The setting, as `section.key`.
        setting: &'static str,
        /// Why it needs trust.
        why: &'static str,
    },
    /// A discovered file that was trusted, but has changed since.
    #[error(
        "{}: `{setting}` {why}, and this file changed since it was trusted (trust covers a file's content as it was); read what changed, then run `secretmask trust {}` to trust it as it is now, or pass --config",
        path.display(),
        path.display()
    )]
    ChangedSinceTrusted {
        /// The file.
        path: PathBuf,
        /// The setting, as `section.key`.
        setting: &'static str,
        /// Why it needs trust.
        why: &'static str,
    },
    /// The trust record could not be read or written.
    #[error("{}: {message}", path.display())]
    Trust {
        /// The trust record.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A config file could not be read.
    #[error("{}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why it could not be read.
        #[source]
        source: std::io::Error,
    },
    /// A config file is not valid: its position and the problem, never its text.
    #[error(transparent)]
    Invalid(#[from] crate::source::FileSyntax),
}

/// Loads the user's config, then `explicit` if given, else the nearest `.secretmask.yaml` from
/// `start` upwards, over it. Each file is read once: the bytes hashed for trust are the bytes
/// parsed. A discovered file that sets a setting of [`restricted_settings`] must be trusted; the tags
/// it requires are checked by lint but written by `tag` only once it is trusted.
pub fn load(explicit: Option<&Path>, start: &Path) -> Result<Loaded, ConfigError> {
    let mut secrets_file_from = None;
    let user = match user_config_dir().map(|d| d.join("config.yaml")) {
        Some(path) if path.is_file() => {
            let user = read(&path)?.0;
            tracing::info!("config: read {} (the user's own)", path.display());
            if user.secrets_file.is_some() {
                secrets_file_from = Some(path);
            }
            user
        }
        _ => Config::default(),
    };
    let (path, is_explicit) = match explicit {
        Some(path) => (Some(path.to_path_buf()), true),
        None => (discover(start), false),
    };
    let Some(path) = path else {
        tracing::info!(
            "config: no .secretmask.yaml in {} or a folder above it",
            start.display()
        );
        return Ok(Loaded {
            tags_to_write: user.lint.require_tags.clone(),
            config: user,
            path: None,
            secrets_file_from,
        });
    };
    let (project, trusted) = read(&path)?;
    let mut tags_to_write = user.lint.require_tags.clone();
    if !is_explicit {
        check_untrusted(&path, &project, &trusted)?;
    }
    tracing::info!(
        "config: read {} ({})",
        path.display(),
        if is_explicit {
            "--config"
        } else if is_trusted(&trusted)? {
            "found by walking up; trusted"
        } else {
            "found by walking up; not trusted, so it sets nothing that needs trust"
        }
    );
    if is_explicit || (!project.lint.require_tags.is_empty() && is_trusted(&trusted)?) {
        tags_to_write.extend(project.lint.require_tags.clone());
    }
    if project.secrets_file.is_some() {
        secrets_file_from = Some(path.clone());
    }
    Ok(Loaded {
        config: user.overridden_by(project),
        path: Some(path),
        tags_to_write,
        secrets_file_from,
    })
}

/// What a discovered file may set before it is trusted.
fn check_untrusted(path: &Path, config: &Config, now: &Trusted) -> Result<(), ConfigError> {
    let Some(first) = config.restricted().next() else {
        return Ok(());
    };
    let path = path.to_path_buf();
    let (setting, why) = (first.name, first.why);
    match trust_of(now)? {
        Trust::Trusted => Ok(()),
        Trust::Changed => Err(ConfigError::ChangedSinceTrusted { path, setting, why }),
        Trust::Never => Err(ConfigError::Untrusted { path, setting, why }),
    }
}

/// The file's canonical path and bytes, read once.
fn read_once(path: &Path) -> Result<(PathBuf, Vec<u8>), ConfigError> {
    let read_error = |source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    };
    let canonical = path.canonicalize().map_err(read_error)?;
    let bytes = std::fs::read(&canonical).map_err(read_error)?;
    Ok((canonical, bytes))
}

/// A configuration file, its paths resolved against its own folder (after following
/// symlinks), and the fingerprint of the very bytes parsed.
fn read(path: &Path) -> Result<(Config, Trusted), ConfigError> {
    let (canonical, bytes) = read_once(path)?;
    let text =
        String::from_utf8(bytes.clone()).map_err(|_| FileSyntax::whole(path, "not UTF-8 text"))?;
    let mut config = parse(&text).map_err(|at| FileSyntax::at(path, at))?;
    config.resolve_paths(canonical.parent().unwrap_or(Path::new("/")));
    Ok((config, fingerprint(canonical, &bytes)))
}

/// `$XDG_CONFIG_HOME/secretmask`, else `~/.config/secretmask`.
pub fn user_config_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("secretmask"))
}

/// The file that records trusted configs, in the user's config directory.
fn trust_file() -> Option<PathBuf> {
    user_config_dir().map(|d| d.join("trusted.yaml"))
}

/// A config file the user trusted, as of its content then.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
struct Trusted {
    path: PathBuf,
    sha256: String,
}

fn trusted_list(file: &Path) -> Result<Vec<Trusted>, ConfigError> {
    match std::fs::read_to_string(file) {
        Ok(text) if text.trim().is_empty() => Ok(Vec::new()),
        Ok(text) => serde_saphyr::from_str(&text).map_err(|e| ConfigError::Trust {
            path: file.to_path_buf(),
            message: first_line(&e.to_string()),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(source) => Err(ConfigError::Read {
            path: file.to_path_buf(),
            source,
        }),
    }
}

/// A file's canonical path and the SHA-256 of `bytes`, its content as read.
fn fingerprint(canonical: PathBuf, bytes: &[u8]) -> Trusted {
    let digest = Sha256::digest(bytes);
    Trusted {
        path: canonical,
        sha256: digest.iter().map(|b| format!("{b:02x}")).collect(),
    }
}

/// Whether a file was trusted as it is now.
enum Trust {
    Trusted,
    /// Trusted with other content.
    Changed,
    Never,
}

fn trust_of(now: &Trusted) -> Result<Trust, ConfigError> {
    let Some(file) = trust_file() else {
        return Ok(Trust::Never);
    };
    let list = trusted_list(&file)?;
    Ok(if list.contains(now) {
        Trust::Trusted
    } else if list.iter().any(|t| t.path == now.path) {
        Trust::Changed
    } else {
        Trust::Never
    })
}

/// Whether a file with this fingerprint was trusted.
fn is_trusted(now: &Trusted) -> Result<bool, ConfigError> {
    Ok(matches!(trust_of(now)?, Trust::Trusted))
}

/// Records `path`, as it is now, as trusted; returns the trust file and the digest recorded.
pub fn trust(path: &Path) -> Result<(PathBuf, String), ConfigError> {
    let file = trust_file().ok_or_else(|| ConfigError::Trust {
        path: path.to_path_buf(),
        message: "neither XDG_CONFIG_HOME nor HOME is set, so there is nowhere to record trust"
            .into(),
    })?;
    let (canonical, bytes) = read_once(path)?;
    // A file the next render would refuse is not trusted as it is.
    let text =
        std::str::from_utf8(&bytes).map_err(|_| FileSyntax::whole(path, "not UTF-8 text"))?;
    parse(text).map_err(|at| FileSyntax::at(path, at))?;
    let now = fingerprint(canonical, &bytes);
    let mut list = trusted_list(&file)?;
    list.retain(|t| t.path != now.path);
    list.push(now.clone());
    let text = serde_saphyr::to_string(&list).map_err(|e| ConfigError::Trust {
        path: file.clone(),
        message: e.to_string(),
    })?;
    let write_error = |source| ConfigError::Read {
        path: file.clone(),
        source,
    };
    let dir = file.parent().expect("the trust file is in a directory");
    std::fs::create_dir_all(dir).map_err(write_error)?;
    let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(write_error)?;
    std::io::Write::write_all(&mut temp, text.as_bytes()).map_err(write_error)?;
    temp.persist(&file).map_err(|e| write_error(e.error))?;
    Ok((file.clone(), now.sha256))
}

/// Whether the configuration a command would read (`explicit`, else the nearest
/// `.secretmask.yaml` from `start` up) is a valid one, without asking whether it is trusted:
/// offline lint reads no setting, but a broken file is an error wherever it is found.
pub fn validate(explicit: Option<&Path>, start: &Path) -> Result<Config, ConfigError> {
    match explicit.map(Path::to_path_buf).or_else(|| discover(start)) {
        Some(path) => read(&path).map(|(config, ..)| config),
        None => Ok(Config::default()),
    }
}

/// The nearest `.secretmask.yaml` in `start` or an ancestor.
pub fn discover(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join(FILE_NAME))
        .find(|candidate| candidate.is_file())
}

/// Parses a configuration; an error comes with its 1-based line and column.
pub fn parse(text: &str) -> Result<Config, (u64, u64, String)> {
    if text.trim().is_empty() {
        return Ok(Config::default());
    }
    serde_saphyr::from_str(text).map_err(|e| {
        let (line, column) = crate::source::yaml_error_position(&e);
        (line, column, first_line(&e.to_string()))
    })
}

/// serde-saphyr renders a snippet under its message and its own `error: line L column C:`
/// before it; the location is reported separately.
fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or_default();
    let line = line.strip_prefix("error: ").unwrap_or(line);
    match line
        .strip_prefix("line ")
        .and_then(|rest| rest.split_once(": "))
    {
        Some((_, message)) => message.to_owned(),
        None => line.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_names_the_key_and_its_line() {
        let (line, _, message) = parse("secrets_file: s.yaml\nsecret_file: x\n").unwrap_err();
        assert_eq!(line, 2);
        assert!(message.contains("secret_file"), "{message}");
    }

    #[test]
    fn endpoint_settings_are_every_setting_that_decides_where_credentials_go() {
        let config = parse(
            "aws: {endpoint_url: http://x}\nvault: {address: https://v, ca_file: ca.pem, namespace: n}\nazure: {credential: auto, endpoints: {a.vault.azure.net: 'https://x'}, ca_file: ca.pem}\n",
        )
        .unwrap();
        assert_eq!(
            config.endpoint_settings(),
            [
                "aws.endpoint_url",
                "vault.address",
                "vault.ca_file",
                "azure.endpoints",
                "azure.ca_file"
            ]
        );
        assert!(
            parse("vault: {namespace: n}\n")
                .unwrap()
                .endpoint_settings()
                .is_empty()
        );
    }

    #[test]
    fn every_restricted_setting_is_told_apart() {
        // One setting per file, so a setting recognized under another's name is caught.
        let alone = [
            ("aws.endpoint_url", "aws: {endpoint_url: http://x}\n"),
            ("vault.address", "vault: {address: https://v}\n"),
            ("vault.ca_file", "vault: {ca_file: ca.pem}\n"),
            ("vault.namespace", "vault: {namespace: n}\n"),
            (
                "vault.approle",
                "vault: {approle: {role_id_file: r, secret_id_file: s}}\n",
            ),
            (
                "azure.endpoints",
                "azure: {endpoints: {a.vault.azure.net: 'https://x'}}\n",
            ),
            ("azure.ca_file", "azure: {ca_file: ca.pem}\n"),
            ("secrets_file", "secrets_file: s.yaml\n"),
        ];
        for (name, yaml) in alone {
            let names: Vec<&str> = parse(yaml).unwrap().restricted().map(|r| r.name).collect();
            assert_eq!(names, [name], "{yaml}");
        }
        let declared: Vec<&str> = restricted_settings().map(|r| r.name).collect();
        let tested: Vec<&str> = alone.iter().map(|(name, _)| *name).collect();
        assert_eq!(tested, declared, "a restricted setting without a case");
        let harmless =
            parse("aws: {profile: p}\nvault: {mounts: [team/kv]}\ncache: {ttl: 5m}\nlint: {require_tags: {sm: {a: b}}}\n")
                .unwrap();
        assert_eq!(harmless.restricted().count(), 0);
    }

    #[test]
    fn paths_resolve_against_the_folder_of_the_file_that_set_them() {
        let mut config = parse(
            "secrets_file: secrets.yaml\nvault: {ca_file: /abs/ca.pem, approle: {role_id_file: r, secret_id_file: s}}\n",
        )
        .unwrap();
        config.resolve_paths(Path::new("/project"));
        assert_eq!(
            config.secrets_file,
            Some(PathBuf::from("/project/secrets.yaml"))
        );
        assert_eq!(config.vault.ca_file, Some(PathBuf::from("/abs/ca.pem")));
        let approle = config.vault.approle.unwrap();
        assert_eq!(approle.role_id_file, PathBuf::from("/project/r"));
        assert_eq!(approle.secret_id_file, PathBuf::from("/project/s"));
    }
}
