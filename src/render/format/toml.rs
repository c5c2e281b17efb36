//! TOML: a scanner for strings of the four kinds and comments, TOML escapes, and the re-read
//! by the `toml` crate: the same tables with each value where its mask was.

use std::borrow::Cow;
use std::fmt::Write;

use super::{
    Mismatch, Placed, Slot, Syntax, TemplateSyntax, bare_placeholder, substitute_all,
    with_placeholders,
};
use crate::source::Span;

/// TOML's rules.
pub(crate) struct Toml;

/// Where a mask stands in TOML.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Context {
    Comment,
    Basic,
    Literal,
    MultiBasic,
    /// `'''…'''`; `at_open` when the mask follows the opener at once, where TOML drops a line
    /// break.
    MultiLiteral {
        at_open: bool,
    },
    /// A value position outside a string: a number, boolean or date-time.
    Bare,
    /// A bare key (before `=` or `.`).
    Key,
}

/// Why a value cannot stand where its TOML mask is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// A character a literal string cannot hold.
    #[error(
        "the value holds a single quote, line break or control character, which a TOML literal string cannot hold; use a basic string \"…\""
    )]
    Literal,
    /// What a multi-line literal string cannot hold.
    #[error(
        "the value holds `'''`, a quote at its edge, a carriage return, a control character or (right after the opener) a leading line break, which a multi-line literal string cannot hold; use a basic string \"\"\"…\"\"\""
    )]
    MultiLiteral,
    /// A mask in a bare key.
    #[error("a value cannot stand in a bare TOML key; quote the key: \"…\" = …")]
    Key,
    /// A value that is not one TOML number, boolean or date-time.
    #[error(
        "outside a TOML string only a number, boolean or date-time fits (what `key = VALUE` reads as one such value); put the mask in a string: \"…\""
    )]
    Bare,
}

/// A character a TOML literal string cannot hold: an ASCII control character (DEL too) other
/// than `allowed`. Any other character, U+0080–U+009F included, is a literal one (TOML 1.0's
/// `non-ascii`).
fn ascii_control(c: char, allowed: &str) -> bool {
    c.is_ascii_control() && !allowed.contains(c)
}

impl Syntax for Toml {
    type Context = Context;

    fn claims(_: &str, extension: &str) -> bool {
        extension == "toml"
    }

    /// A template that is not TOML is an error here, even where no value could change the
    /// output's shape.
    fn place(template: &mut [u8], masks: &[Span]) -> Result<Placed<Context>, TemplateSyntax> {
        let contexts = contexts(template, masks);
        let doc = with_placeholders(template, masks, |i| contexts[i] == Context::Bare);
        parse(&doc)?;
        Ok(Placed {
            contexts,
            in_key: super::separator_follows(template, masks, b"=."),
        })
    }

    fn escape<'v>(
        value: &'v crate::resolve::Value,
        context: &Context,
    ) -> Result<Cow<'v, str>, super::Refusal> {
        use secrecy::ExposeSecret;
        let value = value.expose_secret();
        Ok(match context {
            Context::Comment => return super::in_comment(value),
            Context::Basic => Cow::Owned(basic(value, false)),
            Context::MultiBasic => Cow::Owned(basic(value, true)),
            Context::Literal
                if value.contains('\'') || value.chars().any(|c| ascii_control(c, "\t")) =>
            {
                return Err(Refusal::Literal.into());
            }
            Context::Literal => Cow::Borrowed(value),
            Context::MultiLiteral { at_open }
                if value.contains("'''")
                    || value.starts_with('\'')
                    || value.ends_with('\'')
                    || value.chars().any(|c| ascii_control(c, "\t\n"))
                    || (*at_open && value.starts_with('\n')) =>
            {
                return Err(Refusal::MultiLiteral.into());
            }
            Context::MultiLiteral { .. } => Cow::Borrowed(value),
            Context::Bare => bare(value)?,
            Context::Key => return Err(Refusal::Key.into()),
        })
    }

    const HAS_NEVER: bool = true;

    fn never(context: &Context) -> Option<&'static str> {
        (*context == Context::Key).then_some("in a bare TOML key")
    }

    fn must_reread<'s>(in_key: bool, slots: impl Iterator<Item = Slot<'s, Context>>) -> bool {
        super::unless_inert(in_key, slots)
    }

    fn reread(
        template: &mut [u8],
        slots: &[Slot<'_, Context>],
        rendered: &[u8],
    ) -> Result<Result<(), Mismatch>, TemplateSyntax> {
        let masks = super::spans(slots);
        let doc = with_placeholders(template, &masks, |i| *slots[i].context == Context::Bare);
        let mut expected = parse(&doc)?;
        substitute_table(&mut expected, slots);
        let actual = std::str::from_utf8(rendered)
            .ok()
            .and_then(|text| text.parse::<toml::Table>().ok());
        Ok(match actual {
            Some(actual) if same_table(&actual, &expected) => Ok(()),
            _ => Err(Mismatch::all(slots.len())),
        })
    }
}

/// The tables of a TOML document, or where the `toml` crate stopped reading it.
fn parse(doc: &[u8]) -> Result<toml::Table, TemplateSyntax> {
    String::from_utf8_lossy(doc)
        .parse()
        .map_err(|e: toml::de::Error| TemplateSyntax {
            offset: e.span().map_or(0, |s| s.start),
            message: e.message().to_owned(),
        })
}

fn contexts(doc: &[u8], masks: &[Span]) -> Vec<Context> {
    #[derive(PartialEq)]
    enum State {
        Bare,
        Basic,
        Literal,
        MultiBasic,
        MultiLiteral,
        Comment,
    }
    let mut state = State::Bare;
    let mut found = Vec::with_capacity(masks.len());
    let mut i = 0;
    // Where the innermost open string's text starts.
    let mut opened = 0;
    let at = |i: usize, s: &[u8]| doc[i..].starts_with(s);
    for mask in masks {
        while i < mask.start {
            let b = doc[i];
            match state {
                State::Bare if at(i, b"\"\"\"") => {
                    state = State::MultiBasic;
                    i += 2;
                }
                State::Bare if at(i, b"'''") => {
                    state = State::MultiLiteral;
                    i += 2;
                    opened = i + 1;
                }
                State::Bare if b == b'"' => state = State::Basic,
                State::Bare if b == b'\'' => state = State::Literal,
                State::Bare if b == b'#' => state = State::Comment,
                State::Basic | State::MultiBasic if b == b'\\' => i += 1,
                State::Basic if b == b'"' => state = State::Bare,
                State::Literal if b == b'\'' => state = State::Bare,
                State::MultiBasic if at(i, b"\"\"\"") => {
                    state = State::Bare;
                    i += 2;
                }
                State::MultiLiteral if at(i, b"'''") => {
                    state = State::Bare;
                    i += 2;
                }
                State::Comment if b == b'\n' => state = State::Bare,
                _ => {}
            }
            i += 1;
        }
        let next = doc[mask.end..].iter().find(|b| !matches!(b, b' ' | b'\t'));
        found.push(match state {
            State::Bare if matches!(next, Some(b'=' | b'.')) => Context::Key,
            State::Bare => Context::Bare,
            State::Basic => Context::Basic,
            State::Literal => Context::Literal,
            State::MultiBasic => Context::MultiBasic,
            State::MultiLiteral => Context::MultiLiteral {
                at_open: mask.start == opened,
            },
            State::Comment => Context::Comment,
        });
        i = mask.end;
    }
    found
}

/// TOML basic-string escapes. A multi-line basic string keeps its line breaks but the first
/// (TOML drops a line break right after the opener) and carriage returns.
fn basic(value: &str, multi_line: bool) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    for (i, c) in value.chars().enumerate() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' if multi_line && i > 0 => out.push('\n'),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push('\t'),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// What a TOML parser reads as one number, boolean or date-time in `key = VALUE`, and nothing
/// more.
fn bare(value: &str) -> Result<Cow<'_, str>, Refusal> {
    if value.contains(['\n', '\r', '#']) {
        return Err(Refusal::Bare);
    }
    match format!("k = {value}").parse::<toml::Table>() {
        Ok(table)
            if table.len() == 1
                && matches!(
                    table.get("k"),
                    Some(
                        toml::Value::Integer(_)
                            | toml::Value::Float(_)
                            | toml::Value::Boolean(_)
                            | toml::Value::Datetime(_)
                    )
                ) =>
        {
            Ok(Cow::Borrowed(value))
        }
        _ => Err(Refusal::Bare),
    }
}

fn substitute_table(table: &mut toml::Table, slots: &[Slot<'_, Context>]) {
    let entries: Vec<(String, toml::Value)> = std::mem::take(table).into_iter().collect();
    for (key, mut item) in entries {
        substitute_value(&mut item, slots);
        table.insert(substitute_all(&key, slots), item);
    }
}

fn substitute_value(value: &mut toml::Value, slots: &[Slot<'_, Context>]) {
    match value {
        toml::Value::String(s) => {
            if let Some(i) = bare_placeholder(s, slots, |c| *c == Context::Bare) {
                // What the value reads as in `k = VALUE`; escaping refused anything else.
                if let Ok(mut one) = format!("k = {}", slots[i].text()).parse::<toml::Table>()
                    && let Some(read) = one.remove("k")
                {
                    *value = read;
                }
            } else {
                *s = substitute_all(s, slots);
            }
        }
        toml::Value::Array(items) => {
            for item in items {
                substitute_value(item, slots);
            }
        }
        toml::Value::Table(table) => substitute_table(table, slots),
        _ => {}
    }
}

fn same_table(a: &toml::Table, b: &toml::Table) -> bool {
    a.len() == b.len()
        && a.iter()
            .all(|(key, value)| b.get(key).is_some_and(|other| same(value, other)))
}

/// Equal TOML values, where `nan` equals `nan`: a value `nan` reads back as itself.
fn same(a: &toml::Value, b: &toml::Value) -> bool {
    match (a, b) {
        (toml::Value::Float(x), toml::Value::Float(y)) => x.to_bits() == y.to_bits() || x == y,
        (toml::Value::Array(x), toml::Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (toml::Value::Table(x), toml::Value::Table(y)) => same_table(x, y),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_takes_what_toml_reads_as_one_scalar() {
        for value in [
            "1",
            "-7",
            "0x1F",
            "1_000",
            "inf",
            "nan",
            "-inf",
            "1.5e3",
            "true",
            "1979-05-27",
        ] {
            assert!(bare(value).is_ok(), "{value}");
        }
        for value in [
            "007", "e5", "1-2", "--1", "1.", "abc", "1 # x", "[1]", "\"s\"", "",
        ] {
            assert!(bare(value).is_err(), "{value}");
        }
    }
}
