//! [`Jv`], the JSON value of the jq engine.
//!
//! It implements jaq's value traits with jq's semantics (gojq's where jq versions differ:
//! integers stay integers, object keys are kept sorted) and meters everything it does (see
//! [`super::meter`]): each operation and each clone is a step, each value built counts its
//! bytes before they are allocated, and arrays and objects carry their nesting depth, so a
//! value deeper than the limit is never built. A string repeated 10¹² times, an array padded
//! to index 10¹⁸ or a `reduce` that wraps a value a million times stops the evaluation instead
//! of exhausting memory or the stack.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::sync::Arc;

use jaq_core::box_iter::BoxIter;
use jaq_core::ops::Math;
use jaq_core::path::Opt;
use jaq_core::val::Range;
use jaq_core::{Error, Exn, ValR, ValX};

use super::meter;

/// An object's entries, sorted by key.
pub type Map = BTreeMap<Arc<str>, Jv>;

/// An array or object with its nesting depth (1 for one holding only scalars).
#[derive(Debug, Clone)]
pub struct Node<T> {
    depth: u32,
    items: T,
}

/// A JSON value.
pub enum Jv {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// An integer.
    Int(i64),
    /// Any other number.
    Float(f64),
    /// A string.
    Str(Arc<str>),
    /// An array.
    Arr(Arc<Node<Vec<Jv>>>),
    /// An object.
    Obj(Arc<Node<Map>>),
}

const SLOT: usize = std::mem::size_of::<Jv>();
/// Bytes counted per object entry besides its key.
const ENTRY: usize = SLOT + 32;

impl Clone for Jv {
    fn clone(&self) -> Self {
        meter::step(1);
        match self {
            Jv::Null => Jv::Null,
            Jv::Bool(b) => Jv::Bool(*b),
            Jv::Int(i) => Jv::Int(*i),
            Jv::Float(f) => Jv::Float(*f),
            Jv::Str(s) => Jv::Str(Arc::clone(s)),
            Jv::Arr(a) => Jv::Arr(Arc::clone(a)),
            Jv::Obj(o) => Jv::Obj(Arc::clone(o)),
        }
    }
}

fn fail<T>(msg: impl ToString) -> Result<T, Error<Jv>> {
    Err(Error::str(msg))
}

impl Jv {
    /// A string value.
    pub fn string(s: &str) -> Jv {
        meter::alloc(s.len());
        Jv::Str(Arc::from(s))
    }

    /// An array value.
    pub fn array(items: Vec<Jv>) -> Jv {
        meter::alloc(items.len() * SLOT);
        let depth = 1 + items.iter().map(Jv::depth).max().unwrap_or(0);
        meter::check_depth(depth as usize);
        Jv::Arr(Arc::new(Node { depth, items }))
    }

    /// An object value.
    pub fn object(items: Map) -> Jv {
        let depth = 1 + items.values().map(Jv::depth).max().unwrap_or(0);
        meter::check_depth(depth as usize);
        Jv::Obj(Arc::new(Node { depth, items }))
    }

    /// Nesting depth: 0 for scalars.
    pub fn depth(&self) -> u32 {
        match self {
            Jv::Arr(a) => a.depth,
            Jv::Obj(o) => o.depth,
            _ => 0,
        }
    }

    /// The jq type name.
    pub fn type_name(&self) -> &'static str {
        match self {
            Jv::Null => "null",
            Jv::Bool(_) => "boolean",
            Jv::Int(_) | Jv::Float(_) => "number",
            Jv::Str(_) => "string",
            Jv::Arr(_) => "array",
            Jv::Obj(_) => "object",
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Jv::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The items, if this is an array.
    pub fn as_array(&self) -> Option<&[Jv]> {
        match self {
            Jv::Arr(a) => Some(&a.items),
            _ => None,
        }
    }

    /// The entries, if this is an object.
    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Jv::Obj(o) => Some(&o.items),
            _ => None,
        }
    }

    fn number(&self) -> Option<f64> {
        match self {
            Jv::Int(i) => Some(*i as f64),
            Jv::Float(f) => Some(*f),
            _ => None,
        }
    }

    fn int_index(&self) -> Option<i64> {
        match self {
            Jv::Int(i) => Some(*i),
            Jv::Float(f) if f.is_finite() => {
                Some(f.floor().clamp(i64::MIN as f64, i64::MAX as f64) as i64)
            }
            _ => None,
        }
    }

    /// The JSON text, metered as it is written.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        write_json(self, &mut out, usize::MAX, true);
        out
    }

    /// The value converted from JSON; `None` when it is nested deeper than `max_depth`.
    pub fn from_json(v: &serde_json::Value, max_depth: usize) -> Option<Jv> {
        from_json(v, max_depth)
    }

    /// The value as JSON.
    pub fn to_serde(&self) -> serde_json::Value {
        match self {
            Jv::Null => serde_json::Value::Null,
            Jv::Bool(b) => serde_json::Value::Bool(*b),
            Jv::Int(i) => serde_json::Value::from(*i),
            Jv::Float(f) => serde_json::Number::from_f64(*f)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Jv::Str(s) => serde_json::Value::String(s.to_string()),
            Jv::Arr(a) => serde_json::Value::Array(a.items.iter().map(Jv::to_serde).collect()),
            Jv::Obj(o) => serde_json::Value::Object(
                o.items
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_serde()))
                    .collect(),
            ),
        }
    }

    /// jq's `length`.
    pub fn length(&self) -> ValR<Jv> {
        match self {
            Jv::Null => Ok(Jv::Int(0)),
            Jv::Bool(_) => fail(format_args!("{} ({self}) has no length", self.type_name())),
            Jv::Int(i) => Ok(i
                .checked_abs()
                .map_or(Jv::Float((*i as f64).abs()), Jv::Int)),
            Jv::Float(f) => Ok(Jv::Float(f.abs())),
            Jv::Str(s) => Ok(Jv::from(s.chars().count())),
            Jv::Arr(a) => Ok(Jv::from(a.items.len())),
            Jv::Obj(o) => Ok(Jv::from(o.items.len())),
        }
    }

    /// jq's `contains`.
    pub fn contains(&self, other: &Jv) -> Result<bool, Error<Jv>> {
        meter::step(1);
        match (self, other) {
            (Jv::Str(a), Jv::Str(b)) => {
                meter::step((a.len() / 64) as u64);
                Ok(memchr::memmem::find(a.as_bytes(), b.as_bytes()).is_some())
            }
            (Jv::Arr(a), Jv::Arr(b)) => {
                for y in &b.items {
                    let mut found = false;
                    for x in &a.items {
                        if x.contains(y)? {
                            found = true;
                            break;
                        }
                    }
                    if !found {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            (Jv::Obj(a), Jv::Obj(b)) => {
                for (k, y) in &b.items {
                    match a.items.get(k) {
                        Some(x) if x.contains(y)? => {}
                        _ => return Ok(false),
                    }
                }
                Ok(true)
            }
            (a, b)
                if std::mem::discriminant(a) == std::mem::discriminant(b)
                    || (a.number().is_some() && b.number().is_some()) =>
            {
                Ok(a == b)
            }
            (a, b) => fail(format_args!(
                "{} ({a}) and {} ({b}) cannot have their containment checked",
                a.type_name(),
                b.type_name()
            )),
        }
    }

    /// jq's `has(key)`.
    pub fn has(&self, key: &Jv) -> Result<bool, Error<Jv>> {
        match (self, key) {
            (Jv::Obj(o), Jv::Str(k)) => Ok(o.items.contains_key(k)),
            (Jv::Arr(a), k) if k.number().is_some() => {
                let i = k.number().unwrap_or(-1.0);
                Ok(i >= 0.0 && i < a.items.len() as f64)
            }
            (v, k) => fail(format_args!(
                "cannot check whether {} has a {} key",
                v.type_name(),
                k.type_name()
            )),
        }
    }

    /// jq's `indices(x)`: positions of a substring, of a sub-array, or of an element.
    pub fn indices(&self, x: &Jv) -> ValR<Jv> {
        let out: Vec<Jv> = match (self, x) {
            (Jv::Null, _) | (_, Jv::Null) => return Ok(Jv::Null),
            (Jv::Str(s), Jv::Str(t)) => {
                if t.is_empty() {
                    Vec::new()
                } else {
                    meter::step((s.len() / 64) as u64);
                    // Byte offsets of each match, converted to codepoint offsets.
                    let mut out = Vec::new();
                    let mut chars = 0usize;
                    let mut last = 0usize;
                    for at in memchr::memmem::find_iter(s.as_bytes(), t.as_bytes()) {
                        meter::step(1);
                        chars += s[last..at].chars().count();
                        last = at;
                        out.push(Jv::from(chars));
                    }
                    out
                }
            }
            (Jv::Arr(a), Jv::Arr(b)) => {
                if b.items.is_empty() {
                    Vec::new()
                } else {
                    a.items
                        .windows(b.items.len())
                        .enumerate()
                        .filter(|(_, w)| *w == b.items.as_slice())
                        .map(|(i, _)| Jv::from(i))
                        .collect()
                }
            }
            (Jv::Arr(a), y) => a
                .items
                .iter()
                .enumerate()
                .filter(|(_, x)| *x == y)
                .map(|(i, _)| Jv::from(i))
                .collect(),
            (a, b) => return Err(Error::index(a.clone(), b.clone())),
        };
        Ok(Jv::array(out))
    }

    /// The value with the entries of `other` added (shallow).
    fn merge_shallow(self, other: &Node<Map>) -> Jv {
        let Jv::Obj(mut o) = self else {
            return self;
        };
        meter::alloc(other.items.keys().map(|k| ENTRY + k.len()).sum());
        let n = Arc::make_mut(&mut o);
        for (k, v) in &other.items {
            n.items.insert(Arc::clone(k), v.clone());
        }
        n.depth = n.depth.max(other.depth);
        Jv::Obj(o)
    }

    /// jq's recursive object merge (`*`).
    fn merge_deep(self, other: Jv) -> Jv {
        meter::step(1);
        match (self, other) {
            (Jv::Obj(mut a), Jv::Obj(b)) => {
                let n = Arc::make_mut(&mut a);
                for (k, v) in &b.items {
                    let merged = match n.items.remove(k) {
                        Some(old @ Jv::Obj(_)) if matches!(v, Jv::Obj(_)) => {
                            old.merge_deep(v.clone())
                        }
                        _ => {
                            meter::alloc(ENTRY + k.len());
                            v.clone()
                        }
                    };
                    n.depth = n.depth.max(1 + merged.depth());
                    n.items.insert(Arc::clone(k), merged);
                }
                meter::check_depth(n.depth as usize);
                Jv::Obj(a)
            }
            (_, b) => b,
        }
    }
}

fn from_json(v: &serde_json::Value, max_depth: usize) -> Option<Jv> {
    Some(match v {
        serde_json::Value::Null => Jv::Null,
        serde_json::Value::Bool(b) => Jv::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Jv::Int(i),
            None => Jv::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => Jv::Str(Arc::from(s.as_str())),
        serde_json::Value::Array(a) => {
            let max_depth = max_depth.checked_sub(1)?;
            let items = a
                .iter()
                .map(|x| from_json(x, max_depth))
                .collect::<Option<Vec<_>>>()?;
            let depth = 1 + items.iter().map(Jv::depth).max().unwrap_or(0);
            Jv::Arr(Arc::new(Node { depth, items }))
        }
        serde_json::Value::Object(o) => {
            let max_depth = max_depth.checked_sub(1)?;
            let items = o
                .iter()
                .map(|(k, x)| Some((Arc::from(k.as_str()), from_json(x, max_depth)?)))
                .collect::<Option<Map>>()?;
            let depth = 1 + items.values().map(Jv::depth).max().unwrap_or(0);
            Jv::Obj(Arc::new(Node { depth, items }))
        }
    })
}

/// Writes a number as jq prints it.
fn write_number(f: f64, out: &mut String) {
    if f.is_nan() {
        out.push_str("null");
    } else if f.is_infinite() {
        out.push_str(if f > 0.0 {
            "1.7976931348623157e+308"
        } else {
            "-1.7976931348623157e+308"
        });
    } else if f.fract() == 0.0 && f.abs() < 1e17 {
        let _ = write!(out, "{}", f as i64);
    } else {
        let abs = f.abs();
        if (1e-5..1e17).contains(&abs) {
            let _ = write!(out, "{f}");
        } else {
            let s = format!("{f:e}");
            // Rust writes `1e100` and `1.5e-7`; jq writes `1e+100` and `1.5e-07`.
            match s.split_once('e') {
                Some((m, e)) => {
                    let (sign, digits) = match e.strip_prefix('-') {
                        Some(d) => ('-', d),
                        None => ('+', e),
                    };
                    let _ = write!(out, "{m}e{sign}{digits:0>2}");
                }
                None => out.push_str(&s),
            }
        }
    }
}

fn write_string(s: &str, out: &mut String) {
    // serde_json escapes as jq does (quotes, backslashes, control characters).
    if let Ok(quoted) = serde_json::to_string(s) {
        out.push_str(&quoted);
    }
}

/// Writes compact JSON; stops after about `max` bytes (appending `...`). When `metered`, every
/// piece is counted against the evaluation's memory before it is appended.
fn write_json(v: &Jv, out: &mut String, max: usize, metered: bool) -> bool {
    if out.len() > max {
        out.push_str("...");
        return false;
    }
    let before = out.len();
    match v {
        Jv::Null => out.push_str("null"),
        Jv::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Jv::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Jv::Float(f) => write_number(*f, out),
        Jv::Str(s) => {
            if metered {
                meter::alloc(s.len() + 2);
            }
            write_string(s, out);
        }
        Jv::Arr(a) => {
            if metered {
                meter::step(1);
            }
            out.push('[');
            for (i, x) in a.items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if !write_json(x, out, max, metered) {
                    return false;
                }
            }
            out.push(']');
        }
        Jv::Obj(o) => {
            if metered {
                meter::step(1);
            }
            out.push('{');
            for (i, (k, x)) in o.items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if metered {
                    meter::alloc(k.len() + 3);
                }
                write_string(k, out);
                out.push(':');
                if !write_json(x, out, max, metered) {
                    return false;
                }
            }
            out.push('}');
        }
    }
    if metered && !matches!(v, Jv::Str(_)) {
        meter::alloc(out.len().saturating_sub(before).min(16));
    }
    true
}

/// Values quoted in error messages are cut after this many bytes.
const QUOTE_MAX: usize = 80;

impl fmt::Display for Jv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        write_json(self, &mut s, QUOTE_MAX, false);
        if s.len() > QUOTE_MAX {
            let mut cut = QUOTE_MAX;
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            s.truncate(cut);
            s.push_str("...");
        }
        f.write_str(&s)
    }
}

impl fmt::Debug for Jv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// jq's order: null < false < true < numbers < strings < arrays < objects; NaN is smaller than
/// every number (and than itself, which is how `isnan` is defined).
fn cmp(a: &Jv, b: &Jv) -> Ordering {
    meter::step(1);
    fn rank(v: &Jv) -> u8 {
        match v {
            Jv::Null => 0,
            Jv::Bool(false) => 1,
            Jv::Bool(true) => 2,
            Jv::Int(_) | Jv::Float(_) => 3,
            Jv::Str(_) => 4,
            Jv::Arr(_) => 5,
            Jv::Obj(_) => 6,
        }
    }
    match (a, b) {
        (Jv::Int(x), Jv::Int(y)) => x.cmp(y),
        (Jv::Str(x), Jv::Str(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Jv::Arr(x), Jv::Arr(y)) => {
            for (l, r) in x.items.iter().zip(&y.items) {
                match cmp(l, r) {
                    Ordering::Equal => {}
                    o => return o,
                }
            }
            x.items.len().cmp(&y.items.len())
        }
        (Jv::Obj(x), Jv::Obj(y)) => {
            let keys = x.items.keys().map(|k| k.as_bytes());
            match keys.cmp(y.items.keys().map(|k| k.as_bytes())) {
                Ordering::Equal => {}
                o => return o,
            }
            for (l, r) in x.items.values().zip(y.items.values()) {
                match cmp(l, r) {
                    Ordering::Equal => {}
                    o => return o,
                }
            }
            Ordering::Equal
        }
        _ => match (a.number(), b.number()) {
            (Some(x), Some(y)) => {
                if x.is_nan() {
                    Ordering::Less
                } else if y.is_nan() {
                    Ordering::Greater
                } else {
                    x.total_cmp(&y)
                }
            }
            _ => rank(a).cmp(&rank(b)),
        },
    }
}

impl PartialEq for Jv {
    fn eq(&self, other: &Self) -> bool {
        match (self.number(), other.number()) {
            (Some(x), Some(y)) => match (self, other) {
                (Jv::Int(a), Jv::Int(b)) => a == b,
                _ => x == y,
            },
            _ => cmp(self, other) == Ordering::Equal,
        }
    }
}

impl Eq for Jv {}

impl PartialOrd for Jv {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Jv {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp(self, other)
    }
}

impl From<bool> for Jv {
    fn from(b: bool) -> Self {
        meter::step(1);
        Jv::Bool(b)
    }
}

impl From<isize> for Jv {
    fn from(i: isize) -> Self {
        meter::step(1);
        Jv::Int(i as i64)
    }
}

impl From<usize> for Jv {
    fn from(i: usize) -> Self {
        meter::step(1);
        i64::try_from(i).map_or(Jv::Float(i as f64), Jv::Int)
    }
}

impl From<f64> for Jv {
    fn from(f: f64) -> Self {
        meter::step(1);
        Jv::Float(f)
    }
}

impl From<String> for Jv {
    fn from(s: String) -> Self {
        meter::step(1);
        meter::alloc(s.len());
        Jv::Str(Arc::from(s))
    }
}

impl From<Range<Jv>> for Jv {
    fn from(r: Range<Jv>) -> Self {
        let mut m = Map::new();
        m.insert(Arc::from("start"), r.start.unwrap_or(Jv::Null));
        m.insert(Arc::from("end"), r.end.unwrap_or(Jv::Null));
        Jv::object(m)
    }
}

impl FromIterator<Jv> for Jv {
    fn from_iter<T: IntoIterator<Item = Jv>>(iter: T) -> Self {
        let mut items = Vec::new();
        for x in iter {
            meter::alloc(SLOT);
            items.push(x);
        }
        let depth = 1 + items.iter().map(Jv::depth).max().unwrap_or(0);
        meter::check_depth(depth as usize);
        Jv::Arr(Arc::new(Node { depth, items }))
    }
}

fn int_or_float(i: Option<i64>, f: f64) -> Jv {
    i.map_or(Jv::Float(f), Jv::Int)
}

impl std::ops::Add for Jv {
    type Output = ValR<Jv>;
    fn add(self, rhs: Jv) -> ValR<Jv> {
        meter::step(1);
        match (self, rhs) {
            (Jv::Null, x) | (x, Jv::Null) => Ok(x),
            (Jv::Int(a), Jv::Int(b)) => Ok(int_or_float(a.checked_add(b), a as f64 + b as f64)),
            (Jv::Str(a), Jv::Str(b)) => {
                meter::alloc(a.len() + b.len());
                let mut s = String::with_capacity(a.len() + b.len());
                s.push_str(&a);
                s.push_str(&b);
                Ok(Jv::Str(Arc::from(s)))
            }
            (Jv::Arr(a), Jv::Arr(b)) => {
                meter::alloc((a.items.len() + b.items.len()) * SLOT);
                let mut a = a;
                let n = Arc::make_mut(&mut a);
                n.items.extend(b.items.iter().cloned());
                n.depth = n.depth.max(b.depth);
                Ok(Jv::Arr(a))
            }
            (a @ Jv::Obj(_), Jv::Obj(b)) => Ok(a.merge_shallow(&b)),
            (a, b) => match (a.number(), b.number()) {
                (Some(x), Some(y)) => Ok(Jv::Float(x + y)),
                _ => Err(Error::math(a, Math::Add, b)),
            },
        }
    }
}

impl std::ops::Sub for Jv {
    type Output = ValR<Jv>;
    fn sub(self, rhs: Jv) -> ValR<Jv> {
        meter::step(1);
        match (self, rhs) {
            (Jv::Int(a), Jv::Int(b)) => Ok(int_or_float(a.checked_sub(b), a as f64 - b as f64)),
            (Jv::Arr(a), Jv::Arr(b)) => {
                let items: Vec<Jv> = a
                    .items
                    .iter()
                    .filter(|x| !b.items.contains(x))
                    .cloned()
                    .collect();
                Ok(Jv::array(items))
            }
            (a, b) => match (a.number(), b.number()) {
                (Some(x), Some(y)) => Ok(Jv::Float(x - y)),
                _ => Err(Error::math(a, Math::Sub, b)),
            },
        }
    }
}

fn repeat(s: &str, n: f64) -> ValR<Jv> {
    if n.is_nan() || n <= 0.0 {
        return Ok(Jv::Null);
    }
    let times = n.ceil();
    let bytes = (s.len() as f64) * times;
    if bytes > usize::MAX as f64 / 2.0 {
        meter::alloc(usize::MAX);
        return fail("string too long");
    }
    meter::alloc(bytes as usize);
    Ok(Jv::Str(Arc::from(s.repeat(times as usize))))
}

impl std::ops::Mul for Jv {
    type Output = ValR<Jv>;
    fn mul(self, rhs: Jv) -> ValR<Jv> {
        meter::step(1);
        match (self, rhs) {
            (Jv::Int(a), Jv::Int(b)) => Ok(int_or_float(a.checked_mul(b), a as f64 * b as f64)),
            (Jv::Str(s), n) | (n, Jv::Str(s)) if n.number().is_some() => {
                repeat(&s, n.number().unwrap_or(0.0))
            }
            (a @ Jv::Obj(_), b @ Jv::Obj(_)) => Ok(a.merge_deep(b)),
            (a, b) => match (a.number(), b.number()) {
                (Some(x), Some(y)) => Ok(Jv::Float(x * y)),
                _ => Err(Error::math(a, Math::Mul, b)),
            },
        }
    }
}

impl std::ops::Div for Jv {
    type Output = ValR<Jv>;
    fn div(self, rhs: Jv) -> ValR<Jv> {
        meter::step(1);
        match (self, rhs) {
            (Jv::Str(a), Jv::Str(b)) => {
                meter::alloc(a.len() * 2);
                let parts: Vec<Jv> = if a.is_empty() {
                    Vec::new()
                } else if b.is_empty() {
                    a.chars()
                        .map(|c| Jv::string(c.encode_utf8(&mut [0; 4])))
                        .collect()
                } else {
                    a.split(&*b).map(Jv::string).collect()
                };
                Ok(Jv::array(parts))
            }
            // Division by zero gives infinity or NaN (how jaq defines `infinite` and `nan`).
            (a, b) => match (a.number(), b.number()) {
                (Some(x), Some(y)) => match (&a, &b) {
                    (Jv::Int(p), Jv::Int(q)) if p.checked_rem(*q) == Some(0) => {
                        Ok(int_or_float(p.checked_div(*q), x / y))
                    }
                    _ => Ok(Jv::Float(x / y)),
                },
                _ => Err(Error::math(a, Math::Div, b)),
            },
        }
    }
}

impl std::ops::Rem for Jv {
    type Output = ValR<Jv>;
    fn rem(self, rhs: Jv) -> ValR<Jv> {
        meter::step(1);
        match (a_int(&self), a_int(&rhs)) {
            (Some(_), Some(0)) => fail(format_args!(
                "{self} and {rhs} cannot be divided because the divisor is zero"
            )),
            (Some(a), Some(b)) => Ok(Jv::Int(a.wrapping_rem(b))),
            _ => Err(Error::math(self, Math::Rem, rhs)),
        }
    }
}

/// A number truncated to an integer, as jq's `%` does.
fn a_int(v: &Jv) -> Option<i64> {
    match v {
        Jv::Int(i) => Some(*i),
        Jv::Float(f) if f.is_finite() => {
            Some(f.trunc().clamp(i64::MIN as f64, i64::MAX as f64) as i64)
        }
        _ => None,
    }
}

impl std::ops::Neg for Jv {
    type Output = ValR<Jv>;
    fn neg(self) -> ValR<Jv> {
        meter::step(1);
        match self {
            Jv::Int(i) => Ok(int_or_float(i.checked_neg(), -(i as f64))),
            Jv::Float(f) => Ok(Jv::Float(-f)),
            v => fail(format_args!("{} ({v}) cannot be negated", v.type_name())),
        }
    }
}

/// Resolves an index into `0..=len` (negative counts from the end), for slices.
fn slice_bound(v: Option<&Jv>, len: usize, default: usize, end: bool) -> Result<usize, Error<Jv>> {
    let Some(v) = v else {
        return Ok(default);
    };
    if matches!(v, Jv::Null) {
        return Ok(default);
    }
    let Some(f) = v.number() else {
        return fail(format_args!(
            "cannot use {} ({v}) as a slice index",
            v.type_name()
        ));
    };
    let f = if end { f.ceil() } else { f.floor() };
    let len_f = len as f64;
    let i = if f < 0.0 {
        (len_f + f).max(0.0)
    } else {
        f.min(len_f)
    };
    Ok(i as usize)
}

fn first_output<'a, I: Iterator<Item = ValX<'a, Jv>>>(
    mut it: I,
) -> Result<Option<Jv>, Exn<'a, Jv>> {
    it.next().transpose()
}

impl jaq_core::ValT for Jv {
    fn from_num(n: &str) -> ValR<Jv> {
        meter::step(1);
        if !n.contains(['.', 'e', 'E']) {
            if let Ok(i) = n.parse::<i64>() {
                return Ok(Jv::Int(i));
            }
        }
        n.parse::<f64>()
            .map(Jv::Float)
            .or_else(|_| fail(format_args!("cannot parse {n:?} as a number")))
    }

    fn from_map<I: IntoIterator<Item = (Jv, Jv)>>(iter: I) -> ValR<Jv> {
        let mut m = Map::new();
        for (k, v) in iter {
            match k {
                Jv::Str(k) => {
                    meter::alloc(ENTRY + k.len());
                    m.insert(k, v);
                }
                k => {
                    return fail(format_args!(
                        "object keys must be strings, not {} ({k})",
                        k.type_name()
                    ))
                }
            }
        }
        Ok(Jv::object(m))
    }

    fn key_values(self) -> BoxIter<'static, ValR<(Jv, Jv), Jv>> {
        meter::step(1);
        match self {
            Jv::Arr(a) => {
                let a = Arc::unwrap_or_clone(a).items;
                Box::new(a.into_iter().enumerate().map(|(i, v)| Ok((Jv::from(i), v))))
            }
            Jv::Obj(o) => {
                let o = Arc::unwrap_or_clone(o).items;
                Box::new(o.into_iter().map(|(k, v)| {
                    meter::step(1);
                    Ok((Jv::Str(k), v))
                }))
            }
            v => Box::new(std::iter::once(fail(format_args!(
                "cannot iterate over {} ({v})",
                v.type_name()
            )))),
        }
    }

    fn values(self) -> Box<dyn Iterator<Item = ValR<Jv>>> {
        meter::step(1);
        match self {
            Jv::Arr(a) => Box::new(Arc::unwrap_or_clone(a).items.into_iter().map(|v| {
                meter::step(1);
                Ok(v)
            })),
            Jv::Obj(o) => Box::new(Arc::unwrap_or_clone(o).items.into_values().map(|v| {
                meter::step(1);
                Ok(v)
            })),
            v => Box::new(std::iter::once(fail(format_args!(
                "cannot iterate over {} ({v})",
                v.type_name()
            )))),
        }
    }

    fn index(self, index: &Jv) -> ValR<Jv> {
        meter::step(1);
        match (&self, index) {
            (Jv::Null, Jv::Str(_) | Jv::Int(_) | Jv::Float(_) | Jv::Null) => Ok(Jv::Null),
            (Jv::Obj(o), Jv::Str(k)) => Ok(o.items.get(k).cloned().unwrap_or(Jv::Null)),
            (Jv::Arr(a), i) if i.int_index().is_some() => {
                let i = i.int_index().unwrap_or(0);
                let len = a.items.len() as i64;
                let i = if i < 0 { len + i } else { i };
                Ok(usize::try_from(i)
                    .ok()
                    .and_then(|i| a.items.get(i))
                    .cloned()
                    .unwrap_or(Jv::Null))
            }
            (Jv::Arr(_), Jv::Arr(_)) => self.indices(index),
            _ => Err(Error::index(self.clone(), index.clone())),
        }
    }

    fn range(self, range: Range<&Jv>) -> ValR<Jv> {
        meter::step(1);
        match &self {
            Jv::Null => Ok(Jv::Null),
            Jv::Arr(a) => {
                let len = a.items.len();
                let from = slice_bound(range.start, len, 0, false)?;
                let to = slice_bound(range.end, len, len, true)?.max(from);
                Ok(Jv::array(a.items[from..to].to_vec()))
            }
            Jv::Str(s) => {
                let len = s.chars().count();
                let from = slice_bound(range.start, len, 0, false)?;
                let to = slice_bound(range.end, len, len, true)?.max(from);
                let sub: String = s.chars().skip(from).take(to - from).collect();
                Ok(Jv::from(sub))
            }
            v => fail(format_args!(
                "cannot index {} ({v}) with a slice",
                v.type_name()
            )),
        }
    }

    fn map_values<'a, I: Iterator<Item = ValX<'a, Jv>>>(
        self,
        opt: Opt,
        f: impl Fn(Jv) -> I,
    ) -> ValX<'a, Jv> {
        meter::step(1);
        match self {
            Jv::Arr(a) => {
                let mut items = Vec::new();
                let mut depth = 0;
                for x in Arc::unwrap_or_clone(a).items {
                    if let Some(y) = first_output(f(x))? {
                        meter::alloc(SLOT);
                        depth = depth.max(y.depth());
                        items.push(y);
                    }
                }
                meter::check_depth(depth as usize + 1);
                Ok(Jv::Arr(Arc::new(Node {
                    depth: depth + 1,
                    items,
                })))
            }
            Jv::Obj(o) => {
                let mut items = Map::new();
                let mut depth = 0;
                for (k, x) in Arc::unwrap_or_clone(o).items {
                    if let Some(y) = first_output(f(x))? {
                        meter::alloc(ENTRY + k.len());
                        depth = depth.max(y.depth());
                        items.insert(k, y);
                    }
                }
                meter::check_depth(depth as usize + 1);
                Ok(Jv::Obj(Arc::new(Node {
                    depth: depth + 1,
                    items,
                })))
            }
            v => match opt {
                Opt::Optional => Ok(v),
                Opt::Essential => Err(Exn::from(Error::str(format_args!(
                    "cannot iterate over {} ({v})",
                    v.type_name()
                )))),
            },
        }
    }

    fn map_index<'a, I: Iterator<Item = ValX<'a, Jv>>>(
        self,
        index: &Jv,
        opt: Opt,
        f: impl Fn(Jv) -> I,
    ) -> ValX<'a, Jv> {
        meter::step(1);
        let this = match (self, index) {
            (Jv::Null, Jv::Str(_)) => Jv::object(Map::new()),
            (Jv::Null, i) if i.int_index().is_some() => Jv::array(Vec::new()),
            (v, _) => v,
        };
        match (this, index) {
            (Jv::Obj(mut o), Jv::Str(k)) => {
                let n = Arc::make_mut(&mut o);
                let old = n.items.remove(k).unwrap_or(Jv::Null);
                if let Some(y) = first_output(f(old))? {
                    meter::alloc(ENTRY + k.len());
                    n.depth = n.depth.max(1 + y.depth());
                    meter::check_depth(n.depth as usize);
                    n.items.insert(Arc::clone(k), y);
                }
                Ok(Jv::Obj(o))
            }
            (Jv::Arr(mut a), i) if i.int_index().is_some() => {
                let i = i.int_index().unwrap_or(0);
                let len = a.items.len();
                let at = if i < 0 { len as i64 + i } else { i };
                if at < 0 {
                    return Err(Exn::from(Error::str("Out of bounds negative array index")));
                }
                let at = at as u64;
                let old = a.items.get(at as usize).cloned().unwrap_or(Jv::Null);
                let Some(y) = first_output(f(old))? else {
                    if (at as usize) < len {
                        Arc::make_mut(&mut a).items.remove(at as usize);
                    }
                    return Ok(Jv::Arr(a));
                };
                if at >= len as u64 {
                    // Padding with nulls: count it before allocating anything.
                    let grow = (at - len as u64 + 1).saturating_mul(SLOT as u64);
                    meter::alloc(usize::try_from(grow).unwrap_or(usize::MAX));
                }
                let n = Arc::make_mut(&mut a);
                n.depth = n.depth.max(1 + y.depth());
                meter::check_depth(n.depth as usize);
                let at = at as usize;
                if at >= n.items.len() {
                    n.items.resize_with(at + 1, || Jv::Null);
                }
                n.items[at] = y;
                Ok(Jv::Arr(a))
            }
            (v, i) => match opt {
                Opt::Optional => Ok(v),
                Opt::Essential => Err(Exn::from(Error::index(v, i.clone()))),
            },
        }
    }

    fn map_range<'a, I: Iterator<Item = ValX<'a, Jv>>>(
        self,
        range: Range<&Jv>,
        opt: Opt,
        f: impl Fn(Jv) -> I,
    ) -> ValX<'a, Jv> {
        meter::step(1);
        let this = match self {
            Jv::Null => Jv::array(Vec::new()),
            v => v,
        };
        match this {
            Jv::Arr(mut a) => {
                let len = a.items.len();
                let from = slice_bound(range.start, len, 0, false)?;
                let to = slice_bound(range.end, len, len, true)?.max(from);
                let slice = Jv::array(a.items[from..to].to_vec());
                let replacement = match first_output(f(slice))? {
                    None => Vec::new(),
                    Some(Jv::Arr(r)) => Arc::unwrap_or_clone(r).items,
                    Some(v) => {
                        return Err(Exn::from(Error::str(format_args!(
                            "a slice of an array can only be replaced by an array, not {} ({v})",
                            v.type_name()
                        ))))
                    }
                };
                meter::alloc(replacement.len() * SLOT);
                let n = Arc::make_mut(&mut a);
                n.depth = n
                    .depth
                    .max(1 + replacement.iter().map(Jv::depth).max().unwrap_or(0));
                meter::check_depth(n.depth as usize);
                n.items.splice(from..to, replacement);
                Ok(Jv::Arr(a))
            }
            v => match opt {
                Opt::Optional => Ok(v),
                Opt::Essential => Err(Exn::from(Error::str(format_args!(
                    "cannot update a slice of {} ({v})",
                    v.type_name()
                )))),
            },
        }
    }

    fn as_bool(&self) -> bool {
        !matches!(self, Jv::Null | Jv::Bool(false))
    }

    fn into_string(self) -> Jv {
        match self {
            s @ Jv::Str(_) => s,
            v => {
                let s = v.to_json();
                Jv::Str(Arc::from(s))
            }
        }
    }
}

impl jaq_std::ValT for Jv {
    fn into_seq<S: FromIterator<Jv>>(self) -> Result<S, Jv> {
        match self {
            Jv::Arr(a) => Ok(Arc::unwrap_or_clone(a).items.into_iter().collect()),
            v => Err(v),
        }
    }

    fn is_int(&self) -> bool {
        matches!(self, Jv::Int(_))
    }

    fn as_isize(&self) -> Option<isize> {
        match self {
            Jv::Int(i) => isize::try_from(*i).ok(),
            Jv::Float(f)
                if f.is_finite()
                    && f.fract() == 0.0
                    && *f >= isize::MIN as f64
                    && *f <= isize::MAX as f64 =>
            {
                Some(*f as isize)
            }
            _ => None,
        }
    }

    fn as_f64(&self) -> Option<f64> {
        self.number()
    }

    fn is_utf8_str(&self) -> bool {
        matches!(self, Jv::Str(_))
    }

    fn as_bytes(&self) -> Option<&[u8]> {
        self.as_str().map(str::as_bytes)
    }

    fn as_sub_str(&self, sub: &[u8]) -> Jv {
        Jv::string(&String::from_utf8_lossy(sub))
    }

    fn from_utf8_bytes(b: impl AsRef<[u8]> + Send + 'static) -> Jv {
        Jv::string(&String::from_utf8_lossy(b.as_ref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jaq_core::ValT as _;

    fn s(x: &str) -> Jv {
        Jv::string(x)
    }

    #[test]
    fn order_follows_jq() {
        let mut v = [
            Jv::array(vec![]),
            s("a"),
            Jv::Float(1.5),
            Jv::Bool(true),
            Jv::Null,
            Jv::object(Map::new()),
            Jv::Int(1),
            Jv::Bool(false),
        ];
        v.sort();
        let text: Vec<String> = v.iter().map(|x| x.to_string()).collect();
        assert_eq!(
            text,
            ["null", "false", "true", "1", "1.5", "\"a\"", "[]", "{}"]
        );
        assert_eq!(Jv::Int(1), Jv::Float(1.0));
        assert_ne!(Jv::Float(f64::NAN), Jv::Float(f64::NAN));
    }

    #[test]
    fn numbers_print_like_jq() {
        let cases = [
            (Jv::Int(3), "3"),
            (Jv::Float(1.0), "1"),
            (Jv::Float(0.5), "0.5"),
            (Jv::Float(1e100), "1e+100"),
            (Jv::Float(1.5e-7), "1.5e-07"),
            (Jv::Float(f64::NAN), "null"),
            (Jv::Float(f64::INFINITY), "1.7976931348623157e+308"),
        ];
        for (v, want) in cases {
            assert_eq!(v.to_json(), want);
        }
    }

    #[test]
    fn arithmetic() {
        assert_eq!((Jv::Int(2) + Jv::Int(3)).unwrap(), Jv::Int(5));
        assert_eq!(
            (Jv::Int(i64::MAX) + Jv::Int(1)).unwrap().type_name(),
            "number"
        );
        assert_eq!((Jv::Int(6) / Jv::Int(3)).unwrap().to_json(), "2");
        assert_eq!((Jv::Int(1) / Jv::Int(2)).unwrap().to_json(), "0.5");
        assert_eq!((Jv::Int(1) / Jv::Int(0)).unwrap(), Jv::Float(f64::INFINITY));
        assert!((Jv::Int(1) % Jv::Int(0)).is_err());
        assert_eq!((s("ab") * Jv::Int(3)).unwrap(), s("ababab"));
        assert_eq!((s("ab") * Jv::Int(0)).unwrap(), Jv::Null);
        assert_eq!((s("a,b") / s(",")).unwrap().to_json(), "[\"a\",\"b\"]");
        assert!((Jv::Bool(true) + Jv::Int(1)).is_err());
    }

    #[test]
    fn depth_is_tracked() {
        let a = Jv::array(vec![Jv::array(vec![Jv::Int(1)])]);
        assert_eq!(a.depth(), 2);
        let j = serde_json::json!({"a": [{"b": 1}]});
        assert_eq!(Jv::from_json(&j, 10).unwrap().depth(), 3);
        assert!(Jv::from_json(&j, 2).is_none());
        assert_eq!(Jv::from_json(&j, 10).unwrap().to_serde(), j);
    }

    #[test]
    fn quoting_in_messages_is_short() {
        let long = s(&"x".repeat(1000));
        assert!(long.to_string().len() < 100);
        assert!(long.to_string().ends_with("..."));
    }

    #[test]
    fn updates() {
        let o = Jv::object(Map::new());
        let o = o
            .map_index(&s("a"), Opt::Essential, |_| std::iter::once(Ok(Jv::Int(1))))
            .unwrap();
        assert_eq!(o.to_json(), "{\"a\":1}");
        let a = Jv::Null
            .map_index(&Jv::Int(2), Opt::Essential, |_| {
                std::iter::once(Ok(Jv::Int(7)))
            })
            .unwrap();
        assert_eq!(a.to_json(), "[null,null,7]");
        let a = a
            .map_index(&Jv::Int(-1), Opt::Essential, |_| std::iter::empty())
            .unwrap();
        assert_eq!(a.to_json(), "[null,null]");
    }
}
