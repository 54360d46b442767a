//! `config-change-no-rollout`: a workload reads a mutable ConfigMap or Secret of the checkout
//! through environment variables or a `subPath` mount, and nothing restarts its pods when that
//! object changes (no content-hash name, no checksum annotation, no Reloader annotation).
//! Documentation: `rules/config-change-no-rollout.md`.

use serde_json::Value;

use super::index::Index;
use super::podspec::{is_true, pods, Pod};
use crate::model::object::Manifest;
use crate::rules::{Context, Finding, RuleMeta};

/// Whether a name ends in a content hash (`app-config-5f7c9`, Kustomize's `-7t2k9bdf8m`).
pub fn has_hash_suffix(name: &str) -> bool {
    name.rsplit_once('-').is_some_and(|(_, s)| {
        (5..=12).contains(&s.len())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            && s.chars().any(|c| c.is_ascii_digit())
    })
}

/// Whether something restarts the workload's pods when its configuration changes: a
/// `checksum/*` annotation on the pod template (the Helm idiom) or a Reloader annotation.
fn has_rollout_trigger(pod: &Pod<'_>) -> bool {
    let m = pod.manifest;
    let base = pod.pointer.strip_suffix("/spec").unwrap_or("");
    let template = m
        .obj
        .pointer(&format!("{base}/metadata/annotations"))
        .and_then(Value::as_object);
    let checksum = template.is_some_and(|a| a.keys().any(|k| k.starts_with("checksum/")));
    let reloader = m
        .obj
        .pointer("/metadata/annotations")
        .and_then(Value::as_object)
        .is_some_and(|a| {
            a.keys().any(|k| {
                k == "reloader.stakater.com/auto"
                    || k == "reloader.stakater.com/search"
                    || k.ends_with(".reloader.stakater.com/reload")
            })
        });
    checksum || reloader
}

/// The object of the checkout a reference names, if it is a mutable ConfigMap or Secret.
fn mutable_source<'a>(
    index: &Index<'a>,
    from: &Manifest,
    kind: &str,
    namespace: &str,
    name: &str,
) -> Option<&'a Manifest> {
    if has_hash_suffix(name) {
        return None;
    }
    index
        .git(from, "", kind, namespace, name)
        .into_iter()
        .find(|c| !is_true(c.obj.get("immutable")))
}

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    let index = ctx.objects();
    for pod in pods(ctx) {
        if pod.runs_to_completion() || has_rollout_trigger(&pod) {
            continue;
        }
        let m = pod.manifest;
        // (kind, name, pointer, how the pod reads it)
        let mut refs: Vec<(&str, &str, String, &str)> = Vec::new();
        let mut volumes: Vec<(&str, &str, &str)> = Vec::new();
        if let Some(Value::Array(vols)) = pod.field("/volumes") {
            for v in vols {
                let vname = v.get("name").and_then(Value::as_str).unwrap_or("");
                if let Some(n) = v.pointer("/configMap/name").and_then(Value::as_str) {
                    volumes.push((vname, "ConfigMap", n));
                }
                if let Some(n) = v.pointer("/secret/secretName").and_then(Value::as_str) {
                    volumes.push((vname, "Secret", n));
                }
            }
        }
        for c in pod.containers() {
            if let Some(Value::Array(env)) = c.value.get("env") {
                for (i, e) in env.iter().enumerate() {
                    for (field, kind) in
                        [("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")]
                    {
                        if let Some(n) = e
                            .pointer(&format!("/valueFrom/{field}/name"))
                            .and_then(Value::as_str)
                        {
                            let p = format!("{}/env/{i}/valueFrom/{field}/name", c.pointer);
                            refs.push((kind, n, p, "an environment variable"));
                        }
                    }
                }
            }
            if let Some(Value::Array(from)) = c.value.get("envFrom") {
                for (i, e) in from.iter().enumerate() {
                    for (field, kind) in [("configMapRef", "ConfigMap"), ("secretRef", "Secret")] {
                        if let Some(n) =
                            e.pointer(&format!("/{field}/name")).and_then(Value::as_str)
                        {
                            let p = format!("{}/envFrom/{i}/{field}/name", c.pointer);
                            refs.push((kind, n, p, "`envFrom`"));
                        }
                    }
                }
            }
            if let Some(Value::Array(mounts)) = c.value.get("volumeMounts") {
                for (i, mt) in mounts.iter().enumerate() {
                    if mt.get("subPath").is_none() {
                        continue;
                    }
                    let vname = mt.get("name").and_then(Value::as_str).unwrap_or("");
                    for (v, kind, n) in &volumes {
                        if *v == vname {
                            let p = format!("{}/volumeMounts/{i}/subPath", c.pointer);
                            refs.push((kind, n, p, "a `subPath` mount"));
                        }
                    }
                }
            }
        }
        // Report each object once per workload, at its first reference in the file.
        refs.sort_by_key(|r| {
            let l = m.locate(&r.2);
            (l.line, l.col)
        });
        let mut seen: Vec<(&str, &str)> = Vec::new();
        for (kind, name, pointer, how) in refs {
            if seen.contains(&(kind, name)) {
                continue;
            }
            let Some(src) = mutable_source(index, m, kind, &m.key.namespace, name) else {
                continue;
            };
            seen.push((kind, name));
            let message = format!(
                "{} reads {kind} `{name}` through {how}, which is fixed when a pod starts: a \
                 change to the {kind} in Git syncs, but the running pods keep the old values \
                 until something restarts them, so pods silently run mixed configuration. Give \
                 the {kind} a content-hash name (Kustomize generators do), add a `checksum/…` \
                 annotation to the pod template, or let Reloader restart it",
                pod.describe()
            );
            out.push(
                Finding::new(meta, message, m.locate(&pointer))
                    .with_object(&m.key)
                    .with_pointer(pointer)
                    .with_related(src.locate_kind(), format!("the mutable {kind} `{name}`")),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::has_hash_suffix;

    #[test]
    fn hash_suffixes() {
        assert!(has_hash_suffix("app-config-5f7c9"));
        assert!(has_hash_suffix("app-config-7t2k9bdf8m"));
        assert!(!has_hash_suffix("app-config"));
        assert!(!has_hash_suffix("app-settings"));
        assert!(!has_hash_suffix("app-v2"));
    }
}
