//! `server-fields-in-git`: fields that only the API server or controllers write — `status`,
//! `metadata.uid`, `resourceVersion`, `creationTimestamp`, `generation`, `selfLink`,
//! `managedFields`, the `last-applied-configuration` annotation — committed in Git, usually
//! from `kubectl get -o yaml`. Documentation: `rules/server-fields-in-git.md`.

use serde_json::Value;

use crate::load::yaml::escape_pointer_token;
use crate::model::settings::StatusIgnore;
use crate::rules::{Context, Finding, RuleMeta};

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Whether a value holds anything but nulls, empty strings, empty lists and empty maps.
fn has_content(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => a.iter().any(has_content),
        Value::Object(o) => o.values().any(has_content),
        _ => true,
    }
}

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    let status_ignored = |group: &str, kind: &str| match ctx
        .repo
        .settings
        .compare_options
        .ignore_resource_status_field
    {
        StatusIgnore::All => true,
        StatusIgnore::Crd => group == "apiextensions.k8s.io" && kind == "CustomResourceDefinition",
        StatusIgnore::None => false,
    };
    for m in &ctx.repo.manifests {
        let mut fields: Vec<(String, String)> = Vec::new();
        if m.obj.get("status").is_some_and(has_content) {
            let why = if status_ignored(&m.key.group, &m.key.kind) {
                "Argo CD ignores it with the default `resource.compareoptions`, but it goes stale \
                 and misleads readers"
            } else {
                "`resource.compareoptions` makes Argo CD compare it, so the Application is \
                 OutOfSync as soon as a controller updates the status"
            };
            fields.push((
                "/status".into(),
                format!("`status` is written by controllers, not by Git; {why}"),
            ));
        }
        let metadata = [
            (
                "uid",
                "it identifies one incarnation of the object: once the object is re-created, \
                 applying it fails with a UID precondition error",
            ),
            (
                "resourceVersion",
                "creating the object fails (`resourceVersion should not be set on objects to be \
                 created`), and every apply becomes an optimistic update that fails with `the \
                 object has been modified` as soon as the live object changes",
            ),
            (
                "creationTimestamp",
                "the API server sets it, so the copy in Git is stale noise",
            ),
            (
                "generation",
                "the API server sets it, so the copy in Git is stale noise",
            ),
            ("selfLink", "it is deprecated and set by the API server"),
            (
                "managedFields",
                "it records which field manager owns which field: a server-side apply rejects \
                 objects that set it (`metadata.managedFields must be nil`), a client-side apply \
                 overwrites the ownership records",
            ),
        ];
        for (field, why) in metadata {
            let v = m.obj.get("metadata").and_then(|md| md.get(field));
            if v.is_some_and(has_content) {
                fields.push((
                    format!("/metadata/{field}"),
                    format!("`metadata.{field}` is server-managed state; {why}"),
                ));
            }
        }
        if m.annotation(LAST_APPLIED).is_some() {
            fields.push((
                format!(
                    "/metadata/annotations/{}",
                    escape_pointer_token(LAST_APPLIED)
                ),
                format!(
                    "the `{LAST_APPLIED}` annotation is kubectl's own bookkeeping, rewritten on \
                     every client-side apply; a copy committed in Git is stale and never what the \
                     cluster holds"
                ),
            ));
        }
        for (pointer, reason) in fields {
            let message = format!(
                "{reason}. It was probably copied from `kubectl get -o yaml`; delete it from {} \
                 `{}`",
                m.key.kind, m.key.name
            );
            out.push(
                Finding::new(meta, message, m.locate(&pointer))
                    .with_object(&m.key)
                    .with_pointer(pointer),
            );
        }
    }
}
