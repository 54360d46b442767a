//! A small YAML writer for diff output: block style, keys sorted (as `kubectl get -o yaml` and
//! `argocd app diff` print them), strings quoted whenever a plain scalar could be read as
//! something else.

use serde_json::Value;

use crate::load::scalar::{resolve_plain, Scalar};

fn plain_ok(s: &str) -> bool {
    if s.is_empty() || s.trim() != s || s.contains(['\n', '\r', '\t']) {
        return false;
    }
    let first = s.chars().next().unwrap_or(' ');
    if "-?:,[]{}#&*!|>'\"%@`~".contains(first) {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return false;
    }
    matches!(resolve_plain(s), Scalar::Str)
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) if plain_ok(s) => s.clone(),
        Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
        other => other.to_string(),
    }
}

fn write(v: &Value, indent: usize, out: &mut String, depth: usize) {
    let pad = " ".repeat(indent);
    if depth > 200 {
        out.push_str(&format!("{pad}...\n"));
        return;
    }
    match v {
        Value::Object(m) => {
            for (k, val) in m {
                let key = scalar(&Value::String(k.clone()));
                match val {
                    Value::Object(c) if !c.is_empty() => {
                        out.push_str(&format!("{pad}{key}:\n"));
                        write(val, indent + 2, out, depth + 1);
                    }
                    Value::Array(c) if !c.is_empty() => {
                        out.push_str(&format!("{pad}{key}:\n"));
                        write(val, indent, out, depth + 1);
                    }
                    Value::Object(_) => out.push_str(&format!("{pad}{key}: {{}}\n")),
                    Value::Array(_) => out.push_str(&format!("{pad}{key}: []\n")),
                    _ => out.push_str(&format!("{pad}{key}: {}\n", scalar(val))),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Object(c) if !c.is_empty() => {
                        let mut inner = String::new();
                        write(item, indent + 2, &mut inner, depth + 1);
                        let trimmed = inner.trim_start_matches(' ');
                        out.push_str(&format!("{pad}- {trimmed}"));
                    }
                    Value::Array(c) if !c.is_empty() => {
                        out.push_str(&format!("{pad}-\n"));
                        write(item, indent + 2, out, depth + 1);
                    }
                    Value::Object(_) => out.push_str(&format!("{pad}- {{}}\n")),
                    Value::Array(_) => out.push_str(&format!("{pad}- []\n")),
                    _ => out.push_str(&format!("{pad}- {}\n", scalar(item))),
                }
            }
        }
        other => out.push_str(&format!("{pad}{}\n", scalar(other))),
    }
}

/// Renders a JSON value as block YAML (ends with a newline).
pub fn to_yaml(v: &Value) -> String {
    let mut out = String::new();
    write(v, 0, &mut out, 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn block_yaml_round_trips_through_the_loader() {
        let v = json!({
            "a": {"b": [1, "yes", "x: y", {"c": null, "d": [true]}], "e": {}},
            "f": "0755", "g": "plain", "h": "multi\nline", "i": [], "j": -1.5
        });
        let text = to_yaml(&v);
        let (docs, err) = crate::load::yaml::parse_stream(&text);
        assert!(err.is_none(), "{text}\n{err:?}");
        assert_eq!(
            docs[0].root.as_ref().map(|n| n.to_json()),
            Some(v),
            "{text}"
        );
    }
}
