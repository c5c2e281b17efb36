//! After rendering YAML or JSON the output is parsed again and compared with the template: the
//! same keys and nesting, and every scalar that held a mask holds exactly the secret value where
//! the mask was. So a value can never add a key, end a string or open a comment unnoticed.

use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle};

use super::context::{placeholder, with_placeholders, within};
use crate::source::Span;

/// Whether `value` is inserted as it is in every context and cannot change a YAML or JSON
/// document's structure: non-empty, its first character a letter, digit or `_`, the rest those
/// or `-` or `.`. No indicator, quote, escape, space, break or comment mark can occur, and no
/// `-`/`.` can open a sequence entry or a document marker.
pub fn inert(value: &str) -> bool {
    let mut bytes = value.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// The rendered document differs from the template; `masks` are the ones to blame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    pub masks: Vec<usize>,
}

/// A template that is not a document of its format even with its masks replaced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateSyntax {
    pub offset: usize,
    pub message: String,
}

/// The parts of a YAML event that make up the document's content.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Node {
    Scalar(String),
    Alias(usize),
    SequenceStart,
    SequenceEnd,
    MappingStart,
    MappingEnd,
    DocumentStart,
    DocumentEnd,
}

/// A node with where it stands and, for a block scalar, its chomping indicator.
type Located = (Node, usize, usize, Option<Chomp>);

/// Block-scalar chomping (YAML 1.2 §8.1.1.2): what happens to the final line breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Chomp {
    Clip,
    Strip,
    Keep,
}

impl Chomp {
    /// The chomping indicator of the block scalar whose header starts at `text[start..]`.
    fn of_header(text: &[u8], start: usize) -> Self {
        let header = text[start..]
            .iter()
            .skip(1)
            .take_while(|b| matches!(b, b'+' | b'-' | b'1'..=b'9'));
        let mut chomp = Self::Clip;
        for b in header {
            match b {
                b'+' => chomp = Self::Keep,
                b'-' => chomp = Self::Strip,
                _ => {}
            }
        }
        chomp
    }

    /// A value as this chomping leaves it: a value that came through a block scalar can only
    /// have the final line breaks its indicator allows.
    fn apply(self, value: &str) -> String {
        let body = value.trim_end_matches('\n');
        match self {
            Self::Keep => value.to_owned(),
            Self::Strip => body.to_owned(),
            Self::Clip if body.len() < value.len() => format!("{body}\n"),
            Self::Clip => body.to_owned(),
        }
    }
}

fn yaml_nodes(text: &str) -> Result<Vec<Located>, usize> {
    let mut nodes = Vec::new();
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| e.marker().byte_offset().unwrap_or(0))?;
        let start = span.start.byte_offset().unwrap_or(0);
        let end = span.end.byte_offset().unwrap_or(start);
        let mut chomp = None;
        let node = match event {
            Event::Scalar(value, style, ..) => {
                if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
                    chomp = Some(Chomp::of_header(text.as_bytes(), start));
                }
                Node::Scalar(value.into_owned())
            }
            Event::Alias(id) => Node::Alias(id),
            Event::SequenceStart(..) => Node::SequenceStart,
            Event::SequenceEnd => Node::SequenceEnd,
            Event::MappingStart(..) => Node::MappingStart,
            Event::MappingEnd => Node::MappingEnd,
            Event::DocumentStart(..) => Node::DocumentStart,
            Event::DocumentEnd => Node::DocumentEnd,
            _ => continue,
        };
        nodes.push((node, start, end, chomp));
    }
    Ok(nodes)
}

fn substitute(
    text: &str,
    masks: &[Span],
    values: &[&str],
    indices: std::ops::Range<usize>,
) -> String {
    let mut text = text.to_owned();
    for i in indices {
        let placeholder = placeholder(i, masks[i].len());
        if text.contains(&placeholder) {
            text = text.replace(&placeholder, values[i]);
        }
    }
    text
}

pub fn yaml(
    template: &[u8],
    masks: &[Span],
    values: &[&str],
    rendered: &[u8],
) -> Result<(), Mismatch> {
    let all = || Mismatch {
        masks: (0..masks.len()).collect(),
    };
    let doc = with_placeholders(template, masks, |_| false);
    let expected = yaml_nodes(&String::from_utf8_lossy(&doc)).map_err(|_| all())?;
    let actual = yaml_nodes(&String::from_utf8_lossy(rendered)).map_err(|_| all())?;
    for (i, (node, start, end, chomp)) in expected.iter().enumerate() {
        let inside = within(masks, *start, *end);
        let (want, got) = match (node, actual.get(i)) {
            (Node::Scalar(value), Some((Node::Scalar(got), ..))) => {
                let want = substitute(value, masks, values, inside.clone());
                match chomp {
                    Some(chomp) => (
                        Node::Scalar(chomp.apply(&want)),
                        Some(Node::Scalar(chomp.apply(got))),
                    ),
                    None => (Node::Scalar(want), Some(Node::Scalar(got.clone()))),
                }
            }
            (node, got) => (node.clone(), got.map(|(n, ..)| n.clone())),
        };
        if got.as_ref() != Some(&want) {
            let blamed: Vec<usize> = inside.collect();
            return Err(if blamed.is_empty() {
                all()
            } else {
                Mismatch { masks: blamed }
            });
        }
    }
    if actual.len() != expected.len() {
        return Err(all());
    }
    Ok(())
}

/// `bare[i]` says mask `i` stands outside a string, where its value is JSON text itself.
pub fn json(
    template: &[u8],
    masks: &[Span],
    bare: &[bool],
    values: &[&str],
    rendered: &[u8],
) -> Result<Result<(), Mismatch>, TemplateSyntax> {
    let doc = with_placeholders(template, masks, |i| bare[i]);
    let mut expected: serde_json::Value =
        serde_json::from_slice(&doc).map_err(|e| TemplateSyntax {
            offset: line_col_offset(&doc, e.line(), e.column()),
            message: e.to_string(),
        })?;
    substitute_json(&mut expected, masks, bare, values);
    let all = Mismatch {
        masks: (0..masks.len()).collect(),
    };
    let Ok(actual) = serde_json::from_slice::<serde_json::Value>(rendered) else {
        return Ok(Err(all));
    };
    Ok(if actual == expected { Ok(()) } else { Err(all) })
}

fn substitute_json(value: &mut serde_json::Value, masks: &[Span], bare: &[bool], values: &[&str]) {
    use serde_json::Value;
    match value {
        Value::String(s) => {
            if let Some(i) =
                (0..masks.len()).find(|&i| bare[i] && *s == placeholder(i, masks[i].len() - 2))
            {
                *value = serde_json::from_str(values[i]).unwrap_or(Value::Null);
            } else {
                *s = substitute(s, masks, values, 0..masks.len());
            }
        }
        Value::Array(items) => {
            for item in items {
                substitute_json(item, masks, bare, values);
            }
        }
        Value::Object(map) => {
            let entries: Vec<(String, Value)> = std::mem::take(map).into_iter().collect();
            for (key, mut item) in entries {
                substitute_json(&mut item, masks, bare, values);
                map.insert(substitute(&key, masks, values, 0..masks.len()), item);
            }
        }
        _ => {}
    }
}

/// serde_json reports 1-based line and column; turn them back into a byte offset.
fn line_col_offset(doc: &[u8], line: usize, column: usize) -> usize {
    let line_start = doc
        .split_inclusive(|&b| b == b'\n')
        .take(line.saturating_sub(1))
        .map(<[u8]>::len)
        .sum::<usize>();
    (line_start + column.saturating_sub(1)).min(doc.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inert_values_are_single_plain_tokens() {
        for value in ["a", "value-0001.x", "_x", "123", "true"] {
            assert!(inert(value), "{value}");
        }
        for value in [
            "", "-a", ".x", "a b", "a:b", "a#", "a\"", "a'", "a\\", "a\n", "é", "a,b", "a}",
        ] {
            assert!(!inert(value), "{value}");
        }
    }
}
