//! An environment whose values hold masks, for `secretmask run`: the variables inherited and the
//! `.env` templates named, resolved into the variables a command runs with. Nothing is written
//! anywhere; a variable's value is exactly the secret's value (no escaping: it is not a file).

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use secrecy::ExposeSecret;

use crate::mask::Mask;
use crate::render::{self, Escape, Failure, Format, MaskFailure, Plan, RenderError};
use crate::resolve::{Resolver, Value};
use crate::syntax::Syntaxes;

/// Where a part of the environment comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// An inherited variable whose value holds a mask.
    Variable(OsString),
    /// A dotenv template: every variable it sets.
    EnvFile,
}

/// A variable or a dotenv template, with how it is named in messages (`$NAME` or the path).
#[derive(Clone, Debug)]
pub(crate) struct Source {
    pub name: String,
    pub bytes: Vec<u8>,
    pub origin: Origin,
    /// The reference syntaxes read as masks.
    pub syntaxes: Syntaxes,
}

impl Source {
    /// The inherited variables whose values hold a mask, in any form (an encoded one is refused).
    pub(crate) fn masked_variables(
        vars: impl IntoIterator<Item = (OsString, OsString)>,
        syntaxes: &Syntaxes,
    ) -> Vec<Self> {
        vars.into_iter()
            .filter(|(_, value)| {
                let bytes = value.as_bytes();
                syntaxes.has_candidates(bytes) || !crate::encoded::find(bytes).is_empty()
            })
            .map(|(name, value)| Self {
                name: format!("${}", name.to_string_lossy()),
                bytes: value.into_vec(),
                origin: Origin::Variable(name),
                syntaxes: syntaxes.clone(),
            })
            .collect()
    }

    /// A dotenv template read from `name`.
    pub(crate) fn env_file(name: String, bytes: Vec<u8>, syntaxes: &Syntaxes) -> Self {
        Self {
            name,
            bytes,
            origin: Origin::EnvFile,
            syntaxes: syntaxes.clone(),
        }
    }

    pub(crate) fn plan(&self) -> Plan {
        let format = match self.origin {
            Origin::Variable(_) => Format::Text,
            Origin::EnvFile => Format::Env,
        };
        Plan::read(&self.bytes, Some(format), &self.syntaxes)
    }
}

/// The environment a command runs with.
pub(crate) struct Resolved {
    /// Variables to set, in order: a later one overrides an earlier one of the same name.
    pub variables: Vec<(OsString, OsString)>,
    /// Every value that went into them, for redaction.
    pub values: Vec<Value>,
}

impl std::fmt::Debug for Resolved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<_> = self.variables.iter().map(|(name, _)| name).collect();
        write!(f, "Resolved({names:?}, [REDACTED])")
    }
}

/// Why a source gave no variables.
#[derive(Debug)]
pub(crate) enum Failed {
    /// Its masks failed, or its template cannot take values.
    Render(RenderError),
    /// An env file's line cannot be read, with no mask at fault: where and why.
    Line { offset: usize, message: String },
}

impl Failed {
    fn unread(offset: usize, message: &str) -> Self {
        Self::Line {
            offset,
            message: format!(
                "{message}; every line of an env file is read by dotenvy to set the command's variables, masked or not"
            ),
        }
    }
}

/// Resolves every source with `resolver`: all of them, or every failure with the index of its
/// source (no variable is half-resolved).
pub(crate) async fn resolve(
    sources: &[Source],
    resolver: &Resolver,
) -> Result<Resolved, Vec<(usize, Failed)>> {
    let plans: Vec<Plan> = sources.iter().map(Source::plan).collect();
    let mut failures: Vec<(usize, Failed)> = plans
        .iter()
        .enumerate()
        .filter(|(_, plan)| !plan.problems.is_empty())
        .map(|(i, plan)| (i, Failed::Render(RenderError::Masks(plan.problems.clone()))))
        .collect();
    let masks: Vec<&Mask> = plans.iter().flat_map(Plan::masks).collect();
    let mut values = resolver.resolve(&masks).await.into_iter();
    let mut resolved = Resolved {
        variables: Vec::new(),
        values: Vec::new(),
    };
    for (i, (source, plan)) in sources.iter().zip(&plans).enumerate() {
        let these: Vec<_> = values.by_ref().take(plan.len()).collect();
        resolved
            .values
            .extend(these.iter().filter_map(|v| v.as_ref().ok()).cloned());
        let nul: Vec<Failure> = (plan.masks().zip(&these))
            .filter(|(_, value)| {
                value
                    .as_ref()
                    .is_ok_and(|v| v.expose_secret().contains('\0'))
            })
            .map(|(mask, _)| Failure {
                span: mask.span,
                locator: mask.secret.to_string(),
                failure: MaskFailure::NulByte,
            })
            .collect();
        if !nul.is_empty() {
            failures.push((i, Failed::Render(RenderError::Masks(nul))));
            continue;
        }
        let escape = match source.origin {
            Origin::Variable(_) => Escape::None,
            Origin::EnvFile => Escape::Auto,
        };
        let rendered = match render::render_plan(&mut source.bytes.clone(), plan, &these, escape) {
            Ok(rendered) => rendered,
            // An env file's line that dotenvy cannot read, whether a mask is on it or not: no
            // `--as` applies here, every line sets a variable.
            Err(RenderError::Syntax {
                offset, message, ..
            }) => {
                failures.push((i, Failed::unread(offset, &message)));
                continue;
            }
            Err(error) => {
                failures.push((i, Failed::Render(error)));
                continue;
            }
        };
        match &source.origin {
            Origin::Variable(name) => resolved
                .variables
                .push((name.clone(), OsString::from_vec(rendered))),
            Origin::EnvFile => match expanded(&rendered, &resolved.variables) {
                Ok(pairs) => resolved.variables.extend(
                    pairs
                        .into_iter()
                        .map(|(name, value)| (name.into(), value.into())),
                ),
                // The place, never the line's text: it may hold a value.
                Err(Unread::Line(at)) => failures.push((
                    i,
                    Failed::unread(
                        render::format::line_offset(&source.bytes, at.line) + at.column,
                        &at.to_string(),
                    ),
                )),
                Err(Unread::Shadowed { name, line }) => failures.push((
                    i,
                    Failed::Line {
                        offset: render::format::line_offset(&source.bytes, line),
                        message: format!(
                            "this file expands `${name}`, which an earlier --env-file sets over secretmask's own environment; dotenvy expands from the latter, so the command would get another value than it sees: write the value here, or set it in the same file"
                        ),
                    },
                )),
            },
        }
    }
    if failures.is_empty() {
        Ok(resolved)
    } else {
        failures.sort_by_key(|(i, _)| *i);
        Err(failures)
    }
}

/// Why a rendered dotenv file cannot give its variables.
#[derive(Debug)]
enum Unread {
    /// dotenvy cannot read this line.
    Line(render::format::dotenv::Unreadable),
    /// The file expands a variable that an earlier `--env-file` set over one of secretmask's
    /// own environment, on this 0-based line: dotenvy would take secretmask's.
    Shadowed { name: String, line: usize },
}

/// The variables of a rendered dotenv file as dotenvy reads them, with `${NAME}` and `$NAME`
/// expanded against the command's environment, not against secretmask's own, where a variable
/// holds its mask and an earlier `--env-file`'s variables are not set:
/// - a variable secretmask's environment lacks is declared ahead of the file with a stand-in
///   that cannot occur in it, and the stand-ins dotenvy copies are replaced with the values;
/// - a variable whose mask secretmask's environment holds: the mask text dotenvy copies is
///   replaced with the value;
/// - any other variable the command sees otherwise than secretmask does is refused if the file
///   names it at all.
///
/// So the expansion follows dotenvy's own rules and no value passes through dotenv quoting.
fn expanded(doc: &[u8], set: &[(OsString, OsString)]) -> Result<Vec<(String, String)>, Unread> {
    let nonce = stand_in_nonce(doc);
    let mut header = Vec::new();
    let mut replace: Vec<(String, &OsString)> = Vec::new();
    let mut declared = std::collections::HashSet::new();
    let mut stand_ins = 0;
    for (name, value) in set.iter().rev() {
        let Some(name) = name.to_str().filter(|n| referable(n)) else {
            continue;
        };
        if !declared.insert(name) {
            continue;
        }
        match std::env::var(name) {
            Err(_) => {
                let stand_in = format!("{nonce}{stand_ins}x");
                stand_ins += 1;
                header.extend_from_slice(format!("{name}={stand_in}\n").as_bytes());
                replace.push((stand_in, value));
            }
            Ok(own) if own.as_str() == value => {}
            Ok(own) if crate::grammar::has_candidates(own.as_bytes()) => replace.push((own, value)),
            Ok(_) => {
                let named = [format!("${name}"), format!("${{{name}")];
                if let Some(at) = named
                    .iter()
                    .filter_map(|n| memchr::memmem::find(doc, n.as_bytes()))
                    .min()
                {
                    let line = doc[..at].iter().filter(|&&b| b == b'\n').count();
                    return Err(Unread::Shadowed {
                        name: name.to_owned(),
                        line,
                    });
                }
            }
        }
    }
    let mut text = header;
    text.extend_from_slice(doc);
    let pairs = render::format::dotenv::read(&text).map_err(|mut at| {
        at.line = at.line.saturating_sub(stand_ins);
        Unread::Line(at)
    })?;
    Ok(pairs
        .into_iter()
        .skip(stand_ins)
        .map(|(name, mut value)| {
            for (copied, real) in &replace {
                if value.contains(copied.as_str()) {
                    value = value.replace(copied.as_str(), &real.to_string_lossy());
                }
            }
            (name, value)
        })
        .collect())
}

/// A name dotenvy can expand: letters, digits and `_`, not starting with a digit.
fn referable(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A prefix for stand-ins that `doc` does not contain.
fn stand_in_nonce(doc: &[u8]) -> String {
    let mut n: u64 = u64::from(std::process::id()) << 20;
    loop {
        let nonce = format!("SECRETMASKSTANDIN{n:x}N");
        if memchr::memmem::find(doc, nonce.as_bytes()).is_none() {
            return nonce;
        }
        n += 1;
    }
}

/// The values as text, for redaction.
pub(crate) fn texts(values: &[Value]) -> impl Iterator<Item = &str> {
    values.iter().map(ExposeSecret::expose_secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_file(name: String, bytes: Vec<u8>) -> Source {
        Source::env_file(name, bytes, &Syntaxes::default())
    }

    fn masked_variables(vars: impl IntoIterator<Item = (OsString, OsString)>) -> Vec<Source> {
        Source::masked_variables(vars, &Syntaxes::default())
    }

    fn resolver() -> Resolver {
        Resolver::from_secrets_yaml("kv/app/db:\n  password: \"p a$s'\\\"\\n#\"\n  user: admin\n")
            .unwrap()
    }

    fn run(sources: &[Source]) -> Result<Resolved, Vec<(usize, Failed)>> {
        tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(resolve(sources, &resolver()))
    }

    #[test]
    fn variables_and_env_files_resolve_to_exactly_the_values() {
        let vars = masked_variables([
            ("PLAIN".into(), "no mask".into()),
            (
                "DB_PASSWORD".into(),
                "{{workato:vault:password:kv/app/db}}".into(),
            ),
            (
                "DB_URL".into(),
                "pg://{{workato:vault:user:kv/app/db}}@db".into(),
            ),
        ]);
        assert_eq!(vars.len(), 2);
        let file = env_file(
            ".env.tpl".into(),
            b"# comment\nUSER='{{workato:vault:user:kv/app/db}}'\nMODE=prod\n".to_vec(),
        );
        let resolved = run(&[vars, vec![file]].concat()).unwrap();
        let variables: Vec<(String, String)> = resolved
            .variables
            .iter()
            .map(|(k, v)| (k.to_string_lossy().into(), v.to_string_lossy().into()))
            .collect();
        assert_eq!(
            variables,
            [
                ("DB_PASSWORD".into(), "p a$s'\"\n#".into()),
                ("DB_URL".into(), "pg://admin@db".into()),
                ("USER".into(), "admin".into()),
                ("MODE".into(), "prod".into()),
            ]
        );
        assert_eq!(resolved.values.len(), 3);
        assert!(!format!("{resolved:?}").contains("admin"));
    }

    #[test]
    fn every_failure_is_listed_with_its_source() {
        let sources = [
            env_file(
                ".env".into(),
                b"A={{workato:vault:gone:kv/app/db}}\n".to_vec(),
            ),
            masked_variables([("B".into(), "{{workato:vault:user:kv/app/x}}".into())]).remove(0),
            masked_variables([("C".into(), "e3t3b3JrYXRvOnZhdWx0OmE6a3YvYX19".into())]).remove(0),
        ];
        let failures = run(&sources).unwrap_err();
        let which: Vec<usize> = failures.iter().map(|(i, _)| *i).collect();
        assert_eq!(which, [0, 1, 2]);
    }

    #[test]
    fn an_unreadable_line_without_a_mask_is_placed_and_explained() {
        let sources = [env_file(".env".into(), b"A=1\nC=\"x $HOME\"\n".to_vec())];
        let failures = run(&sources).unwrap_err();
        let Failed::Line { offset, message } = &failures[0].1 else {
            panic!("{failures:?}")
        };
        assert_eq!(*offset, 14);
        assert!(message.contains("write `${NAME}`"), "{message}");
        assert!(!message.contains("--as"), "{message}");
    }

    #[test]
    fn env_files_expand_against_the_resolved_environment() {
        let mut sources = masked_variables([(
            "DB_PASSWORD".into(),
            "{{workato:vault:password:kv/app/db}}".into(),
        )]);
        sources.push(env_file(
            "first.env".into(),
            b"DB_USER='{{workato:vault:user:kv/app/db}}'\nHOST=db\n".to_vec(),
        ));
        sources.push(env_file(
            "second.env".into(),
            b"DB_URL=\"postgres://${DB_USER}:${DB_PASSWORD}@${HOST}/x\"\nLITERAL='${DB_USER}'\n"
                .to_vec(),
        ));
        let resolved = run(&sources).unwrap();
        let last: Vec<(String, String)> = resolved.variables[resolved.variables.len() - 2..]
            .iter()
            .map(|(k, v)| (k.to_string_lossy().into(), v.to_string_lossy().into()))
            .collect();
        assert_eq!(
            last,
            [
                ("DB_URL".into(), "postgres://admin:p a$s'\"\n#@db/x".into()),
                ("LITERAL".into(), "${DB_USER}".into()),
            ]
        );
    }

    #[test]
    fn a_value_with_a_nul_byte_fails_its_variable() {
        let resolver = Resolver::from_secrets_yaml("kv/app/db:\n  password: \"a\\0b\"\n").unwrap();
        let sources =
            masked_variables([("V".into(), "x{{workato:vault:password:kv/app/db}}".into())]);
        let failures = tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(resolve(&sources, &resolver))
            .unwrap_err();
        let Failed::Render(RenderError::Masks(list)) = &failures[0].1 else {
            panic!("{failures:?}")
        };
        assert_eq!(list[0].span.start, 1);
        assert_eq!(list[0].failure, MaskFailure::NulByte);
    }
}
