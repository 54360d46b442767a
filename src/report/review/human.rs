//! The review for terminals: the totals, then each changed Application with its object diffs,
//! then the new and resolved findings.

use std::fmt::Write as _;

use super::{not_analysed, object_label};
use crate::report::Style;
use crate::review::{AppChange, Change, Review};

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

fn paint(style: Style, color: &str, text: &str) -> String {
    if style.color {
        format!("{color}{text}{RESET}")
    } else {
        text.to_string()
    }
}

fn indent_diff(out: &mut String, diff: &str, style: Style) {
    for l in diff.lines() {
        let colored = if l.starts_with("+++") || l.starts_with("---") {
            paint(style, BOLD, l)
        } else if l.starts_with('+') {
            paint(style, GREEN, l)
        } else if l.starts_with('-') {
            paint(style, RED, l)
        } else {
            l.to_string()
        };
        let _ = writeln!(out, "      {colored}");
    }
}

/// Renders the review.
pub fn render(review: &Review, style: Style) -> String {
    let mut out = String::new();
    let t = &review.totals;
    let _ = writeln!(
        out,
        "review: {} → {}{}",
        review.base.describe,
        review.head.describe,
        if review.prefix.is_empty() {
            String::new()
        } else {
            format!(" (directory {})", review.prefix)
        }
    );
    let _ = writeln!(
        out,
        "Applications: {} at base, {} at head; {} added, {} removed, {} changed, {} broken, {} \
         fixed, {} unchanged",
        t.base_applications,
        t.head_applications,
        t.added,
        t.removed,
        t.changed,
        t.broken,
        t.fixed,
        t.unchanged
    );
    let _ = writeln!(
        out,
        "objects: +{} -{} ~{}; findings: {} new, {} resolved, {} unchanged",
        t.objects_added,
        t.objects_removed,
        t.objects_modified,
        review.new_findings().count(),
        review.findings.resolved.len(),
        review.findings.unchanged
    );
    for a in review.changed_apps() {
        app(&mut out, a, style);
    }
    let new: Vec<_> = review.new_findings().collect();
    if !new.is_empty() {
        let _ = writeln!(out, "\nnew findings:");
        for f in new {
            let _ = writeln!(
                out,
                "  {:<7} {}  {}:{}:{}  {}",
                f.severity.as_str(),
                f.rule,
                f.location.path,
                f.location.line,
                f.location.col,
                f.message
            );
        }
    }
    if !review.findings.resolved.is_empty() {
        let _ = writeln!(out, "\nresolved findings:");
        for e in &review.findings.resolved {
            let _ = writeln!(
                out,
                "  {:<7} {}  {}:{} (base)  {}",
                e.severity, e.rule, e.file, e.line, e.message
            );
        }
    }
    let unknown = not_analysed(review);
    if !unknown.is_empty() {
        let _ = writeln!(
            out,
            "\nnot analysed at head (what the change does to them is unknown):"
        );
        for (n, r) in unknown {
            let _ = writeln!(out, "  {n}: {r}");
        }
    }
    out
}

fn app(out: &mut String, a: &AppChange, style: Style) {
    let mut head = format!("\n{} {}", a.change.as_str(), paint(style, BOLD, &a.name));
    if a.head_objects.is_some() || a.change == Change::Removed {
        let _ = write!(head, "  (+{} -{} ~{})", a.added, a.removed, a.modified);
    }
    if a.new_findings > 0 {
        let _ = write!(head, "  {} new findings", a.new_findings);
    }
    if let Some(l) = &a.location {
        let _ = write!(head, "  {}:{}", l.path, l.line);
    }
    let _ = writeln!(out, "{head}");
    if a.change != Change::Removed && a.not_analysed.is_some() {
        let _ = writeln!(
            out,
            "  {}:",
            if a.failed {
                "its desired state cannot be built at head"
            } else {
                "its desired state is not known at head"
            }
        );
        for e in &a.head_errors {
            match &e.location {
                Some(l) => {
                    let _ = writeln!(out, "    {}:{}: {}", l.path, l.line, e.message);
                }
                None => {
                    let _ = writeln!(out, "    {}", e.message);
                }
            }
        }
    }
    if a.change == Change::Fixed {
        let _ = writeln!(
            out,
            "  its desired state could not be built at base; it now has {} objects",
            a.head_objects.unwrap_or(0)
        );
    }
    if let Some(d) = &a.deletion {
        let _ = writeln!(out, "  the Application is removed: {d}");
    }
    if let Some(d) = &a.application_diff {
        let _ = writeln!(out, "  the Application itself changed:");
        indent_diff(out, d, style);
    }
    for o in &a.objects {
        let mut line = format!("  {:<8} {}", o.change.as_str(), object_label(&o.key));
        if let Some(l) = &o.location {
            let _ = write!(line, "  {}:{}", l.path, l.line);
        }
        if o.hook {
            line.push_str("  (hook)");
        }
        if let Some(p) = &o.prune {
            let _ = write!(line, ": {p}");
        }
        if o.ignored_fields_only {
            line.push_str("  (only in fields Argo CD ignores when comparing)");
        }
        let _ = writeln!(out, "{line}");
        if o.change != crate::review::ObjectChangeKind::Removed {
            indent_diff(out, &o.diff, style);
        }
    }
    if let Some(live) = &a.live {
        let status = |s: Option<crate::compare::app::SyncStatus>| {
            s.map_or("not deployed".to_string(), |s| format!("{s:?}"))
        };
        let _ = writeln!(
            out,
            "  live: {} now, {} after the change",
            status(live.base_status),
            status(live.head_status)
        );
        if let Some(u) = &live.unknown {
            let _ = writeln!(out, "    the head cannot be compared with the cluster: {u}");
        }
        for e in &live.sync {
            let fields = if e.fields.is_empty() {
                String::new()
            } else {
                format!(" ({})", e.fields.join(", "))
            };
            let _ = writeln!(
                out,
                "    sync: {} {}{fields}",
                e.action,
                object_label(&e.key)
            );
        }
        for (label, list) in [
            ("resolves drift of", &live.resolved),
            ("leaves drift of", &live.left),
            ("introduces differences in", &live.introduced),
        ] {
            if !list.is_empty() {
                let names: Vec<String> = list.iter().map(object_label).collect();
                let _ = writeln!(out, "    {label}: {}", names.join(", "));
            }
        }
    }
}
