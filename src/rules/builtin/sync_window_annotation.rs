//! `sync-window-annotation`: the annotation `argocd.argoproj.io/sync-window`, which Argo CD does
//! not have. Documentation: `rules/sync-window-annotation.md`.

use crate::load::yaml::escape_pointer_token;
use crate::rules::{Context, Finding, RuleMeta};

/// The annotation people expect to exist.
pub const ANNOTATION: &str = "argocd.argoproj.io/sync-window";

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    let pointer = format!("/metadata/annotations/{}", escape_pointer_token(ANNOTATION));
    for m in &ctx.repo.manifests {
        let Some((_, key_span)) = m.node.pointer_entry(&pointer) else {
            continue;
        };
        let message = format!(
            "`{ANNOTATION}` is not an Argo CD annotation and is silently ignored: nothing limits \
             when {} `{}` is synced. Sync windows are defined in the AppProject's \
             `spec.syncWindows` (kind allow/deny, schedule, duration, applications/namespaces/clusters)",
            m.key.kind, m.key.name
        );
        out.push(
            Finding::new(
                meta,
                message,
                crate::model::object::Location::new(&m.file.path, key_span),
            )
            .with_object(&m.key)
            .with_pointer(pointer.clone()),
        );
    }
}
