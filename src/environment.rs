//! An environment whose values hold masks, for `secretmask run`: the variables inherited and the
//! `.env` templates named, resolved into the variables a command runs with. Nothing is written
//! anywhere; a variable's value is exactly the secret's value (no escaping: it is not a file).

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use secrecy::ExposeSecret;

use crate::mask::Mask;
use crate::render::{self, Escape, Format, Plan, RenderError};
use crate::resolve::{Resolver, Value};

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
}

impl Source {
    /// The inherited variables whose values hold a mask, in any form (an encoded one is refused).
    pub(crate) fn masked_variables(
        vars: impl IntoIterator<Item = (OsString, OsString)>,
    ) -> Vec<Self> {
        vars.into_iter()
            .filter(|(_, value)| {
                let bytes = value.as_bytes();
                crate::grammar::has_candidates(bytes) || !crate::encoded::find(bytes).is_empty()
            })
            .map(|(name, value)| Self {
                name: format!("${}", name.to_string_lossy()),
                bytes: value.into_vec(),
                origin: Origin::Variable(name),
            })
            .collect()
    }

    /// A dotenv template read from `name`.
    pub(crate) fn env_file(name: String, bytes: Vec<u8>) -> Self {
        Self {
            name,
            bytes,
            origin: Origin::EnvFile,
        }
    }

    fn plan(&self) -> Plan {
        let format = match self.origin {
            Origin::Variable(_) => Format::Text,
            Origin::EnvFile => Format::Env,
        };
        Plan::new(&self.bytes, Some(format))
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

/// Resolves every source with `resolver`: all of them, or every failure with the index of its
/// source (no variable is half-resolved).
pub(crate) async fn resolve(
    sources: &[Source],
    resolver: &Resolver,
) -> Result<Resolved, Vec<(usize, RenderError)>> {
    let plans: Vec<Plan> = sources.iter().map(Source::plan).collect();
    let mut failures: Vec<(usize, RenderError)> = plans
        .iter()
        .enumerate()
        .filter(|(_, plan)| !plan.problems.is_empty())
        .map(|(i, plan)| (i, RenderError::Masks(plan.problems.clone())))
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
        let escape = match source.origin {
            Origin::Variable(_) => Escape::None,
            Origin::EnvFile => Escape::Auto,
        };
        let rendered = match render::render_plan(&mut source.bytes.clone(), plan, &these, escape) {
            Ok(rendered) => rendered,
            Err(error) => {
                failures.push((i, error));
                continue;
            }
        };
        match &source.origin {
            Origin::Variable(name) => resolved
                .variables
                .push((name.clone(), OsString::from_vec(rendered))),
            Origin::EnvFile => match render::format::dotenv::read(&rendered) {
                Ok(pairs) => resolved.variables.extend(
                    pairs
                        .into_iter()
                        .map(|(name, value)| (name.into(), value.into())),
                ),
                // The line, never its text: it may hold a value.
                Err(line) => failures.push((
                    i,
                    RenderError::Syntax {
                        offset: render::format::line_offset(&source.bytes, line),
                        format: Format::Env,
                        message: "dotenvy cannot read this line".into(),
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

/// The values as text, for redaction.
pub(crate) fn texts(values: &[Value]) -> impl Iterator<Item = &str> {
    values.iter().map(ExposeSecret::expose_secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolver() -> Resolver {
        Resolver::from_secrets_yaml("kv/app/db:\n  password: \"p a$s'\\\"\\n#\"\n  user: admin\n")
            .unwrap()
    }

    fn run(sources: &[Source]) -> Result<Resolved, Vec<(usize, RenderError)>> {
        tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(resolve(sources, &resolver()))
    }

    #[test]
    fn variables_and_env_files_resolve_to_exactly_the_values() {
        let vars = Source::masked_variables([
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
        let file = Source::env_file(
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
            Source::env_file(
                ".env".into(),
                b"A={{workato:vault:gone:kv/app/db}}\n".to_vec(),
            ),
            Source::masked_variables([("B".into(), "{{workato:vault:user:kv/app/x}}".into())])
                .remove(0),
            Source::masked_variables([("C".into(), "e3t3b3JrYXRvOnZhdWx0OmE6a3YvYX19".into())])
                .remove(0),
        ];
        let failures = run(&sources).unwrap_err();
        let which: Vec<usize> = failures.iter().map(|(i, _)| *i).collect();
        assert_eq!(which, [0, 1, 2]);
    }
}
