//! kustomize's name hash (`hasher.Hasher`, `HashTransformer`): SHA-256 of Go's JSON of
//! `{binaryData?, data, kind, name: ""}` (ConfigMap) or `{data, kind, name: "", stringData?,
//! type}` (Secret), first ten hex digits with `0 1 3 a e` mapped to `g h k m t`.

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::resmap::ResMap;
use crate::target::Build;
use crate::yaml::node::{Kind, Node};
use crate::yaml::value::{decode_any, to_json, Value};

/// `encode(hex256(s))`.
pub fn encode(s: &str) -> String {
    let digest = Sha256::digest(s.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    hex[..10]
        .chars()
        .map(|c| match c {
            '0' => 'g',
            '1' => 'h',
            '3' => 'k',
            'a' => 'm',
            'e' => 't',
            c => c,
        })
        .collect()
}

/// `getNodeValues` for one path: missing → `""`, scalar → its text, anything else → its JSON
/// decoded as a map (null when it is not a map).
fn node_value(n: &Node, path: &str) -> Value {
    match n.field(path) {
        None => Value::Str(String::new()),
        Some(v) if v.kind() == Kind::Scalar => Value::Str(v.value().to_string()),
        Some(v) if v.kind() == Kind::Map => match decode_any(v) {
            Ok(d) => json_roundtrip(d),
            Err(_) => Value::Null,
        },
        Some(_) => Value::Null,
    }
}

/// Numbers become float64 through `json.Unmarshal` into `interface{}`.
fn json_roundtrip(v: Value) -> Value {
    match v {
        Value::Int(i) => Value::Float(i as f64),
        Value::Uint(u) => Value::Float(u as f64),
        Value::Seq(items) => Value::Seq(items.into_iter().map(json_roundtrip).collect()),
        Value::Map(p) => Value::Map(p.into_iter().map(|(k, v)| (k, json_roundtrip(v))).collect()),
        other => other,
    }
}

/// `Hasher.Hash`.
pub fn hash(n: &Node) -> Result<String> {
    let kind = n.get_kind();
    let m = match kind {
        "ConfigMap" => {
            let mut m = vec![
                ("data".to_string(), node_value(n, "data")),
                ("kind".to_string(), Value::Str("ConfigMap".into())),
                ("name".to_string(), Value::Str(String::new())),
            ];
            if let v @ Value::Map(_) = node_value(n, "binaryData") {
                m.push(("binaryData".to_string(), v));
            }
            Value::Map(m)
        }
        "Secret" => {
            let mut m = vec![
                ("data".to_string(), node_value(n, "data")),
                ("kind".to_string(), Value::Str("Secret".into())),
                ("name".to_string(), Value::Str(String::new())),
                ("type".to_string(), node_value(n, "type")),
            ];
            if let v @ Value::Map(_) = node_value(n, "stringData") {
                m.push(("stringData".to_string(), v));
            }
            Value::Map(m)
        }
        _ => decode_any(n).map_err(|e| Error::new(e.0))?,
    };
    let json = to_json(&m).map_err(|e| Error::new(e.0))?;
    Ok(encode(&json))
}

/// `HashTransformer`: `<name>-<hash>` for generated objects that want it.
pub fn add_hashes(b: &mut Build, m: &mut ResMap) -> Result<()> {
    for r in m.list_mut().iter_mut() {
        if r.needs_hash_suffix() {
            b.charge(r.node.count() as u64)?;
            let h = hash(&r.node)?;
            r.store_previous_id();
            let name = format!("{}-{h}", r.name());
            r.node.set_name(&name);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_hash() {
        assert_eq!(
            encode("{\"data\":{\"a\":\"b\"},\"kind\":\"ConfigMap\",\"name\":\"\"}"),
            "4h2mbtbbt6"
        );
    }
}
