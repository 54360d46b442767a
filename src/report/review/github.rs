//! The review as GitHub Actions workflow commands: one annotation per new finding on a line
//! the change touched (at the finding's line, else at a related line the change touched),
//! and notices without a file for the rest, so that nothing new goes unsaid: a summary of what
//! the change does to the Applications, and the new findings on lines it did not touch.

use crate::report::github::{escape_data, escape_property};
use crate::review::Review;
use crate::rules::Severity;

/// Renders the commands.
pub fn render(review: &Review) -> String {
    let mut out = String::new();
    let path = |p: &str| {
        if review.prefix.is_empty() {
            p.to_string()
        } else {
            format!("{}/{p}", review.prefix)
        }
    };
    let touched = |p: &str, start: u32, end: u32| {
        review
            .touched
            .get(p)
            .is_some_and(|t| t.overlaps(start, end))
    };
    let mut elsewhere: Vec<String> = Vec::new();
    for f in review.new_findings() {
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let l = &f.location;
        let (at, message) = if touched(&l.path, l.line, l.end_line) {
            (l.clone(), f.message.clone())
        } else if let Some(r) = f
            .related
            .iter()
            .find(|r| touched(&r.location.path, r.location.line, r.location.end_line))
        {
            (
                r.location.clone(),
                format!(
                    "{} (at {}:{}; this line: {})",
                    f.message,
                    path(&l.path),
                    l.line,
                    r.message
                ),
            )
        } else {
            elsewhere.push(format!("{} at {}:{}", f.rule, path(&l.path), l.line));
            continue;
        };
        out.push_str(&format!(
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            escape_property(&path(&at.path)),
            at.line,
            at.col,
            at.end_line,
            at.end_col,
            escape_property(&format!("driftlens {}", f.rule)),
            escape_data(&message)
        ));
    }
    let t = &review.totals;
    let changed = review.changed_apps().count();
    out.push_str(&format!(
        "::notice title={}::{}\n",
        escape_property("driftlens review"),
        escape_data(&format!(
            "{} → {}: {changed} of {} Applications change ({} added, {} removed, {} changed, {} \
             broken, {} fixed); objects +{} -{} ~{}; {} new findings, {} resolved",
            review.base.describe,
            review.head.describe,
            t.head_applications.max(t.base_applications),
            t.added,
            t.removed,
            t.changed,
            t.broken,
            t.fixed,
            t.objects_added,
            t.objects_removed,
            t.objects_modified,
            review.new_findings().count(),
            review.findings.resolved.len()
        ))
    ));
    if !elsewhere.is_empty() {
        out.push_str(&format!(
            "::notice title={}::{}\n",
            escape_property("driftlens review"),
            escape_data(&format!(
                "{} new findings are on lines this change did not touch: {}",
                elsewhere.len(),
                elsewhere.join(", ")
            ))
        ));
    }
    out
}
