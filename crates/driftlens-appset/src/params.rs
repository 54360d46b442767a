//! Parameter sets: what generators produce and templates read.
//!
//! The controller holds a parameter set as Go's `map[string]any`; here it is a map of
//! template values ([`Value`]): strings, `float64` numbers, booleans, nil, lists and maps. In
//! the flat (fasttemplate) mode the keys are dotted (`path.basename`, `values.env`) and the
//! values strings; in Go-template mode they nest (`.path.basename`).

use std::collections::BTreeMap;

use driftlens_gotmpl::value::Map;
use driftlens_gotmpl::Value;

/// What a parameter set (and so a generated Application) came from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Origin {
    /// An element of a list generator, at this JSON pointer of the ApplicationSet (elements
    /// of `elementsYaml` point at that field).
    Element(String),
    /// A directory of a repository (git directories generator).
    Directory {
        /// `repoURL` of the generator.
        repo_url: String,
        /// The directory, relative to the repository root.
        path: String,
    },
    /// A file of a repository (git files generator).
    File {
        /// `repoURL` of the generator.
        repo_url: String,
        /// The file, relative to the repository root.
        path: String,
    },
    /// A cluster Secret, by the id its [`crate::ClusterSecret`] was given.
    Cluster(String),
    /// The local cluster the clusters generator adds.
    InCluster,
}

/// One parameter set and where it came from.
#[derive(Debug, Clone, Default)]
pub struct ParamSet {
    /// The parameters.
    pub values: Map,
    /// What produced it (two or more for matrix and merge combinations).
    pub origins: Vec<Origin>,
}

impl ParamSet {
    /// A parameter set from one origin.
    pub fn new(values: Map, origin: Origin) -> ParamSet {
        ParamSet {
            values,
            origins: vec![origin],
        }
    }

    /// The parameters as the Go template engine's dot.
    pub fn dot(&self) -> Value {
        Value::map(self.values.clone())
    }

    /// The parameters as JSON (for reports and tests).
    pub fn to_json(&self) -> serde_json::Value {
        Value::map(self.values.clone())
            .to_json()
            .unwrap_or(serde_json::Value::Null)
    }

    /// A rough size in bytes, for the memory budget.
    pub fn size(&self) -> usize {
        self.values
            .iter()
            .map(|(k, v)| k.len() + value_size(v, 0))
            .sum()
    }
}

fn value_size(v: &Value, depth: usize) -> usize {
    if depth > 64 {
        return 0;
    }
    match v {
        Value::Str(s) => s.len() + 16,
        Value::List(l) => 16 + l.iter().map(|e| value_size(e, depth + 1)).sum::<usize>(),
        Value::Map(m) => {
            16 + m
                .borrow()
                .iter()
                .map(|(k, e)| k.len() + value_size(e, depth + 1))
                .sum::<usize>()
        }
        _ => 16,
    }
}

/// `%v` of a value, as the controller formats flattened parameters.
pub fn format_v(v: &Value) -> String {
    driftlens_gotmpl::fmt::sprint_value(v)
}

/// Whether a list is Go's `[]string` of `path.segments`, a leaf for flattening: it sits under
/// `segments` in a git path parameter map.
fn is_segments(parent: &Map, key: &str) -> bool {
    key == "segments"
        && parent.contains_key("basename")
        && parent.contains_key("basenameNormalized")
}

/// jeremywohl/flatten with `DotStyle` after the controller's `normalizeMapForFlatten`: nested
/// maps and lists become dotted keys (`a.b`, `list.0`), leaves are printed with `%v`, empty
/// maps and lists vanish. What post-selectors match on.
pub fn flatten(values: &Map) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    flatten_into(&mut out, values, "", 0);
    out
}

fn flatten_into(out: &mut BTreeMap<String, String>, m: &Map, prefix: &str, depth: usize) {
    for (k, v) in m {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        flatten_value(out, v, key, is_segments(m, k), depth);
    }
}

fn flatten_value(
    out: &mut BTreeMap<String, String>,
    v: &Value,
    key: String,
    leaf: bool,
    depth: usize,
) {
    if depth > 100 {
        return;
    }
    match v {
        Value::Map(inner) if !leaf => flatten_into(out, &inner.borrow(), &key, depth + 1),
        Value::List(items) if !leaf => {
            for (i, e) in items.iter().enumerate() {
                flatten_value(out, e, format!("{key}.{i}"), false, depth + 1);
            }
        }
        _ => {
            out.insert(key, format_v(v));
        }
    }
}

/// `json.Marshal` of a value (sorted keys, `<`, `>` and `&` escaped), as the merge generator
/// builds its keys.
pub fn json_marshal(v: &Value) -> String {
    driftlens_gotmpl::funcs::encoding::to_json(v, true, None).unwrap_or_else(|_| "null".into())
}

/// The JSON type name of a value, as Go's `encoding/json` errors name it.
pub(crate) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Str(_) => "string",
        Value::Float(_) | Value::Int(_) | Value::Int64(_) => "number",
        Value::Bool(_) => "bool",
        Value::List(_) => "array",
        _ => "object",
    }
}

/// A JSON value as the controller decodes it into `interface{}` (numbers are `float64`).
pub fn from_json(j: &serde_json::Value) -> Value {
    Value::from_json(j)
}

/// A string value.
pub fn s(text: impl AsRef<str>) -> Value {
    Value::str(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flatten_like_the_selector_does() {
        let v = from_json(&serde_json::json!({
            "a": {"b": 1000000, "c": [true, null]}, "e": {}, "l": [],
            "path": {"path": "x/y", "basename": "y", "basenameNormalized": "y",
                     "segments": ["x", "y"]}
        }));
        let Value::Map(m) = v else { unreachable!() };
        let flat = flatten(&m.borrow());
        let got: Vec<(&str, &str)> = flat.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            got,
            vec![
                ("a.b", "1e+06"),
                ("a.c.0", "true"),
                ("a.c.1", "<nil>"),
                ("path.basename", "y"),
                ("path.basenameNormalized", "y"),
                ("path.path", "x/y"),
                ("path.segments", "[x y]"),
            ]
        );
    }

    #[test]
    fn json_keys_like_go() {
        let v = from_json(&serde_json::json!({"b": "x<y", "a": 1.5, "n": null}));
        assert_eq!(json_marshal(&v), r#"{"a":1.5,"b":"x\u003cy","n":null}"#);
    }
}
