//! `pod-host-namespace`: a pod that shares the node's network, process or IPC namespace
//! (`hostNetwork`, `hostPID`, `hostIPC`). Documentation: `rules/pod-host-namespace.md`.

use super::podspec::{is_true, pods};
use crate::rules::{Context, Finding, RuleMeta};

const FIELDS: &[(&str, &str)] = &[
    (
        "hostNetwork",
        "sees and binds the node's network interfaces, including other pods' traffic and \
         node-local services",
    ),
    (
        "hostPID",
        "sees every process of the node and can signal or trace them",
    ),
    (
        "hostIPC",
        "shares the node's shared memory and IPC with every host process",
    ),
];

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for pod in pods(ctx) {
        for (field, what) in FIELDS {
            let f = format!("/{field}");
            if !is_true(pod.field(&f)) {
                continue;
            }
            let (location, pointer) = pod.locate(&f);
            let message = format!(
                "{} sets `{field}: true`: the pod {what}. Remove it unless this is a node agent \
                 that needs it, and then suppress this finding with the reason",
                pod.describe()
            );
            out.push(
                Finding::new(meta, message, location)
                    .with_object(&pod.manifest.key)
                    .with_pointer(pointer),
            );
        }
    }
}
