//! Substitution: each mask's value, escaped for its quoting context, in place of the mask; the
//! text around masks is copied byte for byte (CRLF, BOM, trailing spaces, no final newline).

pub mod format;
pub(crate) mod output;
pub(crate) mod plan;

pub use self::format::{Format, Refusal};
pub use self::plan::{Plan, render_plan, render_plan_to};
use crate::mask::Mask;
use crate::resolve::{ResolveError, Value};
use crate::source::Span;

impl Format {
    /// The format values are written for under `escape`: `--escape none` inserts them as text.
    pub(crate) fn escaped(self, escape: Escape) -> Self {
        match escape {
            Escape::Auto => self,
            Escape::None => Self::Text,
        }
    }
}

/// `--escape`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Escape {
    /// Escaped for the mask's quoting context, and checked.
    Auto,
    /// Inserted as it is.
    None,
}

/// Why one mask could not be rendered. Never holds a value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MaskFailure {
    /// The secret or its key could not be resolved.
    #[error("{0}")]
    Resolve(#[from] ResolveError),
    /// The value cannot stand where the mask is.
    #[error("{0}")]
    Refused(#[from] Refusal),
    /// A near miss of the grammar ([`render_str`] only; the command line lists these itself).
    #[error("{0}")]
    Malformed(crate::grammar::ParseError),
    /// The output would not read back as the template with the value.
    #[error(
        "the value would change the document's structure or not read back as itself; quote the scalar or string that holds the mask"
    )]
    Structure,
    /// A mask inside a Kubernetes Secret's base64 `data` value failed.
    #[error("in this Secret's base64 data value: {0}")]
    InData(Box<MaskFailure>),
    /// A Secret's `data` value holds a mask but spans lines or has escapes, so it cannot be
    /// replaced where it is.
    #[error(
        "this Secret's base64 data value holds a mask but is written over several lines or with escapes; write it as one plain or quoted line"
    )]
    DataNotOnOneLine,
    /// An environment variable cannot hold a NUL byte.
    #[error("the value holds a NUL byte, which no environment variable can carry")]
    NulByte,
    /// A mask written in an encoding nothing decodes.
    #[error(
        "a {} mask: render resolves a mask only as written (or in a Kubernetes Secret's base64 `data`), so this one would reach its reader as a literal placeholder; write the mask itself [SM037]",
        .0.describe()
    )]
    Encoded(crate::encoded::Encoding),
}

/// A mask that failed, with where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The mask.
    pub span: Span,
    /// Its secret's locator (empty for a mask that did not parse).
    pub locator: String,
    /// Why.
    pub failure: MaskFailure,
}

/// A template that is not a document of its format, even with its masks replaced: where the
/// parser of that format stopped, and what it said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateSyntax {
    /// Where the parser stopped, in the template.
    pub offset: usize,
    /// What it said.
    pub message: String,
}

/// Why a file could not be rendered. Never holds a value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// Every mask that failed, in order.
    #[error("{}", failures(.0))]
    Masks(Vec<Failure>),
    /// The template is not a document of its format, even with its masks replaced.
    #[error(
        "the template is not valid {} at byte {offset} (even with its masks replaced): {message}",
        format.name()
    )]
    Syntax {
        /// Where, in bytes.
        offset: usize,
        /// The format.
        format: Format,
        /// What its parser said.
        message: String,
    },
}

fn failures(list: &[Failure]) -> String {
    let each: Vec<String> = list
        .iter()
        .map(|f| {
            let secret = if f.locator.is_empty() {
                String::new()
            } else {
                format!(" (secret {})", f.locator)
            };
            format!("at byte {}{secret}: {}", f.span.start, f.failure)
        })
        .collect();
    format!(
        "{} failed: {}",
        crate::finding::plural(list.len(), "mask"),
        each.join("; ")
    )
}

/// Renders one in-memory template with `resolver`: every mask resolved, escaped for its place in
/// `format` and checked, or the whole render refused with every failure. The entry point for a
/// service that holds its configuration as text.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use secretmask::render::{Format, render_str};
/// let resolver = secretmask::Resolver::from_secrets_yaml("kv/app/db:\n  password: 's3cr3t: x'\n").unwrap();
/// let rendered = render_str("password: {{workato:vault:password:kv/app/db}}\n", Format::Yaml, &resolver).await;
/// assert_eq!(rendered.unwrap(), "password: \"s3cr3t: x\"\n");
/// # });
/// ```
pub async fn render_str(
    template: &str,
    format: Format,
    resolver: &crate::resolve::Resolver,
) -> Result<String, RenderError> {
    let plan = Plan::new(template.as_bytes(), Some(format));
    if !plan.problems.is_empty() {
        return Err(RenderError::Masks(plan.problems));
    }
    let masks: Vec<&Mask> = plan.masks().collect();
    let values = resolver.resolve(&masks).await;
    let bytes = render_plan(
        &mut template.as_bytes().to_vec(),
        &plan,
        &values,
        Escape::Auto,
    )?;
    // Text around masks is the template's, every value a string: the output is text.
    Ok(String::from_utf8(bytes).expect("a text template renders to text"))
}

/// Renders one template. `values[i]` is the resolved value of `masks[i]`. Works on a copy of
/// `template`; [`render_in_place`] spares the copy.
pub fn render<M: std::borrow::Borrow<Mask>>(
    template: &[u8],
    masks: &[M],
    values: &[Result<Value, ResolveError>],
    format: Format,
    escape: Escape,
) -> Result<Vec<u8>, RenderError> {
    render_in_place(&mut template.to_vec(), masks, values, format, escape)
}

/// `render`, for a template the caller owns: its masks are swapped for placeholders in place
/// while contexts are read (and swapped back), so a large template is never copied for it.
pub fn render_in_place<M: std::borrow::Borrow<Mask>>(
    template: &mut [u8],
    masks: &[M],
    values: &[Result<Value, ResolveError>],
    format: Format,
    escape: Escape,
) -> Result<Vec<u8>, RenderError> {
    let mut out = Vec::with_capacity(template.len() + masks.len() * 16);
    let mut sink = Sink::new(&mut out);
    render_to(template, masks, values, format, escape, &mut sink)?;
    sink.finish().expect("a Vec takes every write");
    Ok(out)
}

/// Where a render writes: any writer, whose first failure is kept for the caller (a render's
/// own failures are `RenderError`s; a full disk is the caller's I/O error).
pub struct Sink<'a> {
    out: &'a mut dyn std::io::Write,
    error: Option<std::io::Error>,
}

impl<'a> Sink<'a> {
    /// A sink writing into `out`.
    pub fn new(out: &'a mut dyn std::io::Write) -> Self {
        Self { out, error: None }
    }

    pub(crate) fn put(&mut self, bytes: &[u8]) {
        if self.error.is_none()
            && let Err(e) = self.out.write_all(bytes)
        {
            self.error = Some(e);
        }
    }

    /// Flushes the writer; the first write error, if any.
    pub fn finish(self) -> std::io::Result<()> {
        match self.error {
            Some(e) => Err(e),
            None => self.out.flush(),
        }
    }
}

/// `render_in_place`, writing the output into `sink` instead of returning it. Where the output
/// need not be parsed again (every value one plain token, no mask in a key or inside a larger
/// plain scalar) it is written as it is made, so the output is never held in memory; on a
/// failure what was written is the caller's to discard (a staged file that is never committed).
pub fn render_to<M: std::borrow::Borrow<Mask>>(
    template: &mut [u8],
    masks: &[M],
    values: &[Result<Value, ResolveError>],
    format: Format,
    escape: Escape,
    sink: &mut Sink<'_>,
) -> Result<(), RenderError> {
    let masks: Vec<&Mask> = masks.iter().map(std::borrow::Borrow::borrow).collect();
    let format = format.escaped(escape);
    let spans: Vec<Span> = masks.iter().map(|m| m.span).collect();
    let placement = format.place(template, &spans)?;
    format.fill(placement, template, &masks, values, sink)
}
