//! The mask grammar (`grammar/mask.ebnf`, ARCHITECTURE.md §Modules): a scanner that finds candidates and a
//! `nom` parser for each one.
//!
//! The scanner looks only for `workato:` with `memchr::memmem` and checks for an opener right
//! before it, so a file without masks costs one pass at memory speed and Helm's `{{ .Values }}`,
//! Actions' `${{ }}`, YAML merge keys `<<: *x` and heredocs `<<EOF` are never looked at.

use std::sync::{Arc, OnceLock};

use memchr::memmem;
use nom::{
    IResult, Parser,
    bytes::complete::{escaped, is_not},
    character::complete::anychar,
    combinator::{opt, recognize},
};

use crate::mask::{Delimiter, LocatorError, Mask, SecretRef, Store};
use crate::source::Span;

const MARKER: &[u8] = b"workato:";

/// A candidate that is not a valid mask.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// Where the fault is; `mask` is the whole candidate.
    pub span: Span,
    /// The whole candidate, opener to closer (or to the line's end).
    pub mask: Span,
    /// Which near miss it is.
    pub kind: ParseErrorKind,
}

/// Every near miss of the grammar, named for the lint rule it becomes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// An opener and `workato:` with no closer on the same line.
    Unterminated {
        /// The opener used.
        opener: Delimiter,
    },
    /// `{{…>>` or `<<…}}`.
    MismatchedCloser {
        /// The opener used.
        opener: Delimiter,
    },
    /// `{{ workato:…}}`.
    WhitespaceAfterOpener,
    /// Whitespace between `workato:` and the closer.
    WhitespaceInMask,
    /// Bytes in the mask that are not UTF-8.
    InvalidUtf8,
    /// A store other than `sm`, `vault` and `akv` (empty included).
    UnknownStore {
        /// The store as written.
        store: String,
    },
    /// No `:` after the key, or nothing after it.
    MissingLocator,
    /// A character the key may only hold escaped.
    InvalidKeyChar {
        /// The character.
        ch: char,
    },
    /// A Vault mask must name a key (`grammar/mask.ebnf`).
    EmptyVaultKey,
    /// The locator breaks its store's rules.
    Locator(crate::mask::LocatorErrorKind),
    /// A reference of another syntax (`crate::syntax`) that is not a mask secretmask can read.
    Reference {
        /// The syntax it is written in.
        syntax: Syntax,
        /// What is wrong with it (boxed: a `MaskFailure` holds a `ParseError`, and a refused
        /// render can list one failure per mask).
        fault: Box<ReferenceFault>,
    },
}

/// A reference syntax.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Syntax {
    /// secretmask's own masks, `{{workato:…}}` and `<<workato:…>>`.
    Workato,
    /// argocd-vault-plugin's `<path:PATH#KEY[#VERSION]>` placeholders.
    Avp,
    /// vals' `ref+BACKEND://PATH[?PARAMS][#FRAGMENT][+]` references.
    Vals,
}

impl Syntax {
    /// Its name on the command line and in the configuration.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Workato => "workato",
            Self::Avp => "avp",
            Self::Vals => "vals",
        }
    }

    /// One reference of this syntax, as a message names it.
    pub const fn one_reference(self) -> &'static str {
        match self {
            Self::Workato => "a mask",
            Self::Avp => "an argocd-vault-plugin placeholder",
            Self::Vals => "a vals reference",
        }
    }
}

impl std::fmt::Display for Syntax {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a reference of another syntax is not a mask secretmask can read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReferenceFault {
    /// An AVP placeholder without `#KEY`, or with an empty path or key.
    AvpShape(&'static str),
    /// AVP placeholders, and no `AVP_TYPE` to tell their store (or one no store serves).
    AvpType {
        /// The `AVP_TYPE` given, if one was.
        given: Option<String>,
    },
    /// An AVP Vault path without KV v2's `data/` segment after the mount.
    AvpVaultNotKv2,
    /// A vals reference that is not `ref+BACKEND://PATH[?PARAMS][#FRAGMENT]`.
    ValsShape(&'static str),
    /// A vals backend that is not a store of secretmask's.
    ValsBackend {
        /// The backend written.
        backend: String,
        /// The one meant, for a near miss.
        meant: Option<&'static str>,
    },
    /// A vals Vault path with KV v2's `data/` segment, which vals adds itself.
    ValsVaultDataSegment,
    /// A vals parameter that is not the backend's.
    ValsParameter(String),
    /// What secretmask cannot read exactly; the message names it.
    NotExpressible(String),
    /// An AWS secret named without its ARN, which this run did not or could not look up.
    AwsName {
        /// The name written.
        name: String,
        /// Where it would be looked up: the reference's region, else `AWS_REGION`.
        region: Option<String>,
        /// Why it is not a mask.
        why: NameLookup,
    },
}

/// Why an AWS secret named without its ARN was not looked up by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NameLookup {
    /// This run asks no store (lint without --online, migrate).
    Offline,
    /// No region says where to look (neither the reference nor `AWS_REGION`).
    NoRegion,
    /// `DescribeSecret` found no such secret in this region.
    NotFound(String),
}

impl ReferenceFault {
    /// The fault as a message, without any value (a reference holds none).
    pub fn describe(&self, syntax: Syntax) -> String {
        match self {
            Self::AvpShape(what) => format!("argocd-vault-plugin placeholder {what}"),
            Self::AvpType { given: None } => "an argocd-vault-plugin placeholder, and no AVP_TYPE (ARGOCD_ENV_AVP_TYPE, --avp-type) to say its store: vault, awssecretsmanager or azurekeyvault".to_owned(),
            Self::AvpType { given: Some(given) } => format!(
                "AVP_TYPE `{given}` is not a store secretmask reads: vault, awssecretsmanager or azurekeyvault"
            ),
            Self::AvpVaultNotKv2 => "argocd-vault-plugin reads Vault KV v2 at <mount>/data/<path>; this path has no `data/` after its mount".to_owned(),
            Self::ValsShape(what) => format!("vals reference {what}"),
            Self::ValsBackend { backend, meant: Some(meant) } => format!(
                "vals backend `{backend}` does not exist: did you mean `{meant}`?"
            ),
            Self::ValsBackend { backend, meant: None } => format!(
                "vals backend `{backend}` is not a store secretmask reads: awssecrets, vault or azurekeyvault"
            ),
            Self::ValsVaultDataSegment => "vals adds Vault KV v2's `data/` itself: leave it out of the path (MOUNT/PATH after vault://)".to_owned(),
            Self::ValsParameter(name) => format!("`{name}` is not a parameter of this vals backend"),
            Self::AwsName { name, why, .. } => {
                let reference = syntax.one_reference();
                let why = match why {
                    NameLookup::Offline => "render looks a name up (DescribeSecret, in the reference's region or AWS_REGION); this run does not, so write its ARN".to_owned(),
                    NameLookup::NoRegion => "no region says where to look it up: set AWS_REGION (or vals' ?region=), or write its ARN".to_owned(),
                    NameLookup::NotFound(region) => format!("DescribeSecret found no such secret in {region}: check the name, or write its ARN"),
                };
                format!("{reference} names the AWS secret `{name}` without its ARN; {why}")
            }
            Self::NotExpressible(what) => {
                let reference = syntax.one_reference();
                format!("{reference} secretmask cannot read exactly: {what}")
            }
        }
    }
}

/// Why a text is not one mask ([`Mask::parse`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MaskError {
    /// The text is not exactly one mask (nothing, text around it, or several).
    #[error("the text is not one mask, such as {{{{workato:<store>:<key>:<locator>}}}}")]
    NotOneMask,
    /// The text is a near miss.
    #[error("{0}")]
    Invalid(#[from] ParseError),
}

impl Mask {
    /// Parses `text`, which must be exactly one mask, such as
    /// `{{workato:vault:password:kv/app/db}}`.
    ///
    /// ```
    /// let mask = secretmask::Mask::parse("{{workato:vault:password:kv/app/db}}").unwrap();
    /// assert_eq!(&*mask.key, "password");
    /// assert_eq!(mask.secret.to_string(), "kv/app/db");
    /// assert!(secretmask::Mask::parse("{{workato:s3:k:x}}").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self, MaskError> {
        match scan(text.as_bytes()).as_slice() {
            [Ok(mask)] if mask.span == Span::new(0, text.len()) => Ok(mask.clone()),
            [Err(error)] if error.mask == Span::new(0, text.len()) => {
                Err(MaskError::Invalid((**error).clone()))
            }
            _ => Err(MaskError::NotOneMask),
        }
    }
}

/// What the scanner found at one candidate.
pub type Candidate = Result<Mask, Box<ParseError>>;

fn finder() -> &'static memmem::Finder<'static> {
    static FINDER: OnceLock<memmem::Finder<'static>> = OnceLock::new();
    FINDER.get_or_init(|| memmem::Finder::new(MARKER))
}

/// Whether `bytes` holds anything the scanner would look at twice.
pub fn has_candidates(bytes: &[u8]) -> bool {
    finder().find(bytes).is_some()
}

/// Finds every mask and near miss in `bytes`, in order. Candidates never overlap.
pub fn scan(bytes: &[u8]) -> Vec<Candidate> {
    scan_in(bytes, 0..bytes.len())
}

/// `scan`, in pieces cut at line ends and scanned in parallel when `bytes` is large: a
/// candidate never crosses a line (`grammar/mask.ebnf`), so the pieces' candidates are the whole's.
pub fn scan_parallel(bytes: &[u8]) -> Vec<Candidate> {
    match crate::source::pieces_for(bytes.len()) {
        1 => scan(bytes),
        pieces => scan_pieces(bytes, pieces),
    }
}

fn scan_pieces(bytes: &[u8], pieces: usize) -> Vec<Candidate> {
    let ranges = crate::source::cut_at_lines(bytes, pieces, |_| true);
    std::thread::scope(|scope| {
        let workers: Vec<_> = ranges
            .into_iter()
            .map(|range| scope.spawn(move || scan_in(bytes, range)))
            .collect();
        // The first piece's list grows to exactly the whole by the others, each freed in turn:
        // never held twice, and no doubling's slack.
        let lists: Vec<Vec<Candidate>> = workers
            .into_iter()
            .map(|w| w.join().expect("scanning does not panic"))
            .collect();
        let total: usize = lists.iter().map(Vec::len).sum();
        let mut lists = lists.into_iter();
        let mut found = lists.next().unwrap_or_default();
        found.reserve_exact(total - found.len());
        for mut list in lists {
            found.append(&mut list);
        }
        found
    })
}

/// The candidates whose `workato:` lies in `range`, a run of whole lines of `bytes`.
fn scan_in(bytes: &[u8], range: std::ops::Range<usize>) -> Vec<Candidate> {
    let mut found = Vec::new();
    let mut secrets = Secrets::default();
    let mut resume = 0;
    let base = range.start;
    for hit in finder().find_iter(&bytes[range]) {
        let hit = base + hit;
        if hit < resume {
            continue;
        }
        let Some((start, delimiter)) = opener_before(bytes, hit) else {
            continue;
        };
        let candidate = parse_candidate(bytes, start, delimiter, hit, &mut secrets);
        resume = match &candidate {
            Ok(mask) => mask.span.end,
            Err(error) => error.mask.end,
        };
        found.push(candidate);
    }
    found
}

/// The opener before `workato:` at `hit`: right before it, or before spaces and tabs (a near
/// miss). Anything else makes `workato:` plain text.
fn opener_before(bytes: &[u8], hit: usize) -> Option<(usize, Delimiter)> {
    let mut j = hit;
    while j > 0 && matches!(bytes[j - 1], b' ' | b'\t') {
        j -= 1;
    }
    let opener = bytes.get(j.checked_sub(2)?..j)?;
    let delimiter = match opener {
        b"{{" => Delimiter::Braces,
        b"<<" => Delimiter::Angles,
        _ => return None,
    };
    Some((j - 2, delimiter))
}

/// Where a candidate ends: the first closer on the line, read the way the grammar reads it
/// (escapes count only in the key, the second field).
enum Extent {
    Closed { closer_at: usize, closer: Delimiter },
    Open { end: usize },
}

fn extent(bytes: &[u8], body_start: usize) -> Extent {
    let mut i = body_start;
    let mut colons = 0;
    let mut token_end = None;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' | b'\r' => break,
            b'}' if bytes.get(i + 1) == Some(&b'}') => {
                return Extent::Closed {
                    closer_at: i,
                    closer: Delimiter::Braces,
                };
            }
            b'>' if bytes.get(i + 1) == Some(&b'>') => {
                return Extent::Closed {
                    closer_at: i,
                    closer: Delimiter::Angles,
                };
            }
            b'\\' if colons == 1 && !matches!(bytes.get(i + 1), None | Some(b'\n' | b'\r')) => {
                i += 1;
            }
            b':' => colons += 1,
            b' ' | b'\t' => {
                token_end.get_or_insert(i);
            }
            _ => {}
        }
        i += 1;
    }
    Extent::Open {
        end: token_end.unwrap_or(i),
    }
}

/// The secrets and keys a scan has read, by store and locator as written: each secret is
/// validated once, and a secret or key is shared by every mask that names it (a large template
/// names a few many times).
#[derive(Default)]
struct Secrets {
    secrets: std::collections::HashMap<(Store, String), Arc<SecretRef>>,
    keys: std::collections::HashSet<Arc<str>>,
}

impl Secrets {
    fn get(&mut self, store: Store, locator: &str) -> Result<Arc<SecretRef>, LocatorError> {
        if let Some(secret) = self.secrets.get(&(store, locator.to_owned())) {
            return Ok(secret.clone());
        }
        let secret = Arc::new(SecretRef::parse(store, locator)?);
        self.secrets
            .insert((store, locator.to_owned()), secret.clone());
        Ok(secret)
    }

    fn key(&mut self, key: String) -> Arc<str> {
        if let Some(shared) = self.keys.get(key.as_str()) {
            return shared.clone();
        }
        let shared: Arc<str> = key.into();
        self.keys.insert(shared.clone());
        shared
    }
}

fn parse_candidate(
    bytes: &[u8],
    start: usize,
    opener: Delimiter,
    hit: usize,
    secrets: &mut Secrets,
) -> Candidate {
    let body_start = hit + MARKER.len();
    let fail = |span: Span, mask: Span, kind| Err(Box::new(ParseError { span, mask, kind }));
    let (closer_at, closer) = match extent(bytes, body_start) {
        Extent::Closed { closer_at, closer } => (closer_at, closer),
        Extent::Open { end } => {
            let mask = Span::new(start, end);
            return fail(mask, mask, ParseErrorKind::Unterminated { opener });
        }
    };
    let mask = Span::new(start, closer_at + 2);
    if closer != opener {
        return fail(
            Span::new(closer_at, closer_at + 2),
            mask,
            ParseErrorKind::MismatchedCloser { opener },
        );
    }
    if start + 2 < hit {
        return fail(
            Span::new(start + 2, hit),
            mask,
            ParseErrorKind::WhitespaceAfterOpener,
        );
    }
    let body = &bytes[body_start..closer_at];
    if let Some((i, len)) = unescaped_whitespace(body) {
        let at = body_start + i;
        return fail(
            Span::new(at, at + len),
            mask,
            ParseErrorKind::WhitespaceInMask,
        );
    }
    let body = match std::str::from_utf8(body) {
        Ok(body) => body,
        Err(e) => {
            let at = body_start + e.valid_up_to();
            let len = e.error_len().unwrap_or(1);
            return fail(Span::new(at, at + len), mask, ParseErrorKind::InvalidUtf8);
        }
    };
    match parse_body(body) {
        Ok((store, key, locator_at, locator)) => {
            if store == Store::Vault && key.is_empty() {
                return fail(mask, mask, ParseErrorKind::EmptyVaultKey);
            }
            let secret = secrets
                .get(store, locator)
                .map_err(|LocatorError { span, kind }| {
                    Box::new(ParseError {
                        span: span.shift(body_start + locator_at),
                        mask,
                        kind: ParseErrorKind::Locator(kind),
                    })
                })?;
            Ok(Mask {
                span: mask,
                delimiter: opener,
                key: secrets.key(key),
                secret,
                modifier: None,
            })
        }
        Err((span, kind)) => fail(span.shift(body_start), mask, kind),
    }
}

/// The first run of whitespace in a mask's body that is not escaped in the key.
fn unescaped_whitespace(body: &[u8]) -> Option<(usize, usize)> {
    let mut colons = 0;
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'\\' if colons == 1 => i += 1,
            b':' => colons += 1,
            b if b.is_ascii_whitespace() => {
                let len = body[i..]
                    .iter()
                    .take_while(|b| b.is_ascii_whitespace())
                    .count();
                return Some((i, len));
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// A fault inside the body, with its span relative to the body.
type BodyError = (Span, ParseErrorKind);

/// `store ":" key ":" locator`, returning the unescaped key and the locator with its offset.
fn parse_body(body: &str) -> Result<(Store, String, usize, &str), BodyError> {
    let at = |part: &str| part.as_ptr() as usize - body.as_ptr() as usize;
    let end = Span::new(body.len(), body.len());
    let (store_text, after_store) = match body.split_once(':') {
        Some((store, after)) => (store, Some(after)),
        None => (body, None),
    };
    let Some(store) = Store::from_name(store_text) else {
        return Err((
            Span::new(0, store_text.len()),
            ParseErrorKind::UnknownStore {
                store: store_text.to_owned(),
            },
        ));
    };
    let key_input = after_store.ok_or((end, ParseErrorKind::MissingLocator))?;
    let (key_text, locator) = key_field(key_input).map_err(|offset| {
        let i = at(key_input) + offset;
        (
            Span::new(i, i + 1),
            ParseErrorKind::InvalidKeyChar { ch: '\\' },
        )
    })?;
    let Some(locator) = locator.strip_prefix(':') else {
        return Err((end, ParseErrorKind::MissingLocator));
    };
    if let Some((i, ch)) = unescaped_chars(key_text)
        .find(|&(_, c, escaped)| !escaped && reserved_in_key(c))
        .map(|(i, c, _)| (i, c))
    {
        let i = at(key_text) + i;
        return Err((
            Span::new(i, i + ch.len_utf8()),
            ParseErrorKind::InvalidKeyChar { ch },
        ));
    }
    if locator.is_empty() {
        return Err((end, ParseErrorKind::MissingLocator));
    }
    let key = unescaped_chars(key_text).map(|(_, c, _)| c).collect();
    Ok((store, key, at(locator), locator))
}

/// The key as written (escapes kept) and what follows it. A key ends at the first unescaped `:`;
/// the error is the offset of a `\` with nothing after it.
fn key_field(input: &str) -> Result<(&str, &str), usize> {
    let key: IResult<&str, &str> = opt(recognize(escaped(is_not(":\\"), '\\', anychar)))
        .map(Option::unwrap_or_default)
        .parse(input);
    match key {
        Ok((rest, key)) if !rest.starts_with('\\') => Ok((key, rest)),
        Ok((rest, _)) => Err(input.len() - rest.len()),
        Err(_) => Err(input.rfind('\\').unwrap_or(0)),
    }
}

/// The characters of a key as written, each with its byte offset and whether it was escaped.
fn unescaped_chars(key: &str) -> impl Iterator<Item = (usize, char, bool)> + '_ {
    let mut chars = key.char_indices();
    std::iter::from_fn(move || {
        let (i, c) = chars.next()?;
        if c == '\\' {
            chars.next().map(|(_, escaped)| (i, escaped, true))
        } else {
            Some((i, c, false))
        }
    })
}

/// Characters the grammar reserves in a key unless escaped (whitespace is caught earlier).
fn reserved_in_key(c: char) -> bool {
    matches!(c, '{' | '}' | '<' | '>') || c.is_control()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A large template's masks are collected into the scan's own buffer (render's plan), which
    /// holds only when a candidate takes no more room than a mask.
    #[test]
    fn a_candidate_is_no_larger_than_a_mask() {
        assert!(std::mem::size_of::<Candidate>() <= std::mem::size_of::<Mask>());
    }

    #[test]
    fn pieces_find_what_the_whole_finds() {
        let line = "a: {{workato:sm:k:arn:aws:secretsmanager:us-east-1:123456789012:secret:x-AbCdEf}} \
                    <<workato:vault:p:kv/a>> {{ workato:sm:k:x}} {{workato:sm:k:x\n";
        let text = format!("{line}plain\r\n{line}\n\n{line}{{{{workato:\n{line}");
        for pieces in 1..=7 {
            assert_eq!(scan_pieces(text.as_bytes(), pieces), scan(text.as_bytes()));
        }
    }

    const ARN: &str =
        "arn:aws:secretsmanager:us-east-1:137149879143:secret:prod-jira-credentials-FsmeTs";

    fn one(text: &str) -> Candidate {
        let mut found = scan(text.as_bytes());
        assert_eq!(found.len(), 1, "{text}: {found:?}");
        found.remove(0)
    }

    fn error(text: &str) -> (usize, usize, ParseErrorKind) {
        let e = one(text).unwrap_err();
        (e.span.start, e.span.len(), e.kind)
    }

    #[test]
    fn seed_example_parses() {
        let text = format!("jira_token: \"{{{{workato:sm:prod.jira.secret.key:{ARN}}}}}\"");
        let mask = one(&text).unwrap();
        assert_eq!(&*mask.key, "prod.jira.secret.key");
        assert_eq!(mask.secret.as_str(), ARN);
        assert_eq!(&text[mask.span.range()], mask.to_string());
    }

    #[test]
    fn angle_delimiters_and_escapes() {
        let text = "<<workato:akv:a\\:b\\}:https://corp-kv.vault.azure.net/secrets/x>>";
        let mask = one(text).unwrap();
        assert_eq!(&*mask.key, "a:b}");
        assert_eq!(mask.to_string(), text);
    }

    #[test]
    fn text_that_is_not_a_mask() {
        for text in [
            "{{ .Values.image }}",
            "${{ secrets.TOKEN }}",
            "<<: *defaults",
            "cat <<EOF\nworkato: x\nEOF",
            "a << b",
            "{{resolve:secretsmanager:MySecret:SecretString:password}}",
            "see workato:sm docs",
            "{workato:sm:k:x}",
        ] {
            assert!(scan(text.as_bytes()).is_empty(), "{text}");
        }
    }

    #[test]
    fn near_misses() {
        #[rustfmt::skip]
        let cases: &[(&str, usize, usize, ParseErrorKind)] = &[
            ("x {{workato:sm:k:arn", 2, 18, ParseErrorKind::Unterminated { opener: Delimiter::Braces }),
            ("{{workato:vault:k:kv/a>>", 22, 2, ParseErrorKind::MismatchedCloser { opener: Delimiter::Braces }),
            ("{{ workato:vault:k:kv/a}}", 2, 1, ParseErrorKind::WhitespaceAfterOpener),
            ("{{workato:vault: k:kv/a}}", 16, 1, ParseErrorKind::WhitespaceInMask),
            ("{{workato:ssm:k:kv/a}}", 10, 3, ParseErrorKind::UnknownStore { store: "ssm".into() }),
            ("{{workato:sm:key}}", 16, 0, ParseErrorKind::MissingLocator),
            ("{{workato:sm:key:}}", 17, 0, ParseErrorKind::MissingLocator),
            ("{{workato:vault:a<b:kv/a}}", 17, 1, ParseErrorKind::InvalidKeyChar { ch: '<' }),
            ("{{workato:vault::kv/a}}", 0, 23, ParseErrorKind::EmptyVaultKey),
        ];
        for (text, start, len, kind) in cases {
            assert_eq!(error(text), (*start, *len, kind.clone()), "{text}");
        }
    }

    #[test]
    fn locator_errors_point_into_the_mask() {
        let (start, len, kind) =
            error("{{workato:sm:k:arn:aws:secretsmanager:us-east-1:12345:secret:x}}");
        assert_eq!((start, len), (48, 5));
        assert!(matches!(kind, ParseErrorKind::Locator(_)));
    }

    #[test]
    fn invalid_utf8_inside_a_mask_is_an_error() {
        let (start, len, kind) = error_bytes(b"{{workato:vault:k\xff:kv/a}}");
        assert_eq!((start, len, kind), (17, 1, ParseErrorKind::InvalidUtf8));
    }

    fn error_bytes(bytes: &[u8]) -> (usize, usize, ParseErrorKind) {
        let e = scan(bytes).remove(0).unwrap_err();
        (e.span.start, e.span.len(), e.kind)
    }
}
