//! `prune-unprotected-stateful`: a Namespace, PersistentVolumeClaim, PersistentVolume or
//! CustomResourceDefinition deployed by an Application that prunes automatically, without
//! `Prune=false` on the object or the Application. Documentation:
//! `rules/prune-unprotected-stateful.md`.

use crate::model::object::csv;
use crate::rules::{Context, Finding, RuleMeta};

/// What deleting an object of this kind takes with it, for the kinds the rule protects.
fn blast_radius(group: &str, kind: &str) -> Option<&'static str> {
    match (group, kind) {
        ("", "Namespace") => Some("every object in the namespace"),
        ("", "PersistentVolumeClaim") => Some(
            "its volume — and the data on it when the StorageClass reclaims with `Delete`, the \
             default for dynamically provisioned volumes",
        ),
        ("", "PersistentVolume") => Some("the data on it when its reclaim policy is `Delete`"),
        ("apiextensions.k8s.io", "CustomResourceDefinition") => {
            Some("every custom resource of that type in the whole cluster")
        }
        _ => None,
    }
}

/// Whether a sync option list keeps an object from being pruned automatically.
fn protects<'a>(mut options: impl Iterator<Item = &'a str>) -> bool {
    options.any(|o| o == "Prune=false" || o == "Prune=confirm")
}

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (mi, m) in ctx.repo.manifests.iter().enumerate() {
        let Some(radius) = blast_radius(&m.key.group, &m.key.kind) else {
            continue;
        };
        let annotation = m.annotation("argocd.argoproj.io/sync-options");
        if protects(annotation.into_iter().flat_map(csv)) {
            continue;
        }
        let Some(&ai) = ctx.deployers.get(&mi).into_iter().flatten().find(|&&ai| {
            let spec = &ctx.repo.apps[ai].value.spec;
            spec.automated().is_some_and(|a| a.prune)
                && !protects(spec.sync_options().iter().map(String::as_str))
        }) else {
            continue;
        };
        let app = &ctx.repo.apps[ai];
        let am = ctx.repo.manifest(app.manifest);
        let fix = match annotation {
            Some(v) if !v.trim().is_empty() => format!(
                "add `Prune=false` to its `argocd.argoproj.io/sync-options` annotation \
                 (`{}, Prune=false`)",
                v.trim()
            ),
            _ => "annotate it with `argocd.argoproj.io/sync-options: Prune=false` (add \
                  `Delete=false` to keep it when the Application is deleted)"
                .to_string(),
        };
        let message = format!(
            "{} `{}` is deployed by Application `{}`, which prunes automatically: if the object \
             ever leaves Git (a moved file, a renamed path, a bad merge), Argo CD deletes it, and \
             with it {radius}; {fix}",
            m.key.kind, m.key.name, app.value.metadata.name
        );
        out.push(
            Finding::new(meta, message, m.locate_kind())
                .with_object(&m.key)
                .with_related(
                    am.locate("/spec/syncPolicy/automated/prune"),
                    "automated pruning is enabled here",
                ),
        );
    }
}
