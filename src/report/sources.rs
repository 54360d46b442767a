//! `driftlens sources`: every Application with each of its sources, where each resolved or why
//! it is not analysed, as a table, as JSON, or as a shell script that vendors what is missing.

use serde_json::json;

use crate::compare::app::Coverage;
use crate::model::repo::Repo;
use crate::sources::{shell_quote, Fix, SourceStatus};

/// Which rows to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// Every Application.
    All,
    /// Only Applications (and charts) with something not analysed.
    Missing,
}

fn selected(repo: &Repo, sel: Selection) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..repo.app_sources.len())
        .filter(|&i| sel == Selection::All || !repo.app_sources[i].analysed())
        .collect();
    idx.sort_by(|&a, &b| {
        let (x, y) = (&repo.apps[a].value.metadata, &repo.apps[b].value.metadata);
        (x.name.as_str(), x.namespace.as_str(), a).cmp(&(y.name.as_str(), y.namespace.as_str(), b))
    });
    idx
}

/// The table: one line per source, then the charts no Application uses that are not
/// analysed, then the coverage line.
pub fn render_table(repo: &Repo, coverage: &Coverage, sel: Selection) -> String {
    let mut rows: Vec<[String; 5]> = Vec::new();
    for ai in selected(repo, sel) {
        let a = &repo.app_sources[ai];
        let name = &repo.apps[ai].value.metadata.name;
        for s in &a.sources {
            if sel == Selection::Missing && s.status == SourceStatus::Analysed {
                continue;
            }
            rows.push([
                name.clone(),
                (s.index + 1).to_string(),
                s.kind.describe().to_string(),
                s.describe(),
                s.outcome(),
            ]);
        }
    }
    let width = |i: usize, title: &str| {
        rows.iter()
            .map(|r| r[i].chars().count())
            .max()
            .unwrap_or(0)
            .max(title.len())
    };
    let (w0, w1, w2) = (width(0, "APPLICATION"), width(1, "#"), width(2, "KIND"));
    let mut out = String::new();
    if !rows.is_empty() {
        out.push_str(&format!(
            "{:<w0$}  {:<w1$}  {:<w2$}  SOURCE  ->  ANALYSED\n",
            "APPLICATION", "#", "KIND"
        ));
        for r in &rows {
            out.push_str(&format!(
                "{:<w0$}  {:<w1$}  {:<w2$}  {}  ->  {}\n",
                r[0], r[1], r[2], r[3], r[4]
            ));
        }
    }
    for u in &repo.unit_failures {
        out.push_str(&format!(
            "chart {} (no Application uses it): no: {}",
            u.dir, u.reason
        ));
        for f in &u.fixes {
            out.push_str(&format!(
                "; run: {}",
                f.command(
                    crate::sources::DEFAULT_CHARTS_DIR,
                    crate::sources::DEFAULT_REPOS_DIR
                )
            ));
        }
        out.push('\n');
    }
    let c = &repo.checkout;
    let remotes: Vec<String> = c
        .remotes
        .iter()
        .map(|(n, u)| format!("{n} = {u}"))
        .collect();
    out.push_str(&format!(
        "this checkout: {}{}\n",
        if remotes.is_empty() {
            "no Git remote".to_string()
        } else {
            remotes.join(", ")
        },
        c.head
            .as_ref()
            .map(|h| format!(", analysed as it is ({h})"))
            .unwrap_or_default()
    ));
    if c.own_urls == crate::sources::OwnUrls::PathsExist && !c.urls.is_empty() {
        // Without a remote, which URLs are this checkout is inferred: say so, and how to be
        // exact.
        out.push_str(&format!(
            "taken to be this checkout because the paths their sources name exist here: {} \
             (pass --repo-url URL to name the checkout's own URL)\n",
            c.urls
                .iter()
                .map(|u| format!("`{u}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    out.push_str(&coverage.line());
    out.push('\n');
    out
}

/// The JSON document (schema version 1).
pub fn render_json(repo: &Repo, coverage: &Coverage, sel: Selection) -> String {
    let apps: Vec<serde_json::Value> = selected(repo, sel)
        .into_iter()
        .map(|ai| {
            let a = &repo.app_sources[ai];
            let meta = &repo.apps[ai].value.metadata;
            json!({
                "name": meta.name,
                "namespace": meta.namespace,
                "origin": a.origin,
                "analysed": a.analysed(),
                "sources": a.sources,
            })
        })
        .collect();
    let charts: Vec<serde_json::Value> = repo
        .unit_failures
        .iter()
        .map(|u| json!({"dir": u.dir, "reason": u.reason, "fixes": u.fixes}))
        .collect();
    let mut s = serde_json::to_string_pretty(&json!({
        "schemaVersion": 1,
        "checkout": repo.checkout,
        "applications": apps,
        "charts": charts,
        "coverage": coverage,
    }))
    .unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

/// A POSIX shell script that fetches everything not analysed (charts into `$CHARTS`,
/// repositories into `$REPOS`), then says how to scan. `path` is the checkout as given, for
/// the commands that run inside it.
pub fn render_script(repo: &Repo, path: &str) -> String {
    let charts = "\"$CHARTS\"";
    let repos = "\"$REPOS\"";
    let mut fixes: Vec<Fix> = Vec::new();
    for a in &repo.app_sources {
        for s in a.blocking() {
            fixes.extend(s.fixes.iter().cloned());
        }
    }
    for u in &repo.unit_failures {
        fixes.extend(u.fixes.iter().cloned());
    }
    // One clone per repository, whatever revisions name it: the first revision wins.
    let mut seen_clones: Vec<String> = Vec::new();
    fixes.retain(|f| match f {
        Fix::GitClone { url, .. } => {
            let key = crate::sources::url::repo_key(url);
            if seen_clones.contains(&key) {
                false
            } else {
                seen_clones.push(key);
                true
            }
        }
        _ => true,
    });
    let mut lines: Vec<String> = Vec::new();
    let mut flags: Vec<String> = Vec::new();
    for f in &fixes {
        let cmd = match f {
            Fix::HelmDependencyBuild { dir } => {
                let d = if path == "." || path.is_empty() {
                    dir.clone()
                } else if dir == "." {
                    path.to_string()
                } else {
                    format!("{}/{dir}", path.trim_end_matches('/'))
                };
                format!("helm dependency build {}", shell_quote(&d))
            }
            _ => f.command(charts, repos),
        };
        if !lines.contains(&cmd) {
            lines.push(cmd);
        }
        if let Some(flag) = f.scan_flag("\"$CHARTS\"", "\"$REPOS\"") {
            if !flags.contains(&flag) {
                flags.push(flag);
            }
        }
    }
    let mut out = String::new();
    out.push_str("#!/bin/sh\n");
    out.push_str(&format!(
        "# Fetches what `driftlens sources {}` found missing, where the network is allowed.\n",
        shell_quote(path)
    ));
    out.push_str(
        "# Charts go to $CHARTS and repositories to $REPOS; scan afterwards with the flags\n\
         # printed at the end.\n",
    );
    out.push_str("set -eu\n");
    out.push_str(&format!(
        "CHARTS=\"${{DRIFTLENS_CHARTS:-{}}}\"\n",
        crate::sources::DEFAULT_CHARTS_DIR
    ));
    out.push_str(&format!(
        "REPOS=\"${{DRIFTLENS_REPOS:-{}}}\"\n",
        crate::sources::DEFAULT_REPOS_DIR
    ));
    out.push_str("mkdir -p \"$CHARTS\" \"$REPOS\"\n");
    if lines.is_empty() {
        out.push_str("# Nothing is missing.\n");
    }
    for l in &lines {
        out.push_str(l);
        out.push('\n');
    }
    let mut scan = format!("driftlens scan {}", shell_quote(path));
    for f in &flags {
        scan.push(' ');
        scan.push_str(f);
    }
    out.push_str(&format!(
        "echo \"done; now run: {}\"\n",
        scan.replace('"', "\\\"")
    ));
    out
}
