//! Text: values inserted as they are. `--as text` (and `.txt`) asks for exactly that; a file of
//! no known format gets the same, except that a line break or control character is refused,
//! since nothing knows what it would do there.

use std::borrow::Cow;

use super::{Mismatch, Placed, Slot, Syntax, TemplateSyntax};
use crate::source::Span;

/// Plain text.
pub(crate) struct Text;

/// A file of no known format.
pub(crate) struct Unknown;

/// Why a value cannot stand in a file of no known format.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// A line break or control character where no one knows what it does.
    #[error(
        "the value holds a line break or control character, and the output's format is not known, so nothing says how to write it; name the format with --as (yaml, json, toml, env, shell, properties, ini, xml, hcl), or --as text to insert it as it is"
    )]
    UnknownFormat,
}

impl Syntax for Text {
    type Context = ();

    fn claims(_: &str, extension: &str) -> bool {
        extension == "txt"
    }

    fn place(_: &mut [u8], masks: &[Span]) -> Result<Placed<()>, TemplateSyntax> {
        Ok(Placed::values(vec![(); masks.len()]))
    }

    fn escape<'v>(
        value: &'v crate::resolve::Value,
        _: &(),
    ) -> Result<Cow<'v, str>, super::Refusal> {
        use secrecy::ExposeSecret;
        Ok(Cow::Borrowed(value.expose_secret()))
    }

    fn must_reread<'s>(_: bool, _: impl Iterator<Item = Slot<'s, ()>>) -> bool {
        false
    }

    fn reread(
        _: &mut [u8],
        _: &[Slot<'_, ()>],
        _: &[u8],
    ) -> Result<Result<(), Mismatch>, TemplateSyntax> {
        Ok(Ok(()))
    }
}

impl Syntax for Unknown {
    type Context = ();

    fn claims(_: &str, _: &str) -> bool {
        false
    }

    fn place(template: &mut [u8], masks: &[Span]) -> Result<Placed<()>, TemplateSyntax> {
        Text::place(template, masks)
    }

    fn escape<'v>(
        value: &'v crate::resolve::Value,
        _: &(),
    ) -> Result<Cow<'v, str>, super::Refusal> {
        use secrecy::ExposeSecret;
        let text = value.expose_secret();
        if text
            .chars()
            .any(|c| c.is_control() && c != '\t' || matches!(c, '\u{2028}' | '\u{2029}'))
        {
            Err(Refusal::UnknownFormat.into())
        } else {
            Ok(Cow::Borrowed(text))
        }
    }

    fn must_reread<'s>(_: bool, _: impl Iterator<Item = Slot<'s, ()>>) -> bool {
        false
    }

    fn reread(
        _: &mut [u8],
        _: &[Slot<'_, ()>],
        _: &[u8],
    ) -> Result<Result<(), Mismatch>, TemplateSyntax> {
        Ok(Ok(()))
    }
}
