//! `resource-in-multiple-apps`: the same object (group, kind, namespace, name) deployed by two
//! Applications, or — with a cluster dump — a live object whose tracking id names another
//! Application than the one deploying it from Git. Documentation:
//! `rules/resource-in-multiple-apps.md`.

use std::collections::BTreeMap;

use crate::model::key::ObjectKey;
use crate::model::object::Annotated;
use crate::rules::{Context, Finding, RuleMeta};

const TRACKING_ID: &str = "argocd.argoproj.io/tracking-id";

/// The instance name in a tracking id (`<instance>:<group>/<kind>:<namespace>/<name>`).
pub fn tracking_instance(id: &str) -> Option<&str> {
    let (instance, rest) = id.split_once(':')?;
    let (gk, _nsname) = rest.split_once(':')?;
    (gk.matches('/').count() == 1).then_some(instance)
}

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    // (effective key) -> [(app index, manifest index)]
    let mut owners: BTreeMap<ObjectKey, Vec<(usize, usize)>> = BTreeMap::new();
    let mut deployed: Vec<(&usize, &Vec<usize>)> = ctx.deployers.iter().collect();
    deployed.sort();
    for (&mi, apps) in deployed {
        let m = ctx.repo.manifest(mi);
        for &ai in apps {
            let key = ctx.effective_key(m, &ctx.repo.apps[ai].value);
            owners.entry(key).or_default().push((ai, mi));
        }
    }
    for (key, list) in &owners {
        let mut apps: Vec<usize> = list.iter().map(|(a, _)| *a).collect();
        apps.sort();
        apps.dedup();
        if apps.len() > 1 {
            let names: Vec<String> = apps
                .iter()
                .map(|&a| format!("`{}`", ctx.repo.apps[a].value.metadata.name))
                .collect();
            let mut seen = Vec::new();
            for &(_, mi) in list {
                if seen.contains(&mi) {
                    continue;
                }
                seen.push(mi);
                let m = ctx.repo.manifest(mi);
                let mut f = Finding::new(
                    meta,
                    format!(
                        "{} `{}` (namespace `{}`) is deployed by the Applications {}: each sync \
                         rewrites it and its tracking id, so the other Application shows it \
                         OutOfSync with a SharedResourceWarning, self-heal makes them overwrite \
                         each other, and removing it from one can prune it from under the other. Deploy it from exactly one Application — move the file out \
                         of the other's source path, or narrow `directory.include`/`exclude`",
                        key.kind,
                        key.name,
                        if key.namespace.is_empty() {
                            "-"
                        } else {
                            &key.namespace
                        },
                        names.join(" and ")
                    ),
                    m.locate_kind(),
                )
                .with_object(key);
                for &a in &apps {
                    let am = ctx.repo.manifest(ctx.repo.apps[a].manifest);
                    f = f.with_related(
                        am.locate("/spec/source/path"),
                        format!(
                            "Application `{}` deploys it",
                            ctx.repo.apps[a].value.metadata.name
                        ),
                    );
                }
                out.push(f);
            }
        }
        let Some(cluster) = ctx.cluster else { continue };
        let Some(live) = cluster.get(key) else {
            continue;
        };
        let Some(id) = live.annotation(TRACKING_ID) else {
            continue;
        };
        let Some(instance) = tracking_instance(id) else {
            continue;
        };
        let owner = instance.rsplit_once('_').map_or(instance, |(_, n)| n);
        if apps
            .iter()
            .any(|&a| ctx.repo.apps[a].value.metadata.name == owner)
        {
            continue;
        }
        let &(ai, mi) = &list[0];
        let m = ctx.repo.manifest(mi);
        let app_name = &ctx.repo.apps[ai].value.metadata.name;
        out.push(
            Finding::new(
                meta,
                format!(
                    "{} `{}` is deployed from Git by Application `{app_name}`, but the live object \
                     is tracked by Application `{instance}` (`{TRACKING_ID}: {id}`): Argo CD shows \
                     it OutOfSync in `{app_name}` with a SharedResourceWarning, and syncing either \
                     Application takes it from the other. Remove it from one of them (and, if \
                     `{app_name}` should own it, let `{instance}` stop deploying it before the \
                     next sync)",
                    key.kind, key.name
                ),
                m.locate_kind(),
            )
            .with_object(key),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_ids() {
        assert_eq!(
            tracking_instance("web:apps/Deployment:web/api"),
            Some("web")
        );
        assert_eq!(tracking_instance("web:/ConfigMap:web/a:b"), Some("web"));
        assert_eq!(tracking_instance("web"), None);
    }
}
