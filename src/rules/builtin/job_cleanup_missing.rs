//! `job-cleanup-missing`: a plain Job (not an Argo CD or Helm hook) without
//! `ttlSecondsAfterFinished`, which nothing ever deletes. Hooks are deleted by Argo CD (its
//! default delete policy is `BeforeHookCreation`). Documentation: `rules/job-cleanup-missing.md`.

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
        // Argo CD deletes hooks itself: without a policy, before the next hook is created.
        if m.annotation("argocd.argoproj.io/hook").is_some()
            || m.annotation("helm.sh/hook").is_some()
        {
            continue;
        }
        let remedy = "Make it an Argo CD hook (e.g. `argocd.argoproj.io/hook: PostSync` with \
                      `argocd.argoproj.io/hook-delete-policy: BeforeHookCreation`), which Argo CD \
                      recreates on each sync; a plain Job with `ttlSecondsAfterFinished` is \
                      deleted by Kubernetes and then reported Missing (and re-run by self-heal)";
        let message = format!(
            "Job `{}` is never cleaned up: the finished Job and its pods (with their logs and \
             any mounted Secrets) stay in the cluster, and a changed spec cannot be applied \
             because a Job's template is immutable. {remedy}",
            m.key.name
        );
        out.push(
            Finding::new(meta, message, m.locate("/spec"))
                .with_object(&m.key)
                .with_pointer("/spec/ttlSecondsAfterFinished"),
        );
    }
}
