//! Atomic output: every target is written to a temporary file in its own folder and fsynced
//! before any is renamed over its target, so a failure (or a kill) leaves every old target
//! as it was.

use std::fs::Permissions;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::error::Error;

/// Permission bits of new files unless `--mode` says otherwise: rendered files hold secrets.
pub const DEFAULT_MODE: u32 = 0o600;

/// Octal permission bits, as `0600` or `0o600`.
pub fn parse_mode(text: &str) -> Option<u32> {
    u32::from_str_radix(text.trim_start_matches("0o"), 8)
        .ok()
        .filter(|m| *m <= 0o7777)
}

/// A rendered file, written and synced, not yet in place.
pub struct Staged {
    kind: Kind,
    target: PathBuf,
}

enum Kind {
    /// A temporary file beside the target, renamed over it on commit.
    File(NamedTempFile),
    /// A target that is not a regular file (`/dev/null`, `/dev/stdout`, a FIFO): it is written
    /// into on commit, never replaced; a rename would put a regular file in place of the device.
    Stream(Vec<u8>),
}

/// Writes `bytes` next to `target`. `mode`: the caller's choice; otherwise an existing target
/// keeps its permissions and a new file gets `DEFAULT_MODE`.
pub fn stage(target: &Path, bytes: &[u8], mode: Option<u32>) -> Result<Staged, Error> {
    let io = |source| Error::Io {
        path: target.to_path_buf(),
        source,
    };
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    if std::fs::metadata(target).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        return Ok(Staged {
            kind: Kind::Stream(bytes.to_vec()),
            target: target.to_path_buf(),
        });
    }
    std::fs::create_dir_all(dir).map_err(io)?;
    // A rename over a folder fails only at commit time, after other targets may have been
    // replaced; refuse it while nothing has been.
    if target.is_dir() {
        return Err(io(std::io::Error::new(
            std::io::ErrorKind::IsADirectory,
            "is a directory",
        )));
    }
    let mode = match mode {
        Some(mode) => mode,
        None => std::fs::metadata(target).map_or(DEFAULT_MODE, |m| m.permissions().mode() & 0o7777),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(&format!(
            ".{}.",
            target.file_name().unwrap_or_default().to_string_lossy()
        ))
        .suffix(".tmp")
        .permissions(Permissions::from_mode(mode))
        .tempfile_in(dir)
        .map_err(io)?;
    temp.write_all(bytes).map_err(io)?;
    temp.as_file().sync_all().map_err(io)?;
    // The umask may have narrowed the mode the file was created with.
    temp.as_file()
        .set_permissions(Permissions::from_mode(mode))
        .map_err(io)?;
    Ok(Staged {
        kind: Kind::File(temp),
        target: target.to_path_buf(),
    })
}

impl Staged {
    /// Renames the file over its target and syncs the folder, so the rename survives a crash.
    pub fn commit(self) -> Result<(), Error> {
        let target = self.target;
        let temp = match self.kind {
            Kind::File(temp) => temp,
            Kind::Stream(bytes) => {
                return std::fs::OpenOptions::new()
                    .write(true)
                    .open(&target)
                    .and_then(|mut stream| stream.write_all(&bytes))
                    .map_err(|source| Error::Io {
                        path: target,
                        source,
                    });
            }
        };
        temp.persist(&target).map_err(|e| Error::Io {
            path: target.clone(),
            source: e.error,
        })?;
        if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty())
            && let Ok(dir) = std::fs::File::open(dir)
        {
            let _ = dir.sync_all();
        }
        Ok(())
    }
}
