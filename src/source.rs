//! Byte spans and their line:column positions.
//!
//! Spans are byte offsets into the file as read. Line and column are computed only when a
//! diagnostic needs them, so a file without findings never pays for a line index.

use std::ops::Range;

/// A half-open byte range into a source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// The first byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// `start..end`.
    pub const fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }

    /// Its length in bytes.
    pub const fn len(&self) -> usize {
        self.end - self.start
    }

    /// Whether it covers no byte.
    pub const fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The same span moved by `offset` bytes, for spans computed relative to a sub-slice.
    pub const fn shift(self, offset: usize) -> Self {
        Self::new(self.start + offset, self.end + offset)
    }

    /// Whether `other` lies wholly inside this span.
    pub const fn contains(&self, other: Span) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    /// As a range, for slicing.
    pub const fn range(&self) -> Range<usize> {
        self.start..self.end
    }
}

/// A 1-based line and a 1-based column counted in characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

/// Start offsets of every line of one file.
pub struct LineIndex<'a> {
    bytes: &'a [u8],
    starts: Vec<usize>,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

impl<'a> LineIndex<'a> {
    /// Indexes the line starts of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', bytes).map(|i| i + 1));
        Self { bytes, starts }
    }

    /// The position of byte `offset`. Columns count characters; an invalid UTF-8 byte counts as
    /// one character, and a byte-order mark at the start of the file counts as none, as editors
    /// show it.
    pub fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.bytes.len());
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let mut start = self.starts[line];
        if line == 0 && self.bytes.starts_with(BOM) && offset >= BOM.len() {
            start = BOM.len();
        }
        Position {
            line: line + 1,
            column: count_chars(&self.bytes[start..offset]) + 1,
        }
    }

    /// The text of the line that holds `offset`, without its line terminator, and the offset of
    /// the line's first byte.
    pub fn line_at(&self, offset: usize) -> (usize, &'a [u8]) {
        let offset = offset.min(self.bytes.len());
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let mut end = self
            .starts
            .get(line + 1)
            .map_or(self.bytes.len(), |&next| next - 1);
        if end > start && self.bytes[end - 1] == b'\r' {
            end -= 1;
        }
        (start, &self.bytes[start..end.max(start)])
    }
}

/// Characters in `bytes`, where each invalid UTF-8 sequence counts as one replacement character.
pub fn count_chars(bytes: &[u8]) -> usize {
    bytes
        .utf8_chunks()
        .map(|chunk| chunk.valid().chars().count() + usize::from(!chunk.invalid().is_empty()))
        .sum()
}

/// Inputs this large are worked on in pieces, one per core.
const PIECES_FROM: usize = 4 << 20;

/// How many pieces to work `len` bytes in: one per core for a large input, else one.
pub fn pieces_for(len: usize) -> usize {
    if len < PIECES_FROM {
        return 1;
    }
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `bytes` cut into about `pieces` even runs of whole lines. A cut falls only at the start of a
/// line whose first byte `starts` accepts; where none follows, there is no cut.
pub fn cut_at_lines(bytes: &[u8], pieces: usize, starts: impl Fn(u8) -> bool) -> Vec<Range<usize>> {
    let mut cuts = vec![0];
    for k in 1..pieces {
        let mut at = bytes.len() * k / pieces;
        let found = loop {
            match memchr::memchr(b'\n', &bytes[at..]) {
                Some(nl) if at + nl + 1 < bytes.len() => {
                    at += nl + 1;
                    if starts(bytes[at]) {
                        break true;
                    }
                }
                _ => break false,
            }
        };
        if found && at > *cuts.last().expect("starts with 0") {
            cuts.push(at);
        }
    }
    cuts.push(bytes.len());
    cuts.windows(2).map(|w| w[0]..w[1]).collect()
}

/// Where a YAML reader (serde-saphyr) stopped: its 1-based line and column, `0:0` when it does
/// not say. Its message is for the caller to choose: it may quote the text there.
pub fn yaml_error_position(error: &serde_saphyr::Error) -> (u64, u64) {
    error
        .location()
        .map_or((0, 0), |at| (at.line(), at.column()))
}

/// `bytes` with each span replaced by its text; the spans in order and apart.
pub(crate) fn splice<T: AsRef<[u8]>>(bytes: &[u8], replacements: &[(Span, T)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut last = 0;
    for (span, text) in replacements {
        out.extend_from_slice(&bytes[last..span.start]);
        out.extend_from_slice(text.as_ref());
        last = span.end;
    }
    out.extend_from_slice(&bytes[last..]);
    out
}

/// YAML collections nest this deep at most, block or flow: PyYAML and the Go and Java readers
/// take far deeper documents than the parser's default of 255, and its events are read without
/// recursion, so only memory bounds it.
pub(crate) const YAML_NESTING_LIMIT: usize = 4096;

/// The YAML event parser over `text`, with [`YAML_NESTING_LIMIT`]: render's YAML format and
/// `kubernetes` read a stream with it.
pub(crate) fn yaml_parser(
    text: &str,
) -> serde_saphyr::granit_parser::Parser<'_, serde_saphyr::granit_parser::StrInput<'_>> {
    let mut options = serde_saphyr::granit_parser::Options::default();
    options.block_nesting_limit = YAML_NESTING_LIMIT;
    options.flow_nesting_limit = YAML_NESTING_LIMIT;
    serde_saphyr::granit_parser::Parser::new_from_str_with_options(text, options)
}

/// Whether a YAML event is a node (a scalar, an alias or the start of a collection): in a
/// mapping, nodes alternate key and value.
pub(crate) fn is_yaml_node(event: &serde_saphyr::granit_parser::Event<'_>) -> bool {
    use serde_saphyr::granit_parser::Event;
    matches!(
        event,
        Event::Scalar(..) | Event::Alias(..) | Event::MappingStart(..) | Event::SequenceStart(..)
    )
}

/// A file secretmask reads that is not what it must be (a configuration, a secrets file),
/// with where: the one shape of such an error. Never holds the file's text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{column}: {message}", path.display())]
pub struct FileSyntax {
    /// The file.
    pub path: std::path::PathBuf,
    /// 1-based line; 0 when the problem is the whole file.
    pub line: u64,
    /// 1-based column; 0 when the problem is the whole file.
    pub column: u64,
    /// What is wrong there.
    pub message: String,
}

impl FileSyntax {
    /// A problem at `line` and `column` of `path`.
    pub fn at(path: &std::path::Path, (line, column, message): (u64, u64, String)) -> Self {
        Self {
            path: path.to_path_buf(),
            line,
            column,
            message,
        }
    }

    /// A problem with the whole of `path` (not a regular file, too large, not UTF-8).
    pub fn whole(path: &std::path::Path, message: impl Into<String>) -> Self {
        Self::at(path, (0, 0, message.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_fall_at_line_starts_only() {
        let text = b"a: 1\n  b: 2\nc: 3\nlast line without break";
        for pieces in 1..=8 {
            let ranges = cut_at_lines(text, pieces, |b| b != b' ');
            assert_eq!(ranges.first().unwrap().start, 0);
            assert_eq!(ranges.last().unwrap().end, text.len());
            for pair in ranges.windows(2) {
                assert_eq!(pair[0].end, pair[1].start);
                assert_eq!(text[pair[1].start - 1], b'\n');
                assert_ne!(text[pair[1].start], b' ');
            }
        }
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let index = LineIndex::new("é: x\nab".as_bytes());
        assert_eq!(index.position(2), Position { line: 1, column: 2 });
        assert_eq!(index.position(7), Position { line: 2, column: 2 });
    }

    #[test]
    fn bom_is_not_a_column() {
        let index = LineIndex::new(b"\xEF\xBB\xBFkey");
        assert_eq!(index.position(3), Position { line: 1, column: 1 });
    }

    #[test]
    fn crlf_is_not_part_of_the_line() {
        let index = LineIndex::new(b"a\r\nbc\r\n");
        assert_eq!(index.line_at(4), (3, &b"bc"[..]));
        assert_eq!(index.position(4), Position { line: 2, column: 2 });
    }

    #[test]
    fn invalid_utf8_counts_as_one_character() {
        let index = LineIndex::new(b"\xffx");
        assert_eq!(index.position(1), Position { line: 1, column: 2 });
    }
}
