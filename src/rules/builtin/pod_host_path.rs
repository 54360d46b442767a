//! `pod-host-path`: a pod that mounts a directory or file of the node with a `hostPath`
//! volume. Sensitive paths (container runtime sockets, `/`, `/etc`, `/proc`, the kubelet's
//! directory, …) are errors. Documentation: `rules/pod-host-path.md`.

use serde_json::Value;

use super::podspec::{is_true, pods};
use crate::rules::{Context, Finding, RuleMeta, Severity};

/// Paths whose exposure gives control of the node (exact, or anything below with a `/`).
const SENSITIVE: &[&str] = &[
    "/",
    "/etc",
    "/root",
    "/home",
    "/var",
    "/var/run",
    "/run",
    "/proc",
    "/sys",
    "/boot",
    "/dev",
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/var/lib",
    "/var/lib/kubelet",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/etc/kubernetes",
];

/// Directories whose whole subtree is sensitive.
const SENSITIVE_TREES: &[&str] = &[
    "/etc/kubernetes/",
    "/var/lib/kubelet/",
    "/var/lib/docker/",
    "/var/lib/containerd/",
    "/root/",
    "/proc/",
    "/sys/",
    "/boot/",
    "/etc/ssh/",
    "/etc/sudoers",
    "/etc/shadow",
    "/etc/passwd",
];

/// Whether a host path is a runtime socket or gives control of the node.
pub fn is_sensitive(path: &str) -> bool {
    let p = if path.len() > 1 {
        path.trim_end_matches('/')
    } else {
        path
    };
    p.ends_with(".sock")
        || SENSITIVE.contains(&p)
        || SENSITIVE_TREES.iter().any(|t| p.starts_with(t) || *t == p)
}

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for pod in pods(ctx) {
        let m = pod.manifest;
        let Some(Value::Array(volumes)) = pod.field("/volumes") else {
            continue;
        };
        for (i, v) in volumes.iter().enumerate() {
            let Some(path) = v.pointer("/hostPath/path").and_then(Value::as_str) else {
                continue;
            };
            let vol = v.get("name").and_then(Value::as_str).unwrap_or("");
            let mut writers = Vec::new();
            for c in pod.containers() {
                let Some(Value::Array(mounts)) = c.value.get("volumeMounts") else {
                    continue;
                };
                for mt in mounts {
                    if mt.get("name").and_then(Value::as_str) == Some(vol)
                        && !is_true(mt.get("readOnly"))
                        && !writers.contains(&c.name)
                    {
                        writers.push(c.name);
                    }
                }
            }
            let sensitive = is_sensitive(path);
            let socket = path.trim_end_matches('/').ends_with(".sock");
            let access = if writers.is_empty() {
                "read-only".to_string()
            } else {
                let names: Vec<String> = writers.iter().map(|n| format!("`{n}`")).collect();
                format!("writable by {}", names.join(", "))
            };
            let risk = if socket {
                "a container runtime socket lets the pod start privileged containers on the node"
            } else if sensitive {
                "this node path holds credentials, configuration or kernel interfaces of the node"
            } else {
                "host paths escape the pod's storage isolation and tie its data to one node"
            };
            let remedy = if socket || (sensitive && writers.is_empty()) {
                "Remove the volume; talk to the API server or use a dedicated, audited agent \
                 instead"
            } else if sensitive {
                "Remove the volume, or mount the narrowest path with `readOnly: true`"
            } else if writers.is_empty() {
                "Use a ConfigMap, a projected volume or a PersistentVolumeClaim instead, unless \
                 this is a node agent"
            } else {
                "Use a PersistentVolumeClaim or `emptyDir` instead, or mount it with \
                 `readOnly: true`"
            };
            let pointer = format!("{}/volumes/{i}/hostPath/path", pod.pointer);
            let message = format!(
                "{} mounts the node path `{path}` with hostPath volume `{vol}` ({access}): \
                 {risk}. {remedy}",
                pod.describe()
            );
            let mut f = Finding::new(meta, message, m.locate(&pointer))
                .with_object(&m.key)
                .with_pointer(pointer);
            if socket || (sensitive && !writers.is_empty()) {
                f.severity = Severity::Error;
            }
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_sensitive;

    #[test]
    fn sensitive_paths() {
        for p in [
            "/",
            "/var/run/docker.sock",
            "/run/containerd/containerd.sock",
            "/etc",
            "/etc/",
            "/etc/kubernetes/pki",
            "/var/lib/kubelet",
            "/proc/sys",
        ] {
            assert!(is_sensitive(p), "{p}");
        }
        for p in [
            "/var/log",
            "/data/cache",
            "/etc/ssl/certs",
            "/mnt/disks/ssd0",
        ] {
            assert!(!is_sensitive(p), "{p}");
        }
    }
}
