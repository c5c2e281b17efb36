//! The library's error type: every layer's error converts into it, and it knows its exit code.

use std::path::PathBuf;

/// Exit codes: 0 clean, 1 findings (lint) or unresolved masks (render), 2 usage, configuration
/// or I/O errors, so a CI job can tell "the files are wrong" from "the tool could not run".
pub const EXIT_CLEAN: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {message}", path.display())]
    Walk { path: PathBuf, message: String },
    #[error("{0}")]
    Usage(String),
    #[error(
        "{}: larger than {limit} bytes, the most one input may hold (--max-file-size raises it)",
        path.display()
    )]
    TooLarge { path: PathBuf, limit: u64 },
    #[error("cannot write the output: {0}")]
    Output(#[source] std::io::Error),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("secrets file {0}")]
    SecretsFile(#[from] crate::provider::file::FileStoreError),
}
