//! Escaping a value for its context, or refusing a value that no escaping can make safe there.
//! A refusal names the characters' class, never the value.

use std::borrow::Cow;
use std::fmt::Write;

use super::context::{Chomp, Context};
use super::schema;
use crate::resolve::Kind;

/// Why a value cannot stand where its mask is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// A line break where it would end the line.
    #[error("the value holds a line break, which would end the line here")]
    LineBreak,
    /// A control character where a comment cannot hold it.
    #[error("the value holds a control character, which a comment cannot hold")]
    LineControl,
    /// A character a YAML plain scalar cannot hold here.
    #[error(
        "the value would change the YAML document in a plain scalar ({what}); quote the scalar: \"…\""
    )]
    YamlPlain {
        /// Which.
        what: &'static str,
    },
    /// The scalar would read as another type.
    #[error(
        "with the value the plain scalar would read as {typed} in some YAML readers, not as the string it is; quote the scalar: \"…\""
    )]
    YamlPlainType {
        /// The type.
        typed: &'static str,
    },
    /// An array or object in a plain scalar.
    #[error(
        "the value is a JSON {kind}, which a plain scalar would turn into a YAML collection; quote the scalar to get its JSON text: \"…\""
    )]
    YamlCollection {
        /// Which.
        kind: &'static str,
    },
    /// A line break or control character in a single-quoted scalar.
    #[error(
        "the value holds a line break or control character, which a single-quoted scalar cannot hold; use a double-quoted scalar"
    )]
    YamlSingle,
    /// A control character in a block scalar.
    #[error(
        "the value holds a control character or a YAML 1.1 line break (U+0085, U+2028, U+2029), which a block scalar cannot hold; use a double-quoted scalar"
    )]
    YamlBlockControl,
    /// A multi-line value in a folded block scalar.
    #[error(
        "the value spans lines, which a folded block scalar would join; use a literal block scalar `|`"
    )]
    YamlFolded,
    /// Final line breaks the block's chomping would drop.
    #[error(
        "the value ends with line breaks that the block's chomping `{indicator}` drops; use `|+` (keep) or a double-quoted scalar"
    )]
    YamlChomped {
        /// The block's chomping indicator.
        indicator: &'static str,
    },
    /// A string outside JSON quotes.
    #[error(
        "outside a JSON string only a number, true, false or null fits; put the mask in a string: \"…\""
    )]
    JsonBare,
    /// A character an unquoted word cannot hold.
    #[error("the value holds characters that are not safe unquoted ({what}); quote it: \"…\"")]
    Unquoted {
        /// Which format's word.
        what: &'static str,
    },
    /// A character a single-quoted dotenv value cannot hold.
    #[error(
        "the value holds a single quote, backslash, line break, control character or `${{`, which dotenv readers read differently in single quotes; use double quotes"
    )]
    EnvSingle,
    /// A character a double-quoted dotenv value cannot hold.
    #[error(
        "the value holds `$`, a carriage return or a control character, which dotenv readers read differently in double quotes (python-dotenv keeps `\\$`, docker compose and dotenvy expand `$`); use single quotes"
    )]
    EnvDouble,
    /// A NUL, which no shell string holds.
    #[error("the value holds a NUL character, which no shell variable can hold")]
    ShellNul,
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
    /// A place where no escaping is safe.
    #[error(
        "a value cannot be placed {0}: its text would be read as code; move the mask out of it"
    )]
    Unplaceable(&'static str),
    /// A character a TOML literal string cannot hold.
    #[error(
        "the value holds a single quote, line break or control character, which a TOML literal string cannot hold; use a basic string \"…\""
    )]
    TomlLiteral,
    /// What a TOML multi-line literal string cannot hold.
    #[error(
        "the value holds `'''`, a quote at its edge, a carriage return, a control character or (right after the opener) a leading line break, which a multi-line literal string cannot hold; use a basic string \"\"\"…\"\"\""
    )]
    TomlMultiLiteral,
    /// A value that is not one TOML number, boolean or date-time.
    #[error(
        "outside a TOML string only a number, boolean or date-time fits (what `key = VALUE` reads as one such value); put the mask in a string: \"…\""
    )]
    TomlBare,
}

/// The value's text for `context`, in the form every reader of the format reads back as
/// exactly the value, with its JSON `kind` where the context decides the type.
pub(crate) fn escape<'v>(
    value: &'v str,
    kind: Kind,
    context: &Context,
) -> Result<Cow<'v, str>, Refusal> {
    match context {
        Context::Raw => Ok(Cow::Borrowed(value)),
        Context::Line if value.contains(LINE_BREAKS) => Err(Refusal::LineBreak),
        // YAML and TOML allow no control character in a comment, and a shell no NUL in a file.
        Context::Line if value.chars().any(|c| c != '\t' && !printable(c)) => {
            Err(Refusal::LineControl)
        }
        Context::Line => Ok(Cow::Borrowed(value)),
        Context::JsonString => {
            let quoted = serde_json::to_string(value).expect("a string serializes");
            Ok(Cow::Owned(quoted[1..quoted.len() - 1].to_owned()))
        }
        Context::JsonBare => json_bare(value),
        Context::YamlDouble => Ok(yaml_double(value)),
        Context::YamlSingle
            if value.contains(LINE_BREAKS) || value.chars().any(|c| c != '\t' && !printable(c)) =>
        {
            Err(Refusal::YamlSingle)
        }
        Context::YamlSingle => Ok(Cow::Owned(value.replace('\'', "''"))),
        Context::YamlPlain {
            at_start: true,
            at_end: true,
            flow,
            tagged,
        } => yaml_plain_whole(value, kind, *flow, *tagged),
        Context::YamlPlain {
            at_start,
            at_end,
            flow,
            ..
        } => yaml_plain(value, *at_start, *at_end, *flow).map(|()| Cow::Borrowed(value)),
        Context::YamlLiteral { indent, last } => {
            block_control(value)?;
            chomped(value, *last)?;
            Ok(yaml_literal(value, indent))
        }
        Context::YamlFolded { .. } if value.contains(['\n', '\r']) => Err(Refusal::YamlFolded),
        Context::YamlFolded { last } => {
            block_control(value)?;
            chomped(value, *last)?;
            Ok(Cow::Borrowed(value))
        }
        Context::ShellSingle => no_nul(value).map(|()| Cow::Owned(value.replace('\'', r"'\''"))),
        Context::ShellDouble => {
            no_nul(value).map(|()| Cow::Owned(backslash(value, &['"', '$', '`', '\\'])))
        }
        Context::ShellBare | Context::EnvBare => bare_word(value),
        Context::Heredoc {
            delimiter,
            quoted,
            strip_tabs,
        } => heredoc(value, delimiter, *quoted, *strip_tabs),
        Context::Unplaceable(what) => Err(Refusal::Unplaceable(what)),
        Context::EnvDouble
            if value.contains(['$', '\r']) || value.chars().any(|c| control(c, "\t\n")) =>
        {
            Err(Refusal::EnvDouble)
        }
        Context::EnvDouble => Ok(Cow::Owned(
            backslash(value, &['"', '\\']).replace('\n', "\\n"),
        )),
        Context::EnvSingle
            if value.contains(['\'', '\\', '\n', '\r'])
                || value.contains("${")
                || value.chars().any(|c| control(c, "\t")) =>
        {
            Err(Refusal::EnvSingle)
        }
        Context::EnvSingle => Ok(Cow::Borrowed(value)),
        Context::TomlBasic => Ok(Cow::Owned(toml_basic(value, false))),
        Context::TomlMultiBasic => Ok(Cow::Owned(toml_basic(value, true))),
        Context::TomlLiteral if value.contains('\'') || value.chars().any(|c| control(c, "\t")) => {
            Err(Refusal::TomlLiteral)
        }
        Context::TomlLiteral => Ok(Cow::Borrowed(value)),
        Context::TomlMultiLiteral { at_open }
            if value.contains("'''")
                || value.starts_with('\'')
                || value.ends_with('\'')
                || value.chars().any(|c| control(c, "\t\n"))
                || (*at_open && value.starts_with('\n')) =>
        {
            Err(Refusal::TomlMultiLiteral)
        }
        Context::TomlMultiLiteral { .. } => Ok(Cow::Borrowed(value)),
        Context::TomlBare => toml_bare(value),
    }
}

/// What a YAML reader takes for a line break: YAML 1.1 readers (PyYAML and the tools built on
/// it) also break at NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR.
const LINE_BREAKS: [char; 5] = ['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}'];

/// A control character other than those in `allowed`.
fn control(c: char, allowed: &str) -> bool {
    c.is_control() && !allowed.contains(c)
}

/// YAML's printable characters (YAML 1.2 §5.1, the set PyYAML's reader also accepts); a
/// document may hold no other character unescaped.
fn printable(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn json_bare(value: &str) -> Result<Cow<'_, str>, Refusal> {
    match serde_json::from_str::<serde_json::Value>(value) {
        Ok(serde_json::Value::Number(_) | serde_json::Value::Bool(_) | serde_json::Value::Null)
            if value.trim() == value =>
        {
            Ok(Cow::Borrowed(value))
        }
        _ => Err(Refusal::JsonBare),
    }
}

/// YAML double-quoted escapes (YAML 1.2 §5.7): `\` and `"`, every character that is not
/// printable or that a YAML 1.1 reader breaks lines at, and white space at the edges, which a
/// scalar that spans lines would fold away.
fn yaml_double(value: &str) -> Cow<'_, str> {
    // Most values need no escape: they are inserted as they are, without a copy.
    let plain = |c: char| {
        !matches!(
            c,
            '\\' | '"' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{FEFF}'
        ) && !c.is_control()
            && printable(c)
    };
    if !value.starts_with(' ') && !value.ends_with(' ') && value.chars().all(plain) {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() + 8);
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            ' ' if i == 0 || i == last => out.push_str("\\x20"),
            '\u{85}' => out.push_str("\\N"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            '\u{FEFF}' => out.push_str("\\uFEFF"),
            c if c.is_control() || !printable(c) => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A mask that is a whole plain scalar: the value's JSON type decides the scalar's. A string
/// that is not safe plain, or that some reader would type (`007`, `yes`, `~`), is written as a
/// double-quoted scalar in the mask's place.
fn yaml_plain_whole(
    value: &str,
    kind: Kind,
    flow: bool,
    tagged: bool,
) -> Result<Cow<'_, str>, Refusal> {
    match kind {
        Kind::Number if !tagged => Ok(Cow::Owned(schema::json_number(value))),
        Kind::Array | Kind::Object if !tagged => Err(Refusal::YamlCollection {
            kind: if kind == Kind::Array {
                "array"
            } else {
                "object"
            },
        }),
        Kind::Bool | Kind::Null if !tagged => Ok(Cow::Borrowed(value)),
        _ if yaml_plain(value, true, true, flow).is_ok()
            && (tagged || schema::non_string(value).is_none()) =>
        {
            Ok(Cow::Borrowed(value))
        }
        _ => Ok(Cow::Owned(format!("\"{}\"", yaml_double(value)))),
    }
}

/// What makes a value unsafe in part of a plain scalar: it could end the scalar (`: `, ` #`, a
/// line break, a flow indicator in a flow collection), start another node (an indicator
/// first), or lose characters (edge spaces). The re-parse check sees the rest.
fn yaml_plain(value: &str, at_start: bool, at_end: bool, flow: bool) -> Result<(), Refusal> {
    let refuse = |what| Err(Refusal::YamlPlain { what });
    if value.contains(LINE_BREAKS) {
        return refuse("a line break");
    }
    // A tab is no plain-scalar character for PyYAML and ruamel.yaml.
    if value.chars().any(|c| !printable(c) || c == '\t') {
        return refuse("a tab or control character");
    }
    if value.contains(": ") || value.contains(":\t") || value.ends_with(':') && at_end {
        return refuse("`: `");
    }
    // A `#` first in the value is a comment only after white space before the mask; the
    // re-parse check catches that case.
    if value.contains(" #") || value.contains("\t#") {
        return refuse("` #`");
    }
    // PyYAML ends a plain scalar in a flow collection at `?` and `:` too.
    if flow && value.contains([',', '[', ']', '{', '}', '?', ':']) {
        return refuse("a flow indicator `,[]{}?:` inside a flow collection");
    }
    if at_start {
        if value.is_empty() && at_end {
            return refuse("an empty value, which YAML reads as null");
        }
        if value.starts_with([
            '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%',
            '@', '`',
        ]) {
            return refuse("a leading indicator character");
        }
        if value.starts_with([' ', '\t']) {
            return refuse("leading white space");
        }
    }
    if at_end && value.ends_with([' ', '\t']) {
        return refuse("trailing white space");
    }
    Ok(())
}

fn block_control(value: &str) -> Result<(), Refusal> {
    if value.chars().any(|c| {
        matches!(c, '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')
            || c != '\t' && c != '\n' && !printable(c)
    }) {
        Err(Refusal::YamlBlockControl)
    } else {
        Ok(())
    }
}

/// A value that ends a block scalar's content keeps its final line breaks only as far as the
/// block's chomping does: `|` keeps one, `|-` none.
fn chomped(value: &str, last: Option<Chomp>) -> Result<(), Refusal> {
    let breaks = value.len() - value.trim_end_matches('\n').len();
    match last {
        Some(Chomp::Clip) if breaks > 1 => Err(Refusal::YamlChomped { indicator: "|" }),
        Some(Chomp::Strip) if breaks > 0 => Err(Refusal::YamlChomped { indicator: "|-" }),
        _ => Ok(()),
    }
}

/// Every line after the first is indented like the block's content, so it stays in the block.
fn yaml_literal<'v>(value: &'v str, indent: &str) -> Cow<'v, str> {
    if !value.contains('\n') {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() + indent.len() * 4);
    for (i, line) in value.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
            if !line.is_empty() {
                out.push_str(indent);
            }
        }
        out.push_str(line);
    }
    Cow::Owned(out)
}

fn backslash(value: &str, special: &[char]) -> String {
    let mut out = String::with_capacity(value.len() + 4);
    for c in value.chars() {
        if special.contains(&c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn no_nul(value: &str) -> Result<(), Refusal> {
    if value.contains('\0') {
        Err(Refusal::ShellNul)
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
) -> Result<Cow<'v, str>, Refusal> {
    no_nul(value)?;
    for (i, line) in value.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if strip_tabs && i > 0 && line.starts_with('\t') {
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

/// Unquoted shell and dotenv words take only characters no shell or dotenv parser treats
/// specially.
fn bare_word(value: &str) -> Result<Cow<'_, str>, Refusal> {
    if value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c))
    {
        Ok(Cow::Borrowed(value))
    } else {
        Err(Refusal::Unquoted {
            what: "only letters, digits and _ @ % + = : , . / - are",
        })
    }
}

/// TOML basic-string escapes. A multi-line basic string keeps its line breaks but the first
/// (TOML drops a line break right after the opener) and carriage returns.
fn toml_basic(value: &str, multi_line: bool) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    for (i, c) in value.chars().enumerate() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' if multi_line && i > 0 => out.push('\n'),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push('\t'),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// What a TOML parser reads as one number, boolean or date-time in `key = VALUE`, and nothing
/// more.
fn toml_bare(value: &str) -> Result<Cow<'_, str>, Refusal> {
    if value.contains(['\n', '\r', '#']) {
        return Err(Refusal::TomlBare);
    }
    match format!("k = {value}").parse::<toml::Table>() {
        Ok(table)
            if table.len() == 1
                && matches!(
                    table.get("k"),
                    Some(
                        toml::Value::Integer(_)
                            | toml::Value::Float(_)
                            | toml::Value::Boolean(_)
                            | toml::Value::Datetime(_)
                    )
                ) =>
        {
            Ok(Cow::Borrowed(value))
        }
        _ => Err(Refusal::TomlBare),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_double_escapes_quotes_backslashes_controls_and_edge_spaces() {
        assert_eq!(yaml_double("a\"b\\c\nd\u{1}"), "a\\\"b\\\\c\\nd\\u0001");
        assert_eq!(yaml_double(" a b "), "\\x20a b\\x20");
        assert_eq!(yaml_double("x\u{2029}\u{FFFE}"), "x\\P\\uFFFE");
    }

    #[test]
    fn plain_scalar_refuses_what_would_change_the_document() {
        for value in [
            "a: b",
            "a #b",
            "*alias",
            "- item",
            "x\ny",
            "",
            " lead",
            "&a",
            "{x}",
            "x\u{2028}y",
        ] {
            assert!(
                yaml_plain(value, true, true, false).is_err(),
                "{value:?} should be refused"
            );
        }
        assert!(yaml_plain("p@ss:w0rd#1", true, true, false).is_ok());
        assert!(yaml_plain("a,b", false, false, true).is_err());
    }

    #[test]
    fn a_whole_plain_scalar_keeps_the_value_type() {
        let whole = |value, kind| yaml_plain_whole(value, kind, false, false).unwrap();
        assert_eq!(whole("007", Kind::String), "\"007\"");
        assert_eq!(whole("yes", Kind::String), "\"yes\"");
        assert_eq!(whole("a: b", Kind::String), "\"a: b\"");
        assert_eq!(whole("hunter2", Kind::String), "hunter2");
        assert_eq!(whole("5432", Kind::Number), "5432");
        assert_eq!(whole("1e5", Kind::Number), "1.0e+5");
        assert_eq!(whole("true", Kind::Bool), "true");
        assert!(yaml_plain_whole("[1]", Kind::Array, false, false).is_err());
    }

    #[test]
    fn literal_block_indents_continuation_lines() {
        assert_eq!(yaml_literal("a\nb\n\nc", "  "), "a\n  b\n\n  c");
    }

    #[test]
    fn block_chomping_may_not_drop_the_value_s_line_breaks() {
        assert!(chomped("x\n", Some(Chomp::Clip)).is_ok());
        assert!(chomped("x\n\n", Some(Chomp::Clip)).is_err());
        assert!(chomped("x\n", Some(Chomp::Strip)).is_err());
        assert!(chomped("x\n\n\n", Some(Chomp::Keep)).is_ok());
        assert!(chomped("x\n\n\n", None).is_ok());
    }

    #[test]
    fn shell_single_quote_is_closed_and_reopened() {
        assert_eq!(
            escape("it's", Kind::String, &Context::ShellSingle).unwrap(),
            "it'\\''s"
        );
    }

    #[test]
    fn toml_bare_takes_what_toml_reads_as_one_scalar() {
        for value in [
            "1",
            "-7",
            "0x1F",
            "1_000",
            "inf",
            "nan",
            "-inf",
            "1.5e3",
            "true",
            "1979-05-27",
        ] {
            assert!(toml_bare(value).is_ok(), "{value}");
        }
        for value in [
            "007", "e5", "1-2", "--1", "1.", "abc", "1 # x", "[1]", "\"s\"", "",
        ] {
            assert!(toml_bare(value).is_err(), "{value}");
        }
    }
}
