//! The render path on arbitrary templates and values in every format: no panic, and a render
//! either is refused whole or gives a document in which no mask or placeholder is left and, for
//! a template without masks, every byte is the template's.
#![no_main]

use libfuzzer_sys::fuzz_target;
use secretmask::render::{self, Escape, Format};
use secretmask::resolve::{Kind, Value};

const FORMATS: &[Format] = Format::ALL;

const KINDS: [Kind; 4] = [Kind::String, Kind::Number, Kind::Bool, Kind::Null];

fuzz_target!(|data: &[u8]| {
    // The first byte picks the format and the values' kind; the rest is the template and,
    // after the first 0xFF byte, the values, separated by 0xFE.
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let format = FORMATS[usize::from(pick) % FORMATS.len()];
    let kind = KINDS[usize::from(pick / 8) % KINDS.len()];
    let (template, values) = match rest.iter().position(|&b| b == 0xFF) {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &[][..]),
    };
    let values: Vec<String> = values
        .split(|&b| b == 0xFE)
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect();
    let masks: Vec<_> = secretmask::grammar::scan(template)
        .into_iter()
        .filter_map(Result::ok)
        .collect();
    let resolved: Vec<_> = (0..masks.len())
        .map(|i| {
            let text = values.get(i % values.len().max(1)).cloned().unwrap_or_default();
            Ok(Value::new(text.into(), kind))
        })
        .collect();
    for escape in [Escape::Auto, Escape::None] {
        let Ok(out) = render::render(template, &masks, &resolved, format, escape) else {
            continue;
        };
        if masks.is_empty() {
            assert_eq!(out, template);
        }
        let placeholder = |bytes: &[u8]| memchr::memmem::find(bytes, b"SMq").is_some();
        if escape == Escape::Auto && !placeholder(template) {
            assert!(
                !placeholder(&out) || values.iter().any(|v| v.contains("SMq")),
                "a placeholder leaked into the output"
            );
        }
    }
});
