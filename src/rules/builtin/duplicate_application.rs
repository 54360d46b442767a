//! `duplicate-application`: two Argo CD Applications with the same name and namespace.
//! Documentation: `rules/duplicate-application.md`.

use std::collections::BTreeMap;

use serde_json::json;

use crate::rules::{Context, Finding, RuleMeta};

/// The namespace of an Application without one: Argo CD's control plane.
const CONTROL_PLANE: &str = "argocd";

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    let mut by_id: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
    for (i, a) in ctx.repo.apps.iter().enumerate() {
        let m = &a.value.metadata;
        let ns = if m.namespace.is_empty() {
            CONTROL_PLANE
        } else {
            m.namespace.as_str()
        };
        by_id.entry((ns, m.name.as_str())).or_default().push(i);
    }
    for ((ns, name), apps) in by_id {
        // Names an ApplicationSet generates are `appset-duplicate-application`'s.
        if apps.len() < 2
            || apps
                .iter()
                .any(|&i| super::appset_duplicate_application::is_generated(ctx, i))
        {
            continue;
        }
        for &i in &apps {
            let m = ctx.repo.manifest(ctx.repo.apps[i].manifest);
            let mut f = Finding::new(
                meta,
                format!(
                    "Application `{ns}/{name}` is defined {} times in the checkout: they are one \
                     object in Argo CD, so whichever is applied last wins and the others never \
                     take effect. Keep one, or give each its own name",
                    apps.len()
                ),
                m.locate("/metadata/name"),
            )
            .with_object(&m.key)
            .with_pointer("/metadata/name")
            .with_property("application", json!(name));
            for &j in apps.iter().filter(|&&j| j != i) {
                let other = ctx.repo.manifest(ctx.repo.apps[j].manifest);
                f = f.with_related(other.locate("/metadata/name"), "another definition");
            }
            out.push(f);
        }
    }
}
