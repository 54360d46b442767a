//! Go `text/template` built-in functions: comparisons with Go's type rules, `not`,
//! `len`, `index`, `slice`, `print*`, `html`, `js`, `urlquery`, `call`.
//! (`and`/`or` short-circuit and live in the evaluator.)

use super::super::fmt::{sprint, sprintf, sprintln};
use super::super::value::{Object, Value};
use super::{arity, arity_min, FnCtx, FnErr, FnResult, Func};
use std::cmp::Ordering;

/// Resolves a built-in name.
pub fn lookup(name: &str) -> Option<Func> {
    Some(match name {
        "not" => not,
        "eq" => eq,
        "ne" => ne,
        "lt" => |_, a| cmp_fn("lt", a, |o| o == Ordering::Less),
        "le" => |_, a| cmp_fn("le", a, |o| o != Ordering::Greater),
        "gt" => |_, a| cmp_fn("gt", a, |o| o == Ordering::Greater),
        "ge" => |_, a| cmp_fn("ge", a, |o| o != Ordering::Less),
        "len" => len,
        "index" => index,
        "slice" | "mustSlice" => slice,
        "print" => |c, a| {
            c.charge(a.len() as u64)?;
            Ok(Value::from(sprint(a)))
        },
        "println" => |_, a| Ok(Value::from(sprintln(a))),
        "printf" => printf,
        "html" => |_, a| Ok(Value::from(html_escape(&sprint(a)))),
        "js" => |_, a| Ok(Value::from(js_escape(&sprint(a)))),
        "urlquery" => |_, a| Ok(Value::from(query_escape(&sprint(a)))),
        "call" => |_, a| {
            arity_min("call", a, 1)?;
            Err(FnErr::Call(format!(
                "non-function {} of type {}",
                super::strval(&a[0]),
                a[0].type_name()
            )))
        },
        _ => return None,
    })
}

fn not(_: &mut FnCtx, a: &[Value]) -> FnResult {
    arity("not", a, 1)?;
    Ok(Value::Bool(!a[0].truthy()))
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Kind {
    Invalid,
    Bool,
    Int,
    Float,
    Str,
    Other,
}

fn kind(v: &Value) -> Kind {
    match v {
        Value::Nil => Kind::Invalid,
        Value::Bool(_) => Kind::Bool,
        Value::Int(_) | Value::Int64(_) => Kind::Int,
        Value::Float(_) => Kind::Float,
        Value::Str(_) => Kind::Str,
        Value::Object(o) if matches!(**o, Object::Bytes { slice: false, .. }) => Kind::Str,
        _ => Kind::Other,
    }
}

/// Go `eq` on two values; `Err` carries Go's message.
pub fn eq_values(a: &Value, b: &Value) -> Result<bool, String> {
    let (ka, kb) = (kind(a), kind(b));
    if ka != kb {
        if ka != Kind::Invalid && kb != Kind::Invalid {
            return Err(format!(
                "incompatible types for comparison: {} and {}",
                a.type_name(),
                b.type_name()
            ));
        }
        return Ok(false);
    }
    Ok(match (a, b) {
        (Value::Nil, Value::Nil) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => x == y,
        _ if ka == Kind::Str => a.as_bytes() == b.as_bytes(),
        _ => match (a.as_int(), b.as_int()) {
            (Some(x), Some(y)) => x == y,
            _ => {
                return Err(format!(
                    "non-comparable type {}: {}",
                    sprintf("%s", std::slice::from_ref(a)),
                    a.type_name()
                ));
            }
        },
    })
}

fn eq(_: &mut FnCtx, a: &[Value]) -> FnResult {
    if a.len() < 2 {
        if a.is_empty() {
            return Err(FnErr::Arg(
                "wrong number of args for eq: want at least 1 got 0".into(),
            ));
        }
        return Err(FnErr::Call("missing argument for comparison".into()));
    }
    for b in &a[1..] {
        if eq_values(&a[0], b).map_err(FnErr::Call)? {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

fn ne(_: &mut FnCtx, a: &[Value]) -> FnResult {
    arity("ne", a, 2)?;
    Ok(Value::Bool(!eq_values(&a[0], &a[1]).map_err(FnErr::Call)?))
}

fn cmp_fn(name: &str, a: &[Value], f: fn(Ordering) -> bool) -> FnResult {
    arity(name, a, 2)?;
    let (x, y) = (&a[0], &a[1]);
    let (kx, ky) = (kind(x), kind(y));
    if matches!(kx, Kind::Invalid | Kind::Other | Kind::Bool)
        || matches!(ky, Kind::Invalid | Kind::Other | Kind::Bool)
    {
        return Err(FnErr::Call("invalid type for comparison".into()));
    }
    if kx != ky {
        return Err(FnErr::Call(format!(
            "incompatible types for comparison: {} and {}",
            x.type_name(),
            y.type_name()
        )));
    }
    let o = match (x, y) {
        (Value::Float(p), Value::Float(q)) => p.partial_cmp(q).unwrap_or(Ordering::Equal),
        (Value::Str(p), Value::Str(q)) => p.cmp(q),
        _ => x.as_int().unwrap_or(0).cmp(&y.as_int().unwrap_or(0)),
    };
    Ok(Value::Bool(f(o)))
}

fn len(_: &mut FnCtx, a: &[Value]) -> FnResult {
    arity("len", a, 1)?;
    let n = match &a[0] {
        Value::Str(s) => s.len(),
        Value::List(l) => l.len(),
        Value::Map(m) => m.borrow().len(),
        Value::Object(o) => match &**o {
            Object::Files(f) => f.len(),
            Object::ApiVersions(v) => v.len(),
            Object::Bytes { data, .. } => data.len(),
            Object::KubeVersion { .. } | Object::Time(_) => {
                return Err(FnErr::Call(format!("len of type {}", a[0].type_name())))
            }
        },
        Value::Nil => return Err(FnErr::Call("len of nil pointer".into())),
        other => return Err(FnErr::Call(format!("len of type {}", other.type_name()))),
    };
    Ok(Value::Int(n as i64))
}

fn index_int(v: &Value, what: &str) -> Result<i64, FnErr> {
    match v {
        Value::Int(i) | Value::Int64(i) => Ok(*i),
        Value::Nil => Err(FnErr::Call(format!("cannot index {what} with nil"))),
        other => Err(FnErr::Call(format!(
            "cannot index {what} with type {}",
            other.type_name()
        ))),
    }
}

fn index(_: &mut FnCtx, a: &[Value]) -> FnResult {
    arity_min("index", a, 1)?;
    let mut cur = a[0].clone();
    for ix in &a[1..] {
        cur = match &cur {
            Value::List(l) => {
                let i = index_int(ix, "slice/array")?;
                if i < 0 || i as usize >= l.len() {
                    return Err(FnErr::Call(format!("index out of range: {i}")));
                }
                l[i as usize].clone()
            }
            Value::Str(s) => {
                let i = index_int(ix, "slice/array")?;
                if i < 0 || i as usize >= s.len() {
                    return Err(FnErr::Call(format!("index out of range: {i}")));
                }
                Value::Int(s.as_bytes()[i as usize] as i64)
            }
            Value::Map(m) => match ix {
                Value::Str(k) => m.borrow().get(&**k).cloned().unwrap_or(Value::Nil),
                Value::Nil => Value::Nil,
                other => {
                    return Err(FnErr::Call(format!(
                        "value has type {}; should be string",
                        other.type_name()
                    )));
                }
            },
            Value::Object(o) => match (&**o, ix) {
                (Object::Files(f), Value::Str(k)) => match f.get(&**k) {
                    Some(b) => Value::list(b.iter().map(|x| Value::Int(*x as i64)).collect()),
                    None => Value::Nil,
                },
                (Object::ApiVersions(v), _) => {
                    let i = index_int(ix, "slice/array")?;
                    match v.get(i.max(0) as usize) {
                        Some(s) if i >= 0 => Value::str(s),
                        _ => return Err(FnErr::Call(format!("index out of range: {i}"))),
                    }
                }
                _ => {
                    return Err(FnErr::Call(format!(
                        "can't index item of type {}",
                        cur.type_name()
                    )))
                }
            },
            Value::Nil => return Err(FnErr::Call("index of untyped nil".into())),
            other => {
                return Err(FnErr::Call(format!(
                    "can't index item of type {}",
                    other.type_name()
                )))
            }
        };
    }
    Ok(cur)
}

fn slice(_: &mut FnCtx, a: &[Value]) -> FnResult {
    arity_min("slice", a, 1)?;
    let idx: Vec<i64> = a[1..]
        .iter()
        .map(|v| index_int(v, "slice/array"))
        .collect::<Result<_, _>>()?;
    if idx.len() > 3 {
        return Err(FnErr::Call(format!(
            "too many slice indexes: {}",
            idx.len()
        )));
    }
    let len = match &a[0] {
        Value::Str(s) => {
            if idx.len() == 3 {
                return Err(FnErr::Call("cannot 3-index slice a string".into()));
            }
            s.len()
        }
        Value::List(l) => l.len(),
        Value::Nil => return Err(FnErr::Call("slice of untyped nil".into())),
        other => {
            return Err(FnErr::Call(format!(
                "can't slice item of type {}",
                other.type_name()
            )))
        }
    };
    let i = idx.first().copied().unwrap_or(0);
    let j = idx.get(1).copied().unwrap_or(len as i64);
    for &x in &idx {
        if x < 0 || x as usize > len {
            return Err(FnErr::Call(format!("index out of range: {x}")));
        }
    }
    if i > j {
        return Err(FnErr::Call(format!("invalid slice index: {i} > {j}")));
    }
    Ok(match &a[0] {
        Value::Str(s) => match s.get(i as usize..j as usize) {
            Some(sub) => Value::str(sub),
            None => Value::from(
                String::from_utf8_lossy(&s.as_bytes()[i as usize..j as usize]).into_owned(),
            ),
        },
        Value::List(l) => Value::list(l[i as usize..j as usize].to_vec()),
        _ => Value::Nil,
    })
}

fn printf(c: &mut FnCtx, a: &[Value]) -> FnResult {
    arity_min("printf", a, 1)?;
    let f = super::s_arg(&a[0])?;
    let s = sprintf(f, &a[1..]);
    c.charge(s.len() as u64 / 64)?;
    Ok(Value::from(s))
}

/// Go's `template.HTMLEscapeString`.
pub fn html_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '"' => o.push_str("&#34;"),
            '\'' => o.push_str("&#39;"),
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '\0' => o.push('\u{FFFD}'),
            c => o.push(c),
        }
    }
    o
}

/// Go's `template.JSEscapeString`.
pub fn js_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '\\' => o.push_str("\\\\"),
            '\'' => o.push_str("\\'"),
            '"' => o.push_str("\\\""),
            '<' => o.push_str("\\u003C"),
            '>' => o.push_str("\\u003E"),
            '&' => o.push_str("\\u0026"),
            '=' => o.push_str("\\u003D"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04X}", c as u32)),
            c => o.push(c),
        }
    }
    o
}

/// Go's `url.QueryEscape`.
pub fn query_escape(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                o.push(b as char)
            }
            b' ' => o.push('+'),
            b => o.push_str(&format!("%{b:02X}")),
        }
    }
    o
}
