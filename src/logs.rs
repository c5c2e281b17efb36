//! What reaches a log line. SDKs log credentials at their finest levels whatever the caller asks
//! for (the AWS SDK's SigV4 canonical request holds `x-amz-security-token`, its orchestrator
//! prints the resolved identity with the access key id at `debug`), so their targets are capped
//! here, below any `RUST_LOG`.

use tracing::{Level, Metadata};

/// Targets that may log credentials below a level, and the finest level they may log at.
const CAPS: &[(&str, Level)] = &[
    ("aws_sigv4", Level::INFO),
    ("aws_smithy_runtime", Level::INFO),
    ("aws_smithy_runtime_api", Level::INFO),
    ("aws_smithy_http_client", Level::INFO),
    ("aws_smithy_types", Level::INFO),
    ("aws_credential_types", Level::INFO),
    ("aws_config", Level::INFO),
    ("aws_runtime", Level::INFO),
    ("aws_sdk_secretsmanager", Level::INFO),
    // HTTP, TLS and the Vault and Azure clients: headers (tokens) at `trace`.
    ("hyper", Level::DEBUG),
    ("hyper_util", Level::DEBUG),
    ("h2", Level::DEBUG),
    ("reqwest", Level::DEBUG),
    ("rustls", Level::DEBUG),
    ("rustify", Level::DEBUG),
    ("vaultrs", Level::DEBUG),
    ("azure_core", Level::DEBUG),
    ("azure_identity", Level::DEBUG),
    ("azure_security_keyvault_secrets", Level::DEBUG),
    ("typespec_client_core", Level::DEBUG),
    ("typespec", Level::DEBUG),
];

/// Whether an event or span may be logged at all, whatever `RUST_LOG` enables.
pub fn allowed(metadata: &Metadata<'_>) -> bool {
    let target = metadata.target();
    let crate_name = target.split("::").next().unwrap_or(target);
    CAPS.iter()
        .find(|(name, _)| *name == crate_name)
        .is_none_or(|(_, finest)| metadata.level() <= finest)
}
