//! Escaping a value for its context, or refusing a value that no escaping can make safe there.
//! A refusal names the characters' class, never the value.

use std::borrow::Cow;
use std::fmt::Write;

use super::context::Context;

/// Why a value cannot stand where its mask is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the value holds a line break, which would end the line here")]
    LineBreak,
    #[error(
        "the value would change the YAML document in a plain scalar ({what}); quote the scalar: \"…\""
    )]
    YamlPlain { what: &'static str },
    #[error(
        "the value holds a line break or control character, which a single-quoted scalar cannot hold; use a double-quoted scalar"
    )]
    YamlSingle,
    #[error(
        "the value holds a control character, which a block scalar cannot hold; use a double-quoted scalar"
    )]
    YamlBlockControl,
    #[error(
        "the value spans lines, which a folded block scalar would join; use a literal block scalar `|`"
    )]
    YamlFolded,
    #[error(
        "outside a JSON string only a number, true, false or null fits; put the mask in a string: \"…\""
    )]
    JsonBare,
    #[error("the value holds characters that are not safe unquoted ({what}); quote it: \"…\"")]
    Unquoted { what: &'static str },
    #[error(
        "the value holds a single quote or line break, which a single-quoted dotenv value cannot hold; use double quotes"
    )]
    EnvSingle,
    #[error(
        "the value holds a single quote, line break or control character, which a TOML literal string cannot hold; use a basic string \"…\""
    )]
    TomlLiteral,
    #[error(
        "the value holds `'''`, which would end the multi-line literal string; use a basic string \"\"\"…\"\"\""
    )]
    TomlMultiLiteral,
    #[error("outside a TOML string only a number or boolean fits; put the mask in a string: \"…\"")]
    TomlBare,
}

pub fn escape<'v>(value: &'v str, context: &Context) -> Result<Cow<'v, str>, Refusal> {
    match context {
        Context::Raw => Ok(Cow::Borrowed(value)),
        Context::Line if value.contains(['\n', '\r']) => Err(Refusal::LineBreak),
        Context::Line => Ok(Cow::Borrowed(value)),
        Context::JsonString => {
            let quoted = serde_json::to_string(value).expect("a string serializes");
            Ok(Cow::Owned(quoted[1..quoted.len() - 1].to_owned()))
        }
        Context::JsonBare => json_bare(value),
        Context::YamlDouble => Ok(Cow::Owned(yaml_double(value))),
        Context::YamlSingle if value.chars().any(|c| c.is_control() && c != '\t') => {
            Err(Refusal::YamlSingle)
        }
        Context::YamlSingle => Ok(Cow::Owned(value.replace('\'', "''"))),
        Context::YamlPlain { at_start, at_end } => yaml_plain(value, *at_start, *at_end),
        Context::YamlLiteral { indent } => yaml_literal(value, indent),
        Context::YamlFolded if value.contains(['\n', '\r']) => Err(Refusal::YamlFolded),
        Context::YamlFolded => block_control(value).map(|()| Cow::Borrowed(value)),
        Context::ShellSingle => Ok(Cow::Owned(value.replace('\'', r"'\''"))),
        Context::ShellDouble => Ok(Cow::Owned(backslash(value, &['"', '$', '`', '\\']))),
        Context::EnvDouble => Ok(Cow::Owned(
            backslash(value, &['"', '$', '`', '\\'])
                .replace('\n', "\\n")
                .replace('\r', "\\r"),
        )),
        Context::EnvSingle if value.contains(['\'', '\n', '\r']) => Err(Refusal::EnvSingle),
        Context::EnvSingle => Ok(Cow::Borrowed(value)),
        Context::ShellBare | Context::EnvBare => bare_word(value),
        Context::TomlBasic => Ok(Cow::Owned(toml_basic(value, false))),
        Context::TomlMultiBasic => Ok(Cow::Owned(toml_basic(value, true))),
        Context::TomlLiteral
            if value.contains('\'') || value.chars().any(|c| c.is_control() && c != '\t') =>
        {
            Err(Refusal::TomlLiteral)
        }
        Context::TomlLiteral => Ok(Cow::Borrowed(value)),
        Context::TomlMultiLiteral if value.contains("'''") || value.ends_with('\'') => {
            Err(Refusal::TomlMultiLiteral)
        }
        Context::TomlMultiLiteral => Ok(Cow::Borrowed(value)),
        Context::TomlBare => toml_bare(value),
    }
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

/// YAML double-quoted escapes (YAML 1.2 §5.7): `\` and `"`, and every character that is not
/// printable in YAML.
fn yaml_double(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{85}' => out.push_str("\\N"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            '\u{FEFF}' => out.push_str("\\uFEFF"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// What makes a value unsafe in a plain scalar: it could end the scalar (`: `, ` #`, a line
/// break), start another node (an indicator first), or lose characters (edge spaces).
fn yaml_plain(value: &str, at_start: bool, at_end: bool) -> Result<Cow<'_, str>, Refusal> {
    let refuse = |what| Err(Refusal::YamlPlain { what });
    if value.contains(['\n', '\r']) {
        return refuse("a line break");
    }
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return refuse("a control character");
    }
    if value.contains(": ") || value.contains(":\t") || value.ends_with(':') && at_end {
        return refuse("`: `");
    }
    // A `#` first in the value is a comment only after white space before the mask; the
    // re-parse check catches that case.
    if value.contains(" #") || value.contains("\t#") {
        return refuse("` #`");
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
    Ok(Cow::Borrowed(value))
}

fn block_control(value: &str) -> Result<(), Refusal> {
    if value
        .chars()
        .any(|c| c.is_control() && c != '\t' && c != '\n')
    {
        Err(Refusal::YamlBlockControl)
    } else {
        Ok(())
    }
}

/// Every line after the first is indented like the mask's line, so it stays in the block.
fn yaml_literal<'v>(value: &'v str, indent: &str) -> Result<Cow<'v, str>, Refusal> {
    block_control(value)?;
    if !value.contains('\n') {
        return Ok(Cow::Borrowed(value));
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
    Ok(Cow::Owned(out))
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

/// TOML basic-string escapes; a multi-line basic string keeps its line breaks.
fn toml_basic(value: &str, multi_line: bool) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' if multi_line => out.push('\n'),
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

fn toml_bare(value: &str) -> Result<Cow<'_, str>, Refusal> {
    let is_bool = value == "true" || value == "false";
    let is_number = !value.is_empty()
        && value
            .trim_start_matches(['+', '-'])
            .chars()
            .all(|c| c.is_ascii_digit() || "._eE+-".contains(c))
        && value.chars().any(|c| c.is_ascii_digit());
    if is_bool || is_number {
        Ok(Cow::Borrowed(value))
    } else {
        Err(Refusal::TomlBare)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_double_escapes_quotes_backslashes_and_controls() {
        assert_eq!(yaml_double("a\"b\\c\nd\u{1}"), "a\\\"b\\\\c\\nd\\u0001");
    }

    #[test]
    fn plain_scalar_refuses_what_would_change_the_document() {
        for value in [
            "a: b", "a #b", "*alias", "- item", "x\ny", "", " lead", "&a", "{x}",
        ] {
            assert!(
                yaml_plain(value, true, true).is_err(),
                "{value:?} should be refused"
            );
        }
        assert!(yaml_plain("p@ss:w0rd#1", true, true).is_ok());
    }

    #[test]
    fn literal_block_indents_continuation_lines() {
        assert_eq!(yaml_literal("a\nb\n\nc", "  ").unwrap(), "a\n  b\n\n  c");
    }

    #[test]
    fn shell_single_quote_is_closed_and_reopened() {
        assert_eq!(escape("it's", &Context::ShellSingle).unwrap(), "it'\\''s");
    }
}
