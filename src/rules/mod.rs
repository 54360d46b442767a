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
    finding::finalize(&mut findings);
    findings
}
