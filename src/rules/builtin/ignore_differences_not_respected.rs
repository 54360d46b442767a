//! `ignore-differences-not-respected`: an Application self-heals and ignores differences, but
//! does not set `RespectIgnoreDifferences=true`, so every sync reverts the ignored fields.
//! Documentation: `rules/ignore-differences-not-respected.md`.

use crate::rules::{Context, Finding, RuleMeta};

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for app in &ctx.repo.apps {
        let spec = &app.value.spec;
        let Some(auto) = spec.automated() else {
            continue;
        };
        if !auto.self_heal
            || spec.ignore_differences.is_empty()
            || spec.has_sync_option("RespectIgnoreDifferences=true")
        {
            continue;
        }
        let m = ctx.repo.manifest(app.manifest);
        let message = format!(
            "Application `{}` self-heals and ignores differences, but without the sync option \
             `RespectIgnoreDifferences=true` every sync applies the Git value of the ignored \
             fields again (an autoscaler and Argo CD keep overwriting each other). Add \
             `RespectIgnoreDifferences=true` to spec.syncPolicy.syncOptions",
            app.value.metadata.name
        );
        out.push(
            Finding::new(meta, message, m.locate("/spec/ignoreDifferences"))
                .with_object(&m.key)
                .with_pointer("/spec/ignoreDifferences")
                .with_related(
                    m.locate("/spec/syncPolicy/automated/selfHeal"),
                    "self-heal is enabled here",
                ),
        );
    }
}
