//! The tags every secret of a store must carry: a configuration's `lint.require_tags` and a
//! platform's profile (`--profile apono`). Online lint reports a secret that lacks one;
//! `secretmask tag` adds what is missing.

use std::collections::BTreeMap;

use crate::mask::Store;

/// The tag Apono's connector needs to read an AWS secret (seed 000).
pub(crate) const APONO_TAG: (&str, &str) = ("apono-connector-read", "true");

/// Tags every secret of a store must carry: store → tag → value; and whether `--profile apono`
/// asked for Apono's (a finding says where a requirement came from).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct RequiredTags(pub BTreeMap<Store, BTreeMap<String, String>>, pub bool);

impl RequiredTags {
    /// The tags `tags` (a configuration's `lint.require_tags`) ask of each store, and with
    /// `apono` Apono's tag on AWS.
    pub(crate) fn new(tags: &BTreeMap<Store, BTreeMap<String, String>>, apono: bool) -> Self {
        let required = Self(tags.clone(), false);
        if apono {
            required.with_apono()
        } else {
            required
        }
    }

    /// Adds `--profile apono`'s requirement.
    pub(crate) fn with_apono(mut self) -> Self {
        self.0
            .entry(Store::Sm)
            .or_default()
            .insert(APONO_TAG.0.into(), APONO_TAG.1.into());
        self.1 = true;
        self
    }

    /// What asks for `tag` of a secret in `store`, as a finding names it.
    pub(crate) fn source(&self, store: Store, tag: &str) -> &'static str {
        if self.1 && store == Store::Sm && tag == APONO_TAG.0 {
            "--profile apono"
        } else {
            "lint.require_tags"
        }
    }
}
