//! `cronjob-concurrency-allowed`: a CronJob whose `concurrencyPolicy` is `Allow` or unset.
//! Documentation: `rules/cronjob-concurrency-allowed.md`.

use serde_json::Value;

use crate::rules::{Context, Finding, RuleMeta};

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for m in &ctx.repo.manifests {
        if (m.key.group.as_str(), m.key.kind.as_str()) != ("batch", "CronJob") {
            continue;
        }
        let policy = m
            .obj
            .pointer("/spec/concurrencyPolicy")
            .and_then(Value::as_str);
        if matches!(policy, Some("Forbid" | "Replace")) {
            continue;
        }
        let (location, how) = if policy.is_some() {
            (
                m.locate("/spec/concurrencyPolicy"),
                "sets `concurrencyPolicy: Allow`",
            )
        } else {
            (
                m.locate("/spec/schedule"),
                "has no `concurrencyPolicy`, which defaults to `Allow`",
            )
        };
        let message = format!(
            "CronJob `{}` {how}: when a run lasts longer than the schedule interval, runs pile \
             up, compete for the same data and can exhaust the namespace's quota. Set \
             `concurrencyPolicy: Forbid` (skip a run while one is active) or `Replace`",
            m.key.name
        );
        out.push(
            Finding::new(meta, message, location)
                .with_object(&m.key)
                .with_pointer("/spec/concurrencyPolicy"),
        );
    }
}
