//! What the user named on the command line: files, directories walked with `ignore`, or stdin.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// One command-line operand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    Stdin,
    Path(PathBuf),
}

impl Input {
    pub fn from_arg(arg: &str) -> Self {
        if arg == "-" {
            Self::Stdin
        } else {
            Self::Path(PathBuf::from(arg))
        }
    }
}

/// A file found under an operand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputFile {
    pub path: PathBuf,
    /// The path below the operand it was found in; the file name for an operand that is a file.
    pub relative: PathBuf,
}

/// How a path is shown: as the user wrote it, without the `./` the walker adds to `.`.
pub fn display(path: &Path) -> String {
    let shown = path.to_string_lossy();
    shown.strip_prefix("./").unwrap_or(&shown).to_owned()
}

/// A walker over `root` that honours `.gitignore` (in a repository or not) and `.ignore`, reads
/// hidden files such as `.env` and `.gitlab-ci.yml`, and skips only `.git/`.
pub fn walker(root: &Path) -> ignore::WalkBuilder {
    let mut builder = ignore::WalkBuilder::new(root);
    builder
        .hidden(false)
        .require_git(false)
        .filter_entry(|entry| entry.file_name() != ".git");
    builder
}

/// Every file under `root`, in a stable order, for commands that need all of them at once.
pub fn files(root: &Path) -> Result<Vec<InputFile>, Error> {
    let mut found = Vec::new();
    for entry in walker(root).sort_by_file_path(Path::cmp).build() {
        let entry = entry.map_err(|e| Error::Walk {
            path: root.to_path_buf(),
            message: e.to_string(),
        })?;
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let path = entry.into_path();
        let relative = if path == root {
            PathBuf::from(path.file_name().unwrap_or_default())
        } else {
            path.strip_prefix(root).unwrap_or(&path).to_path_buf()
        };
        found.push(InputFile { path, relative });
    }
    Ok(found)
}

pub fn read_stdin() -> Result<Vec<u8>, Error> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut bytes)
        .map_err(|source| Error::Io {
            path: PathBuf::from("<stdin>"),
            source,
        })?;
    Ok(bytes)
}

pub fn read(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// A file is binary when it holds a NUL byte, as git and ripgrep decide.
pub fn is_binary(bytes: &[u8]) -> bool {
    memchr::memchr(0, bytes).is_some()
}
