//! The typed mask and the secret it points at, with the validation of each store's locator.
//!
//! `grammar` finds a mask and splits it into store, key and locator; this module decides whether
//! the locator is one its store can resolve (`grammar/mask.ebnf`).

use std::fmt;

use nom::{IResult, bytes::complete::take_till};

use crate::source::Span;

mod arn;
mod key_vault_id;
mod vault_path;

pub use self::arn::Arn;
pub use self::key_vault_id::{AzureCloud, KeyVaultId};
pub use self::vault_path::VaultPath;

/// The two delimiter pairs; a mask is closed by the closer of its own opener.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Delimiter {
    /// `{{ … }}`
    Braces,
    /// `<< … >>`
    Angles,
}

impl Delimiter {
    pub const fn opener(self) -> &'static str {
        match self {
            Self::Braces => "{{",
            Self::Angles => "<<",
        }
    }

    pub const fn closer(self) -> &'static str {
        match self {
            Self::Braces => "}}",
            Self::Angles => ">>",
        }
    }
}

/// The secret stores a mask can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Store {
    /// AWS Secrets Manager.
    Sm,
    /// HashiCorp Vault KV v2.
    Vault,
    /// Azure Key Vault.
    Akv,
}

impl Store {
    pub const ALL: [Self; 3] = [Self::Sm, Self::Vault, Self::Akv];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sm => "sm",
            Self::Vault => "vault",
            Self::Akv => "akv",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl fmt::Display for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One mask as written in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mask {
    /// From the first byte of the opener to the last byte of the closer.
    pub span: Span,
    pub delimiter: Delimiter,
    /// The key with its escapes removed; empty means the whole secret.
    pub key: String,
    pub secret: SecretRef,
}

impl Mask {
    pub fn store(&self) -> Store {
        self.secret.store()
    }
}

/// Prints the mask in its canonical form: the characters the grammar reserves are escaped in the
/// key, the locator is printed as written.
impl fmt::Display for Mask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}workato:{}:", self.delimiter.opener(), self.store())?;
        for c in self.key.chars() {
            if needs_escape(c) {
                f.write_str("\\")?;
            }
            write!(f, "{c}")?;
        }
        write!(f, ":{}{}", self.secret, self.delimiter.closer())
    }
}

/// Characters that a key can only hold escaped (`grammar/mask.ebnf`, `keychar`).
pub fn needs_escape(c: char) -> bool {
    matches!(c, ':' | '{' | '}' | '<' | '>' | '\\') || c.is_whitespace() || c.is_control()
}

/// A secret in a store, without the key: what providers fetch and the cache holds.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SecretRef {
    Aws(Arn),
    Vault(VaultPath),
    Azure(KeyVaultId),
}

impl SecretRef {
    /// Validates `locator` as written for `store`. Error spans are relative to the locator.
    pub fn parse(store: Store, locator: &str) -> Result<Self, LocatorError> {
        if let Some((found, fits)) = other_shape(store, locator) {
            return Err(err(
                Span::new(0, locator.len()),
                LocatorErrorKind::OtherStore { found, fits },
            ));
        }
        match store {
            Store::Sm => Arn::parse(locator).map(Self::Aws),
            Store::Vault => VaultPath::parse(locator).map(Self::Vault),
            Store::Akv => KeyVaultId::parse(locator).map(Self::Azure),
        }
    }

    pub const fn store(&self) -> Store {
        match self {
            Self::Aws(_) => Store::Sm,
            Self::Vault(_) => Store::Vault,
            Self::Azure(_) => Store::Akv,
        }
    }

    /// The locator as written in the mask.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Aws(arn) => arn.as_str(),
            Self::Vault(path) => path.as_str(),
            Self::Azure(id) => id.as_str(),
        }
    }
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A locator that its store cannot resolve. The span is relative to the locator's first byte.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocatorError {
    pub span: Span,
    pub kind: LocatorErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LocatorErrorKind {
    #[error(
        "the ARN does not have the form arn:<partition>:secretsmanager:<region>:<account>:secret:<name>"
    )]
    ArnShape,
    #[error("the ARN names service `{service}`, not `secretsmanager`")]
    ArnService { service: String },
    #[error("`{partition}` is not an AWS partition")]
    ArnPartition { partition: String },
    #[error("`{region}` is not an AWS region name")]
    ArnRegion { region: String },
    #[error("region `{region}` is not in partition `{partition}`")]
    ArnRegionPartition {
        region: String,
        partition: String,
        expected: &'static str,
    },
    #[error("account `{account}` is not 12 digits")]
    ArnAccount { account: String },
    #[error("resource type `{resource}` is not `secret`")]
    ArnResource { resource: String },
    #[error("invalid secret name: {fault}")]
    SecretName { fault: NameFault },
    #[error("`{suffix}` is not a 6-character suffix")]
    ArnSuffix { suffix: String },
    #[error("invalid Vault path: {fault}")]
    VaultPath { fault: PathFault },
    #[error("invalid Vault version `{query}`")]
    VaultVersion { query: String },
    #[error("invalid Key Vault secret identifier: {fault}")]
    KeyVaultId { fault: KeyVaultIdFault },
    #[error("invalid Key Vault name `{name}`: {fault}")]
    KeyVaultName { name: String, fault: NameFault },
    #[error("invalid Key Vault secret name: {fault}")]
    KeyVaultSecretName { fault: NameFault },
    #[error("`{version}` is not a Key Vault secret version (32 hexadecimal digits)")]
    KeyVaultVersion { version: String },
    /// A locator with the shape of another store's, or of something no store reads.
    #[error("{}", other_store(found, *fits))]
    OtherStore {
        found: &'static str,
        fits: Option<Store>,
    },
}

fn other_store(found: &str, fits: Option<Store>) -> String {
    match fits {
        Some(store) => format!(
            "the locator is {found}, which the `{store}` store reads: did you mean {{{{workato:{store}:…}}}}?"
        ),
        None => format!("the locator is {found}, which no store reads"),
    }
}

/// What a locator written under `store` looks like when it has the shape of another store's
/// locator (an ARN under `vault`, a Vault path under `sm`, …) or of something no store reads
/// (an SSM parameter, a Key Vault key or certificate): what it is, and the store that fits.
fn other_shape(store: Store, locator: &str) -> Option<(&'static str, Option<Store>)> {
    let lower = locator.to_ascii_lowercase();
    let arn_service = lower
        .strip_prefix("arn:")
        .and_then(|rest| rest.split(':').nth(1));
    let key_vault_object = lower.strip_prefix("https://").and_then(|rest| {
        let (host, path) = rest.split_once('/')?;
        AzureCloud::ALL
            .iter()
            .any(|c| host.ends_with(&format!(".{}", c.vault_suffix())))
            .then(|| path.split('/').next().unwrap_or_default().to_owned())
    });
    let vault_path = !lower.contains("://")
        && !lower.starts_with("arn:")
        && locator.contains('/')
        && !locator.contains(':');
    match (store, arn_service, key_vault_object.as_deref()) {
        (Store::Sm, Some("ssm"), _) => {
            Some(("an SSM parameter ARN, not a Secrets Manager secret", None))
        }
        (Store::Vault | Store::Akv, Some("secretsmanager"), _) => {
            Some(("a Secrets Manager ARN", Some(Store::Sm)))
        }
        (Store::Vault | Store::Akv, Some(_), _) => Some(("an AWS ARN", None)),
        (Store::Sm | Store::Vault, None, Some("secrets")) => {
            Some(("a Key Vault secret identifier", Some(Store::Akv)))
        }
        (_, None, Some("keys")) => Some(("a Key Vault key identifier, not a secret's", None)),
        (_, None, Some("certificates")) => Some((
            "a Key Vault certificate identifier, not a secret's (a certificate's secret is at /secrets/)",
            None,
        )),
        (Store::Vault, None, None)
            if lower.starts_with("https://") || lower.starts_with("http://") =>
        {
            Some(("a URL, not `<mount>/<path>`", None))
        }
        (Store::Sm | Store::Akv, None, None) if vault_path => {
            Some(("a Vault path", Some(Store::Vault)))
        }
        _ => None,
    }
}

/// Why a name breaks its store's naming rules.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NameFault {
    #[error("it is empty")]
    Empty,
    #[error("it is {len} characters long; at most {max} are allowed")]
    TooLong { len: usize, max: usize },
    #[error("it is {len} characters long; at least {min} are needed")]
    TooShort { len: usize, min: usize },
    #[error("`{ch}` is not allowed")]
    Char { ch: char },
    #[error("it must start with a letter")]
    Start,
    #[error("it must end with a letter or digit")]
    End,
    #[error("it has two hyphens in a row")]
    DoubleHyphen,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PathFault {
    #[error("it starts with `/`")]
    LeadingSlash,
    #[error("it ends with `/`")]
    TrailingSlash,
    #[error("it has an empty segment (`//`)")]
    EmptySegment,
    #[error("`{segment}` segments are not allowed")]
    DotSegment { segment: String },
    #[error("it names only the mount `{mount}`; add the secret's path")]
    MountOnly { mount: String },
    #[error("`{ch}` is not allowed")]
    Char { ch: char },
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyVaultIdFault {
    #[error("it must start with `https://`")]
    Scheme,
    #[error(
        "`{host}` is not a Key Vault host (<vault>.vault.azure.net, .vault.azure.cn, .vault.usgovcloudapi.net or .vault.microsoftazure.de)"
    )]
    Host { host: String },
    #[error("the path must be /secrets/<name>[/<version>]")]
    Path,
}

/// Character offset of `part` inside `whole`; `part` must be a sub-slice of `whole`.
fn offset(whole: &str, part: &str) -> usize {
    part.as_ptr() as usize - whole.as_ptr() as usize
}

fn span_of(whole: &str, part: &str) -> Span {
    let start = offset(whole, part);
    Span::new(start, start + part.len())
}

fn err(span: Span, kind: LocatorErrorKind) -> LocatorError {
    LocatorError { span, kind }
}

/// A fault's position inside the checked name, as (byte offset, byte length), or `None` for the
/// whole name.
type FaultAt = Option<(usize, usize)>;

fn field(i: &str) -> IResult<&str, &str> {
    take_till(|c| c == ':')(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(store: Store, text: &str) -> LocatorErrorKind {
        SecretRef::parse(store, text).unwrap_err().kind
    }

    #[test]
    fn full_arn_has_suffix() {
        let arn = Arn::parse(
            "arn:aws:secretsmanager:us-east-1:137149879143:secret:prod-jira-credentials-FsmeTs",
        )
        .unwrap();
        assert_eq!(arn.name, "prod-jira-credentials");
        assert_eq!(arn.suffix.as_deref(), Some("FsmeTs"));
        assert_eq!(arn.name_span(), Span::new(53, 74));
    }

    #[test]
    fn partial_arn_has_no_suffix() {
        let arn =
            Arn::parse("arn:aws:secretsmanager:us-east-1:137149879143:secret:prod/db").unwrap();
        assert!(arn.is_partial());
    }

    #[test]
    fn rds_managed_name_may_hold_a_bang() {
        Arn::parse(
            "arn:aws:secretsmanager:us-west-2:123456789012:secret:rds!db-3f2a7b1c-1d2e-4f5a-9b8c-7d6e5f4a3b2c-AbC123",
        )
        .unwrap();
        assert!(matches!(
            kind(
                Store::Sm,
                "arn:aws:secretsmanager:us-west-2:123456789012:secret:prod/db!x"
            ),
            LocatorErrorKind::SecretName {
                fault: NameFault::Char { ch: '!' }
            }
        ));
    }

    #[test]
    fn region_must_belong_to_partition() {
        assert!(matches!(
            kind(
                Store::Sm,
                "arn:aws:secretsmanager:cn-north-1:123456789012:secret:x"
            ),
            LocatorErrorKind::ArnRegionPartition {
                expected: "aws-cn",
                ..
            }
        ));
        assert!(matches!(
            kind(
                Store::Sm,
                "arn:aws-us-gov:secretsmanager:us-east-1:123456789012:secret:x"
            ),
            LocatorErrorKind::ArnRegionPartition {
                expected: "aws",
                ..
            }
        ));
        Arn::parse("arn:aws-iso-b:secretsmanager:us-isob-east-1:123456789012:secret:x").unwrap();
        Arn::parse("arn:aws-iso-f:secretsmanager:us-isof-south-1:123456789012:secret:x").unwrap();
    }

    #[test]
    fn vault_paths() {
        let path = VaultPath::parse("kv/apono/approle?version=3").unwrap();
        assert_eq!(
            (path.path.as_str(), path.version),
            ("kv/apono/approle", Some(3))
        );
        assert!(matches!(
            kind(Store::Vault, "kv"),
            LocatorErrorKind::VaultPath { .. }
        ));
        assert!(matches!(
            kind(Store::Vault, "kv/a?version=0"),
            LocatorErrorKind::VaultVersion { .. }
        ));
        assert!(matches!(
            kind(Store::Vault, "kv/../b"),
            LocatorErrorKind::VaultPath {
                fault: PathFault::DotSegment { .. }
            }
        ));
    }

    #[test]
    fn key_vault_ids() {
        let id = KeyVaultId::parse(
            "https://corp-kv.vault.azure.net/secrets/apono-mysql-user/0123456789abcdef0123456789abcdef",
        )
        .unwrap();
        assert_eq!(id.vault_url(), "https://corp-kv.vault.azure.net");
        assert!(matches!(
            kind(Store::Akv, "https://corp-kv.vault.example.com/secrets/x"),
            LocatorErrorKind::KeyVaultId {
                fault: KeyVaultIdFault::Host { .. }
            }
        ));
        assert!(matches!(
            kind(Store::Akv, "https://k--v.vault.azure.net/secrets/x"),
            LocatorErrorKind::KeyVaultName {
                fault: NameFault::DoubleHyphen,
                ..
            }
        ));
    }
}
