//! Applies `.driftlens.yaml` and suppressions to the findings of a scan.
//!
//! Order: findings in `exclude`d files and of rules turned `off` (globally or by a matching
//! override) are dropped; severities are overridden; then a finding is *suppressed* — kept,
//! visible in JSON and SARIF with its reason, but not counted for `--fail-on` — when
//!
//! - its object carries the annotation `ignore-check.driftlens.io/<rule-id>: "<reason>"` with a
//!   non-empty reason (kind `inSource`; ignored with `--no-inline-suppressions`), or
//! - a `suppressions` entry of the config covers its rule and file (kind `external`; these
//!   always apply: they are reviewed in one place, and stay visible in reports).
//!
//! An annotation with an empty reason suppresses nothing and is itself reported by the rule
//! `suppression-without-reason`.

use std::collections::HashMap;

use crate::config::{Config, RuleSetting};
use crate::model::key::ObjectKey;
use crate::model::repo::Repo;
use crate::rules::{Finding, Suppression, SuppressionKind};

/// The annotation prefix; the rule id follows the `/`.
pub const ANNOTATION_PREFIX: &str = "ignore-check.driftlens.io/";

/// The reason given by an object's suppression annotation for `rule`, if it is non-empty.
pub fn annotation_reason<'a>(obj: &'a serde_json::Value, rule: &str) -> Option<&'a str> {
    crate::model::object::annotation(obj, &format!("{ANNOTATION_PREFIX}{rule}"))
        .map(str::trim)
        .filter(|r| !r.is_empty())
}

/// Filters, re-grades and suppresses findings according to the config and annotations.
pub fn apply(
    findings: Vec<Finding>,
    repo: &Repo,
    config: &Config,
    inline_suppressions: bool,
) -> Vec<Finding> {
    let by_object: HashMap<(&str, &ObjectKey), usize> = repo
        .manifests
        .iter()
        .enumerate()
        .map(|(i, m)| ((m.file.path.as_str(), &m.key), i))
        .collect();
    findings
        .into_iter()
        .filter(|f| !config.exclude.matches(&f.location.path))
        .filter_map(|mut f| {
            match config.setting(&f.rule, &f.location.path) {
                RuleSetting::Off => return None,
                RuleSetting::On => {}
                RuleSetting::Severity(s) => f.severity = s,
            }
            if inline_suppressions {
                let manifest = f
                    .object
                    .as_ref()
                    .and_then(|k| by_object.get(&(f.location.path.as_str(), k)))
                    .map(|&i| &repo.manifests[i]);
                if let Some(reason) = manifest.and_then(|m| annotation_reason(&m.obj, &f.rule)) {
                    f.suppressed = Some(Suppression {
                        kind: SuppressionKind::InSource,
                        reason: reason.to_string(),
                    });
                }
            }
            if f.suppressed.is_none() {
                if let Some(s) = config.suppression(&f.rule, &f.location.path) {
                    f.suppressed = Some(Suppression {
                        kind: SuppressionKind::External,
                        reason: s.reason.clone(),
                    });
                }
            }
            Some(f)
        })
        .collect()
}
