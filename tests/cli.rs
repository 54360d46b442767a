//! End-to-end tests of the `driftlens` binary: exit codes, formats, schema validity, locations.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn demo() -> PathBuf {
    root().join("testdata/demo/repo")
}

fn demo_dump() -> PathBuf {
    root().join("testdata/demo/cluster/dump.json")
}

fn driftlens() -> Command {
    let mut c = Command::cargo_bin("driftlens").expect("binary");
    c.env("NO_COLOR", "1");
    c
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = driftlens().args(args).output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

#[test]
fn demo_scan_reports_findings_with_exit_code_1() {
    let (code, out, _) = run(&["scan", p(&demo()), "--cluster", p(&demo_dump())]);
    assert_eq!(code, 1, "{out}");
    // The human format shows the offending source line with a label under the field.
    assert!(
        out.contains("apps/shop/frontend-deployment.yaml:9:3"),
        "{out}"
    );
    assert!(out.contains(" 9 |   replicas: 2"), "{out}");
    // The chart is rendered in-process; findings point at its template lines.
    assert!(
        out.contains("charts/reports/templates/deployment.yaml:6:3"),
        "{out}"
    );
    // The overlay's base is a plain folder, which kustomize refuses: an error at its line.
    assert!(out.contains("the kustomization does not build"), "{out}");
    assert!(
        out.contains("overlays/staging/kustomization.yaml:5:1"),
        "{out}"
    );
    assert!(
        out.contains("overlays/staging (Kustomize directory) was not rendered"),
        "{out}"
    );
    assert!(out.contains("2 errors"), "{out}");
}

#[test]
fn fail_on_sets_the_threshold() {
    let d = demo();
    assert_eq!(run(&["scan", p(&d), "--fail-on", "never"]).0, 0);
    assert_eq!(run(&["scan", p(&d), "--fail-on", "note"]).0, 1);
    let good = root().join("testdata/rules/sync-window-annotation/good");
    assert_eq!(run(&["scan", p(&good)]).0, 0);
    assert_eq!(run(&["scan", p(&good), "--fail-on", "note"]).0, 0);
}

#[test]
fn usage_errors_and_nothing_to_scan_exit_2() {
    let (code, _, err) = run(&["scan", "/nonexistent/driftlens-path"]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/driftlens-path"), "{err}");
    let empty = tempfile::tempdir().expect("tempdir");
    std::fs::write(empty.path().join("README.md"), "# nothing here\n").expect("write");
    let (code, _, err) = run(&["scan", p(empty.path())]);
    assert_eq!(code, 2);
    assert!(err.contains("no Kubernetes objects"), "{err}");
    let (code, _, err) = run(&["scan", p(&demo()), "--cluster", "/nonexistent/dump.json"]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/dump.json"), "{err}");
    assert_eq!(run(&["scan", "--format", "xml"]).0, 2);
    assert_eq!(run(&["scan", p(&demo()), "--jobs", "0"]).0, 2);
    assert_eq!(run(&["explain", "no-such-rule"]).0, 2);
}

#[test]
fn output_is_identical_for_any_thread_count() {
    let d = demo();
    let one = run(&["scan", p(&d), "--format", "json", "--jobs", "1"]).1;
    let four = run(&["scan", p(&d), "--format", "json", "--jobs", "4"]).1;
    assert_eq!(one, four);
}

#[test]
fn json_report_follows_schema_version_1() {
    let (_, out, _) = run(&["scan", p(&demo()), "--format", "json"]);
    let v: Value = serde_json::from_str(&out).expect("valid JSON");
    assert_eq!(v["schemaVersion"], 1);
    let findings = v["findings"].as_array().expect("findings");
    assert_eq!(
        v["summary"]["findings"].as_u64(),
        Some(findings.len() as u64)
    );
    let hpa = findings
        .iter()
        .find(|f| f["rule"] == "hpa-replicas-not-ignored")
        .expect("hpa finding");
    assert_eq!(hpa["file"], "apps/shop/frontend-deployment.yaml");
    assert_eq!(hpa["line"], 9);
    assert_eq!(hpa["column"], 3);
    assert_eq!(hpa["object"]["kind"], "Deployment");
    assert_eq!(hpa["pointer"], "/spec/replicas");
    assert_eq!(hpa["related"][0]["file"], "apps/shop/frontend-hpa.yaml");
    // A finding on a rendered chart points at the template line and names the values key.
    let chart = findings
        .iter()
        .find(|f| {
            f["rule"] == "workload-single-replica"
                && f["file"] == "charts/reports/templates/deployment.yaml"
        })
        .expect("a finding on the rendered chart");
    assert_eq!(chart["line"], 6);
    assert_eq!(chart["properties"]["valuesPath"], "replicaCount");
    assert!(chart["message"]
        .as_str()
        .is_some_and(|m| m.contains("`.Values.replicaCount`")));
    assert_eq!(v["units"][0]["dir"], "charts/reports");
    assert_eq!(v["units"][0]["status"], "rendered");
    assert_eq!(v["units"][1]["dir"], "overlays/staging");
    assert_eq!(v["units"][1]["status"], "not-rendered");
}

fn sarif_validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("testdata/schemas/sarif-2.1.0.json")).expect("schema"),
    )
    .expect("schema JSON");
    jsonschema::validator_for(&schema).expect("schema compiles")
}

#[test]
fn sarif_is_schema_valid_and_results_sit_on_the_right_lines() {
    let out = tempfile::tempdir().expect("tempdir");
    let file = out.path().join("findings.sarif");
    let (code, stdout, _) = run(&[
        "scan",
        p(&demo()),
        "--cluster",
        p(&demo_dump()),
        "--format",
        "sarif",
        "--output",
        p(&file),
    ]);
    assert_eq!(code, 1);
    assert!(stdout.is_empty(), "--output must not print the report");
    let log: Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("written")).expect("JSON");
    let validator = sarif_validator();
    let errors: Vec<String> = validator.iter_errors(&log).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "SARIF schema errors: {errors:?}");
    let run0 = &log["runs"][0];
    let rules = run0["tool"]["driver"]["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), driftlens::rules::builtin::catalog().len());
    for r in rules {
        assert!(r["shortDescription"]["text"].is_string());
        assert!(r["fullDescription"]["text"].is_string());
        assert!(r["help"]["markdown"]
            .as_str()
            .is_some_and(|h| h.contains("## Why it matters")));
        assert!(r["defaultConfiguration"]["level"].is_string());
    }
    let results = run0["results"].as_array().expect("results");
    let at = |rule: &str| {
        results
            .iter()
            .find(|r| r["ruleId"] == rule)
            .map(|r| {
                let loc = &r["locations"][0]["physicalLocation"];
                (
                    loc["artifactLocation"]["uri"]
                        .as_str()
                        .unwrap_or("")
                        .to_string(),
                    loc["region"]["startLine"].as_u64().unwrap_or(0),
                )
            })
            .unwrap_or_default()
    };
    assert_eq!(
        at("hpa-replicas-not-ignored"),
        ("apps/shop/frontend-deployment.yaml".into(), 9)
    );
    assert_eq!(
        at("secret-plaintext-in-git"),
        ("apps/shop/db-secret.yaml".into(), 6)
    );
    assert_eq!(
        at("sync-window-annotation"),
        ("apps/shop/cleanup-cronjob.yaml".into(), 6)
    );
    assert_eq!(
        at("ignore-differences-not-respected"),
        ("argocd/app-shop.yaml".into(), 17)
    );
    for r in results {
        assert_eq!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"],
            "%SRCROOT%"
        );
        assert!(r["partialFingerprints"]["driftlens/v1"].is_string());
    }
}

#[test]
fn sarif_fingerprints_survive_unrelated_line_moves() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = root().join("testdata/rules/hpa-replicas-not-ignored/bad");
    let copy = |from: &Path, to: &Path| {
        for e in walk(from) {
            let rel = e.strip_prefix(from).expect("prefix");
            let dest = to.join(rel);
            std::fs::create_dir_all(dest.parent().expect("parent")).expect("mkdir");
            std::fs::copy(&e, &dest).expect("copy");
        }
    };
    copy(&src, dir.path());
    let fp = |d: &Path| -> Vec<(String, u64, String)> {
        let (_, out, _) = run(&["scan", p(d), "--format", "sarif"]);
        let v: Value = serde_json::from_str(&out).expect("JSON");
        v["runs"][0]["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| {
                (
                    r["partialFingerprints"]["driftlens/v1"]
                        .as_str()
                        .unwrap_or("")
                        .to_string(),
                    r["locations"][0]["physicalLocation"]["region"]["startLine"]
                        .as_u64()
                        .unwrap_or(0),
                    r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                        .as_str()
                        .unwrap_or("")
                        .to_string(),
                )
            })
            .collect()
    };
    let before = fp(dir.path());
    let deploy = dir.path().join("web/deploy.yaml");
    let text = std::fs::read_to_string(&deploy).expect("read");
    std::fs::write(&deploy, format!("# a comment\n# another one\n{text}")).expect("write");
    let after = fp(dir.path());
    assert_eq!(before.len(), after.len());
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b.0, a.0, "fingerprint changed");
        // Only findings in the edited file move; others (e.g. on app.yaml) stay put.
        let shift = if a.2 == "web/deploy.yaml" { 2 } else { 0 };
        assert_eq!(a.1, b.1 + shift, "line did not move");
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).expect("readdir").flatten() {
            let path = e.path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

#[test]
fn github_format_emits_workflow_commands() {
    let (_, out, _) = run(&["scan", p(&demo()), "--format", "github"]);
    assert!(out.lines().all(|l| l.starts_with("::")), "{out}");
    assert!(out.contains(
        "::warning file=apps/shop/frontend-deployment.yaml,line=9,col=3,endLine=9,endColumn=11,title=driftlens hpa-replicas-not-ignored::"
    ), "{out}");
    assert!(
        out.contains("::error file=apps/shop/db-secret.yaml,line=6"),
        "{out}"
    );
    assert!(
        out.contains("::notice file=apps/shop/db-secret.yaml"),
        "{out}"
    );
}

#[test]
fn rules_and_explain() {
    let (code, out, _) = run(&["rules"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("ID "));
    assert!(
        out.lines().any(|l| l.split_whitespace().take(3).eq([
            "hpa-replicas-not-ignored",
            "warning",
            "drift-risk"
        ])),
        "{out}"
    );
    let (_, json, _) = run(&["rules", "--format", "json", "--category", "security"]);
    let v: Value = serde_json::from_str(&json).expect("JSON");
    let ids: Vec<&str> = v
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    // The filter keeps exactly the security rules, sorted by id; the catalog grows, so check
    // membership rather than the whole list.
    assert!(
        v.as_array()
            .expect("list")
            .iter()
            .all(|r| r["category"] == "security"),
        "{json}"
    );
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    for id in ["secret-mutable", "secret-plaintext-in-git"] {
        assert!(ids.contains(&id), "{ids:?}");
    }
    let (code, out, _) = run(&["explain", "unknown-sync-option"]);
    assert_eq!(code, 0);
    assert!(out.contains("SkipHooks"), "{out}");
}

/// A canary planted in Secret `data` (base64), `stringData`, a block scalar, a List item, a
/// last-applied annotation, a broken Secret file, a chart helper (`include`), a chart's values
/// file and a cluster dump must not appear in any output format, plain or base64.
#[test]
fn secret_canary_never_appears_in_any_output() {
    let canary = "CANARY-7f3a9c1e-do-not-print";
    let canary_b64 = "Q0FOQVJZLTdmM2E5YzFlLWRvLW5vdC1wcmludA==";
    let repo = root().join("testdata/canary/repo");
    let dump = root().join("testdata/canary/cluster/dump.json");
    let src = std::fs::read_to_string(repo.join("secrets.yaml")).expect("fixture");
    assert!(
        src.contains(canary) && src.contains(canary_b64),
        "the fixture must hold the canary"
    );
    for format in ["human", "json", "sarif", "github", "markdown", "html"] {
        for color in [false, true] {
            let mut cmd = driftlens();
            if color {
                cmd.env_remove("NO_COLOR");
            }
            let out = cmd
                .args([
                    "scan",
                    p(&repo),
                    "--cluster",
                    p(&dump),
                    "--format",
                    format,
                    "--fail-on",
                    "never",
                ])
                .output()
                .expect("runs");
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(!all.is_empty());
            for needle in [canary, canary_b64, "7f3a9c1e"] {
                assert!(
                    !all.contains(needle),
                    "{format}: output contains the canary:\n{all}"
                );
            }
        }
    }
}

#[test]
fn kustomize_build_prints_what_kustomize_prints() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = dir.path().join("base");
    std::fs::create_dir_all(&base).expect("mkdir");
    std::fs::write(
        base.join("kustomization.yaml"),
        "commonLabels:\n  app: web\nnamePrefix: p-\nresources: [cm.yaml]\n\
         configMapGenerator:\n- name: gen\n  literals: [a=1]\n",
    )
    .expect("write");
    std::fs::write(
        base.join("cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  on: yes\n",
    )
    .expect("write");
    let (code, out, err) = run(&["kustomize", "build", p(&base)]);
    assert_eq!(code, 0, "{err}");
    // Recorded from `kubectl kustomize` (kustomize v5.6).
    assert_eq!(
        out,
        "apiVersion: v1\ndata:\n  \"on\": \"yes\"\nkind: ConfigMap\nmetadata:\n  labels:\n    app: web\n  \
         name: p-c\n---\napiVersion: v1\ndata:\n  a: \"1\"\nkind: ConfigMap\nmetadata:\n  labels:\n    \
         app: web\n  name: p-gen-h29d89cmmt\n"
    );
    assert!(err.contains("'commonLabels' is deprecated"), "{err}");

    std::fs::write(
        base.join("kustomization.yaml"),
        "resources: [missing.yaml]\n",
    )
    .expect("write");
    let (code, out, err) = run(&["kustomize", "build", p(&base)]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(
        err.starts_with("Error: accumulating resources: accumulation err='accumulating resources from 'missing.yaml'"),
        "{err}"
    );

    let (code, _, err) = run(&[
        "kustomize",
        "build",
        p(&base),
        "--load-restrictor",
        "Sometimes",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("legal values"), "{err}");
}

/// The findings of the demo, from the JSON format.
fn demo_findings(extra: &[&str]) -> (i32, Vec<Value>, String) {
    let (repo, dump) = (demo(), demo_dump());
    let mut args = vec!["scan", p(&repo), "--cluster", p(&dump), "--format", "json"];
    args.extend_from_slice(extra);
    let (code, out, err) = run(&args);
    let v: Value = serde_json::from_str(&out).unwrap_or(Value::Null);
    let findings = v["findings"].as_array().cloned().unwrap_or_default();
    (code, findings, err)
}

#[test]
fn severity_rule_and_category_filters_apply_to_every_format() {
    let (_, all, err) = demo_findings(&[]);
    assert!(!err.contains("not shown"), "{err}");
    let sev = |f: &Value| f["severity"].as_str().unwrap_or("").to_string();
    let rule = |f: &Value| {
        f["ruleId"]
            .as_str()
            .or(f["rule"].as_str())
            .unwrap_or("")
            .to_string()
    };
    assert!(all.iter().any(|f| sev(f) == "error") && all.iter().any(|f| sev(f) != "error"));

    // --severity: the minimum shown; the others are counted on standard error.
    let (code, errors, err) = demo_findings(&["--severity", "error"]);
    assert_eq!(code, 1);
    assert!(!errors.is_empty() && errors.iter().all(|f| sev(f) == "error"));
    let hidden = all.len() - errors.len();
    assert!(
        err.contains(&format!("{hidden} findings not shown (--severity error)")),
        "{err}"
    );

    // --rule (repeatable) and --skip-rule.
    let first = rule(&all[0]);
    let (_, only, _) = demo_findings(&["--rule", &first]);
    assert!(!only.is_empty() && only.iter().all(|f| rule(f) == first));
    let (_, skipped, _) = demo_findings(&["--skip-rule", &first]);
    assert_eq!(skipped.len() + only.len(), all.len());
    assert!(skipped.iter().all(|f| rule(f) != first));
    let (code, _, err) = demo_findings(&["--rule", "no-such-rule"]);
    assert_eq!(code, 2);
    assert!(err.contains("no rule `no-such-rule`"), "{err}");

    // --category; hiding every error also changes the exit code.
    let (_, security, _) = demo_findings(&["--category", "security"]);
    assert!(security.iter().all(|f| f["category"] == "security"));
    let (code, _, _) = demo_findings(&["--severity", "error", "--skip-rule", &first]);
    let errors_left = errors.iter().filter(|f| rule(f) != first).count();
    assert_eq!(code, i32::from(errors_left > 0));

    // The human format ends with the per-rule table, the line of what was hidden, the summary
    // and the coverage line.
    let (_, out, _) = run(&[
        "scan",
        p(&demo()),
        "--cluster",
        p(&demo_dump()),
        "--severity",
        "error",
    ]);
    assert!(
        out.contains(&format!("{hidden} findings not shown (--severity error)")),
        "{out}"
    );
    let table_start = out.find("RULE ").expect("rule table");
    let row = &out[table_start..].lines().nth(1).unwrap_or("");
    assert!(row.contains(" error "), "{out}");
}

#[test]
fn human_output_ends_with_a_rule_table() {
    let (_, all, _) = demo_findings(&[]);
    let (_, out, _) = run(&["scan", p(&demo()), "--cluster", p(&demo_dump())]);
    let start = out.find("\nRULE ").expect("rule table") + 1;
    let rows: Vec<&str> = out[start..]
        .lines()
        .skip(1)
        .take_while(|l| !l.contains(" in ") && !l.contains("finding"))
        .collect();
    let total: usize = rows
        .iter()
        .map(|r| {
            r.split_whitespace()
                .last()
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(0)
        })
        .sum();
    assert_eq!(total, all.len(), "{out}");
}

#[test]
fn audit_reports_open_with_the_applications() {
    let (_, md, _) = run(&[
        "scan",
        p(&demo()),
        "--cluster",
        p(&demo_dump()),
        "--format",
        "markdown",
    ]);
    let apps = md.find("## Applications").expect("Applications table");
    assert!(apps < md.find("## Findings").expect("findings"), "{md}");
    assert!(md.contains("| Application | sync | health | top cause | coverage |"));
    let rows: Vec<&str> = md[apps..]
        .lines()
        .skip(4)
        .take_while(|l| l.starts_with('|'))
        .collect();
    assert!(!rows.is_empty(), "{md}");
    assert!(
        rows.iter()
            .any(|r| r.contains("OutOfSync") || r.contains("Synced")),
        "{md}"
    );
    assert!(
        rows.iter().any(|r| r.contains("Healthy")
            || r.contains("Progressing")
            || r.contains("Missing")
            || r.contains("Degraded")),
        "{md}"
    );
    let (_, html, _) = run(&[
        "scan",
        p(&demo()),
        "--cluster",
        p(&demo_dump()),
        "--format",
        "html",
    ]);
    let states = html.find("id=\"states\"").expect("Applications table");
    assert!(states < html.find("id=\"findings\"").expect("findings"));
    // Without a dump, the table says what the checkout alone tells.
    let (_, md, _) = run(&["scan", p(&demo()), "--format", "markdown"]);
    assert!(
        md.contains("| Application | sync | health | top cause | coverage |"),
        "{md}"
    );
    assert!(md.contains("| - | - | - | analysed ("), "{md}");
}
