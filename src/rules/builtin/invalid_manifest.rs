//! `invalid-manifest`: a file that cannot be read or parsed, or a document that is not a valid
//! Kubernetes object. Documentation: `rules/invalid-manifest.md`.

use crate::rules::{Context, Finding, RuleMeta};

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for p in &ctx.repo.problems {
        out.push(Finding::new(meta, p.message.clone(), p.location.clone()));
    }
    if let Some(i) = ctx.repo.settings_manifest {
        let m = ctx.repo.manifest(i);
        for p in &ctx.repo.settings.problems {
            let pointer = format!("/data/{}", crate::load::yaml::escape_pointer_token(&p.key));
            out.push(
                Finding::new(
                    meta,
                    format!("argocd-cm `{}`: {}", p.key, p.message),
                    m.locate(&pointer),
                )
                .with_object(&m.key)
                .with_pointer(pointer),
            );
        }
    }
}
