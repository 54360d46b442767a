//! `container-dangerous-capabilities`: a container that adds Linux capabilities that break
//! isolation (`ALL`, `SYS_ADMIN`, `NET_RAW`, …). Documentation:
//! `rules/container-dangerous-capabilities.md`.

use serde_json::Value;

use super::podspec::pods;
use crate::rules::{Context, Finding, RuleMeta};

/// Capabilities that break container isolation, with what each allows.
const DANGEROUS: &[(&str, &str)] = &[
    ("ALL", "every capability, as good as privileged"),
    ("SYS_ADMIN", "mounts, namespaces and most of root's powers"),
    ("NET_ADMIN", "reconfiguring the pod's network and firewall"),
    ("NET_RAW", "raw sockets, used for ARP and DNS spoofing"),
    ("SYS_PTRACE", "tracing and reading other processes"),
    ("SYS_MODULE", "loading kernel modules"),
    ("SYS_RAWIO", "raw I/O to devices and memory"),
    ("SYS_BOOT", "rebooting the node"),
    ("SYS_TIME", "setting the node's clock"),
    (
        "DAC_READ_SEARCH",
        "reading any file, the basis of known container escapes",
    ),
    ("BPF", "loading eBPF programs into the kernel"),
    ("PERFMON", "kernel performance monitoring"),
    ("MAC_ADMIN", "changing AppArmor/SELinux policy"),
    ("MAC_OVERRIDE", "bypassing AppArmor/SELinux policy"),
];

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for pod in pods(ctx) {
        let m = pod.manifest;
        for c in pod.containers() {
            let Some(Value::Array(added)) = c.value.pointer("/securityContext/capabilities/add")
            else {
                continue;
            };
            for (i, cap) in added.iter().enumerate() {
                let Some(raw) = cap.as_str() else { continue };
                let upper = raw.trim().to_ascii_uppercase();
                let name = upper.strip_prefix("CAP_").unwrap_or(&upper);
                let Some((_, what)) = DANGEROUS.iter().find(|(n, _)| *n == name) else {
                    continue;
                };
                let pointer = format!("{}/securityContext/capabilities/add/{i}", c.pointer);
                let message = format!(
                    "{} of {} adds the capability `{raw}`, which allows {what}. Remove it, or \
                     drop `ALL` and add back only narrow capabilities such as \
                     `NET_BIND_SERVICE`",
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
