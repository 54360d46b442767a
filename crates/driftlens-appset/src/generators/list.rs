//! The list generator: `elements` (one parameter set per element) and `elementsYaml`.

use driftlens_gotmpl::value::Map;
use driftlens_gotmpl::Value;
use serde_json::Value as J;

use crate::params::{from_json, Origin, ParamSet};
use crate::{Cx, Failure};

fn json_type(v: &J) -> &'static str {
    match v {
        J::Null => "null",
        J::Bool(_) => "bool",
        J::Number(_) => "number",
        J::String(_) => "string",
        J::Array(_) => "array",
        J::Object(_) => "object",
    }
}

fn value_json_type(v: &Value) -> &'static str {
    match v {
        Value::Nil => "null",
        Value::Bool(_) => "bool",
        Value::Int(_) | Value::Int64(_) | Value::Float(_) => "number",
        Value::Str(_) => "string",
        Value::List(_) => "array",
        _ => "object",
    }
}

/// The list generator's parameter sets.
pub fn generate(gen: &J, pointer: &str, cx: &Cx) -> Result<Vec<ParamSet>, Failure> {
    let elements: &[J] = match gen.get("elements") {
        Some(J::Array(a)) => a,
        Some(J::Null) | None => &[],
        Some(other) => {
            return Err(cx.error(
                &format!("{pointer}/elements"),
                format!("`elements` must be a list, found {}", json_type(other)),
            ))
        }
    };
    let mut out = Vec::with_capacity(elements.len());
    for (i, element) in elements.iter().enumerate() {
        let at = format!("{pointer}/elements/{i}");
        cx.count(&at, 1)?;
        let obj = match element {
            J::Object(o) => o,
            // `null` unmarshals into a nil map: an empty parameter set.
            J::Null => {
                out.push(ParamSet::new(Map::new(), Origin::Element(at)));
                continue;
            }
            other => {
                return Err(cx.error(
                    &at,
                    format!(
                        "error unmarshling list element json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                        json_type(other)
                    ),
                ))
            }
        };
        let mut params = Map::new();
        if cx.render.go() {
            for (k, v) in obj {
                params.insert(k.clone(), from_json(v));
            }
        } else {
            for (k, v) in obj {
                if k == "values" {
                    let J::Object(values) = v else {
                        return Err(cx.error(&at, "error parsing values map".to_string()));
                    };
                    for (vk, vv) in values {
                        let J::String(s) = vv else {
                            return Err(cx.error(
                                &at,
                                "error parsing value as string %!w(<nil>)".to_string(),
                            ));
                        };
                        params.insert(format!("values.{vk}"), Value::from(s.as_str()));
                    }
                } else {
                    let J::String(s) = v else {
                        return Err(
                            cx.error(&at, "error parsing value as string %!w(<nil>)".to_string())
                        );
                    };
                    params.insert(k.clone(), Value::from(s.as_str()));
                }
            }
        }
        let set = ParamSet::new(params, Origin::Element(at.clone()));
        cx.charge(&at, set.size())?;
        out.push(set);
    }
    let yaml = gen.get("elementsYaml").and_then(J::as_str).unwrap_or("");
    if !yaml.is_empty() {
        let at = format!("{pointer}/elementsYaml");
        let parsed = driftlens_gotmpl::yaml::load(yaml).map_err(|e| {
            cx.error(
                &at,
                format!("error unmarshling decoded ElementsYaml {}", e.0),
            )
        })?;
        let items = match parsed {
            Value::List(items) => items.to_vec(),
            Value::Nil => Vec::new(),
            other => {
                return Err(cx.error(
                    &at,
                    format!(
                        "error unmarshling decoded ElementsYaml error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type []map[string]interface {{}}",
                        value_json_type(&other)
                    ),
                ))
            }
        };
        for item in items {
            cx.count(&at, 1)?;
            let params = match item {
                Value::Map(m) => m.borrow().clone(),
                Value::Nil => Map::new(),
                other => {
                    return Err(cx.error(
                        &at,
                        format!(
                            "error unmarshling decoded ElementsYaml error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                            value_json_type(&other)
                        ),
                    ))
                }
            };
            let set = ParamSet::new(params, Origin::Element(at.clone()));
            cx.charge(&at, set.size())?;
            out.push(set);
        }
    }
    Ok(out)
}
