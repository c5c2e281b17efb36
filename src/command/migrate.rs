//! `secretmask migrate`: argocd-vault-plugin's or vals' references rewritten in place as native
//! masks, all files or none; `--dry-run` prints the diff instead.

use std::io::Write;
use std::path::PathBuf;

use super::Error;
use crate::diagnostic;
use crate::error::{EXIT_CLEAN, EXIT_FINDINGS};
use crate::input::{self, Input};
use crate::render::output::{self, Modes, Staging};
use crate::source::LineIndex;
use crate::syntax::{AvpType, Syntax, Syntaxes};

/// `secretmask migrate`: what to rewrite, from which syntax.
#[derive(Clone, Debug)]
pub struct MigrateOptions {
    /// Files or folders; empty means the current directory.
    pub inputs: Vec<Input>,
    /// The syntax rewritten (`avp` or `vals`).
    pub from: Syntax,
    /// `--avp-type`; `None` takes `ARGOCD_ENV_AVP_TYPE` or `AVP_TYPE`.
    pub avp_type: Option<AvpType>,
    /// Print a unified diff and write nothing.
    pub dry_run: bool,
    /// The most one file may hold.
    pub max_file_size: u64,
}

/// One file to replace.
struct Change {
    path: PathBuf,
    name: String,
    before: Vec<u8>,
    after: Vec<u8>,
}

pub(super) fn run(options: &MigrateOptions) -> Result<i32, Error> {
    if options.from == Syntax::Workato {
        return Err(Error::Usage(
            "--from workato: those are secretmask's own masks already; migrate reads avp or vals"
                .into(),
        ));
    }
    let avp_type = match options.avp_type {
        Some(avp_type) => Ok(Some(avp_type)),
        None => AvpType::from_env(),
    };
    let syntaxes = Syntaxes::new(&[options.from], avp_type);
    let mut changes = Vec::new();
    let mut refused = Vec::new();
    let mut references = 0;
    for input in super::paths_or_here(&options.inputs) {
        let Input::Path(root) = input else {
            return Err(Error::Usage(
                "migrate rewrites files in place: name files or folders, not stdin".into(),
            ));
        };
        let mut buffer = Vec::new();
        for file in input::files(&root)? {
            if input::read_path(&file.path, options.max_file_size, &mut buffer)?
                != input::Contents::Text
            {
                continue;
            }
            let name = input::display(&file.path);
            match crate::migrate::rewrite(&buffer, &syntaxes) {
                Ok(None) => {}
                Ok(Some(rewritten)) => {
                    references += rewritten.count;
                    changes.push(Change {
                        path: file.path.clone(),
                        name,
                        before: buffer.clone(),
                        after: rewritten.text,
                    });
                }
                Err(errors) => {
                    let index = LineIndex::new(&buffer);
                    refused.extend(errors.iter().map(|error| {
                        crate::finding::Diagnostic::new(
                            &name,
                            &index,
                            crate::lint::parse_finding(error),
                        )
                    }));
                }
            }
        }
    }
    if !refused.is_empty() {
        let mut emitter = diagnostic::emitter(diagnostic::Format::Human);
        let mut stderr = anstream::stderr().lock();
        for d in &refused {
            emitter.emit(&mut stderr, d).map_err(Error::Output)?;
        }
        drop(stderr);
        super::report(&format!(
            "{} cannot be written as {}; nothing was migrated",
            diagnostic::plural(refused.len(), "reference"),
            if refused.len() == 1 {
                "a mask"
            } else {
                "masks"
            }
        ));
        return Ok(EXIT_FINDINGS);
    }
    if options.dry_run {
        let mut stdout = std::io::stdout().lock();
        for change in &changes {
            stdout
                .write_all(
                    crate::migrate::unified_diff(&change.name, &change.before, &change.after)
                        .as_bytes(),
                )
                .map_err(Error::Output)?;
        }
        stdout.flush().map_err(Error::Output)?;
        return Ok(EXIT_CLEAN);
    }
    // Every file staged before any is replaced; then all renamed under the commit lock, so a
    // signal finds them all old or all new.
    output::clean_up_on_signals();
    let mut staged = Vec::with_capacity(changes.len());
    for change in &changes {
        let mut staging = Staging::open(&change.path, Modes::default())?;
        staging
            .writer()
            .write_all(&change.after)
            .map_err(|source| crate::error::Error::Io {
                path: change.path.clone(),
                source,
            })?;
        staged.push(staging.finish()?);
    }
    let commit = output::committing();
    for file in staged {
        file.commit()?;
    }
    drop(commit);
    if !changes.is_empty() {
        let _ = writeln!(
            anstream::stderr(),
            "migrated {} in {}",
            diagnostic::plural(references, "reference"),
            diagnostic::plural(changes.len(), "file")
        );
    }
    Ok(EXIT_CLEAN)
}
