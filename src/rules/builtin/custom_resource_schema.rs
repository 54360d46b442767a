//! `custom-resource-schema`: a custom resource that does not fit the OpenAPI schema of its
//! CustomResourceDefinition, taken from the checkout or, failing that, from the cluster dump.
//! A useful subset of the API server's validation: served versions, types, `required`, `enum`,
//! bounds, and unknown fields (which the API server prunes). Documentation:
//! `rules/custom-resource-schema.md`.

use serde_json::{Map, Value};

use crate::load::yaml::escape_pointer_token;
use crate::model::key::version_of;
use crate::model::object::{Location, Manifest};
use crate::rules::{Context, Finding, RuleMeta, Severity};

/// At most this many problems are reported per object, and schemas are followed this deep.
const MAX_PROBLEMS: usize = 20;
const MAX_DEPTH: usize = 64;

/// One schema violation.
struct Problem {
    pointer: String,
    message: String,
    /// Unknown fields are pruned rather than rejected: a warning, not an error.
    pruned: bool,
}

/// The CRD defining `group`/`kind`: the checkout's, else the dump's.
fn crd_for<'a>(ctx: &Context<'a>, group: &str, kind: &str) -> Option<(&'a Value, String)> {
    let matches = |o: &Value| {
        o.pointer("/spec/group").and_then(Value::as_str) == Some(group)
            && o.pointer("/spec/names/kind").and_then(Value::as_str) == Some(kind)
    };
    let is_crd = |g: &str, k: &str| g == "apiextensions.k8s.io" && k == "CustomResourceDefinition";
    let git = ctx
        .repo
        .manifests
        .iter()
        .find(|m| is_crd(&m.key.group, &m.key.kind) && matches(&m.obj))
        .map(|m| (&m.obj, format!("in `{}`", m.file.path)));
    git.or_else(|| {
        ctx.cluster?
            .objects
            .iter()
            .find(|o| is_crd(&o.key.group, &o.key.kind) && matches(o.obj()))
            .map(|o| (o.obj(), "in the cluster dump".to_string()))
    })
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn type_ok(ty: &str, v: &Value) -> bool {
    match ty {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        _ => true,
    }
}

fn article(ty: &str) -> &'static str {
    match ty {
        "object" => "an object",
        "array" => "a list",
        "string" => "a string",
        "integer" => "an integer",
        "number" => "a number",
        "boolean" => "a boolean",
        _ => "a value of another type",
    }
}

/// `/spec/a/0` → `spec.a[0]`.
fn dotted(pointer: &str) -> String {
    let mut out = String::new();
    for t in pointer.split('/').skip(1) {
        let t = t.replace("~1", "/").replace("~0", "~");
        if t.chars().all(|c| c.is_ascii_digit()) && !t.is_empty() {
            out.push_str(&format!("[{t}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&t);
        }
    }
    out
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

fn nearest<'a>(name: &str, props: &'a Map<String, Value>) -> Option<&'a str> {
    props
        .keys()
        .map(|k| {
            (
                levenshtein(&name.to_ascii_lowercase(), &k.to_ascii_lowercase()),
                k,
            )
        })
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min()
        .map(|(_, k)| k.as_str())
}

fn validate(v: &Value, schema: &Value, pointer: &str, depth: usize, out: &mut Vec<Problem>) {
    if out.len() >= MAX_PROBLEMS || depth > MAX_DEPTH {
        return;
    }
    let at = dotted(pointer);
    if v.is_null() {
        // The API server drops nulls of non-nullable fields (or keeps them when nullable).
        return;
    }
    if schema.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true)) {
        if !(v.is_i64() || v.is_u64() || v.is_string()) {
            out.push(Problem {
                pointer: pointer.to_string(),
                message: format!(
                    "`{at}` is {} but must be an integer or a string",
                    type_name(v)
                ),
                pruned: false,
            });
        }
        return;
    }
    if let Some(ty) = schema.get("type").and_then(Value::as_str) {
        if !type_ok(ty, v) {
            out.push(Problem {
                pointer: pointer.to_string(),
                message: format!("`{at}` is {} but must be {}", type_name(v), article(ty)),
                pruned: false,
            });
            return;
        }
    }
    if let Some(Value::Array(allowed)) = schema.get("enum") {
        if !allowed.contains(v) {
            let list: Vec<String> = allowed
                .iter()
                .take(10)
                .map(|a| {
                    format!(
                        "`{}`",
                        a.as_str().map_or_else(|| a.to_string(), str::to_string)
                    )
                })
                .collect();
            out.push(Problem {
                pointer: pointer.to_string(),
                message: format!("`{at}` must be one of {}", list.join(", ")),
                pruned: false,
            });
        }
    }
    if let Some(n) = v.as_f64() {
        if let Some(min) = schema.get("minimum").and_then(Value::as_f64) {
            if n < min {
                out.push(Problem {
                    pointer: pointer.to_string(),
                    message: format!("`{at}` is below the minimum {min}"),
                    pruned: false,
                });
            }
        }
        if let Some(max) = schema.get("maximum").and_then(Value::as_f64) {
            if n > max {
                out.push(Problem {
                    pointer: pointer.to_string(),
                    message: format!("`{at}` is above the maximum {max}"),
                    pruned: false,
                });
            }
        }
    }
    match v {
        Value::Object(map) => {
            if let Some(Value::Array(req)) = schema.get("required") {
                for r in req.iter().filter_map(Value::as_str) {
                    if !map.contains_key(r) {
                        out.push(Problem {
                            pointer: format!("{pointer}/{}", escape_pointer_token(r)),
                            message: format!(
                                "`{}` is required but missing",
                                dotted(&format!("{pointer}/{}", escape_pointer_token(r)))
                            ),
                            pruned: false,
                        });
                    }
                }
            }
            let props = schema.get("properties").and_then(Value::as_object);
            let additional = schema.get("additionalProperties");
            let preserve =
                schema.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
            let embedded = schema.get("x-kubernetes-embedded-resource") == Some(&Value::Bool(true));
            for (k, child) in map {
                let p = format!("{pointer}/{}", escape_pointer_token(k));
                if let Some(s) = props.and_then(|ps| ps.get(k)) {
                    validate(child, s, &p, depth + 1, out);
                } else if let Some(s) = additional.filter(|a| a.is_object()) {
                    validate(child, s, &p, depth + 1, out);
                } else if preserve
                    || additional == Some(&Value::Bool(true))
                    || (embedded && matches!(k.as_str(), "apiVersion" | "kind" | "metadata"))
                    || (props.is_none() && schema.get("type").is_none())
                {
                    continue;
                } else if out.len() < MAX_PROBLEMS {
                    let hint = props
                        .and_then(|ps| nearest(k, ps))
                        .map(|n| format!(" (did you mean `{n}`?)"))
                        .unwrap_or_default();
                    out.push(Problem {
                        pointer: p.clone(),
                        message: format!(
                            "`{}` is not in the schema{hint}, so the API server silently drops \
                             it: the setting never takes effect and Argo CD keeps reporting the \
                             resource OutOfSync",
                            dotted(&p)
                        ),
                        pruned: true,
                    });
                }
            }
        }
        Value::Array(items) => {
            if let Some(s) = schema.get("items").filter(|s| s.is_object()) {
                for (i, item) in items.iter().enumerate() {
                    validate(item, s, &format!("{pointer}/{i}"), depth + 1, out);
                }
            }
        }
        _ => {}
    }
}

fn locate(m: &Manifest, pointer: &str) -> Location {
    match m.node.pointer_entry(pointer) {
        Some((_, key_span)) => m.location_of(key_span),
        None => m.locate(pointer),
    }
}

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for m in &ctx.repo.manifests {
        // Custom resource groups always contain a dot; built-in ones (`apps`, `batch`) do not.
        if !m.key.group.contains('.') {
            continue;
        }
        let Some((crd, from)) = crd_for(ctx, &m.key.group, &m.key.kind) else {
            continue;
        };
        let crd_name = crd
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        let version = version_of(&m.api_version);
        let versions = crd.pointer("/spec/versions").and_then(Value::as_array);
        let entry = versions.and_then(|vs| {
            vs.iter()
                .find(|v| v.get("name").and_then(Value::as_str) == Some(version))
        });
        let what = format!("{} `{}`", m.key.kind, m.key.name);
        let Some(entry) = entry else {
            let served: Vec<String> = versions
                .into_iter()
                .flatten()
                .filter(|v| v.get("served") != Some(&Value::Bool(false)))
                .filter_map(|v| v.get("name").and_then(Value::as_str))
                .map(|n| format!("`{}/{n}`", m.key.group))
                .collect();
            let message = format!(
                "{what} uses `apiVersion: {}`, but CRD `{crd_name}` ({from}) has no version \
                 `{version}`: the sync fails with `no matches for kind`. Use {}",
                m.api_version,
                if served.is_empty() {
                    "a version the CRD serves".to_string()
                } else {
                    served.join(" or ")
                }
            );
            out.push(
                Finding::new(meta, message, m.locate("/apiVersion"))
                    .with_object(&m.key)
                    .with_pointer("/apiVersion"),
            );
            continue;
        };
        if entry.get("served") == Some(&Value::Bool(false)) {
            let storage = versions
                .into_iter()
                .flatten()
                .find(|v| v.get("storage") == Some(&Value::Bool(true)))
                .and_then(|v| v.get("name").and_then(Value::as_str))
                .map_or_else(
                    || "a version the CRD serves".to_string(),
                    |n| format!("`{}/{n}`", m.key.group),
                );
            let message = format!(
                "{what} uses `apiVersion: {}`, which CRD `{crd_name}` ({from}) no longer serves: \
                 the sync fails. Use {storage}",
                m.api_version
            );
            out.push(
                Finding::new(meta, message, m.locate("/apiVersion"))
                    .with_object(&m.key)
                    .with_pointer("/apiVersion"),
            );
            continue;
        }
        let schema = entry
            .pointer("/schema/openAPIV3Schema")
            .or_else(|| crd.pointer("/spec/validation/openAPIV3Schema"));
        let Some(schema) = schema else { continue };
        let Value::Object(root) = &m.obj else {
            continue;
        };
        let mut problems = Vec::new();
        let props = schema.get("properties").and_then(Value::as_object);
        for (k, v) in root {
            if matches!(k.as_str(), "apiVersion" | "kind" | "metadata" | "status") {
                continue;
            }
            let p = format!("/{}", escape_pointer_token(k));
            match props.and_then(|ps| ps.get(k)) {
                Some(s) => validate(v, s, &p, 1, &mut problems),
                None if props.is_some()
                    && schema.get("x-kubernetes-preserve-unknown-fields")
                        != Some(&Value::Bool(true)) =>
                {
                    problems.push(Problem {
                        pointer: p.clone(),
                        message: format!(
                            "`{k}` is not in the schema, so the API server silently drops it: \
                             the setting never takes effect and Argo CD keeps reporting the \
                             resource OutOfSync"
                        ),
                        pruned: true,
                    });
                }
                None => {}
            }
        }
        if let Some(Value::Array(req)) = schema.get("required") {
            for r in req.iter().filter_map(Value::as_str) {
                if !root.contains_key(r) {
                    problems.push(Problem {
                        pointer: format!("/{}", escape_pointer_token(r)),
                        message: format!("`{r}` is required but missing"),
                        pruned: false,
                    });
                }
            }
        }
        for p in problems {
            let consequence = if p.pruned {
                String::new()
            } else {
                ": the API server rejects the object, so the sync fails".to_string()
            };
            let message = format!(
                "{what}: {}{consequence}. Fix it to match the schema of CRD `{crd_name}` \
                 version `{version}` ({from})",
                p.message
            );
            let mut f = Finding::new(meta, message, locate(m, &p.pointer))
                .with_object(&m.key)
                .with_pointer(p.pointer);
            if p.pruned {
                f.severity = Severity::Warning;
            }
            out.push(f);
        }
    }
}
