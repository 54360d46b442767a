//! `ingress-backend-missing`: an Ingress backend that names a Service, or a port of a Service,
//! that does not exist in the checkout (nor, with a dump, in the cluster). Documentation:
//! `rules/ingress-backend-missing.md`.

use serde_json::Value;

use super::podspec::same_namespace;
use crate::rules::{Context, Finding, RuleMeta};

/// The backends of an Ingress with their pointers: (pointer, service name, port as written).
fn backends(obj: &Value) -> Vec<(String, String, Option<Value>)> {
    let mut out = Vec::new();
    let mut push = |ptr: String, b: &Value| {
        // networking.k8s.io/v1: backend.service.{name, port.{number|name}};
        // v1beta1: backend.{serviceName, servicePort}.
        if let Some(name) = b.pointer("/service/name").and_then(Value::as_str) {
            let port = b
                .pointer("/service/port/number")
                .or_else(|| b.pointer("/service/port/name"))
                .cloned();
            out.push((format!("{ptr}/service/name"), name.to_string(), port));
        } else if let Some(name) = b.get("serviceName").and_then(Value::as_str) {
            out.push((
                format!("{ptr}/serviceName"),
                name.to_string(),
                b.get("servicePort").cloned(),
            ));
        }
    };
    for field in ["defaultBackend", "backend"] {
        if let Some(b) = obj.pointer(&format!("/spec/{field}")) {
            push(format!("/spec/{field}"), b);
        }
    }
    if let Some(Value::Array(rules)) = obj.pointer("/spec/rules") {
        for (i, r) in rules.iter().enumerate() {
            if let Some(Value::Array(paths)) = r.pointer("/http/paths") {
                for (j, p) in paths.iter().enumerate() {
                    if let Some(b) = p.get("backend") {
                        push(format!("/spec/rules/{i}/http/paths/{j}/backend"), b);
                    }
                }
            }
        }
    }
    out
}

/// Whether a Service object exposes a port given by number or name.
fn has_port(svc: &Value, port: &Value) -> bool {
    let Some(Value::Array(ports)) = svc.pointer("/spec/ports") else {
        return false;
    };
    ports.iter().any(|p| match port {
        Value::Number(n) => p.get("port").and_then(Value::as_i64) == n.as_i64(),
        Value::String(s) => p.get("name").and_then(Value::as_str) == Some(s.as_str()),
        _ => true,
    })
}

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for m in &ctx.repo.manifests {
        if m.key.kind != "Ingress"
            || !matches!(m.key.group.as_str(), "networking.k8s.io" | "extensions")
        {
            continue;
        }
        for (pointer, name, port) in backends(&m.obj) {
            let git = ctx.repo.manifests.iter().find(|s| {
                s.key.group.is_empty()
                    && s.key.kind == "Service"
                    && s.key.name == name
                    && same_namespace(&s.key.namespace, &m.key.namespace)
                    && m.same_unit(s)
            });
            // A chart rendered with its defaults has no real namespace to look at live.
            let live = ctx
                .cluster
                .filter(|_| m.default_render_unit().is_none())
                .and_then(|c| {
                    c.objects.iter().find(|o| {
                        o.key.group.is_empty()
                            && o.key.kind == "Service"
                            && o.key.name == name
                            && same_namespace(&o.key.namespace, &m.key.namespace)
                    })
                });
            let svc = git.map(|s| &s.obj).or(live.map(|o| o.obj()));
            let message = match (svc, &port) {
                (None, _) => {
                    let where_ = if ctx.cluster.is_some() {
                        "neither in the repository nor in the cluster dump"
                    } else {
                        "not in the repository"
                    };
                    format!(
                        "Ingress `{}` routes to Service `{name}`, which is {where_}: requests \
                         get 503 from the ingress controller. Fix the Service name or add the \
                         Service",
                        m.key.name
                    )
                }
                (Some(s), Some(p)) if !has_port(s, p) => {
                    let shown = match p {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    format!(
                        "Ingress `{}` routes to port `{shown}` of Service `{name}`, which has no \
                         such port: requests get 503 from the ingress controller. Use one of the \
                         Service's `spec.ports` (by `port` number or `name`)",
                        m.key.name
                    )
                }
                _ => continue,
            };
            out.push(
                Finding::new(meta, message, m.locate(&pointer))
                    .with_object(&m.key)
                    .with_pointer(pointer),
            );
        }
    }
}
