//! Helm's own functions (`toYaml`, `fromYaml`, `toToml`, …) and the methods of Helm's
//! built-in objects (`.Files.Get`, `.Files.Glob`, `.Capabilities.APIVersions.Has`, …).
//! `include`, `tpl`, `required` and `fail` need the evaluator and live there.

use std::collections::BTreeMap;
use std::rc::Rc;

use base64::Engine as _;

use super::super::value::{Map, Object, Value};
use super::{arity, s_arg, str_or_empty, FnErr, Func};
use crate::yaml;

/// Resolves a Helm function name.
pub fn lookup(name: &str) -> Option<Func> {
    Some(match name {
        "toYaml" | "mustToYaml" => |_, a| {
            arity("toYaml", a, 1)?;
            // The print budget is driftlens's, not a marshalling error: it is not swallowed.
            yaml::too_large(&a[0]).map_err(FnErr::Limit)?;
            // Helm's toYaml swallows marshalling errors and returns "".
            Ok(Value::from(yaml::to_yaml(&a[0]).unwrap_or_default()))
        },
        "toYamlPretty" => |_, a| {
            arity("toYamlPretty", a, 1)?;
            yaml::too_large(&a[0]).map_err(FnErr::Limit)?;
            Ok(Value::from(yaml::to_yaml_pretty(&a[0]).unwrap_or_default()))
        },
        "fromYaml" => |_, a| {
            arity("fromYaml", a, 1)?;
            Ok(match yaml::load(&str_or_empty(&a[0])) {
                Ok(v @ Value::Map(_)) => v,
                Ok(Value::Nil) => Value::map(Map::new()),
                Ok(other) => super::encoding::error_map(&format!(
                    "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                    json_kind(&other)
                )),
                Err(e) => super::encoding::error_map(&e.0),
            })
        },
        "fromYamlArray" => |_, a| {
            arity("fromYamlArray", a, 1)?;
            Ok(match yaml::load(&str_or_empty(&a[0])) {
                Ok(v @ Value::List(_)) => v,
                Ok(Value::Nil) => Value::list(Vec::new()),
                Ok(other) => Value::list(vec![Value::from(format!(
                    "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type []interface {{}}",
                    json_kind(&other)
                ))]),
                Err(e) => Value::list(vec![Value::from(e.0)]),
            })
        },
        "toToml" => |_, a| {
            arity("toToml", a, 1)?;
            let mut out = String::new();
            match &a[0] {
                Value::Map(m) => toml_table(&mut out, &m.borrow(), "", 0).map_err(FnErr::Call)?,
                other => {
                    return Ok(Value::from(format!(
                        "toml: cannot encode {}",
                        other.type_name()
                    )))
                }
            }
            Ok(Value::from(out))
        },
        _ => return None,
    })
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Str(_) => "string",
        Value::Float(_) | Value::Int(_) | Value::Int64(_) => "number",
        Value::Bool(_) => "bool",
        Value::List(_) => "array",
        _ => "object",
    }
}

fn toml_scalar(v: &Value) -> Option<String> {
    Some(match v {
        Value::Str(s) => super::super::fmt::go_quote(s),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) | Value::Int64(i) => i.to_string(),
        Value::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                super::super::fmt::format_float_v(*f)
            }
        }
        Value::List(l) => {
            let parts: Option<Vec<String>> = l.iter().map(toml_scalar).collect();
            format!("[{}]", parts?.join(", "))
        }
        _ => return None,
    })
}

fn toml_table(out: &mut String, m: &Map, prefix: &str, depth: usize) -> Result<(), String> {
    if depth > 100 {
        return Err("toml: nested too deeply".into());
    }
    for (k, v) in m {
        if let Some(s) = toml_scalar(v) {
            out.push_str(&format!("{k} = {s}\n"));
        }
    }
    for (k, v) in m {
        if let Value::Map(sub) = v {
            if out.len() as u64 > super::MAX_RESULT_BYTES {
                return Err(format!(
                    "toml: the value is too large (more than {} MiB)",
                    super::MAX_RESULT_BYTES >> 20
                ));
            }
            let name = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            out.push_str(&format!("\n[{name}]\n"));
            toml_table(out, &sub.borrow(), &name, depth + 1)?;
        }
    }
    Ok(())
}

/// Go `path.Match` glob (`*`, `?`, `[…]`), plus `**` crossing `/` as Helm's gobwas glob does.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Iterative matcher with backtracking on the last star.
    let (mut pi, mut ni) = (0usize, 0usize);
    let mut star: Option<(usize, usize, bool)> = None;
    while ni < n.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    let double = p.get(pi + 1) == Some(&'*');
                    pi += if double { 2 } else { 1 };
                    star = Some((pi, ni, double));
                    continue;
                }
                '?' if n[ni] != '/' => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                '[' => {
                    if let Some((ok, len)) = class_match(&p[pi..], n[ni]) {
                        if ok {
                            pi += len;
                            ni += 1;
                            continue;
                        }
                    }
                }
                '\\' if pi + 1 < p.len() && p[pi + 1] == n[ni] => {
                    pi += 2;
                    ni += 1;
                    continue;
                }
                c if c == n[ni] => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, sn, double)) if double || n[sn] != '/' => {
                pi = sp;
                ni = sn + 1;
                star = Some((sp, sn + 1, double));
            }
            _ => return false,
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

fn class_match(p: &[char], c: char) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = p.get(1) == Some(&'^') || p.get(1) == Some(&'!');
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == ']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        let lo = p[i];
        if p.get(i + 1) == Some(&'-') && p.get(i + 2).is_some_and(|x| *x != ']') {
            let hi = p[i + 2];
            if lo <= c && c <= hi {
                matched = true;
            }
            i += 3;
        } else {
            if lo == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

fn files_value(f: BTreeMap<String, Vec<u8>>) -> Value {
    Value::Object(Rc::new(Object::Files(std::sync::Arc::new(f))))
}

/// Field or method `name` of a built-in object, called with `args`.
pub fn object_member(o: &Rc<Object>, name: &str, args: &[Value]) -> Result<Value, String> {
    let argn = |n: usize| -> Result<(), String> {
        if args.len() != n {
            return Err(format!(
                "wrong number of args for {name}: want {n} got {}",
                args.len()
            ));
        }
        Ok(())
    };
    let sarg = |i: usize| -> Result<String, String> {
        s_arg(&args[i]).map(str::to_string).map_err(|e| match e {
            FnErr::Arg(m) | FnErr::Call(m) | FnErr::Limit(m) => m,
        })
    };
    match (&**o, name) {
        (Object::Files(f), "Get") => {
            argn(1)?;
            let p = sarg(0)?;
            Ok(f.get(&p)
                .map_or_else(|| Value::str(""), |b| Value::from_bytes(b)))
        }
        (Object::Files(f), "GetBytes") => {
            argn(1)?;
            let p = sarg(0)?;
            Ok(Value::byte_slice(f.get(&p).map_or(&[][..], |b| &b[..])))
        }
        (Object::Files(f), "Glob") => {
            argn(1)?;
            let pat = sarg(0)?;
            Ok(files_value(
                f.iter()
                    .filter(|(k, _)| glob_match(&pat, k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ))
        }
        (Object::Files(f), "Lines") => {
            argn(1)?;
            let p = sarg(0)?;
            match f.get(&p) {
                None => Ok(Value::list(Vec::new())),
                Some(b) => {
                    let s = String::from_utf8_lossy(b);
                    Ok(Value::list(s.split('\n').map(Value::str).collect()))
                }
            }
        }
        (Object::Files(f), "AsConfig") => {
            argn(0)?;
            let mut m = Map::new();
            for (k, v) in f.iter() {
                let base = k.rsplit('/').next().unwrap_or(k).to_string();
                m.insert(base, Value::from(String::from_utf8_lossy(v).into_owned()));
            }
            Ok(Value::from(
                yaml::to_yaml(&Value::map(m)).unwrap_or_default(),
            ))
        }
        (Object::Files(f), "AsSecrets") => {
            argn(0)?;
            let mut m = Map::new();
            for (k, v) in f.iter() {
                let base = k.rsplit('/').next().unwrap_or(k).to_string();
                m.insert(
                    base,
                    Value::from(base64::engine::general_purpose::STANDARD.encode(v)),
                );
            }
            Ok(Value::from(
                yaml::to_yaml(&Value::map(m)).unwrap_or_default(),
            ))
        }
        (Object::ApiVersions(v), "Has") => {
            argn(1)?;
            let p = sarg(0)?;
            Ok(Value::Bool(v.contains(&p)))
        }
        (Object::KubeVersion { version, .. }, "Version" | "GitVersion" | "String") => {
            Ok(Value::str(version))
        }
        (Object::KubeVersion { major, .. }, "Major") => Ok(Value::str(major)),
        (Object::KubeVersion { minor, .. }, "Minor") => Ok(Value::str(minor)),
        (Object::Time(t), "Unix") => Ok(Value::Int64(*t)),
        (Object::Time(t), "Format") => {
            argn(1)?;
            Ok(Value::from(crate::time::format_time(*t, &sarg(0)?)))
        }
        (obj, _) => Err(format!(
            "can't evaluate field {name} in type {}",
            Value::Object(Rc::new(match obj {
                Object::Files(_) => Object::Files(Default::default()),
                Object::ApiVersions(_) => Object::ApiVersions(Vec::new()),
                Object::KubeVersion { .. } => Object::KubeVersion {
                    version: String::new(),
                    major: String::new(),
                    minor: String::new()
                },
                Object::Time(t) => Object::Time(*t),
                Object::Bytes { slice, .. } => Object::Bytes {
                    data: Vec::new(),
                    text: String::new(),
                    slice: *slice,
                },
            }))
            .type_name()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("files/*.conf", "files/a.conf"));
        assert!(!glob_match("files/*.conf", "files/sub/a.conf"));
        assert!(glob_match("files/**.conf", "files/sub/a.conf"));
        assert!(glob_match("config[0-9].yaml", "config3.yaml"));
        assert!(glob_match("*", "x"));
    }
}
