//! Azure Key Vault secret identifiers and the clouds their hosts name.

use nom::{
    IResult, Parser,
    bytes::complete::{tag, tag_no_case, take_till},
    character::complete::char,
    combinator::{opt, rest},
    sequence::preceded,
};

use crate::store::locator::*;
use crate::source::Span;

/// Each way an identifier can break Key Vault's rules.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Fault {
    /// Not a Key Vault secret identifier.
    #[error("invalid Key Vault secret identifier: {fault}")]
    Id {
        /// What is wrong with it.
        fault: IdFault,
    },
    /// A vault name outside Azure's rules.
    #[error("invalid Key Vault name `{name}`: {fault}")]
    Name {
        /// The vault name.
        name: String,
        /// What is wrong with it.
        fault: NameFault,
    },
    /// A secret name outside Azure's rules.
    #[error("invalid Key Vault secret name: {fault}")]
    SecretName {
        /// What is wrong with it.
        fault: NameFault,
    },
    /// A version that is not 32 hex digits.
    #[error("`{version}` is not a Key Vault secret version (32 hexadecimal digits)")]
    Version {
        /// The version written.
        version: String,
    },
}

/// What is wrong with a Key Vault identifier.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdFault {
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

/// The Azure clouds a Key Vault identifier can name, by DNS suffix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AzureCloud {
    /// `vault.azure.net`.
    Public,
    /// `vault.azure.cn`.
    China,
    /// `vault.usgovcloudapi.net`.
    UsGovernment,
    /// `vault.microsoftazure.de`.
    Germany,
}

impl AzureCloud {
    /// Every cloud.
    pub const ALL: [Self; 4] = [Self::Public, Self::China, Self::UsGovernment, Self::Germany];

    /// The DNS suffix of the cloud's vaults.
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
    /// The vault's name, the first label of its host.
    pub vault: String,
    /// The cloud the host is in.
    pub cloud: AzureCloud,
    /// The secret's name.
    pub name: String,
    /// A 32-hex-digit version; `None` is the latest.
    pub version: Option<String>,
}

impl KeyVaultId {
    /// Validates `text` as a Key Vault secret identifier.
    pub fn parse(text: &str) -> Result<Self, LocatorError> {
        let whole = Span::new(0, text.len());
        let id_err = |span, fault| err(span, Fault::Id { fault });
        let scheme: IResult<&str, &str> = tag_no_case("https://").parse(text);
        let Ok((after_scheme, _)) = scheme else {
            let end = text.find("://").map_or(text.len().min(5), |i| i + 3);
            return Err(id_err(Span::new(0, end), IdFault::Scheme));
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
                IdFault::Path,
            ));
        };
        let Some((vault, cloud)) = host_cloud(host) else {
            return Err(host_error(text, host));
        };
        check_vault_name(vault).map_err(|fault| {
            err(
                span_of(text, vault),
                Fault::Name {
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
            err(span, Fault::SecretName { fault })
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
                Fault::Version {
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

    /// The identifier as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// `https://<vault>.<suffix>`, the URL a `SecretClient` is built for.
    pub fn vault_url(&self) -> String {
        format!("https://{}.{}", self.vault, self.cloud.vault_suffix())
    }

    /// The same secret without a version: its latest.
    pub fn latest(&self) -> Self {
        let unversioned = format!("{}/secrets/{}", self.vault_url(), self.name);
        Self {
            text: unversioned,
            vault: self.vault.clone(),
            cloud: self.cloud,
            name: self.name.clone(),
            version: None,
        }
    }
}

impl crate::store::Locator for KeyVaultId {
    type Fault = Fault;

    fn parse(text: &str) -> Result<Self, LocatorError> {
        KeyVaultId::parse(text)
    }

    fn as_str(&self) -> &str {
        &self.text
    }

    fn looks_like(text: &str) -> bool {
        text.starts_with("https://")
    }

    /// An identifier on a Key Vault host is this store's when it names a secret; a key's or a
    /// certificate's is told under every store.
    fn shape(text: &str) -> Option<Shape> {
        if !starts_with_ignore_case(text, "https://") {
            return None;
        }
        let lower = text.to_ascii_lowercase();
        let (host, path) = lower["https://".len()..].split_once('/')?;
        AzureCloud::ALL
            .iter()
            .any(|c| host.ends_with(&format!(".{}", c.vault_suffix())))
            .then_some(())?;
        let no_store = |what| Shape::NoStore {
            what,
            under: Under::Every,
        };
        match path.split('/').next().unwrap_or_default() {
            "secrets" => Some(Shape::Own("a Key Vault secret identifier")),
            "keys" => Some(no_store("a Key Vault key identifier, not a secret's")),
            "certificates" => Some(no_store(
                "a Key Vault certificate identifier, not a secret's (a certificate's secret is at /secrets/)",
            )),
            _ => None,
        }
    }

    fn version(&self) -> Option<crate::store::Version<'_>> {
        self.version.as_deref().map(crate::store::Version::Id)
    }

    /// A Key Vault version has tags of its own, so it is tagged as itself.
    fn unversioned(&self) -> Option<Self> {
        self.version.is_some().then(|| self.latest())
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
        Fault::Id {
            fault: IdFault::Host {
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
