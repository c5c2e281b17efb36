//! Substitution: each mask's value, escaped for its quoting context, in place of the mask; the
//! text around masks is copied byte for byte (CRLF, BOM, trailing spaces, no final newline).

pub(crate) mod context;
pub(crate) mod escape;
pub(crate) mod output;
pub(crate) mod plan;
pub(crate) mod schema;
pub(crate) mod shell;
pub(crate) mod verify;

use std::path::Path;

use secrecy::ExposeSecret;

use self::context::Context;
pub use self::escape::Refusal;
pub use self::plan::{Plan, render_plan, render_plan_to};
use crate::mask::Mask;
use crate::resolve::{Kind, ResolveError, Value};
use crate::source::Span;

/// The output formats escaping knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `.yaml`, `.yml`.
    Yaml,
    /// `.json`.
    Json,
    /// dotenv files: `.env`, `.env.*`, `*.env`.
    Env,
    /// `.sh`, `.bash`, `.zsh`, `.ksh`.
    Shell,
    /// `.toml`.
    Toml,
    /// No escaping.
    Text,
}

impl Format {
    /// The format of an output named `path`, with a `.tpl` suffix dropped.
    pub fn from_path(path: &Path) -> Self {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let name = name
            .strip_suffix(".tpl")
            .unwrap_or(&name)
            .to_ascii_lowercase();
        let extension = name.rsplit_once('.').map_or("", |(_, e)| e);
        match extension {
            "yaml" | "yml" => Self::Yaml,
            "json" => Self::Json,
            "toml" => Self::Toml,
            "sh" | "bash" | "zsh" | "ksh" => Self::Shell,
            "env" => Self::Env,
            _ if name == ".env" || name.starts_with(".env.") => Self::Env,
            _ => Self::Text,
        }
    }
}

impl Format {
    /// The format of a template with no name (stdin to stdout without `--as`): JSON or YAML when
    /// the template, its masks replaced, is a JSON or YAML document whose root is a mapping or a
    /// sequence; text otherwise (a dotenv or shell file parses as one YAML scalar, a Helm
    /// template not at all).
    pub fn sniff(template: &[u8], masks: &[Span]) -> Self {
        if masks.is_empty() {
            return Self::Text;
        }
        let bare: Vec<bool> = context::contexts(Self::Json, template, masks)
            .map(|placed| placed.contexts)
            .unwrap_or_default()
            .iter()
            .map(|c| *c == Context::JsonBare)
            .collect();
        let quoted = context::with_placeholders(template, masks, |i| bare[i]);
        if serde_json::from_slice::<serde_json::Value>(&quoted)
            .is_ok_and(|v| v.is_object() || v.is_array())
        {
            return Self::Json;
        }
        let plain = context::with_placeholders(template, masks, |_| false);
        if context::is_yaml_collection(&plain) {
            return Self::Yaml;
        }
        Self::Text
    }
}

/// `--escape`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
        "the template is not valid {format:?} at byte {offset} (even with its masks replaced): {message}"
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
        crate::diagnostic::plural(list.len(), "mask"),
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

    fn put(&mut self, bytes: &[u8]) {
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
    // Text without masks is copied as it is, whatever its format (Helm templates are not YAML).
    if masks.is_empty() {
        sink.put(template);
        return Ok(());
    }
    let spans: Vec<Span> = masks.iter().map(|m| m.borrow().span).collect();
    let placed = match escape {
        Escape::Auto => context::contexts_in_place(format, template, &spans),
        Escape::None => Ok(context::Placed {
            contexts: vec![Context::Raw; masks.len()],
            in_key: false,
        }),
    };
    let syntax = |e: TemplateSyntax| RenderError::Syntax {
        offset: e.offset,
        format,
        message: e.message,
    };
    let placed = placed.map_err(syntax)?;
    let masks: Vec<&Mask> = masks.iter().map(std::borrow::Borrow::borrow).collect();
    let failure = |i: usize, failure: MaskFailure| Failure {
        span: masks[i].span,
        locator: masks[i].secret.to_string(),
        failure,
    };
    let contexts = &placed.contexts;
    let raw: Vec<&str> = values
        .iter()
        .map(|v| v.as_ref().map_or("", |v| v.expose_secret()))
        .collect();
    // A value of letters, digits and `_` (then also `-` and `.`) is one plain token that no
    // quoting context changes and no context can be broken by: the output has the template's
    // shape by construction, so the second parse is only paid for values that could matter, or
    // where a YAML plain scalar holds more than its mask (the scalar's type could change) or a
    // mask stands in a key (its value could repeat another key).
    let partial_plain = contexts.iter().any(
        |c| matches!(c, Context::YamlPlain { at_start, at_end, .. } if !(*at_start && *at_end)),
    );
    let verify = escape == Escape::Auto
        && (partial_plain || placed.in_key || !raw.iter().all(|v| verify::inert(v)));

    let mut failures = Vec::new();
    let mut held = Vec::new();
    {
        // Written as made, or held for the re-read when it must be checked first.
        let mut put = |bytes: &[u8]| {
            if verify {
                held.extend_from_slice(bytes);
            } else {
                sink.put(bytes);
            }
        };
        let mut last = 0;
        for (i, (value, context)) in values.iter().zip(contexts).enumerate() {
            put(&template[last..spans[i].start]);
            last = spans[i].end;
            let value = match value {
                Ok(value) => value,
                Err(e) => {
                    failures.push(failure(i, e.clone().into()));
                    continue;
                }
            };
            match escape::escape(value.expose_secret(), value.kind(), context) {
                Ok(text) => put(text.as_bytes()),
                Err(refusal) => failures.push(failure(i, refusal.into())),
            }
        }
        put(&template[last..]);
    }
    if !failures.is_empty() {
        return Err(RenderError::Masks(failures));
    }
    if !verify {
        return Ok(());
    }
    let out = held;
    let kinds: Vec<Kind> = values
        .iter()
        .map(|v| v.as_ref().map_or(Kind::String, Value::kind))
        .collect();
    let bare: Vec<bool> = contexts
        .iter()
        .map(|c| matches!(c, Context::JsonBare | Context::TomlBare))
        .collect();
    let mismatch = match format {
        Format::Yaml => {
            // A number in a whole plain scalar is written so YAML 1.1 reads it too.
            let read: Vec<std::borrow::Cow<'_, str>> = raw
                .iter()
                .zip(&kinds)
                .zip(contexts)
                .map(|((value, kind), context)| match context {
                    Context::YamlPlain {
                        at_start: true,
                        at_end: true,
                        tagged: false,
                        ..
                    } if *kind == Kind::Number => schema::json_number(value).into(),
                    _ => (*value).into(),
                })
                .collect();
            let read: Vec<&str> = read.iter().map(AsRef::as_ref).collect();
            verify::yaml(template, &spans, &read, &kinds, &out).err()
        }
        Format::Json => verify::json(template, &spans, &bare, &raw, &out)
            .map_err(syntax)?
            .err(),
        Format::Toml => verify::toml(template, &spans, &bare, &raw, &out)
            .map_err(syntax)?
            .err(),
        Format::Env => verify::dotenv(template, &spans, &raw, &out)
            .map_err(syntax)?
            .err(),
        Format::Shell | Format::Text => None,
    };
    if let Some(mismatch) = mismatch {
        return Err(RenderError::Masks(
            mismatch
                .masks
                .into_iter()
                .map(|(i, why)| failure(i, why))
                .collect(),
        ));
    }
    sink.put(&out);
    Ok(())
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
        assert_eq!(sniff(&format!("TOKEN={mask}\nOTHER=x\n")), Format::Text);
        assert_eq!(
            sniff(&format!(
                "a: {{{{ .Values.x }}}}\nb: {mask}\n{{{{- end }}}}\n"
            )),
            Format::Text
        );
        assert_eq!(sniff("no masks: here\n"), Format::Text);
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
            ("notes.txt", Format::Text),
            ("README", Format::Text),
        ] {
            assert_eq!(Format::from_path(Path::new(name)), format, "{name}");
        }
    }
}
