//! `helm-hook-under-argocd`: Helm hook annotations whose Helm meaning Argo CD does not keep —
//! `crd-install`, test and rollback hooks, install-only or upgrade-only hooks, and objects with
//! both Argo CD and Helm hook annotations. Documentation: `rules/helm-hook-under-argocd.md`.

use super::invalid_sync_annotation::ARGO_HOOKS;
use crate::load::yaml::escape_pointer_token;
use crate::model::object::csv;
use crate::rules::{Context, Finding, RuleMeta};

const HELM_HOOK: &str = "helm.sh/hook";
const ARGO_HOOK: &str = "argocd.argoproj.io/hook";

/// The problem with a `helm.sh/hook` value under Argo CD, if any (`argo_hook`: whether the
/// object also has `argocd.argoproj.io/hook`).
pub fn problem(value: &str, argo_hook: bool) -> Option<String> {
    let types: Vec<&str> = csv(value).collect();
    if argo_hook {
        return Some(format!(
            "the object also has a valid `{ARGO_HOOK}`, so Argo CD uses only that and ignores \
             `{HELM_HOOK}: {value}` entirely (the chart behaves differently under `helm install`); \
             keep one of the two annotations"
        ));
    }
    if types.contains(&"crd-install") {
        return Some(
            "`crd-install` is a Helm 2 hook that Helm 3 and Argo CD ignore: Argo CD applies, \
             diffs and prunes the CRD as a normal resource, so the annotation promises an \
             install-once behaviour that does not exist. Remove the annotation (and protect the \
             CRD with `argocd.argoproj.io/sync-options: Prune=false` if it must survive), or move \
             it to the chart's `crds/` directory"
                .to_string(),
        );
    }
    let never = |t: &&str| {
        matches!(
            *t,
            "test" | "test-success" | "test-failure" | "pre-rollback" | "post-rollback"
        )
    };
    let mapped = |t: &&str| {
        matches!(
            *t,
            "pre-install"
                | "pre-upgrade"
                | "post-install"
                | "post-upgrade"
                | "pre-delete"
                | "post-delete"
        )
    };
    if !types.is_empty() && types.iter().all(never) {
        return Some(format!(
            "Argo CD has no phase for `{value}`: it drops the object from the sync and never runs \
             it (`argocd app sync` does not run Helm tests or rollback hooks). Run tests with a \
             `PostSync` hook (`argocd.argoproj.io/hook: PostSync`) if they should run after each \
             sync"
        ));
    }
    if !types.iter().any(mapped) {
        return None;
    }
    for (install, upgrade, phase) in [
        ("pre-install", "pre-upgrade", "PreSync"),
        ("post-install", "post-upgrade", "PostSync"),
    ] {
        let (i, u) = (types.contains(&install), types.contains(&upgrade));
        if i != u {
            let (has, lacks) = if i {
                (install, upgrade)
            } else {
                (upgrade, install)
            };
            let when = if i {
                "only on the first install"
            } else {
                "only on upgrades, not on the first install"
            };
            return Some(format!(
                "Argo CD cannot tell an install from an upgrade: it maps `{has}` to `{phase}` and \
                 runs the hook on every sync, while Helm runs it {when}. Make the hook safe to \
                 run each time and write `{HELM_HOOK}: {install},{upgrade}` (Argo CD treats \
                 `{lacks}` the same way), or gate it another way"
            ));
        }
    }
    None
}

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for m in &ctx.repo.manifests {
        let Some(value) = m.annotation(HELM_HOOK) else {
            continue;
        };
        // Argo CD ignores `helm.sh/hook` when its own annotation has a valid type.
        let argo = m
            .annotation(ARGO_HOOK)
            .is_some_and(|v| csv(v).any(|t| ARGO_HOOKS.contains(&t)));
        let Some(why) = problem(value, argo) else {
            continue;
        };
        let pointer = format!("/metadata/annotations/{}", escape_pointer_token(HELM_HOOK));
        let message = format!("{} `{}`: {why}", m.key.kind, m.key.name);
        let mut f = Finding::new(meta, message, m.locate(&pointer))
            .with_object(&m.key)
            .with_pointer(pointer);
        if argo {
            f = f.with_related(
                m.locate(&format!(
                    "/metadata/annotations/{}",
                    escape_pointer_token(ARGO_HOOK)
                )),
                "the Argo CD hook annotation that wins",
            );
        }
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helm_hooks() {
        assert!(problem("pre-install,pre-upgrade", false).is_none());
        assert!(problem("post-install, post-upgrade", false).is_none());
        assert!(problem("pre-delete", false).is_none());
        assert!(problem("pre-install", false).is_some_and(|p| p.contains("every")));
        assert!(problem("post-upgrade", false).is_some());
        assert!(problem("test", false).is_some());
        assert!(problem("crd-install", false).is_some());
        assert!(problem("pre-install,pre-upgrade", true).is_some());
        assert!(problem("bogus", false).is_none());
    }
}
