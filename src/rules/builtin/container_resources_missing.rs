//! `container-resources-missing`: a container without a CPU request, a memory request or a
//! memory limit. Documentation: `rules/container-resources-missing.md`.

use super::podspec::pods;
use crate::rules::{Context, Finding, RuleMeta};

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for pod in pods(ctx) {
        let m = pod.manifest;
        for c in pod.containers() {
            let set = |p: &str| c.value.pointer(p).is_some_and(|v| !v.is_null());
            // Kubernetes defaults a missing request to the limit.
            let mut missing = Vec::new();
            if !set("/resources/requests/cpu") && !set("/resources/limits/cpu") {
                missing.push("CPU request");
            }
            if !set("/resources/requests/memory") && !set("/resources/limits/memory") {
                missing.push("memory request");
            }
            if !set("/resources/limits/memory") {
                missing.push("memory limit");
            }
            if missing.is_empty() {
                continue;
            }
            let list = match missing.as_slice() {
                [a] => (*a).to_string(),
                [a, b] => format!("{a} and {b}"),
                [a, b, c] => format!("{a}, {b} and {c}"),
                _ => unreachable!(),
            };
            let (location, pointer) = c.locate(m, "/resources");
            let mut why = Vec::new();
            if missing.len() > 1 || missing[0] != "memory limit" {
                why.push("the scheduler places it blind and it is among the first evicted under pressure");
            }
            if missing.contains(&"memory limit") {
                why.push("without a memory limit one leak can exhaust the node and get its neighbours killed");
            }
            let message = format!(
                "{} of {} has no {list}: {}. Set `resources.requests.cpu`, \
                 `resources.requests.memory` and `resources.limits.memory`",
                c.title(),
                pod.describe(),
                why.join("; ")
            );
            out.push(
                Finding::new(meta, message, location)
                    .with_object(&m.key)
                    .with_pointer(pointer),
            );
        }
    }
}
