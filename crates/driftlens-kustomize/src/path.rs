//! kyaml's path lookups: `PathGetter` (`Lookup`: fields, `[k=v]` exact element match, numeric
//! indexes) and `PathMatcher` (fields, `[k=v]` *regular-expression* element match, `*`,
//! numeric indexes; every match, optionally creating what is missing). Used by vars and
//! replacements.

use regex::Regex;

use crate::yaml::node::{Data, Kind, Node, Pair};

/// kyaml `utils.SmarterPathSplitter`: splits on `delim`, keeping `[k=v.w]` together.
pub fn smarter_split(path: &str, delim: char) -> Vec<String> {
    let split = crate::fieldspec::path_split(path, delim);
    let mut out = Vec::new();
    let mut i = 0;
    while i < split.len() {
        let elem = &split[i];
        if elem.starts_with('[') && !elem.ends_with(']') {
            let mut b = vec![elem.clone()];
            while i < split.len() - 1 {
                i += 1;
                b.push(split[i].clone());
                if split[i].ends_with(']') {
                    break;
                }
            }
            let s = b.join(&delim.to_string());
            if s.contains('=') {
                out.push(s);
            } else {
                out.push(s.trim_matches(['[', ']']).to_string());
            }
        } else {
            out.push(elem.clone());
        }
        i += 1;
    }
    out
}

fn is_list_index(p: &str) -> bool {
    p.starts_with('[') && p.ends_with(']')
}

/// `SplitIndexNameValue`: `[a=b]` → (a, b).
fn split_index(p: &str) -> Result<(String, String), String> {
    let inner = &p[1..p.len() - 1];
    match inner.split_once('=') {
        Some((a, b)) => Ok((a.to_string(), b.to_string())),
        None => Err(format!(
            "wrong length of index name-value, expected 2, got 1: {p}"
        )),
    }
}

fn go_atoi(s: &str) -> Option<i64> {
    let b = s.strip_prefix(['+', '-']).unwrap_or(s);
    if b.is_empty() || !b.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `PathGetter` without creation (`yaml.Lookup(parts...)`).
pub fn lookup<'a>(node: &'a Node, parts: &[String]) -> Result<Option<&'a Node>, String> {
    let parts: Vec<&String> = parts.iter().filter(|p| !p.trim().is_empty()).collect();
    let mut cur = node;
    for p in parts {
        let p = p.trim();
        if let Some(idx) = go_atoi(p) {
            if idx < 0 {
                return Err(format!("array index {idx} cannot be negative"));
            }
            let Some(items) = seq_of(cur)? else {
                return Ok(None);
            };
            match items.get(idx as usize) {
                Some(n) => cur = n,
                None => return Ok(None),
            }
        } else if p == "-" {
            let Some(items) = seq_of(cur)? else {
                return Ok(None);
            };
            match items.last() {
                Some(n) => cur = n,
                None => return Ok(None),
            }
        } else if p == "*" {
            return Err("wildcard is not supported in PathGetter".into());
        } else if is_list_index(p) {
            let (k, v) = split_index(p)?;
            let Some(items) = seq_of(cur)? else {
                return Ok(None);
            };
            let found = if k.is_empty() {
                items.iter().find(|e| e.value() == v)
            } else {
                items.iter().find(|e| {
                    e.kind() == Kind::Map
                        && !e.is_null()
                        && e.entry(&k).is_some_and(|q| q.value.value() == v)
                })
            };
            match found {
                Some(n) => cur = n,
                None => return Ok(None),
            }
        } else {
            if cur.is_null() {
                return Ok(None);
            }
            if cur.kind() != Kind::Map {
                return Err(crate::builtins::wrong_kind_text(Kind::Map, cur));
            }
            match cur.field(p) {
                Some(n) => cur = n,
                None => return Ok(None),
            }
        }
    }
    Ok(Some(cur))
}

fn seq_of(n: &Node) -> Result<Option<&Vec<Node>>, String> {
    if n.is_null() {
        return Ok(None);
    }
    match &n.data {
        Data::Seq(items) => Ok(Some(items)),
        _ => Err(crate::builtins::wrong_kind_text(Kind::Seq, n)),
    }
}

/// `getPathPartKind`.
fn part_kind(next: Option<&String>, default: Kind) -> Kind {
    match next {
        None => default,
        Some(n) if is_list_index(n) || go_atoi(n).is_some() => Kind::Seq,
        Some(n) if n.is_empty() => default,
        Some(_) => Kind::Map,
    }
}

fn fresh(kind: Kind) -> Node {
    match kind {
        Kind::Map => Node::map(),
        Kind::Seq => Node::seq(),
        Kind::Scalar => Node::scalar(""),
    }
}

/// The text kyaml's `RNode.String()` gives a scalar (trimmed), for `[k=v]` regex matching.
fn node_string(n: &Node) -> String {
    if n.kind() == Kind::Scalar {
        let v = n.value();
        let needs_quote = n.tag == crate::yaml::node::Tag::Str
            && !matches!(
                crate::yaml::resolve::resolve(v, crate::yaml::resolve::Version::V3),
                crate::yaml::resolve::Resolved::Str
            );
        if needs_quote || n.style == crate::yaml::node::Style::Double {
            let mut s = String::new();
            crate::yaml::value::json_string(v, &mut s);
            return s;
        }
        if n.style == crate::yaml::node::Style::Single {
            return format!("'{}'", v.replace('\'', "''"));
        }
        return v.trim().to_string();
    }
    crate::builtins::node_text(n).trim().to_string()
}

/// `PathMatcher{Path, Create}`: calls `f` on every match. Returns how many matched.
pub fn path_match(
    node: &mut Node,
    parts: &[String],
    create: Option<Kind>,
    f: &mut dyn FnMut(&mut Node) -> Result<(), String>,
) -> Result<usize, String> {
    if parts.is_empty() {
        f(node)?;
        return Ok(1);
    }
    let p = &parts[0];
    if let Some(idx) = go_atoi(p) {
        if node.is_null() {
            return Ok(0);
        }
        let Data::Seq(items) = &mut node.data else {
            return Err(crate::builtins::wrong_kind_text(Kind::Seq, node));
        };
        if idx < 0 {
            return Err(format!(
                "index {idx} specified but only {} elements found",
                items.len()
            ));
        }
        if items.len() as i64 == idx {
            if let Some(k) = create {
                items.push(fresh(part_kind(parts.get(1), k)));
            }
        }
        if (items.len() as i64) < idx + 1 {
            return Err(format!(
                "index {idx} specified but only {} elements found",
                items.len()
            ));
        }
        return path_match(&mut items[idx as usize], &parts[1..], create, f);
    }
    if is_list_index(p) {
        let (field, pat) = split_index(p)?;
        let re = Regex::new(&pat).map_err(|e| format!("error parsing regexp: {e}"))?;
        if node.is_null() {
            return Ok(0);
        }
        let count = {
            let Data::Seq(items) = &mut node.data else {
                return Err(crate::builtins::wrong_kind_text(Kind::Seq, node));
            };
            let mut count = 0;
            for it in items.iter_mut() {
                if field.is_empty() {
                    if re.is_match(&node_string(it)) {
                        f(it)?;
                        count += 1;
                    }
                } else {
                    let Some(v) = it.field(&field) else { continue };
                    if !re.is_match(&node_string(v)) {
                        continue;
                    }
                    count += path_match(it, &parts[1..], create, f)?;
                }
            }
            count
        };
        if count > 0 || create.is_none() {
            return Ok(count);
        }
        let elem = if field.is_empty() {
            Node::scalar(pat.clone())
        } else {
            Node::map_of(vec![Pair {
                key: Node::scalar(field.clone()),
                value: Node::scalar(pat.clone()),
            }])
        };
        if let Data::Seq(items) = &mut node.data {
            items.push(elem);
        }
        return path_match(node, parts, create, f);
    }
    if p == "*" {
        if node.is_null() {
            return Ok(0);
        }
        let Data::Seq(items) = &mut node.data else {
            return Err(crate::builtins::wrong_kind_text(Kind::Seq, node));
        };
        let mut count = 0;
        for it in items.iter_mut() {
            count += path_match(it, &parts[1..], create, f)?;
        }
        return Ok(count);
    }
    if node.is_null() {
        return Ok(0);
    }
    if node.kind() != Kind::Map {
        return Err(crate::builtins::wrong_kind_text(Kind::Map, node));
    }
    if node.field(p).is_none() {
        let Some(k) = create else { return Ok(0) };
        node.set_field(p, fresh(part_kind(parts.get(1), k)));
    }
    match node.field_mut(p) {
        Some(child) => path_match(child, &parts[1..], create, f),
        None => Ok(0),
    }
}
