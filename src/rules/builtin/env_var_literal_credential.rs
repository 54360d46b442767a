//! `env-var-literal-credential`: an environment variable whose name looks like a credential
//! (`*PASSWORD*`, `*TOKEN*`, `API_KEY`, …) and whose value is a literal in Git. The value is
//! never printed. Documentation: `rules/env-var-literal-credential.md`.

use serde_json::Value;

use super::podspec::pod_of;
use crate::model::object::Manifest;
use crate::model::sensitive::names::{is_literal_value, is_sensitive_name};
use crate::rules::{Context, Finding, RuleMeta};

/// A literal credential in an environment variable.
pub struct Literal {
    /// The variable's name.
    pub name: String,
    /// `container `api`` or `init container `x``.
    pub container: String,
    /// Pointer of the `value` field.
    pub pointer: String,
}

/// The environment variables of a manifest's containers that hold a literal credential. The
/// report's redaction masks the same values in source snippets.
pub fn literals(m: &Manifest) -> Vec<Literal> {
    let Some(pod) = pod_of(m, 0) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for c in pod.containers() {
        let Some(Value::Array(env)) = c.value.get("env") else {
            continue;
        };
        for (i, e) in env.iter().enumerate() {
            let Some(name) = e.get("name").and_then(Value::as_str) else {
                continue;
            };
            let Some(value) = e.get("value").and_then(Value::as_str) else {
                continue;
            };
            if is_sensitive_name(name) && is_literal_value(value) {
                out.push(Literal {
                    name: name.to_string(),
                    container: c.describe(),
                    pointer: format!("{}/env/{i}/value", c.pointer),
                });
            }
        }
    }
    out
}

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for m in &ctx.repo.manifests {
        for l in literals(m) {
            let message = format!(
                "Environment variable `{}` of {} in {} `{}` has a literal value in Git that \
                 looks like a credential: everyone who can read the repository, the \
                 Application's manifests in the Argo CD UI or the pod spec can read it. Move \
                 it to a Secret (SealedSecret, ExternalSecret or SOPS) and reference it with \
                 `valueFrom.secretKeyRef`, or better mount it as a file",
                l.name, l.container, m.key.kind, m.key.name
            );
            out.push(
                Finding::new(meta, message, m.locate(&l.pointer))
                    .with_object(&m.key)
                    .with_pointer(l.pointer),
            );
        }
    }
}
