//! `drift-extraneous`: a live object tracked by an Application but no longer in Git — it
//! requires pruning. Needs `--cluster`. Documentation: `rules/drift-extraneous.md`.

use serde_json::json;

use super::drift::{app_manifest, resources};
use crate::compare::app::Reason;
use crate::rules::{Context, Finding, RuleMeta};

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (app, r) in resources(ctx) {
        if r.reason != Reason::Extraneous {
            continue;
        }
        let Some(m) = app_manifest(ctx, app) else {
            continue;
        };
        let application = ctx
            .repo
            .apps
            .get(app.app.unwrap_or(usize::MAX))
            .map(|a| &a.value);
        let prune = application
            .and_then(|a| a.spec.automated())
            .is_some_and(|a| a.prune);
        let what_next = if r.ignore_extraneous {
            "its `IgnoreExtraneous` compare option keeps the Application Synced; it stays until \
             deleted by hand"
                .to_string()
        } else if r.prune_disabled {
            "`Prune=false` keeps it, so the Application stays OutOfSync; delete it by hand or \
             restore it in Git"
                .to_string()
        } else if prune {
            "automated prune is on: the next sync deletes it — restore it in Git if it is still \
             needed"
                .to_string()
        } else {
            "the Application stays OutOfSync until it is pruned (sync with prune) or restored in \
             Git"
            .to_string()
        };
        let ns = if r.key.namespace.is_empty() {
            String::new()
        } else {
            format!("{}/", r.key.namespace)
        };
        let message = format!(
            "{} `{ns}{}` is tracked by Application `{}` in the cluster but is not in Git: it \
             requires pruning; {what_next}",
            r.key.kind, r.key.name, app.name
        );
        let pointer = if m.node.pointer("/spec/source/path").is_some() {
            "/spec/source/path"
        } else {
            "/kind"
        };
        out.push(
            Finding::new(meta, message, m.locate(pointer))
                .with_object(&r.key)
                .with_pointer(format!("{pointer}#{}", r.key))
                .with_property("application", json!(app.name))
                .with_property("requiresPruning", json!(true))
                .with_property("pruneEnabled", json!(prune))
                .with_property("pruneDisabled", json!(r.prune_disabled)),
        );
    }
}
