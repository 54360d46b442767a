//! Class 5: costs that grow faster than the input. Each case used to take minutes or
//! gigabytes; here it must finish within the harness's wall-time and memory bounds.

use std::fmt::Write as _;

use crate::harness::{p, run, write};

/// A ConfigMap and a Secret with 100,000 keys each: looking up every key's line went through a
/// linear search per key (quadratic).
#[test]
fn objects_with_very_many_keys_are_linear() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    let mut cm = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n");
    let mut secret =
        String::from("apiVersion: v1\nkind: Secret\nmetadata:\n  name: big\nstringData:\n");
    for i in 0..100_000 {
        let _ = writeln!(cm, "  key{i}: value{i}");
        let _ = writeln!(secret, "  pw{i}: s3cret-{i:08}");
    }
    write(&repo, "cm.yaml", &cm);
    write(&repo, "secret.yaml", &secret);
    let o = run(&["scan", p(&repo), "--fail-on", "never", "--format", "human"]);
    o.expect(0);
    assert!(!o.stdout.contains("s3cret-00012345"), "a value was printed");
}
