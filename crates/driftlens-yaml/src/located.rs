//! YAML with exact source positions.
//!
//! [`parse_stream`] turns a YAML stream into one [`Document`] per `---` section. Every key,
//! value and list item is a [`Node`] that keeps its [`Span`] (byte offset, line and column of
//! its start and end), so a finding about `spec.replicas` points at the `replicas:` line.
//!
//! The events come from `granit-parser`; the tree is built here, with an explicit stack (no
//! recursion on input depth), Kubernetes' scalar rules ([`super::scalar`]), YAML 1.1 merge keys
//! (`<<`), and budgets against hostile input: nesting depth, node count (alias-expansion
//! bombs) and non-scalar mapping keys, which Kubernetes rejects as well.

use std::borrow::Cow;

use granit_parser::{Event, Marker, Parser, ScalarStyle, ScanError};
use serde_json::{Map, Number, Value};

use super::scalar::{resolve_plain, Scalar};

/// A position in a source text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    /// Byte offset from the start of the text.
    pub offset: usize,
    /// Line, starting at 1.
    pub line: u32,
    /// Column in characters, starting at 1.
    pub col: u32,
}

/// A range of a source text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    /// First character.
    pub start: Pos,
    /// Just past the last character.
    pub end: Pos,
}

impl Span {
    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.end.offset.saturating_sub(self.start.offset)
    }

    /// Whether the span covers nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The smallest span covering both.
    pub fn join(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// The value of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub enum NodeValue {
    /// `null`, `~` or empty.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer that fits `i64`.
    Int(i64),
    /// An integer above `i64::MAX`.
    Uint(u64),
    /// A finite floating point number.
    Float(f64),
    /// A string (quoted, block, or a plain scalar that is no other type).
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping in source order. Keys are already turned into strings the way Kubernetes
    /// does (`yes:` becomes `"true"`); when a key repeats, the last entry wins.
    Map(Entries),
}

/// Mappings with more entries than this are looked up through an index built on first use, so
/// that looking up each key of a map of 300,000 keys stays linear overall.
const INDEX_FROM: usize = 16;

/// The entries of a mapping in source order, looked up by key through an index once the mapping
/// is large.
#[derive(Debug, Clone, Default)]
pub struct Entries {
    items: Vec<Entry>,
    index: std::sync::OnceLock<std::collections::HashMap<String, usize>>,
}

impl Entries {
    /// The entry for `key` (the last one when a key repeats).
    pub fn get(&self, key: &str) -> Option<&Entry> {
        if self.items.len() <= INDEX_FROM {
            return self.items.iter().rev().find(|e| e.key == key);
        }
        let index = self.index.get_or_init(|| {
            let mut m = std::collections::HashMap::with_capacity(self.items.len());
            for (i, e) in self.items.iter().enumerate() {
                m.insert(e.key.clone(), i);
            }
            m
        });
        index.get(key).map(|&i| &self.items[i])
    }
}

impl From<Vec<Entry>> for Entries {
    fn from(items: Vec<Entry>) -> Self {
        Entries {
            items,
            index: std::sync::OnceLock::new(),
        }
    }
}

impl std::ops::Deref for Entries {
    type Target = [Entry];
    fn deref(&self) -> &[Entry] {
        &self.items
    }
}

impl PartialEq for Entries {
    fn eq(&self, other: &Self) -> bool {
        self.items == other.items
    }
}

impl IntoIterator for Entries {
    type Item = Entry;
    type IntoIter = std::vec::IntoIter<Entry>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'a> IntoIterator for &'a Entries {
    type Item = &'a Entry;
    type IntoIter = std::slice::Iter<'a, Entry>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

/// A mapping entry: its key (with the key's own span) and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key as Kubernetes sees it.
    pub key: String,
    /// Where the key is written.
    pub key_span: Span,
    /// The value.
    pub value: Node,
}

/// A YAML node with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Where the node is written. For an alias, the span of the anchored node.
    pub span: Span,
    /// The value.
    pub value: NodeValue,
}

/// One document of a stream.
#[derive(Debug, Clone)]
pub struct Document {
    /// 0-based index of the document in its stream (empty documents count).
    pub index: usize,
    /// The root node; `None` for an empty document.
    pub root: Option<Node>,
    /// The document's extent.
    pub span: Span,
}

/// A YAML error with the position it was found at.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    /// What is wrong, in words the user can act on.
    pub message: String,
    /// Where.
    pub at: Pos,
}

/// Budgets that bound the time and memory one stream may cost.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Deepest allowed nesting of sequences and mappings.
    pub max_depth: usize,
    /// Most nodes one document may expand to, aliases included. Aliases alone may expand to
    /// at most a fifth of it: legitimate manifests alias little, and an alias-expansion bomb
    /// is then stopped before it has cloned much.
    pub max_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 200,
            max_nodes: 5_000_000,
        }
    }
}

/// Parses a whole YAML stream with the default [`Limits`].
///
/// Parsing stops at the first syntax error; documents before it are returned together with the
/// error, so the caller can still use them.
pub fn parse_stream(src: &str) -> (Vec<Document>, Option<YamlError>) {
    parse_stream_with(src, Limits::default())
}

/// Parses a whole YAML stream with explicit limits.
pub fn parse_stream_with(src: &str, limits: Limits) -> (Vec<Document>, Option<YamlError>) {
    let (src, bom) = match src.strip_prefix('\u{feff}') {
        Some(rest) => (rest, '\u{feff}'.len_utf8()),
        None => (src, 0),
    };
    let mut b = Builder::new(src, limits, bom);
    let err = b.run().err();
    (b.docs, err)
}

struct Frame {
    start: Pos,
    anchor: usize,
    kind: FrameKind,
}

enum FrameKind {
    Seq(Vec<Node>),
    /// Entries, plus a pending key waiting for its value.
    Map(Vec<Entry>, Option<(String, Span, bool)>),
}

struct Builder<'a> {
    src: &'a str,
    limits: Limits,
    bom: usize,
    docs: Vec<Document>,
    stack: Vec<Frame>,
    anchors: Vec<Option<(Node, usize)>>,
    doc_nodes: usize,
    alias_nodes: usize,
    doc_start: Pos,
    root: Option<Node>,
}

fn node_count(n: &Node) -> usize {
    // Iterative, so that deep trees cannot exhaust the stack.
    let mut count = 0;
    let mut todo = vec![n];
    while let Some(n) = todo.pop() {
        count += 1;
        match &n.value {
            NodeValue::Seq(items) => todo.extend(items.iter()),
            NodeValue::Map(entries) => todo.extend(entries.iter().map(|e| &e.value)),
            _ => {}
        }
    }
    count
}

impl<'a> Builder<'a> {
    fn new(src: &'a str, limits: Limits, bom: usize) -> Self {
        Builder {
            src,
            limits,
            bom,
            docs: Vec::new(),
            stack: Vec::new(),
            anchors: Vec::new(),
            doc_nodes: 0,
            alias_nodes: 0,
            doc_start: Pos::default(),
            root: None,
        }
    }

    fn pos(&self, m: &Marker) -> Pos {
        let offset = m.byte_offset().unwrap_or_else(|| {
            // granit always provides byte offsets for string input; fall back to the char index.
            m.index()
        });
        Pos {
            offset: offset + self.bom,
            line: m.line() as u32,
            col: m.col() as u32 + 1,
        }
    }

    fn err(&self, message: impl Into<String>, at: Pos) -> YamlError {
        YamlError {
            message: message.into(),
            at,
        }
    }

    fn scan_error(&self, e: &ScanError) -> YamlError {
        let info = e.info();
        let info = info.trim();
        let message = if info.is_empty() {
            "invalid YAML".to_string()
        } else {
            format!("invalid YAML: {info}")
        };
        self.err(message, self.pos(e.marker()))
    }

    fn run(&mut self) -> Result<(), YamlError> {
        let nesting = self.limits.max_depth.min(254) + 1;
        let opts = granit_parser::options! {
            emit_comments: false,
            block_scalar_eof_without_line_feed: true,
            block_nesting_limit: nesting,
            flow_nesting_limit: nesting,
        };
        let parser = Parser::new_from_str_with_options(self.src, opts);
        for item in parser {
            let (event, span) = match item {
                Ok(v) => v,
                Err(e) => return Err(self.scan_error(&e)),
            };
            let sp = Span {
                start: self.pos(&span.start),
                end: self.pos(&span.end),
            };
            self.event(event, sp)?;
        }
        Ok(())
    }

    fn count(&mut self, n: usize, at: Pos) -> Result<(), YamlError> {
        self.doc_nodes = self.doc_nodes.saturating_add(n);
        if self.doc_nodes > self.limits.max_nodes {
            return Err(self.err(
                format!(
                    "document expands to more than {} nodes (an alias-expansion bomb?); \
                     split it or remove the repeated aliases",
                    self.limits.max_nodes
                ),
                at,
            ));
        }
        Ok(())
    }

    fn event(&mut self, event: Event<'_>, sp: Span) -> Result<(), YamlError> {
        match event {
            Event::StreamStart | Event::StreamEnd => {}
            Event::DocumentStart(..) => {
                self.doc_start = sp.start;
                self.doc_nodes = 0;
                self.alias_nodes = 0;
                self.anchors.clear();
                self.root = None;
            }
            Event::DocumentEnd => {
                // An empty document (or a bare `null`) holds nothing.
                let root = self
                    .root
                    .take()
                    .filter(|r| !matches!(r.value, NodeValue::Null));
                let end = root
                    .as_ref()
                    .map(|r| r.span.end)
                    .unwrap_or(sp.end)
                    .max(sp.end);
                self.docs.push(Document {
                    index: self.docs.len(),
                    root,
                    span: Span {
                        start: self.doc_start,
                        end,
                    },
                });
            }
            Event::Alias(id) => {
                let size = match self.anchors.get(id) {
                    Some(Some((_, size))) => *size,
                    _ => return Err(self.err("alias to an unknown anchor", sp.start)),
                };
                self.count(size, sp.start)?;
                self.alias_nodes = self.alias_nodes.saturating_add(size);
                let alias_budget = self.limits.max_nodes / 5;
                if self.alias_nodes > alias_budget {
                    return Err(self.err(
                        format!(
                            "aliases expand to more than {alias_budget} nodes (an \
                             alias-expansion bomb?); remove the repeated aliases"
                        ),
                        sp.start,
                    ));
                }
                let Some(Some((node, _))) = self.anchors.get(id) else {
                    return Err(self.err("alias to an unknown anchor", sp.start));
                };
                let node = node.clone();
                self.push_node(node, 0, sp)?;
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1, sp.start)?;
                let tag_suffix = tag
                    .as_ref()
                    .and_then(|t| t.core_suffix().map(str::to_owned));
                let value = self.scalar_value(&text, style, tag_suffix.as_deref(), sp)?;
                let node = Node { span: sp, value };
                self.push_node(node, anchor, sp)?;
            }
            Event::SequenceStart(_, anchor, _) => {
                self.count(1, sp.start)?;
                self.open(sp.start, anchor, FrameKind::Seq(Vec::new()))?;
            }
            Event::MappingStart(_, anchor, _) => {
                self.count(1, sp.start)?;
                self.open(sp.start, anchor, FrameKind::Map(Vec::new(), None))?;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return Err(self.err("unbalanced YAML structure", sp.start));
                };
                let value = match frame.kind {
                    FrameKind::Seq(items) => NodeValue::Seq(items),
                    FrameKind::Map(entries, _) => NodeValue::Map(entries.into()),
                };
                let node = Node {
                    span: Span {
                        start: frame.start,
                        end: sp.end,
                    },
                    value,
                };
                self.push_node(node, frame.anchor, sp)?;
            }
            _ => {}
        }
        Ok(())
    }

    fn open(&mut self, start: Pos, anchor: usize, kind: FrameKind) -> Result<(), YamlError> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(self.err(
                format!(
                    "nesting deeper than {} levels; Kubernetes objects are never this deep",
                    self.limits.max_depth
                ),
                start,
            ));
        }
        if let Some(Frame {
            kind: FrameKind::Map(_, None),
            ..
        }) = self.stack.last()
        {
            return Err(self.err(
                "a mapping key must be a plain value, not a list or mapping \
                 (Kubernetes rejects complex keys)",
                start,
            ));
        }
        self.stack.push(Frame {
            start,
            anchor,
            kind,
        });
        Ok(())
    }

    fn scalar_value(
        &self,
        text: &str,
        style: ScalarStyle,
        tag: Option<&str>,
        sp: Span,
    ) -> Result<NodeValue, YamlError> {
        if !matches!(style, ScalarStyle::Plain) || tag == Some("str") {
            return Ok(NodeValue::Str(text.to_string()));
        }
        match resolve_plain(text) {
            Scalar::Null => Ok(NodeValue::Null),
            Scalar::Bool(b) => Ok(NodeValue::Bool(b)),
            Scalar::Int(i) => Ok(NodeValue::Int(i)),
            Scalar::Uint(u) => Ok(NodeValue::Uint(u)),
            Scalar::Float(f) if f.is_finite() => Ok(NodeValue::Float(f)),
            Scalar::Float(_) => Err(self.err(
                format!(
                    "`{text}` is an infinite or not-a-number value, which JSON and Kubernetes \
                     cannot represent; quote it if a string is meant"
                ),
                sp.start,
            )),
            Scalar::Str => Ok(NodeValue::Str(text.to_string())),
        }
    }

    fn push_node(&mut self, node: Node, anchor: usize, sp: Span) -> Result<(), YamlError> {
        if anchor != 0 {
            if self.anchors.len() <= anchor {
                self.anchors.resize(anchor + 1, None);
            }
            let size = node_count(&node);
            self.anchors[anchor] = Some((node.clone(), size));
        }
        let Some(top) = self.stack.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        match &mut top.kind {
            FrameKind::Seq(items) => items.push(node),
            FrameKind::Map(entries, pending) => match pending.take() {
                None => {
                    let (key, is_merge) = match &node.value {
                        NodeValue::Str(s) => (
                            s.clone(),
                            s == "<<" && is_plain_merge(self.src, sp, self.bom),
                        ),
                        NodeValue::Bool(b) => (b.to_string(), false),
                        NodeValue::Int(i) => (i.to_string(), false),
                        NodeValue::Uint(u) => (u.to_string(), false),
                        NodeValue::Float(f) => (format_float_key(*f), false),
                        NodeValue::Null => {
                            return Err(YamlError {
                                message: "a mapping key is null; Kubernetes rejects null keys"
                                    .into(),
                                at: node.span.start,
                            })
                        }
                        NodeValue::Seq(_) | NodeValue::Map(_) => {
                            return Err(YamlError {
                                message: "a mapping key must be a plain value, not a list or \
                                          mapping (Kubernetes rejects complex keys)"
                                    .into(),
                                at: node.span.start,
                            })
                        }
                    };
                    *pending = Some((key, node.span, is_merge));
                }
                Some((_, key_span, true)) => merge_into(entries, node, key_span)?,
                Some((key, key_span, false)) => entries.push(Entry {
                    key,
                    key_span,
                    value: node,
                }),
            },
        }
        Ok(())
    }
}

/// A `<<` key is a merge key only when it is written plainly (`"<<"` is an ordinary key).
/// `src` is the text without its byte-order mark, whose `bom` bytes the span counts.
fn is_plain_merge(src: &str, sp: Span, bom: usize) -> bool {
    let start = sp.start.offset.saturating_sub(bom);
    let end = sp.end.offset.saturating_sub(bom);
    src.get(start..end).is_some_and(|t| t == "<<")
}

/// YAML 1.1 merge keys as go-yaml v2 applies them: the merged mapping's entries are set at
/// this point of the mapping (later keys override them); for a list of mappings the earlier
/// mappings take precedence.
fn merge_into(entries: &mut Vec<Entry>, value: Node, at: Span) -> Result<(), YamlError> {
    let bad = || YamlError {
        message: "the merge key `<<` needs a mapping or a list of mappings".into(),
        at: at.start,
    };
    match value.value {
        NodeValue::Map(m) => entries.extend(m),
        NodeValue::Seq(items) => {
            for item in items.into_iter().rev() {
                match item.value {
                    NodeValue::Map(m) => entries.extend(m),
                    _ => return Err(bad()),
                }
            }
        }
        _ => return Err(bad()),
    }
    Ok(())
}

/// Float keys are printed the way sigs.k8s.io/yaml does (`strconv.FormatFloat(f, 'g', -1, 32)`).
fn format_float_key(f: f64) -> String {
    let f32v = f as f32;
    if f32v.fract() == 0.0 && f32v.abs() < 1e21 {
        format!("{}", f32v as i64)
    } else {
        format!("{f32v}")
    }
}

impl Node {
    /// The mapping entries, if this is a mapping.
    pub fn entries(&self) -> Option<&[Entry]> {
        match &self.value {
            NodeValue::Map(e) => Some(e),
            _ => None,
        }
    }

    /// The items, if this is a sequence.
    pub fn items(&self) -> Option<&[Node]> {
        match &self.value {
            NodeValue::Seq(i) => Some(i),
            _ => None,
        }
    }

    /// The string, if this is a string scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            NodeValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The entry for `key` (the last one when a key repeats).
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            NodeValue::Map(e) => e.get(key),
            _ => None,
        }
    }

    /// The value for `key`.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// Follows an RFC 6901 JSON pointer (`/spec/template/spec/containers/0/image`).
    pub fn pointer(&self, pointer: &str) -> Option<&Node> {
        self.pointer_entry(pointer).map(|(n, _)| n)
    }

    /// Follows a JSON pointer and also returns the span of the key (or list item) that leads to
    /// the node, which is where a finding about that field should point.
    pub fn pointer_entry(&self, pointer: &str) -> Option<(&Node, Span)> {
        if pointer.is_empty() {
            return Some((self, self.span));
        }
        let rest = pointer.strip_prefix('/')?;
        let mut node = self;
        let mut at = self.span;
        for raw in rest.split('/') {
            let token = unescape_pointer_token(raw);
            match &node.value {
                NodeValue::Map(_) => {
                    let e = node.entry(&token)?;
                    at = e.key_span;
                    node = &e.value;
                }
                NodeValue::Seq(items) => {
                    let i: usize = token.parse().ok()?;
                    node = items.get(i)?;
                    at = node.span;
                }
                _ => return None,
            }
        }
        Some((node, at))
    }

    /// The span a finding about `pointer` should use: the deepest existing key along the
    /// pointer, so that a field missing from Git points at its closest written parent.
    pub fn closest_span(&self, pointer: &str) -> Span {
        let mut best = self.span;
        let mut node = self;
        let Some(rest) = pointer.strip_prefix('/') else {
            return best;
        };
        for raw in rest.split('/') {
            let token = unescape_pointer_token(raw);
            let next = match &node.value {
                NodeValue::Map(_) => node.entry(&token).map(|e| (e.key_span, &e.value)),
                NodeValue::Seq(items) => token
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| items.get(i))
                    .map(|n| (n.span, n)),
                _ => None,
            };
            match next {
                Some((sp, n)) => {
                    best = sp;
                    node = n;
                }
                None => break,
            }
        }
        best
    }

    /// Converts to JSON the way `sigs.k8s.io/yaml` does. Floats with an integral value become
    /// integers and integers above `i64::MAX` become floats, as they do after Kubernetes' JSON
    /// round trip.
    pub fn to_json(&self) -> Value {
        match &self.value {
            NodeValue::Null => Value::Null,
            NodeValue::Bool(b) => Value::Bool(*b),
            NodeValue::Int(i) => Value::Number((*i).into()),
            // Kubernetes decodes JSON numbers into int64 or float64: above i64::MAX a number
            // is a float (kubectl prints 18446744073709551615 as 18446744073709552000).
            NodeValue::Uint(u) => float_to_json(*u as f64),
            NodeValue::Float(f) => float_to_json(*f),
            NodeValue::Str(s) => Value::String(s.clone()),
            NodeValue::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeValue::Map(entries) => {
                let mut m = Map::new();
                for e in entries {
                    m.insert(e.key.clone(), e.value.to_json());
                }
                Value::Object(m)
            }
        }
    }
}

/// A float as Kubernetes' JSON round trip leaves it: integral values within `i64` become
/// integers.
pub fn float_to_json(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 9.2e18 {
        Value::Number((f as i64).into())
    } else {
        Number::from_f64(f).map_or(Value::Null, Value::Number)
    }
}

/// Parses YAML text that holds one value (an `argocd-cm` entry, a rule file, a test fixture)
/// and returns its first document as JSON (`null` for an empty text). The error names the line.
pub fn parse_value(src: &str) -> Result<Value, String> {
    let (docs, err) = parse_stream(src);
    if let Some(e) = err {
        return Err(format!("line {}: {}", e.at.line, e.message));
    }
    Ok(docs
        .into_iter()
        .find_map(|d| d.root)
        .map_or(Value::Null, |n| n.to_json()))
}

/// Decodes `~1` and `~0` in a JSON pointer token.
pub fn unescape_pointer_token(raw: &str) -> Cow<'_, str> {
    if raw.contains('~') {
        Cow::Owned(raw.replace("~1", "/").replace("~0", "~"))
    } else {
        Cow::Borrowed(raw)
    }
}

/// Encodes a key as a JSON pointer token.
pub fn escape_pointer_token(raw: &str) -> Cow<'_, str> {
    if raw.contains(['~', '/']) {
        Cow::Owned(raw.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn one(src: &str) -> Node {
        let (docs, err) = parse_stream(src);
        assert!(err.is_none(), "{err:?}");
        docs.into_iter()
            .next()
            .and_then(|d| d.root)
            .expect("a document")
    }

    #[test]
    fn positions_of_keys_and_values() {
        let src = "apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: 3\n";
        let n = one(src);
        let (v, key) = n.pointer_entry("/spec/replicas").expect("found");
        assert_eq!(key.start.line, 4);
        assert_eq!(key.start.col, 3);
        assert_eq!(v.span.start.col, 13);
        assert_eq!(&src[v.span.start.offset..v.span.end.offset], "3");
        assert_eq!(n.closest_span("/spec/template/x").start.line, 3);
    }

    #[test]
    fn byte_offsets_survive_non_ascii_and_crlf() {
        let src = "a: \"héllo wörld\"\r\nb:\r\n  c: 1\r\n";
        let n = one(src);
        let c = n.pointer("/b/c").expect("c");
        assert_eq!(&src[c.span.start.offset..c.span.end.offset], "1");
        assert_eq!(c.span.start.line, 3);
    }

    #[test]
    fn bom_is_skipped_and_offsets_stay_true() {
        let src = "\u{feff}a: 1\n";
        let n = one(src);
        let a = n.pointer("/a").expect("a");
        assert_eq!(&src[a.span.start.offset..a.span.end.offset], "1");
    }

    #[test]
    fn multi_document_streams_keep_indices() {
        let (docs, err) = parse_stream("a: 1\n---\n---\nb: 2\n");
        assert!(err.is_none());
        assert_eq!(docs.len(), 3);
        assert!(docs[1].root.is_none());
        assert_eq!(
            docs[2].root.as_ref().map(Node::to_json),
            Some(json!({"b": 2}))
        );
    }

    #[test]
    fn kubernetes_scalar_rules_and_keys() {
        let n = one("on: 1\nyes: 2\nmode: 0755\nq: \"0755\"\nt: !!str 12\nz: ~\nf: 1.0\nn: x\n");
        assert_eq!(
            n.to_json(),
            json!({"true": 2, "mode": 493, "q": "0755", "t": "12", "z": null, "f": 1, "false": "x"})
        );
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let n = one("base: &b {x: 1, z: 2}\nc:\n  <<: *b\n  z: 3\nl: [*b]\n");
        assert_eq!(
            n.pointer("/c").map(Node::to_json),
            Some(json!({"x": 1, "z": 3}))
        );
        assert_eq!(n.pointer("/l/0/x").map(Node::to_json), Some(json!(1)));
    }

    #[test]
    fn alias_bomb_is_rejected_quickly() {
        let mut s = String::from("a0: &a0 [x,x,x,x,x,x,x,x,x]\n");
        for i in 1..10 {
            let p = i - 1;
            s.push_str(&format!(
                "a{i}: &a{i} [*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p}]\n"
            ));
        }
        let t = std::time::Instant::now();
        let (_, err) = parse_stream(&s);
        let err = err.expect("must fail");
        assert!(err.message.contains("alias"), "{}", err.message);
        assert!(t.elapsed().as_secs() < 10);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let block: String = (0..10_000)
            .map(|i| format!("{}- \n", "  ".repeat(i % 50)))
            .collect();
        let (_, err) = parse_stream(&"- ".repeat(10_000));
        assert!(err.is_some());
        let (_, err) = parse_stream(&"[".repeat(100_000));
        assert!(err.is_some());
        let _ = parse_stream(&block);
        let deep_map: String = (0..300).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        let (_, err) = parse_stream(&deep_map);
        assert!(err.is_some());
    }

    #[test]
    fn complex_and_null_keys_are_rejected() {
        assert!(parse_stream("? [a]\n: 1\n").1.is_some());
        assert!(parse_stream("~: 1\n").1.is_some());
        assert!(parse_stream("a: .inf\n").1.is_some());
    }

    #[test]
    fn syntax_errors_have_a_line() {
        let (docs, err) = parse_stream("a: 1\n---\nb: [1, 2\nc: 3\n");
        assert_eq!(docs.len(), 1);
        let err = err.expect("error");
        assert!(err.at.line >= 3, "{err:?}");
    }
}
