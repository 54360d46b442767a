//! Argo CD's built-in (Go) health checks, with the same statuses and messages.
//!
//! One function per kind, mirroring `gitops-engine/pkg/health/health_*.go`. Checks for typed
//! Kubernetes kinds accept exactly the apiVersions Argo CD converts (`apps/v1` Deployment, …);
//! any other version is an error ("unsupported Deployment GVK: …"), which Argo CD shows as
//! Unknown. Fields with the wrong JSON type are conversion errors, as with Go's typed
//! conversion; absent fields take Go's zero values.

use super::{annotation, gvk, HealthError, HealthStatus, HealthStatusCode};
use crate::compare::hooks::is_hook;
use serde_json::Value;

use HealthStatusCode::{Degraded, Healthy, Progressing, Suspended, Unknown};

/// The group/kind pairs that have a built-in check (any version; the check itself may reject
/// the version).
pub fn has_builtin_check(group: &str, kind: &str) -> bool {
    matches!(
        (group, kind),
        (
            "apps",
            "Deployment" | "StatefulSet" | "ReplicaSet" | "DaemonSet"
        ) | ("extensions" | "networking.k8s.io", "Ingress")
            | ("argoproj.io", "Workflow")
            | ("apiregistration.k8s.io", "APIService")
            | ("", "Service" | "PersistentVolumeClaim" | "Pod")
            | ("batch", "Job")
            | ("autoscaling", "HorizontalPodAutoscaler")
    )
}

/// Runs the built-in check for the object's group and kind; `Ok(None)` when there is none.
pub fn builtin_health(obj: &Value) -> Result<Option<HealthStatus>, HealthError> {
    let (group, version, kind) = gvk(obj);
    let gvk_text = format!("{group}/{version}, Kind={kind}");
    let unsupported = |what: &str| {
        Err(HealthError::Builtin(format!(
            "unsupported {what} GVK: {gvk_text}"
        )))
    };
    let h = match (group, kind) {
        ("apps", "Deployment") if version == "v1" => deployment(&Typed::new(obj, "Deployment"))?,
        ("apps", "Deployment") => return unsupported("Deployment"),
        ("apps", "StatefulSet") if version == "v1" => statefulset(&Typed::new(obj, "StatefulSet"))?,
        ("apps", "StatefulSet") => return unsupported("StatefulSet"),
        ("apps", "ReplicaSet") if version == "v1" => replicaset(&Typed::new(obj, "ReplicaSet"))?,
        ("apps", "ReplicaSet") => return unsupported("ReplicaSet"),
        ("apps", "DaemonSet") if version == "v1" => daemonset(&Typed::new(obj, "DaemonSet"))?,
        ("apps", "DaemonSet") => return unsupported("DaemonSet"),
        ("extensions" | "networking.k8s.io", "Ingress") => ingress(obj),
        ("argoproj.io", "Workflow") => workflow(obj),
        ("apiregistration.k8s.io", "APIService") if version == "v1" || version == "v1beta1" => {
            apiservice(&Typed::new(obj, "APIService"))?
        }
        ("apiregistration.k8s.io", "APIService") => return unsupported("APIService"),
        ("", "Service") if version == "v1" => service(&Typed::new(obj, "Service"))?,
        ("", "Service") => return unsupported("Service"),
        ("", "PersistentVolumeClaim") if version == "v1" => {
            pvc(&Typed::new(obj, "PersistentVolumeClaim"))?
        }
        ("", "PersistentVolumeClaim") => return unsupported("PersistentVolumeClaim"),
        ("", "Pod") if version == "v1" => pod(&Typed::new(obj, "Pod"), is_hook(obj))?,
        ("", "Pod") => return unsupported("Pod"),
        ("batch", "Job") if version == "v1" => job(&Typed::new(obj, "Job"))?,
        ("batch", "Job") => return unsupported("Job"),
        ("autoscaling", "HorizontalPodAutoscaler") if version == "v1" || version == "v2" => {
            hpa(obj, version)?
        }
        ("autoscaling", "HorizontalPodAutoscaler") => return unsupported("HPA"),
        _ => return Ok(None),
    };
    Ok(Some(h))
}

/// Typed field access with Go's zero values for absent fields and conversion errors for
/// fields of the wrong JSON type.
struct Typed<'a> {
    obj: &'a Value,
    what: &'static str,
}

impl<'a> Typed<'a> {
    fn new(obj: &'a Value, what: &'static str) -> Self {
        Typed { obj, what }
    }

    fn err(&self, detail: String) -> HealthError {
        HealthError::Builtin(format!(
            "failed to convert unstructured {} to typed: {detail}",
            self.what
        ))
    }

    fn at(&self, path: &str) -> Option<&'a Value> {
        self.obj.pointer(path).filter(|v| !v.is_null())
    }

    fn opt_int_of(&self, v: Option<&Value>, path: &str) -> Result<Option<i64>, HealthError> {
        match v.filter(|v| !v.is_null()) {
            None => Ok(None),
            Some(Value::Number(n)) => {
                if let Some(i) = n.as_i64() {
                    Ok(Some(i))
                } else if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9e15) {
                    Ok(Some(f as i64))
                } else {
                    Err(self.err(format!("{path}: expected an integer, got {n}")))
                }
            }
            Some(other) => Err(self.err(format!(
                "{path}: expected an integer, got {}",
                json_type(other)
            ))),
        }
    }

    fn opt_int(&self, path: &str) -> Result<Option<i64>, HealthError> {
        self.opt_int_of(self.obj.pointer(path), path)
    }

    fn int(&self, path: &str) -> Result<i64, HealthError> {
        Ok(self.opt_int(path)?.unwrap_or(0))
    }

    fn str_of(&self, v: Option<&'a Value>, path: &str) -> Result<&'a str, HealthError> {
        match v.filter(|v| !v.is_null()) {
            None => Ok(""),
            Some(Value::String(s)) => Ok(s),
            Some(other) => Err(self.err(format!(
                "{path}: expected a string, got {}",
                json_type(other)
            ))),
        }
    }

    fn str(&self, path: &str) -> Result<&'a str, HealthError> {
        self.str_of(self.obj.pointer(path), path)
    }

    fn bool(&self, path: &str) -> Result<bool, HealthError> {
        match self.at(path) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => Err(self.err(format!(
                "{path}: expected a boolean, got {}",
                json_type(other)
            ))),
        }
    }

    fn array(&self, path: &str) -> Result<&'a [Value], HealthError> {
        match self.at(path) {
            None => Ok(&[]),
            Some(Value::Array(a)) => Ok(a),
            Some(other) => Err(self.err(format!(
                "{path}: expected an array, got {}",
                json_type(other)
            ))),
        }
    }

    /// Checks that an array element is an object (or null) and returns it.
    fn item(&self, v: &'a Value, path: &str) -> Result<&'a Value, HealthError> {
        match v {
            Value::Object(_) | Value::Null => Ok(v),
            other => Err(self.err(format!(
                "{path}: expected an object, got {}",
                json_type(other)
            ))),
        }
    }

    /// Conditions as (type, status, reason, message).
    fn conditions(&self, path: &str) -> Result<Vec<Condition<'a>>, HealthError> {
        let mut out = Vec::new();
        for c in self.array(path)? {
            let c = self.item(c, path)?;
            out.push(Condition {
                type_: self.str_of(c.get("type"), path)?,
                status: self.str_of(c.get("status"), path)?,
                reason: self.str_of(c.get("reason"), path)?,
                message: self.str_of(c.get("message"), path)?,
            });
        }
        Ok(out)
    }
}

struct Condition<'a> {
    type_: &'a str,
    status: &'a str,
    reason: &'a str,
    message: &'a str,
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Go's `%q` for the names that appear in messages.
fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn deployment(t: &Typed) -> Result<HealthStatus, HealthError> {
    if t.bool("/spec/paused")? {
        return Ok(HealthStatus::new(Suspended, "Deployment is paused"));
    }
    let name = t.str("/metadata/name")?;
    let generation = t.int("/metadata/generation")?;
    let observed = t.int("/status/observedGeneration")?;
    if generation > observed {
        return Ok(HealthStatus::new(
            Progressing,
            "Waiting for rollout to finish: observed deployment generation less than desired generation",
        ));
    }
    let conditions = t.conditions("/status/conditions")?;
    let spec_replicas = t.opt_int("/spec/replicas")?;
    let replicas = t.int("/status/replicas")?;
    let updated = t.int("/status/updatedReplicas")?;
    let available = t.int("/status/availableReplicas")?;
    let progressing = conditions.iter().find(|c| c.type_ == "Progressing");
    if progressing.is_some_and(|c| c.reason == "ProgressDeadlineExceeded") {
        return Ok(HealthStatus::new(
            Degraded,
            format!(
                "Deployment {} exceeded its progress deadline",
                go_quote(name)
            ),
        ));
    }
    if let Some(want) = spec_replicas.filter(|want| updated < *want) {
        return Ok(HealthStatus::new(
            Progressing,
            format!("Waiting for rollout to finish: {updated} out of {want} new replicas have been updated..."),
        ));
    }
    if replicas > updated {
        return Ok(HealthStatus::new(
            Progressing,
            format!(
                "Waiting for rollout to finish: {} old replicas are pending termination...",
                replicas - updated
            ),
        ));
    }
    if available < updated {
        return Ok(HealthStatus::new(
            Progressing,
            format!("Waiting for rollout to finish: {available} of {updated} updated replicas are available..."),
        ));
    }
    Ok(HealthStatus::status(Healthy))
}

fn statefulset(t: &Typed) -> Result<HealthStatus, HealthError> {
    let generation = t.int("/metadata/generation")?;
    let observed = t.int("/status/observedGeneration")?;
    if observed == 0 || generation > observed {
        return Ok(HealthStatus::new(
            Progressing,
            "Waiting for statefulset spec update to be observed...",
        ));
    }
    let spec_replicas = t.opt_int("/spec/replicas")?;
    let ready = t.int("/status/readyReplicas")?;
    let updated = t.int("/status/updatedReplicas")?;
    let current = t.int("/status/currentReplicas")?;
    let update_revision = t.str("/status/updateRevision")?;
    let current_revision = t.str("/status/currentRevision")?;
    let strategy = t.str("/spec/updateStrategy/type")?;
    let rolling = t.at("/spec/updateStrategy/rollingUpdate");
    let partition = t.opt_int("/spec/updateStrategy/rollingUpdate/partition")?;
    if let Some(want) = spec_replicas.filter(|want| ready < *want) {
        return Ok(HealthStatus::new(
            Progressing,
            format!("Waiting for {} pods to be ready...", want - ready),
        ));
    }
    if strategy == "RollingUpdate" && rolling.is_some() {
        if let (Some(want), Some(partition)) = (spec_replicas, partition) {
            if updated < want - partition {
                return Ok(HealthStatus::new(
                    Progressing,
                    format!(
                        "Waiting for partitioned roll out to finish: {updated} out of {} new pods have been updated...",
                        want - partition
                    ),
                ));
            }
        }
        return Ok(HealthStatus::new(
            Healthy,
            format!("partitioned roll out complete: {updated} new pods have been updated..."),
        ));
    }
    if strategy == "OnDelete" {
        return Ok(HealthStatus::new(
            Healthy,
            format!("statefulset has {ready} ready pods"),
        ));
    }
    if update_revision != current_revision {
        return Ok(HealthStatus::new(
            Progressing,
            format!("waiting for statefulset rolling update to complete {updated} pods at revision {update_revision}..."),
        ));
    }
    Ok(HealthStatus::new(
        Healthy,
        format!(
            "statefulset rolling update complete {current} pods at revision {current_revision}..."
        ),
    ))
}

fn daemonset(t: &Typed) -> Result<HealthStatus, HealthError> {
    let name = t.str("/metadata/name")?;
    let generation = t.int("/metadata/generation")?;
    let observed = t.int("/status/observedGeneration")?;
    let strategy = t.str("/spec/updateStrategy/type")?;
    let updated = t.int("/status/updatedNumberScheduled")?;
    let desired = t.int("/status/desiredNumberScheduled")?;
    let available = t.int("/status/numberAvailable")?;
    if generation > observed {
        return Ok(HealthStatus::new(
            Progressing,
            "Waiting for rollout to finish: observed daemon set generation less than desired generation",
        ));
    }
    if strategy == "OnDelete" {
        return Ok(HealthStatus::new(
            Healthy,
            format!("daemon set {updated} out of {desired} new pods have been updated"),
        ));
    }
    if updated < desired {
        return Ok(HealthStatus::new(
            Progressing,
            format!(
                "Waiting for daemon set {} rollout to finish: {updated} out of {desired} new pods have been updated...",
                go_quote(name)
            ),
        ));
    }
    if available < desired {
        return Ok(HealthStatus::new(
            Progressing,
            format!(
                "Waiting for daemon set {} rollout to finish: {available} of {desired} updated pods are available...",
                go_quote(name)
            ),
        ));
    }
    Ok(HealthStatus::status(Healthy))
}

fn replicaset(t: &Typed) -> Result<HealthStatus, HealthError> {
    let generation = t.int("/metadata/generation")?;
    let observed = t.int("/status/observedGeneration")?;
    let conditions = t.conditions("/status/conditions")?;
    let spec_replicas = t.opt_int("/spec/replicas")?;
    let available = t.int("/status/availableReplicas")?;
    if generation > observed {
        return Ok(HealthStatus::new(
            Progressing,
            "Waiting for rollout to finish: observed replica set generation less than desired generation",
        ));
    }
    if let Some(c) = conditions.iter().find(|c| c.type_ == "ReplicaFailure") {
        if c.status == "True" {
            return Ok(HealthStatus::new(Degraded, c.message));
        }
    }
    if let Some(want) = spec_replicas.filter(|want| available < *want) {
        return Ok(HealthStatus::new(
            Progressing,
            format!("Waiting for rollout to finish: {available} out of {want} new replicas are available..."),
        ));
    }
    Ok(HealthStatus::status(Healthy))
}

fn service(t: &Typed) -> Result<HealthStatus, HealthError> {
    let type_ = t.str("/spec/type")?;
    let ingress = t.array("/status/loadBalancer/ingress")?;
    if type_ == "LoadBalancer" && ingress.is_empty() {
        return Ok(HealthStatus::status(Progressing));
    }
    Ok(HealthStatus::status(Healthy))
}

fn ingress(obj: &Value) -> HealthStatus {
    let has = obj
        .pointer("/status/loadBalancer/ingress")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty());
    HealthStatus::status(if has { Healthy } else { Progressing })
}

fn pvc(t: &Typed) -> Result<HealthStatus, HealthError> {
    let status = match t.str("/status/phase")? {
        "Lost" => Degraded,
        "Pending" => Progressing,
        "Bound" => Healthy,
        _ => Unknown,
    };
    Ok(HealthStatus::status(status))
}

fn pod(t: &Typed, hook: bool) -> Result<HealthStatus, HealthError> {
    let ignore_restart_policy =
        annotation(t.obj, super::ANNOTATION_IGNORE_RESTART_POLICY) == Some("true");
    let policy = t.str("/spec/restartPolicy")?;
    let phase = t.str("/status/phase")?;
    let message = t.str("/status/message")?;
    let containers = t.array("/status/containerStatuses")?;
    let init_containers = t.array("/status/initContainerStatuses")?;
    for c in containers.iter().chain(init_containers) {
        t.item(c, "/status/containerStatuses")?;
    }
    let always_like = policy == "Always" || (ignore_restart_policy && !hook);

    if always_like {
        let mut messages = Vec::new();
        for c in containers {
            let reason = t.str_of(c.pointer("/state/waiting/reason"), "waiting.reason")?;
            let waiting = c.pointer("/state/waiting").is_some_and(|w| !w.is_null());
            if waiting
                && (reason.starts_with("Err")
                    || reason.ends_with("Error")
                    || reason.ends_with("BackOff"))
            {
                messages.push(t.str_of(c.pointer("/state/waiting/message"), "waiting.message")?);
            }
        }
        if !messages.is_empty() {
            return Ok(HealthStatus::new(Degraded, messages.join(", ")));
        }
    }

    match phase {
        "Pending" => Ok(HealthStatus::new(Progressing, message)),
        "Succeeded" => Ok(HealthStatus::new(Healthy, message)),
        "Failed" => {
            if !message.is_empty() {
                return Ok(HealthStatus::new(Degraded, message));
            }
            for c in init_containers.iter().chain(containers) {
                let term = c.pointer("/state/terminated").filter(|v| !v.is_null());
                let Some(term) = term else { continue };
                let msg = t.str_of(term.get("message"), "terminated.message")?;
                if !msg.is_empty() {
                    return Ok(HealthStatus::new(Degraded, msg));
                }
                if t.str_of(term.get("reason"), "terminated.reason")? == "OOMKilled" {
                    return Ok(HealthStatus::new(Degraded, "OOMKilled"));
                }
                let code = t.opt_int_of(term.get("exitCode"), "terminated.exitCode")?;
                if let Some(code) = code.filter(|c| *c != 0) {
                    let name = t.str_of(c.get("name"), "name")?;
                    return Ok(HealthStatus::new(
                        Degraded,
                        format!("container {} failed with exit code {code}", go_quote(name)),
                    ));
                }
            }
            Ok(HealthStatus::new(Degraded, ""))
        }
        "Running" if always_like => {
            let ready = t
                .conditions("/status/conditions")?
                .iter()
                .any(|c| c.type_ == "Ready" && c.status == "True");
            if ready {
                return Ok(HealthStatus::new(Healthy, message));
            }
            let restarted = containers.iter().any(|c| {
                c.pointer("/lastState/terminated")
                    .is_some_and(|v| !v.is_null())
            });
            if restarted {
                return Ok(HealthStatus::new(Degraded, message));
            }
            Ok(HealthStatus::new(Progressing, message))
        }
        "Running" if policy == "OnFailure" || policy == "Never" => {
            Ok(HealthStatus::new(Progressing, message))
        }
        _ => Ok(HealthStatus::new(Unknown, message)),
    }
}

fn job(t: &Typed) -> Result<HealthStatus, HealthError> {
    let mut failed = false;
    let mut fail_msg = "";
    let mut complete = false;
    let mut message = "";
    let mut suspended = false;
    for c in t.conditions("/status/conditions")? {
        match c.type_ {
            "Failed" => {
                failed = true;
                complete = true;
                fail_msg = c.message;
            }
            "Complete" => {
                complete = true;
                message = c.message;
            }
            "Suspended" => {
                complete = true;
                message = c.message;
                if c.status == "True" {
                    suspended = true;
                }
            }
            _ => {}
        }
    }
    Ok(if !complete {
        HealthStatus::new(Progressing, message)
    } else if failed {
        HealthStatus::new(Degraded, fail_msg)
    } else if suspended {
        HealthStatus::new(Suspended, message)
    } else {
        HealthStatus::new(Healthy, message)
    })
}

fn hpa(obj: &Value, version: &str) -> Result<HealthStatus, HealthError> {
    let waiting = || HealthStatus::new(Progressing, "Waiting to Autoscale");
    let conv = |d: String| {
        HealthError::Builtin(format!("failed to convert unstructured HPA to typed: {d}"))
    };
    let conditions: Vec<(String, String, String, String)> = if version == "v2" {
        let t = Typed::new(obj, "HPA");
        t.conditions("/status/conditions")
            .map_err(|e| conv(e.to_string()))?
            .into_iter()
            .map(|c| {
                (
                    c.type_.to_string(),
                    c.status.to_string(),
                    c.reason.to_string(),
                    c.message.to_string(),
                )
            })
            .collect()
    } else {
        let Some(text) = annotation(obj, "autoscaling.alpha.kubernetes.io/conditions") else {
            return Ok(waiting());
        };
        let parsed: Value = serde_json::from_str(text).map_err(|e| {
            HealthError::Builtin(format!(
                "failed to convert conditions annotation to typed: {e}"
            ))
        })?;
        let list = match parsed {
            Value::Null => Vec::new(),
            Value::Array(a) => a,
            other => {
                return Err(HealthError::Builtin(format!(
                    "failed to convert conditions annotation to typed: json: cannot unmarshal {} into Go value of type []health.hpaCondition",
                    json_type(&other)
                )))
            }
        };
        let field = |c: &Value, k: &str| -> String {
            // encoding/json matches field names case-insensitively.
            c.as_object()
                .and_then(|m| {
                    m.get(k).or_else(|| {
                        m.iter()
                            .find(|(key, _)| key.eq_ignore_ascii_case(k))
                            .map(|(_, v)| v)
                    })
                })
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        list.iter()
            .map(|c| {
                (
                    field(c, "Type"),
                    field(c, "Status"),
                    field(c, "Reason"),
                    field(c, "Message"),
                )
            })
            .collect()
    };
    const DEGRADED: [(&str, &str); 8] = [
        ("AbleToScale", "FailedGetScale"),
        ("AbleToScale", "FailedUpdateScale"),
        ("ScalingActive", "FailedGetResourceMetric"),
        ("ScalingActive", "FailedGetObjectMetric"),
        ("ScalingActive", "FailedGetPodsMetric"),
        ("ScalingActive", "FailedGetExternalMetric"),
        ("ScalingActive", "FailedComputeMetricsReplicas"),
        ("ScalingActive", "InvalidSelector"),
    ];
    if let Some(c) = conditions
        .iter()
        .find(|c| DEGRADED.iter().any(|(t, r)| c.0 == *t && c.2 == *r))
    {
        return Ok(HealthStatus::new(Degraded, c.3.clone()));
    }
    if let Some(c) = conditions
        .iter()
        .find(|c| (c.0 == "AbleToScale" || c.0 == "ScalingLimited") && c.1 == "True")
    {
        return Ok(HealthStatus::new(Healthy, c.3.clone()));
    }
    Ok(waiting())
}

fn apiservice(t: &Typed) -> Result<HealthStatus, HealthError> {
    for c in t.conditions("/status/conditions")? {
        if c.type_ == "Available" {
            let status = if c.status == "True" {
                Healthy
            } else {
                Progressing
            };
            return Ok(HealthStatus::new(
                status,
                format!("{}: {}", c.reason, c.message),
            ));
        }
    }
    Ok(HealthStatus::new(Progressing, "Waiting to be processed"))
}

fn workflow(obj: &Value) -> HealthStatus {
    let s = |p: &str| obj.pointer(p).and_then(Value::as_str).unwrap_or("");
    let message = s("/status/message");
    let status = match s("/status/phase") {
        "" | "Pending" | "Running" => Progressing,
        "Succeeded" => Healthy,
        "Failed" | "Error" => Degraded,
        _ => Unknown,
    };
    HealthStatus::new(status, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unsupported_version_is_an_error() {
        let obj =
            json!({"apiVersion": "apps/v1beta2", "kind": "Deployment", "metadata": {"name": "x"}});
        assert_eq!(
            builtin_health(&obj),
            Err(HealthError::Builtin(
                "unsupported Deployment GVK: apps/v1beta2, Kind=Deployment".into()
            ))
        );
    }

    #[test]
    fn wrong_field_type_is_a_conversion_error() {
        let obj = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
            "spec": {"replicas": "3"}});
        let err = builtin_health(&obj)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.starts_with("failed to convert unstructured Deployment to typed"),
            "{err}"
        );
    }

    #[test]
    fn deployment_messages() {
        let obj = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "generation": 2},
            "spec": {"replicas": 3},
            "status": {"observedGeneration": 2, "replicas": 3, "updatedReplicas": 1}});
        assert_eq!(
            builtin_health(&obj),
            Ok(Some(HealthStatus::new(
                Progressing,
                "Waiting for rollout to finish: 1 out of 3 new replicas have been updated..."
            )))
        );
        let obj = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web"},
            "status": {"conditions": [{"type": "Progressing", "reason": "ProgressDeadlineExceeded"}]}});
        assert_eq!(
            builtin_health(&obj),
            Ok(Some(HealthStatus::new(
                Degraded,
                "Deployment \"web\" exceeded its progress deadline"
            )))
        );
    }

    #[test]
    fn no_check_for_other_kinds() {
        let obj = json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application"});
        assert_eq!(builtin_health(&obj), Ok(None));
        assert!(!has_builtin_check("argoproj.io", "Application"));
    }
}
