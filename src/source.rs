//! Byte spans and their line:column positions.
//!
//! Spans are byte offsets into the file as read. Line and column are computed only when a
//! diagnostic needs them, so a file without findings never pays for a line index.

use std::ops::Range;

/// A half-open byte range into a source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub const fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }

    pub const fn len(&self) -> usize {
        self.end - self.start
    }

    pub const fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The same span moved by `offset` bytes, for spans computed relative to a sub-slice.
    pub const fn shift(self, offset: usize) -> Self {
        Self::new(self.start + offset, self.end + offset)
    }

    pub const fn range(&self) -> Range<usize> {
        self.start..self.end
    }
}

/// A 1-based line and a 1-based column counted in characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// Start offsets of every line of one file.
pub struct LineIndex<'a> {
    bytes: &'a [u8],
    starts: Vec<usize>,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

impl<'a> LineIndex<'a> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
