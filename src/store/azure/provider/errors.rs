//! Key Vault and Entra failures as `ProviderError`s, from status codes, Key Vault's error codes
//! and `Display` chains, never `{:?}`.

use azure_core::error::ErrorKind;

use super::wire::WireError;
use crate::provider::{ProviderError, chain, join_causes};

/// Maps an SDK error by its kind, its status and Key Vault's error codes. A disabled secret is
/// a 403 `Forbidden` like a denied one: only the body's inner error says `SecretDisabled`.
pub(super) fn sdk_error(error: &azure_core::Error) -> ProviderError {
    match error.kind() {
        ErrorKind::HttpResponse {
            status,
            error_code,
            raw_response,
        } => {
            let detail = raw_response
                .as_ref()
                .and_then(|r| serde_json::from_slice::<WireError>(r.body()).ok())
                .map(|w| w.error);
            let code = detail
                .as_ref()
                .and_then(|d| d.code.clone())
                .or_else(|| error_code.clone())
                .unwrap_or_else(|| status.to_string());
            let inner = detail
                .as_ref()
                .and_then(|d| d.innererror.as_ref())
                .and_then(|i| i.code.clone());
            // Key Vault's messages name the secret and the caller, never a value.
            let message = detail
                .and_then(|d| d.message)
                .unwrap_or_else(|| status.to_string());
            match (u16::from(*status), inner.as_deref()) {
                (_, Some("SecretDisabled")) => ProviderError::Disabled,
                (_, Some("SecretExpired")) => ProviderError::Expired {
                    since: "an earlier date".into(),
                },
                (404, _) => ProviderError::NotFound,
                (403, _) => ProviderError::AccessDenied {
                    message: format!("{code}: {message}"),
                },
                (401, _) => ProviderError::AuthFailed {
                    message: format!("the vault refused the token (401 {code}): {message}"),
                },
                (429, _) => ProviderError::Throttled { message },
                _ => ProviderError::Service { code, message },
            }
        }
        ErrorKind::Credential => ProviderError::AuthFailed {
            message: messages(error),
        },
        _ => match chain(error).find_map(|e| e.downcast_ref::<reqwest::Error>()) {
            Some(r) if r.is_timeout() => ProviderError::TimedOut { seconds: None },
            Some(_) => ProviderError::Unreachable {
                message: messages(error),
            },
            None => ProviderError::Sdk {
                message: messages(error),
            },
        },
    }
}

/// The messages of an SDK error's chain, without the retry policy's wrapper (which says only
/// "non-transport error occurred") and on one line.
pub(super) fn messages(error: &azure_core::Error) -> String {
    join_causes(chain(error).filter_map(|e| {
        let text = e
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let wrapper = text.starts_with("non-transport error occurred")
            || text.starts_with("retry policy expired");
        (!wrapper).then_some(text)
    }))
}
