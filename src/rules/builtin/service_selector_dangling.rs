//! `service-selector-dangling`: a Service whose selector matches no pod template in the
//! checkout (nor, with a dump, any live pod). Documentation:
//! `rules/service-selector-dangling.md`.

use serde_json::Value;

use super::podspec::{map_selector_matches, pods, same_namespace};
use crate::rules::{Context, Finding, RuleMeta};

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    let pods = pods(ctx);
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
        let in_git = pods.iter().any(|p| {
            same_namespace(&p.manifest.key.namespace, &m.key.namespace)
                && map_selector_matches(selector, p.labels())
        });
        let live = ctx.cluster.is_some_and(|c| {
            c.objects.iter().any(|o| {
                o.key.group.is_empty()
                    && o.key.kind == "Pod"
                    && same_namespace(&o.key.namespace, &m.key.namespace)
                    && o.obj
                        .pointer("/metadata/labels")
                        .and_then(Value::as_object)
                        .is_some_and(|l| map_selector_matches(selector, l))
            })
        });
        if in_git || live {
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
