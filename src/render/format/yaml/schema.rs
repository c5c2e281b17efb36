//! How YAML readers type a plain scalar. A YAML 1.2 reader resolves plain scalars by the core
//! schema; PyYAML, go-yaml v2 and every tool built on them by YAML 1.1's types. A string value
//! in a plain scalar must be a string for both, or the document changes type under one of them.

use std::sync::LazyLock;

use regex::Regex;

/// The type a plain scalar has for some reader, when it is not a string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Typed {
    Null,
    Bool,
    Int,
    Float,
    /// YAML 1.1 `!!timestamp`.
    Timestamp,
    /// YAML 1.1 `<<` and `=`.
    Special,
}

impl Typed {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Self::Null => "a null",
            Self::Bool => "a boolean",
            Self::Int => "an integer",
            Self::Float => "a float",
            Self::Timestamp => "a timestamp",
            Self::Special => "a merge key or value key",
        }
    }
}

/// The patterns of the YAML 1.2 core schema (§10.3.2) and of the YAML 1.1 type repository
/// (yaml.org/type), with PyYAML's variants, so a scalar typed by either is caught.
static PATTERNS: LazyLock<Vec<(Typed, Regex)>> = LazyLock::new(|| {
    let whole = |p: &str| Regex::new(&format!("^(?:{p})$")).expect("a valid pattern");
    vec![
        // 1.2 core and 1.1 (1.1 adds the empty scalar, which never reaches here).
        (Typed::Null, whole("~|null|Null|NULL")),
        // 1.1 adds y/n, yes/no, on/off in three cases.
        (
            Typed::Bool,
            whole(
                "y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF",
            ),
        ),
        // 1.2 core: decimal, 0o octal, 0x hex.
        (Typed::Int, whole("[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")),
        // 1.1: binary, octal with a leading 0, decimal and hex with `_`, base 60.
        (
            Typed::Int,
            whole(
                "[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+",
            ),
        ),
        // 1.2 core.
        (
            Typed::Float,
            whole(
                r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN",
            ),
        ),
        // 1.1 as the type repository writes it (several dots allowed) and as PyYAML does.
        (
            Typed::Float,
            whole(
                r"[-+]?(?:[0-9][0-9_]*)?\.[0-9.]*(?:[eE][-+][0-9]+)?|[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)",
            ),
        ),
        (
            Typed::Timestamp,
            whole(
                r"[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?",
            ),
        ),
        (Typed::Special, whole("<<|=")),
    ]
});

/// What some reader makes of `text` as a plain scalar, when that is not a string.
pub(crate) fn non_string(text: &str) -> Option<Typed> {
    // Every pattern starts with one of these; most values are rejected here.
    let first = text.bytes().next()?;
    if !(first.is_ascii_alphanumeric() || b"~+-.<=".contains(&first)) {
        return None;
    }
    PATTERNS
        .iter()
        .find(|(_, pattern)| pattern.is_match(text))
        .map(|(typed, _)| *typed)
}

/// A JSON number as a plain scalar that both YAML 1.1 and 1.2 read as the same number: YAML 1.1
/// floats need a `.` in the mantissa and a sign in the exponent (`1e5` is a string to PyYAML).
pub(crate) fn json_number(text: &str) -> String {
    let Some(at) = text.find(['e', 'E']) else {
        return text.to_owned();
    };
    let (mantissa, e, exponent) = (&text[..at], &text[at..=at], &text[at + 1..]);
    let dot = if mantissa.contains('.') { "" } else { ".0" };
    let sign = if exponent.starts_with(['+', '-']) {
        ""
    } else {
        "+"
    };
    format!("{mantissa}{dot}{e}{sign}{exponent}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_that_a_yaml_reader_types_are_found() {
        for (text, typed) in [
            ("007", Typed::Int),
            ("0o7", Typed::Int),
            ("0x1F", Typed::Int),
            ("1_000", Typed::Int),
            ("0b101", Typed::Int),
            ("190:20:30", Typed::Int),
            ("5432", Typed::Int),
            ("1e3", Typed::Float),
            ("1.", Typed::Float),
            ("1.2.3", Typed::Float),
            (".inf", Typed::Float),
            ("-.Inf", Typed::Float),
            (".NaN", Typed::Float),
            ("~", Typed::Null),
            ("null", Typed::Null),
            ("NULL", Typed::Null),
            ("true", Typed::Bool),
            ("yes", Typed::Bool),
            ("On", Typed::Bool),
            ("y", Typed::Bool),
            ("N", Typed::Bool),
            ("2001-12-14", Typed::Timestamp),
            ("2001-12-14t21:59:43.10-05:00", Typed::Timestamp),
            ("2001-12-14 21:59:43.10 -5", Typed::Timestamp),
            ("<<", Typed::Special),
            ("=", Typed::Special),
        ] {
            assert_eq!(non_string(text), Some(typed), "{text}");
        }
        for text in [
            "", "abc", "yess", "nulls", "0x", "1-2", "v1.2", "1.2.3a", "trUe", "x=y", "hunter2",
        ] {
            assert_eq!(non_string(text), None, "{text}");
        }
    }

    #[test]
    fn json_numbers_are_written_so_every_reader_reads_a_number() {
        for (json, yaml) in [
            ("5432", "5432"),
            ("-1.5", "-1.5"),
            ("1e5", "1.0e+5"),
            ("1.5E-3", "1.5E-3"),
            ("2E10", "2.0E+10"),
        ] {
            assert_eq!(json_number(json), yaml);
            assert!(matches!(non_string(yaml), Some(Typed::Int | Typed::Float)));
        }
    }
}
