//! The commands: each module turns its options into library calls and prints the outcome;
//! this one runs a command, prints an error that stopped it and picks the exit code.

mod inventory;
mod lint;
mod migrate;
mod render;
mod run;
mod tag;
mod trust;
mod watch;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use self::inventory::{InventoryFormat, InventoryOptions};
pub use self::lint::{LintOptions, OnlineOptions};
pub use self::migrate::MigrateOptions;
pub use self::render::RenderOptions;
pub use self::run::{RunOptions, RunWatch};
pub use self::tag::TagOptions;
pub use self::watch::WatchOptions;
use crate::config::{self, Loaded};
use crate::diagnostic;
use crate::finding::Severity;
use crate::render::{Failure, RenderError};
use crate::resolve::{self, Resolver};
use crate::source::{LineIndex, Span};
use std::collections::BTreeMap;

/// Why a command stopped: each layer's error, joined here, and the command line's own.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// An input could not be read or an output written.
    #[error(transparent)]
    Input(#[from] crate::error::Error),
    /// A configuration file is unreadable, invalid or not trusted.
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    /// The secrets file (the `file` store) is unreadable or invalid.
    #[error("secrets file {0}")]
    SecretsFile(#[from] crate::provider::file::FileStoreError),
    /// An I/O failure outside inputs and outputs (the working directory, the runtime).
    #[error("{}: {source}", path.display())]
    Io {
        /// What was being read or set up.
        path: PathBuf,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// Arguments that do not go together.
    #[error("{0}")]
    Usage(String),
    /// stdout could not be written.
    #[error("cannot write the output: {}", closed_or(.0))]
    Output(#[source] std::io::Error),
}

/// The command modules' error.
pub(crate) use CommandError as Error;

/// A command, as `main.rs` built it from the arguments.
#[derive(Clone, Debug)]
pub enum Command {
    /// `secretmask lint`.
    Lint(LintOptions),
    /// `secretmask lint --list-rules`.
    ListRules,
    /// `secretmask render`.
    Render(RenderOptions),
    /// Run a command with the masks in its environment resolved.
    Run(RunOptions),
    /// Add required tags to the secrets masks reference.
    Tag(TagOptions),
    /// List the secrets the masks name.
    Inventory(InventoryOptions),
    /// Trust a configuration file's endpoint settings; `None`: the one discovered from here.
    Trust(Option<PathBuf>),
    /// Rewrite argocd-vault-plugin's or vals' references as native masks.
    Migrate(MigrateOptions),
}

/// Where secrets come from and how they are fetched: shared by render and online lint.
#[derive(Clone, Debug, Default)]
pub struct StoreOptions {
    /// `--config`: the configuration file, instead of the one discovered.
    pub config: Option<PathBuf>,
    /// `--secrets-file`: every mask from this YAML file (the `file` store).
    pub secrets_file: Option<PathBuf>,
    /// Store calls in flight at once.
    pub concurrency: usize,
    /// The longest the whole resolution may take.
    pub timeout: Option<Duration>,
}

/// `--syntax` and `--avp-type`: which reference syntaxes a run reads as masks.
#[derive(Clone, Debug, Default)]
pub struct SyntaxOptions {
    /// `--syntax`; `None` takes the configuration's `syntax:`.
    pub syntax: Option<Vec<crate::syntax::Syntax>>,
    /// `--avp-type`; `None` takes `ARGOCD_ENV_AVP_TYPE` or `AVP_TYPE`, as argocd-vault-plugin.
    pub avp_type: Option<crate::syntax::AvpType>,
}

impl SyntaxOptions {
    /// The one decision: the flag's list, else the configuration's, else secretmask's own masks
    /// alone; argocd-vault-plugin's store from the flag, else the environment.
    pub(crate) fn decide(&self, config: &crate::config::Config) -> crate::syntax::Syntaxes {
        use crate::syntax::{AvpType, Syntax, Syntaxes};
        let list = self
            .syntax
            .clone()
            .or_else(|| config.syntax.clone())
            .unwrap_or_else(|| vec![Syntax::Workato]);
        let avp_type = match self.avp_type {
            Some(avp_type) => Ok(Some(avp_type)),
            None => AvpType::from_env(),
        };
        // Where an AWS secret named without its ARN is looked up: the SDK's own variables.
        let region = ["AWS_REGION", "AWS_DEFAULT_REGION"]
            .iter()
            .find_map(|var| std::env::var(var).ok().filter(|r| !r.is_empty()));
        Syntaxes::new(&list, avp_type).with_aws_region(region)
    }
}

/// `syntaxes` with the AWS secrets that `texts` name without an ARN looked up by name
/// (`DescribeSecret`), when any are: a name the store does not know stays an error.
fn looked_up<'a>(
    syntaxes: crate::syntax::Syntaxes,
    texts: impl Iterator<Item = &'a [u8]>,
    resolver: &Resolver,
    runtime: &tokio::runtime::Runtime,
) -> crate::syntax::Syntaxes {
    if syntaxes.is_native() {
        return syntaxes;
    }
    let names: Vec<(String, String)> = texts.flat_map(|t| syntaxes.aws_names(t)).collect();
    looked_up_names(syntaxes, names, resolver, runtime)
}

/// What a command that reads files (`lint`, `inventory`) decides before reading them: the
/// configuration (with `store`, the online one; else the discovered file's, checked), the
/// syntaxes, and online the one resolver and runtime every store call goes through, which first
/// look up the AWS secrets the files name without an ARN.
struct FileReading {
    loaded: Option<Loaded>,
    syntaxes: crate::syntax::Syntaxes,
    online: Option<(Resolver, tokio::runtime::Runtime)>,
}

impl FileReading {
    fn decide(
        syntax: &SyntaxOptions,
        store: Option<&StoreOptions>,
        inputs: &[crate::input::Input],
        limit: u64,
    ) -> Result<Self, Error> {
        let Some(store) = store else {
            let config = config::validate(None, &current_dir()?)?;
            return Ok(Self {
                loaded: None,
                syntaxes: syntax.decide(&config),
                online: None,
            });
        };
        let loaded = load_config(store.config.as_deref())?;
        let (resolver, runtime) = (resolver(&loaded, store)?, runtime()?);
        let syntaxes = syntax.decide(&loaded.config);
        let names = aws_names_in_files(inputs, &syntaxes, limit);
        let syntaxes = looked_up_names(syntaxes, names, &resolver, &runtime);
        Ok(Self {
            loaded: Some(loaded),
            syntaxes,
            online: Some((resolver, runtime)),
        })
    }
}

/// The AWS names (`(region, name)`) that the inputs' references hold without an ARN, for
/// `lint --online` and `inventory --online`, which look them up before reading the inputs
/// (stdin is read ahead for it, and read again from what was read).
fn aws_names_in_files(
    inputs: &[crate::input::Input],
    syntaxes: &crate::syntax::Syntaxes,
    limit: u64,
) -> Vec<(String, String)> {
    if syntaxes.is_native() {
        return Vec::new();
    }
    let mut names = Vec::new();
    let mut buffer = Vec::new();
    for input in inputs {
        let root = match input {
            crate::input::Input::Path(root) => root,
            crate::input::Input::Stdin => {
                crate::input::read_stdin_ahead(limit, |bytes| {
                    names.extend(syntaxes.aws_names(bytes));
                });
                continue;
            }
        };
        for file in crate::input::files(root).unwrap_or_default() {
            if let Ok(crate::input::Contents::Text) =
                crate::input::read_path(&file.path, limit, &mut buffer)
            {
                names.extend(syntaxes.aws_names(&buffer));
            }
        }
    }
    names
}

/// [`looked_up`] for names already gathered.
fn looked_up_names(
    syntaxes: crate::syntax::Syntaxes,
    mut names: Vec<(String, String)>,
    resolver: &Resolver,
    runtime: &tokio::runtime::Runtime,
) -> crate::syntax::Syntaxes {
    names.sort();
    names.dedup();
    if names.is_empty() {
        return syntaxes;
    }
    let found = runtime.block_on(resolver.arns_of(&names));
    for ((region, name), answer) in &found {
        match answer {
            Ok(arn) => tracing::info!("aws: `{name}` in {region} is {arn}"),
            Err(error) => tracing::info!("aws: `{name}` in {region} not looked up: {error}"),
        }
    }
    syntaxes.with_aws_arns(
        found
            .into_iter()
            .map(|(key, answer)| (key, answer.ok()))
            .collect(),
    )
}

/// Runs `command` and returns the process exit code.
pub fn run(command: Command) -> i32 {
    let result = match command {
        Command::Lint(options) => lint::run(&options),
        Command::ListRules => lint::list_rules(),
        Command::Render(options) => render::run(&options),
        Command::Run(options) => run::run(&options),
        Command::Tag(options) => tag::run(&options),
        Command::Inventory(options) => inventory::run(&options),
        Command::Trust(path) => trust::run(path.as_deref()),
        Command::Migrate(options) => migrate::run(&options),
    };
    match result {
        Ok(code) => code,
        // A reader that stopped reading (`lint | head`, `render | true`) got less than all:
        // a gate must not pass by accident, so it is a failure like any other output error.
        Err(error) => {
            report(&error);
            // Every error that stops a command is a usage, configuration or I/O error.
            crate::error::EXIT_ERROR
        }
    }
}

/// An output error as the user should read it: a closed pipe is the reader having stopped.
fn closed_or(error: &std::io::Error) -> String {
    if error.kind() == std::io::ErrorKind::BrokenPipe {
        "the reader closed it before everything was written (broken pipe)".into()
    } else {
        error.to_string()
    }
}

/// Prints an error that stopped a command, with its chain of causes.
fn report(error: &dyn std::fmt::Display) {
    let _ = diagnostic::write_message(
        &mut anstream::stderr().lock(),
        crate::finding::Severity::Error,
        &error.to_string(),
    );
}

/// Prints a warning: the command goes on.
fn report_warning(message: &str) {
    let _ = diagnostic::write_message(
        &mut anstream::stderr().lock(),
        crate::finding::Severity::Warning,
        message,
    );
}

/// The paths a command that reads files was given, or the current directory.
fn paths_or_here(inputs: &[crate::input::Input]) -> Vec<crate::input::Input> {
    if inputs.is_empty() {
        vec![crate::input::Input::Path(".".into())]
    } else {
        inputs.to_vec()
    }
}

pub(crate) fn current_dir() -> Result<PathBuf, Error> {
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

fn resolver(loaded: &Loaded, options: &StoreOptions) -> Result<Resolver, Error> {
    resolver_with(
        loaded,
        options,
        resolve::Options::from_config(&loaded.config),
    )
}

/// A resolver for `--watch`: values are kept until their secret's fingerprint changes (then
/// refreshed), not for the cache's TTL, so an unchanged secret is never fetched again.
fn resolver_for_watch(loaded: &Loaded, options: &StoreOptions) -> Result<Resolver, Error> {
    let forever = resolve::Options {
        ttl: Duration::from_secs(100 * 365 * 24 * 3600),
        ..resolve::Options::from_config(&loaded.config)
    };
    resolver_with(loaded, options, forever)
}

/// A resolver with `settings` and the command line's concurrency and timeout.
fn resolver_with(
    loaded: &Loaded,
    options: &StoreOptions,
    settings: resolve::Options,
) -> Result<Resolver, Error> {
    let settings = resolve::Options {
        concurrency: options.concurrency.max(1),
        timeout: options.timeout,
        ..settings
    };
    Ok(Resolver::from_config(
        loaded,
        options.secrets_file.as_deref(),
        &settings,
    )?)
}

/// A mask (or template) that failed, for the list printed on a failed render.
pub(crate) struct LineFailure {
    pub(crate) span: Span,
    pub(crate) reason: String,
    pub(crate) locator: Option<String>,
    /// A cause of the whole store (no credentials, a failed login): said in full once, and at
    /// every other mask it fails as "the same as at …".
    pub(crate) store_wide: bool,
}

impl LineFailure {
    pub(crate) fn of(failure: &Failure) -> Self {
        use crate::provider::ProviderError;
        use crate::render::MaskFailure;
        use crate::resolve::ResolveErrorKind;
        Self {
            span: failure.span,
            reason: failure.failure.to_string(),
            locator: (!failure.locator.is_empty()).then(|| failure.locator.clone()),
            store_wide: matches!(
                &failure.failure,
                MaskFailure::Resolve(error) if matches!(
                    error.kind(),
                    ResolveErrorKind::Provider(
                        ProviderError::Credentials { .. } | ProviderError::AuthFailed { .. }
                    )
                )
            ),
        }
    }

    pub(crate) fn all(error: &RenderError) -> Vec<Self> {
        match error {
            RenderError::Masks(list) => list.iter().map(Self::of).collect(),
            RenderError::Syntax {
                offset,
                format,
                message,
            } => vec![Self {
                span: Span::new(*offset, *offset),
                reason: format!(
                    "the template is not valid {format} (even with its masks replaced), so values cannot be escaped for it: {message}; render it with --as text or --escape none"
                ),
                locator: None,
                store_wide: false,
            }],
        }
    }
}

/// Lists failures as `name:line:column: error: …`, each source indexed once.
pub(crate) fn report_named(
    sources: &[(&str, &[u8])],
    failures: &[(usize, LineFailure)],
    summary: &str,
) {
    let mut stderr = anstream::stderr().lock();
    // Each file is indexed once, however many of its masks failed.
    let mut indexes: BTreeMap<usize, LineIndex<'_>> = BTreeMap::new();
    // Where each store-wide cause was said in full.
    let mut said: BTreeMap<&str, String> = BTreeMap::new();
    for (j, failure) in failures {
        let index = indexes
            .entry(*j)
            .or_insert_with(|| LineIndex::new(sources[*j].1));
        let at = index.position(failure.span.start);
        let place = format!("{}:{}:{}", sources[*j].0, at.line, at.column);
        let reason = match said.get(failure.reason.as_str()) {
            Some(first) if failure.store_wide => format!("the same failure as at {first}"),
            _ => {
                if failure.store_wide {
                    said.insert(&failure.reason, place);
                }
                failure.reason.clone()
            }
        };
        let _ = diagnostic::write_failure(
            &mut stderr,
            sources[*j].0,
            at,
            &reason,
            failure.locator.as_deref(),
        );
    }
    let _ = diagnostic::write_message(&mut stderr, Severity::Error, summary);
}
