//! `secretmask migrate`'s work: argocd-vault-plugin placeholders and vals references rewritten
//! as the native masks they are read as, every other byte kept. A reference secretmask cannot
//! read exactly (`syntax::ReferenceFault`) cannot be migrated either: it is named, not guessed.

use base64::Engine;

use crate::grammar::ParseError;
use crate::source::Span;
use crate::syntax::Syntaxes;

/// One file's text with its references rewritten.
#[derive(Debug)]
pub struct Rewritten {
    /// The new text.
    pub text: Vec<u8>,
    /// How many references were rewritten.
    pub count: usize,
}

/// A reference whose modifier no native mask can write: render reads it with `--syntax`,
/// migrate leaves it.
fn unexpressible_modifier(mask: &crate::mask::Mask, modifier: crate::mask::Modifier) -> ParseError {
    ParseError {
        span: mask.span,
        mask: mask.span,
        kind: crate::grammar::ParseErrorKind::Reference {
            syntax: crate::syntax::Syntax::Avp,
            fault: Box::new(crate::syntax::ReferenceFault::NotExpressible(format!(
                "the modifier `{}`, which no native mask writes (render reads it with --syntax avp)",
                modifier.as_str()
            ))),
        },
    }
}

/// `bytes` with every reference of `syntaxes` (which should read no native masks) written as
/// its native mask, `<<workato:…>>`; `None` when it holds none; the errors of the references
/// that cannot be written, in order, when any cannot.
/// A reference in a Kubernetes Secret's base64 `data` (argocd-vault-plugin decodes such a
/// value, replaces its placeholders and encodes it again) is rewritten inside the decoded value,
/// which is encoded again: a base64 mask in `data` is what render reads natively.
pub fn rewrite(bytes: &[u8], syntaxes: &Syntaxes) -> Result<Option<Rewritten>, Vec<ParseError>> {
    let mut replacements: Vec<(Span, Vec<u8>)> = Vec::new();
    let mut count = 0;
    let mut errors = Vec::new();
    for candidate in syntaxes.scan_foreign(bytes) {
        match candidate {
            Ok(mask) => match mask.modifier {
                None => {
                    replacements.push((mask.span, mask.to_string().into_bytes()));
                    count += 1;
                }
                Some(modifier) => errors.push(unexpressible_modifier(&mask, modifier)),
            },
            Err(error) => errors.push(*error),
        }
    }
    if crate::kubernetes::may_hold_data(bytes) {
        let values = crate::kubernetes::masked_data(bytes, syntaxes);
        // A data value's references are its own (an AVP placeholder with `| base64encode` is
        // also seen, refused, by the plain scan).
        let inside = |span: Span| values.iter().any(|v| v.span.contains(span));
        replacements.retain(|(span, _)| !inside(*span));
        count = replacements.len();
        errors.retain(|e| !inside(e.span));
        for value in values {
            let whole = |kind| ParseError {
                span: value.span,
                mask: value.span,
                kind,
            };
            let mut inner = Vec::new();
            for candidate in &value.candidates {
                match candidate {
                    Ok(mask) if mask.modifier.is_none() => {
                        inner.push((mask.span, mask.to_string().into_bytes()));
                    }
                    Ok(mask) => errors.push(ParseError {
                        span: value.span,
                        mask: value.span,
                        ..unexpressible_modifier(mask, mask.modifier.expect("a modifier"))
                    }),
                    Err(error) => errors.push(whole(error.kind.clone())),
                }
            }
            if inner.is_empty() {
                continue;
            }
            if !value.in_place {
                errors.push(whole(crate::grammar::ParseErrorKind::Reference {
                    syntax: crate::syntax::Syntax::Avp,
                    fault: Box::new(crate::syntax::ReferenceFault::NotExpressible(
                        "a reference in a Secret's base64 data value written over several lines or with escapes (write the value on one line)".to_owned(),
                    )),
                }));
                continue;
            }
            count += inner.len();
            let decoded = crate::source::splice(value.decoded.as_bytes(), &inner);
            let encoded = base64::engine::general_purpose::STANDARD.encode(decoded);
            replacements.push((value.span, encoded.into_bytes()));
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.span.start);
        return Err(errors);
    }
    if count == 0 {
        return Ok(None);
    }
    replacements.sort_by_key(|(span, _)| span.start);
    Ok(Some(Rewritten {
        text: crate::source::splice(bytes, &replacements),
        count,
    }))
}

/// A unified diff of `before` and `after`, as `diff -u` prints it with `a/` and `b/` names.
pub fn unified_diff(name: &str, before: &[u8], after: &[u8]) -> String {
    let (before, after) = (
        String::from_utf8_lossy(before),
        String::from_utf8_lossy(after),
    );
    similar::TextDiff::from_lines(before.as_ref(), after.as_ref())
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::{AvpType, Syntax};

    fn avp() -> Syntaxes {
        Syntaxes::new(&[Syntax::Avp], Ok(Some(AvpType::Vault)))
    }

    #[test]
    fn references_become_native_masks_and_nothing_else_changes() {
        let before =
            b"a: <path:secret/data/app#pw>  # keep {{workato:vault:x:kv/y}}\r\nb: <b>text</b>\n";
        let after = rewrite(before, &avp()).unwrap().unwrap();
        assert_eq!(
            String::from_utf8(after.text).unwrap(),
            "a: <<workato:vault:pw:secret/app>>  # keep {{workato:vault:x:kv/y}}\r\nb: <b>text</b>\n"
        );
        assert_eq!(after.count, 1);
        assert!(rewrite(b"no references\n", &avp()).unwrap().is_none());
    }

    #[test]
    fn a_reference_in_a_secrets_base64_data_is_rewritten_inside_it() {
        use base64::Engine;
        let b64 = |text: &str| base64::engine::general_purpose::STANDARD.encode(text);
        let before = format!(
            "kind: Secret\ndata:\n  password: {}\n",
            b64("user:<path:secret/data/app#pw>")
        );
        let after = rewrite(before.as_bytes(), &avp()).unwrap().unwrap();
        assert_eq!(
            String::from_utf8(after.text).unwrap(),
            format!(
                "kind: Secret\ndata:\n  password: {}\n",
                b64("user:<<workato:vault:pw:secret/app>>")
            )
        );
    }

    #[test]
    fn a_reference_that_cannot_be_written_fails_the_file() {
        let errors = rewrite(
            b"a: <path:secret/data/app#pw>\nb: <path:secret/data/app#pw | base64encode>\n",
            &avp(),
        )
        .unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].span.start, 32);
    }

    #[test]
    fn the_diff_is_unified_with_a_and_b_names() {
        let diff = unified_diff("app.yaml", b"x: 1\na: <p>\n", b"x: 1\na: <<m>>\n");
        assert_eq!(
            diff,
            "--- a/app.yaml\n+++ b/app.yaml\n@@ -1,2 +1,2 @@\n x: 1\n-a: <p>\n+a: <<m>>\n"
        );
    }
}
