//! Sprig list functions: construction, access, set-like operations, sorting, ranges.

use std::rc::Rc;

use super::super::value::{Object, Value};
use super::strings::strslice;
use super::{arity, arity_min, to_i64, FnCtx, FnErr, FnResult, Func};

/// Resolves a list function name.
pub fn lookup(name: &str) -> Option<Func> {
    Some(match name {
        "list" | "tuple" => |c, a| {
            c.charge(a.len() as u64)?;
            Ok(Value::list(a.to_vec()))
        },
        "append" | "push" | "mustAppend" | "mustPush" => |c, a| {
            arity("append", a, 2)?;
            let mut l = as_list(c.name, &a[0])?;
            l.push(a[1].clone());
            c.charge(l.len() as u64)?;
            Ok(Value::list(l))
        },
        "prepend" | "mustPrepend" => |c, a| {
            arity("prepend", a, 2)?;
            let mut l = as_list(c.name, &a[0])?;
            l.insert(0, a[1].clone());
            c.charge(l.len() as u64)?;
            Ok(Value::list(l))
        },
        "concat" => |c, a| {
            let mut out = Vec::new();
            for l in a {
                out.extend(as_list(c.name, l)?);
            }
            c.charge(out.len() as u64)?;
            Ok(Value::list(out))
        },
        "first" | "mustFirst" => |c, a| {
            arity("first", a, 1)?;
            Ok(as_list(c.name, &a[0])?.first().cloned().unwrap_or_default())
        },
        "last" | "mustLast" => |c, a| {
            arity("last", a, 1)?;
            Ok(as_list(c.name, &a[0])?.last().cloned().unwrap_or_default())
        },
        "rest" | "mustRest" => |c, a| {
            arity("rest", a, 1)?;
            let l = as_list(c.name, &a[0])?;
            if l.is_empty() {
                return Ok(Value::Nil);
            }
            Ok(Value::list(l[1..].to_vec()))
        },
        "initial" | "mustInitial" => |c, a| {
            arity("initial", a, 1)?;
            let l = as_list(c.name, &a[0])?;
            if l.is_empty() {
                return Ok(Value::Nil);
            }
            Ok(Value::list(l[..l.len() - 1].to_vec()))
        },
        "uniq" | "mustUniq" => |c, a| {
            arity("uniq", a, 1)?;
            let l = as_list(c.name, &a[0])?;
            c.charge(l.len() as u64)?;
            let mut out: Vec<Value> = Vec::new();
            for e in l {
                if !out.iter().any(|o| deep_eq(o, &e)) {
                    out.push(e);
                }
            }
            Ok(Value::list(out))
        },
        "without" | "mustWithout" => |c, a| {
            arity_min("without", a, 1)?;
            let l = as_list(c.name, &a[0])?;
            Ok(Value::list(
                l.into_iter()
                    .filter(|e| !a[1..].iter().any(|o| deep_eq(o, e)))
                    .collect(),
            ))
        },
        "has" | "mustHas" => |c, a| {
            arity("has", a, 2)?;
            if a[1].is_nil() {
                return Ok(Value::Bool(false));
            }
            let l = as_list(c.name, &a[1])?;
            Ok(Value::Bool(l.iter().any(|e| deep_eq(e, &a[0]))))
        },
        "compact" | "mustCompact" => |c, a| {
            arity("compact", a, 1)?;
            Ok(Value::list(
                as_list(c.name, &a[0])?
                    .into_iter()
                    .filter(|e| !e.is_empty())
                    .collect(),
            ))
        },
        "reverse" | "mustReverse" => |c, a| {
            arity("reverse", a, 1)?;
            let mut l = as_list(c.name, &a[0])?;
            l.reverse();
            Ok(Value::list(l))
        },
        "sortAlpha" => |_, a| {
            arity("sortAlpha", a, 1)?;
            let mut l = strslice(&a[0]);
            if let Value::Map(_) | Value::Object(_) = &a[0] {
                return Ok(a[0].clone());
            }
            l.sort();
            Ok(Value::list(l.into_iter().map(Value::from).collect()))
        },
        "until" => |c, a| {
            arity("until", a, 1)?;
            let n = to_i64(&a[0]);
            let (start, stop, step) = if n < 0 { (0, n, -1) } else { (0, n, 1) };
            until_step(c, start, stop, step)
        },
        "untilStep" => |c, a| {
            arity("untilStep", a, 3)?;
            until_step(c, to_i64(&a[0]), to_i64(&a[1]), to_i64(&a[2]))
        },
        "seq" => |c, a| {
            let n: Vec<i64> = a.iter().map(to_i64).collect();
            let (start, end, step) = match n.as_slice() {
                [e] => (1, *e, if *e >= 1 { 1 } else { -1 }),
                [s, e] => (*s, *e, if e >= s { 1 } else { -1 }),
                [s, st, e] => (*s, *e, *st),
                _ => return Ok(Value::str("")),
            };
            if step == 0 || (step > 0 && start > end) || (step < 0 && start < end) {
                return Ok(Value::str(""));
            }
            let count = ((end as i128 - start as i128) / step as i128)
                .unsigned_abs()
                .min(u64::MAX as u128) as u64
                + 1;
            c.charge(count)?;
            let mut out = Vec::new();
            let mut i = start as i128;
            while (step > 0 && i <= end as i128) || (step < 0 && i >= end as i128) {
                out.push(i.to_string());
                i += step as i128;
            }
            Ok(Value::from(out.join(" ")))
        },
        "chunk" | "mustChunk" => |c, a| {
            arity("chunk", a, 2)?;
            let l = as_list(c.name, &a[1])?;
            chunk(to_i64(&a[0]), &l)
        },
        _ => return None,
    })
}

/// Go's conversion of a float64 to int on amd64: NaN and out-of-range values become
/// the smallest int.
fn go_f64_to_int(f: f64) -> i64 {
    if f.is_nan() || !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f) {
        i64::MIN
    } else {
        f as i64
    }
}

/// Sprig's `chunk`, including the panics Go raises for sizes below 1.
fn chunk(size: i64, l: &[Value]) -> FnResult {
    const BAD_LEN: &str = "runtime error: makeslice: len out of range";
    let n = l.len() as i64;
    let chunks = go_f64_to_int(((n - 1) as f64 / size as f64).floor() + 1.0);
    if chunks < 0 || chunks > n.max(1) {
        return Err(FnErr::Call(BAD_LEN.into()));
    }
    let mut out = Vec::with_capacity(chunks as usize);
    for i in 0..chunks {
        let mut clen = size;
        if i == chunks - 1 {
            // Go's math.Mod keeps the sign of the dividend.
            clen = go_f64_to_int((n as f64 % size as f64).floor());
            if clen == 0 {
                clen = size;
            }
        }
        if clen < 0 {
            return Err(FnErr::Call(BAD_LEN.into()));
        }
        let mut part = Vec::with_capacity(clen.min(n) as usize);
        for j in 0..clen {
            let ix = i.saturating_mul(size).saturating_add(j);
            match usize::try_from(ix).ok().and_then(|ix| l.get(ix)) {
                Some(v) => part.push(v.clone()),
                None => return Err(FnErr::Call("reflect: slice index out of range".into())),
            }
        }
        out.push(Value::list(part));
    }
    Ok(Value::list(out))
}

fn until_step(c: &mut FnCtx, start: i64, stop: i64, step: i64) -> FnResult {
    if step == 0 || (step > 0 && start >= stop) || (step < 0 && start <= stop) {
        return Ok(Value::list(Vec::new()));
    }
    let count = ((stop as i128 - start as i128) / step as i128).unsigned_abs() as u64 + 1;
    c.charge(count)?;
    let mut out = Vec::with_capacity(count as usize);
    let mut i = start;
    while (step > 0 && i < stop) || (step < 0 && i > stop) {
        out.push(Value::Int(i));
        i = i.saturating_add(step);
    }
    Ok(Value::list(out))
}

/// Elements of a list-like value; Sprig errors on anything else.
pub fn as_list(fname: &str, v: &Value) -> Result<Vec<Value>, FnErr> {
    match v {
        Value::List(l) => Ok(l.as_ref().clone()),
        Value::Object(o) => match &**o {
            Object::ApiVersions(v) => Ok(v.iter().map(Value::str).collect()),
            _ => Err(FnErr::Call(format!(
                "Cannot {} on type {}",
                verb(fname),
                v.type_name()
            ))),
        },
        other => Err(FnErr::Call(format!(
            "Cannot {} on type {}",
            verb(fname),
            other.type_name()
        ))),
    }
}

fn verb(fname: &str) -> &str {
    match fname {
        "append" | "push" | "mustAppend" | "mustPush" => "push",
        "prepend" | "mustPrepend" => "prepend",
        "first" | "mustFirst" => "find first",
        "last" | "mustLast" => "find last",
        "rest" | "mustRest" => "find rest",
        "initial" | "mustInitial" => "find initial",
        "uniq" | "mustUniq" => "find uniq",
        "without" | "mustWithout" => "find without",
        "has" | "mustHas" => "find has",
        "compact" | "mustCompact" => "compact",
        "reverse" | "mustReverse" => "find reverse",
        "concat" => "concat",
        _ => fname,
    }
}

/// Go's `reflect.DeepEqual` over template values.
pub fn deep_eq(a: &Value, b: &Value) -> bool {
    deep_eq_at(a, b, 0)
}

fn deep_eq_at(a: &Value, b: &Value, d: usize) -> bool {
    if d > super::super::value::MAX_DEPTH {
        return false;
    }
    match (a, b) {
        (Value::Nil, Value::Nil) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) | (Value::Int64(x), Value::Int64(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::List(x), Value::List(y)) => {
            Rc::ptr_eq(x, y)
                || (x.len() == y.len()
                    && x.iter().zip(y.iter()).all(|(p, q)| deep_eq_at(p, q, d + 1)))
        }
        (Value::Map(x), Value::Map(y)) => {
            if Rc::ptr_eq(x, y) {
                return true;
            }
            let (x, y) = (x.borrow(), y.borrow());
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| deep_eq_at(v, w, d + 1)))
        }
        _ => false,
    }
}
