//! Normalization applied to desired, live and last-applied objects before any diff (§2.2).
//!
//! * [`remarshal`]: the effect of Argo CD's typed JSON round-trip for built-in kinds —
//!   quantities canonical, `omitempty` empties dropped, nested `creationTimestamp: null`
//!   dropped, int-or-string kept as written. An object with an unknown or mistyped field is
//!   returned unchanged (compared raw), as Argo CD does when the typed decode fails.
//! * [`normalize_kind`]: top-level `metadata.creationTimestamp` removal and the kind-specific
//!   rules for Secrets, RBAC roles and Endpoints.
//!
//! Go's `omitempty` / `omitzero` and pointer-ness are not in the OpenAPI document; the type
//! table carries them from the Kubernetes Go types (see `scripts/gen-patch-meta.py`). For the
//! few old API versions missing from the Go types, fields not marked required are treated as
//! `omitempty`, and scalar fields known to be pointers keep `0`, `false` and `""`.

use super::patchmeta::{table, Shape, TypeTable};
use super::quantity;
use base64::Engine as _;
use serde_json::{Map, Value};

/// Scalar fields that are pointers in the Kubernetes Go types: their zero values are kept
/// (fallback for definitions without Go facts).
const POINTER_SCALARS: &[&str] = &[
    "replicas",
    "revisionHistoryLimit",
    "progressDeadlineSeconds",
    "terminationGracePeriodSeconds",
    "activeDeadlineSeconds",
    "backoffLimit",
    "backoffLimitPerIndex",
    "maxFailedIndexes",
    "completions",
    "parallelism",
    "ttlSecondsAfterFinished",
    "startingDeadlineSeconds",
    "successfulJobsHistoryLimit",
    "failedJobsHistoryLimit",
    "suspend",
    "manualSelector",
    "runAsUser",
    "runAsGroup",
    "runAsNonRoot",
    "fsGroup",
    "privileged",
    "readOnlyRootFilesystem",
    "allowPrivilegeEscalation",
    "procMount",
    "automountServiceAccountToken",
    "enableServiceLinks",
    "shareProcessNamespace",
    "setHostnameAsFQDN",
    "hostUsers",
    "immutable",
    "optional",
    "defaultMode",
    "mode",
    "priority",
    "preemptionPolicy",
    "runtimeClassName",
    "storageClassName",
    "volumeMode",
    "minReplicas",
    "expirationSeconds",
    "allocateLoadBalancerNodePorts",
    "internalTrafficPolicy",
    "ipFamilyPolicy",
    "loadBalancerClass",
    "timeoutSeconds",
    "sizeLimit",
    "ingressClassName",
    "minAvailable",
    "maxUnavailable",
    "maxSurge",
    "partition",
    "serving",
    "ready",
    "terminating",
    "nodeName",
    "appProtocol",
    "sideEffects",
    "failurePolicy",
    "matchPolicy",
    "reinvocationPolicy",
    "admissionReviewVersions",
    "port",
    "restartPolicy",
];

/// Result of the typed walk: `None` means "the typed decode would fail; keep raw".
type Typed = Option<Value>;

/// Applies the typed round-trip to a built-in object; custom resources and objects that fail
/// the typed decode are returned unchanged.
pub fn remarshal(obj: &Value) -> Value {
    let Some(t) = table() else {
        return obj.clone();
    };
    let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    let Some(root) = t.root(api_version, kind) else {
        return obj.clone();
    };
    match walk(t, root, obj, true) {
        Some(v) => v,
        None => obj.clone(),
    }
}

/// Canonicalizes a value against a schema node; used by remarshal and known-type fields.
pub(crate) fn walk(t: &TypeTable, node: &Value, value: &Value, root: bool) -> Typed {
    match t.shape(node) {
        Shape::Struct(s) => {
            let obj = match value {
                Value::Object(o) => o,
                Value::Null => return Some(Value::Null),
                _ => return None,
            };
            let has_go_facts = t.resolve(s).get("go").is_some();
            let mut out = Map::new();
            for (k, v) in obj {
                // `status` is written by controllers of the live cluster, which may be newer
                // than the type table; it is compared raw (and ignored by default) so that a
                // new status field does not disable the round-trip of the whole object.
                if root && k == "status" {
                    out.insert(k.clone(), v.clone());
                    continue;
                }
                let field = match t.field(s, k) {
                    Some(f) => f,
                    None if root && (k == "apiVersion" || k == "kind") => {
                        out.insert(k.clone(), v.clone());
                        continue;
                    }
                    None => return None,
                };
                let nv = walk(t, field, v, false)?;
                let omitted = if has_go_facts {
                    is_omitted_go(t, field, &nv)
                } else {
                    !t.is_required(s, k) && is_omitted(t, field, k, &nv)
                };
                if omitted {
                    continue;
                }
                out.insert(k.clone(), nv);
            }
            Some(Value::Object(out))
        }
        Shape::Map(val) => {
            let obj = match value {
                Value::Object(o) => o,
                Value::Null => return Some(Value::Null),
                _ => return None,
            };
            let string_values = matches!(t.shape(val), Shape::String);
            let mut out = Map::new();
            for (k, v) in obj {
                let nv = if string_values && v.is_null() {
                    Value::String(String::new())
                } else {
                    walk(t, val, v, false)?
                };
                out.insert(k.clone(), nv);
            }
            Some(Value::Object(out))
        }
        Shape::List(items) => {
            let arr = match value {
                Value::Array(a) => a,
                Value::Null => return Some(Value::Null),
                _ => return None,
            };
            let string_items = matches!(t.shape(items), Shape::String);
            let mut out = Vec::with_capacity(arr.len());
            for v in arr {
                if string_items && v.is_null() {
                    out.push(Value::String(String::new()));
                } else {
                    out.push(walk(t, items, v, false)?);
                }
            }
            Some(Value::Array(out))
        }
        Shape::String => match value {
            Value::String(_) | Value::Null => Some(value.clone()),
            _ => None,
        },
        Shape::Integer => match value {
            Value::Number(n) if n.is_i64() || n.is_u64() => Some(value.clone()),
            Value::Number(n) => {
                let f = n.as_f64()?;
                if f.fract() == 0.0 && f.abs() < 9.0e15 {
                    Some(Value::from(f as i64))
                } else {
                    None
                }
            }
            Value::Null => Some(Value::Null),
            _ => None,
        },
        Shape::Number => match value {
            Value::Number(_) | Value::Null => Some(value.clone()),
            _ => None,
        },
        Shape::Boolean => match value {
            Value::Bool(_) | Value::Null => Some(value.clone()),
            _ => None,
        },
        Shape::Quantity => match value {
            Value::String(s) => quantity::canonicalize(s).map(Value::String),
            Value::Number(n) => quantity::canonicalize(&n.to_string()).map(Value::String),
            Value::Null => Some(Value::Null),
            _ => None,
        },
        Shape::IntOrString => match value {
            Value::String(_) | Value::Null => Some(value.clone()),
            Value::Number(n) if n.is_i64() || n.is_u64() => Some(value.clone()),
            _ => None,
        },
        Shape::Any => Some(value.clone()),
    }
}

/// Whether a field disappears in the round-trip, from the Go facts of the type table:
/// `omitempty` drops nil pointers, empty slices / maps / strings, `false` and `0`, but never a
/// non-nil pointer nor a struct; `omitzero` also drops an all-zero struct.
fn is_omitted_go(t: &TypeTable, field: &Value, v: &Value) -> bool {
    let omitempty = field.get("oe").is_some();
    let omitzero = field.get("oz").is_some();
    if !(omitempty || omitzero) {
        return false;
    }
    let pointer = field.get("ptr").is_some();
    let shape = t.shape(field);
    match v {
        Value::Null => true,
        _ if pointer => false,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty() && (matches!(shape, Shape::Map(_)) || omitzero),
        Value::String(s) => s.is_empty() && matches!(shape, Shape::String),
        Value::Bool(b) => !b,
        Value::Number(n) => {
            n.as_f64() == Some(0.0) && matches!(shape, Shape::Integer | Shape::Number)
        }
    }
}

/// Fallback for definitions without Go facts (API versions no longer in the Go types): an
/// optional field with this (already canonical) value disappears in the round-trip.
fn is_omitted(t: &TypeTable, field: &Value, name: &str, v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty() && matches!(t.shape(field), Shape::Map(_)),
        Value::String(s) => s.is_empty() && !POINTER_SCALARS.contains(&name),
        Value::Bool(b) => !b && !POINTER_SCALARS.contains(&name),
        Value::Number(n) => {
            n.as_f64() == Some(0.0)
                && !POINTER_SCALARS.contains(&name)
                && !matches!(t.shape(field), Shape::IntOrString | Shape::Quantity)
        }
    }
}

/// Options of the kind-specific normalization.
#[derive(Debug, Clone, Copy, Default)]
pub struct KindOptions {
    /// argocd-cm `resource.compareoptions.ignoreAggregatedRoles`.
    pub ignore_aggregated_roles: bool,
}

/// Removes the top-level `metadata.creationTimestamp` and applies the Secret, Role /
/// ClusterRole and Endpoints rules.
pub fn normalize_kind(obj: &mut Value, opts: KindOptions) {
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("creationTimestamp");
    }
    let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    let (group, _) = super::patchmeta::split_api_version(api_version);
    match (group, kind) {
        ("", "Secret") => normalize_secret(obj),
        ("rbac.authorization.k8s.io", "Role" | "ClusterRole") => normalize_role(obj, opts),
        ("", "Endpoints") => normalize_endpoints(obj),
        _ => {}
    }
}

/// `stringData` folded into base64 `data`; null/empty `data` values become `""`.
fn normalize_secret(obj: &mut Value) {
    let Some(o) = obj.as_object_mut() else { return };
    let string_data = o.remove("stringData");
    if let Some(Value::Object(sd)) = string_data {
        let data = o.entry("data").or_insert_with(|| Value::Object(Map::new()));
        if data.is_null() {
            *data = Value::Object(Map::new());
        }
        if let Some(d) = data.as_object_mut() {
            for (k, v) in sd {
                let nv = match v {
                    Value::String(s) => {
                        Value::String(base64::engine::general_purpose::STANDARD.encode(s))
                    }
                    other => other,
                };
                d.insert(k, nv);
            }
        }
    } else if let Some(other) = string_data {
        // Not a map: keep it so the difference stays visible.
        o.insert("stringData".to_string(), other);
    }
    if let Some(Value::Object(d)) = o.get_mut("data") {
        for v in d.values_mut() {
            if v.is_null() {
                *v = Value::String(String::new());
            }
        }
    }
}

fn normalize_role(obj: &mut Value, opts: KindOptions) {
    let Some(o) = obj.as_object_mut() else { return };
    if o.get("rules")
        .and_then(Value::as_array)
        .is_some_and(Vec::is_empty)
    {
        o.insert("rules".to_string(), Value::Null);
    }
    if opts.ignore_aggregated_roles && o.get("aggregationRule").is_some_and(Value::is_object) {
        o.insert("rules".to_string(), Value::Null);
    }
}

/// Default port protocol TCP and Kubernetes' `SortSubsets` order.
fn normalize_endpoints(obj: &mut Value) {
    let Some(subsets) = obj.get_mut("subsets").and_then(Value::as_array_mut) else {
        return;
    };
    for subset in subsets.iter_mut() {
        let Some(s) = subset.as_object_mut() else {
            continue;
        };
        if let Some(Value::Array(ports)) = s.get_mut("ports") {
            for p in ports.iter_mut() {
                if let Some(po) = p.as_object_mut() {
                    let empty = po
                        .get("protocol")
                        .is_none_or(|v| v.as_str().is_some_and(str::is_empty) || v.is_null());
                    if empty {
                        po.insert("protocol".to_string(), Value::String("TCP".to_string()));
                    }
                }
            }
            ports.sort_by_key(port_key);
        }
        for key in ["addresses", "notReadyAddresses"] {
            if let Some(Value::Array(addrs)) = s.get_mut(key) {
                addrs.sort_by_key(address_key);
            }
        }
    }
    subsets.sort_by_key(subset_key);
}

fn str_field(v: &Value, k: &str) -> String {
    v.get(k).and_then(Value::as_str).unwrap_or("").to_string()
}

fn address_key(a: &Value) -> (String, String) {
    let uid = a
        .get("targetRef")
        .map(|r| str_field(r, "uid"))
        .unwrap_or_default();
    (str_field(a, "ip"), uid)
}

fn port_key(p: &Value) -> (String, i64, String) {
    (
        str_field(p, "name"),
        p.get("port").and_then(Value::as_i64).unwrap_or(0),
        str_field(p, "protocol"),
    )
}

/// Kubernetes sorts subsets by a hash of their content; any deterministic total order gives
/// the same equality result, so the serialized subset is used.
fn subset_key(s: &Value) -> String {
    s.to_string()
}

/// Which objects get `/status` ignored (`resource.compareoptions.ignoreResourceStatusField`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StatusIgnore {
    /// Every kind (`all`, the default since Argo CD 3.0, and unknown values).
    #[default]
    All,
    /// Only `CustomResourceDefinition` objects.
    Crd,
    /// Nowhere (`none`, `off`, `false`).
    None,
}

impl StatusIgnore {
    /// Parses the argocd-cm value.
    pub fn parse(text: &str) -> Self {
        match text.trim() {
            "crd" => StatusIgnore::Crd,
            "none" | "off" | "false" => StatusIgnore::None,
            _ => StatusIgnore::All,
        }
    }

    /// Whether `/status` is ignored for this object.
    pub fn applies(self, obj: &Value) -> bool {
        match self {
            StatusIgnore::All => true,
            StatusIgnore::None => false,
            StatusIgnore::Crd => {
                let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
                let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
                super::patchmeta::split_api_version(api_version).0 == "apiextensions.k8s.io"
                    && kind == "CustomResourceDefinition"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn remarshal_drops_empties_and_canonicalizes_quantities() {
        let pod = json!({
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {}},
            "spec": {"containers": [{"name": "c", "image": "nginx", "imagePullPolicy": "",
                "volumeMounts": [{"name": "v", "mountPath": "/x", "readOnly": false}],
                "resources": {"requests": {"cpu": 0.2, "memory": "1024Mi"}, "limits": {"cpu": "2000m"}}}],
                "imagePullSecrets": [], "automountServiceAccountToken": false}
        });
        let got = remarshal(&pod);
        assert_eq!(
            got,
            json!({
                "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                "spec": {"containers": [{"name": "c", "image": "nginx",
                    "volumeMounts": [{"name": "v", "mountPath": "/x"}],
                    "resources": {"requests": {"cpu": "200m", "memory": "1Gi"}, "limits": {"cpu": "2"}}}],
                    "automountServiceAccountToken": false}
            })
        );
    }

    #[test]
    fn remarshal_keeps_raw_on_unknown_or_mistyped_field() {
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "invalidKey": "asdf", "data": {}});
        assert_eq!(remarshal(&cm), cm);
        let dep = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
            "spec": {"replicas": "3", "template": {"metadata": {"creationTimestamp": null}}}});
        assert_eq!(remarshal(&dep), dep);
    }

    #[test]
    fn remarshal_drops_nested_creation_timestamp_and_keeps_int_or_string() {
        let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
            "spec": {"ports": [{"port": 80, "targetPort": "80"}]}});
        assert_eq!(remarshal(&svc), svc);
        let sts = json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "s"},
            "spec": {"template": {"metadata": {"creationTimestamp": null, "labels": {"a": "b"}}},
                "volumeClaimTemplates": [{"metadata": {"name": "d", "creationTimestamp": null}}]}});
        let got = remarshal(&sts);
        assert_eq!(
            got["spec"]["template"]["metadata"],
            json!({"labels": {"a": "b"}})
        );
        assert_eq!(
            got["spec"]["volumeClaimTemplates"][0]["metadata"],
            json!({"name": "d"})
        );
    }

    #[test]
    fn newer_fields_and_unknown_status_keep_the_round_trip() {
        let dep = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
            "spec": {"template": {"spec": {"initContainers": [{"name": "proxy", "restartPolicy": "Always",
                "resources": {"requests": {"cpu": 0.5}}}], "containers": []}}},
            "status": {"someFutureField": {"a": 1}}});
        let got = remarshal(&dep);
        assert_eq!(
            got["spec"]["template"]["spec"]["initContainers"][0]["resources"]["requests"]["cpu"],
            json!("500m")
        );
        assert_eq!(got["status"], dep["status"]);
        // A field known only from the Go types (added after the OpenAPI document).
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "resources": {"limits": {"memory": "1024Mi"}},
                "volumeMounts": [{"name": "v", "mountPath": "/v", "recursiveReadOnly": "IfPossible"}]}]}});
        let got = remarshal(&pod);
        assert_eq!(
            got["spec"]["containers"][0]["resources"]["limits"]["memory"],
            json!("1Gi")
        );
    }

    #[test]
    fn go_facts_decide_what_the_round_trip_drops() {
        let hpa = json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "h"},
            "spec": {"maxReplicas": 3, "behavior": {"scaleUp": {"stabilizationWindowSeconds": 0}}}});
        assert_eq!(remarshal(&hpa), hpa);
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"nodeName": "", "restartPolicy": "", "containers": [{"name": "c", "stdin": false}]}});
        assert_eq!(
            remarshal(&pod)["spec"],
            json!({"containers": [{"name": "c"}]})
        );
        let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
            "spec": {"ports": [{"port": 80, "nodePort": 0, "targetPort": 0}]}});
        assert_eq!(
            remarshal(&svc)["spec"]["ports"],
            json!([{"port": 80, "targetPort": 0}])
        );
        // `rules` has no omitempty: an empty list survives (the role rule then makes it null).
        let role = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": "r"}, "rules": []});
        assert_eq!(remarshal(&role)["rules"], json!([]));
    }

    #[test]
    fn remarshal_keeps_pointer_zero_values() {
        let dep = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
            "spec": {"replicas": 0, "paused": false}});
        assert_eq!(remarshal(&dep)["spec"], json!({"replicas": 0}));
    }

    #[test]
    fn secret_string_data_is_folded_into_data() {
        let mut s = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "creationTimestamp": "x"},
            "stringData": {"foo": "bar"}, "data": {"baz": "cXV4", "n": null}});
        normalize_kind(&mut s, KindOptions::default());
        assert_eq!(
            s,
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
                "data": {"baz": "cXV4", "foo": "YmFy", "n": ""}})
        );
    }

    #[test]
    fn roles_and_status_options() {
        let mut r = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "rules": []});
        normalize_kind(&mut r, KindOptions::default());
        assert_eq!(r["rules"], Value::Null);
        let mut a = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "aggregationRule": {}, "rules": [{"verbs": ["get"]}]});
        normalize_kind(
            &mut a,
            KindOptions {
                ignore_aggregated_roles: true,
            },
        );
        assert_eq!(a["rules"], Value::Null);
        assert_eq!(StatusIgnore::parse("off"), StatusIgnore::None);
        assert_eq!(StatusIgnore::parse("weird"), StatusIgnore::All);
        let crd =
            json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition"});
        assert!(StatusIgnore::Crd.applies(&crd));
        assert!(!StatusIgnore::Crd.applies(&r));
    }
}
