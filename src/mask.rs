//! The typed mask and the secret it points at, with the validation of each store's locator.
//!
//! `grammar` finds a mask and splits it into store, key and locator; this module decides whether
//! the locator is one its store can resolve (`grammar/mask.ebnf`).

use std::fmt;

use nom::{
    IResult, Parser,
    bytes::complete::{tag, tag_no_case, take_till},
    character::complete::char,
    combinator::{opt, rest},
    sequence::preceded,
};

use crate::source::Span;

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
            Self::Aws(arn) => &arn.text,
            Self::Vault(path) => &path.text,
            Self::Azure(id) => &id.text,
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

fn field(i: &str) -> IResult<&str, &str> {
    take_till(|c| c == ':')(i)
}

/// An AWS Secrets Manager secret ARN.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Arn {
    text: String,
    pub partition: String,
    pub region: String,
    pub account: String,
    /// The secret's name, without the 6-character suffix.
    pub name: String,
    /// The random 6-character suffix AWS appends; `None` for a partial ARN.
    pub suffix: Option<String>,
}

/// AWS partitions a Secrets Manager ARN can name, with the region prefix each one owns. The
/// commercial `aws` partition owns every region no other partition claims.
const PARTITIONS: [(&str, &[&str]); 7] = [
    ("aws", &[]),
    ("aws-cn", &["cn-"]),
    ("aws-us-gov", &["us-gov-"]),
    ("aws-iso", &["us-iso-"]),
    ("aws-iso-b", &["us-isob-"]),
    ("aws-iso-e", &["eu-isoe-"]),
    ("aws-iso-f", &["us-isof-"]),
];

/// The secret-name length limit AWS documents for `CreateSecret`.
const MAX_SECRET_NAME: usize = 512;

impl Arn {
    pub fn parse(text: &str) -> Result<Self, LocatorError> {
        let whole = Span::new(0, text.len());
        let parsed: IResult<&str, _> = (
            tag("arn:"),
            field,
            char(':'),
            field,
            char(':'),
            field,
            char(':'),
            field,
            char(':'),
            field,
            char(':'),
            rest,
        )
            .parse(text);
        let Ok((_, (_, partition, _, service, _, region, _, account, _, resource, _, name))) =
            parsed
        else {
            return Err(err(whole, LocatorErrorKind::ArnShape));
        };
        if service != "secretsmanager" {
            return Err(err(
                span_of(text, service),
                LocatorErrorKind::ArnService {
                    service: service.to_owned(),
                },
            ));
        }
        if !PARTITIONS.iter().any(|(p, _)| *p == partition) {
            return Err(err(
                span_of(text, partition),
                LocatorErrorKind::ArnPartition {
                    partition: partition.to_owned(),
                },
            ));
        };
        if !is_region(region) {
            return Err(err(
                span_of(text, region),
                LocatorErrorKind::ArnRegion {
                    region: region.to_owned(),
                },
            ));
        }
        let owner = PARTITIONS
            .iter()
            .find(|(_, prefixes)| prefixes.iter().any(|p| region.starts_with(p)))
            .map_or("aws", |(p, _)| p);
        if owner != partition {
            return Err(err(
                span_of(text, region),
                LocatorErrorKind::ArnRegionPartition {
                    region: region.to_owned(),
                    partition: partition.to_owned(),
                    expected: owner,
                },
            ));
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err(
                span_of(text, account),
                LocatorErrorKind::ArnAccount {
                    account: account.to_owned(),
                },
            ));
        }
        if resource != "secret" {
            return Err(err(
                span_of(text, resource),
                LocatorErrorKind::ArnResource {
                    resource: resource.to_owned(),
                },
            ));
        }
        let name_span = span_of(text, name);
        let (base, suffix) = split_suffix(name).map_err(|suffix| {
            err(
                span_of(text, suffix),
                LocatorErrorKind::ArnSuffix {
                    suffix: suffix.to_owned(),
                },
            )
        })?;
        check_secret_name(base).map_err(|(at, fault)| {
            let span = at.map_or(name_span, |(i, len)| {
                Span::new(name_span.start + i, name_span.start + i + len)
            });
            err(span, LocatorErrorKind::SecretName { fault })
        })?;
        Ok(Self {
            text: text.to_owned(),
            partition: partition.to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
            name: base.to_owned(),
            suffix: suffix.map(str::to_owned),
        })
    }

    pub fn is_partial(&self) -> bool {
        self.suffix.is_none()
    }

    /// Whether the two ARNs can name one secret, as AWS matches them: the same partition,
    /// region, account and name, and the same 6-character suffix unless one of them is partial
    /// (a partial ARN names every secret with that name).
    pub fn matches(&self, other: &Arn) -> bool {
        self.partition == other.partition
            && self.region == other.region
            && self.account == other.account
            && self.name == other.name
            && (self.is_partial() || other.is_partial() || self.suffix == other.suffix)
    }

    /// The ARN as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The span of the name inside the ARN text, for the partial-ARN warning.
    pub fn name_span(&self) -> Span {
        let start =
            self.text.len() - self.name.len() - self.suffix.as_ref().map_or(0, |s| s.len() + 1);
        Span::new(start, start + self.name.len())
    }
}

/// Region names: `us-east-1`, `us-gov-west-1`, `eu-isoe-west-1`: two letters, one or more
/// lowercase words, a number.
fn is_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

/// Splits AWS's random suffix off a full ARN's name. AWS appends `-` and six letters or digits;
/// it documents that a name ending in a hyphen and six characters is taken for a full ARN, so a
/// six-character tail that is not letters and digits cannot be right either way.
fn split_suffix(name: &str) -> Result<(&str, Option<&str>), &str> {
    match name.rsplit_once('-') {
        Some((base, tail)) if !base.is_empty() && tail.chars().count() == 6 => {
            if tail.bytes().all(|b| b.is_ascii_alphanumeric()) {
                Ok((base, Some(tail)))
            } else {
                Err(tail)
            }
        }
        _ => Ok((name, None)),
    }
}

/// A fault's position inside the checked name, as (byte offset, byte length), or `None` for the
/// whole name.
type FaultAt = Option<(usize, usize)>;

fn check_secret_name(name: &str) -> Result<(), (FaultAt, NameFault)> {
    if name.is_empty() {
        return Err((None, NameFault::Empty));
    }
    let len = name.chars().count();
    if len > MAX_SECRET_NAME {
        return Err((
            None,
            NameFault::TooLong {
                len,
                max: MAX_SECRET_NAME,
            },
        ));
    }
    // AWS-managed secrets (RDS's `rds!db-<uuid>`, `events!connection/…`) are named by the
    // service as `<service>!…`; `!` is allowed there and nowhere else.
    let managed_prefix = name
        .find('!')
        .filter(|&i| {
            i > 0
                && name[..i]
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
        .map_or(0, |i| i + 1);
    for (i, c) in name.char_indices().skip_while(|&(i, _)| i < managed_prefix) {
        if !(c.is_ascii_alphanumeric() || "/_+=.@-".contains(c)) {
            return Err((Some((i, c.len_utf8())), NameFault::Char { ch: c }));
        }
    }
    Ok(())
}

/// A Vault KV v2 secret: `<mount>/<path>[?version=<n>]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VaultPath {
    text: String,
    /// Mount and path, without the version query.
    pub path: String,
    pub version: Option<u64>,
}

impl VaultPath {
    pub fn parse(text: &str) -> Result<Self, LocatorError> {
        let parsed: IResult<&str, (&str, Option<&str>)> =
            (take_till(|c| c == '?'), opt(preceded(char('?'), rest))).parse(text);
        let Ok((_, (path, query))) = parsed else {
            unreachable!("take_till and opt accept any input")
        };
        let path_err =
            |part: &str, fault| err(span_of(text, part), LocatorErrorKind::VaultPath { fault });
        if path.starts_with('/') {
            return Err(path_err(&path[..1], PathFault::LeadingSlash));
        }
        if path.ends_with('/') {
            return Err(path_err(&path[path.len() - 1..], PathFault::TrailingSlash));
        }
        if let Some(i) = path.find("//") {
            return Err(path_err(&path[i..i + 2], PathFault::EmptySegment));
        }
        for segment in path.split('/') {
            if segment.is_empty() {
                return Err(path_err(segment, PathFault::EmptySegment));
            }
            if segment == "." || segment == ".." {
                return Err(path_err(
                    segment,
                    PathFault::DotSegment {
                        segment: segment.to_owned(),
                    },
                ));
            }
            if let Some((i, ch)) = segment
                .char_indices()
                .find(|&(_, c)| c.is_control() || "#\\{}<>%*".contains(c))
            {
                return Err(path_err(
                    &segment[i..i + ch.len_utf8()],
                    PathFault::Char { ch },
                ));
            }
        }
        if !path.contains('/') {
            return Err(path_err(
                path,
                PathFault::MountOnly {
                    mount: path.to_owned(),
                },
            ));
        }
        let version = match query {
            None => None,
            Some(query) => {
                let version = query
                    .strip_prefix("version=")
                    .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|n| n.parse::<u64>().ok())
                    .filter(|&n| n >= 1);
                match version {
                    Some(n) => Some(n),
                    None => {
                        return Err(err(
                            span_of(text, query),
                            LocatorErrorKind::VaultVersion {
                                query: query.to_owned(),
                            },
                        ));
                    }
                }
            }
        };
        Ok(Self {
            text: text.to_owned(),
            path: path.to_owned(),
            version,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// The Azure clouds a Key Vault identifier can name, by DNS suffix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AzureCloud {
    Public,
    China,
    UsGovernment,
    Germany,
}

impl AzureCloud {
    pub const ALL: [Self; 4] = [Self::Public, Self::China, Self::UsGovernment, Self::Germany];

    pub const fn vault_suffix(self) -> &'static str {
        match self {
            Self::Public => "vault.azure.net",
            Self::China => "vault.azure.cn",
            Self::UsGovernment => "vault.usgovcloudapi.net",
            Self::Germany => "vault.microsoftazure.de",
        }
    }
}

/// An Azure Key Vault secret identifier: `https://<vault>.<suffix>/secrets/<name>[/<version>]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyVaultId {
    text: String,
    pub vault: String,
    pub cloud: AzureCloud,
    pub name: String,
    pub version: Option<String>,
}

impl KeyVaultId {
    pub fn parse(text: &str) -> Result<Self, LocatorError> {
        let whole = Span::new(0, text.len());
        let id_err = |span, fault| err(span, LocatorErrorKind::KeyVaultId { fault });
        let scheme: IResult<&str, &str> = tag_no_case("https://").parse(text);
        let Ok((after_scheme, _)) = scheme else {
            let end = text.find("://").map_or(text.len().min(5), |i| i + 3);
            return Err(id_err(Span::new(0, end), KeyVaultIdFault::Scheme));
        };
        let parsed: IResult<&str, _> = (
            take_till(|c| c == '/'),
            tag("/secrets/"),
            take_till(|c| c == '/'),
            opt(preceded(char('/'), rest)),
        )
            .parse(after_scheme);
        let Ok((_, (host, _, name, version))) = parsed else {
            let host_end = after_scheme.find('/').unwrap_or(after_scheme.len());
            let host = &after_scheme[..host_end];
            if host_cloud(host).is_none() {
                return Err(host_error(text, host));
            }
            return Err(id_err(
                Span::new(offset(text, host) + host.len(), whole.end),
                KeyVaultIdFault::Path,
            ));
        };
        let Some((vault, cloud)) = host_cloud(host) else {
            return Err(host_error(text, host));
        };
        check_vault_name(vault).map_err(|fault| {
            err(
                span_of(text, vault),
                LocatorErrorKind::KeyVaultName {
                    name: vault.to_owned(),
                    fault,
                },
            )
        })?;
        check_kv_secret_name(name).map_err(|(at, fault)| {
            let span = at.map_or(
                if name.is_empty() {
                    Span::new(offset(text, name) - 1, offset(text, name))
                } else {
                    span_of(text, name)
                },
                |(i, len)| Span::new(offset(text, name) + i, offset(text, name) + i + len),
            );
            err(span, LocatorErrorKind::KeyVaultSecretName { fault })
        })?;
        if let Some(version) = version
            && (version.len() != 32 || !version.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            let span = if version.is_empty() {
                Span::new(offset(text, version) - 1, offset(text, version))
            } else {
                span_of(text, version)
            };
            return Err(err(
                span,
                LocatorErrorKind::KeyVaultVersion {
                    version: version.to_owned(),
                },
            ));
        }
        Ok(Self {
            text: text.to_owned(),
            vault: vault.to_ascii_lowercase(),
            cloud,
            name: name.to_owned(),
            version: version.map(str::to_owned),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// `https://<vault>.<suffix>`, the URL a `SecretClient` is built for.
    pub fn vault_url(&self) -> String {
        format!("https://{}.{}", self.vault, self.cloud.vault_suffix())
    }
}

fn host_error(text: &str, host: &str) -> LocatorError {
    let span = if host.is_empty() {
        Span::new(0, offset(text, host))
    } else {
        span_of(text, host)
    };
    err(
        span,
        LocatorErrorKind::KeyVaultId {
            fault: KeyVaultIdFault::Host {
                host: host.to_owned(),
            },
        },
    )
}

/// Splits `<vault>.<suffix>` and names the cloud; DNS names compare without case.
fn host_cloud(host: &str) -> Option<(&str, AzureCloud)> {
    let (vault, suffix) = host.split_once('.')?;
    AzureCloud::ALL
        .into_iter()
        .find(|c| c.vault_suffix().eq_ignore_ascii_case(suffix))
        .map(|c| (vault, c))
}

/// Key Vault names: 3–24 characters, letters, digits and single hyphens, starting with a letter
/// and ending with a letter or digit (Azure's naming rules for `Microsoft.KeyVault/vaults`).
fn check_vault_name(name: &str) -> Result<(), NameFault> {
    let len = name.chars().count();
    if let Some(ch) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        return Err(NameFault::Char { ch });
    }
    if len < 3 {
        return Err(NameFault::TooShort { len, min: 3 });
    }
    if len > 24 {
        return Err(NameFault::TooLong { len, max: 24 });
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err(NameFault::Start);
    }
    if name.ends_with('-') {
        return Err(NameFault::End);
    }
    if name.contains("--") {
        return Err(NameFault::DoubleHyphen);
    }
    Ok(())
}

/// Key Vault secret names: 1–127 letters, digits and hyphens.
fn check_kv_secret_name(name: &str) -> Result<(), (FaultAt, NameFault)> {
    if name.is_empty() {
        return Err((None, NameFault::Empty));
    }
    if let Some((i, ch)) = name
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        return Err((Some((i, ch.len_utf8())), NameFault::Char { ch }));
    }
    let len = name.len();
    if len > 127 {
        return Err((None, NameFault::TooLong { len, max: 127 }));
    }
    Ok(())
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
