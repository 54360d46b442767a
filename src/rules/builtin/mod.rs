//! The built-in rules, one module each. A module holds the check; its documentation (and the
//! metadata in the front matter) is `rules/<id>.md` at the repository root, embedded here.
//! Simple checks are data rules instead (`rules/<id>.yaml`, see [`crate::rules::data`]); the
//! catalog holds both.

use super::{Context, Finding, Rule, RuleMeta};

pub mod drift;
pub mod drift_extraneous;
pub mod drift_missing;
pub mod drift_modified;
pub mod hpa_replicas_not_ignored;
pub mod ignore_differences_not_respected;
pub mod invalid_manifest;
pub mod secret_plaintext_in_git;
pub mod suppression_without_reason;
pub mod unknown_sync_option;

type CheckFn = fn(&RuleMeta, &Context<'_>, &mut Vec<Finding>);

struct Builtin {
    meta: RuleMeta,
    check: CheckFn,
}

impl Rule for Builtin {
    fn meta(&self) -> &RuleMeta {
        &self.meta
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        (self.check)(&self.meta, ctx, out)
    }
}

macro_rules! docs {
    ($($module:ident => $id:literal),* $(,)?) => {
        /// `(doc path, doc text, check)` of every built-in rule.
        const BUILTINS: &[(&str, &str, CheckFn)] = &[
            $((
                concat!("rules/", $id, ".md"),
                include_str!(concat!("../../../rules/", $id, ".md")),
                $module::check as CheckFn,
            ),)*
        ];
    };
}

docs! {
    drift_extraneous => "drift-extraneous",
    drift_missing => "drift-missing",
    drift_modified => "drift-modified",
    hpa_replicas_not_ignored => "hpa-replicas-not-ignored",
    ignore_differences_not_respected => "ignore-differences-not-respected",
    invalid_manifest => "invalid-manifest",
    secret_plaintext_in_git => "secret-plaintext-in-git",
    suppression_without_reason => "suppression-without-reason",
    unknown_sync_option => "unknown-sync-option",
}

/// Every built-in rule (code and data rules), sorted by id.
///
/// The documents are part of the binary; a malformed one is a build defect caught by the unit
/// test below, so it is reported on stderr and skipped rather than aborting a scan.
pub fn catalog() -> Vec<Box<dyn Rule>> {
    let mut rules: Vec<Box<dyn Rule>> = Vec::new();
    for (path, text, check) in BUILTINS {
        match RuleMeta::parse(path, text) {
            Ok(meta) => rules.push(Box::new(Builtin {
                meta,
                check: *check,
            })),
            Err(e) => eprintln!("driftlens: internal error in built-in rule document {e}"),
        }
    }
    for r in super::data::builtin() {
        rules.push(Box::new(r));
    }
    rules.sort_by(|a, b| a.meta().id.cmp(&b.meta().id));
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_document_parses_and_matches_its_file_name() {
        for (path, text, _) in BUILTINS {
            let meta = RuleMeta::parse(path, text).expect("valid rule document");
            assert_eq!(*path, format!("rules/{}.md", meta.id));
            assert!(!meta.summary.is_empty());
            for section in [
                "## What it checks",
                "## Why it matters",
                "## Example",
                "## Suppress",
            ] {
                assert!(meta.doc.contains(section), "{path} lacks `{section}`");
            }
        }
        assert_eq!(
            catalog().len(),
            BUILTINS.len() + super::super::data::builtin().len()
        );
    }
}
