//! Redaction of resolved values from a stream (`secretmask run --redact`): every value and its
//! common encodings become `<redacted>`, even when a value arrives split across reads.

use aho_corasick::{AhoCorasick, MatchKind};
use base64::Engine;
use secrecy::{ExposeSecret, SecretBox};

/// What a redacted value is replaced with.
pub const REDACTED: &[u8] = b"<redacted>";

/// The texts to redact for a set of values: each value as it is, JSON-escaped, in standard and
/// URL-safe base64, and each line of a multi-line value on its own (a program may print a PEM
/// key line by line). Never shown by `Debug`.
pub struct Patterns {
    texts: SecretBox<Vec<Vec<u8>>>,
}

/// A line of a multi-line value is redacted on its own from this many bytes: shorter lines
/// (`}`, `-----`) are too common in output to be told from the value.
const LINE_AT_LEAST: usize = 4;

impl Patterns {
    /// The patterns for `values`; empty values are left out.
    pub fn new<'a>(values: impl IntoIterator<Item = &'a str>) -> Self {
        let mut texts: Vec<Vec<u8>> = Vec::new();
        for value in values.into_iter().filter(|v| !v.is_empty()) {
            texts.push(value.as_bytes().to_vec());
            let json = serde_json::to_string(value).expect("a string serializes");
            texts.push(json.as_bytes()[1..json.len() - 1].to_vec());
            let bytes = value.as_bytes();
            texts.push(
                base64::engine::general_purpose::STANDARD
                    .encode(bytes)
                    .into_bytes(),
            );
            texts.push(
                base64::engine::general_purpose::URL_SAFE
                    .encode(bytes)
                    .into_bytes(),
            );
            if value.contains('\n') {
                texts.extend(
                    value
                        .lines()
                        .map(str::trim)
                        .filter(|line| line.len() >= LINE_AT_LEAST)
                        .map(|line| line.as_bytes().to_vec()),
                );
            }
        }
        texts.sort();
        texts.dedup();
        Self {
            texts: SecretBox::new(Box::new(texts)),
        }
    }

    /// Whether there is nothing to redact.
    pub fn is_empty(&self) -> bool {
        self.texts.expose_secret().is_empty()
    }

    /// The texts as lines for GitHub Actions' `::add-mask::` command, which masks one line each:
    /// every pattern without a line break, escaped as the runner unescapes command data.
    pub fn github_add_masks(&self) -> Vec<SecretBox<String>> {
        self.texts
            .expose_secret()
            .iter()
            .filter_map(|text| std::str::from_utf8(text).ok())
            .filter(|text| !text.contains(['\n', '\r']))
            .map(|text| {
                let escaped = text.replace('%', "%25");
                SecretBox::new(Box::new(format!("::add-mask::{escaped}\n")))
            })
            .collect()
    }
}

impl Clone for Patterns {
    fn clone(&self) -> Self {
        Self {
            texts: SecretBox::new(Box::new(self.texts.expose_secret().clone())),
        }
    }
}

impl std::fmt::Debug for Patterns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Patterns({} texts, [REDACTED])",
            self.texts.expose_secret().len()
        )
    }
}

/// A filter over one stream: feed it what was read, write what it returns. It holds back only
/// the tail that could still be the start of a value, so output flows line by line as before.
pub struct Redactor {
    automaton: Option<AhoCorasick>,
    /// Every pattern, to tell whether a tail could begin one.
    patterns: Patterns,
    longest: usize,
    pending: Vec<u8>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({:?})", self.patterns)
    }
}

impl Redactor {
    /// A filter that redacts `patterns`.
    pub fn new(patterns: Patterns) -> Self {
        let texts = patterns.texts.expose_secret();
        // Leftmost-longest: of a value and its own first line, the whole value is replaced.
        let automaton = (!texts.is_empty()).then(|| {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(texts)
                .expect("a few thousand literal patterns build")
        });
        let longest = texts.iter().map(Vec::len).max().unwrap_or(0);
        Self {
            automaton,
            patterns,
            longest,
            pending: Vec::new(),
        }
    }

    /// Takes the next bytes of the stream and returns what can be written now.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.pending.extend_from_slice(bytes);
        let hold = self.hold();
        self.emit(hold)
    }

    /// The stream ended: everything left, redacted.
    pub fn finish(&mut self) -> Vec<u8> {
        let end = self.pending.len();
        self.emit(end)
    }

    /// Where the tail that could begin a pattern starts: every match that starts before it is
    /// final, since each pattern starting there lies wholly in what was read.
    fn hold(&self) -> usize {
        let len = self.pending.len();
        let texts = self.patterns.texts.expose_secret();
        let from = len.saturating_sub(self.longest.saturating_sub(1));
        (from..len)
            .find(|&at| {
                let tail = &self.pending[at..];
                texts
                    .iter()
                    .any(|text| text.len() > tail.len() && text.starts_with(tail))
            })
            .unwrap_or(len)
    }

    /// Writes out `pending[..upto]` redacted (a match starting before `upto` may end after it)
    /// and keeps the rest.
    fn emit(&mut self, upto: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(upto);
        let mut cursor = 0;
        if let Some(automaton) = &self.automaton {
            for found in automaton.find_iter(&self.pending[..]) {
                if found.start() >= upto {
                    break;
                }
                out.extend_from_slice(&self.pending[cursor..found.start()]);
                out.extend_from_slice(REDACTED);
                cursor = found.end();
            }
        }
        let keep_from = cursor.max(upto);
        out.extend_from_slice(&self.pending[cursor..keep_from]);
        self.pending.drain(..keep_from);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redact(values: &[&str], chunks: &[&str]) -> String {
        let mut redactor = Redactor::new(Patterns::new(values.iter().copied()));
        let mut out = Vec::new();
        for chunk in chunks {
            out.extend(redactor.feed(chunk.as_bytes()));
        }
        out.extend(redactor.finish());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_value_is_redacted_whole_or_split_across_reads() {
        assert_eq!(redact(&["hunter2"], &["pw=hunter2\n"]), "pw=<redacted>\n");
        for cut in 1..10 {
            let text = "pw=hunter2 and hunter2\n";
            let (a, b) = text.split_at(cut + 3);
            assert_eq!(
                redact(&["hunter2"], &[a, b]),
                "pw=<redacted> and <redacted>\n",
                "cut at {cut}"
            );
        }
        let bytes: Vec<String> = "xhunter2y".chars().map(String::from).collect();
        let chunks: Vec<&str> = bytes.iter().map(String::as_str).collect();
        assert_eq!(redact(&["hunter2"], &chunks), "x<redacted>y");
    }

    #[test]
    fn encodings_of_a_value_are_redacted() {
        let value = "p\"a/s?s>\n";
        let json = "p\\\"a/s?s>\\n";
        let standard = base64::engine::general_purpose::STANDARD.encode(value);
        let url = base64::engine::general_purpose::URL_SAFE.encode(value);
        assert_ne!(standard, url);
        let text = format!("{json} {standard} {url}");
        assert_eq!(
            redact(&[value], &[&text]),
            "<redacted> <redacted> <redacted>"
        );
    }

    #[test]
    fn lines_of_a_multi_line_value_are_redacted_on_their_own() {
        let key = "-----BEGIN KEY-----\nMIIEvQIBADANBg\n}\n-----END KEY-----";
        assert_eq!(
            redact(&[key], &["line: MIIEvQIBADANBg }\n", key]),
            "line: <redacted> }\n<redacted>"
        );
    }

    #[test]
    fn output_that_cannot_begin_a_value_is_not_held_back() {
        let mut redactor = Redactor::new(Patterns::new(["hunter2"]));
        assert_eq!(redactor.feed(b"prompt: "), b"prompt: ");
        assert_eq!(redactor.feed(b"ok hun"), b"ok ");
        assert_eq!(redactor.feed(b"gry\n"), b"hungry\n");
        assert!(redactor.finish().is_empty());
    }

    #[test]
    fn the_longest_overlapping_value_wins() {
        assert_eq!(
            redact(&["abc", "abcdef"], &["xabcdefx abcx"]),
            "x<redacted>x <redacted>x"
        );
        assert_eq!(
            redact(&["abc", "abcdef"], &["xabc", "defx"]),
            "x<redacted>x"
        );
    }

    #[test]
    fn add_mask_lines_escape_percent_and_skip_line_breaks() {
        let masks = Patterns::new(["50%\nok", "a%b"]).github_add_masks();
        let lines: Vec<String> = masks.iter().map(|m| m.expose_secret().clone()).collect();
        assert!(
            lines.contains(&"::add-mask::a%25b\n".to_owned()),
            "{lines:?}"
        );
        assert!(lines.iter().all(|l| l.matches('\n').count() == 1));
    }

    #[test]
    fn debug_shows_no_value() {
        let patterns = Patterns::new(["hunter2"]);
        assert!(!format!("{patterns:?}").contains("hunter2"));
        assert!(!format!("{:?}", Redactor::new(patterns)).contains("hunter2"));
    }
}
