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
    /// `\u007b\u007bworkato:` or `workato\u003a`.
    JsonEscape,
    /// `%7B%7Bworkato%3A`.
    UrlEscape,
    /// `&#123;&#123;workato:` or `&lt;&lt;workato:`.
    HtmlReference,
}

impl Encoding {
    pub const fn describe(self) -> &'static str {
        match self {
            Self::Base64 => "base64",
            Self::JsonEscape => "JSON-escaped",
            Self::UrlEscape => "URL-escaped",
            Self::HtmlReference => "HTML-escaped",
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

/// The escaped forms around `workato`, in the hex cases writers use.
const ESCAPED: &[(&str, Encoding)] = &[
    ("\\u007b\\u007bworkato", Encoding::JsonEscape),
    ("\\u007B\\u007Bworkato", Encoding::JsonEscape),
    ("\\u003c\\u003cworkato", Encoding::JsonEscape),
    ("\\u003C\\u003Cworkato", Encoding::JsonEscape),
    ("workato\\u003a", Encoding::JsonEscape),
    ("workato\\u003A", Encoding::JsonEscape),
    ("%7b%7bworkato", Encoding::UrlEscape),
    ("%7B%7Bworkato", Encoding::UrlEscape),
    ("%3c%3cworkato", Encoding::UrlEscape),
    ("%3C%3Cworkato", Encoding::UrlEscape),
    ("workato%3a", Encoding::UrlEscape),
    ("workato%3A", Encoding::UrlEscape),
    ("&#123;&#123;workato", Encoding::HtmlReference),
    ("&#x7b;&#x7b;workato", Encoding::HtmlReference),
    ("&#x7B;&#x7B;workato", Encoding::HtmlReference),
    ("&lbrace;&lbrace;workato", Encoding::HtmlReference),
    ("&#60;&#60;workato", Encoding::HtmlReference),
    ("&#x3c;&#x3c;workato", Encoding::HtmlReference),
    ("&#x3C;&#x3C;workato", Encoding::HtmlReference),
    ("&lt;&lt;workato", Encoding::HtmlReference),
    ("workato&#58;", Encoding::HtmlReference),
    ("workato&colon;", Encoding::HtmlReference),
];

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
        for (text, encoding) in ESCAPED {
            patterns.push((*text).to_owned());
            encodings.push(*encoding);
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

/// Whether `token` decodes, in either alphabet, to bytes with no mask candidate in them.
fn decodes_without_mask(token: &[u8]) -> bool {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(token).ok())
        .is_some_and(|decoded| crate::grammar::scan(&decoded).is_empty())
}

fn is_base64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_' | b'=')
}

/// Every encoded mask in `bytes`, in order. A file without one costs one pass.
pub(crate) fn find(bytes: &[u8]) -> Vec<Encoded> {
    let finder = finder();
    let mut found: Vec<Encoded> = Vec::new();
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
    found
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
