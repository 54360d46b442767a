//! `driftlens apps`: one line per Application — predicted sync status, counts of modified,
//! missing and extraneous resources, and the most common cause — then the Application
//! conditions.

use std::collections::BTreeMap;

use serde_json::json;

use crate::compare::app::{AppResult, DriftReport, Reason, SyncStatus};

/// The name Argo CD shows for a sync status.
pub fn status_str(s: SyncStatus) -> &'static str {
    match s {
        SyncStatus::Synced => "Synced",
        SyncStatus::OutOfSync => "OutOfSync",
        SyncStatus::Unknown => "Unknown",
    }
}

fn count(app: &AppResult, reason: Reason) -> usize {
    app.resources.iter().filter(|r| r.reason == reason).count()
}

/// The most frequent cause among the app's differences, with the first resource it concerns.
pub fn top_cause(app: &AppResult) -> Option<String> {
    let mut tally: BTreeMap<&str, (usize, String)> = BTreeMap::new();
    for r in &app.resources {
        for (pointer, c) in &r.causes {
            let e = tally
                .entry(c.kind.describe())
                .or_insert((0, format!("{} {} {pointer}", r.key.kind, r.key.name)));
            e.0 += 1;
        }
    }
    let (what, (_, example)) = tally
        .iter()
        .max_by_key(|(k, (n, _))| (*n, std::cmp::Reverse(**k)))?;
    Some(format!("{what} ({example})"))
}

/// The width of the APPLICATION column.
fn name_width<'a>(names: impl Iterator<Item = &'a str>) -> usize {
    names
        .map(str::len)
        .max()
        .unwrap_or(0)
        .max("APPLICATION".len())
}

/// Renders the table.
pub fn render_table(report: &DriftReport) -> String {
    let w = name_width(report.apps.iter().map(|a| a.name.as_str()));
    let mut s = format!(
        "{:<w$}  {:<9}  {:>8}  {:>7}  {:>10}  TOP CAUSE\n",
        "APPLICATION", "SYNC", "MODIFIED", "MISSING", "EXTRANEOUS"
    );
    for a in &report.apps {
        s.push_str(&format!(
            "{:<w$}  {:<9}  {:>8}  {:>7}  {:>10}  {}\n",
            a.name,
            status_str(a.status),
            count(a, Reason::Modified),
            count(a, Reason::Missing),
            count(a, Reason::Extraneous),
            top_cause(a).unwrap_or_else(|| "-".into())
        ));
    }
    for a in &report.apps {
        for c in &a.conditions {
            s.push_str(&format!("{}: {}: {}\n", a.name, c.kind, c.message));
        }
    }
    s
}

/// Renders the report as JSON: per app the status, counts, top cause, conditions, sources and
/// resources (status, reason, differing pointers, causes). Values are never included.
pub fn render_json(report: &DriftReport) -> String {
    let apps: Vec<serde_json::Value> = report
        .apps
        .iter()
        .map(|a| {
            let resources: Vec<serde_json::Value> = a
                .resources
                .iter()
                .map(|r| {
                    json!({
                        "group": r.key.group, "kind": r.key.kind,
                        "namespace": r.key.namespace, "name": r.key.name,
                        "status": r.status.map(status_str),
                        "reason": r.reason,
                        "requiresPruning": r.requires_pruning,
                        "differences": r.diff.as_ref().map(|d| d.differences.iter().map(|f| f.pointer.clone()).collect::<Vec<_>>()).unwrap_or_default(),
                        "causes": r.causes.iter().map(|(p, c)| json!({"pointer": p, "cause": c})).collect::<Vec<_>>(),
                    })
                })
                .collect();
            json!({
                "name": a.name,
                "status": status_str(a.status),
                "modified": count(a, Reason::Modified),
                "missing": count(a, Reason::Missing),
                "extraneous": count(a, Reason::Extraneous),
                "topCause": top_cause(a),
                "notAnalysed": a.not_analysed,
                "conditions": a.conditions,
                "sources": a.sources,
                "resources": resources,
            })
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&json!({"schemaVersion": 1, "apps": apps}))
        .unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

/// The table of `apps` without a dump: whether each Application's desired state is known,
/// its objects, and its sources; then the coverage line.
pub fn render_predictions_table(
    predictions: &[crate::compare::app::Prediction],
    coverage: &crate::compare::app::Coverage,
) -> String {
    let w = name_width(predictions.iter().map(|a| a.name.as_str()));
    let mut s = format!(
        "{:<w$}  {:<13}  {:>7}  SOURCES\n",
        "APPLICATION", "DESIRED STATE", "OBJECTS"
    );
    for p in predictions {
        let (state, objects) = match p.objects {
            Some(n) => ("known", n.to_string()),
            None => ("Unknown", "-".to_string()),
        };
        let sources = match &p.not_analysed {
            Some(r) => r.clone(),
            None => p
                .sources
                .iter()
                .map(|src| {
                    src.place
                        .as_ref()
                        .map(crate::sources::Place::describe)
                        .unwrap_or_else(|| src.describe())
                })
                .collect::<Vec<_>>()
                .join("; "),
        };
        s.push_str(&format!(
            "{:<w$}  {state:<13}  {objects:>7}  {sources}\n",
            p.name
        ));
    }
    s.push_str(
        "no dump given: sync status is not predicted (pass --cluster with `kubectl get -o json` \
         output to compare)\n",
    );
    s.push_str(&coverage.line());
    s.push('\n');
    s
}

/// The JSON of `apps` without a dump.
pub fn render_predictions_json(
    predictions: &[crate::compare::app::Prediction],
    coverage: &crate::compare::app::Coverage,
) -> String {
    let mut s = serde_json::to_string_pretty(&json!({
        "schemaVersion": 1,
        "apps": predictions,
        "coverage": coverage,
    }))
    .unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}
