//! Application health aggregation (Argo CD's `setApplicationHealth`).
//!
//! The application's health is the worst health of the counted resources, in the order
//! Healthy < Suspended < Progressing < Missing < Degraded < Unknown. Not counted: targets whose
//! only hook type is `Skip`; live hooks and ignored hooks; live objects annotated
//! `argocd.argoproj.io/ignore-healthcheck: "true"`; the application itself; resources without
//! health; missing resources (their Missing health is recorded but does not worsen the app);
//! child `argoproj.io/Application`s that are Missing or Unknown. If resources are expected but
//! none exists live, the app is Missing. The message names the causes ("Caused by …").

use super::{
    annotation, resource_health_with, HealthOverrides, HealthStatus, HealthStatusCode, LuaEngine,
    ANNOTATION_IGNORE_HEALTHCHECK,
};
use crate::compare::hooks::{self, HookRole};
use serde_json::Value;

/// At most this many causes are named in the aggregated message.
pub const MAX_HEALTH_CAUSES_SHOWN: usize = 3;

/// One resource of an application as the comparison pairs it: the desired (Git) object and
/// the live object, either of which may be absent.
#[derive(Debug, Clone, Copy)]
pub struct ManagedResource<'a> {
    /// API group (`""` for the core group).
    pub group: &'a str,
    /// Kind.
    pub kind: &'a str,
    /// Namespace (`""` for cluster-scoped objects).
    pub namespace: &'a str,
    /// Name.
    pub name: &'a str,
    /// The desired object, if any.
    pub target: Option<&'a Value>,
    /// The live object, if any.
    pub live: Option<&'a Value>,
}

/// The Application being assessed, to recognise a self-managing app among its resources.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppIdentity<'a> {
    /// The Application's namespace.
    pub namespace: &'a str,
    /// The Application's name.
    pub name: &'a str,
    /// The Application's UID if known; when both sides have one they must be equal.
    pub uid: Option<&'a str>,
}

/// Result of [`application_health`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppHealth {
    /// The aggregated status.
    pub status: HealthStatusCode,
    /// `"Caused by g/K:ns/name, … and N more"`, or empty.
    pub message: String,
    /// Per resource (same order as the input): the health Argo CD records, or `None` when the
    /// resource has no health (skipped, hook, ignored, self, or no check).
    pub resources: Vec<Option<HealthStatus>>,
    /// The first assessment error, worded like the application condition Argo CD sets.
    pub error: Option<String>,
}

/// Aggregates the health of an application's resources (see the module doc).
pub fn application_health(
    resources: &[ManagedResource<'_>],
    overrides: &HealthOverrides,
    app: Option<AppIdentity<'_>>,
) -> AppHealth {
    super::lua::with_thread_engine(|engine| {
        application_health_with(resources, overrides, app, engine)
    })
}

/// [`application_health`] with an explicit Lua engine.
pub fn application_health_with(
    resources: &[ManagedResource<'_>],
    overrides: &HealthOverrides,
    app: Option<AppIdentity<'_>>,
    engine: &mut LuaEngine,
) -> AppHealth {
    let mut status = HealthStatusCode::Healthy;
    let mut causes: Vec<&ManagedResource> = Vec::new();
    let mut per_resource = vec![None; resources.len()];
    let mut error = None;
    let mut contains_resources = false;
    let mut contains_live = false;

    for (i, res) in resources.iter().enumerate() {
        if res.target.is_some_and(|t| hooks::role(t) == HookRole::Skip) {
            continue;
        }
        if res.live.is_some_and(hooks::is_live_hook) {
            continue;
        }
        contains_resources = true;
        if res.live.is_some() {
            contains_live = true;
        }
        if res
            .live
            .is_some_and(|l| annotation(l, ANNOTATION_IGNORE_HEALTHCHECK) == Some("true"))
        {
            continue;
        }
        let health = match res.live {
            None => Some(HealthStatus::status(HealthStatusCode::Missing)),
            Some(live) => {
                if app.is_some_and(|a| is_self(a, res, live)) {
                    continue;
                }
                match resource_health_with(live, overrides, engine) {
                    Ok(h) => h,
                    Err(e) => {
                        if error.is_none() {
                            let inner = match &e {
                                super::HealthError::Lua(_) => format!(
                                    "failed to get resource health for {}/{}: {e}",
                                    res.namespace, res.name
                                ),
                                _ => e.to_string(),
                            };
                            error = Some(format!(
                                "failed to get resource health for \"{}\" with name \"{}\" in namespace \"{}\": {inner}",
                                res.kind, res.name, res.namespace
                            ));
                        }
                        Some(e.to_health())
                    }
                }
            }
        };
        let Some(health) = health else { continue };
        per_resource[i] = Some(health.clone());
        let code = health.status;
        if res.live.is_none() && code == Some(HealthStatusCode::Missing) {
            continue;
        }
        if res.group == "argoproj.io"
            && res.kind == "Application"
            && matches!(
                code,
                Some(HealthStatusCode::Missing | HealthStatusCode::Unknown)
            )
        {
            continue;
        }
        // An empty status ranks like Healthy.
        let code = code.unwrap_or(HealthStatusCode::Healthy);
        if code > status {
            status = code;
            causes = vec![res];
        } else if code == status && status != HealthStatusCode::Healthy {
            causes.push(res);
        }
    }

    if contains_resources && !contains_live && HealthStatusCode::Missing > status {
        status = HealthStatusCode::Missing;
        causes.clear();
    }

    AppHealth {
        status,
        message: format_causes(&causes),
        resources: per_resource,
        error,
    }
}

fn is_self(app: AppIdentity<'_>, res: &ManagedResource<'_>, live: &Value) -> bool {
    if res.group != "argoproj.io" || res.kind != "Application" {
        return false;
    }
    let live_uid = live.pointer("/metadata/uid").and_then(Value::as_str);
    let uid_ok = match (app.uid, live_uid) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    };
    uid_ok && res.name == app.name && res.namespace == app.namespace
}

fn format_causes(causes: &[&ManagedResource<'_>]) -> String {
    if causes.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = causes
        .iter()
        .take(MAX_HEALTH_CAUSES_SHOWN)
        .map(|c| {
            let gk = if c.group.is_empty() {
                c.kind.to_string()
            } else {
                format!("{}/{}", c.group, c.kind)
            };
            let name = if c.namespace.is_empty() {
                c.name.to_string()
            } else {
                format!("{}/{}", c.namespace, c.name)
            };
            format!("{gk}:{name}")
        })
        .collect();
    let mut summary = parts.join(", ");
    if causes.len() > MAX_HEALTH_CAUSES_SHOWN {
        summary = format!(
            "{summary} and {} more",
            causes.len() - MAX_HEALTH_CAUSES_SHOWN
        );
    }
    format!("Caused by {summary}")
}
