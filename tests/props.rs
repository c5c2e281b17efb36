//! Properties of the grammar over generated inputs.

use proptest::prelude::*;
use secretmask::grammar;

/// Text in which no reader finds `workato:`: no `w`, so not as written, and no `\`, `%` or `&`,
/// so not escaped (`\u0077orkato:`, `%7B%7Bworkato`, `&#119;orkato`). Its base64 is a fixed run
/// of 10 or 11 characters that random text holds one time in 2⁶⁰; the encoded forms are
/// generated on purpose in `a_mask_in_an_encoded_form_is_reported`.
fn text_without_marker() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[^w\\\\%&]{0,400}").unwrap()
}

/// A mask as a reader would put it together but the grammar does not read it, in the file it
/// would be written in.
fn encoded(mask: &str, form: usize) -> String {
    use base64::Engine;
    match form {
        // JSON: the `w` as a `\u` escape (and the mask's own backslashes escaped).
        0 => format!(
            "{{\"token\": {}}}\n",
            serde_json::to_string(mask).unwrap().replace('w', "\\u0077")
        ),
        // A URL: the opener percent-escaped.
        1 => format!(
            "url: https://host/?t={}\n",
            mask.replacen("{{", "%7B%7B", 1).replacen("<<", "%3C%3C", 1)
        ),
        // base64, as an application decodes a value it was given encoded.
        _ => format!(
            "token: {}\n",
            base64::engine::general_purpose::STANDARD.encode(mask)
        ),
    }
}

fn key() -> impl Strategy<Value = String> {
    // Any characters, reserved ones included: printing escapes them.
    proptest::string::string_regex("[a-zA-Z0-9._:{}<>\\\\ \t/-]{0,20}").unwrap()
}

fn arn() -> impl Strategy<Value = String> {
    let partition_region = prop_oneof![
        Just(("aws", "us-east-1")),
        Just(("aws", "eu-central-1")),
        Just(("aws-cn", "cn-north-1")),
        Just(("aws-us-gov", "us-gov-west-1")),
        Just(("aws-iso", "us-iso-east-1")),
        Just(("aws-iso-b", "us-isob-east-1")),
    ];
    (
        partition_region,
        "[0-9]{12}",
        "[A-Za-z0-9/_+=.@]{1,20}",
        proptest::option::of("[A-Za-z0-9]{6}"),
    )
        .prop_map(|((partition, region), account, name, suffix)| {
            let suffix = suffix.map(|s| format!("-{s}")).unwrap_or_default();
            format!("arn:{partition}:secretsmanager:{region}:{account}:secret:{name}{suffix}")
        })
}

fn vault_path() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec("[a-z0-9_][a-z0-9_.-]{0,8}", 2..5),
        proptest::option::of(1u64..1000),
    )
        .prop_filter("no dot segments", |(segments, _)| {
            segments.iter().all(|s| s != "." && s != "..")
        })
        .prop_map(|(segments, version)| {
            let query = version.map(|v| format!("?version={v}")).unwrap_or_default();
            format!("{}{query}", segments.join("/"))
        })
}

fn key_vault_id() -> impl Strategy<Value = String> {
    (
        "[a-z][a-z0-9]{2,10}",
        prop_oneof![
            Just("vault.azure.net"),
            Just("vault.azure.cn"),
            Just("vault.usgovcloudapi.net"),
            Just("vault.microsoftazure.de")
        ],
        "[A-Za-z0-9-]{1,30}",
        proptest::option::of("[0-9a-f]{32}"),
    )
        .prop_map(|(vault, suffix, name, version)| {
            let version = version.map(|v| format!("/{v}")).unwrap_or_default();
            format!("https://{vault}.{suffix}/secrets/{name}{version}")
        })
}

fn escape(key: &str) -> String {
    key.chars()
        .flat_map(|c| {
            let escaped = secretmask::mask::needs_escape(c);
            escaped
                .then_some('\\')
                .into_iter()
                .chain(std::iter::once(c))
        })
        .collect()
}

fn mask() -> impl Strategy<Value = String> {
    let store_locator = prop_oneof![
        arn().prop_map(|l| ("sm", l)),
        vault_path().prop_map(|l| ("vault", l)),
        key_vault_id().prop_map(|l| ("akv", l)),
    ];
    (store_locator, key(), any::<bool>())
        .prop_filter("a vault mask names a key", |((store, _), key, _)| {
            *store != "vault" || !key.is_empty()
        })
        .prop_map(|((store, locator), key, braces)| {
            let (open, close) = if braces { ("{{", "}}") } else { ("<<", ">>") };
            format!("{open}workato:{store}:{}:{locator}{close}", escape(&key))
        })
}

proptest! {
    #[test]
    fn text_without_marker_yields_no_finding(text in text_without_marker()) {
        prop_assert!(grammar::scan(text.as_bytes()).is_empty());
        prop_assert!(secretmask::lint::check(text.as_bytes()).is_empty());
    }

    #[test]
    fn a_mask_in_an_encoded_form_is_reported(text in mask(), form in 0..3usize) {
        let file = encoded(&text, form);
        let findings = secretmask::lint::check(file.as_bytes());
        prop_assert_eq!(findings.len(), 1, "{}: {:?}", file, findings);
        prop_assert_eq!(findings[0].rule.id, "SM037");
        prop_assert!(grammar::scan(file.as_bytes()).is_empty());
    }

    #[test]
    fn valid_masks_parse_and_print_back(text in mask(), before in "[^w{<]{0,20}", after in "[^w}>]{0,20}") {
        let document = format!("{before}{text}{after}");
        let found = grammar::scan(document.as_bytes());
        prop_assert_eq!(found.len(), 1);
        let parsed = found[0].as_ref().map_err(|e| format!("{e:?}"));
        prop_assert!(parsed.is_ok(), "{} did not parse: {:?}", text, parsed);
        let parsed = parsed.unwrap();
        prop_assert_eq!(parsed.to_string(), text.clone());
        prop_assert_eq!(&document.as_bytes()[parsed.span.range()], text.as_bytes());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300), marker in any::<bool>()) {
        let mut bytes = bytes;
        if marker {
            bytes.splice(bytes.len() / 2..bytes.len() / 2, b"{{workato:".iter().copied());
        }
        let _ = secretmask::lint::files::lint_bytes("x", &bytes);
    }
}
