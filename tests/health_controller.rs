//! Conformance: the application-health cases of Argo CD's `controller/health_test.go`, on the
//! same input objects (`testdata/conformance/argocd/health/controller-testdata`).

#[allow(dead_code)]
use driftlens::load::yaml;

use driftlens::compare::health::{
    application_health, HealthOverrides, HealthStatusCode, ManagedResource,
};
use serde_json::{json, Value};
use std::path::Path;

fn load(name: &str) -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/conformance/argocd/health/controller-testdata")
        .join(name);
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()));
    yaml::parse_value(&text).unwrap_or_else(|e| panic!("parse {name}: {e}"))
}

fn live<'a>(group: &'a str, kind: &'a str, name: &'a str, obj: &'a Value) -> ManagedResource<'a> {
    ManagedResource {
        group,
        kind,
        namespace: "default",
        name,
        target: None,
        live: Some(obj),
    }
}

fn annotate(mut v: Value, key: &str, value: &str) -> Value {
    v["metadata"]["annotations"] = json!({ key: value });
    v
}

#[test]
fn set_application_health() {
    let o = HealthOverrides::new();
    let (job, pod) = (
        load("job-failed.yaml"),
        load("pod-running-restart-always.yaml"),
    );
    let h = application_health(
        &[
            live("", "Pod", "running-pod", &pod),
            live("batch", "Job", "failed-job", &job),
        ],
        &o,
        None,
    );
    assert_eq!(h.status, HealthStatusCode::Degraded);
    assert_eq!(
        h.resources[0].as_ref().and_then(|r| r.status),
        Some(HealthStatusCode::Healthy)
    );
    assert_eq!(
        h.resources[1].as_ref().and_then(|r| r.status),
        Some(HealthStatusCode::Degraded)
    );
    assert_eq!(h.message, "Caused by batch/Job:default/failed-job");

    let hook = annotate(job.clone(), "argocd.argoproj.io/hook", "PreSync");
    let h = application_health(
        &[
            live("", "Pod", "running-pod", &pod),
            live("batch", "Job", "failed-job", &hook),
        ],
        &o,
        None,
    );
    assert_eq!(
        (h.status, h.message.as_str()),
        (HealthStatusCode::Healthy, "")
    );

    let ignored = load("job-failed-ignore-healthcheck.yaml");
    let h = application_health(
        &[
            live("", "Pod", "running-pod", &pod),
            live("batch", "Job", "failed-job", &ignored),
        ],
        &o,
        None,
    );
    assert_eq!(
        (h.status, h.message.as_str()),
        (HealthStatusCode::Healthy, "")
    );
}

#[test]
fn only_hooks_and_missing() {
    let o = HealthOverrides::new();
    let pod = load("pod-running-restart-always.yaml");
    let hook = annotate(pod.clone(), "argocd.argoproj.io/hook", "Sync");
    let both = ManagedResource {
        group: "",
        kind: "Pod",
        namespace: "",
        name: "",
        target: Some(&hook),
        live: Some(&hook),
    };
    let h = application_health(&[both], &o, None);
    assert_eq!(
        (h.status, h.message.as_str()),
        (HealthStatusCode::Healthy, "")
    );

    // Missing pod next to a healthy one: Healthy. All missing: Missing. An empty pair counts.
    let missing = ManagedResource {
        group: "",
        kind: "Pod",
        namespace: "",
        name: "",
        target: Some(&pod),
        live: None,
    };
    let h = application_health(&[live("", "Pod", "p", &pod), missing], &o, None);
    assert_eq!(h.status, HealthStatusCode::Healthy);
    let h = application_health(&[missing, both], &o, None);
    assert_eq!(
        (h.status, h.message.as_str()),
        (HealthStatusCode::Missing, "")
    );
}

#[test]
fn multiple_causes() {
    let o = HealthOverrides::new();
    let (job, pod) = (
        load("job-failed.yaml"),
        load("pod-running-restart-always.yaml"),
    );
    let h = application_health(
        &[
            live("", "Pod", "running-pod", &pod),
            live("batch", "Job", "failed-job", &job),
            live("batch", "Job", "failed-job-2", &job),
        ],
        &o,
        None,
    );
    assert_eq!(h.status, HealthStatusCode::Degraded);
    assert_eq!(
        h.message,
        "Caused by batch/Job:default/failed-job, batch/Job:default/failed-job-2"
    );
}

#[test]
fn health_improves_with_lua_override() {
    let pod = load("pod-running-restart-always.yaml");
    for status in ["Degraded", "Progressing", "Suspended", "Healthy"] {
        let mut o = HealthOverrides::new();
        o.insert_cm_script(
            "Pod",
            &format!("hs = {{}}\nhs.status = {status:?}\nhs.message = \"\"return hs"),
            false,
        );
        let h = application_health(&[live("", "Pod", "running-pod", &pod)], &o, None);
        assert_eq!(h.status.as_str(), status);
        let want = if status == "Healthy" {
            ""
        } else {
            "Caused by Pod:default/running-pod"
        };
        assert_eq!(h.message, want);
    }
}
