//! dotenv: a scanner for the quoting every dotenv reader shares, the dialect's escapes (see the
//! README's dotenv section), and the re-read by dotenvy: the same variables in the same order.

use std::borrow::Cow;

use super::chars::{backslash, control};
use super::{Mismatch, Placed, Slot, Syntax, TemplateSyntax, substitute_all, with_placeholders};
use crate::source::Span;

/// dotenv's rules.
pub(crate) struct Dotenv;

/// Where a mask stands in a dotenv file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Context {
    Comment,
    Single,
    Double,
    Bare,
}

/// Why a value cannot stand where its dotenv mask is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// A character a single-quoted value cannot hold.
    #[error(
        "the value holds a single quote, backslash, line break, control character or `${{`, which dotenv readers read differently in single quotes; use double quotes"
    )]
    Single,
    /// A character a double-quoted value cannot hold.
    #[error(
        "the value holds `$`, a carriage return or a control character, which dotenv readers read differently in double quotes (python-dotenv keeps `\\$`, docker compose and dotenvy expand `$`); use single quotes"
    )]
    Double,
    /// A character an unquoted value cannot hold.
    #[error(
        "the value holds characters that are not safe unquoted (only letters, digits and _ @ % + = : , . / - are); quote it: \"…\""
    )]
    Unquoted,
}

impl Syntax for Dotenv {
    type Context = Context;

    fn claims(name: &str, extension: &str) -> bool {
        extension == "env" || name == ".env" || name.starts_with(".env.")
    }

    /// A template dotenvy cannot read is an error here, even where no value could change the
    /// output.
    fn place(template: &mut [u8], masks: &[Span]) -> Result<Placed<Context>, TemplateSyntax> {
        let doc = with_placeholders(template, masks, |_| false);
        read(&doc).map_err(|at| TemplateSyntax {
            offset: super::line_offset(&doc, at.line) + at.column,
            message: at.to_string(),
        })?;
        Ok(Placed {
            contexts: contexts(template, masks),
            in_key: super::separator_follows(template, masks, b"="),
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
            Context::Bare if super::shell::bare_word(value) => Cow::Borrowed(value),
            Context::Bare => return Err(Refusal::Unquoted.into()),
            Context::Double
                if value.contains(['$', '\r']) || value.chars().any(|c| control(c, "\t\n")) =>
            {
                return Err(Refusal::Double.into());
            }
            Context::Double => Cow::Owned(backslash(value, &['"', '\\']).replace('\n', "\\n")),
            Context::Single
                if value.contains(['\'', '\\', '\n', '\r'])
                    || value.contains("${")
                    || value.chars().any(|c| control(c, "\t")) =>
            {
                return Err(Refusal::Single.into());
            }
            Context::Single => Cow::Borrowed(value),
        })
    }

    fn must_reread<'s>(in_key: bool, slots: impl Iterator<Item = Slot<'s, Context>>) -> bool {
        super::unless_inert(in_key, slots)
    }

    fn reread(
        template: &mut [u8],
        slots: &[Slot<'_, Context>],
        rendered: &[u8],
    ) -> Result<Result<(), Mismatch>, TemplateSyntax> {
        let doc = with_placeholders(template, &super::spans(slots), |_| false);
        let expected: Vec<(String, String)> = read(&doc)
            .map_err(|at| TemplateSyntax {
                offset: super::line_offset(&doc, at.line) + at.column,
                message: at.to_string(),
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

/// dotenv quoting: single quotes take everything literally, double quotes honour `\`, and `#`
/// at the start of a word outside quotes begins a comment.
fn contexts(doc: &[u8], masks: &[Span]) -> Vec<Context> {
    #[derive(PartialEq)]
    enum State {
        Bare,
        Single,
        Double,
        Comment,
    }
    let mut state = State::Bare;
    let mut found = Vec::with_capacity(masks.len());
    let mut i = 0;
    for mask in masks {
        while i < mask.start {
            let b = doc[i];
            match state {
                State::Bare => match b {
                    b'\\' => i += 1,
                    b'\'' => state = State::Single,
                    b'"' => state = State::Double,
                    b'#' if i == 0 || doc[i - 1].is_ascii_whitespace() => state = State::Comment,
                    _ => {}
                },
                State::Single if b == b'\'' => state = State::Bare,
                State::Double if b == b'\\' => i += 1,
                State::Double if b == b'"' => state = State::Bare,
                State::Comment if b == b'\n' => state = State::Bare,
                _ => {}
            }
            i += 1;
        }
        found.push(match state {
            State::Bare => Context::Bare,
            State::Single => Context::Single,
            State::Double => Context::Double,
            State::Comment => Context::Comment,
        });
        i = mask.end;
    }
    found
}

/// Whether `doc` (masks replaced) looks like a dotenv file and nothing else: every line a
/// `KEY=value` assignment (`export` allowed), a comment or blank, and dotenvy reads it.
pub(crate) fn is_dotenv(doc: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(doc) else {
        return false;
    };
    let assignment = |line: &str| {
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        line.split_once('=').is_some_and(|(key, _)| {
            !key.is_empty()
                && !key.starts_with(|c: char| c.is_ascii_digit())
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        })
    };
    let mut assignments = 0;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        // A quoted value spanning lines is dotenv too, but so are shell scripts' lines: a
        // nameless file with one is left to fail closed as a file of no known format.
        if !assignment(line) {
            return false;
        }
        assignments += 1;
    }
    assignments > 0 && read(doc).is_ok()
}

/// The variables of a dotenv file as dotenvy reads them, or the 0-based line that does not
/// parse.
pub(crate) fn read(doc: &[u8]) -> Result<Vec<(String, String)>, Unreadable> {
    let mut read = Vec::new();
    for item in dotenvy::from_read_iter(doc) {
        match item {
            Ok(pair) => read.push(pair),
            Err(dotenvy::Error::LineParse(text, index)) => {
                return Err(unreadable(doc, &text, index));
            }
            Err(_) => {
                return Err(Unreadable {
                    line: 0,
                    column: 0,
                    hint: "dotenvy cannot read this file as UTF-8 text",
                });
            }
        }
    }
    Ok(read)
}

/// A line dotenvy cannot read: where, and how to write it. Never the line's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Unreadable {
    /// 0-based line.
    pub line: usize,
    /// 0-based byte column where dotenvy stopped.
    pub column: usize,
    /// What is wrong there and how to write it.
    pub hint: &'static str,
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "dotenvy cannot read this line: {}", self.hint)
    }
}

/// dotenvy's error gives the rest of the file from the line (or from its value) and the
/// character where it stopped; this finds both in `doc` and says what is wrong there.
fn unreadable(doc: &[u8], rest: &str, index: usize) -> Unreadable {
    let doc = String::from_utf8_lossy(doc);
    let first = rest.lines().next().unwrap_or_default();
    let line = doc.lines().position(|l| l.ends_with(first)).unwrap_or(0);
    let text = doc.lines().nth(line).unwrap_or_default();
    let from = text.len() - first.len();
    let column = from
        + rest
            .char_indices()
            .nth(index)
            .map_or(rest.len(), |(i, _)| i);
    let before = &text[..column.min(text.len())];
    let at = text[column.min(text.len())..].chars().next();
    let value = text
        .split_once('=')
        .map_or("", |(_, value)| value.trim_start());
    let name_before = before
        .trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_')
        .ends_with('$');
    let hint = if value.starts_with('"') && at == Some('"') && name_before {
        // dotenvy 0.15 fails on `$NAME` right before the closing quote.
        "it takes `$NAME` right before a closing double quote for an error: write `${NAME}`"
    } else if value.starts_with(['"', '\'']) && at.is_none() {
        "a quote is not closed: end the value with the quote it began with (a value spans lines only inside double quotes, up to the closing quote)"
    } else if !value.starts_with(['"', '\''])
        && (at.is_some_and(char::is_whitespace) || before.ends_with(char::is_whitespace))
    {
        "an unquoted value ends at white space: quote the value, as KEY='a b' (taken literally) or KEY=\"a b\" (with \\ escapes and $ expansion)"
    } else if !text.contains('=') {
        "a line is KEY=VALUE, `export KEY=VALUE`, a comment (#) or empty"
    } else {
        "write KEY=VALUE, quoting a value that holds spaces, quotes, `#`, `\\` or `$` ('…' takes everything literally)"
    };
    Unreadable { line, column, hint }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn why(doc: &str) -> (usize, usize, &'static str) {
        let at = read(doc.as_bytes()).unwrap_err();
        (at.line, at.column, at.hint)
    }

    #[test]
    fn an_unreadable_line_is_placed_and_explained_without_its_text() {
        let (line, column, hint) = why("A=1\nC=x y\n");
        assert_eq!((line, column), (1, 4));
        assert!(
            hint.starts_with("an unquoted value ends at white space"),
            "{hint}"
        );
        let (line, column, hint) = why("A=1\nC=\"x $HOME\"\n");
        assert_eq!((line, column), (1, 10));
        assert!(hint.contains("write `${NAME}`"), "{hint}");
        let (line, _, hint) = why("A=1\nB=2\nJUSTAWORD\n");
        assert_eq!(line, 2);
        assert!(hint.starts_with("a line is KEY=VALUE"), "{hint}");
        let (line, _, hint) = why("A=1\nC='open\n");
        assert_eq!(line, 1);
        assert!(hint.starts_with("a quote is not closed"), "{hint}");
    }
}
