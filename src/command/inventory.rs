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
    let code = if !wanted.is_empty() {
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
    };
    // Freeing the masks of a whole tree is tens of thousands of small frees: the answer does
    // not wait for them (the command line's exit ends them, a library's caller goes on).
    drop(entries);
    std::thread::spawn(move || drop(outcome));
    Ok(code)
}

type Answer = Result<crate::provider::Metadata, ProviderError>;
type Answers = [Option<Answer>];

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

/// One secret of the JSON document (its schema is the README's, §Inventory, and versioned),
/// serialized from the entry as it is written, with nothing collected per reference.
fn secret<'a>(entry: &'a Entry<'a>, answer: &'a Option<Answer>) -> Secret<'a> {
    Secret {
        store: entry.secret.store().as_str(),
        secret: entry.secret.as_str(),
        references: References(&entry.references),
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
    }
}

#[derive(Serialize)]
struct Secret<'a> {
    store: &'static str,
    secret: &'a str,
    references: References<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<Metadata<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

struct References<'a>(&'a [inventory::Reference<'a>]);

impl Serialize for References<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|r| Reference {
            path: r.path,
            line: r.line,
            column: r.column,
            key: r.key(),
            version: r.version(),
            locator: r.locator(),
        }))
    }
}

#[derive(Serialize)]
struct Reference<'a> {
    path: &'a str,
    line: usize,
    column: usize,
    key: &'a str,
    version: Option<crate::store::Version<'a>>,
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

/// The JSON document in serde_json's pretty layout. The secrets are serialized on every core
/// at once, a run of them to a part, each part at the depth it stands at, and written in
/// order; the frame around them is the layout's own. Generic over the writer: serde_json
/// writes token by token, which through `dyn Write` would be a call each.
fn json<W: Write>(out: &mut W, entries: &[Entry], described: &Answers) -> std::io::Result<()> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let references: usize = entries.iter().map(|e| e.references.len()).sum();
    // Below this many references a part costs more in threads than it saves; above the upper
    // bound, parts are written a round at a time so the document is never held whole.
    let per_part = (references / threads).clamp(2048, 1 << 16);
    json_in_parts(out, entries, described, per_part, threads)
}

fn json_in_parts<W: Write>(
    out: &mut W,
    entries: &[Entry],
    described: &Answers,
    per_part: usize,
    threads: usize,
) -> std::io::Result<()> {
    write!(
        out,
        "{{\n  \"version\": {SCHEMA_VERSION},\n  \"secrets\": ["
    )?;
    // A part: consecutive secrets holding about `per_part` references.
    let mut parts = Vec::new();
    let (mut start, mut held) = (0, 0);
    for (i, entry) in entries.iter().enumerate() {
        held += entry.references.len().max(1);
        if held >= per_part || i + 1 == entries.len() {
            parts.push(start..i + 1);
            (start, held) = (i + 1, 0);
        }
    }
    let part = |range: std::ops::Range<usize>| -> std::io::Result<Vec<u8>> {
        let mut buffer = Vec::new();
        for i in range {
            buffer.extend_from_slice(if i == 0 { b"\n    " } else { b",\n    " });
            let mut serializer = serde_json::Serializer::with_formatter(&mut buffer, Pretty::at(2));
            secret(&entries[i], &described[i]).serialize(&mut serializer)?;
        }
        Ok(buffer)
    };
    for round in parts.chunks(threads.max(1)) {
        let written: Vec<std::io::Result<Vec<u8>>> = match round {
            [one] => vec![part(one.clone())],
            _ => std::thread::scope(|scope| {
                let running: Vec<_> = round
                    .iter()
                    .map(|range| scope.spawn(|| part(range.clone())))
                    .collect();
                running
                    .into_iter()
                    .map(|t| t.join().expect("serializing a part does not panic"))
                    .collect()
            }),
        };
        for buffer in written {
            out.write_all(&buffer?)?;
        }
    }
    out.write_all(if entries.is_empty() {
        b"]\n}\n"
    } else {
        b"\n  ]\n}\n"
    })
}

/// serde_json's pretty layout (a value per line, two spaces a level) from a given depth, for a
/// value that stands inside others; each line break and its indentation written at once.
struct Pretty {
    level: usize,
    has_value: bool,
}

impl Pretty {
    fn at(level: usize) -> Self {
        Self {
            level,
            has_value: false,
        }
    }

    fn line<W: ?Sized + Write>(&self, out: &mut W) -> std::io::Result<()> {
        const BREAK: &[u8] = b"\n                                                                ";
        let width = 1 + 2 * self.level;
        match BREAK.get(..width) {
            Some(line) => out.write_all(line),
            None => {
                out.write_all(BREAK)?;
                (BREAK.len()..width).try_for_each(|_| out.write_all(b" "))
            }
        }
    }

    fn open<W: ?Sized + Write>(&mut self, out: &mut W, bracket: &[u8]) -> std::io::Result<()> {
        self.level += 1;
        self.has_value = false;
        out.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, out: &mut W, bracket: &[u8]) -> std::io::Result<()> {
        self.level -= 1;
        if self.has_value {
            self.line(out)?;
        }
        out.write_all(bracket)
    }

    fn item<W: ?Sized + Write>(&mut self, out: &mut W, first: bool) -> std::io::Result<()> {
        if !first {
            out.write_all(b",")?;
        }
        self.line(out)
    }
}

impl serde_json::ser::Formatter for Pretty {
    fn begin_array<W: ?Sized + Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.open(out, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.close(out, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        out: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(out, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _out: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.open(out, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.close(out, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        out: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(out, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        out.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _out: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// Generic over the writer, as `json` is.
fn csv<W: Write>(out: &mut W, entries: &[Entry]) -> std::io::Result<()> {
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
                    r.version().map(|v| v.to_string()).as_deref().unwrap_or(""),
                    r.path,
                    &r.line.to_string(),
                    &r.column.to_string(),
                ])
                .map_err(to_io)?;
        }
    }
    writer.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::files::MaskedFile;

    /// The document as serde_json lays it out whole, to hold the parts against.
    #[derive(Serialize)]
    struct Whole<'a> {
        version: u32,
        secrets: Vec<Secret<'a>>,
    }

    #[test]
    fn the_document_written_in_parts_is_serde_jsons_pretty_document() {
        let files: Vec<MaskedFile> = (0..7)
            .map(|f| {
                let text: String = (0..=f)
                    .map(|m| {
                        format!(
                            "k{m}: \"{{{{workato:vault:p\\\"w:kv/app/s{}?version={}}}}}\"\n",
                            (f + m) % 5,
                            1 + m % 2
                        )
                    })
                    .collect();
                crate::inventory::masked_file(&format!("dir/f{f}.yaml"), &text)
            })
            .collect();
        let entries = crate::inventory::collect(&files);
        assert_eq!(entries.len(), 5);
        let mut tags = BTreeMap::new();
        tags.insert("team".to_owned(), "a\"b".to_owned());
        let metadata = crate::provider::Metadata {
            tags: Some(tags),
            details: Details {
                current_version: Some("2".into()),
                deleted_versions: vec![1],
                ..Details::default()
            },
            ..crate::provider::Metadata::default()
        };
        let described: Vec<Option<Answer>> = vec![
            Some(Ok(metadata)),
            Some(Err(ProviderError::NotFound)),
            None,
            Some(Ok(crate::provider::Metadata::default())),
            None,
        ];
        let whole = Whole {
            version: SCHEMA_VERSION,
            secrets: entries
                .iter()
                .zip(&described)
                .map(|(e, a)| secret(e, a))
                .collect(),
        };
        let expected = serde_json::to_string_pretty(&whole).unwrap() + "\n";
        for per_part in [1, 2, 5, 1000] {
            for threads in [1, 2, 3] {
                let mut written = Vec::new();
                json_in_parts(&mut written, &entries, &described, per_part, threads).unwrap();
                assert_eq!(
                    String::from_utf8(written).unwrap(),
                    expected,
                    "{per_part} references a part on {threads} threads"
                );
            }
        }
        let mut empty = Vec::new();
        json_in_parts(&mut empty, &[], &[], 1, 2).unwrap();
        let whole = Whole {
            version: SCHEMA_VERSION,
            secrets: Vec::new(),
        };
        assert_eq!(
            String::from_utf8(empty).unwrap(),
            serde_json::to_string_pretty(&whole).unwrap() + "\n"
        );
    }

    #[test]
    fn the_layout_holds_at_any_depth() {
        let mut deep = serde_json::json!(1);
        for level in 0..40 {
            deep = if level % 2 == 0 {
                serde_json::json!([deep, {}, "x", []])
            } else {
                serde_json::json!({"k": deep, "e": [], "n": null, "o": {}})
            };
        }
        let mut ours = Vec::new();
        deep.serialize(&mut serde_json::Serializer::with_formatter(
            &mut ours,
            Pretty::at(0),
        ))
        .unwrap();
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            serde_json::to_string_pretty(&deep).unwrap()
        );
    }
}
