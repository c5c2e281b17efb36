//! `secretmask inventory`: every secret the masks name, with every reference, as a table, one
//! JSON document or CSV; with `--online` what each store says about it (never a value); with
//! `--secret` only the references to those secrets, exiting as grep does.

use std::collections::BTreeMap;
use std::io::Write;

use serde::Serialize;

use super::{Error, StoreOptions};
use crate::diagnostic;
use crate::error::{EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS};
use crate::input::Input;
use crate::inventory::{self, Entry};
use crate::lint::Severity;
use crate::lint::files::Keep;
use crate::mask::SecretRef;
use crate::provider::{Described, Details, ProviderError};

/// The version of the JSON document's schema (README, §Inventory).
const SCHEMA_VERSION: u32 = 1;

/// How `inventory` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum InventoryFormat {
    /// A readable table per secret.
    Text,
    /// One JSON document.
    Json,
    /// A header and one row per reference.
    Csv,
}

/// `secretmask inventory`.
#[derive(Clone, Debug)]
pub struct InventoryOptions {
    /// Empty means the current directory.
    pub inputs: Vec<Input>,
    /// How the inventory is printed.
    pub format: InventoryFormat,
    /// `--secret`: only references to these locators.
    pub secrets: Vec<String>,
    /// `--online`: ask the stores what they hold about each secret.
    pub online: Option<StoreOptions>,
    /// How stdin is named.
    pub stdin_name: String,
    /// The most one input may hold (`--max-file-size`).
    pub max_file_size: u64,
    /// `--syntax`, `--avp-type`.
    pub syntax: super::SyntaxOptions,
}

pub(super) fn run(options: &InventoryOptions) -> Result<i32, Error> {
    let wanted: Vec<SecretRef> = options
        .secrets
        .iter()
        .map(|text| SecretRef::parse_any(text).map_err(Error::Usage))
        .collect::<Result<_, _>>()?;
    let inputs = super::paths_or_here(&options.inputs);
    let super::FileReading {
        syntaxes, online, ..
    } = super::FileReading::decide(
        &options.syntax,
        options.online.as_ref(),
        &inputs,
        options.max_file_size,
    )?;
    let outcome = crate::lint::files::lint_inputs(
        &inputs,
        &options.stdin_name,
        Keep::Masks,
        &syntaxes,
        options.max_file_size,
    );
    // Broken masks as lint shows them, on stderr: stdout is the inventory.
    let broken = outcome
        .diagnostics
        .iter()
        .filter(|d| d.severity() == Severity::Error)
        .count();
    {
        let mut stderr = anstream::stderr().lock();
        let mut emitter = diagnostic::emitter(diagnostic::Format::Human);
        for d in &outcome.diagnostics {
            let _ = emitter.emit(&mut stderr, d);
        }
    }
    for error in &outcome.errors {
        super::report(error);
    }
    let mut entries = inventory::collect(&outcome.masked);
    if !wanted.is_empty() {
        entries = inventory::select(entries, &wanted);
    }
    let described = match &online {
        Some((resolver, runtime)) => {
            let secrets: Vec<SecretRef> = entries.iter().map(|e| e.secret.clone()).collect();
            let mut answers = runtime.block_on(resolver.describe(&secrets));
            // Only what the store says about the secret is kept: a value that came along
            // (Key Vault answers with both) is dropped here.
            entries
                .iter()
                .map(|e| {
                    answers
                        .remove(&e.secret)
                        .map(|answer| answer.map(|d: Described| d.metadata))
                })
                .collect()
        }
        None => vec![None; entries.len()],
    };
    let store_errors = described
        .iter()
        .filter(|d| matches!(d, Some(Err(_))))
        .count();

    // Buffered: stdout flushes at each line, and a JSON inventory has many.
    // Plain stdout: the inventory has no colour, and anstream's stripping would read every byte.
    let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    match options.format {
        InventoryFormat::Text => text(&mut stdout, &entries, &described),
        InventoryFormat::Json => json(&mut stdout, &entries, &described),
        InventoryFormat::Csv => csv(&mut stdout, &entries),
    }
    .map_err(Error::Output)?;
    stdout.flush().map_err(Error::Output)?;
    drop(stdout);
    if store_errors > 0 {
        super::report(&format!(
            "the stores could not describe {}: the inventory says why",
            diagnostic::plural(store_errors, "secret")
        ));
    }
    let unreadable = !outcome.errors.is_empty() || broken > 0;
    Ok(if !wanted.is_empty() {
        // grep's codes, for a gate before a rotation or a deletion: a broken mask or an
        // unreadable file might be a reference, so it is an error, not a "no".
        if unreadable {
            EXIT_ERROR
        } else if entries.is_empty() {
            EXIT_FINDINGS
        } else {
            EXIT_CLEAN
        }
    } else if !outcome.errors.is_empty() {
        EXIT_ERROR
    } else if broken > 0 || store_errors > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    })
}

type Answers = [Option<Result<crate::provider::Metadata, ProviderError>>];

fn text(out: &mut dyn Write, entries: &[Entry], described: &Answers) -> std::io::Result<()> {
    let show = |s: &str| diagnostic::printable(s).into_owned();
    for (entry, answer) in entries.iter().zip(described) {
        writeln!(
            out,
            "{} {} ({})",
            entry.secret.store(),
            show(entry.secret.as_str()),
            diagnostic::plural(entry.references.len(), "reference")
        )?;
        match answer {
            Some(Ok(metadata)) => {
                for line in metadata_lines(metadata) {
                    writeln!(out, "  {}", show(&line))?;
                }
            }
            Some(Err(error)) => writeln!(out, "  store: {}", show(&error.to_string()))?,
            None => {}
        }
        for r in &entry.references {
            let mut what = Vec::new();
            if !r.key().is_empty() {
                what.push(format!("key {}", r.key()));
            }
            let version = r.version();
            if let Some(version) = &version {
                what.push(format!("version {version}"));
            }
            if r.locator() != entry.secret.as_str() && version.is_none() {
                what.push(format!("as {}", r.locator()));
            }
            writeln!(
                out,
                "  {}:{}:{}{}",
                show(r.path),
                r.line,
                r.column,
                if what.is_empty() {
                    String::new()
                } else {
                    format!("  {}", show(&what.join(", ")))
                }
            )?;
        }
    }
    Ok(())
}

/// The metadata of a secret as the text table shows it, a line per kind.
fn metadata_lines(metadata: &crate::provider::Metadata) -> Vec<String> {
    let d = &metadata.details;
    let mut lines = Vec::new();
    if let Some(arn) = &d.arn {
        lines.push(format!("arn: {arn}"));
    }
    let mut when = Vec::new();
    for (label, value) in [
        ("created", &d.created),
        ("updated", &d.updated),
        ("last accessed", &d.last_accessed),
        ("last rotated", &d.last_rotated),
        ("next rotation", &d.next_rotation),
        ("expires", &d.expires),
        ("scheduled for deletion", &metadata.deleted),
    ] {
        if let Some(value) = value {
            when.push(format!("{label} {value}"));
        }
    }
    if !when.is_empty() {
        lines.push(when.join(", "));
    }
    let mut state = Vec::new();
    if let Some(version) = &d.current_version {
        state.push(format!("current version {version}"));
    }
    if let Some(enabled) = d.rotation_enabled {
        state.push(format!("rotation {}", if enabled { "on" } else { "off" }));
    }
    if d.enabled == Some(false) {
        state.push("disabled".into());
    }
    if !d.deleted_versions.is_empty() {
        state.push(format!("deleted versions {:?}", d.deleted_versions));
    }
    if !d.destroyed_versions.is_empty() {
        state.push(format!("destroyed versions {:?}", d.destroyed_versions));
    }
    if !state.is_empty() {
        lines.push(state.join(", "));
    }
    if let Some(tags) = &metadata.tags {
        let tags: Vec<String> = tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
        lines.push(format!(
            "tags: {}",
            if tags.is_empty() {
                "none".to_owned()
            } else {
                tags.join(", ")
            }
        ));
    }
    lines
}

/// The JSON document: its schema is the README's (§Inventory) and versioned.
#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    secrets: Vec<Secret<'a>>,
}

#[derive(Serialize)]
struct Secret<'a> {
    store: &'static str,
    secret: &'a str,
    references: Vec<Reference<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<Metadata<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize)]
struct Reference<'a> {
    path: &'a str,
    line: usize,
    column: usize,
    key: &'a str,
    version: Option<std::borrow::Cow<'a, str>>,
    locator: &'a str,
}

#[derive(Serialize)]
struct Metadata<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<&'a BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deleted: Option<&'a str>,
    #[serde(flatten)]
    details: &'a Details,
}

/// Generic over the writer: serde_json writes token by token, which through `dyn Write` would
/// be a call each (and made whole first, a copy of the document).
fn json<W: Write>(out: &mut W, entries: &[Entry], described: &Answers) -> std::io::Result<()> {
    let document = Document {
        version: SCHEMA_VERSION,
        secrets: entries
            .iter()
            .zip(described)
            .map(|(entry, answer)| Secret {
                store: entry.secret.store().as_str(),
                secret: entry.secret.as_str(),
                references: entry
                    .references
                    .iter()
                    .map(|r| Reference {
                        path: r.path,
                        line: r.line,
                        column: r.column,
                        key: r.key(),
                        version: r.version(),
                        locator: r.locator(),
                    })
                    .collect(),
                metadata: match answer {
                    Some(Ok(metadata)) => Some(Metadata {
                        tags: metadata.tags.as_ref(),
                        deleted: metadata.deleted.as_deref(),
                        details: &metadata.details,
                    }),
                    _ => None,
                },
                error: match answer {
                    Some(Err(error)) => Some(error.to_string()),
                    _ => None,
                },
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}

fn csv(out: &mut dyn Write, entries: &[Entry]) -> std::io::Result<()> {
    let mut writer = ::csv::Writer::from_writer(out);
    let to_io = |e: ::csv::Error| std::io::Error::other(e.to_string());
    writer
        .write_record([
            "store", "secret", "key", "version", "path", "line", "column",
        ])
        .map_err(to_io)?;
    for entry in entries {
        for r in &entry.references {
            writer
                .write_record([
                    entry.secret.store().as_str(),
                    entry.secret.as_str(),
                    r.key(),
                    r.version().as_deref().unwrap_or(""),
                    r.path,
                    &r.line.to_string(),
                    &r.column.to_string(),
                ])
                .map_err(to_io)?;
        }
    }
    writer.flush()
}
