//! kyaml `RNode` accessors for resources: kind, apiVersion, name, namespace, labels,
//! annotations and ConfigMap data, with kyaml's exact behaviour (first matching key wins,
//! a null `metadata` silently ignores setters, maps are rewritten sorted with `!!str`
//! values, an empty map removes the field).

use std::collections::BTreeMap;

use super::node::{Data, Kind, Node, Style, Tag};

impl Node {
    /// kyaml `GetKind`: the `kind` scalar text (first `kind` key), or "".
    pub fn get_kind(&self) -> &str {
        self.field("kind").map(|n| n.value()).unwrap_or("")
    }

    /// kyaml `SetKind`.
    pub fn set_kind(&mut self, k: &str) {
        self.set_field("kind", Node::scalar(k));
    }

    /// kyaml `GetApiVersion`.
    pub fn get_api_version(&self) -> &str {
        self.field("apiVersion").map(|n| n.value()).unwrap_or("")
    }

    /// kyaml `SetApiVersion`.
    pub fn set_api_version(&mut self, av: &str) {
        self.set_field("apiVersion", Node::scalar(av));
    }

    /// kyaml `getMetaData`: the first `metadata` value when it is not null or empty.
    pub fn meta(&self) -> Option<&Node> {
        let m = self.entry("metadata").map(|p| &p.value)?;
        if m.is_nil_or_empty() {
            None
        } else {
            Some(m)
        }
    }

    fn meta_string(&self, f: &str) -> &str {
        let Some(md) = self.meta() else { return "" };
        match md.entry(f) {
            Some(p) if !p.value.is_nil_or_empty() => p.value.value(),
            _ => "",
        }
    }

    /// kyaml `GetName`.
    pub fn get_name(&self) -> &str {
        self.meta_string("name")
    }

    /// kyaml `GetNamespace`.
    pub fn get_namespace(&self) -> &str {
        self.meta_string("namespace")
    }

    /// kyaml `SetMapField(value, path...)`: `LookupCreate` of all but the last element, then
    /// `SetField`.
    pub fn set_map_field(&mut self, path: &[&str], value: Node) {
        let mut n = self;
        for p in &path[..path.len() - 1] {
            match n.lookup_create(p, Kind::Map) {
                Some(next) => n = next,
                None => return,
            }
        }
        if n.kind() == Kind::Map || n.is_null() {
            n.set_field(path[path.len() - 1], value);
        }
    }

    /// kyaml `SetName`.
    pub fn set_name(&mut self, name: &str) {
        self.set_map_field(&["metadata", "name"], Node::scalar(name));
    }

    /// kyaml `SetNamespace` (an empty namespace clears the field).
    pub fn set_namespace(&mut self, ns: &str) {
        if ns.is_empty() {
            if let Some(md) = self.field_mut("metadata") {
                if md.kind() == Kind::Map {
                    md.clear_field("namespace");
                }
            }
            return;
        }
        self.set_map_field(&["metadata", "namespace"], Node::scalar(ns));
    }

    fn map_from_meta(&self, f: &str, only: &[&str]) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let Some(md) = self.meta() else { return out };
        let Some(p) = md.entry(f) else { return out };
        if let Data::Map(pairs) = &p.value.data {
            if only.is_empty() {
                for q in pairs {
                    out.insert(q.key.value().to_string(), q.value.value().to_string());
                }
            } else {
                for name in only {
                    if let Some(q) = pairs.iter().find(|q| q.key.value() == *name) {
                        out.insert(q.key.value().to_string(), q.value.value().to_string());
                    }
                }
            }
        }
        out
    }

    /// kyaml `GetAnnotations()` (raw scalar texts; later duplicates win).
    pub fn get_annotations(&self) -> BTreeMap<String, String> {
        self.map_from_meta("annotations", &[])
    }

    /// kyaml `GetAnnotations(names...)` (first occurrence of each).
    pub fn get_annotations_only(&self, names: &[&str]) -> BTreeMap<String, String> {
        self.map_from_meta("annotations", names)
    }

    /// One annotation's raw value.
    pub fn get_annotation(&self, name: &str) -> Option<String> {
        let md = self.meta()?;
        let p = md.entry("annotations")?;
        let q = p.value.pairs()?.iter().find(|q| q.key.value() == name)?;
        Some(q.value.value().to_string())
    }

    /// kyaml `GetLabels()`.
    pub fn get_labels(&self) -> BTreeMap<String, String> {
        self.map_from_meta("labels", &[])
    }

    /// kyaml `setMapInMetadata`: clears the field, then writes every entry sorted, as
    /// `!!str` values; nothing when `metadata` is null.
    fn set_map_in_meta(&mut self, f: &str, m: &BTreeMap<String, String>) {
        let Some(md) = self.lookup_create("metadata", Kind::Map) else {
            return;
        };
        if md.kind() != Kind::Map {
            return;
        }
        // Keep the position of the map being rewritten, for source maps.
        let old_loc = md.field(f).map(|n| n.loc);
        md.clear_field(f);
        if m.is_empty() {
            return;
        }
        let Some(map) = md.lookup_create(f, Kind::Map) else {
            return;
        };
        if let Some(l) = old_loc {
            map.loc = l;
        }
        for (k, v) in m {
            map.set_field(k, Node::string(v.clone()));
        }
    }

    /// kyaml `SetAnnotations`.
    pub fn set_annotations(&mut self, m: &BTreeMap<String, String>) {
        self.set_map_in_meta("annotations", m);
    }

    /// kyaml `SetLabels`.
    pub fn set_labels(&mut self, m: &BTreeMap<String, String>) {
        self.set_map_in_meta("labels", m);
    }

    /// kyaml `SetAnnotation(k, v)` (`SetField` on `metadata.annotations`, created as needed,
    /// with a `!!str` value).
    pub fn set_annotation(&mut self, k: &str, v: &str) {
        let Some(md) = self.lookup_create("metadata", Kind::Map) else {
            return;
        };
        let Some(a) = md.lookup_create("annotations", Kind::Map) else {
            return;
        };
        a.set_field(k, Node::string(v));
    }

    fn string_map_field(&self, f: &str) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        if let Some(Data::Map(pairs)) = self.field(f).map(|n| &n.data) {
            for p in pairs {
                let v = if p.value.is_null() {
                    String::new()
                } else {
                    p.value.value().to_string()
                };
                out.entry(p.key.value().to_string()).or_insert(v);
            }
        }
        out
    }

    /// kyaml `GetDataMap`.
    pub fn get_data_map(&self) -> BTreeMap<String, String> {
        self.string_map_field("data")
    }

    /// kyaml `GetBinaryDataMap`.
    pub fn get_binary_data_map(&self) -> BTreeMap<String, String> {
        self.string_map_field("binaryData")
    }

    /// kyaml `SetDataMap` (values are written as ConfigMap data: `!!str`, literal when
    /// multi-line).
    pub fn set_data_map(&mut self, m: &BTreeMap<String, String>) {
        self.clear_field("data");
        if m.is_empty() {
            return;
        }
        for (k, v) in m {
            if let Some(d) = self.lookup_create("data", Kind::Map) {
                d.set_field(k, data_value(v.clone()));
            }
        }
    }

    /// kyaml `SetBinaryDataMap`.
    pub fn set_binary_data_map(&mut self, m: &BTreeMap<String, String>) {
        self.clear_field("binaryData");
        if m.is_empty() {
            return;
        }
        for (k, v) in m {
            if let Some(d) = self.lookup_create("binaryData", Kind::Map) {
                d.set_field(k, data_value(v.clone()));
            }
        }
    }
}

/// A ConfigMap/Secret data value node (`!!str`, literal style when it holds a newline).
pub fn data_value(v: String) -> Node {
    let style = if v.contains('\n') {
        Style::Literal
    } else {
        Style::Plain
    };
    Node {
        tag: Tag::Str,
        style,
        loc: super::node::Loc::NONE,
        data: Data::Scalar(v),
    }
}

/// Go's base64 as kyaml writes binary data: wrapped at 70 characters, and once the text is
/// 70 characters or more every line (the last too) ends in a newline.
pub fn encode_base64_wrapped(b: &[u8]) -> String {
    use base64::Engine;
    let enc = base64::engine::general_purpose::STANDARD.encode(b);
    const LINE: usize = 70;
    let lines = enc.len() / LINE + 1;
    if lines <= 1 {
        return enc;
    }
    let mut out = String::with_capacity(enc.len() + lines);
    let mut i = 0;
    while i < enc.len() {
        let j = (i + LINE).min(enc.len());
        out.push_str(&enc[i..j]);
        out.push('\n');
        i += LINE;
    }
    out
}
