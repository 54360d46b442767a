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
pub mod finding;
pub mod meta;

pub use context::Context;
pub use finding::{Finding, Related};
pub use meta::{Category, RuleMeta, Severity};

use rayon::prelude::*;

/// A check.
pub trait Rule: Send + Sync {
    /// The rule's metadata and documentation.
    fn meta(&self) -> &RuleMeta;
    /// Inspects the context and appends findings.
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>);
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
    finding::finalize(&mut findings);
    findings
}
