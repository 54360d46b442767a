//! `driftlens app NAME`: the view `argocd app get` gives — summary, sync window, operation,
//! history, resources with status and health, the resource tree and the Events (oldest first,
//! warnings highlighted).

use crate::compare::app::{Reason, SyncStatus};
use crate::compare::appview::{AppView, TreeNode};
use crate::compare::syncwindow::DecisionReason;

fn status(s: Option<SyncStatus>) -> &'static str {
    match s {
        Some(SyncStatus::Synced) => "Synced",
        Some(SyncStatus::OutOfSync) => "OutOfSync",
        Some(SyncStatus::Unknown) => "Unknown",
        None => "",
    }
}

fn reason_text(r: Reason) -> &'static str {
    match r {
        Reason::InSync => "",
        Reason::Modified => "modified",
        Reason::Missing => "missing in cluster",
        Reason::Extraneous => "requires pruning",
        Reason::Hook => "hook",
        Reason::Skipped => "skipped",
        Reason::NotSelfReferenced => "tracked as another object",
        Reason::NotAnalysed => "desired state not known",
    }
}

fn decision_text(reason: DecisionReason) -> &'static str {
    match reason {
        DecisionReason::NoMatchingWindow => "no window applies",
        DecisionReason::ActiveDeny => "an active deny window blocks it",
        DecisionReason::ActiveDenyManualAllowed => "active deny windows allow manual syncs",
        DecisionReason::DenyOverrun => "the running sync may overrun the deny window",
        DecisionReason::ActiveAllow => "an allow window is active",
        DecisionReason::InactiveAllow => "allow windows exist but none is active",
        DecisionReason::InactiveAllowManualAllowed => "inactive allow windows allow manual syncs",
        DecisionReason::AllowOverrun => "the running sync may overrun the allow window",
        DecisionReason::NoActiveWindow => "no window is active",
        DecisionReason::InvalidWindow => "a window cannot be evaluated",
    }
}

fn tree_lines(n: &TreeNode, prefix: &str, last: bool, root: bool, out: &mut String) {
    let health = n
        .health
        .as_ref()
        .and_then(|h| h.status)
        .map(|s| s.as_str())
        .unwrap_or("");
    let ns = if n.key.namespace.is_empty() {
        String::new()
    } else {
        format!(" ({})", n.key.namespace)
    };
    let branch = if root {
        ""
    } else if last {
        "└─ "
    } else {
        "├─ "
    };
    out.push_str(&format!(
        "{prefix}{branch}{}/{}{ns}  {health}\n",
        n.key.kind, n.key.name
    ));
    let child_prefix = if root {
        prefix.to_string()
    } else if last {
        format!("{prefix}   ")
    } else {
        format!("{prefix}│  ")
    };
    for (i, c) in n.children.iter().enumerate() {
        tree_lines(c, &child_prefix, i + 1 == n.children.len(), false, out);
    }
}

/// Renders the view. `color` highlights warnings and statuses with ANSI colours.
pub fn render(v: &AppView, color: bool) -> String {
    let paint = |s: &str, code: &str| {
        if color {
            format!("\u{1b}[{code}m{s}\u{1b}[0m")
        } else {
            s.to_string()
        }
    };
    let mut o = String::new();
    let row = |o: &mut String, k: &str, val: &str| o.push_str(&format!("{k:<19}{val}\n"));
    row(&mut o, "Name:", &v.name);
    row(&mut o, "Project:", &v.project);
    row(&mut o, "Server:", &v.server);
    row(&mut o, "Namespace:", &v.namespace);
    for (url, path, rev, analysed) in &v.sources {
        row(&mut o, "Repo:", url);
        row(&mut o, "Target:", rev);
        row(&mut o, "Path:", path);
        if !analysed.is_empty() {
            row(&mut o, "Analysed:", analysed);
        }
    }
    row(&mut o, "Sync Policy:", &v.sync_policy);
    let argo = v
        .argocd_sync
        .as_ref()
        .map(|s| format!(" (Argo CD recorded {s})"))
        .unwrap_or_default();
    row(
        &mut o,
        "Sync Status:",
        &format!(
            "{} (predicted from Git and the dump){argo}",
            status(Some(v.sync))
        ),
    );
    let health = if v.health.1.is_empty() {
        v.health.0.clone()
    } else {
        format!("{} ({})", v.health.0, v.health.1)
    };
    row(&mut o, "Health Status:", &health);
    let at = format!("{} ({})", v.at.0, v.at.1);
    match &v.window {
        None => row(
            &mut o,
            "Sync Window:",
            &format!("no window applies at {at}"),
        ),
        Some(w) => {
            let verdict = |d: &crate::compare::syncwindow::Decision| {
                format!(
                    "{} — {}{}",
                    if d.allowed { "allowed" } else { "denied" },
                    decision_text(d.reason),
                    d.deciding_window
                        .map(|i| format!(" (window {i})"))
                        .unwrap_or_default()
                )
            };
            row(&mut o, "Sync Window:", &format!("at {at}"));
            row(&mut o, "  automated sync:", &verdict(&w.automated));
            row(&mut o, "  manual sync:", &verdict(&w.manual));
            if let Some(t) = w.next_change {
                row(&mut o, "  changes at:", &t.to_string());
            }
            for (i, kind, schedule, duration, active) in &w.windows {
                row(
                    &mut o,
                    &format!("  window {i}:"),
                    &format!(
                        "{kind} \"{schedule}\" for {duration}{}",
                        if *active { " (active)" } else { "" }
                    ),
                );
            }
        }
    }
    if let Some((phase, message, started, finished, revision)) = &v.operation {
        row(&mut o, "Operation:", &format!("Sync {phase}: {message}"));
        row(&mut o, "  started:", started);
        row(&mut o, "  finished:", finished);
        if !revision.is_empty() {
            row(&mut o, "  revision:", revision);
        }
    }
    for c in &v.conditions {
        row(&mut o, "Condition:", c);
    }
    if !v.history.is_empty() {
        o.push_str("\nHISTORY\nID  DATE                  REVISION\n");
        for h in &v.history {
            o.push_str(&format!(
                "{:<3} {:<21} {}\n",
                h.id, h.deployed_at, h.revision
            ));
        }
    }
    o.push_str("\nGROUP  KIND  NAMESPACE  NAME  STATUS  HEALTH  MESSAGE\n");
    for r in &v.resources {
        let h = r.health.as_ref();
        let hs = h.and_then(|h| h.status).map(|s| s.as_str()).unwrap_or("");
        let msg = h.map(|h| h.message.as_str()).unwrap_or("");
        let why = reason_text(r.reason);
        let message = match (why.is_empty(), msg.is_empty()) {
            (false, false) => format!("{why}; {msg}"),
            (false, true) => why.to_string(),
            _ => msg.to_string(),
        };
        let st = status(r.status);
        let st = if st == "OutOfSync" {
            paint(st, "33")
        } else {
            st.to_string()
        };
        o.push_str(&format!(
            "{}  {}  {}  {}  {}  {}  {}\n",
            if r.key.group.is_empty() {
                "-"
            } else {
                &r.key.group
            },
            r.key.kind,
            if r.key.namespace.is_empty() {
                "-"
            } else {
                &r.key.namespace
            },
            r.key.name,
            if st.is_empty() { "-".to_string() } else { st },
            if hs.is_empty() { "-" } else { hs },
            message
        ));
    }
    if !v.tree.is_empty() {
        o.push_str("\nRESOURCE TREE\n");
        for n in &v.tree {
            tree_lines(n, "", true, true, &mut o);
        }
    }
    o.push_str("\nEVENTS (oldest first)\n");
    if v.events.is_empty() {
        o.push_str("none in the dump\n");
    }
    for e in &v.events {
        let kind = if e.kind == "Warning" {
            paint("Warning", "1;31")
        } else {
            e.kind.clone()
        };
        let count = if e.count > 1 {
            format!(" (x{})", e.count)
        } else {
            String::new()
        };
        o.push_str(&format!(
            "{}  {kind}  {}  {}  {}{count}\n",
            e.time, e.reason, e.object, e.message
        ));
    }
    o
}
