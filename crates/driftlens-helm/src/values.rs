//! Values: user-supplied values (`-f` files merged in order, then `--set`,
//! `--set-string`, `--set-file` parsed with Helm's strvals typing) and Helm's coalescing
//! of user values with chart defaults, subchart sections and `global`.

use std::path::Path;

use driftlens_gotmpl::value::{Map, Value};
use driftlens_gotmpl::yaml;

/// A values error with a user-facing message.
#[derive(Debug, Clone)]
pub struct ValuesError(pub String);

/// Deep copy of a map (no sharing with the source).
pub fn copy_map(m: &Map) -> Map {
    m.iter()
        .map(|(k, v)| (k.clone(), v.deep_copy().unwrap_or(Value::Nil)))
        .collect()
}

fn as_map(v: &Value) -> Option<Map> {
    match v {
        Value::Map(m) => Some(m.borrow().clone()),
        _ => None,
    }
}

/// Helm's `mergeMaps` for successive values files: maps merge, everything else replaces.
pub fn merge_maps(base: &mut Map, over: &Map) {
    for (k, v) in over {
        match (base.get(k).and_then(as_map), as_map(v)) {
            (Some(mut b), Some(o)) => {
                merge_maps(&mut b, &o);
                base.insert(k.clone(), Value::map(b));
            }
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
}

/// Parses a values document; an empty document is an empty map.
pub fn parse_values(text: &str, name: &str) -> Result<Map, ValuesError> {
    match yaml::load(text) {
        Ok(Value::Map(m)) => Ok(m.borrow().clone()),
        Ok(Value::Nil) => Ok(Map::new()),
        Ok(_) => Err(ValuesError(format!("failed to parse {name}: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {{}}"))),
        Err(e) => {
            let m = if e.0.starts_with("error converting") { e.0 } else { format!("error converting YAML to JSON: {}", e.0) };
            Err(ValuesError(format!("failed to parse {name}: cannot unmarshal yaml document: {m}")))
        }
    }
}

/// Loads a values file.
pub fn read_values_file(path: &Path) -> Result<Map, ValuesError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ValuesError(format!("open {}: {e}", path.display())))?;
    parse_values(&text, &path.display().to_string())
}

/// Kinds of `--set` flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetKind {
    /// `--set`: typed values.
    Typed,
    /// `--set-string`: strings.
    String,
    /// `--set-file`: values are file paths whose content is the value.
    File,
}

/// strvals typing for `--set`.
pub fn typed_val(s: &str) -> Value {
    if s.eq_ignore_ascii_case("true") {
        return Value::Bool(true);
    }
    if s.eq_ignore_ascii_case("false") {
        return Value::Bool(false);
    }
    if s.eq_ignore_ascii_case("null") {
        return Value::Nil;
    }
    if s == "0" {
        return Value::Int64(0);
    }
    if !s.is_empty() && !s.starts_with('0') {
        if let Ok(i) = s.parse::<i64>() {
            return Value::Int64(i);
        }
    }
    Value::str(s)
}

/// Splits on `sep` outside `{}` and not escaped by `\`.
fn split_top(s: &str, sep: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut depth = 0i32;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                cur.push(c);
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '{' => {
                depth += 1;
                cur.push(c);
            }
            '}' => {
                depth -= 1;
                cur.push(c);
            }
            c if c == sep && depth <= 0 => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

enum Seg {
    Key(String),
    Index(usize),
}

fn parse_key(k: &str) -> Result<Vec<Seg>, ValuesError> {
    let mut segs = Vec::new();
    for part in split_top(k, '.') {
        let mut rest = part.as_str();
        let name_end = rest.find('[').unwrap_or(rest.len());
        let name = unescape(&rest[..name_end]);
        if name.is_empty() && name_end == rest.len() {
            return Err(ValuesError(format!("key {k:?} has no value")));
        }
        if !name.is_empty() {
            segs.push(Seg::Key(name));
        }
        rest = &rest[name_end..];
        while let Some(r) = rest.strip_prefix('[') {
            let close = r
                .find(']')
                .ok_or_else(|| ValuesError(format!("key {k:?} has an unclosed index")))?;
            let idx: usize = r[..close].parse().map_err(|_| {
                ValuesError(format!(
                    "failed to parse index {:?} in key {k:?}",
                    &r[..close]
                ))
            })?;
            if idx > 65_536 {
                return Err(ValuesError(format!(
                    "index of {idx} is greater than maximum supported index 65536"
                )));
            }
            segs.push(Seg::Index(idx));
            rest = &r[close + 1..];
        }
    }
    Ok(segs)
}

fn set_path(target: &mut Value, segs: &[Seg], v: Value) {
    let Some((first, rest)) = segs.split_first() else {
        *target = v;
        return;
    };
    match first {
        Seg::Key(k) => {
            let mut m = as_map(target).unwrap_or_default();
            let mut child = m.remove(k).unwrap_or(Value::Nil);
            if rest.is_empty() {
                child = v;
            } else {
                set_path(&mut child, rest, v);
            }
            m.insert(k.clone(), child);
            *target = Value::map(m);
        }
        Seg::Index(i) => {
            let mut l: Vec<Value> = match target {
                Value::List(l) => l.as_ref().clone(),
                _ => Vec::new(),
            };
            while l.len() <= *i {
                l.push(Value::Nil);
            }
            if rest.is_empty() {
                l[*i] = v;
            } else {
                set_path(&mut l[*i], rest, v);
            }
            *target = Value::list(l);
        }
    }
}

/// Applies one `--set`-style flag (`a.b=1,c[0]=x`) to `base`.
pub fn apply_set(base: &mut Map, flag: &str, kind: SetKind) -> Result<(), ValuesError> {
    let mut root = Value::map(std::mem::take(base));
    for item in split_top(flag, ',') {
        if item.is_empty() {
            continue;
        }
        let (k, v) = match item.split_once('=') {
            Some(kv) => kv,
            None => {
                return Err(ValuesError(format!(
                    "key {:?} has no value",
                    unescape(&item)
                )))
            }
        };
        let segs = parse_key(k)?;
        let val = match kind {
            SetKind::File => {
                let text = std::fs::read_to_string(unescape(v))
                    .map_err(|e| ValuesError(format!("failed to read --set-file {v}: {e}")))?;
                Value::from(text)
            }
            _ => {
                if v.starts_with('{') && v.ends_with('}') && v.len() >= 2 {
                    let inner = &v[1..v.len() - 1];
                    let items: Vec<Value> = split_top(inner, ',')
                        .into_iter()
                        .map(|s| {
                            if kind == SetKind::String {
                                Value::from(unescape(&s))
                            } else {
                                typed_val(&unescape(&s))
                            }
                        })
                        .collect();
                    Value::list(items)
                } else if kind == SetKind::String {
                    Value::from(unescape(v))
                } else {
                    typed_val(&unescape(v))
                }
            }
        };
        set_path(&mut root, &segs, val);
    }
    *base = as_map(&root).unwrap_or_default();
    Ok(())
}

/// Warnings collected while coalescing (Helm logs them; informational only).
pub type Warnings = Vec<String>;

/// `coalesceTablesFullKey`: `dst` has precedence over `src`. Nulls in `dst` delete keys
/// (unless `merge`).
pub fn coalesce_tables(
    dst: &mut Map,
    src: &Map,
    prefix: &str,
    merge: bool,
    warn: &mut Warnings,
    depth: usize,
) {
    if depth > 200 {
        return;
    }
    for (k, sv) in src {
        let full = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match dst.get(k).cloned() {
            Some(Value::Nil) if !merge => {
                dst.remove(k);
            }
            None => {
                dst.insert(k.clone(), sv.deep_copy().unwrap_or(Value::Nil));
            }
            Some(dv) => match (as_map(&dv), as_map(sv)) {
                (Some(mut dm), Some(sm)) => {
                    coalesce_tables(&mut dm, &sm, &full, merge, warn, depth + 1);
                    dst.insert(k.clone(), Value::map(dm));
                }
                (None, Some(_)) => warn.push(format!(
                    "warning: cannot overwrite table with non table for {full} ({})",
                    driftlens_gotmpl::fmt::sprint_value(sv)
                )),
                (Some(_), None) if !sv.is_nil() => warn.push(format!(
                    "warning: destination for {full} is a table. Ignoring non-table value ({})",
                    driftlens_gotmpl::fmt::sprint_value(sv)
                )),
                _ => {}
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use driftlens_gotmpl::fmt::sprint_value;

    fn set(flags: &[(&str, SetKind)]) -> String {
        let mut m = Map::new();
        for (f, k) in flags {
            if let Err(e) = apply_set(&mut m, f, *k) {
                return format!("ERR {}", e.0);
            }
        }
        let v = Value::map(m);
        format!(
            "{} {}",
            sprint_value(&v),
            driftlens_gotmpl::funcs::encoding::to_json(&v, false, None).unwrap_or_default()
        )
    }

    #[test]
    fn strvals_typing() {
        assert_eq!(set(&[("a=1000000,b=true,c=null,d=1.5,e=007,f={x,2}", SetKind::Typed)]), "map[a:1000000 b:true c:<nil> d:1.5 e:007 f:[x 2]] {\"a\":1000000,\"b\":true,\"c\":null,\"d\":\"1.5\",\"e\":\"007\",\"f\":[\"x\",2]}");
        assert_eq!(
            set(&[("a.b[1].c=x", SetKind::Typed)]),
            "map[a:map[b:[<nil> map[c:x]]]] {\"a\":{\"b\":[null,{\"c\":\"x\"}]}}"
        );
        assert_eq!(
            set(&[("a=true", SetKind::String)]),
            "map[a:true] {\"a\":\"true\"}"
        );
        assert_eq!(
            set(&[("a\\.b=1", SetKind::Typed)]),
            "map[a.b:1] {\"a.b\":1}"
        );
        assert_eq!(
            set(&[("a=99999999999999999999", SetKind::Typed)]),
            "map[a:99999999999999999999] {\"a\":\"99999999999999999999\"}"
        );
        assert!(set(&[("novalue", SetKind::Typed)]).starts_with("ERR"));
    }

    #[test]
    fn coalesce_nulls_delete_defaults() {
        let defaults = parse_values("a: 1\nb: {c: 2, d: 3}\ne: 4", "d").unwrap_or_default();
        let mut user = parse_values("a: null\nb: {c: null, x: 9}", "u").unwrap_or_default();
        let mut w = Vec::new();
        coalesce_tables(&mut user, &defaults, "", false, &mut w, 0);
        assert_eq!(sprint_value(&Value::map(user)), "map[b:map[d:3 x:9] e:4]");
    }
}
