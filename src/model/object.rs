//! Kubernetes objects as driftlens holds them: desired objects from Git keep their located YAML
//! tree so every field can be traced to a file and line; live objects from dumps keep only
//! their JSON.

use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use super::key::ObjectKey;
use crate::load::source::SourceFile;
use crate::load::yaml::{Node, Span};

/// A place in a file of the checkout.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    /// Path relative to the scan root, `/`-separated.
    pub path: String,
    /// Start line (1-based).
    pub line: u32,
    /// Start column (1-based, in characters).
    pub col: u32,
    /// End line.
    pub end_line: u32,
    /// End column (exclusive).
    pub end_col: u32,
    /// Byte offset of the start, for snippets.
    #[serde(skip)]
    pub offset: usize,
    /// Length in bytes, for snippets.
    #[serde(skip)]
    pub len: usize,
}

impl Location {
    /// A location covering `span` of `path`.
    pub fn new(path: &str, span: Span) -> Self {
        Location {
            path: path.to_string(),
            line: span.start.line.max(1),
            col: span.start.col.max(1),
            end_line: span.end.line.max(span.start.line).max(1),
            end_col: if span.end.line > span.start.line {
                span.end.col.max(1)
            } else {
                span.end.col.max(span.start.col).max(1)
            },
            offset: span.start.offset,
            len: span.len(),
        }
    }

    /// The start of a file, for problems that concern the file as a whole.
    pub fn file_start(path: &str) -> Self {
        Location {
            path: path.to_string(),
            line: 1,
            col: 1,
            end_line: 1,
            end_col: 1,
            offset: 0,
            len: 0,
        }
    }
}

/// A Kubernetes object found in the checkout.
#[derive(Debug)]
pub struct Manifest {
    /// Identity (namespace as written, not yet defaulted).
    pub key: ObjectKey,
    /// `apiVersion` as written.
    pub api_version: String,
    /// The object as JSON, as Kubernetes would read it.
    pub obj: Value,
    /// The located tree of the object.
    pub node: Node,
    /// The file it comes from.
    pub file: Arc<SourceFile>,
    /// Index of the YAML document in its file.
    pub doc_index: usize,
    /// For items of a `kind: List`, the index in `items`.
    pub list_index: Option<usize>,
}

impl Manifest {
    /// Where the field at `pointer` (RFC 6901) is written; falls back to the closest written
    /// parent when the field itself is absent.
    pub fn locate(&self, pointer: &str) -> Location {
        Location::new(&self.file.path, self.node.closest_span(pointer))
    }

    /// Where the object's `kind:` line is, the anchor for findings about the whole object.
    pub fn locate_kind(&self) -> Location {
        self.locate("/kind")
    }

    /// `metadata.annotations[name]`, if set to a string.
    pub fn annotation(&self, name: &str) -> Option<&str> {
        annotation(&self.obj, name)
    }
}

/// An object read from a cluster dump.
#[derive(Debug, Clone)]
pub struct LiveObject {
    /// Identity.
    pub key: ObjectKey,
    /// `apiVersion` as served.
    pub api_version: String,
    /// The object.
    pub obj: Value,
    /// Index of the dump source it came from (see [`crate::model::cluster::Cluster::sources`]).
    pub source: usize,
}

/// `metadata.annotations[name]` of a JSON object, if set to a string.
pub fn annotation<'a>(obj: &'a Value, name: &str) -> Option<&'a str> {
    obj.get("metadata")?.get("annotations")?.get(name)?.as_str()
}

/// `metadata.labels[name]` of a JSON object, if set to a string.
pub fn label<'a>(obj: &'a Value, name: &str) -> Option<&'a str> {
    obj.get("metadata")?.get("labels")?.get(name)?.as_str()
}

/// `metadata.<field>` of a JSON object as a string, or "".
pub fn meta_str<'a>(obj: &'a Value, field: &str) -> &'a str {
    obj.get("metadata")
        .and_then(|m| m.get(field))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// Splits a comma list annotation the way Argo CD does (trimmed, empty items dropped).
pub fn csv(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty())
}
