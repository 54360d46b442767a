//! `cronjob-starting-deadline-missing`: a CronJob without `startingDeadlineSeconds`.
//! Documentation: `rules/cronjob-starting-deadline-missing.md`.

use crate::rules::{Context, Finding, RuleMeta};

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for m in &ctx.repo.manifests {
        if (m.key.group.as_str(), m.key.kind.as_str()) != ("batch", "CronJob") {
            continue;
        }
        if m.obj
            .pointer("/spec/startingDeadlineSeconds")
            .is_some_and(|v| !v.is_null())
        {
            continue;
        }
        let message = format!(
            "CronJob `{}` has no `startingDeadlineSeconds`: after a controller outage, a \
             cluster upgrade or a long `suspend`, it starts a missed run at whatever time the \
             controller catches up, and past 100 missed schedules it reports \
             `TooManyMissedTimes` (controllers before Kubernetes 1.21 stop scheduling it \
             altogether). Set `startingDeadlineSeconds` to how late a run may still start \
             (e.g. 300)",
            m.key.name
        );
        out.push(
            Finding::new(meta, message, m.locate("/spec/schedule"))
                .with_object(&m.key)
                .with_pointer("/spec/startingDeadlineSeconds"),
        );
    }
}
