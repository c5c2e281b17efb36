//! Where each mask stands in a POSIX shell script: a lexer model of the quoting that bash and
//! dash share (quotes, `$'…'`, `${…}`, `$(…)`, `$((…))`, backquotes, comments and
//! here-documents), enough to place a value or to say that no escaping could.

use std::borrow::Cow;

use super::chars::backslash;
use super::{Mismatch, Placed, Slot, Syntax, TemplateSyntax};
use crate::source::Span;

/// POSIX shell's rules. A script is not read again: the lexer model places every mask, and a
/// value never leaves the word it is written into.
pub(crate) struct Shell;

/// The quoting context of one mask in a shell script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Context {
    /// A comment, where a line break would end it.
    Comment,
    Single,
    Double,
    Bare,
    /// The body of a here-document: with an unquoted delimiter `$`, `` ` `` and `\` are special;
    /// with a quoted one nothing is. A line equal to the delimiter would end it.
    Heredoc {
        delimiter: String,
        quoted: bool,
        strip_tabs: bool,
        /// Whether the mask starts its line (after tabs only): then the value's first line is a
        /// line of the body too.
        line_start: bool,
    },
    /// A place no escaping can make safe (inside `$'…'`, backquotes, `$((…))`, a parameter
    /// name).
    Unplaceable(&'static str),
}

/// Why a value cannot stand where its shell mask is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// A NUL, which no shell string holds.
    #[error("the value holds a NUL character, which no shell variable can hold")]
    Nul,
    /// A line equal to the here-document's delimiter.
    #[error(
        "the value holds a line equal to the here-document's delimiter `{delimiter}`, which would end it"
    )]
    HeredocDelimiter {
        /// The delimiter.
        delimiter: String,
    },
    /// A line starting with a tab in a `<<-` here-document.
    #[error(
        "the value holds a line that starts with a tab, which `<<-` strips; use `<<` without `-`"
    )]
    HeredocTab,
    /// A character an unquoted word cannot hold.
    #[error(
        "the value holds characters that are not safe unquoted (only letters, digits and _ @ % + = : , . / - are); quote it: \"…\""
    )]
    Unquoted,
}

impl Syntax for Shell {
    type Context = Context;

    fn claims(_: &str, extension: &str) -> bool {
        matches!(extension, "sh" | "bash" | "zsh" | "ksh")
    }

    fn place(template: &mut [u8], masks: &[Span]) -> Result<Placed<Context>, TemplateSyntax> {
        Ok(Placed::values(contexts(template, masks)))
    }

    fn escape<'v>(
        value: &'v crate::resolve::Value,
        context: &Context,
    ) -> Result<Cow<'v, str>, super::Refusal> {
        use secrecy::ExposeSecret;
        let value = value.expose_secret();
        Ok(match context {
            Context::Comment => return super::in_comment(value),
            Context::Single => {
                no_nul(value)?;
                Cow::Owned(value.replace('\'', r"'\''"))
            }
            Context::Double => {
                no_nul(value)?;
                Cow::Owned(backslash(value, &['"', '$', '`', '\\']))
            }
            Context::Bare if bare_word(value) => Cow::Borrowed(value),
            Context::Bare => return Err(Refusal::Unquoted.into()),
            Context::Heredoc {
                delimiter,
                quoted,
                strip_tabs,
                line_start,
            } => heredoc(value, delimiter, *quoted, *strip_tabs, *line_start)?,
            Context::Unplaceable(what) => return Err(super::Refusal::Unplaceable(what)),
        })
    }

    const HAS_NEVER: bool = true;

    fn never(context: &Context) -> Option<&'static str> {
        match context {
            Context::Unplaceable(what) => Some(what),
            _ => None,
        }
    }

    fn must_reread<'s>(_: bool, _: impl Iterator<Item = Slot<'s, Context>>) -> bool {
        false
    }

    fn reread(
        _: &mut [u8],
        _: &[Slot<'_, Context>],
        _: &[u8],
    ) -> Result<Result<(), Mismatch>, TemplateSyntax> {
        Ok(Ok(()))
    }
}

/// Unquoted shell and dotenv words take only characters no shell or dotenv parser treats
/// specially.
pub(crate) fn bare_word(value: &str) -> bool {
    value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c))
}

fn no_nul(value: &str) -> Result<(), Refusal> {
    if value.contains('\0') {
        Err(Refusal::Nul)
    } else {
        Ok(())
    }
}

/// A here-document body: nothing ends it but a line equal to its delimiter; with an unquoted
/// delimiter `$`, `` ` `` and `\` are escaped.
fn heredoc<'v>(
    value: &'v str,
    delimiter: &str,
    quoted: bool,
    strip_tabs: bool,
    line_start: bool,
) -> Result<Cow<'v, str>, Refusal> {
    no_nul(value)?;
    for (i, line) in value.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        // The first line is a line of the body only where the mask starts one.
        if i == 0 && !line_start {
            continue;
        }
        if strip_tabs && line.starts_with('\t') {
            return Err(Refusal::HeredocTab);
        }
        let bare = if strip_tabs {
            line.trim_start_matches('\t')
        } else {
            line
        };
        if bare == delimiter {
            return Err(Refusal::HeredocDelimiter {
                delimiter: delimiter.to_owned(),
            });
        }
    }
    Ok(if quoted {
        Cow::Borrowed(value)
    } else {
        Cow::Owned(backslash(value, &['$', '`', '\\']))
    })
}

/// One open construct; the innermost is last.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Frame {
    /// Command text, at the top or inside `$(…)` (`paren`: open `(` inside it).
    Command {
        nested: bool,
        parens: usize,
    },
    Single,
    Double,
    DollarSingle,
    Backtick,
    /// `${…}`; `operator` once past the parameter's name.
    Param {
        operator: bool,
        name: usize,
    },
    Arith {
        parens: usize,
    },
    Comment,
}

/// Where a value would be code for a shell the command starts, whatever the quoting here.
const NESTED_SHELL: &str = "in an argument that another shell runs as code (`sh -c`, `bash -c`, `eval`, `su -c`, `ssh`), where quoting for this file is undone; pass the value in an environment variable";

/// The words of one simple command so far, as spans of the document.
#[derive(Default)]
struct Words {
    done: Vec<(usize, usize)>,
    from: Option<usize>,
}

impl Words {
    /// Takes the byte at `doc[i]` of the command frame.
    fn step(&mut self, i: usize, b: u8) {
        if b" \t;&|<>\n()".contains(&b) {
            if let Some(from) = self.from.take() {
                self.done.push((from, i));
            }
            if b";&|\n()".contains(&b) {
                self.done.clear();
            }
        } else if self.from.is_none() {
            self.from = Some(i);
        }
    }

    /// Whether the command's arguments are code for another shell: a shell with `-c`, `eval`,
    /// `su`/`runuser` with `-c`, or `ssh`, as a word of the command (after `sudo`, `env`, `exec`,
    /// `xargs` or `find -exec` too).
    fn runs_code(&self, doc: &[u8]) -> bool {
        let text = |&(from, to): &(usize, usize)| -> String {
            String::from_utf8_lossy(&doc[from..to]).replace(['\'', '"', '\\'], "")
        };
        let words: Vec<String> = self.done.iter().map(text).collect();
        let name = |w: &str| w.rsplit('/').next().unwrap_or(w).to_owned();
        let flag_c = |w: &String| {
            w.len() > 1 && w.starts_with('-') && !w.starts_with("--") && w.contains('c')
        };
        words.iter().enumerate().any(|(i, word)| {
            let rest = &words[i + 1..];
            match name(word).as_str() {
                "sh" | "bash" | "dash" | "zsh" | "ksh" | "ash" | "mksh" | "busybox" => {
                    rest.iter().any(flag_c)
                }
                "su" | "runuser" => rest.iter().any(|w| w == "-c" || w == "--command"),
                "eval" | "ssh" => true,
                _ => false,
            }
        })
    }
}

/// A here-document announced on the current line, read after its end.
struct Pending {
    delimiter: String,
    quoted: bool,
    strip_tabs: bool,
}

/// The context of each mask (sorted, not overlapping) in `doc`.
pub(crate) fn contexts(doc: &[u8], masks: &[Span]) -> Vec<Context> {
    let mut found: Vec<Option<Context>> = vec![None; masks.len()];
    let mut stack = vec![Frame::Command {
        nested: false,
        parens: 0,
    }];
    let mut pending: Vec<Pending> = Vec::new();
    // The words of the simple command each command frame is in, to tell a nested shell's code.
    let mut words: Vec<Words> = vec![Words::default()];
    let mut word_start = true;
    let mut next_mask = 0;
    let mut i = 0;
    let at = |i: usize, s: &[u8]| doc[i..].starts_with(s);
    while i < doc.len() {
        let commands = stack
            .iter()
            .filter(|f| matches!(f, Frame::Command { .. }))
            .count();
        words.resize_with(commands, Words::default);
        if next_mask < masks.len() && i >= masks[next_mask].start {
            let innermost = words.last().expect("the command frame stays");
            found[next_mask] = Some(match context_of(&stack) {
                Context::Single | Context::Double | Context::Bare if innermost.runs_code(doc) => {
                    Context::Unplaceable(NESTED_SHELL)
                }
                context => context,
            });
            i = masks[next_mask].end;
            next_mask += 1;
            word_start = false;
            continue;
        }
        let b = doc[i];
        let top = stack.last().cloned().expect("the command frame stays");
        match top {
            Frame::Command { nested, parens } => {
                words
                    .last_mut()
                    .expect("the command frame stays")
                    .step(i, b);
                let mut starts_word = false;
                match b {
                    b'\\' => i += 1,
                    b'\'' => stack.push(Frame::Single),
                    b'"' => stack.push(Frame::Double),
                    b'`' => stack.push(Frame::Backtick),
                    b'$' => i += dollar(doc, i, &mut stack),
                    b'#' if word_start => stack.push(Frame::Comment),
                    b'<' if at(i, b"<<<") => i += 2,
                    b'<' if at(i, b"<<") => {
                        let (heredoc, len) = announce(doc, i + 2);
                        pending.extend(heredoc);
                        i += 1 + len;
                        starts_word = true;
                    }
                    b'(' => {
                        set_parens(&mut stack, parens + 1);
                        starts_word = true;
                    }
                    b')' if nested && parens == 0 => {
                        stack.pop();
                    }
                    b')' => {
                        set_parens(&mut stack, parens.saturating_sub(1));
                        starts_word = true;
                    }
                    b'\n' => {
                        starts_word = true;
                        if !pending.is_empty() {
                            i = bodies(doc, i + 1, masks, &mut next_mask, &mut found, &pending);
                            pending.clear();
                            word_start = true;
                            continue;
                        }
                    }
                    b' ' | b'\t' | b';' | b'&' | b'|' | b'<' | b'>' => starts_word = true,
                    _ => {}
                }
                word_start = starts_word;
            }
            Frame::Single => {
                if b == b'\'' {
                    stack.pop();
                }
            }
            Frame::DollarSingle => match b {
                b'\\' => i += 1,
                b'\'' => {
                    stack.pop();
                }
                _ => {}
            },
            Frame::Double => match b {
                b'\\' => i += 1,
                b'"' => {
                    stack.pop();
                }
                b'`' => stack.push(Frame::Backtick),
                b'$' => i += dollar(doc, i, &mut stack),
                _ => {}
            },
            Frame::Backtick => match b {
                b'\\' => i += 1,
                b'`' => {
                    stack.pop();
                }
                _ => {}
            },
            Frame::Param { operator, name } => match b {
                b'}' => {
                    stack.pop();
                }
                b'\\' => i += 1,
                b'\'' if operator => stack.push(Frame::Single),
                b'"' if operator => stack.push(Frame::Double),
                b'$' => i += dollar(doc, i, &mut stack),
                _ if operator => {}
                // A name is letters, digits and `_`, or one special parameter character.
                b if (b.is_ascii_alphanumeric() || b == b'_')
                    || (name == 0 && b"#?@*!$-".contains(&b)) =>
                {
                    if let Some(Frame::Param { name, .. }) = stack.last_mut() {
                        *name += 1;
                    }
                }
                _ => {
                    if let Some(Frame::Param { operator, .. }) = stack.last_mut() {
                        *operator = true;
                    }
                }
            },
            Frame::Arith { parens } => match b {
                b'(' => set_parens(&mut stack, parens + 1),
                b')' if parens == 0 && at(i, b"))") => {
                    stack.pop();
                    i += 1;
                }
                b')' => set_parens(&mut stack, parens.saturating_sub(1)),
                _ => {}
            },
            Frame::Comment => {
                if b == b'\n' {
                    stack.pop();
                    // The line break ends the command line too: let the command see it.
                    continue;
                }
            }
        }
        i += 1;
    }
    // Masks past the end of what was read (an unterminated construct) get its context.
    found
        .into_iter()
        .map(|c| c.unwrap_or_else(|| context_of(&stack)))
        .collect()
}

fn set_parens(stack: &mut [Frame], count: usize) {
    if let Some(Frame::Command { parens, .. } | Frame::Arith { parens }) = stack.last_mut() {
        *parens = count;
    }
}

/// Opens what `$` at `doc[i]` starts; returns how many bytes after `$` it took.
fn dollar(doc: &[u8], i: usize, stack: &mut Vec<Frame>) -> usize {
    let rest = &doc[i + 1..];
    if rest.starts_with(b"((") {
        stack.push(Frame::Arith { parens: 0 });
        2
    } else if rest.starts_with(b"(") {
        stack.push(Frame::Command {
            nested: true,
            parens: 0,
        });
        1
    } else if rest.starts_with(b"{") {
        stack.push(Frame::Param {
            operator: false,
            name: 0,
        });
        1
    } else if rest.starts_with(b"'") && !matches!(stack.last(), Some(Frame::Double)) {
        stack.push(Frame::DollarSingle);
        1
    } else {
        0
    }
}

/// The here-document whose `<<` ends just before `doc[i]`: its delimiter and how many bytes
/// of the redirection follow `<<`.
fn announce(doc: &[u8], i: usize) -> (Option<Pending>, usize) {
    let mut j = i;
    let strip_tabs = doc.get(j) == Some(&b'-');
    if strip_tabs {
        j += 1;
    }
    while matches!(doc.get(j), Some(b' ' | b'\t')) {
        j += 1;
    }
    let mut delimiter = Vec::new();
    let mut quoted = false;
    let mut quote = None;
    while let Some(&b) = doc.get(j) {
        match (quote, b) {
            (None, b'\'' | b'"') => {
                quote = Some(b);
                quoted = true;
            }
            (Some(q), b) if b == q => quote = None,
            (None, b'\\') => {
                quoted = true;
                j += 1;
                if let Some(&next) = doc.get(j) {
                    delimiter.push(next);
                }
            }
            (None, b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b'<' | b'>' | b'(' | b')') => break,
            (_, b) => delimiter.push(b),
        }
        j += 1;
    }
    let pending = (!delimiter.is_empty()).then(|| Pending {
        delimiter: String::from_utf8_lossy(&delimiter).into_owned(),
        quoted,
        strip_tabs,
    });
    (pending, j - i)
}

/// Reads the bodies of `pending` from `doc[start..]`, giving the masks inside them their
/// context; returns where the command text goes on.
fn bodies(
    doc: &[u8],
    start: usize,
    masks: &[Span],
    next_mask: &mut usize,
    found: &mut [Option<Context>],
    pending: &[Pending],
) -> usize {
    let mut i = start;
    for heredoc in pending {
        // The body's expansions: inside `$(…)`, `${…}` or backquotes a value would be code.
        let mut depth = 0usize;
        let mut backtick = false;
        loop {
            if i >= doc.len() {
                return doc.len();
            }
            let end = memchr::memchr(b'\n', &doc[i..]).map_or(doc.len(), |n| i + n);
            let mut line = &doc[i..end];
            if heredoc.strip_tabs {
                while let [b'\t', rest @ ..] = line {
                    line = rest;
                }
            }
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line == heredoc.delimiter.as_bytes() {
                i = end + 1;
                break;
            }
            let mut j = i;
            while j < end {
                if *next_mask < masks.len() && j >= masks[*next_mask].start {
                    found[*next_mask] = Some(if depth > 0 || backtick {
                        Context::Unplaceable("inside a command substitution or expansion")
                    } else {
                        Context::Heredoc {
                            delimiter: heredoc.delimiter.clone(),
                            quoted: heredoc.quoted,
                            strip_tabs: heredoc.strip_tabs,
                            line_start: doc[i..j].iter().all(|&b| b == b'\t'),
                        }
                    });
                    j = masks[*next_mask].end;
                    *next_mask += 1;
                    continue;
                }
                if !heredoc.quoted {
                    match doc[j] {
                        b'\\' => j += 1,
                        b'$' if matches!(doc.get(j + 1), Some(b'(' | b'{')) => {
                            depth += 1;
                            j += 1;
                        }
                        b'(' | b'{' if depth > 0 => depth += 1,
                        b')' | b'}' if depth > 0 => depth -= 1,
                        b'`' => backtick = !backtick,
                        _ => {}
                    }
                }
                j += 1;
            }
            i = end + 1;
        }
    }
    i.min(doc.len())
}

fn context_of(stack: &[Frame]) -> Context {
    match stack.last() {
        Some(Frame::Single) => Context::Single,
        Some(Frame::Double) => Context::Double,
        Some(Frame::Comment) => Context::Comment,
        Some(Frame::DollarSingle) => Context::Unplaceable("inside $'…'"),
        Some(Frame::Backtick) => Context::Unplaceable("inside backquotes"),
        Some(Frame::Arith { .. }) => Context::Unplaceable("inside $((…))"),
        Some(Frame::Param {
            operator: false, ..
        }) => Context::Unplaceable("in a parameter's name"),
        // A `${X:-word}` word, quoted or not, takes a bare word safely.
        Some(Frame::Param { operator: true, .. } | Frame::Command { .. }) | None => Context::Bare,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The contexts of the `M` markers in `doc` (each a one-byte mask).
    fn of(doc: &str) -> Vec<Context> {
        let masks = crate::render::format::markers(doc, "M");
        contexts(doc.as_bytes(), &masks)
    }

    fn heredoc(delimiter: &str, quoted: bool, strip_tabs: bool, line_start: bool) -> Context {
        Context::Heredoc {
            delimiter: delimiter.into(),
            quoted,
            strip_tabs,
            line_start,
        }
    }

    #[test]
    fn single_quote_is_closed_and_reopened() {
        let value =
            crate::resolve::Value::new("it's".to_owned().into(), crate::resolve::Kind::String);
        assert_eq!(Shell::escape(&value, &Context::Single).unwrap(), "it'\\''s");
    }

    #[test]
    fn quotes_comments_and_words() {
        assert_eq!(
            of("a=M b='M' c=\"M\" # M\nd=M"),
            [
                Context::Bare,
                Context::Single,
                Context::Double,
                Context::Comment,
                Context::Bare
            ]
        );
        // `#` inside a word is not a comment.
        assert_eq!(of("a=x#M"), [Context::Bare]);
    }

    #[test]
    fn an_apostrophe_in_a_heredoc_opens_no_quote() {
        assert_eq!(
            of("cat <<EOF\nIt's M\nEOF\necho 'M'\n"),
            [heredoc("EOF", false, false, false), Context::Single]
        );
        assert_eq!(
            of("cat <<-'END' >f\n\tIt's M\n\tEND\nx=M\n"),
            [heredoc("END", true, true, false), Context::Bare]
        );
        assert_eq!(
            of("cat <<\\EOF; echo \"M\"\nM\nEOF\n"),
            [Context::Double, heredoc("EOF", true, false, true)]
        );
        assert_eq!(
            of("cat <<EOF\n$(echo M)\nEOF\n"),
            [Context::Unplaceable(
                "inside a command substitution or expansion"
            )]
        );
        // A here-string is no here-document.
        assert_eq!(of("cat <<< 'M'\n"), [Context::Single]);
    }

    #[test]
    fn expansions_are_their_own_contexts() {
        assert_eq!(
            of("x=${X:-a #M} y=\"${Y:-M}\" z=${M}"),
            [
                Context::Bare,
                Context::Bare,
                Context::Unplaceable("in a parameter's name")
            ]
        );
        assert_eq!(
            of("a=$'M' b=`M` c=$((1 + M)) d=\"$'M'\""),
            [
                Context::Unplaceable("inside $'…'"),
                Context::Unplaceable("inside backquotes"),
                Context::Unplaceable("inside $((…))"),
                Context::Double
            ]
        );
        assert_eq!(
            of("a=\"$(printf '%s' 'M') M\" b=$(echo \"M\")"),
            [Context::Single, Context::Double, Context::Double]
        );
    }

    #[test]
    fn a_tab_led_first_line_is_refused_only_where_the_mask_starts_a_line_of_a_dash_body() {
        let value =
            crate::resolve::Value::new("\tx".to_owned().into(), crate::resolve::Kind::String);
        let strip = |line_start| heredoc("EOF", true, true, line_start);
        assert!(Shell::escape(&value, &strip(true)).is_err());
        assert!(Shell::escape(&value, &strip(false)).is_ok());
        assert!(Shell::escape(&value, &heredoc("EOF", true, false, true)).is_ok());
        assert_eq!(
            of("cat <<-'EOF'\n\tM\n\tpre M\nEOF\n"),
            [strip(true), strip(false)]
        );
    }

    #[test]
    fn an_argument_another_shell_runs_is_never_placed() {
        for doc in [
            "sh -c 'echo M'\n",
            "bash -ec \"psql -p M\"\n",
            "eval \"A=M\"\n",
            "sudo -u app /bin/sh -c 'x M'\n",
            "find . -exec sh -c 'x M' \\;\n",
            "ssh host \"mysql -pM\"\n",
            "su app -c \"x M\"\n",
            "V=$(bash -c 'M')\n",
        ] {
            assert_eq!(of(doc), [Context::Unplaceable(NESTED_SHELL)], "{doc}");
        }
        for doc in [
            "echo 'sh -c M'\n",
            "printf '%s' 'M'; sh -c 'true'\n",
            "sh -c 'true'\necho 'M'\n",
            "bash script.sh 'M'\n",
        ] {
            assert_ne!(of(doc), [Context::Unplaceable(NESTED_SHELL)], "{doc}");
        }
    }
}
