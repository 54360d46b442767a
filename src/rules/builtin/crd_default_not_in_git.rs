//! `crd-default-not-in-git`: a custom resource omits fields that its CRD's OpenAPI schema
//! defaults (ExternalSecret `conversionStrategy`, `decodingStrategy`, `metadataPolicy`, …), so
//! the live object holds values Git does not. Documentation: `rules/crd-default-not-in-git.md`.

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::load::yaml::escape_pointer_token;
use crate::rules::{Context, Finding, RuleMeta, Severity};

/// Depth limit of the schema walk.
const MAX_DEPTH: usize = 64;

/// The `openAPIV3Schema` for `group`/`kind` at `version`: from a CRD in the dump, else in Git.
/// The CRDs by (group, kind): from the dump first (what the cluster serves), then from Git.
fn crd_index<'a>(ctx: &Context<'a>) -> HashMap<(&'a str, &'a str), &'a Value> {
    let mut out: HashMap<(&str, &str), &Value> = HashMap::new();
    let is_crd = |g: &str, k: &str| g == "apiextensions.k8s.io" && k == "CustomResourceDefinition";
    let repo = ctx
        .repo
        .manifests
        .iter()
        .filter(|m| is_crd(&m.key.group, &m.key.kind))
        .map(|m| &m.obj);
    let live = ctx
        .cluster
        .into_iter()
        .flat_map(|c| c.objects.iter())
        .filter(|o| is_crd(&o.key.group, &o.key.kind))
        .map(|o| o.obj());
    // Later inserts win: Git first, then the dump.
    for obj in repo.chain(live) {
        let group = obj.pointer("/spec/group").and_then(Value::as_str);
        let kind = obj.pointer("/spec/names/kind").and_then(Value::as_str);
        if let (Some(g), Some(k)) = (group, kind) {
            out.insert((g, k), obj);
        }
    }
    out
}

/// The OpenAPI schema of `version` in a CRD.
fn schema<'a>(crd: &'a Value, version: &str) -> Option<&'a Value> {
    crd.pointer("/spec/versions")
        .and_then(Value::as_array)
        .and_then(|vs| {
            vs.iter()
                .find(|v| v.get("name").and_then(Value::as_str) == Some(version))
        })
        .and_then(|v| v.pointer("/schema/openAPIV3Schema"))
        .or_else(|| crd.pointer("/spec/validation/openAPIV3Schema"))
}

/// Fields the schema defaults inside objects Git writes, but Git omits (defaulting only fills
/// fields of objects that exist).
fn missing_defaults(
    schema: &Value,
    git: &Value,
    pointer: &str,
    depth: usize,
    out: &mut Vec<(String, Value)>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    match git {
        Value::Object(map) => {
            let Some(Value::Object(props)) = schema.get("properties") else {
                return;
            };
            for (k, ps) in props {
                if depth == 0 && matches!(k.as_str(), "metadata" | "status" | "apiVersion" | "kind")
                {
                    continue;
                }
                let p = format!("{pointer}/{}", escape_pointer_token(k));
                match map.get(k) {
                    Some(v) => missing_defaults(ps, v, &p, depth + 1, out),
                    None => {
                        if let Some(d) = ps.get("default") {
                            out.push((p, d.clone()));
                        }
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(is) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    missing_defaults(is, item, &format!("{pointer}/{i}"), depth + 1, out);
                }
            }
        }
        _ => {}
    }
}

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    let crds = crd_index(ctx);
    if crds.is_empty() {
        return;
    }
    for (mi, m) in ctx.repo.manifests.iter().enumerate() {
        if m.key.group.is_empty() {
            continue;
        }
        let version = crate::model::key::version_of(&m.api_version);
        let Some(s) = crds
            .get(&(m.key.group.as_str(), m.key.kind.as_str()))
            .and_then(|crd| schema(crd, version))
        else {
            continue;
        };
        let mut fields = Vec::new();
        missing_defaults(s, &m.obj, "", 0, &mut fields);
        let live = ctx.live_of(mi);
        if let Some(l) = live {
            // Keep only fields the live object holds at their default (defaulting explains them).
            fields.retain(|(p, d)| l.obj().pointer(p) == Some(d));
        }
        if fields.is_empty() {
            continue;
        }
        let reported: Vec<&String> = fields
            .iter()
            .map(|(p, _)| p)
            .filter(|p| ctx.drift_reports(mi, p))
            .collect();
        let mode = ctx.server_side_mode(mi);
        let (severity, status) = if !reported.is_empty() {
            (
                Severity::Warning,
                "the predicted diff reports them, so the Application stays OutOfSync".to_string(),
            )
        } else if let Some(mode) = mode {
            (
                Severity::Warning,
                format!(
                    "the Application uses `{mode}`, under which Argo CD reports fields the API \
                     server defaults but Git omits as differences (argo-cd#13004)"
                ),
            )
        } else {
            (
                Severity::Note,
                "the default legacy diff prunes live keys that Git does not write before \
                 comparing custom resources, so they are not a difference today; they are with \
                 server-side apply or diff, or once they are in the last-applied configuration"
                    .to_string(),
            )
        };
        let list: Vec<String> = fields
            .iter()
            .take(8)
            .map(|(p, d)| format!("`{p}` (default {d})"))
            .collect();
        let message = format!(
            "{} `{}` omits {} field{} its CRD defaults: {}{}; {status}. Write the defaults into \
             Git",
            m.key.kind,
            m.key.name,
            fields.len(),
            if fields.len() == 1 { "" } else { "s" },
            list.join(", "),
            if fields.len() > 8 { ", …" } else { "" }
        );
        let first = &fields[0].0;
        let mut f = Finding::new(meta, message, m.locate(first))
            .with_object(&m.key)
            .with_pointer(first.clone())
            .with_property(
                "defaults",
                Value::Object(fields.iter().map(|(p, d)| (p.clone(), d.clone())).collect()),
            )
            .with_property("serverSideMode", json!(mode));
        f.severity = severity;
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_found_only_inside_objects_git_writes() {
        let schema = json!({"properties": {"spec": {"properties": {
            "mode": {"type": "string", "default": "auto"},
            "set": {"type": "string", "default": "x"},
            "absent": {"properties": {"inner": {"default": 1}}},
            "items": {"items": {"properties": {"policy": {"default": "None"}}}}
        }}}});
        let git = json!({"spec": {"set": "y", "items": [{}, {"policy": "Fail"}]}});
        let mut out = Vec::new();
        missing_defaults(&schema, &git, "", 0, &mut out);
        let pointers: Vec<&str> = out.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(pointers, ["/spec/items/0/policy", "/spec/mode"]);
    }
}
