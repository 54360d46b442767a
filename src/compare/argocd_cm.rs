//! Diff settings from `argocd-cm` (§3.2) and Application `spec.ignoreDifferences` (§3.1).
//!
//! Reads the combined `resource.customizations` key and the split
//! `resource.customizations.<type>.<group>_<kind>` keys (a split `ignoreDifferences` or
//! `knownTypeFields` key replaces that part of the combined form), and
//! `resource.compareoptions`. YAML parsing is left to the caller (a function from YAML text to
//! a JSON value), so this module stays independent of the loader.
//!
//! Rule order follows Argo CD: Application rules first, then the system overrides (sorted by
//! key here for determinism; Argo CD iterates a Go map). `managedFieldsManagers` of an override
//! are looked up by the exact key `<group>/<kind>` or `*/*` only, so they are kept only for
//! such keys.

use super::ignore::{IgnoreRule, KnownTypeField};
use super::normalize::StatusIgnore;
use serde_json::Value;
use std::collections::BTreeMap;

const CUSTOMIZATIONS: &str = "resource.customizations";
const COMPARE_OPTIONS: &str = "resource.compareoptions";

/// Errors that make Argo CD reject the settings (the app comparison then fails).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CmError {
    /// A value does not parse or has the wrong shape.
    #[error("argocd-cm key {key:?}: {reason}")]
    Invalid {
        /// The ConfigMap key.
        key: String,
        /// What is wrong.
        reason: String,
    },
}

/// The diff-relevant part of `argocd-cm`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CmDiffConfig {
    /// System-level ignore rules from the resource overrides.
    pub ignore_rules: Vec<IgnoreRule>,
    /// knownTypeFields of the overrides (without the built-in ones).
    pub known_type_fields: Vec<KnownTypeField>,
    /// `ignoreResourceStatusField`.
    pub status_ignore: StatusIgnore,
    /// `ignoreAggregatedRoles`.
    pub ignore_aggregated_roles: bool,
}

#[derive(Debug, Default, Clone)]
struct Override {
    json_pointers: Vec<String>,
    jq: Vec<String>,
    managers: Vec<String>,
    known_types: Vec<(String, String)>,
}

fn invalid(key: &str, reason: impl Into<String>) -> CmError {
    CmError::Invalid {
        key: key.to_string(),
        reason: reason.into(),
    }
}

fn strings(v: Option<&Value>, key: &str, field: &str) -> Result<Vec<String>, CmError> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| invalid(key, format!("{field} must be a list of strings")))
            })
            .collect(),
        Some(_) => Err(invalid(key, format!("{field} must be a list of strings"))),
    }
}

/// Parses an `ignoreDifferences` body (`{jsonPointers, jqPathExpressions,
/// managedFieldsManagers}`).
fn parse_ignore_body(v: &Value, key: &str, o: &mut Override) -> Result<(), CmError> {
    if v.is_null() {
        o.json_pointers.clear();
        o.jq.clear();
        o.managers.clear();
        return Ok(());
    }
    if !v.is_object() {
        return Err(invalid(key, "ignoreDifferences must be a map"));
    }
    o.json_pointers = strings(v.get("jsonPointers"), key, "jsonPointers")?;
    o.jq = strings(v.get("jqPathExpressions"), key, "jqPathExpressions")?;
    o.managers = strings(v.get("managedFieldsManagers"), key, "managedFieldsManagers")?;
    Ok(())
}

fn parse_known_types(v: &Value, key: &str) -> Result<Vec<(String, String)>, CmError> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(a) => a
            .iter()
            .map(|item| {
                let field = item.get("field").and_then(Value::as_str);
                let ty = item.get("type").and_then(Value::as_str);
                match (field, ty) {
                    (Some(f), Some(t)) => Ok((f.to_string(), t.to_string())),
                    _ => Err(invalid(key, "knownTypeFields entries need field and type")),
                }
            })
            .collect(),
        _ => Err(invalid(key, "knownTypeFields must be a list")),
    }
}

/// `group_kind` of a split key to an override key (`apps_Deployment` → `apps/Deployment`,
/// `Secret` → `Secret`, `_Secret` → `/Secret`, `all` → `*/*`).
fn split_key_to_override_key(group_kind: &str, key: &str) -> Result<String, CmError> {
    let parts: Vec<&str> = group_kind.split('_').collect();
    let k = match parts.as_slice() {
        [g, k] => format!("{g}/{k}"),
        [one] if !one.is_empty() => (*one).to_string(),
        _ => {
            return Err(invalid(
                key,
                "expected resource.customizations.<type>.<group_kind>",
            ))
        }
    };
    Ok(if k == "all" { "*/*".to_string() } else { k })
}

/// Reads the diff settings from the ConfigMap `data`.
pub fn from_argocd_cm(
    data: &BTreeMap<String, String>,
    parse_yaml: &dyn Fn(&str) -> Result<Value, String>,
) -> Result<CmDiffConfig, CmError> {
    let mut overrides: BTreeMap<String, Override> = BTreeMap::new();
    if let Some(text) = data.get(CUSTOMIZATIONS).filter(|t| !t.trim().is_empty()) {
        let parsed = parse_yaml(text).map_err(|e| invalid(CUSTOMIZATIONS, e))?;
        let map = match parsed {
            Value::Object(m) => m,
            Value::Null => Default::default(),
            _ => return Err(invalid(CUSTOMIZATIONS, "must be a map")),
        };
        for (gk, body) in map {
            let mut o = Override::default();
            if let Some(id) = body.get("ignoreDifferences") {
                let text = id
                    .as_str()
                    .ok_or_else(|| invalid(CUSTOMIZATIONS, "ignoreDifferences must be a string"))?;
                let v = parse_yaml(text).map_err(|e| invalid(CUSTOMIZATIONS, e))?;
                parse_ignore_body(&v, CUSTOMIZATIONS, &mut o)?;
            }
            if let Some(kt) = body.get("knownTypeFields") {
                o.known_types = parse_known_types(kt, CUSTOMIZATIONS)?;
            }
            overrides.insert(gk, o);
        }
    }
    for (key, value) in data {
        if !key.starts_with(CUSTOMIZATIONS) {
            continue;
        }
        let parts: Vec<&str> = key.splitn(4, '.').collect();
        let [_, _, kind_of, group_kind] = parts.as_slice() else {
            continue;
        };
        let okey = split_key_to_override_key(group_kind, key)?;
        match *kind_of {
            "ignoreDifferences" => {
                let v = parse_yaml(value).map_err(|e| invalid(key, e))?;
                let o = overrides.entry(okey).or_default();
                parse_ignore_body(&v, key, o)?;
            }
            "knownTypeFields" => {
                let v = parse_yaml(value).map_err(|e| invalid(key, e))?;
                overrides.entry(okey).or_default().known_types = parse_known_types(&v, key)?;
            }
            "health" | "useOpenLibs" | "actions" | "ignoreResourceUpdates" => {
                overrides.entry(okey).or_default();
            }
            other => {
                return Err(invalid(
                    key,
                    format!("resource customization type {other} not supported"),
                ))
            }
        }
    }

    let mut cfg = CmDiffConfig::default();
    if let Some(text) = data.get(COMPARE_OPTIONS) {
        let v = parse_yaml(text).map_err(|e| invalid(COMPARE_OPTIONS, e))?;
        if let Some(b) = v.get("ignoreAggregatedRoles") {
            cfg.ignore_aggregated_roles = b
                .as_bool()
                .ok_or_else(|| invalid(COMPARE_OPTIONS, "ignoreAggregatedRoles must be a bool"))?;
        }
        cfg.status_ignore = match v.get("ignoreResourceStatusField") {
            None | Some(Value::Null) => StatusIgnore::All,
            // YAML `off` / `false` may arrive as a boolean.
            Some(Value::Bool(false)) => StatusIgnore::None,
            Some(Value::String(s)) => StatusIgnore::parse(s),
            Some(_) => StatusIgnore::All,
        };
    }

    for (key, o) in &overrides {
        let parts: Vec<&str> = key.split('/').collect();
        let (group, kind) = match parts.as_slice() {
            [g, k] => ((*g).to_string(), (*k).to_string()),
            [k] => (String::new(), (*k).to_string()),
            // Argo CD only warns; such a key matches nothing.
            _ => continue,
        };
        if !o.json_pointers.is_empty() || !o.jq.is_empty() {
            cfg.ignore_rules.push(IgnoreRule {
                group: group.clone(),
                kind: kind.clone(),
                json_pointers: o.json_pointers.clone(),
                jq_path_expressions: o.jq.clone(),
                ..Default::default()
            });
        }
        let exact = key == "*/*" || (parts.len() == 2 && !key.contains(['*', '?', '[', '{']));
        if !o.managers.is_empty() && exact {
            let (g, k) = if key == "*/*" {
                ("*".to_string(), "*".to_string())
            } else {
                (globset::escape(&group), globset::escape(&kind))
            };
            cfg.ignore_rules.push(IgnoreRule {
                group: g,
                kind: k,
                managed_fields_managers: o.managers.clone(),
                ..Default::default()
            });
        }
        for (field, ty) in &o.known_types {
            cfg.known_type_fields.push(KnownTypeField {
                group: group.clone(),
                kind: kind.clone(),
                field: field.clone(),
                type_name: ty.clone(),
            });
        }
    }
    Ok(cfg)
}

/// An Application `spec.ignoreDifferences[]` entry.
pub fn ignore_rule_from_value(v: &Value) -> Result<IgnoreRule, CmError> {
    let key = "spec.ignoreDifferences";
    if !v.is_object() {
        return Err(invalid(key, "entry must be a map"));
    }
    let s = |f: &str| -> Result<String, CmError> {
        match v.get(f) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(invalid(key, format!("{f} must be a string"))),
        }
    };
    Ok(IgnoreRule {
        group: s("group")?,
        kind: s("kind")?,
        name: s("name")?,
        namespace: s("namespace")?,
        json_pointers: strings(v.get("jsonPointers"), key, "jsonPointers")?,
        jq_path_expressions: strings(v.get("jqPathExpressions"), key, "jqPathExpressions")?,
        managed_fields_managers: strings(
            v.get("managedFieldsManagers"),
            key,
            "managedFieldsManagers",
        )?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Test stand-in for the YAML loader: the test values are written as JSON (valid YAML).
    fn parse(text: &str) -> Result<Value, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    fn cm(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn combined_and_split_keys() {
        let combined = json!({
            "apps/Deployment": {"ignoreDifferences": "{\"jsonPointers\": [\"/spec/replicas\"]}"},
            "*.crossplane.io/*": {"ignoreDifferences": "{\"jsonPointers\": [\"/spec/x\"]}"},
            "Secret": {"ignoreDifferences": "{\"managedFieldsManagers\": [\"vault\"]}"},
            "argoproj.io/Rollout": {"knownTypeFields": [{"field": "spec.x", "type": "core/Quantity"}]}
        })
        .to_string();
        let data = cm(&[
            ("resource.customizations", &combined),
            (
                "resource.customizations.ignoreDifferences.apps_Deployment",
                "{\"jqPathExpressions\": [\".spec.paused\"]}",
            ),
            (
                "resource.customizations.ignoreDifferences.all",
                "{\"managedFieldsManagers\": [\"kube-controller-manager\"]}",
            ),
            (
                "resource.customizations.ignoreDifferences._ConfigMap",
                "{\"managedFieldsManagers\": [\"x\"], \"jsonPointers\": [\"/data/a~1b\"]}",
            ),
            (
                "resource.customizations.health.cert-manager.io_Certificate",
                "lua",
            ),
            (
                "resource.compareoptions",
                "{\"ignoreAggregatedRoles\": true, \"ignoreResourceStatusField\": \"crd\"}",
            ),
        ]);
        let c = from_argocd_cm(&data, &parse).expect("parses");
        assert!(c.ignore_aggregated_roles);
        assert_eq!(c.status_ignore, StatusIgnore::Crd);
        // The split key replaced the combined ignoreDifferences of apps/Deployment.
        let dep: Vec<_> = c
            .ignore_rules
            .iter()
            .filter(|r| r.kind == "Deployment")
            .collect();
        assert_eq!(dep.len(), 1);
        assert!(dep[0].json_pointers.is_empty());
        assert_eq!(dep[0].jq_path_expressions, vec![".spec.paused"]);
        // `Secret` (no slash) managers are never found by Argo CD's exact-key lookup.
        assert!(!c.ignore_rules.iter().any(|r| r.kind == "Secret"));
        // `_ConfigMap` → `/ConfigMap`: pointer rule and exact manager rule for the core group.
        let cmr: Vec<_> = c
            .ignore_rules
            .iter()
            .filter(|r| r.kind == "ConfigMap")
            .collect();
        assert_eq!(cmr.len(), 2);
        assert!(cmr.iter().all(|r| r.group.is_empty()));
        assert!(c.ignore_rules.iter().any(|r| r.group == "*"
            && r.kind == "*"
            && r.managed_fields_managers == vec!["kube-controller-manager"]));
        assert!(c.ignore_rules.iter().any(|r| r.group == "*.crossplane.io"
            && r.kind == "*"
            && r.json_pointers == vec!["/spec/x"]));
        assert_eq!(c.known_type_fields.len(), 1);
        assert_eq!(c.known_type_fields[0].group, "argoproj.io");
    }

    #[test]
    fn bad_keys_and_values_fail() {
        let data = cm(&[("resource.customizations.bogus.apps_Deployment", "{}")]);
        assert!(from_argocd_cm(&data, &parse).is_err());
        let data = cm(&[("resource.customizations.health.a_b_c", "x")]);
        assert!(from_argocd_cm(&data, &parse).is_err());
        let data = cm(&[(
            "resource.compareoptions",
            "{\"ignoreResourceStatusField\": false}",
        )]);
        assert_eq!(
            from_argocd_cm(&data, &parse).expect("parses").status_ignore,
            StatusIgnore::None
        );
        assert_eq!(
            from_argocd_cm(&BTreeMap::new(), &parse)
                .expect("parses")
                .status_ignore,
            StatusIgnore::All
        );
    }

    #[test]
    fn application_ignore_entries() {
        let r = ignore_rule_from_value(&json!({"group": "apps", "kind": "Deployment",
            "jsonPointers": ["/spec/replicas"], "name": "web"}))
        .expect("parses");
        assert_eq!(r.group, "apps");
        assert_eq!(r.name, "web");
        assert_eq!(r.json_pointers, vec!["/spec/replicas"]);
        assert!(ignore_rule_from_value(&json!({"kind": 3})).is_err());
    }
}
