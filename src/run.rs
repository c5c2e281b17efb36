//! The one place that runs a command, prints its errors and picks the exit code.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;

use crate::config::{self, Loaded};
use crate::diagnostic::{self, Summary, plural};
use crate::error::{EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, Error};
use crate::grammar;
use crate::input::{self, Input};
use crate::lint::files::Keep;
use crate::lint::online::RequiredTags;
use crate::lint::{self, RULES, Severity};
use crate::provider::Providers;
use crate::provider::aws::{self, AwsProvider};
use crate::provider::azure::{self, AzureProvider};
use crate::provider::file::FileStore;
use crate::provider::vault::{self, Credential, VaultProvider};
use crate::render::{self, Escape, Format, RenderError, output};
use crate::resolve::{self, Resolver};
use crate::source::{LineIndex, Span};

/// A command, as `main.rs` built it from the arguments.
#[derive(Clone, Debug)]
pub enum Command {
    Lint(LintOptions),
    ListRules,
    Render(RenderOptions),
    /// Trust a configuration file's endpoint settings; `None`: the one discovered from here.
    Trust(Option<PathBuf>),
}

#[derive(Clone, Debug)]
pub struct LintOptions {
    /// Empty means the current directory.
    pub inputs: Vec<Input>,
    pub format: diagnostic::Format,
    /// Warnings fail the run too.
    pub deny_warnings: bool,
    /// How stdin is named in findings.
    pub stdin_name: String,
    /// `--online`: ask the stores too.
    pub online: Option<OnlineOptions>,
    /// The most one input may hold (`--max-file-size`).
    pub max_file_size: u64,
}

/// How `lint --online` reaches the stores.
#[derive(Clone, Debug)]
pub struct OnlineOptions {
    pub store: StoreOptions,
    /// `--profile apono`: every AWS secret must carry `apono-connector-read=true`.
    pub apono: bool,
}

/// Where secrets come from and how they are fetched: shared by render and online lint.
#[derive(Clone, Debug, Default)]
pub struct StoreOptions {
    pub config: Option<PathBuf>,
    pub secrets_file: Option<PathBuf>,
    /// Store calls in flight at once.
    pub concurrency: usize,
    /// The longest the whole resolution may take.
    pub timeout: Option<Duration>,
}

/// Runs `command` and returns the process exit code.
pub fn run(command: Command) -> i32 {
    let result = match command {
        Command::Lint(options) => run_lint(&options),
        Command::ListRules => list_rules(),
        Command::Render(options) => run_render(&options),
        Command::Trust(path) => run_trust(path.as_deref()),
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
    let _ = writeln!(
        stderr,
        "{style}error{style:#}: {}",
        diagnostic::printable(&error.to_string())
    );
}

fn run_lint(options: &LintOptions) -> Result<i32, Error> {
    let inputs = if options.inputs.is_empty() {
        vec![Input::Path(".".into())]
    } else {
        options.inputs.clone()
    };
    let keep = if options.online.is_some() {
        Keep::Masks
    } else {
        Keep::Findings
    };
    let mut outcome =
        lint::files::lint_inputs(&inputs, &options.stdin_name, keep, options.max_file_size);
    if let Some(online) = &options.online {
        let loaded = load_config(online.store.config.as_deref())?;
        let mut required = required_tags(&loaded)?;
        if online.apono {
            required = required.with_apono();
        }
        let resolver = resolver(&loaded, &online.store)?;
        let found = runtime()?.block_on(lint::online::check(&resolver, &outcome.masked, &required));
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

/// `secretmask trust [FILE]`.
fn run_trust(path: Option<&Path>) -> Result<i32, Error> {
    let path = match path {
        Some(path) => path.to_path_buf(),
        None => config::discover(&current_dir()?).ok_or_else(|| {
            Error::Usage(format!(
                "no {} here or in a parent folder; name the file to trust",
                config::FILE_NAME
            ))
        })?,
    };
    let (file, digest) = config::trust(&path)?;
    let mut stdout = anstream::stdout().lock();
    writeln!(
        stdout,
        "trusted {} (sha256 {digest}), recorded in {}; a change to the file needs a new `secretmask trust`",
        path.display(),
        file.display()
    )
    .map_err(Error::Output)?;
    Ok(EXIT_CLEAN)
}

fn current_dir() -> Result<PathBuf, Error> {
    std::env::current_dir().map_err(|source| Error::Io {
        path: ".".into(),
        source,
    })
}

fn load_config(explicit: Option<&Path>) -> Result<Loaded, Error> {
    Ok(config::load(explicit, &current_dir()?)?)
}

/// A runtime for the stores' calls; one thread is plenty for I/O-bound work.
fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| Error::Io {
            path: "tokio runtime".into(),
            source,
        })
}

/// The providers the options and the configuration choose: the file store for everything when
/// a secrets file is named, else the cloud stores (built lazily: no call until one is needed).
fn providers(loaded: &Loaded, options: &StoreOptions) -> Result<Providers, Error> {
    if let Some(path) = options
        .secrets_file
        .clone()
        .or_else(|| loaded.secrets_file())
    {
        return Ok(Providers::all(Arc::new(FileStore::load(&path)?)));
    }
    let aws = AwsProvider::new(aws::Settings {
        profile: loaded.config.aws.profile.clone(),
        endpoint_url: loaded.config.aws.endpoint_url.clone(),
        timeout: options.timeout,
        credentials: None,
    });
    Ok(Providers {
        sm: Arc::new(aws),
        vault: Arc::new(VaultProvider::new(vault_settings(loaded, options))),
        akv: Arc::new(AzureProvider::new(azure_settings(loaded, options)?)),
    })
}

/// Key Vault settings from the `azure` section; the SDK reads its own environment variables
/// (`AZURE_TENANT_ID`, `AZURE_AUTHORITY_HOST`, …).
fn azure_settings(loaded: &Loaded, options: &StoreOptions) -> Result<azure::Settings, Error> {
    let config = &loaded.config.azure;
    let credential = config.credential.unwrap_or_default();
    let endpoints = config
        .endpoints
        .iter()
        .map(|(host, url)| (host.to_ascii_lowercase(), url.as_str().to_owned()))
        .collect();
    Ok(azure::Settings {
        credential,
        endpoints,
        ca_files: config.ca_file.clone().into_iter().collect(),
        timeout: options.timeout,
        ..azure::Settings::default()
    })
}

/// Vault settings: the configuration first, then Vault's own environment variables and
/// `~/.vault-token`, as the Vault CLI reads them.
fn vault_settings(loaded: &Loaded, options: &StoreOptions) -> vault::Settings {
    let config = &loaded.config.vault;
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let value = |text: String, name| Credential::Value(SecretString::from(text), name);
    let auth = if let Some(approle) = &config.approle {
        vault::Auth::AppRole {
            mount: approle.mount.clone().unwrap_or_else(|| "approle".into()),
            role_id: Credential::File(approle.role_id_file.clone()),
            secret_id: Credential::File(approle.secret_id_file.clone()),
        }
    } else if let (Some(role_id), Some(secret_id)) = (env("VAULT_ROLE_ID"), env("VAULT_SECRET_ID"))
    {
        vault::Auth::AppRole {
            mount: "approle".into(),
            role_id: value(role_id, "VAULT_ROLE_ID"),
            secret_id: value(secret_id, "VAULT_SECRET_ID"),
        }
    } else if let Some(token) = env("VAULT_TOKEN") {
        vault::Auth::Token(value(token, "VAULT_TOKEN"))
    } else {
        let file = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".vault-token"));
        match file.filter(|f| f.is_file()) {
            Some(file) => vault::Auth::Token(Credential::File(file)),
            None => vault::Auth::Missing,
        }
    };
    vault::Settings {
        address: config
            .address
            .clone()
            .or_else(|| env("VAULT_ADDR"))
            .unwrap_or_else(|| "https://127.0.0.1:8200".into()),
        namespace: config.namespace.clone().or_else(|| env("VAULT_NAMESPACE")),
        ca_files: config
            .ca_file
            .clone()
            .or_else(|| env("VAULT_CACERT").map(PathBuf::from))
            .into_iter()
            .collect(),
        auth,
        mounts: config.mounts.clone(),
        timeout: options.timeout,
    }
}

fn resolver(loaded: &Loaded, options: &StoreOptions) -> Result<Resolver, Error> {
    let mut settings = resolve::Options {
        concurrency: options.concurrency.max(1),
        timeout: options.timeout,
        ..resolve::Options::default()
    };
    if let Some(ttl) = loaded.config.cache.ttl {
        settings.ttl = ttl.0;
    }
    if let Some(capacity) = loaded.config.cache.capacity {
        settings.capacity = capacity;
    }
    Ok(Resolver::new(providers(loaded, options)?, &settings))
}

fn required_tags(loaded: &Loaded) -> Result<RequiredTags, Error> {
    let mut required = RequiredTags::default();
    for (store, tags) in &loaded.config.lint.require_tags {
        required.0.insert(*store, tags.clone());
    }
    Ok(required)
}

/// `secretmask render`.
#[derive(Clone, Debug)]
pub struct RenderOptions {
    /// Empty means stdin.
    pub inputs: Vec<Input>,
    pub output: Option<PathBuf>,
    pub out_dir: Option<PathBuf>,
    pub check: bool,
    pub escape: Escape,
    /// `--as`: the format for every output, instead of the output's name.
    pub format: Option<Format>,
    pub mode: Option<u32>,
    pub store: StoreOptions,
    /// The most one input may hold (`--max-file-size`).
    pub max_file_size: u64,
}

/// One template and where its rendering goes.
struct Job {
    /// How the template is named in messages.
    name: String,
    bytes: Vec<u8>,
    /// `None`: stdout.
    target: Option<PathBuf>,
    /// `None`: stdin to stdout without `--as`, told by its content once scanned.
    format: Option<Format>,
}

fn run_render(options: &RenderOptions) -> Result<i32, Error> {
    let loaded = load_config(options.store.config.as_deref())?;
    let jobs = render_jobs(options)?;
    let resolver = resolver(&loaded, &options.store)?;

    // Every mask of every input is resolved before anything is written.
    let mut failures: Vec<(usize, LineFailure)> = Vec::new();
    let mut scanned = Vec::with_capacity(jobs.len());
    for (j, job) in jobs.iter().enumerate() {
        let mut masks = Vec::new();
        for candidate in grammar::scan_parallel(&job.bytes) {
            match candidate {
                Ok(mask) => masks.push(mask),
                Err(e) => {
                    let finding = lint::parse_finding(&e);
                    failures.push((
                        j,
                        LineFailure {
                            span: e.span,
                            reason: format!("{} [{}]", finding.message, finding.rule.id),
                            locator: None,
                        },
                    ));
                }
            }
        }
        scanned.push(masks);
    }
    let all: Vec<&crate::Mask> = scanned.iter().flatten().collect();
    let mut values = if all.is_empty() {
        Vec::new().into_iter()
    } else {
        runtime()?.block_on(resolver.resolve(&all)).into_iter()
    };
    let mut outputs = Vec::with_capacity(jobs.len());
    for (j, (job, masks)) in jobs.iter().zip(&scanned).enumerate() {
        let values: Vec<_> = values.by_ref().take(masks.len()).collect();
        let format = job
            .format
            .unwrap_or_else(|| Format::sniff(&job.bytes, &spans_of(masks)));
        match render::render(&job.bytes, masks, &values, format, options.escape) {
            Ok(bytes) => outputs.push(bytes),
            Err(RenderError::Masks(list)) => {
                failures.extend(list.into_iter().map(|f| {
                    (
                        j,
                        LineFailure {
                            span: f.span,
                            reason: f.failure.to_string(),
                            locator: Some(f.locator),
                        },
                    )
                }));
                outputs.push(Vec::new());
            }
            Err(RenderError::Syntax {
                offset,
                format,
                message,
            }) => {
                failures.push((
                    j,
                    LineFailure {
                        span: Span::new(offset, offset),
                        reason: format!(
                            "the template is not valid {format:?} (even with its masks replaced), so values cannot be escaped for it: {message}; render it with --as text or --escape none"
                        ),
                        locator: None,
                    },
                ));
                outputs.push(Vec::new());
            }
        }
    }
    if !failures.is_empty() {
        report_failures(&jobs, &failures);
        return Ok(EXIT_FINDINGS);
    }
    if options.check {
        let distinct = Resolver::distinct(&all);
        let mut stdout = anstream::stdout().lock();
        writeln!(
            stdout,
            "ok: {} resolve ({} distinct {}) in {}",
            plural(all.len(), "mask"),
            distinct,
            if distinct == 1 { "secret" } else { "secrets" },
            plural(jobs.len(), "file")
        )
        .map_err(Error::Output)?;
        return Ok(EXIT_CLEAN);
    }
    let mode = options
        .mode
        .or_else(|| loaded.config.render.mode.map(|mode| mode.0));
    if let Some(mode) = mode.filter(|m| config::Mode(*m).lets_others_write()) {
        let mut stderr = anstream::stderr().lock();
        let style = anstyle::Style::new()
            .fg_color(Some(anstyle::AnsiColor::BrightYellow.into()))
            .bold();
        let _ = writeln!(
            stderr,
            "{style}warning{style:#}: mode {mode:04o} lets group or others write the rendered files, which hold secrets"
        );
    }
    output::clean_up_on_signals();
    write_outputs(&jobs, outputs, mode)?;
    Ok(EXIT_CLEAN)
}

/// Stages every file output, then commits them all; stdout is written last, in one piece.
fn write_outputs(jobs: &[Job], outputs: Vec<Vec<u8>>, mode: Option<u32>) -> Result<(), Error> {
    let mut staged = Vec::new();
    let mut to_stdout = Vec::new();
    for (job, bytes) in jobs.iter().zip(outputs) {
        match &job.target {
            Some(target) => staged.push(output::stage(target, &bytes, mode)?),
            None => to_stdout.push(bytes),
        }
    }
    for file in staged {
        file.commit()?;
    }
    let mut stdout = std::io::stdout().lock();
    for bytes in to_stdout {
        stdout.write_all(&bytes).map_err(Error::Output)?;
    }
    stdout.flush().map_err(Error::Output)
}

/// A mask (or template) that failed, for the list printed on a failed render.
struct LineFailure {
    span: Span,
    reason: String,
    locator: Option<String>,
}

fn report_failures(jobs: &[Job], failures: &[(usize, LineFailure)]) {
    let mut stderr = anstream::stderr().lock();
    let style = anstyle::Style::new()
        .fg_color(Some(anstyle::AnsiColor::BrightRed.into()))
        .bold();
    // Each file is indexed once, however many of its masks failed.
    let mut indexes: BTreeMap<usize, LineIndex<'_>> = BTreeMap::new();
    for (j, failure) in failures {
        let index = indexes
            .entry(*j)
            .or_insert_with(|| LineIndex::new(&jobs[*j].bytes));
        let at = index.position(failure.span.start);
        let locator = failure
            .locator
            .as_deref()
            .map(|l| format!("\n    secret: {}", diagnostic::printable(l)))
            .unwrap_or_default();
        let _ = writeln!(
            stderr,
            "{}:{}:{}: {style}error{style:#}: {}{locator}",
            diagnostic::printable(&jobs[*j].name),
            at.line,
            at.column,
            diagnostic::printable(&failure.reason)
        );
    }
    let _ = writeln!(
        stderr,
        "{style}error{style:#}: {} failed; nothing was written",
        plural(failures.len(), "mask")
    );
}

fn render_jobs(options: &RenderOptions) -> Result<Vec<Job>, Error> {
    // The output's name decides the format (`--as` overrides); stdout takes the input's name.
    let format_for = |name: &Path| options.format.unwrap_or_else(|| Format::from_path(name));
    let inputs = if options.inputs.is_empty() {
        vec![Input::Stdin]
    } else {
        options.inputs.clone()
    };
    if options.output.is_some() && options.out_dir.is_some() {
        return Err(Error::Usage("-o and --out-dir exclude each other".into()));
    }
    let single = inputs.len() == 1
        && match &inputs[0] {
            Input::Stdin => true,
            Input::Path(p) => !p.is_dir(),
        };
    if !single && options.out_dir.is_none() {
        return Err(Error::Usage(
            "several inputs or a directory need --out-dir DIR".into(),
        ));
    }
    if inputs.iter().filter(|i| **i == Input::Stdin).count() > 1 {
        return Err(Error::Usage("stdin (-) can be named once".into()));
    }
    let mut jobs = Vec::new();
    // The file each job was read from, to check the targets against.
    let mut sources = Vec::new();
    for input in &inputs {
        match input {
            Input::Stdin => {
                let target = match (&options.output, &options.out_dir) {
                    (Some(o), _) => Some(o.clone()),
                    (None, Some(_)) => {
                        return Err(Error::Usage(
                            "stdin renders to stdout or -o FILE, not --out-dir".into(),
                        ));
                    }
                    (None, None) => None,
                };
                let format = match target.as_deref() {
                    Some(target) => Some(format_for(target)),
                    None => options.format,
                };
                jobs.push(Job {
                    name: "<stdin>".into(),
                    bytes: input::read_stdin(options.max_file_size)?,
                    target,
                    format,
                });
                sources.push(None);
            }
            Input::Path(path) => {
                for file in input::files(path)? {
                    let target = match (&options.output, &options.out_dir) {
                        (Some(o), _) => Some(o.clone()),
                        (None, Some(dir)) => Some(dir.join(strip_tpl(&file.relative))),
                        (None, None) => None,
                    };
                    let format = Some(format_for(
                        target.as_deref().unwrap_or(&strip_tpl(&file.path)),
                    ));
                    jobs.push(Job {
                        name: input::display(&file.path),
                        bytes: input::read(&file.path, options.max_file_size)?,
                        target,
                        format,
                    });
                    sources.push(Some(file.path));
                }
            }
        }
    }
    check_targets(&jobs, &sources)?;
    Ok(jobs)
}

/// What a path names, for telling two names of one file apart: the file's device and inode
/// when it exists, else its absolute path with the folder's symlinks resolved.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Identity {
    File(u64, u64),
    Path(PathBuf),
}

fn identity(path: &Path) -> Identity {
    use std::os::unix::fs::MetadataExt;
    if let Ok(m) = std::fs::metadata(path) {
        return Identity::File(m.dev(), m.ino());
    }
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let resolved = match (absolute.parent(), absolute.file_name()) {
        (Some(dir), Some(name)) => dir
            .canonicalize()
            .map_or_else(|_| absolute.clone(), |dir| dir.join(name)),
        _ => absolute,
    };
    Identity::Path(resolved)
}

/// Refuses, before anything is written, an output that is one of the inputs or that two inputs
/// render to: either would lose a file with exit 0.
fn check_targets(jobs: &[Job], sources: &[Option<PathBuf>]) -> Result<(), Error> {
    let mut inputs = std::collections::HashMap::new();
    for source in sources.iter().flatten() {
        inputs.entry(identity(source)).or_insert(source);
    }
    let mut targets: std::collections::HashMap<Identity, (&Path, &str)> =
        std::collections::HashMap::new();
    for job in jobs {
        let Some(target) = job.target.as_deref() else {
            continue;
        };
        // A device (`/dev/stdout`, `/dev/null`) is written into, never replaced.
        if std::fs::metadata(target).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
            continue;
        }
        let id = identity(target);
        if let Some(input) = inputs.get(&id) {
            return Err(Error::Usage(format!(
                "the output {} is the input {}; rendering would destroy the template, so nothing was written",
                target.display(),
                input.display()
            )));
        }
        if let Some((_, other)) = targets.insert(id, (target, &job.name)) {
            return Err(Error::Usage(format!(
                "{other} and {} both render to {}; nothing was written",
                job.name,
                target.display()
            )));
        }
    }
    Ok(())
}

fn spans_of(masks: &[crate::Mask]) -> Vec<Span> {
    masks.iter().map(|m| m.span).collect()
}

/// `app.yaml.tpl` → `app.yaml`.
fn strip_tpl(path: &Path) -> PathBuf {
    match path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_suffix(".tpl"))
    {
        Some(stem) if !stem.is_empty() => path.with_file_name(stem),
        _ => path.to_path_buf(),
    }
}
