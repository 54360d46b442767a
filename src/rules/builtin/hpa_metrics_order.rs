//! `hpa-metrics-order`: an HPA whose `spec.metrics` in Git hold the same metrics as the live
//! object in the dump, in another order. `spec.metrics` is an atomic list, so the order is part
//! of the comparison and the Application never syncs clean (kubernetes#74099). Needs
//! `--cluster`. Documentation: `rules/hpa-metrics-order.md`.

use serde_json::{json, Value};

use crate::rules::{Context, Finding, RuleMeta};

/// A metric's identity: its type and what it measures (not its target, which may differ
/// without being a reordering).
fn metric_id(m: &Value) -> String {
    let t = m.get("type").and_then(Value::as_str).unwrap_or("");
    let s = |p: &str| m.pointer(p).and_then(Value::as_str).unwrap_or("");
    match t {
        "Resource" => format!("Resource/{}", s("/resource/name")),
        "ContainerResource" => format!(
            "ContainerResource/{}/{}",
            s("/containerResource/name"),
            s("/containerResource/container")
        ),
        "Pods" => format!("Pods/{}", s("/pods/metric/name")),
        "Object" => format!(
            "Object/{}/{}/{}",
            s("/object/metric/name"),
            s("/object/describedObject/kind"),
            s("/object/describedObject/name")
        ),
        "External" => format!("External/{}", s("/external/metric/name")),
        other => format!("{other}/{m}"),
    }
}

fn ids(v: &[Value]) -> Vec<String> {
    v.iter().map(metric_id).collect()
}

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    if ctx.cluster.is_none() {
        return;
    }
    for (mi, m) in ctx.repo.manifests.iter().enumerate() {
        if m.key.group != "autoscaling" || m.key.kind != "HorizontalPodAutoscaler" {
            continue;
        }
        let Some(Value::Array(git)) = m.obj.pointer("/spec/metrics") else {
            continue;
        };
        if git.len() < 2 {
            continue;
        }
        let Some(live) = ctx.live_of(mi) else {
            continue;
        };
        let Some(Value::Array(live_metrics)) = live.obj().pointer("/spec/metrics") else {
            continue;
        };
        let (git_ids, live_ids) = (ids(git), ids(live_metrics));
        if git_ids == live_ids {
            continue;
        }
        let (mut a, mut b) = (git_ids.clone(), live_ids.clone());
        a.sort();
        b.sort();
        if a != b {
            // Different metrics: a real change, reported by drift-modified.
            continue;
        }
        if ctx.ignored_pointers(mi, live.obj(), &["/spec/metrics".to_string()])[0] {
            continue;
        }
        let reported = ctx.drift_reports(mi, "/spec/metrics");
        let message = format!(
            "HorizontalPodAutoscaler `{}` lists its metrics in Git as [{}] but the live object \
             has them as [{}]; `spec.metrics` is an atomic list, so Argo CD reports the order \
             as a difference on every refresh{} and a sync cannot fix it, because the API \
             server stores the metrics in its own order (kubernetes#74099). Write the metrics \
             in the live order",
            m.key.name,
            git_ids.join(", "),
            live_ids.join(", "),
            if reported {
                " (the predicted diff shows it)"
            } else {
                ""
            }
        );
        out.push(
            Finding::new(meta, message, m.locate("/spec/metrics"))
                .with_object(&m.key)
                .with_pointer("/spec/metrics")
                .with_property("gitOrder", json!(git_ids))
                .with_property("liveOrder", json!(live_ids)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_are_identified_by_what_they_measure() {
        let a = json!({"type": "Resource", "resource": {"name": "cpu", "target": {"averageUtilization": 70}}});
        let b = json!({"type": "Resource", "resource": {"name": "cpu", "target": {"averageUtilization": 50}}});
        assert_eq!(metric_id(&a), metric_id(&b));
        let e = json!({"type": "External", "external": {"metric": {"name": "queue"}}});
        assert_eq!(metric_id(&e), "External/queue");
    }
}
