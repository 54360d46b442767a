//! The rules that also read the cluster dump, run on their fixtures with hand-built live
//! objects (the `tests/rules.rs` harness scans without a dump).

use std::path::Path;

use driftlens::model::cluster::Cluster;
use driftlens::model::key::ObjectKey;
use driftlens::model::object::LiveObject;
use driftlens::rules::builtin::catalog;
use driftlens::rules::{run, Context};
use driftlens::scan::load_repo;
use serde_json::json;

fn live(api_version: &str, kind: &str, namespace: &str, name: &str) -> LiveObject {
    LiveObject::new(
        ObjectKey::new(api_version, kind, namespace, name),
        api_version.to_string(),
        json!({
            "apiVersion": api_version,
            "kind": kind,
            "metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
        }),
        0,
    )
}

/// `file:line message` of the findings of `rule` on a fixture with a dump of `objects`.
fn findings(rule: &str, fixture: &str, objects: Vec<LiveObject>) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/rules")
        .join(fixture);
    let repo = load_repo(&dir, 1 << 20).expect("fixture loads");
    let cluster = Cluster::new(objects, vec!["dump.json".to_string()]);
    let ctx = Context::new(&repo, Some(&cluster));
    let rules: Vec<_> = catalog()
        .into_iter()
        .filter(|r| r.meta().id == rule)
        .collect();
    assert_eq!(rules.len(), 1, "{rule}");
    run(&rules, &ctx)
        .into_iter()
        .map(|f| format!("{}:{} {}", f.location.path, f.location.line, f.message))
        .collect()
}

#[test]
fn reference_missing_checks_secrets_and_config_maps_against_the_dump() {
    let found = findings(
        "reference-missing",
        "reference-missing/bad",
        vec![
            live("v1", "ServiceAccount", "shop", "api"),
            live("v1", "Secret", "shop", "registry"),
            live("v1", "Secret", "other", "api-tls"),
        ],
    );
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(
        found[0].starts_with("app.yaml:20 ") && found[0].contains("Secret `api-env` (envFrom)")
    );
    assert!(
        found[1].starts_with("app.yaml:24 ")
            && found[1].contains("ConfigMap `api-config` (volume)")
    );
    assert!(found[2].starts_with("app.yaml:26 ") && found[2].contains("Secret `api-tls` (volume)"));
    assert!(found
        .iter()
        .all(|f| f.contains("neither in the repository nor in the cluster dump")));
    // SealedSecret and ExternalSecret targets in Git count, so the good fixture stays clean
    // with an empty dump.
    assert!(findings("reference-missing", "reference-missing/good", Vec::new()).is_empty());
}

#[test]
fn reference_rules_accept_objects_that_exist_only_in_the_dump() {
    let mut web = live("v1", "Pod", "", "web-5d8f7-abcde");
    web.modify(|o| o["metadata"]["labels"] = json!({"app": "web"}));
    let svc = findings(
        "service-selector-dangling",
        "service-selector-dangling/bad",
        vec![web],
    );
    assert_eq!(svc.len(), 1, "{svc:#?}");
    assert!(svc[0].contains("Service `api`") && svc[0].contains("no pod in the cluster dump"));

    let hpa = findings(
        "scale-target-missing",
        "scale-target-missing/bad",
        vec![live("apps/v1", "Deployment", "", "web-v1")],
    );
    assert_eq!(hpa.len(), 2, "{hpa:#?}");
    assert!(hpa.iter().all(|f| !f.contains("`web-v1`")));

    let mut fallback = live("v1", "Service", "", "fallback");
    fallback.modify(|o| o["spec"] = json!({"ports": [{"port": 80}]}));
    let ing = findings(
        "ingress-backend-missing",
        "ingress-backend-missing/bad",
        vec![fallback],
    );
    assert_eq!(ing.len(), 2, "{ing:#?}");
    assert!(ing.iter().all(|f| !f.contains("`fallback`")));
}

#[test]
fn custom_resource_schema_uses_the_dump_crd_when_git_has_none() {
    let mut crd = live(
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        "",
        "widgets.widgets.example.com",
    );
    crd.modify(|o| {
        o["spec"] = json!({
            "group": "widgets.example.com",
            "names": {"kind": "Widget", "plural": "widgets"},
            "versions": [{
                "name": "v1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                    "spec": {"type": "object", "properties": {
                        "size": {"type": "integer"},
                        "color": {"type": "string"},
                    }},
                }}},
            }],
        })
    });
    let found = findings(
        "custom-resource-schema",
        "custom-resource-schema/live",
        vec![crd],
    );
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(found[0].starts_with("widget.yaml:7 ") && found[0].contains("must be an integer"));
    assert!(found[1].starts_with("widget.yaml:8 ") && found[1].contains("did you mean `color`?"));
    assert!(found.iter().all(|f| f.contains("(in the cluster dump)")));
    assert!(findings(
        "custom-resource-schema",
        "custom-resource-schema/live",
        Vec::new()
    )
    .is_empty());
}

#[test]
fn workload_selector_invalid_reports_a_selector_changed_from_the_live_one() {
    let deployment = |selector: serde_json::Value| {
        let mut d = live("apps/v1", "Deployment", "shop", "web");
        d.modify(|o| o["spec"] = json!({"selector": selector}));
        d
    };
    let changed = findings(
        "workload-selector-invalid",
        "workload-selector-invalid/good",
        vec![deployment(json!({"matchLabels": {"app": "web"}}))],
    );
    assert_eq!(changed.len(), 1, "{changed:#?}");
    assert!(changed[0].starts_with("workloads.yaml:7 ") && changed[0].contains("immutable"));
    // The API server stores an empty matchExpressions as absent: not a change.
    let same = findings(
        "workload-selector-invalid",
        "workload-selector-invalid/good",
        vec![deployment(json!({
            "matchLabels": {"app.kubernetes.io/name": "web"},
            "matchExpressions": [],
        }))],
    );
    assert!(same.is_empty(), "{same:#?}");
}

#[test]
fn api_version_removed_judges_against_the_given_kubernetes_version() {
    use driftlens::rules::Severity;
    use driftlens::scan::{scan, ScanOptions};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/rules/api-version-removed/bad");
    let at = |version: &str| -> Vec<(u32, Severity)> {
        let mut opts = ScanOptions::new(&dir);
        opts.kube_version = Some(version.to_string());
        scan(&opts)
            .expect("scans")
            .findings
            .iter()
            .filter(|f| f.rule == "api-version-removed")
            .map(|f| (f.location.line, f.severity))
            .collect()
    };
    // 1.24 still serves batch/v1beta1 and policy/v1beta1: upcoming removals are notes.
    assert_eq!(
        at("v1.24.9"),
        [
            (1, Severity::Error),
            (10, Severity::Note),
            (23, Severity::Note),
            (32, Severity::Note)
        ]
    );
    assert_eq!(
        at("v1.31.4-eks-1234"),
        [
            (1, Severity::Error),
            (10, Severity::Error),
            (23, Severity::Error),
            (32, Severity::Error)
        ]
    );
}
