//! The YAML node tree the engine works on: kyaml's `yaml.Node` (go-yaml v3) with its tag, style
//! and kind, plus where each node was written.
//!
//! Kustomize never works on decoded values: every transformer edits nodes, and a scalar's tag
//! and quoting decide what it becomes when the result is written out (`replicas: "3"` stays a
//! string, a replacement keeps its target's tag). The helpers here mirror the kyaml functions
//! the transformers use (`Field`, `FieldSetter`, `Clear`, `GetAnnotations`, …) with the same
//! edge cases, so the transformers can be written the way kustomize writes them.

use std::fmt;

/// Where a node was written: a file registered with the build (0 = made by the engine) and a
/// 1-based line and column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Loc {
    /// Index of the file in the build's file table; 0 when the engine made the node.
    pub file: u32,
    /// Line, from 1 (0 when unknown).
    pub line: u32,
    /// Column, from 1 (0 when unknown).
    pub col: u32,
}

impl Loc {
    /// No position: a node the engine made.
    pub const NONE: Loc = Loc {
        file: 0,
        line: 0,
        col: 0,
    };
}

/// A node's presentation style (go-yaml v3 `Style`, without `TaggedStyle`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Style {
    /// Plain scalar, or block collection.
    #[default]
    Plain,
    /// `'single'`.
    Single,
    /// `"double"`.
    Double,
    /// `|` block.
    Literal,
    /// `>` block.
    Folded,
    /// `[flow]` or `{flow}` collection.
    Flow,
}

impl Style {
    /// Quoted or block scalar styles: go-yaml v3 decodes such a scalar as a string.
    pub fn is_quoted(self) -> bool {
        matches!(
            self,
            Style::Single | Style::Double | Style::Literal | Style::Folded
        )
    }
}

/// A node's tag, in go-yaml v3's short form.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Tag {
    /// No tag (nodes the engine makes with kyaml's `NewScalarRNode`).
    #[default]
    None,
    /// `!!str`.
    Str,
    /// `!!int`.
    Int,
    /// `!!float`.
    Float,
    /// `!!bool`.
    Bool,
    /// `!!null`.
    Null,
    /// `!!timestamp`.
    Timestamp,
    /// `!!binary`.
    Binary,
    /// `!!merge` (the `<<` key).
    Merge,
    /// `!!map`.
    Map,
    /// `!!seq`.
    Seq,
    /// Any other tag, as written (`!Ref`, `!!set`).
    Other(Box<str>),
}

impl Tag {
    /// The tag as go-yaml v3 prints it.
    pub fn as_str(&self) -> &str {
        match self {
            Tag::None => "",
            Tag::Str => "!!str",
            Tag::Int => "!!int",
            Tag::Float => "!!float",
            Tag::Bool => "!!bool",
            Tag::Null => "!!null",
            Tag::Timestamp => "!!timestamp",
            Tag::Binary => "!!binary",
            Tag::Merge => "!!merge",
            Tag::Map => "!!map",
            Tag::Seq => "!!seq",
            Tag::Other(s) => s,
        }
    }
}

/// A mapping entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Pair {
    /// The key (a scalar in everything kustomize accepts).
    pub key: Node,
    /// The value.
    pub value: Node,
}

/// What a node holds.
#[derive(Clone, Debug, PartialEq)]
pub enum Data {
    /// A scalar's text (after YAML escape processing).
    Scalar(String),
    /// A mapping's entries in source order (duplicates kept, as go-yaml v3 keeps them).
    Map(Vec<Pair>),
    /// A sequence's items.
    Seq(Vec<Node>),
}

/// A YAML node.
#[derive(Clone, PartialEq)]
pub struct Node {
    /// The tag (resolved at parse time for plain scalars, as go-yaml v3 does).
    pub tag: Tag,
    /// The presentation style.
    pub style: Style,
    /// Where the node was written.
    pub loc: Loc,
    /// The content.
    pub data: Data,
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.data {
            Data::Scalar(s) => write!(f, "{}{:?}", self.tag.as_str(), s),
            Data::Map(p) => f
                .debug_map()
                .entries(p.iter().map(|p| (&p.key, &p.value)))
                .finish(),
            Data::Seq(s) => f.debug_list().entries(s.iter()).finish(),
        }
    }
}

/// The kind of a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Scalar.
    Scalar,
    /// Mapping.
    Map,
    /// Sequence.
    Seq,
}

impl Node {
    /// kyaml `NewScalarRNode`: an untagged plain scalar (its type is decided when written).
    pub fn scalar(value: impl Into<String>) -> Node {
        Node {
            tag: Tag::None,
            style: Style::Plain,
            loc: Loc::NONE,
            data: Data::Scalar(value.into()),
        }
    }

    /// kyaml `NewStringRNode` (go-yaml v3 `SetString`): a `!!str` scalar, literal style when it
    /// holds a line break.
    pub fn string(value: impl Into<String>) -> Node {
        let value = value.into();
        let style = if value.contains('\n') {
            Style::Literal
        } else {
            Style::Plain
        };
        Node {
            tag: Tag::Str,
            style,
            loc: Loc::NONE,
            data: Data::Scalar(value),
        }
    }

    /// A scalar with an explicit tag.
    pub fn tagged(tag: Tag, value: impl Into<String>) -> Node {
        Node {
            tag,
            style: Style::Plain,
            loc: Loc::NONE,
            data: Data::Scalar(value.into()),
        }
    }

    /// kyaml `MakeNullNode`.
    pub fn null() -> Node {
        Node::tagged(Tag::Null, "")
    }

    /// An empty mapping (kyaml `NewMapRNode(nil)`).
    pub fn map() -> Node {
        Node {
            tag: Tag::None,
            style: Style::Plain,
            loc: Loc::NONE,
            data: Data::Map(Vec::new()),
        }
    }

    /// An empty sequence.
    pub fn seq() -> Node {
        Node {
            tag: Tag::None,
            style: Style::Plain,
            loc: Loc::NONE,
            data: Data::Seq(Vec::new()),
        }
    }

    /// A sequence of the given nodes.
    pub fn seq_of(items: Vec<Node>) -> Node {
        Node {
            tag: Tag::None,
            style: Style::Plain,
            loc: Loc::NONE,
            data: Data::Seq(items),
        }
    }

    /// A mapping of the given entries.
    pub fn map_of(pairs: Vec<Pair>) -> Node {
        Node {
            tag: Tag::None,
            style: Style::Plain,
            loc: Loc::NONE,
            data: Data::Map(pairs),
        }
    }

    /// Sets the location (builder style).
    pub fn at(mut self, loc: Loc) -> Node {
        self.loc = loc;
        self
    }

    /// The kind.
    pub fn kind(&self) -> Kind {
        match self.data {
            Data::Scalar(_) => Kind::Scalar,
            Data::Map(_) => Kind::Map,
            Data::Seq(_) => Kind::Seq,
        }
    }

    /// The scalar text; `""` for collections (go-yaml v3's `Value` of a collection).
    pub fn value(&self) -> &str {
        match &self.data {
            Data::Scalar(s) => s,
            _ => "",
        }
    }

    /// The scalar text, if a scalar.
    pub fn as_scalar(&self) -> Option<&str> {
        match &self.data {
            Data::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// Mapping entries.
    pub fn pairs(&self) -> Option<&Vec<Pair>> {
        match &self.data {
            Data::Map(p) => Some(p),
            _ => None,
        }
    }

    /// Mutable mapping entries.
    pub fn pairs_mut(&mut self) -> Option<&mut Vec<Pair>> {
        match &mut self.data {
            Data::Map(p) => Some(p),
            _ => None,
        }
    }

    /// Sequence items.
    pub fn items(&self) -> Option<&Vec<Node>> {
        match &self.data {
            Data::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// Mutable sequence items.
    pub fn items_mut(&mut self) -> Option<&mut Vec<Node>> {
        match &mut self.data {
            Data::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// Children (sequence items, or keys and values of a mapping, like go-yaml v3 `Content`).
    pub fn content_len(&self) -> usize {
        match &self.data {
            Data::Scalar(_) => 0,
            Data::Map(p) => p.len() * 2,
            Data::Seq(s) => s.len(),
        }
    }

    /// kyaml `IsTaggedNull` / `IsMissingOrNull` for a present node.
    pub fn is_null(&self) -> bool {
        self.tag == Tag::Null
    }

    /// kyaml `IsYNodeEmptyMap`.
    pub fn is_empty_map(&self) -> bool {
        matches!(&self.data, Data::Map(p) if p.is_empty())
    }

    /// kyaml `IsYNodeEmptySeq`.
    pub fn is_empty_seq(&self) -> bool {
        matches!(&self.data, Data::Seq(s) if s.is_empty())
    }

    /// kyaml `IsYNodeNilOrEmpty` for a present node.
    pub fn is_nil_or_empty(&self) -> bool {
        self.is_null() || self.is_empty_map() || self.is_empty_seq()
    }

    /// kyaml `IsYNodeString`: an untagged or `!!str` scalar.
    pub fn is_string_value(&self) -> bool {
        matches!(self.data, Data::Scalar(_)) && matches!(self.tag, Tag::None | Tag::Str)
    }

    /// kyaml `RNode.Field(name).Value`: the value of the first entry whose key text is `name`.
    pub fn field(&self, name: &str) -> Option<&Node> {
        match &self.data {
            Data::Map(p) => p.iter().find(|p| p.key.value() == name).map(|p| &p.value),
            _ => None,
        }
    }

    /// Mutable [`Node::field`].
    pub fn field_mut(&mut self, name: &str) -> Option<&mut Node> {
        match &mut self.data {
            Data::Map(p) => p
                .iter_mut()
                .find(|p| p.key.value() == name)
                .map(|p| &mut p.value),
            _ => None,
        }
    }

    /// The first entry whose key text is `name`.
    pub fn entry(&self, name: &str) -> Option<&Pair> {
        match &self.data {
            Data::Map(p) => p.iter().find(|p| p.key.value() == name),
            _ => None,
        }
    }

    /// Follows a path of field names (no creation); `None` at the first missing field.
    pub fn path(&self, path: &[&str]) -> Option<&Node> {
        let mut n = self;
        for p in path {
            n = n.field(p)?;
        }
        Some(n)
    }

    /// Mutable [`Node::path`].
    pub fn path_mut(&mut self, path: &[&str]) -> Option<&mut Node> {
        let mut n = self;
        for p in path {
            n = n.field_mut(p)?;
        }
        Some(n)
    }

    /// A non-empty scalar field's text (kyaml `getMetaStringField` shape: null and empty
    /// collections count as absent).
    pub fn str_field(&self, name: &str) -> Option<&str> {
        let v = self.field(name)?;
        if v.is_nil_or_empty() {
            return None;
        }
        Some(v.value())
    }

    /// kyaml `Clear(name)`: removes the first entry named `name`, returning its value.
    pub fn clear_field(&mut self, name: &str) -> Option<Node> {
        let pairs = self.pairs_mut()?;
        let i = pairs.iter().position(|p| p.key.value() == name)?;
        Some(pairs.remove(i).value)
    }

    /// kyaml `FieldSetter{Name, Value}` (with `OverrideStyle` false): a null value clears the
    /// field; a string value that YAML 1.1 would read as something else is double-quoted; an
    /// existing field keeps its node's style and takes the new content. Returns the set value.
    pub fn set_field(&mut self, name: &str, value: Node) -> Option<&mut Node> {
        self.set_field_with(name, value, false)
    }

    /// [`Node::set_field`] that keeps a null value (kyaml `MakePersistentNullNode`).
    pub fn set_field_keep_null(&mut self, name: &str, value: Node) -> Option<&mut Node> {
        self.set_field_with(name, value, true)
    }

    fn set_field_with(&mut self, name: &str, mut value: Node, keep: bool) -> Option<&mut Node> {
        if value.is_string_value()
            && value.style == Style::Plain
            && super::resolve::is_yaml11_non_string(value.value())
        {
            value.style = Style::Double;
        }
        if value.is_null() && !keep {
            self.clear_field(name);
            return None;
        }
        let pairs = self.pairs_mut()?;
        if let Some(i) = pairs.iter().position(|p| p.key.value() == name) {
            let slot = &mut pairs[i].value;
            value.style = slot.style;
            *slot = value;
            return Some(slot);
        }
        pairs.push(Pair {
            key: Node::scalar(name),
            value,
        });
        pairs.last_mut().map(|p| &mut p.value)
    }

    /// kyaml `LookupCreate(MappingNode, name)` for one step.
    pub fn lookup_create_map(&mut self, name: &str) -> Option<&mut Node> {
        self.lookup_create(name, Kind::Map)
    }

    /// kyaml `LookupCreate(kind, name)` (`FieldMatcher{Name, Create}` in a `PathGetter`):
    /// the field's value when present (even a null one), created as an empty `kind` node when
    /// missing; `None` when `self` is null or not a mapping.
    pub fn lookup_create(&mut self, name: &str, kind: Kind) -> Option<&mut Node> {
        let pairs = self.pairs_mut()?;
        let i = match pairs.iter().position(|p| p.key.value() == name) {
            Some(i) => i,
            None => {
                let fresh = match kind {
                    Kind::Map => Node::map(),
                    Kind::Seq => Node::seq(),
                    Kind::Scalar => Node::scalar(""),
                };
                pairs.push(Pair {
                    key: Node::scalar(name),
                    value: fresh,
                });
                pairs.len() - 1
            }
        };
        Some(&mut pairs[i].value)
    }

    /// Field names in order (kyaml `Fields`).
    pub fn field_names(&self) -> Vec<&str> {
        match &self.data {
            Data::Map(p) => p.iter().map(|p| p.key.value()).collect(),
            _ => Vec::new(),
        }
    }

    /// Visits every node depth-first (pre-order) with an explicit stack.
    pub fn walk_mut(&mut self, f: &mut dyn FnMut(&mut Node)) {
        let mut stack: Vec<&mut Node> = vec![self];
        while let Some(n) = stack.pop() {
            f(n);
            match &mut n.data {
                Data::Scalar(_) => {}
                Data::Map(pairs) => {
                    for pair in pairs.iter_mut().rev() {
                        stack.push(&mut pair.value);
                        stack.push(&mut pair.key);
                    }
                }
                Data::Seq(items) => {
                    for it in items.iter_mut().rev() {
                        stack.push(it);
                    }
                }
            }
        }
    }

    /// Counts the nodes of the tree (iteratively).
    pub fn count(&self) -> usize {
        let mut n = 0;
        let mut stack = vec![self];
        while let Some(x) = stack.pop() {
            n += 1;
            match &x.data {
                Data::Scalar(_) => {}
                Data::Map(p) => {
                    for pair in p {
                        stack.push(&pair.key);
                        stack.push(&pair.value);
                    }
                }
                Data::Seq(s) => stack.extend(s.iter()),
            }
        }
        n
    }

    /// Sets every location in the tree (nodes made from a patch take the patch's place).
    pub fn set_loc_all(&mut self, loc: Loc) {
        self.walk_mut(&mut |n| n.loc = loc);
    }
}
