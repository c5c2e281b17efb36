//! `secretmask tag`: the tags each secret named by masks lacks (what `lint.require_tags`, a
//! profile or `--tag` require of its store), and adding them. Not all-or-nothing: each secret
//! is written on its own, at most once, and only when it lacks something.

use std::collections::BTreeMap;

use crate::mask::SecretRef;
use crate::provider::ProviderError;
use crate::required_tags::RequiredTags;
use crate::resolve::Resolver;

/// Tags one secret lacks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Change {
    pub secret: SecretRef,
    /// Tags to add or set to the required value.
    pub add: BTreeMap<String, String>,
    /// The secret's tags now (Key Vault replaces them whole, so they are sent along).
    pub current: BTreeMap<String, String>,
}

/// What tagging `secrets` would do.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub changes: Vec<Change>,
    /// Secrets that already carry every required tag: not written.
    pub tagged: Vec<SecretRef>,
    /// Secrets whose store could not say what tags they have (not found, denied, no tags).
    pub failed: Vec<(SecretRef, ProviderError)>,
}

/// Asks each distinct secret of a store with requirements for its tags, `concurrency` at a
/// time; `secrets` in the order masks name them (the plan keeps it).
pub(crate) async fn plan(
    resolver: &Resolver,
    secrets: &[SecretRef],
    required: &RequiredTags,
) -> Plan {
    // In the order the masks first name them; versions of one Vault secret share its tags.
    let mut seen = std::collections::HashSet::new();
    let asked: Vec<SecretRef> = secrets
        .iter()
        .filter(|s| required.0.get(&s.store()).is_some_and(|t| !t.is_empty()))
        .map(SecretRef::tagged_as)
        .filter(|s| seen.insert(s.clone()))
        .collect();
    let described = resolver.describe(&asked).await;
    let mut plan = Plan::default();
    for secret in asked {
        let tags = match &described[&secret] {
            Ok(described) => match &described.metadata.tags {
                Some(tags) => tags.clone(),
                None => {
                    plan.failed.push((secret, ProviderError::NoTags));
                    continue;
                }
            },
            Err(error) => {
                plan.failed.push((secret.clone(), error.clone()));
                continue;
            }
        };
        let add: BTreeMap<String, String> = required.0[&secret.store()]
            .iter()
            .filter(|(key, value)| tags.get(*key) != Some(*value))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        if add.is_empty() {
            plan.tagged.push(secret);
        } else {
            plan.changes.push(Change {
                secret,
                add,
                current: tags,
            });
        }
    }
    plan
}

/// Writes each change; one answer each, in order. A failure does not stop the others.
pub(crate) async fn apply(
    resolver: &Resolver,
    changes: &[Change],
) -> Vec<Result<(), ProviderError>> {
    let deadline = resolver.deadline();
    futures::future::join_all(
        changes
            .iter()
            .map(|c| resolver.tag(&c.secret, &c.add, &c.current, deadline)),
    )
    .await
}
