//! YAML text → [`Node`] trees, the way kyaml reads resources (`kio.FromBytes`): documents are
//! split on `\n---…\n` lines first (only a comment may follow the dashes), each piece is
//! decoded on its own by go-yaml v3 (first document only), aliases are expanded and `<<`
//! merge keys applied (`DeAnchor`). Plain scalars get the tag go-yaml v3 resolves, or the
//! YAML 1.1 one when reading like sigs.k8s.io/yaml (kustomization files, JSON patches).
//!
//! Budgets: nesting depth and node count (aliases included) per document.

use granit_parser::{Event, Parser, ScalarStyle, StructureStyle};

use super::node::{Data, Loc, Node, Pair, Style, Tag};
use super::resolve::{resolve, Resolved, Version};

/// Deepest nesting a document may have.
pub const MAX_DEPTH: usize = 200;
/// Most nodes one document may expand to (aliases included).
pub const MAX_NODES: usize = 2_000_000;

/// A YAML syntax error, with go-yaml's `yaml: line N: …` text (line within the piece that
/// go-yaml decoded) and the absolute line for pointing at the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// go-yaml-like message (`yaml: line 3: …`).
    pub message: String,
    /// Absolute 1-based line in the file.
    pub line: u32,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// How a read is configured.
#[derive(Clone, Copy, Debug)]
pub struct ReadOptions {
    /// Scalar rules.
    pub version: Version,
    /// File index for locations.
    pub file: u32,
}

/// Splits like kyaml's `splitDocuments` (after `\r\n` → `\n`): returns each piece with the
/// 0-based line it starts at, or the `invalid document separator` error.
pub fn split_documents(s: &str) -> Result<Vec<(&str, u32)>, String> {
    let mut out = Vec::new();
    if s.is_empty() {
        return Ok(out);
    }
    let b = s.as_bytes();
    let mut prev = 0usize;
    let mut prev_line = 0u32;
    let mut line = 0u32;
    let mut i = 0usize;
    // Regex `\n---.*\n`: a `\n`, then `---`, then anything up to the next `\n`. Matches do not
    // overlap, so the search resumes after the closing newline.
    while i < b.len() {
        if b[i] == b'\n' {
            if b[i + 1..].starts_with(b"---") {
                if let Some(rel) = b[i + 4..].iter().position(|&c| c == b'\n') {
                    let end = i + 4 + rel; // index of the closing '\n'
                    let rest = s[i + 4..end].trim();
                    if !rest.is_empty() && !rest.starts_with('#') {
                        let sep = s[i + 1..end].trim();
                        return Err(format!("invalid document separator: {sep}"));
                    }
                    out.push((&s[prev..i], prev_line));
                    prev = end + 1;
                    line += 2;
                    prev_line = line;
                    i = end + 1;
                    continue;
                }
            }
            line += 1;
        }
        i += 1;
    }
    out.push((&s[prev..], prev_line));
    Ok(out)
}

/// Reads a resource file like `kio.FromBytes`: every non-empty document, in order.
pub fn read_documents(text: &str, opts: ReadOptions) -> Result<Vec<Node>, ParseError> {
    let text: std::borrow::Cow<'_, str> = if text.contains("\r\n") {
        text.replace("\r\n", "\n").into()
    } else {
        text.into()
    };
    let pieces = split_documents(&text).map_err(|m| ParseError {
        message: m,
        line: 1,
    })?;
    let n = pieces.len();
    let mut out = Vec::new();
    for (i, (piece, line0)) in pieces.into_iter().enumerate() {
        // The split eats each piece's final newline; kyaml puts it back except on the last.
        let owned;
        let piece = if i != n - 1 {
            owned = format!("{piece}\n");
            owned.as_str()
        } else {
            piece
        };
        if let Some(node) = parse_first(piece, opts, line0)? {
            if !node.is_null() {
                out.push(node);
            }
        }
    }
    Ok(out)
}

/// Parses the first document of `text` (v2 rules, no file), for small snippets.
pub fn parse_single_document(text: &str) -> Result<Option<Node>, ParseError> {
    parse_first(
        text,
        ReadOptions {
            version: Version::V2,
            file: 0,
        },
        0,
    )
}

/// Parses the first document of `text`, as go-yaml v3's `Decoder.Decode` does once.
pub fn parse_first(text: &str, opts: ReadOptions, line0: u32) -> Result<Option<Node>, ParseError> {
    let mut b = Builder {
        opts,
        line0,
        stack: Vec::new(),
        anchors: Vec::new(),
        root: None,
        nodes: 0,
        docs: 0,
    };
    let popts = granit_parser::options! {
        emit_comments: false,
        block_scalar_eof_without_line_feed: true,
        block_nesting_limit: MAX_DEPTH + 1,
        flow_nesting_limit: MAX_DEPTH + 1,
    };
    let parser = Parser::new_from_str_with_options(text, popts);
    for item in parser {
        let (event, span) = match item {
            Ok(v) => v,
            Err(e) => {
                let m = e.marker();
                let info = e.info();
                return Err(ParseError {
                    message: format!("yaml: line {}: {}", m.line(), info.trim()),
                    line: line0 + m.line() as u32,
                });
            }
        };
        let loc = Loc {
            file: opts.file,
            line: line0 + span.start.line() as u32,
            col: span.start.col() as u32 + 1,
        };
        if b.event(event, loc)? {
            break;
        }
    }
    Ok(b.root)
}

struct Frame {
    anchor: usize,
    loc: Loc,
    tag: Tag,
    style: Style,
    kind: FrameKind,
}

enum FrameKind {
    Seq(Vec<Node>),
    Map(Vec<Pair>, Option<Node>),
}

struct Builder {
    opts: ReadOptions,
    line0: u32,
    stack: Vec<Frame>,
    anchors: Vec<Option<Node>>,
    root: Option<Node>,
    nodes: usize,
    docs: usize,
}

fn explicit_tag(tag: &granit_parser::Tag) -> Option<Tag> {
    if let Some(core) = tag.core_suffix() {
        return Some(match core {
            "str" => Tag::Str,
            "int" => Tag::Int,
            "float" => Tag::Float,
            "bool" => Tag::Bool,
            "null" => Tag::Null,
            "map" => Tag::Map,
            "seq" => Tag::Seq,
            other => Tag::Other(format!("!!{other}").into()),
        });
    }
    let (h, s) = tag.parts();
    if h == "tag:yaml.org,2002:" {
        return Some(match s {
            "timestamp" => Tag::Timestamp,
            "binary" => Tag::Binary,
            "merge" => Tag::Merge,
            other => Tag::Other(format!("!!{other}").into()),
        });
    }
    if h == "!" && s.is_empty() {
        // The non-specific tag `!`: go-yaml v3 resolves as if untagged.
        return None;
    }
    Some(Tag::Other(tag.original().into()))
}

impl Builder {
    fn err(&self, message: String, loc: Loc) -> ParseError {
        ParseError {
            message,
            line: loc.line,
        }
    }

    fn count(&mut self, n: usize, loc: Loc) -> Result<(), ParseError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err(self.err(
                format!(
                    "yaml: document expands to more than {MAX_NODES} nodes (an alias-expansion \
                     bomb?)"
                ),
                loc,
            ));
        }
        Ok(())
    }

    /// Returns true when the first document is complete.
    fn event(&mut self, event: Event<'_>, loc: Loc) -> Result<bool, ParseError> {
        match event {
            Event::DocumentStart(..) => {
                self.docs += 1;
            }
            Event::DocumentEnd => {
                return Ok(true);
            }
            Event::Alias(id) => {
                let node = match self.anchors.get(id) {
                    Some(Some(n)) => n.clone(),
                    _ => {
                        return Err(self.err(
                            format!(
                                "yaml: line {}: unknown anchor referenced",
                                loc.line - self.line0
                            ),
                            loc,
                        ))
                    }
                };
                self.count(node.count(), loc)?;
                self.push(node, 0)?;
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1, loc)?;
                let style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    ScalarStyle::SingleQuoted => Style::Single,
                    ScalarStyle::DoubleQuoted => Style::Double,
                    ScalarStyle::Literal => Style::Literal,
                    ScalarStyle::Folded => Style::Folded,
                };
                let explicit = tag.as_deref().and_then(explicit_tag);
                let tag = match explicit {
                    Some(t) => t,
                    None if style != Style::Plain => Tag::Str,
                    None => match resolve(&text, self.opts.version) {
                        Resolved::Null => Tag::Null,
                        Resolved::Bool(_) => Tag::Bool,
                        Resolved::Int(_) | Resolved::Uint(_) => Tag::Int,
                        Resolved::Float(_) => Tag::Float,
                        Resolved::Timestamp(_) => {
                            if self.opts.version == Version::V3 {
                                Tag::Timestamp
                            } else {
                                Tag::Str
                            }
                        }
                        Resolved::Merge => Tag::Merge,
                        Resolved::Str => Tag::Str,
                    },
                };
                let node = Node {
                    tag,
                    style,
                    loc,
                    data: Data::Scalar(text.into_owned()),
                };
                self.push(node, anchor)?;
            }
            Event::SequenceStart(st, anchor, tag) => {
                self.count(1, loc)?;
                self.open(loc, anchor, st, tag.as_deref(), FrameKind::Seq(Vec::new()))?;
            }
            Event::MappingStart(st, anchor, tag) => {
                self.count(1, loc)?;
                self.open(
                    loc,
                    anchor,
                    st,
                    tag.as_deref(),
                    FrameKind::Map(Vec::new(), None),
                )?;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return Err(self.err("yaml: unbalanced structure".into(), loc));
                };
                let mut at = frame.loc;
                let data = match frame.kind {
                    FrameKind::Seq(items) => Data::Seq(items),
                    FrameKind::Map(pairs, _) => {
                        // A block mapping is where its first key is (as go-yaml v3 places
                        // it); the parser's start event is at the end of the token before.
                        if frame.style == Style::Plain {
                            if let Some(p) = pairs.first().filter(|p| p.key.loc.line > 0) {
                                at = p.key.loc;
                            }
                        }
                        Data::Map(apply_merges(pairs, loc, self)?)
                    }
                };
                let node = Node {
                    tag: frame.tag,
                    style: frame.style,
                    loc: at,
                    data,
                };
                self.push(node, frame.anchor)?;
            }
            _ => {}
        }
        Ok(false)
    }

    fn open(
        &mut self,
        loc: Loc,
        anchor: usize,
        st: StructureStyle,
        tag: Option<&granit_parser::Tag>,
        kind: FrameKind,
    ) -> Result<(), ParseError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.err(format!("yaml: nesting deeper than {MAX_DEPTH} levels"), loc));
        }
        let default = match kind {
            FrameKind::Seq(_) => Tag::Seq,
            FrameKind::Map(..) => Tag::Map,
        };
        let tag = tag.and_then(explicit_tag).unwrap_or(default);
        let style = if st == StructureStyle::Flow {
            Style::Flow
        } else {
            Style::Plain
        };
        self.stack.push(Frame {
            anchor,
            loc,
            tag,
            style,
            kind,
        });
        Ok(())
    }

    fn push(&mut self, node: Node, anchor: usize) -> Result<(), ParseError> {
        if anchor != 0 {
            if self.anchors.len() <= anchor {
                self.anchors.resize(anchor + 1, None);
            }
            self.anchors[anchor] = Some(node.clone());
        }
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(f) => match &mut f.kind {
                FrameKind::Seq(items) => items.push(node),
                FrameKind::Map(pairs, pending) => match pending.take() {
                    None => *pending = Some(node),
                    Some(key) => pairs.push(Pair { key, value: node }),
                },
            },
        }
        Ok(())
    }
}

/// kyaml `DeAnchor`'s merge handling: the first `<<` entry is removed and the mappings it
/// names are merged in (later list entries first), the mapping's own entries winning.
fn apply_merges(pairs: Vec<Pair>, loc: Loc, b: &Builder) -> Result<Vec<Pair>, ParseError> {
    let merge_count = pairs.iter().filter(|p| p.key.tag == Tag::Merge).count();
    if merge_count == 0 {
        return Ok(pairs);
    }
    if merge_count > 1 {
        return Err(b.err("duplicate merge key".into(), loc));
    }
    let idx = pairs
        .iter()
        .position(|p| p.key.tag == Tag::Merge)
        .unwrap_or(0);
    let mut own = pairs;
    let merge = own.remove(idx).value;
    let sources: Vec<Node> = match merge.data {
        Data::Map(_) => vec![merge],
        Data::Seq(items) => {
            let mut v = Vec::new();
            for it in items {
                match it.data {
                    Data::Map(_) => v.insert(0, it),
                    Data::Seq(_) => {
                        return Err(
                            b.err("invalid map merge: received a nested sequence".into(), loc)
                        )
                    }
                    _ => {
                        return Err(b.err(
                            "map merge requires map or sequence of maps as the value".into(),
                            loc,
                        ))
                    }
                }
            }
            v
        }
        _ => {
            return Err(b.err(
                "map merge requires map or sequence of maps as the value".into(),
                loc,
            ))
        }
    };
    let mut result = own.clone();
    for src in sources
        .into_iter()
        .chain(std::iter::once(Node::map_of(own)))
    {
        if let Data::Map(ps) = src.data {
            let mut seen: Vec<String> = Vec::new();
            for p in ps {
                // VisitFields visits each distinct field name once, with its first value.
                let k = p.key.value().to_string();
                if seen.contains(&k) {
                    continue;
                }
                seen.push(k.clone());
                match result.iter_mut().find(|q| q.key.value() == k) {
                    Some(q) => q.value = p.value,
                    None => result.push(p),
                }
            }
        }
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v3(s: &str) -> Vec<Node> {
        read_documents(
            s,
            ReadOptions {
                version: Version::V3,
                file: 1,
            },
        )
        .unwrap()
    }

    #[test]
    fn splits_like_kyaml() {
        assert_eq!(v3("a: 1\n---\nb: 2\n").len(), 2);
        assert_eq!(v3("---\na: 1\n--- # c\nb: 2\n---\n").len(), 2);
        assert!(split_documents("a: 1\n--- x\nb: 2\n").is_err());
        assert_eq!(v3("").len(), 0);
        assert_eq!(v3("# only\n").len(), 0);
    }

    #[test]
    fn tags_like_v3() {
        let d = &v3("a: yes\nb: 0755\nc: \"1\"\nd: ~\ne: 2001-12-14\n")[0];
        assert_eq!(d.field("a").unwrap().tag, Tag::Str);
        assert_eq!(d.field("b").unwrap().tag, Tag::Int);
        assert_eq!(d.field("c").unwrap().tag, Tag::Str);
        assert_eq!(d.field("d").unwrap().tag, Tag::Null);
        assert_eq!(d.field("e").unwrap().tag, Tag::Timestamp);
    }

    #[test]
    fn lines_are_absolute() {
        let docs = v3("a: 1\n---\nb: 2\nc: 3\n");
        assert_eq!(docs[1].field("c").unwrap().loc.line, 4);
    }

    #[test]
    fn anchors_and_merges() {
        let d = &v3("base: &b {x: 1, w: 2}\nd:\n  <<: *b\n  w: 3\n")[0];
        let dd = d.field("d").unwrap();
        assert_eq!(dd.field("x").unwrap().value(), "1");
        assert_eq!(dd.field("w").unwrap().value(), "3");
        assert!(dd.field("<<").is_none());
    }

    #[test]
    fn budgets() {
        let deep = "- ".repeat(1000);
        assert!(read_documents(
            &deep,
            ReadOptions {
                version: Version::V3,
                file: 0
            }
        )
        .is_err());
        let mut s = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            s.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        assert!(read_documents(
            &s,
            ReadOptions {
                version: Version::V3,
                file: 0
            }
        )
        .is_err());
    }
}
