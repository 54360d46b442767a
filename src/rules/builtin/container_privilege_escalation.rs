//! `container-privilege-escalation`: a container that does not set
//! `securityContext.allowPrivilegeEscalation: false`. Documentation:
//! `rules/container-privilege-escalation.md`.

use super::podspec::{is_false, is_true, pods};
use crate::rules::{Context, Finding, RuleMeta};

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for pod in pods(ctx) {
        let m = pod.manifest;
        if pod.field("/os/name").and_then(|v| v.as_str()) == Some("windows") {
            continue;
        }
        for c in pod.containers() {
            let sc = c.value.get("securityContext");
            let ape = sc.and_then(|s| s.get("allowPrivilegeEscalation"));
            // A privileged container is reported by `container-privileged`.
            if is_false(ape) || is_true(sc.and_then(|s| s.get("privileged"))) {
                continue;
            }
            let (location, pointer) = c.locate(m, "/securityContext/allowPrivilegeEscalation");
            let how = if is_true(ape) {
                "sets `allowPrivilegeEscalation: true`"
            } else {
                "does not set `allowPrivilegeEscalation`, which defaults to true"
            };
            let message = format!(
                "{} of {} {how}: a setuid binary or file capability in the image can give a \
                 process more privileges than its parent. Set \
                 `securityContext.allowPrivilegeEscalation: false`",
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
