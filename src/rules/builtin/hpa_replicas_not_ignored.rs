//! `hpa-replicas-not-ignored`: a workload sets `spec.replicas` in Git while an autoscaler in the
//! repository scales it, and no ignore rule covers the field. Documentation:
//! `rules/hpa-replicas-not-ignored.md`.

use serde_json::json;

use crate::model::argocd::IgnoreDifference;
use crate::rules::{Context, Finding, RuleMeta};

/// Whether an ignore rule removes `/spec/replicas` (by pointer, jq path or field manager).
pub fn ignores_replicas(rule: &IgnoreDifference) -> bool {
    rule.json_pointers
        .iter()
        .any(|p| matches!(p.trim_end_matches('/'), "/spec/replicas" | "/spec"))
        || rule
            .jq_path_expressions
            .iter()
            .any(|e| jq_selects_replicas(e))
        || rule
            .managed_fields_managers
            .iter()
            .any(|m| m == "kube-controller-manager")
}

/// Whether a jq path expression selects `.spec.replicas` (or all of `.spec`), in the spellings
/// people use.
fn jq_selects_replicas(expr: &str) -> bool {
    let compact: String = expr.chars().filter(|c| !c.is_whitespace()).collect();
    matches!(
        compact.as_str(),
        ".spec.replicas"
            | ".spec"
            | ".spec[\"replicas\"]"
            | ".[\"spec\"][\"replicas\"]"
            | ".spec|.replicas"
            | ".spec?.replicas"
            | ".spec.replicas?"
    )
}

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    let mut targets: Vec<_> = ctx.autoscalers.iter().collect();
    targets.sort_by_key(|(w, _)| **w);
    for (&w, scalers) in targets {
        let m = &ctx.repo.manifests[w];
        let Some((_, key_span)) = m.node.pointer_entry("/spec/replicas") else {
            continue;
        };
        if ctx.ignore_rules_for(w, &m.key).iter().any(ignores_replicas) {
            continue;
        }
        let first = &ctx.repo.manifests[scalers[0].manifest];
        let suggestion = json!({
            "group": m.key.group,
            "kind": m.key.kind,
            "name": m.key.name,
            "jsonPointers": ["/spec/replicas"],
        });
        let message = format!(
            "`spec.replicas` of {} `{}` is set in Git, but {} `{}` scales it; Argo CD reports \
             OutOfSync after every rescale and a self-heal sync resets the replica count. Remove \
             `replicas` from Git, or add to the Application's ignoreDifferences \
             `{{group: {}, kind: {}, name: {}, jsonPointers: [/spec/replicas]}}` together with the \
             sync option `RespectIgnoreDifferences=true`",
            m.key.kind,
            m.key.name,
            first.key.kind,
            first.key.name,
            m.key.group,
            m.key.kind,
            m.key.name
        );
        let mut f = Finding::new(meta, message, m.location_of(key_span))
            .with_object(&m.key)
            .with_pointer("/spec/replicas")
            .with_property("suggestedIgnoreDifferences", suggestion);
        for s in scalers {
            let sm = &ctx.repo.manifests[s.manifest];
            f = f.with_related(
                sm.locate("/spec/scaleTargetRef"),
                format!("{} `{}` targets this workload", sm.key.kind, sm.key.name),
            );
        }
        out.push(f);
    }
}
