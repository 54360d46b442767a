//! `container-privileged`: a container with `securityContext.privileged: true`. Documentation:
//! `rules/container-privileged.md`.

use super::podspec::{is_true, pods};
use crate::rules::{Context, Finding, RuleMeta};

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for pod in pods(ctx) {
        let m = pod.manifest;
        for c in pod.containers() {
            if !is_true(c.value.pointer("/securityContext/privileged")) {
                continue;
            }
            let (location, pointer) = c.locate(m, "/securityContext/privileged");
            let message = format!(
                "{} of {} runs privileged: it gets every capability and the node's devices, so \
                 whoever controls the container controls the node. Remove `privileged: true` and \
                 add only the capabilities it needs under `securityContext.capabilities.add`",
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
