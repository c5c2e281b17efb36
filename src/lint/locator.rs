//! Findings for locators that their store cannot resolve, and the partial-ARN warning.

use super::{Finding, Rule};
use crate::mask::{LocatorErrorKind, Mask};
use crate::source::Span;
use crate::store::aws::Arn;

pub(super) fn describe(kind: &LocatorErrorKind) -> (&'static Rule, String) {
    use super::*;
    let rule = match kind {
        LocatorErrorKind::ArnShape | LocatorErrorKind::ArnService { .. } => MALFORMED_ARN,
        LocatorErrorKind::ArnPartition { .. } => UNKNOWN_PARTITION,
        LocatorErrorKind::ArnRegion { .. } => INVALID_REGION,
        LocatorErrorKind::ArnRegionPartition { .. } => REGION_PARTITION_MISMATCH,
        LocatorErrorKind::ArnAccount { .. } => INVALID_ACCOUNT,
        LocatorErrorKind::ArnResource { .. } => INVALID_RESOURCE_TYPE,
        LocatorErrorKind::SecretName { .. } => INVALID_SECRET_NAME,
        LocatorErrorKind::ArnSuffix { .. } => INVALID_ARN_SUFFIX,
        LocatorErrorKind::VaultPath { .. } => INVALID_VAULT_PATH,
        LocatorErrorKind::VaultVersion { .. } => INVALID_VAULT_VERSION,
        LocatorErrorKind::KeyVaultId { .. } => INVALID_KEYVAULT_ID,
        LocatorErrorKind::KeyVaultName { .. } => INVALID_KEYVAULT_NAME,
        LocatorErrorKind::KeyVaultSecretName { .. } => INVALID_KEYVAULT_SECRET_NAME,
        LocatorErrorKind::KeyVaultVersion { .. } => INVALID_KEYVAULT_VERSION,
        LocatorErrorKind::OtherStore { .. } => LOCATOR_OF_ANOTHER_STORE,
    };
    let message = match kind {
        LocatorErrorKind::ArnRegionPartition { expected, .. } => {
            format!("{kind}; it belongs to `{expected}`")
        }
        _ => kind.to_string(),
    };
    (rule, message)
}

/// AWS documents that a partial ARN can match another secret whose name starts the same way.
pub(super) fn partial_arn(mask: &Mask, arn: &Arn) -> Finding {
    let locator_start = mask.span.end - mask.delimiter.closer().len() - arn.as_str().len();
    let name = arn.name_span().shift(locator_start);
    Finding {
        rule: super::PARTIAL_ARN,
        span: Span::new(name.start, name.end),
        message: format!(
            "partial ARN: secret `{}` is named without its 6-character suffix",
            arn.name
        ),
    }
}
