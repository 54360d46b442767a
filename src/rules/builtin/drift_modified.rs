//! `drift-modified`: a resource whose live state differs from Git after Argo CD's normalization
//! and ignore rules — what Argo CD shows as OutOfSync — with the likely cause and remedy of
//! each difference. Needs `--cluster`. Documentation: `rules/drift-modified.md`.

use serde_json::{json, Value};

use super::drift::{is_mask, is_secret, locate, resources, short};
use crate::compare::app::Reason;
use crate::rules::{Context, Finding, RuleMeta};

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (app, r) in resources(ctx) {
        if r.reason != Reason::Modified {
            continue;
        }
        let (Some(mi), Some(diff)) = (r.manifest, &r.diff) else {
            continue;
        };
        let m = ctx.repo.manifest(mi);
        let Some(first) = diff.differences.first() else {
            continue;
        };
        let secret = is_secret(r);
        let mut parts: Vec<String> = Vec::new();
        let mut props: Vec<Value> = Vec::new();
        let mut suggestions: Vec<Value> = Vec::new();
        let mut needs_respect = false;
        for d in &diff.differences {
            let cause = r
                .causes
                .iter()
                .find(|(p, _)| p == &d.pointer)
                .map(|(_, c)| c);
            // Secret values (by kind, or masked by the policy in the diff) are never described.
            let hidden = secret || is_mask(d.desired.as_ref()) || is_mask(d.live.as_ref());
            let values = if hidden {
                "changed (values hidden)".to_string()
            } else {
                format!(
                    "Git {}, live {}",
                    short(d.desired.as_ref()),
                    short(d.live.as_ref())
                )
            };
            let mut part = format!("`{}`: {values}", d.pointer);
            if let Some(c) = cause {
                part.push_str(&format!(
                    "; cause: {} — {}; remedy: {}",
                    c.kind.describe(),
                    c.evidence,
                    c.remedy
                ));
                if let Some(s) = &c.suggested_ignore {
                    if !suggestions.contains(s) {
                        suggestions.push(s.clone());
                    }
                }
                needs_respect |= c.needs_respect_ignore_differences;
            }
            parts.push(part);
            props.push(json!({"pointer": d.pointer, "cause": cause}));
        }
        let mut message = format!(
            "{} `{}` of Application `{}` is OutOfSync ({} difference{}, {} diff): {}",
            r.key.kind,
            r.key.name,
            app.name,
            diff.differences.len(),
            if diff.differences.len() == 1 { "" } else { "s" },
            diff.mode,
            parts.join(" | ")
        );
        if !suggestions.is_empty() {
            let yaml: Vec<String> = suggestions.iter().map(|s| s.to_string()).collect();
            message.push_str(&format!(
                ". To ignore instead, add to spec.ignoreDifferences: {}",
                yaml.join(", ")
            ));
            if needs_respect {
                message.push_str(
                    " and the sync option `RespectIgnoreDifferences=true` (the app self-heals)",
                );
            }
        }
        let predicted = &diff.predicted_live;
        let mut f = Finding::new(meta, message, locate(m, predicted, &first.pointer))
            .with_object(&r.key)
            .with_pointer(first.pointer.clone())
            .with_property("application", json!(app.name))
            .with_property("mode", json!(diff.mode))
            .with_property("differences", Value::Array(props));
        if !suggestions.is_empty() {
            f = f
                .with_property("suggestedIgnoreDifferences", Value::Array(suggestions))
                .with_property("needsRespectIgnoreDifferences", json!(needs_respect));
        }
        for d in diff.differences.iter().skip(1).take(5) {
            f = f.with_related(
                locate(m, predicted, &d.pointer),
                format!("`{}` differs too", d.pointer),
            );
        }
        out.push(f);
    }
}
