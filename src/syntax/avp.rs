//! argocd-vault-plugin's placeholders: `<path:PATH#KEY>` and `<path:PATH#KEY#VERSION>`, one per
//! `<…>` on one line, modifiers after `|`. The store is the run's `AVP_TYPE`: `vault` (PATH the
//! KV v2 API path, whose `data/` is not part of the secret's path), `awssecretsmanager` (an
//! ARN), `azurekeyvault` (PATH the vault's name, KEY the secret's: the whole secret).

use memchr::memmem;

use super::{AvpType, ReferenceFault, Syntax, Syntaxes, fault, typed};
use crate::grammar::Candidate;
use crate::mask::Store;
use crate::source::Span;

const OPEN: &[u8] = b"<path:";

pub(super) fn has_candidates(bytes: &[u8]) -> bool {
    memmem::find(bytes, OPEN).is_some() || memmem::find(bytes, PATH_ANNOTATION).is_some()
}

/// The annotation that makes AVP read bare `<KEY>` placeholders in its object.
const PATH_ANNOTATION: &[u8] = b"avp.kubernetes.io/path";

/// The annotation that pins the version of the path's secret for bare placeholders.
const VERSION_ANNOTATION: &str = "avp.kubernetes.io/secret-version";

pub(super) fn scan(bytes: &[u8], syntaxes: &Syntaxes) -> Vec<Candidate> {
    let mut found = Vec::new();
    // Bare `<KEY>` placeholders count only inside an object with the annotation (so `<b>` in
    // another object's description stays text); a stream no YAML reader reads cannot say which
    // object a placeholder is in, so there the annotation itself is refused, and no
    // placeholder is left in place unread.
    if memmem::find(bytes, PATH_ANNOTATION).is_some() {
        match annotated(bytes, syntaxes) {
            Some(bare) => found.extend(bare),
            None => {
                for at in memmem::find_iter(bytes, PATH_ANNOTATION) {
                    found.push(fault(
                        Syntax::Avp,
                        Span::new(at, at + PATH_ANNOTATION.len()),
                        ReferenceFault::NotExpressible(
                            "the avp.kubernetes.io/path annotation in a file no YAML reader reads: its bare <KEY> placeholders cannot be placed (write each as a `path:PATH#KEY` placeholder)".to_owned(),
                        ),
                    ));
                }
            }
        }
    }
    let mut resume = 0;
    for start in memmem::find_iter(bytes, OPEN) {
        if start < resume {
            continue;
        }
        let line_end =
            memchr::memchr2(b'\n', b'\r', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        let Some(close) = memchr::memchr(b'>', &bytes[start..line_end]).map(|i| start + i) else {
            let span = Span::new(start, line_end);
            found.push(fault(
                Syntax::Avp,
                span,
                ReferenceFault::AvpShape("is not closed with `>` on this line"),
            ));
            resume = line_end;
            continue;
        };
        let span = Span::new(start, close + 1);
        resume = span.end;
        found.push(placeholder(
            &bytes[start + OPEN.len()..close],
            span,
            syntaxes,
        ));
    }
    found
}

/// The bare `<KEY>` placeholders of every document whose `metadata.annotations` hold
/// `avp.kubernetes.io/path` (AVP reads them in that object's string values, with the path and
/// the `avp.kubernetes.io/secret-version` of its annotations); `None` if `bytes` is not YAML.
fn annotated(bytes: &[u8], syntaxes: &Syntaxes) -> Option<Vec<Candidate>> {
    use serde_saphyr::granit_parser::{Event, ScalarStyle};
    let text = std::str::from_utf8(bytes).ok()?;
    let mut found = Vec::new();
    // Per document: its annotations, and its value scalars written as they read.
    let (mut path, mut version) = (None::<String>, None::<String>);
    let mut values: Vec<Span> = Vec::new();
    // Each open collection: `Some(children so far, the key whose value comes next)` for a
    // mapping, `None` for a sequence; and the keys leading to it.
    let mut open: Vec<Option<(usize, Option<String>)>> = Vec::new();
    let mut keys: Vec<Option<String>> = Vec::new();
    for event in crate::source::yaml_parser(text) {
        let (event, span) = event.ok()?;
        let mut is_key = false;
        let mut value_of = None;
        if crate::source::is_yaml_node(&event)
            && let Some(Some((children, key))) = open.last_mut()
        {
            is_key = *children % 2 == 0;
            *children += 1;
            if !is_key {
                value_of = key.take();
            }
        }
        match event {
            Event::DocumentStart(..) => {
                (path, version) = (None, None);
                values.clear();
            }
            Event::DocumentEnd => {
                if let Some(path) = path.take() {
                    for value in values.drain(..) {
                        found.extend(bare_in(bytes, value, (&path, version.as_deref()), syntaxes));
                    }
                }
            }
            Event::MappingStart(..) => {
                keys.push(value_of);
                open.push(Some((0, None)));
            }
            Event::SequenceStart(..) => {
                keys.push(value_of);
                open.push(None);
            }
            Event::MappingEnd | Event::SequenceEnd => {
                open.pop();
                keys.pop();
            }
            Event::Scalar(value, style, ..) => {
                if is_key {
                    if let Some(Some((_, key))) = open.last_mut() {
                        *key = Some(value.into_owned());
                    }
                    continue;
                }
                let under_annotations = keys.len() == 3
                    && keys[1].as_deref() == Some("metadata")
                    && keys[2].as_deref() == Some("annotations");
                match value_of.as_deref() {
                    Some(name) if under_annotations && name == "avp.kubernetes.io/path" => {
                        path = Some(value.into_owned());
                        continue;
                    }
                    Some(VERSION_ANNOTATION) if under_annotations => {
                        version = Some(value.into_owned());
                        continue;
                    }
                    _ => {}
                }
                let (Some(start), Some(end)) = (span.start.byte_offset(), span.end.byte_offset())
                else {
                    continue;
                };
                // A value written as it reads: AVP replaces in the string it reads.
                let inner = match style {
                    ScalarStyle::Plain => Span::new(start, end),
                    ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
                        Span::new(start + 1, end.saturating_sub(1).max(start + 1))
                    }
                    _ => continue,
                };
                if text.get(inner.range()) == Some(value.as_ref()) {
                    values.push(inner);
                }
            }
            _ => {}
        }
    }
    Some(found)
}

/// The bare `<KEY>` placeholders (not `<path:…>`, read by the inline scan) in `value`.
fn bare_in(
    bytes: &[u8],
    value: Span,
    (path, version): (&str, Option<&str>),
    syntaxes: &Syntaxes,
) -> Vec<Candidate> {
    let text = &bytes[value.range()];
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(open) = memchr::memchr(b'<', &text[at..]).map(|i| at + i) {
        let Some(close) = memchr::memchr(b'>', &text[open..]).map(|i| open + i) else {
            break;
        };
        at = close + 1;
        let inner = &text[open + 1..close];
        // `<path:…>` is the inline scan's; `<<…>>` a native mask's (no AVP key starts with `<`).
        if inner.starts_with(b"path:") || inner.is_empty() || inner.starts_with(b"<") {
            continue;
        }
        let Ok(inner) = std::str::from_utf8(inner) else {
            continue;
        };
        let span = Span::new(value.start + open, value.start + close + 1);
        let mut parts = inner.split('|');
        let key = parts.next().unwrap_or_default().trim();
        let modifiers: Vec<&str> = parts
            .map(|m| m.split_whitespace().next().unwrap_or_default())
            .collect();
        found.push(read(span, (path, key, version), &modifiers, syntaxes));
    }
    found
}

/// `value` without its modifier when it is one placeholder with `| base64encode` alone: in a
/// Secret's `data` that is a base64 mask, which render decodes, resolves and encodes again.
pub(super) fn base64encoded(value: &str) -> Option<String> {
    let inner = value.trim().strip_prefix("<path:")?.strip_suffix('>')?;
    let (reference, modifier) = inner.split_once('|')?;
    (modifier.trim() == "base64encode" && !reference.contains('>'))
        .then(|| format!("<path:{}>", reference.trim()))
}

/// The text between `<path:` and `>`.
fn placeholder(inner: &[u8], span: Span, syntaxes: &Syntaxes) -> Candidate {
    let shape = |what| fault(Syntax::Avp, span, ReferenceFault::AvpShape(what));
    let Ok(inner) = std::str::from_utf8(inner) else {
        return shape("holds bytes that are not UTF-8");
    };
    let mut parts = inner.split('|');
    let reference = parts.next().unwrap_or_default().trim();
    let modifiers: Vec<&str> = parts
        .map(|m| m.split_whitespace().next().unwrap_or_default())
        .collect();
    let fields: Vec<&str> = reference.split('#').collect();
    let (path, key, version) = match fields.as_slice() {
        [path, key] => (*path, *key, None),
        [path, key, version] => (*path, *key, Some(*version)),
        [_] => return shape("has no `#KEY` (write `path:PATH#KEY` in angle brackets)"),
        _ => return shape("has more than PATH#KEY#VERSION"),
    };
    read(span, (path, key, version), &modifiers, syntaxes)
}

/// A placeholder's path, key and version (inline, or a bare `<KEY>`'s from its object's
/// annotations) as the mask it is, or why it is none.
fn read(
    span: Span,
    (path, key, version): (&str, &str, Option<&str>),
    modifiers: &[&str],
    syntaxes: &Syntaxes,
) -> Candidate {
    let shape = |what| fault(Syntax::Avp, span, ReferenceFault::AvpShape(what));
    if path.is_empty() {
        return shape("has an empty path");
    }
    if key.is_empty() {
        return shape("has an empty key");
    }
    if version.is_some_and(str::is_empty) {
        return shape("has an empty version");
    }
    if modifiers == ["base64encode"] {
        return fault(
            Syntax::Avp,
            span,
            ReferenceFault::NotExpressible(
                "the modifier `base64encode` other than as the whole value of a Secret's `data` (there it is read as a base64 mask)".to_owned(),
            ),
        );
    }
    // `jsonParse` alone has a meaning render keeps exactly: the value placed as the JSON it holds.
    let modifier = (modifiers == ["jsonParse"]).then_some(crate::mask::Modifier::JsonParse);
    if !modifiers.is_empty() && modifier.is_none() {
        let names: Vec<String> = modifiers.iter().map(|m| format!("`{m}`")).collect();
        return fault(
            Syntax::Avp,
            span,
            ReferenceFault::NotExpressible(format!(
                "the modifier{} {} (render places the secret's value as it is)",
                if names.len() == 1 { "" } else { "s" },
                names.join(", ")
            )),
        );
    }
    located(span, (path, key, version), syntaxes).map(|mut mask| {
        mask.modifier = modifier;
        mask
    })
}

/// The mask a placeholder's path, key and version name under the run's `AVP_TYPE`.
fn located(
    span: Span,
    (path, key, version): (&str, &str, Option<&str>),
    syntaxes: &Syntaxes,
) -> Candidate {
    let avp_type = match &syntaxes.avp_type {
        Ok(Some(avp_type)) => *avp_type,
        Ok(None) => return fault(Syntax::Avp, span, ReferenceFault::AvpType { given: None }),
        Err(given) => {
            return fault(
                Syntax::Avp,
                span,
                ReferenceFault::AvpType {
                    given: Some(given.clone()),
                },
            );
        }
    };
    match avp_type {
        AvpType::Vault => {
            let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
            let Some(data) = segments
                .iter()
                .skip(1)
                .position(|s| *s == "data")
                .map(|i| i + 1)
            else {
                return fault(Syntax::Avp, span, ReferenceFault::AvpVaultNotKv2);
            };
            let (mount, rest) = (segments[..data].join("/"), segments[data + 1..].join("/"));
            if rest.is_empty() {
                return fault(Syntax::Avp, span, ReferenceFault::AvpVaultNotKv2);
            }
            let version = version.map(|v| format!("?version={v}")).unwrap_or_default();
            typed(
                Syntax::Avp,
                span,
                Store::Vault,
                key.to_owned(),
                &format!("{mount}/{rest}{version}"),
            )
        }
        AvpType::AwsSecretsManager => {
            if version.is_some() {
                return fault(
                    Syntax::Avp,
                    span,
                    ReferenceFault::NotExpressible(
                        "a version of an AWS secret (`#VERSION`): render reads the current one"
                            .to_owned(),
                    ),
                );
            }
            if !path.starts_with("arn:") {
                return syntaxes.aws_name(Syntax::Avp, span, (path, None), key.to_owned());
            }
            typed(Syntax::Avp, span, Store::Sm, key.to_owned(), path)
        }
        AvpType::AzureKeyVault => {
            let version = version.map(|v| format!("/{v}")).unwrap_or_default();
            typed(
                Syntax::Avp,
                span,
                Store::Akv,
                String::new(),
                &format!("https://{path}.vault.azure.net/secrets/{key}{version}"),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, avp_type: Option<AvpType>) -> Vec<String> {
        scan(
            text.as_bytes(),
            &Syntaxes::new(&[Syntax::Avp], Ok(avp_type)),
        )
        .into_iter()
        .map(|c| match c {
            Ok(mask) => match mask.modifier {
                Some(modifier) => format!("{mask} | {}@{}", modifier.as_str(), mask.span.start),
                None => format!("{}@{}", mask, mask.span.start),
            },
            Err(e) => format!("{e}"),
        })
        .collect()
    }

    #[test]
    fn json_parse_alone_is_read_with_the_placeholder_and_with_others_named() {
        let vault = Some(AvpType::Vault);
        assert_eq!(
            read("c: <path:secret/data/app#cfg | jsonParse>", vault),
            ["<<workato:vault:cfg:secret/app>> | jsonParse@3"]
        );
        assert_eq!(
            read("c: <path:secret/data/app#cfg|jsonParse>", vault),
            ["<<workato:vault:cfg:secret/app>> | jsonParse@3"]
        );
        assert!(
            read(
                "c: <path:secret/data/app#cfg | jsonParse | indent 2>",
                vault
            )[0]
            .contains("the modifiers `jsonParse`, `indent`")
        );
    }

    #[test]
    fn vault_placeholders_read_the_kv_v2_path_without_data() {
        assert_eq!(
            read(
                "password: <path:secret/data/app/db#password>\n",
                Some(AvpType::Vault)
            ),
            ["<<workato:vault:password:secret/app/db>>@10"]
        );
        assert_eq!(
            read("v: <path:team/kv/data/app#user#3>", Some(AvpType::Vault)),
            ["<<workato:vault:user:team/kv/app?version=3>>@3"]
        );
        assert!(
            read("<path:secret/app#pw>", Some(AvpType::Vault))[0]
                .contains("no `data/` after its mount")
        );
    }

    #[test]
    fn aws_placeholders_need_an_arn_and_no_version() {
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf";
        assert_eq!(
            read(
                &format!("<path:{arn}#password>"),
                Some(AvpType::AwsSecretsManager)
            ),
            [format!("<<workato:sm:password:{arn}>>@0")]
        );
        assert!(
            read("<path:app-db#password>", Some(AvpType::AwsSecretsManager))[0]
                .contains("without its ARN")
        );
        assert!(
            read(
                &format!("<path:{arn}#k#AWSPREVIOUS>"),
                Some(AvpType::AwsSecretsManager)
            )[0]
            .contains("a version of an AWS secret")
        );
    }

    #[test]
    fn azure_placeholders_name_a_vault_and_a_whole_secret() {
        assert_eq!(
            read("<path:myvault#db-password>", Some(AvpType::AzureKeyVault)),
            ["<<workato:akv::https://myvault.vault.azure.net/secrets/db-password>>@0"]
        );
    }

    #[test]
    fn bare_placeholders_count_in_an_object_with_the_path_annotation_only() {
        let stream = "kind: Secret\nmetadata:\n  annotations:\n    avp.kubernetes.io/path: secret/data/app\n    avp.kubernetes.io/secret-version: \"2\"\n    note: see <docs>\nstringData:\n  user: <username>\n  url: \"postgres://<username>:<password>@db\"\n  inline: <path:secret/data/other#k>\n---\nkind: ConfigMap\ndata:\n  html: <b>bold</b>\n";
        let found = read(stream, Some(AvpType::Vault));
        let at = |text: &str, nth: usize| stream.match_indices(text).nth(nth).unwrap().0;
        assert_eq!(
            found,
            [
                format!(
                    "<<workato:vault:docs:secret/app?version=2>>@{}",
                    at("<docs>", 0)
                ),
                format!(
                    "<<workato:vault:username:secret/app?version=2>>@{}",
                    at("<username>", 0)
                ),
                format!(
                    "<<workato:vault:username:secret/app?version=2>>@{}",
                    at("<username>", 1)
                ),
                format!(
                    "<<workato:vault:password:secret/app?version=2>>@{}",
                    at("<password>", 0)
                ),
                format!("<<workato:vault:k:secret/other>>@{}", at("<path:", 0)),
            ]
        );
    }

    #[test]
    fn broken_placeholders_and_modifiers_are_errors_that_name_the_fault() {
        let vault = Some(AvpType::Vault);
        assert!(read("<path:secret/data/app>", vault)[0].contains("no `#KEY`"));
        assert!(read("<path:secret/data/app#pw\n>", vault)[0].contains("not closed"));
        assert!(
            read("<path:secret/data/app#pw | base64encode>", vault)[0].contains("`base64encode`")
        );
        assert!(read("<path:secret/data/app#pw>", None)[0].contains("no AVP_TYPE"));
        assert!(read("<b>bold</b> <placeholder> text", vault).is_empty());
        assert!(
            read("a: b\n\tavp.kubernetes.io/path: x: y\n", vault)[0]
                .contains("no YAML reader reads")
        );
    }
}
