//! The generators and `Transform`, which runs the generators of one entry of
//! `spec.generators` (or of a matrix/merge child), merges their template overrides and
//! applies the entry's post-selector.

pub mod clusters;
pub mod git;
pub mod list;
pub mod matrix;
pub mod merge;

use std::collections::BTreeMap;

use driftlens_gotmpl::value::Map;
use driftlens_gotmpl::Value;
use serde_json::Value as J;

use crate::params::{flatten, ParamSet};
use crate::render::{Options as RenderOptions, Renderer};
use crate::schema::{self, TEMPLATE};
use crate::{Cx, Failure, NotExpanded};

/// The generator kinds of an entry, in the order of the Go struct's fields (the order in
/// which an entry with several kinds is processed).
pub const KINDS: &[&str] = &[
    "list",
    "clusters",
    "git",
    "scmProvider",
    "clusterDecisionResource",
    "pullRequest",
    "matrix",
    "merge",
    "plugin",
];

/// Kinds whose generator has a `values` map.
const VALUES_KINDS: &[&str] = &[
    "clusters",
    "git",
    "scmProvider",
    "clusterDecisionResource",
    "pullRequest",
    "plugin",
];

/// Where in the nesting a generator entry sits: a top-level entry, a child of a top-level
/// matrix or merge (which may itself be a matrix or merge), or a child of such a nested one
/// (which may not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// `spec.generators[i]`.
    Top,
    /// A child of a top-level matrix or merge.
    Nested,
    /// A child of a nested matrix or merge.
    Terminal,
}

/// The parameter sets of one generator kind of an entry, with the template to render them
/// with.
#[derive(Debug)]
pub struct Transformed {
    /// Parameter sets that passed the entry's selector.
    pub params: Vec<ParamSet>,
    /// The generator's template override merged with the base template (canonical).
    pub template: J,
    /// JSON pointer of the generator's own `template`, when it has one.
    pub template_pointer: Option<String>,
}

/// Why a generator kind is not expanded offline.
fn not_expanded_reason(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "scmProvider" => {
            "the scmProvider generator lists repositories and branches through the API of a source \
             code host (GitHub, GitLab, Bitbucket, Gitea, Azure DevOps, AWS CodeCommit), which an \
             offline scan does not call"
        }
        "pullRequest" => {
            "the pullRequest generator lists open pull requests through the API of a source code \
             host, which an offline scan does not call"
        }
        "clusterDecisionResource" => {
            "the clusterDecisionResource generator reads the status of a resource in the cluster \
             (named by a ConfigMap of the Argo CD namespace), which an offline scan does not have"
        }
        "plugin" => {
            "the plugin generator asks an HTTP service for its parameters, which an offline scan \
             does not call"
        }
        _ => return None,
    })
}

/// `Transform`: the parameter sets of every generator kind of an entry.
pub fn transform(
    entry: &J,
    pointer: &str,
    base_template: &J,
    cx: &Cx,
    gen_params: Option<&ParamSet>,
    level: Level,
) -> Result<Vec<Transformed>, Failure> {
    cx.check_time(pointer)?;
    let Some(obj) = entry.as_object() else {
        return Err(cx.error(pointer, "a generator must be a mapping".to_string()));
    };
    let selector = crate::selector::parse(obj.get("selector"), false).map_err(|e| {
        cx.error(
            &format!("{pointer}/selector"),
            format!("error parsing label selector: {e}"),
        )
    })?;
    let kinds: Vec<&str> = KINDS
        .iter()
        .copied()
        .filter(|k| obj.get(*k).is_some_and(|v| !v.is_null()))
        .filter(|k| level != Level::Terminal || !matches!(*k, "matrix" | "merge"))
        .collect();
    let interpolated;
    let entry = match gen_params {
        Some(p) if !p.values.is_empty() => {
            interpolated = interpolate(entry, p, &cx.render).map_err(|e| {
                cx.error(
                    pointer,
                    format!("failed to replace parameters in generator: {e}"),
                )
            })?;
            &interpolated
        }
        _ => entry,
    };
    let mut out = Vec::new();
    for kind in kinds {
        let kind_pointer = format!("{pointer}/{kind}");
        let gen = &entry[kind];
        let own = gen.get("template").filter(|t| !t.is_null());
        let mut dropped = Vec::new();
        let own_template = schema::decode(
            &TEMPLATE,
            own.unwrap_or(&J::Null),
            &format!(
                "{}.template",
                kind_pointer.trim_start_matches('/').replace('/', ".")
            ),
            &mut dropped,
        )
        .map_err(|e| cx.error(&format!("{kind_pointer}/template"), e.to_string()))?;
        cx.dropped.borrow_mut().extend(dropped);
        let template = schema::merge_fill(&TEMPLATE, &own_template, base_template);
        let params = match kind {
            "list" => list::generate(gen, &kind_pointer, cx)?,
            "clusters" => clusters::generate(gen, &kind_pointer, cx)?,
            "git" => git::generate(gen, &kind_pointer, cx)?,
            "matrix" => matrix::generate(gen, &kind_pointer, cx, level)?,
            "merge" => merge::generate(gen, &kind_pointer, cx, level)?,
            other => {
                return Err(Failure::NotExpanded(NotExpanded {
                    pointer: kind_pointer.clone(),
                    kind: other.to_string(),
                    reason: not_expanded_reason(other)
                        .unwrap_or("unknown generator")
                        .to_string(),
                }))
            }
        };
        let params = match &selector {
            Some(sel) => params
                .into_iter()
                .filter(|p| sel.matches(&flatten(&p.values)))
                .collect(),
            None => params,
        };
        out.push(Transformed {
            params,
            template,
            template_pointer: own.map(|_| format!("{kind_pointer}/template")),
        });
    }
    Ok(out)
}

/// `RenderGeneratorParams`: every string of a generator entry (and its map keys) rendered
/// with the parameters of a matrix's first child; the `values` of the generators are
/// pre-resolved with `missingkey=error`, keeping a value whose key is missing as written.
pub fn interpolate(entry: &J, params: &ParamSet, render: &Renderer) -> Result<J, String> {
    interpolate_entry(entry, params, render)
        .map_err(|e| format!("failed to replace parameters in generator: {e}"))
}

fn interpolate_entry(entry: &J, params: &ParamSet, render: &Renderer) -> Result<J, String> {
    let dot = params.dot();
    let mut r = |s: &str| render.replace(s, &params.values, &dot, RenderOptions::Spec);
    let Some(obj) = entry.as_object() else {
        return schema::walk_raw(entry, &mut r);
    };
    let mut out = serde_json::Map::new();
    for (k, v) in obj {
        let w = if VALUES_KINDS.contains(&k.as_str()) && v.is_object() {
            interpolate_kind(v, params, &dot, render)?
        } else if matches!(k.as_str(), "matrix" | "merge") && v.is_object() {
            let mut m = serde_json::Map::new();
            for (mk, mv) in v.as_object().into_iter().flatten() {
                let w = match (mk.as_str(), mv) {
                    ("generators", J::Array(children)) => J::Array(
                        children
                            .iter()
                            .map(|c| interpolate_entry(c, params, render))
                            .collect::<Result<Vec<_>, _>>()?,
                    ),
                    _ => schema::walk_raw(mv, &mut r)?,
                };
                m.insert(mk.clone(), w);
            }
            J::Object(m)
        } else {
            schema::walk_raw(v, &mut r)?
        };
        out.insert(k.clone(), w);
    }
    Ok(J::Object(out))
}

fn interpolate_kind(
    gen: &J,
    params: &ParamSet,
    dot: &Value,
    render: &Renderer,
) -> Result<J, String> {
    let mut r = |s: &str| render.replace(s, &params.values, dot, RenderOptions::Spec);
    let obj = gen.as_object().cloned().unwrap_or_default();
    let mut out = serde_json::Map::new();
    for (k, v) in &obj {
        if k == "values" {
            if let J::Object(values) = v {
                let mut resolved = serde_json::Map::new();
                for (vk, vv) in values {
                    let text = vv.as_str().unwrap_or("");
                    let opts = if render.go() {
                        RenderOptions::MissingKeyError
                    } else {
                        RenderOptions::Spec
                    };
                    let value = match render.replace(text, &params.values, dot, opts) {
                        Ok(s) => s,
                        Err(e)
                            if e.contains("map has no entry for key")
                                || e.contains("can't evaluate field") =>
                        {
                            text.to_string()
                        }
                        Err(e) => {
                            return Err(format!("failed to pre-resolve Values key {vk:?}: {e}"))
                        }
                    };
                    resolved.insert(vk.clone(), J::String(value));
                }
                out.insert(k.clone(), J::Object(resolved));
                continue;
            }
        }
        out.insert(k.clone(), schema::walk_raw(v, &mut r)?);
    }
    Ok(J::Object(out))
}

/// A generator's `values` as a string map (non-strings are refused by the API server; they
/// are printed here).
pub fn values_of(gen: &J) -> BTreeMap<String, String> {
    match gen.get("values") {
        Some(J::Object(m)) => m
            .iter()
            .map(|(k, v)| {
                let s = match v {
                    J::String(s) => s.clone(),
                    J::Null => String::new(),
                    other => other.to_string(),
                };
                (k.clone(), s)
            })
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// `appendTemplatedValues`: each value rendered once against the parameter set as it is
/// (values never see other values), stored as `values.KEY` (flat) or under a `values` map
/// that replaces any `values` parameter (Go templates).
pub fn append_values(
    values: &BTreeMap<String, String>,
    params: &mut Map,
    render: &Renderer,
) -> Result<(), String> {
    if values.is_empty() {
        return Ok(());
    }
    let dot = Value::map(params.clone());
    let mut rendered = Vec::with_capacity(values.len());
    for (k, v) in values {
        let r = render
            .replace(v, params, &dot, RenderOptions::Spec)
            .map_err(|e| {
                format!("failed to replace templated string: failed to replace templated string with rendered values: {e}")
            })?;
        rendered.push((k.clone(), r));
    }
    if render.go() {
        let m: Map = rendered
            .into_iter()
            .map(|(k, v)| (k, Value::from(v)))
            .collect();
        params.insert("values".into(), Value::map(m));
    } else {
        for (k, v) in rendered {
            params.insert(format!("values.{k}"), Value::from(v));
        }
    }
    Ok(())
}

/// The string value of a generator field (`""` when absent).
pub fn str_field<'a>(gen: &'a J, key: &str) -> &'a str {
    gen.get(key).and_then(J::as_str).unwrap_or("")
}
