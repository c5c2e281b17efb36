//! Atomic output: every target is written to a temporary file in its own folder and fsynced
//! before any is renamed over its target, so a failure (or a kill) leaves every old target
//! as it was. Staged files are anonymous (`O_TMPFILE`, Linux) or `0600` until their commit gives
//! them their final mode (and owner); a catchable signal waits for a commit under way and then
//! removes what is staged.

use std::fs::Permissions;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};

use tempfile::NamedTempFile;

use crate::error::Error;

/// Permission bits of new files unless `--mode` says otherwise: rendered files hold secrets.
pub(crate) const DEFAULT_MODE: u32 = 0o600;

/// The temporary files staged and not yet committed, removed if a signal ends the run (one
/// dropped uncommitted is already gone: tempfile removes it, and removing it again is a no-op).
static STAGED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Held while the staged files are renamed over their targets: a signal waits for the commit
/// (a few renames, bounded) so that the targets are all old or all new, never mixed.
static COMMIT: Mutex<()> = Mutex::new(());

/// Holds off the signal handler of [`clean_up_on_signals`] until dropped.
pub(crate) fn committing() -> std::sync::MutexGuard<'static, ()> {
    COMMIT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// On SIGINT, SIGTERM, SIGHUP or SIGQUIT, waits for a commit under way to end, removes every
/// staged temporary file, then exits as the signal would (128 + its number). SIGXFSZ is
/// ignored, so a file too large fails its write (and the render) instead of killing it.
/// Installed once; harmless when nothing is staged.
pub(crate) fn clean_up_on_signals() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
        // SAFETY: SIG_IGN for SIGXFSZ only makes a write past the file size limit fail with
        // EFBIG; no handler runs.
        unsafe {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        }
        let Ok(mut signals) =
            signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP, SIGQUIT])
        else {
            return;
        };
        std::thread::spawn(move || {
            if let Some(signal) = signals.forever().next() {
                // Kept until the exit: no commit starts after this.
                let _commit = committing();
                let staged = STAGED
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                for path in staged.iter() {
                    let _ = std::fs::remove_file(path);
                }
                let created = CREATED
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                for dir in created.iter().rev() {
                    let _ = std::fs::remove_dir(dir);
                }
                std::process::exit(128 + signal);
            }
        });
    });
}

/// Folders a render created for its outputs, outermost first: removed again if it fails.
static CREATED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// `dir` and its missing ancestors, each one created recorded.
fn create_dirs(dir: &Path) -> std::io::Result<()> {
    let missing: Vec<&Path> = dir
        .ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
        .collect();
    std::fs::create_dir_all(dir)?;
    let mut created = CREATED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    created.extend(missing.into_iter().rev().map(Path::to_path_buf));
    Ok(())
}

/// Removes the folders a failed render created (all or nothing includes folders); drop it
/// [`kept`](NewFolders::kept) once the outputs are in place.
pub(crate) struct NewFolders {
    kept: bool,
}

impl NewFolders {
    pub(crate) fn guard() -> Self {
        Self { kept: false }
    }

    /// The render succeeded: its folders stay.
    pub(crate) fn kept(mut self) {
        self.kept = true;
    }
}

impl Drop for NewFolders {
    fn drop(&mut self) {
        let mut created = CREATED
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let created = std::mem::take(&mut *created);
        if !self.kept {
            // Innermost first; a folder something else put a file in is left.
            for dir in created.iter().rev() {
                let _ = std::fs::remove_dir(dir);
            }
        }
    }
}

fn register(path: &Path) {
    STAGED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(path.to_path_buf());
}

fn unregister(path: &Path) {
    STAGED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .retain(|p| p != path);
}

/// A rendered file, written and synced, not yet in place.
pub(crate) struct Staged {
    kind: Kind,
    /// Where the output goes: the target, or the file a symlink target points to.
    target: PathBuf,
}

enum Kind {
    /// A temporary file beside the target, renamed over it on commit with `mode`, and given
    /// `owner` (uid, gid) when the target had another.
    File {
        temp: Writeback,
        mode: u32,
        owner: Option<(u32, u32)>,
    },
    /// A target that is not a regular file (`/dev/null`, `/dev/stdout`, a FIFO): it is written
    /// into on commit, never replaced; a rename would put a regular file in place of the device.
    Stream(Vec<u8>),
}

/// A staged file that hands each 8 MiB written to the kernel's writeback at once
/// (`sync_file_range`), so the disk writes while the rest renders and the fsync before the
/// commit waits for the last piece only (a 50 MB output: measured with `bench/render-file.sh`).
struct Writeback {
    file: Temp,
    written: u64,
    started: u64,
}

/// A staged file: on Linux an anonymous one (`O_TMPFILE`) in the target's folder, which has no
/// name until its commit, so a SIGKILL leaves nothing behind; where the file system cannot
/// make one, a named `0600` file `.NAME.XXXXXX.tmp` beside the target.
enum Temp {
    Anonymous { file: std::fs::File, dir: PathBuf },
    Named(NamedTempFile),
}

impl Temp {
    fn file(&self) -> &std::fs::File {
        match self {
            Self::Anonymous { file, .. } => file,
            Self::Named(temp) => temp.as_file(),
        }
    }

    /// A staged file in `dir` for `target`.
    fn new(dir: &Path, target: &Path) -> std::io::Result<Self> {
        #[cfg(target_os = "linux")]
        if let Some(file) = anonymous(dir)? {
            return Ok(Self::Anonymous {
                file,
                dir: dir.to_path_buf(),
            });
        }
        // tempfile creates the file 0600: it holds secrets until it is the target.
        let temp = tempfile::Builder::new()
            .prefix(&staged_prefix(target))
            .suffix(".tmp")
            .tempfile_in(dir)?;
        register(temp.path());
        Ok(Self::Named(temp))
    }

    /// Puts the file at `target`: an anonymous one is given a staged name first (for the
    /// instant between the two calls), then renamed.
    fn persist(self, target: &Path) -> std::io::Result<()> {
        match self {
            Self::Named(temp) => {
                let path = temp.path().to_path_buf();
                let persisted = temp.persist(target);
                unregister(&path);
                persisted.map(drop).map_err(|e| e.error)
            }
            Self::Anonymous { file, dir } => {
                use std::os::fd::AsRawFd;
                let proc_path =
                    std::ffi::CString::new(format!("/proc/self/fd/{}", file.as_raw_fd()))
                        .expect("no NUL in a number");
                for attempt in 0u32.. {
                    let name = dir.join(format!(
                        "{}{:x}{attempt}.tmp",
                        staged_prefix(target),
                        std::process::id()
                    ));
                    let c_name = std::ffi::CString::new(name.as_os_str().as_encoded_bytes())
                        .map_err(std::io::Error::other)?;
                    register(&name);
                    // SAFETY: both paths are NUL-terminated strings that outlive the call;
                    // linkat only adds a name to the open file.
                    let linked = unsafe {
                        libc::linkat(
                            libc::AT_FDCWD,
                            proc_path.as_ptr(),
                            libc::AT_FDCWD,
                            c_name.as_ptr(),
                            libc::AT_SYMLINK_FOLLOW,
                        )
                    };
                    if linked != 0 {
                        unregister(&name);
                        let error = std::io::Error::last_os_error();
                        if error.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 {
                            continue;
                        }
                        return Err(error);
                    }
                    let renamed = std::fs::rename(&name, target);
                    if renamed.is_err() {
                        let _ = std::fs::remove_file(&name);
                    }
                    unregister(&name);
                    return renamed;
                }
                unreachable!("the loop returns")
            }
        }
    }
}

/// The name a staged file starts with: `.NAME.`.
fn staged_prefix(target: &Path) -> String {
    format!(
        ".{}.",
        target.file_name().unwrap_or_default().to_string_lossy()
    )
}

/// An anonymous `0600` file in `dir`, or `None` where the file system has no `O_TMPFILE`.
#[cfg(target_os = "linux")]
fn anonymous(dir: &Path) -> std::io::Result<Option<std::fs::File>> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_TMPFILE)
        .mode(0o600)
        .open(dir)
    {
        Ok(file) => Ok(Some(file)),
        Err(e)
            if matches!(
                e.raw_os_error(),
                Some(libc::EOPNOTSUPP | libc::EISDIR | libc::EINVAL | libc::ENOENT)
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

impl Writeback {
    const STEP: u64 = 8 << 20;
}

impl Write for Writeback {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.file().write(buf)?;
        self.written += n as u64;
        #[cfg(target_os = "linux")]
        if self.written - self.started >= Self::STEP {
            use std::os::fd::AsRawFd;
            // SAFETY: the descriptor is the staged file's own and open; SYNC_FILE_RANGE_WRITE
            // only starts writing back pages already written, and its failure changes nothing
            // (the fsync before the commit still syncs everything).
            unsafe {
                libc::sync_file_range(
                    self.file.file().as_raw_fd(),
                    self.started as libc::off64_t,
                    (self.written - self.started) as libc::off64_t,
                    libc::SYNC_FILE_RANGE_WRITE,
                );
            }
            self.started = self.written;
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.file().flush()
    }
}

/// An output being written: a `0600` temporary file beside its target (or, for a device, the
/// bytes to write into it at commit), not yet synced.
pub(crate) struct Staging {
    kind: Kind,
    target: PathBuf,
}

/// The modes a render gives its outputs.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Modes {
    /// `--mode`: every output, new or existing.
    pub every: Option<u32>,
    /// `render.mode`: new files only; an existing one keeps its own.
    pub new: Option<u32>,
}

impl Staging {
    /// Opens the staged file of `target`. Its mode: `mode.every` (`--mode`) for any target;
    /// otherwise an existing target keeps its permissions and a new file gets `mode.new`
    /// (`render.mode`) or `DEFAULT_MODE`. The decision is made on the link itself: a symlink is
    /// written through, to the file it points to, and stays one.
    pub(crate) fn open(target: &Path, mode: Modes) -> Result<Self, Error> {
        open(target, mode)
    }

    /// Where the output is written.
    pub(crate) fn writer(&mut self) -> &mut dyn Write {
        match &mut self.kind {
            Kind::File { temp, .. } => temp,
            Kind::Stream(bytes) => bytes,
        }
    }

    /// Syncs what was written: ready to commit.
    pub(crate) fn finish(self) -> Result<Staged, Error> {
        if let Kind::File { temp, .. } = &self.kind {
            temp.file.file().sync_all().map_err(|source| Error::Io {
                path: self.target.clone(),
                source,
            })?;
        }
        Ok(Staged {
            kind: self.kind,
            target: self.target,
        })
    }
}

/// The open descriptor a target names: `/dev/stdout` (1), `/dev/stderr` (2), `/dev/fd/N`,
/// `/proc/self/fd/N`. Written through the descriptor, it keeps its position and flags (an
/// `>>` append stays an append) and works for a pipe, which has no name to open.
fn descriptor(target: &Path) -> Option<std::os::fd::RawFd> {
    let text = target.to_str()?;
    let number = match text {
        "/dev/stdout" => return Some(1),
        "/dev/stderr" => return Some(2),
        _ => text
            .strip_prefix("/dev/fd/")
            .or_else(|| text.strip_prefix("/proc/self/fd/"))?,
    };
    let fd: std::os::fd::RawFd = number.parse().ok()?;
    // SAFETY: F_GETFD only asks whether the descriptor is open; it changes nothing.
    let open = unsafe { libc::fcntl(fd, libc::F_GETFD) } != -1;
    open.then_some(fd)
}

fn open(target: &Path, modes: Modes) -> Result<Staging, Error> {
    let io = |source| Error::Io {
        path: target.to_path_buf(),
        source,
    };
    let refuse = |why: &str| io(std::io::Error::other(why.to_owned()));
    // `-o /dev/stdout` under `>> deploy.log`: the descriptor is written, never the file it
    // leads to replaced (or rewritten from its start).
    if descriptor(target).is_some() {
        return Ok(Staging {
            kind: Kind::Stream(Vec::new()),
            target: target.to_path_buf(),
        });
    }
    let (target, existing) = match std::fs::symlink_metadata(target) {
        Ok(link) if link.file_type().is_symlink() => {
            let real = std::fs::canonicalize(target)
                .map_err(|_| refuse("is a symlink to nothing; name the file it should point to"))?;
            let metadata = std::fs::metadata(&real).map_err(io)?;
            (real, Some(metadata))
        }
        Ok(metadata) => (target.to_path_buf(), Some(metadata)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (target.to_path_buf(), None),
        Err(e) => return Err(io(e)),
    };
    match &existing {
        // A rename over a folder fails only at commit time, after other targets may have been
        // replaced; refuse it while nothing has been.
        Some(m) if m.is_dir() => return Err(refuse("is a directory")),
        Some(m) if !m.is_file() => {
            return Ok(Staging {
                kind: Kind::Stream(Vec::new()),
                target,
            });
        }
        _ => {}
    }
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    create_dirs(&dir).map_err(io)?;
    let mode = modes.every.unwrap_or_else(|| {
        existing
            .as_ref()
            .map_or(modes.new.unwrap_or(DEFAULT_MODE), |m| {
                m.permissions().mode() & 0o777
            })
    });
    let temp = Temp::new(&dir, &target).map_err(io)?;
    let ours = temp.file().metadata().map_err(io)?;
    let owner = existing
        .as_ref()
        .map(|m| (m.uid(), m.gid()))
        .filter(|&(uid, gid)| (uid, gid) != (ours.uid(), ours.gid()));
    Ok(Staging {
        kind: Kind::File {
            temp: Writeback {
                file: temp,
                written: 0,
                started: 0,
            },
            mode,
            owner,
        },
        target,
    })
}

impl Staged {
    /// Whether the output is written into its target (a device, FIFO or descriptor) rather
    /// than renamed over it: such a write cannot be undone, so it is made before any rename.
    pub(crate) fn is_stream(&self) -> bool {
        matches!(self.kind, Kind::Stream(_))
    }

    /// Gives the file its mode (and owner), renames it over its target and syncs the folder,
    /// so the rename survives a crash.
    pub(crate) fn commit(self) -> Result<(), Error> {
        let target = self.target;
        let io = |source| Error::Io {
            path: target.clone(),
            source,
        };
        let (temp, mode, owner) = match self.kind {
            Kind::File { temp, mode, owner } => (temp.file, mode, owner),
            Kind::Stream(bytes) => {
                let stream = match descriptor(&target) {
                    Some(fd) => {
                        // SAFETY: the descriptor was open when secretmask started (the shell
                        // gave it); it is borrowed only to duplicate it, so ours is closed and
                        // the caller's stays open.
                        let borrowed = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
                        borrowed.try_clone_to_owned().map(std::fs::File::from)
                    }
                    None => std::fs::OpenOptions::new().write(true).open(&target),
                };
                return stream
                    .and_then(|mut stream| stream.write_all(&bytes))
                    .map_err(io);
            }
        };
        if let Some((uid, gid)) = owner {
            // Only root may give a file away; anyone else's output is theirs, as a plain
            // write by them would be.
            match std::os::unix::fs::fchown(temp.file(), Some(uid), Some(gid)) {
                Err(e) if e.kind() != std::io::ErrorKind::PermissionDenied => return Err(io(e)),
                _ => {}
            }
        }
        // After chown, which clears setuid bits, and the umask never narrows it.
        temp.file()
            .set_permissions(Permissions::from_mode(mode))
            .map_err(io)?;
        temp.persist(&target).map_err(io)?;
        if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty())
            && let Ok(dir) = std::fs::File::open(dir)
        {
            let _ = dir.sync_all();
        }
        Ok(())
    }
}
