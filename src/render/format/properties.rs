//! Java `.properties`, as `java.util.Properties.load` reads it: logical lines (a line ending
//! in an odd number of `\` continues on the next, whose leading white space is dropped),
//! comments (`#` or `!` first on a logical line), a key up to the first unescaped `=`, `:` or
//! white space. Values are written in ASCII with `\uXXXX` for everything else, so
//! `load(InputStream)` (ISO-8859-1) and `load(Reader)` read them alike, and read again with the
//! `java-properties` crate.

use std::borrow::Cow;
use std::fmt::Write;

use super::{Mismatch, Placed, Slot, Syntax, TemplateSyntax, substitute_all, with_placeholders};
use crate::source::Span;

/// The rules of Java properties.
pub(crate) struct Properties;

/// Where a mask stands in a properties file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Context {
    Comment,
    Key,
    /// In a value; `at_start` when only skipped white space stands before the mask on its
    /// line of the value, where `load` would drop the value's leading white space.
    Value {
        at_start: bool,
    },
}

/// Why a value cannot stand where its properties mask is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// A character outside the Basic Multilingual Plane.
    #[error(
        "the value holds a character outside Unicode's Basic Multilingual Plane (an emoji, say), which a properties file can only hold as a UTF-16 surrogate pair `\\uD83D\\uDE00` that readers other than Java's do not decode alike"
    )]
    Astral,
}

impl Syntax for Properties {
    type Context = Context;

    fn claims(_: &str, extension: &str) -> bool {
        extension == "properties"
    }

    fn place(template: &mut [u8], masks: &[Span]) -> Result<Placed<Context>, TemplateSyntax> {
        let contexts = contexts(template, masks);
        let in_key = contexts.contains(&Context::Key);
        Ok(Placed { contexts, in_key })
    }

    fn escape<'v>(
        value: &'v crate::resolve::Value,
        context: &Context,
    ) -> Result<Cow<'v, str>, super::Refusal> {
        use secrecy::ExposeSecret;
        let value = value.expose_secret();
        match context {
            Context::Comment => super::in_comment(value),
            Context::Key => Ok(escaped(value, Spaces::All)?),
            Context::Value { at_start: true } => Ok(escaped(value, Spaces::Leading)?),
            Context::Value { at_start: false } => Ok(escaped(value, Spaces::None)?),
        }
    }

    /// A properties file is always read again: its escapes are its own, and a template that
    /// is not one is an error, not an unchecked output.
    fn must_reread<'s>(_: bool, _: impl Iterator<Item = Slot<'s, Context>>) -> bool {
        true
    }

    fn reread(
        template: &mut [u8],
        slots: &[Slot<'_, Context>],
        rendered: &[u8],
    ) -> Result<Result<(), Mismatch>, TemplateSyntax> {
        let doc = with_placeholders(template, &super::spans(slots), |_| false);
        let expected: Vec<(String, String)> = read(&doc)
            .map_err(|(line, message)| TemplateSyntax {
                offset: super::line_offset(&doc, line.saturating_sub(1)),
                message,
            })?
            .into_iter()
            .map(|(key, value)| (substitute_all(&key, slots), substitute_all(&value, slots)))
            .collect();
        Ok(match read(rendered) {
            Ok(actual) if actual == expected => Ok(()),
            _ => Err(Mismatch::all(slots.len())),
        })
    }
}

/// Every key and value of a properties file, in order, as the `java-properties` crate reads
/// them; or the 1-based line and message of what it could not read.
fn read(doc: &[u8]) -> Result<Vec<(String, String)>, (usize, String)> {
    let mut pairs = Vec::new();
    java_properties::PropertiesIter::new(doc)
        .read_into(|key, value| pairs.push((key, value)))
        .map_err(|e| (e.line_number().unwrap_or(1), e.to_string()))?;
    Ok(pairs)
}

/// Which spaces `load` would take for something other than text.
#[derive(Clone, Copy, PartialEq)]
enum Spaces {
    /// In a key, every space ends it.
    All,
    /// At a value's start, the leading ones are dropped.
    Leading,
    None,
}

/// `value` in properties escapes: `\\`, `\t`, `\n`, `\r`, `\f`, the separators and comment
/// marks, `\uXXXX` for every character outside printable ASCII, and spaces as `\ ` where `load`
/// would not take them as text.
fn escaped(value: &str, spaces: Spaces) -> Result<Cow<'_, str>, Refusal> {
    let plain = |c: char| matches!(c, '!'..='~') && !matches!(c, '\\' | '=' | ':' | '#' | '!');
    let bare_spaces = match spaces {
        Spaces::All => !value.contains(' '),
        Spaces::Leading => !value.starts_with(' '),
        Spaces::None => true,
    };
    if bare_spaces && value.chars().all(|c| plain(c) || c == ' ') {
        return Ok(Cow::Borrowed(value));
    }
    let mut out = String::with_capacity(value.len() + 8);
    let mut leading = true;
    for c in value.chars() {
        let escape_space = spaces == Spaces::All || spaces == Spaces::Leading && leading;
        leading &= c == ' ';
        match c {
            '\\' | '=' | ':' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            ' ' if escape_space => out.push_str("\\ "),
            ' ' => out.push(' '),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{c}' => out.push_str("\\f"),
            c if plain(c) => out.push(c),
            c if u32::from(c) > 0xFFFF => return Err(Refusal::Astral),
            c => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
        }
    }
    Ok(Cow::Owned(out))
}

/// The context of each mask, from a model of `Properties.load`'s line reader.
fn contexts(doc: &[u8], masks: &[Span]) -> Vec<Context> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        /// Skipping the white space that starts a logical line.
        LineStart,
        Comment,
        Key,
        /// After the key: white space, at most one `=` or `:`, white space.
        Separator {
            seen: bool,
        },
        Value,
    }
    let white = |b: u8| matches!(b, b' ' | b'\t' | b'\x0c');
    let mut state = State::LineStart;
    // Only skipped white space since the value's line began (its first or a continuation).
    let mut line_start = false;
    let mut found = Vec::with_capacity(masks.len());
    let mut next = 0;
    let mut i = 0;
    while next < masks.len() {
        if i >= masks[next].start {
            found.push(match state {
                State::Comment => Context::Comment,
                State::LineStart | State::Key => Context::Key,
                State::Separator { .. } => Context::Value { at_start: true },
                State::Value => Context::Value {
                    at_start: line_start,
                },
            });
            state = match state {
                State::LineStart | State::Key => State::Key,
                State::Comment => State::Comment,
                State::Separator { .. } | State::Value => State::Value,
            };
            line_start = false;
            i = masks[next].end;
            next += 1;
            continue;
        }
        let b = doc[i];
        if b == b'\n' || b == b'\r' {
            state = State::LineStart;
            i += 1;
            continue;
        }
        match state {
            State::LineStart if white(b) => {}
            State::LineStart if b == b'#' || b == b'!' => state = State::Comment,
            State::LineStart => {
                state = State::Key;
                continue;
            }
            State::Comment => {}
            State::Key | State::Value if b == b'\\' => {
                if let Some(after) = continuation(doc, i) {
                    i = after;
                    line_start = state == State::Value;
                    continue;
                }
                // An escaped character belongs to the key or value.
                i += 1;
                line_start = false;
            }
            State::Key if white(b) => state = State::Separator { seen: false },
            State::Key if b == b'=' || b == b':' => state = State::Separator { seen: true },
            State::Key => {}
            State::Separator { .. } if white(b) => {}
            State::Separator { seen: false } if b == b'=' || b == b':' => {
                state = State::Separator { seen: true };
            }
            State::Separator { .. } if b == b'\\' && continuation(doc, i).is_some() => {
                i = continuation(doc, i).expect("checked");
                continue;
            }
            State::Separator { .. } => {
                state = State::Value;
                line_start = false;
                continue;
            }
            State::Value => line_start = false,
        }
        i += 1;
    }
    found
}

/// Where the next line's content starts when the `\` at `at` continues the line (it ends the
/// line and is not itself escaped): past the line break and the next line's white space.
fn continuation(doc: &[u8], at: usize) -> Option<usize> {
    let mut after = at + 1;
    match doc.get(after) {
        Some(b'\r') if doc.get(after + 1) == Some(&b'\n') => after += 2,
        Some(b'\r' | b'\n') => after += 1,
        // A `\` at the very end of the file continues into nothing.
        None => return Some(after),
        Some(_) => return None,
    }
    while doc
        .get(after)
        .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\x0c'))
    {
        after += 1;
    }
    Some(after)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The contexts of the `M` markers in `doc` (each a one-byte mask).
    fn of(doc: &str) -> Vec<Context> {
        let masks = crate::render::format::markers(doc, "M");
        contexts(doc.as_bytes(), &masks)
    }

    const START: Context = Context::Value { at_start: true };
    const INSIDE: Context = Context::Value { at_start: false };

    #[test]
    fn keys_values_and_comments_are_told_apart() {
        assert_eq!(of("a=M\n"), [START]);
        assert_eq!(of("a = xM\n"), [INSIDE]);
        assert_eq!(of("a : M\n"), [START]);
        assert_eq!(of("a M\n"), [START]);
        assert_eq!(of("aM=x\n"), [Context::Key]);
        assert_eq!(of("M=x\n"), [Context::Key]);
        assert_eq!(
            of("  # x M\n! M\nk=M"),
            [Context::Comment, Context::Comment, START]
        );
        // A `#` inside a value is text.
        assert_eq!(of("a=x #M\n"), [INSIDE]);
        // An escaped separator stays in the key.
        assert_eq!(of("a\\=bM=x\n"), [Context::Key]);
    }

    #[test]
    fn continuation_lines_belong_to_the_value() {
        assert_eq!(of("a=x\\\n   M\n"), [START]);
        assert_eq!(of("a=x\\\n  yM\n"), [INSIDE]);
        // An even number of backslashes does not continue: the next line is a key.
        assert_eq!(of("a=x\\\\\nM=1\n"), [Context::Key]);
        // A comment line is never continued.
        assert_eq!(of("# x\\\nM=1\n"), [Context::Key]);
        assert_eq!(of("a=x\\\r\n M\r\n"), [START]);
    }

    #[test]
    fn the_output_is_read_again_and_must_be_the_template_with_the_values() {
        use crate::resolve::{Kind, Value};
        let template = b"a={{workato:vault:v:kv/app}}\nb=1\n";
        let mask = crate::grammar::scan(template).remove(0).unwrap();
        let value = Value::new("x y".to_owned().into(), Kind::String);
        let slots = [Slot {
            mask: &mask,
            context: &START,
            value: &value,
        }];
        assert!(Properties::must_reread(false, slots.iter().copied()));
        let read = |output: &str| {
            Properties::reread(&mut template.to_vec(), &slots, output.as_bytes()).unwrap()
        };
        assert!(read("a=x y\nb=1\n").is_ok());
        assert!(read("a=x\\ y\nb=1\n").is_ok());
        assert!(read("a=x\nb=1\n").is_err());
        assert!(read("a=x y\nb=1\nc=2\n").is_err());
        assert!(
            Properties::reread(
                &mut b"a={{workato:vault:v:kv/app}}\n\\uZZZZ=1\n".to_vec(),
                &slots,
                b""
            )
            .is_err()
        );
        let escape = |context| Properties::escape(&value, &context).unwrap().into_owned();
        assert_eq!(escape(Context::Key), "x\\ y");
        assert_eq!(escape(START), "x y");
        assert!(Properties::escape(&value, &Context::Comment).is_ok());
    }

    #[test]
    fn values_are_written_in_ascii_with_java_escapes() {
        assert_eq!(
            escaped("plain-value.1", Spaces::None).unwrap(),
            "plain-value.1"
        );
        assert_eq!(escaped("a b", Spaces::None).unwrap(), "a b");
        assert_eq!(escaped("a b", Spaces::Leading).unwrap(), "a b");
        assert_eq!(escaped("  a b", Spaces::Leading).unwrap(), "\\ \\ a b");
        assert_eq!(escaped("a b", Spaces::All).unwrap(), "a\\ b");
        assert_eq!(
            escaped("pa55\nadmin=true", Spaces::None).unwrap(),
            "pa55\\nadmin\\=true"
        );
        assert_eq!(escaped("x\\", Spaces::None).unwrap(), "x\\\\");
        assert_eq!(escaped("#!:", Spaces::None).unwrap(), "\\#\\!\\:");
        assert_eq!(escaped("é\u{1}", Spaces::None).unwrap(), "\\u00E9\\u0001");
        assert_eq!(escaped("\t\r\u{c}", Spaces::None).unwrap(), "\\t\\r\\f");
        assert!(escaped("😀", Spaces::None).is_err());
        // The last character of the Basic Multilingual Plane is one `\uXXXX`.
        assert_eq!(escaped("\u{FFFF}", Spaces::None).unwrap(), "\\uFFFF");
    }
}
