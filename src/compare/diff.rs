//! The diff entry point: normalization, ignore rules and the choice of diff mode (§2).
//!
//! [`diff`] takes a desired (Git) and a live (cluster) object and predicts what Argo CD would
//! report: whether the resource is modified, which leaf fields differ, and the normalized live
//! and predicted live documents for a unified diff. Legacy mode (three-way with a parseable
//! `kubectl.kubernetes.io/last-applied-configuration`, else two-way) uses strategic-merge
//! semantics for built-in kinds and JSON merge for custom resources; `ServerSideApply=true`
//! selects the structured-merge approximation.
//!
//! Inputs deeper than [`MAX_DEPTH`] are rejected up front, so every recursive step below
//! works on bounded depth.
//!
//! Known approximations (each covered by tests where Argo CD's own tests define the outcome):
//!
//! * Server-side diff needs the API server; `ServerSideApply=true` uses the structured-merge
//!   prediction from live `managedFields` instead.
//! * The Kubernetes type table comes from the 1.24 OpenAPI document plus a hand-kept list of
//!   newer fields; Go's `omitempty` is inferred (optional fields, minus known pointer fields).
//! * Scheme defaulting covers the fields of the common workload, Service, webhook and
//!   NetworkPolicy kinds (see [`super::defaults`]).
//! * jq expressions that may not terminate are skipped with a warning (see [`super::jq`]).
//! * The predicted and normalized documents are computed from the ignore-normalized inputs, as
//!   Argo CD's `StateDiff` reports them (its test expects `replicas` ignored by a JSON pointer
//!   to come back as the default `1`).

use super::ignore::{self, CompiledIgnoreRule, KnownTypeField};
use super::normalize::{self, KindOptions, StatusIgnore};
use super::patchmeta::{split_api_version, table};
use super::{defaults, jsonmerge, secrets, smd, smp};
use serde_json::{Map, Value};

pub use driftlens_merge::{LAST_APPLIED, MAX_DEPTH};

/// Settings of a diff; build once and share across threads (the type is `Sync`).
#[derive(Debug, Clone)]
pub struct DiffSettings {
    /// Compiled ignoreDifferences rules (Application and argocd-cm overrides together).
    pub ignore_rules: Vec<CompiledIgnoreRule>,
    /// knownTypeFields of the resource overrides (plus [`KnownTypeField::builtin`]).
    pub known_type_fields: Vec<KnownTypeField>,
    /// `ignoreResourceStatusField` (default `all`).
    pub status_ignore: StatusIgnore,
    /// `ignoreAggregatedRoles`.
    pub ignore_aggregated_roles: bool,
    /// The Application's sync options contain `ServerSideApply=true` (the desired object's
    /// `argocd.argoproj.io/sync-options` annotation is checked per object). Also set it for
    /// Applications that use server-side diff: offline, the structured-merge prediction is
    /// the approximation of the API server's dry-run (§2.5).
    pub server_side_apply: bool,
    /// Budget of each jq expression on each object (Argo CD's timeout is 1 s).
    pub jq_limits: crate::limits::Limits,
    /// Tracking normalization; `Some` for the annotation-based tracking methods
    /// (`annotation`, the default, and `annotation+label`), `None` for `label`.
    pub tracking: Option<TrackingNormalization>,
    /// Mask Secret `data` values in the result ([`super::secrets`]);
    /// default true. `modified` and the set of differing pointers are unaffected.
    pub mask_secrets: bool,
}

/// Argo CD's diff-time resource-tracking normalization (§1.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingNormalization {
    /// `application.instanceLabelKey` (default `app.kubernetes.io/instance`).
    pub instance_label_key: String,
}

impl Default for TrackingNormalization {
    fn default() -> Self {
        TrackingNormalization {
            instance_label_key: "app.kubernetes.io/instance".to_string(),
        }
    }
}

/// The tracking annotation.
pub const TRACKING_ID: &str = "argocd.argoproj.io/tracking-id";

impl Default for DiffSettings {
    fn default() -> Self {
        DiffSettings {
            ignore_rules: Vec::new(),
            known_type_fields: KnownTypeField::builtin(),
            status_ignore: StatusIgnore::All,
            ignore_aggregated_roles: false,
            server_side_apply: false,
            jq_limits: crate::limits::Limits::JQ,
            tracking: Some(TrackingNormalization::default()),
            mask_secrets: true,
        }
    }
}

/// Which diff computation was used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffMode {
    /// Strategic merge with live's last-applied configuration.
    Legacy3Way,
    /// Strategic merge with last-applied := desired.
    Legacy2Way,
    /// JSON merge for kinds outside the client-go scheme.
    JsonMerge,
    /// Structured-merge approximation (`ServerSideApply=true`).
    StructuredMerge,
}

impl DiffMode {
    /// Stable name (`legacy-3way`, `legacy-2way`, `json-merge`, `structured-merge`).
    pub fn as_str(self) -> &'static str {
        match self {
            DiffMode::Legacy3Way => "legacy-3way",
            DiffMode::Legacy2Way => "legacy-2way",
            DiffMode::JsonMerge => "json-merge",
            DiffMode::StructuredMerge => "structured-merge",
        }
    }
}

/// One differing leaf.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDiff {
    /// RFC 6901 pointer into the documents.
    pub pointer: String,
    /// Value in the predicted live document (`None`: absent).
    pub desired: Option<Value>,
    /// Value in the normalized live document (`None`: absent).
    pub live: Option<Value>,
}

/// Result of [`diff`].
#[derive(Debug, Clone, PartialEq)]
pub struct DiffResult {
    /// Whether Argo CD would consider the resource out of sync.
    pub modified: bool,
    /// The computation used.
    pub mode: DiffMode,
    /// Differing leaves (ignored fields excluded), sorted by pointer.
    pub differences: Vec<FieldDiff>,
    /// Predicted live document, computed from the normalized inputs (ignored fields removed,
    /// then defaults applied — as Argo CD's `StateDiff` reports it).
    pub predicted_live: Value,
    /// Normalized live document.
    pub normalized_live: Value,
    /// Non-fatal problems (e.g. a jq expression skipped), sorted and deduplicated; they never
    /// quote object values.
    pub warnings: Vec<String>,
}

/// Errors of [`diff`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiffError {
    /// An input is nested deeper than [`MAX_DEPTH`].
    #[error("{which} object is nested deeper than {MAX_DEPTH} levels")]
    TooDeep {
        /// `desired`, `live` or `last-applied`.
        which: &'static str,
    },
    /// An input is not a JSON object.
    #[error("{which} object is not a JSON object")]
    NotAnObject {
        /// `desired` or `live`.
        which: &'static str,
    },
    /// An ignoreDifferences rule could not be evaluated within its budget.
    #[error("{0}")]
    Ignore(String),
}

/// Iterative depth check (no recursion on untrusted input).
fn depth_ok(v: &Value) -> bool {
    let mut stack: Vec<(&Value, usize)> = vec![(v, 1)];
    while let Some((cur, d)) = stack.pop() {
        if d > MAX_DEPTH {
            return false;
        }
        match cur {
            Value::Object(o) => stack.extend(o.values().map(|c| (c, d + 1))),
            Value::Array(a) => stack.extend(a.iter().map(|c| (c, d + 1))),
            _ => {}
        }
    }
    true
}

fn check(v: &Value, which: &'static str) -> Result<(), DiffError> {
    if !v.is_object() {
        return Err(DiffError::NotAnObject { which });
    }
    if !depth_ok(v) {
        return Err(DiffError::TooDeep { which });
    }
    Ok(())
}

/// Whether the object asks for server-side apply in its sync-options annotation.
fn wants_server_side_apply(desired: &Value) -> bool {
    desired
        .pointer("/metadata/annotations/argocd.argoproj.io~1sync-options")
        .and_then(Value::as_str)
        .is_some_and(|s| s.split(',').any(|o| o.trim() == "ServerSideApply=true"))
}

/// The parsed last-applied configuration of live, if present and a JSON object.
fn last_applied(live: &Value) -> Option<Value> {
    let text = live
        .pointer("/metadata/annotations")?
        .get(LAST_APPLIED)?
        .as_str()?;
    match serde_json::from_str::<Value>(text) {
        Ok(v @ Value::Object(_)) => Some(v),
        _ => None,
    }
}

/// If live has the instance label but no tracking annotation, desired's annotation is copied
/// into live; if desired has no instance label, the label is removed from live. CRDs are
/// skipped (they never get tracking metadata).
fn normalize_tracking(desired: &Value, live: &mut Value, t: &TrackingNormalization) {
    let label = |v: &Value| {
        v.pointer("/metadata/labels")
            .and_then(|l| l.get(&t.instance_label_key))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    if label(live).is_none_or(|l| l.is_empty()) {
        return;
    }
    let is_crd = live.get("kind").and_then(Value::as_str) == Some("CustomResourceDefinition")
        && live
            .get("apiVersion")
            .and_then(Value::as_str)
            .is_some_and(|a| a.starts_with("apiextensions.k8s.io/"));
    if is_crd {
        return;
    }
    let annotation = |v: &Value| {
        v.pointer("/metadata/annotations")
            .and_then(|a| a.get(TRACKING_ID))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    if annotation(live).is_none_or(|a| a.is_empty()) {
        let value = annotation(desired).unwrap_or_default();
        if let Some(meta) = live.get_mut("metadata").and_then(Value::as_object_mut) {
            let annotations = meta
                .entry("annotations")
                .or_insert_with(|| Value::Object(Map::new()));
            if annotations.is_null() {
                *annotations = Value::Object(Map::new());
            }
            if let Some(a) = annotations.as_object_mut() {
                a.insert(TRACKING_ID.to_string(), Value::String(value));
            }
        }
    }
    if label(desired).is_none_or(|l| l.is_empty()) {
        if let Some(labels) = live
            .pointer_mut("/metadata/labels")
            .and_then(Value::as_object_mut)
        {
            labels.remove(&t.instance_label_key);
        }
    }
}

/// Integral floats become integers (Argo CD compares JSON produced from float64 numbers, in
/// which `3` and `3.0` are the same).
fn canonical_numbers(v: &mut Value) {
    match v {
        Value::Number(n) if !(n.is_i64() || n.is_u64()) => {
            if let Some(f) = n.as_f64() {
                if f.fract() == 0.0 && f.abs() < 9.0e15 {
                    *v = Value::from(f as i64);
                }
            }
        }
        Value::Object(o) => o.values_mut().for_each(canonical_numbers),
        Value::Array(a) => a.iter_mut().for_each(canonical_numbers),
        _ => {}
    }
}

/// Normalization of one side. `remarshal` is false for last-applied.
fn normalize_side(
    obj: &mut Value,
    settings: &DiffSettings,
    remarshal: bool,
    warnings: &mut Vec<String>,
) -> Result<(), DiffError> {
    if remarshal {
        *obj = normalize::remarshal(obj);
    }
    normalize::normalize_kind(
        obj,
        KindOptions {
            ignore_aggregated_roles: settings.ignore_aggregated_roles,
        },
    );
    if settings.status_ignore.applies(obj) {
        if let Some(o) = obj.as_object_mut() {
            o.remove("status");
        }
    }
    warnings.extend(
        ignore::apply_rules(obj, &settings.ignore_rules, &settings.jq_limits)
            .map_err(DiffError::Ignore)?,
    );
    ignore::apply_known_types(obj, &settings.known_type_fields);
    Ok(())
}

/// Deletes `metadata.namespace` and an empty `metadata.annotations` (Argo CD's
/// `removeNamespaceAnnotation`, applied to config and orig in legacy mode).
fn remove_namespace_annotation(obj: &mut Value) {
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("namespace");
        if meta
            .get("annotations")
            .is_some_and(|a| a.as_object().is_some_and(Map::is_empty) || a.is_null())
        {
            meta.remove("annotations");
        }
    }
}

/// Diffs a desired object against its live counterpart with Argo CD's semantics.
pub fn diff(
    desired: &Value,
    live: &Value,
    settings: &DiffSettings,
) -> Result<DiffResult, DiffError> {
    check(desired, "desired")?;
    check(live, "live")?;
    let ssa = settings.server_side_apply || wants_server_side_apply(desired);
    let compared = compute(desired, live, settings, ssa)?;
    let modified = compared.predicted != compared.live;
    let mut differences = Vec::new();
    leaf_diffs(
        &compared.predicted,
        &compared.live,
        &mut String::new(),
        &mut differences,
    );
    let mut result = DiffResult {
        modified,
        mode: compared.mode,
        differences,
        predicted_live: compared.predicted,
        normalized_live: compared.live,
        warnings: compared.warnings,
    };
    if settings.mask_secrets {
        hide_secret_data(&mut result);
    }
    Ok(result)
}

/// Masks the secret values of a diff result in place (no-op without any): the documents
/// first ([`secrets::mask_documents`]), then each difference takes its values from them.
fn hide_secret_data(result: &mut DiffResult) {
    let masked = secrets::mask_documents(&mut result.predicted_live, &mut result.normalized_live);
    if masked.is_empty() {
        return;
    }
    for d in &mut result.differences {
        if !secrets::is_sensitive_pointer(&masked, &d.pointer) {
            continue;
        }
        if d.desired.is_some() {
            d.desired = Some(secrets::masked_value(&result.predicted_live, &d.pointer));
        }
        if d.live.is_some() {
            d.live = Some(secrets::masked_value(&result.normalized_live, &d.pointer));
        }
    }
}

/// Like [`diff`], but either side may be missing: desired-only is modified (the object will be
/// created; the result carries the normalized desired object as predicted live and one
/// difference at the root), live-only is not modified (Argo CD marks it "requires pruning"
/// elsewhere), and neither side gives `None`.
pub fn diff_optional(
    desired: Option<&Value>,
    live: Option<&Value>,
    settings: &DiffSettings,
) -> Result<Option<DiffResult>, DiffError> {
    let one_side = |obj: &Value, which: &'static str| -> Result<(Value, Vec<String>), DiffError> {
        check(obj, which)?;
        let mut v = obj.clone();
        canonical_numbers(&mut v);
        let mut warnings = Vec::new();
        normalize_side(&mut v, settings, true, &mut warnings)?;
        warnings.sort();
        warnings.dedup();
        Ok((v, warnings))
    };
    let mode_of = |obj: &Value| {
        let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
        if settings.server_side_apply || wants_server_side_apply(obj) {
            DiffMode::StructuredMerge
        } else if table().is_some_and(|t| t.is_builtin(api_version, kind)) {
            DiffMode::Legacy2Way
        } else {
            DiffMode::JsonMerge
        }
    };
    let mut result = match (desired, live) {
        (Some(d), Some(l)) => return diff(d, l, settings).map(Some),
        (None, None) => return Ok(None),
        (Some(d), None) => {
            let (v, warnings) = one_side(d, "desired")?;
            DiffResult {
                modified: true,
                mode: mode_of(&v),
                differences: vec![FieldDiff {
                    pointer: String::new(),
                    desired: Some(v.clone()),
                    live: None,
                }],
                predicted_live: v,
                normalized_live: Value::Null,
                warnings,
            }
        }
        (None, Some(l)) => {
            let (v, warnings) = one_side(l, "live")?;
            DiffResult {
                modified: false,
                mode: mode_of(&v),
                differences: Vec::new(),
                predicted_live: Value::Null,
                normalized_live: v,
                warnings,
            }
        }
    };
    if settings.mask_secrets {
        hide_secret_data(&mut result);
        if let Some(d) = result.differences.first_mut() {
            if d.pointer.is_empty() && d.desired.is_some() {
                d.desired = Some(result.predicted_live.clone());
            }
        }
    }
    Ok(Some(result))
}

struct Computed {
    mode: DiffMode,
    warnings: Vec<String>,
    predicted: Value,
    live: Value,
}

fn compute(
    desired: &Value,
    live: &Value,
    settings: &DiffSettings,
    ssa: bool,
) -> Result<Computed, DiffError> {
    let mut config = desired.clone();
    let mut live_n = live.clone();
    let mut orig = if ssa { None } else { last_applied(live) };
    if let Some(o) = &orig {
        if !depth_ok(o) {
            orig = None;
        }
    }
    canonical_numbers(&mut config);
    canonical_numbers(&mut live_n);
    if let Some(o) = orig.as_mut() {
        canonical_numbers(o);
    }
    if let Some(t) = &settings.tracking {
        normalize_tracking(&config, &mut live_n, t);
    }
    ignore::apply_managed_fields(
        &mut config,
        &mut live_n,
        orig.as_mut(),
        &settings.ignore_rules,
    );
    let mut warnings = Vec::new();
    normalize_side(&mut config, settings, true, &mut warnings)?;
    normalize_side(&mut live_n, settings, true, &mut warnings)?;
    if let Some(o) = orig.as_mut() {
        normalize_side(o, settings, false, &mut warnings)?;
    }
    warnings.sort();
    warnings.dedup();
    // The patch metadata comes from the desired object's kind, as in Argo CD.
    let type_of = |k: &str| {
        config
            .get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .or_else(|| live_n.get(k).and_then(Value::as_str))
            .unwrap_or("")
            .to_string()
    };
    let api_version = type_of("apiVersion");
    let kind = type_of("kind");
    let t = table();
    let root = t.and_then(|t| t.root(&api_version, &kind));

    if ssa {
        let owned = smd::owned_locations(&live_n);
        let mut predicted = smd::predict(t, root, &config, &live_n, &owned);
        let mut live_out = live_n;
        for v in [&mut predicted, &mut live_out] {
            if let Some(a) = v
                .pointer_mut("/metadata/annotations")
                .and_then(Value::as_object_mut)
            {
                a.remove(LAST_APPLIED);
            }
            defaults::apply(v);
        }
        return Ok(Computed {
            mode: DiffMode::StructuredMerge,
            warnings,
            predicted,
            live: live_out,
        });
    }

    let three_way = orig.is_some();
    remove_namespace_annotation(&mut config);
    let mut orig_v = match orig {
        Some(o) => o,
        None => config.clone(),
    };
    remove_namespace_annotation(&mut orig_v);

    match (t, root) {
        (Some(t), Some(root)) => {
            let mut live_for_patch = live_n.clone();
            let (group, _) = split_api_version(&api_version);
            if kind == "StatefulSet" && (group == "apps" || group == "extensions") {
                statefulset_workaround(&orig_v, &mut live_for_patch);
            }
            let mut predicted = smp::predict(t, root, Some(&orig_v), &config, &live_for_patch);
            defaults::apply(&mut predicted);
            let mut live_out = live_for_patch;
            defaults::apply(&mut live_out);
            Ok(Computed {
                warnings,
                mode: if three_way {
                    DiffMode::Legacy3Way
                } else {
                    DiffMode::Legacy2Way
                },
                predicted,
                live: live_out,
            })
        }
        _ => {
            let predicted = jsonmerge::predict(&orig_v, &config, &live_n);
            Ok(Computed {
                mode: DiffMode::JsonMerge,
                warnings,
                predicted,
                live: live_n,
            })
        }
    }
}

/// Live `volumeClaimTemplates` are pruned (by index) to the fields present in orig's.
fn statefulset_workaround(orig: &Value, live: &mut Value) {
    let Some(orig_vcts) = orig.pointer("/spec/volumeClaimTemplates") else {
        return;
    };
    if let Some(live_vcts) = live.pointer_mut("/spec/volumeClaimTemplates") {
        *live_vcts = jsonmerge::remove_map_fields(orig_vcts, live_vcts);
    }
}

fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Leaf-level differences between predicted (a) and live (b), in pointer order.
fn leaf_diffs(a: &Value, b: &Value, path: &mut String, out: &mut Vec<FieldDiff>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let len = path.len();
                path.push('/');
                path.push_str(&escape(k));
                match (x.get(k), y.get(k)) {
                    (Some(av), Some(bv)) => leaf_diffs(av, bv, path, out),
                    (av, bv) => out.push(FieldDiff {
                        pointer: path.clone(),
                        desired: av.cloned(),
                        live: bv.cloned(),
                    }),
                }
                path.truncate(len);
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            for i in 0..x.len().max(y.len()) {
                let len = path.len();
                path.push('/');
                path.push_str(&i.to_string());
                match (x.get(i), y.get(i)) {
                    (Some(av), Some(bv)) => leaf_diffs(av, bv, path, out),
                    (av, bv) => out.push(FieldDiff {
                        pointer: path.clone(),
                        desired: av.cloned(),
                        live: bv.cloned(),
                    }),
                }
                path.truncate(len);
            }
        }
        _ => {
            if a != b {
                out.push(FieldDiff {
                    pointer: path.clone(),
                    desired: Some(a.clone()),
                    live: Some(b.clone()),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment(replicas: i64, containers: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "prod"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": containers}}}})
    }

    fn with_last_applied(mut live: Value, applied: &Value) -> Value {
        live["metadata"]["annotations"] = json!({LAST_APPLIED: applied.to_string()});
        live
    }

    fn pointers(r: &DiffResult) -> Vec<&str> {
        r.differences.iter().map(|d| d.pointer.as_str()).collect()
    }

    #[test]
    fn settings_and_results_are_thread_safe() {
        fn assert_sync<T: Send + Sync>() {}
        assert_sync::<DiffSettings>();
        assert_sync::<DiffResult>();
    }

    #[test]
    fn injected_sidecar_is_not_a_difference() {
        let desired = deployment(2, json!([{"name": "app", "image": "app:1"}]));
        let live = deployment(
            2,
            json!([{"name": "app", "image": "app:1"},
                {"name": "istio-proxy", "image": "proxy:1", "ports": [{"containerPort": 15090}]}]),
        );
        let r = diff(&desired, &live, &DiffSettings::default()).expect("diff");
        assert!(!r.modified, "{:?}", pointers(&r));
        let r = diff(
            &desired,
            &with_last_applied(live, &desired),
            &DiffSettings::default(),
        )
        .expect("diff");
        assert_eq!(r.mode, DiffMode::Legacy3Way);
        assert!(!r.modified, "{:?}", pointers(&r));
    }

    #[test]
    fn rollout_restart_annotation_is_ignored_in_two_way() {
        let desired = deployment(2, json!([{"name": "app", "image": "app:1"}]));
        let mut live = desired.clone();
        live["spec"]["template"]["metadata"]["annotations"] =
            json!({"kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z"});
        let r = diff(&desired, &live, &DiffSettings::default()).expect("diff");
        assert_eq!(r.mode, DiffMode::Legacy2Way);
        assert!(!r.modified);
    }

    #[test]
    fn hpa_changed_replicas_is_a_difference() {
        let desired = deployment(2, json!([{"name": "app", "image": "app:1"}]));
        let live = deployment(5, json!([{"name": "app", "image": "app:1"}]));
        let r = diff(&desired, &live, &DiffSettings::default()).expect("diff");
        assert!(r.modified);
        assert_eq!(
            r.differences,
            vec![FieldDiff {
                pointer: "/spec/replicas".into(),
                desired: Some(json!(2)),
                live: Some(json!(5)),
            }]
        );
    }

    #[test]
    fn removed_from_git_but_in_last_applied_is_a_difference() {
        let applied = deployment(
            2,
            json!([{"name": "app", "image": "app:1", "env": [{"name": "A", "value": "1"}]}]),
        );
        let desired = deployment(2, json!([{"name": "app", "image": "app:1"}]));
        let live = with_last_applied(applied.clone(), &applied);
        let r = diff(&desired, &live, &DiffSettings::default()).expect("diff");
        assert_eq!(r.mode, DiffMode::Legacy3Way);
        assert!(r.modified);
        assert_eq!(pointers(&r), vec!["/spec/template/spec/containers/0/env"]);
        // The same live-only field without last-applied is not a difference.
        let r = diff(&desired, &applied, &DiffSettings::default()).expect("diff");
        assert!(!r.modified);
    }

    #[test]
    fn reordered_env_is_a_difference() {
        let env = |a: &str, b: &str| {
            json!([{"name": "app", "image": "app:1",
                "env": [{"name": a, "value": a}, {"name": b, "value": b}]}])
        };
        let desired = deployment(2, env("A", "B"));
        let live = deployment(2, env("B", "A"));
        let r = diff(&desired, &live, &DiffSettings::default()).expect("diff");
        assert!(r.modified);
        assert!(pointers(&r)
            .iter()
            .all(|p| p.starts_with("/spec/template/spec/containers/0/env/")));
    }

    #[test]
    fn quantity_spellings_are_equal() {
        let c = |cpu: Value, mem: &str| {
            json!([{"name": "app", "image": "app:1",
                "resources": {"limits": {"cpu": cpu, "memory": mem}}}])
        };
        let desired = deployment(1, c(json!(0.5), "1Gi"));
        let live = deployment(1, c(json!("500m"), "1024Mi"));
        let r = diff(&desired, &live, &DiffSettings::default()).expect("diff");
        assert!(!r.modified, "{:?}", pointers(&r));
        let live = deployment(1, c(json!("600m"), "1024Mi"));
        let r = diff(&desired, &live, &DiffSettings::default()).expect("diff");
        assert_eq!(
            pointers(&r),
            vec!["/spec/template/spec/containers/0/resources/limits/cpu"]
        );
    }

    fn settings_with(rule: ignore::IgnoreRule) -> DiffSettings {
        DiffSettings {
            ignore_rules: vec![CompiledIgnoreRule::compile(rule).expect("compiles")],
            ..Default::default()
        }
    }

    #[test]
    fn jq_ignore_of_replicas() {
        let desired = deployment(2, json!([{"name": "app", "image": "app:1"}]));
        let live = deployment(5, json!([{"name": "app", "image": "app:1"}]));
        let s = settings_with(ignore::IgnoreRule {
            group: "apps".into(),
            kind: "Deployment".into(),
            jq_path_expressions: vec![".spec.replicas".into()],
            ..Default::default()
        });
        assert!(!diff(&desired, &live, &s).expect("diff").modified);
        // A rule for another kind does not apply.
        let s = settings_with(ignore::IgnoreRule {
            group: "apps".into(),
            kind: "StatefulSet".into(),
            jq_path_expressions: vec![".spec.replicas".into()],
            ..Default::default()
        });
        assert!(diff(&desired, &live, &s).expect("diff").modified);
    }

    #[test]
    fn pointer_ignore_with_escaped_annotation_key() {
        let mut desired = deployment(2, json!([{"name": "app", "image": "app:1"}]));
        desired["metadata"]["annotations"] = json!({"example.com/owner": "a"});
        let mut live = desired.clone();
        live["metadata"]["annotations"] = json!({"example.com/owner": "b"});
        assert!(
            diff(&desired, &live, &DiffSettings::default())
                .expect("diff")
                .modified
        );
        let s = settings_with(ignore::IgnoreRule {
            group: "apps".into(),
            kind: "*".into(),
            json_pointers: vec!["/metadata/annotations/example.com~1owner".into()],
            ..Default::default()
        });
        assert!(!diff(&desired, &live, &s).expect("diff").modified);
    }

    #[test]
    fn managed_fields_manager_removes_replicas() {
        let desired = deployment(2, json!([{"name": "app", "image": "app:1"}]));
        let mut live = deployment(5, json!([{"name": "app", "image": "app:1"}]));
        live["metadata"]["managedFields"] = json!([
            {"manager": "kube-controller-manager", "operation": "Update",
             "fieldsV1": {"f:spec": {"f:replicas": {}}}}]);
        let s = settings_with(ignore::IgnoreRule {
            group: "*".into(),
            kind: "*".into(),
            managed_fields_managers: vec!["kube-controller-manager".into()],
            ..Default::default()
        });
        let r = diff(&desired, &live, &s).expect("diff");
        assert!(!r.modified, "{:?}", pointers(&r));
        let r = diff(&desired, &live, &DiffSettings::default()).expect("diff");
        assert_eq!(pointers(&r), vec!["/spec/replicas"]);
    }

    #[test]
    fn status_ignore_settings() {
        let desired = json!({"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "t"},
            "spec": {"a": 1}, "status": {"phase": "A"}});
        let mut live = desired.clone();
        live["status"]["phase"] = json!("B");
        assert!(
            !diff(&desired, &live, &DiffSettings::default())
                .expect("diff")
                .modified
        );
        let none = DiffSettings {
            status_ignore: StatusIgnore::None,
            ..Default::default()
        };
        let r = diff(&desired, &live, &none).expect("diff");
        assert_eq!(r.mode, DiffMode::JsonMerge);
        assert_eq!(pointers(&r), vec!["/status/phase"]);
        let crd_only = DiffSettings {
            status_ignore: StatusIgnore::Crd,
            ..Default::default()
        };
        assert!(diff(&desired, &live, &crd_only).expect("diff").modified);
    }

    #[test]
    fn custom_resource_lists_are_atomic_and_live_only_keys_ignored() {
        let desired = json!({"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "t"},
            "spec": {"servers": [{"host": "a"}, {"host": "b"}]}});
        let mut live = desired.clone();
        live["spec"]["servers"][0]["port"] = json!(80);
        live["spec"]["defaulted"] = json!(true);
        assert!(
            !diff(&desired, &live, &DiffSettings::default())
                .expect("diff")
                .modified
        );
        let mut live = desired.clone();
        live["spec"]["servers"] = json!([{"host": "b"}, {"host": "a"}]);
        assert!(
            diff(&desired, &live, &DiffSettings::default())
                .expect("diff")
                .modified
        );
    }

    #[test]
    fn deep_and_non_object_inputs_are_rejected() {
        let mut deep = json!(1);
        for _ in 0..(MAX_DEPTH + 5) {
            deep = json!({ "a": deep });
        }
        let ok = json!({"apiVersion": "v1", "kind": "ConfigMap"});
        assert_eq!(
            diff(&deep, &ok, &DiffSettings::default()),
            Err(DiffError::TooDeep { which: "desired" })
        );
        assert_eq!(
            diff(&ok, &json!([]), &DiffSettings::default()),
            Err(DiffError::NotAnObject { which: "live" })
        );
        // An unparseable or too deep last-applied annotation falls back to two-way.
        let mut live = ok.clone();
        live["metadata"] = json!({"annotations": {LAST_APPLIED: "{not json"}});
        let r = diff(&ok, &live, &DiffSettings::default()).expect("diff");
        assert_eq!(r.mode, DiffMode::Legacy2Way);
    }

    #[test]
    fn label_tracking_migration_is_not_a_difference() {
        let desired = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "annotations": {TRACKING_ID: "app:/ConfigMap:ns/c"}},
            "data": {"a": "1"}});
        let mut live = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "labels": {"app.kubernetes.io/instance": "app"}},
            "data": {"a": "1"}});
        live["metadata"]["annotations"] = json!({LAST_APPLIED: json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "labels": {"app.kubernetes.io/instance": "app"}}, "data": {"a": "1"}}).to_string()});
        let r = diff(&desired, &live, &DiffSettings::default()).expect("diff");
        assert!(!r.modified, "{:?}", pointers(&r));
        let label_tracking = DiffSettings {
            tracking: None,
            ..Default::default()
        };
        assert!(
            diff(&desired, &live, &label_tracking)
                .expect("diff")
                .modified
        );
        // Tracked by another app: the annotation difference stays.
        live["metadata"]["annotations"][TRACKING_ID] = json!("other:/ConfigMap:ns/c");
        let r = diff(&desired, &live, &DiffSettings::default()).expect("diff");
        assert!(pointers(&r).contains(&"/metadata/annotations/argocd.argoproj.io~1tracking-id"));
    }

    #[test]
    fn skipped_jq_expressions_are_reported_without_values() {
        let desired = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "data": {"token": "c2VjcmV0"}});
        let s = settings_with(ignore::IgnoreRule {
            group: String::new(),
            kind: "Secret".into(),
            jq_path_expressions: vec![".data.token[]".into()],
            ..Default::default()
        });
        let r = diff(&desired, &desired, &s).expect("diff");
        assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
        assert!(r.warnings[0].contains(".data.token[]"));
        assert!(!r.warnings[0].contains("c2VjcmV0"));
    }

    #[test]
    fn one_sided_diffs() {
        let d = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "stringData": {"k": "topsecret"}});
        let r = diff_optional(Some(&d), None, &DiffSettings::default())
            .expect("diff")
            .expect("result");
        assert!(r.modified);
        assert_eq!(r.mode, DiffMode::Legacy2Way);
        assert!(!format!("{r:?}").contains("dG9wc2VjcmV0"));
        let r = diff_optional(None, Some(&d), &DiffSettings::default())
            .expect("diff")
            .expect("result");
        assert!(!r.modified);
        assert!(r.differences.is_empty());
        assert_eq!(
            diff_optional(None, None, &DiffSettings::default()),
            Ok(None)
        );
    }

    #[test]
    fn integral_floats_equal_integers() {
        let desired = json!({"apiVersion": "example.com/v1", "kind": "Thing", "spec": {"n": 3.0}});
        let live = json!({"apiVersion": "example.com/v1", "kind": "Thing", "spec": {"n": 3}});
        assert!(
            !diff(&desired, &live, &DiffSettings::default())
                .expect("diff")
                .modified
        );
    }

    #[test]
    fn differences_are_sorted_and_deterministic() {
        let desired = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
            "data": {"b": "1", "a": "1", "c/d": "1"}});
        let live = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
            "data": {"b": "2", "a": "2", "c/d": "2"}});
        let r = diff(&desired, &live, &DiffSettings::default()).expect("diff");
        assert_eq!(pointers(&r), vec!["/data/a", "/data/b", "/data/c~1d"]);
        assert_eq!(
            r,
            diff(&desired, &live, &DiffSettings::default()).expect("diff")
        );
    }

    #[test]
    fn secret_values_are_masked_consistently() {
        let desired = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "data": {"same": "c2FtZQ==", "changed": "bmV3", "added": "YWRk"}});
        let live = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s",
                "annotations": {LAST_APPLIED: "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"s\"},\"data\":{\"same\":\"c2FtZQ==\",\"changed\":\"b2xk\",\"added\":\"YWRk\"}}"}},
            "data": {"same": "c2FtZQ==", "changed": "b2xk"}});
        let raw = DiffSettings {
            mask_secrets: false,
            ..Default::default()
        };
        let mut r = diff(&desired, &live, &raw).expect("diff");
        assert!(r.modified);
        assert!(format!("{r:?}").contains("bmV3"));
        hide_secret_data(&mut r);
        // The default settings mask too.
        let default = diff(&desired, &live, &DiffSettings::default()).expect("diff");
        assert_eq!(default, r);
        let text = format!("{:?}", r);
        for secret in ["c2FtZQ==", "bmV3", "b2xk", "YWRk"] {
            assert!(!text.contains(secret), "{secret} leaked");
        }
        assert_eq!(r.predicted_live["data"]["same"], json!("++++++++"));
        assert_eq!(r.normalized_live["data"]["same"], json!("++++++++"));
        assert_eq!(r.predicted_live["data"]["changed"], json!("++++++++"));
        assert_eq!(r.normalized_live["data"]["changed"], json!("++++++++++++"));
        let changed = r
            .differences
            .iter()
            .find(|d| d.pointer == "/data/changed")
            .expect("changed key differs");
        assert_ne!(changed.desired, changed.live);
    }

    #[test]
    fn other_kinds_are_untouched() {
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "1"}});
        let mut r = diff(&cm, &cm, &DiffSettings::default()).expect("diff");
        hide_secret_data(&mut r);
        assert_eq!(r.predicted_live["data"]["a"], json!("1"));
    }
}
