//! What the user named on the command line: files, directories walked with `ignore`, or stdin.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// One command-line operand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// Standard input (`-`).
    Stdin,
    /// A file or a folder.
    Path(PathBuf),
}

impl Input {
    /// `-` is stdin; anything else a path.
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
    /// The path to open.
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

/// Every file under `root`, in a stable order, for commands that need all of them at once. A
/// `root` that is not a folder is the user's explicit choice and is read whatever its type (a
/// FIFO from `<(…)`, `/dev/stdin`); a walk reads regular files only and does not follow
/// symlinks (the `ignore` walker's default), saying what it passed over with `--verbose`.
pub fn files(root: &Path) -> Result<Vec<InputFile>, Error> {
    if !root.is_dir() {
        return Ok(vec![InputFile {
            path: root.to_path_buf(),
            relative: PathBuf::from(root.file_name().unwrap_or(root.as_os_str())),
        }]);
    }
    let mut found = Vec::new();
    for entry in walker(root).sort_by_file_path(Path::cmp).build() {
        let entry = entry.map_err(|e| Error::Walk {
            path: root.to_path_buf(),
            message: e.to_string(),
        })?;
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            passed_over(&entry);
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

/// A walked entry that is not a regular file (a symlink, a FIFO, a socket, a device): never
/// opened, since opening a FIFO blocks; said with `--verbose`.
pub fn passed_over(entry: &ignore::DirEntry) {
    if entry.depth() > 0 && !entry.file_type().is_some_and(|t| t.is_dir()) {
        let shown = display(entry.path());
        tracing::info!(
            "passed over {shown}: not a regular file (walks read regular files and do not follow symlinks)"
        );
    }
}

/// The most one input may hold unless `--max-file-size` says otherwise.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 256 << 20;

/// How much of a file tells whether it is binary, as git and ripgrep look.
const FIRST_BLOCK: usize = 8 << 10;

/// What reading an input gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Contents {
    /// Text, read whole.
    Text,
    /// A NUL byte in the first block: not read further.
    Binary,
}

/// Reads `reader` into `buffer` (cleared first): the first block, then, unless it shows a
/// binary file, the rest up to `limit` bytes; more is an error that names the limit.
pub fn read_bounded(
    mut reader: impl Read,
    name: &Path,
    limit: u64,
    buffer: &mut Vec<u8>,
) -> Result<Contents, Error> {
    let io = |source| Error::Io {
        path: name.to_path_buf(),
        source,
    };
    buffer.clear();
    (&mut reader)
        .take(FIRST_BLOCK as u64)
        .read_to_end(buffer)
        .map_err(io)?;
    if is_binary(buffer) {
        return Ok(Contents::Binary);
    }
    if buffer.len() == FIRST_BLOCK {
        reader
            .take((limit + 1).saturating_sub(FIRST_BLOCK as u64))
            .read_to_end(buffer)
            .map_err(io)?;
    }
    if buffer.len() as u64 > limit {
        return Err(Error::TooLarge {
            path: name.to_path_buf(),
            limit,
        });
    }
    Ok(Contents::Text)
}

/// Opens and reads one input, bounded; a regular file larger than `limit` is refused after its
/// first block (a binary file, such as a sparse image, is never read further).
pub fn read_path(path: &Path, limit: u64, buffer: &mut Vec<u8>) -> Result<Contents, Error> {
    let file = std::fs::File::open(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    read_bounded(file, path, limit, buffer)
}

/// All of stdin, bounded by `limit`.
pub fn read_stdin(limit: u64) -> Result<Vec<u8>, Error> {
    if let Some(ahead) = AHEAD
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take()
    {
        return ahead;
    }
    read_all(std::io::stdin().lock(), Path::new("<stdin>"), limit)
}

/// Standard input read ahead of its turn, for the next [`read_stdin`].
static AHEAD: std::sync::Mutex<Option<Result<Vec<u8>, Error>>> = std::sync::Mutex::new(None);

/// Reads standard input now and shows it to `look`, for a command that must see it before it
/// reads its inputs (online lint and inventory look AWS names up first); the next
/// [`read_stdin`] gets the same bytes, or the same error, as stdin can be read only once.
pub fn read_stdin_ahead(limit: u64, look: impl FnOnce(&[u8])) {
    let read = read_all(std::io::stdin().lock(), Path::new("<stdin>"), limit);
    if let Ok(bytes) = &read
        && !is_binary(bytes)
    {
        look(bytes);
    }
    *AHEAD
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(read);
}

/// A whole input for render, bounded by `limit`.
pub fn read(path: &Path, limit: u64) -> Result<Vec<u8>, Error> {
    let file = std::fs::File::open(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let expected = file
        .metadata()
        .ok()
        .filter(std::fs::Metadata::is_file)
        .map_or(0, |m| m.len());
    read_all_sized(file, path, limit, expected)
}

fn read_all(reader: impl Read, name: &Path, limit: u64) -> Result<Vec<u8>, Error> {
    read_all_sized(reader, name, limit, 0)
}

/// `read_all` into a buffer sized for `expected` bytes (a regular file's length), so a large
/// input is read without growing, copying and holding two buffers at once.
fn read_all_sized(
    reader: impl Read,
    name: &Path,
    limit: u64,
    expected: u64,
) -> Result<Vec<u8>, Error> {
    let capacity = usize::try_from(expected.min(limit).saturating_add(1)).unwrap_or(0);
    let mut bytes = Vec::with_capacity(capacity);
    huge_pages(&mut bytes);
    reader
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| Error::Io {
            path: name.to_path_buf(),
            source,
        })?;
    if bytes.len() as u64 > limit {
        return Err(Error::TooLarge {
            path: name.to_path_buf(),
            limit,
        });
    }
    Ok(bytes)
}

/// Asks Linux to back a large buffer with transparent huge pages before it is filled: reading
/// 50 MB into fresh 4 KiB pages costs 12,800 page faults, a third of the read (measured with
/// `bench/render-file.sh`). Only a hint; where the kernel says no, nothing changes.
fn huge_pages(buffer: &mut Vec<u8>) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        if buffer.capacity() < 2 * HUGE {
            return;
        }
        let start = buffer.as_mut_ptr() as usize;
        let aligned = start.next_multiple_of(HUGE);
        let end = (start + buffer.capacity()) & !(HUGE - 1);
        if end > aligned {
            // SAFETY: `aligned..end` lies inside the buffer's own allocation, and MADV_HUGEPAGE
            // only changes how the kernel backs those pages, never their contents.
            unsafe {
                libc::madvise(
                    aligned as *mut libc::c_void,
                    end - aligned,
                    libc::MADV_HUGEPAGE,
                );
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = buffer;
}

/// A file is binary when it holds a NUL byte, as git and ripgrep decide.
pub fn is_binary(bytes: &[u8]) -> bool {
    memchr::memchr(0, bytes).is_some()
}
