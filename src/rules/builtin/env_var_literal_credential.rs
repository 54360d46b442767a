//! `env-var-literal-credential`: an environment variable whose name looks like a credential
//! (`*PASSWORD*`, `*TOKEN*`, `API_KEY`, …) and whose value is a literal in Git. The value is
//! never printed. Documentation: `rules/env-var-literal-credential.md`.

use serde_json::Value;

use super::podspec::pods;
use super::sensitive_name::{is_literal_value, is_sensitive_name};
use crate::rules::{Context, Finding, RuleMeta};

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for pod in pods(ctx) {
        let m = pod.manifest;
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
                if !is_sensitive_name(name) || !is_literal_value(value) {
                    continue;
                }
                let pointer = format!("{}/env/{i}/value", c.pointer);
                let message = format!(
                    "Environment variable `{name}` of {} in {} has a literal value in Git that \
                     looks like a credential: everyone who can read the repository, the \
                     Application's manifests in the Argo CD UI or the pod spec can read it. Move \
                     it to a Secret (SealedSecret, ExternalSecret or SOPS) and reference it with \
                     `valueFrom.secretKeyRef`, or better mount it as a file",
                    c.describe(),
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
