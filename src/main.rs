//! The `secretmask` command: arguments only; the library does the work.

use clap::{Parser, Subcommand, ValueEnum};
use secretmask::diagnostic::Format;
use secretmask::input::Input;
use secretmask::{Command, LintOptions};

#[derive(Parser)]
#[command(
    name = "secretmask",
    version,
    about = "Lint and render configuration files that hold secret masks"
)]
struct Cli {
    #[command(subcommand)]
    command: Commands,
}

#[derive(Subcommand)]
enum Commands {
    /// Check masks without resolving them: syntax and locators, offline.
    Lint(LintArgs),
}

#[derive(clap::Args)]
struct LintArgs {
    /// Files or directories to lint, or `-` for stdin [default: the current directory]
    #[arg(value_name = "PATH")]
    paths: Vec<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = FormatArg::Human)]
    format: FormatArg,
    /// Fail (exit 1) on warnings too
    #[arg(long)]
    deny_warnings: bool,
    /// The name stdin is shown with in findings
    #[arg(long, value_name = "NAME", default_value = "<stdin>")]
    stdin_filename: String,
    /// Print every rule and exit
    #[arg(long)]
    list_rules: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Human,
    Json,
    Sarif,
    Github,
}

impl From<FormatArg> for Format {
    fn from(format: FormatArg) -> Self {
        match format {
            FormatArg::Human => Self::Human,
            FormatArg::Json => Self::Json,
            FormatArg::Sarif => Self::Sarif,
            FormatArg::Github => Self::Github,
        }
    }
}

fn main() {
    let cli = Cli::parse();
    let command = match cli.command {
        Commands::Lint(args) if args.list_rules => Command::ListRules,
        Commands::Lint(args) => Command::Lint(LintOptions {
            inputs: args.paths.iter().map(|p| Input::from_arg(p)).collect(),
            format: args.format.into(),
            deny_warnings: args.deny_warnings,
            stdin_name: args.stdin_filename,
        }),
    };
    std::process::exit(secretmask::run(command));
}
