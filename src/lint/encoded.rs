//! Findings for masks a render would not resolve as written: masks in an encoding nothing
//! decodes, and the masks inside a Kubernetes Secret's base64 `data`, checked like any other
//! and reported at the value (ARCHITECTURE.md §One mask).

use super::Finding;
use crate::encoded::Encoded;
use crate::kubernetes;
use crate::mask::{Mask, SecretRef};

/// What the encoded and data masks of one file come to.
pub(super) struct Checked {
    pub findings: Vec<Finding>,
    /// The well-formed masks inside Secret `data`, each placed at its value.
    pub masks: Vec<Mask>,
    /// The data values holding masks: what the plain scan saw inside one is the value's.
    pub values: Vec<crate::source::Span>,
}

/// The findings for `found` (the encoded masks of `bytes`), and the well-formed masks inside
/// Secret `data`, each placed at its value, for online lint.
pub(super) fn check(
    bytes: &[u8],
    found: Vec<Encoded>,
    syntaxes: &crate::syntax::Syntaxes,
) -> Checked {
    let (data, outside) = kubernetes::split(bytes, found, syntaxes);
    let mut findings = Vec::new();
    let mut masks = Vec::new();
    for value in &data {
        let in_data = |finding: Finding| Finding {
            span: value.span,
            message: format!("in this Secret's base64 data value: {}", finding.message),
            ..finding
        };
        if !value.in_place {
            findings.push(Finding {
                rule: super::ENCODED_MASK,
                span: value.span,
                message: "this Secret's base64 data value holds a mask but is written over several lines or with escapes, so render cannot replace it".into(),
            });
        }
        for hit in &value.hidden {
            findings.push(in_data(Finding {
                rule: super::ENCODED_MASK,
                span: value.span,
                message: format!(
                    "a {} mask, which render does not resolve",
                    hit.encoding.describe()
                ),
            }));
        }
        let nested = value.nested.iter().map(|n| &n.candidates);
        for candidate in std::iter::once(&value.candidates).chain(nested).flatten() {
            match candidate {
                Err(error) => findings.push(in_data(super::parse_finding(error))),
                Ok(mask) => {
                    if let SecretRef::Aws(arn) = &*mask.secret
                        && arn.is_partial()
                    {
                        findings.push(in_data(super::locator::partial_arn(mask, arn)));
                    }
                    masks.push(Mask {
                        span: value.span,
                        ..mask.clone()
                    });
                }
            }
        }
    }
    findings.extend(outside.into_iter().map(|hit| Finding {
        rule: super::ENCODED_MASK,
        span: hit.span,
        message: format!(
            "a {} mask, which render does not resolve: it would reach its reader as a literal placeholder",
            hit.encoding.describe()
        ),
    }));
    Checked {
        findings,
        masks,
        values: data.iter().map(|value| value.span).collect(),
    }
}
