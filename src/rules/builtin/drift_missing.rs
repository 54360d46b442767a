//! `drift-missing`: an object in Git that the cluster does not have. Needs `--cluster`.
//! Documentation: `rules/drift-missing.md`.

use serde_json::json;

use super::drift::resources;
use crate::compare::app::Reason;
use crate::rules::{Context, Finding, RuleMeta};

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (app, r) in resources(ctx) {
        if r.reason != Reason::Missing {
            continue;
        }
        let Some(mi) = r.manifest else { continue };
        let m = ctx.repo.manifest(mi);
        let ns = if r.key.namespace.is_empty() {
            String::new()
        } else {
            format!(" in namespace `{}`", r.key.namespace)
        };
        let message = format!(
            "{} `{}`{ns} of Application `{}` is in Git but not in the cluster dump: Argo CD \
             reports it OutOfSync (missing) until a sync creates it. Sync the Application; if \
             the sync fails, check the object's namespace, the AppProject's permissions and \
             whether its CRD is installed",
            r.key.kind, r.key.name, app.name
        );
        out.push(
            Finding::new(meta, message, m.locate_kind())
                .with_object(&r.key)
                .with_pointer("/kind")
                .with_property("application", json!(app.name)),
        );
    }
}
