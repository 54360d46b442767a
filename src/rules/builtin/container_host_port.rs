//! `container-host-port`: a container port bound on the node with `hostPort`. Documentation:
//! `rules/container-host-port.md`.

use serde_json::Value;

use super::podspec::pods;
use crate::rules::{Context, Finding, RuleMeta};

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for pod in pods(ctx) {
        let m = pod.manifest;
        for c in pod.containers() {
            let Some(Value::Array(ports)) = c.value.get("ports") else {
                continue;
            };
            for (i, p) in ports.iter().enumerate() {
                let Some(host) = p.get("hostPort").and_then(Value::as_i64) else {
                    continue;
                };
                if host == 0 {
                    continue;
                }
                let pointer = format!("{}/ports/{i}/hostPort", c.pointer);
                let message = format!(
                    "{} of {} binds port {host} on the node with `hostPort`: it bypasses network \
                     policies, exposes the pod on the node's address, and limits scheduling to one \
                     such pod per node. Remove `hostPort` and expose the port through a Service",
                    c.title(),
                    pod.describe()
                );
                out.push(
                    Finding::new(meta, message, m.locate(&pointer))
                        .with_object(&m.key)
                        .with_pointer(pointer),
                );
            }
        }
    }
}
