//! `custom-resource-quantity-not-canonical`: a custom resource that embeds a pod spec (Argo
//! Workflows, KEDA `ScaledJob`, Knative `Service`, …) writes a resource quantity in a
//! non-canonical form (`cpu: 0.1`, `memory: 1024Mi`) and `argocd-cm` registers no
//! `knownTypeFields` for it. Documentation: `rules/custom-resource-quantity-not-canonical.md`.

use serde_json::{json, Value};

use crate::compare::quantity::canonicalize;
use crate::load::yaml::escape_pointer_token;
use crate::rules::{Context, Finding, RuleMeta};

/// The dot paths (lists traversed element-wise, as `knownTypeFields` writes them) of the
/// containers of the custom kinds that embed Kubernetes pod or container types.
fn container_paths(group: &str, kind: &str) -> &'static [&'static str] {
    match (group, kind) {
        ("argoproj.io", "Rollout") => &[
            "spec.template.spec.containers",
            "spec.template.spec.initContainers",
        ],
        ("argoproj.io", "Workflow" | "WorkflowTemplate" | "ClusterWorkflowTemplate") => &[
            "spec.templates.container",
            "spec.templates.script",
            "spec.templates.initContainers",
            "spec.templates.sidecars",
        ],
        ("argoproj.io", "CronWorkflow") => &[
            "spec.workflowSpec.templates.container",
            "spec.workflowSpec.templates.script",
            "spec.workflowSpec.templates.initContainers",
            "spec.workflowSpec.templates.sidecars",
        ],
        ("keda.sh", "ScaledJob") => &[
            "spec.jobTargetRef.template.spec.containers",
            "spec.jobTargetRef.template.spec.initContainers",
        ],
        ("serving.knative.dev", "Service" | "Configuration") => &[
            "spec.template.spec.containers",
            "spec.template.spec.initContainers",
        ],
        ("serving.knative.dev", "Revision") => &["spec.containers", "spec.initContainers"],
        _ => &[],
    }
}

/// Every container object along a dot path, with its JSON pointer.
fn walk<'a>(v: &'a Value, path: &[&str], pointer: String, out: &mut Vec<(String, &'a Value)>) {
    if let Value::Array(items) = v {
        for (i, item) in items.iter().enumerate() {
            walk(item, path, format!("{pointer}/{i}"), out);
        }
        return;
    }
    match path.split_first() {
        None => out.push((pointer, v)),
        Some((head, rest)) => {
            if let Some(child) = v.get(*head) {
                walk(
                    child,
                    rest,
                    format!("{pointer}/{}", escape_pointer_token(head)),
                    out,
                );
            }
        }
    }
}

/// Whether a `knownTypeFields` entry of `argocd-cm` (or Argo CD's built-in Rollout entry)
/// re-marshals the quantities under the container path `path`.
fn covered(ctx: &Context<'_>, group: &str, kind: &str, path: &str) -> bool {
    let mut fields = crate::compare::ignore::KnownTypeField::builtin();
    for (key, o) in &ctx.repo.settings.overrides {
        let (g, k) = crate::model::settings::override_key_group_kind(key);
        for f in &o.known_type_fields {
            fields.push(crate::compare::ignore::KnownTypeField {
                group: g.to_string(),
                kind: k.to_string(),
                field: f.field.clone(),
                type_name: f.type_.clone(),
            });
        }
    }
    fields.iter().any(|f| {
        f.group == group
            && f.kind == kind
            && f.is_supported()
            && (path == f.field
                || path.starts_with(&format!("{}.", f.field))
                || f.field.starts_with(&format!("{path}.")))
    })
}

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (mi, m) in ctx.repo.manifests.iter().enumerate() {
        let paths = container_paths(&m.key.group, &m.key.kind);
        if paths.is_empty() {
            continue;
        }
        let live = ctx.live_of(mi);
        for path in paths {
            if covered(ctx, &m.key.group, &m.key.kind, path) {
                continue;
            }
            let segs: Vec<&str> = path.split('.').collect();
            let mut containers = Vec::new();
            walk(&m.obj, &segs, String::new(), &mut containers);
            for (cp, c) in containers {
                for section in ["limits", "requests"] {
                    let Some(Value::Object(list)) = c.pointer(&format!("/resources/{section}"))
                    else {
                        continue;
                    };
                    for (name, value) in list {
                        let text = match value {
                            Value::String(s) => s.clone(),
                            Value::Number(n) => n.to_string(),
                            _ => continue,
                        };
                        let Some(canonical) = canonicalize(&text) else {
                            continue;
                        };
                        if value.as_str() == Some(canonical.as_str()) {
                            continue;
                        }
                        let pointer =
                            format!("{cp}/resources/{section}/{}", escape_pointer_token(name));
                        let live_value = live.and_then(|l| l.obj().pointer(&pointer));
                        if live_value == Some(value) {
                            // The live object keeps the text as written: nothing rewrites it.
                            continue;
                        }
                        let seen = match live_value {
                            Some(Value::String(s)) if s == &canonical => {
                                format!(" — the live object already has `{s}`")
                            }
                            _ => String::new(),
                        };
                        let message = format!(
                            "{} `{}` sets `{section}.{name}: {value}`, which Kubernetes writes \
                             as `\"{canonical}\"`{seen}; Argo CD compares custom resources as \
                             JSON without the typed round-trip of built-in kinds, so once a \
                             controller or webhook stores the canonical form the Application \
                             stays OutOfSync. Write `{name}: \"{canonical}\"`, or register \
                             `{{field: {path}, type: core/v1/Container}}` under \
                             `knownTypeFields` of `{}/{}` in argocd-cm",
                            m.key.kind, m.key.name, m.key.group, m.key.kind
                        );
                        out.push(
                            Finding::new(meta, message, m.locate(&pointer))
                                .with_object(&m.key)
                                .with_pointer(pointer.clone())
                                .with_property("canonical", json!(canonical)),
                        );
                    }
                }
            }
        }
    }
}
