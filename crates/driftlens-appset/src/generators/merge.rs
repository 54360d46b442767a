//! The merge generator: the first child's parameter sets, each overridden by the sets of
//! later children that agree with it on the merge keys.

use std::collections::BTreeSet;

use driftlens_gotmpl::value::Map;
use driftlens_gotmpl::Value;
use serde_json::Value as J;

use super::matrix::{child_params, children, merge_override};
use super::Level;
use crate::params::{json_marshal, ParamSet};
use crate::{Cx, Failure};

/// The merge key of a parameter set: `json.Marshal` of `{key: set[key]}` over the
/// de-duplicated merge keys (absent keys are null).
fn key_of(keys: &BTreeSet<&str>, set: &ParamSet) -> String {
    let m: Map = keys
        .iter()
        .map(|k| {
            (
                k.to_string(),
                set.values.get(*k).cloned().unwrap_or(Value::Nil),
            )
        })
        .collect();
    json_marshal(&Value::map(m))
}

fn by_key(keys: &BTreeSet<&str>, sets: Vec<ParamSet>) -> Result<Vec<(String, ParamSet)>, String> {
    if keys.is_empty() {
        return Err("no merge keys were specified, Merge requires at least one".into());
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(sets.len());
    for s in sets {
        let k = key_of(keys, &s);
        if !seen.insert(k.clone()) {
            return Err(format!(
                "the parameters from a generator were not unique by the given mergeKeys, Merge requires all param sets to be unique. Duplicate key was {k}"
            ));
        }
        out.push((k, s));
    }
    Ok(out)
}

/// The merge generator's parameter sets, in the first child's order (the controller's order
/// is Go's map order, unspecified).
pub fn generate(gen: &J, pointer: &str, cx: &Cx, level: Level) -> Result<Vec<ParamSet>, Failure> {
    let (kids, child_level) = children(gen, pointer, cx, level)?;
    if kids.len() < 2 {
        return Err(cx.error(
            pointer,
            "found less than two generators, Merge requires two or more".into(),
        ));
    }
    let mut all = Vec::with_capacity(kids.len());
    for (i, child) in kids.iter().enumerate() {
        let p = format!("{pointer}/generators/{i}");
        let sets = child_params(child, &p, cx, None, child_level).map_err(|f| {
            f.wrap(&format!(
                "error getting param sets from generators: error getting params from generator {} of {}: ",
                i + 1,
                kids.len()
            ))
        })?;
        all.push(sets);
    }
    let keys: BTreeSet<&str> = match gen.get("mergeKeys") {
        Some(J::Array(a)) => a.iter().filter_map(J::as_str).collect(),
        _ => BTreeSet::new(),
    };
    let wrap = |e: String| {
        cx.error(
            pointer,
            format!("error getting param sets by merge key: {e}"),
        )
    };
    let mut rest = all.into_iter();
    let mut base = by_key(&keys, rest.next().unwrap_or_default()).map_err(wrap)?;
    for sets in rest {
        let overrides = by_key(&keys, sets).map_err(wrap)?;
        let overrides: std::collections::HashMap<&str, &ParamSet> =
            overrides.iter().map(|(k, s)| (k.as_str(), s)).collect();
        for (k, b) in base.iter_mut() {
            if let Some(o) = overrides.get(k.as_str()) {
                if cx.render.go() {
                    merge_override(&mut b.values, &o.values, 0);
                } else {
                    for (ok, ov) in &o.values {
                        b.values.insert(ok.clone(), ov.clone());
                    }
                }
                b.origins.extend(o.origins.iter().cloned());
            }
        }
    }
    let out: Vec<ParamSet> = base.into_iter().map(|(_, s)| s).collect();
    cx.count(pointer, out.len())?;
    Ok(out)
}
