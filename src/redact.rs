//! Redaction of resolved values from a stream (`secretmask run --redact`): every value and the
//! forms a program or a CI log gives it become `<redacted>`, even when a value arrives split
//! across reads, overlaps another value or is wrapped over lines.
//!
//! Two views of the stream are searched, each with one multi-pattern automaton:
//! - the stream as it is, for the value, its JSON and URL escapes and the lines of a multi-line
//!   value;
//! - the stream with wrapped lines joined (a line break between two base64 characters is left
//!   out), for base64 and hex, which `base64`, `openssl` and `xxd -p` wrap at 76, 64 or 60
//!   columns.
//!
//! Every match, overlapping ones included, is a byte range of the stream; ranges that overlap or
//! touch become one `<redacted>`. Long patterns are cut into tiles, so a value printed whole is
//! still one range while what is held back to find a value split across reads stays short.

use aho_corasick::automaton::{Automaton, OverlappingState};
use aho_corasick::dfa::DFA;
use aho_corasick::nfa::contiguous::NFA;
use aho_corasick::{Anchored, Input, MatchKind, StartKind};
use std::collections::{HashMap, HashSet};

use base64::Engine as _;
use secrecy::{ExposeSecret, SecretBox};

/// What a redacted value is replaced with.
pub const REDACTED: &[u8] = b"<redacted>";

/// A line of a multi-line value is redacted on its own from this many bytes: shorter lines
/// (`}`, `-----`) are too common in output to be told from the value.
const LINE_AT_LEAST: usize = 4;

/// Base64 of a value after a prefix that does not end on a 3-byte boundary shares its first and
/// last characters with the prefix and suffix; the characters in between are matched from this
/// many on (shorter runs would match unrelated text).
const CORE_AT_LEAST: usize = 8;

/// Patterns of this many bytes or more are found as tiles of this size (the last one up to
/// a tile longer) by probing the stream at intervals, rather than by an automaton stepping
/// through every byte: twenty certificates make an automaton of a megabyte that a log would walk
/// at a tenth of pipe speed. The tiles of a value printed whole touch, so they merge into one
/// range.
const TILE: usize = 32;

/// Tiles are looked up by the `WINDOW` bytes at every `STRIDE`th position of the stream: every
/// tile lies over one such window, since `STRIDE + WINDOW <= TILE + 1`.
const WINDOW: usize = 8;
const STRIDE: usize = 16;

/// Bits of the filter that decides, before a table lookup, whether a window can be a tile's.
const FILTER_BITS: u32 = 23;

/// A straddling range is held back at most this long; a longer run of touching matches is
/// written out as far as it is known and carried on.
const HOLD_AT_MOST: usize = 1 << 20;

/// How far a base64 match is widened on each side: over the characters it shares with the text
/// around the value (up to three), and on the right over padding after them (up to two `=`).
const WIDEN: usize = 3;
const PADDING: usize = 2;

/// The texts to redact for a set of values. Never shown by `Debug`.
pub struct Patterns {
    /// Searched in the stream as it is.
    plain: SecretBox<Vec<Vec<u8>>>,
    /// Searched in the stream with wrapped lines joined: hex, then base64 from `base64_from` on.
    wrapped: SecretBox<Vec<Vec<u8>>>,
    base64_from: usize,
}

impl Patterns {
    /// The patterns for `values`; empty values are left out.
    pub fn new<'a>(values: impl IntoIterator<Item = &'a str>) -> Self {
        let mut plain = Vec::new();
        let mut hex = Vec::new();
        let mut base64 = Vec::new();
        for value in values.into_iter().filter(|v| !v.is_empty()) {
            plain.extend(plain_forms(value));
            hex.extend(hex_forms(value.as_bytes()));
            base64.extend(base64_forms(value.as_bytes()));
        }
        let plain = sorted(plain);
        let hex = sorted(hex);
        let base64: Vec<Vec<u8>> = sorted(base64)
            .into_iter()
            .filter(|b| hex.binary_search(b).is_err())
            .collect();
        let base64_from = hex.len();
        let mut wrapped = hex;
        wrapped.extend(base64);
        Self {
            plain: SecretBox::new(Box::new(plain)),
            wrapped: SecretBox::new(Box::new(wrapped)),
            base64_from,
        }
    }

    /// Whether there is nothing to redact.
    pub fn is_empty(&self) -> bool {
        self.plain.expose_secret().is_empty()
    }

    /// The texts as lines for GitHub Actions' `::add-mask::` command, which masks one line each:
    /// every pattern without a line break, escaped as the runner unescapes command data.
    pub fn github_add_masks(&self) -> Vec<SecretBox<String>> {
        let plain = self.plain.expose_secret().iter();
        plain
            .chain(self.wrapped.expose_secret().iter())
            .filter_map(|text| std::str::from_utf8(text).ok())
            .filter(|text| !text.contains(['\n', '\r']))
            .map(|text| {
                let escaped = text.replace('%', "%25");
                SecretBox::new(Box::new(format!("::add-mask::{escaped}\n")))
            })
            .collect()
    }
}

/// The value, its JSON string forms (as `serde_json`/`JSON.stringify` write it, with every
/// non-ASCII character escaped as Python's `json.dumps` does, and with `<>&` escaped as Go
/// does), its URL encodings, and each line of a multi-line value.
fn plain_forms(value: &str) -> Vec<Vec<u8>> {
    let json = serde_json::to_string(value).expect("a string serializes");
    let json = &json[1..json.len() - 1];
    let mut ascii = String::new();
    let mut html = String::new();
    for c in json.chars() {
        if c.is_ascii() {
            ascii.push(c);
        } else {
            for unit in c.encode_utf16(&mut [0; 2]) {
                ascii.push_str(&format!("\\u{unit:04x}"));
            }
        }
        match c {
            '<' => html.push_str("\\u003c"),
            '>' => html.push_str("\\u003e"),
            '&' => html.push_str("\\u0026"),
            '\u{2028}' => html.push_str("\\u2028"),
            '\u{2029}' => html.push_str("\\u2029"),
            c => html.push(c),
        }
    }
    let mut forms = vec![
        value.as_bytes().to_vec(),
        json.as_bytes().to_vec(),
        ascii.into_bytes(),
        html.into_bytes(),
    ];
    forms.extend(url_forms(value.as_bytes()));
    if value.contains('\n') {
        forms.extend(
            value
                .lines()
                .map(str::trim)
                .filter(|line| line.len() >= LINE_AT_LEAST)
                .map(|line| line.as_bytes().to_vec()),
        );
    }
    forms
}

/// Percent-encodings as URLs and logs carry them: every byte but RFC 3986's unreserved ones in
/// upper- and lower-case hex, the same keeping `/` (Python's `quote`), and form encoding
/// (`application/x-www-form-urlencoded`, a space as `+`).
fn url_forms(bytes: &[u8]) -> Vec<Vec<u8>> {
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || b"-._~".contains(&b);
    let encode = |keep: &dyn Fn(u8) -> bool, space_plus: bool, upper: bool| {
        let mut out = Vec::with_capacity(bytes.len() * 3);
        for &b in bytes {
            if keep(b) {
                out.push(b);
            } else if space_plus && b == b' ' {
                out.push(b'+');
            } else if upper {
                out.extend(format!("%{b:02X}").bytes());
            } else {
                out.extend(format!("%{b:02x}").bytes());
            }
        }
        out
    };
    vec![
        encode(&unreserved, false, true),
        encode(&unreserved, false, false),
        encode(&|b| unreserved(b) || b == b'/', false, true),
        encode(
            &|b| b.is_ascii_alphanumeric() || b"*-._".contains(&b),
            true,
            true,
        ),
    ]
}

fn hex_forms(bytes: &[u8]) -> Vec<Vec<u8>> {
    let lower: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let upper = lower.to_ascii_uppercase();
    vec![lower.into_bytes(), upper.into_bytes()]
}

/// Standard and URL-safe base64 of the value, padded and not, and of the value after a prefix
/// of any length: the characters that encode the value's bytes alone at each of the three
/// alignments (`base64("user:" + value)`, HTTP Basic auth, `echo "$S" | base64`).
fn base64_forms(bytes: &[u8]) -> Vec<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let mut forms = Vec::new();
    for engine in [&STANDARD, &URL_SAFE] {
        forms.push(engine.encode(bytes).into_bytes());
    }
    for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
        forms.push(engine.encode(bytes).into_bytes());
        for skip in 0..3.min(bytes.len()) {
            let rest = &bytes[skip..];
            let core = engine.encode(&rest[..rest.len() / 3 * 3]);
            if core.len() >= CORE_AT_LEAST {
                forms.push(core.into_bytes());
            }
        }
    }
    forms
}

fn sorted(mut patterns: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    patterns.sort();
    patterns.dedup();
    patterns
}

impl Clone for Patterns {
    fn clone(&self) -> Self {
        Self {
            plain: SecretBox::new(Box::new(self.plain.expose_secret().clone())),
            wrapped: SecretBox::new(Box::new(self.wrapped.expose_secret().clone())),
            base64_from: self.base64_from,
        }
    }
}

impl std::fmt::Debug for Patterns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Patterns({} texts, [REDACTED])",
            self.plain.expose_secret().len() + self.wrapped.expose_secret().len()
        )
    }
}

/// One view's search: every occurrence of its patterns, overlapping ones included, as
/// (start, end, widens): `widens` for base64.
#[derive(Clone)]
struct Matcher {
    short: Option<Short>,
    tiles: Option<TileIndex>,
}

impl Matcher {
    /// `widen_from`: the index of the first pattern whose matches widen.
    fn new(patterns: &[Vec<u8>], widen_from: usize) -> Self {
        let (mut short, mut long) = (Vec::new(), Vec::new());
        for (i, pattern) in patterns.iter().enumerate() {
            let item = (pattern.as_slice(), i >= widen_from);
            if pattern.len() < TILE {
                short.push(item);
            } else {
                long.push(item);
            }
        }
        Self {
            short: (!short.is_empty()).then(|| Short::new(&short)),
            tiles: (!long.is_empty()).then(|| TileIndex::new(&long)),
        }
    }

    fn occurrences(&self, haystack: &[u8], found: &mut Vec<(usize, usize, bool)>) {
        if let Some(short) = &self.short {
            short.occurrences(haystack, found);
        }
        if let Some(tiles) = &self.tiles {
            tiles.occurrences(haystack, found);
        }
    }

    /// Where the tail of `haystack` that could still begin a pattern starts: each pattern that
    /// starts before it lies wholly in `haystack`.
    fn hold(&self, haystack: &[u8]) -> usize {
        let short = self
            .short
            .as_ref()
            .map_or(haystack.len(), |s| s.hold(haystack));
        let tiles = self
            .tiles
            .as_ref()
            .map_or(haystack.len(), |t| t.hold(haystack));
        short.min(tiles)
    }
}

/// The automaton for patterns shorter than a tile: a DFA while it stays small.
#[derive(Clone)]
enum Engine {
    Dfa(DFA),
    Nfa(NFA),
}

#[derive(Clone)]
struct Short {
    engine: Engine,
    widens: Vec<bool>,
    longest: usize,
}

/// Above this many pattern bytes the short patterns' DFA would outgrow the caches.
const DFA_AT_MOST: usize = 16 * 1024;

impl Short {
    fn new(patterns: &[(&[u8], bool)]) -> Self {
        let texts = patterns.iter().map(|(text, _)| *text);
        let engine = if texts.clone().map(<[u8]>::len).sum::<usize>() <= DFA_AT_MOST {
            Engine::Dfa(
                DFA::builder()
                    .match_kind(MatchKind::Standard)
                    .start_kind(StartKind::Both)
                    .build(texts.clone())
                    .expect("a small DFA builds"),
            )
        } else {
            Engine::Nfa(
                NFA::builder()
                    .match_kind(MatchKind::Standard)
                    .build(texts.clone())
                    .expect("short literal patterns build"),
            )
        };
        Self {
            engine,
            widens: patterns.iter().map(|(_, widens)| *widens).collect(),
            longest: texts.map(<[u8]>::len).max().unwrap_or(0),
        }
    }

    fn occurrences(&self, haystack: &[u8], found: &mut Vec<(usize, usize, bool)>) {
        match &self.engine {
            Engine::Dfa(dfa) => self.occurrences_in(dfa, haystack, found),
            Engine::Nfa(nfa) => self.occurrences_in(nfa, haystack, found),
        }
    }

    fn occurrences_in(
        &self,
        automaton: &impl Automaton,
        haystack: &[u8],
        found: &mut Vec<(usize, usize, bool)>,
    ) {
        let input = Input::new(haystack);
        let mut state = OverlappingState::start();
        loop {
            automaton
                .try_find_overlapping(&input, &mut state)
                .expect("an unanchored search of a standard automaton");
            let Some(m) = state.get_match() else { break };
            found.push((m.start(), m.end(), self.widens[m.pattern().as_usize()]));
        }
    }

    fn hold(&self, haystack: &[u8]) -> usize {
        hold_by(haystack, self.longest, |tail| match &self.engine {
            Engine::Dfa(dfa) => begins(dfa, tail),
            Engine::Nfa(nfa) => begins(nfa, tail),
        })
    }
}

/// Where the first tail of `haystack` that `begins` a longer pattern starts, or its end: only the
/// tails shorter than the `longest` pattern are asked, since no longer one can begin another.
fn hold_by(haystack: &[u8], longest: usize, begins: impl Fn(&[u8]) -> bool) -> usize {
    let len = haystack.len();
    (len.saturating_sub(longest.saturating_sub(1))..len)
        .find(|&at| begins(&haystack[at..]))
        .unwrap_or(len)
}

/// Whether `tail` is the start of a longer pattern of `automaton`.
fn begins(automaton: &impl Automaton, tail: &[u8]) -> bool {
    let mut id = automaton
        .start_state(Anchored::Yes)
        .expect("built to search anchored too");
    for &byte in tail {
        id = automaton.next_state(Anchored::Yes, id, byte);
        if automaton.is_dead(id) {
            return false;
        }
    }
    // In the anchored trie only a whole pattern can end a path.
    !automaton.is_match(id)
        || (0..=u8::MAX).any(|b| !automaton.is_dead(automaton.next_state(Anchored::Yes, id, b)))
}

/// Up to eight bytes as one number (a shorter text padded with zeros).
fn key(bytes: &[u8]) -> u64 {
    let mut word = [0u8; WINDOW];
    word[..bytes.len()].copy_from_slice(bytes);
    u64::from_le_bytes(word)
}

/// Long patterns as tiles, found by probing the stream every [`STRIDE`] bytes.
#[derive(Clone)]
struct TileIndex {
    tiles: Vec<(Vec<u8>, bool)>,
    /// Every window of every tile: the tiles and where in them it is.
    windows: HashMap<u64, Vec<(u32, u8)>>,
    /// Whether a window can be in `windows`, one bit per hash.
    filter: Vec<u64>,
    /// The first one to eight bytes of every tile, by length.
    starts: HashSet<(usize, u64)>,
    longest: usize,
}

impl TileIndex {
    fn new(patterns: &[(&[u8], bool)]) -> Self {
        let mut tiles = Vec::new();
        for &(pattern, widens) in patterns {
            let mut rest = pattern;
            while rest.len() >= 2 * TILE {
                tiles.push((rest[..TILE].to_vec(), widens));
                rest = &rest[TILE..];
            }
            tiles.push((rest.to_vec(), widens));
        }
        tiles.sort();
        tiles.dedup();
        let mut windows: HashMap<u64, Vec<(u32, u8)>> = HashMap::new();
        let mut starts = HashSet::new();
        let mut filter = vec![0u64; 1 << (FILTER_BITS - 6)];
        for (i, (tile, _)) in tiles.iter().enumerate() {
            for (at, window) in tile.windows(WINDOW).enumerate() {
                let key = key(window);
                windows.entry(key).or_default().push((i as u32, at as u8));
                let bit = Self::bit(key);
                filter[bit / 64] |= 1 << (bit % 64);
            }
            for len in 1..=WINDOW {
                starts.insert((len, key(&tile[..len])));
            }
        }
        let longest = tiles.iter().map(|(t, _)| t.len()).max().unwrap_or(0);
        Self {
            tiles,
            windows,
            filter,
            starts,
            longest,
        }
    }

    /// Whether `key` may be a window of a tile: `false` is certain.
    fn may_hold(&self, key: u64) -> bool {
        let bit = Self::bit(key);
        self.filter[bit / 64] & (1 << (bit % 64)) != 0
    }

    fn bit(key: u64) -> usize {
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - FILTER_BITS)) as usize
    }

    fn occurrences(&self, haystack: &[u8], found: &mut Vec<(usize, usize, bool)>) {
        let len = haystack.len();
        let mut at = 0;
        while at + WINDOW <= len {
            let key = key(&haystack[at..at + WINDOW]);
            if self.may_hold(key) {
                for &(tile, offset) in self.windows.get(&key).into_iter().flatten() {
                    let (text, widens) = &self.tiles[tile as usize];
                    let Some(start) = at.checked_sub(usize::from(offset)) else {
                        continue;
                    };
                    let end = start + text.len();
                    if haystack.get(start..end) == Some(text.as_slice()) {
                        found.push((start, end, *widens));
                    }
                }
            }
            at += STRIDE;
        }
    }

    fn hold(&self, haystack: &[u8]) -> usize {
        hold_by(haystack, self.longest, |tail| self.begins(tail))
    }

    /// Whether `tail` is the start of a longer tile.
    fn begins(&self, tail: &[u8]) -> bool {
        if tail.len() <= WINDOW {
            return self.starts.contains(&(tail.len(), key(tail)));
        }
        let candidates = self
            .windows
            .get(&key(&tail[..WINDOW]))
            .into_iter()
            .flatten();
        candidates
            .filter(|(_, offset)| *offset == 0)
            .any(|&(tile, _)| {
                let text = &self.tiles[tile as usize].0;
                text.len() > tail.len() && text.starts_with(tail)
            })
    }
}

/// A filter over one stream: feed it what was read, write what it returns. It holds back only
/// the tail that could still be the start of a value, so output flows as it is written.
#[derive(Clone)]
pub struct Redactor {
    plain: Matcher,
    wrapped: Matcher,
    pending: Vec<u8>,
    /// Whether what was written last ended in a `<redacted>` that a match at the start of
    /// `pending` continues, and how many bytes of `pending` it already covers.
    continued: bool,
    carried: usize,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Redactor([REDACTED])")
    }
}

/// A byte range of the stream to redact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Range {
    start: usize,
    end: usize,
    /// Up to where a range after it touches it: past the line breaks a wrapped match spans.
    reach: usize,
    /// A base64 match that may still widen over characters not yet read.
    widening: bool,
}

impl Redactor {
    /// A filter that redacts `patterns`.
    pub fn new(patterns: Patterns) -> Self {
        Self {
            plain: Matcher::new(patterns.plain.expose_secret(), usize::MAX),
            wrapped: Matcher::new(patterns.wrapped.expose_secret(), patterns.base64_from),
            pending: Vec::new(),
            continued: false,
            carried: 0,
        }
    }

    /// Takes the next bytes of the stream and returns what can be written now.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.pending.extend_from_slice(bytes);
        self.emit(false)
    }

    /// The stream ended: everything left, redacted.
    pub fn finish(&mut self) -> Vec<u8> {
        self.emit(true)
    }

    fn emit(&mut self, end: bool) -> Vec<u8> {
        let len = self.pending.len();
        let mut ranges = Vec::new();
        if self.continued {
            ranges.push(Range::new(0, self.carried));
        }
        let mut hold = len;
        let mut found = Vec::new();
        self.plain.occurrences(&self.pending, &mut found);
        ranges.extend(
            found
                .drain(..)
                .map(|(start, end, _)| Range::new(start, end)),
        );
        if !end {
            hold = hold.min(self.plain.hold(&self.pending));
        }
        let joined = Joined::new(&self.pending, end);
        self.wrapped.occurrences(&joined.text, &mut found);
        for &(from, to, widens) in &found {
            let start = joined.original(from);
            let stop = joined.original(to - 1) + 1;
            let mut range = if widens {
                widen(&self.pending, start, stop, end)
            } else {
                Range::new(start, stop)
            };
            // A match that ends at a left-out line break reaches over it, to touch what follows.
            range.reach = range.end.max(joined.original(to));
            ranges.push(range);
        }
        if !end {
            let at = self.wrapped.hold(&joined.text);
            hold = hold.min(if at == joined.text.len() {
                len
            } else {
                joined.original(at)
            });
        }
        let merged = merge(ranges);
        let mut cut = hold;
        let held = merged
            .last()
            .filter(|r| !end && (r.end > hold || r.widening));
        if let Some(last) = held {
            if len - last.start > HOLD_AT_MOST {
                // A run of touching matches longer than anything worth holding: what is known
                // of it is written as one `<redacted>`, which the rest of it continues.
            } else {
                // A match that starts past the hold point waits for it anyway.
                cut = cut.min(last.start);
            }
        }
        let mut out = Vec::with_capacity(cut);
        let mut cursor = 0;
        for range in merged.iter().filter(|r| r.start < cut) {
            out.extend_from_slice(&self.pending[cursor..range.start]);
            if !(range.start == 0 && self.continued) {
                out.extend_from_slice(REDACTED);
            }
            cursor = range.end.min(cut);
        }
        out.extend_from_slice(&self.pending[cursor..cut]);
        self.pending.drain(..cut);
        // A match at the start of what comes next touches this one: it is the same `<redacted>`.
        if cut > 0 {
            let last = merged.iter().rfind(|r| r.start < cut);
            (self.continued, self.carried) = match last {
                Some(r) if !end && r.end >= cut => (true, r.end - cut),
                _ => (false, 0),
            };
        }
        out
    }
}

/// Widens a base64 match over the characters around it on its line that it shares with the
/// text around the value, and over padding. The range is still `widening` if the stream, not yet
/// ended, ends where it stopped.
fn widen(stream: &[u8], mut start: usize, mut end: usize, ended: bool) -> Range {
    let base64 = |b: u8| b.is_ascii_alphanumeric() || b"+/-_".contains(&b);
    let left = start.saturating_sub(WIDEN);
    while start > left && base64(stream[start - 1]) {
        start -= 1;
    }
    let shared = (end + WIDEN).min(stream.len());
    while end < shared && base64(stream[end]) {
        end += 1;
    }
    let padded = (end + PADDING).min(stream.len());
    while end < padded && stream[end] == b'=' {
        end += 1;
    }
    // More may come: an end of the stream is no end of the encoded text.
    let widening = !ended && end == stream.len();
    Range {
        widening,
        ..Range::new(start, end)
    }
}

impl Range {
    fn new(start: usize, end: usize) -> Self {
        Self {
            start,
            end,
            reach: end,
            widening: false,
        }
    }
}

/// Sorted ranges with those that overlap or touch joined.
fn merge(mut ranges: Vec<Range>) -> Vec<Range> {
    ranges.sort_unstable();
    let mut merged: Vec<Range> = Vec::with_capacity(ranges.len());
    for range in ranges {
        match merged.last_mut() {
            Some(last) if range.start <= last.reach => {
                last.reach = last.reach.max(range.reach);
                if range.end > last.end {
                    last.end = range.end;
                    last.widening = range.widening;
                } else {
                    last.widening |= range.widening && range.end == last.end;
                }
            }
            _ => merged.push(range),
        }
    }
    merged
}

/// The stream with each line break between two base64 characters left out, and the way back to
/// positions in the stream.
struct Joined<'a> {
    text: std::borrow::Cow<'a, [u8]>,
    /// For each left-out break: its position in `text` and how many bytes were left out up to
    /// and including it.
    cuts: Vec<(usize, usize)>,
}

impl<'a> Joined<'a> {
    /// `ended`: whether the stream ends here; if not, a break at the end is left out, since the
    /// byte after it may be one of base64's.
    fn new(stream: &'a [u8], ended: bool) -> Self {
        let base64 = |b: u8| b.is_ascii_alphanumeric() || b"+/-_=".contains(&b);
        let mut cuts = Vec::new();
        let mut text = Vec::new();
        let mut copied = 0;
        let mut removed = 0;
        for at in memchr::memchr_iter(b'\n', stream) {
            let from = if at > 0 && stream[at - 1] == b'\r' {
                at - 1
            } else {
                at
            };
            let before = from > 0 && base64(stream[from - 1]);
            let after = stream.get(at + 1).map_or(!ended, |&b| base64(b));
            if before && after && from >= copied {
                text.extend_from_slice(&stream[copied..from]);
                removed += at + 1 - from;
                cuts.push((text.len(), removed));
                copied = at + 1;
            }
        }
        if cuts.is_empty() {
            return Self {
                text: std::borrow::Cow::Borrowed(stream),
                cuts,
            };
        }
        text.extend_from_slice(&stream[copied..]);
        Self {
            text: std::borrow::Cow::Owned(text),
            cuts,
        }
    }

    /// The stream position of the byte at `at` in the joined text.
    fn original(&self, at: usize) -> usize {
        let before = self.cuts.partition_point(|&(position, _)| position <= at);
        at + before.checked_sub(1).map_or(0, |i| self.cuts[i].1)
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

    /// `text` fed in every split into two reads gives `expected`.
    fn redact_at_every_cut(values: &[&str], text: &str, expected: &str) {
        let built = Redactor::new(Patterns::new(values.iter().copied()));
        for cut in (0..=text.len()).filter(|&cut| text.is_char_boundary(cut)) {
            let (a, b) = text.split_at(cut);
            let mut redactor = built.clone();
            let mut out = redactor.feed(a.as_bytes());
            out.extend(redactor.feed(b.as_bytes()));
            out.extend(redactor.finish());
            assert_eq!(String::from_utf8(out).unwrap(), expected, "cut at {cut}");
        }
        let bytes: Vec<String> = text.chars().map(String::from).collect();
        let chunks: Vec<&str> = bytes.iter().map(String::as_str).collect();
        assert_eq!(redact(values, &chunks), expected, "a byte at a time");
    }

    fn b64(text: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(text)
    }

    #[test]
    fn a_value_is_redacted_whole_or_split_across_reads() {
        assert_eq!(redact(&["hunter2"], &["pw=hunter2\n"]), "pw=<redacted>\n");
        redact_at_every_cut(
            &["hunter2"],
            "pw=hunter2 and hunter2\n",
            "pw=<redacted> and <redacted>\n",
        );
    }

    #[test]
    fn encodings_of_a_value_are_redacted() {
        let value = "p\"a/s?s> &\n";
        let standard = b64(value);
        let url = base64::engine::general_purpose::URL_SAFE.encode(value);
        assert_ne!(standard, url);
        let forms = [
            "p\\\"a/s?s> &\\n".to_owned(),
            "p\\\"a/s?s\\u003e \\u0026\\n".to_owned(),
            standard.clone(),
            standard.trim_end_matches('=').to_owned(),
            url.trim_end_matches('=').to_owned(),
            "7022612f733f733e20260a".to_owned(),
            "7022612F733F733E20260A".to_owned(),
            "p%22a%2Fs%3Fs%3E%20%26%0A".to_owned(),
            "p%22a%2fs%3fs%3e%20%26%0a".to_owned(),
            "p%22a/s%3Fs%3E%20%26%0A".to_owned(),
            "p%22a%2Fs%3Fs%3E+%26%0A".to_owned(),
        ];
        for form in forms {
            assert_eq!(redact(&[value], &[&format!("[{form}]")]), "[<redacted>]");
        }
    }

    #[test]
    fn json_with_every_non_ascii_character_escaped_is_redacted() {
        assert_eq!(
            redact(&["contraseña🔑"], &["\"contrase\\u00f1a\\ud83d\\udd11\""]),
            "\"<redacted>\""
        );
    }

    #[test]
    fn base64_of_a_value_among_other_bytes_is_redacted_at_every_alignment() {
        let value = "P4ssw0rd-long-enough";
        for prefix in ["", "u", "us", "user:", "robot$deploy:"] {
            for suffix in ["", "\n", "x", "!?"] {
                let encoded = b64(&format!("{prefix}{value}{suffix}"));
                let out = redact(&[value], &[&format!("auth: {encoded} ok")]);
                let middle = out
                    .strip_prefix("auth: ")
                    .and_then(|o| o.strip_suffix(" ok"))
                    .unwrap_or_else(|| panic!("{out}"));
                let (left, right) = middle
                    .split_once("<redacted>")
                    .unwrap_or_else(|| panic!("{prefix:?} {suffix:?}: {out}"));
                // What is left encodes the prefix and suffix, and at most a few bits of the value.
                assert!(encoded.starts_with(left), "{out}");
                assert!(left.len() * 3 <= prefix.len() * 4, "{prefix:?}: {out}");
                assert!(
                    right.len() <= 2 && !right.contains("<redacted>"),
                    "{suffix:?}: {out}"
                );
            }
        }
        let jwt = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode("{\"k\":\"P4ssw0rd-long-enough\"}");
        let out = redact(&[value], &[&format!("{jwt}.sig")]);
        assert!(out.ends_with("<redacted>.sig"), "{out}");
        assert!(
            jwt.starts_with(out.trim_end_matches("<redacted>.sig")),
            "{out}"
        );
    }

    #[test]
    fn wrapped_base64_and_hex_are_redacted_over_their_line_breaks() {
        let value = "-----BEGIN KEY-----\n".to_owned() + &"MIIEvQIBADANBgkqhkiG9w0B".repeat(9);
        let encoded = b64(&format!("{value}\n"));
        for (width, newline) in [(76, "\n"), (64, "\r\n")] {
            let wrapped: Vec<&str> = encoded
                .as_bytes()
                .chunks(width)
                .map(|c| std::str::from_utf8(c).unwrap())
                .collect();
            let text = format!("begin\n{}\nend\n", wrapped.join(newline));
            assert_eq!(redact(&[&value], &[&text]), "begin\n<redacted>\nend\n");
        }
        let hex: String = value.bytes().map(|b| format!("{b:02x}")).collect();
        let lines: Vec<&str> = hex
            .as_bytes()
            .chunks(60)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        let text = format!("{}\n", lines.join("\n"));
        redact_at_every_cut(&[&value], &text, "<redacted>\n");
    }

    #[test]
    fn overlapping_values_are_redacted_as_one() {
        redact_at_every_cut(
            &["deploy-admin", "admin-P4ssw0rd!"],
            "login deploy-admin-P4ssw0rd! ok",
            "login <redacted> ok",
        );
        assert_eq!(
            redact(&["abc", "abcdef"], &["xabcdefx abcx"]),
            "x<redacted>x <redacted>x"
        );
    }

    #[test]
    fn a_long_value_printed_whole_is_one_redaction() {
        let value: String = (0..2000u32)
            .map(|i| char::from(b'a' + (i.wrapping_mul(2_654_435_761) >> 27) as u8 % 26))
            .collect();
        redact_at_every_cut(&[&value], &format!("<{value}>"), "<<redacted>>");
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
        assert_eq!(redactor.feed(b"hunter2"), b"<redacted>");
        assert_eq!(redactor.feed(b" and hunter"), b" and ");
        assert_eq!(redactor.finish(), b"hunter");
        assert!(redactor.finish().is_empty());
    }

    #[test]
    fn a_line_break_after_base64_is_held_only_while_it_may_join_a_value() {
        let value = "P4ssw0rd-long-enough";
        let encoded = b64(value);
        let (a, b) = encoded.split_at(20);
        let mut redactor = Redactor::new(Patterns::new([value]));
        assert_eq!(redactor.feed(format!("x {a}\n").as_bytes()), b"x ");
        assert_eq!(redactor.feed(format!("{b}\n").as_bytes()), b"<redacted>\n");
        assert_eq!(redactor.feed(b"plain words\n"), b"plain words\n");
        assert_eq!(redactor.feed(encoded.as_bytes()), b"");
        assert_eq!(redactor.feed(b"+"), b"");
        assert_eq!(redactor.feed(b" more"), b"<redacted> more");
    }

    #[test]
    fn an_endless_run_of_a_value_is_written_as_it_comes() {
        let mut redactor = Redactor::new(Patterns::new(["abcdefgh"]));
        let chunk = "abcdefgh".repeat(64 * 1024);
        let mut out = Vec::new();
        for _ in 0..4 {
            out.extend(redactor.feed(chunk.as_bytes()));
        }
        assert!(redactor.pending.len() <= HOLD_AT_MOST + chunk.len());
        assert!(!out.is_empty());
        out.extend(redactor.finish());
        assert!(!String::from_utf8_lossy(&out).contains("abcdefgh"));
        assert_eq!(String::from_utf8(out).unwrap(), "<redacted>");
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
        assert!(lines.contains(&format!("::add-mask::{}\n", b64("a%b"))));
    }

    #[test]
    fn nothing_to_redact_without_values() {
        assert!(Patterns::new([""]).is_empty());
        assert!(!Patterns::new(["x"]).is_empty());
        assert_eq!(redact(&[], &["a", "b"]), "ab");
    }

    #[test]
    fn debug_shows_no_value() {
        let patterns = Patterns::new(["hunter2"]);
        assert!(!format!("{patterns:?}").contains("hunter2"));
        assert!(!format!("{:?}", Redactor::new(patterns)).contains("hunter2"));
    }

    #[test]
    fn a_base64_match_widens_over_three_shared_characters_and_the_padding() {
        let stream = b"ab.xyzCORE1234wxyz==!";
        let core = 6..14;
        let range = widen(stream, core.start, core.end, true);
        assert_eq!(&stream[range.start..range.end], b"xyzCORE1234wxy");
        let stream = b"CORE1234ab==!";
        let range = widen(stream, 0, 8, true);
        assert_eq!(&stream[range.start..range.end], b"CORE1234ab==");
        let stream = b"CORE1234a===";
        let range = widen(stream, 0, 8, true);
        assert_eq!(&stream[range.start..range.end], b"CORE1234a==");
        assert!(!range.widening);
        assert!(widen(b"CORE1234ab", 0, 8, false).widening);
        assert!(!widen(b"CORE1234ab!", 0, 8, false).widening);
    }

    #[test]
    fn only_a_tail_that_can_still_grow_into_a_pattern_is_held() {
        let short = |patterns: &[&str]| {
            let items: Vec<(&[u8], bool)> =
                patterns.iter().map(|p| (p.as_bytes(), false)).collect();
            Short::new(&items)
        };
        assert_eq!(
            short(&["abc"]).hold(b"xxabc"),
            5,
            "a whole pattern needs no more"
        );
        assert_eq!(
            short(&["abc", "abcdef"]).hold(b"xxabc"),
            2,
            "it may grow into a longer one"
        );
        assert_eq!(short(&["abc"]).hold(b"xxab"), 2);
        assert_eq!(short(&["abc"]).hold(b"xxaz"), 4);
    }

    #[test]
    fn short_patterns_use_a_dfa_until_it_would_outgrow_the_caches() {
        let pattern = |i: usize| format!("pattern-{i:04}-xyz");
        let few: Vec<String> = (0..100).map(pattern).collect();
        let many: Vec<String> = (0..2000).map(pattern).collect();
        let engine = |texts: &[String]| {
            let items: Vec<(&[u8], bool)> = texts.iter().map(|p| (p.as_bytes(), false)).collect();
            Short::new(&items).engine
        };
        assert!(matches!(engine(&few), Engine::Dfa(_)));
        assert!(matches!(engine(&many), Engine::Nfa(_)));
    }

    #[test]
    fn a_whole_pattern_at_the_end_is_not_held_unless_a_longer_one_begins_with_it() {
        let short = |patterns: &[&str]| {
            let items: Vec<(&[u8], bool)> =
                patterns.iter().map(|p| (p.as_bytes(), false)).collect();
            Short::new(&items)
        };
        assert_eq!(short(&["abc", "zzzzzz"]).hold(b"xxabc"), 5);
        assert_eq!(short(&["abc", "abcdef"]).hold(b"xxabc"), 2);
    }

    #[test]
    fn only_tails_shorter_than_the_longest_pattern_are_asked() {
        let asked = std::cell::RefCell::new(Vec::new());
        let at = hold_by(b"0123456789", 4, |tail| {
            asked.borrow_mut().push(tail.len());
            false
        });
        assert_eq!(at, 10);
        assert_eq!(asked.into_inner(), [3, 2, 1]);
        assert_eq!(hold_by(b"0123456789", 4, |tail| tail.len() <= 2), 8);
    }

    #[test]
    fn the_tile_filter_passes_every_window_and_few_others() {
        let value: String = (0..300u32)
            .map(|i| char::from(b'a' + (i.wrapping_mul(2_654_435_761) >> 27) as u8 % 26))
            .collect();
        let index = TileIndex::new(&[(value.as_bytes(), false)]);
        assert!(index.tiles.len() > 5);
        for (tile, _) in &index.tiles {
            for window in tile.windows(WINDOW) {
                assert!(index.may_hold(key(window)));
            }
        }
        let passed = (0..10_000u64)
            .filter(|i| index.may_hold(i.wrapping_mul(0x2545_F491_4F6C_DD1D)))
            .count();
        assert!(
            passed < 100,
            "{passed} of 10000 other windows passed the filter"
        );
    }

    #[test]
    fn a_tail_begins_a_tile_only_as_its_proper_prefix() {
        let tile = b"0123456789abcdefghijklmnopqrstuvwxyzABCD";
        let index = TileIndex::new(&[(&tile[..], false)]);
        assert!(index.begins(&tile[..3]));
        assert!(index.begins(&tile[..20]));
        assert!(
            !index.begins(&tile[..]),
            "the whole tile is found, not held"
        );
        assert!(
            !index.begins(b"01234567xxxxxxxxxxxx"),
            "same first window, other text"
        );
        assert!(!index.begins(b"012x"));
    }

    /// Output of one feed (before `finish`), then of the whole.
    fn fed_then_finished(values: &[&str], text: &str) -> (String, String) {
        let mut redactor = Redactor::new(Patterns::new(values.iter().copied()));
        let fed = redactor.feed(text.as_bytes());
        let mut all = fed.clone();
        all.extend(redactor.finish());
        (
            String::from_utf8(fed).unwrap(),
            String::from_utf8(all).unwrap(),
        )
    }

    #[test]
    fn a_base64_match_still_widening_is_held_whichever_match_ends_with_it() {
        // `Zm9vYmFy` is base64 of `foobar` and a value of its own: a plain match and a base64
        // match end together at the end of the stream, and the base64 one may still widen.
        let values = ["foobar", "Zm9vYmFy"];
        // The same start: the plain match sorts first.
        assert_eq!(
            fed_then_finished(&values, " Zm9vYmFy"),
            (" ".to_owned(), " <redacted>".to_owned())
        );
        // The base64 match widened left over `x`: it sorts first.
        assert_eq!(
            fed_then_finished(&values, " xZm9vYmFy"),
            (" ".to_owned(), " <redacted>".to_owned())
        );
    }

    #[test]
    fn base64_values_touching_over_a_line_break_are_one_redaction() {
        // 48 bytes: their base64 is one 64-column line, and two of them two whole lines.
        let value = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKL";
        let twice = base64::engine::general_purpose::STANDARD.encode(format!("{value}{value}"));
        let wrapped = format!("{}\n{}\n", &twice[..64], &twice[64..]);
        assert_eq!(redact(&[value], &[&wrapped]), "<redacted>\n");
    }

    #[test]
    fn a_run_is_held_up_to_the_limit_and_written_past_it() {
        // Overlapping matches of `abab` in `abab…ab`: the run may still grow, so it is held.
        let mut redactor = Redactor::new(Patterns::new(["abab"]));
        // Exactly the limit after a prefix that no value begins with: held, the prefix written.
        let run = "ab".repeat(HOLD_AT_MOST / 2);
        let mut out = redactor.feed(format!("xy{run}").as_bytes());
        assert_eq!(String::from_utf8_lossy(&out), "xy");
        // Past the limit: what is known is written as one `<redacted>`, which the rest continues.
        out.extend(redactor.feed(b"ab"));
        assert_eq!(String::from_utf8_lossy(&out), "xy<redacted>");
        out.extend(redactor.feed(b"abab!"));
        out.extend(redactor.finish());
        assert_eq!(String::from_utf8_lossy(&out), "xy<redacted>!");
    }
}
