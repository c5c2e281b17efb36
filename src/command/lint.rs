//! `secretmask lint`: offline findings over the named files, and with `--online` what the
//! stores say about each distinct secret.

use std::io::Write;

use super::Error;
use super::StoreOptions;
use crate::diagnostic::{self, Summary};
use crate::error::{EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS};
use crate::input::Input;
use crate::lint::files::Keep;
use crate::lint::{self, RULES, Severity};
use crate::required_tags::RequiredTags;

/// `secretmask lint`: what to lint and how to report it.
#[derive(Clone, Debug)]
pub struct LintOptions {
    /// Empty means the current directory.
    pub inputs: Vec<Input>,
    /// How findings are printed.
    pub format: diagnostic::Format,
    /// Warnings fail the run too.
    pub deny_warnings: bool,
    /// How stdin is named in findings.
    pub stdin_name: String,
    /// `--online`: ask the stores too.
    pub online: Option<OnlineOptions>,
    /// The most one input may hold (`--max-file-size`).
    pub max_file_size: u64,
    /// `--syntax`, `--avp-type`.
    pub syntax: super::SyntaxOptions,
}

/// How `lint --online` reaches the stores.
#[derive(Clone, Debug)]
pub struct OnlineOptions {
    /// Where secrets come from, for `--online`.
    pub store: StoreOptions,
    /// `--profile apono`: every AWS secret must carry `apono-connector-read=true`.
    pub apono: bool,
}

pub(super) fn run(options: &LintOptions) -> Result<i32, Error> {
    let inputs = super::paths_or_here(&options.inputs);
    let keep = if options.online.is_some() {
        Keep::Masks
    } else {
        Keep::Findings
    };
    let super::FileReading {
        loaded,
        syntaxes,
        online,
    } = super::FileReading::decide(
        &options.syntax,
        options.online.as_ref().map(|o| &o.store),
        &inputs,
        options.max_file_size,
    )?;
    let mut outcome = lint::files::lint_inputs(
        &inputs,
        &options.stdin_name,
        keep,
        &syntaxes,
        options.max_file_size,
    );
    if let (Some(online), Some(loaded), Some((resolver, runtime))) =
        (&options.online, loaded, online)
    {
        let required = RequiredTags::new(&loaded.config.lint.require_tags, online.apono);
        let file_store =
            online.store.secrets_file.is_some() || loaded.config.secrets_file.is_some();
        if file_store && required.0.values().any(|tags| !tags.is_empty()) {
            super::report_warning(&format!(
                "required tags are not checked: a secrets file holds no tags, so what {} requires can only be checked against the real stores (lint --online without a secrets file)",
                if required.1 {
                    "--profile apono"
                } else {
                    "lint.require_tags"
                }
            ));
        }
        let drift = lint::online::Drift::from_config(&loaded.config.lint);
        let found = runtime.block_on(lint::online::check(
            &resolver,
            &outcome.masked,
            &required,
            &drift,
        ));
        outcome.diagnostics.extend(found);
        diagnostic::sort(&mut outcome.diagnostics);
    }
    let mut summary = Summary {
        files: 0,
        ..Summary::default()
    };
    let mut emitter = diagnostic::emitter(options.format);
    let mut stdout = anstream::stdout().lock();
    let mut last_path = None;
    for d in &outcome.diagnostics {
        match d.severity() {
            Severity::Error => summary.errors += 1,
            Severity::Warning => summary.warnings += 1,
        }
        if last_path != Some(&d.path) {
            summary.files += 1;
            last_path = Some(&d.path);
        }
        emitter.emit(&mut stdout, d).map_err(Error::Output)?;
    }
    emitter
        .finish(&mut stdout, &summary)
        .map_err(Error::Output)?;
    stdout.flush().map_err(Error::Output)?;
    drop(stdout);
    for error in &outcome.errors {
        super::report(error);
    }
    Ok(if !outcome.errors.is_empty() {
        EXIT_ERROR
    } else if summary.errors > 0 || (options.deny_warnings && summary.warnings > 0) {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    })
}

pub(super) fn list_rules() -> Result<i32, Error> {
    let mut stdout = anstream::stdout().lock();
    for rule in RULES {
        writeln!(
            stdout,
            "{}  {:<30} {:<8} {}",
            rule.id, rule.name, rule.severity, rule.summary
        )
        .map_err(Error::Output)?;
    }
    Ok(EXIT_CLEAN)
}
