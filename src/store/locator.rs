//! What every store's locator shares: the error a locator that its store cannot resolve is, the
//! faults of names and paths, and the one check that spans stores (a locator with the shape of
//! another store's).

use nom::{IResult, bytes::complete::take_till};

use super::Store;
use super::azure::AzureCloud;
use crate::source::Span;

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
pub(super) fn other_shape(store: Store, locator: &str) -> Option<(&'static str, Option<Store>)> {
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
pub(super) fn offset(whole: &str, part: &str) -> usize {
    part.as_ptr() as usize - whole.as_ptr() as usize
}

pub(super) fn span_of(whole: &str, part: &str) -> Span {
    let start = offset(whole, part);
    Span::new(start, start + part.len())
}

pub(super) fn err(span: Span, kind: LocatorErrorKind) -> LocatorError {
    LocatorError { span, kind }
}

/// A fault's position inside the checked name, as (byte offset, byte length), or `None` for the
/// whole name.
pub(super) type FaultAt = Option<(usize, usize)>;

pub(super) fn field(i: &str) -> IResult<&str, &str> {
    take_till(|c| c == ':')(i)
}
