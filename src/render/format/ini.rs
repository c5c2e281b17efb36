//! INI, in the dialect Python's `configparser` reads with its defaults (`ConfigParser`, basic
//! interpolation): `[section]` headers, `key = value` or `key: value` split at the first `=` or
//! `:`, `#` and `;` comments on lines of their own (never inline), values stripped of edge
//! white space and continued on lines indented deeper than their key. The same files are read
//! by readers without interpolation (`RawConfigParser`, which pip uses, pytest's and tox's
//! `iniconfig`, and the `configparser` crate that reads every output again), so a value is
//! written only where all of them read it alike: a `%` (which interpolation reads as the start
//! of a reference and the others as text), a line break, a control character or white space a
//! reader would strip is refused.

use std::borrow::Cow;

use super::{Mismatch, Placed, Slot, Syntax, TemplateSyntax, substitute_all, with_placeholders};
use crate::source::Span;

/// The INI rules.
pub(crate) struct Ini;

/// Where a mask stands in an INI file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Context {
    Comment,
    /// A section name or a key.
    Name,
    /// In a value: `at_start`/`at_end` when only white space stands between the mask and the
    /// value's edge on its line (readers strip it), `line_start` when the mask begins a
    /// continuation line (where `#`, `;` and `[` mean something else).
    Value {
        at_start: bool,
        at_end: bool,
        line_start: bool,
    },
}

/// Why a value cannot stand where its INI mask is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// A `%`.
    #[error(
        "the value holds `%`, which configparser's interpolation reads as the start of a reference (it wants `%%`) while pip, tox and raw readers read it as text; no spelling reads alike in both"
    )]
    Percent,
    /// A line break or control character.
    #[error(
        "the value holds a line break or control character, which INI readers do not read alike in a value"
    )]
    Control,
    /// White space at an edge of the value.
    #[error("the value starts or ends with white space, which INI readers strip")]
    Edge,
    /// A comment or section mark first on a continuation line.
    #[error(
        "the value starts with `#`, `;` or `[` at the start of a continuation line, which readers take for a comment or a section"
    )]
    LineStart,
    /// A mask in a section name or a key.
    #[error(
        "a value cannot stand in an INI section name or key (configparser lowercases keys, and a value could repeat one); move the mask into a value"
    )]
    Name,
}

impl Syntax for Ini {
    type Context = Context;

    fn claims(name: &str, extension: &str) -> bool {
        matches!(extension, "ini" | "cfg")
            || matches!(
                name,
                "pip.conf" | ".pypirc" | ".flake8" | ".coveragerc" | ".pylintrc" | "pylintrc"
            )
    }

    fn place(template: &mut [u8], masks: &[Span]) -> Result<Placed<Context>, TemplateSyntax> {
        let doc = with_placeholders(template, masks, |_| false);
        Ok(Placed::values(contexts(&doc, masks)))
    }

    fn escape<'v>(
        value: &'v crate::resolve::Value,
        context: &Context,
    ) -> Result<Cow<'v, str>, super::Refusal> {
        use secrecy::ExposeSecret;
        let value = value.expose_secret();
        let Context::Value {
            at_start,
            at_end,
            line_start,
        } = *context
        else {
            return match context {
                Context::Comment => super::in_comment(value),
                _ => Err(Refusal::Name.into()),
            };
        };
        // What Python's `str.strip` or Rust's `trim` would take off an edge (the control
        // characters Python also strips are refused before).
        let white = char::is_whitespace;
        if value.contains('%') {
            Err(Refusal::Percent.into())
        } else if value
            .chars()
            .any(|c| c.is_control() && c != '\t' || matches!(c, '\u{2028}' | '\u{2029}'))
        {
            Err(Refusal::Control.into())
        } else if at_start && value.starts_with(white) || at_end && value.ends_with(white) {
            Err(Refusal::Edge.into())
        } else if line_start && value.starts_with(['#', ';', '[']) {
            Err(Refusal::LineStart.into())
        } else {
            Ok(Cow::Borrowed(value))
        }
    }

    const HAS_NEVER: bool = true;

    fn never(context: &Context) -> Option<&'static str> {
        (*context == Context::Name).then_some("in an INI section name or key")
    }

    /// Always read again: a template that is not INI is an error, not an unchecked output.
    fn must_reread<'s>(_: bool, _: impl Iterator<Item = Slot<'s, Context>>) -> bool {
        true
    }

    fn reread(
        template: &mut [u8],
        slots: &[Slot<'_, Context>],
        rendered: &[u8],
    ) -> Result<Result<(), Mismatch>, TemplateSyntax> {
        let doc = with_placeholders(template, &super::spans(slots), |_| false);
        let expected = read(&doc).map_err(|message| TemplateSyntax { offset: 0, message })?;
        let expected: Vec<Entry> = expected
            .into_iter()
            .map(|(section, key, value)| {
                (
                    substitute_all(&section, slots),
                    substitute_all(&key, slots),
                    value.map(|v| substitute_all(&v, slots)),
                )
            })
            .collect();
        Ok(match read(rendered) {
            Ok(actual) if actual == expected => Ok(()),
            _ => Err(Mismatch::all(slots.len())),
        })
    }
}

/// A section, a key and its value (none for a key without a delimiter).
type Entry = (String, String, Option<String>);

/// Every entry, sorted, as the `configparser` crate reads the file with Python's defaults
/// (case kept, continuation lines, no inline comments).
fn read(doc: &[u8]) -> Result<Vec<Entry>, String> {
    let text = std::str::from_utf8(doc).map_err(|e| e.to_string())?;
    let mut defaults = configparser::ini::Ini::new_cs().defaults();
    defaults.multiline = true;
    defaults.enable_inline_comments = false;
    let map = configparser::ini::Ini::new_from_defaults(defaults).read(text.to_owned())?;
    // The crate keeps sections and keys in hash maps: sorted, two reads compare.
    let mut entries: Vec<Entry> = map
        .into_iter()
        .flat_map(|(section, entries)| {
            entries
                .into_iter()
                .map(move |(key, value)| (section.clone(), key, value))
        })
        .collect();
    entries.sort();
    Ok(entries)
}

/// The context of each mask of `doc` (its masks already replaced by placeholders, so a
/// locator's `:` is no delimiter), line by line as configparser reads them.
fn contexts(doc: &[u8], masks: &[Span]) -> Vec<Context> {
    let white = |b: &u8| b.is_ascii_whitespace();
    let mut found = Vec::with_capacity(masks.len());
    // The indentation of the key whose value may continue on deeper lines.
    let mut open: Option<usize> = None;
    let mut start = 0;
    // Once every mask is placed the rest of the file is not looked at.
    while start < doc.len() && found.len() < masks.len() {
        let end = memchr::memchr(b'\n', &doc[start..]).map_or(doc.len(), |i| start + i);
        let line = &doc[start..end];
        let indent = line.iter().take_while(|b| white(b)).count();
        let content_end = line.len() - line.iter().rev().take_while(|b| white(b)).count();
        let here = super::within(masks, start, end);
        let first = line.get(indent).copied();
        let value = |from: usize, mask: Span, line_start: bool| Context::Value {
            at_start: line[from..mask.start - start].iter().all(white),
            at_end: mask.end - start >= content_end,
            line_start,
        };
        if indent == line.len() {
            // A blank line keeps a value open (configparser's `empty_lines_in_values`).
        } else if matches!(first, Some(b'#' | b';')) {
            found.extend(here.map(|_| Context::Comment));
        } else if open.is_some_and(|key| indent > key) {
            found.extend(here.map(|i| value(indent, masks[i], masks[i].start == start + indent)));
        } else if first == Some(b'[') {
            open = None;
            found.extend(here.map(|_| Context::Name));
        } else {
            open = Some(indent);
            match line.iter().position(|&b| b == b'=' || b == b':') {
                Some(at) => found.extend(here.map(|i| {
                    if masks[i].start < start + at {
                        Context::Name
                    } else {
                        value(at + 1, masks[i], false)
                    }
                })),
                None => found.extend(here.map(|_| Context::Name)),
            }
        }
        start = end + 1;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::{Kind, Value};

    fn escape(value: &str, context: Context) -> Result<String, String> {
        let value = Value::new(value.to_owned().into(), Kind::String);
        Ini::escape(&value, &context)
            .map(Cow::into_owned)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn values_are_written_as_they_are_or_refused_where_readers_disagree() {
        let mid = value(false, false, false);
        let whole = value(true, true, false);
        assert_eq!(escape("p@ss:w0rd #1;x=y", mid).unwrap(), "p@ss:w0rd #1;x=y");
        assert_eq!(escape(" a b ", mid).unwrap(), " a b ");
        assert!(escape("50%off", mid).unwrap_err().contains("`%`"));
        for broken in ["a\nb", "a\rb", "a\u{1}b", "a\u{2028}b"] {
            assert!(
                escape(broken, mid).unwrap_err().contains("control"),
                "{broken:?}"
            );
        }
        for edge in [" a", "a ", "\ta", "a\u{a0}", "a\u{3000}"] {
            assert!(
                escape(edge, whole).unwrap_err().contains("white space"),
                "{edge:?}"
            );
        }
        assert_eq!(escape("a", value(false, true, false)).unwrap(), "a");
        assert!(escape(" a", value(false, true, false)).is_ok());
        assert!(escape("a ", value(true, false, false)).is_ok());
        for first in ["#a", ";a", "[a]"] {
            assert!(escape(first, value(true, true, true)).is_err(), "{first}");
            assert!(escape(first, whole).is_ok(), "{first}");
        }
        assert!(escape("a", Context::Name).unwrap_err().contains("key"));
        assert!(escape("a\nb", Context::Comment).is_err());
        assert_eq!(escape("a b", Context::Comment).unwrap(), "a b");
    }

    #[test]
    fn the_output_is_read_again_and_must_be_the_template_with_the_values() {
        let mask = crate::grammar::scan(b"{{workato:vault:v:kv/app}}")
            .remove(0)
            .unwrap();
        let template = b"[s]\na = {{workato:vault:v:kv/app}}\n";
        let mask = crate::mask::Mask {
            span: Span::new(8, 8 + mask.span.len()),
            ..mask
        };
        let value = Value::new("x".to_owned().into(), Kind::String);
        let slots = [Slot {
            mask: &mask,
            context: &value_context(),
            value: &value,
        }];
        assert!(Ini::must_reread(false, slots.iter().copied()));
        let read =
            |output: &str| Ini::reread(&mut template.to_vec(), &slots, output.as_bytes()).unwrap();
        assert!(read("[s]\na = x\n").is_ok());
        assert!(read("[s]\na = y\n").is_err());
        assert!(read("[s]\na = x\nb = 1\n").is_err());
        assert!(read("[t]\na = x\n").is_err());
        let mut broken = b"[s\na = {{workato:vault:v:kv/app}}\n".to_vec();
        assert!(Ini::reread(&mut broken, &slots, b"").is_err());
    }

    fn value_context() -> Context {
        value(true, true, false)
    }

    fn of(doc: &str) -> Vec<Context> {
        let masks = crate::render::format::markers(doc, "M");
        contexts(doc.as_bytes(), &masks)
    }

    fn value(at_start: bool, at_end: bool, line_start: bool) -> Context {
        Context::Value {
            at_start,
            at_end,
            line_start,
        }
    }

    #[test]
    fn sections_keys_values_comments_and_continuations() {
        assert_eq!(
            of("[sM]\nkM = v\na = M\nb: xM y\n; M\n  # M\n"),
            [
                Context::Name,
                Context::Name,
                value(true, true, false),
                value(false, false, false),
                Context::Comment,
                Context::Comment,
            ]
        );
        assert_eq!(
            of("a = x\n  M\n\n  yM\nb = 1\n"),
            [value(true, true, true), value(false, true, false)]
        );
        // A line no deeper than the key is a new key, not a continuation.
        assert_eq!(of("  a = x\n  M = 1\n"), [Context::Name]);
        assert_eq!(of("a = x = M\n"), [value(false, true, false)]);
        // White space after the mask is stripped with the value's: the mask ends it.
        assert_eq!(of("a = M \t\r\n"), [value(true, true, false)]);
    }
}
