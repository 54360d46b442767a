//! Baselines: compare a scan with a previous report of driftlens (`--baseline FILE`).
//!
//! The baseline is a JSON report (`--format json`, `findings[].fingerprint`) or a SARIF log
//! (`--format sarif`, `results[].partialFingerprints["driftlens/v1"]`); results that were
//! already `absent` in it are ignored. Findings are matched by fingerprint, which does not
//! depend on line numbers, so a finding whose lines moved is still `unchanged`.
//!
//! - a finding whose fingerprint is in the baseline is `unchanged` and does not count for
//!   `--fail-on`;
//! - any other finding is `new`;
//! - a baseline entry no longer found is `absent` (fixed): listed in JSON `absent` and as SARIF
//!   results with `baselineState: "absent"`.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::config::PolicyError;
use crate::rules::{BaselineState, Finding};

/// A result of the baseline report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BaselineEntry {
    /// Rule id.
    pub rule: String,
    /// The fingerprint.
    pub fingerprint: String,
    /// The message, as reported then.
    pub message: String,
    /// File, as reported then.
    pub file: String,
    /// Line, as reported then.
    pub line: u64,
    /// Severity (`error`, `warning`, `note`), as reported then.
    pub severity: String,
}

/// The results of a baseline report.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    /// Where it was read from.
    pub file: String,
    /// Its results.
    pub entries: Vec<BaselineEntry>,
}

/// What comparing with a baseline produced, beyond the states set on findings.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BaselineOutcome {
    /// The baseline file.
    pub file: String,
    /// Baseline results no longer found, sorted by file, line and rule.
    pub absent: Vec<BaselineEntry>,
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

impl Baseline {
    /// Parses a JSON or SARIF report.
    pub fn parse(file: &str, text: &str) -> Result<Baseline, PolicyError> {
        let doc: Value = serde_json::from_str(text).map_err(|e| {
            PolicyError::at(
                file,
                e.line() as u32,
                format!(
                    "the baseline is not valid JSON ({e}); pass a report written by \
                     `driftlens scan --format json` or `--format sarif`"
                ),
            )
        })?;
        let mut entries = Vec::new();
        if let Some(findings) = doc.get("findings").and_then(Value::as_array) {
            for f in findings {
                entries.push(BaselineEntry {
                    rule: str_at(f, "/rule").to_string(),
                    fingerprint: str_at(f, "/fingerprint").to_string(),
                    message: str_at(f, "/message").to_string(),
                    file: str_at(f, "/file").to_string(),
                    line: f.get("line").and_then(Value::as_u64).unwrap_or(0),
                    severity: str_at(f, "/severity").to_string(),
                });
            }
        } else if let Some(runs) = doc.get("runs").and_then(Value::as_array) {
            for r in runs
                .iter()
                .filter_map(|r| r.get("results").and_then(Value::as_array))
                .flatten()
            {
                if r.get("baselineState").and_then(Value::as_str) == Some("absent") {
                    continue;
                }
                let loc = "/locations/0/physicalLocation";
                entries.push(BaselineEntry {
                    rule: str_at(r, "/ruleId").to_string(),
                    fingerprint: str_at(r, "/partialFingerprints/driftlens~1v1").to_string(),
                    message: str_at(r, "/message/text").to_string(),
                    file: str_at(r, &format!("{loc}/artifactLocation/uri")).to_string(),
                    line: r
                        .pointer(&format!("{loc}/region/startLine"))
                        .and_then(Value::as_u64)
                        .unwrap_or(0),
                    severity: match str_at(r, "/level") {
                        "" => "warning".to_string(),
                        l => l.to_string(),
                    },
                });
            }
        } else {
            return Err(PolicyError::file(
                file,
                "not a driftlens report: expected `findings` (JSON) or `runs` (SARIF); pass a \
                 report written by `driftlens scan --format json` or `--format sarif`",
            ));
        }
        entries.retain(|e| !e.fingerprint.is_empty());
        Ok(Baseline {
            file: file.to_string(),
            entries,
        })
    }

    /// Reads and parses a baseline file.
    pub fn load(path: &Path) -> Result<Baseline, PolicyError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            PolicyError::file(
                &shown,
                format!("cannot read the baseline: {e}; check the path given to --baseline"),
            )
        })?;
        Baseline::parse(&shown, &text)
    }

    /// Sets `baseline_state` on every finding and returns what is absent now.
    pub fn compare(&self, findings: &mut [Finding]) -> BaselineOutcome {
        let known: BTreeSet<&str> = self
            .entries
            .iter()
            .map(|e| e.fingerprint.as_str())
            .collect();
        for f in findings.iter_mut() {
            f.baseline_state = Some(if known.contains(f.fingerprint.as_str()) {
                BaselineState::Unchanged
            } else {
                BaselineState::New
            });
        }
        let current: BTreeSet<&str> = findings.iter().map(|f| f.fingerprint.as_str()).collect();
        let mut absent: Vec<BaselineEntry> = self
            .entries
            .iter()
            .filter(|e| !current.contains(e.fingerprint.as_str()))
            .cloned()
            .collect();
        absent.sort_by(|a, b| {
            (&a.file, a.line, &a.rule, &a.fingerprint).cmp(&(
                &b.file,
                b.line,
                &b.rule,
                &b.fingerprint,
            ))
        });
        absent.dedup();
        BaselineOutcome {
            file: self.file.clone(),
            absent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_json_and_sarif_and_rejects_other_json() {
        let j = Baseline::parse(
            "b.json",
            r#"{"findings":[{"rule":"r","fingerprint":"aa","message":"m","file":"f","line":3,"severity":"note"}]}"#,
        )
        .expect("json");
        assert_eq!(j.entries[0].fingerprint, "aa");
        let s = Baseline::parse(
            "b.sarif",
            r#"{"runs":[{"results":[
                {"ruleId":"r","level":"error","message":{"text":"m"},"partialFingerprints":{"driftlens/v1":"bb"},
                 "locations":[{"physicalLocation":{"artifactLocation":{"uri":"f"},"region":{"startLine":4}}}]},
                {"ruleId":"r","baselineState":"absent","message":{"text":"m"},"partialFingerprints":{"driftlens/v1":"cc"}}
            ]}]}"#,
        )
        .expect("sarif");
        assert_eq!(s.entries.len(), 1);
        assert_eq!(s.entries[0].line, 4);
        let e = Baseline::parse("b.json", "{\n  \"x\": 1\n}").expect_err("not a report");
        assert!(e.message.contains("not a driftlens report"));
        let e = Baseline::parse("b.json", "{\n  \"x\": \n}").expect_err("bad JSON");
        assert_eq!(e.line, Some(3));
    }
}
