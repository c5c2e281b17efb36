//! The `file` store: a local YAML file that maps locators to secrets, for the quickstart, local
//! development and tests. No network is touched.
//!
//! ```yaml
//! arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf:   # a JSON-object secret
//!   username: app
//!   port: 5432
//! kv/app/db:                                                          # a Vault KV v2 secret
//!   password: s3cret
//! https://corp-kv.vault.azure.net/secrets/token: "a whole string"     # a string secret
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use secrecy::SecretString;

use futures::future::BoxFuture;

use super::{Described, Fetched, Metadata, Provider, ProviderError, SecretValue};
use crate::mask::SecretRef;
use crate::source::FileSyntax;
use crate::store::aws::Arn;

/// The largest secrets file read.
const SIZE_LIMIT: u64 = 64 << 20;

/// Secrets from a local YAML file, keyed by locator: no network, for tests and local work.
pub struct FileStore {
    /// The file, when read from one: read again by [`Provider::fingerprint`], so a watch sees
    /// it change.
    path: Option<PathBuf>,
    tables: std::sync::RwLock<Tables>,
}

/// What the file holds.
struct Tables {
    /// By locator text as written in the file.
    secrets: BTreeMap<String, SecretString>,
    /// The ARNs among the keys, for partial-ARN matching.
    arns: Vec<(Arn, String)>,
}

/// Why a secrets file could not be used: its position and the problem, never its text.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileStoreError {
    /// The file could not be read.
    #[error("{}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid: its position and the problem, never its text.
    #[error(transparent)]
    Invalid(#[from] FileSyntax),
}

/// What is wrong with a secrets file serde-saphyr refused, never quoting it: the parser's own
/// message can quote the offending scalar, which may be a value.
fn problem(text: &str, error: &serde_saphyr::Error) -> String {
    // The scanner's messages name the construct, never its text ("unclosed quote").
    let scanned = serde_saphyr::granit_parser::Parser::new_from_str(text).find_map(Result::err);
    if let Some(scan) = scanned {
        let message = scan.to_string();
        let message = message
            .split_once(" at char ")
            .map_or(message.as_str(), |(head, _)| head);
        return format!("not valid YAML: {message}");
    }
    if error.to_string().contains("non-finite float") {
        return "a number too large for a JSON secret to hold: quote it to keep it as text".into();
    }
    "expected a mapping of locators to secrets (a mapping or a string each)".into()
}

impl FileStore {
    /// Reads `path` (a regular file of at most 64 MiB).
    pub fn load(path: &Path) -> Result<Self, FileStoreError> {
        use std::io::Read;
        let read_error = |source| FileStoreError::Read {
            path: path.to_path_buf(),
            source,
        };
        let invalid = |message: String| FileSyntax::whole(path, message);
        // Only a regular file of a bounded size: `/dev/zero` or a FIFO named here would never end.
        let file = std::fs::File::open(path).map_err(read_error)?;
        if !file.metadata().map_err(read_error)?.is_file() {
            return Err(invalid("not a regular file".into()).into());
        }
        let mut bytes = Vec::new();
        file.take(SIZE_LIMIT + 1)
            .read_to_end(&mut bytes)
            .map_err(read_error)?;
        if bytes.len() as u64 > SIZE_LIMIT {
            return Err(invalid(format!(
                "larger than {} MiB, more than a secrets file holds",
                SIZE_LIMIT >> 20
            ))
            .into());
        }
        let text = String::from_utf8(bytes).map_err(|e| {
            let at =
                crate::source::LineIndex::new(e.as_bytes()).position(e.utf8_error().valid_up_to());
            FileSyntax::at(
                path,
                (at.line as u64, at.column as u64, "not UTF-8 text".into()),
            )
        })?;
        let mut store = Self::parse(&text).map_err(|at| FileSyntax::at(path, at))?;
        store.path = Some(path.to_path_buf());
        Ok(store)
    }

    /// Parses the file. A secret is a mapping (a JSON-object secret) or a string; the error
    /// carries a line and column and never a value.
    pub fn parse(text: &str) -> Result<Self, (u64, u64, String)> {
        let raw: BTreeMap<String, serde_saphyr::Spanned<serde_json::Value>> =
            if text.trim().is_empty() {
                BTreeMap::new()
            } else {
                serde_saphyr::from_str(text).map_err(|e| {
                    let (line, column) = crate::source::yaml_error_position(&e);
                    (line, column, problem(text, &e))
                })?
            };
        let mut secrets = BTreeMap::new();
        for (locator, value) in raw {
            // The entry is named by its place: a wrong file's key may be a pasted credential.
            let at = value.referenced;
            let text = match value.value {
                serde_json::Value::String(s) => s,
                serde_json::Value::Object(map) => serde_json::Value::Object(map).to_string(),
                _ => {
                    return Err((
                        at.line(),
                        at.column(),
                        "this secret is neither a mapping nor a string".to_owned(),
                    ));
                }
            };
            secrets.insert(locator, SecretString::from(text));
        }
        let arns = secrets
            .keys()
            .filter_map(|k| Arn::parse(k).ok().map(|arn| (arn, k.clone())))
            .collect();
        Ok(Self {
            path: None,
            tables: std::sync::RwLock::new(Tables { secrets, arns }),
        })
    }

    fn lookup(&self, secret: &SecretRef) -> Result<SecretString, ProviderError> {
        self.tables
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .lookup(secret)
            .cloned()
    }
}

impl Tables {
    fn lookup(&self, secret: &SecretRef) -> Result<&SecretString, ProviderError> {
        if let Some(found) = self.secrets.get(secret.as_str()) {
            return Ok(found);
        }
        let SecretRef::Aws(wanted) = secret else {
            return Err(ProviderError::NotFound);
        };
        // As AWS matches: a partial ARN names every secret with that name; a full ARN also
        // matches an entry written without a suffix, whose suffix the file does not know.
        let matches: Vec<&String> = self
            .arns
            .iter()
            .filter(|(arn, _)| arn.matches(wanted))
            .map(|(_, key)| key)
            .collect();
        match matches.as_slice() {
            [] => Err(ProviderError::NotFound),
            [one] => Ok(&self.secrets[*one]),
            many => Err(ProviderError::AmbiguousPartialArn { count: many.len() }),
        }
    }
}

impl FileStore {
    /// The secret `secret` names, as a value.
    pub fn get(&self, secret: &SecretRef) -> Result<SecretValue, ProviderError> {
        self.lookup(secret).map(SecretValue::Text)
    }

    /// Reads the file again, if the store was read from one; on a failure the last good
    /// content stays.
    fn reload(&self) -> Result<(), ProviderError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let fresh = Self::load(path).map_err(|e| ProviderError::Service {
            code: "SecretsFile".into(),
            message: e.to_string(),
        })?;
        let tables = fresh
            .tables
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *self
            .tables
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = tables;
        Ok(())
    }
}

impl Provider for FileStore {
    fn fetch<'a>(&'a self, secrets: &'a [SecretRef]) -> BoxFuture<'a, Vec<Fetched>> {
        Box::pin(async move { secrets.iter().map(|s| self.get(s)).collect() })
    }

    /// The file holds values only: no tags, no deletion state.
    fn describe<'a>(
        &'a self,
        secret: &'a SecretRef,
    ) -> BoxFuture<'a, Result<Described, ProviderError>> {
        Box::pin(async move { self.lookup(secret).map(|_| Metadata::default().into()) })
    }

    /// The one entry whose ARN has that name (suffix aside) in that region.
    fn arn_of<'a>(
        &'a self,
        region: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<String, ProviderError>> {
        Box::pin(async move {
            let tables = self
                .tables
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let found: Vec<String> = tables
                .arns
                .iter()
                .filter(|(arn, _)| arn.region == region && arn.name == name)
                .map(|(arn, _)| arn.as_str().to_owned())
                .collect();
            match found.as_slice() {
                [one] => Ok(one.clone()),
                [] => Err(ProviderError::NotFound),
                many => Err(ProviderError::AmbiguousPartialArn { count: many.len() }),
            }
        })
    }

    /// The file is read again, and the secret's fingerprint is a digest of its content: the
    /// file has no versions.
    fn fingerprint<'a>(
        &'a self,
        secret: &'a SecretRef,
    ) -> BoxFuture<'a, Result<String, ProviderError>> {
        Box::pin(async move {
            use secrecy::ExposeSecret;
            use sha2::Digest;
            self.reload()?;
            let value = self.lookup(secret)?;
            let digest = sha2::Sha256::digest(value.expose_secret().as_bytes());
            Ok(digest.iter().map(|b| format!("{b:02x}")).collect())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mask::Store;
    use secrecy::ExposeSecret;

    const STORE: &str = "\
arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf:
  password: p
kv/app: {user: u}
";

    fn fetch(store: Store, locator: &str) -> Result<String, ProviderError> {
        let file = FileStore::parse(STORE).unwrap();
        let secret = SecretRef::parse(store, locator).unwrap();
        file.get(&secret).map(|v| match v {
            SecretValue::Text(t) => t.expose_secret().to_owned(),
            SecretValue::Binary(_) => unreachable!(),
        })
    }

    #[test]
    fn partial_arn_matches_as_aws_does() {
        let value = fetch(
            Store::Sm,
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:app",
        )
        .unwrap();
        assert_eq!(value, r#"{"password":"p"}"#);
        assert_eq!(
            fetch(
                Store::Sm,
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:app-XyZ123"
            ),
            Err(ProviderError::NotFound)
        );
        assert_eq!(
            fetch(
                Store::Sm,
                "arn:aws:secretsmanager:us-west-2:123456789012:secret:app"
            ),
            Err(ProviderError::NotFound)
        );
    }

    #[test]
    fn flow_mappings_are_objects() {
        assert_eq!(fetch(Store::Vault, "kv/app").unwrap(), r#"{"user":"u"}"#);
    }

    #[test]
    fn a_broken_file_names_the_problem_at_its_place_never_the_text() {
        let error = |text| FileStore::parse(text).err().unwrap();
        let (line, column, message) = error("kv/a:\n  password: \"canary-unclosed\n");
        assert_eq!((line, column), (2, 13));
        assert_eq!(message, "not valid YAML: unclosed quote");
        let (line, column, message) = error("kv/a:\n  port: 1e400\n");
        assert_eq!((line, column), (2, 9));
        assert!(message.starts_with("a number too large"), "{message}");
        assert!(!message.contains("1e400"));
        let (_, _, message) = error("- canary-item\n");
        assert!(message.starts_with("expected a mapping"), "{message}");
    }
}
