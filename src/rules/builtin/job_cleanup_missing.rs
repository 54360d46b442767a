//! `job-cleanup-missing`: a Job that nothing ever deletes: no `ttlSecondsAfterFinished` and no
//! hook delete policy. Documentation: `rules/job-cleanup-missing.md`.

use crate::rules::{Context, Finding, RuleMeta};

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for m in &ctx.repo.manifests {
        if (m.key.group.as_str(), m.key.kind.as_str()) != ("batch", "Job") {
            continue;
        }
        if m.obj
            .pointer("/spec/ttlSecondsAfterFinished")
            .is_some_and(|v| !v.is_null())
        {
            continue;
        }
        let hook = m.annotation("argocd.argoproj.io/hook").is_some()
            || m.annotation("helm.sh/hook").is_some();
        let delete_policy = m
            .annotation("argocd.argoproj.io/hook-delete-policy")
            .is_some()
            || m.annotation("helm.sh/hook-delete-policy").is_some();
        if hook && delete_policy {
            continue;
        }
        let (location, remedy) = if hook {
            (
                m.locate("/metadata/annotations"),
                "Add `argocd.argoproj.io/hook-delete-policy: BeforeHookCreation` (or \
                 `HookSucceeded`), or set `spec.ttlSecondsAfterFinished`",
            )
        } else {
            (
                m.locate("/spec"),
                "Make it an Argo CD hook (`argocd.argoproj.io/hook: PostSync` with \
                 `argocd.argoproj.io/hook-delete-policy: BeforeHookCreation`); a plain Job with \
                 `ttlSecondsAfterFinished` is deleted by Kubernetes and then reported Missing \
                 (and re-run by automated sync)",
            )
        };
        let message = format!(
            "Job `{}` is never cleaned up: the finished Job and its pods (with their logs and \
             any mounted Secrets) stay in the cluster, and a changed spec cannot be applied \
             because a Job's template is immutable. {remedy}",
            m.key.name
        );
        out.push(
            Finding::new(meta, message, location)
                .with_object(&m.key)
                .with_pointer("/spec/ttlSecondsAfterFinished"),
        );
    }
}
