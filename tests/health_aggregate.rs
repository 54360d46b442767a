//! Application health aggregation (Argo CD's setApplicationHealth).

use driftlens::compare::health::aggregate::AppIdentity;
use driftlens::compare::health::{
    application_health, HealthOverrides, HealthStatus, HealthStatusCode, ManagedResource,
};
use serde_json::{json, Value};

fn job(name: &str, failed: bool) -> Value {
    let cond = if failed {
        json!({"type": "Failed", "status": "True", "message": "BackoffLimitExceeded"})
    } else {
        json!({"type": "Complete", "status": "True"})
    };
    json!({"apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": name, "namespace": "ns"},
        "status": {"conditions": [cond]}})
}

fn svc(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "ns"},
        "spec": {"type": "ClusterIP"}})
}

fn pvc(name: &str, phase: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": "ns"}, "status": {"phase": phase}})
}

fn res<'a>(obj: &'a Value, live: bool, target: bool) -> ManagedResource<'a> {
    let (group, _, kind) = driftlens::compare::health::gvk(obj);
    ManagedResource {
        group,
        kind,
        namespace: obj
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or(""),
        name: obj
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or(""),
        target: target.then_some(obj),
        live: live.then_some(obj),
    }
}

fn with_annotation(mut v: Value, key: &str, value: &str) -> Value {
    v["metadata"]["annotations"] = json!({key: value});
    v
}

#[test]
fn aggregation_rules() {
    let o = HealthOverrides::new();
    let (s1, j_ok, j_bad, p_pending) = (
        svc("web"),
        job("ok", false),
        job("bad", true),
        pvc("data", "Pending"),
    );
    let agg = |r: &[ManagedResource]| application_health(r, &o, None);

    let h = agg(&[]);
    assert_eq!(
        (h.status, h.message.as_str()),
        (HealthStatusCode::Healthy, "")
    );

    let h = agg(&[
        res(&s1, true, true),
        res(&j_bad, true, true),
        res(&p_pending, true, true),
    ]);
    assert_eq!(h.status, HealthStatusCode::Degraded);
    assert_eq!(h.message, "Caused by batch/Job:ns/bad");
    assert_eq!(
        h.resources[0],
        Some(HealthStatus::status(HealthStatusCode::Healthy))
    );
    assert_eq!(
        h.resources[1],
        Some(HealthStatus::new(
            HealthStatusCode::Degraded,
            "BackoffLimitExceeded"
        ))
    );

    // Missing resources are recorded but do not worsen the app.
    let h = agg(&[res(&s1, true, true), res(&j_ok, false, true)]);
    assert_eq!(h.status, HealthStatusCode::Healthy);
    assert_eq!(
        h.resources[1],
        Some(HealthStatus::status(HealthStatusCode::Missing))
    );

    // Nothing exists live → Missing.
    let h = agg(&[res(&s1, false, true), res(&j_ok, false, true)]);
    assert_eq!(
        (h.status, h.message.as_str()),
        (HealthStatusCode::Missing, "")
    );

    // Progressing beats Suspended; causes accumulate for the same status.
    let (p2, p3, p4) = (
        pvc("b", "Pending"),
        pvc("c", "Pending"),
        pvc("d", "Pending"),
    );
    let h = agg(&[
        res(&p_pending, true, true),
        res(&p2, true, true),
        res(&p3, true, true),
        res(&p4, true, true),
    ]);
    assert_eq!(h.status, HealthStatusCode::Progressing);
    assert_eq!(
        h.message,
        "Caused by PersistentVolumeClaim:ns/data, PersistentVolumeClaim:ns/b, PersistentVolumeClaim:ns/c and 1 more"
    );
}

#[test]
fn skipped_resources() {
    let o = HealthOverrides::new();
    let bad_hook = with_annotation(job("hook", true), "argocd.argoproj.io/hook", "PostSync");
    let bad_helm_test = with_annotation(job("t", true), "helm.sh/hook", "test");
    let bad_ignored = with_annotation(
        job("ign", true),
        "argocd.argoproj.io/ignore-healthcheck",
        "true",
    );
    let bad_skip = with_annotation(job("skip", true), "argocd.argoproj.io/hook", "Skip");
    let cases: Vec<(&str, ManagedResource, bool)> = vec![
        ("live hook", res(&bad_hook, true, false), true),
        ("ignored helm hook", res(&bad_helm_test, true, false), true),
        ("ignore-healthcheck", res(&bad_ignored, true, true), true),
        // A `Skip` target is skipped; the same object only live is a normal resource.
        ("skip target", res(&bad_skip, true, true), true),
        ("skip live only", res(&bad_skip, true, false), false),
    ];
    for (name, r, skipped) in cases {
        let h = application_health(&[r], &o, None);
        let want = if skipped {
            HealthStatusCode::Healthy
        } else {
            HealthStatusCode::Degraded
        };
        assert_eq!(h.status, want, "{name}");
        assert_eq!(h.resources[0].is_none(), skipped, "{name}");
    }
}

#[test]
fn child_and_self_applications() {
    let mut o = HealthOverrides::new();
    o.insert_cm_script(
        "argoproj.io/Application",
        "hs = {} if obj.status ~= nil and obj.status.health ~= nil then hs.status = obj.status.health.status end return hs",
        false,
    );
    let app = |name: &str, status: &str| {
        json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": name, "namespace": "argocd"},
            "status": {"health": {"status": status}}})
    };
    let (unknown, missing, degraded, me) = (
        app("u", "Unknown"),
        app("m", "Missing"),
        app("d", "Degraded"),
        app("root", "Degraded"),
    );
    let h = application_health(
        &[res(&unknown, true, true), res(&missing, true, true)],
        &o,
        None,
    );
    assert_eq!(h.status, HealthStatusCode::Healthy);
    let h = application_health(&[res(&degraded, true, true)], &o, None);
    assert_eq!(
        (h.status, h.message.as_str()),
        (
            HealthStatusCode::Degraded,
            "Caused by argoproj.io/Application:argocd/d"
        )
    );
    let id = AppIdentity {
        namespace: "argocd",
        name: "root",
        uid: None,
    };
    let h = application_health(&[res(&me, true, true)], &o, Some(id));
    assert_eq!(h.status, HealthStatusCode::Healthy);
    assert_eq!(h.resources[0], None);
    // Without a script, Applications have no health at all.
    let h = application_health(&[res(&degraded, true, true)], &HealthOverrides::new(), None);
    assert_eq!(
        (h.status, h.resources[0].clone()),
        (HealthStatusCode::Healthy, None)
    );
}

#[test]
fn errors_become_unknown_with_a_condition_message() {
    let o = HealthOverrides::new();
    let old = json!({"apiVersion": "apps/v1beta1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "ns"}});
    let h = application_health(&[res(&old, true, true)], &o, None);
    assert_eq!(h.status, HealthStatusCode::Unknown);
    assert_eq!(
        h.resources[0],
        Some(HealthStatus::new(
            HealthStatusCode::Unknown,
            "unsupported Deployment GVK: apps/v1beta1, Kind=Deployment"
        ))
    );
    assert_eq!(
        h.error.as_deref(),
        Some("failed to get resource health for \"Deployment\" with name \"web\" in namespace \"ns\": unsupported Deployment GVK: apps/v1beta1, Kind=Deployment")
    );
    let mut o = HealthOverrides::new();
    o.insert_cm_script("ConfigMap", "error('boom')", false);
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "ns"}});
    let h = application_health(&[res(&cm, true, true)], &o, None);
    assert_eq!(h.status, HealthStatusCode::Unknown);
    assert!(
        h.error.as_deref().is_some_and(
            |e| e.contains("failed to get resource health for ns/c: ") && e.contains("boom")
        ),
        "{:?}",
        h.error
    );
}

#[test]
fn empty_lua_health_ranks_like_healthy() {
    let mut o = HealthOverrides::new();
    o.insert_cm_script("ConfigMap", "return nil", false);
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "ns"}});
    let h = application_health(&[res(&cm, true, true)], &o, None);
    assert_eq!(h.status, HealthStatusCode::Healthy);
    assert_eq!(h.resources[0], Some(HealthStatus::default()));
}
