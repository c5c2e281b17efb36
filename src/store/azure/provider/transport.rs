//! The one HTTP transport of the Key Vault and token requests: reqwest, with a certificate that
//! rustls refuses made a final error.

use azure_core::error::ErrorKind;
use azure_core::http::{AsyncRawResponse, HttpClient, Request};

/// The transport: the one reqwest client, with certificate failures made final. The SDK retries
/// transport errors for up to a minute, but a certificate not trusted now will not be trusted in
/// a second: the error should say so at once.
#[derive(Debug)]
pub(super) struct Http(pub(super) reqwest::Client);

#[async_trait::async_trait]
impl HttpClient for Http {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        self.0.execute_request(request).await.map_err(|e| {
            if untrusted_certificate(&e) {
                azure_core::Error::with_error(
                    ErrorKind::Other,
                    e,
                    "the server's TLS certificate is not trusted (azure.ca_file adds a CA)",
                )
            } else {
                e
            }
        })
    }
}

/// Whether rustls refused the server's certificate somewhere in `error`'s chain. An `io::Error`
/// hides the error it wraps from `source()` (and may wrap another `io::Error`), so each one is
/// looked into.
pub(super) fn untrusted_certificate(error: &(dyn std::error::Error + 'static)) -> bool {
    fn refused(e: &(dyn std::error::Error + 'static)) -> bool {
        if let Some(rustls::Error::InvalidCertificate(_)) = e.downcast_ref::<rustls::Error>() {
            return true;
        }
        e.downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .is_some_and(|inner| refused(inner))
    }
    crate::provider::chain(error).any(refused)
}
