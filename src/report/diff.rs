//! `driftlens diff`: a unified diff per resource, like `argocd app diff`: the normalized live
//! object against the predicted live object, both without ignored fields, with Secret values
//! masked the way Argo CD masks them (runs of `+`; equal values get equal masks, so a changed
//! Secret is still visible).

use similar::TextDiff;

use super::yaml::to_yaml;
use crate::compare::app::{DriftReport, Reason};
use crate::compare::engine::PairDiff;

/// One resource's diff, already rendered.
pub struct ResourceDiff {
    /// `===== group/Kind namespace/name ======`
    pub header: String,
    /// Unified diff text.
    pub body: String,
}

/// Renders every differing resource of the selected Applications. `one_sided` computes the
/// normalized document of a missing or extraneous object.
pub fn render(
    report: &DriftReport,
    app: Option<&str>,
    mut one_sided: impl FnMut(usize, &crate::compare::app::ResourceResult) -> Option<PairDiff>,
) -> Vec<ResourceDiff> {
    let mut out = Vec::new();
    for (ai, a) in report.apps.iter().enumerate() {
        if app.is_some_and(|n| n != a.name) {
            continue;
        }
        for r in &a.resources {
            let pair = match r.reason {
                Reason::Modified => r.diff.clone(),
                Reason::Missing | Reason::Extraneous => one_sided(ai, r),
                _ => None,
            };
            let Some(pair) = pair else { continue };
            let (live, predicted) = match r.reason {
                Reason::Missing => (String::new(), to_yaml(&pair.predicted_live)),
                Reason::Extraneous => (to_yaml(&pair.normalized_live), String::new()),
                _ => (
                    to_yaml(&pair.normalized_live),
                    to_yaml(&pair.predicted_live),
                ),
            };
            let body = TextDiff::from_lines(&live, &predicted)
                .unified_diff()
                .context_radius(3)
                .header("live", "desired")
                .to_string();
            let ns = if r.key.namespace.is_empty() {
                String::new()
            } else {
                format!("{}/", r.key.namespace)
            };
            out.push(ResourceDiff {
                header: format!(
                    "===== {}/{} {ns}{} ({}, app {}) ======",
                    r.key.group,
                    r.key.kind,
                    r.key.name,
                    match r.reason {
                        Reason::Missing => "missing",
                        Reason::Extraneous => "requires pruning",
                        _ => pair.mode,
                    },
                    a.name
                ),
                body,
            });
        }
    }
    out
}
