//! `secret-mutable`: a Secret in Git without `immutable: true`. Documentation:
//! `rules/secret-mutable.md`.

use serde_json::Value;

use super::secret_plaintext_in_git::is_secret;
use crate::rules::{Context, Finding, RuleMeta};

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for m in ctx.repo.manifests.iter().filter(|m| is_secret(m)) {
        if m.obj.get("immutable") == Some(&Value::Bool(true)) {
            continue;
        }
        let (location, pointer) = if m.node.pointer("/immutable").is_some() {
            (m.locate("/immutable"), "/immutable")
        } else {
            (m.locate_kind(), "/kind")
        };
        let message = format!(
            "Secret `{}` is not immutable: a controller or a `kubectl edit` can change it in the \
             cluster without Git, and pods keep the old value until they restart. Set \
             `immutable: true` and roll out a new Secret name (e.g. a content-hash suffix) on change",
            m.key.name
        );
        out.push(
            Finding::new(meta, message, location)
                .with_object(&m.key)
                .with_pointer(pointer),
        );
    }
}
