//! Lint rules: one table of every rule, and the checks that produce findings.
//!
//! `RULES` is the only list of rules: `--list-rules`, the README's rule table (kept current by a
//! test) and SARIF's `tool.driver.rules` all read it. Ids are never reused.

mod encoded;
pub mod files;
mod locator;
mod never;
pub(crate) mod online;
mod syntax;

pub use crate::finding::{Finding, Rule, Severity};
use crate::grammar::{self, Candidate};
use crate::mask::SecretRef;

macro_rules! rules {
    ($($ident:ident = $id:literal $name:literal $severity:ident, $summary:literal, $help:literal;)*) => {
        $(
            #[doc = concat!("`", $id, "` `", $name, "`: ", $summary, ".")]
            pub const $ident: &Rule = &Rule {
                id: $id,
                name: $name,
                severity: Severity::$severity,
                summary: $summary,
                help: $help,
            };
        )*
        /// Every rule, by ascending id.
        pub const RULES: &[&Rule] = &[$($ident),*];
    };
}

rules! {
    UNTERMINATED_MASK = "SM001" "unterminated-mask" Error,
        "A mask opener and `workato:` with no closer on the same line",
        "close the mask with the closer of its opener (`}}` for `{{`, `>>` for `<<`); a mask cannot span lines";
    MISMATCHED_CLOSER = "SM002" "mismatched-closer" Error,
        "A mask closed with the other delimiter (`{{…>>` or `<<…}}`)",
        "close `{{` with `}}` and `<<` with `>>`";
    WHITESPACE_AFTER_OPENER = "SM003" "whitespace-after-opener" Error,
        "Whitespace between the opener and `workato:`",
        "write `workato:` right after the opener, with no space between";
    WHITESPACE_IN_MASK = "SM004" "whitespace-in-mask" Error,
        "Whitespace inside a mask",
        "a mask holds no whitespace; a key may hold it escaped with `\\`";
    UNKNOWN_STORE = "SM005" "unknown-store" Error,
        "A store other than `sm`, `vault` or `akv`",
        "the store is `sm` (AWS Secrets Manager), `vault` (Vault KV v2) or `akv` (Azure Key Vault)";
    MISSING_LOCATOR = "SM006" "missing-locator" Error,
        "A mask without a locator after its key",
        "write `workato:<store>:<key>:<locator>`; an empty key is written as `::`";
    INVALID_KEY_CHARACTER = "SM007" "invalid-key-character" Error,
        "A key holds `{`, `}`, `<`, `>`, a control character or a lone `\\` unescaped",
        "escape the character with `\\`, as in `a\\}b`";
    EMPTY_VAULT_KEY = "SM008" "empty-vault-key" Error,
        "A Vault mask without a key",
        "a Vault KV v2 secret is a set of keys: name one, as in `workato:vault:password:kv/app/db`";
    INVALID_UTF8 = "SM009" "invalid-utf8" Error,
        "A mask holds bytes that are not UTF-8",
        "save the file as UTF-8 and retype the mask";
    MALFORMED_ARN = "SM010" "malformed-arn" Error,
        "An `sm` locator that is not a Secrets Manager secret ARN",
        "copy the secret's ARN: arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<6 chars>";
    UNKNOWN_PARTITION = "SM011" "unknown-partition" Error,
        "An ARN partition AWS does not have",
        "the partition is one of aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f";
    INVALID_REGION = "SM012" "invalid-region" Error,
        "An ARN region that is not a region name",
        "a region looks like `us-east-1` or `eu-central-1`";
    REGION_PARTITION_MISMATCH = "SM013" "region-partition-mismatch" Error,
        "An ARN region outside its partition",
        "`cn-*` regions are in aws-cn, `us-gov-*` in aws-us-gov, every commercial region in aws";
    INVALID_ACCOUNT = "SM014" "invalid-account" Error,
        "An ARN account id that is not 12 digits",
        "the account id is the 12 digits of the AWS account that owns the secret";
    INVALID_RESOURCE_TYPE = "SM015" "invalid-resource-type" Error,
        "An ARN resource type other than `secret`",
        "a Secrets Manager ARN names `secret:<name>`";
    INVALID_SECRET_NAME = "SM016" "invalid-secret-name" Error,
        "A secret name that is empty, longer than 512 characters, or holds other characters than A-Z a-z 0-9 / _ + = . @ -",
        "use the secret's name as Secrets Manager shows it";
    INVALID_ARN_SUFFIX = "SM017" "invalid-arn-suffix" Error,
        "A 6-character ARN suffix that is not six letters or digits",
        "copy the full ARN, whose suffix AWS generated, or drop the suffix to write a partial ARN";
    PARTIAL_ARN = "SM018" "partial-arn" Warning,
        "A partial ARN, without the 6-character suffix",
        "AWS documents that a partial ARN can match the wrong secret: use the full ARN";
    INVALID_VAULT_PATH = "SM019" "invalid-vault-path" Error,
        "A Vault locator that is not `<mount>/<path>` with non-empty segments",
        "write `<mount>/<path>` with no leading or trailing `/`, no empty segment and no `.` or `..`";
    INVALID_VAULT_VERSION = "SM020" "invalid-vault-version" Error,
        "A Vault locator query other than `?version=N` with N ≥ 1",
        "write `?version=N` with N a version number from 1, or leave it out for the latest version";
    INVALID_KEYVAULT_ID = "SM021" "invalid-keyvault-id" Error,
        "An `akv` locator that is not a Key Vault secret identifier",
        "write https://<vault>.vault.azure.net/secrets/<name>[/<version>] (or the China, US Government or Germany suffix)";
    INVALID_KEYVAULT_NAME = "SM022" "invalid-keyvault-name" Error,
        "A Key Vault name outside Azure's rules",
        "a vault name has 3–24 letters, digits and single hyphens, starts with a letter and ends with a letter or digit";
    INVALID_KEYVAULT_SECRET_NAME = "SM023" "invalid-keyvault-secret-name" Error,
        "A Key Vault secret name outside Azure's rules",
        "a secret name has 1–127 letters, digits and hyphens";
    INVALID_KEYVAULT_VERSION = "SM024" "invalid-keyvault-version" Error,
        "A Key Vault secret version that is not 32 hexadecimal digits",
        "copy the version from the secret's identifier, or leave it out for the latest version";
    SECRET_NOT_FOUND = "SM025" "secret-not-found" Error,
        "(online) The secret does not exist, or these credentials cannot see it",
        "check the locator against the store, and the account, region or vault it points to";
    ACCESS_DENIED = "SM026" "access-denied" Error,
        "(online) The store denied reading the secret",
        "grant these credentials read access (AWS: secretsmanager:DescribeSecret and GetSecretValue)";
    SECRET_SCHEDULED_FOR_DELETION = "SM027" "secret-scheduled-for-deletion" Error,
        "(online) The secret is scheduled for deletion",
        "restore the secret (AWS: RestoreSecret) or point the mask at its replacement";
    KEY_MISSING = "SM028" "key-missing" Error,
        "(online) The secret has no such key, or is not a JSON object a key can select from",
        "use one of the secret's keys, or an empty key (`::`) for the whole secret";
    MISSING_REQUIRED_TAG = "SM029" "missing-required-tag" Error,
        "(online) The secret lacks a tag the configuration or --profile requires",
        "run `secretmask tag` with the same files and options to add every required tag (or tag the secret in its store)";
    STORE_UNAVAILABLE = "SM030" "store-unavailable" Error,
        "(online) The store could not be asked: unreachable, throttled, timed out or without credentials",
        "fix what the message names (address, credentials, network, mount), then run the lint again";
    VERSION_DELETED = "SM031" "version-deleted" Error,
        "(online) The Vault version the mask reads was deleted",
        "undelete the version (`vault kv undelete -versions=N`) or point the mask at a live one";
    VERSION_DESTROYED = "SM032" "version-destroyed" Error,
        "(online) The Vault version the mask reads was destroyed",
        "point the mask at a version that exists, or drop `?version=N` for the latest";
    SECRET_DISABLED = "SM033" "secret-disabled" Error,
        "(online) The Key Vault secret (or the version the mask reads) is disabled",
        "enable it (`az keyvault secret set-attributes --enabled true`) or point the mask at an enabled version";
    SECRET_EXPIRED = "SM034" "secret-expired" Error,
        "(online) The Key Vault secret's expiry date (`exp`) has passed",
        "rotate the secret and set a new expiry, or point the mask at a current version";
    SECRET_NOT_YET_VALID = "SM035" "secret-not-yet-valid" Warning,
        "(online) The Key Vault secret's activation date (`nbf`) is still to come; a render fails until then",
        "wait for the activation date, or move it (`az keyvault secret set-attributes --not-before`)";
    LOCATOR_OF_ANOTHER_STORE = "SM036" "locator-of-another-store" Error,
        "A locator with the shape of another store's (an ARN under `vault`, a Vault path under `sm`, a Key Vault identifier under `sm`) or of something no store reads (an SSM parameter, a Key Vault key or certificate)",
        "each store takes its own locator: `sm` a Secrets Manager ARN, `vault` `<mount>/<path>`, `akv` https://<vault>.vault.azure.net/secrets/<name>";
    ENCODED_MASK = "SM037" "encoded-mask" Error,
        "A mask in base64 (outside a Kubernetes Secret's one-line `data` value), backslash escapes, URL `%` escapes or HTML references, or put together only by its format's reader (an escaped letter, a line continuation), which render does not resolve",
        "write the mask itself; in a Secret, put a base64-encoded mask in `data` on one line, or the mask in `stringData`";
    NEVER_RENDERS = "SM038" "never-renders" Error,
        "A mask where render refuses every value, by where it stands in its file's format: in shell backquotes, `$'…'`, `$((…))`, a parameter's name or an argument another shell runs as code (`sh -c`, `eval`, `ssh`), a JSON key outside quotes, a bare TOML key, an INI section name or key, an XML name or declaration, an HCL name or expression",
        "move the mask into a string value (a quoted string, element text, an attribute or a property value)";
    SECRET_EXPIRES_SOON = "SM039" "secret-expires-soon" Warning,
        "(online) The Key Vault secret expires (`exp`) within `lint.expires_within` (default 30 days): the next render after that fails",
        "rotate the secret and set a new expiry (`az keyvault secret set-attributes --expires`), or set `lint.expires_within`";
    PINNED_VERSION_NOT_CURRENT = "SM040" "pinned-version-not-current" Warning,
        "(online) The mask pins a Vault or Key Vault version that is no longer the current one: it keeps reading the old value after a rotation",
        "drop the version (`?version=N`, a Key Vault id's last segment) to read the current one, or pin the current one";
    SECRET_NOT_CHANGED = "SM041" "secret-not-changed" Warning,
        "(online) The secret has not changed for longer than `lint.max_age` (off unless set): it is due for rotation",
        "rotate the secret, or raise `lint.max_age`";
    INVALID_AVP_PLACEHOLDER = "SM042" "invalid-avp-placeholder" Error,
        "(with --syntax avp) An argocd-vault-plugin placeholder that is not `path:PATH#KEY[#VERSION]` in angle brackets, not closed on its line, or a Vault path without KV v2's `data/` segment",
        "write `path:PATH#KEY` in angle brackets; for Vault, PATH is the KV v2 API path, <mount>/data/<path>";
    AVP_TYPE_MISSING = "SM043" "avp-type-missing" Error,
        "(with --syntax avp) argocd-vault-plugin placeholders, and no AVP_TYPE (or ARGOCD_ENV_AVP_TYPE, --avp-type) naming a store secretmask reads",
        "set AVP_TYPE to vault, awssecretsmanager or azurekeyvault, as argocd-vault-plugin reads it";
    INVALID_VALS_REFERENCE = "SM044" "invalid-vals-reference" Error,
        "(with --syntax vals) A vals reference with an unknown backend or parameter, a fragment without `/`, or a Vault path holding KV v2's `data/`",
        "write `ref+` and then awssecrets://ARN#/key, vault://MOUNT/PATH#/key or azurekeyvault://VAULT/SECRET";
    REFERENCE_NOT_EXPRESSIBLE = "SM045" "reference-not-expressible" Error,
        "(with --syntax avp or vals) A reference secretmask cannot read exactly: a modifier, an AWS secret named without its ARN, a version of an AWS secret, a nested fragment, a whole Vault secret, or a parameter that chooses an address or credentials",
        "write the reference without it (an ARN for a name; the address and credentials in your own configuration), or keep that reference with its own tool";
    UNREAD_REFERENCE = "SM046" "unread-reference" Warning,
        "An argocd-vault-plugin placeholder or a vals reference in a run that does not read that syntax: render leaves it as text",
        "read it with --syntax (or `syntax:` in the configuration), or write it as a mask with `secretmask migrate`";
}

/// The offline rules on one file's bytes. A file without `workato:` in any form costs a
/// `memmem` pass and one over the encoded forms.
pub fn check(bytes: &[u8]) -> Vec<Finding> {
    check_all(bytes).0
}

/// The offline findings of one file, with its well-formed masks (those inside a Secret's
/// base64 `data` placed at their value); both empty when it holds no mask in any form.
pub fn check_all(bytes: &[u8]) -> (Vec<Finding>, Vec<crate::mask::Mask>) {
    check_all_in(bytes, &crate::syntax::Syntaxes::default())
}

/// [`check_all`], reading the references of `syntaxes` as masks.
pub fn check_all_in(
    bytes: &[u8],
    syntaxes: &crate::syntax::Syntaxes,
) -> (Vec<Finding>, Vec<crate::mask::Mask>) {
    let unread: Vec<Finding> = syntaxes
        .unread(bytes)
        .into_iter()
        .map(|(syntax, span)| Finding {
            rule: UNREAD_REFERENCE,
            span,
            message: format!(
                "{}, which this run does not read (no --syntax {syntax}): render leaves it as text",
                syntax.one_reference()
            ),
        })
        .collect();
    let (mut findings, masks) = check_read(bytes, syntaxes);
    if !unread.is_empty() {
        findings.extend(unread);
        findings.sort_by_key(|f| f.span.start);
    }
    (findings, masks)
}

fn check_read(
    bytes: &[u8],
    syntaxes: &crate::syntax::Syntaxes,
) -> (Vec<Finding>, Vec<crate::mask::Mask>) {
    let found = crate::encoded::find(bytes);
    let plain = syntaxes.has_candidates(bytes);
    let data = crate::kubernetes::may_hold_data(bytes);
    if !plain && found.is_empty() && !data {
        return (Vec::new(), Vec::new());
    }
    let candidates = if plain {
        syntaxes.scan(bytes)
    } else {
        Vec::new()
    };
    let mut findings = check_candidates(&candidates);
    let mut masks: Vec<crate::mask::Mask> = candidates.into_iter().filter_map(Result::ok).collect();
    if !found.is_empty() || data {
        let checked = encoded::check(bytes, found, syntaxes);
        // A data value's masks are its own (an AVP placeholder with `| base64encode` is also
        // seen, refused, by the plain scan).
        let inside = |span: crate::source::Span| checked.values.iter().any(|v| v.contains(span));
        findings.retain(|f| !inside(f.span));
        masks.retain(|m| !inside(m.span));
        findings.extend(checked.findings);
        masks.extend(checked.masks);
        findings.sort_by_key(|f| f.span.start);
    }
    (findings, masks)
}

/// The finding for a candidate the grammar rejected.
pub fn parse_finding(error: &grammar::ParseError) -> Finding {
    syntax::finding(error)
}

/// The offline rules on candidates already scanned.
pub fn check_candidates(candidates: &[Candidate]) -> Vec<Finding> {
    candidates
        .iter()
        .filter_map(|candidate| match candidate {
            Err(error) => Some(parse_finding(error)),
            Ok(mask) => match &*mask.secret {
                SecretRef::Aws(arn) if arn.is_partial() => Some(locator::partial_arn(mask, arn)),
                _ => None,
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rule table is text, so a store added to `store`'s list must be added to the rules
    /// that list the stores too.
    #[test]
    fn the_rules_that_list_the_stores_name_every_store() {
        for store in crate::mask::Store::ALL {
            let named = format!("`{store}`");
            for rule in [UNKNOWN_STORE, LOCATOR_OF_ANOTHER_STORE] {
                assert!(
                    rule.summary.contains(&named) || rule.help.contains(&named),
                    "{} does not name {named}",
                    rule.id
                );
            }
        }
    }

    #[test]
    fn ids_are_unique_and_ascending() {
        for pair in RULES.windows(2) {
            assert!(
                pair[0].id < pair[1].id,
                "{} then {}",
                pair[0].id,
                pair[1].id
            );
        }
        for rule in RULES {
            assert!(
                rule.id.len() == 5 && rule.id.starts_with("SM"),
                "{}",
                rule.id
            );
        }
    }

    #[test]
    fn names_are_kebab_case() {
        for rule in RULES {
            assert!(
                rule.name.split('-').all(|w| !w.is_empty()
                    && w.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())),
                "{}",
                rule.name
            );
        }
    }
}
