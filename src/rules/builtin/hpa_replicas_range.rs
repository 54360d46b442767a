//! `hpa-replicas-range`: a HorizontalPodAutoscaler whose `minReplicas` is below 2, whose
//! `maxReplicas` is missing, or whose minimum exceeds its maximum. Documentation:
//! `rules/hpa-replicas-range.md`.

use serde_json::Value;

use crate::rules::{Context, Finding, RuleMeta, Severity};

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for m in &ctx.repo.manifests {
        if (m.key.group.as_str(), m.key.kind.as_str()) != ("autoscaling", "HorizontalPodAutoscaler")
        {
            continue;
        }
        let min = match m.obj.pointer("/spec/minReplicas") {
            None | Some(Value::Null) => Some(1),
            Some(v) => v.as_i64(),
        };
        let max = m.obj.pointer("/spec/maxReplicas").and_then(Value::as_i64);
        let name = &m.key.name;
        let (pointer, message, error) = match (min, max) {
            (_, None) => (
                "/spec/maxReplicas",
                format!(
                    "HorizontalPodAutoscaler `{name}` has no `maxReplicas`: the API server \
                     rejects it and the sync fails. Set `maxReplicas`"
                ),
                true,
            ),
            (Some(lo), Some(hi)) if lo > hi => (
                "/spec/minReplicas",
                format!(
                    "HorizontalPodAutoscaler `{name}` has `minReplicas` {lo} above `maxReplicas` \
                     {hi}: the API server rejects it and the sync fails. Make `minReplicas` at \
                     most `maxReplicas`"
                ),
                true,
            ),
            (Some(lo), Some(_)) if lo < 2 => {
                let how = if m.node.pointer("/spec/minReplicas").is_some() {
                    format!("`minReplicas: {lo}`")
                } else {
                    "no `minReplicas` (default 1)".to_string()
                };
                (
                    "/spec/minReplicas",
                    format!(
                        "HorizontalPodAutoscaler `{name}` has {how}: at low load it scales the \
                         workload down to a single pod, and the next drain, eviction or crash is \
                         an outage. Set `minReplicas: 2` or more"
                    ),
                    false,
                )
            }
            _ => continue,
        };
        let mut f = Finding::new(meta, message, m.locate(pointer))
            .with_object(&m.key)
            .with_pointer(pointer);
        if error {
            f.severity = Severity::Error;
        }
        out.push(f);
    }
}
