//! Every rule skips fields of unexpected shapes instead of panicking (the manifests of real
//! repositories are often half-written).

use std::path::Path;

use driftlens::scan::{scan, ScanOptions};

#[test]
fn odd_shapes_do_not_panic_any_rule() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/robustness");
    let result = scan(&ScanOptions::new(&dir)).expect("scans");
    assert!(!result.findings.is_empty());
    // The credential-like literal is a number here: still never printed as a finding value.
    assert!(result
        .findings
        .iter()
        .all(|f| !f.message.contains("12345678") && !f.message.contains("ünïcode-value")));
}
