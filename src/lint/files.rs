//! Offline lint over the files the user named: walked in parallel, each read once, findings
//! placed in their files and sorted so the output does not depend on thread timing.

use std::io::Read;
use std::path::Path;
use std::sync::Mutex;

use ignore::WalkState;

use crate::diagnostic::Diagnostic;
use crate::error::Error;
use crate::grammar;
use crate::input::{self, Input};
use crate::mask::Mask;
use crate::source::LineIndex;

/// What linting the inputs produced.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Sorted by path, line and column.
    pub diagnostics: Vec<Diagnostic>,
    /// Files that could not be read or walked; the run goes on without them.
    pub errors: Vec<Error>,
    pub files_checked: usize,
    /// The files that hold well-formed masks, kept for online lint only.
    pub masked: Vec<MaskedFile>,
}

/// A file's bytes and the well-formed masks in it.
#[derive(Debug)]
pub struct MaskedFile {
    pub path: String,
    pub bytes: Vec<u8>,
    pub masks: Vec<Mask>,
}

/// What `lint_inputs` keeps besides findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keep {
    Findings,
    /// Also the masks, for online lint.
    Masks,
}

/// The diagnostics of one file's bytes; a binary file has none. A file without `workato:` costs
/// one `memmem` pass and nothing else.
pub fn lint_bytes(path: &str, bytes: &[u8]) -> Vec<Diagnostic> {
    lint_file(path, bytes, Keep::Findings).0
}

fn lint_file(path: &str, bytes: &[u8], keep: Keep) -> (Vec<Diagnostic>, Option<MaskedFile>) {
    if !grammar::has_candidates(bytes) || input::is_binary(bytes) {
        return (Vec::new(), None);
    }
    let candidates = grammar::scan(bytes);
    let findings = super::check_candidates(&candidates);
    let masked = (keep == Keep::Masks)
        .then(|| MaskedFile {
            path: path.to_owned(),
            bytes: bytes.to_vec(),
            masks: candidates.into_iter().filter_map(Result::ok).collect(),
        })
        .filter(|file| !file.masks.is_empty());
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
        self.files_checked += 1;
        self.diagnostics.extend(diagnostics);
        self.masked.extend(masked);
    }
}

/// Lints every input. `stdin_name` is how stdin is shown in findings.
pub fn lint_inputs(inputs: &[Input], stdin_name: &str, keep: Keep) -> Outcome {
    let outcome = Mutex::new(Outcome::default());
    for input in inputs {
        match input {
            Input::Stdin => {
                let mut outcome = outcome.lock().expect("no worker panics holding the lock");
                match input::read_stdin() {
                    Ok(bytes) => outcome.add(lint_file(stdin_name, &bytes, keep)),
                    Err(e) => outcome.errors.push(e),
                }
            }
            Input::Path(root) => lint_tree(root, &outcome, keep),
        }
    }
    let mut outcome = outcome
        .into_inner()
        .expect("no worker panics holding the lock");
    crate::diagnostic::sort(&mut outcome.diagnostics);
    outcome.masked.sort_by(|a, b| a.path.cmp(&b.path));
    outcome
}

fn lint_tree(root: &Path, outcome: &Mutex<Outcome>, keep: Keep) {
    if let Err(source) = std::fs::metadata(root) {
        outcome
            .lock()
            .expect("no worker panics holding the lock")
            .errors
            .push(Error::Io {
                path: root.to_path_buf(),
                source,
            });
        return;
    }
    input::walker(root).build_parallel().run(|| {
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
                            path: root.to_path_buf(),
                            message: e.to_string(),
                        });
                    return WalkState::Continue;
                }
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                return WalkState::Continue;
            }
            buffer.clear();
            let read =
                std::fs::File::open(entry.path()).and_then(|mut f| f.read_to_end(&mut buffer));
            let found = match read {
                Ok(_) => lint_file(&input::display(entry.path()), &buffer, keep),
                Err(source) => {
                    outcome
                        .lock()
                        .expect("no worker panics holding the lock")
                        .errors
                        .push(Error::Io {
                            path: entry.path().to_path_buf(),
                            source,
                        });
                    return WalkState::Continue;
                }
            };
            outcome
                .lock()
                .expect("no worker panics holding the lock")
                .add(found);
            WalkState::Continue
        })
    });
}
