//! Masks written in a form the grammar does not read: base64 of a mask, JSON `\u` escapes, URL
//! `%` escapes, HTML character references. Render resolves a mask only as written (and in a
//! Kubernetes Secret's `data`, `kubernetes`); any other encoded mask would reach its reader as a
//! literal placeholder, so lint reports it and render refuses it (ARCHITECTURE.md §Invariants).

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, MatchKind};
use base64::Engine;

use crate::source::Span;

/// How a mask was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// Standard or URL-safe base64, at any alignment.
    Base64,
    /// `\u007b\u007bworkato:`, `\x7B\x7Bworkato:` or `workato\u003a`.
    JsonEscape,
    /// `%7B%7Bworkato%3A`.
    UrlEscape,
    /// `&#123;&#123;workato:` or `&lt;&lt;workato:`.
    HtmlReference,
    /// Written so that only the format's reader puts it together: an escaped letter
    /// (`\x77orkato`), a line continuation inside it.
    FormatEscape,
}

impl Encoding {
    pub const fn describe(self) -> &'static str {
        match self {
            Self::Base64 => "base64",
            Self::JsonEscape => "backslash-escaped",
            Self::UrlEscape => "URL-escaped",
            Self::HtmlReference => "HTML-escaped",
            Self::FormatEscape => "format-escaped (escaped letters or a line continuation)",
        }
    }
}

/// A mask in an encoded form: where it is (for base64, the whole base64 token) and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Encoded {
    pub span: Span,
    pub encoding: Encoding,
}

const MARKER: &[u8] = b"workato:";

/// An opener or a colon written with an escape or a character reference, as JSON, YAML, TOML,
/// URLs, XML and HTML write them (any hex case, `&#X7B;`, leading zeros, a missing `;`), before
/// and after a literal `workato`; a match that is a plain `{{workato:` or `<<workato:` is the
/// grammar's.
fn escaped_opener() -> &'static regex::bytes::Regex {
    static PATTERN: OnceLock<regex::bytes::Regex> = OnceLock::new();
    PATTERN.get_or_init(|| {
        let brace = r"(?:\{|\\u007[bB]|\\x7[bB]|\\U0000007[bB]|%7[bB]|&#[xX]0*7[bB];?|&#0*123;?|&lcub;|&lbrace;)";
        let angle = r"(?:<|\\u003[cC]|\\x3[cC]|\\U0000003[cC]|%3[cC]|&#[xX]0*3[cC];?|&#0*60;?|&[lL][tT];?)";
        let colon = r"(?::|\\u003[aA]|\\x3[aA]|\\U0000003[aA]|%3[aA]|&#[xX]0*3[aA];?|&#0*58;?|&colon;)";
        regex::bytes::Regex::new(&format!("(?:{brace}{brace}|{angle}{angle})workato{colon}"))
            .expect("a valid pattern")
    })
}

/// How an escaped opener is written: by its first escape.
fn escape_kind(text: &[u8]) -> Encoding {
    match text.iter().find(|b| matches!(b, b'\\' | b'%' | b'&')) {
        Some(b'%') => Encoding::UrlEscape,
        Some(b'&') => Encoding::HtmlReference,
        _ => Encoding::JsonEscape,
    }
}

/// The base64 characters that `workato:` fixes whatever precedes it, for each of the three
/// alignments and both alphabets: 10 or 11 characters, so a chance match is 1 in 2⁶⁰.
fn base64_forms() -> Vec<String> {
    let mut forms = Vec::new();
    for engine in [
        base64::engine::general_purpose::STANDARD,
        base64::engine::general_purpose::URL_SAFE,
    ] {
        for skew in 0..3 {
            let mut bytes = vec![0u8; skew];
            bytes.extend_from_slice(MARKER);
            bytes.extend_from_slice(&[0, 0]);
            let encoded = engine.encode(&bytes);
            let known = (8 * skew).div_ceil(6)..(8 * (skew + MARKER.len())) / 6;
            forms.push(encoded[known].to_owned());
        }
    }
    forms.sort();
    forms.dedup();
    forms
}

struct Finder {
    automaton: AhoCorasick,
    /// The encoding of each pattern, by pattern id.
    encodings: Vec<Encoding>,
}

fn finder() -> &'static Finder {
    static FINDER: OnceLock<Finder> = OnceLock::new();
    FINDER.get_or_init(|| {
        let mut patterns: Vec<String> = Vec::new();
        let mut encodings = Vec::new();
        for form in base64_forms() {
            patterns.push(form);
            encodings.push(Encoding::Base64);
        }
        Finder {
            automaton: AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostFirst)
                .build(&patterns)
                .expect("literal patterns build"),
            encodings,
        }
    })
}

/// Whether `token` decodes, in either alphabet, to bytes with no mask candidate in them, in any
/// form.
fn decodes_without_mask(token: &[u8]) -> bool {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(token).ok())
        .is_some_and(|decoded| {
            crate::grammar::scan(&decoded).is_empty() && find(&decoded).is_empty()
        })
}

fn is_base64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_' | b'=')
}

/// Every encoded mask in `bytes`, in order. A file without one costs a pass for base64, a
/// `memmem` for `workato` and one for backslash escapes.
pub(crate) fn find(bytes: &[u8]) -> Vec<Encoded> {
    let finder = finder();
    let mut found: Vec<Encoded> = Vec::new();
    // Built and run only for a file with `workato` in it.
    let named = memchr::memmem::find(bytes, b"workato").is_some();
    for hit in named
        .then(|| escaped_opener().find_iter(bytes))
        .into_iter()
        .flatten()
    {
        let text = hit.as_bytes();
        if text == b"{{workato:" || text == b"<<workato:" {
            continue;
        }
        found.push(Encoded {
            span: Span::new(hit.start(), hit.end()),
            encoding: escape_kind(text),
        });
    }
    for hit in finder.automaton.find_iter(bytes) {
        let encoding = finder.encodings[hit.pattern().as_usize()];
        let span = match encoding {
            // The whole token: that is what a reader decodes, and what `kubernetes` replaces.
            Encoding::Base64 => {
                let start = bytes[..hit.start()]
                    .iter()
                    .rposition(|&b| !is_base64(b))
                    .map_or(0, |i| i + 1);
                let end = bytes[hit.end()..]
                    .iter()
                    .position(|&b| !is_base64(b))
                    .map_or(bytes.len(), |i| hit.end() + i);
                // A token that decodes to text without an opener before `workato:` holds no
                // mask; one that does not decode whole is counted, to be safe.
                if decodes_without_mask(&bytes[start..end]) {
                    continue;
                }
                Span::new(start, end)
            }
            _ => Span::new(hit.start(), hit.end()),
        };
        // Two hits in one base64 token are one encoded text.
        if found.last().is_some_and(|last| last.span == span) {
            continue;
        }
        found.push(Encoded { span, encoding });
    }
    let mut hidden = hidden_by_escapes(bytes);
    hidden.retain(|h| {
        !found.iter().any(|f| {
            f.span.start <= h.span.start && h.span.start < f.span.end.max(f.span.start + 1)
        })
    });
    found.extend(hidden);
    found.sort_by_key(|f| f.span.start);
    found
}

/// Whether `bytes` has an escape that can write a character of a mask's opener: `\x`, `\u`,
/// `\U`, or a backslash that continues a line (YAML double-quoted scalars, TOML basic strings),
/// or a numeric character reference.
fn may_hide(bytes: &[u8]) -> bool {
    memchr::memchr_iter(b'\\', bytes)
        .any(|at| matches!(bytes.get(at + 1), Some(b'x' | b'u' | b'U' | b'\n' | b'\r')))
        || memchr::memmem::find(bytes, b"&#").is_some()
}

/// `bytes` with `\\xHH`, `\\uHHHH`, `\\UHHHHHHHH`, `&#N;` and `&#xH;` decoded and backslash line
/// continuations (with the next line's indent) left out, whatever the format: a cheap test of
/// whether any reader could see `workato:` before the file is parsed as one.
fn loosely_unescaped(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    let hex = |digits: &[u8], radix: u32| {
        std::str::from_utf8(digits)
            .ok()
            .and_then(|d| u32::from_str_radix(d, radix).ok())
            .and_then(char::from_u32)
    };
    while at < bytes.len() {
        let rest = &bytes[at..];
        let decoded = match rest {
            [b'\\', b'x', ..] => rest.get(2..4).and_then(|d| hex(d, 16)).map(|c| (c, 4)),
            [b'\\', b'u', ..] => rest.get(2..6).and_then(|d| hex(d, 16)).map(|c| (c, 6)),
            [b'\\', b'U', ..] => rest.get(2..10).and_then(|d| hex(d, 16)).map(|c| (c, 10)),
            [b'&', b'#', ..] => {
                let end = rest.iter().take(12).position(|&b| b == b';');
                end.and_then(|end| match rest[2] {
                    b'x' | b'X' => hex(&rest[3..end], 16),
                    _ => hex(&rest[2..end], 10),
                })
                .map(|c| (c, end.unwrap_or(0) + 1))
            }
            [b'\\', b'\r' | b'\n', ..] => {
                let skip = rest[1..]
                    .iter()
                    .position(|b| !b" \t\r\n".contains(b))
                    .map_or(rest.len(), |p| p + 1);
                at += skip;
                continue;
            }
            _ => None,
        };
        match decoded {
            Some((c, len)) => {
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                at += len;
            }
            None => {
                out.push(bytes[at]);
                at += 1;
            }
        }
    }
    out
}

/// Masks that `bytes`, read as JSON, TOML, YAML or XML (whichever reads it), holds in its strings
/// but not as written: an opener or a letter of `workato` escaped, or a mask split by a line
/// continuation. Every reader of the format sees the mask; render and lint judge the text as
/// that reader does. Each is placed where the raw text keeps most of it.
fn hidden_by_escapes(bytes: &[u8]) -> Vec<Encoded> {
    if !may_hide(bytes) || memchr::memmem::find(&loosely_unescaped(bytes), MARKER).is_none() {
        return Vec::new();
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Vec::new();
    };
    let Some(strings) = decoded_strings(text) else {
        return Vec::new();
    };
    let written = |mask: &str| memchr::memmem::find_iter(bytes, mask.as_bytes()).count();
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut hidden = Vec::new();
    for string in &strings {
        if !crate::grammar::has_candidates(string.as_bytes()) && !string.contains("workato:") {
            continue;
        }
        for candidate in crate::grammar::scan(string.as_bytes()) {
            let span = match &candidate {
                Ok(mask) => mask.span,
                Err(error) => error.span,
            };
            let mask = &string[span.range()];
            let count = seen.entry(mask.to_owned()).or_default();
            *count += 1;
            if *count <= written(mask) {
                continue;
            }
            hidden.push(Encoded {
                span: place(bytes, mask),
                encoding: Encoding::FormatEscape,
            });
        }
    }
    hidden
}

/// Where the raw text holds the longest tail of `mask`, or its start.
fn place(bytes: &[u8], mask: &str) -> Span {
    let tail_from = |from: usize| memchr::memmem::find(bytes, &mask.as_bytes()[from..]);
    (0..mask.len().saturating_sub(8))
        .filter(|&from| mask.is_char_boundary(from))
        .find_map(|from| tail_from(from).map(|at| Span::new(at, at + mask.len() - from)))
        .unwrap_or(Span::new(0, 0))
}

/// Every string (keys too) of `text` as JSON, TOML, YAML or XML decodes it; `None` when no
/// reader of these takes it.
fn decoded_strings(text: &str) -> Option<Vec<String>> {
    if let Ok(Strings(all)) = serde_json::from_str(text) {
        return Some(all);
    }
    let markup = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('<');
    if let Some(doc) = markup
        .then(|| roxmltree::Document::parse(text).ok())
        .flatten()
    {
        let mut all = Vec::new();
        for node in doc.descendants() {
            all.extend(
                node.is_text()
                    .then(|| node.text())
                    .flatten()
                    .map(str::to_owned),
            );
            all.extend(node.attributes().map(|a| a.value().to_owned()));
        }
        return Some(all);
    }
    if let Ok(Strings(all)) = toml::from_str(text) {
        return Some(all);
    }
    if let Ok(docs) = serde_saphyr::from_multiple::<Strings>(text) {
        return Some(docs.into_iter().flat_map(|d| d.0).collect());
    }
    None
}

/// Every string of a document, through serde: keys and values alike.
struct Strings(Vec<String>);

impl<'de> serde::Deserialize<'de> for Strings {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StringsVisitor)
    }
}

struct StringsVisitor;

impl<'de> serde::de::Visitor<'de> for StringsVisitor {
    type Value = Strings;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any value")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Strings, E> {
        Ok(Strings(vec![v.to_owned()]))
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Strings, E> {
        Ok(Strings(Vec::new()))
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Strings, E> {
        Ok(Strings(Vec::new()))
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Strings, E> {
        Ok(Strings(Vec::new()))
    }
    fn visit_i128<E: serde::de::Error>(self, _: i128) -> Result<Strings, E> {
        Ok(Strings(Vec::new()))
    }
    fn visit_u128<E: serde::de::Error>(self, _: u128) -> Result<Strings, E> {
        Ok(Strings(Vec::new()))
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Strings, E> {
        Ok(Strings(Vec::new()))
    }
    fn visit_bytes<E: serde::de::Error>(self, _: &[u8]) -> Result<Strings, E> {
        Ok(Strings(Vec::new()))
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Strings, E> {
        Ok(Strings(Vec::new()))
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<Strings, E> {
        Ok(Strings(Vec::new()))
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Strings, D::Error> {
        serde::Deserialize::deserialize(d)
    }
    fn visit_newtype_struct<D: serde::Deserializer<'de>>(self, d: D) -> Result<Strings, D::Error> {
        serde::Deserialize::deserialize(d)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Strings, A::Error> {
        let mut all = Vec::new();
        while let Some(Strings(more)) = seq.next_element()? {
            all.extend(more);
        }
        Ok(Strings(all))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Strings, A::Error> {
        let mut all = Vec::new();
        while let Some(Strings(key)) = map.next_key()? {
            all.extend(key);
            let Strings(value) = map.next_value()?;
            all.extend(value);
        }
        Ok(Strings(all))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encodings(text: &str) -> Vec<Encoding> {
        find(text.as_bytes()).iter().map(|e| e.encoding).collect()
    }

    #[test]
    fn base64_of_a_mask_is_found_at_every_alignment_in_both_alphabets() {
        let mask = "{{workato:sm:k:arn:aws:secretsmanager:us-east-1:123456789012:secret:a-AbCdEf}}";
        for skew in 0..3 {
            let text = format!("{}{mask}", "x".repeat(skew));
            for engine in [
                base64::engine::general_purpose::STANDARD,
                base64::engine::general_purpose::URL_SAFE,
                base64::engine::general_purpose::STANDARD_NO_PAD,
            ] {
                let encoded = engine.encode(&text);
                let doc = format!("data:\n  password: {encoded}\n");
                let found = find(doc.as_bytes());
                assert_eq!(found.len(), 1, "{doc}");
                assert_eq!(found[0].encoding, Encoding::Base64);
                assert_eq!(&doc[found[0].span.range()], encoded, "the whole token");
            }
        }
    }

    #[test]
    fn escaped_masks_are_found() {
        assert_eq!(
            encodings(r#"{"a": "\u007b\u007bworkato:sm:k:arn}}"}"#),
            [Encoding::JsonEscape]
        );
        assert_eq!(
            encodings("https://x/?v=%7B%7Bworkato%3Avault%3Ak%3Akv%2Fa%7D%7D"),
            [Encoding::UrlEscape]
        );
        assert_eq!(
            encodings("<p>&lt;&lt;workato:akv:k:https://v.vault.azure.net/secrets/s&gt;&gt;</p>"),
            [Encoding::HtmlReference]
        );
    }

    #[test]
    fn every_way_a_reader_decodes_an_opener_is_found() {
        let tail = "workato:vault:k:kv/app}}";
        for (doc, encoding) in [
            (format!(r#"a: "\x7B\x7B{tail}""#), Encoding::JsonEscape),
            (
                format!(r#"a: "\U0000007B\U0000007B{tail}""#),
                Encoding::JsonEscape,
            ),
            (
                format!(r#"{{"a": "{{\u007b{tail}"}}"#),
                Encoding::JsonEscape,
            ),
            (
                format!("<p>&lcub;&lcub;{tail}</p>"),
                Encoding::HtmlReference,
            ),
            (
                format!("<p>&#X7B;&#X7B;{tail}</p>"),
                Encoding::HtmlReference,
            ),
            (
                format!("<p>&#0123;&#0123;{tail}</p>"),
                Encoding::HtmlReference,
            ),
            (format!("<p>&LT;&LT;{tail}</p>"), Encoding::HtmlReference),
            (format!("<p>&#x7b&#x7b{tail}</p>"), Encoding::HtmlReference),
        ] {
            assert_eq!(encodings(&doc), [encoding], "{doc}");
        }
    }

    #[test]
    fn masks_put_together_by_a_formats_reader_are_found() {
        for doc in [
            // YAML: escaped letters, a `\`-continued double-quoted scalar.
            "a: \"{{\\x77orkato:vault:k:kv/app}}\"\n",
            "a: \"{{work\\\n  ato:vault:k:kv/app}}\"\n",
            // TOML: a line-ending backslash in a multi-line basic string.
            "a = \"\"\"{{work\\\n  ato:vault:k:kv/app}}\"\"\"\n",
            // JSON: an escaped letter.
            "{\"a\": \"{{w\\u006frkato:vault:k:kv/app}}\"}",
            // XML: a character reference for a letter.
            "<a>{{&#119;orkato:vault:k:kv/app}}</a>",
        ] {
            let found = find(doc.as_bytes());
            assert_eq!(found.len(), 1, "{doc}");
            assert_eq!(found[0].encoding, Encoding::FormatEscape, "{doc}");
            assert!(doc[found[0].span.range()].ends_with("kv/app}}"), "{doc}");
        }
    }

    #[test]
    fn a_mask_written_as_itself_among_escapes_is_not_hidden() {
        assert!(encodings("a: \"{{workato:vault:k:kv/app}} \\u00e9\"\nb: \"\\x41\"\n").is_empty());
        assert!(
            encodings("{\"a\": \"{{workato:vault:k:kv/app}}\", \"b\": \"\\u00e9\"}").is_empty()
        );
    }

    #[test]
    fn base64_of_workato_without_an_opener_is_no_mask() {
        let encoded = base64::engine::general_purpose::STANDARD.encode("{[workato:vault");
        assert!(find(format!("a: {encoded}\n").as_bytes()).is_empty());
    }

    #[test]
    fn plain_masks_and_ordinary_text_are_not_encoded_masks() {
        assert!(
            encodings("a: {{workato:vault:k:kv/app}}\nb: <<workato:vault:k:kv/app>>\n").is_empty()
        );
        assert!(encodings("dGhlIHF1aWNrIGJyb3duIGZveA== workato %7B%7B x").is_empty());
    }
}
