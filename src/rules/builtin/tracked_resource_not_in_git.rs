//! `tracked-resource-not-in-git`: a live object (from `--cluster`) that Argo CD counts as part
//! of an Application — by its tracking annotation, or by the instance label under label
//! tracking — but that the Application's source in Git no longer contains. Argo CD shows it as
//! "requires pruning" and deletes it on the next sync with pruning. Documentation:
//! `rules/tracked-resource-not-in-git.md`.

use std::collections::BTreeSet;

use crate::model::key::ObjectKey;
use crate::model::object::{annotation, label, LiveObject};
use crate::model::settings::TrackingMethod;
use crate::rules::{Context, Finding, RuleMeta};

const TRACKING_ID: &str = "argocd.argoproj.io/tracking-id";
const INSTALLATION_ID: &str = "argocd.argoproj.io/installation-id";

/// Parses `<instance>:<group>/<kind>:<namespace>/<name>` into the instance and the key.
pub fn parse_tracking_id(id: &str) -> Option<(&str, ObjectKey)> {
    let (instance, rest) = id.split_once(':')?;
    let (gk, nsname) = rest.split_once(':')?;
    let (group, kind) = gk.split_once('/')?;
    let (ns, name) = nsname.split_once('/')?;
    if kind.contains('/') || name.contains('/') {
        return None;
    }
    Some((
        instance,
        ObjectKey {
            group: group.to_string(),
            kind: kind.to_string(),
            namespace: ns.to_string(),
            name: name.to_string(),
        },
    ))
}

/// The Application instance that tracks a live object, if any, per the tracking method.
fn tracked_by<'a>(ctx: &Context<'_>, live: &'a LiveObject) -> Option<&'a str> {
    let settings = &ctx.repo.settings;
    if let Some(install) = &settings.installation_id {
        if annotation(&live.obj, INSTALLATION_ID) != Some(install.as_str()) {
            return None;
        }
    }
    match settings.tracking_method {
        TrackingMethod::Label => label(&live.obj, &settings.instance_label_key),
        TrackingMethod::Annotation | TrackingMethod::AnnotationAndLabel => {
            let (instance, key) = parse_tracking_id(annotation(&live.obj, TRACKING_ID)?)?;
            // The id must name the object itself (a copied annotation does not track it);
            // cluster-scoped objects carry the destination namespace in the id.
            let same = key.group == live.key.group
                && key.kind == live.key.kind
                && key.name == live.key.name
                && (live.key.namespace.is_empty() || key.namespace == live.key.namespace);
            same.then_some(instance)
        }
    }
}

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(cluster) = ctx.cluster else {
        return;
    };
    for (ai, app) in ctx.repo.apps.iter().enumerate() {
        if !ctx.app_sources_known(ai) {
            continue;
        }
        let a = &app.value;
        let desired: BTreeSet<ObjectKey> = ctx
            .deployers
            .iter()
            .filter(|(_, apps)| apps.contains(&ai))
            .map(|(&mi, _)| ctx.effective_key(ctx.repo.manifest(mi), a))
            .collect();
        let name = a.metadata.name.as_str();
        let prefixed = format!("{}_{name}", a.metadata.namespace);
        let am = ctx.repo.manifest(app.manifest);
        for live in &cluster.objects {
            let Some(instance) = tracked_by(ctx, live) else {
                continue;
            };
            if instance != name && instance != prefixed {
                continue;
            }
            let owned = live
                .obj
                .pointer("/metadata/ownerReferences")
                .and_then(|o| o.as_array())
                .is_some_and(|o| !o.is_empty());
            let hook = annotation(&live.obj, "argocd.argoproj.io/hook").is_some()
                || annotation(&live.obj, "helm.sh/hook").is_some();
            let crd = live.key.group == "apiextensions.k8s.io"
                && live.key.kind == "CustomResourceDefinition";
            if owned || hook || crd || desired.contains(&live.key) {
                continue;
            }
            let prune = a.spec.automated().is_some_and(|au| au.prune);
            let protected = annotation(&live.obj, "argocd.argoproj.io/sync-options")
                .is_some_and(|v| crate::model::object::csv(v).any(|o| o == "Prune=false"));
            let consequence = if prune && !protected {
                "automated pruning deletes it at the next sync"
            } else if protected {
                "it carries `Prune=false`, so the Application stays OutOfSync (requires pruning) \
                 forever"
            } else {
                "the Application shows OutOfSync (requires pruning), and the next sync with \
                 pruning deletes it"
            };
            let ns = if live.key.namespace.is_empty() {
                String::new()
            } else {
                format!(" in namespace `{}`", live.key.namespace)
            };
            let ptr = if a.spec.sources.is_empty() {
                "/spec/source/path".to_string()
            } else {
                "/spec/sources".to_string()
            };
            out.push(
                Finding::new(
                    meta,
                    format!(
                        "the live {} `{}`{ns} is tracked by Application `{name}`, but no file under \
                         its source path declares it: {consequence}. If it should stay, add its \
                         manifest to the source path (or remove its tracking {} so Argo CD \
                         forgets it); if not, let it be pruned",
                        live.key.kind,
                        live.key.name,
                        if ctx.repo.settings.tracking_method == TrackingMethod::Label {
                            format!("label `{}`", ctx.repo.settings.instance_label_key)
                        } else {
                            format!("annotation `{TRACKING_ID}`")
                        }
                    ),
                    am.locate(&ptr),
                )
                .with_object(&live.key)
                .with_pointer(ptr)
                .with_property(
                    "dump",
                    serde_json::Value::String(
                        cluster
                            .sources
                            .get(live.source)
                            .cloned()
                            .unwrap_or_default(),
                    ),
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_ids() {
        let (i, k) = parse_tracking_id("web:apps/Deployment:web/api").expect("id");
        assert_eq!(i, "web");
        assert_eq!(k.to_string(), "apps/Deployment:web/api");
        let (_, k) = parse_tracking_id("web:/ConfigMap:web/a:b").expect("colon in name");
        assert_eq!(k.name, "a:b");
        assert!(parse_tracking_id("web:Deployment:web/api").is_none());
    }
}
