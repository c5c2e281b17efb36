//! The output formats, one module each (ARCHITECTURE.md §Formats). A format owns the file names
//! it claims, where a mask stands in it (its quoting contexts), how a value is written there or
//! why it is refused, and how the rendered output is read again. The pipeline in `render` knows
//! none of them: it calls `Syntax` through [`Format`].
//!
//! A new format is a new module implementing `Syntax` and one line in the `formats!` list.

use std::borrow::{Borrow, Cow};
use std::path::Path;

use super::{Failure, MaskFailure, RenderError, Sink, TemplateSyntax};
use crate::mask::Mask;
use crate::resolve::{ResolveError, Value};
use crate::source::Span;

pub mod dotenv;
pub mod hcl;
pub mod ini;
pub mod json;
pub mod properties;
pub mod shell;
pub mod text;
pub mod toml;
pub mod xml;
pub mod yaml;

/// One format's rules, from placing masks to reading the output again.
pub(crate) trait Syntax {
    /// Where a mask stands, as far as writing a value there is concerned.
    type Context: Clone + std::fmt::Debug;

    /// Whether an output named `name` (lower case, `.tpl` dropped; `extension` is what follows
    /// its last dot, or empty) is of this format.
    fn claims(name: &str, extension: &str) -> bool;

    /// The context of each mask of `template` (sorted, not overlapping). A format that parses
    /// the template swaps its masks for placeholders in place ([`swap_placeholders`]) and must
    /// leave `template` as it was.
    fn place(template: &mut [u8], masks: &[Span]) -> Result<Placed<Self::Context>, TemplateSyntax>;

    /// The value's text in `context`, written so every reader of the format reads exactly the
    /// value there, or why no text can be.
    fn escape<'v>(value: &'v Value, context: &Self::Context) -> Result<Cow<'v, str>, Refusal>;

    /// Whether `context` takes a value `jsonParse` read as the JSON value it is (not a string):
    /// a whole YAML value, a JSON value outside a string. Elsewhere such a value is refused.
    fn takes_json(context: &Self::Context) -> bool {
        let _ = context;
        false
    }

    /// Whether some context of this format takes no value at all; lint places a file only for
    /// formats where it can find one.
    const HAS_NEVER: bool = false;

    /// Where `context` is a place no value can ever be written (lint reports it, offline): a
    /// description of the place, such as "inside backquotes".
    fn never(context: &Self::Context) -> Option<&'static str> {
        let _ = context;
        None
    }

    /// Whether the output must be read again before it is trusted (`in_key`: some mask may
    /// stand in a key). A format whose structure no value can change by construction may skip
    /// it for values that cannot matter.
    fn must_reread<'s>(in_key: bool, slots: impl Iterator<Item = Slot<'s, Self::Context>>) -> bool
    where
        Self::Context: 's;

    /// Reads `rendered` again and compares it with `template`: `Err` when the template itself
    /// is not a document of the format, `Ok(Err)` when the output is not the template with each
    /// value read back exactly where its mask was. A format may swap the template's masks for
    /// placeholders in place to read it ([`swap_placeholders`]), and leaves it as it was.
    fn reread(
        template: &mut [u8],
        slots: &[Slot<'_, Self::Context>],
        rendered: &[u8],
    ) -> Result<Result<(), Mismatch>, TemplateSyntax>;
}

/// Where the masks of one template stand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Placed<C> {
    /// Each mask's context, in order.
    pub contexts: Vec<C>,
    /// Some mask is in a key (or may be), where even a value no context changes could repeat
    /// another key.
    pub in_key: bool,
}

impl<C> Placed<C> {
    pub(crate) fn values(contexts: Vec<C>) -> Self {
        Self {
            contexts,
            in_key: false,
        }
    }
}

/// One mask bound to its place and value: the pipeline pairs them once, and every format works
/// on slots.
pub(crate) struct Slot<'a, C> {
    /// The mask, for its span and its secret's locator.
    pub mask: &'a Mask,
    /// Where it stands.
    pub context: &'a C,
    /// Its resolved value.
    pub value: &'a Value,
}

impl<C> Clone for Slot<'_, C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C> Copy for Slot<'_, C> {}

impl<C> Slot<'_, C> {
    pub(crate) fn span(&self) -> Span {
        self.mask.span
    }

    pub(crate) fn text(&self) -> &str {
        use secrecy::ExposeSecret;
        self.value.expose_secret()
    }
}

/// The rendered document differs from the template; `masks` (slot indices) are the ones to
/// blame, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Mismatch {
    pub masks: Vec<(usize, MaskFailure)>,
}

impl Mismatch {
    /// Every mask, for a change that cannot be pinned on one.
    pub(crate) fn all(count: usize) -> Self {
        Self {
            masks: (0..count).map(|i| (i, MaskFailure::Structure)).collect(),
        }
    }
}

/// Why a value cannot stand where its mask is: a reason that names a character class, never
/// the value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// A line break where it would end the line (a comment).
    #[error("the value holds a line break, which would end the line here")]
    LineBreak,
    /// A control character where a comment cannot hold it.
    #[error("the value holds a control character, which a comment cannot hold")]
    LineControl,
    /// A place where no escaping is safe.
    #[error(
        "a value cannot be placed {0}: its text would be read as code; move the mask out of it"
    )]
    Unplaceable(&'static str),
    /// YAML.
    #[error(transparent)]
    Yaml(#[from] yaml::Refusal),
    /// JSON.
    #[error(transparent)]
    Json(#[from] json::Refusal),
    /// TOML.
    #[error(transparent)]
    Toml(#[from] toml::Refusal),
    /// dotenv.
    #[error(transparent)]
    Dotenv(#[from] dotenv::Refusal),
    /// POSIX shell.
    #[error(transparent)]
    Shell(#[from] shell::Refusal),
    /// Java properties.
    #[error(transparent)]
    Properties(#[from] properties::Refusal),
    /// INI.
    #[error(transparent)]
    Ini(#[from] ini::Refusal),
    /// XML.
    #[error(transparent)]
    Xml(#[from] xml::Refusal),
    /// HCL.
    #[error(transparent)]
    Hcl(#[from] hcl::Refusal),
    /// A file of no known format.
    #[error(transparent)]
    Text(#[from] text::Refusal),
    /// A value `jsonParse` read as a JSON value other than a string, where only text fits.
    #[error(
        "`jsonParse` gives a JSON {0}, which stands only as a whole unquoted YAML value or a JSON value outside a string; write the placeholder as the whole value"
    )]
    Parsed(&'static str),
}

/// `F::escape`, after refusing a value `jsonParse` read as a JSON value where only text fits.
fn escape<'v, F: Syntax>(value: &'v Value, context: &F::Context) -> Result<Cow<'v, str>, Refusal> {
    if value.is_parsed() && value.kind() != crate::resolve::Kind::String && !F::takes_json(context)
    {
        return Err(Refusal::Parsed(value.kind().describe()));
    }
    F::escape(value, context)
}

/// Declares the formats: the enum, its names for `--as`, and the dispatch to each module. A new
/// format is one line here.
macro_rules! formats {
    ($($(#[$($attr:tt)*])* $variant:ident = $name:literal => $rules:ty;)*) => {
        /// The output formats render knows.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
        #[non_exhaustive]
        pub enum Format {
            $($(#[$($attr)*])* $variant,)*
        }

        impl Format {
            /// Every format, in the order their names are listed.
            pub const ALL: &[Format] = &[$(Format::$variant),*];

            /// The name `--as` takes.
            pub fn name(self) -> &'static str {
                match self {
                    $(Format::$variant => $name,)*
                }
            }

            fn claims(self, name: &str, extension: &str) -> bool {
                match self {
                    $(Format::$variant => <$rules as Syntax>::claims(name, extension),)*
                }
            }

            /// Where the masks of `template` stand in this format, found before their values
            /// are known (render places while the stores answer).
            pub(crate) fn place(
                self,
                template: &mut [u8],
                masks: &[Span],
            ) -> Result<Placement, RenderError> {
                match self {
                    $(Format::$variant => {
                        place::<$rules>(self, template, masks).map(Placement::$variant)
                    })*
                }
            }

            /// [`Format::place`] for masks given by their spans (a document nested in another
            /// format's block, whose masks the outer format has as spans only).
            pub(crate) fn place_spans(
                self,
                template: &mut [u8],
                spans: &[Span],
            ) -> Result<Placement, TemplateSyntax> {
                match self {
                    $(Format::$variant => {
                        <$rules as Syntax>::place(template, spans).map(Placement::$variant)
                    })*
                }
            }

            /// The text mask `index` of `placement` takes for `value` (one mask of a nested
            /// document, escaped for its place there).
            pub(crate) fn escape_placed<'v>(
                placement: &Placement,
                index: usize,
                value: &'v Value,
            ) -> Result<Cow<'v, str>, Refusal> {
                match placement {
                    $(Placement::$variant(placed) => {
                        escape::<$rules>(value, &placed.contexts[index])
                    })*
                }
            }

            /// Reads a nested document's output again, as its format reads it: `masks` with
            /// their spans in `template`, `values` theirs.
            pub(crate) fn reread_placed(
                placement: &Placement,
                template: &mut [u8],
                masks: &[Mask],
                values: &[&Value],
                output: &[u8],
            ) -> Result<Result<(), Mismatch>, TemplateSyntax> {
                match placement {
                    $(Placement::$variant(placed) => {
                        let slots: Vec<Slot<'_, <$rules as Syntax>::Context>> = masks
                            .iter()
                            .zip(values)
                            .zip(&placed.contexts)
                            .map(|((mask, value), context)| Slot {
                                mask,
                                context,
                                value,
                            })
                            .collect();
                        <$rules as Syntax>::reread(template, &slots, output)
                    })*
                }
            }

            /// Whether some place in this format takes no value at all ([`Syntax::HAS_NEVER`]).
            pub(crate) fn has_never(self) -> bool {
                match self {
                    $(Format::$variant => <$rules as Syntax>::HAS_NEVER,)*
                }
            }

            /// The masks of `template` that stand where this format never takes a value, with
            /// a description of each place; none when the template is not of the format.
            pub(crate) fn never_placed(
                self,
                template: &mut [u8],
                masks: &[&Mask],
            ) -> Vec<(Span, &'static str)> {
                match self {
                    $(Format::$variant => never_placed::<$rules>(self, template, masks),)*
                }
            }

            /// Renders `template` with its masks' `values` where `placement` (made by
            /// [`Format::place`] for this format and these masks) puts them.
            pub(crate) fn fill(
                self,
                placement: Placement,
                template: &mut [u8],
                masks: &[impl Borrow<Mask>],
                values: &[Result<Value, ResolveError>],
                sink: &mut Sink<'_>,
            ) -> Result<(), RenderError> {
                match (self, placement) {
                    $((Format::$variant, Placement::$variant(placed)) => {
                        fill::<$rules, _>(self, placed, template, masks, values, sink)
                    })*
                    _ => unreachable!("a placement is filled in the format that made it"),
                }
            }
        }

        /// The masks of one template placed by one format, before their values are known.
        #[derive(Debug)]
        pub(crate) enum Placement {
            $($variant(Placed<<$rules as Syntax>::Context>),)*
        }
    };
}

formats! {
    /// `.yaml`, `.yml`.
    Yaml = "yaml" => yaml::Yaml;
    /// `.json`.
    Json = "json" => json::Json;
    /// dotenv files: `.env`, `.env.*`, `*.env`.
    Env = "env" => dotenv::Dotenv;
    /// POSIX shell: `.sh`, `.bash`, `.zsh`, `.ksh`.
    Shell = "shell" => shell::Shell;
    /// `.toml`.
    Toml = "toml" => toml::Toml;
    /// Java properties: `.properties`.
    Properties = "properties" => properties::Properties;
    /// INI as Python's configparser reads it: `.ini`, `.cfg`, `.conf`, `pip.conf`, `tox.ini`.
    Ini = "ini" => ini::Ini;
    /// XML: `.xml`, `.config` (.NET), `.csproj` and the other MSBuild files, `.plist`, `.xsd`.
    Xml = "xml" => xml::Xml;
    /// HCL: Terraform `.tf`, `.tfvars`, `.hcl`, `.nomad`.
    Hcl = "hcl" => hcl::Hcl;
    /// Plain text: values inserted as they are (`.txt`, or `--as text`).
    Text = "text" => text::Text;
    /// A file of no known format: values inserted as they are, but a line break or control
    /// character is refused, since nothing knows what it would do there. `--as` never names
    /// it.
    #[cfg_attr(feature = "cli", value(skip))]
    Unknown = "unknown" => text::Unknown;
}

impl Format {
    /// The format of an output named `path`, with a `.tpl` suffix dropped; [`Format::Unknown`]
    /// when no format claims the name.
    pub fn from_path(path: &Path) -> Self {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let name = name
            .strip_suffix(".tpl")
            .unwrap_or(&name)
            .to_ascii_lowercase();
        let extension = name.rsplit_once('.').map_or("", |(_, e)| e);
        Self::ALL
            .iter()
            .copied()
            .find(|f| f.claims(&name, extension))
            .unwrap_or(Self::Unknown)
    }

    /// The format of a template no name tells (stdin to stdout without `--as`): JSON or YAML
    /// when the template, its masks replaced, is a JSON or YAML document whose root is a mapping
    /// or a sequence; dotenv when every line is a `KEY=value` assignment (with or without
    /// `export`), a comment or blank; [`Format::Unknown`] otherwise (a shell script, a Helm
    /// template).
    pub fn sniff(template: &[u8], masks: &[Span]) -> Self {
        if masks.is_empty() {
            return Self::Unknown;
        }
        if json::is_collection(template, masks) {
            return Self::Json;
        }
        let plain = with_placeholders(template, masks, |_| false);
        if yaml::is_collection(&plain) {
            return Self::Yaml;
        }
        if dotenv::is_dotenv(&plain) {
            return Self::Env;
        }
        Self::Unknown
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

fn syntax(format: Format) -> impl Fn(TemplateSyntax) -> RenderError {
    move |e| RenderError::Syntax {
        offset: e.offset,
        format,
        message: e.message,
    }
}

/// The first step of the one render pipeline: where each mask stands.
fn place<F: Syntax>(
    format: Format,
    template: &mut [u8],
    masks: &[Span],
) -> Result<Placed<F::Context>, RenderError> {
    // Text without masks is copied as it is, whatever its format (Helm templates are not YAML).
    if masks.is_empty() {
        return Ok(Placed::values(Vec::new()));
    }
    F::place(template, masks).map_err(syntax(format))
}

fn never_placed<F: Syntax>(
    format: Format,
    template: &mut [u8],
    masks: &[&Mask],
) -> Vec<(Span, &'static str)> {
    let spans: Vec<Span> = masks.iter().map(|m| m.span).collect();
    let Ok(placed) = place::<F>(format, template, &spans) else {
        return Vec::new();
    };
    masks
        .iter()
        .zip(&placed.contexts)
        .filter_map(|(mask, context)| F::never(context).map(|what| (mask.span, what)))
        .collect()
}

/// The rest of the pipeline: bind each mask to its context and value in a slot, escape, write
/// (or hold the output to read it again), and read it again where the format asks.
fn fill<F: Syntax, M: Borrow<Mask>>(
    format: Format,
    placed: Placed<F::Context>,
    template: &mut [u8],
    masks: &[M],
    values: &[Result<Value, ResolveError>],
    sink: &mut Sink<'_>,
) -> Result<(), RenderError> {
    if masks.is_empty() {
        sink.put(template);
        return Ok(());
    }
    // The usual case, every value resolved and an output that needs no second reading, is
    // escaped and written mask by mask with nothing kept per mask; a refusal there goes on
    // below, writing nowhere, to list every failure.
    if values.iter().all(Result::is_ok) {
        let slots = || {
            masks
                .iter()
                .zip(values)
                .zip(&placed.contexts)
                .map(|((mask, value), context)| Slot {
                    mask: mask.borrow(),
                    context,
                    value: value.as_ref().expect("every value resolved"),
                })
        };
        if !F::must_reread(placed.in_key, slots()) {
            let mut last = 0;
            let streamed = slots().try_for_each(|slot| {
                let text = escape::<F>(slot.value, slot.context)?;
                sink.put(&template[last..slot.span().start]);
                sink.put(text.as_bytes());
                last = slot.span().end;
                Ok::<_, Refusal>(())
            });
            if streamed.is_ok() {
                sink.put(&template[last..]);
                return Ok(());
            }
            let masks: Vec<&Mask> = masks.iter().map(Borrow::borrow).collect();
            return checked::<F>(
                format,
                placed,
                template,
                &masks,
                values,
                &mut Sink::new(&mut std::io::sink()),
            );
        }
    }
    let masks: Vec<&Mask> = masks.iter().map(Borrow::borrow).collect();
    checked::<F>(format, placed, template, &masks, values, sink)
}

/// `fill` with every slot held: for a failure (each one listed) or an output read again before
/// it is written.
fn checked<F: Syntax>(
    format: Format,
    placed: Placed<F::Context>,
    template: &mut [u8],
    masks: &[&Mask],
    values: &[Result<Value, ResolveError>],
    sink: &mut Sink<'_>,
) -> Result<(), RenderError> {
    let failure = |mask: &Mask, failure: MaskFailure| Failure {
        span: mask.span,
        locator: mask.secret.to_string(),
        failure,
    };
    let mut failures = Vec::new();
    // A mask without a value stands in the output as its own placeholder (letters and digits,
    // its length), so the rest can still be read again and every failure listed in one run.
    let standins: Vec<Value> = masks
        .iter()
        .zip(values)
        .enumerate()
        .filter(|(_, (_, value))| value.is_err())
        .map(|(i, (mask, _))| standin(i, mask))
        .collect();
    let mut standins = standins.iter();
    let mut failed = vec![false; masks.len()];
    let mut slots = Vec::with_capacity(masks.len());
    for (i, ((mask, value), context)) in masks.iter().zip(values).zip(&placed.contexts).enumerate()
    {
        let value = match value {
            Ok(value) => value,
            Err(e) => {
                failures.push(failure(mask, e.clone().into()));
                failed[i] = true;
                standins.next().expect("a stand-in for each failure")
            }
        };
        slots.push(Slot {
            mask,
            context,
            value,
        });
    }
    let reread = failures.is_empty() && F::must_reread(placed.in_key, slots.iter().copied());
    // Written as made, or held for the re-read when it must be checked first; no text is kept
    // per mask. Once a mask fails nothing more is written (what was is the caller's to
    // discard), but every other value is still escaped, to list every refusal.
    let mut held = Vec::with_capacity(if reread { template.len() } else { 0 });
    let mut put = |bytes: &[u8]| {
        if reread {
            held.extend_from_slice(bytes);
        } else {
            sink.put(bytes);
        }
    };
    let mut last = 0;
    for (i, slot) in slots.iter().enumerate() {
        if failed[i] {
            continue;
        }
        match escape::<F>(slot.value, slot.context) {
            Ok(text) if failures.is_empty() => {
                put(&template[last..slot.span().start]);
                put(text.as_bytes());
                last = slot.span().end;
            }
            Ok(_) => {}
            Err(refusal) => {
                failures.push(failure(slot.mask, refusal.into()));
                failed[i] = true;
            }
        }
    }
    if !failures.is_empty() {
        return Err(refused::<F>(template, &slots, &failed, failures, failure));
    }
    put(&template[last..]);
    if !reread {
        return Ok(());
    }
    if let Err(mismatch) = F::reread(template, &slots, &held).map_err(syntax(format))? {
        let mut failures: Vec<Failure> = mismatch
            .masks
            .into_iter()
            .map(|(i, why)| failure(slots[i].mask, why))
            .collect();
        failures.sort_by_key(|f| f.span.start);
        return Err(RenderError::Masks(failures));
    }
    sink.put(&held);
    Ok(())
}

/// The render refused for `failures`, with what the re-read would refuse too: the output read
/// again with the `failed` masks standing as placeholders.
fn refused<F: Syntax>(
    template: &mut [u8],
    slots: &[Slot<'_, F::Context>],
    failed: &[bool],
    mut failures: Vec<Failure>,
    failure: impl Fn(&Mask, MaskFailure) -> Failure,
) -> RenderError {
    let refused: Vec<Value> = (0..slots.len())
        .map(|i| standin(i, slots[i].mask))
        .collect();
    let trial: Vec<Slot<'_, F::Context>> = slots
        .iter()
        .zip(&refused)
        .enumerate()
        .map(|(i, (slot, placeholder))| Slot {
            mask: slot.mask,
            context: slot.context,
            value: if failed[i] { placeholder } else { slot.value },
        })
        .collect();
    // A failed mask stands as its bare placeholder; every other value escaped once already.
    let texts: Vec<Cow<'_, str>> = trial
        .iter()
        .enumerate()
        .map(|(i, slot)| {
            if failed[i] {
                Cow::Borrowed(slot.text())
            } else {
                escape::<F>(slot.value, slot.context).expect("escaped before")
            }
        })
        .collect();
    let mut output = Vec::with_capacity(template.len());
    write_out(template, &trial, &texts, |bytes| {
        output.extend_from_slice(bytes)
    });
    if let Ok(Err(mismatch)) = F::reread(template, &trial, &output) {
        failures.extend(
            mismatch
                .masks
                .into_iter()
                // A change of structure could be the stand-ins' doing; a value that keeps the
                // structure but not its type is the value's own.
                .filter(|(i, why)| !failed[*i] && !matches!(why, MaskFailure::Structure))
                .map(|(i, why)| failure(slots[i].mask, why)),
        );
    }
    failures.sort_by_key(|f| f.span.start);
    RenderError::Masks(failures)
}

/// Mask `i`'s placeholder as a string value: what a mask without a usable value stands as while
/// the rest of the output is read again.
fn standin(i: usize, mask: &Mask) -> Value {
    Value::new(
        placeholder(i, mask.span.len()).into(),
        crate::resolve::Kind::String,
    )
}

/// The template with each slot's text in its mask's place, handed to `put` piece by piece.
fn write_out<C>(
    template: &[u8],
    slots: &[Slot<'_, C>],
    texts: &[Cow<'_, str>],
    mut put: impl FnMut(&[u8]),
) {
    let mut last = 0;
    for (slot, text) in slots.iter().zip(texts) {
        put(&template[last..slot.span().start]);
        put(text.as_bytes());
        last = slot.span().end;
    }
    put(&template[last..]);
}

/// The index of the slot whose quoted placeholder `text` is, among those standing outside a
/// string (`bare`): formats that quote a bare mask's placeholder to parse the template
/// (JSON, TOML, HCL) find it again here.
pub(crate) fn bare_placeholder<C>(
    text: &str,
    slots: &[Slot<'_, C>],
    bare: impl Fn(&C) -> bool,
) -> Option<usize> {
    (0..slots.len())
        .find(|&i| bare(slots[i].context) && text == placeholder(i, slots[i].span().len() - 2))
}

/// A placeholder of exactly `len` bytes for mask `index`, unique in the document.
pub(crate) fn placeholder(index: usize, len: usize) -> String {
    let mut text = vec![0; len];
    write_placeholder(index, &mut text);
    String::from_utf8(text).expect("ASCII")
}

/// Writes mask `index`'s placeholder over `slot` (a mask's bytes, at least 6 long): `SMq`, the
/// index, `q`, then `x`s to the end. Letters and digits only, so it parses as a plain word in
/// every format and offsets stay put.
fn write_placeholder(index: usize, slot: &mut [u8]) {
    use std::io::Write;
    slot.fill(b'x');
    let mut at = &mut slot[..];
    let _ = write!(at, "SMq{index}q");
}

/// The template with each mask replaced by its placeholder; `quoted` wraps the placeholder in
/// double quotes (for value positions outside strings) when it says so for that mask.
pub(crate) fn with_placeholders(
    template: &[u8],
    masks: &[Span],
    quoted: impl Fn(usize) -> bool,
) -> Vec<u8> {
    let mut doc = template.to_vec();
    for (i, span) in masks.iter().enumerate() {
        let text = if quoted(i) {
            format!("\"{}\"", placeholder(i, span.len() - 2))
        } else {
            placeholder(i, span.len())
        };
        doc[span.range()].copy_from_slice(text.as_bytes());
    }
    doc
}

/// Runs `read` on `template` with its masks swapped for their placeholders in place, and swaps
/// them back after, so a large template is never copied to be parsed (ARCHITECTURE.md §One
/// mask). `template` is as it was when this returns.
pub(crate) fn swap_placeholders<T>(
    template: &mut [u8],
    masks: &[Span],
    read: impl FnOnce(&[u8]) -> T,
) -> T {
    // Every mask's bytes in one buffer, in order.
    let mut saved = Vec::with_capacity(masks.iter().map(Span::len).sum());
    for (i, mask) in masks.iter().enumerate() {
        saved.extend_from_slice(&template[mask.range()]);
        write_placeholder(i, &mut template[mask.range()]);
    }
    let read = read(template);
    let mut at = 0;
    for mask in masks {
        template[mask.range()].copy_from_slice(&saved[at..at + mask.len()]);
        at += mask.len();
    }
    read
}

/// `text` with each slot's placeholder replaced by `value(slot)`, for the slots in `indices`
/// (every mask of the template has a slot by the time anything is read again, so a slot's index
/// is the one its placeholder was written with).
pub(crate) fn substitute<'s, C>(
    text: &str,
    slots: &'s [Slot<'_, C>],
    indices: std::ops::Range<usize>,
    value: impl Fn(&'s Slot<'_, C>) -> Cow<'s, str>,
) -> String {
    let mut text = text.to_owned();
    for i in indices {
        let placeholder = placeholder(i, slots[i].span().len());
        if text.contains(&placeholder) {
            text = text.replace(&placeholder, &value(&slots[i]));
        }
    }
    text
}

/// Every slot's placeholder replaced by its value's text.
pub(crate) fn substitute_all<C>(text: &str, slots: &[Slot<'_, C>]) -> String {
    substitute(text, slots, 0..slots.len(), |s| Cow::Borrowed(s.text()))
}

/// Indices of the masks (sorted, not overlapping) that start in `start..end`.
pub(crate) fn within(masks: &[Span], start: usize, end: usize) -> std::ops::Range<usize> {
    masks.partition_point(|m| m.start < start)..masks.partition_point(|m| m.start < end)
}

/// The spans of `slots`, in order.
pub(crate) fn spans<C>(slots: &[Slot<'_, C>]) -> Vec<Span> {
    slots.iter().map(Slot::span).collect()
}

/// Whether `value` is inserted as it is in every context and cannot change a document's
/// structure: non-empty, its first character a letter, digit or `_`, the rest those or `-` or
/// `.`. No indicator, quote, escape, space, break or comment mark can occur, and no `-`/`.` can
/// open a sequence entry or a document marker.
pub(crate) fn inert(value: &str) -> bool {
    let mut bytes = value.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// The re-read rule of the formats whose scanners see every place a value can break: read
/// again when a mask may stand in a key or a value is not [`inert`].
pub(crate) fn unless_inert<'s, C: 's>(
    in_key: bool,
    mut slots: impl Iterator<Item = Slot<'s, C>>,
) -> bool {
    in_key || !slots.all(|s| inert(s.text()))
}

/// Whether one of `separators` follows some mask on its line: the mask may then stand in a key
/// (a cheap over-estimate for the scanning formats; it only costs the re-read).
pub(crate) fn separator_follows(template: &[u8], masks: &[Span], separators: &[u8]) -> bool {
    masks.iter().any(|mask| {
        let rest = &template[mask.end..];
        let line = &rest[..memchr::memchr(b'\n', rest).unwrap_or(rest.len())];
        line.iter().any(|b| separators.contains(b))
    })
}

/// The byte offset where 0-based `line` starts.
pub(crate) fn line_offset(doc: &[u8], line: usize) -> usize {
    doc.split_inclusive(|&b| b == b'\n')
        .take(line)
        .map(<[u8]>::len)
        .sum()
}

/// Character classes several formats share.
pub(crate) mod chars {
    /// What a YAML reader takes for a line break: YAML 1.1 readers (PyYAML and the tools built
    /// on it) also break at NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR.
    pub(crate) const LINE_BREAKS: [char; 5] = ['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}'];

    /// A control character other than those in `allowed`.
    pub(crate) fn control(c: char, allowed: &str) -> bool {
        c.is_control() && !allowed.contains(c)
    }

    /// YAML's printable characters (YAML 1.2 §5.1, the set PyYAML's reader also accepts); a
    /// document may hold no other character unescaped.
    pub(crate) fn printable(c: char) -> bool {
        matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
    }

    /// `value` with a `\` before each character of `special`.
    pub(crate) fn backslash(value: &str, special: &[char]) -> String {
        let mut out = String::with_capacity(value.len() + 4);
        for c in value.chars() {
            if special.contains(&c) {
                out.push('\\');
            }
            out.push(c);
        }
        out
    }
}

/// A value in a line comment: anything but what would end the line or that the file cannot
/// hold.
pub(crate) fn in_comment(value: &str) -> Result<Cow<'_, str>, Refusal> {
    if value.contains(chars::LINE_BREAKS) {
        Err(Refusal::LineBreak)
    } else if value.chars().any(|c| c != '\t' && !chars::printable(c)) {
        // YAML and TOML allow no control character in a comment, and a shell no NUL in a file.
        Err(Refusal::LineControl)
    } else {
        Ok(Cow::Borrowed(value))
    }
}

/// The spans of `marker` in `doc`: the masks of a test document.
#[cfg(test)]
pub(crate) fn markers(doc: &str, marker: &str) -> Vec<Span> {
    doc.match_indices(marker)
        .map(|(at, _)| Span::new(at, at + marker.len()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sniff(template: &str) -> Format {
        let masks: Vec<Span> = crate::grammar::scan(template.as_bytes())
            .into_iter()
            .map(|c| c.unwrap().span)
            .collect();
        Format::sniff(template.as_bytes(), &masks)
    }

    #[test]
    fn a_nameless_template_is_told_by_its_content() {
        let mask = "{{workato:vault:k:kv/app}}";
        assert_eq!(
            sniff(&format!("{{\"a\": \"{mask}\", \"b\": {mask}}}")),
            Format::Json
        );
        assert_eq!(sniff(&format!("a:\n  b: \"{mask}\"\n")), Format::Yaml);
        assert_eq!(sniff(&format!("- {mask}\n")), Format::Yaml);
        assert_eq!(sniff(&format!("TOKEN={mask}\nOTHER=x\n")), Format::Env);
        assert_eq!(
            sniff(&format!("# db\nexport TOKEN=\"{mask}\"\n\nOTHER='x y'\n")),
            Format::Env
        );
        assert_eq!(
            sniff(&format!("TOKEN={mask}\nexec ./app\n")),
            Format::Unknown
        );
        assert_eq!(
            sniff(&format!(
                "a: {{{{ .Values.x }}}}\nb: {mask}\n{{{{- end }}}}\n"
            )),
            Format::Unknown
        );
        assert_eq!(sniff("no masks: here\n"), Format::Unknown);
        // A Helm stream may start with documents that are only comments.
        assert_eq!(
            sniff(&format!(
                "---\n# Source: c/templates/a.yaml\n---\n# Source: c/templates/b.yaml\nkind: Secret\nstringData:\n  a: {mask}\n"
            )),
            Format::Yaml
        );
    }

    #[test]
    fn format_comes_from_the_name_without_tpl() {
        for (name, format) in [
            ("app.yaml.tpl", Format::Yaml),
            ("app.yml", Format::Yaml),
            ("x/app.json.tpl", Format::Json),
            (".env", Format::Env),
            (".env.production", Format::Env),
            ("app.env.tpl", Format::Env),
            ("run.sh", Format::Shell),
            ("Cargo.toml.tpl", Format::Toml),
            ("application.properties.tpl", Format::Properties),
            ("setup.cfg", Format::Ini),
            ("tox.ini", Format::Ini),
            ("pip.conf", Format::Ini),
            ("settings.xml.tpl", Format::Xml),
            ("web.config", Format::Xml),
            ("App.csproj", Format::Xml),
            ("prod.tfvars.tpl", Format::Hcl),
            ("main.tf", Format::Hcl),
            ("job.nomad", Format::Hcl),
            ("terragrunt.hcl", Format::Hcl),
            ("notes.txt", Format::Text),
            ("README", Format::Unknown),
            ("Dockerfile", Format::Unknown),
        ] {
            assert_eq!(Format::from_path(Path::new(name)), format, "{name}");
        }
    }

    #[test]
    fn every_format_has_a_distinct_name() {
        let mut names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Format::ALL.len());
    }

    #[test]
    fn placeholders_are_swapped_back() {
        let mut template = b"a: {{workato:vault:k:kv/app}} b".to_vec();
        let masks = [Span::new(3, 29)];
        let seen = swap_placeholders(&mut template, &masks, |doc| doc.to_vec());
        assert_eq!(&seen[3..29], placeholder(0, 26).as_bytes());
        assert_eq!(template, b"a: {{workato:vault:k:kv/app}} b");
    }
}
