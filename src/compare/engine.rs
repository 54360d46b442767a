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

/// The diff settings of an Application.
#[derive(Debug, Clone)]
pub struct AppDiffSettings {
    /// Settings of the diff engine.
    pub settings: DiffSettings,
    /// The Application asks for server-side diff (`argocd.argoproj.io/compare-options:
    /// ServerSideDiff=true`), which needs the API server; it is approximated by the
    /// structured-merge diff with the live `managedFields`, and results say so.
    pub server_side_diff: bool,
}

/// Mode label of results computed for a server-side-diff Application.
pub const SSD_APPROXIMATED: &str = "server-side-diff (approximated by structured merge)";

/// Whether an Application asks for server-side diff in its compare options.
pub fn wants_server_side_diff(app: &Application) -> bool {
    app.metadata
        .annotations
        .get("argocd.argoproj.io/compare-options")
        .is_some_and(|v| crate::model::object::csv(v).any(|o| o == "ServerSideDiff=true"))
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
) -> Result<AppDiffSettings, String> {
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
    let server_side_diff = app.is_some_and(wants_server_side_diff);
    let diff = DiffSettings {
        ignore_rules,
        known_type_fields: known,
        status_ignore: match settings.compare_options.ignore_resource_status_field {
            StatusIgnore::All => EngineStatusIgnore::All,
            StatusIgnore::Crd => EngineStatusIgnore::Crd,
            StatusIgnore::None => EngineStatusIgnore::None,
        },
        ignore_aggregated_roles: settings.compare_options.ignore_aggregated_roles,
        server_side_apply: server_side_diff
            || app.is_some_and(|a| a.spec.has_sync_option("ServerSideApply=true")),
        tracking: match settings.tracking_method {
            TrackingMethod::Label => None,
            _ => Some(TrackingNormalization {
                instance_label_key: settings.instance_label_key.clone(),
            }),
        },
        ..DiffSettings::default()
    };
    Ok(AppDiffSettings {
        settings: diff,
        server_side_diff,
    })
}

fn mode_label(mode: super::diff::DiffMode, s: &AppDiffSettings) -> &'static str {
    if s.server_side_diff && mode == super::diff::DiffMode::StructuredMerge {
        SSD_APPROXIMATED
    } else {
        mode.as_str()
    }
}

/// Compares a desired object (already defaulted and tracked) with its live counterpart.
pub fn compare_pair(
    desired: &Value,
    live: &Value,
    settings: &AppDiffSettings,
) -> Result<PairDiff, String> {
    let r = diff::diff(desired, live, &settings.settings).map_err(|e| e.to_string())?;
    Ok(PairDiff {
        modified: r.modified,
        mode: mode_label(r.mode, settings),
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
    settings: &AppDiffSettings,
) -> Result<Option<PairDiff>, String> {
    let r = diff::diff_optional(desired, live, &settings.settings).map_err(|e| e.to_string())?;
    Ok(r.map(|r| PairDiff {
        modified: r.modified,
        mode: mode_label(r.mode, settings),
        differences: r.differences,
        normalized_live: r.normalized_live,
        predicted_live: r.predicted_live,
        warnings: r.warnings,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn app(annotations: Value, sync_options: Value) -> Application {
        crate::model::argocd::from_json(&json!({
            "metadata": {"name": "web", "annotations": annotations},
            "spec": {"syncPolicy": {"syncOptions": sync_options},
                     "ignoreDifferences": [{"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]}]}
        }))
        .unwrap_or_default()
    }

    #[test]
    fn server_side_diff_is_approximated_and_labelled() {
        let a = app(
            json!({"argocd.argoproj.io/compare-options": "ServerSideDiff=true"}),
            json!([]),
        );
        let s = app_diff_settings(Some(&a), &ArgoSettings::default()).expect("settings");
        assert!(s.server_side_diff && s.settings.server_side_apply);
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "n"}, "data": {"k": "v"}});
        let r = compare_pair(&cm, &cm, &s).expect("diff");
        assert_eq!(r.mode, SSD_APPROXIMATED);
        assert!(!r.modified);
        let plain = app(json!({}), json!(["ServerSideApply=true"]));
        let s = app_diff_settings(Some(&plain), &ArgoSettings::default()).expect("settings");
        assert!(!s.server_side_diff && s.settings.server_side_apply);
        assert_eq!(
            compare_pair(&cm, &cm, &s).expect("diff").mode,
            "structured-merge"
        );
    }

    #[test]
    fn app_rules_then_exact_system_keys_for_managers() {
        let mut data = std::collections::BTreeMap::new();
        data.insert(
            "resource.customizations".to_string(),
            "apps/*:\n  ignoreDifferences: |\n    managedFieldsManagers: [hpa]\n".to_string(),
        );
        data.insert(
            "resource.customizations.ignoreDifferences.apps_Deployment".to_string(),
            "managedFieldsManagers: [kube-controller-manager]\n".to_string(),
        );
        let settings = ArgoSettings::from_config_map_data(&data);
        let s = app_diff_settings(Some(&app(json!({}), json!([]))), &settings).expect("settings");
        let rules: Vec<&IgnoreRule> = s.settings.ignore_rules.iter().map(|r| r.rule()).collect();
        assert_eq!(
            rules[0].json_pointers,
            ["/spec/replicas"],
            "application rules come first"
        );
        let managers: Vec<&str> = rules
            .iter()
            .flat_map(|r| r.managed_fields_managers.iter().map(String::as_str))
            .collect();
        // A wildcard key's managers are not looked up by Argo CD; the exact key's are.
        assert_eq!(managers, ["kube-controller-manager"]);
    }
}
