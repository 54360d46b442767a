//! kustomize's built-in generators and transformers, each in the module named after the
//! kustomize plugin it reproduces.

pub mod crds;
pub mod generators;
pub mod hash;
pub mod helm;
pub mod images;
pub mod labels;
pub mod nameref;
pub mod namespace;
pub mod patch;
pub mod prefix_suffix;
pub mod refvar;
pub mod replacement;
pub mod replicas;
pub mod sort;
pub mod transformers;

use crate::yaml::resolve::{resolve, Resolved, Version};

/// A scalar as go-yaml v3 writes it in block context: plain when that reads back as the same
/// string, double-quoted otherwise.
pub fn v3_scalar(s: &str) -> String {
    let plain_ok = !s.is_empty()
        && matches!(resolve(s, Version::V3), Resolved::Str)
        && !s.starts_with([
            ' ', '#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`',
            '-', '?', ':',
        ])
        && !s.ends_with(' ')
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.contains('\n');
    if plain_ok {
        return s.to_string();
    }
    let mut out = String::new();
    crate::yaml::value::json_string(s, &mut out);
    out
}
pub mod jsonpatch;

/// A node as text for error messages (kyaml prints go-yaml v3 output there).
pub fn node_text(n: &crate::yaml::node::Node) -> String {
    match crate::yaml::value::decode_any(n) {
        Ok(v) => crate::yaml::emit::to_yaml(&v),
        Err(e) => e.0,
    }
}

/// `Resource.String()`: the object's JSON.
pub fn resource_text(r: &crate::resource::Resource) -> String {
    match crate::yaml::value::decode_resource(&r.node) {
        Ok(v) => crate::yaml::value::to_json(&v).unwrap_or_default(),
        Err(e) => format!("<{}>", e.0),
    }
}

/// kyaml `InvalidNodeKindError` text.
pub fn wrong_kind_text(expected: crate::yaml::node::Kind, n: &crate::yaml::node::Node) -> String {
    format!(
        "wrong node kind: expected {} but got {}: node contents:\n{}",
        crate::fieldspec::kind_name(expected),
        crate::fieldspec::kind_name(n.kind()),
        node_text(n)
    )
}
