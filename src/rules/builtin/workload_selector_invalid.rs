//! `workload-selector-invalid`: a workload whose `spec.selector` the API server rejects: missing,
//! empty, not matching the labels of its own pod template, or (with a dump) different from the
//! live object's, which is immutable. Documentation: `rules/workload-selector-invalid.md`.

use serde_json::{Map, Value};
use std::collections::HashMap;

use super::podspec::expression_matches;
use crate::load::yaml::escape_pointer_token;
use crate::model::object::{LiveObject, Manifest};
use crate::rules::{Context, Finding, RuleMeta};

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn report(meta: &RuleMeta, m: &Manifest, pointer: String, why: String, out: &mut Vec<Finding>) {
    let message = format!(
        "{} `{}`: {why}; the API server rejects the object, so the sync fails. Make \
         `spec.selector` match `spec.template.metadata.labels`, and keep it stable: the selector \
         cannot be changed after creation",
        m.key.kind, m.key.name
    );
    out.push(
        Finding::new(meta, message, m.locate(&pointer))
            .with_object(&m.key)
            .with_pointer(pointer),
    );
}

/// A selector in a canonical form: empty `matchLabels`/`matchExpressions` are the same as
/// missing ones, which is how the API server stores them.
fn canonical_selector(sel: Option<&Value>) -> (Map<String, Value>, Vec<Value>) {
    // Label values are strings in the API; YAML may have written `version: 1`.
    let labels = sel
        .and_then(|s| s.get("matchLabels"))
        .and_then(Value::as_object)
        .map(|l| {
            l.iter()
                .map(|(k, v)| (k.clone(), Value::String(scalar(v))))
                .collect()
        })
        .unwrap_or_default();
    let exprs = sel
        .and_then(|s| s.get("matchExpressions"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    (labels, exprs)
}

/// The live counterpart of a workload: same group, kind and name, in its namespace as written
/// or as defaulted by the deploying Application's destination.
fn live_of<'a>(
    ctx: &Context<'a>,
    by_name: &HashMap<(&'a str, &'a str, &'a str), Vec<&'a LiveObject>>,
    index: usize,
    m: &Manifest,
) -> Option<&'a Value> {
    ctx.cluster?;
    let mut namespaces: Vec<String> = Vec::new();
    if m.key.namespace.is_empty() {
        namespaces.extend(
            ctx.apps_of(index)
                .map(|a| a.spec.destination.namespace.clone())
                .filter(|n| !n.is_empty()),
        );
    } else {
        namespaces.push(m.key.namespace.clone());
    }
    let candidates: Vec<&LiveObject> = by_name
        .get(&(
            m.key.group.as_str(),
            m.key.kind.as_str(),
            m.key.name.as_str(),
        ))
        .into_iter()
        .flatten()
        .copied()
        .filter(|o| namespaces.is_empty() || namespaces.contains(&o.key.namespace))
        .collect();
    match candidates.as_slice() {
        [one] => Some(one.obj()),
        _ => None,
    }
}

fn report_changed(meta: &RuleMeta, m: &Manifest, out: &mut Vec<Finding>) {
    let message = format!(
        "{} `{}`: `spec.selector` differs from the live object's, and a selector is immutable: \
         the sync fails with `field is immutable` (and self-heal retries forever). Keep the live \
         selector, or replace the object on purpose (the sync option `Replace=true`, or a new \
         name), accepting the downtime",
        m.key.kind, m.key.name
    );
    out.push(
        Finding::new(meta, message, m.locate("/spec/selector"))
            .with_object(&m.key)
            .with_pointer("/spec/selector"),
    );
}

/// Live workloads by (group, kind, name), built once per run.
fn index_live<'a>(ctx: &Context<'a>) -> HashMap<(&'a str, &'a str, &'a str), Vec<&'a LiveObject>> {
    let mut out: HashMap<(&str, &str, &str), Vec<&LiveObject>> = HashMap::new();
    for o in ctx.cluster.into_iter().flat_map(|c| c.objects.iter()) {
        if matches!(o.key.group.as_str(), "apps" | "batch" | "argoproj.io") {
            out.entry((
                o.key.group.as_str(),
                o.key.kind.as_str(),
                o.key.name.as_str(),
            ))
            .or_default()
            .push(o);
        }
    }
    out
}

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    let by_name = index_live(ctx);
    let empty = Map::new();
    for (index, m) in ctx.repo.manifests.iter().enumerate() {
        let required = match (m.key.group.as_str(), m.key.kind.as_str()) {
            ("apps", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet") => true,
            // A Rollout may take its template from a Deployment (`workloadRef`).
            ("argoproj.io", "Rollout") => m.obj.pointer("/spec/template").is_some(),
            // Jobs generate their selector unless `manualSelector` is set.
            ("batch", "Job") => m.obj.pointer("/spec/manualSelector") == Some(&Value::Bool(true)),
            _ => continue,
        };
        if !required {
            continue;
        }
        let labels = match m.obj.pointer("/spec/template/metadata/labels") {
            Some(Value::Object(l)) => l,
            _ => &empty,
        };
        let selector = m.obj.pointer("/spec/selector");
        let match_labels = selector.and_then(|s| s.get("matchLabels"));
        let exprs = selector.and_then(|s| s.get("matchExpressions"));
        let n_labels = match_labels.and_then(Value::as_object).map_or(0, Map::len);
        let n_exprs = exprs.and_then(Value::as_array).map_or(0, Vec::len);
        if n_labels + n_exprs == 0 {
            let why = if selector.is_none() {
                "has no `spec.selector`, which is required".to_string()
            } else {
                "has an empty `spec.selector`, which is invalid (it would select every pod)"
                    .to_string()
            };
            report(meta, m, "/spec/selector".to_string(), why, out);
            continue;
        }
        if let Some(live) = live_of(ctx, &by_name, index, m) {
            if canonical_selector(live.pointer("/spec/selector")) != canonical_selector(selector) {
                report_changed(meta, m, out);
            }
        }
        if let Some(Value::Object(ml)) = match_labels {
            for (k, v) in ml {
                let want = scalar(v);
                let have = labels.get(k).map(scalar);
                if have.as_deref() == Some(want.as_str()) {
                    continue;
                }
                let why = match have {
                    Some(h) => format!(
                        "the selector requires label `{k}: {want}`, but the pod template has \
                         `{k}: {h}`"
                    ),
                    None => format!(
                        "the selector requires label `{k}: {want}`, which the pod template does \
                         not have"
                    ),
                };
                let pointer = format!("/spec/selector/matchLabels/{}", escape_pointer_token(k));
                report(meta, m, pointer, why, out);
            }
        }
        if let Some(Value::Array(es)) = exprs {
            for (i, e) in es.iter().enumerate() {
                if expression_matches(labels, e) {
                    continue;
                }
                let key = e.get("key").and_then(Value::as_str).unwrap_or("");
                let op = e.get("operator").and_then(Value::as_str).unwrap_or("");
                let why = format!(
                    "the pod template's labels do not satisfy the selector expression `{key} \
                     {op}`"
                );
                report(
                    meta,
                    m,
                    format!("/spec/selector/matchExpressions/{i}"),
                    why,
                    out,
                );
            }
        }
    }
}
