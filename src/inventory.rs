//! `secretmask inventory`: every secret the masks of a tree name, as its store identifies it,
//! with every reference to it; and the selection a rotation or deletion gates on.
//!
//! A secret is what its store keeps whole: a Vault path without `?version=`, a Key Vault
//! identifier without its version, an ARN. A partial ARN joins the full ARN it matches, as AWS
//! matches it; one that matches none stands alone.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use crate::lint::files::MaskedFile;
use crate::mask::{Mask, SecretRef};
use crate::source::LineIndex;

/// One mask's place and what it asks of its secret, borrowed from the scanned files: an
/// inventory of many references allocates nothing per reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Reference<'a> {
    /// The file, as given on the command line or found by the walk.
    pub path: &'a str,
    /// The file's place among the files, which orders the references.
    file: usize,
    /// 1-based, as lint counts it.
    pub line: usize,
    /// 1-based, as lint counts it.
    pub column: usize,
    mask: &'a Mask,
}

impl<'a> Reference<'a> {
    /// The key the mask selects; empty for the whole secret.
    pub(crate) fn key(&self) -> &'a str {
        &self.mask.key
    }

    /// The version the mask pins (Vault `?version=N`, a Key Vault version), as its store
    /// writes it.
    pub(crate) fn version(&self) -> Option<crate::store::Version<'a>> {
        self.mask.secret.version()
    }

    /// The locator as the mask writes it (a partial ARN stays partial here).
    pub(crate) fn locator(&self) -> &'a str {
        self.mask.secret.as_str()
    }
}

/// One secret and every reference to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry<'a> {
    /// The secret as its store identifies it.
    pub secret: SecretRef,
    /// In the order of the files and their masks.
    pub references: Vec<Reference<'a>>,
}

/// Whether `wanted` (a locator given to `--secret`) names `secret`: the same secret once
/// versions are dropped, as its store matches locators (AWS matches partial ARNs).
pub(crate) fn names(wanted: &SecretRef, secret: &SecretRef) -> bool {
    wanted.identity().matches(&secret.identity())
}

/// Every secret the masks of `files` name, sorted by store and locator; each with its
/// references in file order.
pub(crate) fn collect(files: &[MaskedFile]) -> Vec<Entry<'_>> {
    // Each distinct secret once, in `grouped`. A locator as written finds its group in
    // `by_written` (a borrowed key: nothing is made per mask); only a locator not seen before
    // is reduced to its secret, which may be in a group already (another version of it).
    let mut grouped: Vec<(SecretRef, Vec<Reference<'_>>)> = Vec::new();
    let mut by_identity: FxHashMap<SecretRef, usize> = FxHashMap::default();
    let mut by_written: FxHashMap<&SecretRef, usize> = FxHashMap::default();
    for (f, file) in files.iter().enumerate() {
        let index = LineIndex::new(&file.bytes);
        for mask in &file.masks {
            let at = index.position(mask.span.start);
            let group = *by_written.entry(&*mask.secret).or_insert_with(|| {
                let secret = mask.secret.identity();
                if let Some(&group) = by_identity.get(&*secret) {
                    return group;
                }
                let secret = secret.into_owned();
                by_identity.insert(secret.clone(), grouped.len());
                grouped.push((secret, Vec::new()));
                grouped.len() - 1
            });
            grouped[group].1.push(Reference {
                path: &file.path,
                file: f,
                line: at.line,
                column: at.column,
                mask,
            });
        }
    }
    let mut by_secret: BTreeMap<SecretRef, Vec<Reference>> = grouped.into_iter().collect();
    // A partial locator (an ARN without its suffix) joins the full one it matches, when exactly
    // one does.
    let partial: Vec<SecretRef> = by_secret
        .keys()
        .filter(|s| s.is_partial())
        .cloned()
        .collect();
    for secret in partial {
        let full: Vec<&SecretRef> = by_secret
            .keys()
            .filter(|s| !s.is_partial() && secret.matches(s))
            .collect();
        if let [full] = full[..] {
            let full = full.clone();
            let moved = by_secret.remove(&secret).unwrap_or_default();
            by_secret.entry(full).or_default().extend(moved);
        }
    }
    // Files in the order given, then by place; a joined partial ARN among them.
    by_secret
        .into_iter()
        .map(|(secret, mut references)| {
            references.sort_by_key(|r| (r.file, r.line, r.column));
            Entry { secret, references }
        })
        .collect()
}

/// The entries (and their references) that `wanted` names.
pub(crate) fn select<'a>(entries: Vec<Entry<'a>>, wanted: &[SecretRef]) -> Vec<Entry<'a>> {
    entries
        .into_iter()
        .filter_map(|mut entry| {
            if wanted.iter().any(|w| names(w, &entry.secret)) {
                return Some(entry);
            }
            // A partial ARN asked for may match only some references' locators.
            entry
                .references
                .retain(|r| wanted.iter().any(|w| names(w, &r.mask.secret)));
            (!entry.references.is_empty()).then_some(entry)
        })
        .collect()
}

/// `text` as a file the walk found masks in, for the tests of the inventory and its command.
#[cfg(test)]
pub(crate) fn masked_file(path: &str, text: &str) -> MaskedFile {
    let (_, masks) = crate::lint::check_all(text.as_bytes());
    MaskedFile {
        path: path.into(),
        bytes: text.as_bytes().to_vec(),
        masks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mask::Store;

    use super::masked_file as file;

    const FULL: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf";
    const PARTIAL: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app";

    #[test]
    fn versions_join_their_secret_and_a_partial_arn_its_full_arn() {
        let files = [
            file(
                "a.yaml",
                &format!(
                    "x: {{{{workato:vault:k:kv/app?version=2}}}}\ny: {{{{workato:vault:k:kv/app}}}}\nz: {{{{workato:sm:user:{PARTIAL}}}}}\n"
                ),
            ),
            file(
                "b.yaml",
                &format!(
                    "w: {{{{workato:sm:pass:{FULL}}}}}\nv: <<workato:akv::https://corp-kv.vault.azure.net/secrets/tok/0123456789abcdef0123456789abcdef>>\n"
                ),
            ),
        ];
        let entries = collect(&files);
        let listed: Vec<(String, Vec<String>)> = entries
            .iter()
            .map(|e| {
                (
                    e.secret.to_string(),
                    e.references
                        .iter()
                        .map(|r| {
                            format!(
                                "{}:{}:{} {} {} as {}",
                                r.path,
                                r.line,
                                r.column,
                                r.key(),
                                r.version().map_or("-".to_owned(), |v| v.to_string()),
                                r.locator()
                            )
                        })
                        .collect(),
                )
            })
            .collect();
        assert_eq!(
            listed,
            [
                (
                    FULL.to_owned(),
                    vec![
                        format!("a.yaml:3:4 user - as {PARTIAL}"),
                        format!("b.yaml:1:4 pass - as {FULL}")
                    ]
                ),
                (
                    "kv/app".to_owned(),
                    vec![
                        "a.yaml:1:4 k 2 as kv/app?version=2".to_owned(),
                        "a.yaml:2:4 k - as kv/app".to_owned()
                    ]
                ),
                (
                    "https://corp-kv.vault.azure.net/secrets/tok".to_owned(),
                    vec!["b.yaml:2:4  0123456789abcdef0123456789abcdef as https://corp-kv.vault.azure.net/secrets/tok/0123456789abcdef0123456789abcdef".to_owned()]
                ),
            ]
        );
    }

    #[test]
    fn a_partial_arn_matching_none_or_two_stands_alone() {
        let other = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app-XyZ123";
        let files = [file(
            "a.yaml",
            &format!(
                "a: {{{{workato:sm::{PARTIAL}}}}}\nb: {{{{workato:sm::{FULL}}}}}\nc: {{{{workato:sm::{other}}}}}\n"
            ),
        )];
        let secrets: Vec<String> = collect(&files)
            .iter()
            .map(|e| e.secret.to_string())
            .collect();
        assert_eq!(secrets, [PARTIAL, FULL, other]);
    }

    #[test]
    fn a_selection_matches_versions_and_partial_arns() {
        let files = [file(
            "a.yaml",
            &format!(
                "a: {{{{workato:vault:k:kv/app?version=3}}}}\nb: {{{{workato:sm::{FULL}}}}}\nc: {{{{workato:vault:k:kv/other}}}}\n"
            ),
        )];
        let pick = |locators: &[&str]| -> Vec<String> {
            let wanted: Vec<SecretRef> = locators
                .iter()
                .map(|l| SecretRef::parse_any(l).unwrap())
                .collect();
            select(collect(&files), &wanted)
                .iter()
                .map(|e| e.secret.to_string())
                .collect()
        };
        assert_eq!(pick(&["kv/app"]), ["kv/app"]);
        assert_eq!(pick(&["kv/app?version=1"]), ["kv/app"]);
        assert_eq!(pick(&[PARTIAL]), [FULL]);
        assert_eq!(pick(&["kv/gone"]), Vec::<String>::new());
        assert_eq!(pick(&["kv/other", PARTIAL]), [FULL, "kv/other"]);
        assert!(SecretRef::parse_any("kv").is_err());
        assert_eq!(
            SecretRef::parse_any("https://corp-kv.vault.azure.net/secrets/tok")
                .unwrap()
                .store(),
            Store::Akv
        );
    }
}
