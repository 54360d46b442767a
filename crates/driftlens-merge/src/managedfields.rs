//! `metadata.managedFields` (`fieldsV1` format) parsing and path resolution.
//!
//! A `fieldsV1` tree uses `f:<name>` for a field, `k:<json object>` for the list item whose
//! key fields equal that object, `v:<json value>` for a set item and `i:<n>` for a list index;
//! a `.` entry means the node itself is owned. This module turns a manager's tree into
//! concrete locations inside a document and is used by the `managedFieldsManagers` ignore
//! rule and by the structured-merge approximation.

use serde_json::{Map, Value};

/// One step of a `fieldsV1` path.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldSeg {
    /// `f:<name>`.
    Field(String),
    /// `k:{...}`: list item matching all key fields.
    Key(Map<String, Value>),
    /// `v:<value>`: set item equal to the value.
    Value(Value),
    /// `i:<n>`: list index.
    Index(usize),
}

/// One concrete step in a document.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Loc {
    /// Object key.
    Key(String),
    /// Array index.
    Index(usize),
}

/// The owned paths of the entries of `managedFields` whose `manager` is `manager` (and, when
/// given, whose `operation` is `operation`). Each path is a leaf; with `include_nodes`, nodes
/// marked `.` (ownership of a map or list item itself) are included too.
pub fn owned_paths(
    live: &Value,
    manager: &str,
    operation: Option<&str>,
    include_nodes: bool,
) -> Vec<Vec<FieldSeg>> {
    let mut out = Vec::new();
    let Some(entries) = live
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
    else {
        return out;
    };
    for e in entries {
        if e.get("manager").and_then(Value::as_str) != Some(manager) {
            continue;
        }
        if let Some(op) = operation {
            if e.get("operation").and_then(Value::as_str) != Some(op) {
                continue;
            }
        }
        if let Some(tree) = e.get("fieldsV1") {
            collect(tree, &mut Vec::new(), &mut out, include_nodes, 0);
        }
    }
    out
}

/// Whether any manager other than those named owns anything in live.
pub fn has_managed_fields(live: &Value) -> bool {
    live.pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty())
}

fn collect(
    tree: &Value,
    prefix: &mut Vec<FieldSeg>,
    out: &mut Vec<Vec<FieldSeg>>,
    include_nodes: bool,
    depth: usize,
) {
    let Some(obj) = tree.as_object() else { return };
    if depth > crate::MAX_DEPTH {
        return;
    }
    if obj.is_empty() {
        if !prefix.is_empty() {
            out.push(prefix.clone());
        }
        return;
    }
    if include_nodes && obj.contains_key(".") && !prefix.is_empty() {
        out.push(prefix.clone());
    }
    for (k, v) in obj {
        let Some(seg) = parse_seg(k) else { continue };
        prefix.push(seg);
        collect(v, prefix, out, include_nodes, depth + 1);
        prefix.pop();
    }
}

fn parse_seg(s: &str) -> Option<FieldSeg> {
    if let Some(name) = s.strip_prefix("f:") {
        return Some(FieldSeg::Field(name.to_string()));
    }
    if let Some(k) = s.strip_prefix("k:") {
        return match serde_json::from_str::<Value>(k).ok()? {
            Value::Object(m) => Some(FieldSeg::Key(m)),
            _ => None,
        };
    }
    if let Some(v) = s.strip_prefix("v:") {
        return serde_json::from_str(v).ok().map(FieldSeg::Value);
    }
    if let Some(i) = s.strip_prefix("i:") {
        return i.parse().ok().map(FieldSeg::Index);
    }
    None
}

/// Resolves a `fieldsV1` path to a concrete location in `doc`, if it exists there.
pub fn resolve(doc: &Value, path: &[FieldSeg]) -> Option<Vec<Loc>> {
    let mut cur = doc;
    let mut locs = Vec::with_capacity(path.len());
    for seg in path {
        match seg {
            FieldSeg::Field(name) => {
                cur = cur.as_object()?.get(name)?;
                locs.push(Loc::Key(name.clone()));
            }
            FieldSeg::Key(keys) => {
                let arr = cur.as_array()?;
                let idx = arr.iter().position(|item| key_matches(item, keys))?;
                cur = &arr[idx];
                locs.push(Loc::Index(idx));
            }
            FieldSeg::Value(v) => {
                let arr = cur.as_array()?;
                let idx = arr.iter().position(|item| item == v)?;
                cur = &arr[idx];
                locs.push(Loc::Index(idx));
            }
            FieldSeg::Index(i) => {
                cur = cur.as_array()?.get(*i)?;
                locs.push(Loc::Index(*i));
            }
        }
    }
    Some(locs)
}

/// Whether a list item carries all the key fields with equal values (numbers compared by
/// value, so `80` matches `80.0`).
pub fn key_matches(item: &Value, keys: &Map<String, Value>) -> bool {
    keys.iter().all(|(k, want)| match item.get(k) {
        Some(have) => json_eq(have, want),
        None => false,
    })
}

fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// Reads the value at a location.
pub fn get<'a>(doc: &'a Value, locs: &[Loc]) -> Option<&'a Value> {
    let mut cur = doc;
    for l in locs {
        cur = match l {
            Loc::Key(k) => cur.as_object()?.get(k)?,
            Loc::Index(i) => cur.as_array()?.get(*i)?,
        };
    }
    Some(cur)
}

/// Removes the value at a location; returns whether something was removed.
pub fn remove(doc: &mut Value, locs: &[Loc]) -> bool {
    let Some((last, parent_path)) = locs.split_last() else {
        return false;
    };
    let mut cur = doc;
    for l in parent_path {
        let next = match l {
            Loc::Key(k) => cur.as_object_mut().and_then(|o| o.get_mut(k)),
            Loc::Index(i) => cur.as_array_mut().and_then(|a| a.get_mut(*i)),
        };
        match next {
            Some(n) => cur = n,
            None => return false,
        }
    }
    match (last, cur) {
        (Loc::Key(k), Value::Object(o)) => o.remove(k).is_some(),
        (Loc::Index(i), Value::Array(a)) if *i < a.len() => {
            a.remove(*i);
            true
        }
        _ => false,
    }
}

/// Removes many locations from one document, deepest and highest index first, so earlier
/// removals never shift later ones.
pub fn remove_all(doc: &mut Value, mut locs: Vec<Vec<Loc>>) {
    locs.sort();
    locs.dedup();
    for l in locs.iter().rev() {
        remove(doc, l);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_and_resolves_fields_v1() {
        let live = json!({
            "metadata": {"managedFields": [
                {"manager": "kube-controller-manager", "operation": "Update",
                 "fieldsV1": {"f:spec": {"f:replicas": {}}}},
                {"manager": "kubectl", "operation": "Apply",
                 "fieldsV1": {"f:spec": {"f:template": {"f:spec": {"f:containers": {
                    "k:{\"name\":\"app\"}": {".": {}, "f:image": {}}}}}}}}
            ]},
            "spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "side"}, {"name": "app", "image": "x"}]}}}
        });
        let paths = owned_paths(&live, "kube-controller-manager", None, false);
        assert_eq!(
            paths,
            vec![vec![
                FieldSeg::Field("spec".into()),
                FieldSeg::Field("replicas".into())
            ]]
        );
        let paths = owned_paths(&live, "kubectl", Some("Apply"), true);
        assert_eq!(paths.len(), 2);
        let locs: Vec<_> = paths.iter().filter_map(|p| resolve(&live, p)).collect();
        assert!(locs.contains(&vec![
            Loc::Key("spec".into()),
            Loc::Key("template".into()),
            Loc::Key("spec".into()),
            Loc::Key("containers".into()),
            Loc::Index(1),
            Loc::Key("image".into())
        ]));
        let mut doc = live.clone();
        remove_all(&mut doc, locs);
        assert_eq!(
            doc["spec"]["template"]["spec"]["containers"],
            json!([{"name": "side"}])
        );
    }
}
