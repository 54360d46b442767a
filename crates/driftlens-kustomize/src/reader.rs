//! Reading resources from bytes (`resource.Factory.SliceFromBytes`): kyaml's document split
//! and decode, unwrapping of a lone `List`/`ResourceList`, validation of `kind` and
//! `metadata.name`, and expansion of `*List` kinds whose items go after the other documents.

use crate::error::{Error, Result};
use crate::resource::Resource;
use crate::yaml::node::{Data, Loc, Node, Pair, Style, Tag};
use crate::yaml::parse::{read_documents, ReadOptions};
use crate::yaml::resolve::Version;
use crate::yaml::value::{decode_any, Value};

/// Reads resource documents from a file's bytes (`file` indexes the build's file table).
pub fn resources_from_bytes(bytes: &[u8], file: u32) -> Result<Vec<Resource>> {
    let text = String::from_utf8_lossy(bytes);
    let docs = read_documents(
        &text,
        ReadOptions {
            version: Version::V3,
            file,
        },
    )
    .map_err(|e| Error::new(format!("MalformedYAMLError: {}", e.message)))?;
    let nodes = unwrap_single_list(docs, &text);
    let nodes = drop_bad_nodes(nodes)?;
    let nodes = inline_lists(nodes)?;
    Ok(nodes
        .into_iter()
        .enumerate()
        .map(|(i, n)| {
            let mut r = Resource::new(n);
            r.provenance.file = file;
            r.provenance.doc = i as u32;
            r
        })
        .collect())
}

/// kio `ByteReader`: a file that is one `List`/`ResourceList` document with `items` (or
/// `functionConfig`) is replaced by its items.
fn unwrap_single_list(docs: Vec<Node>, text: &str) -> Vec<Node> {
    let pieces = crate::yaml::parse::split_documents(&text.replace("\r\n", "\n"))
        .map(|p| p.len())
        .unwrap_or(0);
    if pieces != 1 || docs.len() != 1 {
        return docs;
    }
    let doc = &docs[0];
    let kind = doc.field("kind").map(|k| k.value()).unwrap_or("");
    if (kind == "List" || kind == "ResourceList")
        && (doc.field("items").is_some() || doc.field("functionConfig").is_some())
    {
        let mut out = Vec::new();
        if let Some(Data::Seq(items)) = doc.field("items").map(|i| &i.data) {
            out.extend(items.iter().cloned());
        }
        return out;
    }
    docs
}

/// Go's `%v` of kyaml's `ResourceMeta`.
fn meta_v(n: &Node) -> String {
    let av = n
        .field("apiVersion")
        .filter(|f| !f.is_nil_or_empty())
        .map(|f| f.value())
        .unwrap_or("");
    let kind = n
        .field("kind")
        .filter(|f| !f.is_nil_or_empty())
        .map(|f| f.value())
        .unwrap_or("");
    let md = n.field("metadata").filter(|m| !m.is_nil_or_empty());
    let get = |k: &str| {
        md.and_then(|m| m.field(k))
            .filter(|f| !f.is_nil_or_empty())
            .map(|f| f.value().to_string())
            .unwrap_or_default()
    };
    let map = |k: &str| {
        let mut entries: Vec<(String, String)> = md
            .and_then(|m| m.field(k))
            .and_then(|f| f.pairs())
            .map(|ps| {
                ps.iter()
                    .map(|p| (p.key.value().to_string(), p.value.value().to_string()))
                    .collect()
            })
            .unwrap_or_default();
        entries.sort();
        entries.dedup_by(|a, b| a.0 == b.0);
        let inner: Vec<String> = entries.iter().map(|(k, v)| format!("{k}:{v}")).collect();
        format!("map[{}]", inner.join(" "))
    };
    format!(
        "{{{{{av} {kind}}} {{{{{} {}}} {} {}}}}}",
        get("name"),
        get("namespace"),
        map("labels"),
        map("annotations")
    )
}

/// `GetValidatedMetadata`.
pub fn validate_meta(n: &Node) -> Result<()> {
    let has = |k: &str| n.field(k).is_some_and(|f| !f.is_nil_or_empty());
    let kind = n
        .field("kind")
        .filter(|f| !f.is_nil_or_empty())
        .map(|f| f.value())
        .unwrap_or("");
    let md = n.field("metadata").filter(|m| !m.is_nil_or_empty());
    let name = md
        .and_then(|m| m.field("name"))
        .filter(|f| !f.is_nil_or_empty())
        .map(|f| f.value())
        .unwrap_or("");
    let meta_present = md.is_some_and(|m| {
        ["name", "namespace", "labels", "annotations"]
            .iter()
            .any(|k| m.field(k).is_some_and(|f| !f.is_nil_or_empty()))
    });
    if !has("apiVersion") && !has("kind") && !meta_present {
        return Err(Error::new("missing Resource metadata"));
    }
    if kind.is_empty() {
        return Err(Error::new(format!("missing kind in object {}", meta_v(n))));
    }
    if kind.ends_with("List") {
        return Ok(());
    }
    if name.is_empty() {
        return Err(Error::new(format!(
            "missing metadata.name in object {}",
            meta_v(n)
        )));
    }
    Ok(())
}

fn drop_bad_nodes(nodes: Vec<Node>) -> Result<Vec<Node>> {
    let mut out = Vec::with_capacity(nodes.len());
    for n in nodes {
        if n.is_nil_or_empty() {
            continue;
        }
        validate_meta(&n)?;
        out.push(n);
    }
    Ok(out)
}

fn inline_lists(nodes: Vec<Node>) -> Result<Vec<Node>> {
    let mut queue: std::collections::VecDeque<Node> = nodes.into();
    let mut out = Vec::new();
    while let Some(n) = queue.pop_front() {
        let kind = n.get_kind().to_string();
        if !kind.ends_with("List") {
            out.push(n);
            continue;
        }
        let Some(items) = n.field("items") else {
            out.push(n);
            continue;
        };
        match &items.data {
            Data::Seq(list) => {
                let mut inner = Vec::new();
                for it in list {
                    let v = decode_any(it).map_err(|e| {
                        Error::new(format!("trouble expanding list of {kind}; {}", e.0))
                    })?;
                    if matches!(v, Value::Null) {
                        continue;
                    }
                    let mut node = value_to_node(&v, it.loc);
                    copy_locs(it, &mut node);
                    if node.is_nil_or_empty() {
                        continue;
                    }
                    validate_meta(&node)?;
                    inner.push(node);
                }
                queue.extend(inner);
            }
            _ if items.is_null() => {}
            _ => {
                let t = match &items.data {
                    Data::Map(_) => "map[string]interface {}",
                    _ => match decode_any(items) {
                        Ok(Value::Str(_)) => "string",
                        Ok(Value::Bool(_)) => "bool",
                        Ok(Value::Int(_)) => "int",
                        Ok(Value::Float(_)) => "float64",
                        _ => "string",
                    },
                };
                return Err(Error::new(format!(
                    "expected array in {kind}/items, but found {t}"
                )));
            }
        }
    }
    Ok(out)
}

/// A node as kyaml makes it from JSON text (`json.Marshal` then parse): strings are
/// double-quoted `!!str`, numbers and booleans plain.
pub fn value_to_node(v: &Value, loc: Loc) -> Node {
    let scalar = |tag: Tag, text: String, style: Style| Node {
        tag,
        style,
        loc,
        data: Data::Scalar(text),
    };
    match v {
        Value::Null => scalar(Tag::Null, "null".into(), Style::Plain),
        Value::Bool(b) => scalar(Tag::Bool, b.to_string(), Style::Plain),
        Value::Int(i) => scalar(Tag::Int, i.to_string(), Style::Plain),
        Value::Uint(u) => scalar(Tag::Int, u.to_string(), Style::Plain),
        Value::Float(f) => {
            let t = crate::yaml::value::json_float(*f).unwrap_or_else(|_| "0".into());
            let tag = if t.contains(['.', 'e', 'E']) {
                Tag::Float
            } else {
                Tag::Int
            };
            scalar(tag, t, Style::Plain)
        }
        Value::Str(s) => scalar(Tag::Str, s.clone(), Style::Double),
        Value::Seq(items) => Node {
            tag: Tag::Seq,
            style: Style::Flow,
            loc,
            data: Data::Seq(items.iter().map(|i| value_to_node(i, loc)).collect()),
        },
        Value::Map(pairs) => Node {
            tag: Tag::Map,
            style: Style::Flow,
            loc,
            data: Data::Map(
                pairs
                    .iter()
                    .map(|(k, v)| Pair {
                        key: scalar(Tag::Str, k.clone(), Style::Double),
                        value: value_to_node(v, loc),
                    })
                    .collect(),
            ),
        },
    }
}

/// A node as kyaml rebuilds it from Go data (`yaml.FromMap`: the go-yaml v3 encoder's text,
/// parsed again): strings are `!!str`, float64 numbers print with Go's `%g`.
pub fn value_to_node_v3(v: &Value, loc: Loc) -> Node {
    let scalar = |tag: Tag, text: String| Node {
        tag,
        style: Style::Plain,
        loc,
        data: Data::Scalar(text),
    };
    match v {
        Value::Null => scalar(Tag::Null, "null".into()),
        Value::Bool(b) => scalar(Tag::Bool, b.to_string()),
        Value::Int(i) => scalar(Tag::Int, i.to_string()),
        Value::Uint(u) => scalar(Tag::Int, u.to_string()),
        Value::Float(f) => {
            let t = match crate::yaml::value::go_format_g(*f).as_str() {
                "+Inf" => ".inf".to_string(),
                "-Inf" => "-.inf".to_string(),
                "NaN" => ".nan".to_string(),
                t => t.to_string(),
            };
            let tag = match crate::yaml::resolve::resolve(&t, Version::V3) {
                crate::yaml::resolve::Resolved::Int(_)
                | crate::yaml::resolve::Resolved::Uint(_) => Tag::Int,
                _ => Tag::Float,
            };
            scalar(tag, t)
        }
        Value::Str(s) => {
            let mut n = Node::string(s.clone());
            n.loc = loc;
            n
        }
        Value::Seq(items) => Node {
            tag: Tag::Seq,
            style: Style::Plain,
            loc,
            data: Data::Seq(items.iter().map(|i| value_to_node_v3(i, loc)).collect()),
        },
        Value::Map(pairs) => Node {
            tag: Tag::Map,
            style: Style::Plain,
            loc,
            data: Data::Map(
                pairs
                    .iter()
                    .map(|(k, v)| Pair {
                        key: scalar(Tag::Str, k.clone()),
                        value: value_to_node_v3(v, loc),
                    })
                    .collect(),
            ),
        },
    }
}

/// Copies locations from `from` onto the nodes of `to` that kept the same text (rebuilt
/// objects point where unchanged fields were written; changed ones keep their new place).
pub fn copy_locs_if_same(from: &Node, to: &mut Node) {
    match (&from.data, &mut to.data) {
        (Data::Map(fp), Data::Map(tp)) => {
            to.loc = from.loc;
            for p in tp.iter_mut() {
                if let Some(q) = fp.iter().find(|q| q.key.value() == p.key.value()) {
                    p.key.loc = q.key.loc;
                    copy_locs_if_same(&q.value, &mut p.value);
                }
            }
        }
        (Data::Seq(fi), Data::Seq(ti)) => {
            to.loc = from.loc;
            for (a, b) in fi.iter().zip(ti.iter_mut()) {
                copy_locs_if_same(a, b);
            }
        }
        (Data::Scalar(a), Data::Scalar(b)) if a == b => to.loc = from.loc,
        _ => {}
    }
}

/// Copies source locations from `from` onto the matching nodes of `to` (same keys and
/// indices), so rebuilt objects still point at where their fields were written.
pub fn copy_locs(from: &Node, to: &mut Node) {
    to.loc = from.loc;
    match (&from.data, &mut to.data) {
        (Data::Map(fp), Data::Map(tp)) => {
            for p in tp.iter_mut() {
                if let Some(q) = fp.iter().find(|q| q.key.value() == p.key.value()) {
                    p.key.loc = q.key.loc;
                    copy_locs(&q.value, &mut p.value);
                }
            }
        }
        (Data::Seq(fi), Data::Seq(ti)) => {
            for (a, b) in fi.iter().zip(ti.iter_mut()) {
                copy_locs(a, b);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &str) -> Vec<String> {
        resources_from_bytes(s.as_bytes(), 1)
            .unwrap()
            .iter()
            .map(|r| r.name().to_string())
            .collect()
    }

    #[test]
    fn lists_expand_after_other_documents() {
        let s = "kind: List\napiVersion: v1\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: x1}}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: x2}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\n---\napiVersion: v1\nkind: FooList\nmetadata:\n  name: fl\n";
        assert_eq!(names(s), vec!["y", "fl", "x1", "x2"]);
    }

    #[test]
    fn validation_messages() {
        let e = resources_from_bytes(b"apiVersion: v1\nkind: ConfigMap\n", 1).unwrap_err();
        assert_eq!(
            e.message,
            "missing metadata.name in object {{v1 ConfigMap} {{ } map[] map[]}}"
        );
    }
}
