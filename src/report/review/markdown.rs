//! The review as a pull-request comment: a summary table (Application, change, objects
//! added / removed / modified, new findings), one collapsible `<details>` section per changed
//! Application with the diff of each object, then the new and resolved findings and what was
//! not analysed.
//!
//! The whole comment stays within GitHub's limit of 65,536 characters ([`LIMIT`], counted in
//! bytes, which is stricter): past it, the largest diffs are left out first, each replaced by a
//! line saying so, and a note at the top names what was left out; only if that is not enough
//! are the sections, then table rows, shortened.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::{not_analysed, object_label};
use crate::review::{AppChange, Change, ObjectChangeKind, Review};

/// GitHub's size limit of a comment.
pub const LIMIT: usize = 65_536;

/// What is left out to fit.
#[derive(Default)]
struct Omit {
    /// (application, object) diffs left out; object `usize::MAX` is the Application's own
    /// diff.
    diffs: BTreeSet<(usize, usize)>,
    /// Leave out every `<details>` section.
    details: bool,
    /// At most this many table rows (and finding rows).
    rows: Option<usize>,
}

const APP_DIFF: usize = usize::MAX;

/// Escapes text for a table cell or a line.
fn cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['\r', '\n'], " ")
}

/// Inline code that survives backticks in the text.
fn code(s: &str) -> String {
    let s = s.replace(['\r', '\n'], " ");
    if s.contains('`') {
        format!("`` {} ``", s.replace("``", "` `"))
    } else {
        format!("`{s}`")
    }
}

/// A fenced block longer than any run of backticks in `body`.
fn fenced(lang: &str, body: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in body.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat((longest + 1).max(3));
    let mut out = format!("{fence}{lang}\n{body}");
    if !body.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&fence);
    out.push('\n');
    out
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

fn with_prefix(review: &Review, path: &str) -> String {
    if review.prefix.is_empty() {
        path.to_string()
    } else {
        format!("{}/{path}", review.prefix)
    }
}

fn change_cell(a: &AppChange) -> String {
    let mut s = a.change.as_str().to_string();
    if a.change != Change::Removed && a.not_analysed.is_some() {
        s.push_str(if a.failed {
            ": does not render"
        } else {
            ": not analysed"
        });
    }
    s
}

fn counts_cell(a: &AppChange) -> String {
    if a.change == Change::Broken || (a.head_objects.is_none() && a.change != Change::Removed) {
        return "—".into();
    }
    format!("+{} / −{} / ~{}", a.added, a.removed, a.modified)
}

/// Renders the comment.
pub fn render(review: &Review) -> String {
    let mut omit = Omit::default();
    let mut text = build(review, &omit);
    if text.len() <= LIMIT {
        return text;
    }
    // Candidates, largest first.
    let apps: Vec<&AppChange> = review.changed_apps().collect();
    let mut candidates: Vec<(usize, (usize, usize))> = Vec::new();
    for (ai, a) in apps.iter().enumerate() {
        for (oi, o) in a.objects.iter().enumerate() {
            candidates.push((o.diff.len(), (ai, oi)));
        }
        if let Some(d) = &a.application_diff {
            candidates.push((d.len(), (ai, APP_DIFF)));
        }
    }
    candidates.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut next = candidates.into_iter();
    while text.len() > LIMIT {
        let mut over = (text.len() - LIMIT) as isize;
        let mut any = false;
        for (size, item) in next.by_ref() {
            omit.diffs.insert(item);
            any = true;
            // A left-out diff still costs its line saying so.
            over -= size as isize - 200;
            if over <= 0 {
                break;
            }
        }
        text = build(review, &omit);
        if !any {
            break;
        }
    }
    if text.len() > LIMIT {
        omit.details = true;
        text = build(review, &omit);
    }
    let mut rows = apps.len().max(review.findings.new.len());
    while text.len() > LIMIT && rows > 0 {
        rows /= 2;
        omit.rows = Some(rows);
        text = build(review, &omit);
    }
    if text.len() > LIMIT {
        // Only a pathological header (huge revision names) gets here.
        let note = "\n\n*(cut at GitHub's comment size limit)*\n";
        let mut end = LIMIT - note.len();
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str(note);
    }
    text
}

fn build(review: &Review, omit: &Omit) -> String {
    let mut out = String::new();
    let t = &review.totals;
    let apps: Vec<&AppChange> = review.changed_apps().collect();
    let new: Vec<&crate::rules::Finding> = review.new_findings().collect();
    let _ = writeln!(out, "### driftlens review\n");
    let _ = writeln!(
        out,
        "**base** {} → **head** {}{}\n",
        cell(&review.base.describe),
        cell(&review.head.describe),
        if review.prefix.is_empty() {
            String::new()
        } else {
            format!(" · directory {}", code(&review.prefix))
        }
    );
    let apps_total = t.head_applications.max(t.base_applications);
    let _ = writeln!(
        out,
        "**{} of {} change**: {} added, {} removed, {} changed, {} broken, {} fixed · {} unchanged · \
         objects +{} −{} ~{} · **{}**, {} resolved\n",
        apps.len(),
        plural(apps_total, "Application"),
        t.added,
        t.removed,
        t.changed,
        t.broken,
        t.fixed,
        t.unchanged,
        t.objects_added,
        t.objects_removed,
        t.objects_modified,
        plural(new.len(), "new finding"),
        review.findings.resolved.len()
    );
    if !omit.diffs.is_empty() || omit.details || omit.rows.is_some() {
        let mut left: Vec<String> = Vec::new();
        for &(ai, oi) in &omit.diffs {
            let a = apps[ai];
            left.push(if oi == APP_DIFF {
                format!("the Application {} itself", code(&a.name))
            } else {
                let o = &a.objects[oi];
                format!(
                    "{} of {} ({} lines)",
                    object_label(&o.key),
                    code(&a.name),
                    o.diff_lines
                )
            });
        }
        let shown = left.len().min(20);
        let mut note =
            format!("> [!NOTE]\n> This comment stays within GitHub's {LIMIT}-character limit: ");
        if !left.is_empty() {
            let _ = write!(
                note,
                "the diffs of {} were left out, largest first ({}{}). ",
                plural(left.len(), "object"),
                left[..shown].join(", "),
                if left.len() > shown {
                    format!(", and {} more", left.len() - shown)
                } else {
                    String::new()
                }
            );
        }
        if omit.details {
            note.push_str("The per-Application sections were left out. ");
        }
        if let Some(r) = omit.rows {
            let _ = write!(note, "Only the first {r} rows of each table are shown. ");
        }
        note.push_str(
            "`driftlens review --format json` (or the human format) has the whole review.\n\n",
        );
        out.push_str(&note);
    }
    if apps.is_empty() {
        let _ = writeln!(
            out,
            "No Application changes: every desired state renders the same at both revisions.\n"
        );
    } else {
        out.push_str(
            "| Application | Change | Objects + / − / ~ | New findings |\n|---|---|---|---|\n",
        );
        let rows = omit.rows.unwrap_or(usize::MAX);
        for a in apps.iter().take(rows) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                code(&a.name),
                change_cell(a),
                counts_cell(a),
                a.new_findings
            );
        }
        if apps.len() > rows {
            let _ = writeln!(out, "| … and {} more | | | |", apps.len() - rows);
        }
        out.push('\n');
    }
    if !omit.details {
        for (ai, a) in apps.iter().enumerate() {
            details(&mut out, review, ai, a, omit);
        }
    }
    if !new.is_empty() {
        let _ = writeln!(out, "#### New findings ({})\n", new.len());
        out.push_str("| Severity | Rule | Where | Message |\n|---|---|---|---|\n");
        let rows = omit.rows.unwrap_or(usize::MAX);
        for f in new.iter().take(rows) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                f.severity.as_str(),
                code(&f.rule),
                code(&format!(
                    "{}:{}",
                    with_prefix(review, &f.location.path),
                    f.location.line
                )),
                cell(&f.message)
            );
        }
        if new.len() > rows {
            let _ = writeln!(out, "| … and {} more | | | |", new.len() - rows);
        }
        out.push('\n');
    }
    if !review.findings.resolved.is_empty() {
        let r = &review.findings.resolved;
        let rows = omit.rows.unwrap_or(usize::MAX);
        let _ = writeln!(out, "#### Resolved findings ({})\n", r.len());
        for e in r.iter().take(rows) {
            let _ = writeln!(
                out,
                "- {} {} at {} (base): {}",
                e.severity,
                code(&e.rule),
                code(&format!("{}:{}", with_prefix(review, &e.file), e.line)),
                cell(&e.message)
            );
        }
        if r.len() > rows {
            let _ = writeln!(out, "- … and {} more", r.len() - rows);
        }
        out.push('\n');
    }
    let unknown = not_analysed(review);
    if !unknown.is_empty() {
        let _ = writeln!(
            out,
            "#### Not analysed at head ({})\n\nTheir desired state is unknown, so what the change \
             does to them is not shown:\n",
            unknown.len()
        );
        let rows = omit.rows.unwrap_or(usize::MAX);
        for (name, reason) in unknown.iter().take(rows) {
            let _ = writeln!(out, "- {}: {}", code(name), cell(reason));
        }
        if unknown.len() > rows {
            let _ = writeln!(out, "- … and {} more", unknown.len() - rows);
        }
        out.push('\n');
    }
    for w in &review.warnings {
        let _ = writeln!(out, "> {}", cell(w));
    }
    out
}

fn details(out: &mut String, review: &Review, ai: usize, a: &AppChange, omit: &Omit) {
    let mut summary = format!("<b>{}</b>: {}", cell(&a.name), change_cell(a));
    if a.head_objects.is_some() || a.change == Change::Removed {
        let _ = write!(summary, " · +{} −{} ~{}", a.added, a.removed, a.modified);
    }
    if a.new_findings > 0 {
        let _ = write!(summary, " · {}", plural(a.new_findings, "new finding"));
    }
    let _ = writeln!(out, "<details>\n<summary>{summary}</summary>\n");
    if let Some(l) = &a.location {
        let _ = writeln!(
            out,
            "Defined at {}.\n",
            code(&format!("{}:{}", with_prefix(review, &l.path), l.line))
        );
    }
    if a.change != Change::Removed && a.not_analysed.is_some() {
        let what = if a.failed {
            "Its desired state cannot be built at head"
        } else {
            "Its desired state is not known at head"
        };
        let _ = writeln!(out, "**{what}:**\n");
        for e in &a.head_errors {
            match &e.location {
                Some(l) => {
                    let _ = writeln!(
                        out,
                        "- {}: {}",
                        code(&format!("{}:{}", with_prefix(review, &l.path), l.line)),
                        cell(&e.message)
                    );
                }
                None => {
                    let _ = writeln!(out, "- {}", cell(&e.message));
                }
            }
        }
        out.push('\n');
    }
    if a.change == Change::Fixed {
        let _ = writeln!(
            out,
            "Its desired state could not be built at base ({}); it now has {}.\n",
            a.base_errors
                .iter()
                .map(|e| cell(&e.message))
                .collect::<Vec<_>>()
                .join("; "),
            plural(a.head_objects.unwrap_or(0), "object")
        );
    }
    if let Some(d) = &a.deletion {
        let _ = writeln!(out, "The Application is removed: {}.\n", cell(d));
    }
    if let Some(d) = &a.application_diff {
        let _ = writeln!(out, "**The Application itself** changed:\n");
        if omit.diffs.contains(&(ai, APP_DIFF)) {
            let _ = writeln!(
                out,
                "*diff left out ({} lines) to fit the comment size limit*\n",
                d.lines().count()
            );
        } else {
            out.push_str(&fenced("diff", d));
            out.push('\n');
        }
    }
    for (oi, o) in a.objects.iter().enumerate() {
        let mut line = format!("**{}** {}", cell(&object_label(&o.key)), o.change.as_str());
        if !o.key.group.is_empty() {
            let _ = write!(line, " ({})", cell(&o.key.group));
        }
        if let Some(l) = &o.location {
            let _ = write!(
                line,
                " · {}",
                code(&format!("{}:{}", with_prefix(review, &l.path), l.line))
            );
        }
        if o.hook {
            line.push_str(" · hook");
        }
        if let Some(p) = &o.prune {
            let _ = write!(line, " — {}", cell(p));
        }
        if o.masked {
            line.push_str(" · values masked");
        }
        if o.ignored_fields_only {
            line.push_str(" · only in fields Argo CD ignores when comparing (shown as written)");
        }
        let _ = writeln!(out, "{line}\n");
        if o.change == ObjectChangeKind::Removed {
            continue;
        }
        if omit.diffs.contains(&(ai, oi)) {
            let _ = writeln!(
                out,
                "*diff left out ({} lines) to fit the comment size limit*\n",
                o.diff_lines
            );
        } else {
            out.push_str(&fenced("diff", &o.diff));
            out.push('\n');
        }
    }
    if let Some(live) = &a.live {
        live_section(out, live);
    }
    out.push_str("</details>\n\n");
}

fn keys(list: &[crate::model::key::ObjectKey]) -> String {
    list.iter()
        .map(|k| cell(&object_label(k)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn live_section(out: &mut String, live: &crate::review::live::LiveChange) {
    let status = |s: Option<crate::compare::app::SyncStatus>| {
        s.map_or("not deployed".to_string(), |s| format!("{s:?}"))
    };
    let _ = writeln!(
        out,
        "**Live** (cluster dump): {} now, {} after the change.\n",
        status(live.base_status),
        status(live.head_status)
    );
    if let Some(u) = &live.unknown {
        let _ = writeln!(
            out,
            "The head cannot be compared with the cluster: {}\n",
            cell(u)
        );
        return;
    }
    if live.sync.is_empty() {
        out.push_str("A sync would change nothing in the cluster.\n\n");
    } else {
        out.push_str("A sync would:\n\n");
        for e in &live.sync {
            let what = match e.action {
                "update" => format!(
                    "update {} ({})",
                    cell(&object_label(&e.key)),
                    e.fields
                        .iter()
                        .map(|f| code(f))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                "create" => format!("create {}", cell(&object_label(&e.key))),
                "prune" => format!("prune {}", cell(&object_label(&e.key))),
                _ => format!(
                    "leave {} (requires pruning; Prune=false)",
                    cell(&object_label(&e.key))
                ),
            };
            let _ = writeln!(out, "- {what}");
        }
        out.push('\n');
    }
    for (label, list) in [
        ("Drift this change resolves", &live.resolved),
        ("Drift it leaves", &live.left),
        ("Differences it introduces", &live.introduced),
    ] {
        if !list.is_empty() {
            let _ = writeln!(out, "{label}: {}.\n", keys(list));
        }
    }
}
