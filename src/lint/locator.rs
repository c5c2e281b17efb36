//! Findings for locators that their store cannot resolve, and the partial-ARN warning.

use super::{Finding, Rule};
use crate::mask::{LocatorErrorKind, Mask};
use crate::source::Span;
use crate::store::aws::Arn;

pub(super) fn describe(kind: &LocatorErrorKind) -> (&'static Rule, String) {
    use super::*;
    use crate::store::{aws, azure, vault};
    let rule = match kind {
        LocatorErrorKind::Aws(fault) => match fault {
            aws::Fault::Shape | aws::Fault::Service { .. } => MALFORMED_ARN,
            aws::Fault::Partition { .. } => UNKNOWN_PARTITION,
            aws::Fault::Region { .. } => INVALID_REGION,
            aws::Fault::RegionPartition { .. } => REGION_PARTITION_MISMATCH,
            aws::Fault::Account { .. } => INVALID_ACCOUNT,
            aws::Fault::Resource { .. } => INVALID_RESOURCE_TYPE,
            aws::Fault::SecretName { .. } => INVALID_SECRET_NAME,
            aws::Fault::Suffix { .. } => INVALID_ARN_SUFFIX,
        },
        LocatorErrorKind::Vault(fault) => match fault {
            vault::Fault::Path { .. } => INVALID_VAULT_PATH,
            vault::Fault::Version { .. } => INVALID_VAULT_VERSION,
        },
        LocatorErrorKind::Azure(fault) => match fault {
            azure::Fault::Id { .. } => INVALID_KEYVAULT_ID,
            azure::Fault::Name { .. } => INVALID_KEYVAULT_NAME,
            azure::Fault::SecretName { .. } => INVALID_KEYVAULT_SECRET_NAME,
            azure::Fault::Version { .. } => INVALID_KEYVAULT_VERSION,
        },
        LocatorErrorKind::OtherStore { .. } => LOCATOR_OF_ANOTHER_STORE,
    };
    let message = match kind {
        LocatorErrorKind::Aws(aws::Fault::RegionPartition { expected, .. }) => {
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
