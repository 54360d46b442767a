//! `aggregated-clusterrole-rules`: an aggregated ClusterRole (`aggregationRule`) that also sets
//! `rules` in Git while `argocd-cm` does not set `ignoreAggregatedRoles: true`. The
//! aggregation controller owns `rules`, so Argo CD reports drift forever. Documentation:
//! `rules/aggregated-clusterrole-rules.md`.

use crate::rules::{Context, Finding, RuleMeta};

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    if ctx.repo.settings.compare_options.ignore_aggregated_roles {
        return;
    }
    for m in &ctx.repo.manifests {
        if m.key.group != "rbac.authorization.k8s.io" || m.key.kind != "ClusterRole" {
            continue;
        }
        if m.obj.get("aggregationRule").is_none_or(|a| a.is_null()) || m.obj.get("rules").is_none()
        {
            continue;
        }
        let message = format!(
            "ClusterRole `{}` has an `aggregationRule`, so the aggregation controller fills \
             `rules` from the matching ClusterRoles and overwrites what Git sets here; Argo CD \
             reports the role OutOfSync forever (and self-heal fights the controller). Remove \
             `rules` from Git, or set `ignoreAggregatedRoles: true` in `resource.compareoptions` \
             of `argocd-cm`",
            m.key.name
        );
        let mut f = Finding::new(meta, message, m.locate("/rules"))
            .with_object(&m.key)
            .with_pointer("/rules")
            .with_related(
                m.locate("/aggregationRule"),
                "the aggregation rule that makes the controller own `rules`",
            );
        if let Some(cm) = ctx.repo.settings_manifest {
            let cm = ctx.repo.manifest(cm);
            f = f.with_related(
                cm.locate("/data/resource.compareoptions"),
                "`ignoreAggregatedRoles` is not enabled in argocd-cm",
            );
        }
        out.push(f);
    }
}
