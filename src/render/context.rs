//! Where each mask stands in its output format: the quoting context that decides its escaping.
//!
//! Contexts are read from a copy of the template in which every mask is replaced by a placeholder
//! of the same length made of letters and digits, so byte offsets stay put and the copy parses
//! where the template would not (`key: {{…}}` is a flow mapping to a YAML parser).

use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle, StructureStyle};

use super::{Format, TemplateSyntax};
use crate::source::Span;

/// The quoting context of one mask.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Context {
    /// No escaping (`--as text`, `--escape none`).
    Raw,
    /// Outside any value where a newline would end the construct (a comment).
    Line,
    JsonString,
    /// A JSON value position outside a string: only a number, boolean or null fits.
    JsonBare,
    YamlDouble,
    YamlSingle,
    /// A plain scalar; whether the mask starts or ends it decides which characters are safe, and
    /// a mask that is the whole scalar may be written as a quoted scalar instead.
    YamlPlain {
        at_start: bool,
        at_end: bool,
        /// Inside a flow collection, where `,[]{}` end the scalar.
        flow: bool,
        /// The scalar has an explicit tag, so no reader resolves its type from its text.
        tagged: bool,
    },
    /// A literal block scalar; continuation lines get the block's content indentation.
    YamlLiteral {
        indent: String,
        /// The block's chomping, when the mask ends the block's content (its trailing line
        /// breaks are then the block's).
        last: Option<Chomp>,
    },
    YamlFolded {
        last: Option<Chomp>,
    },
    ShellSingle,
    ShellDouble,
    ShellBare,
    /// The body of a here-document: with an unquoted delimiter `$`, `` ` `` and `\` are special;
    /// with a quoted one nothing is. A line equal to the delimiter would end it.
    Heredoc {
        delimiter: String,
        quoted: bool,
        strip_tabs: bool,
    },
    /// A place no escaping can make safe (inside `$'…'`, backquotes, `$((…))`, a parameter
    /// name); the render is refused there.
    Unplaceable(&'static str),
    EnvSingle,
    EnvDouble,
    EnvBare,
    TomlBasic,
    TomlLiteral,
    TomlMultiBasic,
    /// `'''…'''`; `at_open` when the mask follows the opener at once, where TOML drops a line
    /// break.
    TomlMultiLiteral {
        at_open: bool,
    },
    /// A TOML value position outside a string: a number or boolean.
    TomlBare,
}

/// Block-scalar chomping (YAML 1.2 §8.1.1.2): what happens to the final line breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Chomp {
    Clip,
    Strip,
    Keep,
}

impl Chomp {
    /// The chomping indicator of the block scalar whose header starts at `text[start..]`.
    pub(crate) fn of_header(text: &[u8], start: usize) -> Self {
        let mut chomp = Self::Clip;
        for b in header(text, start) {
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
    pub(crate) fn apply(self, value: &str) -> String {
        let body = value.trim_end_matches('\n');
        match self {
            Self::Keep => value.to_owned(),
            Self::Strip => body.to_owned(),
            Self::Clip if body.len() < value.len() => format!("{body}\n"),
            Self::Clip => body.to_owned(),
        }
    }
}

/// Where the `|` or `>` is of the block scalar whose content the parser places at
/// `content_at` (its first content line): at the end of the last non-blank line before it,
/// before any comment.
pub(crate) fn block_header(doc: &[u8], content_at: usize) -> usize {
    let mut end = memchr::memrchr(b'\n', &doc[..content_at]).unwrap_or(0);
    loop {
        let start = memchr::memrchr(b'\n', &doc[..end]).map_or(0, |i| i + 1);
        let line = &doc[start..end];
        if line.iter().all(u8::is_ascii_whitespace) && start > 0 {
            end = start - 1;
            continue;
        }
        // A comment starts at `#` after white space; the header ends the text before it.
        let text = line
            .windows(2)
            .position(|w| w[0].is_ascii_whitespace() && w[1] == b'#')
            .map_or(line, |at| &line[..at]);
        return memchr::memrchr2(b'|', b'>', text).map_or(content_at, |at| start + at);
    }
}

/// The indicators after a block scalar's `|` or `>`.
fn header(text: &[u8], start: usize) -> impl Iterator<Item = &u8> {
    text[start..]
        .iter()
        .skip(1)
        .take_while(|b| matches!(b, b'+' | b'-' | b'1'..=b'9'))
}

/// A placeholder of exactly `len` bytes for mask `index`, unique in the document.
pub(crate) fn placeholder(index: usize, len: usize) -> String {
    let mut text = vec![0; len];
    write_placeholder(index, &mut text);
    String::from_utf8(text).expect("ASCII")
}

/// Writes mask `index`'s placeholder over `slot` (a mask's bytes, at least 6 long): `SMq`, the
/// index, `q`, then `x`s to the end.
fn write_placeholder(index: usize, slot: &mut [u8]) {
    use std::io::Write;
    slot.fill(b'x');
    let mut at = &mut slot[..];
    let _ = write!(at, "SMq{index}q");
}

/// The template with each mask replaced by its placeholder; `quoted` wraps the placeholder in
/// double quotes (for JSON value positions) when it says so for that mask.
pub(crate) fn with_placeholders(
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

/// Whether `doc` parses as YAML whose first non-empty document's root is a mapping or a
/// sequence. A stream may start with empty documents: `helm template` writes a `---` and a
/// `# Source:` comment for a template that rendered only comments.
pub(crate) fn is_yaml_collection(doc: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(doc) else {
        return false;
    };
    let mut root = None;
    let mut at_root = false;
    for event in Parser::new_from_str(text) {
        let Ok((event, _)) = event else {
            return false;
        };
        match event {
            Event::DocumentStart(..) => at_root = root.is_none(),
            // An empty document's root is a null plain scalar (the parser writes it `~`): it
            // decides nothing.
            Event::Scalar(value, ScalarStyle::Plain, _, None)
                if at_root && (value.is_empty() || value == "~") =>
            {
                at_root = false;
            }
            Event::MappingStart(..) | Event::SequenceStart(..) if at_root => {
                root = Some(true);
                at_root = false;
            }
            Event::Scalar(..) | Event::Alias(..) if at_root => {
                root = Some(false);
                at_root = false;
            }
            _ => {}
        }
    }
    root == Some(true)
}

/// Where the masks of one template stand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Placed {
    /// Each mask's quoting context, in order.
    pub contexts: Vec<Context>,
    /// Some mask is in a mapping key (or may be), where even a value that no context changes
    /// could repeat another key.
    pub in_key: bool,
}

pub(crate) fn contexts(
    format: Format,
    template: &[u8],
    masks: &[Span],
) -> Result<Placed, TemplateSyntax> {
    if format == Format::Yaml {
        let doc = with_placeholders(template, masks, |_| false);
        let (contexts, in_key) = yaml(&doc, masks)?;
        return Ok(Placed { contexts, in_key });
    }
    others(format, template, masks)
}

/// `contexts`, with the template's masks swapped for their placeholders in place for the YAML
/// parse and swapped back after, so a large template is never copied (ARCHITECTURE.md §One
/// mask). `template` is as it was when this returns.
pub(crate) fn contexts_in_place(
    format: Format,
    template: &mut [u8],
    masks: &[Span],
) -> Result<Placed, TemplateSyntax> {
    if format != Format::Yaml {
        return others(format, template, masks);
    }
    // Every mask's bytes in one buffer, in order.
    let mut saved = Vec::with_capacity(masks.iter().map(Span::len).sum());
    for (i, mask) in masks.iter().enumerate() {
        saved.extend_from_slice(&template[mask.range()]);
        write_placeholder(i, &mut template[mask.range()]);
    }
    let parsed = yaml(template, masks);
    let mut at = 0;
    for mask in masks {
        template[mask.range()].copy_from_slice(&saved[at..at + mask.len()]);
        at += mask.len();
    }
    let (contexts, in_key) = parsed?;
    Ok(Placed { contexts, in_key })
}

/// Every format but YAML: scanners that step over the masks.
fn others(format: Format, template: &[u8], masks: &[Span]) -> Result<Placed, TemplateSyntax> {
    let (contexts, separators): (Vec<Context>, &[u8]) = match format {
        Format::Text => (vec![Context::Raw; masks.len()], b""),
        Format::Yaml => unreachable!("YAML is placed by `contexts`"),
        Format::Json => (json(template, masks), b":"),
        Format::Env => (dotenv(template, masks), b"="),
        Format::Shell => (super::shell::contexts(template, masks), b""),
        Format::Toml => (toml(template, masks), b"=."),
    };
    // A key ends before its separator on the same line: a mask with one after it may be in a
    // key (a cheap over-estimate; it only costs the re-parse check).
    let in_key = !separators.is_empty()
        && masks.iter().any(|mask| {
            let rest = &template[mask.end..];
            let line = &rest[..memchr::memchr(b'\n', rest).unwrap_or(rest.len())];
            line.iter().any(|b| separators.contains(b))
        });
    Ok(Placed { contexts, in_key })
}

/// A large document that is one block mapping is parsed in pieces, one per core. `doc` has its
/// masks replaced by placeholders.
fn yaml(doc: &[u8], masks: &[Span]) -> Result<(Vec<Context>, bool), TemplateSyntax> {
    yaml_in(doc, masks, crate::source::pieces_for(doc.len()))
}

fn yaml_in(
    doc: &[u8],
    masks: &[Span],
    pieces: usize,
) -> Result<(Vec<Context>, bool), TemplateSyntax> {
    let mut found = vec![Context::Line; masks.len()];
    // Cut only before a column-0 line that starts like a plain key; `yaml_piece` checks it.
    let pieces =
        crate::source::cut_at_lines(doc, pieces, |b| b.is_ascii_alphanumeric() || b == b'_');
    let parsed: Option<Vec<_>> = if pieces.len() > 1 {
        std::thread::scope(|scope| {
            let workers: Vec<_> = pieces
                .iter()
                .map(|range| scope.spawn(move || yaml_piece(doc, range.clone(), masks, true).ok()))
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().expect("a parse does not panic"))
                .collect()
        })
    } else {
        None
    };
    // One parse of the whole, when the pieces do not stand alone, tells the truth (and the
    // error, if any).
    let parsed = match parsed {
        Some(parsed) => parsed,
        None => vec![yaml_piece(doc, 0..doc.len(), masks, false)?],
    };
    let mut in_key = false;
    for (i, context, key) in parsed.into_iter().flatten() {
        found[i] = context;
        in_key |= key;
    }
    Ok((found, in_key))
}

/// The contexts of the masks in `template[range]`, parsed on its own with its masks replaced by
/// placeholders. With `alone`, the piece must be exactly one document whose root is a mapping,
/// so that its pieces put together are the whole document's root mapping, key after key;
/// anything else is an error (and a reason to parse the whole).
fn yaml_piece(
    template: &[u8],
    range: std::ops::Range<usize>,
    masks: &[Span],
    alone: bool,
) -> Result<Vec<(usize, Context, bool)>, TemplateSyntax> {
    let base = range.start;
    let bytes = &template[range.clone()];
    // `from_utf8` checks ASCII a word at a time; the lossy path is for the rare invalid file.
    let piece = match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    };
    let piece = piece.as_ref();
    let mut found = Vec::new();
    let (mut documents, mut depth, mut roots) = (0, 0usize, 0);
    // Each open collection: whether it is a flow collection, whether a mapping, its children.
    let mut open: Vec<(bool, bool, usize)> = Vec::new();
    for event in Parser::new_from_str(piece) {
        let (event, span) = event.map_err(|e| TemplateSyntax {
            offset: base + e.marker().byte_offset().unwrap_or(0),
            message: e.info(),
        })?;
        // A mapping's children alternate key and value.
        let mut key = false;
        if crate::source::is_yaml_node(&event)
            && let Some((_, mapping, children)) = open.last_mut()
        {
            key = *mapping && *children % 2 == 0;
            *children += 1;
        }
        match &event {
            Event::DocumentStart(..) => documents += 1,
            Event::MappingStart(style, ..) | Event::SequenceStart(style, ..) => {
                if depth == 0 {
                    roots += if matches!(event, Event::MappingStart(..)) {
                        1
                    } else {
                        2
                    };
                }
                depth += 1;
                open.push((
                    *style == StructureStyle::Flow,
                    matches!(event, Event::MappingStart(..)),
                    0,
                ));
            }
            Event::MappingEnd | Event::SequenceEnd => {
                depth = depth.saturating_sub(1);
                open.pop();
            }
            Event::Scalar(..) | Event::Alias(..) if depth == 0 => roots += 2,
            _ => {}
        }
        let Event::Scalar(_, style, _, tag) = event else {
            continue;
        };
        let (Some(start), Some(end)) = (span.start.byte_offset(), span.end.byte_offset()) else {
            continue;
        };
        let (start, end) = (base + start, base + end);
        // Masks are in file order: only those starting inside the scalar can be in it.
        for i in within(masks, start, end) {
            let mask = masks[i];
            if mask.end > end {
                continue;
            }
            found.push((
                i,
                match style {
                    ScalarStyle::Plain => Context::YamlPlain {
                        at_start: mask.start == start,
                        at_end: mask.end == end,
                        flow: open.last().is_some_and(|(flow, ..)| *flow),
                        tagged: tag.is_some(),
                    },
                    ScalarStyle::SingleQuoted => Context::YamlSingle,
                    ScalarStyle::DoubleQuoted => Context::YamlDouble,
                    ScalarStyle::Literal => {
                        let block = Block::of(template, block_header(template, start), mask);
                        Context::YamlLiteral {
                            indent: " ".repeat(block.indent),
                            last: block.last,
                        }
                    }
                    ScalarStyle::Folded => Context::YamlFolded {
                        last: Block::of(template, block_header(template, start), mask).last,
                    },
                },
                key,
            ));
        }
    }
    if alone && (documents != 1 || roots != 1) {
        return Err(TemplateSyntax {
            offset: base,
            message: "not one root mapping on its own".into(),
        });
    }
    Ok(found)
}

/// Indices of the masks (sorted, not overlapping) that start in `start..end`.
pub(crate) fn within(masks: &[Span], start: usize, end: usize) -> std::ops::Range<usize> {
    masks.partition_point(|m| m.start < start)..masks.partition_point(|m| m.start < end)
}

/// How many spaces start the line holding `offset`.
fn line_indent(doc: &[u8], offset: usize) -> usize {
    let line_start = memchr::memrchr(b'\n', &doc[..offset]).map_or(0, |i| i + 1);
    doc[line_start..offset]
        .iter()
        .take_while(|&&b| b == b' ')
        .count()
}

/// What a mask inside a block scalar needs to know of the block.
struct Block {
    /// The content's indentation (YAML 1.2 §8.1.1.1): the indicator's, else the first
    /// non-empty line's.
    indent: usize,
    /// The chomping, when nothing but line breaks follows the mask in the content.
    last: Option<Chomp>,
}

impl Block {
    /// The block scalar whose header starts at `header_at` and that holds `mask`.
    fn of(doc: &[u8], header_at: usize, mask: Span) -> Self {
        let lines = |from: usize| {
            doc[from.min(doc.len())..]
                .split(|&b| b == b'\n')
                .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        };
        let blank = |line: &[u8]| line.iter().all(|&b| b == b' ');
        let spaces = |line: &[u8]| line.iter().take_while(|&&b| b == b' ').count();
        let content =
            memchr::memchr(b'\n', &doc[header_at..]).map_or(doc.len(), |i| header_at + i + 1);
        let indent = match header(doc, header_at).find(|b| b.is_ascii_digit()) {
            Some(digit) => line_indent(doc, header_at) + usize::from(digit - b'0'),
            None => lines(content).find(|l| !blank(l)).map_or(0, spaces),
        };
        // The rest of the mask's line, then every following line the block still holds.
        let line_end = memchr::memchr(b'\n', &doc[mask.end..]).map_or(doc.len(), |i| mask.end + i);
        let rest_of_line = doc[mask.end..line_end]
            .iter()
            .all(|&b| b == b' ' || b == b'\r');
        let more_content = lines(line_end + 1)
            .take_while(|l| blank(l) || spaces(l) >= indent)
            .any(|l| !blank(l));
        let last = (rest_of_line && !more_content).then(|| Chomp::of_header(doc, header_at));
        Self { indent, last }
    }
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

/// dotenv quoting: single quotes take everything literally, double quotes honour `\`, and `#`
/// at the start of a word outside quotes begins a comment.
fn dotenv(doc: &[u8], masks: &[Span]) -> Vec<Context> {
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
        found.push(match state {
            State::Bare => Context::EnvBare,
            State::Single => Context::EnvSingle,
            State::Double => Context::EnvDouble,
            State::Comment => Context::Line,
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
    // Where the innermost open string's text starts.
    let mut opened = 0;
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
                    opened = i + 1;
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
            State::MultiLiteral => Context::TomlMultiLiteral {
                at_open: mask.start == opened,
            },
            State::Comment => Context::Line,
        });
        i = mask.end;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cut into pieces or parsed whole, a document gets the same contexts; pieces that do not
    /// stand alone fall back to the whole.
    #[test]
    fn pieces_give_the_contexts_of_the_whole() {
        let docs = [
            "a: SMq0qx\nb: 'SMq1qx'\nc: |\n  x SMq2qx\nd: \"SMq3qx\"\ne:\n  - SMq4qx\n",
            // A quoted scalar across the cut, continued at column 0.
            "a: \"x\nb: SMq0qx\nc: y\"\nd: SMq1qx\ne: SMq2qx\nf: 'SMq3qx'\n",
            // A flow sequence across the cut.
            "a: [x,\nb, SMq0qx]\nc: SMq1qx\nd: \"SMq2qx\"\n",
            // Anchors in one piece, aliases in another.
            "a: &x SMq0qx\nb: *x\nc: \"SMq1qx\"\nd: *x\n",
            // Not a mapping at the root.
            "- SMq0qx\n- 'SMq1qx'\n- \"SMq2qx\"\n",
            "---\na: SMq0qx\n---\nb: 'SMq1qx'\n",
        ];
        for doc in docs {
            let masks: Vec<Span> = (0..8)
                .filter_map(|i| {
                    let p = format!("SMq{i}qx");
                    doc.find(&p).map(|at| Span::new(at, at + p.len()))
                })
                .collect();
            let whole = yaml_in(doc.as_bytes(), &masks, 1).unwrap().0;
            assert_eq!(
                whole,
                yaml(
                    &with_placeholders(doc.as_bytes(), &masks, |_| false),
                    &masks
                )
                .unwrap()
                .0
            );
            assert!(whole.iter().all(|c| *c != Context::Line), "{doc:?}");
            for pieces in 2..=4 {
                assert_eq!(
                    yaml_in(doc.as_bytes(), &masks, pieces).unwrap().0,
                    whole,
                    "{pieces} pieces of {doc:?}"
                );
            }
        }
    }

    #[test]
    fn a_syntax_error_is_found_in_pieces_too() {
        let doc = "a: x\nb: [y\nc: z\nd: w\n";
        assert!(yaml_in(doc.as_bytes(), &[], 1).is_err());
        assert!(yaml_in(doc.as_bytes(), &[], 3).is_err());
    }
}
