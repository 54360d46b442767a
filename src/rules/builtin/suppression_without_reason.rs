//! `suppression-without-reason`: an `ignore-check.driftlens.io/<rule-id>` annotation without a
//! reason, which suppresses nothing. Documentation: `rules/suppression-without-reason.md`.

use crate::load::yaml::escape_pointer_token;
use crate::model::object::Location;
use crate::rules::suppress::ANNOTATION_PREFIX;
use crate::rules::{Context, Finding, RuleMeta};

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for m in &ctx.repo.manifests {
        let Some(annotations) = m
            .obj
            .get("metadata")
            .and_then(|md| md.get("annotations"))
            .and_then(|a| a.as_object())
        else {
            continue;
        };
        for (name, value) in annotations {
            let Some(rule) = name.strip_prefix(ANNOTATION_PREFIX) else {
                continue;
            };
            if value.as_str().is_some_and(|v| !v.trim().is_empty()) {
                continue;
            }
            let pointer = format!("/metadata/annotations/{}", escape_pointer_token(name));
            let location = match m.node.pointer_entry(&pointer) {
                Some((_, key_span)) => Location::new(&m.file.path, key_span),
                None => m.locate(&pointer),
            };
            let message = format!(
                "`{name}` has no reason, so it does not suppress `{rule}` on {} `{}`: write why \
                 the finding is accepted as the value, e.g. `{name}: \"accepted until the \
                 migration, see OPS-123\"`",
                m.key.kind, m.key.name
            );
            out.push(
                Finding::new(meta, message, location)
                    .with_object(&m.key)
                    .with_pointer(pointer),
            );
        }
    }
}
