//! What every store's locator shares: the error a locator that its store cannot resolve is (its
//! kind, `LocatorErrorKind`, is made by the `stores!` list from each store's own faults), the
//! faults of names, and the one check that spans stores (a locator with the shape of another
//! store's).

use nom::{IResult, bytes::complete::take_till};

use super::{LocatorErrorKind, Store};
use crate::source::Span;

/// A locator that its store cannot resolve. The span is relative to the locator's first byte.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocatorError {
    /// Where in the locator.
    pub span: Span,
    /// What is wrong.
    pub kind: LocatorErrorKind,
}

pub(super) fn other_store(found: &str, fits: Option<Store>) -> String {
    match fits {
        Some(store) => format!(
            "the locator is {found}, which the `{store}` store reads: did you mean {{{{workato:{store}:…}}}}?"
        ),
        None => format!("the locator is {found}, which no store reads"),
    }
}

/// What a store says a text looks like, seen from its own locators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// One of the store's locators (`a Secrets Manager ARN`): written under another store, it
    /// is told as this store's.
    Own(&'static str),
    /// Something near the store's locators that no store reads (`an SSM parameter ARN`), told
    /// as such under the stores `under` names.
    NoStore {
        /// What it is.
        what: &'static str,
        /// Under which stores it is told.
        under: Under,
    },
}

/// Under which stores a [`Shape::NoStore`] is told: under the store's own masks its locator
/// check may say more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Under {
    /// Under the store's own masks alone.
    Own,
    /// Under every other store's masks.
    Others,
    /// Under every mask.
    Every,
}

/// What a locator written under `store` is when it has the shape of another store's locator
/// (an ARN under `vault`, a Vault path under `sm`, …) or of something no store reads (an SSM
/// parameter, a Key Vault key or certificate): what it is, and the store that reads it. Each
/// store tells its shapes ([`super::Locator::shape`]); another store's own locators come
/// first, then what other stores say no store reads, then what `store` says of itself.
pub(super) fn other_shape(store: Store, locator: &str) -> Option<(&'static str, Option<Store>)> {
    let shapes = || {
        Store::ALL
            .into_iter()
            .filter_map(|s| super::shape(s, locator).map(|shape| (s, shape)))
    };
    let other = shapes().find_map(|(s, shape)| match shape {
        Shape::Own(what) if s != store => Some((what, Some(s))),
        _ => None,
    });
    let no_store = |own: bool| {
        shapes().find_map(|(s, shape)| match shape {
            Shape::NoStore { what, under }
                if (s == store) == own
                    && matches!(
                        (under, own),
                        (Under::Every, _) | (Under::Own, true) | (Under::Others, false)
                    ) =>
            {
                Some((what, None))
            }
            _ => None,
        })
    };
    other.or_else(|| no_store(false)).or_else(|| no_store(true))
}

/// Why a name breaks its store's naming rules.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NameFault {
    /// Nothing.
    #[error("it is empty")]
    Empty,
    /// Longer than allowed.
    #[error("it is {len} characters long; at most {max} are allowed")]
    TooLong {
        /// Its length.
        len: usize,
        /// The most allowed.
        max: usize,
    },
    /// Shorter than allowed.
    #[error("it is {len} characters long; at least {min} are needed")]
    TooShort {
        /// Its length.
        len: usize,
        /// The least allowed.
        min: usize,
    },
    /// A character not allowed.
    #[error("`{ch}` is not allowed")]
    Char {
        /// The character.
        ch: char,
    },
    /// Starts with a character not allowed first.
    #[error("it must start with a letter")]
    Start,
    /// Ends with a character not allowed last.
    #[error("it must end with a letter or digit")]
    End,
    /// Two hyphens in a row.
    #[error("it has two hyphens in a row")]
    DoubleHyphen,
}

/// Whether `text` starts with `prefix`, ASCII case ignored (no lowercase copy: a shape is
/// asked of every locator parsed).
pub(super) fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
}

/// Character offset of `part` inside `whole`; `part` must be a sub-slice of `whole`.
pub(super) fn offset(whole: &str, part: &str) -> usize {
    part.as_ptr() as usize - whole.as_ptr() as usize
}

pub(super) fn span_of(whole: &str, part: &str) -> Span {
    let start = offset(whole, part);
    Span::new(start, start + part.len())
}

pub(super) fn err(span: Span, kind: impl Into<LocatorErrorKind>) -> LocatorError {
    LocatorError {
        span,
        kind: kind.into(),
    }
}

/// A fault's position inside the checked name, as (byte offset, byte length), or `None` for the
/// whole name.
pub(super) type FaultAt = Option<(usize, usize)>;

pub(super) fn field(i: &str) -> IResult<&str, &str> {
    take_till(|c| c == ':')(i)
}
