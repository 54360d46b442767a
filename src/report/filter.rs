//! Which findings a report shows: `--severity` (the minimum shown), `--rule` and `--skip-rule`
//! (repeatable), `--category`. Shared by every format; the findings left out are counted, and
//! the count is said (in the report where the format has room for it, and on standard error),
//! so that a filtered report is never mistaken for a clean one.

use crate::rules::{Category, Finding, RuleMeta, Severity};

/// The selection of findings to show.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Lowest severity shown.
    pub min_severity: Option<Severity>,
    /// Only these rules (all when empty).
    pub rules: Vec<String>,
    /// Never these rules.
    pub skip_rules: Vec<String>,
    /// Only this category.
    pub category: Option<Category>,
}

/// What a filter left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hidden {
    /// Findings not shown.
    pub count: usize,
    /// The options that hid them, as written on the command line (`--severity warning`).
    pub by: String,
}

impl Hidden {
    /// `12 findings not shown (--severity warning)`.
    pub fn line(&self) -> String {
        format!(
            "{} finding{} not shown ({})",
            self.count,
            if self.count == 1 { "" } else { "s" },
            self.by
        )
    }
}

impl Filter {
    /// Whether the filter selects everything.
    pub fn is_empty(&self) -> bool {
        self.min_severity.is_none()
            && self.rules.is_empty()
            && self.skip_rules.is_empty()
            && self.category.is_none()
    }

    /// Checks that every rule id names a rule of the catalog (a typo would otherwise hide
    /// everything, or nothing, silently).
    pub fn check_rules(&self, catalog: &[RuleMeta]) -> Result<(), String> {
        for id in self.rules.iter().chain(&self.skip_rules) {
            if !catalog.iter().any(|m| &m.id == id) {
                return Err(format!(
                    "no rule `{id}`; `driftlens rules` lists the rule ids"
                ));
            }
        }
        Ok(())
    }

    /// Whether a finding is shown.
    pub fn shows(&self, f: &Finding) -> bool {
        self.min_severity.is_none_or(|s| f.severity >= s)
            && (self.rules.is_empty() || self.rules.contains(&f.rule))
            && !self.skip_rules.contains(&f.rule)
            && self.category.is_none_or(|c| f.category == c)
    }

    /// Keeps the findings shown; says how many were left out (`None` when none was).
    pub fn apply(&self, findings: &mut Vec<Finding>) -> Option<Hidden> {
        if self.is_empty() {
            return None;
        }
        let before = findings.len();
        findings.retain(|f| self.shows(f));
        let count = before - findings.len();
        (count > 0).then(|| Hidden {
            count,
            by: self.describe(),
        })
    }

    /// The options, as written on the command line.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(s) = self.min_severity {
            parts.push(format!("--severity {}", s.as_str()));
        }
        for r in &self.rules {
            parts.push(format!("--rule {r}"));
        }
        for r in &self.skip_rules {
            parts.push(format!("--skip-rule {r}"));
        }
        if let Some(c) = self.category {
            parts.push(format!("--category {}", c.as_str()));
        }
        parts.join(" ")
    }
}
