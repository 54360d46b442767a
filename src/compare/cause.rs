//! Why a field differs: the likely cause of each difference, from evidence in the dump, and
//! the remedy for it.
//!
//! Evidence, in order: the `managedFields` entry that owns the live value (manager, operation,
//! subresource, time); autoscalers that target the object; signatures of sidecar injectors
//! (Istio, Linkerd, Vault agent) and monitoring annotations; an owning `ExternalSecret` or
//! `SealedSecret`; a value equal to the default of the CRD's OpenAPI schema in the dump.

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::load::yaml::unescape_pointer_token;
use crate::model::key::ObjectKey;

/// The kind of cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CauseKind {
    /// A person changed the object (`kubectl edit`, `patch`, `apply`, `scale`, …).
    ManualChange,
    /// `kubectl rollout restart` (a `restartedAt` annotation).
    RolloutRestart,
    /// An HPA or KEDA scaled the workload.
    Autoscaler,
    /// A mutating webhook or injector (service mesh, Vault agent).
    RuntimeMutation,
    /// A monitoring agent added annotations.
    MonitoringAnnotation,
    /// A secret controller (External Secrets, Sealed Secrets, Vault operator) wrote the Secret.
    SecretController,
    /// The CRD's OpenAPI schema defaulted the field.
    CrdDefault,
    /// A controller or manager driftlens does not recognise.
    OtherManager,
    /// No evidence in the dump.
    Unknown,
}

impl CauseKind {
    /// Words for messages.
    pub fn describe(self) -> &'static str {
        match self {
            CauseKind::ManualChange => "manual change",
            CauseKind::RolloutRestart => "rollout restart",
            CauseKind::Autoscaler => "autoscaler",
            CauseKind::RuntimeMutation => "runtime mutation (injector)",
            CauseKind::MonitoringAnnotation => "monitoring annotation",
            CauseKind::SecretController => "secret controller",
            CauseKind::CrdDefault => "CRD defaulting",
            CauseKind::OtherManager => "another controller",
            CauseKind::Unknown => "unknown",
        }
    }
}

/// The `managedFields` entry that owns a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Owner {
    /// Field manager.
    pub manager: String,
    /// `Apply` or `Update`.
    pub operation: String,
    /// Subresource (`scale`, `status`), if any.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subresource: String,
    /// When.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub time: String,
}

/// The likely cause of one difference and what to do about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cause {
    /// What kind.
    pub kind: CauseKind,
    /// The evidence, in words.
    pub evidence: String,
    /// The owning manager, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
    /// What to do.
    pub remedy: String,
    /// An `ignoreDifferences` entry that would silence the difference, when ignoring is the
    /// right remedy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggested_ignore: Option<Value>,
    /// Whether `RespectIgnoreDifferences=true` is also needed (the app syncs automatically and
    /// would otherwise write the Git value back).
    pub needs_respect_ignore_differences: bool,
}

/// What the cause analysis may look at besides the live object.
pub struct Evidence<'a> {
    /// Autoscalers (kind, name) that target the object.
    pub autoscalers: Vec<(String, String)>,
    /// OpenAPI schema of the object's CRD (the served version's `openAPIV3Schema`), if the dump
    /// has it.
    pub crd_schema: Option<&'a Value>,
    /// The Application syncs automatically with self-heal.
    pub self_heal: bool,
    /// The Application already sets `RespectIgnoreDifferences=true`.
    pub respects_ignore: bool,
}

fn tokens(pointer: &str) -> Vec<String> {
    pointer
        .strip_prefix('/')
        .map(|r| {
            r.split('/')
                .map(|t| unescape_pointer_token(t).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// How deep a `fieldsV1` tree follows the pointer through the live object.
fn owned_depth(fields: &Value, live: &Value, toks: &[String]) -> usize {
    let mut f = fields;
    let mut v = live;
    let mut depth = 0;
    for t in toks {
        let Some(fm) = f.as_object() else { break };
        let next = match v {
            Value::Object(m) => {
                let Some(nv) = m.get(t) else { break };
                fm.get(&format!("f:{t}")).map(|nf| (nf, nv))
            }
            Value::Array(a) => {
                let Some(item) = t.parse::<usize>().ok().and_then(|i| a.get(i)) else {
                    break;
                };
                fm.iter().find_map(|(k, nf)| {
                    if let Some(keys) = k.strip_prefix("k:") {
                        let keys: Map<String, Value> = serde_json::from_str(keys).ok()?;
                        keys.iter()
                            .all(|(kk, kv)| item.get(kk) == Some(kv))
                            .then_some((nf, item))
                    } else if let Some(val) = k.strip_prefix("v:") {
                        let val: Value = serde_json::from_str(val).ok()?;
                        (&val == item).then_some((nf, item))
                    } else if let Some(i) = k.strip_prefix("i:") {
                        (i == t).then_some((nf, item))
                    } else {
                        None
                    }
                })
            }
            _ => None,
        };
        match next {
            Some((nf, nv)) => {
                f = nf;
                v = nv;
                depth += 1;
            }
            None => break,
        }
    }
    depth
}

/// The manager owning the live value at `pointer`: the entry whose fields follow the pointer
/// deepest (ties: the most recent).
pub fn owner_of(live: &Value, pointer: &str) -> Option<Owner> {
    let toks = tokens(pointer);
    let entries = live.pointer("/metadata/managedFields")?.as_array()?;
    let mut best: Option<(usize, &str, &Value)> = None;
    for e in entries {
        let Some(fields) = e.get("fieldsV1") else {
            continue;
        };
        let d = owned_depth(fields, live, &toks);
        if d == 0 {
            continue;
        }
        let time = e.get("time").and_then(Value::as_str).unwrap_or("");
        let better = match best {
            None => true,
            Some((bd, bt, _)) => d > bd || (d == bd && time > bt),
        };
        if better {
            best = Some((d, time, e));
        }
    }
    let (depth, _, e) = best?;
    // A partial match only counts when it owns a whole subtree that holds the value.
    if depth < toks.len() {
        let f = {
            let mut f = e.get("fieldsV1")?;
            let mut v = live;
            for t in &toks[..depth] {
                let key = match v {
                    Value::Object(_) => format!("f:{t}"),
                    _ => break,
                };
                v = v.get(t)?;
                f = f.get(&key)?;
            }
            f
        };
        if f.as_object()
            .is_some_and(|m| !m.is_empty() && !m.contains_key("."))
        {
            return None;
        }
    }
    let s = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    Some(Owner {
        manager: s("manager"),
        operation: s("operation"),
        subresource: s("subresource"),
        time: s("time"),
    })
}

const MANUAL_MANAGERS: &[&str] = &[
    "kubectl-edit",
    "kubectl-patch",
    "kubectl-client-side-apply",
    "kubectl-replace",
    "kubectl-set",
    "kubectl-label",
    "kubectl-annotate",
    "kubectl-create",
    "kubectl",
    "kubectl-scale",
    "kubectl-rollout",
    "k9s",
    "Mozilla",
    "lens",
];

const SECRET_MANAGERS: &[&str] = &[
    "external-secrets",
    "sealed-secrets-controller",
    "vault-secrets-operator",
    "secrets-store-csi-driver",
];

fn looks_injected(pointer: &str, live: &Value) -> Option<&'static str> {
    let lower = pointer.to_ascii_lowercase();
    let sig: [(&str, &str); 6] = [
        ("istio", "Istio sidecar injection"),
        ("linkerd", "Linkerd proxy injection"),
        ("vault.hashicorp.com", "Vault agent injection"),
        ("vault-agent", "Vault agent injection"),
        ("dd.datadoghq", "Datadog admission controller"),
        ("sidecar.", "sidecar injection"),
    ];
    for (needle, what) in sig {
        if lower.contains(needle) {
            return Some(what);
        }
    }
    let val = live
        .pointer(pointer)
        .map(|v| v.to_string().to_ascii_lowercase());
    if val.is_some_and(|v| v.contains("istio-proxy") || v.contains("linkerd-proxy")) {
        return Some("service-mesh sidecar injection");
    }
    None
}

fn crd_default(schema: &Value, toks: &[String]) -> Option<Value> {
    let mut s = schema;
    for t in toks {
        if let Some(p) = s.get("properties").and_then(|p| p.get(t)) {
            s = p;
        } else if t.parse::<usize>().is_ok() {
            s = s.get("items")?;
        } else {
            return None;
        }
    }
    s.get("default").cloned()
}

fn scoped_ignore(key: &ObjectKey, field: Value) -> Value {
    let mut m = Map::new();
    m.insert("group".into(), json!(key.group));
    m.insert("kind".into(), json!(key.kind));
    m.insert("name".into(), json!(key.name));
    if !key.namespace.is_empty() {
        m.insert("namespace".into(), json!(key.namespace));
    }
    if let Value::Object(f) = field {
        m.extend(f);
    }
    Value::Object(m)
}

/// Explains the difference at `pointer` of the object `key` (live object `live`).
pub fn explain(key: &ObjectKey, live: &Value, pointer: &str, ev: &Evidence<'_>) -> Cause {
    let toks = tokens(pointer);
    let owner = owner_of(live, pointer);
    let needs_respect = ev.self_heal && !ev.respects_ignore;
    let ignore_pointer = |p: &str| Some(scoped_ignore(key, json!({"jsonPointers": [p]})));
    let revert = "sync the Application to restore the Git value, or commit the live value to Git \
                  if the change should stay";
    let mk = |kind: CauseKind, evidence: String, remedy: String, ignore: Option<Value>| Cause {
        kind,
        evidence,
        owner: owner.clone(),
        remedy,
        needs_respect_ignore_differences: ignore.is_some() && needs_respect,
        suggested_ignore: ignore,
    };
    let by = |o: &Owner| {
        let mut s = format!("`{}` ({}", o.manager, o.operation);
        if !o.subresource.is_empty() {
            s.push_str(&format!(", {} subresource", o.subresource));
        }
        if !o.time.is_empty() {
            s.push_str(&format!(", {}", o.time));
        }
        s.push(')');
        s
    };
    let is_replicas = pointer == "/spec/replicas";
    if pointer.contains("restartedAt") {
        return mk(
            CauseKind::RolloutRestart,
            format!(
                "`kubectl rollout restart` added a restartedAt annotation{}",
                owner
                    .as_ref()
                    .map(|o| format!(" via {}", by(o)))
                    .unwrap_or_default()
            ),
            "nothing to fix in Git; to stop reporting it, ignore the annotation".into(),
            ignore_pointer(
                "/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt",
            ),
        );
    }
    if is_replicas
        && (!ev.autoscalers.is_empty()
            || owner.as_ref().is_some_and(|o| {
                o.manager == "kube-controller-manager" || o.subresource == "scale"
            }))
        && owner.as_ref().is_none_or(|o| o.manager != "kubectl-scale")
    {
        let who = ev
            .autoscalers
            .first()
            .map(|(k, n)| format!("{k} `{n}` scales this workload"))
            .unwrap_or_else(|| "an autoscaler scaled this workload".into());
        let ev_text = match &owner {
            Some(o) => format!("{who}; the live value is owned by {}", by(o)),
            None => who,
        };
        return mk(
            CauseKind::Autoscaler,
            ev_text,
            "remove `replicas` from Git, or ignore it".into(),
            ignore_pointer("/spec/replicas"),
        );
    }
    if let Some(o) = &owner {
        if MANUAL_MANAGERS.contains(&o.manager.as_str()) {
            return mk(
                CauseKind::ManualChange,
                format!("changed by hand: {}", by(o)),
                revert.into(),
                None,
            );
        }
        if SECRET_MANAGERS.iter().any(|m| o.manager.contains(m)) {
            return mk(
                CauseKind::SecretController,
                format!("written by the secret controller {}", by(o)),
                "stop managing this Secret's data in Git (let the controller own it), or ignore \
                 `/data`"
                    .into(),
                ignore_pointer("/data"),
            );
        }
    }
    let owner_kind = live
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .and_then(|a| {
            a.iter().find_map(|r| {
                let k = r.get("kind")?.as_str()?;
                matches!(k, "ExternalSecret" | "SealedSecret").then(|| k.to_string())
            })
        });
    if let Some(k) = owner_kind {
        return mk(
            CauseKind::SecretController,
            format!("the Secret is owned by a {k}, whose controller writes its data"),
            format!("remove the plain Secret from Git and keep only the {k}"),
            None,
        );
    }
    if let Some(what) = looks_injected(pointer, live) {
        let ignore = if toks
            .iter()
            .any(|t| t == "containers" || t == "initContainers")
        {
            let list = if toks.iter().any(|t| t == "initContainers") {
                "initContainers"
            } else {
                "containers"
            };
            Some(scoped_ignore(
                key,
                json!({"jqPathExpressions": [format!(
                    ".spec.template.spec.{list}[] | select(.name == \"istio-proxy\" or .name == \"linkerd-proxy\" or .name == \"vault-agent\")"
                )]}),
            ))
        } else {
            Some(scoped_ignore(key, json!({"jsonPointers": [pointer]})))
        };
        return mk(
            CauseKind::RuntimeMutation,
            format!("{what} changed the live object"),
            "ignore the injected fields, or use server-side diff (`ServerSideDiff=true` with \
             `IncludeMutationWebhook=true` in the Application's compare-options)"
                .into(),
            ignore,
        );
    }
    if pointer.contains("prometheus.io") {
        return mk(
            CauseKind::MonitoringAnnotation,
            "a monitoring agent added prometheus.io annotations".into(),
            "ignore the annotations".into(),
            ignore_pointer(pointer),
        );
    }
    if let Some(schema) = ev.crd_schema {
        if let (Some(default), Some(v)) = (crd_default(schema, &toks), live.pointer(pointer)) {
            if &default == v {
                return mk(
                    CauseKind::CrdDefault,
                    "the CRD's OpenAPI schema defaults this field; Git does not set it".into(),
                    "write the default value into Git".into(),
                    None,
                );
            }
        }
    }
    match &owner {
        Some(o) => mk(
            CauseKind::OtherManager,
            format!("the live value is owned by {}", by(o)),
            format!(
                "if `{}` is meant to own this field, ignore it; otherwise {revert}",
                o.manager
            ),
            None,
        ),
        None => mk(
            CauseKind::Unknown,
            "no field manager in the dump owns this value".into(),
            revert.into(),
            None,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live() -> Value {
        json!({
            "metadata": {"managedFields": [
                {"manager": "argocd-controller", "operation": "Update", "time": "2026-11-20T10:00:00Z",
                 "fieldsV1": {"f:spec": {"f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"web\"}": {".": {}, "f:image": {}}}}}}}},
                {"manager": "kubectl-edit", "operation": "Update", "time": "2026-11-23T22:17:31Z",
                 "fieldsV1": {"f:spec": {"f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"web\"}": {"f:image": {}}}}}}}},
                {"manager": "kube-controller-manager", "operation": "Update", "subresource": "scale", "time": "2026-11-25T09:12:44Z",
                 "fieldsV1": {"f:spec": {"f:replicas": {}}}}
            ]},
            "spec": {"replicas": 5, "template": {"spec": {"containers": [{"name": "web", "image": "x:2"}]}}}
        })
    }

    fn ev() -> Evidence<'static> {
        Evidence {
            autoscalers: vec![],
            crd_schema: None,
            self_heal: true,
            respects_ignore: false,
        }
    }

    #[test]
    fn owners_follow_keyed_lists() {
        let o = owner_of(&live(), "/spec/template/spec/containers/0/image").expect("owner");
        assert_eq!(o.manager, "kubectl-edit");
        let r = owner_of(&live(), "/spec/replicas").expect("owner");
        assert_eq!(r.subresource, "scale");
        assert!(owner_of(&live(), "/spec/paused").is_none());
    }

    #[test]
    fn causes() {
        let key = ObjectKey::new("apps/v1", "Deployment", "shop", "web");
        let c = explain(
            &key,
            &live(),
            "/spec/template/spec/containers/0/image",
            &ev(),
        );
        assert_eq!(c.kind, CauseKind::ManualChange);
        assert!(
            c.evidence.contains("2026-11-23T22:17:31Z"),
            "{}",
            c.evidence
        );
        let c = explain(&key, &live(), "/spec/replicas", &ev());
        assert_eq!(c.kind, CauseKind::Autoscaler);
        assert!(c.needs_respect_ignore_differences);
        assert_eq!(
            c.suggested_ignore,
            Some(
                json!({"group": "apps", "kind": "Deployment", "name": "web", "namespace": "shop", "jsonPointers": ["/spec/replicas"]})
            )
        );
        let c = explain(&key, &live(), "/spec/paused", &ev());
        assert_eq!(c.kind, CauseKind::Unknown);
        // Rollout restart, injected sidecar, monitoring annotation, secret controller.
        let restarted = "/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt";
        assert_eq!(
            explain(&key, &live(), restarted, &ev()).kind,
            CauseKind::RolloutRestart
        );
        let meshed = json!({"spec": {"template": {"spec": {"containers": [{"name": "web"}, {"name": "istio-proxy", "image": "proxyv2"}]}}}});
        let c = explain(&key, &meshed, "/spec/template/spec/containers/1", &ev());
        assert_eq!(c.kind, CauseKind::RuntimeMutation);
        assert!(c
            .suggested_ignore
            .is_some_and(|s| s.to_string().contains("istio-proxy")));
        let scraped = json!({"metadata": {"annotations": {"prometheus.io/scrape": "true"}}});
        assert_eq!(
            explain(
                &key,
                &scraped,
                "/metadata/annotations/prometheus.io~1scrape",
                &ev()
            )
            .kind,
            CauseKind::MonitoringAnnotation
        );
        let secret = ObjectKey::new("v1", "Secret", "shop", "db");
        let owned = json!({"metadata": {"ownerReferences": [{"kind": "ExternalSecret", "name": "db"}]}, "data": {"p": "eA=="}});
        assert_eq!(
            explain(&secret, &owned, "/data/p", &ev()).kind,
            CauseKind::SecretController
        );
        let vso = json!({"metadata": {"managedFields": [{"manager": "vault-secrets-operator", "operation": "Update",
            "fieldsV1": {"f:data": {"f:p": {}}}}]}, "data": {"p": "eA=="}});
        assert_eq!(
            explain(&secret, &vso, "/data/p", &ev()).kind,
            CauseKind::SecretController
        );
        let schema = json!({"properties": {"spec": {"properties": {"mode": {"type": "string", "default": "auto"}}}}});
        let cr = json!({"spec": {"mode": "auto"}});
        let e = Evidence {
            crd_schema: Some(&schema),
            ..ev()
        };
        assert_eq!(
            explain(&key, &cr, "/spec/mode", &e).kind,
            CauseKind::CrdDefault
        );
    }
}
