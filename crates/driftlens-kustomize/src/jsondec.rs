//! Decoding a kustomization (or a plugin config) the way kustomize does: sigs.k8s.io/yaml
//! `YAMLToJSON` (go-yaml v2, YAML 1.1 scalars, keys turned into strings and sorted), then
//! `encoding/json` into Go structs with `DisallowUnknownFields`: field names match exactly or
//! case-insensitively, unknown fields and type mismatches fail with Go's own messages, and the
//! first error in key order wins.

use std::collections::BTreeMap;

use crate::yaml::node::{Data, Node, Tag};
use crate::yaml::parse::{parse_first, ReadOptions};
use crate::yaml::resolve::Version;
use crate::yaml::value::Value;

/// sigs.k8s.io/yaml `YAMLToJSON` of the first document, as a [`Value`] (keys sorted).
pub fn yaml_to_json(text: &str) -> Result<Value, String> {
    let node = parse_first(
        text,
        ReadOptions {
            version: Version::V2,
            file: 0,
        },
        0,
    )
    .map_err(|e| e.message)?;
    match node {
        None => Ok(Value::Null),
        Some(n) => node_to_json(&n),
    }
}

/// go-yaml v2 decode + sigs.k8s.io/yaml's JSON conversion of a node read with v2 rules.
pub fn node_to_json(n: &Node) -> Result<Value, String> {
    Ok(match &n.data {
        Data::Scalar(s) => scalar_json(n, s),
        Data::Seq(items) => Value::Seq(items.iter().map(node_to_json).collect::<Result<_, _>>()?),
        Data::Map(pairs) => {
            let mut m: BTreeMap<String, Value> = BTreeMap::new();
            for p in pairs {
                let k = match scalar_json(&p.key, p.key.value()) {
                    Value::Str(s) => s,
                    Value::Int(i) => i.to_string(),
                    Value::Uint(u) => u.to_string(),
                    Value::Bool(b) => b.to_string(),
                    Value::Float(f) => crate::yaml::value::go_format_g(f),
                    Value::Null => "null".to_string(),
                    _ => return Err("yaml: unsupported map key".into()),
                };
                m.insert(k, node_to_json(&p.value)?);
            }
            Value::Map(m.into_iter().collect())
        }
    })
}

fn scalar_json(n: &Node, s: &str) -> Value {
    use crate::yaml::resolve::{resolve, Resolved};
    if n.style.is_quoted() || n.tag == Tag::Str {
        return Value::Str(s.to_string());
    }
    match resolve(s, Version::V2) {
        Resolved::Null => Value::Null,
        Resolved::Bool(b) => Value::Bool(b),
        Resolved::Int(i) => Value::Int(i),
        Resolved::Uint(u) => Value::Uint(u),
        Resolved::Float(f) => crate::yaml::value::json_number(f),
        _ => Value::Str(s.to_string()),
    }
}

/// The JSON kind name Go uses in `cannot unmarshal X into …`.
pub fn json_kind(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(_) => "bool".into(),
        Value::Int(_) | Value::Uint(_) | Value::Float(_) => "number".into(),
        Value::Str(_) => "string".into(),
        Value::Seq(_) => "array".into(),
        Value::Map(_) => "object".into(),
    }
}

/// A decoder session: the field path and struct for error messages, the first error, and
/// whether anything non-zero was decoded (kustomize's "is empty" check).
pub struct Decoder {
    path: Vec<String>,
    structs: Vec<&'static str>,
    /// First error (Go keeps the first).
    pub error: Option<String>,
    /// Set when a present field decoded to a non-zero value (or a non-nil slice/map/pointer).
    pub nonzero: bool,
    /// Unknown fields are errors (`DisallowUnknownFields` / `UnmarshalStrict`).
    pub strict: bool,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    /// A fresh decoder.
    pub fn new() -> Decoder {
        Decoder {
            path: Vec::new(),
            structs: Vec::new(),
            error: None,
            nonzero: false,
            strict: true,
        }
    }

    /// A decoder that ignores unknown fields (`yaml.Unmarshal`).
    pub fn lenient() -> Decoder {
        Decoder {
            strict: false,
            ..Decoder::new()
        }
    }

    fn fail(&mut self, msg: String) {
        if self.error.is_none() {
            self.error = Some(msg);
        }
    }

    /// Records a type mismatch like Go's `UnmarshalTypeError`.
    pub fn type_error(&mut self, value: &str, go_type: &str) {
        let msg = if self.path.is_empty() {
            format!("json: cannot unmarshal {value} into Go value of type {go_type}")
        } else {
            format!(
                "json: cannot unmarshal {value} into Go struct field {}.{} of type {go_type}",
                self.structs.last().copied().unwrap_or(""),
                self.path.join(".")
            )
        };
        self.fail(msg);
    }

    /// Decodes an object into a struct with the given JSON field names; `f` is called with the
    /// canonical name of each present field. `go_type` names the struct for errors.
    pub fn object(
        &mut self,
        v: &Value,
        struct_name: &'static str,
        go_type: &str,
        names: &[&'static str],
        mut f: impl FnMut(&mut Decoder, &'static str, &Value),
    ) {
        let pairs = match v {
            Value::Null => return,
            Value::Map(p) => p,
            other => {
                let k = json_kind(other);
                self.type_error(&k, go_type);
                return;
            }
        };
        self.structs.push(struct_name);
        for (k, val) in pairs {
            let canon = names
                .iter()
                .find(|n| **n == k.as_str())
                .or_else(|| names.iter().find(|n| n.eq_ignore_ascii_case(k)));
            match canon {
                None => {
                    if self.strict {
                        self.fail(format!("json: unknown field \"{k}\""))
                    }
                }
                Some(name) => {
                    self.path.push((*name).to_string());
                    f(self, name, val);
                    self.path.pop();
                }
            }
        }
        self.structs.pop();
    }

    /// A `string` field.
    pub fn string(&mut self, v: &Value) -> String {
        match v {
            Value::Null => String::new(),
            Value::Str(s) => {
                if !s.is_empty() {
                    self.nonzero = true;
                }
                s.clone()
            }
            other => {
                let k = json_kind(other);
                self.type_error(&k, "string");
                String::new()
            }
        }
    }

    /// A `bool` field.
    pub fn boolean(&mut self, v: &Value) -> bool {
        match v {
            Value::Null => false,
            Value::Bool(b) => {
                if *b {
                    self.nonzero = true;
                }
                *b
            }
            other => {
                let k = json_kind(other);
                self.type_error(&k, "bool");
                false
            }
        }
    }

    /// An integer field of the given Go type (`int`, `int64`).
    pub fn int(&mut self, v: &Value, go_type: &str) -> i64 {
        match v {
            Value::Null => 0,
            Value::Int(i) => {
                if *i != 0 {
                    self.nonzero = true;
                }
                *i
            }
            Value::Uint(u) => {
                self.type_error(&format!("number {u}"), go_type);
                0
            }
            Value::Float(f) => {
                let text = crate::yaml::value::json_float(*f).unwrap_or_default();
                self.type_error(&format!("number {text}"), go_type);
                0
            }
            other => {
                let k = json_kind(other);
                self.type_error(&k, go_type);
                0
            }
        }
    }

    /// A `[]string` field (None when null).
    pub fn strings(&mut self, v: &Value) -> Option<Vec<String>> {
        match v {
            Value::Null => None,
            Value::Seq(items) => {
                self.nonzero = true;
                let mut out = Vec::with_capacity(items.len());
                for it in items {
                    match it {
                        Value::Str(s) => out.push(s.clone()),
                        Value::Null => out.push(String::new()),
                        other => {
                            let k = json_kind(other);
                            self.type_error(&k, "string");
                            out.push(String::new());
                        }
                    }
                }
                Some(out)
            }
            other => {
                let k = json_kind(other);
                self.type_error(&k, "[]string");
                None
            }
        }
    }

    /// A `map[string]string` field (None when null).
    pub fn string_map(&mut self, v: &Value) -> Option<BTreeMap<String, String>> {
        match v {
            Value::Null => None,
            Value::Map(pairs) => {
                self.nonzero = true;
                let mut out = BTreeMap::new();
                for (k, val) in pairs {
                    match val {
                        Value::Str(s) => {
                            out.insert(k.clone(), s.clone());
                        }
                        Value::Null => {
                            out.insert(k.clone(), String::new());
                        }
                        other => {
                            let kind = json_kind(other);
                            self.type_error(&kind, "string");
                        }
                    }
                }
                Some(out)
            }
            other => {
                let k = json_kind(other);
                self.type_error(&k, "map[string]string");
                None
            }
        }
    }

    /// A `map[string]bool` field.
    pub fn bool_map(&mut self, v: &Value) -> Option<BTreeMap<String, bool>> {
        match v {
            Value::Null => None,
            Value::Map(pairs) => {
                self.nonzero = true;
                let mut out = BTreeMap::new();
                for (k, val) in pairs {
                    match val {
                        Value::Bool(b) => {
                            out.insert(k.clone(), *b);
                        }
                        Value::Null => {
                            out.insert(k.clone(), false);
                        }
                        other => {
                            let kind = json_kind(other);
                            self.type_error(&kind, "bool");
                        }
                    }
                }
                Some(out)
            }
            other => {
                let k = json_kind(other);
                self.type_error(&k, "map[string]bool");
                None
            }
        }
    }

    /// A slice of structs: `f` decodes each element.
    pub fn list<T>(
        &mut self,
        v: &Value,
        go_type: &str,
        mut f: impl FnMut(&mut Decoder, &Value) -> T,
    ) -> Option<Vec<T>> {
        match v {
            Value::Null => None,
            Value::Seq(items) => {
                self.nonzero = true;
                Some(items.iter().map(|it| f(self, it)).collect())
            }
            other => {
                let k = json_kind(other);
                self.type_error(&k, go_type);
                None
            }
        }
    }

    /// Marks a pointer/struct field as present (a non-nil pointer counts as non-empty).
    pub fn present(&mut self, v: &Value) -> bool {
        if matches!(v, Value::Null) {
            return false;
        }
        self.nonzero = true;
        true
    }
}
