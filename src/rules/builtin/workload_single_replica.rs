//! `workload-single-replica`: a Deployment, StatefulSet or Rollout with fewer than two replicas
//! that no autoscaler scales. Documentation: `rules/workload-single-replica.md`.

use serde_json::Value;

use super::podspec::locate_or_kind;
use crate::rules::{Context, Finding, RuleMeta};

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    let index = ctx.objects();
    for m in &ctx.repo.manifests {
        if !matches!(
            (m.key.group.as_str(), m.key.kind.as_str()),
            ("apps", "Deployment" | "StatefulSet") | ("argoproj.io", "Rollout")
        ) {
            continue;
        }
        let replicas = match m.obj.pointer("/spec/replicas") {
            None | Some(Value::Null) => 1,
            Some(v) => match v.as_i64() {
                Some(n) => n,
                None => continue,
            },
        };
        // 0 is a deliberate scale-down; an autoscaler owns the count (R3 of the catalog).
        if replicas != 1 || index.autoscaler_of(m).is_some() {
            continue;
        }
        let how = if m.node.pointer("/spec/replicas").is_some() {
            "runs a single replica"
        } else {
            "sets no `replicas`, so it runs a single replica"
        };
        let message = format!(
            "{} `{}` {how}: every node drain, eviction or crash is an outage. Set `replicas: 2` \
             or more (with a PodDisruptionBudget), or let an HPA scale it",
            m.key.kind, m.key.name
        );
        out.push(
            Finding::new(meta, message, locate_or_kind(m, "/spec/replicas"))
                .with_object(&m.key)
                .with_pointer("/spec/replicas"),
        );
    }
}
