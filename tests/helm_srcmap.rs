//! Findings on rendered chart objects point into the helper that wrote the line, keep the
//! `include` call site, name the values key through variables, `with`, `include` and `toYaml`,
//! and point at the line of the values input that set it, in every report format.

mod common;

use common::{p, root, run, write};
use serde_json::Value;

fn fixture() -> std::path::PathBuf {
    root().join("testdata/srcmap/repo")
}

fn json_findings() -> Vec<Value> {
    let (_, out, err) = run(&[
        "scan",
        p(&fixture()),
        "--format",
        "json",
        "--fail-on",
        "never",
    ]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    v["findings"].as_array().cloned().unwrap_or_default()
}

fn finding<'a>(all: &'a [Value], rule: &str, app: &str) -> &'a Value {
    all.iter()
        .find(|f| f["rule"] == rule && f["object"]["name"] == app)
        .unwrap_or_else(|| panic!("no {rule} finding on {app}"))
}

/// The related locations as `file:line: message`.
fn related(f: &Value) -> Vec<String> {
    f["related"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|r| {
                    format!(
                        "{}:{}: {}",
                        r["file"].as_str().unwrap_or(""),
                        r["line"],
                        r["message"].as_str().unwrap_or("")
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_field_written_by_a_helper_points_at_the_helper_line() {
    let all = json_findings();
    let f = finding(&all, "container-privileged", "web");
    assert_eq!(f["file"], "charts/web/templates/_helpers.tpl");
    assert_eq!(f["line"], 9);
    assert_eq!(f["properties"]["valuesPath"], "securityContext.privileged");
    assert_eq!(
        related(f),
        vec![
            "charts/web/templates/deployment.yaml:22: the line comes from template \
             `web.securityContext`, called here",
            "charts/web/values-prod.yaml:3: `.Values.securityContext.privileged` is set here, \
             in a value file of Application `web`",
        ]
    );
    // The same chart rendered for another Application: its own values input.
    let canary = finding(&all, "container-privileged", "web-canary");
    assert_eq!(
        related(canary)[1],
        "argocd/app-web-canary.yaml:18: `.Values.securityContext.privileged` is set here, in \
         the inline Helm values of Application `web-canary`"
    );
    // `toYaml` of a values section inside `with`, inside the helper: each line names its key,
    // set by the chart's defaults.
    let caps = finding(&all, "container-dangerous-capabilities", "web");
    assert_eq!(
        (caps["file"].as_str(), caps["line"].as_u64()),
        (Some("charts/web/templates/_helpers.tpl"), Some(12))
    );
    assert_eq!(
        caps["properties"]["valuesPath"],
        "securityContext.capabilities.add[1]"
    );
    assert_eq!(
        related(caps)[1],
        "charts/web/values.yaml:10: `.Values.securityContext.capabilities.add[1]` is set here, \
         in the chart's default values"
    );
}

#[test]
fn a_value_read_through_a_variable_names_its_key_and_where_it_is_set() {
    let all = json_findings();
    let f = finding(&all, "hpa-replicas-not-ignored", "web");
    assert_eq!(
        (f["file"].as_str(), f["line"].as_u64()),
        (Some("charts/web/templates/deployment.yaml"), Some(9))
    );
    assert_eq!(f["properties"]["valuesPath"], "replicaCount");
    assert!(f["message"]
        .as_str()
        .is_some_and(|m| m.contains("`.Values.replicaCount`")));
    assert_eq!(
        related(f),
        vec![
            "charts/web/templates/hpa.yaml:8: HorizontalPodAutoscaler `web` targets this workload",
            "charts/web/values-prod.yaml:1: `.Values.replicaCount` is set here, in a value file \
             of Application `web`",
        ]
    );
    let canary = finding(&all, "hpa-replicas-not-ignored", "web-canary");
    assert_eq!(
        related(canary)[1],
        "argocd/app-web-canary.yaml:14: `.Values.replicaCount` is set here, by a Helm parameter \
         of Application `web-canary`"
    );
}

#[test]
fn sarif_and_human_reports_carry_the_related_locations_but_never_quote_values_files() {
    let (_, out, _) = run(&[
        "scan",
        p(&fixture()),
        "--format",
        "sarif",
        "--fail-on",
        "never",
    ]);
    let log: Value = serde_json::from_str(&out).expect("SARIF is JSON");
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("testdata/schemas/sarif-2.1.0.json")).expect("schema"),
    )
    .expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    assert!(validator.is_valid(&log));
    let results = log["runs"][0]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let hpa = results
        .iter()
        .find(|r| r["ruleId"] == "hpa-replicas-not-ignored")
        .expect("hpa result");
    let rel: Vec<(String, u64)> = hpa["relatedLocations"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|l| {
                    let pl = &l["physicalLocation"];
                    (
                        pl["artifactLocation"]["uri"]
                            .as_str()
                            .unwrap_or("")
                            .to_string(),
                        pl["region"]["startLine"].as_u64().unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert!(
        rel.contains(&("charts/web/values-prod.yaml".to_string(), 1))
            || rel.contains(&("argocd/app-web-canary.yaml".to_string(), 14)),
        "{rel:?}"
    );

    let (_, human, _) = run(&["scan", p(&fixture()), "--fail-on", "never"]);
    assert!(
        human.contains("charts/web/values-prod.yaml:1: `.Values.replicaCount` is set here"),
        "{human}"
    );
    assert!(
        human.contains("charts/web/templates/deployment.yaml:22: the line comes from template"),
        "{human}"
    );
    assert!(
        human.contains(",-[charts/web/templates/_helpers.tpl:9:1]"),
        "{human}"
    );
    // Values files are named, never quoted.
    assert!(!human.contains("replicaCount: 4"), "{human}");
    assert!(!human.contains("- SYS_ADMIN"), "{human}");
}

#[test]
fn a_value_of_an_aliased_subchart_points_at_the_subcharts_own_values_file() {
    // An umbrella chart uses the `worker` chart twice, once as `mailer`; the subchart's
    // directory is named after its version, as `helm dependency build` leaves unpacked copies.
    let dir = tempfile::tempdir().expect("tempdir");
    let w = |path: &str, text: &str| write(dir.path(), path, text);
    w(
        "shop/Chart.yaml",
        "apiVersion: v2\nname: shop\nversion: 1.0.0\ndependencies:\n  - name: worker\n    \
         version: 1.x\n    alias: mailer\n",
    );
    w("shop/values.yaml", "mailer:\n  image: example/mailer:2.1\n");
    w(
        "shop/charts/worker-1.4.0/Chart.yaml",
        "apiVersion: v2\nname: worker\nversion: 1.4.0\n",
    );
    w(
        "shop/charts/worker-1.4.0/values.yaml",
        "image: example/worker:1.0\n# One pod is enough for the queue.\nreplicas: 1\n",
    );
    w(
        "shop/charts/worker-1.4.0/templates/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Chart.Name }}\n  \
         namespace: shop\nspec:\n  replicas: {{ .Values.replicas }}\n  selector:\n    \
         matchLabels: {app: {{ .Chart.Name }}}\n  template:\n    metadata:\n      labels: \
         {app: {{ .Chart.Name }}}\n    spec:\n      containers:\n        - name: main\n          \
         image: {{ .Values.image }}\n",
    );
    let (_, out, err) = run(&[
        "scan",
        p(dir.path()),
        "--format",
        "json",
        "--fail-on",
        "never",
    ]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    let all = v["findings"].as_array().cloned().unwrap_or_default();
    let f = finding(&all, "workload-single-replica", "mailer");
    assert_eq!(
        f["file"],
        "shop/charts/worker-1.4.0/templates/deployment.yaml"
    );
    assert_eq!(f["line"], 7);
    assert_eq!(f["properties"]["valuesPath"], "replicas");
    assert_eq!(
        related(f),
        [
            "shop/charts/worker-1.4.0/values.yaml:3: `.Values.replicas` is set here, in the \
          chart's default values"
        ]
    );
}

#[test]
fn a_render_error_in_an_aliased_subchart_points_at_its_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let w = |path: &str, text: &str| write(dir.path(), path, text);
    w(
        "shop/Chart.yaml",
        "apiVersion: v2\nname: shop\nversion: 1.0.0\ndependencies:\n  - name: worker\n    \
         version: 1.x\n    alias: mailer\n",
    );
    w(
        "shop/charts/worker-1.4.0/Chart.yaml",
        "apiVersion: v2\nname: worker\nversion: 1.4.0\n",
    );
    w(
        "shop/charts/worker-1.4.0/templates/queue.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: queue\ndata:\n  \
         name: {{ required \"set .Values.queue\" .Values.queue }}\n",
    );
    let (code, out, err) = run(&["scan", p(dir.path()), "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    let f = v["findings"]
        .as_array()
        .and_then(|a| a.iter().find(|f| f["rule"] == "invalid-manifest"))
        .unwrap_or_else(|| panic!("no render error: {out}"));
    // The file is the one in the checkout; Helm's message keeps the template's name.
    assert_eq!(f["file"], "shop/charts/worker-1.4.0/templates/queue.yaml");
    assert_eq!(f["line"], 6);
    assert!(
        f["message"]
            .as_str()
            .is_some_and(|m| m.contains("(shop/charts/mailer/templates/queue.yaml:6:")),
        "{f}"
    );
}
