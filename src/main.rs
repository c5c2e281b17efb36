//! The `secretmask` command: arguments only; the library does the work.

use std::path::PathBuf;
use std::time::Duration;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use secretmask::command::{OnlineOptions, StoreOptions};
use secretmask::diagnostic::Format;
use secretmask::input::Input;
use secretmask::render::{self, Escape};
use secretmask::{Command, LintOptions, RenderOptions};

#[derive(Parser)]
#[command(
    name = "secretmask",
    version,
    about = "Lint and render configuration files that hold secret masks"
)]
struct Cli {
    #[command(subcommand)]
    command: Commands,
    /// Say what is chosen on the way (credentials, stores) on stderr; never a value
    #[arg(short, long, global = true)]
    verbose: bool,
}

#[derive(Subcommand)]
enum Commands {
    /// Check masks without resolving them: syntax and locators, offline.
    Lint(LintArgs),
    /// Resolve every mask and write the file with the values in place.
    Render(RenderArgs),
    /// Run a command with the masks in its environment resolved; nothing is written to disk.
    ///
    /// Every environment variable whose value holds a mask, and every variable of each
    /// `--env-file` template, is resolved; a later env file overrides an earlier one and the
    /// inherited environment. If any mask fails, the command does not start (exit 1). Without
    /// `--redact` secretmask becomes the command (exec), so its signals and exit status are the
    /// command's own.
    Run(RunArgs),
    /// Add the tags the stores require to every secret the masks reference (Apono onboarding).
    ///
    /// The tags are `lint.require_tags` of .secretmask.yaml, `--profile apono`
    /// (`apono-connector-read=true` on every AWS secret) and each `--tag` (on every store): on
    /// AWS with TagResource, on Key Vault in the secret's tags (the value is not written), on Vault
    /// in the secret's custom_metadata (a patch: other entries stay). Each distinct secret is
    /// written once, and only when it lacks a tag. Not all-or-nothing: a secret that fails is
    /// listed and the others are still tagged; the exit code is 1 if any failed.
    Tag(TagArgs),
    /// List every secret the masks name, with every reference to it; with --online what each
    /// store says about it (never a value).
    ///
    /// A secret is listed as its store identifies it: a Vault path without `?version=`, a Key
    /// Vault identifier without its version, a partial ARN with the full ARN it matches. With
    /// `--secret` only the references to those secrets are listed and the exit code is grep's:
    /// 0 when some reference exists, 1 when none, 2 on an error (a broken mask or an unreadable
    /// file could be a reference) — a gate before rotating or deleting a secret.
    Inventory(InventoryArgs),
    /// Rewrite argocd-vault-plugin placeholders or vals references as native masks, in place.
    ///
    /// Every reference of the syntax in the named files and folders (the current directory by
    /// default; .gitignore is honoured) is written as the mask `--syntax` reads it as,
    /// `<<workato:…>>`, and every other byte is kept. All files or none: a reference that has no
    /// native form (a modifier, an AWS secret named without its ARN, …) is named with its
    /// line and column, nothing is written and the exit code is 1. `--dry-run` prints a unified
    /// diff instead.
    Migrate(MigrateArgs),
    /// Trust a discovered .secretmask.yaml to choose where credentials are sent
    Trust {
        /// The file [default: .secretmask.yaml here or in a parent folder]
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
    },
    /// Print a completion script for a shell, as `secretmask completions bash > …`
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print a manual page (roff), as `secretmask man lint > secretmask-lint.1`, or write
    /// every page into a folder
    Man {
        /// The page: a subcommand (`lint`, `render`, …) or its page's name
        /// (`secretmask-lint`) [default: secretmask itself]
        #[arg(value_name = "PAGE", conflicts_with = "out_dir")]
        page: Option<String>,
        /// Write every page (secretmask.1, secretmask-lint.1, …) into this folder
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
}

/// Every manual page, `secretmask.1` first and then one per subcommand, as (file name, roff).
/// Non-ASCII characters are written as groff's `\[uXXXX]`, as preconv would, so `groff -ww`
/// reads the page cleanly whatever its input encoding.
fn man_pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    fn walk(cmd: &clap::Command, pages: &mut Vec<(String, Vec<u8>)>) -> std::io::Result<()> {
        let man = clap_mangen::Man::new(cmd.clone())
            .source(concat!("secretmask ", env!("CARGO_PKG_VERSION")));
        let mut roff = Vec::new();
        man.render(&mut roff)?;
        let text = String::from_utf8_lossy(&roff);
        let mut ascii = String::with_capacity(text.len());
        for c in text.chars() {
            if c.is_ascii() {
                ascii.push(c);
            } else {
                ascii.push_str(&format!("\\[u{:04X}]", u32::from(c)));
            }
        }
        pages.push((man.get_filename(), ascii.into_bytes()));
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            walk(sub, pages)?;
        }
        Ok(())
    }
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut pages = Vec::new();
    walk(&cmd, &mut pages)?;
    Ok(pages)
}

/// `secretmask man`: one page to stdout, or all of them into a folder.
fn man(page: Option<&str>, out_dir: Option<&std::path::Path>) -> i32 {
    let pages = match man_pages() {
        Ok(pages) => pages,
        Err(e) => {
            eprintln!("error: {}", secretmask::command::CommandError::Output(e));
            return 2;
        }
    };
    if let Some(dir) = out_dir {
        let written = std::fs::create_dir_all(dir).and_then(|()| {
            pages
                .iter()
                .try_for_each(|(name, roff)| std::fs::write(dir.join(name), roff))
        });
        return match written {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("error: {}: {e}", dir.display());
                2
            }
        };
    }
    let wanted = match page {
        None => "secretmask.1".to_owned(),
        Some(page) => {
            let page = page.strip_suffix(".1").unwrap_or(page);
            let page = page.strip_prefix("secretmask-").unwrap_or(page);
            format!("secretmask-{page}.1")
        }
    };
    match pages.iter().find(|(name, _)| *name == wanted) {
        Some((_, roff)) => generated(|out| out.write_all(roff)),
        None => {
            let names: Vec<&str> = pages[1..]
                .iter()
                .filter_map(|(name, _)| name.strip_prefix("secretmask-")?.strip_suffix(".1"))
                .collect();
            eprintln!(
                "error: no manual page `{}`: the pages are secretmask's own and {}",
                page.unwrap_or_default(),
                names.join(", ")
            );
            2
        }
    }
}

/// Writes what the command line itself generates from its definitions; exits like `run`.
fn generated(write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>) -> i32 {
    let mut stdout = std::io::stdout().lock();
    match write(&mut stdout).and_then(|()| std::io::Write::flush(&mut stdout)) {
        Ok(()) => 0,
        // A reader that stopped reading got less than all: a failure, as for every command.
        Err(e) => {
            eprintln!("error: {}", secretmask::command::CommandError::Output(e));
            2
        }
    }
}

/// `--max-file-size 256M`: bytes, or with a K, M or G suffix (powers of 1024).
fn parse_size(text: &str) -> Result<u64, String> {
    let (digits, shift) = match text.trim().char_indices().last() {
        Some((at, 'K' | 'k')) => (&text[..at], 10),
        Some((at, 'M' | 'm')) => (&text[..at], 20),
        Some((at, 'G' | 'g')) => (&text[..at], 30),
        _ => (text.trim(), 0),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .ok_or_else(|| format!("`{text}` is not a size such as 256M, 64K or 1048576"))
}

/// Which reference syntaxes are read as masks: shared by every command that reads masks.
#[derive(clap::Args)]
struct SyntaxArgs {
    /// Read these syntaxes as masks, comma-separated: workato (secretmask's own), avp
    /// (argocd-vault-plugin's path placeholders), vals (vals' and helmfile's references)
    /// [default: the configuration's `syntax:`, else workato]
    #[arg(long, value_enum, value_name = "SYNTAX", value_delimiter = ',')]
    syntax: Option<Vec<secretmask::syntax::Syntax>>,
    /// argocd-vault-plugin's backend for <path:…> placeholders [default: ARGOCD_ENV_AVP_TYPE
    /// or AVP_TYPE, as the plugin reads it]
    #[arg(long, value_enum, value_name = "TYPE")]
    avp_type: Option<secretmask::syntax::AvpType>,
}

impl From<SyntaxArgs> for secretmask::command::SyntaxOptions {
    fn from(args: SyntaxArgs) -> Self {
        Self {
            syntax: args.syntax,
            avp_type: args.avp_type,
        }
    }
}

/// Where secrets come from: shared by `render` and `lint --online`.
#[derive(clap::Args)]
struct StoreArgs {
    /// The configuration file [default: .secretmask.yaml here or in a parent folder]
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// A YAML file of secrets (the `file` store); no network is touched
    #[arg(long, value_name = "FILE")]
    secrets_file: Option<PathBuf>,
    /// How many calls to the stores may be in flight at once
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..))]
    concurrency: u16,
    /// The longest all calls to the stores may take together, as 30s or 2m
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    timeout: Duration,
}

impl From<StoreArgs> for StoreOptions {
    fn from(args: StoreArgs) -> Self {
        Self {
            config: args.config,
            secrets_file: args.secrets_file,
            concurrency: args.concurrency.into(),
            timeout: Some(args.timeout),
        }
    }
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    match secretmask::config::parse_duration(text) {
        Some(duration) if duration.is_zero() => Err(format!(
            "`{text}` would time out before the first request; give a duration above zero, such as 30s or 2m"
        )),
        Some(duration) => Ok(duration),
        None => Err(format!("`{text}` is not a duration such as 30s or 2m")),
    }
}

#[derive(clap::Args)]
struct RenderArgs {
    /// Templates: files, directories, or `-` for stdin [default: stdin]
    #[arg(value_name = "INPUT")]
    inputs: Vec<String>,
    /// Write the one output here (atomically) instead of stdout
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Write each output under DIR, keeping relative paths and dropping a `.tpl` suffix
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    /// Resolve and validate everything, write nothing, print a summary
    #[arg(long)]
    check: bool,
    /// Escape values for their quoting context, or insert them as they are
    #[arg(long, value_enum, default_value_t = Escape::Auto)]
    escape: Escape,
    /// The output format, instead of the one the output's name says
    #[arg(long = "as", value_enum, value_name = "FORMAT")]
    format: Option<render::Format>,
    /// Permission bits of new output files, in octal (no setuid, setgid or sticky bit)
    #[arg(long, value_name = "MODE", value_parser = parse_mode)]
    mode: Option<u32>,
    /// The most one input may hold, as 256M, 64K or bytes
    #[arg(long, value_name = "SIZE", default_value = "256M", value_parser = parse_size)]
    max_file_size: u64,
    /// After the first render, check every secret's version each --interval and render again
    /// when one changed (all or nothing, atomic); a failed re-render keeps the last good
    /// outputs. Ends on SIGINT or SIGTERM (exit 130 or 143)
    #[arg(long)]
    watch: bool,
    /// How often --watch checks the secrets' versions
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration, requires = "watch")]
    interval: Duration,
    /// A further random delay up to this before each check, so many watchers spread out
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = parse_splay, requires = "watch")]
    splay: Duration,
    /// A shell command run (sh -c) after each re-render that replaced an output, such as a
    /// reload; its failure is reported, not fatal
    #[arg(long, value_name = "COMMAND", requires = "watch")]
    on_change: Option<String>,
    /// The longest --on-change may run before it is killed
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration, requires = "on_change")]
    on_change_timeout: Duration,
    #[command(flatten)]
    syntax: SyntaxArgs,
    #[command(flatten)]
    store: StoreArgs,
}

/// `--reload-signal`: a signal a command may take as "read your configuration again".
fn parse_signal(text: &str) -> Result<i32, String> {
    let name = text.trim().to_ascii_uppercase();
    let name = name.strip_prefix("SIG").unwrap_or(&name);
    [
        ("HUP", libc::SIGHUP),
        ("INT", libc::SIGINT),
        ("QUIT", libc::SIGQUIT),
        ("TERM", libc::SIGTERM),
        ("USR1", libc::SIGUSR1),
        ("USR2", libc::SIGUSR2),
        ("WINCH", libc::SIGWINCH),
    ]
    .iter()
    .find(|(n, _)| *n == name)
    .map(|(_, signal)| *signal)
    .ok_or_else(|| format!("`{text}` is not one of HUP, INT, QUIT, TERM, USR1, USR2, WINCH"))
}

/// `--splay`: any duration, zero included.
fn parse_splay(text: &str) -> Result<Duration, String> {
    secretmask::config::parse_duration(text)
        .ok_or_else(|| format!("`{text}` is not a duration such as 30s or 2m"))
}

fn parse_mode(text: &str) -> Result<u32, String> {
    let octal = u32::from_str_radix(text, 8).ok();
    secretmask::config::Mode::parse(text)
        .map(|mode| mode.0)
        .ok_or_else(|| match octal {
            Some(bits) if bits & 0o7000 != 0 && bits <= 0o7777 => format!(
                "`{text}` sets the setuid, setgid or sticky bit, which no rendered file of secrets may have; give read, write and execute bits only, such as 0600 or 0640"
            ),
            _ => format!("`{text}` is not an octal mode of read, write and execute bits such as 0600"),
        })
}

#[derive(clap::Args)]
struct LintArgs {
    /// Files or directories to lint, or `-` for stdin [default: the current directory]
    #[arg(value_name = "PATH")]
    paths: Vec<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Fail (exit 1) on warnings too
    #[arg(long)]
    deny_warnings: bool,
    /// The name stdin is shown with in findings
    #[arg(long, value_name = "NAME", default_value = "<stdin>")]
    stdin_filename: String,
    /// Print every rule and exit
    #[arg(long)]
    list_rules: bool,
    /// Also ask the stores: the secret exists, is not being deleted, has the keys and the tags
    #[arg(long)]
    online: bool,
    /// Add a platform's requirements (apono: `apono-connector-read=true` on every AWS secret)
    #[arg(long, value_enum, value_name = "PROFILE", requires = "online")]
    profile: Option<ProfileArg>,
    /// The most one input may hold, as 256M, 64K or bytes
    #[arg(long, value_name = "SIZE", default_value = "256M", value_parser = parse_size)]
    max_file_size: u64,
    #[command(flatten)]
    syntax: SyntaxArgs,
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(clap::Args)]
struct InventoryArgs {
    /// Files or directories to scan, or `-` for stdin [default: the current directory]
    #[arg(value_name = "PATH")]
    paths: Vec<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = secretmask::InventoryFormat::Text)]
    format: secretmask::InventoryFormat,
    /// Only the references to this secret (repeatable): an ARN (partial or full), a Vault path
    /// or a Key Vault identifier, with or without a version
    #[arg(long = "secret", value_name = "LOCATOR")]
    secrets: Vec<String>,
    /// Also ask the stores what they hold about each secret: tags, dates, versions, rotation
    #[arg(long)]
    online: bool,
    /// The name stdin is shown with
    #[arg(long, value_name = "NAME", default_value = "<stdin>")]
    stdin_filename: String,
    /// The most one input may hold, as 256M, 64K or bytes
    #[arg(long, value_name = "SIZE", default_value = "256M", value_parser = parse_size)]
    max_file_size: u64,
    #[command(flatten)]
    syntax: SyntaxArgs,
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(clap::Args)]
struct MigrateArgs {
    /// Files or folders to rewrite [default: the current directory]
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// The syntax to rewrite: avp or vals
    #[arg(long, value_enum, value_name = "SYNTAX")]
    from: secretmask::syntax::Syntax,
    /// argocd-vault-plugin's backend for <path:…> placeholders [default: ARGOCD_ENV_AVP_TYPE
    /// or AVP_TYPE]
    #[arg(long, value_enum, value_name = "TYPE")]
    avp_type: Option<secretmask::syntax::AvpType>,
    /// Print a unified diff of what would change, and write nothing
    #[arg(long)]
    dry_run: bool,
    /// The most one file may hold, as 256M, 64K or bytes
    #[arg(long, value_name = "SIZE", default_value = "256M", value_parser = parse_size)]
    max_file_size: u64,
}

#[derive(clap::Args)]
struct RunArgs {
    /// A dotenv template whose variables are resolved and set (repeatable)
    #[arg(long = "env-file", value_name = "FILE")]
    env_files: Vec<PathBuf>,
    /// Pipe the command's stdout and stderr and replace every value (as it is, JSON- or
    /// URL-escaped, hex, base64 at any alignment or wrapped) with `<redacted>`; under GitHub
    /// Actions also write `::add-mask::` for each to stderr first. Signals another process sends
    /// are forwarded and the command's exit status passed through.
    #[arg(long)]
    redact: bool,
    /// The most one env file may hold, as 256M, 64K or bytes
    #[arg(long, value_name = "SIZE", default_value = "256M", value_parser = parse_size)]
    max_file_size: u64,
    /// Check the versions of the secrets the command was given each --interval, and when one
    /// changed and every value resolves again, restart the command with the new environment
    /// (SIGTERM, --grace, SIGKILL); a failed refresh leaves it running
    #[arg(long)]
    watch: bool,
    /// How often --watch checks the secrets' versions
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration, requires = "watch")]
    interval: Duration,
    /// How long the command has to exit after SIGTERM before --watch kills it for a restart
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration, requires = "watch")]
    grace: Duration,
    /// Send this signal (HUP, USR1, …) on a change instead of restarting, for a command that
    /// reads its secrets again by itself: its environment keeps the values it started with
    #[arg(long, value_name = "SIGNAL", value_parser = parse_signal, requires = "watch")]
    reload_signal: Option<i32>,
    #[command(flatten)]
    syntax: SyntaxArgs,
    #[command(flatten)]
    store: StoreArgs,
    /// The command and its arguments, after `--`. Options before the command are secretmask's:
    /// a mistyped one is a usage error, not the command to run.
    #[arg(value_name = "COMMAND", required = true, trailing_var_arg = true)]
    command: Vec<std::ffi::OsString>,
}

#[derive(clap::Args)]
struct TagArgs {
    /// Files or directories whose masks name the secrets [default: the current directory]
    #[arg(value_name = "PATH")]
    paths: Vec<String>,
    /// Add a platform's requirements (apono: `apono-connector-read=true` on every AWS secret)
    #[arg(long, value_enum, value_name = "PROFILE")]
    profile: Option<ProfileArg>,
    /// A tag every secret must carry, as KEY=VALUE (repeatable)
    #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = parse_tag)]
    tags: Vec<(String, String)>,
    /// List what would change (store, secret, tags) and write nothing
    #[arg(long)]
    dry_run: bool,
    /// Write without asking (needed when there is no terminal to ask on)
    #[arg(long, short = 'y')]
    yes: bool,
    /// The most one input may hold, as 256M, 64K or bytes
    #[arg(long, value_name = "SIZE", default_value = "256M", value_parser = parse_size)]
    max_file_size: u64,
    #[command(flatten)]
    syntax: SyntaxArgs,
    #[command(flatten)]
    store: StoreArgs,
}

fn parse_tag(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("`{text}` is not KEY=VALUE")),
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum ProfileArg {
    Apono,
}

/// Large buffers (a template, the masks, a parse's contexts) go back to the system when freed.
/// Otherwise glibc raises its mmap threshold at the first large free and serves later large
/// buffers from the heap, where a render's freed passes stay resident under the next ones.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_large_buffers() {
    // SAFETY: mallopt only sets an allocator parameter; no other thread runs yet.
    unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024) };
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_large_buffers() {}

fn main() {
    return_large_buffers();
    // By the convention (bixense.com/clicolors), only a CLICOLOR_FORCE other than `0` forces
    // colour; anstream takes any value. Still one thread here, so the environment is ours.
    if std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| v == "0") {
        // SAFETY: no other thread runs yet, so none reads the environment meanwhile.
        unsafe { std::env::remove_var("CLICOLOR_FORCE") };
    }
    // `help --help`: clap would take `--help` for a subcommand's name.
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "help")
        && args[2..].iter().any(|a| a == "--help" || a == "-h")
    {
        args = vec![args[0].clone(), "--help".into()];
    }
    let cli = Cli::parse_from(args);
    let command = match cli.command {
        Commands::Lint(args) if args.list_rules => Command::ListRules,
        Commands::Lint(args) => Command::Lint(LintOptions {
            inputs: args.paths.iter().map(|p| Input::from_arg(p)).collect(),
            format: args.format,
            deny_warnings: args.deny_warnings,
            stdin_name: args.stdin_filename,
            online: args.online.then(|| OnlineOptions {
                apono: matches!(args.profile, Some(ProfileArg::Apono)),
                store: args.store.into(),
            }),
            max_file_size: args.max_file_size,
            syntax: args.syntax.into(),
        }),
        Commands::Render(args) => Command::Render(RenderOptions {
            inputs: args.inputs.iter().map(|p| Input::from_arg(p)).collect(),
            output: args.output,
            out_dir: args.out_dir,
            check: args.check,
            escape: args.escape,
            format: args.format,
            mode: args.mode,
            store: args.store.into(),
            max_file_size: args.max_file_size,
            watch: args.watch.then_some(secretmask::WatchOptions {
                interval: args.interval,
                splay: args.splay,
                on_change: args.on_change,
                on_change_timeout: args.on_change_timeout,
            }),
            syntax: args.syntax.into(),
        }),
        Commands::Run(args) => Command::Run(secretmask::RunOptions {
            env_files: args.env_files,
            redact: args.redact,
            command: args.command,
            store: args.store.into(),
            max_file_size: args.max_file_size,
            watch: args.watch.then_some(secretmask::RunWatch {
                interval: args.interval,
                grace: args.grace,
                reload_signal: args.reload_signal,
            }),
            syntax: args.syntax.into(),
        }),
        Commands::Tag(args) => Command::Tag(secretmask::TagOptions {
            inputs: args.paths.iter().map(|p| Input::from_arg(p)).collect(),
            apono: matches!(args.profile, Some(ProfileArg::Apono)),
            tags: args.tags.into_iter().collect(),
            dry_run: args.dry_run,
            yes: args.yes,
            store: args.store.into(),
            max_file_size: args.max_file_size,
            syntax: args.syntax.into(),
        }),
        Commands::Inventory(args) => Command::Inventory(secretmask::InventoryOptions {
            inputs: args.paths.iter().map(|p| Input::from_arg(p)).collect(),
            format: args.format,
            secrets: args.secrets,
            online: args.online.then(|| args.store.into()),
            stdin_name: args.stdin_filename,
            max_file_size: args.max_file_size,
            syntax: args.syntax.into(),
        }),
        Commands::Trust { file } => Command::Trust(file),
        Commands::Migrate(args) => Command::Migrate(secretmask::command::MigrateOptions {
            inputs: args.paths.into_iter().map(Input::Path).collect(),
            from: args.from,
            avp_type: args.avp_type,
            dry_run: args.dry_run,
            max_file_size: args.max_file_size,
        }),
        Commands::Completions { shell } => std::process::exit(generated(|out| {
            // clap_complete panics on a failed write: it writes into memory, we write that out.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "secretmask", &mut script);
            out.write_all(&script)
        })),
        Commands::Man { page, out_dir } => {
            std::process::exit(man(page.as_deref(), out_dir.as_deref()))
        }
    };
    // Logs go to stderr and only when asked for; no value is ever logged, and no credential:
    // the SDKs' own fine levels are capped below any RUST_LOG (`secretmask::logs`).
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let safe = tracing_subscriber::filter::filter_fn(secretmask::logs::allowed);
    // Colour only on a terminal: a log file or CI artifact gets plain text.
    let ansi = anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never;
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::registry()
            .with(safe)
            .with(tracing_subscriber::EnvFilter::from_default_env())
            .with(
                tracing_subscriber::fmt::layer()
                    .with_ansi(ansi)
                    .with_writer(std::io::stderr),
            )
            .init();
    } else if cli.verbose {
        tracing_subscriber::registry()
            .with(safe)
            .with(tracing_subscriber::EnvFilter::new("secretmask=info"))
            .with(
                tracing_subscriber::fmt::layer()
                    .without_time()
                    .with_target(false)
                    .with_ansi(ansi)
                    .with_writer(std::io::stderr),
            )
            .init();
    }
    std::process::exit(secretmask::run(command));
}
