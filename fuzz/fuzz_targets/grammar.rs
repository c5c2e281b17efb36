//! The scanner, parser and lint on arbitrary bytes: no panic, spans inside the input, and every
//! valid mask prints back to the text it was parsed from.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    for candidate in secretmask::grammar::scan(bytes) {
        match candidate {
            Ok(mask) => {
                assert!(mask.span.end <= bytes.len());
                let reparsed = secretmask::grammar::scan(mask.to_string().as_bytes());
                assert_eq!(reparsed.len(), 1);
                assert_eq!(reparsed[0].as_ref().ok(), Some(&secretmask::Mask { span: secretmask::source::Span::new(0, mask.span.len() - (mask.span.len() - mask.to_string().len())), ..mask.clone() }));
            }
            Err(error) => assert!(error.span.end <= bytes.len() && error.mask.end <= bytes.len()),
        }
    }
    let _ = secretmask::lint::files::lint_bytes("fuzz", bytes);
});
