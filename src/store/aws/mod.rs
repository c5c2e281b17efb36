//! AWS Secrets Manager: a mask's locator is the secret's ARN (`arn`), the `aws:` section picks
//! a profile and an endpoint, and the provider talks to the service through the SDK
//! (`provider`, built with the `aws` feature).

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use crate::config::{Restricted, SENDS};
use crate::provider::Provider;

mod arn;
#[cfg(feature = "aws")]
mod provider;

pub use self::arn::{Arn, Fault, partition_of};
#[cfg(feature = "aws")]
pub use self::provider::{AwsProvider, BATCH_LIMIT, Settings};

/// `aws:`: how the Secrets Manager client is set up.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Section {
    /// A profile of the shared AWS config files.
    pub profile: Option<String>,
    /// Send every Secrets Manager call here (an endpoint setting: it needs trust).
    pub endpoint_url: Option<String>,
}

impl super::Section for Section {
    const RESTRICTED: &'static [Restricted] = &[Restricted {
        name: "aws.endpoint_url",
        why: SENDS,
        endpoint: true,
        is_set: |c| c.aws.endpoint_url.is_some(),
    }];

    fn overridden_by(self, over: Self) -> Self {
        Self {
            profile: over.profile.or(self.profile),
            endpoint_url: over.endpoint_url.or(self.endpoint_url),
        }
    }

    fn provider(&self, timeout: Option<Duration>) -> Arc<dyn Provider> {
        #[cfg(feature = "aws")]
        return Arc::new(AwsProvider::new(Settings::from_config(self, timeout)));
        #[cfg(not(feature = "aws"))]
        {
            let _ = timeout;
            Arc::new(crate::provider::NotBuilt(super::Store::Sm.feature()))
        }
    }
}
