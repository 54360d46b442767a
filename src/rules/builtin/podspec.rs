//! Shared helpers of the workload rules: where each kind keeps its pod spec, its containers with
//! their JSON pointers, and how to point at a field that may be missing. Not a rule.

use serde_json::{Map, Value};

use crate::model::object::{Location, Manifest};
use crate::rules::Context;

/// The pointer of the pod spec of a manifest, for the kinds that embed one.
pub fn pod_spec_pointer(m: &Manifest) -> Option<&'static str> {
    match (m.key.group.as_str(), m.key.kind.as_str()) {
        ("", "Pod") => Some("/spec"),
        ("apps", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet")
        | ("", "ReplicationController")
        | ("batch", "Job")
        | ("argoproj.io", "Rollout") => Some("/spec/template/spec"),
        ("batch", "CronJob") => Some("/spec/jobTemplate/spec/template/spec"),
        _ => None,
    }
}

/// A manifest that embeds a pod spec.
pub struct Pod<'a> {
    /// Index of the manifest in `repo.manifests`.
    pub index: usize,
    /// The manifest.
    pub manifest: &'a Manifest,
    /// Pointer of the pod spec.
    pub pointer: &'static str,
    /// The pod spec (JSON null when the template is absent, e.g. a Rollout with `workloadRef`).
    pub spec: &'a Value,
}

/// A container of a pod spec.
pub struct Container<'a> {
    /// Pointer of the container (`…/containers/0`).
    pub pointer: String,
    /// The container.
    pub value: &'a Value,
    /// Its name (empty when missing).
    pub name: &'a str,
    /// Whether it is an init container.
    pub init: bool,
}

impl Container<'_> {
    /// `container `api`` or `init container `migrate``.
    pub fn describe(&self) -> String {
        if self.init {
            format!("init container `{}`", self.name)
        } else {
            format!("container `{}`", self.name)
        }
    }

    /// [`Container::describe`] at the start of a sentence.
    pub fn title(&self) -> String {
        capitalize(&self.describe())
    }

    /// Where to point for a field of this container that may be missing: the field when it is
    /// written, else the container's `name:` key, else the container item.
    pub fn locate(&self, m: &Manifest, field: &str) -> (Location, String) {
        let ptr = format!("{}{}", self.pointer, field);
        if m.node.pointer(&ptr).is_some() {
            return (m.locate(&ptr), ptr);
        }
        let name = format!("{}/name", self.pointer);
        if m.node.pointer(&name).is_some() {
            return (m.locate(&name), ptr);
        }
        (m.locate(&self.pointer), ptr)
    }
}

static NULL: Value = Value::Null;
static EMPTY_MAP: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);

impl<'a> Pod<'a> {
    /// `Deployment `web``.
    pub fn describe(&self) -> String {
        format!("{} `{}`", self.manifest.key.kind, self.manifest.key.name)
    }

    /// The containers, regular ones first, then init containers.
    pub fn containers(&self) -> Vec<Container<'a>> {
        let mut out = Vec::new();
        for (field, init) in [("containers", false), ("initContainers", true)] {
            let Some(Value::Array(items)) = self.spec.get(field) else {
                continue;
            };
            for (i, c) in items.iter().enumerate().filter(|(_, c)| c.is_object()) {
                out.push(Container {
                    pointer: format!("{}/{field}/{i}", self.pointer),
                    value: c,
                    name: c.get("name").and_then(Value::as_str).unwrap_or(""),
                    init,
                });
            }
        }
        out
    }

    /// The labels of the pods it creates (the template's, or the Pod's own).
    pub fn labels(&self) -> &'a Map<String, Value> {
        let base = self.pointer.strip_suffix("/spec").unwrap_or("");
        match self
            .manifest
            .obj
            .pointer(&format!("{base}/metadata/labels"))
        {
            Some(Value::Object(l)) => l,
            _ => &EMPTY_MAP,
        }
    }

    /// The regular (long-running) containers only.
    pub fn app_containers(&self) -> Vec<Container<'a>> {
        self.containers().into_iter().filter(|c| !c.init).collect()
    }

    /// A field of the pod spec (`/hostNetwork`).
    pub fn field(&self, field: &str) -> Option<&'a Value> {
        self.spec.pointer(field)
    }

    /// Where a pod-level field is written, or the pod spec's key when it is not.
    pub fn locate(&self, field: &str) -> (Location, String) {
        let ptr = format!("{}{}", self.pointer, field);
        (self.manifest.locate(&ptr), ptr)
    }

    /// Whether the pod runs to completion (Job, CronJob, bare Pod with `restartPolicy` other
    /// than `Always`).
    pub fn runs_to_completion(&self) -> bool {
        match self.manifest.key.kind.as_str() {
            "Job" | "CronJob" => true,
            "Pod" => self
                .spec
                .get("restartPolicy")
                .and_then(Value::as_str)
                .is_some_and(|p| p != "Always"),
            _ => false,
        }
    }
}

/// The pod spec of one manifest, if its kind embeds one; `index` is its position in
/// `repo.manifests`.
pub fn pod_of(manifest: &Manifest, index: usize) -> Option<Pod<'_>> {
    let pointer = pod_spec_pointer(manifest)?;
    let spec = manifest.obj.pointer(pointer).unwrap_or(&NULL);
    if !spec.is_object() {
        return None;
    }
    Some(Pod {
        index,
        manifest,
        pointer,
        spec,
    })
}

/// Every manifest of the checkout that embeds a pod spec, in manifest order.
pub fn pods<'a>(ctx: &Context<'a>) -> Vec<Pod<'a>> {
    ctx.repo
        .manifests
        .iter()
        .enumerate()
        .filter_map(|(index, manifest)| pod_of(manifest, index))
        .collect()
}

/// Whether two namespaces as written may be the same: equal, or one left to the Application's
/// destination.
pub fn same_namespace(a: &str, b: &str) -> bool {
    a == b || a.is_empty() || b.is_empty()
}

/// `true` for a JSON boolean `true`.
pub fn is_true(v: Option<&Value>) -> bool {
    v == Some(&Value::Bool(true))
}

/// `true` for a JSON boolean `false`.
pub fn is_false(v: Option<&Value>) -> bool {
    v == Some(&Value::Bool(false))
}

/// Where the field at `pointer` is written, or the object's `kind:` line when it is not.
pub fn locate_or_kind(m: &Manifest, pointer: &str) -> Location {
    if m.node.pointer(pointer).is_some() {
        m.locate(pointer)
    } else {
        m.locate_kind()
    }
}

/// The string with its first character in upper case.
pub fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Whether a label set satisfies one `matchExpressions` requirement.
pub fn expression_matches(labels: &Map<String, Value>, e: &Value) -> bool {
    let key = e.get("key").and_then(Value::as_str).unwrap_or("");
    let values: Vec<&str> = match e.get("values") {
        Some(Value::Array(v)) => v.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let have = labels.get(key).and_then(Value::as_str);
    match e.get("operator").and_then(Value::as_str).unwrap_or("") {
        "In" => have.is_some_and(|h| values.contains(&h)),
        "NotIn" => !have.is_some_and(|h| values.contains(&h)),
        "Exists" => have.is_some(),
        "DoesNotExist" => have.is_none(),
        // An unknown operator is rejected by the API server: not this helper's concern.
        _ => true,
    }
}

/// Whether a `LabelSelector` (`matchLabels` and `matchExpressions`) selects a label set. An
/// empty or missing selector selects nothing here, as for Services and PDBs in practice.
pub fn selector_matches(selector: Option<&Value>, labels: &Map<String, Value>) -> bool {
    let Some(sel) = selector else { return false };
    let ml = sel.get("matchLabels").and_then(Value::as_object);
    let me = sel.get("matchExpressions").and_then(Value::as_array);
    if ml.map_or(0, Map::len) + me.map_or(0, Vec::len) == 0 {
        return false;
    }
    ml.into_iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v))
        && me
            .into_iter()
            .flatten()
            .all(|e| expression_matches(labels, e))
}

/// Whether a plain label map (a Service's `spec.selector`) selects the labels `label` looks up
/// by name; empty selects nothing.
pub fn map_selector_matches<'a>(
    selector: &Map<String, Value>,
    label: impl Fn(&str) -> Option<&'a Value>,
) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| label(k) == Some(v))
}
