//! Argo CD system settings from the `argocd-cm` ConfigMap.
//!
//! Keys and defaults follow Argo CD 3.x (`util/settings/settings.go`): annotation tracking by
//! default, `app.kubernetes.io/instance` as instance label key, `/status` ignored for all
//! kinds, resource customizations in both the combined `resource.customizations` form and the
//! split `resource.customizations.<type>.<group>_<kind>` keys.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::argocd::IgnoreDifference;
use crate::load::yaml;

/// How Argo CD marks the objects an Application owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum TrackingMethod {
    /// `argocd.argoproj.io/tracking-id` annotation (the default since Argo CD 3.0).
    #[default]
    Annotation,
    /// The instance label.
    Label,
    /// Annotation (authoritative) plus an informational label.
    AnnotationAndLabel,
}

impl TrackingMethod {
    /// Parses the `application.resourceTrackingMethod` value (empty means annotation).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "" | "annotation" => Some(TrackingMethod::Annotation),
            "label" => Some(TrackingMethod::Label),
            "annotation+label" => Some(TrackingMethod::AnnotationAndLabel),
            _ => None,
        }
    }
}

/// Which objects get `/status` ignored (`resource.compareoptions.ignoreResourceStatusField`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum StatusIgnore {
    /// Every kind (default since Argo CD 3.0; also any unknown value).
    #[default]
    All,
    /// Only `CustomResourceDefinition` objects.
    Crd,
    /// None.
    None,
}

/// `resource.compareoptions`.
#[derive(Debug, Clone, Serialize)]
pub struct CompareOptions {
    /// Treat `rules` of aggregated ClusterRoles as unmanaged.
    pub ignore_aggregated_roles: bool,
    /// Status ignoring.
    pub ignore_resource_status_field: StatusIgnore,
    /// Only affects refresh triggering.
    pub ignore_differences_on_resource_updates: bool,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            ignore_aggregated_roles: false,
            ignore_resource_status_field: StatusIgnore::All,
            ignore_differences_on_resource_updates: true,
        }
    }
}

/// The ignore part of a resource override (`ignoreDifferences` / `ignoreResourceUpdates`).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct OverrideIgnore {
    /// Pointers.
    pub json_pointers: Vec<String>,
    /// jq path expressions.
    pub jq_path_expressions: Vec<String>,
    /// Managers.
    pub managed_fields_managers: Vec<String>,
}

/// One `knownTypeFields` entry.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct KnownTypeField {
    /// Dot path of the field.
    pub field: String,
    /// Type name such as `core/v1/PodSpec`.
    #[serde(rename = "type")]
    pub type_: String,
}

/// A resource override (`resource.customizations` entry).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ResourceOverride {
    /// Lua health script.
    pub health_lua: Option<String>,
    /// Run the health script with the (restricted) standard libraries.
    pub use_open_libs: bool,
    /// Actions definition (YAML text, kept raw).
    pub actions: Option<String>,
    /// Differences to ignore.
    pub ignore_differences: Option<OverrideIgnore>,
    /// Updates to ignore (refresh only).
    pub ignore_resource_updates: Option<OverrideIgnore>,
    /// Known type fields.
    pub known_type_fields: Vec<KnownTypeField>,
}

/// A `resource.exclusions` / `resource.inclusions` entry.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct FilteredResource {
    /// Group globs (empty = all).
    pub api_groups: Vec<String>,
    /// Kinds, exact or `*` (empty = all).
    pub kinds: Vec<String>,
    /// Cluster URL globs (empty = all).
    pub clusters: Vec<String>,
}

/// A problem found while reading `argocd-cm`, tied to the key it concerns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SettingsProblem {
    /// The `data` key.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

/// Argo CD settings relevant offline.
#[derive(Debug, Clone, Serialize)]
pub struct ArgoSettings {
    /// Tracking method.
    pub tracking_method: TrackingMethod,
    /// Instance label key.
    pub instance_label_key: String,
    /// `installationID`, if set.
    pub installation_id: Option<String>,
    /// Resource overrides by override key (`group/kind`, `Kind`, globs).
    pub overrides: BTreeMap<String, ResourceOverride>,
    /// Compare options.
    pub compare_options: CompareOptions,
    /// Excluded kinds.
    pub exclusions: Vec<FilteredResource>,
    /// Included kinds (empty = all).
    pub inclusions: Vec<FilteredResource>,
    /// Annotations to mask in diffs.
    pub sensitive_mask_annotations: Vec<String>,
    /// Problems found while parsing.
    pub problems: Vec<SettingsProblem>,
    /// `kustomize.buildOptions`, as written (split on whitespace when used).
    pub kustomize_build_options: String,
    /// `kustomize.enable` (`"false"` turns Kustomize Applications into directory ones).
    pub kustomize_enabled: bool,
}

impl Default for ArgoSettings {
    fn default() -> Self {
        ArgoSettings {
            tracking_method: TrackingMethod::Annotation,
            instance_label_key: DEFAULT_INSTANCE_LABEL_KEY.to_string(),
            installation_id: None,
            overrides: BTreeMap::new(),
            compare_options: CompareOptions::default(),
            exclusions: Vec::new(),
            inclusions: Vec::new(),
            sensitive_mask_annotations: Vec::new(),
            problems: Vec::new(),
            kustomize_build_options: String::new(),
            kustomize_enabled: true,
        }
    }
}

/// Default instance label key.
pub const DEFAULT_INSTANCE_LABEL_KEY: &str = "app.kubernetes.io/instance";

/// The types a split key `resource.customizations.<type>.<group>_<kind>` may name.
pub const SPLIT_KEY_TYPES: &[&str] = &[
    "health",
    "useOpenLibs",
    "actions",
    "ignoreDifferences",
    "ignoreResourceUpdates",
    "knownTypeFields",
];

fn yaml_typed<T: for<'de> Deserialize<'de> + Default>(text: &str) -> Result<T, String> {
    let v = yaml::parse_value(text)?;
    if v.is_null() {
        return Ok(T::default());
    }
    super::argocd::from_json(&v)
}

/// Turns a split-key suffix (`apps_Deployment`, `_Secret`, `Secret`, `all`) into an override
/// key (`apps/Deployment`, `/Secret`, `Secret`, `*/*`).
/// A suffix with more than one `_` is rejected, as Argo CD rejects it.
pub fn split_suffix_to_override_key(suffix: &str) -> Result<String, String> {
    if suffix == "all" {
        return Ok("*/*".to_string());
    }
    match suffix.split_once('_') {
        Some((_, kind)) if kind.contains('_') => Err(format!(
            "`{suffix}` is not `<group>_<kind>`: a split key may contain one `_` only"
        )),
        Some((group, kind)) => Ok(format!("{group}/{kind}")),
        None => Ok(suffix.to_string()),
    }
}

/// Go's `strconv.ParseBool`.
pub fn parse_go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Splits an override key into (group glob, kind glob).
pub fn override_key_group_kind(key: &str) -> (&str, &str) {
    match key.split_once('/') {
        Some((g, k)) => (g, k.split('/').next().unwrap_or(k)),
        None => ("", key),
    }
}

/// Settings that depend on the Argo CD version or deployment, given on the command line; they
/// win over the checkout's `argocd-cm` (e.g. `label` tracking for an Argo CD 2.x instance).
#[derive(Debug, Clone, Copy, Default)]
pub struct SettingsOverrides {
    /// `application.resourceTrackingMethod`.
    pub tracking_method: Option<TrackingMethod>,
    /// `resource.compareoptions.ignoreResourceStatusField`.
    pub status_ignore: Option<StatusIgnore>,
}

impl ArgoSettings {
    /// Applies command-line overrides.
    pub fn apply(&mut self, o: SettingsOverrides) {
        if let Some(t) = o.tracking_method {
            self.tracking_method = t;
        }
        if let Some(s) = o.status_ignore {
            self.compare_options.ignore_resource_status_field = s;
        }
    }

    /// Reads settings from the `data` of an `argocd-cm` ConfigMap.
    pub fn from_config_map_data(data: &BTreeMap<String, String>) -> Self {
        let mut s = ArgoSettings::default();
        let mut problem = |key: &str, message: String| {
            s.problems.push(SettingsProblem {
                key: key.to_string(),
                message,
            })
        };
        s.kustomize_build_options = data
            .get("kustomize.buildOptions")
            .cloned()
            .unwrap_or_default();
        s.kustomize_enabled = data.get("kustomize.enable").map(String::as_str) != Some("false");
        let mut tracking = TrackingMethod::Annotation;
        if let Some(v) = data.get("application.resourceTrackingMethod") {
            match TrackingMethod::parse(v) {
                Some(t) => tracking = t,
                None => problem(
                    "application.resourceTrackingMethod",
                    format!(
                        "unknown tracking method `{v}`; Argo CD accepts `annotation`, `label` or \
                         `annotation+label` (and falls back to annotation)"
                    ),
                ),
            }
        }
        let mut overrides: BTreeMap<String, ResourceOverride> = BTreeMap::new();
        if let Some(text) = data.get("resource.customizations") {
            match yaml::parse_value(text) {
                Ok(Value::Object(map)) => {
                    for (key, v) in map {
                        match parse_combined_override(&v) {
                            Ok(o) => {
                                overrides.insert(key, o);
                            }
                            Err(e) => problem("resource.customizations", format!("`{key}`: {e}")),
                        }
                    }
                }
                Ok(Value::Null) => {}
                Ok(_) => problem(
                    "resource.customizations",
                    "must be a YAML mapping from `group/kind` to customizations".into(),
                ),
                Err(e) => problem("resource.customizations", e),
            }
        }
        for (key, value) in data {
            let Some(rest) = key.strip_prefix("resource.customizations.") else {
                continue;
            };
            let Some((ty, suffix)) = rest.split_once('.') else {
                problem(
                    key,
                    "expected `resource.customizations.<type>.<group>_<kind>`".into(),
                );
                continue;
            };
            if !SPLIT_KEY_TYPES.contains(&ty) {
                problem(
                    key,
                    format!(
                        "unknown customization type `{ty}`; Argo CD accepts {}",
                        SPLIT_KEY_TYPES.join(", ")
                    ),
                );
                continue;
            }
            let okey = match split_suffix_to_override_key(suffix) {
                Ok(k) => k,
                Err(e) => {
                    problem(key, e);
                    continue;
                }
            };
            let entry = overrides.entry(okey).or_default();
            match ty {
                "health" => entry.health_lua = Some(value.clone()),
                "useOpenLibs" => match parse_go_bool(value.trim()) {
                    Some(b) => entry.use_open_libs = b,
                    None => problem(
                        key,
                        format!("`{}` is not a boolean; use true or false", value.trim()),
                    ),
                },
                "actions" => entry.actions = Some(value.clone()),
                "ignoreDifferences" => match yaml_typed::<OverrideIgnore>(value) {
                    Ok(v) => entry.ignore_differences = Some(v),
                    Err(e) => problem(key, e),
                },
                "ignoreResourceUpdates" => match yaml_typed::<OverrideIgnore>(value) {
                    Ok(v) => entry.ignore_resource_updates = Some(v),
                    Err(e) => problem(key, e),
                },
                "knownTypeFields" => match yaml_typed::<Vec<KnownTypeField>>(value) {
                    Ok(v) => entry.known_type_fields = v,
                    Err(e) => problem(key, e),
                },
                _ => {}
            }
        }
        s.overrides = overrides;
        s.tracking_method = tracking;
        if let Some(v) = data.get("application.instanceLabelKey") {
            if !v.trim().is_empty() {
                s.instance_label_key = v.trim().to_string();
            }
        }
        s.installation_id = data
            .get("installationID")
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty());
        if let Some(text) = data.get("resource.compareoptions") {
            match yaml::parse_value(text) {
                Ok(v) => {
                    if let Some(b) = v.get("ignoreAggregatedRoles").and_then(Value::as_bool) {
                        s.compare_options.ignore_aggregated_roles = b;
                    }
                    if let Some(b) = v
                        .get("ignoreDifferencesOnResourceUpdates")
                        .and_then(Value::as_bool)
                    {
                        s.compare_options.ignore_differences_on_resource_updates = b;
                    }
                    match v.get("ignoreResourceStatusField") {
                        Some(Value::String(x)) => {
                            s.compare_options.ignore_resource_status_field = match x.as_str() {
                                "crd" => StatusIgnore::Crd,
                                "none" | "off" | "false" => StatusIgnore::None,
                                _ => StatusIgnore::All,
                            }
                        }
                        Some(Value::Bool(false)) => {
                            s.compare_options.ignore_resource_status_field = StatusIgnore::None
                        }
                        _ => {}
                    }
                }
                Err(e) => s.problems.push(SettingsProblem {
                    key: "resource.compareoptions".into(),
                    message: e,
                }),
            }
        }
        for (key, target) in [
            ("resource.exclusions", &mut s.exclusions),
            ("resource.inclusions", &mut s.inclusions),
        ] {
            if let Some(text) = data.get(key) {
                match yaml_typed::<Vec<FilteredResource>>(text) {
                    Ok(v) => *target = v,
                    Err(e) => s.problems.push(SettingsProblem {
                        key: key.into(),
                        message: e,
                    }),
                }
            }
        }
        if let Some(v) = data.get("resource.sensitive.mask.annotations") {
            s.sensitive_mask_annotations = v
                .split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect();
        }
        s
    }

    /// System-level ignore rules as `IgnoreDifference` entries (group and kind taken from the
    /// override key), including the default `/status` ignore.
    pub fn system_ignore_rules(&self) -> Vec<IgnoreDifference> {
        let mut rules: Vec<IgnoreDifference> = Vec::new();
        for (key, o) in &self.overrides {
            if let Some(ig) = &o.ignore_differences {
                let (group, kind) = override_key_group_kind(key);
                rules.push(IgnoreDifference {
                    group: group.to_string(),
                    kind: kind.to_string(),
                    json_pointers: ig.json_pointers.clone(),
                    jq_path_expressions: ig.jq_path_expressions.clone(),
                    managed_fields_managers: ig.managed_fields_managers.clone(),
                    ..Default::default()
                });
            }
        }
        match self.compare_options.ignore_resource_status_field {
            StatusIgnore::All => rules.push(IgnoreDifference {
                group: "*".into(),
                kind: "*".into(),
                json_pointers: vec!["/status".into()],
                ..Default::default()
            }),
            StatusIgnore::Crd => rules.push(IgnoreDifference {
                group: "apiextensions.k8s.io".into(),
                kind: "CustomResourceDefinition".into(),
                json_pointers: vec!["/status".into()],
                ..Default::default()
            }),
            StatusIgnore::None => {}
        }
        rules
    }
}

fn parse_combined_override(v: &Value) -> Result<ResourceOverride, String> {
    let mut o = ResourceOverride::default();
    let Some(map) = v.as_object() else {
        return Err("must be a mapping".into());
    };
    for (k, val) in map {
        match k.as_str() {
            "health.lua" => match val {
                Value::String(s) => o.health_lua = Some(s.clone()),
                Value::Null => {}
                _ => return Err("`health.lua` must be a string".into()),
            },
            "health.lua.useOpenLibs" => match val {
                Value::Bool(b) => o.use_open_libs = *b,
                Value::Null => {}
                _ => return Err("`health.lua.useOpenLibs` must be a boolean".into()),
            },
            "actions" => o.actions = val.as_str().map(str::to_string),
            "ignoreDifferences" | "ignoreResourceUpdates" => {
                let parsed = match val {
                    Value::String(text) => yaml_typed::<OverrideIgnore>(text)?,
                    other => super::argocd::from_json::<OverrideIgnore>(other)?,
                };
                if k == "ignoreDifferences" {
                    o.ignore_differences = Some(parsed);
                } else {
                    o.ignore_resource_updates = Some(parsed);
                }
            }
            "knownTypeFields" => o.known_type_fields = super::argocd::from_json(val)?,
            _ => {}
        }
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn split_keys_and_combined_form() {
        let s = ArgoSettings::from_config_map_data(&data(&[
            (
                "resource.customizations",
                "apps/Deployment:\n  ignoreDifferences: |\n    jsonPointers:\n    - /spec/replicas\n\"*.crossplane.io/*\":\n  health.lua: return nil\n",
            ),
            (
                "resource.customizations.ignoreDifferences.apps_Deployment",
                "jqPathExpressions:\n- .spec.template.metadata.annotations\n",
            ),
            ("resource.customizations.health.cert-manager.io_Certificate", "return {}"),
            ("resource.customizations.ignoreDifferences.all", "managedFieldsManagers: [kube-controller-manager]"),
            ("resource.customizations.bogus.apps_Deployment", "x"),
            ("application.resourceTrackingMethod", "label"),
            ("resource.compareoptions", "ignoreResourceStatusField: crd\nignoreAggregatedRoles: true"),
        ]));
        assert_eq!(s.tracking_method, TrackingMethod::Label);
        // The split ignoreDifferences key replaces the combined one.
        let d = &s.overrides["apps/Deployment"];
        assert_eq!(
            d.ignore_differences
                .as_ref()
                .map(|i| i.jq_path_expressions.clone()),
            Some(vec![".spec.template.metadata.annotations".to_string()])
        );
        assert!(d
            .ignore_differences
            .as_ref()
            .is_some_and(|i| i.json_pointers.is_empty()));
        assert!(s.overrides["*.crossplane.io/*"].health_lua.is_some());
        assert!(s.overrides["cert-manager.io/Certificate"]
            .health_lua
            .is_some());
        assert!(s.overrides.contains_key("*/*"));
        assert_eq!(s.problems.len(), 1);
        assert!(s.problems[0].message.contains("bogus"));
        assert!(s.compare_options.ignore_aggregated_roles);
        let rules = s.system_ignore_rules();
        assert!(rules
            .iter()
            .any(|r| r.kind == "CustomResourceDefinition" && r.json_pointers == ["/status"]));
    }

    #[test]
    fn override_keys() {
        let k = |s: &str| split_suffix_to_override_key(s).unwrap_or_default();
        assert_eq!(k("apps_Deployment"), "apps/Deployment");
        assert_eq!(k("_Secret"), "/Secret");
        assert_eq!(k("Secret"), "Secret");
        assert_eq!(k("all"), "*/*");
        assert!(split_suffix_to_override_key("a_b_c").is_err());
        assert_eq!(override_key_group_kind("/Secret"), ("", "Secret"));
        assert_eq!(override_key_group_kind("Secret"), ("", "Secret"));
        assert_eq!(override_key_group_kind("*/*"), ("*", "*"));
    }
}
