//! `secretmask run`: a command run with the masks in its environment resolved. Nothing is
//! written to disk and no value goes on a command line. Without `--redact` secretmask becomes
//! the command (`exec`), so signals and the exit status are the command's own; with it,
//! secretmask stays in between to redact the command's output, forwards signals and exits as
//! the command did.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::Stdio;

use super::{Error, LineFailure, StoreOptions, load_config, report_named, resolver, runtime};
use crate::environment::{self, Source};
use crate::error::EXIT_FINDINGS;
use crate::input;
use crate::redact::{Patterns, Redactor};
use crate::render::{Format, Plan};
use crate::source::Span;

/// `secretmask run`.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// `--env-file`: dotenv templates, later ones overriding earlier ones and the environment.
    pub env_files: Vec<PathBuf>,
    /// Pipe the command's output and redact every value from it.
    pub redact: bool,
    /// The program and its arguments.
    pub command: Vec<OsString>,
    /// Where secrets come from.
    pub store: StoreOptions,
    /// The most one env file may hold.
    pub max_file_size: u64,
}

/// Exit codes of a command that could not be started, as shells and `env` use them.
const EXIT_NOT_EXECUTABLE: i32 = 126;
const EXIT_NOT_FOUND: i32 = 127;

/// The signals a redacting secretmask passes on to the command.
const FORWARDED: &[i32] = &[
    libc::SIGINT,
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGWINCH,
];

pub(super) fn run(options: &RunOptions) -> Result<i32, Error> {
    let Some((program, args)) = options.command.split_first() else {
        return Err(Error::Usage("name the command to run after `--`".into()));
    };
    let loaded = load_config(options.store.config.as_deref())?;
    let resolver = resolver(&loaded, &options.store)?;
    let mut sources = Source::masked_variables(std::env::vars_os());
    for path in &options.env_files {
        let bytes = input::read(path, options.max_file_size)?;
        sources.push(Source::env_file(input::display(path), bytes));
    }

    // A value on a command line would be shown by `ps` to every user: such a mask is refused.
    let mut failures: Vec<(usize, LineFailure)> = Vec::new();
    let mut named: Vec<(String, Vec<u8>)> = Vec::new();
    for (n, arg) in options.command.iter().enumerate() {
        let bytes = arg.as_bytes();
        // Any mask a template could hold: well-formed, a near miss, or encoded.
        let plan = Plan::new(bytes, Some(Format::Text));
        let at = (plan.masks.iter().map(|m| m.span.start))
            .chain(plan.problems.iter().map(|p| p.span.start))
            .min();
        if let Some(at) = at {
            failures.push((
                sources.len() + named.len(),
                LineFailure {
                    span: Span::new(at, at),
                    reason: "a mask in the command line is not resolved: `ps` shows every argument to every user; pass the value in an environment variable".into(),
                    locator: None,
                },
            ));
            named.push((format!("argv[{n}]"), bytes.to_vec()));
        }
    }

    let resolved = runtime()?.block_on(environment::resolve(&sources, &resolver));
    let resolved = match resolved {
        Ok(resolved) if failures.is_empty() => resolved,
        result => {
            if let Err(list) = result {
                failures.extend(
                    list.iter()
                        .flat_map(|(i, e)| LineFailure::all(e).into_iter().map(|f| (*i, f))),
                );
            }
            failures.sort_by_key(|(i, _)| *i);
            let mut all: Vec<(&str, &[u8])> = sources
                .iter()
                .map(|s| (s.name.as_str(), s.bytes.as_slice()))
                .collect();
            all.extend(named.iter().map(|(n, b)| (n.as_str(), b.as_slice())));
            report_named(
                &all,
                &failures,
                &format!(
                    "{} failed; the command was not run",
                    crate::diagnostic::plural(failures.len(), "mask")
                ),
            );
            return Ok(EXIT_FINDINGS);
        }
    };

    let mut command = std::process::Command::new(program);
    command
        .args(args)
        .envs(resolved.variables.iter().map(|(k, v)| (k, v)));
    if !options.redact {
        let error = command.exec();
        return Ok(cannot_start(program, &error));
    }
    let patterns = Patterns::new(environment::texts(&resolved.values));
    drop(resolved);
    if std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true") {
        // The runner masks each of these in the job's log from here on.
        let mut stdout = std::io::stdout().lock();
        for line in patterns.github_add_masks() {
            use secrecy::ExposeSecret;
            stdout
                .write_all(line.expose_secret().as_bytes())
                .map_err(Error::Output)?;
        }
        stdout.flush().map_err(Error::Output)?;
    }
    // Caught from before the command starts, so none is lost in between: one that arrives
    // first is passed on once the command runs.
    let mut signals =
        signal_hook::iterator::Signals::new(FORWARDED).map_err(|source| Error::Io {
            path: "signal handlers".into(),
            source,
        })?;
    let signal_handle = signals.handle();
    let mut child = match command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(error) => return Ok(cannot_start(program, &error)),
    };
    let pid = child.id() as libc::pid_t;
    let forwarder = std::thread::spawn(move || {
        for signal in signals.forever() {
            // SAFETY: `kill` only sends a signal; the child is ours and not yet reaped.
            unsafe {
                libc::kill(pid, signal);
            }
        }
    });
    let out = child.stdout.take().expect("piped");
    let err = child.stderr.take().expect("piped");
    let pumps = [
        pump(out, std::io::stdout(), Redactor::new(patterns.clone())),
        pump(err, std::io::stderr(), Redactor::new(patterns)),
    ];
    let status = child.wait().map_err(|source| Error::Io {
        path: program.into(),
        source,
    })?;
    for pump in pumps {
        let _ = pump.join();
    }
    signal_handle.close();
    let _ = forwarder.join();
    if let Some(code) = status.code() {
        return Ok(code);
    }
    let signal = status.signal().unwrap_or(libc::SIGKILL);
    // Die of the same signal, so whoever runs secretmask sees what the command did.
    let _ = signal_hook::low_level::emulate_default_handler(signal);
    Ok(128 + signal)
}

/// Copies `from` to `to` through `redactor` until the command closes it. If `to` is closed
/// (`| head`), `from` is closed too, so the command sees a closed pipe as it would without us.
fn pump(
    mut from: impl Read + Send + 'static,
    mut to: impl Write + Send + 'static,
    mut redactor: Redactor,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut buffer = vec![0u8; 16 * 1024];
        loop {
            let read = match from.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            };
            let clean = redactor.feed(&buffer[..read]);
            if to.write_all(&clean).and_then(|()| to.flush()).is_err() {
                return;
            }
        }
        let _ = to.write_all(&redactor.finish()).and_then(|()| to.flush());
    })
}

/// Says why the command did not start and picks the shell's exit code for it.
fn cannot_start(program: &OsString, error: &std::io::Error) -> i32 {
    super::report(&format!(
        "cannot run `{}`: {error}",
        program.to_string_lossy()
    ));
    match error.kind() {
        std::io::ErrorKind::NotFound => EXIT_NOT_FOUND,
        _ => EXIT_NOT_EXECUTABLE,
    }
}
