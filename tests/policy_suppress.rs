//! Suppressions and `.driftlens.yaml`: inline annotations with reasons, config suppressions,
//! rules turned off, per-path overrides, exclusions, `--no-inline-suppressions`, and config
//! errors with their file and line. Fixture: `testdata/policy/suppress/`.

use std::path::PathBuf;

use serde_json::Value;

mod common;
use common::{p, root, run};

fn fixture() -> PathBuf {
    root().join("testdata/policy/suppress")
}

fn json_of(args: &[&str]) -> Value {
    let (_, out, err) = run(args);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"))
}

fn by_file<'a>(v: &'a Value, file: &str) -> Vec<&'a Value> {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["file"] == file)
        .collect()
}

#[test]
fn config_and_annotations_shape_the_findings() {
    let d = fixture();
    let v = json_of(&["scan", p(&d), "--format", "json"]);
    // `secret-mutable: off` drops the rule everywhere.
    assert!(v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .all(|f| f["rule"] != "secret-mutable"));
    // `exclude: [vendor/**]` drops the findings of excluded files.
    assert!(by_file(&v, "vendor/secret.yaml").is_empty());
    // The override re-grades the rule under graded/.
    let graded = by_file(&v, "graded/secret.yaml");
    assert_eq!(graded.len(), 1);
    assert_eq!(graded[0]["severity"], "warning");
    assert_eq!(graded[0]["suppressed"], Value::Null);
    // An annotation with a reason suppresses, and the finding stays visible.
    let inline = by_file(&v, "secrets.yaml");
    assert_eq!(inline.len(), 1);
    assert_eq!(inline[0]["rule"], "secret-plaintext-in-git");
    assert_eq!(inline[0]["suppressed"]["kind"], "inSource");
    assert_eq!(
        inline[0]["suppressed"]["reason"],
        "dummy value for the e2e tests (SEC-7)"
    );
    // A config suppression is `external`, with the config's reason.
    let legacy = by_file(&v, "legacy/secret.yaml");
    assert_eq!(legacy[0]["suppressed"]["kind"], "external");
    assert_eq!(
        legacy[0]["suppressed"]["reason"],
        "legacy test credentials, rotated monthly (SEC-42)"
    );
    assert_eq!(v["summary"]["suppressed"], 2);
}

#[test]
fn suppressed_findings_do_not_fail_the_build_and_are_counted_in_one_line() {
    let d = fixture();
    let (code, out, _) = run(&["scan", p(&d)]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("2 suppressed findings not shown"),
        "one line counts the suppressed findings:\n{out}"
    );
    assert!(!out.contains("secrets.yaml:"), "{out}");
    assert!(
        out.contains("1 finding (0 errors, 1 warning, 0 notes)"),
        "{out}"
    );
    assert_eq!(run(&["scan", p(&d), "--fail-on", "warning"]).0, 1);
}

#[test]
fn auditors_can_ignore_inline_suppressions() {
    let d = fixture();
    let v = json_of(&[
        "scan",
        p(&d),
        "--format",
        "json",
        "--no-inline-suppressions",
    ]);
    assert_eq!(by_file(&v, "secrets.yaml")[0]["suppressed"], Value::Null);
    // Config suppressions still apply: they are reviewed in one place.
    assert_eq!(
        by_file(&v, "legacy/secret.yaml")[0]["suppressed"]["kind"],
        "external"
    );
    assert_eq!(run(&["scan", p(&d), "--no-inline-suppressions"]).0, 1);
}

#[test]
fn an_annotation_without_reason_suppresses_nothing_and_is_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("s.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  annotations:\n    \
         ignore-check.driftlens.io/secret-plaintext-in-git: \"\"\nstringData:\n  k: v\n",
    )
    .expect("write");
    let v = json_of(&["scan", p(dir.path()), "--format", "json"]);
    let f = v["findings"].as_array().expect("findings");
    let plain = f
        .iter()
        .find(|f| f["rule"] == "secret-plaintext-in-git")
        .expect("still reported");
    assert_eq!(plain["suppressed"], Value::Null);
    let why = f
        .iter()
        .find(|f| f["rule"] == "suppression-without-reason")
        .expect("reported");
    assert_eq!(
        (why["line"].as_u64(), why["column"].as_u64()),
        (Some(6), Some(5))
    );
    assert_eq!(run(&["scan", p(dir.path())]).0, 1);
}

#[test]
fn sarif_with_suppressions_is_schema_valid() {
    let (_, out, _) = run(&["scan", p(&fixture()), "--format", "sarif"]);
    let log: Value = serde_json::from_str(&out).expect("JSON");
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("testdata/schemas/sarif-2.1.0.json")).expect("schema"),
    )
    .expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator.iter_errors(&log).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "SARIF schema errors: {errors:?}");
    let results = log["runs"][0]["results"].as_array().expect("results");
    let kinds: Vec<(&str, &str)> = results
        .iter()
        .filter_map(|r| {
            let s = &r["suppressions"][0];
            Some((s["kind"].as_str()?, s["justification"].as_str()?))
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (
                "external",
                "legacy test credentials, rotated monthly (SEC-42)"
            ),
            ("inSource", "dummy value for the e2e tests (SEC-7)")
        ]
    );
}

#[test]
fn config_errors_name_the_file_and_line_and_exit_2() {
    let d = fixture();
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        (
            "rules:\n  secret-mutable: loud\n",
            ":2:",
            "use off, on, error, warning or note",
        ),
        (
            "rules:\n  secret-mutable: off\n  no-such-rule: off\n",
            ":3:",
            "no rule `no-such-rule`",
        ),
        (
            "exclude: [\"a/**\"]\nexcluded: []\n",
            ":2:",
            "unknown field `excluded`",
        ),
        (
            "suppressions:\n  - rule: secret-mutable\n",
            ":2:",
            "non-empty `reason`",
        ),
        (
            "overrides:\n  - paths: [\"[\"]\n    rules: {}\n",
            ":2:",
            "invalid glob",
        ),
        ("rules: [\n", ":", "config"),
    ];
    for (i, (text, line, what)) in cases.iter().enumerate() {
        let file = dir.path().join(format!("c{i}.yaml"));
        std::fs::write(&file, text).expect("write");
        let (code, _, err) = run(&["scan", p(&d), "--config", p(&file)]);
        assert_eq!(code, 2, "{text}: {err}");
        assert!(
            err.contains(&format!("c{i}.yaml{line}")),
            "{text}: no file:line in {err}"
        );
        if *what != "config" {
            assert!(err.contains(what), "{text}: {err}");
        }
    }
    let (code, _, err) = run(&["scan", p(&d), "--config", "/nonexistent/c.yaml"]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/c.yaml"), "{err}");
}

#[test]
fn github_annotations_skip_suppressed_findings() {
    let (_, out, _) = run(&["scan", p(&fixture()), "--format", "github"]);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        out.starts_with("::warning file=graded/secret.yaml,"),
        "{out}"
    );
}
