//! `values.schema.json` validation: each chart's coalesced values are checked against
//! its schema before rendering, as Helm does, with Helm-style messages
//! (`- at '/port': minimum: got 0, want 1`). No remote `$ref` is ever fetched.

use serde_json::Value as J;

use super::chart::Chart;
use driftlens_gotmpl::value::Value;

fn json_type(v: &J) -> &'static str {
    match v {
        J::Null => "null",
        J::Bool(_) => "boolean",
        J::Number(n) => {
            if n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0) {
                "integer"
            } else {
                "number"
            }
        }
        J::String(_) => "string",
        J::Array(_) => "array",
        J::Object(_) => "object",
    }
}

/// A JSON number as Go prints it (`0`, not `0.0`).
fn num(v: &J) -> String {
    match v {
        J::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            Some(f) => driftlens_gotmpl::fmt::format_float_v(f),
            None => n.to_string(),
        },
        other => other.to_string(),
    }
}

fn quote_json(v: &J) -> String {
    match v {
        J::String(s) => format!("'{s}'"),
        other => other.to_string(),
    }
}

fn message(e: &jsonschema::ValidationError<'_>) -> String {
    use jsonschema::error::{TypeKind, ValidationErrorKind as K};
    let inst = e.instance();
    match e.kind() {
        K::Required { property } => format!("missing property {}", quote_json(property)),
        K::Type { kind } => {
            let want = match kind {
                TypeKind::Single(t) => t.to_string(),
                TypeKind::Multiple(ts) => ts
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            format!("got {}, want {want}", json_type(inst))
        }
        K::Enum { options } => match options.as_ref() {
            J::Array(a) => format!(
                "value must be one of {}",
                a.iter().map(quote_json).collect::<Vec<_>>().join(", ")
            ),
            other => format!("value must be one of {}", quote_json(other)),
        },
        K::Constant { expected_value } => format!("value must be {}", quote_json(expected_value)),
        K::Minimum { limit } => format!("minimum: got {}, want {}", num(inst), num(limit)),
        K::Maximum { limit } => format!("maximum: got {}, want {}", num(inst), num(limit)),
        K::ExclusiveMinimum { limit } => {
            format!("exclusiveMinimum: got {}, want {}", num(inst), num(limit))
        }
        K::ExclusiveMaximum { limit } => {
            format!("exclusiveMaximum: got {}, want {}", num(inst), num(limit))
        }
        K::MinLength { limit } => format!(
            "minLength: got {}, want {limit}",
            inst.as_str().map_or(0, |s| s.chars().count())
        ),
        K::MaxLength { limit } => format!(
            "maxLength: got {}, want {limit}",
            inst.as_str().map_or(0, |s| s.chars().count())
        ),
        K::MinItems { limit } => format!(
            "minItems: got {}, want {limit}",
            inst.as_array().map_or(0, Vec::len)
        ),
        K::MaxItems { limit } => format!(
            "maxItems: got {}, want {limit}",
            inst.as_array().map_or(0, Vec::len)
        ),
        K::Pattern { pattern } => {
            format!("{} does not match pattern '{pattern}'", quote_json(inst))
        }
        K::AdditionalProperties { unexpected } => {
            let names: Vec<String> = unexpected.iter().map(|u| format!("'{u}'")).collect();
            format!("additional properties {} not allowed", names.join(", "))
        }
        K::UniqueItems => {
            let arr = inst.as_array().cloned().unwrap_or_default();
            for i in 0..arr.len() {
                for j in i + 1..arr.len() {
                    if arr[i] == arr[j] {
                        return format!("items at {i} and {j} are equal");
                    }
                }
            }
            "items are not unique".into()
        }
        _ => e.to_string(),
    }
}

/// Validates `values` (the chart's coalesced values) against the chart's schema and,
/// recursively, each subchart's section against its schema. Returns Helm's error text. A
/// schema that refers to another by URL is not validated (Helm would fetch it; driftlens
/// never does): `skipped` says so.
pub fn validate(chart: &Chart, values: &Value, skipped: &mut Vec<String>) -> Result<(), String> {
    let mut report = String::new();
    collect(chart, values, &mut report, skipped, 0)?;
    if report.is_empty() {
        Ok(())
    } else {
        Err(format!("values don't meet the specifications of the schema(s) in the following chart(s):\n{report}"))
    }
}

/// The first `$ref` of a schema that leaves the document (`https://…`, `other.json#…`).
fn remote_ref(schema: &J) -> Option<&str> {
    match schema {
        J::Object(m) => {
            if let Some(J::String(r)) = m.get("$ref") {
                if !r.starts_with('#') {
                    return Some(r);
                }
            }
            m.values().find_map(remote_ref)
        }
        J::Array(a) => a.iter().find_map(remote_ref),
        _ => None,
    }
}

fn collect(
    chart: &Chart,
    values: &Value,
    report: &mut String,
    skipped: &mut Vec<String>,
    depth: usize,
) -> Result<(), String> {
    if depth > 64 {
        return Ok(());
    }
    let schema = match &chart.schema {
        Some(text) => Some(
            serde_json::from_str::<J>(text)
                .map_err(|e| format!("{}: unable to parse values.schema.json: {e}", chart.name))?,
        ),
        None => None,
    };
    let schema = match schema {
        Some(s) => match remote_ref(&s) {
            Some(r) => {
                skipped.push(format!(
                    "the values.schema.json of chart `{}` refers to `{r}`, which driftlens does \
                     not fetch: its values are not validated",
                    chart.name
                ));
                None
            }
            None => Some(s),
        },
        None => None,
    };
    if let Some(schema) = schema {
        let validator = jsonschema::options()
            .build(&schema)
            .map_err(|e| format!("{}: invalid values.schema.json: {e}", chart.name))?;
        let instance = values.to_json().unwrap_or(J::Null);
        // Several failures at one location are grouped under "validation failed".
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for e in validator.iter_errors(&instance) {
            let at = e.instance_path().to_string();
            let msg = message(&e);
            match groups.iter_mut().find(|(p, _)| *p == at) {
                Some((_, msgs)) => msgs.push(msg),
                None => groups.push((at, vec![msg])),
            }
        }
        let lines: Vec<String> = groups
            .into_iter()
            .map(|(at, msgs)| {
                if msgs.len() == 1 || at.is_empty() {
                    msgs.iter()
                        .map(|m| format!("- at '{at}': {m}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                } else {
                    let inner: Vec<String> =
                        msgs.iter().map(|m| format!("  - at '{at}': {m}")).collect();
                    format!("- at '{at}': validation failed\n{}", inner.join("\n"))
                }
            })
            .collect();
        if !lines.is_empty() {
            report.push_str(&format!("{}:\n{}\n", chart.name, lines.join("\n")));
        }
    }
    for sub in &chart.subcharts {
        let sv = match values {
            Value::Map(m) => m.borrow().get(&sub.name).cloned().unwrap_or(Value::Nil),
            _ => Value::Nil,
        };
        collect(sub, &sv, report, skipped, depth + 1)?;
    }
    Ok(())
}
