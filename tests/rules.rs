//! Every built-in rule has a `testdata/rules/<id>/bad` fixture (findings expected, reviewed as
//! snapshots with their exact locations) and a `good` fixture (no finding of that rule).

use std::path::Path;

use driftlens::rules::builtin::catalog;
use driftlens::scan::{scan, ScanOptions};

/// Scans a fixture; a `<fixture>-cluster.json` next to it is passed as the cluster dump.
fn findings_of(rule: &str, dir: &Path) -> Vec<String> {
    let mut opts = ScanOptions::new(dir);
    let dump = dir.with_file_name(format!(
        "{}-cluster.json",
        dir.file_name().and_then(|n| n.to_str()).unwrap_or_default()
    ));
    if dump.is_file() {
        opts.clusters.push(dump);
    }
    let result = scan(&opts).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    result
        .findings
        .iter()
        .filter(|f| f.rule == rule)
        .map(|f| {
            let mut s = format!(
                "{}:{}:{}-{}:{} [{}] {}",
                f.location.path,
                f.location.line,
                f.location.col,
                f.location.end_line,
                f.location.end_col,
                f.severity,
                f.message
            );
            for r in &f.related {
                s.push_str(&format!(
                    "\n    related {}:{}:{}: {}",
                    r.location.path, r.location.line, r.location.col, r.message
                ));
            }
            s
        })
        .collect()
}

#[test]
fn every_rule_fires_on_its_bad_fixture_and_not_on_its_good_one() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/rules");
    for rule in catalog() {
        let id = rule.meta().id.clone();
        let bad = root.join(&id).join("bad");
        let good = root.join(&id).join("good");
        assert!(
            bad.is_dir() && good.is_dir(),
            "rule {id} needs testdata/rules/{id}/{{bad,good}}"
        );
        let found = findings_of(&id, &bad);
        assert!(!found.is_empty(), "{id}: no finding on its bad fixture");
        insta::assert_snapshot!(id.clone(), found.join("\n"));
        let clean = findings_of(&id, &good);
        assert!(
            clean.is_empty(),
            "{id}: findings on its good fixture:\n{}",
            clean.join("\n")
        );
    }
}
