//! Findings for candidates the grammar rejects: each near miss of the grammar (`grammar/mask.ebnf`) is its own rule.

use super::{Finding, Rule};
use crate::grammar::{ParseError, ParseErrorKind};

/// A near miss reads as its lint finding says, with the rule's id: `… [SM010]`.
impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (rule, message) = describe(&self.kind);
        write!(f, "{message} [{}]", rule.id)
    }
}

impl std::error::Error for ParseError {}

pub(super) fn finding(error: &ParseError) -> Finding {
    let (rule, message) = describe(&error.kind);
    Finding {
        rule,
        span: error.span,
        message,
    }
}

fn describe(kind: &ParseErrorKind) -> (&'static Rule, String) {
    use super::*;
    match kind {
        ParseErrorKind::Unterminated { opener } => (
            UNTERMINATED_MASK,
            format!(
                "mask opened with `{}` is not closed on this line",
                opener.opener()
            ),
        ),
        ParseErrorKind::MismatchedCloser { opener } => (
            MISMATCHED_CLOSER,
            format!(
                "mask opened with `{}` is closed with `{}`",
                opener.opener(),
                match opener {
                    crate::mask::Delimiter::Braces => ">>",
                    crate::mask::Delimiter::Angles => "}}",
                }
            ),
        ),
        ParseErrorKind::WhitespaceAfterOpener => (
            WHITESPACE_AFTER_OPENER,
            "whitespace between the opener and `workato:`".to_owned(),
        ),
        ParseErrorKind::WhitespaceInMask => {
            (WHITESPACE_IN_MASK, "whitespace inside a mask".to_owned())
        }
        ParseErrorKind::InvalidUtf8 => (
            INVALID_UTF8,
            "the mask holds bytes that are not UTF-8".to_owned(),
        ),
        ParseErrorKind::UnknownStore { store } if store.is_empty() => {
            (UNKNOWN_STORE, "the mask names no store".to_owned())
        }
        ParseErrorKind::UnknownStore { store } => {
            (UNKNOWN_STORE, format!("unknown store `{store}`"))
        }
        ParseErrorKind::MissingLocator => (MISSING_LOCATOR, "the mask has no locator".to_owned()),
        ParseErrorKind::InvalidKeyChar { ch } if *ch == '\\' => (
            INVALID_KEY_CHARACTER,
            "the key ends with a lone `\\`".to_owned(),
        ),
        ParseErrorKind::InvalidKeyChar { ch } => (
            INVALID_KEY_CHARACTER,
            format!("`{}` must be escaped in a key", ch.escape_default()),
        ),
        ParseErrorKind::EmptyVaultKey => (EMPTY_VAULT_KEY, "a Vault mask needs a key".to_owned()),
        ParseErrorKind::Locator(kind) => locator::describe(kind),
        ParseErrorKind::Reference { syntax, fault } => {
            use crate::syntax::{ReferenceFault as F, Syntax};
            let rule = match (syntax, &**fault) {
                (_, F::NotExpressible(_) | F::AwsName { .. }) => REFERENCE_NOT_EXPRESSIBLE,
                (_, F::AvpType { .. }) => AVP_TYPE_MISSING,
                (Syntax::Avp, _) => INVALID_AVP_PLACEHOLDER,
                _ => INVALID_VALS_REFERENCE,
            };
            (rule, fault.describe(*syntax))
        }
    }
}
