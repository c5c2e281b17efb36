//! Where each mask stands in its output format: the quoting context that decides its escaping.
//!
//! Contexts are read from a copy of the template in which every mask is replaced by a placeholder
//! of the same length made of letters and digits, so byte offsets stay put and the copy parses
//! where the template would not (`key: {{…}}` is a flow mapping to a YAML parser).

use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle};

use super::Format;
use crate::source::Span;

/// The quoting context of one mask.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Context {
    /// No escaping (`--as text`, `--escape none`).
    Raw,
    /// Outside any value where a newline would end the construct (a comment).
    Line,
    JsonString,
    /// A JSON value position outside a string: only a number, boolean or null fits.
    JsonBare,
    YamlDouble,
    YamlSingle,
    /// A plain scalar; whether the mask starts or ends it decides which characters are safe.
    YamlPlain {
        at_start: bool,
        at_end: bool,
    },
    /// A literal block scalar; continuation lines get the indentation of the mask's line.
    YamlLiteral {
        indent: String,
    },
    YamlFolded,
    ShellSingle,
    ShellDouble,
    ShellBare,
    EnvSingle,
    EnvDouble,
    EnvBare,
    TomlBasic,
    TomlLiteral,
    TomlMultiBasic,
    TomlMultiLiteral,
    /// A TOML value position outside a string: a number or boolean.
    TomlBare,
}

/// A placeholder of exactly `len` bytes for mask `index`, unique in the document.
pub fn placeholder(index: usize, len: usize) -> String {
    let mut text = format!("SMq{index}q");
    while text.len() < len {
        text.push('x');
    }
    text
}

/// The template with each mask replaced by its placeholder; `quoted` wraps the placeholder in
/// double quotes (for JSON value positions) when it says so for that mask.
pub fn with_placeholders(
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

/// A YAML document that does not parse, even with its masks replaced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlSyntax {
    pub offset: usize,
    pub message: String,
}

pub fn contexts(
    format: Format,
    template: &[u8],
    masks: &[Span],
) -> Result<Vec<Context>, YamlSyntax> {
    match format {
        Format::Text => Ok(vec![Context::Raw; masks.len()]),
        Format::Yaml => yaml(&with_placeholders(template, masks, |_| false), masks),
        Format::Json => Ok(json(template, masks)),
        Format::Env | Format::Shell => Ok(shell(template, masks, format == Format::Env)),
        Format::Toml => Ok(toml(template, masks)),
    }
}

fn yaml(doc: &[u8], masks: &[Span]) -> Result<Vec<Context>, YamlSyntax> {
    let text = String::from_utf8_lossy(doc);
    let mut found = vec![Context::Line; masks.len()];
    for event in Parser::new_from_str(&text) {
        let (event, span) = event.map_err(|e| YamlSyntax {
            offset: e.marker().byte_offset().unwrap_or(0),
            message: e.info(),
        })?;
        let Event::Scalar(_, style, ..) = event else {
            continue;
        };
        let (Some(start), Some(end)) = (span.start.byte_offset(), span.end.byte_offset()) else {
            continue;
        };
        // Masks are in file order: only those starting inside the scalar can be in it.
        for i in within(masks, start, end) {
            let mask = &masks[i];
            if mask.end > end {
                continue;
            }
            found[i] = match style {
                ScalarStyle::Plain => Context::YamlPlain {
                    at_start: mask.start == start,
                    at_end: mask.end == end,
                },
                ScalarStyle::SingleQuoted => Context::YamlSingle,
                ScalarStyle::DoubleQuoted => Context::YamlDouble,
                ScalarStyle::Literal => Context::YamlLiteral {
                    indent: line_indent(doc, mask.start),
                },
                ScalarStyle::Folded => Context::YamlFolded,
            };
        }
    }
    Ok(found)
}

/// Indices of the masks (sorted, not overlapping) that start in `start..end`.
pub fn within(masks: &[Span], start: usize, end: usize) -> std::ops::Range<usize> {
    masks.partition_point(|m| m.start < start)..masks.partition_point(|m| m.start < end)
}

/// The spaces that start the line holding `offset`.
fn line_indent(doc: &[u8], offset: usize) -> String {
    let line_start = memchr::memrchr(b'\n', &doc[..offset]).map_or(0, |i| i + 1);
    let spaces = doc[line_start..offset]
        .iter()
        .take_while(|&&b| b == b' ')
        .count();
    " ".repeat(spaces)
}

fn json(doc: &[u8], masks: &[Span]) -> Vec<Context> {
    let mut found = Vec::with_capacity(masks.len());
    let mut in_string = false;
    let mut i = 0;
    for mask in masks {
        while i < mask.start {
            match doc[i] {
                b'\\' if in_string => i += 1,
                b'"' => in_string = !in_string,
                _ => {}
            }
            i += 1;
        }
        found.push(if in_string {
            Context::JsonString
        } else {
            Context::JsonBare
        });
        i = mask.end;
    }
    found
}

/// POSIX shell and dotenv quoting: single quotes take everything literally, double quotes
/// honour `\`, and `#` at the start of a word outside quotes begins a comment.
fn shell(doc: &[u8], masks: &[Span], dotenv: bool) -> Vec<Context> {
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
        found.push(match (&state, dotenv) {
            (State::Bare, false) => Context::ShellBare,
            (State::Single, false) => Context::ShellSingle,
            (State::Double, false) => Context::ShellDouble,
            (State::Bare, true) => Context::EnvBare,
            (State::Single, true) => Context::EnvSingle,
            (State::Double, true) => Context::EnvDouble,
            (State::Comment, _) => Context::Line,
        });
        i = mask.end;
    }
    found
}

fn toml(doc: &[u8], masks: &[Span]) -> Vec<Context> {
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
        found.push(match state {
            State::Bare => Context::TomlBare,
            State::Basic => Context::TomlBasic,
            State::Literal => Context::TomlLiteral,
            State::MultiBasic => Context::TomlMultiBasic,
            State::MultiLiteral => Context::TomlMultiLiteral,
            State::Comment => Context::Line,
        });
        i = mask.end;
    }
    found
}
