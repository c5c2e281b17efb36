//! The `Resolver`: the one path by which render, online lint and library users get values. It
//! fetches each distinct secret once, then picks each mask's key from it.

use std::collections::HashMap;

use base64::Engine;
use secrecy::{ExposeSecret, SecretString};

use crate::mask::{Mask, SecretRef};
use crate::provider::{Provider, ProviderError, SecretValue};

/// Why a mask has no value. Holds key *names* at most, never a value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error("{0}")]
    Provider(#[from] ProviderError),
    #[error("key `{key}` is not in the secret{}", available_keys(.available))]
    KeyMissing { key: String, available: Vec<String> },
    #[error("the secret is not a JSON object, so key `{key}` cannot be selected")]
    NotJsonObject { key: String },
    #[error("the secret is binary, so key `{key}` cannot be selected")]
    BinaryWithKey { key: String },
}

fn available_keys(keys: &[String]) -> String {
    if keys.is_empty() {
        String::new()
    } else {
        format!(
            " (it has {})",
            keys.iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

pub struct Resolver {
    provider: Box<dyn Provider>,
}

impl Resolver {
    pub fn new(provider: Box<dyn Provider>) -> Self {
        Self { provider }
    }

    /// The value of every mask, in order. Each distinct secret is fetched once.
    pub fn resolve(&self, masks: &[&Mask]) -> Vec<Result<SecretString, ResolveError>> {
        let mut secrets: HashMap<&SecretRef, Result<SecretValue, ProviderError>> = HashMap::new();
        for mask in masks {
            secrets
                .entry(&mask.secret)
                .or_insert_with(|| self.provider.fetch(&mask.secret));
        }
        masks
            .iter()
            .map(|mask| match &secrets[&mask.secret] {
                Ok(value) => select(value, &mask.key),
                Err(e) => Err(e.clone().into()),
            })
            .collect()
    }

    /// How many distinct secrets `masks` name.
    pub fn distinct(masks: &[&Mask]) -> usize {
        masks
            .iter()
            .map(|m| &m.secret)
            .collect::<std::collections::HashSet<_>>()
            .len()
    }
}

/// The value a mask's key selects (design §2): the whole string for an empty key (base64 for a
/// binary secret); otherwise the member of the JSON object, a string as it is and anything else
/// as compact JSON.
pub fn select(value: &SecretValue, key: &str) -> Result<SecretString, ResolveError> {
    let text = match value {
        SecretValue::Binary(bytes) if key.is_empty() => {
            return Ok(base64::engine::general_purpose::STANDARD
                .encode(bytes.expose_secret())
                .into());
        }
        SecretValue::Binary(_) => {
            return Err(ResolveError::BinaryWithKey {
                key: key.to_owned(),
            });
        }
        SecretValue::Text(text) if key.is_empty() => return Ok(text.clone()),
        SecretValue::Text(text) => text,
    };
    let Ok(serde_json::Value::Object(mut object)) =
        serde_json::from_str::<serde_json::Value>(text.expose_secret())
    else {
        return Err(ResolveError::NotJsonObject {
            key: key.to_owned(),
        });
    };
    match object.remove(key) {
        Some(serde_json::Value::String(s)) => Ok(s.into()),
        Some(other) => Ok(other.to_string().into()),
        None => Err(ResolveError::KeyMissing {
            key: key.to_owned(),
            available: object.keys().cloned().collect(),
        }),
    }
}
