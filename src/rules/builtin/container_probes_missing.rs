//! `container-probes-missing`: a long-running container without a readiness or liveness probe.
//! Documentation: `rules/container-probes-missing.md`.

use super::podspec::pods;
use crate::rules::{Context, Finding, RuleMeta};

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for pod in pods(ctx) {
        if pod.runs_to_completion() {
            continue;
        }
        let m = pod.manifest;
        for c in pod.app_containers() {
            let has = |f: &str| c.value.get(f).is_some_and(|v| v.is_object());
            let (readiness, liveness) = (has("readinessProbe"), has("livenessProbe"));
            let (what, field, why) = match (readiness, liveness) {
                (true, true) => continue,
                (false, false) => (
                    "neither a readiness nor a liveness probe",
                    "/readinessProbe",
                    "it receives traffic before it can serve, a rollout proceeds (and Argo CD \
                     reports Healthy) even if it never works, and a hung process is never \
                     restarted",
                ),
                (false, true) => (
                    "no readiness probe",
                    "/readinessProbe",
                    "it receives traffic before it can serve, and a rollout proceeds (and Argo CD \
                     reports Healthy) even if the new version never works",
                ),
                (true, false) => (
                    "no liveness probe",
                    "/livenessProbe",
                    "a deadlocked or hung process stays running and is never restarted",
                ),
            };
            let (location, pointer) = c.locate(m, field);
            let message = format!(
                "{} of {} has {what}: {why}. Add a `readinessProbe` that checks it can serve \
                 and a `livenessProbe` that checks only that the process is alive",
                c.title(),
                pod.describe()
            );
            out.push(
                Finding::new(meta, message, location)
                    .with_object(&m.key)
                    .with_pointer(pointer),
            );
        }
    }
}
