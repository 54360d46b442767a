//! Data rules: a repository's own rules in `.driftlens/rules/`, `--rules DIR`, their locations,
//! `$index`, listing and explaining them, SARIF metadata, and errors in rule files (file:line,
//! exit 2, including the time budget of a jq condition).

use std::path::PathBuf;

use assert_cmd::Command;
use serde_json::Value;

mod common;
use common::{p, root};

fn policy(dir: &str) -> PathBuf {
    root().join("testdata/policy").join(dir)
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("driftlens")
        .expect("binary")
        .env("NO_COLOR", "1")
        .current_dir(root())
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn repository_and_extra_rules_fire_at_the_right_place() {
    let (_, out, err) = run(&[
        "scan",
        p(&policy("datarules")),
        "--rules",
        p(&policy("extra-rules")),
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
    let at = |rule: &str| -> Vec<(String, u64, u64, String)> {
        v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["rule"] == rule)
            .map(|f| {
                (
                    f["file"].as_str().unwrap_or("").to_string(),
                    f["line"].as_u64().unwrap_or(0),
                    f["column"].as_u64().unwrap_or(0),
                    f["message"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    // From .driftlens/rules/: only `web` lacks the label; the pointer is its labels key.
    assert_eq!(
        at("team-label-required"),
        [(
            "apps/web.yaml".to_string(),
            6,
            3,
            "Deployment `web` in `shop` has no `team` label; add one so alerts reach an owner"
                .to_string()
        )]
    );
    // From --rules, using $index: only `api` is scaled by an HPA.
    assert_eq!(
        at("scaled-workload-pins-replicas"),
        [(
            "apps/web.yaml".to_string(),
            29,
            3,
            "Deployment `api` sets `spec.replicas: 3` but an HPA scales it".to_string()
        )]
    );
    let f = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule"] == "team-label-required")
        .expect("finding");
    assert_eq!(f["severity"], "warning");
    assert_eq!(f["category"], "reliability");
    assert_eq!(f["pointer"], "/metadata/labels");
}

#[test]
fn match_selects_by_labels_and_annotations_before_the_condition() {
    let (_, out, err) = run(&["scan", p(&policy("match")), "--format", "json"]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
    let found: Vec<(String, u64, String)> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "owner-is-a-team")
        .map(|f| {
            (
                f["file"].as_str().unwrap_or("").to_string(),
                f["line"].as_u64().unwrap_or(0),
                f["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    // `search` has no owner annotation: were it selected, its condition would fail on null
    // and the scan would exit with 2.
    assert_eq!(
        found,
        [(
            "workloads.yaml".to_string(),
            8,
            "Deployment `orders` is owned by `alice`; name a team".to_string()
        )],
        "{err}"
    );
}

#[test]
fn sarif_describes_user_rules_with_their_file() {
    let (_, out, _) = run(&[
        "scan",
        p(&policy("datarules")),
        "--format",
        "sarif",
        "--fail-on",
        "never",
    ]);
    let log: Value = serde_json::from_str(&out).expect("JSON");
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    let user = rules
        .iter()
        .find(|r| r["id"] == "team-label-required")
        .expect("user rule listed");
    // helpUri must be an absolute URI: a user rule names its file in a property instead.
    assert_eq!(user["helpUri"], Value::Null);
    assert_eq!(
        user["properties"]["ruleFile"],
        ".driftlens/rules/team-label.yaml"
    );
    assert!(user["help"]["markdown"]
        .as_str()
        .is_some_and(|h| h.contains("## What it checks")));
    let builtin = rules
        .iter()
        .find(|r| r["id"] == "secret-mutable")
        .expect("built-in data rule listed");
    assert!(builtin["helpUri"]
        .as_str()
        .is_some_and(|u| u.ends_with("rules/secret-mutable.md")));
    assert!(builtin["help"]["markdown"]
        .as_str()
        .is_some_and(|h| h.contains("## Why it matters")));
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("testdata/schemas/sarif-2.1.0.json")).expect("schema"),
    )
    .expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator.iter_errors(&log).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "SARIF schema errors: {errors:?}");
}

#[test]
fn rules_and_explain_include_data_and_user_rules() {
    let extra = policy("extra-rules");
    let (code, out, _) = run(&["rules", "--format", "json", "--rules", p(&extra)]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).expect("JSON");
    let find = |id: &str| {
        v.as_array()
            .expect("list")
            .iter()
            .find(|r| r["id"] == id)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(find("secret-mutable")["origin"], "builtin");
    assert_eq!(
        find("sync-window-annotation")["doc"],
        "rules/sync-window-annotation.md"
    );
    assert_eq!(find("scaled-workload-pins-replicas")["origin"], "user");
    let (_, table, _) = run(&["rules", "--rules", p(&extra)]);
    assert!(table.contains("scaled-workload-pins-replicas"), "{table}");
    let (code, out, _) = run(&["explain", "secret-mutable"]);
    assert_eq!(code, 0);
    assert!(out.contains("## Why it matters"), "{out}");
    let (code, out, _) = run(&[
        "explain",
        "scaled-workload-pins-replicas",
        "--rules",
        p(&extra),
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("defined in"), "{out}");
    assert!(
        out.contains("A Deployment scaled by an HPA sets spec.replicas"),
        "{out}"
    );
}

#[test]
fn broken_user_rules_name_file_and_line_and_exit_2() {
    let repo = policy("datarules");
    let cases = [
        ("unknown-field", "r.yaml:7:", "unknown field `severty`"),
        ("bad-jq", "r.yaml:6:", "does not compile"),
        ("bad-template", "r.yaml:6:", "template does not parse"),
    ];
    for (dir, at, what) in cases {
        let (code, _, err) = run(&[
            "scan",
            p(&repo),
            "--rules",
            p(&policy("bad-rules").join(dir)),
        ]);
        assert_eq!(code, 2, "{dir}: {err}");
        assert!(err.contains(at), "{dir}: no `{at}` in {err}");
        assert!(err.contains(what), "{dir}: no `{what}` in {err}");
    }
    // A rule that loads but fails on objects is a `rule-error` finding at its line: the scan
    // still reports everything else.
    for (dir, line, what) in [
        ("runtime-template", 6, "apps/web.yaml:2"),
        ("slow", 5, "exceeded its budget"),
    ] {
        let rules = policy("bad-rules").join(dir);
        let (code, out, err) = run(&["scan", p(&repo), "--rules", p(&rules), "--format", "json"]);
        assert_eq!(code, 1, "{dir}: {err}");
        let v: Value = serde_json::from_str(&out).expect("JSON");
        let failures: Vec<&Value> = v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["rule"] == "rule-error")
            .collect();
        assert_eq!(failures.len(), 1, "{dir}: {out}");
        let f = failures[0];
        assert_eq!(f["line"], line, "{dir}: {f}");
        assert!(
            f["file"].as_str().is_some_and(|p| p.ends_with("r.yaml")),
            "{f}"
        );
        let message = f["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("rule `oops`") && message.contains(what),
            "{dir}: {message}"
        );
    }
    // Invalid YAML and unknown `match` fields are located too.
    let dir = tempfile::tempdir().expect("tempdir");
    for (text, at, what) in [
        ("id: x\nseverity: [note\n", "y.yaml:", "y.yaml"),
        (
            "id: x\nseverity: note\ncategory: security\nsummary: s\ncondition: 'true'\nmessage: m\nmatch:\n  kinds: [Secret]\n",
            "y.yaml:8:",
            "unknown field `kinds` in `match`",
        ),
        (
            "id: x\nseverity: note\ncategory: security\nsummary: s\ncondition: 'true'\nmessage: m\nmatch:\n  annotations: [a]\n",
            "y.yaml:8:",
            "`match.annotations` must map annotation names",
        ),
        (
            "id: X_1\nseverity: note\ncategory: security\nsummary: s\ncondition: 'true'\nmessage: m\n",
            "y.yaml:1:",
            "kebab-case",
        ),
        (
            "id: x\nseverity: loud\ncategory: security\nsummary: s\ncondition: 'true'\nmessage: m\n",
            "y.yaml:2:",
            "unknown severity",
        ),
    ] {
        std::fs::write(dir.path().join("y.yaml"), text).expect("write");
        let (code, _, err) = run(&["scan", p(&repo), "--rules", p(dir.path())]);
        assert_eq!(code, 2, "{text}: {err}");
        assert!(err.contains(at) && err.contains(what), "{text}: {err}");
    }
    std::fs::remove_file(dir.path().join("y.yaml")).expect("rm");
    // A user rule cannot take a built-in id.
    std::fs::write(
        dir.path().join("dup.yaml"),
        "id: secret-mutable\nseverity: note\ncategory: security\nsummary: s\ncondition: 'true'\nmessage: m\n",
    )
    .expect("write");
    let (code, _, err) = run(&["scan", p(&repo), "--rules", p(dir.path())]);
    assert_eq!(code, 2);
    assert!(
        err.contains("dup.yaml:1:") && err.contains("already taken"),
        "{err}"
    );
}

#[test]
fn conditions_and_messages_see_the_deploying_applications() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("deployed.yaml"),
        "id: deployed-secret\nseverity: note\ncategory: security\nsummary: s\n\
         match: {kind: Secret}\n\
         condition: '$apps | map(.metadata.name) | index(\"shop\") != null'\n\
         message: \"{{ kind }} {{ name }} is deployed by {{ apps | join(', ') }}\"\n",
    )
    .expect("write");
    let (_, out, err) = run(&[
        "scan",
        p(&root().join("testdata/demo/repo")),
        "--rules",
        p(dir.path()),
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
    let messages: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "deployed-secret")
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert_eq!(messages, ["Secret shop-db is deployed by shop"]);
}
