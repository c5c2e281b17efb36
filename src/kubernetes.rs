//! Kubernetes Secrets keep `data` values in base64. A chart that encodes a mask
//! (`password: {{ $mask | b64enc }}`) would otherwise ship it unresolved: in every YAML document
//! whose `kind` is `Secret`, each `data` value that decodes to text holding masks is found here,
//! so render can resolve the masks in the decoded text and encode the result again, and lint can
//! check them (ARCHITECTURE.md §One mask).

use base64::Engine;
use serde_saphyr::granit_parser::{Event, ScalarStyle};

use crate::encoded::{Encoded, Encoding};
use crate::source::Span;
use crate::syntax::Syntaxes;

/// One `data` value of a Secret, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataValue {
    /// The value's text in the document, quotes excluded.
    pub span: Span,
    /// Whether the value is a plain scalar (a replacement a YAML reader would type gets quoted).
    pub plain: bool,
    /// Whether the value is written on one line without escapes, so it can be replaced in place.
    pub in_place: bool,
    /// The decoded text.
    pub decoded: String,
    /// Its masks and near misses (spans into `decoded`).
    pub candidates: Vec<crate::grammar::Candidate>,
    /// Base64 inside the decoded text that decodes to masks (the `auth` of a
    /// `.dockerconfigjson`): each a value of its own, resolved and encoded again in its place.
    pub nested: Vec<Nested>,
    /// Masks in the decoded text in a form nothing decodes (JSON escapes, say): refused.
    pub(crate) hidden: Vec<Encoded>,
}

/// Base64 inside a decoded `data` value, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nested {
    /// The base64 text, in the decoded value.
    pub span: Span,
    /// The alphabet and padding it is written with, to write it again alike.
    pub engine: Base64,
    /// The decoded text.
    pub decoded: String,
    /// Its masks and near misses (spans into `decoded`); never empty.
    pub candidates: Vec<crate::grammar::Candidate>,
}

/// How a base64 text is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Base64 {
    /// `-` and `_` instead of `+` and `/`.
    pub url_safe: bool,
    /// `=` at the end.
    pub padded: bool,
}

impl Base64 {
    fn of(token: &str) -> Self {
        Self {
            url_safe: token.contains(['-', '_']),
            padded: token.len().is_multiple_of(4),
        }
    }

    fn engine(self) -> base64::engine::GeneralPurpose {
        use base64::engine::general_purpose::{
            STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD,
        };
        match (self.url_safe, self.padded) {
            (false, true) => STANDARD,
            (false, false) => STANDARD_NO_PAD,
            (true, true) => URL_SAFE,
            (true, false) => URL_SAFE_NO_PAD,
        }
    }

    /// `bytes` written this way.
    pub fn encode(self, bytes: &[u8]) -> String {
        self.engine().encode(bytes)
    }
}

/// The Secret `data` values of `stream` that hold masks (looked for only when a base64 hit in
/// `found` suggests one), and the encoded masks of `found` outside them: those nothing decodes.
pub(crate) fn split(
    stream: &[u8],
    found: Vec<Encoded>,
    syntaxes: &Syntaxes,
) -> (Vec<DataValue>, Vec<Encoded>) {
    // A value wrapped over lines may break `workato:`'s base64 where no hit sees it: a stream
    // with a Secret or a ConfigMap's `binaryData` is read whole.
    let data = if found.iter().any(|e| e.encoding == Encoding::Base64) || may_hold_data(stream) {
        masked_data(stream, syntaxes)
    } else {
        Vec::new()
    };
    let outside = found
        .into_iter()
        .filter(|hit| !data.iter().any(|v| v.span.contains(hit.span)))
        .collect();
    (data, outside)
}

/// Whether `stream` may hold a Secret or a ConfigMap's `binaryData`.
pub(crate) fn may_hold_data(stream: &[u8]) -> bool {
    memchr::memmem::find(stream, b"Secret").is_some()
        || memchr::memmem::find(stream, b"binaryData").is_some()
}

/// The `data` values of every Secret in a YAML (or JSON) stream that decode (standard base64,
/// as the API server reads them) to UTF-8 text holding `workato:`, and the `binaryData` values
/// of every ConfigMap: a Secret is any mapping with `kind: Secret`, a document's root or an item
/// of a `kind: List`. A stream that is not YAML has none.
pub(crate) fn masked_data(stream: &[u8], syntaxes: &Syntaxes) -> Vec<DataValue> {
    let Ok(text) = std::str::from_utf8(stream) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    // Each open collection, innermost last.
    let mut open: Vec<Collection> = Vec::new();
    for event in crate::source::yaml_parser(text) {
        let Ok((event, span)) = event else {
            return found;
        };
        // For a mapping's child: whether it is a key, and the key it is the value of.
        let mut is_key = false;
        let mut value_of: Option<String> = None;
        if crate::source::is_yaml_node(&event)
            && let Some(Collection::Mapping(mapping)) = open.last_mut()
        {
            is_key = mapping.children % 2 == 0;
            mapping.children += 1;
            if !is_key {
                value_of = mapping.key.take();
            }
        }
        if crate::source::is_yaml_node(&event)
            && let Some(Collection::Sequence(children)) = open.last_mut()
        {
            *children += 1;
        }
        let parent = open.len().checked_sub(1);
        match event {
            Event::MappingStart(..) => open.push(Collection::Mapping(Mapping {
                data_of: parent.filter(|_| value_of.as_deref() == Some("data")),
                binary_of: parent.filter(|_| value_of.as_deref() == Some("binaryData")),
                ..Mapping::default()
            })),
            Event::SequenceStart(..) => open.push(Collection::Sequence(0)),
            Event::MappingEnd => {
                if let Some(Collection::Mapping(mapping)) = open.pop() {
                    match mapping.kind.as_deref() {
                        Some("Secret") => found.extend(mapping.data),
                        Some("ConfigMap") => found.extend(mapping.binary),
                        _ => {}
                    }
                }
            }
            Event::SequenceEnd => {
                open.pop();
            }
            Event::Scalar(value, style, ..) => {
                let Some(Collection::Mapping(mapping)) = open.last_mut() else {
                    continue;
                };
                if is_key {
                    mapping.key = Some(value.into_owned());
                    continue;
                }
                if value_of.as_deref() == Some("kind") {
                    mapping.kind = Some(value.to_string());
                }
                let (owner, binary) = match (mapping.data_of, mapping.binary_of) {
                    (Some(owner), _) => (owner, false),
                    (None, Some(owner)) => (owner, true),
                    (None, None) => continue,
                };
                let (Some(start), Some(end)) = (span.start.byte_offset(), span.end.byte_offset())
                else {
                    continue;
                };
                if let Some(data) = decode(text, Span::new(start, end), (&value, style), syntaxes)
                    && let Some(Collection::Mapping(owner)) = open.get_mut(owner)
                {
                    if binary {
                        owner.binary.push(data);
                    } else {
                        owner.data.push(data);
                    }
                }
            }
            _ => {}
        }
    }
    found.sort_by_key(|d| d.span.start);
    found
}

/// An open collection of the stream.
enum Collection {
    Mapping(Mapping),
    /// How many children so far.
    Sequence(usize),
}

#[derive(Default)]
struct Mapping {
    /// How many keys and values so far.
    children: usize,
    /// The key whose value comes next.
    key: Option<String>,
    /// Its `kind:`.
    kind: Option<String>,
    /// For the value of a `data:` key: the index of the mapping that holds it.
    data_of: Option<usize>,
    /// For the value of a `binaryData:` key: the index of the mapping that holds it.
    binary_of: Option<usize>,
    /// Its `data:` values holding masks.
    data: Vec<DataValue>,
    /// Its `binaryData:` values holding masks.
    binary: Vec<DataValue>,
}

fn decode(
    text: &str,
    node: Span,
    (value, style): (&str, ScalarStyle),
    syntaxes: &Syntaxes,
) -> Option<DataValue> {
    // Line breaks in a folded or literal value are not part of the base64 (the API server's
    // decoder skips them too).
    let compact: String = value.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let decoded = match base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()) {
        Ok(bytes) => String::from_utf8(bytes).ok()?,
        // argocd-vault-plugin's `<path:…#key | base64encode>` as the whole value: the base64 of
        // its placeholder, as far as rendering goes.
        Err(_) => syntaxes.avp_base64encoded(value)?,
    };
    // `workato:` after an opener: a mask or a near miss of one.
    let candidates = syntaxes.scan(decoded.as_bytes());
    let (nested, hidden) = nested_in(&decoded, syntaxes);
    if candidates.is_empty() && nested.is_empty() && hidden.is_empty() {
        return None;
    }
    let raw = &text[node.range()];
    let (span, in_place) = match style {
        ScalarStyle::Plain => (node, raw == value),
        ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
            let inner = Span::new(
                node.start + 1,
                node.end.saturating_sub(1).max(node.start + 1),
            );
            (inner, &text[inner.range()] == value)
        }
        ScalarStyle::Literal | ScalarStyle::Folded => (node, false),
    };
    Some(DataValue {
        span,
        plain: style == ScalarStyle::Plain,
        in_place,
        decoded,
        candidates,
        nested,
        hidden,
    })
}

/// The base64 texts inside a decoded value that decode to masks, and the masks in it that
/// nothing decodes.
fn nested_in(decoded: &str, syntaxes: &Syntaxes) -> (Vec<Nested>, Vec<Encoded>) {
    let mut nested = Vec::new();
    let mut hidden = Vec::new();
    for hit in crate::encoded::find(decoded.as_bytes()) {
        let token = &decoded[hit.span.range()];
        let inner = (hit.encoding == Encoding::Base64)
            .then(|| Base64::of(token))
            .and_then(|how| Some((how, how.engine().decode(token).ok()?)))
            .and_then(|(how, bytes)| Some((how, String::from_utf8(bytes).ok()?)));
        match inner {
            Some((engine, text)) => nested.push(Nested {
                span: hit.span,
                engine,
                candidates: syntaxes.scan(text.as_bytes()),
                decoded: text,
            }),
            None => hidden.push(hit),
        }
    }
    (nested, hidden)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(text: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(text)
    }

    const MASK: &str = "{{workato:vault:password:kv/app/db}}";

    #[test]
    fn data_values_of_secrets_are_found_in_every_style() {
        let encoded = b64(MASK);
        let stream = format!(
            "# Source: chart/templates/secret.yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  plain: {encoded}\n  double: \"{encoded}\"\n  single: '{encoded}'\n  other: {}\nstringData:\n  s: {encoded}\n",
            b64("no mask")
        );
        let found = masked_data(stream.as_bytes(), &Syntaxes::default());
        assert_eq!(found.len(), 3);
        for (value, plain) in found.iter().zip([true, false, false]) {
            assert_eq!(&stream[value.span.range()], encoded);
            assert_eq!(value.decoded, MASK);
            assert_eq!(value.plain, plain);
            assert!(value.in_place);
        }
    }

    #[test]
    fn only_secrets_count_and_kind_may_come_last() {
        let encoded = b64(MASK);
        let stream = format!(
            "apiVersion: v1\nkind: ConfigMap\ndata:\n  a: {encoded}\n---\ndata:\n  b: {encoded}\nkind: Secret\n---\nkind: Secret\nmetadata:\n  data:\n    c: {encoded}\n"
        );
        let found = masked_data(stream.as_bytes(), &Syntaxes::default());
        assert_eq!(found.len(), 1);
        assert!(stream[..found[0].span.start].ends_with("b: "));
    }

    #[test]
    fn secrets_in_a_list_and_in_json_count() {
        let encoded = b64(MASK);
        let stream = format!(
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  data:\n    a: {encoded}\n- kind: ConfigMap\n  data:\n    b: {encoded}\n"
        );
        let found = masked_data(stream.as_bytes(), &Syntaxes::default());
        assert_eq!(found.len(), 1);
        assert!(stream[..found[0].span.start].ends_with("a: "));
        let json = format!(
            "{{\"apiVersion\": \"v1\", \"kind\": \"Secret\", \"data\": {{\"a\": \"{encoded}\"}}}}"
        );
        let found = masked_data(json.as_bytes(), &Syntaxes::default());
        assert_eq!(found.len(), 1);
        assert_eq!(&json[found[0].span.range()], encoded);
    }

    #[test]
    fn a_block_value_is_found_but_not_replaced_in_place() {
        let encoded = b64(MASK);
        let (head, tail) = encoded.split_at(20);
        let stream = format!("kind: Secret\ndata:\n  a: |\n    {head}\n    {tail}\n");
        let found = masked_data(stream.as_bytes(), &Syntaxes::default());
        assert_eq!(found.len(), 1);
        assert!(!found[0].in_place);
        assert_eq!(found[0].decoded, MASK);
    }
}
