//! The formats of `driftlens review`: what a change does to every Application.
//!
//! | format | for |
//! |---|---|
//! | [`markdown`] | a pull-request comment: a summary table and one collapsible section per changed Application, at most 65,536 characters |
//! | [`human`] | terminals |
//! | [`json`](render_json) | tools (`schemaVersion` 1, below) |
//! | `sarif` | code scanning: the head's findings with `baselineState` `new`, `unchanged` or `absent` against the base ([`super::sarif`]) |
//! | [`github`] | workflow commands annotating the new findings on the lines the change touched |
//!
//! JSON:
//!
//! ```text
//! {
//!   "schemaVersion": 1,
//!   "tool": {"name": "driftlens", "version": "0.1.0"},
//!   "base": {"revision": "origin/main", "commit": "1a2b…", "describe": "…", "missing": false, "submodules": []},
//!   "head": {"revision": "working tree", "commit": null, …},
//!   "path": "deploy",                       // the reviewed directory in the repository
//!   "summary": {"baseApplications": 12, "headApplications": 12, "added": 1, "removed": 1,
//!               "changed": 1, "broken": 0, "fixed": 0, "unchanged": 9, "notAnalysed": 0,
//!               "objectsAdded": 4, "objectsRemoved": 1, "objectsModified": 2,
//!               "newFindings": 2, "unchangedFindings": 10, "resolvedFindings": 1},
//!   "applications": [{                      // every Application but the unchanged ones
//!     "name": "shop", "change": "changed",
//!     "location": {"file": "apps/shop.yaml", "line": 1, "column": 1, "endLine": 1, "endColumn": 12}, "baseObjects": 5, "headObjects": 5,
//!     "added": 1, "removed": 1, "modified": 2, "newFindings": 1,
//!     "objects": [{"key": {"group": "apps", "kind": "Deployment", "namespace": "shop", "name": "web"},
//!                  "change": "modified", "diff": "--- base\n+++ head\n…", "diffLines": 12,
//!                  "masked": false, "ignoredFieldsOnly": false, "hook": false,
//!                  "prune": null, "location": {…}}],
//!     "applicationDiff": null, "notAnalysed": null, "failed": false,
//!     "headErrors": [], "baseErrors": [], "deletion": null,
//!     "live": null                          // with --cluster: {baseStatus, headStatus, sync, resolved, left, introduced, unknown}
//!   }],
//!   "newFindings": [{…finding as in `scan --format json`, "baselineState": "new"}],
//!   "resolvedFindings": [{"rule": "…", "fingerprint": "…", "message": "…", "file": "…", "line": 3, "severity": "note"}],
//!   "notAnalysed": [{"name": "…", "reason": "…"}],   // Applications whose desired state is unknown at head
//!   "warnings": ["…"]
//! }
//! ```

pub mod github;
pub mod human;
pub mod markdown;

use serde_json::{json, Value};

use crate::review::{Change, Review};

/// An output format of `review`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReviewFormat {
    /// For terminals.
    Human,
    /// A pull-request comment (at most 65,536 characters).
    Markdown,
    /// JSON document.
    Json,
    /// SARIF 2.1.0 with baselineState against the base.
    Sarif,
    /// GitHub Actions workflow commands for the new findings on changed lines.
    Github,
}

/// Renders a review.
pub fn render(format: ReviewFormat, review: &Review, style: super::Style) -> String {
    match format {
        ReviewFormat::Human => human::render(review, style),
        ReviewFormat::Markdown => markdown::render(review),
        ReviewFormat::Json => render_json(review),
        ReviewFormat::Sarif => super::sarif::render(&review.head_scan),
        ReviewFormat::Github => github::render(review),
    }
}

/// `Kind namespace/name` (`Kind name` for cluster-scoped objects).
pub(crate) fn object_label(k: &crate::model::key::ObjectKey) -> String {
    if k.namespace.is_empty() {
        format!("{} {}", k.kind, k.name)
    } else {
        format!("{} {}/{}", k.kind, k.namespace, k.name)
    }
}

/// The Applications whose desired state is not known at head, with the reason.
pub(crate) fn not_analysed(review: &Review) -> Vec<(&str, &str)> {
    review
        .apps
        .iter()
        .filter(|a| a.change != Change::Removed)
        .filter_map(|a| Some((a.name.as_str(), a.not_analysed.as_deref()?)))
        .collect()
}

/// The JSON document (ends with a newline).
pub fn render_json(review: &Review) -> String {
    let t = &review.totals;
    let apps: Vec<&crate::review::AppChange> = review.changed_apps().collect();
    let new: Vec<Value> = review
        .findings
        .new
        .iter()
        .map(|&i| super::json::finding(&review.head_scan.findings[i]))
        .collect();
    let doc = json!({
        "schemaVersion": super::json::SCHEMA_VERSION,
        "tool": {"name": "driftlens", "version": env!("CARGO_PKG_VERSION")},
        "base": review.base,
        "head": review.head,
        "path": review.prefix,
        "summary": {
            "baseApplications": t.base_applications,
            "headApplications": t.head_applications,
            "added": t.added,
            "removed": t.removed,
            "changed": t.changed,
            "broken": t.broken,
            "fixed": t.fixed,
            "unchanged": t.unchanged,
            "notAnalysed": t.not_analysed,
            "objectsAdded": t.objects_added,
            "objectsRemoved": t.objects_removed,
            "objectsModified": t.objects_modified,
            "newFindings": review.new_findings().count(),
            "unchangedFindings": review.findings.unchanged,
            "resolvedFindings": review.findings.resolved.len(),
        },
        "applications": apps,
        "newFindings": new,
        "resolvedFindings": review.findings.resolved,
        "notAnalysed": not_analysed(review)
            .into_iter()
            .map(|(n, r)| json!({"name": n, "reason": r}))
            .collect::<Vec<_>>(),
        "warnings": review.warnings,
    });
    let mut doc = doc;
    locations_as_in_scan(&mut doc);
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

/// Writes every `location` the way `scan --format json` writes places: `file`, `line`,
/// `column`, `endLine`, `endColumn`.
fn locations_as_in_scan(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, x) in map.iter_mut() {
                if k == "location" {
                    if let Value::Object(l) = x.clone() {
                        if !l.contains_key("end_line") {
                            continue;
                        }
                        let get = |k: &str| l.get(k).cloned().unwrap_or(Value::Null);
                        *x = json!({
                            "file": get("path"),
                            "line": get("line"),
                            "column": get("col"),
                            "endLine": get("end_line"),
                            "endColumn": get("end_col"),
                        });
                        continue;
                    }
                    continue;
                }
                locations_as_in_scan(x);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(locations_as_in_scan),
        _ => {}
    }
}
