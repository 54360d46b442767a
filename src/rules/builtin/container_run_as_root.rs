//! `container-run-as-root`: a container that runs as UID 0, or may do so because neither it nor
//! its pod sets `runAsNonRoot: true` or a non-zero `runAsUser`. Documentation:
//! `rules/container-run-as-root.md`.

use serde_json::Value;

use super::podspec::{is_true, pods};
use crate::rules::{Context, Finding, RuleMeta};

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for pod in pods(ctx) {
        let m = pod.manifest;
        if pod.field("/os/name").and_then(Value::as_str) == Some("windows") {
            continue;
        }
        for c in pod.containers() {
            // The container's securityContext overrides the pod's, field by field.
            let (user, user_ptr) = match c.value.pointer("/securityContext/runAsUser") {
                Some(u) => (Some(u), format!("{}/securityContext/runAsUser", c.pointer)),
                None => (
                    pod.field("/securityContext/runAsUser"),
                    format!("{}/securityContext/runAsUser", pod.pointer),
                ),
            };
            let non_root = match c.value.pointer("/securityContext/runAsNonRoot") {
                Some(v) => is_true(Some(v)),
                None => is_true(pod.field("/securityContext/runAsNonRoot")),
            };
            let uid = user.and_then(Value::as_i64);
            let (location, pointer, why) = if uid == Some(0) {
                let why = if non_root {
                    "sets `runAsUser: 0` together with `runAsNonRoot: true`: the kubelet \
                     refuses to start it (`CreateContainerConfigError`)"
                } else {
                    "runs as root (`runAsUser: 0`): root in a container is root on the node \
                     after any escape"
                };
                (m.locate(&user_ptr), user_ptr, why)
            } else if non_root || uid.is_some_and(|u| u > 0) {
                continue;
            } else {
                let (l, p) = c.locate(m, "/securityContext/runAsNonRoot");
                (
                    l,
                    p,
                    "sets neither `runAsNonRoot: true` nor a non-zero `runAsUser`, so it runs as \
                     root whenever the image's USER is root, and root in a container is root on \
                     the node after any escape",
                )
            };
            let message = format!(
                "{} of {} {why}. Set `securityContext.runAsNonRoot: true` and a non-zero \
                 `runAsUser` (on the pod or the container)",
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
