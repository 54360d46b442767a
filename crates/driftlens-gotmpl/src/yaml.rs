//! YAML as Helm sees it: a loader with go-yaml v2 scalar resolution (YAML 1.1 booleans,
//! octal, `_` in numbers, merge keys) followed by sigs.k8s.io/yaml's JSON normalisation
//! (every number becomes `float64`, keys become strings), and an emitter that writes
//! `toYaml` output byte for byte like go-yaml v2 (sorted keys, quoting, folding at 80
//! columns, literal blocks). The loader builds values with an explicit stack and caps
//! depth and alias expansion.

use std::collections::HashMap;

use granit_parser::{Event, Parser, ScalarStyle};

use driftlens_yaml::scalar::{resolve_plain, Scalar as Plain};

use crate::fmt::{format_float_json, format_float_v};
use crate::value::{Map, Object, Value, MAX_DEPTH};
use driftlens_yaml::go_errors as yaml_errors;

/// A YAML error with a go-yaml-like message (`yaml: line N: …`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError(pub String);

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A resolved plain scalar.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    /// null.
    Null,
    /// bool.
    Bool(bool),
    /// int (or uint that fits i128).
    Int(i128),
    /// float.
    Float(f64),
    /// merge key `<<`.
    Merge,
    /// timestamp-looking (kept as string when decoded).
    Timestamp,
    /// string.
    Str,
}

fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 8 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let (date, time) = match s.find(['T', 't', ' ']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let parts: Vec<&str> = date.split('-').collect();
    if parts.len() != 3
        || !parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 4 && p.bytes().all(|c| c.is_ascii_digit()))
    {
        return false;
    }
    if parts[1].len() > 2 || parts[2].len() > 2 {
        return false;
    }
    match time {
        None => true,
        Some(t) => {
            let t = t.trim_start();
            let (hms, zone) = match t.find(['Z', '+', '-']) {
                Some(i) => (&t[..i], Some(&t[i..])),
                None => (t, None),
            };
            let hms = hms.trim_end();
            let (hms, frac) = match hms.split_once('.') {
                Some((a, f)) => (a, Some(f)),
                None => (hms, None),
            };
            let ok_hms = hms.split(':').count() == 3
                && hms.split(':').all(|p| {
                    !p.is_empty() && p.len() <= 2 && p.bytes().all(|c| c.is_ascii_digit())
                });
            let ok_frac =
                frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|c| c.is_ascii_digit()));
            let ok_zone = zone.is_none_or(|z| {
                z == "Z"
                    || (z.len() >= 3
                        && z[1..]
                            .split(':')
                            .all(|p| p.bytes().all(|c| c.is_ascii_digit())))
            });
            ok_hms && ok_frac && ok_zone
        }
    }
}

/// go-yaml v2 `resolve` for an untagged plain scalar: the loader's table
/// ([`driftlens_yaml::scalar::resolve_plain`]) plus the merge key and timestamps, which Helm's
/// values keep as strings and `toYaml` must quote.
pub fn resolve(s: &str) -> Scalar {
    if s == "<<" {
        return Scalar::Merge;
    }
    match resolve_plain(s) {
        Plain::Null => Scalar::Null,
        Plain::Bool(b) => Scalar::Bool(b),
        Plain::Int(i) => Scalar::Int(i128::from(i)),
        Plain::Uint(u) => Scalar::Int(i128::from(u)),
        Plain::Float(f) => Scalar::Float(f),
        Plain::Str if s.as_bytes().first().is_some_and(u8::is_ascii_digit) && is_timestamp(s) => {
            Scalar::Timestamp
        }
        Plain::Str => Scalar::Str,
    }
}

fn is_base60_float(s: &str) -> bool {
    // ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$
    let t = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (main, frac) = match t.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (t, None),
    };
    if frac.is_some_and(|f| !f.bytes().all(|c| c.is_ascii_digit() || c == b'_')) {
        return false;
    }
    let mut parts = main.split(':');
    let Some(head) = parts.next() else {
        return false;
    };
    if head.is_empty()
        || !head.as_bytes()[0].is_ascii_digit()
        || !head.bytes().all(|c| c.is_ascii_digit() || c == b'_')
    {
        return false;
    }
    let mut n = 0;
    for p in parts {
        n += 1;
        let ok = match p.len() {
            1 => p.as_bytes()[0].is_ascii_digit(),
            2 => (b'0'..=b'5').contains(&p.as_bytes()[0]) && p.as_bytes()[1].is_ascii_digit(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    n > 0
}

/// Limits for loading.
const MAX_NODES: usize = 5_000_000;

enum Frame {
    Seq(Vec<Value>, usize),
    Map(Map, Option<String>, Vec<Value>, usize),
}

fn key_string(v: &Value) -> Result<String, YamlError> {
    Ok(match v {
        Value::Str(s) => s.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) | Value::Int64(i) => i.to_string(),
        Value::Float(f) => format_float_v(*f),
        Value::Nil => "null".into(),
        _ => {
            return Err(YamlError(
                "error converting YAML to JSON: Unsupported map key of type: map or slice".into(),
            ))
        }
    })
}

fn count_nodes(v: &Value, budget: &mut usize) -> Result<(), YamlError> {
    let mut stack = vec![v.clone()];
    while let Some(v) = stack.pop() {
        *budget += 1;
        if *budget > MAX_NODES {
            return Err(YamlError(
                "yaml: document contains excessive aliasing".into(),
            ));
        }
        match &v {
            Value::List(l) => stack.extend(l.iter().cloned()),
            Value::Map(m) => stack.extend(m.borrow().values().cloned()),
            _ => {}
        }
    }
    Ok(())
}

/// A scalar with an explicit tag, decoded as go-yaml v2 does: the YAML 1.1 types must fit
/// the text (`!!int "7"` is 7, `!!int x` is an error), `!!binary` is base64, and any other
/// tag (`!custom 5`, `!!map`) leaves the text a string.
fn tagged_scalar(tag: &granit_parser::Tag, s: &str) -> Result<Value, String> {
    let Some(name) = tag.suffix_in_namespace("tag:yaml.org,2002:") else {
        return Ok(Value::str(s));
    };
    let resolved = resolve(s);
    let fits = match (&*name, &resolved) {
        ("str", _) => Some(Value::str(s)),
        ("int", Scalar::Int(i)) | ("float", Scalar::Int(i)) => Some(Value::Float(*i as f64)),
        ("float", Scalar::Float(f)) => Some(Value::Float(*f)),
        ("bool", Scalar::Bool(b)) => Some(Value::Bool(*b)),
        ("null", Scalar::Null) => Some(Value::Nil),
        ("timestamp", Scalar::Timestamp) => Some(Value::str(s)),
        ("binary", _) => {
            use base64::Engine as _;
            let compact: String = s.chars().filter(|c| *c != '\n' && *c != '\r').collect();
            return match base64::engine::general_purpose::STANDARD.decode(compact) {
                Ok(bytes) => Ok(Value::str(String::from_utf8_lossy(&bytes))),
                Err(_) => Err("yaml: !!binary value contains invalid base64 data".into()),
            };
        }
        ("int" | "float" | "bool" | "null" | "timestamp", _) => None,
        _ => Some(Value::str(s)),
    };
    fits.ok_or_else(|| {
        let found = match resolved {
            Scalar::Null => "!!null",
            Scalar::Bool(_) => "!!bool",
            Scalar::Int(_) => "!!int",
            Scalar::Float(_) => "!!float",
            Scalar::Merge => "!!merge",
            Scalar::Timestamp => "!!timestamp",
            Scalar::Str => "!!str",
        };
        format!("yaml: cannot decode {found} `{s}` as a !!{name}")
    })
}

/// go-yaml's message for a syntax error (see [`driftlens_yaml::go_errors`]); an alias to an
/// anchor not yet complete is go-yaml's decoder error.
fn syntax_error(text: &str, e: &granit_parser::ScanError) -> String {
    if matches!(e.kind(), granit_parser::ErrorKind::UnknownAnchor) {
        let at = yaml_errors::byte_offset(text, e.marker().line(), e.marker().col());
        let name = alias_name(&text[at.min(text.len())..]);
        let before = &text[..at.min(text.len())];
        // An anchor defined earlier whose node is still open is one that contains itself.
        let defined = before
            .match_indices('&')
            .any(|(i, _)| alias_name(&before[i..]) == name && !name.is_empty());
        return if defined {
            format!("yaml: anchor '{name}' value contains itself")
        } else {
            format!("yaml: unknown anchor '{name}' referenced")
        };
    }
    yaml_errors::go_yaml_message(text, e)
}

/// The name after a leading `*` or `&` (up to a blank or a flow indicator).
fn alias_name(s: &str) -> &str {
    let s = s.strip_prefix(['*', '&']).unwrap_or(s);
    let end = s
        .find(|c: char| c.is_whitespace() || matches!(c, ',' | '[' | ']' | '{' | '}'))
        .unwrap_or(s.len());
    &s[..end]
}

/// Loads all documents of a YAML stream as Helm values would be (numbers → float64).
pub fn load_all(text: &str) -> Result<Vec<Value>, YamlError> {
    let mut docs = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Value> = HashMap::new();
    let mut nodes = 0usize;
    let mut current: Option<Value> = None;
    let mut in_doc = false;
    // go-yaml parses a whole document before decoding it, so a syntax error anywhere in the
    // document wins over a value that does not fit its tag.
    let mut decode_error: Option<String> = None;
    let parser = Parser::new_from_str(text);
    for ev in parser {
        let (ev, span) = ev.map_err(|e| YamlError(syntax_error(text, &e)))?;
        let mut produced: Option<(Value, usize, bool)> = None; // (value, anchor, is_merge_key)
        match ev {
            Event::StreamStart | Event::StreamEnd => {}
            Event::DocumentStart(..) => {
                in_doc = true;
                current = None;
            }
            Event::DocumentEnd => {
                if let Some(e) = decode_error.take() {
                    return Err(YamlError(e));
                }
                if in_doc {
                    docs.push(current.take().unwrap_or(Value::Nil));
                }
                in_doc = false;
                anchors.clear();
            }
            Event::Alias(id) => {
                // The parser knows the anchor but its node is not complete yet.
                let v = anchors.get(&id).cloned().ok_or_else(|| {
                    let at = yaml_errors::byte_offset(text, span.start.line(), span.start.col());
                    let name = alias_name(text.get(at..).unwrap_or(""));
                    YamlError(format!("yaml: anchor '{name}' value contains itself"))
                })?;
                count_nodes(&v, &mut nodes)?;
                produced = Some((v.deep_copy().map_err(YamlError)?, 0, false));
            }
            Event::Scalar(s, style, anchor, tag) => {
                nodes += 1;
                let (v, merge) = if let Some(tag) = &tag {
                    match tagged_scalar(tag, &s) {
                        Ok(v) => (v, false),
                        Err(e) => {
                            decode_error.get_or_insert(e);
                            (Value::str(&*s), false)
                        }
                    }
                } else if style == ScalarStyle::Plain {
                    match resolve(&s) {
                        Scalar::Null => (Value::Nil, false),
                        Scalar::Bool(b) => (Value::Bool(b), false),
                        Scalar::Int(i) => (Value::Float(i as f64), false),
                        Scalar::Float(f) => (Value::Float(f), false),
                        Scalar::Merge => (Value::str("<<"), true),
                        Scalar::Timestamp | Scalar::Str => (Value::str(&*s), false),
                    }
                } else {
                    (Value::str(&*s), false)
                };
                produced = Some((v, anchor, merge));
            }
            Event::SequenceStart(_, anchor, _) => {
                if stack.len() >= MAX_DEPTH.min(200) {
                    return Err(YamlError("yaml: exceeded max depth".into()));
                }
                stack.push(Frame::Seq(Vec::new(), anchor));
            }
            Event::MappingStart(_, anchor, _) => {
                if stack.len() >= MAX_DEPTH.min(200) {
                    return Err(YamlError("yaml: exceeded max depth".into()));
                }
                stack.push(Frame::Map(Map::new(), None, Vec::new(), anchor));
            }
            Event::SequenceEnd => {
                if let Some(Frame::Seq(v, a)) = stack.pop() {
                    produced = Some((Value::list(v), a, false));
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map(mut m, _, merges, a)) = stack.pop() {
                    for mv in merges {
                        let srcs: Vec<Value> = match mv {
                            Value::List(l) => l.iter().cloned().collect(),
                            other => vec![other],
                        };
                        for s in srcs {
                            match s {
                                Value::Map(sm) => {
                                    for (k, v) in sm.borrow().iter() {
                                        m.entry(k.clone()).or_insert_with(|| v.clone());
                                    }
                                }
                                _ => return Err(YamlError(
                                    "yaml: map merge requires map or sequence of maps as the value"
                                        .into(),
                                )),
                            }
                        }
                    }
                    produced = Some((Value::map(m), a, false));
                }
            }
            _ => {}
        }
        if nodes > MAX_NODES {
            return Err(YamlError("yaml: document too large".into()));
        }
        if let Some((v, anchor, merge)) = produced {
            if anchor != 0 {
                anchors.insert(anchor, v.clone());
            }
            match stack.last_mut() {
                None => current = Some(v),
                Some(Frame::Seq(l, _)) => l.push(v),
                Some(Frame::Map(m, key, merges, _)) => match key.take() {
                    None => {
                        if merge {
                            *key = Some("\u{0}<<merge".into());
                        } else if v.is_nil() {
                            *key = Some("\u{0}<<nil".into());
                        } else {
                            *key = Some(key_string(&v)?);
                        }
                    }
                    Some(k) => {
                        if k == "\u{0}<<nil" {
                            return Err(YamlError(format!(
                                "error converting YAML to JSON: unsupported map key of type: %!s(<nil>), key: <nil>, value: {}",
                                match &v {
                                    Value::Str(s) => crate::fmt::go_quote(s),
                                    other => crate::fmt::sprint_value(other),
                                }
                            )));
                        }
                        if k == "\u{0}<<merge" {
                            merges.push(v);
                        } else {
                            m.insert(k, v);
                        }
                    }
                },
            }
        }
    }
    Ok(docs)
}

/// Loads the first document (go-yaml `Unmarshal` reads one document). Empty input is nil.
pub fn load(text: &str) -> Result<Value, YamlError> {
    Ok(load_all(text)?.into_iter().next().unwrap_or(Value::Nil))
}

// ---------------------------------------------------------------------------------------
// Emitter

const BEST_WIDTH: usize = 80;

/// A node ready for emission, after the JSON round trip `toYaml` does.
enum Node {
    Null,
    Bool(bool),
    Int(String),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

fn to_node(v: &Value, depth: usize, json: bool) -> Result<Node, String> {
    if depth > MAX_DEPTH {
        return Err("json: unsupported value: encountered a cycle".into());
    }
    Ok(match v {
        Value::Nil => Node::Null,
        Value::Bool(b) => Node::Bool(*b),
        Value::Int(i) | Value::Int64(i) => Node::Int(i.to_string()),
        Value::Float(f) => {
            if !f.is_finite() {
                return Err(format!("json: unsupported value: {}", format_float_v(*f)));
            }
            // sigs.k8s.io/yaml goes through JSON, where whole floats become integers;
            // go-yaml v3 (toYamlPretty) formats the float64 directly.
            let text = format_float_json(*f);
            match resolve(&text) {
                Scalar::Int(i) if json => Node::Int(i.to_string()),
                _ => Node::Float(*f),
            }
        }
        Value::Str(s) => Node::Str(s.to_string()),
        Value::List(l) => Node::Seq(
            l.iter()
                .map(|e| to_node(e, depth + 1, json))
                .collect::<Result<_, _>>()?,
        ),
        Value::Map(m) => {
            let mut entries: Vec<(String, Node)> = m
                .borrow()
                .iter()
                .map(|(k, e)| Ok((k.clone(), to_node(e, depth + 1, json)?)))
                .collect::<Result<_, String>>()?;
            entries.sort_by(|a, b| key_order(&a.0, &b.0));
            Node::Map(entries)
        }
        Value::Object(o) => match &**o {
            Object::KubeVersion {
                version,
                major,
                minor,
            } => Node::Map(vec![
                ("Major".into(), Node::Str(major.clone())),
                ("Minor".into(), Node::Str(minor.clone())),
                ("Version".into(), Node::Str(version.clone())),
            ]),
            _ => {
                let j = v.to_json()?;
                to_node(&Value::from_json(&j), depth + 1, json)?
            }
        },
    })
}

/// go-yaml v2's map key order: letters vs digits aware, numbers compared numerically.
pub fn key_order(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let less = |x: &[char], y: &[char]| -> bool {
        let mut i = 0;
        while i < x.len() && i < y.len() {
            if x[i] == y[i] {
                i += 1;
                continue;
            }
            let al = x[i].is_alphabetic();
            let bl = y[i].is_alphabetic();
            if al && bl {
                return x[i] < y[i];
            }
            if al || bl {
                return bl;
            }
            let (mut an, mut bn) = (0i64, 0i64);
            if x[i] == '0' || y[i] == '0' {
                let mut j = i;
                while j > 0 && x[j - 1].is_ascii_digit() {
                    j -= 1;
                    if x[j] != '0' {
                        an = 1;
                        bn = 1;
                        break;
                    }
                }
            }
            let mut ai = i;
            while ai < x.len() && x[ai].is_ascii_digit() {
                an = an.wrapping_mul(10).wrapping_add(x[ai] as i64 - '0' as i64);
                ai += 1;
            }
            let mut bi = i;
            while bi < y.len() && y[bi].is_ascii_digit() {
                bn = bn.wrapping_mul(10).wrapping_add(y[bi] as i64 - '0' as i64);
                bi += 1;
            }
            if an != bn {
                return an < bn;
            }
            if ai != bi {
                return ai < bi;
            }
            return x[i] < y[i];
        }
        x.len() < y.len()
    };
    if less(&ar, &br) {
        Ordering::Less
    } else if less(&br, &ar) {
        Ordering::Greater
    } else {
        Ordering::Equal
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

struct Analysis {
    multiline: bool,
    flow_plain: bool,
    block_plain: bool,
    single: bool,
    block: bool,
}

fn printable(c: char) -> bool {
    let u = c as u32;
    u == 0x0A
        || (0x20..=0x7E).contains(&u)
        || u == 0x85
        || (0xA0..=0xD7FF).contains(&u)
        || ((0xE000..=0xFFFD).contains(&u) && u != 0xFEFF)
        || (0x10000..=0x10FFFF).contains(&u)
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blankz(c: Option<char>) -> bool {
    match c {
        None => true,
        Some(c) => c == ' ' || c == '\t' || is_break(c) || c == '\0',
    }
}

fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis {
            multiline: false,
            flow_plain: false,
            block_plain: true,
            single: true,
            block: false,
        };
    }
    let chars: Vec<char> = s.chars().collect();
    let (mut flow_ind, mut block_ind) = (false, false);
    if s.starts_with("---") || s.starts_with("...") {
        flow_ind = true;
        block_ind = true;
    }
    let (mut line_breaks, mut special) = (false, false);
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut prev_space, mut prev_break) = (false, false);
    let mut preceded_ws = true;
    let n = chars.len();
    for i in 0..n {
        let c = chars[i];
        let followed_ws = is_blankz(chars.get(i + 1).copied());
        if i == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(c) {
                flow_ind = true;
                block_ind = true;
            }
            if c == '?' || c == ':' {
                flow_ind = true;
                if followed_ws {
                    block_ind = true;
                }
            }
            if c == '-' && followed_ws {
                flow_ind = true;
                block_ind = true;
            }
        } else {
            if ",?[]{}".contains(c) {
                flow_ind = true;
            }
            if c == ':' {
                flow_ind = true;
                if followed_ws {
                    block_ind = true;
                }
            }
            if c == '#' && preceded_ws {
                flow_ind = true;
                block_ind = true;
            }
        }
        if !printable(c) {
            special = true;
        }
        if is_break(c) {
            line_breaks = true;
        }
        if c == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if i == n - 1 {
                trailing_space = true;
            }
            if prev_break {
                break_space = true;
            }
            prev_space = true;
            prev_break = false;
        } else if is_break(c) {
            if i == 0 {
                leading_break = true;
            }
            if i == n - 1 {
                trailing_break = true;
            }
            if prev_space {
                space_break = true;
            }
            prev_break = true;
            prev_space = false;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_ws = is_blankz(Some(c));
    }
    let mut a = Analysis {
        multiline: line_breaks,
        flow_plain: true,
        block_plain: true,
        single: true,
        block: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.flow_plain = false;
        a.block_plain = false;
    }
    if trailing_space {
        a.block = false;
    }
    if break_space {
        a.flow_plain = false;
        a.block_plain = false;
        a.single = false;
    }
    if space_break || special {
        a.flow_plain = false;
        a.block_plain = false;
        a.single = false;
        a.block = false;
    }
    if line_breaks {
        a.flow_plain = false;
        a.block_plain = false;
    }
    if flow_ind {
        a.flow_plain = false;
    }
    if block_ind {
        a.block_plain = false;
    }
    let _ = a.multiline;
    a
}

struct Emitter {
    /// Column after which long scalars are folded (go-yaml v2: 80; pretty: never).
    width: usize,
    /// Indent block sequences inside mappings (go-yaml v3 style, `toYamlPretty`).
    indent_seqs: bool,
    out: String,
    col: usize,
    whitespace: bool,
    indention: bool,
    /// Byte offset where the current output line starts.
    line_start: usize,
    /// When set, the key path of each line where a key or list item starts.
    lines: Option<Vec<(usize, String)>>,
}

impl Emitter {
    fn put(&mut self, s: &str) {
        self.out.push_str(s);
        self.col += s.chars().count();
    }
    fn put_char(&mut self, c: char) {
        self.out.push(c);
        self.col += 1;
    }
    fn newline(&mut self) {
        self.out.push('\n');
        self.col = 0;
        self.line_start = self.out.len();
    }

    /// Records that a key or item with this path starts on the current line (a deeper one
    /// starting on the same line replaces it).
    fn record(&mut self, path: impl FnOnce() -> String) {
        let at = self.line_start;
        if let Some(lines) = &mut self.lines {
            if lines.last().is_some_and(|l| l.0 == at) {
                lines.pop();
            }
            lines.push((at, path()));
        }
    }
    fn write_indent(&mut self, indent: usize) {
        if !self.indention || self.col > indent || (self.col == indent && !self.whitespace) {
            self.newline();
        }
        while self.col < indent {
            self.put_char(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }
    fn indicator(&mut self, ind: &str, need_ws: bool, is_ws: bool, is_indention: bool) {
        if need_ws && !self.whitespace {
            self.put_char(' ');
        }
        self.put(ind);
        self.whitespace = is_ws;
        self.indention = self.indention && is_indention;
    }

    fn scalar(&mut self, s: &str, requested: Style, indent: usize, simple_key: bool) {
        let a = analyze(s);
        let mut style = requested;
        if style == Style::Plain && (!a.block_plain || (s.is_empty() && simple_key)) {
            style = Style::Single;
        }
        if style == Style::Single && !a.single {
            style = Style::Double;
        }
        if style == Style::Literal && (!a.block || simple_key) {
            style = Style::Double;
        }
        let allow_breaks = !simple_key;
        match style {
            Style::Plain => {
                if !self.whitespace && !s.is_empty() {
                    self.put_char(' ');
                }
                let chars: Vec<char> = s.chars().collect();
                let mut spaces = false;
                for (i, &c) in chars.iter().enumerate() {
                    if c == ' ' {
                        if allow_breaks
                            && !spaces
                            && self.col > self.width
                            && chars.get(i + 1) != Some(&' ')
                        {
                            self.indention = false;
                            self.write_indent(indent);
                        } else {
                            self.put_char(c);
                        }
                        spaces = true;
                    } else {
                        self.put_char(c);
                        spaces = false;
                    }
                }
                self.whitespace = false;
                self.indention = false;
            }
            Style::Single => {
                self.indicator("'", true, false, false);
                let chars: Vec<char> = s.chars().collect();
                let mut spaces = false;
                for (i, &c) in chars.iter().enumerate() {
                    if c == ' ' {
                        if allow_breaks
                            && !spaces
                            && self.col > self.width
                            && i != 0
                            && i != chars.len() - 1
                            && chars.get(i + 1) != Some(&' ')
                        {
                            self.indention = false;
                            self.write_indent(indent);
                        } else {
                            self.put_char(c);
                        }
                        spaces = true;
                    } else {
                        if c == '\'' {
                            self.put_char('\'');
                        }
                        self.put_char(c);
                        spaces = false;
                    }
                }
                self.indicator("'", false, false, false);
            }
            Style::Double => {
                self.indicator("\"", true, false, false);
                let chars: Vec<char> = s.chars().collect();
                let mut spaces = false;
                for (i, &c) in chars.iter().enumerate() {
                    if !printable(c) || c == '\u{FEFF}' || is_break(c) || c == '"' || c == '\\' {
                        let esc = match c {
                            '\0' => "\\0".to_string(),
                            '\u{7}' => "\\a".into(),
                            '\u{8}' => "\\b".into(),
                            '\t' => "\\t".into(),
                            '\n' => "\\n".into(),
                            '\u{b}' => "\\v".into(),
                            '\u{c}' => "\\f".into(),
                            '\r' => "\\r".into(),
                            '\u{1b}' => "\\e".into(),
                            '"' => "\\\"".into(),
                            '\\' => "\\\\".into(),
                            '\u{85}' => "\\N".into(),
                            '\u{a0}' => "\\_".into(),
                            '\u{2028}' => "\\L".into(),
                            '\u{2029}' => "\\P".into(),
                            c if (c as u32) <= 0xFF => format!("\\x{:02X}", c as u32),
                            c if (c as u32) <= 0xFFFF => format!("\\u{:04X}", c as u32),
                            c => format!("\\U{:08X}", c as u32),
                        };
                        self.put(&esc);
                        spaces = false;
                    } else if c == ' ' {
                        if allow_breaks
                            && !spaces
                            && self.col > self.width
                            && i != 0
                            && i != chars.len() - 1
                        {
                            self.indention = false;
                            self.write_indent(indent);
                            if chars.get(i + 1) == Some(&' ') {
                                self.put_char('\\');
                            }
                        } else {
                            self.put_char(c);
                        }
                        spaces = true;
                    } else {
                        self.put_char(c);
                        spaces = false;
                    }
                }
                self.indicator("\"", false, false, false);
            }
            Style::Literal => {
                self.indicator("|", true, false, false);
                let chars: Vec<char> = s.chars().collect();
                if chars.first().is_some_and(|c| *c == ' ' || is_break(*c)) {
                    self.put("2");
                }
                let last = chars.last().copied();
                let chomp = match last {
                    None => "-",
                    Some(c) if !is_break(c) => "-",
                    Some(_) => {
                        if chars.len() == 1
                            || chars.get(chars.len() - 2).is_some_and(|c| is_break(*c))
                        {
                            "+"
                        } else {
                            ""
                        }
                    }
                };
                self.put(chomp);
                self.newline();
                self.indention = true;
                self.whitespace = true;
                let mut breaks = true;
                for &c in &chars {
                    if is_break(c) {
                        self.newline();
                        self.indention = true;
                        breaks = true;
                    } else {
                        if breaks {
                            self.write_indent(indent);
                            breaks = false;
                        }
                        self.put_char(c);
                        self.indention = false;
                    }
                }
            }
        }
    }

    fn node(&mut self, n: &Node, indent: usize, depth: usize, path: &str) {
        match n {
            Node::Null => self.scalar("null", Style::Plain, indent, false),
            Node::Bool(b) => self.scalar(
                if *b { "true" } else { "false" },
                Style::Plain,
                indent,
                false,
            ),
            Node::Int(s) => self.scalar(s, Style::Plain, indent, false),
            Node::Float(f) => {
                let s = format_float_v(*f);
                self.scalar(&s, Style::Plain, indent, false)
            }
            Node::Str(s) => {
                let can_plain = resolve(s) == Scalar::Str && !is_base60_float(s);
                let style = if s.contains('\n') {
                    Style::Literal
                } else if can_plain && !s.is_empty() {
                    Style::Plain
                } else {
                    Style::Double
                };
                self.scalar(s, style, indent, false)
            }
            Node::Seq(items) => {
                if items.is_empty() {
                    self.indicator("[", true, true, false);
                    self.indicator("]", false, false, false);
                    return;
                }
                for (i, it) in items.iter().enumerate() {
                    self.write_indent(indent);
                    let p = if self.lines.is_some() {
                        format!("{path}[{i}]")
                    } else {
                        String::new()
                    };
                    self.record(|| p.clone());
                    self.indicator("-", true, false, true);
                    self.value_after_indicator(it, indent + 2, false, depth, &p);
                }
            }
            Node::Map(entries) => {
                if entries.is_empty() {
                    self.indicator("{", true, true, false);
                    self.indicator("}", false, false, false);
                    return;
                }
                for (k, v) in entries {
                    self.write_indent(indent);
                    let p = if self.lines.is_some() {
                        if path.is_empty() {
                            k.clone()
                        } else {
                            format!("{path}.{k}")
                        }
                    } else {
                        String::new()
                    };
                    self.record(|| p.clone());
                    let kstyle =
                        if resolve(k) == Scalar::Str && !is_base60_float(k) && !k.is_empty() {
                            Style::Plain
                        } else {
                            Style::Double
                        };
                    self.scalar(k, kstyle, indent, true);
                    self.indicator(":", false, false, false);
                    self.value_after_indicator(v, indent + 2, true, depth, &p);
                }
            }
        }
    }

    /// Emits a value after `- ` or `key:`. `in_map` makes nested sequences indentless.
    fn value_after_indicator(
        &mut self,
        v: &Node,
        indent: usize,
        in_map: bool,
        depth: usize,
        path: &str,
    ) {
        match v {
            Node::Seq(items) if !items.is_empty() => {
                let seq_indent = if in_map && !self.indent_seqs {
                    indent - 2
                } else {
                    indent
                };
                self.node(v, seq_indent, depth + 1, path)
            }
            _ => self.node(v, indent, depth + 1, path),
        }
    }
}

/// Refuses a value that prints to more than [`crate::value::MAX_PRINTED`] bytes.
pub fn too_large(v: &Value) -> Result<(), String> {
    match v.printed_size_within(crate::value::MAX_PRINTED) {
        Some(_) => Ok(()),
        None => Err(format!(
            "the value is too large to print (more than {} MiB)",
            crate::value::MAX_PRINTED >> 20
        )),
    }
}

/// `toYaml`: sigs.k8s.io/yaml `Marshal` (JSON round trip, go-yaml v2 output) without the
/// final newline.
pub fn to_yaml(v: &Value) -> Result<String, String> {
    emit(v, BEST_WIDTH, false, false).map(|r| r.0)
}

/// [`to_yaml`] that also names the key of each line: for every line where a key or list item
/// starts, its byte offset and its path (`limits.cpu`, `ports[0].name`), deepest on the line.
pub fn to_yaml_lines(v: &Value) -> Result<(String, Vec<(usize, String)>), String> {
    emit(v, BEST_WIDTH, false, true)
}

/// `toYamlPretty`: like [`to_yaml`] with go-yaml v3's layout (sequences indented inside
/// mappings, no folding of long strings).
pub fn to_yaml_pretty(v: &Value) -> Result<String, String> {
    emit(v, usize::MAX, true, false).map(|r| r.0)
}

type Emitted = (String, Vec<(usize, String)>);

fn emit(v: &Value, width: usize, indent_seqs: bool, lines: bool) -> Result<Emitted, String> {
    too_large(v)?;
    let node = to_node(v, 0, !indent_seqs)?;
    let mut e = Emitter {
        width,
        indent_seqs,
        out: String::new(),
        col: 0,
        whitespace: true,
        indention: true,
        line_start: 0,
        lines: lines.then(Vec::new),
    };
    // A top-level scalar is indented like a flow scalar (best indent).
    let indent = match node {
        Node::Map(_) | Node::Seq(_) => 0,
        _ => 2,
    };
    e.node(&node, indent, 0, "");
    let mut s = e.out;
    if !s.ends_with('\n') {
        s.push('\n');
    }
    let text = s.strip_suffix('\n').unwrap_or(&s).to_string();
    Ok((text, e.lines.unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn y(src: &str) -> String {
        match load(src) {
            Ok(v) => crate::fmt::sprint_value(&v),
            Err(e) => format!("ERR {e}"),
        }
    }

    #[test]
    fn loads_like_go_yaml_v2() {
        assert_eq!(
            y("a: yes\nb: 0755\nc: 1_000\nd: ~\ne: \"y\"\nf: 1e3\ng: 2024-01-01\n"),
            "map[a:true b:493 c:1000 d:<nil> e:y f:1000 g:2024-01-01]"
        );
        assert_eq!(y("a: {y: {z: 2}}"), "map[a:map[true:map[z:2]]]");
        assert_eq!(
            y("base: &b {x: 1, w: 2}\nd:\n  <<: *b\n  w: 3\n"),
            "map[base:map[w:2 x:1] d:map[w:3 x:1]]"
        );
        assert_eq!(y(""), "<nil>");
        assert!(y("a: [").starts_with("ERR"));
        let deep = "- ".repeat(100_000);
        assert!(y(&deep).starts_with("ERR"));
    }

    #[test]
    fn billion_laughs_is_bounded() {
        let mut s = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            s.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n", p = i - 1));
        }
        assert!(y(&s).starts_with("ERR"));
    }

    fn ty(v: Value) -> String {
        to_yaml(&v).unwrap_or_else(|e| format!("ERR {e}"))
    }

    #[test]
    fn emits_like_go_yaml_v2() {
        let v = load("b: [1, {x: z, w: [a]}]\na: {}\nc: []\nd: \"yes\"\ne: 'a: b'\nf: \"line1\\nline2\\n\"\ng: 1234567.5\nh: 1000000\ni: ''\nj: ' x'\nk: '- x'\nl: '# x'\nm: 0755\nnn: '0755'\no: \"tab\\there\"\n").unwrap_or_default();
        assert_eq!(
            ty(v),
            "a: {}\nb:\n- 1\n- w:\n  - a\n  x: z\nc: []\nd: \"yes\"\ne: 'a: b'\nf: |\n  line1\n  line2\ng: 1.2345675e+06\nh: 1000000\ni: \"\"\nj: ' x'\nk: '- x'\nl: '# x'\nm: 493\nnn: \"0755\"\no: \"tab\\there\""
        );
        assert_eq!(ty(Value::str("a\nb")), "|-\n  a\n  b");
        assert_eq!(ty(Value::Nil), "null");
        assert_eq!(
            ty(Value::list(vec![Value::list(vec![
                Value::Int(1),
                Value::Int(2)
            ])])),
            "- - 1\n  - 2"
        );
    }

    #[test]
    fn folds_long_plain_strings() {
        let long = "word ".repeat(30);
        let long = long.trim_end();
        let mut m = Map::new();
        m.insert("k".into(), Value::str(long));
        let out = ty(Value::map(m));
        let first = out.lines().next().unwrap_or("");
        assert!(first.len() > 80 && first.len() < 90, "{out}");
        assert!(
            out.lines().nth(1).is_some_and(|l| l.starts_with("  word")),
            "{out}"
        );
    }

    #[test]
    fn key_order_is_natural() {
        let mut keys = vec!["a10", "a9", "b", "a_b", "ab", "A"];
        keys.sort_by(|a, b| key_order(a, b));
        assert_eq!(keys, vec!["A", "a_b", "a9", "a10", "ab", "b"]);
    }
}
