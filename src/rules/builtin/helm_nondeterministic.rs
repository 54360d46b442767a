//! `helm-nondeterministic`: a chart template calls a function whose result changes on every
//! render (`randAlphaNum`, `uuidv4`, `now`, `genCA`, …), so Argo CD sees a new desired state on
//! every refresh. Documentation: `rules/helm-nondeterministic.md`.

use serde_json::json;

use crate::rules::{Context, Finding, RuleMeta};

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for call in &ctx.repo.nondeterministic {
        let who = match &call.app {
            Some(app) => format!("Application `{app}`"),
            None => "the chart's default render".to_string(),
        };
        let message = format!(
            "`{}` returns a different value on every render, so Argo CD computes a new desired \
             state at every refresh of {who}: the resource stays OutOfSync and every sync \
             rotates the value (passwords, certificates, checksums). Pass the value in through \
             values instead (for a credential, from a Secret managed outside the chart); \
             `lookup` cannot keep an old value, it renders empty under `helm template`",
            call.function
        );
        out.push(
            Finding::new(meta, message, call.location.clone())
                .with_pointer(format!(
                    "{}#{}",
                    call.function,
                    call.app.as_deref().unwrap_or("")
                ))
                .with_property("function", json!(call.function))
                .with_property("chart", json!(call.chart_dir)),
        );
    }
}
