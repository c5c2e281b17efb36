//! The one place that runs a command, prints its errors and picks the exit code.

use std::io::Write;

use crate::diagnostic::{self, Format, Summary};
use crate::error::{EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, Error};
use crate::input::Input;
use crate::lint::{self, RULES, Severity};

/// A command, as `main.rs` built it from the arguments.
#[derive(Clone, Debug)]
pub enum Command {
    Lint(LintOptions),
    ListRules,
}

#[derive(Clone, Debug)]
pub struct LintOptions {
    /// Empty means the current directory.
    pub inputs: Vec<Input>,
    pub format: Format,
    /// Warnings fail the run too.
    pub deny_warnings: bool,
    /// How stdin is named in findings.
    pub stdin_name: String,
}

/// Runs `command` and returns the process exit code.
pub fn run(command: Command) -> i32 {
    let result = match command {
        Command::Lint(options) => run_lint(&options),
        Command::ListRules => list_rules(),
    };
    match result {
        Ok(code) => code,
        // A reader that stopped reading (`| head`) is not a failure.
        Err(Error::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => EXIT_CLEAN,
        Err(error) => {
            report(&error);
            error.exit_code()
        }
    }
}

/// Prints an error that stopped a command, with its chain of causes.
fn report(error: &Error) {
    let mut stderr = anstream::stderr().lock();
    let style = anstyle::Style::new()
        .fg_color(Some(anstyle::AnsiColor::BrightRed.into()))
        .bold();
    let _ = writeln!(stderr, "{style}error{style:#}: {error}");
}

fn run_lint(options: &LintOptions) -> Result<i32, Error> {
    let inputs = if options.inputs.is_empty() {
        vec![Input::Path(".".into())]
    } else {
        options.inputs.clone()
    };
    let outcome = lint::files::lint_inputs(&inputs, &options.stdin_name);
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
        report(error);
    }
    Ok(if !outcome.errors.is_empty() {
        EXIT_ERROR
    } else if summary.errors > 0 || (options.deny_warnings && summary.warnings > 0) {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    })
}

fn list_rules() -> Result<i32, Error> {
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
