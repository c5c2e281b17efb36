//! Errors of reading inputs and writing outputs (files, folders, streams), shared by `input`,
//! `lint` and `render::output`; and the exit codes. Each higher layer keeps its own error
//! (`ConfigError`, `ProviderError`, `ResolveError`, `RenderError`); the command layer joins
//! them (`command::CommandError`).

use std::path::PathBuf;

/// Exit codes: 0 clean, 1 findings (lint) or unresolved masks (render), 2 usage, configuration
/// or I/O errors, so a CI job can tell "the files are wrong" from "the tool could not run".
pub(crate) const EXIT_CLEAN: i32 = 0;
pub(crate) const EXIT_FINDINGS: i32 = 1;
pub(crate) const EXIT_ERROR: i32 = 2;

/// Why an input could not be read or an output written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A read or write failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// A folder walk failed.
    #[error("{}: {message}", path.display())]
    Walk {
        /// Where the walk failed.
        path: PathBuf,
        /// What the walker said.
        message: String,
    },
    /// An input larger than `--max-file-size`.
    #[error(
        "{}: larger than {limit} bytes, the most one input may hold (--max-file-size raises it)",
        path.display()
    )]
    TooLarge {
        /// The input.
        path: PathBuf,
        /// The limit, in bytes.
        limit: u64,
    },
}
