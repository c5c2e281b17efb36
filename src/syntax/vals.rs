//! vals' references (helmfile's too): `ref+BACKEND://PATH[?PARAMS][#FRAGMENT][+]` and
//! `secretref+…`, ending at white space, a quote, a comma, a closing bracket or the optional
//! closing `+`. Backends: `awssecrets` (an ARN), `vault` (the KV path without `data/`,
//! `?version=N`), `azurekeyvault` (`VAULT/SECRET[/VERSION]`); the fragment `#/key` selects a
//! key of the secret's JSON.

use memchr::memmem;

use super::{ReferenceFault, Syntax, Syntaxes, fault, typed};
use crate::grammar::Candidate;
use crate::mask::Store;
use crate::source::Span;

const MARKER: &[u8] = b"ref+";

pub(super) fn has_candidates(bytes: &[u8]) -> bool {
    memmem::find(bytes, MARKER).is_some()
}

pub(super) fn scan(bytes: &[u8], syntaxes: &Syntaxes) -> Vec<Candidate> {
    let mut found = Vec::new();
    let mut resume = 0;
    for hit in memmem::find_iter(bytes, MARKER) {
        if hit < resume {
            continue;
        }
        let start = if bytes[..hit].ends_with(b"secret") {
            hit - 6
        } else {
            hit
        };
        // `ref+` inside a word (`href+…`) is not a reference.
        if start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_') {
            continue;
        }
        let body = hit + MARKER.len();
        let backend_len = bytes[body..]
            .iter()
            .take_while(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            .count();
        let after = body + backend_len;
        if backend_len == 0 || !bytes[after..].starts_with(b"://") {
            continue;
        }
        let rest = after + 3;
        let len = bytes[rest..]
            .iter()
            .take_while(|b| {
                !matches!(b, b'+' | b'"' | b'\'' | b',' | b']' | b'}') && !b.is_ascii_whitespace()
            })
            .count();
        let end = rest + len;
        let closed = bytes.get(end) == Some(&b'+');
        let span = Span::new(start, end + usize::from(closed));
        resume = span.end;
        let (Ok(backend), Ok(text)) = (
            std::str::from_utf8(&bytes[body..after]),
            std::str::from_utf8(&bytes[rest..end]),
        ) else {
            found.push(fault(
                Syntax::Vals,
                span,
                ReferenceFault::ValsShape("holds bytes that are not UTF-8"),
            ));
            continue;
        };
        found.push(reference(backend, text, span, syntaxes));
    }
    found
}

/// One reference: `backend` and what follows `://`.
fn reference(backend: &str, text: &str, span: Span, syntaxes: &Syntaxes) -> Candidate {
    let not = |what: String| fault(Syntax::Vals, span, ReferenceFault::NotExpressible(what));
    let (text, fragment) = match text.split_once('#') {
        Some((text, fragment)) => (text, Some(fragment)),
        None => (text, None),
    };
    let (path, query) = match text.split_once('?') {
        Some((path, query)) => (path, query),
        None => (text, ""),
    };
    if path.is_empty() {
        return fault(
            Syntax::Vals,
            span,
            ReferenceFault::ValsShape("has an empty path"),
        );
    }
    let key = match fragment.map(|f| f.strip_prefix('/')) {
        None | Some(Some("")) => String::new(),
        Some(None) => {
            return fault(
                Syntax::Vals,
                span,
                ReferenceFault::ValsShape(
                    "has a fragment that does not start with `/` (write #/key)",
                ),
            );
        }
        Some(Some(key)) if key.contains('/') => {
            return not(format!(
                "the nested fragment `#/{key}` (a mask selects a key of the secret's JSON, one level)"
            ));
        }
        Some(Some(key)) => key.to_owned(),
    };
    let mut params = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        params.push((name, value));
    }
    match backend {
        "awssecrets" => {
            for (name, _) in &params {
                match *name {
                    "region" => {}
                    "version_stage" | "version_id" => {
                        return not(format!(
                            "`{name}`: a version of an AWS secret (render reads the current one)"
                        ));
                    }
                    "profile" | "role_arn" => return not(chooses(name)),
                    _ => {
                        return fault(
                            Syntax::Vals,
                            span,
                            ReferenceFault::ValsParameter((*name).to_owned()),
                        );
                    }
                }
            }
            let given = params.iter().find(|(n, _)| *n == "region").map(|(_, r)| *r);
            if !path.starts_with("arn:") {
                return syntaxes.aws_name(Syntax::Vals, span, (path, given), key);
            }
            let region = path.split(':').nth(3).unwrap_or_default();
            if let Some((_, given)) = params.iter().find(|(n, _)| *n == "region")
                && *given != region
            {
                return not(format!(
                    "`region={given}` for a secret whose ARN is in {region}"
                ));
            }
            typed(Syntax::Vals, span, Store::Sm, key, path)
        }
        "vault" => {
            let mut version = String::new();
            for (name, value) in &params {
                match *name {
                    "version" => version = format!("?version={value}"),
                    "address" | "namespace" | "auth_method" | "token_file" | "token_env"
                    | "role_id" | "secret_id" | "proto" => {
                        return not(chooses(name));
                    }
                    _ => {
                        return fault(
                            Syntax::Vals,
                            span,
                            ReferenceFault::ValsParameter((*name).to_owned()),
                        );
                    }
                }
            }
            if path.trim_matches('/').split('/').nth(1) == Some("data") {
                return fault(Syntax::Vals, span, ReferenceFault::ValsVaultDataSegment);
            }
            typed(
                Syntax::Vals,
                span,
                Store::Vault,
                key,
                &format!("{}{version}", path.trim_matches('/')),
            )
        }
        "azurekeyvault" => {
            if let Some((name, _)) = params.first() {
                return fault(
                    Syntax::Vals,
                    span,
                    ReferenceFault::ValsParameter((*name).to_owned()),
                );
            }
            let parts: Vec<&str> = path.split('/').collect();
            let (vault, secret, version) = match parts.as_slice() {
                [vault, secret] => (*vault, *secret, String::new()),
                [vault, secret, version] => (*vault, *secret, format!("/{version}")),
                _ => {
                    return fault(
                        Syntax::Vals,
                        span,
                        ReferenceFault::ValsShape(
                            "for azurekeyvault is not VAULT/SECRET[/VERSION]",
                        ),
                    );
                }
            };
            typed(
                Syntax::Vals,
                span,
                Store::Akv,
                key,
                &format!("https://{vault}.vault.azure.net/secrets/{secret}{version}"),
            )
        }
        other => fault(
            Syntax::Vals,
            span,
            ReferenceFault::ValsBackend {
                backend: other.to_owned(),
                meant: match other {
                    "awssecretsmanager" | "secretsmanager" | "aws" | "sm" => Some("awssecrets"),
                    "hashicorpvault" | "vaultkv" | "kv" => Some("vault"),
                    "azure" | "akv" | "keyvault" | "azurekv" => Some("azurekeyvault"),
                    _ => None,
                },
            },
        ),
    }
}

fn chooses(name: &str) -> String {
    format!(
        "`{name}` chooses an address or credentials, which a reference in a file may not choose (set it in your own configuration or the environment)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<String> {
        scan(text.as_bytes(), &Syntaxes::new(&[Syntax::Vals], Ok(None)))
            .into_iter()
            .map(|c| match c {
                Ok(mask) => format!("{}@{}..{}", mask, mask.span.start, mask.span.end),
                Err(e) => format!("{e}"),
            })
            .collect()
    }

    #[test]
    fn each_backend_becomes_its_store() {
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf";
        assert_eq!(
            read(&format!("a: ref+awssecrets://{arn}#/password\n")),
            [format!(
                "<<workato:sm:password:{arn}>>@3..{}",
                3 + "ref+awssecrets://".len() + arn.len() + "#/password".len()
            )]
        );
        assert_eq!(
            read("a: \"ref+vault://secret/app?version=2#/pw+\", b"),
            ["<<workato:vault:pw:secret/app?version=2>>@4..41"]
        );
        assert_eq!(
            read("secretref+azurekeyvault://myvault/db#/user"),
            ["<<workato:akv:user:https://myvault.vault.azure.net/secrets/db>>@0..42"]
        );
    }

    #[test]
    fn what_cannot_be_read_exactly_is_named() {
        assert!(
            read("ref+awssecrets://app-db#/pw")[0]
                .contains("without its ARN; render looks a name up")
        );
        assert!(read("ref+vault://secret/app#/a/b")[0].contains("nested fragment"));
        assert!(
            read("ref+vault://secret/app?address=http://evil#/pw")[0].contains("`address` chooses")
        );
        assert!(read("ref+vault://secret/data/app#/pw")[0].contains("leave it out"));
        assert!(read("ref+awssecretsmanager://x#/y")[0].contains("did you mean `awssecrets`"));
        assert!(read("ref+sops://f.yaml#/y")[0].contains("not a store secretmask reads"));
    }

    #[test]
    fn prose_and_words_are_not_references() {
        assert!(read("see href+x and ref+ without a backend, ref+vault:/one-slash").is_empty());
    }
}
