//! `source-not-analysed`: an Application source driftlens could not build (a chart in no chart
//! folder, another repository that is not mapped, a kind of source it does not render), with
//! the command that would make it analysable. Documentation: `rules/source-not-analysed.md`.

use serde_json::json;

use crate::rules::{Context, Finding, RuleMeta};
use crate::sources::{Fix, SourceKind, SourceStatus, DEFAULT_CHARTS_DIR, DEFAULT_REPOS_DIR};

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for srcs in &ctx.repo.app_sources {
        let Some(app) = ctx.repo.apps.get(srcs.app) else {
            continue;
        };
        let m = ctx.repo.manifest(app.manifest);
        let name = &app.value.metadata.name;
        for s in srcs.blocking() {
            // A ref source is reported through the source that reads its files; a missing
            // path of this checkout by broken-source-path.
            if s.kind == SourceKind::Ref || s.reported_elsewhere {
                continue;
            }
            let reason = s.reason.as_deref().unwrap_or("unknown reason");
            let mut message = match s.status {
                SourceStatus::Failed => format!(
                    "Application `{name}` is not analysed: its source {} failed to build: \
                     {reason}",
                    s.describe()
                ),
                _ => format!(
                    "Application `{name}` is not analysed: its source {} cannot be built \
                     here: {reason}",
                    s.describe()
                ),
            };
            message.push_str(
                ". driftlens reports the Application Unknown and gives its live objects no drift \
                 finding",
            );
            message.push_str(&to_fix(&s.fixes));
            let mut f = Finding::new(meta, message, m.locate(&s.blame))
                .with_object(&m.key)
                .with_pointer(s.blame.clone())
                .with_property("application", json!(name))
                .with_property("sourceIndex", json!(s.index))
                .with_property("sourceKind", json!(s.kind));
            if !s.fixes.is_empty() {
                f = f
                    .with_property("fixes", json!(s.fixes))
                    .with_property("commands", json!(commands(&s.fixes)));
            }
            out.push(f);
        }
    }
    for e in &ctx.repo.appset_expansions {
        let m = ctx.repo.manifest(e.manifest);
        for n in &e.not_expanded {
            let mut fixes = Vec::new();
            if n.kind == "git" {
                let url = m
                    .obj
                    .pointer(&format!("{}/repoURL", n.pointer))
                    .and_then(|v| v.as_str());
                let revision = m
                    .obj
                    .pointer(&format!("{}/revision", n.pointer))
                    .and_then(|v| v.as_str())
                    .unwrap_or("");
                if let Some(url) = url.filter(|u| !u.contains("{{")) {
                    fixes.push(Fix::GitClone {
                        url: url.to_string(),
                        revision: revision.to_string(),
                    });
                }
            }
            let mut message = format!(
                "ApplicationSet `{}`: its `{}` generator is not expanded: {}. The Applications \
                 it generates are not analysed (those of its other generators are)",
                e.name, n.kind, n.reason
            );
            message.push_str(&to_fix(&fixes));
            let mut f = Finding::new(meta, message, m.locate(&n.pointer))
                .with_object(&m.key)
                .with_pointer(n.pointer.clone())
                .with_property("applicationSet", json!(e.name))
                .with_property("generator", json!(n.kind));
            if !fixes.is_empty() {
                f = f
                    .with_property("fixes", json!(fixes))
                    .with_property("commands", json!(commands(&fixes)));
            }
            out.push(f);
        }
    }
    for u in &ctx.repo.unit_failures {
        let chart_yaml = format!(
            "{}Chart.yaml",
            if u.dir == "." {
                String::new()
            } else {
                format!("{}/", u.dir)
            }
        );
        let location = dependencies_line(ctx, &u.dir, &chart_yaml);
        let mut message = format!(
            "chart `{}` (no Application uses it) is not analysed: {}",
            u.dir, u.reason
        );
        message.push_str(&to_fix(&u.fixes));
        let mut f = Finding::new(meta, message, location).with_property("chart", json!(u.dir));
        if !u.fixes.is_empty() {
            f = f
                .with_property("fixes", json!(u.fixes))
                .with_property("commands", json!(commands(&u.fixes)));
        }
        out.push(f);
    }
}

fn commands(fixes: &[Fix]) -> Vec<String> {
    fixes
        .iter()
        .map(|f| f.command(DEFAULT_CHARTS_DIR, DEFAULT_REPOS_DIR))
        .collect()
}

/// `. To analyse it, run `…` and scan with `--charts …``.
fn to_fix(fixes: &[Fix]) -> String {
    if fixes.is_empty() {
        return String::new();
    }
    let runs: Vec<String> = commands(fixes).iter().map(|c| format!("`{c}`")).collect();
    let mut flags: Vec<String> = fixes
        .iter()
        .filter_map(|f| f.scan_flag(DEFAULT_CHARTS_DIR, DEFAULT_REPOS_DIR))
        .collect();
    flags.sort();
    flags.dedup();
    let mut s = format!(". To analyse it, run {}", runs.join(", then "));
    if !flags.is_empty() {
        s.push_str(&format!(" and scan with `{}`", flags.join(" ")));
    }
    s.push_str(" (`driftlens sources --missing --format script` writes every such command)");
    s
}

/// The `dependencies:` line of a chart's `Chart.yaml` (its first line when there is none).
fn dependencies_line(
    ctx: &Context<'_>,
    dir: &str,
    chart_yaml: &str,
) -> crate::model::object::Location {
    let abs = if dir == "." {
        ctx.repo.root.join("Chart.yaml")
    } else {
        ctx.repo.root.join(dir).join("Chart.yaml")
    };
    let text = crate::load::source::read_text(&abs, crate::load::source::DEFAULT_MAX_FILE_SIZE);
    if let Ok(text) = text {
        let (docs, _) = crate::load::yaml::parse_stream(&text);
        if let Some(root) = docs.into_iter().next().and_then(|d| d.root) {
            if let Some(entry) = root.entry("dependencies") {
                return crate::model::object::Location::new(chart_yaml, entry.key_span);
            }
        }
    }
    crate::model::object::Location::file_start(chart_yaml)
}
