//! `secretmask tag`: adds the tags the stores' requirements name to every secret the masks in
//! the given files reference. Each secret is written on its own: one that fails is listed and
//! the others still get their tags.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, IsTerminal, Write};

use super::{Error, LineFailure, StoreOptions, load_config, report_named, resolver, runtime};
use crate::diagnostic::{self, plural};
use crate::error::{EXIT_CLEAN, EXIT_FINDINGS};
use crate::input::Input;
use crate::lint::files::{Keep, MaskedFile};
use crate::lint::{self, Severity};
use crate::mask::{SecretRef, Store};
use crate::provider::ProviderError;
use crate::tagging;

/// `secretmask tag`.
#[derive(Clone, Debug)]
pub struct TagOptions {
    /// Empty means the current directory.
    pub inputs: Vec<Input>,
    /// `--profile apono`.
    pub apono: bool,
    /// `--tag KEY=VALUE`: required of every store that has tags.
    pub tags: BTreeMap<String, String>,
    /// List what would change and write nothing.
    pub dry_run: bool,
    /// Write without asking.
    pub yes: bool,
    /// Where secrets come from.
    pub store: StoreOptions,
    /// The most one input may hold (`--max-file-size`).
    pub max_file_size: u64,
    /// `--syntax`, `--avp-type`.
    pub syntax: super::SyntaxOptions,
}

/// What `tag` does, decided once before a file is read or a store asked: the configuration,
/// the tags to write per store (the trusted configuration's `lint.require_tags`, then
/// `--profile apono`, then each `--tag` for every store) and the syntaxes read.
struct Tagging {
    loaded: crate::config::Loaded,
    required: crate::required_tags::RequiredTags,
    syntaxes: crate::syntax::Syntaxes,
}

impl Tagging {
    fn decide(options: &TagOptions) -> Result<Self, Error> {
        let loaded = load_config(options.store.config.as_deref())?;
        // Tags are written from trusted sources only: a discovered file someone else wrote must
        // not grant an access platform read access to your secrets. Lint still checks its tags.
        let mut required =
            crate::required_tags::RequiredTags::new(&loaded.tags_to_write, options.apono);
        if loaded.tags_to_write != loaded.config.lint.require_tags {
            let path = loaded
                .path
                .as_deref()
                .unwrap_or(std::path::Path::new(".secretmask.yaml"));
            super::report_warning(&format!(
                "{}: its `lint.require_tags` are not written, since this file was found by walking up and is not trusted; if you trust it, run `secretmask trust {}`, or pass --config or --tag",
                path.display(),
                path.display()
            ));
        }
        for store in Store::ALL {
            for (key, value) in &options.tags {
                required
                    .0
                    .entry(store)
                    .or_default()
                    .insert(key.clone(), value.clone());
            }
        }
        if required.0.values().all(BTreeMap::is_empty) {
            return Err(Error::Usage(
                "nothing to tag: give --tag KEY=VALUE or --profile apono, or set lint.require_tags in .secretmask.yaml".into(),
            ));
        }
        Ok(Self {
            syntaxes: options.syntax.decide(&loaded.config),
            loaded,
            required,
        })
    }
}

pub(super) fn run(options: &TagOptions) -> Result<i32, Error> {
    let Tagging {
        loaded,
        required,
        syntaxes,
    } = Tagging::decide(options)?;
    let inputs = super::paths_or_here(&options.inputs);
    let outcome = lint::files::lint_inputs(
        &inputs,
        "<stdin>",
        Keep::Masks,
        &syntaxes,
        options.max_file_size,
    );
    for error in &outcome.errors {
        super::report(error);
    }
    let malformed = outcome
        .diagnostics
        .iter()
        .filter(|d| d.severity() == Severity::Error)
        .count();
    let secrets: Vec<SecretRef> = outcome
        .masked
        .iter()
        .flat_map(|f| f.masks.iter().map(|m| SecretRef::clone(&m.secret)))
        .collect();
    let resolver = resolver(&loaded, &options.store)?;
    let runtime = runtime()?;
    let plan = runtime.block_on(tagging::plan(&resolver, &secrets, &required));

    let mut stdout = anstream::stdout().lock();
    for change in &plan.changes {
        let tags: Vec<String> = change.add.iter().map(|(k, v)| format!("{k}={v}")).collect();
        writeln!(
            stdout,
            "{} {} {}: {}",
            if options.dry_run {
                "would tag"
            } else {
                "to tag"
            },
            change.secret.store(),
            diagnostic::printable(&change.secret.to_string()),
            diagnostic::printable(&tags.join(", "))
        )
        .map_err(Error::Output)?;
    }
    stdout.flush().map_err(Error::Output)?;
    let mut failures: Vec<(SecretRef, ProviderError)> = plan.failed;
    let mut written = 0;
    if !options.dry_run && !plan.changes.is_empty() {
        if !options.yes && !confirm(plan.changes.len())? {
            writeln!(stdout, "nothing was written").map_err(Error::Output)?;
            return Ok(EXIT_FINDINGS);
        }
        let results = runtime.block_on(tagging::apply(&resolver, &plan.changes));
        for (change, result) in plan.changes.iter().zip(results) {
            match result {
                Ok(()) => {
                    written += 1;
                    writeln!(
                        stdout,
                        "tagged {} {}",
                        change.secret.store(),
                        diagnostic::printable(&change.secret.to_string())
                    )
                    .map_err(Error::Output)?;
                }
                Err(error) => failures.push((change.secret.clone(), error)),
            }
        }
    }
    writeln!(
        stdout,
        "{}; {} already tagged{}",
        if options.dry_run {
            format!("{} would be tagged", plural(plan.changes.len(), "secret"))
        } else {
            format!("{} tagged", plural(written, "secret"))
        },
        plan.tagged.len(),
        if failures.is_empty() {
            String::new()
        } else {
            format!("; {} failed", failures.len())
        }
    )
    .map_err(Error::Output)?;
    stdout.flush().map_err(Error::Output)?;
    drop(stdout);
    report_failures(&outcome.masked, &failures, options.dry_run, written);
    if malformed > 0 {
        super::report(&format!(
            "{} could not be read and were skipped: `secretmask lint` shows why",
            plural(malformed, "mask")
        ));
    }
    Ok(
        if failures.is_empty() && malformed == 0 && outcome.errors.is_empty() {
            EXIT_CLEAN
        } else {
            EXIT_FINDINGS
        },
    )
}

/// Asks on the terminal; without one there is no one to ask, so `--yes` is needed.
fn confirm(count: usize) -> Result<bool, Error> {
    if !std::io::stdin().is_terminal() {
        return Err(Error::Usage(
            "no terminal to confirm on: pass --yes to tag, or --dry-run to list".into(),
        ));
    }
    eprint!("Tag {}? [y/N] ", plural(count, "secret"));
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|source| Error::Io {
            path: "<stdin>".into(),
            source,
        })?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// Each failed secret, at the first mask that names it, as render lists its failures; secrets
/// read from a secrets file, which holds no tags, in one line.
fn report_failures(
    files: &[MaskedFile],
    failures: &[(SecretRef, ProviderError)],
    dry_run: bool,
    written: usize,
) {
    let (tagless, failures): (Vec<_>, Vec<_>) = failures
        .iter()
        .partition(|(_, error)| matches!(error, ProviderError::NoTags));
    if !tagless.is_empty() {
        super::report(&format!(
            "{} read from a secrets file, which holds no tags: run `secretmask tag` without a secrets file to tag them in their stores",
            if tagless.len() == 1 {
                "1 secret is".to_owned()
            } else {
                format!("{} secrets are", tagless.len())
            }
        ));
    }
    if failures.is_empty() {
        return;
    }
    let mut first: HashMap<SecretRef, (usize, crate::source::Span)> = HashMap::new();
    for (i, file) in files.iter().enumerate() {
        for mask in &file.masks {
            first
                .entry(mask.secret.tagged_as())
                .or_insert((i, mask.span));
        }
    }
    let sources: Vec<(&str, &[u8])> = files
        .iter()
        .map(|f| (f.path.as_str(), f.bytes.as_slice()))
        .collect();
    let mut lines: Vec<(usize, LineFailure)> = failures
        .iter()
        .filter_map(|(secret, error)| {
            let (file, span) = first.get(secret)?;
            Some((
                *file,
                LineFailure {
                    span: *span,
                    reason: if dry_run {
                        format!("cannot read the secret's tags: {error}")
                    } else {
                        format!("cannot tag the secret: {error}")
                    },
                    locator: Some(secret.to_string()),
                    store_wide: false,
                },
            ))
        })
        .collect();
    lines.sort_by_key(|(file, failure)| (*file, failure.span.start));
    let summary = if dry_run {
        format!(
            "{} could not be read for tags",
            plural(failures.len(), "secret")
        )
    } else if written == 0 {
        format!("{} could not be tagged", plural(failures.len(), "secret"))
    } else {
        format!(
            "{} could not be tagged; the others were",
            plural(failures.len(), "secret")
        )
    };
    report_named(&sources, &lines, &summary);
}
