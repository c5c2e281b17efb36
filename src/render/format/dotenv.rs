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
        read(&doc).map_err(|line| TemplateSyntax {
            offset: super::line_offset(&doc, line),
            message: "dotenvy cannot read this line".to_owned(),
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

    fn must_reread(in_key: bool, slots: &[Slot<'_, Context>]) -> bool {
        super::unless_inert(in_key, slots)
    }

    fn reread(
        template: &[u8],
        slots: &[Slot<'_, Context>],
        rendered: &[u8],
    ) -> Result<Result<(), Mismatch>, TemplateSyntax> {
        let doc = with_placeholders(template, &super::spans(slots), |_| false);
        let expected: Vec<(String, String)> = read(&doc)
            .map_err(|line| TemplateSyntax {
                offset: super::line_offset(&doc, line),
                message: "dotenvy cannot read this line".to_owned(),
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
pub(crate) fn read(doc: &[u8]) -> Result<Vec<(String, String)>, usize> {
    let mut read = Vec::new();
    for item in dotenvy::from_read_iter(doc) {
        match item {
            Ok(pair) => read.push(pair),
            Err(dotenvy::Error::LineParse(line, _)) => {
                let first = line.lines().next().unwrap_or_default();
                let at = String::from_utf8_lossy(doc)
                    .lines()
                    .position(|l| l.contains(first))
                    .unwrap_or(0);
                return Err(at);
            }
            Err(_) => return Err(0),
        }
    }
    Ok(read)
}
