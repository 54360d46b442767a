//! `scale-target-missing`: an HPA or KEDA ScaledObject whose `scaleTargetRef` names a workload
//! that is neither in the checkout nor, with a dump, in the cluster. Documentation:
//! `rules/scale-target-missing.md`.

use serde_json::Value;

use crate::model::key::group_of;
use crate::rules::context::is_autoscaler;
use crate::rules::{Context, Finding, RuleMeta};

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    let index = ctx.objects();
    for m in ctx.repo.manifests.iter().filter(|m| is_autoscaler(m)) {
        let Some(r) = m.obj.pointer("/spec/scaleTargetRef") else {
            continue;
        };
        let Some(name) = r.get("name").and_then(Value::as_str) else {
            continue;
        };
        let default_kind = if m.key.kind == "ScaledObject" {
            "Deployment"
        } else {
            ""
        };
        let kind = r
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or(default_kind);
        if kind.is_empty() {
            continue;
        }
        let api = r
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("apps/v1");
        if index.exists(m, group_of(api), kind, &m.key.namespace, name) {
            continue;
        }
        let where_ = if ctx.cluster.is_some() {
            "neither in the repository nor in the cluster dump"
        } else {
            "not in the repository"
        };
        let message = format!(
            "{} `{}` scales {kind} `{name}` ({api}), which is {where_}: the autoscaler reports \
             `FailedGetScale` and nothing is scaled. Fix `scaleTargetRef` (name, kind and \
             apiVersion must match the workload), or delete the autoscaler",
            m.key.kind, m.key.name
        );
        out.push(
            Finding::new(meta, message, m.locate("/spec/scaleTargetRef/name"))
                .with_object(&m.key)
                .with_pointer("/spec/scaleTargetRef/name"),
        );
    }
}
