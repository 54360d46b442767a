//! A small YAML → `serde_json::Value` reader for argocd-cm values and test fixtures.
//!
//! It follows go-yaml v2 scalar resolution closely enough for `resource.customizations` values
//! and Argo CD's test data (plain scalars: null, YAML 1.1 booleans, integers with base prefixes,
//! floats; quoted scalars and `!!str` stay strings). It has no source positions; the project's
//! manifest loader lives in the `load` stage. The file has no crate-internal imports so that test
//! harnesses can include it with `#[path]`.

use granit_parser::{Event, Parser, ScalarStyle};
use serde_json::{Map, Number, Value};
use std::collections::HashMap;

enum Frame {
    Seq(Vec<Value>, usize),
    Map(Map<String, Value>, Option<String>, usize),
}

/// Parses every document of `src`; empty documents are skipped.
pub fn parse_all(src: &str) -> Result<Vec<Value>, String> {
    let mut docs = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Value> = HashMap::new();
    let mut current: Option<Value> = None;
    let mut nodes = 0usize;
    for item in Parser::new_from_str(src) {
        let (event, _span) = item.map_err(|e| e.to_string())?;
        let (value, anchor) = match event {
            Event::DocumentStart(..) => {
                current = None;
                continue;
            }
            Event::DocumentEnd => {
                if let Some(v) = current.take() {
                    if !v.is_null() {
                        docs.push(v);
                    }
                }
                continue;
            }
            Event::SequenceStart(_, anchor, _) => {
                stack.push(Frame::Seq(Vec::new(), anchor));
                continue;
            }
            Event::MappingStart(_, anchor, _) => {
                stack.push(Frame::Map(Map::new(), None, anchor));
                continue;
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq(items, anchor)) => (Value::Array(items), anchor),
                _ => return Err("unbalanced sequence".into()),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map(map, _, anchor)) => (Value::Object(map), anchor),
                _ => return Err("unbalanced mapping".into()),
            },
            Event::Scalar(text, style, anchor, tag) => {
                let is_str_tag = tag.as_ref().is_some_and(|t| t.suffix() == "str");
                let v = if style == ScalarStyle::Plain && !is_str_tag {
                    resolve_plain(&text)
                } else {
                    Value::String(text.into_owned())
                };
                (v, anchor)
            }
            Event::Alias(id) => {
                let v = anchors.get(&id).cloned().unwrap_or(Value::Null);
                nodes += count_nodes(&v, MAX_NODES);
                if nodes > MAX_NODES {
                    return Err(format!("document expands to more than {MAX_NODES} nodes"));
                }
                (v, 0)
            }
            _ => continue,
        };
        if anchor != 0 {
            anchors.insert(anchor, value.clone());
        }
        match stack.last_mut() {
            None => current = Some(value),
            Some(Frame::Seq(items, _)) => items.push(value),
            Some(Frame::Map(map, key, _)) => match key.take() {
                None => {
                    let k = match value {
                        Value::String(s) => s,
                        Value::Null => "null".to_string(),
                        Value::Bool(b) => b.to_string(),
                        Value::Number(n) => n.to_string(),
                        _ => return Err("non-scalar mapping key".into()),
                    };
                    *key = Some(k);
                }
                Some(k) => {
                    if k == "<<" {
                        if let Value::Object(m) = value {
                            for (mk, mv) in m {
                                map.entry(mk).or_insert(mv);
                            }
                        }
                    } else {
                        map.insert(k, value);
                    }
                }
            },
        }
    }
    Ok(docs)
}

/// Upper bound on values a document may expand to through aliases (billion-laughs guard).
const MAX_NODES: usize = 1_000_000;

/// Number of values in `v`, counting stops once `limit` is exceeded.
fn count_nodes(v: &Value, limit: usize) -> usize {
    let mut n = 0;
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        n += 1;
        if n > limit {
            break;
        }
        match v {
            Value::Array(a) => stack.extend(a.iter()),
            Value::Object(m) => stack.extend(m.values()),
            _ => {}
        }
    }
    n
}

/// Parses a single-document YAML file.
pub fn parse_one(src: &str) -> Result<Value, String> {
    let mut docs = parse_all(src)?;
    if docs.is_empty() {
        return Ok(Value::Null);
    }
    Ok(docs.swap_remove(0))
}

fn resolve_plain(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Value::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Value::Bool(false)
        }
        _ => {}
    }
    let plain: String = s.chars().filter(|c| *c != '_').collect();
    let (neg, digits) = match plain.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, plain.strip_prefix('+').unwrap_or(&plain)),
    };
    let parsed = if let Some(h) = digits.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()
    } else if let Some(b) = digits.strip_prefix("0b") {
        i64::from_str_radix(b, 2).ok()
    } else if let Some(o) = digits.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()
    } else if digits.len() > 1 && digits.starts_with('0') {
        i64::from_str_radix(&digits[1..], 8).ok()
    } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse::<i64>().ok()
    } else {
        None
    };
    if let Some(n) = parsed {
        return Value::Number(Number::from(if neg { -n } else { n }));
    }
    let looks_float = s
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        && s.bytes().any(|b| b.is_ascii_digit());
    if looks_float {
        if let Ok(f) = s.parse::<f64>() {
            if let Some(n) = Number::from_f64(f) {
                return Value::Number(n);
            }
        }
    }
    Value::String(s.to_string())
}
