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
use crate::source::LineIndex;

/// What linting the inputs produced.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Sorted by path, line and column.
    pub diagnostics: Vec<Diagnostic>,
    /// Files that could not be read or walked; the run goes on without them.
    pub errors: Vec<Error>,
    pub files_checked: usize,
}

/// The diagnostics of one file's bytes; a binary file has none. A file without `workato:` costs
/// one `memmem` pass and nothing else.
pub fn lint_bytes(path: &str, bytes: &[u8]) -> Vec<Diagnostic> {
    if !grammar::has_candidates(bytes) || input::is_binary(bytes) {
        return Vec::new();
    }
    let findings = super::check_candidates(&grammar::scan(bytes));
    if findings.is_empty() {
        return Vec::new();
    }
    let index = LineIndex::new(bytes);
    findings
        .into_iter()
        .map(|finding| Diagnostic::new(path, &index, finding))
        .collect()
}

/// Lints every input. `stdin_name` is how stdin is shown in findings.
pub fn lint_inputs(inputs: &[Input], stdin_name: &str) -> Outcome {
    let outcome = Mutex::new(Outcome::default());
    for input in inputs {
        match input {
            Input::Stdin => {
                let mut outcome = outcome.lock().expect("no worker panics holding the lock");
                match input::read_stdin() {
                    Ok(bytes) => {
                        outcome.files_checked += 1;
                        outcome.diagnostics.extend(lint_bytes(stdin_name, &bytes));
                    }
                    Err(e) => outcome.errors.push(e),
                }
            }
            Input::Path(root) => lint_tree(root, &outcome),
        }
    }
    let mut outcome = outcome
        .into_inner()
        .expect("no worker panics holding the lock");
    outcome
        .diagnostics
        .sort_by(|a, b| (&a.path, a.start, a.rule.id).cmp(&(&b.path, b.start, b.rule.id)));
    outcome
}

fn lint_tree(root: &Path, outcome: &Mutex<Outcome>) {
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
                Ok(_) => lint_bytes(&input::display(entry.path()), &buffer),
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
            let mut outcome = outcome.lock().expect("no worker panics holding the lock");
            outcome.files_checked += 1;
            outcome.diagnostics.extend(found);
            WalkState::Continue
        })
    });
}
