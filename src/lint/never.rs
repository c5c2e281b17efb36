//! Masks render refuses whatever their value, found offline by placing them in their file's
//! format as render would (`render::Format::never_placed`), so a pre-commit hook stops them
//! before a deploy does.

use std::path::Path;

use super::{Finding, NEVER_RENDERS};
use crate::mask::Mask;
use crate::render::Format;

/// The findings for the masks of `bytes` (a file shown as `path`, whose name gives its format)
/// that stand where render never writes a value. A file of no known format, of a format where
/// every place takes some value (YAML, dotenv, properties), or that is not a document of its
/// format, has none; only the others are copied and placed.
pub(super) fn check(path: &str, bytes: &[u8], masks: &[Mask]) -> Vec<Finding> {
    let format = Format::from_path(Path::new(path));
    if masks.is_empty() || !format.has_never() {
        return Vec::new();
    }
    // The masks as written (those inside a Secret's base64 `data` are placed at their value).
    let written: Vec<&Mask> = masks
        .iter()
        .filter(|m| {
            let text = &bytes[m.span.range()];
            text.starts_with(b"{{") || text.starts_with(b"<<")
        })
        .collect();
    let mut copy = bytes.to_vec();
    format
        .never_placed(&mut copy, &written)
        .into_iter()
        .map(|(span, what)| Finding {
            rule: NEVER_RENDERS,
            span,
            message: format!(
                "render refuses every value here ({what}): the text would be read as code, markup or a name"
            ),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(path: &str, text: &str) -> Vec<String> {
        let masks: Vec<Mask> = crate::grammar::scan(text.as_bytes())
            .into_iter()
            .filter_map(Result::ok)
            .collect();
        check(path, text.as_bytes(), &masks)
            .into_iter()
            .map(|f| text[f.span.range()].to_owned() + " " + &f.message)
            .collect()
    }

    const M: &str = "{{workato:vault:k:kv/app}}";

    #[test]
    fn places_no_value_can_take_are_found_by_format() {
        for (path, template, place) in [
            ("run.sh", format!("X=`echo {M}`\n"), "inside backquotes"),
            ("run.sh", format!("X=$'{M}'\n"), "inside $'…'"),
            ("run.sh", format!("X=$(({M} + 1))\n"), "inside $((…))"),
            (
                "app.json",
                format!("{{{M}: 1}}\n"),
                "in a JSON key outside quotes",
            ),
            ("app.toml", format!("{M} = 1\n"), "in a bare TOML key"),
            (
                "setup.cfg",
                format!("[s]\n{M} = 1\n"),
                "in an INI section name or key",
            ),
            (
                "app.xml",
                format!("<a {M}='1'/>\n"),
                "in an XML element or attribute name",
            ),
            (
                "main.tf",
                format!("{M} = 1\n"),
                "in an HCL attribute, block, label or key name",
            ),
        ] {
            let found = found(path, &template);
            assert_eq!(found.len(), 1, "{path}: {template}");
            assert!(found[0].contains(place), "{found:?}");
        }
    }

    #[test]
    fn places_some_value_can_take_are_not() {
        for (path, template) in [
            ("run.sh", format!("X=\"{M}\"\n")),
            ("app.json", format!("{{\"a\": {M}}}\n")),
            ("app.toml", format!("a = {M}\n")),
            ("app.yaml", format!("{M}: 1\n")),
            ("notes", format!("`{M}`\n")),
        ] {
            assert!(found(path, &template).is_empty(), "{path}: {template}");
        }
    }
}
