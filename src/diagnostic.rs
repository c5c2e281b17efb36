//! The one place where findings and errors become user-facing text: human (a rustc-style
//! snippet), JSON Lines, SARIF 2.1.0 and GitHub workflow commands.

use std::io::{self, Write};

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use anstyle::{AnsiColor, Style};
use serde::Serialize;

use crate::finding::Severity;
pub use crate::finding::{Diagnostic, sort};
use crate::lint::RULES;

/// Output formats of `lint`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Format {
    /// Colored, with the source line and a caret (annotate-snippets).
    Human,
    /// One JSON object per finding, per line.
    Json,
    /// One SARIF 2.1.0 log.
    Sarif,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// GitLab's Code Quality report (`artifacts:reports:codequality`).
    Gitlab,
}

/// Counts for the closing line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Findings of severity error.
    pub errors: usize,
    /// Findings of severity warning.
    pub warnings: usize,
    /// Files with at least one finding.
    pub files: usize,
}

/// Writes diagnostics in one format. `finish` is called once, after the last one.
pub trait Emitter {
    /// Writes one finding (or keeps it, for a format written whole at the end).
    fn emit(&mut self, out: &mut dyn Write, diagnostic: &Diagnostic) -> io::Result<()>;
    /// Ends the output: the closing line, or the whole document.
    fn finish(&mut self, out: &mut dyn Write, summary: &Summary) -> io::Result<()>;
}

/// The emitter of `format`.
pub fn emitter(format: Format) -> Box<dyn Emitter> {
    match format {
        Format::Human => Box::new(Human::new()),
        Format::Json => Box::new(Json),
        Format::Sarif => Box::new(Sarif::default()),
        Format::Github => Box::new(Github),
        Format::Gitlab => Box::new(Gitlab::default()),
    }
}

/// `path:line:col: error[SM005]: message`, the line with a caret under the span, and a help
/// line. Always styled: the caller's stream strips the colour when it is not a terminal or
/// `NO_COLOR` is set.
pub struct Human {
    renderer: Renderer,
}

impl Human {
    /// An emitter whose colours follow the terminal (`anstream`).
    pub fn new() -> Self {
        Self {
            renderer: Renderer::styled(),
        }
    }
}

impl Default for Human {
    fn default() -> Self {
        Self::new()
    }
}

/// A message that is not a finding (an error that stopped a command, a warning about the
/// run), as `error: …`, in the style lint findings use.
pub(crate) fn write_message(
    out: &mut dyn Write,
    severity: Severity,
    message: &str,
) -> io::Result<()> {
    let level = severity_style(severity);
    writeln!(out, "{level}{severity}{level:#}: {}", printable(message))
}

/// A failure at a place in a file (a mask render, run or tag could not use), as
/// `path:line:col: error: reason` and the secret it concerns: the place and style of a lint
/// finding's first line.
pub(crate) fn write_failure(
    out: &mut dyn Write,
    path: &str,
    at: crate::source::Position,
    message: &str,
    secret: Option<&str>,
) -> io::Result<()> {
    let bold = Style::new().bold();
    let level = severity_style(Severity::Error);
    writeln!(
        out,
        "{bold}{}:{}:{}:{bold:#} {level}error{level:#}: {}",
        printable(path),
        at.line,
        at.column,
        printable(message)
    )?;
    if let Some(secret) = secret {
        writeln!(out, "    secret: {}", printable(secret))?;
    }
    Ok(())
}

fn severity_style(severity: Severity) -> Style {
    let color = match severity {
        Severity::Error => AnsiColor::BrightRed,
        Severity::Warning => AnsiColor::BrightYellow,
    };
    Style::new().fg_color(Some(color.into())).bold()
}

impl Emitter for Human {
    fn emit(&mut self, out: &mut dyn Write, d: &Diagnostic) -> io::Result<()> {
        let bold = Style::new().bold();
        let level = severity_style(d.severity());
        writeln!(
            out,
            "{bold}{}:{}:{}:{bold:#} {level}{}[{}]{level:#}: {bold}{}{bold:#}",
            printable(&d.path),
            d.start.line,
            d.start.column,
            d.severity(),
            d.rule.id,
            printable(&d.message)
        )?;
        let annotation_level = match d.severity() {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let report = [Group::with_level(annotation_level)
            .element(
                Snippet::source(d.line_text.as_str())
                    .line_start(d.start.line)
                    .annotation(AnnotationKind::Primary.span(d.line_range.clone())),
            )
            .element(Level::HELP.message(d.rule.help))];
        writeln!(out, "{}", self.renderer.render(&report))
    }

    fn finish(&mut self, out: &mut dyn Write, summary: &Summary) -> io::Result<()> {
        if summary.errors + summary.warnings == 0 {
            return Ok(());
        }
        writeln!(
            out,
            "found {} and {} in {}",
            plural(summary.errors, "error"),
            plural(summary.warnings, "warning"),
            plural(summary.files, "file")
        )
    }
}

/// `text` with every control character written as an escape (`\u{1b}`), so a file name or a
/// mask's text cannot move the cursor, retitle the terminal or ring its bell.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

pub use crate::finding::plural;

/// One JSON object per line, with exactly these keys.
pub struct Json;

#[derive(Serialize)]
struct JsonFinding<'a> {
    path: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    rule: &'static str,
    name: &'static str,
    severity: &'static str,
    message: &'a str,
}

impl Emitter for Json {
    fn emit(&mut self, out: &mut dyn Write, d: &Diagnostic) -> io::Result<()> {
        let record = JsonFinding {
            path: &d.path,
            line: d.start.line,
            column: d.start.column,
            end_line: d.end.line,
            end_column: d.end.column,
            rule: d.rule.id,
            name: d.rule.name,
            severity: d.severity().as_str(),
            message: &d.message,
        };
        serde_json::to_writer(&mut *out, &record)?;
        writeln!(out)
    }

    fn finish(&mut self, _: &mut dyn Write, _: &Summary) -> io::Result<()> {
        Ok(())
    }
}

/// GitHub Actions workflow commands, which annotate the pull request's diff.
pub struct Github;

/// Workflow-command escaping, as GitHub's `@actions/core` does it.
fn escape_data(text: &str) -> String {
    let escaped = text
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    printable(&escaped).into_owned()
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

impl Emitter for Github {
    fn emit(&mut self, out: &mut dyn Write, d: &Diagnostic) -> io::Result<()> {
        writeln!(
            out,
            "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            d.severity(),
            escape_property(&d.path),
            d.start.line,
            d.start.column,
            d.end.line,
            d.end.column,
            escape_property(d.rule.id),
            escape_data(&d.message)
        )
    }

    fn finish(&mut self, _: &mut dyn Write, _: &Summary) -> io::Result<()> {
        Ok(())
    }
}

/// GitLab's Code Quality report: a JSON array of issues in the subset of the Code Climate spec
/// GitLab reads (`description`, `check_name`, `fingerprint`, `severity`, `location.path`,
/// `location.lines.begin`), written when the run is over. The fingerprint hashes the path, rule,
/// line and message, so the merge-request widget can tell new findings from fixed ones.
#[derive(Default)]
pub struct Gitlab {
    issues: Vec<CodeQualityIssue>,
}

#[derive(serde::Serialize)]
struct CodeQualityIssue {
    description: String,
    check_name: String,
    fingerprint: String,
    severity: &'static str,
    location: CodeQualityLocation,
}

#[derive(serde::Serialize)]
struct CodeQualityLocation {
    path: String,
    lines: CodeQualityLines,
}

#[derive(serde::Serialize)]
struct CodeQualityLines {
    begin: usize,
}

impl Emitter for Gitlab {
    fn emit(&mut self, _: &mut dyn Write, d: &Diagnostic) -> io::Result<()> {
        use sha2::Digest;
        let mut hash = sha2::Sha256::new();
        for part in [
            d.path.as_bytes(),
            d.rule.id.as_bytes(),
            d.start.line.to_string().as_bytes(),
            d.message.as_bytes(),
        ] {
            hash.update(part);
            hash.update([0]);
        }
        let fingerprint: String = hash.finalize()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        self.issues.push(CodeQualityIssue {
            description: format!("{} [{}]", d.message, d.rule.id),
            check_name: format!("secretmask/{}", d.rule.name),
            fingerprint,
            severity: match d.severity() {
                Severity::Error => "major",
                Severity::Warning => "minor",
            },
            location: CodeQualityLocation {
                path: d.path.trim_start_matches("./").to_owned(),
                lines: CodeQualityLines {
                    begin: d.start.line,
                },
            },
        });
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, _: &Summary) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, &self.issues)?;
        writeln!(out)
    }
}

/// One SARIF 2.1.0 log, written when the run is over.
#[derive(Default)]
pub struct Sarif {
    diagnostics: Vec<Diagnostic>,
}

impl Emitter for Sarif {
    fn emit(&mut self, _: &mut dyn Write, d: &Diagnostic) -> io::Result<()> {
        self.diagnostics.push(d.clone());
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, _: &Summary) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, &sarif::log(&self.diagnostics))?;
        writeln!(out)
    }
}

mod sarif {
    use serde_sarif::sarif as s;

    use super::{Diagnostic, RULES, Severity};

    fn level(severity: Severity) -> s::ResultLevel {
        match severity {
            Severity::Error => s::ResultLevel::Error,
            Severity::Warning => s::ResultLevel::Warning,
        }
    }

    fn text(text: &str) -> s::MultiformatMessageString {
        s::MultiformatMessageString::builder()
            .text(text.to_owned())
            .build()
    }

    pub(super) fn log(diagnostics: &[Diagnostic]) -> s::Sarif {
        let rules: Vec<s::ReportingDescriptor> = RULES
            .iter()
            .map(|rule| {
                s::ReportingDescriptor::builder()
                    .id(rule.id)
                    .name(rule.name)
                    .short_description(text(rule.summary))
                    .full_description(text(&format!("{}.", rule.summary)))
                    .help(text(rule.help))
                    .default_configuration(
                        s::ReportingConfiguration::builder()
                            .level(serde_json::json!(rule.severity.as_str()))
                            .build(),
                    )
                    .build()
            })
            .collect();
        let results: Vec<s::Result> = diagnostics
            .iter()
            .map(|d| {
                let index = RULES
                    .iter()
                    .position(|r| r.id == d.rule.id)
                    .expect("every rule is in RULES");
                let region = s::Region::builder()
                    .start_line(d.start.line as i64)
                    .start_column(d.start.column as i64)
                    .end_line(d.end.line as i64)
                    .end_column(d.end.column as i64)
                    .build();
                let location = s::Location::builder()
                    .physical_location(
                        s::PhysicalLocation::builder()
                            .artifact_location(
                                s::ArtifactLocation::builder().uri(uri(&d.path)).build(),
                            )
                            .region(region)
                            .build(),
                    )
                    .build();
                s::Result::builder()
                    .rule_id(d.rule.id)
                    .rule_index(index as i64)
                    .level(level(d.rule.severity))
                    .message(s::Message::builder().text(d.message.clone()).build())
                    .locations(vec![location])
                    .build()
            })
            .collect();
        let driver = s::ToolComponent::builder()
            .name("secretmask")
            .semantic_version(env!("CARGO_PKG_VERSION"))
            .information_uri(env!("CARGO_PKG_REPOSITORY"))
            .rules(rules)
            .build();
        s::Sarif::builder()
            .version(serde_json::json!("2.1.0"))
            .schema(s::SCHEMA_URL)
            .runs(vec![
                s::Run::builder()
                    .tool(s::Tool::builder().driver(driver).build())
                    .results(results)
                    .build(),
            ])
            .build()
    }

    /// A relative URI reference for a path: `/` separators, and the characters RFC 3986 does not
    /// allow in a path percent-encoded.
    fn uri(path: &str) -> String {
        let path = path.strip_prefix("./").unwrap_or(path);
        let mut out = String::with_capacity(path.len());
        for b in path.replace('\\', "/").bytes() {
            if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }
}
