//! Output exactly as kustomize writes each resource: `sigs.k8s.io/yaml.JSONToYAML`, i.e.
//! go-yaml v2 `Marshal` of the JSON-decoded value: keys in go-yaml v2's natural order, block
//! style with 2-space indentation and indentless sequences in mappings, strings quoted when
//! YAML 1.1 would read them as something else, literal blocks for multi-line text, folding
//! at 80 columns, `? key` for long keys.

use std::borrow::Cow;

use super::resolve::{is_base60_float, resolve, Resolved, Version};
use super::value::{go_format_g, json_number, Value};

const BEST_WIDTH: usize = 80;
const BEST_INDENT: isize = 2;

/// Writes one value as a YAML document (ending in a newline).
pub fn to_yaml(v: &Value) -> String {
    let mut e = Emitter {
        out: String::new(),
        column: 0,
        indent: -1,
        indents: Vec::new(),
        whitespace: true,
        indention: true,
        flow_level: 0,
    };
    e.node(v, Ctx::ROOT);
    if !e.out.ends_with('\n') {
        e.out.push('\n');
    }
    e.out
}

/// go-yaml v2's map key order (`keyList.Less`).
pub fn key_less(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        key_less_in(a.as_bytes(), b.as_bytes())
    } else {
        let ar: Vec<char> = a.chars().collect();
        let br: Vec<char> = b.chars().collect();
        key_less_in(&ar, &br)
    }
}

/// [`key_less`] on the characters of both keys (bytes when both are ASCII).
fn key_less_in<C: Copy + Into<char> + PartialEq + PartialOrd>(ar: &[C], br: &[C]) -> bool {
    let ch = |c: C| -> char { c.into() };
    let mut i = 0;
    while i < ar.len() && i < br.len() {
        if ar[i] == br[i] {
            i += 1;
            continue;
        }
        let al = ch(ar[i]).is_alphabetic();
        let bl = ch(br[i]).is_alphabetic();
        if al && bl {
            return ar[i] < br[i];
        }
        if al || bl {
            return bl;
        }
        let (mut an, mut bn) = (0i64, 0i64);
        if ch(ar[i]) == '0' || ch(br[i]) == '0' {
            let mut j = i;
            while j > 0 && ch(ar[j - 1]).is_ascii_digit() {
                j -= 1;
                if ch(ar[j]) != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && ch(ar[ai]).is_ascii_digit() {
            an = an
                .wrapping_mul(10)
                .wrapping_add(ch(ar[ai]) as i64 - '0' as i64);
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && ch(br[bi]).is_ascii_digit() {
            bn = bn
                .wrapping_mul(10)
                .wrapping_add(ch(br[bi]) as i64 - '0' as i64);
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ar[i] < br[i];
    }
    ar.len() < br.len()
}

/// [`key_less`] as an ordering.
pub fn key_order(a: &str, b: &str) -> std::cmp::Ordering {
    if key_less(a, b) {
        std::cmp::Ordering::Less
    } else if key_less(b, a) {
        std::cmp::Ordering::Greater
    } else {
        std::cmp::Ordering::Equal
    }
}

/// Orders keys like go-yaml v2 (a stable sort with [`key_less`]).
pub fn sort_keys<T>(entries: &mut [(String, T)]) {
    entries.sort_by(|a, b| key_order(&a.0, &b.0));
}

#[derive(Clone, Copy)]
struct Ctx {
    root: bool,
    mapping: bool,
    simple_key: bool,
}

impl Ctx {
    const ROOT: Ctx = Ctx {
        root: true,
        mapping: false,
        simple_key: false,
    };
    const SEQ: Ctx = Ctx {
        root: false,
        mapping: false,
        simple_key: false,
    };
    const MAP: Ctx = Ctx {
        root: false,
        mapping: true,
        simple_key: false,
    };
    const KEY: Ctx = Ctx {
        root: false,
        mapping: true,
        simple_key: true,
    };
}

#[derive(Clone, Copy, PartialEq)]
enum ScalarStyle {
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

struct Emitter {
    out: String,
    column: usize,
    indent: isize,
    indents: Vec<isize>,
    whitespace: bool,
    indention: bool,
    flow_level: usize,
}

/// go-yaml v2 `is_printable` (4-byte characters and C1 controls are not).
fn printable(c: char) -> bool {
    let u = c as u32;
    u == 0x0A
        || (0x20..=0x7E).contains(&u)
        || (0xA0..=0xD7FF).contains(&u)
        || ((0xE000..=0xFFFD).contains(&u) && u != 0xFEFF)
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
    let mut it = s.chars().peekable();
    let mut first = true;
    while let Some(c) = it.next() {
        let next = it.peek().copied();
        let last = next.is_none();
        let followed_ws = last || matches!(next, Some(' ' | '\t'));
        if first {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => {
                    flow_ind = true;
                    block_ind = true;
                }
                '?' | ':' => {
                    flow_ind = true;
                    if followed_ws {
                        block_ind = true;
                    }
                }
                '-' if followed_ws => {
                    flow_ind = true;
                    block_ind = true;
                }
                _ => {}
            }
        } else {
            match c {
                ',' | '?' | '[' | ']' | '{' | '}' => flow_ind = true,
                ':' => {
                    flow_ind = true;
                    if followed_ws {
                        block_ind = true;
                    }
                }
                '#' if preceded_ws => {
                    flow_ind = true;
                    block_ind = true;
                }
                _ => {}
            }
        }
        if !printable(c) {
            special = true;
        }
        if c == ' ' {
            if first {
                leading_space = true;
            }
            if last {
                trailing_space = true;
            }
            if prev_break {
                break_space = true;
            }
            prev_space = true;
            prev_break = false;
        } else if is_break(c) {
            line_breaks = true;
            if first {
                leading_break = true;
            }
            if last {
                trailing_break = true;
            }
            if prev_space {
                space_break = true;
            }
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_ws = is_blankz(Some(c));
        first = false;
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
    a
}

/// The text and requested style go-yaml v2's encoder gives a scalar value.
fn scalar_text(v: &Value) -> (Cow<'_, str>, ScalarStyle) {
    match v {
        Value::Null => ("null".into(), ScalarStyle::Plain),
        Value::Bool(b) => (if *b { "true" } else { "false" }.into(), ScalarStyle::Plain),
        Value::Int(i) => (i.to_string().into(), ScalarStyle::Plain),
        Value::Uint(u) => (u.to_string().into(), ScalarStyle::Plain),
        Value::Float(f) => match json_number(*f) {
            Value::Int(i) => (i.to_string().into(), ScalarStyle::Plain),
            Value::Uint(u) => (u.to_string().into(), ScalarStyle::Plain),
            _ => {
                let s = go_format_g(*f);
                let s = match s.as_str() {
                    "+Inf" => ".inf".to_string(),
                    "-Inf" => "-.inf".to_string(),
                    "NaN" => ".nan".to_string(),
                    _ => s,
                };
                (s.into(), ScalarStyle::Plain)
            }
        },
        Value::Str(s) => (Cow::Borrowed(s.as_str()), string_style(s)),
        Value::Seq(_) | Value::Map(_) => ("".into(), ScalarStyle::Plain),
    }
}

/// go-yaml v2 `stringv`'s style: literal with a newline, plain when YAML 1.1 reads it back as
/// the same string, double-quoted otherwise.
fn string_style(s: &str) -> ScalarStyle {
    if s.contains('\n') {
        return ScalarStyle::Literal;
    }
    let plain = matches!(resolve_v2_str(s), Resolved::Str) && !is_base60_float(s);
    if plain {
        ScalarStyle::Plain
    } else {
        ScalarStyle::Double
    }
}

fn resolve_v2_str(s: &str) -> Resolved {
    if s.is_empty() {
        return Resolved::Null;
    }
    resolve(s, Version::V2)
}

impl Emitter {
    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }
    fn put_str(&mut self, s: &str) {
        self.out.push_str(s);
        self.column += s.chars().count();
    }
    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }
    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { BEST_INDENT } else { 0 };
        } else if !indentless {
            self.indent += BEST_INDENT;
        }
    }
    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or(-1);
    }
    fn write_indent(&mut self) {
        let indent = self.indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }
    fn indicator(&mut self, ind: &str, need_ws: bool, is_ws: bool, is_indention: bool) {
        if need_ws && !self.whitespace {
            self.put(' ');
        }
        self.put_str(ind);
        self.whitespace = is_ws;
        self.indention = self.indention && is_indention;
    }

    fn node(&mut self, v: &Value, ctx: Ctx) {
        match v {
            Value::Seq(items) if !items.is_empty() => {
                self.increase_indent(false, ctx.mapping && !self.indention);
                for it in items {
                    self.write_indent();
                    self.indicator("-", true, false, true);
                    self.node(it, Ctx::SEQ);
                }
                self.pop_indent();
            }
            Value::Map(pairs) if !pairs.is_empty() => {
                let mut sorted: Vec<&(String, Value)> = pairs.iter().collect();
                sorted.sort_by(|a, b| key_order(&a.0, &b.0));
                self.increase_indent(false, false);
                for (k, val) in sorted {
                    self.write_indent();
                    let simple = !k.contains(is_break) && k.len() <= 128;
                    let style = string_style(k);
                    if simple {
                        self.scalar(k, style, Ctx::KEY);
                        self.indicator(":", false, false, false);
                    } else {
                        self.indicator("?", true, false, true);
                        self.scalar(k, style, Ctx::MAP);
                        self.write_indent();
                        self.indicator(":", true, false, true);
                    }
                    self.node(val, Ctx::MAP);
                }
                self.pop_indent();
            }
            Value::Seq(_) => {
                self.indicator("[", true, true, false);
                self.increase_indent(true, false);
                self.flow_level += 1;
                self.flow_level -= 1;
                self.pop_indent();
                self.indicator("]", false, false, false);
            }
            Value::Map(_) => {
                self.indicator("{", true, true, false);
                self.increase_indent(true, false);
                self.flow_level += 1;
                self.flow_level -= 1;
                self.pop_indent();
                self.indicator("}", false, false, false);
            }
            _ => {
                let (text, style) = scalar_text(v);
                self.scalar(&text, style, ctx)
            }
        }
    }

    fn scalar(&mut self, text: &str, requested: ScalarStyle, ctx: Ctx) {
        let a = analyze(text);
        let mut style = requested;
        if ctx.simple_key && a.multiline {
            style = ScalarStyle::Double;
        }
        if style == ScalarStyle::Plain {
            if (self.flow_level > 0 && !a.flow_plain) || (self.flow_level == 0 && !a.block_plain) {
                style = ScalarStyle::Single;
            }
            if text.is_empty() && (self.flow_level > 0 || ctx.simple_key) {
                style = ScalarStyle::Single;
            }
        }
        if style == ScalarStyle::Single && !a.single {
            style = ScalarStyle::Double;
        }
        if style == ScalarStyle::Literal && (!a.block || self.flow_level > 0 || ctx.simple_key) {
            style = ScalarStyle::Double;
        }
        self.increase_indent(true, false);
        let allow_breaks = !ctx.simple_key;
        match style {
            ScalarStyle::Plain => self.write_plain(text, allow_breaks),
            ScalarStyle::Single => self.write_single(text, allow_breaks),
            ScalarStyle::Double => self.write_double(text, allow_breaks),
            ScalarStyle::Literal => self.write_literal(text),
        }
        let _ = ctx.root;
        self.pop_indent();
    }

    fn write_break_char(&mut self, c: char) {
        if c == '\n' {
            self.put_break();
        } else {
            self.out.push(c);
            self.column = 0;
        }
    }

    fn write_plain(&mut self, s: &str, allow_breaks: bool) {
        if !self.whitespace && !s.is_empty() {
            self.put(' ');
        }
        let (mut spaces, mut breaks) = (false, false);
        let mut it = s.chars().peekable();
        while let Some(c) = it.next() {
            if c == ' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && it.peek() != Some(&' ') {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break_char(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn write_single(&mut self, s: &str, allow_breaks: bool) {
        self.indicator("'", true, false, false);
        let (mut spaces, mut breaks) = (false, false);
        let mut it = s.chars().peekable();
        let mut first = true;
        while let Some(c) = it.next() {
            let not_first = !std::mem::replace(&mut first, false);
            if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && not_first
                    && it.peek().is_some_and(|n| *n != ' ')
                {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break_char(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_double(&mut self, s: &str, allow_breaks: bool) {
        self.indicator("\"", true, false, false);
        let mut spaces = false;
        let mut it = s.chars().peekable();
        let mut first = true;
        while let Some(c) = it.next() {
            let not_first = !std::mem::replace(&mut first, false);
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
                self.put_str(&esc);
                spaces = false;
            } else if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && not_first
                    && it.peek().is_some()
                {
                    self.write_indent();
                    if it.peek() == Some(&' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
        self.indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_literal(&mut self, s: &str) {
        self.indicator("|", true, false, false);
        if s.starts_with(|c: char| c == ' ' || is_break(c)) {
            self.indicator(&BEST_INDENT.to_string(), false, false, false);
        }
        let mut rev = s.chars().rev();
        let chomp = match rev.next() {
            None => Some("-"),
            Some(c) if !is_break(c) => Some("-"),
            Some(_) => match rev.next() {
                None => Some("+"),
                Some(c) if is_break(c) => Some("+"),
                Some(_) => None,
            },
        };
        if let Some(c) = chomp {
            self.indicator(c, false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        let mut rest = s;
        while !rest.is_empty() {
            // A run of text up to the next line break, written at once.
            let end = rest.find(is_break).unwrap_or(rest.len());
            if end > 0 {
                if breaks {
                    self.write_indent();
                }
                self.put_str(&rest[..end]);
                self.indention = false;
                breaks = false;
            }
            rest = &rest[end..];
            if let Some(c) = rest.chars().next() {
                self.write_break_char(c);
                self.indention = true;
                breaks = true;
                rest = &rest[c.len_utf8()..];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pairs: Vec<(&str, Value)>) -> Value {
        Value::Map(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }
    fn s(x: &str) -> Value {
        Value::Str(x.to_string())
    }

    #[test]
    fn emits_like_go_yaml_v2() {
        let v = m(vec![
            (
                "b",
                Value::Seq(vec![
                    Value::Int(1),
                    m(vec![("x", s("z")), ("w", Value::Seq(vec![s("a")]))]),
                ]),
            ),
            ("a", Value::Map(vec![])),
            ("c", Value::Seq(vec![])),
            ("d", s("yes")),
            ("e", s("a: b")),
            ("f", s("line1\nline2\n")),
            ("g", Value::Float(1234567.5)),
            ("h", Value::Float(1000000.0)),
            ("i", s("")),
            ("j", s(" x")),
            ("o", s("tab\there")),
            ("on", s("1:20")),
        ]);
        assert_eq!(
            to_yaml(&v),
            "a: {}\nb:\n- 1\n- w:\n  - a\n  x: z\nc: []\nd: \"yes\"\ne: 'a: b'\nf: |\n  line1\n  line2\ng: 1.2345675e+06\nh: 1000000\ni: \"\"\nj: ' x'\no: \"tab\\there\"\n\"on\": \"1:20\"\n"
        );
    }

    #[test]
    fn nested_sequences_and_blocks() {
        let v = Value::Seq(vec![Value::Seq(vec![Value::Int(1), Value::Int(2)])]);
        assert_eq!(to_yaml(&v), "- - 1\n  - 2\n");
        let v = m(vec![("k", s(" lead\n"))]);
        assert_eq!(to_yaml(&v), "k: |2\n   lead\n");
        let v = m(vec![("k", s("\n"))]);
        assert_eq!(to_yaml(&v), "k: |2+\n\n");
        let v = m(vec![("k", s("\u{1F600}"))]);
        assert_eq!(to_yaml(&v), "k: \"\\U0001F600\"\n");
    }

    #[test]
    fn long_keys_use_question_mark() {
        let k = "k".repeat(130);
        let v = m(vec![(&k, s("v"))]);
        assert_eq!(to_yaml(&v), format!("? {k}\n: v\n"));
    }

    #[test]
    fn key_order() {
        let mut keys = vec![
            "a10", "a9", "b", "a_b", "ab", "A", "_x", "9", "10", "a-b", "a.b",
        ];
        keys.sort_by(|a, b| super::key_order(a, b));
        assert_eq!(
            keys,
            vec!["_x", "9", "10", "A", "a-b", "a.b", "a_b", "a9", "a10", "ab", "b"]
        );
    }

    #[test]
    fn folds_at_80() {
        let long = "word ".repeat(30);
        let v = m(vec![("k", s(long.trim_end()))]);
        let out = to_yaml(&v);
        let first = out.lines().next().unwrap_or("");
        assert!(first.len() > 80 && first.len() < 90, "{out}");
        assert!(out.lines().nth(1).is_some_and(|l| l.starts_with("  word")));
    }
}
