//! Rules: the catalog of checks and the findings they produce.
//!
//! A rule is one small module under [`builtin`] whose user documentation lives in
//! `rules/<id>.md` at the repository root. That file's front matter (id, category, default
//! severity, one-line summary) is the single source for `driftlens rules`, `driftlens explain`
//! and the SARIF rule metadata, so docs cannot drift from code.
//!
//! Rules run in parallel (rayon) over a shared read-only [`Context`]; [`run`] sorts the
//! findings deterministically and gives each a fingerprint that does not depend on line
//! numbers, so baselines survive unrelated edits.

pub mod builtin;
pub mod context;
pub mod data;
pub mod finding;
pub mod meta;
pub mod suppress;

pub use context::Context;
pub use finding::{BaselineState, Finding, Related, Suppression, SuppressionKind};
pub use meta::{Category, RuleMeta, RuleOrigin, Severity};

use rayon::prelude::*;

/// A check.
pub trait Rule: Send + Sync {
    /// The rule's metadata and documentation.
    fn meta(&self) -> &RuleMeta;
    /// Inspects the context and appends findings.
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>);
    /// Errors met while checking (a user rule that fails on an object); they make the scan
    /// exit with 2. Built-in code rules have none.
    fn take_errors(&self) -> Vec<crate::config::PolicyError> {
        Vec::new()
    }
}

/// Runs every rule in parallel and returns the findings sorted by file, line, column, rule and
/// message, with fingerprints assigned.
pub fn run(rules: &[Box<dyn Rule>], ctx: &Context<'_>) -> Vec<Finding> {
    let mut findings: Vec<Finding> = rules
        .par_iter()
        .flat_map_iter(|rule| {
            let mut out = Vec::new();
            rule.check(ctx, &mut out);
            out
        })
        .collect();
    fold_generated(&mut findings, ctx);
    finding::finalize(&mut findings);
    findings
}

/// Generator elements named as related locations of one folded finding, at most.
const MAX_RELATED_ELEMENTS: usize = 20;

/// Findings about Applications an ApplicationSet generates point at the ApplicationSet's
/// template line: where the ApplicationSet's own finding of the same rule is at that line, the
/// generated ones add nothing; otherwise those of one rule at one line are one finding, which
/// names every Application concerned.
fn fold_generated(findings: &mut Vec<Finding>, ctx: &Context<'_>) {
    use std::collections::{BTreeMap, HashMap, HashSet};
    let generated: HashMap<&crate::model::key::ObjectKey, &crate::render::appsets::GeneratedFrom> =
        ctx.repo
            .manifests
            .iter()
            .filter_map(|m| m.generated.as_deref().map(|g| (&m.key, g)))
            .collect();
    if generated.is_empty() {
        return;
    }
    let is_generated = |f: &Finding| f.object.as_ref().is_some_and(|k| generated.contains_key(k));
    let place = |f: &Finding| {
        (
            f.rule.clone(),
            f.location.path.clone(),
            f.location.line,
            f.location.col,
        )
    };
    let own: HashSet<(String, String, u32, u32)> = findings
        .iter()
        .filter(|f| !is_generated(f))
        .map(place)
        .collect();
    let mut groups: BTreeMap<(String, String, u32, u32), Vec<usize>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        // That rule already reports per ApplicationSet and name.
        if is_generated(f) && f.rule != "appset-duplicate-application" {
            groups.entry(place(f)).or_default().push(i);
        }
    }
    let mut drop: HashSet<usize> = HashSet::new();
    for (key, idx) in groups {
        if own.contains(&key) {
            drop.extend(idx);
            continue;
        }
        let names: Vec<String> = idx
            .iter()
            .filter_map(|&i| findings[i].object.as_ref().map(|k| k.name.clone()))
            .collect();
        let first = idx[0];
        let froms: Vec<&crate::render::appsets::GeneratedFrom> = idx
            .iter()
            .filter_map(|&i| findings[i].object.as_ref().and_then(|k| generated.get(k)))
            .copied()
            .collect();
        let appset = froms
            .first()
            .map(|g| g.appset_name.clone())
            .unwrap_or_default();
        let f = &mut findings[first];
        for (g, name) in froms.iter().zip(&names).take(MAX_RELATED_ELEMENTS) {
            for (loc, what) in &g.elements {
                f.related.push(finding::Related {
                    location: loc.clone(),
                    message: format!("Application `{name}` comes from {what}"),
                });
            }
        }
        if names.len() > 1 {
            f.message.push_str(&format!(
                " (also in {} more of the Applications ApplicationSet `{appset}` generates: {})",
                names.len() - 1,
                names[1..].join(", ")
            ));
        }
        f.properties
            .insert("applicationSet".into(), serde_json::json!(appset));
        f.properties
            .insert("applications".into(), serde_json::json!(names));
        drop.extend(idx[1..].iter().copied());
    }
    if drop.is_empty() {
        return;
    }
    let mut i = 0;
    findings.retain(|_| {
        let keep = !drop.contains(&i);
        i += 1;
        keep
    });
}
