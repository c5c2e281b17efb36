//! JSON: a scanner that tells strings from value positions, JSON string escapes, and the
//! re-read by serde_json: the same document with each value where its mask was.

use std::borrow::Cow;

use super::{
    Mismatch, Placed, Slot, Syntax, TemplateSyntax, bare_placeholder, substitute_all,
    with_placeholders,
};
use crate::source::Span;

/// JSON's rules.
pub(crate) struct Json;

/// Where a mask stands in JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Context {
    /// Inside a string.
    String,
    /// A value position outside a string: only a number, boolean or null fits.
    Bare,
    /// A key outside quotes, which no value can make JSON.
    Key,
}

/// Why a value cannot stand where its JSON mask is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// A string outside JSON quotes.
    #[error(
        "outside a JSON string only a number, true, false or null fits; put the mask in a string: \"…\""
    )]
    Bare,
    /// A key outside quotes.
    #[error(
        "a JSON key outside quotes is not JSON whatever the value; put the mask in a string: \"…\""
    )]
    Key,
}

impl Syntax for Json {
    type Context = Context;

    fn claims(_: &str, extension: &str) -> bool {
        extension == "json"
    }

    /// A template that is not JSON (a trailing comma, junk after the value) is an error here,
    /// even where no value could change the output's shape.
    fn place(template: &mut [u8], masks: &[Span]) -> Result<Placed<Context>, TemplateSyntax> {
        let contexts = contexts(template, masks);
        let doc = with_placeholders(template, masks, |i| contexts[i] != Context::String);
        serde_json::from_slice::<serde::de::IgnoredAny>(&doc).map_err(|e| TemplateSyntax {
            offset: line_col_offset(&doc, e.line(), e.column()),
            message: e.to_string(),
        })?;
        // A key ends before its `:` on the same line: a mask with one after it may be in a
        // key (a cheap over-estimate; it only costs the re-read).
        let in_key = super::separator_follows(template, masks, b":");
        Ok(Placed { contexts, in_key })
    }

    fn escape<'v>(
        value: &'v crate::resolve::Value,
        context: &Context,
    ) -> Result<Cow<'v, str>, super::Refusal> {
        use secrecy::ExposeSecret;
        let parsed = value.is_parsed();
        let value = value.expose_secret();
        match context {
            Context::String => {
                let quoted = serde_json::to_string(value).expect("a string serializes");
                Ok(Cow::Owned(quoted[1..quoted.len() - 1].to_owned()))
            }
            Context::Bare => match serde_json::from_str::<serde_json::Value>(value) {
                Ok(
                    serde_json::Value::Number(_)
                    | serde_json::Value::Bool(_)
                    | serde_json::Value::Null,
                ) if value.trim() == value => Ok(Cow::Borrowed(value)),
                // `jsonParse`'s collection, compact JSON: the JSON value it is.
                Ok(serde_json::Value::Array(_) | serde_json::Value::Object(_)) if parsed => {
                    Ok(Cow::Borrowed(value))
                }
                _ => Err(Refusal::Bare.into()),
            },
            Context::Key => Err(Refusal::Key.into()),
        }
    }

    fn takes_json(context: &Context) -> bool {
        *context == Context::Bare
    }

    const HAS_NEVER: bool = true;

    fn never(context: &Context) -> Option<&'static str> {
        (*context == Context::Key).then_some("in a JSON key outside quotes")
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
        let mut expected: serde_json::Value =
            serde_json::from_slice(&doc).map_err(|e| TemplateSyntax {
                offset: line_col_offset(&doc, e.line(), e.column()),
                message: e.to_string(),
            })?;
        let all = || Mismatch::all(slots.len());
        if !substitute_json(&mut expected, slots) {
            return Ok(Err(all()));
        }
        Ok(
            match serde_json::from_slice::<serde_json::Value>(rendered) {
                Ok(actual) if actual == expected => Ok(()),
                _ => Err(all()),
            },
        )
    }
}

/// The context of each mask: inside a string or not.
fn contexts(doc: &[u8], masks: &[Span]) -> Vec<Context> {
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
        let next = doc[mask.end..].iter().find(|b| !b.is_ascii_whitespace());
        found.push(if in_string {
            Context::String
        } else if next == Some(&b':') {
            Context::Key
        } else {
            Context::Bare
        });
        i = mask.end;
    }
    found
}

/// Whether the template, its masks replaced (quoted where they stand outside strings), is a
/// JSON document whose root is an object or an array.
pub(crate) fn is_collection(template: &[u8], masks: &[Span]) -> bool {
    let bare: Vec<bool> = contexts(template, masks)
        .iter()
        .map(|c| *c != Context::String)
        .collect();
    let quoted = with_placeholders(template, masks, |i| bare[i]);
    serde_json::from_slice::<serde_json::Value>(&quoted)
        .is_ok_and(|v| v.is_object() || v.is_array())
}

/// Substitutes the values; false when a value made a key equal to another key of its object,
/// which readers would merge.
fn substitute_json(value: &mut serde_json::Value, slots: &[Slot<'_, Context>]) -> bool {
    use serde_json::Value;
    let mut distinct = true;
    match value {
        Value::String(s) => {
            if let Some(i) = bare_placeholder(s, slots, |c| *c == Context::Bare) {
                *value = serde_json::from_str(slots[i].text()).unwrap_or(Value::Null);
            } else {
                *s = substitute_all(s, slots);
            }
        }
        Value::Array(items) => {
            for item in items {
                distinct &= substitute_json(item, slots);
            }
        }
        Value::Object(map) => {
            let entries: Vec<(String, Value)> = std::mem::take(map).into_iter().collect();
            for (key, mut item) in entries {
                distinct &= substitute_json(&mut item, slots);
                distinct &= map.insert(substitute_all(&key, slots), item).is_none();
            }
        }
        _ => {}
    }
    distinct
}

/// A parser's 1-based line and column, turned back into a byte offset.
pub(crate) fn line_col_offset(doc: &[u8], line: usize, column: usize) -> usize {
    (super::line_offset(doc, line.saturating_sub(1)) + column.saturating_sub(1)).min(doc.len())
}
