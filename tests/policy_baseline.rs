//! `--baseline`: findings already in a previous JSON or SARIF report are `unchanged` and do not
//! fail the build, new ones are `new`, fixed ones are `absent`; matching survives line moves,
//! and the SARIF log stays schema-valid.

use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;
use common::{p, root, run};

fn copy_tree(from: &Path, to: &Path) {
    let mut todo = vec![from.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).expect("readdir").flatten() {
            let path = e.path();
            let dest = to.join(path.strip_prefix(from).expect("prefix"));
            if path.is_dir() {
                std::fs::create_dir_all(&dest).expect("mkdir");
                todo.push(path);
            } else {
                std::fs::copy(&path, &dest).expect("copy");
            }
        }
    }
}

fn sarif_errors(log: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("testdata/schemas/sarif-2.1.0.json")).expect("schema"),
    )
    .expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    validator.iter_errors(log).map(|e| e.to_string()).collect()
}

/// A copy of the demo (which fails with its plaintext Secret) and a baseline of it.
fn demo_with_baseline(format: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(&repo).expect("mkdir");
    copy_tree(&root().join("testdata/demo/repo"), &repo);
    let baseline = dir.path().join(format!("baseline.{format}"));
    let (code, _, err) = run(&[
        "scan",
        p(&repo),
        "--format",
        format,
        "--output",
        p(&baseline),
    ]);
    assert_eq!(code, 1, "{err}");
    (dir, baseline)
}

#[test]
fn known_findings_are_unchanged_and_do_not_fail_even_after_line_moves() {
    for format in ["json", "sarif"] {
        let (dir, baseline) = demo_with_baseline(format);
        let repo = dir.path().join("repo");
        // Move every line of two files that hold findings.
        for f in [
            "apps/shop/db-secret.yaml",
            "apps/shop/frontend-deployment.yaml",
        ] {
            let path = repo.join(f);
            let text = std::fs::read_to_string(&path).expect("read");
            std::fs::write(&path, format!("# moved\n# by a comment\n{text}")).expect("write");
        }
        let (code, out, err) = run(&["scan", p(&repo), "--baseline", p(&baseline)]);
        assert_eq!(code, 0, "{format}: {out}{err}");
        assert!(out.contains("unchanged (not shown), 0 fixed"), "{out}");
        let (_, json, _) = run(&[
            "scan",
            p(&repo),
            "--baseline",
            p(&baseline),
            "--format",
            "json",
        ]);
        let v: Value = serde_json::from_str(&json).expect("JSON");
        let findings = v["findings"].as_array().expect("findings");
        assert!(!findings.is_empty());
        assert!(
            findings.iter().all(|f| f["baselineState"] == "unchanged"),
            "{format}: {json}"
        );
        let secret = findings
            .iter()
            .find(|f| f["rule"] == "secret-plaintext-in-git")
            .expect("secret finding");
        assert_eq!(secret["line"], 8, "the finding moved with its line");
        assert_eq!(v["summary"]["new"], 0);
        assert_eq!(v["absent"], Value::Array(vec![]));
    }
}

#[test]
fn new_findings_fail_and_fixed_ones_are_absent_in_json_and_sarif() {
    let (dir, baseline) = demo_with_baseline("sarif");
    let repo = dir.path().join("repo");
    // Fix: remove the CronJob with the sync-window annotation. New: a second plaintext Secret.
    std::fs::remove_file(repo.join("apps/shop/cleanup-cronjob.yaml")).expect("rm");
    std::fs::write(
        repo.join("apps/shop/new-secret.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: fresh\nimmutable: true\nstringData:\n  k: v\n",
    )
    .expect("write");
    let (code, json, err) = run(&[
        "scan",
        p(&repo),
        "--baseline",
        p(&baseline),
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{err}");
    let v: Value = serde_json::from_str(&json).expect("JSON");
    let new: Vec<&Value> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["baselineState"] == "new")
        .collect();
    assert_eq!(new.len(), 1, "{json}");
    assert_eq!(new[0]["file"], "apps/shop/new-secret.yaml");
    let absent = v["absent"].as_array().expect("absent");
    assert!(
        absent.iter().any(|a| a["rule"] == "sync-window-annotation"
            && a["file"] == "apps/shop/cleanup-cronjob.yaml"),
        "{json}"
    );
    assert_eq!(v["summary"]["absent"].as_u64(), Some(absent.len() as u64));

    let (_, sarif, _) = run(&[
        "scan",
        p(&repo),
        "--baseline",
        p(&baseline),
        "--format",
        "sarif",
    ]);
    let log: Value = serde_json::from_str(&sarif).expect("JSON");
    let errors = sarif_errors(&log);
    assert!(errors.is_empty(), "SARIF schema errors: {errors:?}");
    let results = log["runs"][0]["results"].as_array().expect("results");
    let state = |s: &str| results.iter().filter(|r| r["baselineState"] == s).count();
    assert_eq!(state("new"), 1);
    assert_eq!(state("absent"), absent.len());
    assert_eq!(
        state("unchanged") + state("new") + state("absent"),
        results.len()
    );
    // A SARIF log with absent results is itself a valid baseline: absent entries are skipped.
    let again = dir.path().join("again.sarif");
    std::fs::write(&again, &sarif).expect("write");
    let (code, _, err) = run(&["scan", p(&repo), "--baseline", p(&again)]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn an_unreadable_baseline_exits_2_with_its_path() {
    let demo = root().join("testdata/demo/repo");
    let (code, _, err) = run(&["scan", p(&demo), "--baseline", "/nonexistent/b.json"]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/b.json"), "{err}");
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("b.json");
    std::fs::write(&bad, "{\n  \"findings\": [\n}").expect("write");
    let (code, _, err) = run(&["scan", p(&demo), "--baseline", p(&bad)]);
    assert_eq!(code, 2);
    assert!(err.contains("b.json:3:"), "{err}");
}
