//! `reference-missing`: a pod spec that references a ServiceAccount, Secret or ConfigMap that
//! exists neither in the checkout nor in the cluster dump. ServiceAccounts are checked always;
//! Secrets and ConfigMaps (often created outside Git) only when a dump is given. Documentation:
//! `rules/reference-missing.md`.

use serde_json::Value;

use super::podspec::{is_true, pods, Pod};
use crate::rules::{Context, Finding, RuleMeta};

/// A reference to a Secret or ConfigMap: (kind, name, pointer, how it is used).
type Reference = (&'static str, String, String, &'static str);

/// The Secrets and ConfigMaps a pod spec needs, except `optional: true` ones.
fn references(pod: &Pod<'_>) -> Vec<Reference> {
    let mut out: Vec<Reference> = Vec::new();
    let p = pod.pointer;
    let name_of = |v: &Value, field: &str| v.get(field).and_then(Value::as_str).map(str::to_string);
    if let Some(Value::Array(vols)) = pod.field("/volumes") {
        for (i, v) in vols.iter().enumerate() {
            if let Some(s) = v.get("secret").filter(|s| !is_true(s.get("optional"))) {
                if let Some(n) = name_of(s, "secretName") {
                    out.push((
                        "Secret",
                        n,
                        format!("{p}/volumes/{i}/secret/secretName"),
                        "volume",
                    ));
                }
            }
            if let Some(c) = v.get("configMap").filter(|c| !is_true(c.get("optional"))) {
                if let Some(n) = name_of(c, "name") {
                    out.push((
                        "ConfigMap",
                        n,
                        format!("{p}/volumes/{i}/configMap/name"),
                        "volume",
                    ));
                }
            }
            if let Some(Value::Array(srcs)) = v.pointer("/projected/sources") {
                for (j, s) in srcs.iter().enumerate() {
                    for (field, kind) in [("secret", "Secret"), ("configMap", "ConfigMap")] {
                        if let Some(r) = s.get(field).filter(|r| !is_true(r.get("optional"))) {
                            if let Some(n) = name_of(r, "name") {
                                out.push((
                                    kind,
                                    n,
                                    format!("{p}/volumes/{i}/projected/sources/{j}/{field}/name"),
                                    "projected volume",
                                ));
                            }
                        }
                    }
                }
            }
        }
    }
    if let Some(Value::Array(ips)) = pod.field("/imagePullSecrets") {
        for (i, s) in ips.iter().enumerate() {
            if let Some(n) = name_of(s, "name") {
                out.push((
                    "Secret",
                    n,
                    format!("{p}/imagePullSecrets/{i}/name"),
                    "image pull secret",
                ));
            }
        }
    }
    for c in pod.containers() {
        if let Some(Value::Array(env)) = c.value.get("env") {
            for (i, e) in env.iter().enumerate() {
                for (field, kind) in [("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")]
                {
                    let Some(r) = e.pointer(&format!("/valueFrom/{field}")) else {
                        continue;
                    };
                    if is_true(r.get("optional")) {
                        continue;
                    }
                    if let Some(n) = name_of(r, "name") {
                        out.push((
                            kind,
                            n,
                            format!("{}/env/{i}/valueFrom/{field}/name", c.pointer),
                            "environment variable",
                        ));
                    }
                }
            }
        }
        if let Some(Value::Array(from)) = c.value.get("envFrom") {
            for (i, e) in from.iter().enumerate() {
                for (field, kind) in [("secretRef", "Secret"), ("configMapRef", "ConfigMap")] {
                    let Some(r) = e.get(field) else { continue };
                    if is_true(r.get("optional")) {
                        continue;
                    }
                    if let Some(n) = name_of(r, "name") {
                        out.push((
                            kind,
                            n,
                            format!("{}/envFrom/{i}/{field}/name", c.pointer),
                            "envFrom",
                        ));
                    }
                }
            }
        }
    }
    out
}

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    let index = ctx.objects();
    let where_ = if ctx.cluster.is_some() {
        "neither in the repository nor in the cluster dump"
    } else {
        "not in the repository"
    };
    for pod in pods(ctx) {
        let m = pod.manifest;
        let ns = &m.key.namespace;
        let sa_field = if pod.field("/serviceAccountName").is_some() {
            "/serviceAccountName"
        } else {
            "/serviceAccount"
        };
        if let Some(sa) = pod.field(sa_field).and_then(Value::as_str) {
            if !sa.is_empty() && sa != "default" && !index.exists(m, "", "ServiceAccount", ns, sa) {
                let (location, pointer) = pod.locate(sa_field);
                let message = format!(
                    "{} runs as ServiceAccount `{sa}`, which is {where_}: its pods cannot be \
                     created (`serviceaccount \"{sa}\" not found`) although the sync succeeds. \
                     Add the ServiceAccount to the Application or fix the name",
                    pod.describe()
                );
                out.push(
                    Finding::new(meta, message, location)
                        .with_object(&m.key)
                        .with_pointer(pointer),
                );
            }
        }
        // Secrets and ConfigMaps are often created outside Git (operators, CI, other
        // Applications): without a dump there is no way to tell, nor for a chart rendered
        // with its defaults (its namespace is not real).
        if ctx.cluster.is_none() || m.default_render_unit().is_some() {
            continue;
        }
        for (kind, name, pointer, usage) in references(&pod) {
            if index.exists(m, "", kind, ns, &name)
                || (kind == "Secret" && index.generated_secret(m, ns, &name))
            {
                continue;
            }
            let effect = if usage == "image pull secret" {
                "image pulls from a private registry fail (`ImagePullBackOff`)"
            } else {
                "its pods stay in `CreateContainerConfigError` or `ContainerCreating`"
            };
            let message = format!(
                "{} uses {kind} `{name}` ({usage}), which is {where_}: {effect} although the sync \
                 succeeds. Add the {kind} (or its SealedSecret/ExternalSecret), fix the name, or \
                 mark the reference `optional: true`",
                pod.describe()
            );
            out.push(
                Finding::new(meta, message, m.locate(&pointer))
                    .with_object(&m.key)
                    .with_pointer(pointer),
            );
        }
    }
}
