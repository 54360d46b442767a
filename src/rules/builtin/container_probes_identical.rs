//! `container-probes-identical`: a container whose liveness probe checks exactly what its
//! readiness probe checks. Documentation: `rules/container-probes-identical.md`.

use serde_json::Value;

use super::podspec::pods;
use crate::rules::{Context, Finding, RuleMeta};

/// The handler of a probe: what it checks, without timings.
fn handler(probe: &Value) -> Option<(&'static str, &Value)> {
    ["httpGet", "tcpSocket", "exec", "grpc"]
        .into_iter()
        .find_map(|h| probe.get(h).map(|v| (h, v)))
}

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for pod in pods(ctx) {
        let m = pod.manifest;
        for c in pod.app_containers() {
            let (Some(r), Some(l)) = (c.value.get("readinessProbe"), c.value.get("livenessProbe"))
            else {
                continue;
            };
            let (Some(rh), Some(lh)) = (handler(r), handler(l)) else {
                continue;
            };
            if rh != lh {
                continue;
            }
            let pointer = format!("{}/livenessProbe", c.pointer);
            let message = format!(
                "The liveness probe of {} in {} checks the same `{}` as its readiness probe: when \
                 a dependency is slow the pods are restarted instead of only taken out of the \
                 Service, which turns an overload into a restart storm. Make the liveness probe \
                 check only that the process is alive (a separate endpoint), or remove it",
                c.describe(),
                pod.describe(),
                rh.0
            );
            out.push(
                Finding::new(meta, message, m.locate(&pointer))
                    .with_object(&m.key)
                    .with_pointer(pointer)
                    .with_related(
                        m.locate(&format!("{}/readinessProbe", c.pointer)),
                        "the readiness probe it duplicates",
                    ),
            );
        }
    }
}
