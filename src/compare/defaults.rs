//! Kubernetes scheme defaulting for the common built-in fields.
//!
//! Argo CD applies the Kubernetes defaulters to both the predicted and the live object before
//! comparing them, so server-side defaults never show as drift and defaults of sub-objects
//! that config introduces are filled in. This module covers the defaults that real manifests
//! hit: pod specs and containers (in every workload template), Deployment, StatefulSet,
//! DaemonSet, ReplicaSet, Job, CronJob and Service. A default is only set when the field is
//! missing.

use serde_json::{json, Map, Value};

fn set_default(o: &mut Map<String, Value>, key: &str, v: Value) {
    if o.get(key).is_none_or(Value::is_null) {
        o.insert(key.to_string(), v);
    }
}

fn obj_mut<'a>(v: &'a mut Value, path: &[&str]) -> Option<&'a mut Map<String, Value>> {
    let mut cur = v;
    for p in path {
        cur = cur.as_object_mut()?.get_mut(*p)?;
    }
    cur.as_object_mut()
}

/// Applies the defaults for the object's kind (no-op for other kinds).
pub fn apply(obj: &mut Value) {
    let api_version = obj
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let kind = obj
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let group = super::patchmeta::split_api_version(&api_version)
        .0
        .to_string();
    match (group.as_str(), kind.as_str()) {
        ("", "Pod") => pod_spec(obj, &["spec"]),
        ("", "PodTemplate") => pod_spec(obj, &["template", "spec"]),
        ("", "ReplicationController") => {
            if let Some(s) = obj_mut(obj, &["spec"]) {
                set_default(s, "replicas", json!(1));
            }
            pod_spec(obj, &["spec", "template", "spec"]);
        }
        ("apps" | "extensions", "Deployment") => {
            if let Some(s) = obj_mut(obj, &["spec"]) {
                set_default(s, "replicas", json!(1));
                set_default(s, "revisionHistoryLimit", json!(10));
                set_default(s, "progressDeadlineSeconds", json!(600));
                set_default(s, "strategy", json!({}));
                if let Some(st) = s.get_mut("strategy").and_then(Value::as_object_mut) {
                    set_default(st, "type", json!("RollingUpdate"));
                    if st.get("type") == Some(&json!("RollingUpdate")) {
                        set_default(st, "rollingUpdate", json!({}));
                        if let Some(ru) = st.get_mut("rollingUpdate").and_then(Value::as_object_mut)
                        {
                            set_default(ru, "maxUnavailable", json!("25%"));
                            set_default(ru, "maxSurge", json!("25%"));
                        }
                    }
                }
            }
            pod_spec(obj, &["spec", "template", "spec"]);
        }
        ("apps" | "extensions", "ReplicaSet") => {
            if let Some(s) = obj_mut(obj, &["spec"]) {
                set_default(s, "replicas", json!(1));
            }
            pod_spec(obj, &["spec", "template", "spec"]);
        }
        ("apps", "StatefulSet") => {
            if let Some(s) = obj_mut(obj, &["spec"]) {
                set_default(s, "replicas", json!(1));
                set_default(s, "revisionHistoryLimit", json!(10));
                set_default(s, "podManagementPolicy", json!("OrderedReady"));
                set_default(s, "updateStrategy", json!({}));
                if let Some(st) = s.get_mut("updateStrategy").and_then(Value::as_object_mut) {
                    set_default(st, "type", json!("RollingUpdate"));
                    if st.get("type") == Some(&json!("RollingUpdate")) {
                        set_default(st, "rollingUpdate", json!({}));
                        if let Some(ru) = st.get_mut("rollingUpdate").and_then(Value::as_object_mut)
                        {
                            set_default(ru, "partition", json!(0));
                        }
                    }
                }
                if let Some(Value::Array(vcts)) = s.get_mut("volumeClaimTemplates") {
                    for vct in vcts {
                        if let Some(spec) = obj_mut(vct, &["spec"]) {
                            set_default(spec, "volumeMode", json!("Filesystem"));
                        }
                    }
                }
            }
            pod_spec(obj, &["spec", "template", "spec"]);
        }
        ("apps" | "extensions", "DaemonSet") => {
            if let Some(s) = obj_mut(obj, &["spec"]) {
                set_default(s, "revisionHistoryLimit", json!(10));
                set_default(s, "updateStrategy", json!({}));
                if let Some(st) = s.get_mut("updateStrategy").and_then(Value::as_object_mut) {
                    set_default(st, "type", json!("RollingUpdate"));
                    if st.get("type") == Some(&json!("RollingUpdate")) {
                        set_default(st, "rollingUpdate", json!({}));
                        if let Some(ru) = st.get_mut("rollingUpdate").and_then(Value::as_object_mut)
                        {
                            set_default(ru, "maxUnavailable", json!(1));
                            set_default(ru, "maxSurge", json!(0));
                        }
                    }
                }
            }
            pod_spec(obj, &["spec", "template", "spec"]);
        }
        ("batch", "Job") => {
            job_spec(obj, &["spec"]);
        }
        ("batch", "CronJob") => {
            if let Some(s) = obj_mut(obj, &["spec"]) {
                set_default(s, "concurrencyPolicy", json!("Allow"));
                set_default(s, "suspend", json!(false));
                set_default(s, "successfulJobsHistoryLimit", json!(3));
                set_default(s, "failedJobsHistoryLimit", json!(1));
            }
            job_spec(obj, &["spec", "jobTemplate", "spec"]);
        }
        ("", "Service") => service(obj),
        ("networking.k8s.io", "NetworkPolicy") => network_policy(obj),
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration") => {
            webhooks(obj, &api_version, true)
        }
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration") => {
            webhooks(obj, &api_version, false)
        }
        _ => {}
    }
}

fn job_spec(obj: &mut Value, path: &[&str]) {
    if let Some(s) = obj_mut(obj, path) {
        let parallelism_given = s.get("parallelism").is_some();
        set_default(s, "backoffLimit", json!(6));
        set_default(s, "completionMode", json!("NonIndexed"));
        set_default(s, "suspend", json!(false));
        if s.get("completions").is_none() && !parallelism_given {
            s.insert("completions".to_string(), json!(1));
        }
        set_default(s, "parallelism", json!(1));
    }
    let mut p = path.to_vec();
    p.extend(["template", "spec"]);
    pod_spec(obj, &p);
}

fn pod_spec(obj: &mut Value, path: &[&str]) {
    let Some(s) = obj_mut(obj, path) else { return };
    set_default(s, "restartPolicy", json!("Always"));
    set_default(s, "dnsPolicy", json!("ClusterFirst"));
    set_default(s, "schedulerName", json!("default-scheduler"));
    set_default(s, "securityContext", json!({}));
    set_default(s, "terminationGracePeriodSeconds", json!(30));
    if s.get("serviceAccount").is_none() {
        if let Some(sa) = s.get("serviceAccountName").cloned() {
            s.insert("serviceAccount".to_string(), sa);
        }
    }
    for key in ["containers", "initContainers"] {
        if let Some(Value::Array(cs)) = s.get_mut(key) {
            for c in cs.iter_mut().filter_map(Value::as_object_mut) {
                container(c);
            }
        }
    }
    if let Some(Value::Array(vols)) = s.get_mut("volumes") {
        for v in vols.iter_mut().filter_map(Value::as_object_mut) {
            for src in ["secret", "configMap"] {
                if let Some(o) = v.get_mut(src).and_then(Value::as_object_mut) {
                    set_default(o, "defaultMode", json!(420));
                }
            }
            if let Some(o) = v.get_mut("projected").and_then(Value::as_object_mut) {
                set_default(o, "defaultMode", json!(420));
                if let Some(Value::Array(sources)) = o.get_mut("sources") {
                    for src in sources.iter_mut() {
                        if let Some(t) = src
                            .get_mut("serviceAccountToken")
                            .and_then(Value::as_object_mut)
                        {
                            set_default(t, "expirationSeconds", json!(3600));
                        }
                        if let Some(Value::Array(items)) =
                            src.get_mut("downwardAPI").and_then(|d| d.get_mut("items"))
                        {
                            field_ref_items(items);
                        }
                    }
                }
            }
            if let Some(o) = v.get_mut("downwardAPI").and_then(Value::as_object_mut) {
                set_default(o, "defaultMode", json!(420));
                if let Some(Value::Array(items)) = o.get_mut("items") {
                    field_ref_items(items);
                }
            }
        }
    }
}

fn field_ref_items(items: &mut [Value]) {
    for item in items.iter_mut() {
        if let Some(fr) = item.get_mut("fieldRef").and_then(Value::as_object_mut) {
            set_default(fr, "apiVersion", json!("v1"));
        }
    }
}

fn network_policy(obj: &mut Value) {
    let Some(s) = obj_mut(obj, &["spec"]) else {
        return;
    };
    for dir in ["ingress", "egress"] {
        if let Some(Value::Array(rules)) = s.get_mut(dir) {
            for r in rules.iter_mut() {
                if let Some(Value::Array(ports)) = r.get_mut("ports") {
                    for p in ports.iter_mut().filter_map(Value::as_object_mut) {
                        set_default(p, "protocol", json!("TCP"));
                    }
                }
            }
        }
    }
    if s.get("policyTypes").is_none() {
        let mut types = vec![json!("Ingress")];
        if s.get("egress").is_some() {
            types.push(json!("Egress"));
        }
        s.insert("policyTypes".to_string(), Value::Array(types));
    }
}

fn image_pull_policy(image: &str) -> &'static str {
    if image.contains('@') {
        return "IfNotPresent";
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.rsplit_once(':') {
        Some((_, tag)) if tag != "latest" => "IfNotPresent",
        _ => "Always",
    }
}

fn container(c: &mut Map<String, Value>) {
    set_default(c, "terminationMessagePath", json!("/dev/termination-log"));
    set_default(c, "terminationMessagePolicy", json!("File"));
    if let Some(image) = c.get("image").and_then(Value::as_str) {
        let policy = image_pull_policy(image);
        set_default(c, "imagePullPolicy", json!(policy));
    }
    if let Some(Value::Array(ports)) = c.get_mut("ports") {
        for p in ports.iter_mut().filter_map(Value::as_object_mut) {
            set_default(p, "protocol", json!("TCP"));
        }
    }
    if let Some(Value::Array(env)) = c.get_mut("env") {
        for e in env.iter_mut().filter_map(Value::as_object_mut) {
            if let Some(fr) = e
                .get_mut("valueFrom")
                .and_then(|v| v.get_mut("fieldRef"))
                .and_then(Value::as_object_mut)
            {
                set_default(fr, "apiVersion", json!("v1"));
            }
        }
    }
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if let Some(p) = c.get_mut(probe).and_then(Value::as_object_mut) {
            set_default(p, "timeoutSeconds", json!(1));
            set_default(p, "periodSeconds", json!(10));
            set_default(p, "successThreshold", json!(1));
            set_default(p, "failureThreshold", json!(3));
            if let Some(h) = p.get_mut("httpGet").and_then(Value::as_object_mut) {
                set_default(h, "scheme", json!("HTTP"));
            }
        }
    }
}

fn webhooks(obj: &mut Value, api_version: &str, mutating: bool) {
    let v1beta1 = api_version.ends_with("/v1beta1");
    let Some(Value::Array(hooks)) = obj.get_mut("webhooks") else {
        return;
    };
    for h in hooks.iter_mut().filter_map(Value::as_object_mut) {
        if v1beta1 {
            set_default(h, "failurePolicy", json!("Ignore"));
            set_default(h, "matchPolicy", json!("Exact"));
            set_default(h, "sideEffects", json!("Unknown"));
            set_default(h, "timeoutSeconds", json!(30));
            set_default(h, "admissionReviewVersions", json!(["v1beta1"]));
        } else {
            set_default(h, "failurePolicy", json!("Fail"));
            set_default(h, "matchPolicy", json!("Equivalent"));
            set_default(h, "timeoutSeconds", json!(10));
        }
        set_default(h, "namespaceSelector", json!({}));
        set_default(h, "objectSelector", json!({}));
        if mutating {
            set_default(h, "reinvocationPolicy", json!("Never"));
        }
        if let Some(svc) = h
            .get_mut("clientConfig")
            .and_then(|c| c.get_mut("service"))
            .and_then(Value::as_object_mut)
        {
            set_default(svc, "port", json!(443));
        }
        if let Some(Value::Array(rules)) = h.get_mut("rules") {
            for r in rules.iter_mut().filter_map(Value::as_object_mut) {
                set_default(r, "scope", json!("*"));
            }
        }
    }
}

fn service(obj: &mut Value) {
    let Some(s) = obj_mut(obj, &["spec"]) else {
        return;
    };
    set_default(s, "type", json!("ClusterIP"));
    let ty = s
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if ty == "ExternalName" {
        return;
    }
    set_default(s, "sessionAffinity", json!("None"));
    set_default(s, "internalTrafficPolicy", json!("Cluster"));
    // Set by the API server's allocator rather than a defaulter; single-stack unless asked.
    if s.get("ipFamilies")
        .and_then(Value::as_array)
        .is_none_or(|f| f.len() < 2)
    {
        set_default(s, "ipFamilyPolicy", json!("SingleStack"));
    }
    if ty == "NodePort" || ty == "LoadBalancer" {
        set_default(s, "externalTrafficPolicy", json!("Cluster"));
    }
    if let Some(Value::Array(ports)) = s.get_mut("ports") {
        for p in ports.iter_mut().filter_map(Value::as_object_mut) {
            set_default(p, "protocol", json!("TCP"));
            if p.get("targetPort").is_none() {
                if let Some(port) = p.get("port").cloned() {
                    p.insert("targetPort".to_string(), port);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deployment_and_container_defaults() {
        let mut d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"template": {"spec": {
            "containers": [{"name": "a", "image": "nginx"}, {"name": "b", "image": "nginx:1.2", "ports": [{"containerPort": 80}]}]}}}});
        apply(&mut d);
        assert_eq!(d["spec"]["replicas"], json!(1));
        assert_eq!(
            d["spec"]["strategy"]["rollingUpdate"]["maxSurge"],
            json!("25%")
        );
        let pod = &d["spec"]["template"]["spec"];
        assert_eq!(pod["dnsPolicy"], json!("ClusterFirst"));
        assert_eq!(pod["containers"][0]["imagePullPolicy"], json!("Always"));
        assert_eq!(
            pod["containers"][1]["imagePullPolicy"],
            json!("IfNotPresent")
        );
        assert_eq!(pod["containers"][1]["ports"][0]["protocol"], json!("TCP"));
        assert_eq!(image_pull_policy("reg:5000/app"), "Always");
        assert_eq!(image_pull_policy("reg:5000/app:latest"), "Always");
        assert_eq!(image_pull_policy("app@sha256:abc"), "IfNotPresent");
    }

    #[test]
    fn network_policy_and_projected_volume_defaults() {
        let mut np = json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "spec": {"ingress": [{"ports": [{"port": 80}]}], "egress": [{}]}});
        apply(&mut np);
        assert_eq!(
            np["spec"]["ingress"][0]["ports"][0]["protocol"],
            json!("TCP")
        );
        assert_eq!(np["spec"]["policyTypes"], json!(["Ingress", "Egress"]));
        let mut pod = json!({"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [],
            "volumes": [{"name": "t", "projected": {"sources": [{"serviceAccountToken": {"path": "t"}}]}}]}});
        apply(&mut pod);
        let src = &pod["spec"]["volumes"][0]["projected"];
        assert_eq!(src["defaultMode"], json!(420));
        assert_eq!(
            src["sources"][0]["serviceAccountToken"]["expirationSeconds"],
            json!(3600)
        );
    }

    #[test]
    fn service_defaults() {
        let mut s =
            json!({"apiVersion": "v1", "kind": "Service", "spec": {"ports": [{"port": 80}]}});
        apply(&mut s);
        assert_eq!(
            s["spec"],
            json!({"type": "ClusterIP", "sessionAffinity": "None", "internalTrafficPolicy": "Cluster",
                "ipFamilyPolicy": "SingleStack",
                "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}]})
        );
    }
}
