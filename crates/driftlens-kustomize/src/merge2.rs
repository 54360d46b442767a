//! Strategic-merge patches as kustomize applies them: kyaml `merge2.Merge` (the `walk`
//! package with the `Merger` visitor), not apimachinery's strategic merge patch.
//!
//! Maps merge field by field; a patch scalar wins; `null` deletes; lists are replaced unless
//! the OpenAPI schema of that exact type marks them `x-kubernetes-patch-strategy: merge`, in
//! which case elements are matched by the merge key(s) (`x-kubernetes-list-map-keys` or
//! `x-kubernetes-patch-merge-key`) and the patch's elements come first (kustomize merges with
//! `ListIncreaseDirection = Prepend`). Only the `$patch` directive is understood; other
//! `$…` keys are ordinary fields. The code follows kyaml's walker step by step, including its
//! quirks (which node a merge returns decides what is kept).

use crate::fieldspec::kind_name;
use crate::openapi::{At, Schema};
use crate::yaml::node::{Data, Kind, Node, Pair, Style, Tag};

/// What a walk step produced (kyaml returns node pointers; which node it is matters).
#[derive(Debug)]
enum Out {
    /// Remove the field / element / resource.
    Clear,
    /// The destination node (merged in place).
    Dest(Node),
    /// Another node (the patch's, or a fresh one).
    Other(Node),
    /// A null to keep (`MakePersistentNullNode`).
    KeepNull(Node),
}

impl Out {
    fn into_node(self) -> Option<Node> {
        match self {
            Out::Clear => None,
            Out::Dest(n) | Out::Other(n) | Out::KeepNull(n) => Some(n),
        }
    }
}

/// Merge options.
pub struct Merger<'s> {
    schema: &'s Schema,
    /// `ListIncreaseDirection == Prepend`.
    prepend: bool,
    /// Work counter (nodes visited).
    pub work: u64,
}

fn missing_or_null(n: Option<&Node>) -> bool {
    n.is_none_or(|n| n.is_null())
}

fn is_empty_map(n: Option<&Node>) -> bool {
    missing_or_null(n) || n.is_some_and(|n| n.is_empty_map())
}

/// kyaml `InvalidNodeKindError`.
fn wrong_kind(expected: Kind, n: &Node) -> String {
    format!(
        "wrong node kind: expected {} but got {}: node contents:\n{}",
        kind_name(expected),
        kind_name(n.kind()),
        crate::builtins::node_text(n)
    )
}

#[derive(PartialEq, Debug)]
enum Directive {
    Unknown,
    Replace,
    Delete,
    Merge,
}

/// `determineSmpDirective`: reads and removes `$patch` from the patch node.
fn determine_directive(patch: Option<&mut Node>) -> Result<Directive, String> {
    let Some(p) = patch else {
        return Ok(Directive::Merge);
    };
    let parse = |v: &str| match v {
        "delete" => Some(Directive::Delete),
        "replace" => Some(Directive::Replace),
        "merge" => Some(Directive::Merge),
        _ => None,
    };
    match p.kind() {
        Kind::Seq => {
            // The first element that has a `$patch` key.
            let Some(items) = p.items() else {
                return Ok(Directive::Merge);
            };
            let Some(idx) = items.iter().position(|e| e.field("$patch").is_some()) else {
                return Ok(Directive::Merge);
            };
            let e = &items[idx];
            if e.content_len() > 2 {
                return Ok(Directive::Merge);
            }
            let v = match e.field("$patch") {
                Some(v) if !v.is_null() => v.value().to_string(),
                _ => return Ok(Directive::Merge),
            };
            match parse(&v) {
                Some(d) => {
                    // ElementSetter{Keys: [$patch], Values: [v]} with no element: removes
                    // matching elements, drops empty ones.
                    element_setter(p, None, &["$patch".to_string()], &[v])?;
                    Ok(d)
                }
                None => Err(format!("unknown patch strategy '{v}'")),
            }
        }
        Kind::Map => {
            let v = match p.field("$patch") {
                Some(v) if !v.is_null() => v.value().to_string(),
                Some(_) | None => return Ok(Directive::Merge),
            };
            match parse(&v) {
                Some(d) => {
                    p.clear_field("$patch");
                    Ok(d)
                }
                None => Err(format!("unknown patch strategy '{v}'")),
            }
        }
        Kind::Scalar => Err(format!(
            "no implemented strategic merge patch strategy for '{}' ('{}')",
            short_tag(p),
            p.value()
        )),
    }
}

fn short_tag(n: &Node) -> String {
    match &n.tag {
        Tag::None => match n.kind() {
            Kind::Map => "!!map".into(),
            Kind::Seq => "!!seq".into(),
            Kind::Scalar => {
                if n.style.is_quoted() {
                    "!!str".into()
                } else {
                    let v = crate::yaml::value::scalar_value(n);
                    match v {
                        Ok(crate::yaml::value::Value::Null) => "!!null".into(),
                        Ok(crate::yaml::value::Value::Bool(_)) => "!!bool".into(),
                        Ok(crate::yaml::value::Value::Int(_))
                        | Ok(crate::yaml::value::Value::Uint(_)) => "!!int".into(),
                        Ok(crate::yaml::value::Value::Float(_)) => "!!float".into(),
                        _ => "!!str".into(),
                    }
                }
            }
        },
        t => t.as_str().to_string(),
    }
}

/// kyaml `FieldMatcher{Name, StringValue}` on one element: the first field named `name`, if
/// its text equals `value` (any value when `value` is empty). Errors when `name` is empty and
/// the element is not a scalar.
fn field_matches(elem: &Node, name: &str, value: &str) -> Result<bool, String> {
    if elem.is_null() {
        return Ok(false);
    }
    if name.is_empty() {
        if elem.kind() != Kind::Scalar {
            return Err(wrong_kind(Kind::Scalar, elem));
        }
        return Ok(elem.value() == value);
    }
    if elem.kind() != Kind::Map {
        return Err(wrong_kind(Kind::Map, elem));
    }
    match elem.entry(name) {
        None => Ok(false),
        Some(p) => Ok(value.is_empty() || p.value.value() == value),
    }
}

/// kyaml `ElementSetter`: replaces (or deletes, when `element` is `None`) the elements whose
/// keys match; appends when none matched. Null and empty-map elements are dropped.
fn element_setter(
    list: &mut Node,
    element: Option<Node>,
    keys: &[String],
    values: &[String],
) -> Result<Option<Node>, String> {
    let keys: Vec<String> = if keys.is_empty() {
        vec![String::new()]
    } else {
        keys.to_vec()
    };
    if list.kind() != Kind::Seq && !list.is_null() {
        return Err(wrong_kind(Kind::Seq, list));
    }
    let mapping_setter = !keys[0].is_empty() && !values.is_empty() && !values[0].is_empty();
    let old: Vec<Node> = match &mut list.data {
        Data::Seq(items) => std::mem::take(items),
        _ => Vec::new(),
    };
    let mut new_content = Vec::with_capacity(old.len() + 1);
    let mut found_any = false;
    for elem in old {
        if elem.is_null() || elem.is_empty_map() {
            continue;
        }
        if elem.kind() != Kind::Map && mapping_setter {
            new_content.push(elem);
            continue;
        }
        // kyaml keeps the previous key's match result when there are fewer values than keys.
        let mut val = false;
        let mut found = true;
        for (j, k) in keys.iter().enumerate() {
            if j < values.len() {
                val = field_matches(&elem, k, &values[j])?;
            }
            if !val {
                found = false;
                break;
            }
        }
        if !found {
            if !values.is_empty() {
                new_content.push(elem);
            }
            continue;
        }
        found_any = true;
        if let Some(e) = &element {
            new_content.push(e.clone());
        }
    }
    let Some(element) = element else {
        if let Data::Seq(items) = &mut list.data {
            *items = new_content;
        }
        return Ok(None);
    };
    if element.is_null() {
        if let Data::Seq(items) = &mut list.data {
            *items = new_content;
        }
        return Ok(None);
    }
    if !found_any {
        new_content.push(element.clone());
    }
    if let Data::Seq(items) = &mut list.data {
        *items = new_content;
    }
    Ok(Some(element))
}

/// kyaml `ElementList(keys, values)` / `MatchElementList`: the index of the first element
/// whose fields match.
fn element_list(list: &Node, keys: &[String], values: &[String]) -> Option<usize> {
    let items = list.items()?;
    let keys: Vec<String> = if keys.is_empty() {
        vec![String::new()]
    } else {
        keys.to_vec()
    };
    let values: Vec<String> = if values.is_empty() {
        vec![String::new()]
    } else {
        values.to_vec()
    };
    if keys[0].is_empty() {
        return items.iter().position(|e| e.value() == values[0]);
    }
    if keys.len() != values.len() {
        return None;
    }
    'outer: for (i, e) in items.iter().enumerate() {
        if e.kind() != Kind::Map && !e.is_null() {
            continue;
        }
        if e.is_null() {
            continue;
        }
        for (k, v) in keys.iter().zip(values.iter()) {
            // MatchField: the first field named k, with exactly the text v.
            match e.entry(k) {
                Some(p) if p.value.value() == v => {}
                _ => continue 'outer,
            }
        }
        return Some(i);
    }
    None
}

/// kyaml `ElementValuesList`.
fn element_values_list(list: &Node, keys: &[String]) -> Vec<Vec<String>> {
    let Some(items) = list.items() else {
        return Vec::new();
    };
    items
        .iter()
        .map(|e| {
            keys.iter()
                .map(|k| match e.field(k) {
                    Some(f) if !f.is_nil_or_empty() => f.value().to_string(),
                    _ => String::new(),
                })
                .collect()
        })
        .collect()
}

/// `validateKeys`.
fn validate_keys(
    values_list: &[Vec<String>],
    values: &[String],
    keys: &[String],
) -> (Vec<String>, Vec<String>) {
    let mut valid: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
    for vs in values_list {
        for (i, v) in vs.iter().enumerate() {
            if !v.is_empty() {
                if let Some(k) = keys.get(i) {
                    valid.insert(k);
                }
            }
        }
    }
    if valid.is_empty() {
        return (keys.to_vec(), values.to_vec());
    }
    let vk: Vec<String> = keys
        .iter()
        .filter(|k| valid.contains(k.as_str()))
        .cloned()
        .collect();
    let vv: Vec<String> = values
        .iter()
        .enumerate()
        .filter(|(i, v)| !v.is_empty() || keys.get(*i).is_some_and(|k| valid.contains(k.as_str())))
        .map(|(_, v)| v.clone())
        .collect();
    (vk, vv)
}

/// `mergeValues` / `match`.
fn merge_values(mut list: Vec<Vec<String>>) -> Vec<Vec<String>> {
    let n = list.len();
    for i in 0..n {
        for j in 0..n {
            let (a, b) = (list[i].clone(), list[j].clone());
            if a.len() != b.len() {
                continue;
            }
            let mut common = false;
            let mut res = Vec::with_capacity(a.len());
            let mut ok = true;
            for k in 0..a.len() {
                if a[k] == b[k] {
                    common = true;
                    res.push(a[k].clone());
                    continue;
                }
                if !a[k].is_empty() && !b[k].is_empty() {
                    ok = false;
                    break;
                }
                res.push(if a[k].is_empty() {
                    b[k].clone()
                } else {
                    a[k].clone()
                });
            }
            if ok && common {
                list[i] = res.clone();
                list[j] = res;
            }
        }
    }
    list
}

impl<'s> Merger<'s> {
    /// A merger with the given schema (kustomize: Prepend).
    pub fn new(schema: &'s Schema, prepend: bool) -> Merger<'s> {
        Merger {
            schema,
            prepend,
            work: 0,
        }
    }

    /// `merge2.Merge(patch, dest)`: the merged node, or `None` when the patch deletes it.
    /// `dest_kept` tells whether the result is `dest` itself (kyaml only keeps changes made to
    /// the original node).
    pub fn merge(&mut self, patch: Node, dest: Node) -> Result<(Option<Node>, bool), String> {
        let out = self.walk(Some(dest), Some(patch), None, true)?;
        Ok(match out {
            Out::Dest(n) => (Some(n), true),
            Out::Clear => (None, false),
            Out::Other(n) | Out::KeepNull(n) => (Some(n), false),
        })
    }

    fn get_schema(&self, sources: &[Option<&Node>; 2], given: Option<At<'s>>) -> Option<At<'s>> {
        if given.is_some() {
            return given;
        }
        for n in sources.iter().flatten() {
            if n.is_null() || n.kind() != Kind::Map {
                continue;
            }
            let kind = n.str_field("kind").unwrap_or("");
            let av = n.str_field("apiVersion").unwrap_or("");
            if kind.is_empty() || av.is_empty() {
                continue;
            }
            if let Some(s) = self.schema.for_type(av, kind) {
                return Some(s);
            }
        }
        None
    }

    fn walk(
        &mut self,
        dest: Option<Node>,
        origin: Option<Node>,
        schema: Option<At<'s>>,
        top: bool,
    ) -> Result<Out, String> {
        self.work += 1;
        let schema = self.get_schema(&[dest.as_ref(), origin.as_ref()], schema);
        let _ = top;
        let kind = [dest.as_ref(), origin.as_ref()]
            .into_iter()
            .flatten()
            .find(|n| !n.is_null())
            .map(|n| n.kind());
        match kind {
            Some(k) => {
                for n in [dest.as_ref(), origin.as_ref()].into_iter().flatten() {
                    if !n.is_null() && n.kind() != k {
                        return Err(wrong_kind(k, n));
                    }
                }
                match k {
                    Kind::Map => self.walk_map(dest, origin, schema),
                    Kind::Seq => {
                        let assoc = schema.is_some_and(|s| s.is_associative());
                        if assoc {
                            self.walk_assoc_seq(dest, origin, schema)
                        } else {
                            // VisitList, non-associative: the patch's list wins.
                            Ok(match origin {
                                Some(o) => Out::Other(o),
                                None => match dest {
                                    Some(d) => Out::Dest(d),
                                    None => Out::Clear,
                                },
                            })
                        }
                    }
                    Kind::Scalar => Ok(match origin {
                        Some(o) => Out::Other(o),
                        None => match dest {
                            Some(d) => Out::Dest(d),
                            None => Out::Clear,
                        },
                    }),
                }
            }
            None => self.walk_map(dest, origin, schema),
        }
    }

    /// `Merger.VisitMap` then the field loop of `walkMap`.
    fn walk_map(
        &mut self,
        dest: Option<Node>,
        origin: Option<Node>,
        schema: Option<At<'s>>,
    ) -> Result<Out, String> {
        let mut origin = origin;
        let chosen: Out = if missing_or_null(dest.as_ref()) {
            let ps = determine_directive(origin.as_mut()).unwrap_or(Directive::Unknown);
            if ps == Directive::Delete {
                return Ok(Out::Clear);
            }
            match (&origin, &dest) {
                (None, Some(d)) if !d.value().is_empty() => {
                    let mut n = Node::null();
                    if let Data::Scalar(s) = &mut n.data {
                        *s = d.value().to_string();
                    }
                    n.loc = d.loc;
                    return Ok(Out::KeepNull(n));
                }
                _ => {}
            }
            match origin.take() {
                Some(o) => Out::Other(o),
                None => return Ok(Out::Clear),
            }
        } else {
            if origin.as_ref().is_some_and(|o| o.is_null()) {
                return Ok(Out::Clear);
            }
            let ps = determine_directive(origin.as_mut())?;
            match ps {
                Directive::Delete => return Ok(Out::Clear),
                Directive::Replace => match origin.take() {
                    Some(o) => Out::Other(o),
                    None => return Ok(Out::Clear),
                },
                _ => match dest {
                    Some(d) => Out::Dest(d),
                    None => return Ok(Out::Clear),
                },
            }
        };
        // The walk continues with Sources = [chosen, origin].
        let is_dest = matches!(chosen, Out::Dest(_));
        let mut node = match chosen {
            Out::Dest(n) | Out::Other(n) | Out::KeepNull(n) => n,
            Out::Clear => return Ok(Out::Clear),
        };
        // When the chosen node is the origin itself, kyaml walks it against itself.
        let origin_ref: Option<Node> = if is_dest { origin } else { Some(node.clone()) };
        let mut names: Vec<String> = Vec::new();
        for n in [Some(&node), origin_ref.as_ref()].into_iter().flatten() {
            if let Data::Map(ps) = &n.data {
                for p in ps {
                    names.push(p.key.value().to_string());
                }
            }
        }
        names.sort();
        names.dedup();
        for key in names {
            let dv = node.field(&key).cloned();
            let ov = origin_ref.as_ref().and_then(|o| o.field(&key)).cloned();
            let key_style = origin_ref
                .as_ref()
                .and_then(|o| o.entry(&key))
                .map(|p| (p.key.style, p.key.loc))
                .or_else(|| node.entry(&key).map(|p| (p.key.style, p.key.loc)));
            let s = schema.and_then(|s| s.field(&key));
            let val = self.walk(dv, ov, s, false)?;
            field_setter(&mut node, &key, val, key_style);
        }
        Ok(if is_dest {
            Out::Dest(node)
        } else {
            Out::Other(node)
        })
    }

    fn walk_assoc_seq(
        &mut self,
        dest: Option<Node>,
        origin: Option<Node>,
        schema: Option<At<'s>>,
    ) -> Result<Out, String> {
        let mut origin = origin;
        // VisitList, associative.
        let chosen = if missing_or_null(dest.as_ref()) {
            match origin.take() {
                Some(o) => Out::Other(o),
                None => return Ok(Out::Clear),
            }
        } else {
            if origin.as_ref().is_some_and(|o| o.is_null()) {
                return Ok(Out::Clear);
            }
            match determine_directive(origin.as_mut())? {
                Directive::Delete => return Ok(Out::Clear),
                Directive::Replace => match origin.take() {
                    Some(o) => Out::Other(o),
                    None => return Ok(Out::Clear),
                },
                _ => match dest {
                    Some(d) => Out::Dest(d),
                    None => return Ok(Out::Clear),
                },
            }
        };
        let is_dest = matches!(chosen, Out::Dest(_));
        let dest_node = match chosen {
            Out::Dest(n) | Out::Other(n) | Out::KeepNull(n) => n,
            Out::Clear => return Ok(Out::Clear),
        };
        let origin_ref: Option<Node> = if is_dest {
            origin
        } else {
            Some(dest_node.clone())
        };
        let (strategy, mut keys) = schema
            .map(|s| s.patch_strategy_and_keys())
            .unwrap_or_default();
        if strategy.is_empty() && keys.is_empty() {
            // Inference is off for patches; kyaml would infer "name" only when asked to.
            keys = Vec::new();
        }
        let sources = [Some(&dest_node), origin_ref.as_ref()];
        let values = self.element_values(&sources, &keys);
        let out = if !values.is_empty() || !keys.is_empty() {
            self.set_assoc_elements(values, &keys, dest_node, origin_ref, schema)?
        } else {
            let prim = self.element_primitive_values(&sources);
            self.set_assoc_elements(prim, &[String::new()], dest_node, origin_ref, schema)?
        };
        Ok(match out {
            Some(n) => Out::Other(n),
            None => Out::Clear,
        })
    }

    /// `elementValues`: key tuples of every element, patch first (Prepend), deduplicated.
    fn element_values(&self, sources: &[Option<&Node>; 2], keys: &[String]) -> Vec<Vec<String>> {
        let order: [usize; 2] = if self.prepend { [1, 0] } else { [0, 1] };
        let mut out: Vec<Vec<String>> = Vec::new();
        for i in order {
            let Some(src) = sources[i] else { continue };
            for s in element_values_list(src, keys) {
                if s.is_empty() || out.contains(&s) {
                    continue;
                }
                out.push(s);
            }
        }
        out
    }

    fn element_primitive_values(&self, sources: &[Option<&Node>; 2]) -> Vec<Vec<String>> {
        let order: [usize; 2] = if self.prepend { [1, 0] } else { [0, 1] };
        let mut out: Vec<Vec<String>> = Vec::new();
        for i in order {
            let Some(src) = sources[i] else { continue };
            if let Some(items) = src.items() {
                for it in items {
                    let v = vec![it.value().to_string()];
                    if !out.contains(&v) {
                        out.push(v);
                    }
                }
            }
        }
        out
    }

    fn set_assoc_elements(
        &mut self,
        values_list: Vec<Vec<String>>,
        keys: &[String],
        mut dest: Node,
        origin: Option<Node>,
        schema: Option<At<'s>>,
    ) -> Result<Option<Node>, String> {
        let mut items_to_add = Node::seq();
        let elem_schema = schema.and_then(|s| s.elements());
        let values_list = if keys.len() > 1 {
            merge_values(values_list)
        } else {
            values_list
        };
        let mut valid_keys: Vec<String> = Vec::new();
        let mut valid_values: Vec<String>;
        for values in &values_list {
            if values.is_empty() {
                continue;
            }
            (valid_keys, valid_values) = validate_keys(&values_list, values, keys);
            // elementValueList: validate again against just these values.
            let (ek, ev) = validate_keys(
                std::slice::from_ref(&valid_values),
                &valid_values,
                &valid_keys,
            );
            let di = element_list(&dest, &ek, &ev);
            let dnode = di.and_then(|i| dest.items().map(|items| items[i].clone()));
            let onode = origin.as_ref().and_then(|o| {
                element_list(o, &ek, &ev).and_then(|i| o.items().map(|items| items[i].clone()))
            });
            let val = self.walk(dnode, onode, elem_schema, false)?;
            let val_is_dest = matches!(val, Out::Dest(_));
            let mut exit = false;
            let mut val_node = val.into_node();
            for (i, key) in valid_keys.iter().enumerate() {
                if missing_or_null(val_node.as_ref()) || is_empty_map(val_node.as_ref()) {
                    element_setter(&mut dest, None, &valid_keys, &valid_values)?;
                    exit = true;
                } else if let Some(v) = val_node.as_mut() {
                    let vi = valid_values.get(i).cloned().unwrap_or_default();
                    let has = v.kind() == Kind::Map && v.field(key).is_some();
                    if !has && !vi.is_empty() {
                        if key.is_empty() {
                            if v.kind() == Kind::Scalar || v.is_null() {
                                let style = v.style;
                                *v = Node::scalar(vi).at(v.loc);
                                v.style = style;
                            }
                        } else if v.kind() == Kind::Map {
                            v.set_field(key, Node::scalar(vi));
                        }
                    }
                }
            }
            // Changes made to the destination element are made in place in kyaml.
            if val_is_dest {
                if let (Some(i), Some(v)) = (di, val_node.as_ref()) {
                    if let Some(items) = dest.items_mut() {
                        if i < items.len() {
                            items[i] = v.clone();
                        }
                    }
                }
            }
            if exit {
                continue;
            }
            if let Some(v) = val_node {
                element_setter(&mut items_to_add, Some(v), &valid_keys, &valid_values)?;
            }
        }
        let result = if !values_list.is_empty() {
            if self.prepend {
                append_list_node(items_to_add, &dest, &valid_keys)?
            } else {
                append_list_node(dest, &items_to_add, &valid_keys)?
            }
        } else {
            dest
        };
        if result.is_null() {
            return Ok(None);
        }
        Ok(Some(result))
    }
}

/// `appendListNode(dst, src, keys)`.
fn append_list_node(mut dst: Node, src: &Node, keys: &[String]) -> Result<Node, String> {
    let Some(items) = src.items() else {
        return Ok(dst);
    };
    for elem in items {
        if keys.first().is_none_or(|k| k.is_empty()) {
            element_setter(
                &mut dst,
                Some(elem.clone()),
                &[String::new()],
                &[elem.value().to_string()],
            )?;
            continue;
        }
        let mut v: Vec<String> = Vec::new();
        for key in keys {
            match elem.field(key) {
                None => {
                    if let Some(items) = dst.items_mut() {
                        items.push(elem.clone());
                    }
                    continue;
                }
                Some(vn) => v.push(vn.value().to_string()),
            }
        }
        if keys.len() > 1 {
            element_setter(&mut dst, None, keys, &v)?;
        }
        element_setter(&mut dst, Some(elem.clone()), keys, &v)?;
    }
    Ok(dst)
}

/// kyaml `FieldSetter{Name: key, Value: val}` on a mapping (a nil or a null value clears,
/// a persistent null stays, an existing field keeps its node's style).
fn field_setter(
    node: &mut Node,
    key: &str,
    val: Out,
    key_style: Option<(Style, crate::yaml::Loc)>,
) {
    let keep = matches!(val, Out::KeepNull(_));
    let Some(mut v) = val.into_node() else {
        node.clear_field(key);
        return;
    };
    if v.is_string_value()
        && v.style == Style::Plain
        && crate::yaml::resolve::is_yaml11_non_string(v.value())
    {
        v.style = Style::Double;
    }
    if v.is_null() && !keep {
        node.clear_field(key);
        return;
    }
    let Some(pairs) = node.pairs_mut() else {
        return;
    };
    if let Some(p) = pairs.iter_mut().find(|p| p.key.value() == key) {
        v.style = p.value.style;
        p.value = v;
        return;
    }
    let mut k = Node::scalar(key);
    if let Some((st, loc)) = key_style {
        k.style = st;
        k.loc = loc;
    }
    pairs.push(Pair { key: k, value: v });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse::{read_documents, ReadOptions};
    use crate::yaml::resolve::Version;

    fn doc(s: &str) -> Node {
        read_documents(
            s,
            ReadOptions {
                version: Version::V3,
                file: 0,
            },
        )
        .unwrap()
        .remove(0)
    }

    fn names(n: &Node, path: &[&str], list: &str) -> Vec<String> {
        n.path(path)
            .and_then(|s| s.field(list))
            .and_then(|l| l.items())
            .map(|items| {
                items
                    .iter()
                    .map(|i| {
                        i.field("name")
                            .map(|n| n.value().to_string())
                            .unwrap_or_default()
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn containers_merge_by_name_patch_first() {
        let d = doc("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        image: a\n      - name: b\n        image: b\n");
        let p = doc("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers:\n      - name: b\n        image: b2\n");
        let mut m = Merger::new(Schema::builtin(), true);
        let (out, _) = m.merge(p, d).unwrap();
        let out = out.unwrap();
        assert_eq!(
            names(&out, &["spec", "template", "spec"], "containers"),
            vec!["b", "a"]
        );
    }

    #[test]
    fn custom_resources_replace_lists() {
        let d = doc(
            "apiVersion: x/v1\nkind: W\nmetadata: {name: d}\nspec:\n  list: [a]\n  m: {a: 1}\n",
        );
        let p = doc(
            "apiVersion: x/v1\nkind: W\nmetadata: {name: d}\nspec:\n  list: [b]\n  m: {b: 2}\n",
        );
        let mut m = Merger::new(Schema::builtin(), true);
        let out = m.merge(p, d).unwrap().0.unwrap();
        let spec = out.field("spec").unwrap();
        assert_eq!(spec.field("list").unwrap().items().unwrap().len(), 1);
        assert_eq!(spec.field("m").unwrap().pairs().unwrap().len(), 2);
    }

    #[test]
    fn null_deletes_and_patch_delete() {
        let d = doc("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: x, b: y}\n");
        let p = doc("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: null}\n");
        let mut m = Merger::new(Schema::builtin(), true);
        let out = m.merge(p, d.clone()).unwrap().0.unwrap();
        assert!(out.path(&["data", "a"]).is_none());
        let p = doc("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n$patch: delete\n");
        assert!(m.merge(p, d).unwrap().0.is_none());
    }
}
