//! A template's plan on arbitrary bytes, as YAML and as told by its content: masks in Secret
//! `data`, encoded masks and spans are found without a panic, and rendering the plan with
//! arbitrary values either is refused or, for a template with no mask at all, gives it back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use secretmask::render::{self, Escape, Format, Plan};
use secretmask::resolve::Value;

fuzz_target!(|data: &[u8]| {
    // Before the first 0xFF byte the template; after it the values, separated by 0xFE.
    let (template, values) = match data.iter().position(|&b| b == 0xFF) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    let values: Vec<String> = values
        .split(|&b| b == 0xFE)
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect();
    for format in [Some(Format::Yaml), None] {
        let plan = Plan::new(template, format);
        let resolved: Vec<_> = (0..plan.len())
            .map(|i| Ok(Value::string(values[i % values.len()].clone())))
            .collect();
        let rendered = render::render_plan(&mut template.to_vec(), &plan, &resolved, Escape::Auto);
        if plan.is_empty() && plan.problems.is_empty() {
            assert_eq!(rendered.as_deref().ok(), Some(template), "no mask, no change");
        }
    }
});
