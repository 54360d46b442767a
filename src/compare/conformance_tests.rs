//! Conformance tests on Argo CD's own diff test data (`testdata/conformance/argocd/diff/`),
//! asserting the outcomes Argo CD's Go tests assert (test names cited per case).

use super::diff::{diff, DiffMode, DiffResult, DiffSettings};
use super::ignore::{CompiledIgnoreRule, IgnoreRule};
use serde_json::{json, Value};
use std::path::PathBuf;

/// Loads a test object; `.yaml` files are read from their JSON copies under `json/`.
fn load(rel: &str) -> Value {
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/conformance/argocd/diff");
    let path = match rel.strip_suffix(".yaml") {
        Some(stem) => base.join("json").join(format!("{stem}.json")),
        None => base.join(rel),
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn run(config: &Value, live: &Value, settings: &DiffSettings) -> DiffResult {
    diff(config, live, settings).unwrap_or_else(|e| panic!("diff failed: {e}"))
}

fn explain(r: &DiffResult) -> String {
    r.differences
        .iter()
        .map(|d| format!("{} desired={:?} live={:?}", d.pointer, d.desired, d.live))
        .collect::<Vec<_>>()
        .join("\n")
}

fn assert_same(config: &Value, live: &Value, settings: &DiffSettings) -> DiffResult {
    let r = run(config, live, settings);
    assert!(!r.modified, "expected no difference, got:\n{}", explain(&r));
    r
}

fn assert_modified(config: &Value, live: &Value, settings: &DiffSettings) -> DiffResult {
    let r = run(config, live, settings);
    assert!(r.modified, "expected a difference");
    assert!(!r.differences.is_empty());
    r
}

const GE: &str = "gitops-engine-diff-testdata";
const INLINE: &str = "inline-extracted";

fn ge(name: &str) -> Value {
    load(&format!("{GE}/{name}"))
}

fn inline(name: &str) -> Value {
    load(&format!("{INLINE}/{name}"))
}

/// The Deployment of gitops-engine's `newDeployment()`.
fn new_deployment() -> Value {
    json!({
        "apiVersion": "apps/v1beta1", "kind": "Deployment",
        "metadata": {"name": "demo", "namespace": "test", "creationTimestamp": null},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "demo"}},
            "strategy": {},
            "template": {"metadata": {"creationTimestamp": null, "labels": {"app": "demo"}},
                "spec": {"containers": [{"name": "demo", "image": "gcr.io/kuar-demo/kuard-amd64:1",
                    "ports": [{"containerPort": 80}], "resources": {}}]}}},
        "status": {}
    })
}

#[test]
fn test_diff_identical() {
    let d = new_deployment();
    let r = assert_same(&d, &d, &DiffSettings::default());
    assert_eq!(r.mode, DiffMode::Legacy2Way);
}

#[test]
fn test_diff_known_type_invalid_value() {
    let mut left = new_deployment();
    left["spec"]["revisionHistoryLimit"] = json!("badValue");
    assert_same(&left, &left, &DiffSettings::default());
    let mut right = left.clone();
    right["spec"]["revisionHistoryLimit"] = json!("3");
    assert_modified(&left, &right, &DiffSettings::default());
}

#[test]
fn test_diff_nil_field_in_live() {
    let left = new_deployment();
    let mut right = left.clone();
    right["spec"] = Value::Null;
    assert_modified(&left, &right, &DiffSettings::default());
}

#[test]
fn test_diff_array_additions_status_and_modification() {
    let left = new_deployment();
    let mut right = left.clone();
    right["status"] = json!({"replicas": 1});
    assert_same(&left, &right, &DiffSettings::default());
    let mut right = left.clone();
    right["spec"]["replicas"] = json!(10);
    let r = assert_modified(&left, &right, &DiffSettings::default());
    assert_eq!(r.differences.len(), 1);
    assert_eq!(r.differences[0].pointer, "/spec/replicas");
}

#[test]
fn test_three_way_diff_steps() {
    // 1/2: live has a namespace the config lacks.
    let mut config = new_deployment();
    config["metadata"]
        .as_object_mut()
        .map(|m| m.remove("namespace"));
    config["metadata"]["annotations"] = json!({"foo": "bar"});
    let mut live = config.clone();
    live["metadata"]["namespace"] = json!("default");
    assert_same(&config, &live, &DiffSettings::default());
    // 3: live carries last-applied = config.
    let applied = serde_json::to_string(&config).unwrap_or_default();
    live["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] =
        json!(applied);
    let r = assert_same(&config, &live, &DiffSettings::default());
    assert_eq!(r.mode, DiffMode::Legacy3Way);
    // 4: the annotation removed from config is a difference.
    config["metadata"]["annotations"]
        .as_object_mut()
        .map(|a| a.remove("foo"));
    let r = assert_modified(&config, &live, &DiffSettings::default());
    assert!(r
        .differences
        .iter()
        .any(|d| d.pointer.starts_with("/metadata/annotations")));
    // 5: without last-applied the live-only annotation is ignored.
    live["metadata"]["annotations"]
        .as_object_mut()
        .map(|a| a.remove("kubectl.kubernetes.io/last-applied-configuration"));
    let r = assert_same(&config, &live, &DiffSettings::default());
    assert_eq!(r.mode, DiffMode::Legacy2Way);
}

#[test]
fn test_three_way_diff_example2_with_difference() {
    let mut config = ge("elasticsearch-config.json");
    let live = ge("elasticsearch-live.json");
    let labels = &mut config["metadata"]["labels"];
    labels["foo"] = json!("bar");
    labels["chart"] = json!("elasticsearch-1.7.1");
    labels.as_object_mut().map(|l| l.remove("release"));
    let r = assert_modified(&config, &live, &DiffSettings::default());
    let find = |p: &str| r.differences.iter().find(|d| d.pointer == p).cloned();
    let foo = find("/metadata/labels/foo").expect("missing foo");
    assert_eq!((foo.desired, foo.live), (Some(json!("bar")), None));
    let release = find("/metadata/labels/release").expect("extra release");
    assert_eq!(
        (release.desired, release.live),
        (None, Some(json!("elasticsearch4")))
    );
    let chart = find("/metadata/labels/chart").expect("changed chart");
    assert_eq!(
        (chart.desired, chart.live),
        (
            Some(json!("elasticsearch-1.7.1")),
            Some(json!("elasticsearch-1.7.0"))
        )
    );
    assert_eq!(r.differences.len(), 3, "{}", explain(&r));
}

#[test]
fn test_diff_resource_with_invalid_field() {
    let left = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "invalid-cm"}, "invalidKey": "asdf"});
    let mut right = left.clone();
    right.as_object_mut().map(|o| o.remove("invalidKey"));
    let r = assert_modified(&left, &right, &DiffSettings::default());
    assert_eq!(r.differences[0].pointer, "/invalidKey");
}

#[test]
fn test_redacted_secret_data() {
    let mut config = ge("wordpress-config.json");
    let mut live = ge("wordpress-live.json");
    for k in ["wordpress-password", "smtp-password"] {
        config["data"][k] = json!("++++++++");
        live["data"][k] = json!("++++++++++++");
    }
    assert_modified(&config, &live, &DiffSettings::default());
}

/// Which settings a table case uses.
#[derive(Clone, Copy)]
enum Opts {
    Default,
    AggregatedRoles,
    ServerSideApply,
}

impl Opts {
    fn settings(self) -> DiffSettings {
        match self {
            Opts::Default => DiffSettings::default(),
            Opts::AggregatedRoles => DiffSettings {
                ignore_aggregated_roles: true,
                ..Default::default()
            },
            Opts::ServerSideApply => ssa(),
        }
    }
}

/// (Argo CD test, config, live, options, expected Modified, expected mode), paths relative
/// to `testdata/conformance/argocd/diff/`.
const PAIRS: &[(&str, &str, &str, Opts, bool, DiffMode)] = &[
    (
        "TestThreeWayDiffExample1",
        "inline-extracted/threeway-example1-serviceaccount-config.json",
        "inline-extracted/threeway-example1-serviceaccount-live.json",
        Opts::Default,
        false,
        DiffMode::Legacy3Way,
    ),
    (
        "TestDiffOptionIgnoreAggregateRoles/true",
        "gitops-engine-diff-testdata/aggr-clusterrole-config.json",
        "gitops-engine-diff-testdata/aggr-clusterrole-live.json",
        Opts::AggregatedRoles,
        false,
        DiffMode::Legacy3Way,
    ),
    (
        "TestDiffOptionIgnoreAggregateRoles/false",
        "gitops-engine-diff-testdata/aggr-clusterrole-config.json",
        "gitops-engine-diff-testdata/aggr-clusterrole-live.json",
        Opts::Default,
        true,
        DiffMode::Legacy3Way,
    ),
    (
        "TestThreeWayDiffExample2",
        "gitops-engine-diff-testdata/elasticsearch-config.json",
        "gitops-engine-diff-testdata/elasticsearch-live.json",
        Opts::Default,
        false,
        DiffMode::Legacy3Way,
    ),
    (
        "TestThreeWayDiffExample3",
        "gitops-engine-diff-testdata/deployment-config.json",
        "gitops-engine-diff-testdata/deployment-live.json",
        Opts::Default,
        false,
        DiffMode::Legacy3Way,
    ),
    (
        "TestThreeWayDiffExample4",
        "gitops-engine-diff-testdata/mutatingwebhookconfig-config.json",
        "gitops-engine-diff-testdata/mutatingwebhookconfig-live.json",
        Opts::Default,
        false,
        DiffMode::Legacy3Way,
    ),
    (
        "TestThreeWayDiffExplicitNamespace",
        "gitops-engine-diff-testdata/spinnaker-sa-config.json",
        "gitops-engine-diff-testdata/spinnaker-sa-live.json",
        Opts::Default,
        false,
        DiffMode::Legacy3Way,
    ),
    (
        "TestIgnoreNamespaceForClusterScopedResources",
        "inline-extracted/cluster-scoped-cr-namespace-config.yaml",
        "inline-extracted/cluster-scoped-cr-namespace-live.yaml",
        Opts::Default,
        false,
        DiffMode::JsonMerge,
    ),
    (
        "TestSecretStringData",
        "inline-extracted/secret-stringdata-config.yaml",
        "inline-extracted/secret-stringdata-live.yaml",
        Opts::Default,
        false,
        DiffMode::Legacy2Way,
    ),
    (
        "TestNullSecretData",
        "gitops-engine-diff-testdata/wordpress-config.json",
        "gitops-engine-diff-testdata/wordpress-live.json",
        Opts::Default,
        false,
        DiffMode::Legacy3Way,
    ),
    (
        "TestNullRoleRule",
        "gitops-engine-diff-testdata/grafana-clusterrole-config.json",
        "gitops-engine-diff-testdata/grafana-clusterrole-live.json",
        Opts::Default,
        false,
        DiffMode::Legacy3Way,
    ),
    (
        "TestNullCreationTimestamp",
        "gitops-engine-diff-testdata/sealedsecret-config.json",
        "gitops-engine-diff-testdata/sealedsecret-live.json",
        Opts::Default,
        false,
        DiffMode::JsonMerge,
    ),
    (
        "TestUnsortedEndpoints",
        "gitops-engine-diff-testdata/endpoints-config.json",
        "gitops-engine-diff-testdata/endpoints-live.json",
        Opts::Default,
        false,
        DiffMode::Legacy3Way,
    ),
    (
        "TestStructuredMergeDiff/will apply default values",
        "gitops-engine-diff-testdata/smd-service-config.yaml",
        "gitops-engine-diff-testdata/smd-service-live.yaml",
        Opts::ServerSideApply,
        true,
        DiffMode::StructuredMerge,
    ),
    (
        "TestStructuredMergeDiff/deployment defaults",
        "gitops-engine-diff-testdata/smd-deploy-config.yaml",
        "gitops-engine-diff-testdata/smd-deploy-live.yaml",
        Opts::ServerSideApply,
        false,
        DiffMode::StructuredMerge,
    ),
    (
        "TestStructuredMergeDiff_HPAv2ToV1Conversion",
        "inline-extracted/smd-hpa-identical-config.yaml",
        "inline-extracted/smd-hpa-identical-live.yaml",
        Opts::ServerSideApply,
        false,
        DiffMode::StructuredMerge,
    ),
    (
        "TestStructuredMergeDiff_HPAv2ToV1Conversion_Modified",
        "inline-extracted/smd-hpa-modified-config.yaml",
        "inline-extracted/smd-hpa-modified-live.yaml",
        Opts::ServerSideApply,
        true,
        DiffMode::StructuredMerge,
    ),
];

#[test]
fn conformance_pairs_table() {
    let mut failures = Vec::new();
    for (name, config, live, opts, modified, mode) in PAIRS {
        let r = run(&load(config), &load(live), &opts.settings());
        if r.modified != *modified || r.mode != *mode {
            failures.push(format!(
                "{name}: modified={} mode={:?} (want {modified} {mode:?})\n{}",
                r.modified,
                r.mode,
                explain(&r)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn session_affinity_rule() -> DiffSettings {
    let rule = IgnoreRule {
        group: String::new(),
        kind: "Service".into(),
        json_pointers: vec!["/spec/sessionAffinity".into()],
        ..Default::default()
    };
    DiffSettings {
        ignore_rules: vec![CompiledIgnoreRule::compile(rule).expect("rule compiles")],
        ..Default::default()
    }
}

#[test]
fn test_diff_with_ignore_differences_two_and_three_way() {
    for (config, live, mode) in [
        (
            "ignorediff-twoway-service-config.yaml",
            "ignorediff-twoway-service-live.yaml",
            DiffMode::Legacy2Way,
        ),
        (
            "ignorediff-threeway-service-config.yaml",
            "ignorediff-threeway-service-live.yaml",
            DiffMode::Legacy3Way,
        ),
    ] {
        let config = inline(config);
        let live = inline(live);
        assert_modified(&config, &live, &DiffSettings::default());
        let r = assert_same(&config, &live, &session_affinity_rule());
        assert_eq!(r.mode, mode);
        // Legacy outputs are not normalized by ignore rules.
        assert!(r.predicted_live["spec"].get("sessionAffinity").is_some());
        assert!(r.normalized_live["spec"].get("sessionAffinity").is_some());
    }
}

fn ssa() -> DiffSettings {
    DiffSettings {
        server_side_apply: true,
        ..Default::default()
    }
}

/// gitops-engine TestStructuredMergeDiff "will apply default values".
#[test]
fn test_smd_applies_default_values() {
    let r = assert_modified(
        &ge("smd-service-config.yaml"),
        &ge("smd-service-live.yaml"),
        &ssa(),
    );
    assert_eq!(r.mode, DiffMode::StructuredMerge);
    for doc in [&r.predicted_live, &r.normalized_live] {
        assert_eq!(doc["spec"]["internalTrafficPolicy"], json!("Cluster"));
        assert!(doc
            .pointer("/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration")
            .is_none());
    }
    assert!(r
        .differences
        .iter()
        .any(|d| d.pointer == "/spec/ports/1/targetPort"));
}

/// "will remove entries in list".
#[test]
fn test_smd_removes_entries_in_list() {
    let r = assert_modified(
        &ge("smd-service-config-2-ports.yaml"),
        &ge("smd-service-live.yaml"),
        &ssa(),
    );
    assert_eq!(
        r.predicted_live["spec"]["ports"].as_array().map(Vec::len),
        Some(2)
    );
}

/// "will remove previously added fields not present in desired state".
#[test]
fn test_smd_removes_previously_applied_fields() {
    let r = assert_modified(
        &ge("smd-service-config.yaml"),
        &ge("smd-service-live-with-type.yaml"),
        &ssa(),
    );
    assert_eq!(r.predicted_live["spec"]["type"], json!("ClusterIP"));
}

/// "will apply service with multiple ports".
#[test]
fn test_smd_service_with_multiple_ports() {
    let r = assert_modified(
        &ge("smd-service-config-ports.yaml"),
        &ge("smd-service-live.yaml"),
        &ssa(),
    );
    assert_eq!(
        r.predicted_live["spec"]["ports"].as_array().map(Vec::len),
        Some(5)
    );
}

/// "will apply deployment defaults correctly".
#[test]
fn test_smd_deployment_defaults() {
    let r = assert_same(
        &ge("smd-deploy-config.yaml"),
        &ge("smd-deploy-live.yaml"),
        &ssa(),
    );
    let p = &r.predicted_live;
    assert_eq!(
        p["spec"]["strategy"]["rollingUpdate"]["maxSurge"],
        json!("25%")
    );
    assert_eq!(
        p["spec"]["template"]["spec"]["dnsPolicy"],
        json!("ClusterFirst")
    );
}

/// The sync-options annotation of the desired object selects SMD on its own.
#[test]
fn test_smd_selected_by_annotation() {
    let r = run(
        &ge("smd-service-config.yaml"),
        &ge("smd-service-live.yaml"),
        &DiffSettings::default(),
    );
    assert_eq!(r.mode, DiffMode::StructuredMerge);
}

/// TestStructuredMergeDiff_HPAv2ToV1Conversion(_Modified).
#[test]
fn test_smd_hpa_identical_and_modified() {
    assert_same(
        &inline("smd-hpa-identical-config.yaml"),
        &inline("smd-hpa-identical-live.yaml"),
        &ssa(),
    );
    let r = assert_modified(
        &inline("smd-hpa-modified-config.yaml"),
        &inline("smd-hpa-modified-live.yaml"),
        &ssa(),
    );
    assert!(r
        .differences
        .iter()
        .any(|d| d.pointer == "/spec/minReplicas"));
}

const UTIL: &str = "argo-util-testdata";

fn rule_all(f: impl FnOnce(&mut IgnoreRule)) -> DiffSettings {
    let mut rule = IgnoreRule {
        group: "*".into(),
        kind: "*".into(),
        ..Default::default()
    };
    f(&mut rule);
    DiffSettings {
        ignore_rules: vec![CompiledIgnoreRule::compile(rule).expect("rule compiles")],
        ..Default::default()
    }
}

/// util/argo/diff TestStateDiff: replicas normalized by manager, JSON pointer or jq.
#[test]
fn test_state_diff_managed_replicas() {
    let desired = load(&format!("{UTIL}/desired_deployment.yaml"));
    let live = load(&format!("{UTIL}/live_deployment_with_managed_replica.yaml"));
    let cases: Vec<(&str, DiffSettings, i64, i64)> = vec![
        (
            "trusted manager",
            rule_all(|r| r.managed_fields_managers = vec!["kube-controller-manager".into()]),
            1,
            1,
        ),
        (
            "other manager",
            rule_all(|r| r.managed_fields_managers = vec!["some-other-manager".into()]),
            2,
            3,
        ),
        (
            "json pointer",
            rule_all(|r| r.json_pointers = vec!["/spec/replicas".into()]),
            1,
            1,
        ),
        (
            "jq",
            rule_all(|r| r.jq_path_expressions = vec![".spec.replicas".into()]),
            1,
            1,
        ),
    ];
    for (name, settings, normalized, predicted) in cases {
        let r = run(&desired, &live, &settings);
        assert!(r.modified, "{name}");
        assert_eq!(
            r.normalized_live["spec"]["replicas"],
            json!(normalized),
            "{name}"
        );
        assert_eq!(
            r.predicted_live["spec"]["replicas"],
            json!(predicted),
            "{name}"
        );
        let replicas_differ = r.differences.iter().any(|d| d.pointer == "/spec/replicas");
        assert_eq!(replicas_differ, normalized != predicted, "{name}");
    }
}

/// util/argo/managedfields TestNormalize "will normalize successfully inside a list".
#[test]
fn test_managed_fields_inside_a_list() {
    let desired = load(&format!("{UTIL}/desired_validating_webhook.yaml"));
    let live = load(&format!("{UTIL}/live_validating_webhook.yaml"));
    let ca = "/webhooks/0/clientConfig/caBundle";
    let plain = run(&desired, &live, &DiffSettings::default());
    assert!(
        plain.differences.iter().any(|d| d.pointer == ca),
        "{}",
        explain(&plain)
    );
    let r = run(
        &desired,
        &live,
        &rule_all(|r| r.managed_fields_managers = vec!["external-secrets".into()]),
    );
    assert!(
        !r.differences.iter().any(|d| d.pointer == ca),
        "{}",
        explain(&r)
    );
}

// Server-side diff needs the API server; offline it is approximated by the structured-merge
// prediction from live `managedFields` (§2.5). These cases come from gitops-engine
// TestServerSideDiff and check the outcome the server's answer leads to.

/// "will include nested fields like ports and env".
#[test]
fn test_ssd_offline_nested_ports_and_env() {
    let r = assert_modified(
        &ge("ssd-deploy-nested-config.yaml"),
        &ge("ssd-deploy-nested-live.yaml"),
        &ssa(),
    );
    let c = &r.predicted_live["spec"]["template"]["spec"]["containers"][0];
    let ports: Vec<i64> = c["ports"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p["containerPort"].as_i64())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(ports, vec![80, 443]);
    let env: Vec<&str> = c["env"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(env, vec!["ENV_VAR1", "ENV_VAR2"]);
    let live_c = &r.normalized_live["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(live_c["ports"].as_array().map(Vec::len), Some(1));
}

/// "will reflect deletion of labels in predicted live".
#[test]
fn test_ssd_offline_label_deleted_from_git() {
    let r = assert_modified(
        &ge("ssd-svc-no-label-config.yaml"),
        &ge("ssd-svc-label-live.yaml"),
        &ssa(),
    );
    assert!(r.predicted_live["metadata"]["labels"]
        .get("delete-me")
        .is_none());
    assert!(r.normalized_live["metadata"]["labels"]
        .get("delete-me")
        .is_some());
    assert_eq!(
        r.differences
            .iter()
            .map(|d| d.pointer.as_str())
            .collect::<Vec<_>>(),
        vec!["/metadata/labels/delete-me"]
    );
}

/// ConfigMap key removed from Git after Argo CD applied it.
#[test]
fn test_ssd_offline_configmap_key_removed() {
    let r = assert_modified(
        &ge("ssd-configmap-config.yaml"),
        &ge("ssd-configmap-live.yaml"),
        &ssa(),
    );
    assert_eq!(
        r.differences
            .iter()
            .map(|d| d.pointer.as_str())
            .collect::<Vec<_>>(),
        vec!["/data/key3"]
    );
    // The same live object under legacy 2-way: the live-only key is not a difference.
    assert_same(
        &ge("ssd-configmap-config.yaml"),
        &ge("ssd-configmap-live.yaml"),
        &DiffSettings::default(),
    );
}

/// TestRemarshal, TestRemarshalResources, TestRemarshalStatefulSetCreationTimestamp.
#[test]
fn test_remarshal_cases() {
    use super::normalize::remarshal;
    let sa = remarshal(&json!({"apiVersion": "v1", "kind": "ServiceAccount",
        "imagePullSecrets": [], "metadata": {"name": "my-sa"}}));
    assert!(sa.get("imagePullSecrets").is_none());
    assert!(sa["metadata"].get("creationTimestamp").is_none());
    for (cpu, want) in [
        (json!(0.2), json!("200m")),
        (json!("0.2"), json!("200m")),
        (json!("invalid"), json!("invalid")),
    ] {
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "my-pod"},
            "spec": {"containers": [{"image": "nginx:1.7.9", "name": "nginx",
                "resources": {"requests": {"cpu": cpu}}}]}});
        let got = remarshal(&pod);
        assert_eq!(
            got["spec"]["containers"][0]["resources"]["requests"]["cpu"],
            want
        );
    }
    let sts = remarshal(&json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": "test-sts", "creationTimestamp": "2025-11-06T19:35:31Z"},
        "spec": {"serviceName": "test", "selector": {"matchLabels": {"app": "test"}},
            "template": {"metadata": {"creationTimestamp": null, "labels": {"app": "test"}},
                "spec": {"containers": [{"name": "test", "image": "nginx"}]}},
            "volumeClaimTemplates": [{"metadata": {"name": "data", "creationTimestamp": null},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}}));
    assert!(sts["spec"]["template"]["metadata"]
        .get("creationTimestamp")
        .is_none());
    assert!(sts["spec"]["volumeClaimTemplates"][0]["metadata"]
        .get("creationTimestamp")
        .is_none());
    // The top-level timestamp is kept by remarshal (removed later by normalization).
    assert!(sts["metadata"].get("creationTimestamp").is_some());
}

/// ExampleDiff: cpu 0.2 vs live 0.1 differs.
#[test]
fn test_example_diff_cpu() {
    let desired = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "my-pod"},
        "spec": {"containers": [{"image": "nginx:1.7.9", "name": "nginx",
            "resources": {"requests": {"cpu": 0.2}}}]}});
    let mut live = desired.clone();
    live["metadata"]["name"] = json!("argo-cd-cli-84bf9649fd-tm59q");
    live["spec"]["containers"][0]["resources"]["requests"]["cpu"] = json!(0.1);
    let r = assert_modified(&desired, &live, &DiffSettings::default());
    assert!(r
        .differences
        .iter()
        .any(|d| d.pointer == "/spec/containers/0/resources/requests/cpu"
            && d.desired == Some(json!("200m"))
            && d.live == Some(json!("100m"))));
}
