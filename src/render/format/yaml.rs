//! YAML: contexts from the YAML event parse of the template (its masks swapped for
//! placeholders), escaping per scalar style, YAML type resolution for plain scalars (`schema`),
//! and the re-read: the output's events must be the template's, each value reading back as
//! itself with the type the secret gave it, for YAML 1.1 and 1.2 readers alike.

pub(crate) mod schema;

use std::borrow::Cow;
use std::fmt::Write;

use serde_saphyr::granit_parser::{Event, ScalarStyle, StructureStyle};

use super::chars::{LINE_BREAKS, printable};
use super::{Mismatch, Placed, Slot, Syntax, TemplateSyntax, placeholder, substitute, within};
use crate::render::MaskFailure;
use crate::resolve::Kind;
use crate::source::Span;

/// YAML's rules.
pub(crate) struct Yaml;

/// The quoting context of one mask in YAML.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Context {
    /// Outside any scalar: a comment, where a line break would end it.
    Comment,
    Double,
    Single,
    /// A plain scalar; whether the mask starts or ends it decides which characters are safe, and
    /// a mask that is the whole scalar may be written as a quoted scalar instead.
    Plain {
        at_start: bool,
        at_end: bool,
        /// Inside a flow collection, where `,[]{}` end the scalar.
        flow: bool,
        /// The scalar's explicit tag, which decides its type instead of its text.
        tag: Tag,
    },
    /// A literal block scalar; continuation lines get the block's content indentation.
    Literal {
        /// The block's content indentation, in spaces.
        indent: usize,
        /// The block's chomping, when the mask ends the block's content (its trailing line
        /// breaks are then the block's).
        last: Option<Chomp>,
    },
    Folded {
        last: Option<Chomp>,
    },
    /// A literal block holding a file of another format, under a key that names it
    /// (`config.json: |` in a ConfigMap): the value is escaped for its place in that file,
    /// then indented into the block. Boxed, as it is rare: every other context is 16 bytes.
    Nested(Box<Nested>),
}

/// Where a mask stands in a document nested in a literal block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Nested {
    nest: Nest,
    /// The mask's index among the nested document's masks.
    index: usize,
    indent: usize,
    last: Option<Chomp>,
}

/// A document of another format inside a literal block scalar, placed as that format places
/// it. Compared by identity: two masks share one when they are in one block.
#[derive(Clone, Debug)]
pub(crate) struct Nest(std::sync::Arc<Inner>);

#[derive(Debug)]
pub(crate) struct Inner {
    placement: super::Placement,
    /// The block's content (the block's indentation taken off), masks as placeholders.
    template: Vec<u8>,
    /// Where each mask stands in `template`, in order.
    spans: Vec<Span>,
}

impl PartialEq for Nest {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Nest {}

impl Nest {
    /// The nested document of a literal block whose `content` (placeholders and all, as the
    /// parser reads it) holds `masks` (their indices among the template's); `None` when the
    /// content is not a document of `format`, so the block stays a plain literal block.
    fn new(format: super::Format, content: &str, masks: &[(usize, Span)]) -> Option<Self> {
        let mut spans = Vec::with_capacity(masks.len());
        let mut from = 0;
        for &(i, mask) in masks {
            let text = placeholder(i, mask.len());
            let at = from + content[from..].find(&text)?;
            spans.push(Span::new(at, at + text.len()));
            from = at + text.len();
        }
        let mut template = content.as_bytes().to_vec();
        let placement = format.place_spans(&mut template, &spans).ok()?;
        Some(Self(std::sync::Arc::new(Inner {
            placement,
            template,
            spans,
        })))
    }

    fn escape<'v>(
        &self,
        index: usize,
        value: &'v crate::resolve::Value,
    ) -> Result<Cow<'v, str>, super::Refusal> {
        super::Format::escape_placed(&self.0.placement, index, value)
    }
}

pub(crate) use crate::source::{YAML_NESTING_LIMIT as NESTING_LIMIT, yaml_parser as parser};

/// What the parser said, naming the nesting limit where it was reached.
fn syntax_message(error: &serde_saphyr::granit_parser::ScanError) -> String {
    if matches!(
        error.kind(),
        serde_saphyr::granit_parser::ErrorKind::RecursionLimitExceeded
    ) {
        format!("collections nested deeper than {NESTING_LIMIT} levels, the most secretmask reads")
    } else {
        error.info()
    }
}

/// The format of a file a mapping key names (`config.json`, `application.properties`), for a
/// literal block under it.
fn nested_format(key: &str) -> Option<super::Format> {
    if !key.contains('.') || key.contains(char::is_whitespace) {
        return None;
    }
    match super::Format::from_path(std::path::Path::new(key)) {
        super::Format::Unknown | super::Format::Text => None,
        format => Some(format),
    }
}

impl Context {
    /// A mask that is a whole plain scalar without a tag: the secret's type decides the
    /// scalar's.
    fn typed(&self) -> bool {
        matches!(
            self,
            Self::Plain {
                at_start: true,
                at_end: true,
                tag: Tag::None,
                ..
            }
        )
    }
}

/// Why a value cannot stand where its YAML mask is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// A value that does not fit its scalar's explicit tag.
    #[error(
        "the scalar's tag `{tag}` asks for {expects}, and the value is not one; drop the tag or fix the secret"
    )]
    Tag {
        /// The tag.
        tag: &'static str,
        /// What it asks for.
        expects: &'static str,
    },
    /// A character a plain scalar cannot hold here.
    #[error(
        "the value would change the YAML document in a plain scalar ({what}); quote the scalar: \"…\""
    )]
    Plain {
        /// Which.
        what: &'static str,
    },
    /// The scalar would read as another type.
    #[error(
        "with the value the plain scalar would read as {typed} in some YAML readers, not as the string it is; quote the scalar: \"…\""
    )]
    PlainType {
        /// The type.
        typed: &'static str,
    },
    /// A `jsonParse` collection with a key longer than YAML readers take.
    #[error(
        "the value `jsonParse` reads has a key longer than the 1024 characters YAML readers take as a key"
    )]
    LongKey,
    /// A `jsonParse` collection nested deeper than readers take.
    #[error("the value `jsonParse` reads is nested deeper than YAML readers take")]
    TooDeep,
    /// An array or object in a plain scalar.
    #[error(
        "the value is a JSON {kind}, which a plain scalar would turn into a YAML collection; quote the scalar to get its JSON text: \"…\""
    )]
    Collection {
        /// Which.
        kind: &'static str,
    },
    /// A line break or control character in a single-quoted scalar.
    #[error(
        "the value holds a line break or control character, which a single-quoted scalar cannot hold; use a double-quoted scalar"
    )]
    Single,
    /// A control character in a block scalar.
    #[error(
        "the value holds a control character or a YAML 1.1 line break (U+0085, U+2028, U+2029), which a block scalar cannot hold; use a double-quoted scalar"
    )]
    BlockControl,
    /// A multi-line value in a folded block scalar.
    #[error(
        "the value spans lines, which a folded block scalar would join; use a literal block scalar `|`"
    )]
    Folded,
    /// Final line breaks the block's chomping would drop.
    #[error(
        "the value ends with line breaks that the block's chomping `{indicator}` drops; use `|+` (keep) or a double-quoted scalar"
    )]
    Chomped {
        /// The block's chomping indicator.
        indicator: &'static str,
    },
}

impl Syntax for Yaml {
    type Context = Context;

    fn claims(_: &str, extension: &str) -> bool {
        matches!(extension, "yaml" | "yml")
    }

    fn place(template: &mut [u8], masks: &[Span]) -> Result<Placed<Context>, TemplateSyntax> {
        let (contexts, in_key) = yaml(template, masks)?;
        Ok(Placed { contexts, in_key })
    }

    fn escape<'v>(
        value: &'v crate::resolve::Value,
        context: &Context,
    ) -> Result<Cow<'v, str>, super::Refusal> {
        use secrecy::ExposeSecret;
        let text = value.expose_secret();
        Ok(match context {
            Context::Comment => return super::in_comment(text),
            Context::Double => yaml_double(text),
            Context::Single
                if text.contains(LINE_BREAKS)
                    || text.chars().any(|c| c != '\t' && !printable(c)) =>
            {
                return Err(Refusal::Single.into());
            }
            Context::Single => Cow::Owned(text.replace('\'', "''")),
            Context::Plain {
                at_start: true,
                at_end: true,
                tag: Tag::None,
                ..
            } if value.is_parsed() && matches!(value.kind(), Kind::Array | Kind::Object) => {
                let mut out = String::with_capacity(text.len() + text.len() / 4);
                yaml_flow(text, &mut out, None, 0)?;
                Cow::Owned(out)
            }
            Context::Plain {
                at_start: true,
                at_end: true,
                flow,
                tag,
            } => yaml_plain_whole(text, value.kind(), *flow, *tag)?,
            Context::Plain {
                at_start,
                at_end,
                flow,
                ..
            } => {
                yaml_plain(text, *at_start, *at_end, *flow)?;
                Cow::Borrowed(text)
            }
            Context::Literal { indent, last } => {
                block_control(text)?;
                chomped(text, *last)?;
                yaml_literal(text, *indent)
            }
            Context::Nested(nested) => {
                let Nested {
                    nest,
                    index,
                    indent,
                    last,
                } = &**nested;
                let inner = nest.escape(*index, value)?;
                block_control(&inner)?;
                chomped(&inner, *last)?;
                Cow::Owned(yaml_literal(&inner, *indent).into_owned())
            }
            Context::Folded { .. } if text.contains(['\n', '\r']) => {
                return Err(Refusal::Folded.into());
            }
            Context::Folded { last } => {
                block_control(text)?;
                chomped(text, *last)?;
                Cow::Borrowed(text)
            }
        })
    }

    fn takes_json(context: &Context) -> bool {
        matches!(
            context,
            Context::Plain {
                at_start: true,
                at_end: true,
                tag: Tag::None,
                ..
            }
        )
    }

    /// A value of letters, digits and `_` (then also `-` and `.`) is one plain token that no
    /// quoting context changes and no context can be broken by: the output has the template's
    /// shape by construction, so the second parse is only paid for values that could matter, or
    /// where a plain scalar holds more than its mask (the scalar's type could change) or a mask
    /// stands in a key (its value could repeat another key).
    fn must_reread<'s>(in_key: bool, mut slots: impl Iterator<Item = Slot<'s, Context>>) -> bool {
        in_key
            || slots.any(|s| match *s.context {
                Context::Plain {
                    at_start, at_end, ..
                } => !(at_start && at_end && super::inert(s.text())),
                Context::Nested(_) => true,
                _ => !super::inert(s.text()),
            })
    }

    fn reread(
        template: &mut [u8],
        slots: &[Slot<'_, Context>],
        rendered: &[u8],
    ) -> Result<Result<(), Mismatch>, TemplateSyntax> {
        if let Err(mismatch) = verify_nested(slots) {
            return Ok(Err(mismatch));
        }
        Ok(verify(template, slots, rendered))
    }
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

/// Whether `doc` parses as YAML whose first non-empty document's root is a mapping or a
/// sequence. A stream may start with empty documents: `helm template` writes a `---` and a
/// `# Source:` comment for a template that rendered only comments.
pub(crate) fn is_collection(doc: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(doc) else {
        return false;
    };
    let mut root = None;
    let mut at_root = false;
    for event in parser(text) {
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

/// The context of each mask of `template`, and whether some mask may stand in a key. Masks
/// are swapped for placeholders to parse (and back: `template` is as it was on return). A large
/// document that is one block mapping is parsed in pieces, one core each at a time.
fn yaml(template: &mut [u8], masks: &[Span]) -> Result<(Vec<Context>, bool), TemplateSyntax> {
    yaml_in(template, masks, crate::source::pieces_for(template.len()))
}

fn yaml_in(
    template: &mut [u8],
    masks: &[Span],
    threads: usize,
) -> Result<(Vec<Context>, bool), TemplateSyntax> {
    let mut found = vec![Context::Comment; masks.len()];
    let parsed = if threads > 1 {
        in_pieces(template, masks, threads, &mut found)
    } else {
        None
    };
    // One parse of the whole, when the pieces do not stand alone, tells the truth (and the
    // error, if any).
    let in_key = match parsed {
        Some(in_key) => in_key,
        None => {
            found.fill(Context::Comment);
            super::swap_placeholders(template, masks, |doc| {
                yaml_piece(doc, masks, false, &mut found)
            })?
        }
    };
    Ok((found, in_key))
}

/// Pieces per thread: a piece's masks are placeholders only while it is parsed, so only the
/// pieces being parsed hold their masks' bytes aside.
const PIECES_PER_THREAD: usize = 8;

/// Parses `template` in pieces that stand alone, `threads` at a time, each writing the contexts
/// of its own masks into its part of `found`; whether some mask may stand in a key, or `None`
/// when some piece does not stand alone.
fn in_pieces(
    template: &mut [u8],
    masks: &[Span],
    threads: usize,
    found: &mut [Context],
) -> Option<bool> {
    // Cut only before a column-0 line that starts like a plain key; `yaml_piece` checks it.
    let ranges = crate::source::cut_at_lines(template, threads * PIECES_PER_THREAD, |b| {
        b.is_ascii_alphanumeric() || b == b'_'
    });
    if ranges.len() < 2 {
        return None;
    }
    let (mut text, mut contexts) = (template, found);
    let mut hands: Vec<Vec<_>> = (0..threads).map(|_| Vec::new()).collect();
    for (k, range) in ranges.iter().enumerate() {
        let (piece, rest) = std::mem::take(&mut text).split_at_mut(range.len());
        text = rest;
        let mine = &masks[super::within(masks, range.start, range.end)];
        if mine.last().is_some_and(|m| m.end > range.end) {
            return None;
        }
        let (out, tail) = std::mem::take(&mut contexts).split_at_mut(mine.len());
        contexts = tail;
        // Dealt in turn: thread t parses pieces t, t + threads, …
        hands[k % threads].push((range.start, piece, mine, out));
    }
    std::thread::scope(|scope| {
        let workers: Vec<_> = hands
            .into_iter()
            .map(|hand| {
                scope.spawn(move || {
                    let mut in_key = false;
                    for (base, piece, mine, out) in hand {
                        let local: Vec<Span> = mine
                            .iter()
                            .map(|m| Span::new(m.start - base, m.end - base))
                            .collect();
                        in_key |= super::swap_placeholders(piece, &local, |doc| {
                            yaml_piece(doc, &local, true, out)
                        })
                        .ok()?;
                    }
                    Some(in_key)
                })
            })
            .collect();
        let keys: Option<Vec<bool>> = workers
            .into_iter()
            .map(|w| w.join().expect("a parse does not panic"))
            .collect();
        keys.map(|keys| keys.into_iter().any(|key| key))
    })
}

/// Writes the context of each mask of `template` (a piece of a document, or all of it, with its
/// masks replaced by placeholders) into `found`; whether some mask may stand in a key. With
/// `alone`, the piece must be exactly one document whose root is a mapping, so that its pieces
/// put together are the whole document's root mapping, key after key; anything else is an
/// error (and a reason to parse the whole).
fn yaml_piece(
    template: &[u8],
    masks: &[Span],
    alone: bool,
    found: &mut [Context],
) -> Result<bool, TemplateSyntax> {
    // `from_utf8` checks ASCII a word at a time; the lossy path is for the rare invalid file.
    let piece = match std::str::from_utf8(template) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(template),
    };
    let piece = piece.as_ref();
    let mut in_key = false;
    let (mut documents, mut depth, mut roots) = (0, 0usize, 0);
    // Each open collection: whether it is a flow collection, whether a mapping, its children,
    // and a mapping's last key when it was a scalar.
    let mut open: Vec<(bool, bool, usize, Option<std::borrow::Cow<'_, str>>)> = Vec::new();
    for event in parser(piece) {
        let (event, span) = event.map_err(|e| TemplateSyntax {
            offset: e.marker().byte_offset().unwrap_or(0),
            message: syntax_message(&e),
        })?;
        // A mapping's children alternate key and value.
        let mut key = false;
        // The key this node is the value of, when a scalar.
        let mut owner = None;
        if crate::source::is_yaml_node(&event)
            && let Some((_, mapping, children, last_key)) = open.last_mut()
        {
            key = *mapping && *children % 2 == 0;
            *children += 1;
            if key {
                // Borrowed from the document: no copy per key.
                *last_key = match &event {
                    Event::Scalar(text, ..) => Some(text.clone()),
                    _ => None,
                };
            } else if *mapping {
                owner = last_key.take();
            }
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
                    None,
                ));
            }
            Event::MappingEnd | Event::SequenceEnd => {
                depth = depth.saturating_sub(1);
                open.pop();
            }
            Event::Scalar(..) | Event::Alias(..) if depth == 0 => roots += 2,
            _ => {}
        }
        let Event::Scalar(content, style, _, tag) = event else {
            continue;
        };
        let (Some(start), Some(end)) = (span.start.byte_offset(), span.end.byte_offset()) else {
            continue;
        };
        // A literal block under a key that names a file holds a document of that format.
        let mut inside: Vec<(usize, Span)> = Vec::new();
        let nest = match style {
            ScalarStyle::Literal if !within(masks, start, end).is_empty() => {
                owner.as_deref().and_then(nested_format).and_then(|format| {
                    inside = within(masks, start, end)
                        .filter(|&i| masks[i].end <= end)
                        .map(|i| (i, masks[i]))
                        .collect();
                    Nest::new(format, &content, &inside)
                })
            }
            _ => None,
        };
        // Masks are in file order: only those starting inside the scalar can be in it.
        for i in within(masks, start, end) {
            let mask = masks[i];
            if mask.end > end {
                continue;
            }
            found[i] = match style {
                ScalarStyle::Plain => Context::Plain {
                    at_start: mask.start == start,
                    at_end: mask.end == end,
                    flow: open.last().is_some_and(|(flow, ..)| *flow),
                    tag: Tag::of(tag.as_deref()),
                },
                ScalarStyle::SingleQuoted => Context::Single,
                ScalarStyle::DoubleQuoted => Context::Double,
                ScalarStyle::Literal => {
                    let block = Block::of(template, block_header(template, start), mask);
                    match &nest {
                        Some(nest) => Context::Nested(Box::new(Nested {
                            nest: nest.clone(),
                            index: inside.iter().position(|(j, _)| *j == i).unwrap_or(0),
                            indent: block.indent,
                            last: block.last,
                        })),
                        None => Context::Literal {
                            indent: block.indent,
                            last: block.last,
                        },
                    }
                }
                ScalarStyle::Folded => Context::Folded {
                    last: Block::of(template, block_header(template, start), mask).last,
                },
            };
            // A scalar whose tag types it is read again, whatever its style, to check that the
            // value fits the tag.
            in_key |=
                key || (Tag::of(tag.as_deref()).expects().is_some() && style != ScalarStyle::Plain);
        }
    }
    if alone && (documents != 1 || roots != 1) {
        return Err(TemplateSyntax {
            offset: 0,
            message: "not one root mapping on its own".into(),
        });
    }
    Ok(in_key)
}

/// The indentation of the block mapping whose key owns the block scalar with its header at
/// `offset`, which an indentation indicator counts from (YAML 1.2 §8.1.1.1): the key's column,
/// past the spaces and any `- ` entries that start its line (`- a: |2` counts from `a`).
fn parent_indent(doc: &[u8], offset: usize) -> usize {
    let line_start = memchr::memrchr(b'\n', &doc[..offset]).map_or(0, |i| i + 1);
    let line = &doc[line_start..offset];
    let mut at = line.iter().take_while(|&&b| b == b' ').count();
    // A key after `- ` entries: the mapping is indented to the key.
    let mut entry = at;
    while line.get(entry) == Some(&b'-') && line.get(entry + 1) == Some(&b' ') {
        entry += 1;
        entry += line[entry..].iter().take_while(|&&b| b == b' ').count();
    }
    if entry > at && line[entry..].contains(&b':') {
        at = entry;
    }
    at
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
            Some(digit) => parent_indent(doc, header_at) + usize::from(digit - b'0'),
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

/// YAML double-quoted escapes (YAML 1.2 §5.7): `\` and `"`, every character that is not
/// printable or that a YAML 1.1 reader breaks lines at, and white space at the edges, which a
/// scalar that spans lines would fold away.
fn yaml_double(value: &str) -> Cow<'_, str> {
    // Most values need no escape: they are inserted as they are, without a copy.
    let plain = |c: char| {
        !matches!(
            c,
            '\\' | '"' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{FEFF}'
        ) && !c.is_control()
            && printable(c)
    };
    if !value.starts_with(' ') && !value.ends_with(' ') && value.chars().all(plain) {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() + 8);
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            ' ' if i == 0 || i == last => out.push_str("\\x20"),
            '\u{85}' => out.push_str("\\N"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            '\u{FEFF}' => out.push_str("\\uFEFF"),
            c if c.is_control() || !printable(c) => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A JSON value (`jsonParse`'s) written as YAML on one line, in flow style, that YAML 1.1 and
/// 1.2 readers read as the same nodes: keys and strings double-quoted, numbers as
/// [`schema::json_number`] writes them, members in key order (a mapping has no order; a
/// repeated key is the last one, as JSON readers keep it). `nodes`, when given, gets the nodes a
/// reader finds, each with whether it is a plain scalar.
fn yaml_flow(
    json: &str,
    out: &mut String,
    mut nodes: Option<&mut Vec<(Node, bool)>>,
    depth: usize,
) -> Result<(), Refusal> {
    use serde_json::value::RawValue;
    if depth >= NESTING_LIMIT {
        return Err(Refusal::TooDeep);
    }
    let json = json.trim();
    let unread = |_| Refusal::TooDeep;
    fn node(nodes: &mut Option<&mut Vec<(Node, bool)>>, node: Node, plain: bool) {
        if let Some(nodes) = nodes.as_deref_mut() {
            nodes.push((node, plain));
        }
    }
    match json.as_bytes().first() {
        Some(b'{') => {
            let members: std::collections::BTreeMap<String, Box<RawValue>> =
                serde_json::from_str(json).map_err(unread)?;
            node(&mut nodes, Node::MappingStart, false);
            out.push('{');
            for (i, (key, value)) in members.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let written = yaml_double(key);
                // YAML readers take an implicit key of at most 1024 characters (§7.4.2).
                if written.chars().count() + 2 > 1024 {
                    return Err(Refusal::LongKey);
                }
                let _ = write!(out, "\"{written}\": ");
                node(&mut nodes, Node::Scalar(key.clone()), false);
                yaml_flow(value.get(), out, nodes.as_deref_mut(), depth + 1)?;
            }
            out.push('}');
            node(&mut nodes, Node::MappingEnd, false);
        }
        Some(b'[') => {
            let items: Vec<Box<RawValue>> = serde_json::from_str(json).map_err(unread)?;
            node(&mut nodes, Node::SequenceStart, false);
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                yaml_flow(item.get(), out, nodes.as_deref_mut(), depth + 1)?;
            }
            out.push(']');
            node(&mut nodes, Node::SequenceEnd, false);
        }
        Some(b'"') => {
            let text: String = serde_json::from_str(json).map_err(unread)?;
            let _ = write!(out, "\"{}\"", yaml_double(&text));
            node(&mut nodes, Node::Scalar(text), false);
        }
        Some(b't' | b'f' | b'n') => {
            out.push_str(json);
            node(&mut nodes, Node::Scalar(json.to_owned()), true);
        }
        _ => {
            let number = schema::json_number(json);
            out.push_str(&number);
            node(&mut nodes, Node::Scalar(number), true);
        }
    }
    Ok(())
}

/// A mask that is a whole plain scalar: the value's JSON type decides the scalar's. A string
/// that is not safe plain, or that some reader would type (`007`, `yes`, `~`), is written as a
/// double-quoted scalar in the mask's place.
fn yaml_plain_whole(
    value: &str,
    kind: Kind,
    flow: bool,
    tag: Tag,
) -> Result<Cow<'_, str>, Refusal> {
    if let Some(expects) = tag.expects() {
        // The tag decides the type: the value must be one every reader reads as that type.
        // What fits is digits, signs, dots, letters and base64's `+/=`: always a plain scalar
        // (a `-` or `+` first is followed by a character, so it opens nothing).
        return if tag.fits(value) {
            Ok(Cow::Borrowed(value))
        } else {
            Err(Refusal::Tag {
                tag: tag.name(),
                expects,
            })
        };
    }
    let tagged = tag != Tag::None;
    match kind {
        Kind::Number if !tagged => Ok(Cow::Owned(schema::json_number(value))),
        Kind::Array | Kind::Object if !tagged => Err(Refusal::Collection {
            kind: if kind == Kind::Array {
                "array"
            } else {
                "object"
            },
        }),
        Kind::Bool | Kind::Null if !tagged => Ok(Cow::Borrowed(value)),
        _ if yaml_plain(value, true, true, flow).is_ok()
            && (tagged || schema::non_string(value).is_none()) =>
        {
            Ok(Cow::Borrowed(value))
        }
        _ => Ok(Cow::Owned(format!("\"{}\"", yaml_double(value)))),
    }
}

/// A scalar's explicit tag, as far as it decides the scalar's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tag {
    None,
    Str,
    Int,
    Float,
    Bool,
    Null,
    Binary,
    /// Any other tag (`!Sub`, `!!timestamp`, a local tag): the text is kept as a string.
    Other,
}

impl Tag {
    fn of(tag: Option<&serde_saphyr::granit_parser::Tag>) -> Self {
        match tag.map(|t| t.core_suffix()) {
            None => Self::None,
            Some(Some("str")) => Self::Str,
            Some(Some("int")) => Self::Int,
            Some(Some("float")) => Self::Float,
            Some(Some("bool")) => Self::Bool,
            Some(Some("null")) => Self::Null,
            Some(Some("binary")) => Self::Binary,
            Some(_) => Self::Other,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Int => "!!int",
            Self::Float => "!!float",
            Self::Bool => "!!bool",
            Self::Null => "!!null",
            Self::Binary => "!!binary",
            Self::Str => "!!str",
            Self::None | Self::Other => "",
        }
    }

    /// For a tag that types its scalar, what a value must be: what YAML 1.1 readers (PyYAML)
    /// and 1.2 readers (ruamel.yaml) both construct as that type.
    fn expects(self) -> Option<&'static str> {
        Some(match self {
            Self::Int => "a decimal integer without leading zeros (`5432`, `-7`)",
            Self::Float => "a decimal number (`1.5`, `-2`, `1e5`) or `.inf`, `-.inf`, `.nan`",
            Self::Bool => "`true` or `false`",
            Self::Null => "`null`, `~` or nothing",
            Self::Binary => "standard base64",
            Self::None | Self::Str | Self::Other => return None,
        })
    }

    /// Whether `text` is a value of this tag's type for YAML 1.1 and 1.2 readers alike.
    pub(crate) fn fits(self, text: &str) -> bool {
        use std::sync::LazyLock;
        static INT: LazyLock<regex::Regex> =
            LazyLock::new(|| regex::Regex::new(r"^[-+]?(0|[1-9][0-9]*)$").expect("valid"));
        static FLOAT: LazyLock<regex::Regex> = LazyLock::new(|| {
            regex::Regex::new(
                r"^([-+]?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$",
            )
            .expect("valid")
        });
        match self {
            Self::Int => INT.is_match(text),
            Self::Float => FLOAT.is_match(text),
            Self::Bool => matches!(text, "true" | "True" | "TRUE" | "false" | "False" | "FALSE"),
            Self::Null => matches!(text, "" | "~" | "null" | "Null" | "NULL"),
            Self::Binary => {
                use base64::Engine;
                !text.is_empty()
                    && base64::engine::general_purpose::STANDARD
                        .decode(text)
                        .is_ok()
            }
            Self::None | Self::Str | Self::Other => true,
        }
    }
}

/// What makes a value unsafe in part of a plain scalar: it could end the scalar (`: `, ` #`, a
/// line break, a flow indicator in a flow collection), start another node (an indicator
/// first), or lose characters (edge spaces). The re-parse check sees the rest.
fn yaml_plain(value: &str, at_start: bool, at_end: bool, flow: bool) -> Result<(), Refusal> {
    let refuse = |what| Err(Refusal::Plain { what });
    if value.contains(LINE_BREAKS) {
        return refuse("a line break");
    }
    // A tab is no plain-scalar character for PyYAML and ruamel.yaml.
    if value.chars().any(|c| !printable(c) || c == '\t') {
        return refuse("a tab or control character");
    }
    // A byte order mark may not stand inside a document; readers drop or reject it.
    if value.contains('\u{FEFF}') {
        return refuse("a byte order mark");
    }
    if value.contains(": ") || value.contains(":\t") || value.ends_with(':') && at_end {
        return refuse("`: `");
    }
    // A `#` first in the value is a comment only after white space before the mask; the
    // re-parse check catches that case.
    if value.contains(" #") || value.contains("\t#") {
        return refuse("` #`");
    }
    // PyYAML ends a plain scalar in a flow collection at `?` and `:` too.
    if flow && value.contains([',', '[', ']', '{', '}', '?', ':']) {
        return refuse("a flow indicator `,[]{}?:` inside a flow collection");
    }
    if at_start {
        if value.is_empty() && at_end {
            return refuse("an empty value, which YAML reads as null");
        }
        if value.starts_with([
            '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%',
            '@', '`',
        ]) {
            return refuse("a leading indicator character");
        }
        if value.starts_with([' ', '\t']) {
            return refuse("leading white space");
        }
    }
    if at_end && value.ends_with([' ', '\t']) {
        return refuse("trailing white space");
    }
    Ok(())
}

fn block_control(value: &str) -> Result<(), Refusal> {
    if value.chars().any(|c| {
        matches!(c, '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')
            || c != '\t' && c != '\n' && !printable(c)
    }) {
        Err(Refusal::BlockControl)
    } else {
        Ok(())
    }
}

/// A value that ends a block scalar's content keeps its final line breaks only as far as the
/// block's chomping does: `|` keeps one, `|-` none.
fn chomped(value: &str, last: Option<Chomp>) -> Result<(), Refusal> {
    let breaks = value.len() - value.trim_end_matches('\n').len();
    match last {
        Some(Chomp::Clip) if breaks > 1 => Err(Refusal::Chomped { indicator: "|" }),
        Some(Chomp::Strip) if breaks > 0 => Err(Refusal::Chomped { indicator: "|-" }),
        _ => Ok(()),
    }
}

/// Every line after the first is indented like the block's content, so it stays in the block.
fn yaml_literal(value: &str, indent: usize) -> Cow<'_, str> {
    if !value.contains('\n') {
        return Cow::Borrowed(value);
    }
    let indent = " ".repeat(indent);
    let mut out = String::with_capacity(value.len() + indent.len() * 4);
    for (i, line) in value.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
            if !line.is_empty() {
                out.push_str(&indent);
            }
        }
        out.push_str(line);
    }
    Cow::Owned(out)
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
    /// Its explicit tag.
    tag: Tag,
    /// A node of a collection `jsonParse` placed (expected, not read): compared as it is.
    parsed: bool,
}

/// The nodes of `text` as a reader finds them, one at a time; `Err` (where) at a syntax error.
fn yaml_nodes(text: &str) -> impl Iterator<Item = Result<Located, usize>> + '_ {
    parser(text).filter_map(move |event| {
        let (event, span) = match event {
            Ok(event) => event,
            Err(e) => return Some(Err(e.marker().byte_offset().unwrap_or(0))),
        };
        let start = span.start.byte_offset().unwrap_or(0);
        let end = span.end.byte_offset().unwrap_or(start);
        let (mut chomp, mut implicit, mut typed) = (None, false, Tag::None);
        let node = match event {
            Event::Scalar(value, style, _, tag) => {
                if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
                    let header = block_header(text.as_bytes(), start);
                    chomp = Some(Chomp::of_header(text.as_bytes(), header));
                }
                implicit = style == ScalarStyle::Plain && tag.is_none();
                typed = Tag::of(tag.as_deref());
                Node::Scalar(value.into_owned())
            }
            Event::Alias(id) => Node::Alias(id),
            Event::SequenceStart(..) => Node::SequenceStart,
            Event::SequenceEnd => Node::SequenceEnd,
            Event::MappingStart(..) => Node::MappingStart,
            Event::MappingEnd => Node::MappingEnd,
            Event::DocumentStart(..) => Node::DocumentStart,
            Event::DocumentEnd => Node::DocumentEnd,
            _ => return None,
        };
        Some(Ok(Located {
            node,
            start,
            end,
            chomp,
            implicit,
            tag: typed,
            parsed: false,
        }))
    })
}

/// Where each open collection is: whether a mapping, and its children so far. Tells whether the
/// next node is a mapping's key.
#[derive(Default)]
struct Open(Vec<(bool, usize)>);

impl Open {
    /// Takes `node` in; whether it is a mapping's key.
    fn see(&mut self, node: &Node) -> bool {
        let child = matches!(
            node,
            Node::Scalar(_) | Node::Alias(_) | Node::MappingStart | Node::SequenceStart
        );
        let key = child
            && self
                .0
                .last()
                .is_some_and(|(mapping, n)| *mapping && n % 2 == 0);
        if child && let Some((_, children)) = self.0.last_mut() {
            *children += 1;
        }
        match node {
            Node::MappingStart => self.0.push((true, 0)),
            Node::SequenceStart => self.0.push((false, 0)),
            Node::MappingEnd | Node::SequenceEnd => {
                self.0.pop();
            }
            _ => {}
        }
        key
    }
}

/// The template's nodes, each whole plain scalar that holds a `jsonParse` collection replaced
/// by the nodes that collection is, at the mask's place; a collection as a mapping's key is
/// refused (readers cannot take it). `Err(None)` at a syntax error of the template.
fn with_parsed<'a>(
    expected: impl Iterator<Item = Result<Located, usize>> + 'a,
    slots: &'a [Slot<'_, Context>],
    masks: &'a [Span],
) -> impl Iterator<Item = Result<Located, Option<Mismatch>>> + 'a {
    let parsed = |i: usize| {
        slots[i].value.is_parsed() && matches!(slots[i].value.kind(), Kind::Array | Kind::Object)
    };
    let any = (0..slots.len()).any(parsed);
    let mut open = Open::default();
    let mut queue = std::collections::VecDeque::new();
    let mut expected = expected;
    std::iter::from_fn(move || {
        if let Some(node) = queue.pop_front() {
            return Some(Ok(node));
        }
        let node = match expected.next()? {
            Ok(node) => node,
            Err(_) => return Some(Err(None)),
        };
        if !any {
            return Some(Ok(node));
        }
        let key = open.see(&node.node);
        let slot = match &node.node {
            Node::Scalar(text) if node.implicit => {
                let inside = within(masks, node.start, node.end);
                (inside.len() == 1 && *text == placeholder(inside.start, masks[inside.start].len()))
                    .then_some(inside.start)
                    .filter(|&i| parsed(i))
            }
            _ => None,
        };
        let Some(i) = slot else {
            return Some(Ok(node));
        };
        let blame = || {
            Some(Mismatch {
                masks: vec![(i, MaskFailure::Structure)],
            })
        };
        if key {
            return Some(Err(blame()));
        }
        let mut nodes = Vec::new();
        if yaml_flow(slots[i].text(), &mut String::new(), Some(&mut nodes), 0).is_err() {
            return Some(Err(blame()));
        }
        queue.extend(nodes.into_iter().map(|(node, plain)| Located {
            node,
            start: masks[i].start,
            end: masks[i].end,
            chomp: None,
            implicit: plain,
            tag: Tag::None,
            parsed: true,
        }));
        queue.pop_front().map(Ok)
    })
}

/// How many keys of their mappings repeat a key before them, counted as the nodes come. Keys
/// are kept as hashes: a collision could only refuse a render, never pass one.
#[derive(Default)]
struct Repeats {
    open: Open,
    /// Per open collection: the hashes of a mapping's scalar keys (none for a sequence).
    keys: Vec<Option<std::collections::HashSet<u64>>>,
    count: usize,
}

impl Repeats {
    fn see(&mut self, node: &Node) {
        use std::hash::{BuildHasher, BuildHasherDefault};
        if self.open.see(node)
            && let (Some(Some(keys)), Node::Scalar(key)) = (self.keys.last_mut(), node)
            && !keys.insert(
                BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default()
                    .hash_one(key),
            )
        {
            self.count += 1;
        }
        match node {
            Node::MappingStart => self.keys.push(Some(std::collections::HashSet::new())),
            Node::SequenceStart => self.keys.push(None),
            Node::MappingEnd | Node::SequenceEnd => {
                self.keys.pop();
            }
            _ => {}
        }
    }
}

/// The output read again: the template's events, each value reading back as itself where its
/// mask was (a number in a whole plain scalar as YAML 1.1 reads it too), with its type.
fn verify(
    template: &mut [u8],
    slots: &[Slot<'_, Context>],
    rendered: &[u8],
) -> Result<(), Mismatch> {
    let masks = super::spans(slots);
    // The template is read with its masks swapped for placeholders in place: never copied.
    super::swap_placeholders(template, &masks, |doc| {
        compare(doc, slots, &masks, rendered)
    })
}

/// [`verify`], with `doc` the template with its masks as placeholders.
fn compare(
    doc: &[u8],
    slots: &[Slot<'_, Context>],
    masks: &[Span],
    rendered: &[u8],
) -> Result<(), Mismatch> {
    /// What a reader finds: a number in a whole plain scalar is written as YAML 1.1 reads it.
    fn read<'s>(slot: &'s Slot<'_, Context>) -> Cow<'s, str> {
        if let Context::Nested(nested) = &slot.context {
            // The block holds the value as the nested file writes it.
            return nested
                .nest
                .escape(nested.index, slot.value)
                .map_or(Cow::Borrowed(""), |text| Cow::Owned(text.into_owned()));
        }
        if slot.context.typed() && slot.value.kind() == Kind::Number {
            Cow::Owned(schema::json_number(slot.text()))
        } else {
            Cow::Borrowed(slot.text())
        }
    }
    let all = || Mismatch::all(masks.len());
    // Values that keep the document's shape but not their type: every one is listed.
    let mut mistyped: Vec<(usize, MaskFailure)> = Vec::new();
    let (doc, rendered) = (
        String::from_utf8_lossy(doc),
        String::from_utf8_lossy(rendered),
    );
    // Both documents are read node by node, side by side: nothing is held per node.
    let mut expected = with_parsed(yaml_nodes(&doc), slots, masks);
    let mut actual = yaml_nodes(&rendered);
    let (mut repeats_expected, mut repeats_actual) = (Repeats::default(), Repeats::default());
    loop {
        let want = match expected.next() {
            None => break,
            Some(Ok(want)) => want,
            Some(Err(mismatch)) => return Err(mismatch.unwrap_or_else(all)),
        };
        let got = match actual.next() {
            Some(Ok(got)) => Some(got),
            Some(Err(_)) => return Err(all()),
            None => None,
        };
        repeats_expected.see(&want.node);
        if let Some(got) = &got {
            repeats_actual.see(&got.node);
        }
        let got = got.as_ref();
        let inside = within(masks, want.start, want.end);
        if want.parsed {
            // As written: a plain scalar among them must be typed for every reader.
            let typed = |got: &Located| {
                !got.implicit
                    || matches!(&got.node, Node::Scalar(text) if schema::non_string(text).is_some())
            };
            if got.is_none_or(|got| {
                got.node != want.node || got.implicit != want.implicit || !typed(got)
            }) {
                return Err(Mismatch {
                    masks: inside.map(|i| (i, MaskFailure::Structure)).collect(),
                });
            }
            continue;
        }
        let (wanted, found) = match (&want.node, got.map(|g| &g.node)) {
            (Node::Scalar(value), Some(Node::Scalar(got))) => {
                let wanted = substitute(value, slots, inside.clone(), read);
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
        // A scalar whose tag types it: what it reads must be of that type for every reader.
        if let (Some(got), Node::Scalar(text)) = (got, &wanted)
            && !inside.is_empty()
            && let Some(expects) = got.tag.expects()
            && !got.tag.fits(text)
        {
            mistyped.extend(inside.clone().map(|i| {
                (
                    i,
                    MaskFailure::Refused(super::Refusal::Yaml(Refusal::Tag {
                        tag: got.tag.name(),
                        expects,
                    })),
                )
            }));
            continue;
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
            let expected_string = !whole || slots[inside.start].value.kind() == Kind::String;
            if let (true, Some(typed)) = (expected_string, typed) {
                mistyped.extend(inside.map(|i| {
                    (
                        i,
                        MaskFailure::Refused(super::Refusal::Yaml(Refusal::PlainType {
                            typed: typed.describe(),
                        })),
                    )
                }));
                continue;
            }
            if !expected_string && typed.is_none() {
                return Err(Mismatch::all(masks.len()));
            }
        }
    }
    // A value that repeats a key of its mapping makes readers drop one (or fail).
    if actual.next().is_some() || repeats_actual.count > repeats_expected.count {
        return Err(all());
    }
    if mistyped.is_empty() {
        Ok(())
    } else {
        Err(Mismatch { masks: mistyped })
    }
}

/// Each nested document read again by its own format: the block's content with every value
/// written as that format writes it must read back as the document with the values.
fn verify_nested(slots: &[Slot<'_, Context>]) -> Result<(), Mismatch> {
    let mut done: Vec<&Nest> = Vec::new();
    for slot in slots {
        let Context::Nested(nested) = &slot.context else {
            continue;
        };
        let nest = &nested.nest;
        if done.contains(&nest) {
            continue;
        }
        done.push(nest);
        // This block's slots, in the order of the nested document's masks.
        let members: Vec<usize> = (0..slots.len())
            .filter(|&k| matches!(&slots[k].context, Context::Nested(n) if n.nest == *nest))
            .collect();
        let inner = &nest.0;
        let blame = |why: fn() -> MaskFailure| Mismatch {
            masks: members.iter().map(|&k| (k, why())).collect(),
        };
        let mut output = Vec::with_capacity(inner.template.len());
        let mut masks = Vec::with_capacity(members.len());
        let mut values = Vec::with_capacity(members.len());
        let mut last = 0;
        for (&k, span) in members.iter().zip(&inner.spans) {
            let Ok(text) = nest.escape(masks.len(), slots[k].value) else {
                return Err(blame(|| MaskFailure::Structure));
            };
            output.extend_from_slice(&inner.template[last..span.start]);
            output.extend_from_slice(text.as_bytes());
            last = span.end;
            masks.push(crate::mask::Mask {
                span: *span,
                ..slots[k].mask.clone()
            });
            values.push(slots[k].value);
        }
        output.extend_from_slice(&inner.template[last..]);
        match super::Format::reread_placed(
            &inner.placement,
            &mut inner.template.clone(),
            &masks,
            &values,
            &output,
        ) {
            Ok(Ok(())) => {}
            Ok(Err(mismatch)) => {
                return Err(Mismatch {
                    masks: mismatch
                        .masks
                        .into_iter()
                        .map(|(j, why)| (members[j], why))
                        .collect(),
                });
            }
            Err(_) => return Err(blame(|| MaskFailure::Structure)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A large template holds a context per mask while it renders: the rare nested one is boxed.
    #[test]
    fn a_context_takes_two_words() {
        assert!(std::mem::size_of::<Context>() <= 16);
    }

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
            let mut template = doc.as_bytes().to_vec();
            let whole = yaml_in(&mut template, &masks, 1).unwrap().0;
            assert_eq!(whole, yaml(&mut template, &masks).unwrap().0);
            assert!(whole.iter().all(|c| *c != Context::Comment), "{doc:?}");
            for threads in 2..=4 {
                assert_eq!(
                    yaml_in(&mut template, &masks, threads).unwrap().0,
                    whole,
                    "{threads} threads on {doc:?}"
                );
                assert_eq!(template, doc.as_bytes(), "the template as it was");
            }
        }
    }

    #[test]
    fn a_syntax_error_is_found_in_pieces_too() {
        let doc = "a: x\nb: [y\nc: z\nd: w\n";
        assert!(yaml_in(&mut doc.as_bytes().to_vec(), &[], 1).is_err());
        assert!(yaml_in(&mut doc.as_bytes().to_vec(), &[], 3).is_err());
    }

    #[test]
    fn double_quoted_escapes_quotes_backslashes_controls_and_edge_spaces() {
        assert_eq!(yaml_double("a\"b\\c\nd\u{1}"), "a\\\"b\\\\c\\nd\\u0001");
        assert_eq!(yaml_double(" a b "), "\\x20a b\\x20");
        assert_eq!(yaml_double("x\u{2029}\u{FFFE}"), "x\\P\\uFFFE");
    }

    #[test]
    fn plain_scalar_refuses_what_would_change_the_document() {
        for value in [
            "a: b",
            "a #b",
            "*alias",
            "- item",
            "x\ny",
            "",
            " lead",
            "&a",
            "{x}",
            "x\u{2028}y",
        ] {
            assert!(
                yaml_plain(value, true, true, false).is_err(),
                "{value:?} should be refused"
            );
        }
        assert!(yaml_plain("p@ss:w0rd#1", true, true, false).is_ok());
        assert!(yaml_plain("a,b", false, false, true).is_err());
    }

    #[test]
    fn a_whole_plain_scalar_keeps_the_value_type() {
        let whole = |value, kind| yaml_plain_whole(value, kind, false, Tag::None).unwrap();
        assert_eq!(whole("007", Kind::String), "\"007\"");
        assert_eq!(whole("yes", Kind::String), "\"yes\"");
        assert_eq!(whole("a: b", Kind::String), "\"a: b\"");
        assert_eq!(whole("hunter2", Kind::String), "hunter2");
        assert_eq!(whole("\u{FEFF}bom", Kind::String), "\"\\uFEFFbom\"");
        assert_eq!(whole("5432", Kind::Number), "5432");
        assert_eq!(whole("1e5", Kind::Number), "1.0e+5");
        assert_eq!(whole("true", Kind::Bool), "true");
        assert!(yaml_plain_whole("[1]", Kind::Array, false, Tag::None).is_err());
    }

    #[test]
    fn a_core_tag_takes_only_values_of_its_type() {
        let whole = |value, tag| yaml_plain_whole(value, Kind::String, false, tag);
        assert_eq!(whole("5432", Tag::Int).unwrap(), "5432");
        for value in ["007", "0x1F", "1_000", "true", "1.5", ""] {
            assert!(whole(value, Tag::Int).is_err(), "{value}");
        }
        assert_eq!(whole("1e5", Tag::Float).unwrap(), "1e5");
        assert_eq!(whole("-.inf", Tag::Float).unwrap(), "-.inf");
        assert!(whole("1.", Tag::Float).is_err());
        assert!(whole("yes", Tag::Bool).is_err());
        assert_eq!(whole("false", Tag::Bool).unwrap(), "false");
        assert_eq!(whole("", Tag::Null).unwrap(), "");
        assert!(whole("0", Tag::Null).is_err());
        assert!(whole("a=", Tag::Binary).is_err());
        assert_eq!(whole("aGk=", Tag::Binary).unwrap(), "aGk=");
        // `!!str` and other tags keep a string, quoted where plain would not hold it.
        assert_eq!(whole("a: b", Tag::Str).unwrap(), "\"a: b\"");
        assert_eq!(whole("007", Tag::Other).unwrap(), "007");
    }

    #[test]
    fn literal_block_indents_continuation_lines() {
        assert_eq!(yaml_literal("a\nb\n\nc", 2), "a\n  b\n\n  c");
    }

    #[test]
    fn block_chomping_may_not_drop_the_value_s_line_breaks() {
        assert!(chomped("x\n", Some(Chomp::Clip)).is_ok());
        assert!(chomped("x\n\n", Some(Chomp::Clip)).is_err());
        assert!(chomped("x\n", Some(Chomp::Strip)).is_err());
        assert!(chomped("x\n\n\n", Some(Chomp::Keep)).is_ok());
        assert!(chomped("x\n\n\n", None).is_ok());
    }
}
