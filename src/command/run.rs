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
use signal_hook::iterator::SignalsInfo;
use signal_hook::iterator::exfiltrator::WithOrigin;
use signal_hook::low_level::siginfo::Cause;

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
    /// `--watch`: restart the command when a secret it was given changes.
    pub watch: Option<RunWatch>,
    /// `--syntax`, `--avp-type`.
    pub syntax: super::SyntaxOptions,
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

/// What `run` does, decided once from the flags, the configuration and the environment
/// before a store is asked anything: the command, the syntaxes read, the variables and env
/// files that hold masks, and the command-line arguments refused for holding one.
struct Running<'o> {
    program: &'o OsString,
    args: &'o [OsString],
    loaded: crate::config::Loaded,
    syntaxes: crate::syntax::Syntaxes,
    /// The inherited variables with masks, then each `--env-file`.
    sources: Vec<Source>,
    /// A value on a command line would be shown by `ps` to every user: each argument that
    /// holds a mask, by its name (`argv[N]`), and where the mask is.
    refused_args: Vec<(String, Vec<u8>, usize)>,
}

impl<'o> Running<'o> {
    fn decide(options: &'o RunOptions) -> Result<Self, Error> {
        let Some((program, args)) = options.command.split_first() else {
            return Err(Error::Usage("name the command to run after `--`".into()));
        };
        let loaded = load_config(options.store.config.as_deref())?;
        // `--syntax`, else `syntax:` in the configuration, else native masks alone.
        let syntaxes = options.syntax.decide(&loaded.config);
        let mut sources = Source::masked_variables(std::env::vars_os(), &syntaxes);
        for path in &options.env_files {
            let bytes = input::read(path, options.max_file_size)?;
            sources.push(Source::env_file(input::display(path), bytes, &syntaxes));
        }
        let mut refused_args = Vec::new();
        for (n, arg) in options.command.iter().enumerate() {
            let bytes = arg.as_bytes();
            // Any mask a template could hold: well-formed, a near miss, or encoded.
            let plan = Plan::read(bytes, Some(Format::Text), &syntaxes);
            let at = (plan.masks.iter().map(|m| m.span.start))
                .chain(plan.problems.iter().map(|p| p.span.start))
                .min();
            if let Some(at) = at {
                refused_args.push((format!("argv[{n}]"), bytes.to_vec(), at));
            }
        }
        Ok(Self {
            program,
            args,
            loaded,
            syntaxes,
            sources,
            refused_args,
        })
    }
}

pub(super) fn run(options: &RunOptions) -> Result<i32, Error> {
    let Running {
        program,
        args,
        loaded,
        syntaxes,
        mut sources,
        refused_args,
    } = Running::decide(options)?;
    let resolver = if options.watch.is_some() {
        super::resolver_for_watch(&loaded, &options.store)?
    } else {
        resolver(&loaded, &options.store)?
    };
    let mut failures: Vec<(usize, LineFailure)> = Vec::new();
    let mut named: Vec<(String, Vec<u8>)> = Vec::new();
    for (name, bytes, at) in refused_args {
        failures.push((
            sources.len() + named.len(),
            LineFailure {
                span: Span::new(at, at),
                reason: "a mask in the command line is not resolved: `ps` shows every argument to every user; pass the value in an environment variable".into(),
                locator: None,
                store_wide: false,
            },
        ));
        named.push((name, bytes));
    }

    // A watch's fingerprints are taken before the values: a rotation in between is seen at the
    // first check (at worst one restart too many, never one too few).
    // One runtime for every call: a store's clients keep their connections on the runtime they
    // were first used on.
    let runtime = runtime()?;
    // AWS secrets a reference names without an ARN, looked up by name on the same runtime.
    let looked = super::looked_up(
        syntaxes,
        sources.iter().map(|source| source.bytes.as_slice()),
        &resolver,
        &runtime,
    );
    for source in &mut sources {
        source.syntaxes = looked.clone();
    }
    let known = match options.watch {
        Some(_) => runtime.block_on(resolver.fingerprints(&secrets_of(&sources))),
        None => std::collections::HashMap::new(),
    };
    let resolved = runtime.block_on(environment::resolve(&sources, &resolver));
    let mut lines = 0;
    let resolved = match resolved {
        Ok(resolved) if failures.is_empty() => resolved,
        result => {
            if let Err(list) = result {
                for (i, failed) in list {
                    match failed {
                        environment::Failed::Render(error) => {
                            failures.extend(LineFailure::all(&error).into_iter().map(|f| (i, f)))
                        }
                        environment::Failed::Line { offset, message } => {
                            lines += 1;
                            failures.push((
                                i,
                                LineFailure {
                                    span: Span::new(offset, offset),
                                    reason: message,
                                    locator: None,
                                    store_wide: false,
                                },
                            ));
                        }
                    }
                }
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
                    "{}; the command was not run",
                    [
                        (failures.len() > lines).then(|| {
                            format!(
                                "{} failed",
                                crate::diagnostic::plural(failures.len() - lines, "mask")
                            )
                        }),
                        (lines > 0).then(|| {
                            let line = crate::diagnostic::plural(lines, "line");
                            format!("{line} of the env files cannot be read")
                        }),
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(", ")
                ),
            );
            return Ok(EXIT_FINDINGS);
        }
    };

    if let Some(watch) = &options.watch {
        return supervise_watching(
            (program, args),
            &sources,
            (&resolver, &runtime),
            resolved,
            known,
            options.redact,
            watch,
        );
    }
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
        add_masks(&patterns)?;
    }
    // Caught from before the command starts, so none is lost in between: one that arrives
    // first is passed on once the command runs.
    let mut signals = SignalsInfo::<WithOrigin>::new(FORWARDED).map_err(|source| Error::Io {
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
        for origin in signals.forever() {
            // The terminal sends Ctrl-C, Ctrl-\\, a hang-up and a resize to the whole foreground
            // process group, the command included: a second copy from us would read as "again"
            // (terraform and docker compose exit at once on a second SIGINT).
            if origin.cause == Cause::Kernel {
                continue;
            }
            // SAFETY: `kill` only sends a signal. The child is not reaped before this thread
            // has ended (see `exited`), so `pid` is still the command's, if only as a zombie.
            unsafe {
                libc::kill(pid, origin.signal);
            }
        }
    });
    let out = child.stdout.take().expect("piped");
    let err = child.stderr.take().expect("piped");
    let pumps = [
        pump(out, std::io::stdout(), Redactor::new(patterns.clone())),
        pump(err, std::io::stderr(), Redactor::new(patterns)),
    ];
    let waited = exited(pid);
    signal_handle.close();
    let _ = forwarder.join();
    waited
        .and_then(|()| child.wait())
        .map_err(|source| Error::Io {
            path: program.into(),
            source,
        })
        .map(|status| (status, pumps))
        .and_then(|(status, pumps)| {
            for pump in pumps {
                let _ = pump.join();
            }
            finish(status)
        })
}

/// Waits for the command to exit without reaping it: until it is reaped its pid cannot be
/// reused, so the signal forwarder can never hit another process.
fn exited(pid: libc::pid_t) -> std::io::Result<()> {
    loop {
        match wait_unreaped(pid, 0) {
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            other => return other.map(|_| ()),
        }
    }
}

/// `waitid` for the command's exit with `WNOWAIT` (and `flags`, such as `WNOHANG`): whether it
/// has exited, leaving it unreaped.
fn wait_unreaped(pid: libc::pid_t, flags: libc::c_int) -> std::io::Result<bool> {
    // SAFETY: `waitid` writes only into `info`, which lives through the call.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    let result = unsafe {
        libc::waitid(
            libc::P_PID,
            pid as libc::id_t,
            &mut info,
            libc::WEXITED | libc::WNOWAIT | flags,
        )
    };
    if result != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `si_pid` is set by a successful `waitid`; 0 while, under WNOHANG, no child has
    // changed state.
    Ok(unsafe { info.si_pid() } != 0)
}

/// secretmask's exit for the command's status.
fn finish(status: std::process::ExitStatus) -> Result<i32, Error> {
    if let Some(code) = status.code() {
        return Ok(code);
    }
    let signal = status.signal().unwrap_or(libc::SIGKILL);
    // Die of the same signal, so whoever runs secretmask sees what the command did.
    let _ = signal_hook::low_level::emulate_default_handler(signal);
    Ok(128 + signal)
}

/// Gives GitHub Actions' runner every text to mask in the job's log from here on. The lines hold
/// the values, so they go to stderr, never to the redacted stdout (a `tee`d log or an artifact);
/// and not at all when stderr is a file or the same stream as stdout, where they would be kept.
fn add_masks(patterns: &Patterns) -> Result<(), Error> {
    use secrecy::ExposeSecret;
    let stderr = stream_identity(libc::STDERR_FILENO);
    let kept = match stderr {
        None => true,
        Some((_, _, mode)) => {
            mode & libc::S_IFMT == libc::S_IFREG || stream_identity(libc::STDOUT_FILENO) == stderr
        }
    };
    if kept {
        tracing::warn!(
            "::add-mask:: lines not written: stderr is a file or the same stream as stdout, which would keep the values; the output is still redacted"
        );
        return Ok(());
    }
    let mut err = std::io::stderr().lock();
    for line in patterns.github_add_masks() {
        err.write_all(line.expose_secret().as_bytes())
            .map_err(Error::Output)?;
    }
    err.flush().map_err(Error::Output)
}

/// The device, inode and type of what `fd` is open on.
fn stream_identity(fd: i32) -> Option<(u64, u64, u32)> {
    // SAFETY: `fstat` writes only into `stat`, which lives through the call.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    (unsafe { libc::fstat(fd, &mut stat) } == 0).then_some((stat.st_dev, stat.st_ino, stat.st_mode))
}

/// Copies `from` to `to` through `redactor` until the command closes it. If `to` is closed
/// (`| head`), `from` is closed too, so the command sees a closed pipe as it would without us.
fn pump(
    mut from: impl Read + Send + 'static,
    mut to: impl Write + Send + 'static,
    mut redactor: Redactor,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut buffer = vec![0u8; 64 * 1024];
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

/// `run --watch`: how often to check, and how a command is stopped for its restart.
#[derive(Clone, Debug)]
pub struct RunWatch {
    /// Between two checks of the secrets' versions.
    pub interval: std::time::Duration,
    /// How long the command has after SIGTERM before SIGKILL.
    pub grace: std::time::Duration,
    /// Send this signal instead of restarting (`--reload-signal`): for a command that reads its
    /// secrets again by itself, since a running process's environment cannot change.
    pub reload_signal: Option<i32>,
}

/// `run --watch`: the command is supervised, never exec'd. Each interval the versions of the
/// secrets it was given are checked; when one changed and every value resolves again, the
/// command is stopped (SIGTERM, `grace`, SIGKILL) and started again with the new environment. A
/// refresh that fails leaves the command running as it is. Signals another process sends go to
/// the running command; SIGINT, SIGTERM, SIGHUP and SIGQUIT also end the watch, and secretmask
/// exits as the command did.
fn supervise_watching(
    (program, args): (&OsString, &[OsString]),
    sources: &[Source],
    (resolver, runtime): (&crate::resolve::Resolver, &tokio::runtime::Runtime),
    first: environment::Resolved,
    mut known: super::watch::Fingerprints,
    redact: bool,
    watch: &RunWatch,
) -> Result<i32, Error> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
    use std::time::Instant;

    let secrets = secrets_of(sources);
    let mut signals = SignalsInfo::<WithOrigin>::new(FORWARDED).map_err(|source| Error::Io {
        path: "signal handlers".into(),
        source,
    })?;
    let signal_handle = signals.handle();
    // The running command's pid (0 between two), and whether a signal asked us to stop.
    let current = Arc::new(AtomicI32::new(0));
    let stopping = Arc::new(AtomicBool::new(false));
    let forwarder = {
        let (current, stopping) = (current.clone(), stopping.clone());
        std::thread::spawn(move || {
            for origin in signals.forever() {
                if [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT]
                    .contains(&origin.signal)
                {
                    stopping.store(true, Ordering::SeqCst);
                }
                if origin.cause == Cause::Kernel {
                    continue;
                }
                let pid = current.load(Ordering::SeqCst);
                if pid > 0 {
                    // SAFETY: `kill` only sends a signal; the command is reaped only after
                    // `current` is cleared, so the pid is still its own.
                    unsafe {
                        libc::kill(pid, origin.signal);
                    }
                }
            }
        })
    };
    let mut variables = first.variables;
    let mut values = first.values;
    let status = 'run: loop {
        let mut command = std::process::Command::new(program);
        command
            .args(args)
            .envs(variables.iter().map(|(k, v)| (k, v)));
        if redact {
            command.stdout(Stdio::piped()).stderr(Stdio::piped());
        }
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(error) => {
                signal_handle.close();
                let _ = forwarder.join();
                return Ok(cannot_start(program, &error));
            }
        };
        let pid = child.id() as libc::pid_t;
        current.store(pid, Ordering::SeqCst);
        let pumps: Vec<_> = if redact {
            let patterns = Patterns::new(environment::texts(&values));
            vec![
                pump(
                    child.stdout.take().expect("piped"),
                    std::io::stdout(),
                    Redactor::new(patterns.clone()),
                ),
                pump(
                    child.stderr.take().expect("piped"),
                    std::io::stderr(),
                    Redactor::new(patterns),
                ),
            ]
        } else {
            Vec::new()
        };
        let reap = |mut child: std::process::Child, pumps: Vec<std::thread::JoinHandle<()>>| {
            current.store(0, Ordering::SeqCst);
            let status = child.wait();
            for pump in pumps {
                let _ = pump.join();
            }
            status
        };
        let mut next_check = Instant::now() + watch.interval;
        let mut unchecked = std::collections::HashMap::new();
        loop {
            if has_exited(pid)? {
                break 'run reap(child, pumps);
            }
            if stopping.load(Ordering::SeqCst) || Instant::now() < next_check {
                std::thread::sleep(std::time::Duration::from_millis(50));
                continue;
            }
            next_check = Instant::now() + watch.interval;
            let now = runtime.block_on(resolver.fingerprints(&secrets));
            super::watch::report_unchecked(&now, &mut unchecked);
            let changed = super::watch::changed(&secrets, &now, &known);
            if changed.is_empty() {
                continue;
            }
            if let Err((secret, error)) = super::watch::refetch(resolver, runtime, &changed) {
                super::watch::warn(&format!(
                    "secret `{secret}` changed but could not be read again: {error}; the command keeps running with the values it has, and the watch goes on"
                ));
                continue;
            }
            let Ok(again) = runtime.block_on(environment::resolve(sources, resolver)) else {
                super::watch::warn(&format!(
                    "{} changed, but the new values do not all resolve (run the command's masks through `secretmask lint --online` to see which); the command keeps running with the values it has, and the watch goes on",
                    crate::diagnostic::plural(changed.len(), "secret")
                ));
                continue;
            };
            known = now;
            if let Some(signal) = watch.reload_signal {
                tracing::info!(
                    "run --watch: {} changed; sending signal {signal} to the command",
                    crate::diagnostic::plural(changed.len(), "secret")
                );
                // The new values are redacted from the output the command writes from now
                // on, as it may have read them itself.
                values.extend(again.values);
                // SAFETY: `kill` only sends a signal to the command, not yet reaped.
                unsafe {
                    libc::kill(pid, signal);
                }
                continue;
            }
            tracing::info!(
                "run --watch: {} changed; restarting the command",
                crate::diagnostic::plural(changed.len(), "secret")
            );
            // SAFETY: `kill` only sends a signal to the command, not yet reaped.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
            let deadline = Instant::now() + watch.grace;
            while !has_exited(pid)? && Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            if !has_exited(pid)? {
                // SAFETY: as above.
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                }
            }
            let _ = reap(child, pumps);
            if stopping.load(Ordering::SeqCst) {
                break 'run Ok(std::process::ExitStatus::from_raw(libc::SIGTERM));
            }
            variables = again.variables;
            values.extend(again.values);
            continue 'run;
        }
    };
    signal_handle.close();
    let _ = forwarder.join();
    status
        .map_err(|source| Error::Io {
            path: program.into(),
            source,
        })
        .and_then(finish)
}

/// Whether the command has exited, without reaping it (see `exited`).
fn has_exited(pid: libc::pid_t) -> Result<bool, Error> {
    wait_unreaped(pid, libc::WNOHANG).map_err(|source| Error::Io {
        path: "waitid".into(),
        source,
    })
}

/// The distinct secrets the sources' masks name.
fn secrets_of(sources: &[Source]) -> Vec<crate::mask::SecretRef> {
    let plans: Vec<Plan> = sources.iter().map(Source::plan).collect();
    let mut all: Vec<_> = plans
        .iter()
        .flat_map(|p| p.masks().map(|m| crate::mask::SecretRef::clone(&m.secret)))
        .collect();
    all.sort();
    all.dedup();
    all
}
