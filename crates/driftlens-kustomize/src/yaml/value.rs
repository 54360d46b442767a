//! Decoded values: what go-yaml v3 gives when kyaml turns a node into Go data
//! (`RNode.MarshalJSON`: encode the node, decode into `map[string]interface{}`), and Go's
//! `encoding/json` text of such data (for hashes, JSON patches and the output path).

use super::node::{Data, Node, Style, Tag};
use super::resolve::{resolve, Resolved, Version};

/// A decoded value (Go `interface{}` after a go-yaml v3 decode).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// nil.
    Null,
    /// bool.
    Bool(bool),
    /// int / int64.
    Int(i64),
    /// uint64 (above `i64::MAX`).
    Uint(u64),
    /// float64.
    Float(f64),
    /// string (timestamps are already RFC 3339 text, as `time.Time` marshals).
    Str(String),
    /// []interface{}.
    Seq(Vec<Value>),
    /// map[string]interface{}, keys sorted bytewise (Go's JSON and map iteration order do not
    /// matter for output; sorted keeps everything deterministic).
    Map(Vec<(String, Value)>),
}

/// A decode failure, with go-yaml/encoding/json's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// Whether go-yaml v3 may write the text as a block scalar (no space before a line break, no
/// trailing space, only printable characters).
fn block_allowed(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    if chars.last() == Some(&' ') {
        return false;
    }
    for (i, c) in chars.iter().enumerate() {
        let printable = *c == '\n'
            || (' '..='~').contains(c)
            || c == &'\u{85}'
            || ('\u{A0}'..='\u{D7FF}').contains(c)
            || (('\u{E000}'..='\u{FFFD}').contains(c) && *c != '\u{FEFF}')
            || ('\u{10000}'..='\u{10FFFF}').contains(c);
        if !printable {
            return false;
        }
        if *c == ' ' && chars.get(i + 1).is_some_and(|n| is_break(*n)) {
            return false;
        }
    }
    true
}

/// The text a folded (`>`) scalar has after kyaml writes it with go-yaml v3 and reads it
/// back: v3's folded writer doubles a line break only when the value's first non-break
/// character is not blank (it looks at the start of the value instead of the current line),
/// so lines before more-indented ones gain an empty line, and a value that starts with a
/// space loses its line breaks to folding.
pub fn folded_roundtrip(v: &str) -> String {
    if v.is_empty() || !block_allowed(v) {
        return v.to_string();
    }
    let chars: Vec<char> = v.chars().collect();
    let extra = match chars.iter().position(|c| !is_break(*c)) {
        Some(k) => !matches!(chars[k], ' ' | '\t'),
        None => false,
    };
    let mut body = String::new();
    let (mut breaks, mut leading_spaces) = (true, true);
    for &c in &chars {
        if is_break(c) {
            if !breaks && !leading_spaces && c == '\n' && extra {
                body.push('\n');
            }
            body.push(c);
            breaks = true;
        } else {
            if breaks {
                body.push_str("  ");
                leading_spaces = c == ' ' || c == '\t';
            }
            body.push(c);
            breaks = false;
        }
    }
    let mut header = String::from(">");
    if chars[0] == ' ' || is_break(chars[0]) {
        header.push('2');
    }
    let last = chars[chars.len() - 1];
    if !is_break(last) {
        header.push('-');
    } else if chars.len() == 1 || is_break(chars[chars.len() - 2]) {
        header.push('+');
    }
    let doc = format!("v: {header}\n{body}");
    match super::parse::parse_single_document(&doc) {
        Ok(Some(n)) => n
            .field("v")
            .map(|x| x.value().to_string())
            .unwrap_or_else(|| v.to_string()),
        _ => v.to_string(),
    }
}

/// What a scalar node decodes to, after kyaml's encode → decode round trip.
pub fn scalar_value(n: &Node) -> Result<Value, DecodeError> {
    let s = n.value();
    let quoted = n.style.is_quoted();
    if n.style == Style::Folded && matches!(n.tag, Tag::None | Tag::Str) {
        return Ok(Value::Str(folded_roundtrip(s)));
    }
    match &n.tag {
        Tag::Str => Ok(Value::Str(s.to_string())),
        Tag::None | Tag::Merge => {
            if quoted || s.contains('\n') {
                return Ok(Value::Str(s.to_string()));
            }
            Ok(resolved_value(s, resolve(s, Version::V3)))
        }
        Tag::Binary => {
            use base64::Engine;
            let clean: String = s.chars().filter(|c| !c.is_whitespace()).collect();
            match base64::engine::general_purpose::STANDARD.decode(clean.as_bytes()) {
                Ok(b) => Ok(Value::Str(String::from_utf8_lossy(&b).into_owned())),
                Err(_) => Err(DecodeError(
                    "yaml: !!binary value contains invalid base64 data".into(),
                )),
            }
        }
        Tag::Other(_) | Tag::Map | Tag::Seq => Ok(Value::Str(s.to_string())),
        t => {
            // A tag that matches what the text resolves to is dropped by the encoder; a quoted
            // one then decodes as a string.
            let r = resolve(s, Version::V3);
            let rtag = resolved_tag(&r);
            if rtag == *t {
                if quoted {
                    return Ok(Value::Str(s.to_string()));
                }
                return Ok(resolved_value(s, r));
            }
            if *t == Tag::Float {
                if let Resolved::Int(i) = r {
                    return Ok(Value::Float(i as f64));
                }
            }
            Err(DecodeError(format!(
                "yaml: cannot decode {} `{}` as a {}",
                rtag.as_str(),
                s,
                t.as_str()
            )))
        }
    }
}

fn resolved_tag(r: &Resolved) -> Tag {
    match r {
        Resolved::Null => Tag::Null,
        Resolved::Bool(_) => Tag::Bool,
        Resolved::Int(_) | Resolved::Uint(_) => Tag::Int,
        Resolved::Float(_) => Tag::Float,
        Resolved::Timestamp(_) => Tag::Timestamp,
        Resolved::Merge => Tag::Merge,
        Resolved::Str => Tag::Str,
    }
}

fn resolved_value(s: &str, r: Resolved) -> Value {
    match r {
        Resolved::Null => Value::Null,
        Resolved::Bool(b) => Value::Bool(b),
        Resolved::Int(i) => Value::Int(i),
        Resolved::Uint(u) => Value::Uint(u),
        Resolved::Float(f) => Value::Float(f),
        Resolved::Timestamp(t) => Value::Str(t),
        Resolved::Merge | Resolved::Str => Value::Str(s.to_string()),
    }
}

/// Whether a key node decodes as a string (go-yaml v3 `isStringMap`).
fn key_is_string(k: &Node) -> bool {
    match &k.tag {
        Tag::Str | Tag::Merge => true,
        Tag::None => {
            k.style.is_quoted()
                || matches!(
                    resolve(k.value(), Version::V3),
                    Resolved::Str | Resolved::Merge
                )
        }
        _ => false,
    }
}

/// Decodes a resource node like `RNode.MarshalJSON` followed by `json.Unmarshal`-free use:
/// the top level is a `map[string]interface{}` (any scalar key becomes its text), nested
/// mappings must have string keys, and a key written twice is an error.
pub fn decode_resource(n: &Node) -> Result<Value, DecodeError> {
    decode(n, true)
}

/// Decodes any node (nested-mapping rules at the top too).
pub fn decode_any(n: &Node) -> Result<Value, DecodeError> {
    decode(n, false)
}

fn decode(n: &Node, top: bool) -> Result<Value, DecodeError> {
    match &n.data {
        Data::Scalar(_) => scalar_value(n),
        Data::Seq(items) => Ok(Value::Seq(
            items
                .iter()
                .map(|i| decode(i, false))
                .collect::<Result<_, _>>()?,
        )),
        Data::Map(pairs) => {
            let mut out: Vec<(String, Value)> = Vec::with_capacity(pairs.len());
            for (i, p) in pairs.iter().enumerate() {
                if !top && !key_is_string(&p.key) {
                    return Err(DecodeError(
                        "json: unsupported type: map[interface {}]interface {}".into(),
                    ));
                }
                let k = p.key.value();
                if let Some(prev) = pairs[..i]
                    .iter()
                    .find(|q| q.key.value() == k && q.key.kind() == p.key.kind())
                {
                    return Err(DecodeError(format!(
                        "yaml: unmarshal errors:\n  line {}: mapping key \"{}\" already defined at line {}",
                        p.key.loc.line, k, prev.key.loc.line
                    )));
                }
                let key = if top {
                    match scalar_value(&p.key)? {
                        Value::Null => String::new(),
                        _ => k.to_string(),
                    }
                } else {
                    k.to_string()
                };
                out.push((key, decode(&p.value, false)?));
            }
            out.sort_by(|a, b| a.0.cmp(&b.0));
            Ok(Value::Map(out))
        }
    }
}

/// Go `encoding/json` `Marshal` text (sorted keys, HTML-safe escaping, Go float format).
pub fn to_json(v: &Value) -> Result<String, DecodeError> {
    let mut out = String::new();
    write_json(v, &mut out)?;
    Ok(out)
}

fn write_json(v: &Value, out: &mut String) -> Result<(), DecodeError> {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Uint(u) => out.push_str(&u.to_string()),
        Value::Float(f) => out.push_str(&json_float(*f)?),
        Value::Str(s) => json_string(s, out),
        Value::Seq(items) => {
            out.push('[');
            for (i, it) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(it, out)?;
            }
            out.push(']');
        }
        Value::Map(pairs) => {
            out.push('{');
            let mut sorted: Vec<&(String, Value)> = pairs.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            for (i, (k, v)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_string(k, out);
                out.push(':');
                write_json(v, out)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

/// Go `encoding/json`'s string encoding with HTML escaping.
pub fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Go `encoding/json`'s float64 text.
pub fn json_float(f: f64) -> Result<String, DecodeError> {
    if !f.is_finite() {
        return Err(DecodeError(format!(
            "json: unsupported value: {}",
            go_format_g(f)
        )));
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let s = go_format_e(f);
        return Ok(s);
    }
    Ok(go_format_f(f))
}

/// Shortest decimal digits and decimal exponent of a finite non-zero float:
/// value = 0.d1d2d3… × 10^dp.
fn shortest_digits(f: f64) -> (String, i32) {
    let s = format!("{:e}", f.abs());
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    (digits, exp + 1)
}

/// Go `strconv.FormatFloat(f, 'f', -1, 64)`.
pub fn go_format_f(f: f64) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let (d, dp) = shortest_digits(f);
    let mut out = String::new();
    if f < 0.0 {
        out.push('-');
    }
    if dp <= 0 {
        out.push_str("0.");
        for _ in 0..(-dp) {
            out.push('0');
        }
        out.push_str(&d);
    } else if dp as usize >= d.len() {
        out.push_str(&d);
        for _ in 0..(dp as usize - d.len()) {
            out.push('0');
        }
    } else {
        out.push_str(&d[..dp as usize]);
        out.push('.');
        out.push_str(&d[dp as usize..]);
    }
    out
}

/// Go `strconv.FormatFloat(f, 'e', -1, 64)` as encoding/json cleans it (`e-07` → `e-7`).
fn go_format_e(f: f64) -> String {
    let s = go_format_e_raw(f);
    // clean up e-09 to e-9
    let b = s.as_bytes();
    let n = b.len();
    if n >= 4 && b[n - 4] == b'e' && b[n - 3] == b'-' && b[n - 2] == b'0' {
        let mut t = s[..n - 2].to_string();
        t.push(b[n - 1] as char);
        return t;
    }
    s
}

fn go_format_e_raw(f: f64) -> String {
    let (d, dp) = shortest_digits(f);
    let mut out = String::new();
    if f < 0.0 {
        out.push('-');
    }
    out.push_str(&d[..1]);
    if d.len() > 1 {
        out.push('.');
        out.push_str(&d[1..]);
    }
    let exp = dp - 1;
    out.push('e');
    out.push(if exp < 0 { '-' } else { '+' });
    let e = exp.abs();
    if e < 10 {
        out.push('0');
    }
    out.push_str(&e.to_string());
    out
}

/// Go `strconv.FormatFloat(f, 'g', -1, 64)` (go-yaml v2 writes floats this way; `.inf`,
/// `-.inf`, `.nan` are mapped by the caller).
pub fn go_format_g(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let (_, dp) = shortest_digits(f);
    let exp = dp - 1;
    if !(-4..6).contains(&exp) {
        go_format_e_raw(f)
    } else {
        go_format_f(f)
    }
}

/// A value after the JSON round trip that `sigs.k8s.io/yaml.JSONToYAML` does (floats that
/// print as integers become integers).
pub fn json_number(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 1e21 {
        if f >= i64::MIN as f64 && f < i64::MAX as f64 {
            return Value::Int(f as i64);
        }
        if f >= 0.0 && f < u64::MAX as f64 {
            return Value::Uint(f as u64);
        }
    }
    Value::Float(f)
}

/// The style go-yaml v3 would write a string scalar in (only whether it is quoted matters).
pub fn is_plain_string(n: &Node) -> bool {
    n.style == Style::Plain
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_like_go() {
        assert_eq!(go_format_g(123456789.123), "1.23456789123e+08");
        assert_eq!(go_format_g(1234567.5), "1.2345675e+06");
        assert_eq!(go_format_g(999999.5), "999999.5");
        assert_eq!(go_format_g(0.0001), "0.0001");
        assert_eq!(go_format_g(0.00001), "1e-05");
        assert_eq!(go_format_g(1e20), "1e+20");
        assert_eq!(json_float(1e20).unwrap(), "100000000000000000000");
        assert_eq!(json_float(1e21).unwrap(), "1e+21");
        assert_eq!(json_float(1e-7).unwrap(), "1e-7");
        assert_eq!(json_float(0.5).unwrap(), "0.5");
    }

    #[test]
    fn folded_scalars_round_trip_like_kyaml() {
        assert_eq!(folded_roundtrip("x y\n  z\nw\n"), "x y\n\n  z\nw\n");
        assert_eq!(folded_roundtrip("x\n\ny\n"), "x\n\ny\n");
        assert_eq!(folded_roundtrip("a b\n"), "a b\n");
    }

    #[test]
    fn json_escapes_like_go() {
        let mut s = String::new();
        json_string("a<b>&\"\u{1}", &mut s);
        assert_eq!(s, "\"a\\u003cb\\u003e\\u0026\\\"\\u0001\"");
    }
}
