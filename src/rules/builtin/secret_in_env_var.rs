//! `secret-in-env-var`: a container that reads a Secret into environment variables
//! (`valueFrom.secretKeyRef` or `envFrom.secretRef`) instead of mounting it as a file.
//! Documentation: `rules/secret-in-env-var.md`.

use serde_json::Value;

use super::podspec::pods;
use crate::rules::{Context, Finding, RuleMeta};

const WHY: &str = "environment variables are inherited by every child process, shown by \
                   `/proc/<pid>/environ` to anything that shares the PID namespace, and end up \
                   in crash dumps and debug endpoints; they also never change while the pod runs";

const REMEDY: &str = "Mount the Secret as a read-only volume and read the file";

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for pod in pods(ctx) {
        let m = pod.manifest;
        for c in pod.containers() {
            if let Some(Value::Array(env)) = c.value.get("env") {
                for (i, e) in env.iter().enumerate() {
                    let Some(r) = e
                        .pointer("/valueFrom/secretKeyRef")
                        .filter(|r| r.is_object())
                    else {
                        continue;
                    };
                    let name = e.get("name").and_then(Value::as_str).unwrap_or("");
                    let secret = r.get("name").and_then(Value::as_str).unwrap_or("");
                    let key = r.get("key").and_then(Value::as_str).unwrap_or("");
                    let pointer = format!("{}/env/{i}/valueFrom/secretKeyRef", c.pointer);
                    let message = format!(
                        "Environment variable `{name}` of {} in {} reads key `{key}` of Secret \
                         `{secret}`: {WHY}. {REMEDY}",
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
            if let Some(Value::Array(from)) = c.value.get("envFrom") {
                for (i, e) in from.iter().enumerate() {
                    let Some(r) = e.get("secretRef").filter(|r| r.is_object()) else {
                        continue;
                    };
                    let secret = r.get("name").and_then(Value::as_str).unwrap_or("");
                    let pointer = format!("{}/envFrom/{i}/secretRef", c.pointer);
                    let message = format!(
                        "{} of {} loads every key of Secret `{secret}` into its environment: \
                         {WHY}. {REMEDY}",
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
}
