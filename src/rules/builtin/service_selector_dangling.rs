//! `service-selector-dangling`: a Service whose selector matches no pod template in the
//! checkout (nor, with a dump, any live pod). Documentation:
//! `rules/service-selector-dangling.md`.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::podspec::{map_selector_matches, pods};
use crate::model::object::LiveHead;
use crate::rules::{Context, Finding, RuleMeta};

/// The labels of a pod: a pod template of the checkout, or a live pod.
#[derive(Clone, Copy)]
enum PodLabels<'a> {
    Git(&'a Map<String, Value>),
    Live(&'a LiveHead),
}

impl<'a> PodLabels<'a> {
    fn get(self, name: &str) -> Option<&'a Value> {
        match self {
            PodLabels::Git(m) => m.get(name),
            PodLabels::Live(h) => h.label_value(name),
        }
    }
}

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    // Pod labels by unit and namespace, so that each Service looks only at its candidates:
    // a chart rendered with its defaults sees only its own pods ([`Manifest::same_unit`]).
    type Slot<'a> = (Option<&'a str>, &'a str);
    let mut by_ns: HashMap<Slot<'_>, Vec<PodLabels<'_>>> = HashMap::new();
    let all = pods(ctx);
    for p in &all {
        by_ns
            .entry((
                p.manifest.default_render_unit(),
                p.manifest.key.namespace.as_str(),
            ))
            .or_default()
            .push(PodLabels::Git(p.labels()));
    }
    // Live pods: their labels are in their heads, no pod is parsed.
    for o in ctx.cluster.iter().flat_map(|c| c.objects.iter()) {
        if o.key.group.is_empty() && o.key.kind == "Pod" && o.head().has_labels() {
            by_ns
                .entry((None, o.key.namespace.as_str()))
                .or_default()
                .push(PodLabels::Live(o.head()));
        }
    }
    let candidates = |unit: Option<&str>, ns: &str| -> Vec<PodLabels<'_>> {
        if ns.is_empty() {
            by_ns
                .iter()
                .filter(|((u, _), _)| *u == unit)
                .flat_map(|(_, v)| v.iter().copied())
                .collect()
        } else {
            [ns, ""]
                .iter()
                .flat_map(|n| by_ns.get(&(unit, *n)).into_iter().flatten().copied())
                .collect()
        }
    };
    for m in &ctx.repo.manifests {
        if !(m.key.group.is_empty() && m.key.kind == "Service") {
            continue;
        }
        if m.obj.pointer("/spec/type").and_then(Value::as_str) == Some("ExternalName") {
            continue;
        }
        let Some(Value::Object(selector)) = m.obj.pointer("/spec/selector") else {
            continue;
        };
        if selector.is_empty() {
            continue;
        }
        if candidates(m.default_render_unit(), &m.key.namespace)
            .into_iter()
            .any(|l| map_selector_matches(selector, |k| l.get(k)))
        {
            continue;
        }
        let wanted: Vec<String> = selector
            .iter()
            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
            .collect();
        let where_ = if ctx.cluster.is_some() {
            "no pod template in the repository and no pod in the cluster dump"
        } else {
            "no pod template in the repository"
        };
        let message = format!(
            "Service `{}` selects pods labelled `{}`, but {where_} has these labels: the Service \
             has no endpoints and its clients get connection errors. Fix the selector or the pod \
             template labels (a typo or a renamed `app` label is the usual cause)",
            m.key.name,
            wanted.join(",")
        );
        out.push(
            Finding::new(meta, message, m.locate("/spec/selector"))
                .with_object(&m.key)
                .with_pointer("/spec/selector"),
        );
    }
}
