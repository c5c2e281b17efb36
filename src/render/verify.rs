//! After rendering YAML, JSON, TOML or dotenv the output is parsed again, by a parser of that
//! format, and compared with the template: the same keys and nesting, and every value that held
//! a mask reads back as exactly the secret value where the mask was (in YAML, with the type the
//! secret gave it). So a value can never add a key, end a string or open a comment unnoticed.

use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle};

use super::context::{Chomp, block_header, placeholder, with_placeholders, within};
use super::escape::Refusal;
use super::schema;
use super::{MaskFailure, TemplateSyntax};
use crate::resolve::Kind;
use crate::source::Span;

/// Whether `value` is inserted as it is in every context and cannot change a YAML or JSON
/// document's structure: non-empty, its first character a letter, digit or `_`, the rest those
/// or `-` or `.`. No indicator, quote, escape, space, break or comment mark can occur, and no
/// `-`/`.` can open a sequence entry or a document marker.
pub(crate) fn inert(value: &str) -> bool {
    let mut bytes = value.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// The rendered document differs from the template; `masks` are the ones to blame, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Mismatch {
    pub masks: Vec<(usize, MaskFailure)>,
}

impl Mismatch {
    /// Every mask, for a change that cannot be pinned on one.
    fn all(count: usize) -> Self {
        Self {
            masks: (0..count).map(|i| (i, MaskFailure::Structure)).collect(),
        }
    }
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

/// A node with where it stands and how a scalar was written.
struct Located {
    node: Node,
    start: usize,
    end: usize,
    /// A block scalar's chomping.
    chomp: Option<Chomp>,
    /// A plain scalar without a tag: its type comes from its text.
    implicit: bool,
}

fn yaml_nodes(text: &str) -> Result<Vec<Located>, usize> {
    let mut nodes = Vec::new();
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| e.marker().byte_offset().unwrap_or(0))?;
        let start = span.start.byte_offset().unwrap_or(0);
        let end = span.end.byte_offset().unwrap_or(start);
        let (mut chomp, mut implicit) = (None, false);
        let node = match event {
            Event::Scalar(value, style, _, tag) => {
                if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
                    let header = block_header(text.as_bytes(), start);
                    chomp = Some(Chomp::of_header(text.as_bytes(), header));
                }
                implicit = style == ScalarStyle::Plain && tag.is_none();
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
        nodes.push(Located {
            node,
            start,
            end,
            chomp,
            implicit,
        });
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

/// `values[i]` is the text a reader should find where mask `i` was, `kinds[i]` its JSON type.
pub(crate) fn yaml(
    template: &[u8],
    masks: &[Span],
    values: &[&str],
    kinds: &[Kind],
    rendered: &[u8],
) -> Result<(), Mismatch> {
    let all = || Mismatch::all(masks.len());
    let doc = with_placeholders(template, masks, |_| false);
    let expected = yaml_nodes(&String::from_utf8_lossy(&doc)).map_err(|_| all())?;
    let actual = yaml_nodes(&String::from_utf8_lossy(rendered)).map_err(|_| all())?;
    for (i, want) in expected.iter().enumerate() {
        let inside = within(masks, want.start, want.end);
        let got = actual.get(i);
        let (wanted, found) = match (&want.node, got.map(|g| &g.node)) {
            (Node::Scalar(value), Some(Node::Scalar(got))) => {
                let wanted = substitute(value, masks, values, inside.clone());
                match want.chomp {
                    Some(chomp) => (
                        Node::Scalar(chomp.apply(&wanted)),
                        Some(Node::Scalar(chomp.apply(got))),
                    ),
                    None => (Node::Scalar(wanted), Some(Node::Scalar(got.clone()))),
                }
            }
            (node, got) => (node.clone(), got.cloned()),
        };
        if found.as_ref() != Some(&wanted) {
            let blamed: Vec<(usize, MaskFailure)> =
                inside.map(|i| (i, MaskFailure::Structure)).collect();
            return Err(if blamed.is_empty() {
                all()
            } else {
                Mismatch { masks: blamed }
            });
        }
        // A plain scalar's type comes from its text: a string value must leave it a string
        // for YAML 1.1 and 1.2 readers alike, and a whole-scalar value must give it its own.
        if let (Some(got), Node::Scalar(text)) = (got, &wanted)
            && got.implicit
            && !inside.is_empty()
        {
            let whole = inside.len() == 1
                && matches!(&want.node, Node::Scalar(v) if *v == placeholder(inside.start, masks[inside.start].len()));
            let typed = schema::non_string(text);
            let expected_string = !whole || kinds[inside.start] == Kind::String;
            if let (true, Some(typed)) = (expected_string, typed) {
                return Err(Mismatch {
                    masks: inside
                        .map(|i| {
                            (
                                i,
                                MaskFailure::Refused(Refusal::YamlPlainType {
                                    typed: typed.describe(),
                                }),
                            )
                        })
                        .collect(),
                });
            }
            if !expected_string && typed.is_none() {
                return Err(Mismatch::all(masks.len()));
            }
        }
    }
    // A value that repeats a key of its mapping makes readers drop one (or fail).
    if actual.len() != expected.len() || duplicate_keys(&actual) > duplicate_keys(&expected) {
        return Err(all());
    }
    Ok(())
}

/// How many scalar keys repeat an earlier key of their mapping.
fn duplicate_keys(nodes: &[Located]) -> usize {
    // Per open collection: the scalar keys seen if a mapping, and how many children so far.
    let mut open: Vec<(Option<std::collections::HashSet<&str>>, usize)> = Vec::new();
    let mut duplicates = 0;
    for located in nodes {
        let is_child = matches!(
            located.node,
            Node::Scalar(_) | Node::Alias(_) | Node::MappingStart | Node::SequenceStart
        );
        if is_child && let Some((keys, children)) = open.last_mut() {
            if let (Some(keys), Node::Scalar(key)) = (keys, &located.node)
                && *children % 2 == 0
                && !keys.insert(key.as_str())
            {
                duplicates += 1;
            }
            *children += 1;
        }
        match located.node {
            Node::MappingStart => open.push((Some(std::collections::HashSet::new()), 0)),
            Node::SequenceStart => open.push((None, 0)),
            Node::MappingEnd | Node::SequenceEnd => {
                open.pop();
            }
            _ => {}
        }
    }
    duplicates
}

/// `bare[i]` says mask `i` stands outside a string, where its value is JSON text itself.
pub(crate) fn json(
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
    if !substitute_json(&mut expected, masks, bare, values) {
        return Ok(Err(Mismatch::all(masks.len())));
    }
    let Ok(actual) = serde_json::from_slice::<serde_json::Value>(rendered) else {
        return Ok(Err(Mismatch::all(masks.len())));
    };
    Ok(if actual == expected {
        Ok(())
    } else {
        Err(Mismatch::all(masks.len()))
    })
}

/// The index of the bare mask whose quoted placeholder `text` is.
fn bare_placeholder(text: &str, masks: &[Span], bare: &[bool]) -> Option<usize> {
    (0..masks.len()).find(|&i| bare[i] && text == placeholder(i, masks[i].len() - 2))
}

/// Substitutes the values; false when a value made a key equal to another key of its object,
/// which readers would merge.
fn substitute_json(
    value: &mut serde_json::Value,
    masks: &[Span],
    bare: &[bool],
    values: &[&str],
) -> bool {
    use serde_json::Value;
    let mut distinct = true;
    match value {
        Value::String(s) => {
            if let Some(i) = bare_placeholder(s, masks, bare) {
                *value = serde_json::from_str(values[i]).unwrap_or(Value::Null);
            } else {
                *s = substitute(s, masks, values, 0..masks.len());
            }
        }
        Value::Array(items) => {
            for item in items {
                distinct &= substitute_json(item, masks, bare, values);
            }
        }
        Value::Object(map) => {
            let entries: Vec<(String, Value)> = std::mem::take(map).into_iter().collect();
            for (key, mut item) in entries {
                distinct &= substitute_json(&mut item, masks, bare, values);
                distinct &= map
                    .insert(substitute(&key, masks, values, 0..masks.len()), item)
                    .is_none();
            }
        }
        _ => {}
    }
    distinct
}

/// TOML, read by the `toml` crate. `bare[i]` says mask `i` stands where a value goes, outside
/// a string: there its text is read as `key = VALUE` reads it.
pub(crate) fn toml(
    template: &[u8],
    masks: &[Span],
    bare: &[bool],
    values: &[&str],
    rendered: &[u8],
) -> Result<Result<(), Mismatch>, TemplateSyntax> {
    let doc = with_placeholders(template, masks, |i| bare[i]);
    let text = String::from_utf8_lossy(&doc);
    let mut expected: toml::Table = text.parse().map_err(|e: toml::de::Error| TemplateSyntax {
        offset: e.span().map_or(0, |s| s.start),
        message: e.message().to_owned(),
    })?;
    substitute_toml_table(&mut expected, masks, bare, values);
    let actual = std::str::from_utf8(rendered)
        .ok()
        .and_then(|text| text.parse::<toml::Table>().ok());
    Ok(match actual {
        Some(actual) if same_toml_table(&actual, &expected) => Ok(()),
        _ => Err(Mismatch::all(masks.len())),
    })
}

fn substitute_toml_table(table: &mut toml::Table, masks: &[Span], bare: &[bool], values: &[&str]) {
    let entries: Vec<(String, toml::Value)> = std::mem::take(table).into_iter().collect();
    for (key, mut item) in entries {
        substitute_toml(&mut item, masks, bare, values);
        table.insert(substitute(&key, masks, values, 0..masks.len()), item);
    }
}

fn substitute_toml(value: &mut toml::Value, masks: &[Span], bare: &[bool], values: &[&str]) {
    match value {
        toml::Value::String(s) => {
            if let Some(i) = bare_placeholder(s, masks, bare) {
                // What the value reads as in `k = VALUE`; escaping refused anything else.
                if let Ok(mut one) = format!("k = {}", values[i]).parse::<toml::Table>()
                    && let Some(read) = one.remove("k")
                {
                    *value = read;
                }
            } else {
                *s = substitute(s, masks, values, 0..masks.len());
            }
        }
        toml::Value::Array(items) => {
            for item in items {
                substitute_toml(item, masks, bare, values);
            }
        }
        toml::Value::Table(table) => substitute_toml_table(table, masks, bare, values),
        _ => {}
    }
}

fn same_toml_table(a: &toml::Table, b: &toml::Table) -> bool {
    a.len() == b.len()
        && a.iter()
            .all(|(key, value)| b.get(key).is_some_and(|other| same_toml(value, other)))
}

/// Equal TOML values, where `nan` equals `nan`: a value `nan` reads back as itself.
fn same_toml(a: &toml::Value, b: &toml::Value) -> bool {
    match (a, b) {
        (toml::Value::Float(x), toml::Value::Float(y)) => x.to_bits() == y.to_bits() || x == y,
        (toml::Value::Array(x), toml::Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_toml(x, y))
        }
        (toml::Value::Table(x), toml::Value::Table(y)) => same_toml_table(x, y),
        _ => a == b,
    }
}

/// dotenv, read by `dotenvy`: the same variables in the same order, each that held a mask
/// reading back as exactly its value.
pub(crate) fn dotenv(
    template: &[u8],
    masks: &[Span],
    values: &[&str],
    rendered: &[u8],
) -> Result<Result<(), Mismatch>, TemplateSyntax> {
    let doc = with_placeholders(template, masks, |_| false);
    let expected: Vec<(String, String)> = read_dotenv(&doc).map_err(|line| TemplateSyntax {
        offset: line_offset(&doc, line),
        message: "dotenvy cannot read this line".to_owned(),
    })?;
    let expected: Vec<(String, String)> = expected
        .into_iter()
        .map(|(key, value)| {
            (
                substitute(&key, masks, values, 0..masks.len()),
                substitute(&value, masks, values, 0..masks.len()),
            )
        })
        .collect();
    Ok(match read_dotenv(rendered) {
        Ok(actual) if actual == expected => Ok(()),
        _ => Err(Mismatch::all(masks.len())),
    })
}

/// The variables of a dotenv file, or the 0-based line that does not parse.
pub(crate) fn read_dotenv(doc: &[u8]) -> Result<Vec<(String, String)>, usize> {
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

pub(crate) fn line_offset(doc: &[u8], line: usize) -> usize {
    doc.split_inclusive(|&b| b == b'\n')
        .take(line)
        .map(<[u8]>::len)
        .sum()
}

/// serde_json reports 1-based line and column; turn them back into a byte offset.
fn line_col_offset(doc: &[u8], line: usize, column: usize) -> usize {
    (line_offset(doc, line.saturating_sub(1)) + column.saturating_sub(1)).min(doc.len())
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
