//! Offline lint over the files the user named: walked in parallel, each read once, findings
//! placed in their files and sorted so the output does not depend on thread timing.

use std::path::Path;
use std::sync::Mutex;

use ignore::WalkState;

use crate::error::Error;
use crate::finding::Diagnostic;
use crate::input::{self, Input};
use crate::mask::Mask;
use crate::source::LineIndex;
use crate::syntax::Syntaxes;

/// What linting the inputs produced.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Sorted by path, line and column.
    pub diagnostics: Vec<Diagnostic>,
    /// Files that could not be read or walked; the run goes on without them.
    pub errors: Vec<Error>,
    /// The files that hold well-formed masks, kept for online lint only.
    pub masked: Vec<MaskedFile>,
}

/// A file's bytes and the well-formed masks in it.
#[derive(Debug)]
pub struct MaskedFile {
    /// The file, as shown to the user.
    pub path: String,
    /// Its bytes, for placing online findings.
    pub bytes: Vec<u8>,
    /// Its well-formed masks.
    pub masks: Vec<Mask>,
}

/// What `lint_inputs` keeps besides findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keep {
    /// Findings only.
    Findings,
    /// Also the masks, for online lint.
    Masks,
}

/// The diagnostics of one file's bytes; a binary file has none. A file without `workato:` costs
/// one `memmem` pass and nothing else.
pub fn lint_bytes(path: &str, bytes: &[u8]) -> Vec<Diagnostic> {
    lint_file(path, bytes, Keep::Findings, &Syntaxes::default()).0
}

fn lint_file(
    path: &str,
    bytes: &[u8],
    keep: Keep,
    syntaxes: &Syntaxes,
) -> (Vec<Diagnostic>, Option<MaskedFile>) {
    if input::is_binary(bytes) {
        return (Vec::new(), None);
    }
    let (mut findings, masks) = super::check_all_in(bytes, syntaxes);
    if !masks.is_empty() {
        findings.extend(super::never::check(path, bytes, &masks));
        findings.sort_by_key(|f| f.span.start);
    }
    let masked = (keep == Keep::Masks && !masks.is_empty()).then(|| MaskedFile {
        path: path.to_owned(),
        bytes: bytes.to_vec(),
        masks,
    });
    if findings.is_empty() {
        return (Vec::new(), masked);
    }
    let index = LineIndex::new(bytes);
    let diagnostics = findings
        .into_iter()
        .map(|finding| Diagnostic::new(path, &index, finding))
        .collect();
    (diagnostics, masked)
}

impl Outcome {
    fn add(&mut self, (diagnostics, masked): (Vec<Diagnostic>, Option<MaskedFile>)) {
        self.diagnostics.extend(diagnostics);
        self.masked.extend(masked);
    }
}

/// Lints every input. `stdin_name` is how stdin is shown in findings; no input may hold more
/// than `limit` bytes. Named files are read directly (whatever their type: `<(…)` is a FIFO),
/// spread over the cores; every named folder is walked in one parallel walk.
pub fn lint_inputs(
    inputs: &[Input],
    stdin_name: &str,
    keep: Keep,
    syntaxes: &Syntaxes,
    limit: u64,
) -> Outcome {
    let outcome = Mutex::new(Outcome::default());
    let mut folders = Vec::new();
    let mut files = Vec::new();
    for input in inputs {
        match input {
            Input::Stdin => {
                let mut outcome = outcome.lock().expect("no worker panics holding the lock");
                match input::read_stdin(limit) {
                    Ok(bytes) => outcome.add(lint_file(stdin_name, &bytes, keep, syntaxes)),
                    Err(e) => outcome.errors.push(e),
                }
            }
            Input::Path(path) => match std::fs::metadata(path) {
                Ok(metadata) if metadata.is_dir() => folders.push(path.as_path()),
                Ok(_) => files.push(path.as_path()),
                Err(source) => outcome
                    .lock()
                    .expect("no worker panics holding the lock")
                    .errors
                    .push(Error::Io {
                        path: path.clone(),
                        source,
                    }),
            },
        }
    }
    lint_named(&files, &outcome, keep, syntaxes, limit);
    lint_folders(&folders, &outcome, keep, syntaxes, limit);
    let mut outcome = outcome
        .into_inner()
        .expect("no worker panics holding the lock");
    crate::finding::sort(&mut outcome.diagnostics);
    outcome.masked.sort_by(|a, b| a.path.cmp(&b.path));
    outcome
}

/// Reads and lints one file into `outcome`, reusing `buffer`.
fn lint_path(
    path: &Path,
    buffer: &mut Vec<u8>,
    outcome: &Mutex<Outcome>,
    (keep, syntaxes): (Keep, &Syntaxes),
    limit: u64,
) {
    let found = match input::read_path(path, limit, buffer) {
        Ok(input::Contents::Binary) => (Vec::new(), None),
        Ok(input::Contents::Text) => lint_file(&input::display(path), buffer, keep, syntaxes),
        Err(e) => {
            outcome
                .lock()
                .expect("no worker panics holding the lock")
                .errors
                .push(e);
            return;
        }
    };
    outcome
        .lock()
        .expect("no worker panics holding the lock")
        .add(found);
}

/// Files named on the command line: a few on this thread, many over the cores.
fn lint_named(
    files: &[&Path],
    outcome: &Mutex<Outcome>,
    keep: Keep,
    syntaxes: &Syntaxes,
    limit: u64,
) {
    // Below this many files a thread costs more than it saves.
    const PER_THREAD: usize = 64;
    let threads = if files.len() <= PER_THREAD {
        1
    } else {
        std::thread::available_parallelism()
            .map_or(1, std::num::NonZero::get)
            .min(files.len().div_ceil(PER_THREAD))
    };
    if threads == 1 {
        let mut buffer = Vec::new();
        for path in files {
            lint_path(path, &mut buffer, outcome, (keep, syntaxes), limit);
        }
        return;
    }
    std::thread::scope(|scope| {
        for chunk in files.chunks(files.len().div_ceil(threads)) {
            scope.spawn(move || {
                let mut buffer = Vec::new();
                for path in chunk {
                    lint_path(path, &mut buffer, outcome, (keep, syntaxes), limit);
                }
            });
        }
    });
}

/// Every folder in one parallel walk.
fn lint_folders(
    folders: &[&Path],
    outcome: &Mutex<Outcome>,
    keep: Keep,
    syntaxes: &Syntaxes,
    limit: u64,
) {
    let Some((first, rest)) = folders.split_first() else {
        return;
    };
    let mut walker = input::walker(first);
    for folder in rest {
        walker.add(folder);
    }
    walker.build_parallel().run(|| {
        // One buffer per worker thread, reused for every file it reads.
        let mut buffer = Vec::new();
        Box::new(move |entry| {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    outcome
                        .lock()
                        .expect("no worker panics holding the lock")
                        .errors
                        .push(Error::Walk {
                            path: first.to_path_buf(),
                            message: e.to_string(),
                        });
                    return WalkState::Continue;
                }
            };
            if entry.file_type().is_some_and(|t| t.is_file()) {
                lint_path(entry.path(), &mut buffer, outcome, (keep, syntaxes), limit);
            } else {
                input::passed_over(&entry);
            }
            WalkState::Continue
        })
    });
}
