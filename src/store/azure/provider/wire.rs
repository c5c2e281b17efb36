//! Key Vault's documented wire format, the fields this tool reads: the secret bundle (its
//! value straight into a `SecretString`) and the error body.

use std::collections::BTreeMap;

use secrecy::SecretString;
use serde::Deserialize;

/// The secret bundle of `GET /secrets/{name}/{version}`, the fields this tool reads.
#[derive(Deserialize)]
pub(super) struct WireSecret {
    #[serde(default, deserialize_with = "secret_string")]
    pub(super) value: Option<SecretString>,
    /// `https://<vault>/secrets/<name>/<version>`.
    pub(super) id: Option<String>,
    pub(super) attributes: Option<WireAttributes>,
    pub(super) tags: Option<BTreeMap<String, String>>,
}

#[derive(Default, Deserialize)]
pub(super) struct WireAttributes {
    pub(super) enabled: Option<bool>,
    /// Unix seconds.
    pub(super) exp: Option<i64>,
    pub(super) nbf: Option<i64>,
    pub(super) created: Option<i64>,
    pub(super) updated: Option<i64>,
}

pub(super) fn secret_string<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<SecretString>, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.map(SecretString::from))
}

/// Key Vault's error body, `{"error": {"code", "message", "innererror": {"code"}}}`.
#[derive(Deserialize)]
pub(super) struct WireError {
    pub(super) error: WireErrorDetail,
}

#[derive(Deserialize)]
pub(super) struct WireErrorDetail {
    pub(super) code: Option<String>,
    pub(super) message: Option<String>,
    pub(super) innererror: Option<WireInnerError>,
}

#[derive(Deserialize)]
pub(super) struct WireInnerError {
    pub(super) code: Option<String>,
}
