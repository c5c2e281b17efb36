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

pub use self::arn::{Arn, partition_of};
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
    /// `{{` or `<<`.
    pub const fn opener(self) -> &'static str {
        match self {
            Self::Braces => "{{",
            Self::Angles => "<<",
        }
    }

    /// `}}` or `>>`.
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
    /// Every store.
    pub const ALL: [Self; 3] = [Self::Sm, Self::Vault, Self::Akv];

    /// The store's name in a mask: `sm`, `vault` or `akv`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sm => "sm",
            Self::Vault => "vault",
            Self::Akv => "akv",
        }
    }

    /// The store a mask names, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Its place in [`Store::ALL`].
    pub(crate) const fn index(self) -> usize {
        self as usize
    }

    /// The Cargo feature that builds its provider.
    pub(crate) const fn feature(self) -> &'static str {
        match self {
            Self::Sm => "aws",
            Self::Vault => "vault",
            Self::Akv => "azure",
        }
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
    /// Which delimiters the mask is written with.
    pub delimiter: Delimiter,
    /// The key with its escapes removed; empty means the whole secret.
    pub key: std::sync::Arc<str>,
    /// The secret it names, shared by every mask of a scan that names it (a large template
    /// names a few secrets many times).
    pub secret: std::sync::Arc<SecretRef>,
    /// What the reference asks done with the value before it is placed (argocd-vault-plugin's
    /// modifiers); a native mask has none.
    pub modifier: Option<Modifier>,
}

/// What a reference asks done with its value before it is placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Modifier {
    /// argocd-vault-plugin's `| jsonParse`: the value is JSON text, placed as the JSON value it
    /// holds (a collection, a number, …) where the mask is a whole YAML value or a JSON value
    /// outside a string, and refused where that type cannot stand.
    JsonParse,
}

impl Modifier {
    /// As the reference writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::JsonParse => "jsonParse",
        }
    }
}

impl Mask {
    /// The store of the secret.
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
    /// An AWS Secrets Manager secret, by ARN.
    Aws(Arn),
    /// A Vault KV v2 secret, by path.
    Vault(VaultPath),
    /// An Azure Key Vault secret, by identifier.
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

    /// The store that holds the secret.
    pub const fn store(&self) -> Store {
        match self {
            Self::Aws(_) => Store::Sm,
            Self::Vault(_) => Store::Vault,
            Self::Azure(_) => Store::Akv,
        }
    }

    /// The secret whose tags this locator's tags are. Vault keeps tags (custom metadata) per
    /// secret, so `kv/app/db?version=1` is tagged as `kv/app/db`; a Key Vault version has tags
    /// of its own.
    pub fn tagged_as(&self) -> Self {
        match self {
            Self::Vault(path) if path.version.is_some() => Self::Vault(VaultPath {
                text: path.path.clone(),
                path: path.path.clone(),
                version: None,
            }),
            _ => self.clone(),
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
    /// Where in the locator.
    pub span: Span,
    /// What is wrong.
    pub kind: LocatorErrorKind,
}

/// Each way a locator can break its store's rules.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LocatorErrorKind {
    /// Not `arn:<partition>:<service>:<region>:<account>:<resource>`.
    #[error(
        "the ARN does not have the form arn:<partition>:secretsmanager:<region>:<account>:secret:<name>"
    )]
    ArnShape,
    /// An ARN of another service.
    #[error("the ARN names service `{service}`, not `secretsmanager`")]
    ArnService {
        /// The service named.
        service: String,
    },
    /// A partition AWS does not have.
    #[error("`{partition}` is not an AWS partition")]
    ArnPartition {
        /// The partition named.
        partition: String,
    },
    /// Not a region name.
    #[error("`{region}` is not an AWS region name")]
    ArnRegion {
        /// The region named.
        region: String,
    },
    /// A region of another partition.
    #[error("region `{region}` is not in partition `{partition}`")]
    ArnRegionPartition {
        /// The region named.
        region: String,
        /// The partition named.
        partition: String,
        /// The partition the region belongs to.
        expected: &'static str,
    },
    /// An account id that is not 12 digits.
    #[error("account `{account}` is not 12 digits")]
    ArnAccount {
        /// The account named.
        account: String,
    },
    /// A resource other than `secret:`.
    #[error("resource type `{resource}` is not `secret`")]
    ArnResource {
        /// The resource type named.
        resource: String,
    },
    /// A secret name outside Secrets Manager's rules.
    #[error("invalid secret name: {fault}")]
    SecretName {
        /// What is wrong with it.
        fault: NameFault,
    },
    /// A 6-character suffix that is not six letters or digits.
    #[error("`{suffix}` is not a 6-character suffix")]
    ArnSuffix {
        /// The suffix written.
        suffix: String,
    },
    /// Not `<mount>/<path>` with clean segments.
    #[error("invalid Vault path: {fault}")]
    VaultPath {
        /// What is wrong with it.
        fault: PathFault,
    },
    /// A query other than `?version=N`, N from 1.
    #[error("invalid Vault version `{query}`")]
    VaultVersion {
        /// The query written.
        query: String,
    },
    /// Not a Key Vault secret identifier.
    #[error("invalid Key Vault secret identifier: {fault}")]
    KeyVaultId {
        /// What is wrong with it.
        fault: KeyVaultIdFault,
    },
    /// A vault name outside Azure's rules.
    #[error("invalid Key Vault name `{name}`: {fault}")]
    KeyVaultName {
        /// The vault name.
        name: String,
        /// What is wrong with it.
        fault: NameFault,
    },
    /// A secret name outside Azure's rules.
    #[error("invalid Key Vault secret name: {fault}")]
    KeyVaultSecretName {
        /// What is wrong with it.
        fault: NameFault,
    },
    /// A version that is not 32 hex digits.
    #[error("`{version}` is not a Key Vault secret version (32 hexadecimal digits)")]
    KeyVaultVersion {
        /// The version written.
        version: String,
    },
    /// A locator with the shape of another store's, or of something no store reads.
    #[error("{}", other_store(found, *fits))]
    OtherStore {
        /// What the locator looks like (`a Secrets Manager ARN`, `a URL`…).
        found: &'static str,
        /// The store that reads such a locator, if one does.
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
    /// Nothing.
    #[error("it is empty")]
    Empty,
    /// Longer than allowed.
    #[error("it is {len} characters long; at most {max} are allowed")]
    TooLong {
        /// Its length.
        len: usize,
        /// The most allowed.
        max: usize,
    },
    /// Shorter than allowed.
    #[error("it is {len} characters long; at least {min} are needed")]
    TooShort {
        /// Its length.
        len: usize,
        /// The least allowed.
        min: usize,
    },
    /// A character not allowed.
    #[error("`{ch}` is not allowed")]
    Char {
        /// The character.
        ch: char,
    },
    /// Starts with a character not allowed first.
    #[error("it must start with a letter")]
    Start,
    /// Ends with a character not allowed last.
    #[error("it must end with a letter or digit")]
    End,
    /// Two hyphens in a row.
    #[error("it has two hyphens in a row")]
    DoubleHyphen,
}

/// What is wrong with a Vault path.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PathFault {
    /// It starts with `/`.
    #[error("it starts with `/`")]
    LeadingSlash,
    /// It ends with `/`.
    #[error("it ends with `/`")]
    TrailingSlash,
    /// Two `/` in a row.
    #[error("it has an empty segment (`//`)")]
    EmptySegment,
    /// A `.` or `..` segment.
    #[error("`{segment}` segments are not allowed")]
    DotSegment {
        /// The segment.
        segment: String,
    },
    /// A mount with no path under it.
    #[error("it names only the mount `{mount}`; add the secret's path")]
    MountOnly {
        /// The mount.
        mount: String,
    },
    /// A character a path cannot hold.
    #[error("`{ch}` is not allowed")]
    Char {
        /// The character.
        ch: char,
    },
}

/// What is wrong with a Key Vault identifier.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyVaultIdFault {
    /// Not `https://`.
    #[error("it must start with `https://`")]
    Scheme,
    /// A host that is not `<vault>.vault.<cloud suffix>`.
    #[error(
        "`{host}` is not a Key Vault host (<vault>.vault.azure.net, .vault.azure.cn, .vault.usgovcloudapi.net or .vault.microsoftazure.de)"
    )]
    Host {
        /// The host.
        host: String,
    },
    /// Not `/secrets/<name>[/<version>]`.
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
