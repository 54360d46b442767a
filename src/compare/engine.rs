//! The comparison of one desired/live pair as the rest of driftlens sees it: modified or not,
//! and which fields differ.
//!
//! This module is the seam between the per-Application logic ([`super::app`]) and the diff
//! modes. It currently implements Argo CD's two-way legacy comparison for the common case:
//! `/status` and the matching ignoreDifferences JSON pointers are removed from both sides, then
//! every field written in Git must equal the live one; fields only present live are not
//! differences; lists of objects with a `name` are matched by name (like the strategic-merge
//! keys of containers, env, volumes), other lists are compared whole.

use serde::Serialize;
use serde_json::Value;

use crate::load::yaml::{escape_pointer_token, unescape_pointer_token};
use crate::model::argocd::IgnoreDifference;
use crate::model::settings::ArgoSettings;

/// One differing field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldDiff {
    /// RFC 6901 pointer into the object.
    pub pointer: String,
    /// The value Git wants (`None`: Git removes the field).
    pub desired: Option<Value>,
    /// The live value (`None`: absent live).
    pub live: Option<Value>,
}

/// The outcome of comparing one pair.
#[derive(Debug, Clone, Serialize)]
pub struct PairDiff {
    /// Argo CD would report the resource as modified.
    pub modified: bool,
    /// Which comparison was used.
    pub mode: &'static str,
    /// The differing fields, sorted by pointer.
    pub differences: Vec<FieldDiff>,
}

fn remove_pointer(v: &mut Value, pointer: &str) {
    let Some(rest) = pointer.strip_prefix('/') else {
        return;
    };
    let tokens: Vec<String> = rest
        .split('/')
        .map(|t| unescape_pointer_token(t).into_owned())
        .collect();
    let Some((last, parents)) = tokens.split_last() else {
        return;
    };
    let mut cur = v;
    for t in parents {
        cur = match cur {
            Value::Object(m) => match m.get_mut(t) {
                Some(x) => x,
                None => return,
            },
            Value::Array(a) => match t.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                Some(x) => x,
                None => return,
            },
            _ => return,
        };
    }
    match cur {
        Value::Object(m) => {
            m.remove(last);
        }
        Value::Array(a) => {
            if let Ok(i) = last.parse::<usize>() {
                if i < a.len() {
                    a.remove(i);
                }
            }
        }
        _ => {}
    }
}

fn keyed_by_name(list: &[Value]) -> bool {
    !list.is_empty()
        && list
            .iter()
            .all(|x| x.get("name").and_then(Value::as_str).is_some())
}

fn walk(
    desired: &Value,
    live: Option<&Value>,
    pointer: &str,
    depth: usize,
    out: &mut Vec<FieldDiff>,
) {
    if depth > 100 {
        return;
    }
    match (desired, live) {
        (Value::Object(d), Some(Value::Object(l))) => {
            for (k, dv) in d {
                let p = format!("{pointer}/{}", escape_pointer_token(k));
                match (dv, l.get(k)) {
                    (Value::Null, None) => {}
                    (_, lv) => walk(dv, lv, &p, depth + 1, out),
                }
            }
        }
        (Value::Array(d), Some(Value::Array(l))) if keyed_by_name(d) && keyed_by_name(l) => {
            let order_d: Vec<&str> = d.iter().filter_map(|x| x.get("name")?.as_str()).collect();
            for (i, dv) in d.iter().enumerate() {
                let name = dv.get("name").and_then(Value::as_str).unwrap_or("");
                let lv = l
                    .iter()
                    .find(|x| x.get("name").and_then(Value::as_str) == Some(name));
                walk(dv, lv, &format!("{pointer}/{i}"), depth + 1, out);
            }
            // Reordering keyed items is a difference.
            let order_l: Vec<&str> = l
                .iter()
                .filter_map(|x| x.get("name")?.as_str())
                .filter(|n| order_d.contains(n))
                .collect();
            if order_l != order_d && order_l.len() == order_d.len() {
                out.push(FieldDiff {
                    pointer: pointer.to_string(),
                    desired: Some(Value::Array(d.clone())),
                    live: Some(Value::Array(l.clone())),
                });
            }
        }
        (d, Some(l)) if d == l => {}
        (d, l) => out.push(FieldDiff {
            pointer: pointer.to_string(),
            desired: Some(d.clone()),
            live: l.cloned(),
        }),
    }
}

/// Compares a desired object (already defaulted and tracked) with its live counterpart.
pub fn compare_pair(
    desired: &Value,
    live: &Value,
    rules: &[&IgnoreDifference],
    _server_side_apply: bool,
    _settings: &ArgoSettings,
) -> PairDiff {
    let mut d = desired.clone();
    let mut l = live.clone();
    for v in [&mut d, &mut l] {
        remove_pointer(v, "/metadata/creationTimestamp");
        for r in rules {
            for p in &r.json_pointers {
                remove_pointer(v, p);
            }
        }
    }
    let mut differences = Vec::new();
    walk(&d, Some(&l), "", 0, &mut differences);
    differences.sort_by(|a, b| a.pointer.cmp(&b.pointer));
    PairDiff {
        modified: !differences.is_empty(),
        mode: "legacy-2way",
        differences,
    }
}
