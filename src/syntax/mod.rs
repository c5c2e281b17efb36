//! The reference syntaxes secretmask reads besides its own masks: argocd-vault-plugin's
//! placeholders (`<path:secret/data/app#password>`, `avp`) and helmfile/vals' references
//! (`ref+vault://secret/app#/password`, `vals`). Each reference becomes the same typed [`Mask`]
//! a native mask becomes, spanning the whole reference, so the stores, the cache, lint, render
//! and the inventory take it unchanged; `secretmask migrate` writes its native form
//! ([`Mask`]'s `Display`). A reference secretmask cannot read exactly is a [`ParseError`], never
//! a guess.

use crate::grammar::{Candidate, ParseError, ParseErrorKind};
pub use crate::grammar::{ReferenceFault, Syntax};
use crate::mask::{Delimiter, Mask, SecretRef, Store};
use crate::source::Span;

mod avp;
mod vals;

/// argocd-vault-plugin's backend, chosen per run by `AVP_TYPE` (or Argo CD's
/// `ARGOCD_ENV_AVP_TYPE`), never per placeholder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum AvpType {
    /// `vault`: PATH is the KV v2 API path, `<mount>/data/<path>`.
    Vault,
    /// `awssecretsmanager`: PATH is an ARN (or a name, which secretmask cannot address).
    #[cfg_attr(feature = "cli", value(name = "awssecretsmanager"))]
    AwsSecretsManager,
    /// `azurekeyvault`: PATH is a vault's name and KEY a secret's.
    #[cfg_attr(feature = "cli", value(name = "azurekeyvault"))]
    AzureKeyVault,
}

impl AvpType {
    /// The type `AVP_TYPE` names, as AVP spells it.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "vault" => Some(Self::Vault),
            "awssecretsmanager" => Some(Self::AwsSecretsManager),
            "azurekeyvault" => Some(Self::AzureKeyVault),
            _ => None,
        }
    }

    /// From the environment AVP reads, `ARGOCD_ENV_AVP_TYPE` (Argo CD's prefix for an
    /// Application's plugin env) first.
    pub fn from_env() -> Result<Option<Self>, String> {
        for var in ["ARGOCD_ENV_AVP_TYPE", "AVP_TYPE"] {
            if let Some(value) = std::env::var_os(var) {
                let value = value.to_string_lossy();
                return Self::from_name(&value)
                    .map(Some)
                    .ok_or_else(|| value.into_owned());
            }
        }
        Ok(None)
    }
}

/// The syntaxes one run reads. The default reads secretmask's masks only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Syntaxes {
    workato: bool,
    avp: bool,
    vals: bool,
    /// AVP's backend; `Err` holds an `AVP_TYPE` no store of secretmask's serves.
    avp_type: Result<Option<AvpType>, String>,
    /// Where an AWS secret named without its ARN is looked up, unless the reference says.
    aws_region: Option<String>,
    /// The ARNs of such names by `(region, name)`, once looked up (`None`: not looked up).
    aws_arns: Option<std::sync::Arc<AwsArns>>,
}

/// ARNs by `(region, name)`; `None` for a name the store does not know.
pub type AwsArns = std::collections::HashMap<(String, String), Option<String>>;

impl Default for Syntaxes {
    fn default() -> Self {
        Self::new(&[Syntax::Workato], Ok(None))
    }
}

impl Syntaxes {
    /// Reads `list`; AVP's placeholders are typed with `avp_type` (see [`AvpType::from_env`]).
    pub fn new(list: &[Syntax], avp_type: Result<Option<AvpType>, String>) -> Self {
        Self {
            workato: list.contains(&Syntax::Workato),
            avp: list.contains(&Syntax::Avp),
            vals: list.contains(&Syntax::Vals),
            avp_type,
            aws_region: None,
            aws_arns: None,
        }
    }

    /// Looks AWS names up in `region` unless a reference names its own.
    pub fn with_aws_region(mut self, region: Option<String>) -> Self {
        self.aws_region = region.filter(|r| !r.is_empty());
        self
    }

    /// The `(region, name)` of every AWS secret `bytes` names without an ARN, where a region
    /// is known: what to look up before reading `bytes` with [`Syntaxes::with_aws_arns`].
    pub fn aws_names(&self, bytes: &[u8]) -> Vec<(String, String)> {
        let mut names: Vec<(String, String)> = self
            .scan_foreign(bytes)
            .into_iter()
            .filter_map(|candidate| match candidate.map_err(|error| error.kind) {
                Err(ParseErrorKind::Reference { fault, .. }) => match *fault {
                    ReferenceFault::AwsName {
                        name,
                        region: Some(region),
                        ..
                    } => Some((region, name)),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// With the ARNs of the names [`Syntaxes::aws_names`] found, looked up.
    pub fn with_aws_arns(mut self, arns: AwsArns) -> Self {
        self.aws_arns = Some(std::sync::Arc::new(arns));
        self
    }

    /// An AWS secret named `name` (not an ARN) with `key`, `region` the reference's own.
    pub(crate) fn aws_name(
        &self,
        syntax: Syntax,
        span: Span,
        (name, region): (&str, Option<&str>),
        key: String,
    ) -> Candidate {
        use crate::grammar::NameLookup;
        let region = region
            .map(str::to_owned)
            .or_else(|| self.aws_region.clone());
        let why = match (&self.aws_arns, &region) {
            (None, _) => NameLookup::Offline,
            (Some(_), None) => NameLookup::NoRegion,
            (Some(arns), Some(region)) => match arns.get(&(region.clone(), name.to_owned())) {
                Some(Some(arn)) => return typed(syntax, span, Store::Sm, key, arn),
                _ => NameLookup::NotFound(region.clone()),
            },
        };
        fault(
            syntax,
            span,
            ReferenceFault::AwsName {
                name: name.to_owned(),
                region,
                why,
            },
        )
    }

    /// Whether only secretmask's own masks are read.
    pub fn is_native(&self) -> bool {
        self.workato && !self.avp && !self.vals
    }

    /// Whether `syntax` is read.
    pub fn reads(&self, syntax: Syntax) -> bool {
        match syntax {
            Syntax::Workato => self.workato,
            Syntax::Avp => self.avp,
            Syntax::Vals => self.vals,
        }
    }

    /// Whether `bytes` may hold a reference of a syntax read: the cheap test before a scan.
    pub fn has_candidates(&self, bytes: &[u8]) -> bool {
        (self.workato && crate::grammar::has_candidates(bytes))
            || (self.avp && avp::has_candidates(bytes))
            || (self.vals && vals::has_candidates(bytes))
    }

    /// Every reference of the syntaxes read, in order of position.
    pub fn scan(&self, bytes: &[u8]) -> Vec<Candidate> {
        let mut found = if self.workato {
            crate::grammar::scan(bytes)
        } else {
            Vec::new()
        };
        self.scan_foreign_into(bytes, &mut found);
        found
    }

    /// [`Syntaxes::scan`], with the native scan run in pieces on a large input.
    pub fn scan_parallel(&self, bytes: &[u8]) -> Vec<Candidate> {
        let mut found = if self.workato {
            crate::grammar::scan_parallel(bytes)
        } else {
            Vec::new()
        };
        self.scan_foreign_into(bytes, &mut found);
        found
    }

    /// Where `bytes` holds a reference of a syntax this run does not read: text render leaves
    /// as it is, which a user moving from another tool most likely meant as a secret.
    pub fn unread(&self, bytes: &[u8]) -> Vec<(Syntax, Span)> {
        let mut found = Vec::new();
        if !self.avp && avp::has_candidates(bytes) {
            found.extend(
                avp::scan(bytes, &Syntaxes::new(&[Syntax::Avp], Ok(None)))
                    .iter()
                    .map(|c| (Syntax::Avp, whole(c))),
            );
        }
        if !self.vals && vals::has_candidates(bytes) {
            found.extend(
                vals::scan(bytes, self)
                    .iter()
                    .map(|c| (Syntax::Vals, whole(c))),
            );
        }
        found.sort_by_key(|(_, span)| span.start);
        found
    }

    /// For a Secret's `data` value that is one AVP placeholder with `| base64encode`, the
    /// placeholder without it: the value then reads as the base64 of that placeholder.
    pub fn avp_base64encoded(&self, value: &str) -> Option<String> {
        self.avp.then(|| avp::base64encoded(value)).flatten()
    }

    /// The references of AVP and vals only.
    pub fn scan_foreign(&self, bytes: &[u8]) -> Vec<Candidate> {
        let mut found = Vec::new();
        self.scan_foreign_into(bytes, &mut found);
        found
    }

    fn scan_foreign_into(&self, bytes: &[u8], found: &mut Vec<Candidate>) {
        let before = found.len();
        if self.avp {
            found.extend(avp::scan(bytes, self));
        }
        if self.vals {
            found.extend(vals::scan(bytes, self));
        }
        if found.len() > before {
            found.sort_by_key(|c| whole(c).start);
            // A reference inside another (a native mask's key holding `ref+…`) is the outer's.
            let mut end = 0;
            found.retain(|c| {
                let span = whole(c);
                let keep = span.start >= end;
                if keep {
                    end = span.end;
                }
                keep
            });
        }
    }
}

/// The whole text a candidate stands on.
fn whole(candidate: &Candidate) -> Span {
    match candidate {
        Ok(mask) => mask.span,
        Err(error) => error.mask,
    }
}

/// A mask of `store` for `key` and `locator`, standing on `span` of the scanned text; a
/// locator its store refuses is the reference's error.
pub(crate) fn typed(
    syntax: Syntax,
    span: Span,
    store: Store,
    key: String,
    locator: &str,
) -> Candidate {
    if store == Store::Vault && key.is_empty() {
        return Err(Box::new(ParseError {
            span,
            mask: span,
            kind: ParseErrorKind::Reference {
                syntax,
                fault: Box::new(ReferenceFault::NotExpressible(
                    "a whole Vault secret (name one of its keys)".to_owned(),
                )),
            },
        }));
    }
    let secret = SecretRef::parse(store, locator).map_err(|e| {
        Box::new(ParseError {
            span,
            mask: span,
            kind: ParseErrorKind::Locator(e.kind),
        })
    })?;
    Ok(Mask {
        span,
        // `<<…>>`: what `migrate` writes, safe where a placeholder stood (a YAML plain scalar
        // reads `{{` as a flow mapping).
        delimiter: Delimiter::Angles,
        key: key.into(),
        secret: std::sync::Arc::new(secret),
        modifier: None,
    })
}

/// A reference fault at `span` (the whole reference).
pub(crate) fn fault(syntax: Syntax, span: Span, fault: ReferenceFault) -> Candidate {
    Err(Box::new(ParseError {
        span,
        mask: span,
        kind: ParseErrorKind::Reference {
            syntax,
            fault: Box::new(fault),
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn native(text: &str) -> Vec<String> {
        Syntaxes::new(
            &[Syntax::Workato, Syntax::Avp, Syntax::Vals],
            Ok(Some(AvpType::Vault)),
        )
        .scan(text.as_bytes())
        .into_iter()
        .map(|c| match c {
            Ok(mask) => mask.to_string(),
            Err(e) => format!("error: {e}"),
        })
        .collect()
    }

    #[test]
    fn every_syntax_is_one_ordered_scan() {
        assert_eq!(
            native(
                "a: <path:secret/data/app#pw>\nb: {{workato:vault:pw:kv/app}}\nc: ref+vault://kv/app#/pw+\n"
            ),
            [
                "<<workato:vault:pw:secret/app>>",
                "{{workato:vault:pw:kv/app}}",
                "<<workato:vault:pw:kv/app>>"
            ]
        );
    }

    #[test]
    fn the_default_reads_only_native_masks() {
        let syntaxes = Syntaxes::default();
        assert!(syntaxes.is_native());
        assert!(syntaxes.scan(b"a: <path:secret/data/app#pw>\n").is_empty());
        assert!(!syntaxes.has_candidates(b"ref+vault://kv/app#/pw"));
    }
}
