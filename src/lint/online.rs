//! Online lint: each distinct secret is asked once whether it exists, is not scheduled for
//! deletion, carries the required tags and holds every key its masks name. A value is fetched
//! only to check keys and dropped at once; findings name keys and tags, never a value.

use std::collections::HashMap;
use std::sync::Arc;

use super::{
    ACCESS_DENIED, Finding, KEY_MISSING, MISSING_REQUIRED_TAG, PINNED_VERSION_NOT_CURRENT, Rule,
    SECRET_DISABLED, SECRET_EXPIRED, SECRET_EXPIRES_SOON, SECRET_NOT_CHANGED, SECRET_NOT_FOUND,
    SECRET_NOT_YET_VALID, SECRET_SCHEDULED_FOR_DELETION, STORE_UNAVAILABLE, VERSION_DELETED,
    VERSION_DESTROYED,
};
use crate::finding::Diagnostic;
use crate::lint::files::MaskedFile;
use crate::mask::{Mask, SecretRef};
use crate::provider::{Described, Metadata, ProviderError, SecretValue};
use crate::required_tags::RequiredTags;
use crate::resolve::{ResolveError, Resolver, select};
use crate::source::LineIndex;

/// When online lint warns of drift: an expiry this close, a secret unchanged this long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Drift {
    /// `lint.expires_within`.
    pub expires_within: std::time::Duration,
    /// `lint.max_age`; `None` is off.
    pub max_age: Option<std::time::Duration>,
    /// Now, as the checks see it.
    pub now: std::time::SystemTime,
}

impl Drift {
    /// `lint.expires_within` (default 30 days) and `lint.max_age` (off) of a configuration.
    pub(crate) fn from_config(lint: &crate::config::LintConfig) -> Self {
        Self {
            expires_within: lint
                .expires_within
                .map_or(std::time::Duration::from_secs(30 * 24 * 3600), |p| p.0),
            max_age: lint.max_age.map(|p| p.0),
            now: std::time::SystemTime::now(),
        }
    }
}

/// The online findings of every masked file.
pub(crate) async fn check(
    resolver: &Resolver,
    files: &[MaskedFile],
    required: &RequiredTags,
    drift: &Drift,
) -> Vec<Diagnostic> {
    let mut refs: Vec<SecretRef> = files
        .iter()
        .flat_map(|f| f.masks.iter().map(|m| SecretRef::clone(&m.secret)))
        .collect();
    refs.sort();
    refs.dedup();
    let described = resolver.describe(&refs).await;
    // Values only for live secrets that some mask selects a key from, and whose description
    // did not bring the value along.
    let mut keyed: Vec<SecretRef> = files
        .iter()
        .flat_map(|f| f.masks.iter())
        .filter(|m| {
            !m.key.is_empty()
                && matches!(&described[&m.secret],
                    Ok(d) if d.value.is_none() && d.metadata.is_live())
        })
        .map(|m| SecretRef::clone(&m.secret))
        .collect();
    keyed.sort();
    keyed.dedup();
    let values = resolver.fetch(&keyed).await;

    let mut diagnostics = Vec::new();
    for file in files {
        let index = LineIndex::new(&file.bytes);
        for mask in &file.masks {
            let mut findings = mask_findings(mask, &described, &values, required);
            if let Ok(d) = &described[&mask.secret] {
                findings.extend(drift_findings(mask, &d.metadata, drift));
            }
            diagnostics.extend(
                findings
                    .into_iter()
                    .map(|finding| Diagnostic::new(&file.path, &index, finding)),
            );
        }
    }
    diagnostics
}

fn mask_findings(
    mask: &Mask,
    described: &HashMap<SecretRef, Result<Described, ProviderError>>,
    values: &HashMap<SecretRef, Result<Arc<SecretValue>, ProviderError>>,
    required: &RequiredTags,
) -> Vec<Finding> {
    let finding = |rule: &'static Rule, message: String| Finding {
        rule,
        span: mask.span,
        message,
    };
    let (metadata, described_value) = match &described[&mask.secret] {
        Ok(d) => (&d.metadata, d.value.as_ref()),
        Err(error) => return vec![provider_finding(mask, error)],
    };
    let mut findings = Vec::new();
    if let Some(date) = &metadata.deleted {
        findings.push(finding(
            SECRET_SCHEDULED_FOR_DELETION,
            format!(
                "secret `{}` was scheduled for deletion on {date}",
                mask.secret
            ),
        ));
        return findings;
    }
    if let Some(date) = &metadata.version_deleted {
        let version = metadata.version.unwrap_or_default();
        return vec![finding(
            VERSION_DELETED,
            format!(
                "version {version} of secret `{}` was deleted on {date}",
                mask.secret
            ),
        )];
    }
    if metadata.version_destroyed {
        let version = metadata.version.unwrap_or_default();
        return vec![finding(
            VERSION_DESTROYED,
            format!(
                "version {version} of secret `{}` was destroyed",
                mask.secret
            ),
        )];
    }
    if let Some(date) = &metadata.expired {
        return vec![finding(
            SECRET_EXPIRED,
            format!("secret `{}` expired on {date}", mask.secret),
        )];
    }
    if let Some(date) = &metadata.not_before {
        findings.push(finding(
            SECRET_NOT_YET_VALID,
            format!(
                "secret `{}` is not valid before {date}; a render fails until then",
                mask.secret
            ),
        ));
    }
    if let (Some(tags), Some(wanted)) = (&metadata.tags, required.0.get(&mask.store())) {
        for (tag, value) in wanted {
            match tags.get(tag) {
                Some(have) if have == value => {}
                Some(have) => findings.push(finding(
                    MISSING_REQUIRED_TAG,
                    format!(
                        "secret `{}` has tag `{tag}={have}`, but {} requires `{tag}={value}`",
                        mask.secret,
                        required.source(mask.store(), tag)
                    ),
                )),
                None => findings.push(finding(
                    MISSING_REQUIRED_TAG,
                    format!(
                        "secret `{}` lacks the tag `{tag}={value}` that {} requires",
                        mask.secret,
                        required.source(mask.store(), tag)
                    ),
                )),
            }
        }
    }
    if !mask.key.is_empty() {
        let value = described_value
            .map(|v| Ok(v.clone()))
            .or_else(|| values.get(&mask.secret).cloned());
        match &value {
            Some(Ok(value)) => {
                if let Err(error) = select(value, &mask.key) {
                    findings.push(finding(KEY_MISSING, key_message(mask, &error)));
                }
            }
            Some(Err(error)) => findings.push(provider_finding(mask, error)),
            None => {}
        }
    }
    findings
}

/// Warnings of what will break or is due: an expiry within `expires_within`, a pinned Vault
/// version that is not the current one, a secret unchanged for longer than `max_age`.
fn drift_findings(mask: &Mask, metadata: &Metadata, drift: &Drift) -> Vec<Finding> {
    let finding = |rule: &'static Rule, message: String| Finding {
        rule,
        span: mask.span,
        message,
    };
    let when = |text: &Option<String>| {
        text.as_deref()
            .and_then(|t| humantime::parse_rfc3339_weak(t).ok())
    };
    let mut findings = Vec::new();
    let details = &metadata.details;
    if metadata.expired.is_none()
        && let (Some(expires), Some(text)) = (when(&details.expires), &details.expires)
        && expires > drift.now
        && expires.duration_since(drift.now).unwrap_or_default() <= drift.expires_within
    {
        findings.push(finding(
            SECRET_EXPIRES_SOON,
            format!("secret `{}` expires on {text}", mask.secret),
        ));
    }
    if let (Some(pinned), Some(current)) = (mask.secret.version(), &details.current_version)
        && pinned.to_string() != *current
        && metadata.is_live()
    {
        findings.push(finding(
            PINNED_VERSION_NOT_CURRENT,
            format!(
                "the mask pins version {pinned} of secret `{}`, whose current version is {current}",
                mask.secret.identity()
            ),
        ));
    }
    if let (Some(max_age), Some(updated), Some(text)) =
        (drift.max_age, when(&details.updated), &details.updated)
        && drift.now.duration_since(updated).unwrap_or_default() > max_age
    {
        findings.push(finding(
            SECRET_NOT_CHANGED,
            format!(
                "secret `{}` last changed on {text}, longer ago than lint.max_age ({})",
                mask.secret,
                humantime::format_duration(max_age)
            ),
        ));
    }
    findings
}

fn key_message(mask: &Mask, error: &ResolveError) -> String {
    format!("secret `{}`: {error}", mask.secret)
}

/// The finding for a store's refusal or failure.
fn provider_finding(mask: &Mask, error: &ProviderError) -> Finding {
    let (rule, message) = match error {
        ProviderError::NotFound => (
            SECRET_NOT_FOUND,
            format!("secret `{}` does not exist", mask.secret),
        ),
        ProviderError::AccessDenied { .. } => (
            ACCESS_DENIED,
            format!("reading secret `{}`: {error}", mask.secret),
        ),
        ProviderError::ScheduledForDeletion => (
            SECRET_SCHEDULED_FOR_DELETION,
            format!("secret `{}` is scheduled for deletion", mask.secret),
        ),
        ProviderError::VersionDeleted { .. } => (
            VERSION_DELETED,
            format!("secret `{}`: {error}", mask.secret),
        ),
        ProviderError::VersionDestroyed { .. } => (
            VERSION_DESTROYED,
            format!("secret `{}`: {error}", mask.secret),
        ),
        ProviderError::Disabled => (
            SECRET_DISABLED,
            format!("secret `{}` is disabled", mask.secret),
        ),
        ProviderError::Expired { .. } => {
            (SECRET_EXPIRED, format!("secret `{}`: {error}", mask.secret))
        }
        ProviderError::NotYetValid { .. } => (
            SECRET_NOT_YET_VALID,
            format!("secret `{}`: {error}", mask.secret),
        ),
        ProviderError::AmbiguousPartialArn { .. } => (
            SECRET_NOT_FOUND,
            format!("secret `{}`: {error}", mask.secret),
        ),
        _ => (
            STORE_UNAVAILABLE,
            format!("asking for secret `{}`: {error}", mask.secret),
        ),
    };
    Finding {
        rule,
        span: mask.span,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Details;
    use std::time::Duration;

    const DAY: Duration = Duration::from_secs(24 * 3600);

    fn rules(mask: &str, details: Details, max_age: Option<Duration>) -> Vec<&'static str> {
        let mask = Mask::parse(mask).unwrap();
        let metadata = Metadata {
            details,
            ..Metadata::default()
        };
        let drift = Drift {
            expires_within: 30 * DAY,
            max_age,
            now: humantime::parse_rfc3339("2026-12-01T00:00:00Z").unwrap(),
        };
        drift_findings(&mask, &metadata, &drift)
            .iter()
            .map(|f| f.rule.name)
            .collect()
    }

    const AKV: &str = "<<workato:akv::https://corp-kv.vault.azure.net/secrets/tok>>";

    #[test]
    fn an_expiry_within_the_window_is_a_warning_and_one_after_it_is_not() {
        let expires = |at: &str| Details {
            expires: Some(at.into()),
            ..Details::default()
        };
        assert_eq!(
            rules(AKV, expires("2026-12-31T00:00:00Z"), None),
            ["secret-expires-soon"]
        );
        assert!(rules(AKV, expires("2027-01-01T00:00:01Z"), None).is_empty());
        // Already expired is SM034's error, not this warning.
        assert!(rules(AKV, expires("2026-11-30T00:00:00Z"), None).is_empty());
    }

    #[test]
    fn a_pinned_vault_version_behind_the_current_one_is_a_warning() {
        let current = |v: &str| Details {
            current_version: Some(v.into()),
            ..Details::default()
        };
        let pinned = "{{workato:vault:k:kv/app?version=2}}";
        assert_eq!(
            rules(pinned, current("3"), None),
            ["pinned-version-not-current"]
        );
        assert!(rules(pinned, current("2"), None).is_empty());
        assert!(rules("{{workato:vault:k:kv/app}}", current("3"), None).is_empty());
    }

    #[test]
    fn an_old_secret_is_a_warning_only_with_max_age() {
        let updated = Details {
            updated: Some("2025-06-01T00:00:00.123456Z".into()),
            ..Details::default()
        };
        let mask = "{{workato:vault:k:kv/app}}";
        assert!(rules(mask, updated.clone(), None).is_empty());
        assert_eq!(
            rules(mask, updated.clone(), Some(365 * DAY)),
            ["secret-not-changed"]
        );
        assert!(rules(mask, updated, Some(600 * DAY)).is_empty());
    }
}
