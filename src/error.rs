//! Errors of reading inputs and writing outputs (files, folders, streams), shared by `input`,
//! `lint` and `render::output`; and the exit codes. Each higher layer keeps its own error
//! (`ConfigError`, `ProviderError`, `ResolveError`, `RenderError`); the command layer joins
//! them (`command::CommandError`).

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
    #[error(
        "{}: larger than {limit} bytes, the most one input may hold (--max-file-size raises it)",
        path.display()
    )]
    TooLarge { path: PathBuf, limit: u64 },
}
