//! Sprig dictionary functions and the general-purpose ones (`default`, `empty`,
//! `coalesce`, `ternary`, type inspection, `deepCopy`). `merge`/`mergeOverwrite` mutate
//! their first argument and share nested maps by reference, as Sprig does.

use std::rc::Rc;

use super::super::value::{Map, MapRef, Value, MAX_DEPTH};
use super::{arity, arity_min, s_arg, strval, FnErr, FnResult, Func};

/// Resolves a dict or general function name.
pub fn lookup(name: &str) -> Option<Func> {
    Some(match name {
        "dict" => |c, a| {
            c.charge(a.len() as u64)?;
            let mut m = Map::new();
            let mut i = 0;
            while i < a.len() {
                let k = strval(&a[i]);
                let v = a.get(i + 1).cloned().unwrap_or_default();
                m.insert(k, v);
                i += 2;
            }
            Ok(Value::map(m))
        },
        "get" => |_, a| {
            arity("get", a, 2)?;
            let m = map_arg(&a[0])?;
            let k = s_arg(&a[1])?;
            let v = m.borrow().get(k).cloned().unwrap_or_else(|| Value::str(""));
            Ok(v)
        },
        "set" => |_, a| {
            arity("set", a, 3)?;
            let m = map_arg(&a[0])?;
            m.borrow_mut()
                .insert(s_arg(&a[1])?.to_string(), a[2].clone());
            Ok(a[0].clone())
        },
        "unset" => |_, a| {
            arity("unset", a, 2)?;
            let m = map_arg(&a[0])?;
            m.borrow_mut().remove(s_arg(&a[1])?);
            Ok(a[0].clone())
        },
        "hasKey" => |_, a| {
            arity("hasKey", a, 2)?;
            let m = map_arg(&a[0])?;
            let has = m.borrow().contains_key(s_arg(&a[1])?);
            Ok(Value::Bool(has))
        },
        "keys" => |_, a| {
            let mut out = Vec::new();
            for m in a {
                out.extend(map_arg(m)?.borrow().keys().map(Value::str));
            }
            Ok(Value::list(out))
        },
        "values" => |_, a| {
            arity("values", a, 1)?;
            Ok(Value::list(
                map_arg(&a[0])?.borrow().values().cloned().collect(),
            ))
        },
        "pick" => |_, a| {
            arity_min("pick", a, 1)?;
            let m = map_arg(&a[0])?;
            let m = m.borrow();
            let mut out = Map::new();
            for k in &a[1..] {
                let k = s_arg(k)?;
                if let Some(v) = m.get(k) {
                    out.insert(k.to_string(), v.clone());
                }
            }
            Ok(Value::map(out))
        },
        "omit" => |_, a| {
            arity_min("omit", a, 1)?;
            let m = map_arg(&a[0])?;
            let drop: Vec<String> = a[1..].iter().map(super::str_or_empty).collect();
            let out: Map = m
                .borrow()
                .iter()
                .filter(|(k, _)| !drop.contains(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            Ok(Value::map(out))
        },
        "pluck" => |_, a| {
            arity_min("pluck", a, 1)?;
            let k = s_arg(&a[0])?;
            let mut out = Vec::new();
            for m in &a[1..] {
                if let Some(v) = map_arg(m)?.borrow().get(k) {
                    out.push(v.clone());
                }
            }
            Ok(Value::list(out))
        },
        "dig" => {
            |_, a| {
                arity_min("dig", a, 3)?;
                let n = a.len();
                let dflt = a[n - 2].clone();
                let mut cur = a[n - 1].clone();
                for k in &a[..n - 2] {
                    let k = s_arg(k)?;
                    let next = match &cur {
                    Value::Map(m) => m.borrow().get(k).cloned(),
                    _ => return Err(FnErr::Call(format!("interface conversion: interface {{}} is {}, not map[string]interface {{}}", cur.type_name()))),
                };
                    match next {
                        Some(v) => cur = v,
                        None => return Ok(dflt),
                    }
                }
                Ok(cur)
            }
        }
        "merge" | "mustMerge" => |_, a| merge_fn(a, false),
        "mergeOverwrite" | "mustMergeOverwrite" => |_, a| merge_fn(a, true),
        "deepCopy" | "mustDeepCopy" => |_, a| {
            arity("deepCopy", a, 1)?;
            a[0].deep_copy().map_err(FnErr::Call)
        },
        "default" => |_, a| {
            arity_min("default", a, 1)?;
            match a.get(1) {
                Some(v) if !v.is_empty() => Ok(v.clone()),
                _ => Ok(a[0].clone()),
            }
        },
        "empty" => |_, a| {
            arity("empty", a, 1)?;
            Ok(Value::Bool(a[0].is_empty()))
        },
        "coalesce" => |_, a| {
            Ok(a.iter()
                .find(|v| !v.is_empty())
                .cloned()
                .unwrap_or_default())
        },
        "all" => |_, a| Ok(Value::Bool(a.iter().all(|v| !v.is_empty()))),
        "any" => |_, a| Ok(Value::Bool(a.iter().any(|v| !v.is_empty()))),
        "ternary" => |_, a| {
            arity("ternary", a, 3)?;
            let cond = match &a[2] {
                Value::Bool(b) => *b,
                Value::Nil => return Err(FnErr::Arg("invalid value; expected bool".into())),
                other => {
                    return Err(FnErr::Arg(format!(
                        "wrong type for value; expected bool; got {}",
                        other.type_name()
                    )))
                }
            };
            Ok(if cond { a[0].clone() } else { a[1].clone() })
        },
        "typeOf" => |_, a| {
            arity("typeOf", a, 1)?;
            Ok(Value::str(a[0].type_name()))
        },
        "kindOf" => |_, a| {
            arity("kindOf", a, 1)?;
            Ok(Value::str(a[0].kind_name()))
        },
        "typeIs" => |_, a| {
            arity("typeIs", a, 2)?;
            Ok(Value::Bool(s_arg(&a[0])? == a[1].type_name()))
        },
        "typeIsLike" => |_, a| {
            arity("typeIsLike", a, 2)?;
            let t = s_arg(&a[0])?;
            let n = a[1].type_name();
            Ok(Value::Bool(t == n || t == format!("*{n}")))
        },
        "kindIs" => |_, a| {
            arity("kindIs", a, 2)?;
            Ok(Value::Bool(s_arg(&a[0])? == a[1].kind_name()))
        },
        "deepEqual" => |_, a| {
            arity("deepEqual", a, 2)?;
            Ok(Value::Bool(super::lists::deep_eq(&a[0], &a[1])))
        },
        "lookup" => |_, a| {
            arity("lookup", a, 4)?;
            Ok(Value::map(Map::new()))
        },
        _ => return None,
    })
}

fn map_arg(v: &Value) -> Result<MapRef, FnErr> {
    match v {
        Value::Map(m) => Ok(m.clone()),
        // Go passes a nil map for a nil argument: reads see an empty map.
        Value::Nil => Ok(std::rc::Rc::new(std::cell::RefCell::new(Map::new()))),
        other => Err(FnErr::Arg(format!(
            "wrong type for value; expected map[string]interface {{}}; got {}",
            other.type_name()
        ))),
    }
}

fn merge_fn(a: &[Value], overwrite: bool) -> FnResult {
    arity_min("merge", a, 1)?;
    let dst = map_arg(&a[0])?;
    for src in &a[1..] {
        let src = match src {
            Value::Map(m) => m.clone(),
            Value::Nil => continue,
            _ => continue,
        };
        if Rc::ptr_eq(&dst, &src) {
            continue;
        }
        merge_into(&dst, &src, overwrite, 0).map_err(FnErr::Call)?;
    }
    Ok(a[0].clone())
}

/// mergo-style deep merge of `src` into `dst`. Without `overwrite`, only missing (or
/// empty) destination values are filled; maps merge recursively and nested source maps
/// are shared by reference when copied over.
pub fn merge_into(dst: &MapRef, src: &MapRef, overwrite: bool, depth: usize) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err("merge: maps nested too deeply".into());
    }
    let entries: Vec<(String, Value)> = src
        .borrow()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (k, sv) in entries {
        if sv.is_nil() {
            if overwrite {
                dst.borrow_mut().insert(k, Value::Nil);
            }
            continue;
        }
        let dv = dst.borrow().get(&k).cloned();
        if let (Some(Value::Map(dm)), Value::Map(sm)) = (&dv, &sv) {
            if !Rc::ptr_eq(dm, sm) {
                merge_into(dm, sm, overwrite, depth + 1)?;
            }
        }
        let dst_nonempty = dv.as_ref().is_some_and(|d| !d.is_empty());
        if dst_nonempty && matches!(sv, Value::Map(_) | Value::List(_)) {
            continue;
        }
        if overwrite || !dst_nonempty {
            dst.borrow_mut().insert(k, sv);
        }
    }
    Ok(())
}
