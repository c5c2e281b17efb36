//! The scanner, parser and lint on arbitrary bytes: no panic, spans inside the input, and every
//! valid mask prints back to the text it was parsed from.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    for candidate in secretmask::grammar::scan(bytes) {
        match candidate {
            Ok(mask) => {
                assert!(mask.span.end <= bytes.len());
                // The canonical text may escape the key differently, so compare parsed masks.
                let text = mask.to_string();
                let reparsed = secretmask::grammar::scan(text.as_bytes());
                let expected = secretmask::Mask {
                    span: secretmask::source::Span::new(0, text.len()),
                    ..mask.clone()
                };
                assert_eq!(reparsed.len(), 1);
                assert_eq!(reparsed[0].as_ref().ok(), Some(&expected));
            }
            Err(error) => assert!(error.span.end <= bytes.len() && error.mask.end <= bytes.len()),
        }
    }
    let _ = secretmask::lint::files::lint_bytes("fuzz", bytes);
});
