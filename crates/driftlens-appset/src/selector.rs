//! Label selectors: the generators' post-selectors (the controller's own copy of
//! `LabelSelectorAsSelector`, which does not validate values, so that `server` URLs can be
//! matched) and the clusters generator's selector over cluster Secret labels (Kubernetes'
//! own, which does).

use std::collections::BTreeMap;

use serde_json::Value as J;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    Equals,
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

#[derive(Debug, Clone)]
struct Requirement {
    key: String,
    op: Op,
    values: Vec<String>,
}

impl Requirement {
    fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let v = labels.get(&self.key);
        match self.op {
            Op::Equals | Op::In => v.is_some_and(|v| self.values.contains(v)),
            Op::NotIn => v.is_none_or(|v| !self.values.contains(v)),
            Op::Exists => v.is_some(),
            Op::DoesNotExist => v.is_none(),
        }
    }
}

/// A parsed selector: every requirement must hold.
#[derive(Debug, Clone, Default)]
pub struct Selector {
    requirements: Vec<Requirement>,
}

impl Selector {
    /// Whether a set of labels (or flattened parameters) matches.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.requirements.iter().all(|r| r.matches(labels))
    }

    /// Whether the selector has no requirement (matches everything).
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }
}

const NAME_FMT: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const QUALIFIED_FMT: &str = "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";
const SUBDOMAIN_FMT: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_VALUE_FMT: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

fn is_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

fn is_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|l| {
            let b = l.as_bytes();
            !b.is_empty()
                && b[0].is_ascii_lowercase() | b[0].is_ascii_digit()
                && (b[b.len() - 1].is_ascii_lowercase() || b[b.len() - 1].is_ascii_digit())
                && b.iter()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        })
}

/// Kubernetes' `IsQualifiedName` messages for a key.
fn qualified_name_errors(key: &str) -> Vec<String> {
    let parts: Vec<&str> = key.split('/').collect();
    let (prefix, name) = match parts.as_slice() {
        [name] => (None, *name),
        [prefix, name] => (Some(*prefix), *name),
        _ => return vec![QUALIFIED_FMT.to_string()],
    };
    let mut errs = Vec::new();
    if let Some(p) = prefix {
        if p.is_empty() {
            errs.push("prefix part must be non-empty".to_string());
        } else {
            if p.len() > 253 {
                errs.push("prefix part must be no more than 253 characters".to_string());
            }
            if !is_subdomain(p) {
                errs.push(format!("prefix part {SUBDOMAIN_FMT}"));
            }
        }
    }
    if name.is_empty() {
        errs.push("name part must be non-empty".to_string());
    } else if name.len() > 63 {
        errs.push("name part must be no more than 63 characters".to_string());
    }
    if !name.is_empty() && !is_name(name) {
        errs.push(NAME_FMT.to_string());
    }
    errs
}

fn value_errors(v: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if v.len() > 63 {
        errs.push("must be no more than 63 characters".to_string());
    }
    if !v.is_empty() && !is_name(v) {
        errs.push(LABEL_VALUE_FMT.to_string());
    }
    errs
}

fn go_string_slice(values: &[String]) -> String {
    let items: Vec<String> = values
        .iter()
        .map(|v| driftlens_gotmpl::fmt::go_quote(v))
        .collect();
    format!("[]string{{{}}}", items.join(", "))
}

/// Parses a `metav1.LabelSelector`. `strict` is Kubernetes' own conversion (label values
/// validated); otherwise the controller's copy, which accepts any value. Returns `None` for
/// an absent selector (which, as a post-selector, filters nothing).
pub fn parse(sel: Option<&J>, strict: bool) -> Result<Option<Selector>, String> {
    let Some(sel) = sel.filter(|s| !s.is_null()) else {
        return Ok(None);
    };
    let obj = sel
        .as_object()
        .ok_or_else(|| "a label selector must be a mapping".to_string())?;
    let mut reqs = Vec::new();
    let mut errors: Vec<String> = Vec::new();
    let mut add = |key: String, op: Op, values: Vec<String>, errors: &mut Vec<String>| {
        let mut errs = Vec::new();
        let key_errs = qualified_name_errors(&key);
        if !key_errs.is_empty() {
            errs.push(format!(
                "key: Invalid value: {}: {}",
                driftlens_gotmpl::fmt::go_quote(&key),
                key_errs.join("; ")
            ));
        }
        match op {
            Op::In | Op::NotIn if values.is_empty() => errs.push(format!(
                "values: Invalid value: {}: for 'in', 'notin' operators, values set can't be empty",
                go_string_slice(&values)
            )),
            Op::Equals if values.len() != 1 => errs.push(format!(
                "values: Invalid value: {}: exact-match compatibility requires one single value",
                go_string_slice(&values)
            )),
            Op::Exists | Op::DoesNotExist if !values.is_empty() => errs.push(format!(
                "values: Invalid value: {}: values set must be empty for exists and does not exist",
                go_string_slice(&values)
            )),
            _ => {}
        }
        if strict {
            for (i, v) in values.iter().enumerate() {
                let ve = value_errors(v);
                if !ve.is_empty() {
                    errs.push(format!(
                        "values[{i}]: Invalid value: {}: {}",
                        driftlens_gotmpl::fmt::go_quote(v),
                        ve.join("; ")
                    ));
                }
            }
        }
        match errs.len() {
            0 => {}
            1 => errors.push(errs.remove(0)),
            _ => errors.push(format!("[{}]", errs.join(", "))),
        }
        reqs.push(Requirement { key, op, values });
    };
    match obj.get("matchLabels") {
        Some(J::Object(labels)) => {
            for (k, v) in labels {
                let v = match v {
                    J::String(s) => s.clone(),
                    J::Null => String::new(),
                    _ => return Err(format!("matchLabels.{k} must be a string")),
                };
                add(k.clone(), Op::Equals, vec![v], &mut errors);
                if let Some(e) = errors.pop() {
                    return Err(e);
                }
            }
        }
        Some(J::Null) | None => {}
        Some(_) => return Err("matchLabels must be a mapping".into()),
    }
    match obj.get("matchExpressions") {
        Some(J::Array(exprs)) => {
            for e in exprs {
                let key = e.get("key").and_then(J::as_str).unwrap_or("").to_string();
                let operator = e.get("operator").and_then(J::as_str).unwrap_or("");
                let values: Vec<String> = match e.get("values") {
                    Some(J::Array(vs)) => vs
                        .iter()
                        .map(|v| v.as_str().unwrap_or("").to_string())
                        .collect(),
                    _ => Vec::new(),
                };
                let op = match operator {
                    "In" => Op::In,
                    "NotIn" => Op::NotIn,
                    "Exists" => Op::Exists,
                    "DoesNotExist" => Op::DoesNotExist,
                    other => {
                        let what = if strict { "label" } else { "pod" };
                        return Err(format!(
                            "{} is not a valid {what} selector operator",
                            driftlens_gotmpl::fmt::go_quote(other)
                        ));
                    }
                };
                add(key, op, values, &mut errors);
                if let Some(e) = errors.pop() {
                    return Err(e);
                }
            }
        }
        Some(J::Null) | None => {}
        Some(_) => return Err("matchExpressions must be a list".into()),
    }
    reqs.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(Some(Selector { requirements: reqs }))
}

/// Whether a selector has neither `matchLabels` nor `matchExpressions` entries.
pub fn is_empty(sel: Option<&J>) -> bool {
    let count = |k: &str| {
        sel.and_then(|s| s.get(k)).map_or(0, |v| match v {
            J::Object(o) => o.len(),
            J::Array(a) => a.len(),
            _ => 0,
        })
    };
    count("matchLabels") + count("matchExpressions") == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn post_selectors() {
        let s = parse(Some(&json!({"matchLabels": {"values.foo": "bar"}})), false)
            .unwrap()
            .unwrap();
        assert!(s.matches(&labels(&[("values.foo", "bar")])));
        assert!(!s.matches(&labels(&[("values.foo", "foo")])));
        let s = parse(
            Some(&json!({"matchLabels": {"server": "https://production-01.example.com"}})),
            false,
        )
        .unwrap()
        .unwrap();
        assert!(s.matches(&labels(&[("server", "https://production-01.example.com")])));
        let s = parse(
            Some(&json!({"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["a"]}]})),
            false,
        )
        .unwrap()
        .unwrap();
        assert!(s.matches(&labels(&[])));
        assert!(parse(None, false).unwrap().is_none());
        assert_eq!(
            parse(
                Some(&json!({"matchExpressions": [{"key": "k", "operator": "X"}]})),
                false
            )
            .unwrap_err(),
            "\"X\" is not a valid pod selector operator"
        );
        assert!(
            parse(Some(&json!({"matchLabels": {"path[0]": "a"}})), false)
                .unwrap_err()
                .starts_with("key: Invalid value: \"path[0]\": name part must consist")
        );
        // Kubernetes' own conversion validates values.
        assert!(parse(Some(&json!({"matchLabels": {"server": "https://x"}})), true).is_err());
    }
}
