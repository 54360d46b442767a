//! Resource and application health with Argo CD's semantics.
//!
//! [`resource_health`] follows `GetResourceHealth` of Argo CD's gitops-engine: an object being
//! deleted is Progressing "Pending deletion"; otherwise a Lua health script selected from
//! [`HealthOverrides`] decides (see [`lua`]); otherwise the built-in check for the group and kind
//! (see [`builtin`]); otherwise the object has no health at all. [`aggregate`] turns the
//! per-resource results into the application's health the way the application controller does.
//!
//! Everything works on `serde_json::Value` objects; nothing here reads cluster state or prints.

pub mod aggregate;
pub mod builtin;
pub mod lua;
pub mod lua_compat;
pub mod lua_strings;

use serde_json::Value;
use std::fmt;

pub use aggregate::{application_health, AppHealth, AppIdentity, ManagedResource};
pub use lua::{HealthOverrides, LuaEngine, LuaScript, ScriptOrigin};

/// A health status code, in Argo CD's order from best to worst for aggregation:
/// Healthy < Suspended < Progressing < Missing < Degraded < Unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HealthStatusCode {
    /// The resource is healthy.
    Healthy,
    /// The resource is suspended or paused (for example a paused Deployment).
    Suspended,
    /// The resource is not healthy yet but may become healthy.
    Progressing,
    /// The resource is missing from the cluster.
    Missing,
    /// The resource failed or cannot reach a healthy state.
    Degraded,
    /// The health could not be assessed.
    Unknown,
}

impl HealthStatusCode {
    /// All codes in aggregation order (best first).
    pub const ALL: [HealthStatusCode; 6] = [
        HealthStatusCode::Healthy,
        HealthStatusCode::Suspended,
        HealthStatusCode::Progressing,
        HealthStatusCode::Missing,
        HealthStatusCode::Degraded,
        HealthStatusCode::Unknown,
    ];

    /// The spelling Argo CD uses (`"Healthy"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            HealthStatusCode::Healthy => "Healthy",
            HealthStatusCode::Suspended => "Suspended",
            HealthStatusCode::Progressing => "Progressing",
            HealthStatusCode::Missing => "Missing",
            HealthStatusCode::Degraded => "Degraded",
            HealthStatusCode::Unknown => "Unknown",
        }
    }

    /// Parses Argo CD's exact spelling; anything else (including other cases) is `None`.
    pub fn parse(s: &str) -> Option<HealthStatusCode> {
        HealthStatusCode::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for HealthStatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Health of one resource: a status and a message (empty when Argo CD has none).
///
/// `status` is `None` for the "empty health" a Lua script produces when it returns `nil` or an
/// empty table; Argo CD stores such a health with an empty status, which ranks like Healthy in
/// aggregation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HealthStatus {
    /// The status code, or `None` for an empty health.
    pub status: Option<HealthStatusCode>,
    /// The human-readable message (may be empty).
    pub message: String,
}

impl HealthStatus {
    /// A health with a status and a message.
    pub fn new(status: HealthStatusCode, message: impl Into<String>) -> Self {
        HealthStatus {
            status: Some(status),
            message: message.into(),
        }
    }

    /// A health with a status and no message.
    pub fn status(status: HealthStatusCode) -> Self {
        HealthStatus::new(status, String::new())
    }
}

/// Why a resource's health could not be assessed. Argo CD reports such a resource as
/// Unknown with the error text as message (see [`resource_health_or_unknown`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HealthError {
    /// A built-in check does not support the object's apiVersion (`unsupported Deployment GVK:
    /// apps/v1beta2, Kind=Deployment`), or the object does not convert to the typed struct.
    #[error("{0}")]
    Builtin(String),
    /// A Lua health script failed (compile error, runtime error, limit exceeded, bad return).
    #[error("{0}")]
    Lua(String),
    /// The argocd-cm customization settings are malformed.
    #[error("{0}")]
    Settings(String),
}

impl HealthError {
    /// The health Argo CD records for a resource whose assessment failed: Unknown with the
    /// error text as message.
    pub fn to_health(&self) -> HealthStatus {
        HealthStatus::new(HealthStatusCode::Unknown, self.to_string())
    }
}

/// The annotation that marks an object as an Argo CD hook.
pub const ANNOTATION_HOOK: &str = "argocd.argoproj.io/hook";
/// The Helm hook annotation.
pub const ANNOTATION_HELM_HOOK: &str = "helm.sh/hook";
/// The finalizer Argo CD puts on hooks; a hook being deleted keeps its normal health.
pub const HOOK_FINALIZER: &str = "argocd.argoproj.io/hook-finalizer";
/// `"true"` excludes a live object from application health aggregation.
pub const ANNOTATION_IGNORE_HEALTHCHECK: &str = "argocd.argoproj.io/ignore-healthcheck";
/// `"true"` makes a non-hook Pod's health ignore its restart policy.
pub const ANNOTATION_IGNORE_RESTART_POLICY: &str = "argocd.argoproj.io/ignore-restart-policy";

/// Assesses one live object like Argo CD's `GetResourceHealth`.
///
/// Returns `Ok(None)` when Argo CD has no health for the object (no Lua script and no built-in
/// check), and `Err` when the assessment failed; Argo CD then shows the resource as Unknown
/// with the error text (use [`HealthError::to_health`] or [`resource_health_or_unknown`]).
pub fn resource_health(
    obj: &Value,
    overrides: &HealthOverrides,
) -> Result<Option<HealthStatus>, HealthError> {
    lua::with_thread_engine(|engine| resource_health_with(obj, overrides, engine))
}

/// [`resource_health`] with an explicit Lua engine (for callers that manage engines
/// themselves, e.g. one per rayon worker via `map_init`).
pub fn resource_health_with(
    obj: &Value,
    overrides: &HealthOverrides,
    engine: &mut LuaEngine,
) -> Result<Option<HealthStatus>, HealthError> {
    if obj
        .pointer("/metadata/deletionTimestamp")
        .is_some_and(|v| !v.is_null())
        && !has_hook_finalizer(obj)
    {
        return Ok(Some(HealthStatus::new(
            HealthStatusCode::Progressing,
            "Pending deletion",
        )));
    }
    let (group, _version, kind) = gvk(obj);
    if let Some(script) = overrides.script_for(group, kind) {
        // A script that yields no health at all is impossible (nil gives an empty health),
        // so the built-in check is never consulted once a script exists.
        return engine.run_health(obj, &script).map(Some);
    }
    builtin::builtin_health(obj)
}

/// [`resource_health`] with errors turned into Unknown health, as Argo CD records them.
pub fn resource_health_or_unknown(
    obj: &Value,
    overrides: &HealthOverrides,
) -> Option<HealthStatus> {
    match resource_health(obj, overrides) {
        Ok(h) => h,
        Err(e) => Some(e.to_health()),
    }
}

/// Splits `apiVersion` and `kind` into (group, version, kind); the core group is `""`.
pub fn gvk(obj: &Value) -> (&str, &str, &str) {
    let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    match api_version.rsplit_once('/') {
        Some((g, v)) => (g, v, kind),
        None => ("", api_version, kind),
    }
}

/// The value of annotation `key`, if present and a string.
pub(crate) fn annotation<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    obj.get("metadata")?.get("annotations")?.get(key)?.as_str()
}

fn has_hook_finalizer(obj: &Value) -> bool {
    obj.pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .is_some_and(|f| f.iter().any(|v| v.as_str() == Some(HOOK_FINALIZER)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn order_matches_argo() {
        let mut v = HealthStatusCode::ALL.to_vec();
        v.sort();
        assert_eq!(v, HealthStatusCode::ALL.to_vec());
        assert!(HealthStatusCode::Unknown > HealthStatusCode::Degraded);
        assert_eq!(HealthStatusCode::parse("healthy"), None);
    }

    #[test]
    fn pending_deletion_unless_hook_finalizer() {
        let o = HealthOverrides::default();
        let obj = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "a", "deletionTimestamp": "2024-01-01T00:00:00Z"}});
        assert_eq!(
            resource_health(&obj, &o),
            Ok(Some(HealthStatus::new(
                HealthStatusCode::Progressing,
                "Pending deletion"
            )))
        );
        let obj = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "a", "deletionTimestamp": "2024-01-01T00:00:00Z",
            "finalizers": [HOOK_FINALIZER]}});
        assert_eq!(resource_health(&obj, &o), Ok(None));
    }
}
