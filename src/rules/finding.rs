//! Findings: what a rule reports, where, and how it is identified across runs.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::meta::{Category, RuleMeta, Severity};
use crate::model::key::ObjectKey;
use crate::model::object::Location;

/// A secondary location with its own message (e.g. the HPA that targets a Deployment).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Related {
    /// Where.
    pub location: Location,
    /// Why this place matters.
    pub message: String,
}

/// One result of one rule.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Rule id.
    pub rule: String,
    /// Severity.
    pub severity: Severity,
    /// Category of the rule.
    pub category: Category,
    /// What is wrong, with the remedy when there is one. Never contains Secret values.
    pub message: String,
    /// Primary location.
    pub location: Location,
    /// Secondary locations.
    pub related: Vec<Related>,
    /// The object concerned, if any.
    pub object: Option<ObjectKey>,
    /// The JSON pointer of the field concerned, if any (part of the fingerprint, so that the
    /// identity survives line moves).
    pub pointer: Option<String>,
    /// Extra machine-readable details (drift causes, suggested ignore rules, …).
    pub properties: BTreeMap<String, Value>,
    /// Stable identity across runs: a hash of rule, file, object, pointer and occurrence, not of
    /// line numbers.
    pub fingerprint: String,
    /// Set when the finding is suppressed (an annotation with a reason, or `.driftlens.yaml`):
    /// it stays in machine-readable reports but does not count for `--fail-on`.
    pub suppressed: Option<Suppression>,
    /// Set when the scan compares against a baseline (`--baseline`).
    pub baseline_state: Option<BaselineState>,
}

/// Where a suppression comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum SuppressionKind {
    /// An `ignore-check.driftlens.io/<rule>` annotation on the object (SARIF `inSource`).
    InSource,
    /// A `suppressions` entry of `.driftlens.yaml` (SARIF `external`).
    External,
}

impl SuppressionKind {
    /// The SARIF name: `inSource` or `external`.
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionKind::InSource => "inSource",
            SuppressionKind::External => "external",
        }
    }
}

/// Why a finding does not count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppression {
    /// Where it comes from.
    pub kind: SuppressionKind,
    /// The justification written by whoever suppressed it (never empty).
    pub reason: String,
}

/// A finding compared with a baseline report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BaselineState {
    /// Not in the baseline: it counts for `--fail-on`.
    New,
    /// Already in the baseline (same fingerprint): it does not count for `--fail-on`.
    Unchanged,
    /// In the baseline but no longer found (fixed).
    Absent,
}

impl BaselineState {
    /// The SARIF name.
    pub fn as_str(self) -> &'static str {
        match self {
            BaselineState::New => "new",
            BaselineState::Unchanged => "unchanged",
            BaselineState::Absent => "absent",
        }
    }
}

impl Finding {
    /// A finding of `meta`'s rule with its default severity.
    pub fn new(meta: &RuleMeta, message: impl Into<String>, location: Location) -> Self {
        Finding {
            rule: meta.id.clone(),
            severity: meta.severity,
            category: meta.category,
            message: message.into(),
            location,
            related: Vec::new(),
            object: None,
            pointer: None,
            properties: BTreeMap::new(),
            fingerprint: String::new(),
            suppressed: None,
            baseline_state: None,
        }
    }

    /// Whether the finding counts for `--fail-on` and the headline: not suppressed and not
    /// already in the baseline.
    pub fn is_active(&self) -> bool {
        self.suppressed.is_none() && self.baseline_state != Some(BaselineState::Unchanged)
    }

    /// Sets the object concerned.
    pub fn with_object(mut self, key: &ObjectKey) -> Self {
        self.object = Some(key.clone());
        self
    }

    /// Sets the field concerned.
    pub fn with_pointer(mut self, pointer: impl Into<String>) -> Self {
        self.pointer = Some(pointer.into());
        self
    }

    /// Adds a related location.
    pub fn with_related(mut self, location: Location, message: impl Into<String>) -> Self {
        self.related.push(Related {
            location,
            message: message.into(),
        });
        self
    }

    /// Adds a property.
    pub fn with_property(mut self, key: &str, value: Value) -> Self {
        self.properties.insert(key.to_string(), value);
        self
    }

    fn identity(&self) -> String {
        let object = self.object.as_ref().map(ToString::to_string);
        format!(
            "{}\u{0}{}\u{0}{}\u{0}{}",
            self.rule,
            self.location.path,
            object.as_deref().unwrap_or(""),
            self.pointer.as_deref().unwrap_or("")
        )
    }
}

/// Sorts findings deterministically and assigns fingerprints. Findings with the same identity
/// are told apart by their order of occurrence, which is stable because the sort is.
pub fn finalize(findings: &mut [Finding]) {
    use rayon::prelude::*;
    // Stable, like the sequential sort, so the order of equal findings is the rules' order.
    findings.par_sort_by(|a, b| {
        (
            &a.location.path,
            a.location.line,
            a.location.col,
            &a.rule,
            &a.message,
        )
            .cmp(&(
                &b.location.path,
                b.location.line,
                b.location.col,
                &b.rule,
                &b.message,
            ))
            .then_with(|| a.related.cmp(&b.related))
    });
    let ids: Vec<String> = findings.par_iter().map(Finding::identity).collect();
    let mut seen: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
    let occurrence: Vec<u32> = ids
        .iter()
        .map(|id| {
            let n = seen.entry(id.as_str()).or_insert(0);
            *n += 1;
            *n - 1
        })
        .collect();
    findings
        .par_iter_mut()
        .zip(ids.par_iter().zip(occurrence.par_iter()))
        .for_each(|(f, (id, n))| {
            let digest = Sha256::digest(format!("{id}\u{0}{n}").as_bytes());
            f.fingerprint = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::yaml::{Pos, Span};

    fn meta() -> RuleMeta {
        RuleMeta::parse(
            "rules/t.md",
            "---\nid: t\ncategory: security\nseverity: warning\nsummary: s\n---\n",
        )
        .expect("meta")
    }

    fn at(line: u32) -> Location {
        let p = Pos {
            offset: line as usize * 10,
            line,
            col: 1,
        };
        Location::new("a.yaml", Span { start: p, end: p })
    }

    #[test]
    fn fingerprints_ignore_line_moves_and_order_is_stable() {
        let m = meta();
        let mut a = vec![
            Finding::new(&m, "x", at(9)).with_pointer("/spec/replicas"),
            Finding::new(&m, "x", at(3)).with_pointer("/data"),
        ];
        finalize(&mut a);
        assert_eq!(a[0].location.line, 3);
        let mut b = vec![
            Finding::new(&m, "x", at(20)).with_pointer("/spec/replicas"),
            Finding::new(&m, "x", at(4)).with_pointer("/data"),
        ];
        finalize(&mut b);
        assert_eq!(a[0].fingerprint, b[0].fingerprint);
        assert_eq!(a[1].fingerprint, b[1].fingerprint);
        assert_ne!(a[0].fingerprint, a[1].fingerprint);
    }
}
