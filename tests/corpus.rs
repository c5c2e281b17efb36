//! The real-world corpus (fixtures/corpus/realworld, SOURCES.md there): about 1,200 configs full
//! of `{{ }}`, `${{ }}`, `<<: *` and heredocs, and not one mask.

use crate::support::{root, secretmask};

#[test]
fn realworld_corpus_has_no_findings() {
    let corpus = root().join("fixtures/corpus/realworld");
    let output = secretmask().arg("lint").arg(&corpus).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout), "");
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
    assert_eq!(output.status.code(), Some(0));
}
