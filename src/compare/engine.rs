//! The comparison of one desired/live pair as the per-Application logic ([`super::app`]) sees
//! it: the diff settings of an Application built once from its `ignoreDifferences`, sync
//! options and the `argocd-cm` settings, and [`compare_pair`] on top of [`super::diff()`].

use serde::Serialize;
use serde_json::Value;

use super::diff::{self, DiffSettings, FieldDiff, TrackingNormalization};
use super::ignore::{CompiledIgnoreRule, IgnoreRule, KnownTypeField};
use super::normalize::StatusIgnore as EngineStatusIgnore;
use crate::model::argocd::{Application, IgnoreDifference};
use crate::model::settings::{override_key_group_kind, ArgoSettings, StatusIgnore, TrackingMethod};

/// The outcome of comparing one pair.
#[derive(Debug, Clone, Serialize)]
pub struct PairDiff {
    /// Argo CD would report the resource as modified.
    pub modified: bool,
    /// Which comparison was used (`legacy-3way`, `legacy-2way`, `json-merge`,
    /// `structured-merge`).
    pub mode: &'static str,
    /// The differing leaves, sorted by pointer (Secret `data` values masked).
    #[serde(skip)]
    pub differences: Vec<FieldDiff>,
    /// Normalized live document (ignored fields removed; Secret values masked).
    #[serde(skip)]
    pub normalized_live: Value,
    /// Predicted live document after a sync (Secret values masked).
    #[serde(skip)]
    pub predicted_live: Value,
    /// Non-fatal problems such as a skipped jq expression.
    pub warnings: Vec<String>,
}

fn to_rule(r: &IgnoreDifference) -> IgnoreRule {
    IgnoreRule {
        group: r.group.clone(),
        kind: r.kind.clone(),
        name: r.name.clone(),
        namespace: r.namespace.clone(),
        json_pointers: r.json_pointers.clone(),
        jq_path_expressions: r.jq_path_expressions.clone(),
        managed_fields_managers: r.managed_fields_managers.clone(),
    }
}

/// Builds the diff settings of an Application (or of the implicit app when `app` is `None`).
///
/// Rules come from the Application first, then from the `argocd-cm` overrides (sorted by key).
/// As in Argo CD, an override's `managedFieldsManagers` are only honoured for an exact
/// `group/kind` key or `*/*` (for core kinds that key is `/Kind`, i.e. the split key `_Kind`).
/// A rule that does not compile (a bad glob or jq expression) makes the comparison fail, as it
/// fails Argo CD's normalizer: the error is returned.
pub fn app_diff_settings(
    app: Option<&Application>,
    settings: &ArgoSettings,
) -> Result<DiffSettings, String> {
    let mut rules: Vec<IgnoreRule> = app
        .map(|a| a.spec.ignore_differences.iter().map(to_rule).collect())
        .unwrap_or_default();
    let mut known: Vec<KnownTypeField> = KnownTypeField::builtin();
    for (key, o) in &settings.overrides {
        let (group, kind) = override_key_group_kind(key);
        if let Some(ig) = &o.ignore_differences {
            let exact = !key.contains('*') && key.contains('/') || key == "*/*";
            rules.push(IgnoreRule {
                group: group.to_string(),
                kind: kind.to_string(),
                json_pointers: ig.json_pointers.clone(),
                jq_path_expressions: ig.jq_path_expressions.clone(),
                managed_fields_managers: if exact {
                    ig.managed_fields_managers.clone()
                } else {
                    Vec::new()
                },
                ..Default::default()
            });
        }
        for k in &o.known_type_fields {
            known.push(KnownTypeField {
                group: group.to_string(),
                kind: kind.to_string(),
                field: k.field.clone(),
                type_name: k.type_.clone(),
            });
        }
    }
    let ignore_rules = rules
        .into_iter()
        .map(|r| CompiledIgnoreRule::compile(r).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(DiffSettings {
        ignore_rules,
        known_type_fields: known,
        status_ignore: match settings.compare_options.ignore_resource_status_field {
            StatusIgnore::All => EngineStatusIgnore::All,
            StatusIgnore::Crd => EngineStatusIgnore::Crd,
            StatusIgnore::None => EngineStatusIgnore::None,
        },
        ignore_aggregated_roles: settings.compare_options.ignore_aggregated_roles,
        server_side_apply: app.is_some_and(|a| a.spec.has_sync_option("ServerSideApply=true")),
        tracking: match settings.tracking_method {
            TrackingMethod::Label => None,
            _ => Some(TrackingNormalization {
                instance_label_key: settings.instance_label_key.clone(),
            }),
        },
        ..DiffSettings::default()
    })
}

/// Compares a desired object (already defaulted and tracked) with its live counterpart.
pub fn compare_pair(
    desired: &Value,
    live: &Value,
    settings: &DiffSettings,
) -> Result<PairDiff, String> {
    let r = diff::diff(desired, live, settings).map_err(|e| e.to_string())?;
    Ok(PairDiff {
        modified: r.modified,
        mode: r.mode.as_str(),
        differences: r.differences,
        normalized_live: r.normalized_live,
        predicted_live: r.predicted_live,
        warnings: r.warnings,
    })
}

/// Like [`compare_pair`] when only one side exists: a missing object (desired only) or an
/// extraneous one (live only), normalized and masked the same way, for diff output.
pub fn compare_one_sided(
    desired: Option<&Value>,
    live: Option<&Value>,
    settings: &DiffSettings,
) -> Result<Option<PairDiff>, String> {
    let r = diff::diff_optional(desired, live, settings).map_err(|e| e.to_string())?;
    Ok(r.map(|r| PairDiff {
        modified: r.modified,
        mode: r.mode.as_str(),
        differences: r.differences,
        normalized_live: r.normalized_live,
        predicted_live: r.predicted_live,
        warnings: r.warnings,
    }))
}
