//! What lint finds, before any output format: rules and their severities, a finding in a
//! file's bytes, and a diagnostic placed at line and column. A leaf: `lint` produces these,
//! `diagnostic` prints them, and neither needs the other for it.

use std::fmt;
use std::ops::Range;

use crate::source::{LineIndex, Position, Span};

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Reported; fails the run only with `--deny-warnings`.
    Warning,
    /// Fails the run.
    Error,
}

impl Severity {
    /// `warning` or `error`, as every format writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One lint rule.
#[derive(Debug, PartialEq, Eq)]
pub struct Rule {
    /// Stable id, `SM` and three digits.
    pub id: &'static str,
    /// Stable kebab-case name.
    pub name: &'static str,
    /// Whether a finding of this rule fails the run.
    pub severity: Severity,
    /// One line: what the rule finds.
    pub summary: &'static str,
    /// One line: how to fix a finding.
    pub help: &'static str,
}

/// One problem found in one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The rule that found it.
    pub rule: &'static Rule,
    /// Where, in the file's bytes.
    pub span: Span,
    /// What is wrong, without any value.
    pub message: String,
}

/// A finding placed in its file: everything an emitter needs, so the file's bytes can be dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file, as shown to the user.
    pub path: String,
    /// Where the finding starts.
    pub start: Position,
    /// One past the last character, as SARIF's `endColumn`.
    pub end: Position,
    /// The rule that found it.
    pub rule: &'static Rule,
    /// What is wrong, without any value.
    pub message: String,
    /// The source line, lossily decoded, and the span's byte range inside it.
    pub(crate) line_text: String,
    pub(crate) line_range: Range<usize>,
}

/// Puts diagnostics in the order every format prints them: by path, position and rule, so
/// output does not depend on thread timing.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| (&a.path, a.start, a.rule.id).cmp(&(&b.path, b.start, b.rule.id)));
}

impl Diagnostic {
    /// Places `finding` in the file `index` was built on.
    pub fn new(path: &str, index: &LineIndex<'_>, finding: Finding) -> Self {
        let (line_start, line) = index.line_at(finding.span.start);
        let start = index.position(finding.span.start);
        // Spans never cross a line; a zero-width one (a missing part) is shown as one character.
        let span_end = finding
            .span
            .end
            .clamp(finding.span.start, line_start + line.len());
        let mut end = index.position(span_end);
        if end.column == start.column {
            end.column += 1;
        }
        let before = &line[..finding.span.start - line_start];
        let inside = &line[finding.span.start - line_start..span_end - line_start];
        let from = String::from_utf8_lossy(before).len();
        let to = from + String::from_utf8_lossy(inside).len();
        Self {
            path: path.to_owned(),
            start,
            end,
            rule: finding.rule,
            message: finding.message,
            line_text: String::from_utf8_lossy(line).into_owned(),
            line_range: from..to,
        }
    }

    /// The rule's severity.
    pub fn severity(&self) -> Severity {
        self.rule.severity
    }
}

/// `1 error`, `2 errors`: counts in messages, for every layer that words one.
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}
