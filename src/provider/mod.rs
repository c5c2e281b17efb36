//! Secret stores behind one trait. A provider fetches whole secrets; choosing a key inside one is
//! the resolver's job, the same for every store.

pub mod file;

use secrecy::{SecretSlice, SecretString};

use crate::mask::SecretRef;

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

/// Why a store could not give a secret. Never holds a value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    #[error("secret not found")]
    NotFound,
    #[error("the partial ARN matches {count} secrets; use the full ARN")]
    AmbiguousPartialArn { count: usize },
    #[error(
        "no store is configured for `{store}` secrets: give --secrets-file or `secrets_file` in .secretmask.yaml"
    )]
    NoProvider { store: crate::mask::Store },
}

/// A secret store.
pub trait Provider: Send + Sync {
    fn fetch(&self, secret: &SecretRef) -> Result<SecretValue, ProviderError>;
}
