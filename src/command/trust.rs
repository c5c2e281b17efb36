//! `secretmask trust [FILE]`: records a configuration file, as it is now, as trusted.

use std::io::Write;
use std::path::Path;

use super::Error;
use super::current_dir;
use crate::config;
use crate::error::EXIT_CLEAN;

/// `secretmask trust [FILE]`.
pub(super) fn run(path: Option<&Path>) -> Result<i32, Error> {
    let path = match path {
        Some(path) => path.to_path_buf(),
        None => config::discover(&current_dir()?).ok_or_else(|| {
            Error::Usage(format!(
                "no {} here or in a parent folder; name the file to trust",
                config::FILE_NAME
            ))
        })?,
    };
    let (file, digest) = config::trust(&path)?;
    let mut stdout = anstream::stdout().lock();
    writeln!(
        stdout,
        "trusted {} (sha256 {digest}), recorded in {}; a change to the file needs a new `secretmask trust`",
        path.display(),
        file.display()
    )
    .map_err(Error::Output)?;
    Ok(EXIT_CLEAN)
}
