//! JSON output, schema version 1.
//!
//! ```text
//! {
//!   "schemaVersion": 1,
//!   "tool": {"name": "driftlens", "version": "0.1.0"},
//!   "summary": {"files": 12, "objects": 30, "liveObjects": 0,
//!               "findings": 3, "error": 1, "warning": 2, "note": 0,
//!               "applications": 4, "analysedApplications": 3, "notAnalysedApplications": 1,
//!               "analysedObjects": 27,
//!               "coverage": "analysed 3 of 4 Applications (27 objects); 1 not analysed: see source-not-analysed"},
//!   "units": [{"kind": "helm", "dir": "charts/api", "status": "not-rendered"}],
//!   "findings": [{
//!     "rule": "hpa-replicas-not-ignored", "severity": "warning", "category": "drift-risk",
//!     "message": "…", "file": "apps/web/deploy.yaml", "line": 8, "column": 3,
//!     "endLine": 8, "endColumn": 11,
//!     "object": {"group": "apps", "kind": "Deployment", "namespace": "web", "name": "web"},
//!     "pointer": "/spec/replicas",
//!     "related": [{"file": "…", "line": 3, "column": 3, "endLine": 3, "endColumn": 17, "message": "…"}],
//!     "properties": {…}, "fingerprint": "3f2a…",
//!     "suppressed": null,            // or {"kind": "inSource"|"external", "reason": "…"}
//!     "baselineState": "new"         // only with --baseline: "new" | "unchanged"
//!   }],
//!   "baseline": "baseline.json",     // only with --baseline: the file compared with
//!   "absent": [{"rule": "…", "fingerprint": "…", "message": "…", "file": "…", "line": 3,
//!               "severity": "note"}]  // only with --baseline: fixed since the baseline
//! }
//! ```
//! `summary` also counts `suppressed` findings and, with a baseline, `new`, `unchanged` and
//! `absent` ones; the per-severity counts include every finding.
//! Findings are sorted by file, line, column and rule. `object` and `pointer` are `null` when a
//! finding concerns a whole file.

use serde_json::{json, Map, Value};

use crate::model::object::Location;
use crate::rules::{BaselineState, Finding, Severity};
use crate::scan::ScanResult;

/// The schema version written in `schemaVersion`.
pub const SCHEMA_VERSION: u32 = 1;

fn location_fields(map: &mut Map<String, Value>, l: &Location) {
    map.insert("file".into(), json!(l.path));
    map.insert("line".into(), json!(l.line));
    map.insert("column".into(), json!(l.col));
    map.insert("endLine".into(), json!(l.end_line));
    map.insert("endColumn".into(), json!(l.end_col));
}

/// One finding as the JSON report writes it.
pub fn finding(f: &Finding) -> Value {
    let mut m = Map::new();
    m.insert("rule".into(), json!(f.rule));
    m.insert("severity".into(), json!(f.severity));
    m.insert("category".into(), json!(f.category));
    m.insert("message".into(), json!(f.message));
    location_fields(&mut m, &f.location);
    m.insert("object".into(), json!(f.object));
    m.insert("pointer".into(), json!(f.pointer));
    let related: Vec<Value> = f
        .related
        .iter()
        .map(|r| {
            let mut rm = Map::new();
            location_fields(&mut rm, &r.location);
            rm.insert("message".into(), json!(r.message));
            Value::Object(rm)
        })
        .collect();
    m.insert("related".into(), Value::Array(related));
    m.insert("properties".into(), json!(f.properties));
    m.insert("fingerprint".into(), json!(f.fingerprint));
    m.insert("suppressed".into(), json!(f.suppressed));
    if let Some(state) = f.baseline_state {
        m.insert("baselineState".into(), json!(state));
    }
    Value::Object(m)
}

/// Renders the report as pretty JSON (ends with a newline).
pub fn render(result: &ScanResult) -> String {
    let count = |s: Severity| result.findings.iter().filter(|f| f.severity == s).count();
    let findings: Vec<Value> = result.findings.iter().map(finding).collect();
    let suppressed = result
        .findings
        .iter()
        .filter(|f| f.suppressed.is_some())
        .count();
    let state = |s: BaselineState| {
        result
            .findings
            .iter()
            .filter(|f| f.baseline_state == Some(s))
            .count()
    };
    let mut doc = json!({
        "schemaVersion": SCHEMA_VERSION,
        "tool": {"name": "driftlens", "version": env!("CARGO_PKG_VERSION")},
        "summary": {
            "files": result.stats.files,
            "objects": result.stats.objects,
            "liveObjects": result.stats.live_objects,
            "findings": result.findings.len(),
            "error": count(Severity::Error),
            "warning": count(Severity::Warning),
            "note": count(Severity::Note),
            "suppressed": suppressed,
            "applications": result.coverage.applications,
            "analysedApplications": result.coverage.analysed,
            "notAnalysedApplications": result.coverage.not_analysed,
            "analysedObjects": result.coverage.objects,
            "chartsNotAnalysed": result.coverage.charts_not_analysed,
            "kustomizeNotBuilt": result.coverage.kustomize_not_built,
            "coverage": result.coverage.line(),
        },
        "units": result.units,
        "findings": findings,
    });
    if let Some(b) = &result.baseline {
        doc["summary"]["new"] = json!(state(BaselineState::New));
        doc["summary"]["unchanged"] = json!(state(BaselineState::Unchanged));
        doc["summary"]["absent"] = json!(b.absent.len());
        doc["baseline"] = json!(b.file);
        doc["absent"] = json!(b.absent);
    }
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}
