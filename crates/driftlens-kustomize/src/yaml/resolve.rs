//! Plain-scalar resolution as go-yaml does it: v3 (kyaml, YAML 1.2-ish: only `true`/`false`
//! are booleans) and v2 (sigs.k8s.io/yaml, YAML 1.1: `yes`, `on`, `y` … too). Both parse
//! integers with Go's `strconv.ParseInt(s, 0, 64)` after dropping `_` (so `0755` is octal),
//! floats with the YAML float pattern, and timestamps with Go's `time.Parse` on four layouts.

/// A resolved plain scalar.
#[derive(Clone, Debug, PartialEq)]
pub enum Resolved {
    /// `~`, `null`, empty.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer that fits `i64`.
    Int(i64),
    /// An integer above `i64::MAX`.
    Uint(u64),
    /// A float (maybe infinite or NaN from `.inf`/`.nan`).
    Float(f64),
    /// A timestamp, already formatted as Go's `time.Time` JSON (RFC 3339 with nanoseconds).
    Timestamp(String),
    /// The merge key `<<`.
    Merge,
    /// A string.
    Str,
}

/// Which go-yaml.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// go-yaml v2 (YAML 1.1 booleans).
    V2,
    /// go-yaml v3.
    V3,
}

/// Resolves an untagged plain scalar.
pub fn resolve(s: &str, v: Version) -> Resolved {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        "true" | "True" | "TRUE" => return Resolved::Bool(true),
        "false" | "False" | "FALSE" => return Resolved::Bool(false),
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Resolved::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        "<<" => return Resolved::Merge,
        _ => {}
    }
    if v == Version::V2 {
        match s {
            "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => return Resolved::Bool(true),
            "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => return Resolved::Bool(false),
            _ => {}
        }
    }
    let first = s.as_bytes()[0];
    match first {
        b'.' => match go_parse_float(s) {
            Some(f) => Resolved::Float(f),
            None => Resolved::Str,
        },
        b'0'..=b'9' | b'+' | b'-' => resolve_number(s),
        _ => Resolved::Str,
    }
}

fn resolve_number(s: &str) -> Resolved {
    if let Some(t) = parse_timestamp(s) {
        return Resolved::Timestamp(t);
    }
    let plain: std::borrow::Cow<'_, str> = if s.contains('_') {
        s.replace('_', "").into()
    } else {
        s.into()
    };
    if let Some(r) = go_parse_int(&plain) {
        return r;
    }
    if is_yaml_float(&plain) {
        if let Some(f) = go_parse_float(&plain) {
            return Resolved::Float(f);
        }
    }
    if let Some(rest) = plain.strip_prefix("0b") {
        if let Ok(i) = i64::from_str_radix(rest, 2) {
            if !rest.starts_with(['+', '-']) {
                return Resolved::Int(i);
            }
        }
        if let Ok(u) = u64::from_str_radix(rest, 2) {
            if !rest.starts_with('+') {
                return Resolved::Uint(u);
            }
        }
    } else if let Some(rest) = plain.strip_prefix("-0b") {
        if !rest.starts_with(['+', '-']) {
            if let Ok(i) = i64::from_str_radix(&format!("-{rest}"), 2) {
                return Resolved::Int(i);
            }
        }
    }
    Resolved::Str
}

/// The YAML float pattern `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
pub fn is_yaml_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let st = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - st
    };
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            digits(&mut i);
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Go's `strconv.ParseFloat(s, 64)` for the inputs the resolvers give it: `None` on a syntax
/// error or when the value overflows (Go reports `ErrRange`).
pub fn go_parse_float(s: &str) -> Option<f64> {
    let lower = s.to_ascii_lowercase();
    let body = lower.trim_start_matches(['+', '-']);
    if body.starts_with("0x") {
        // Hexadecimal floats never reach here through the YAML resolvers except via ParseInt.
        return None;
    }
    if body.contains('_') {
        return None;
    }
    let f: f64 = s.parse().ok()?;
    if f.is_infinite() && !matches!(body, "inf" | "infinity") {
        return None;
    }
    Some(f)
}

/// Go's `strconv.ParseInt(s, 0, 64)` followed by `ParseUint(s, 0, 64)` (no underscores).
pub fn go_parse_int(s: &str) -> Option<Resolved> {
    let (neg, body, signed) = match s.as_bytes().first()? {
        b'+' => (false, &s[1..], true),
        b'-' => (true, &s[1..], true),
        _ => (false, s, false),
    };
    let (radix, digits) =
        if let Some(d) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
            (16, d)
        } else if let Some(d) = body.strip_prefix("0o").or_else(|| body.strip_prefix("0O")) {
            (8, d)
        } else if let Some(d) = body.strip_prefix("0b").or_else(|| body.strip_prefix("0B")) {
            (2, d)
        } else if body.len() > 1 && body.starts_with('0') {
            (8, &body[1..])
        } else {
            (10, body)
        };
    if digits.is_empty() || !digits.bytes().all(|c| (c as char).is_digit(radix)) {
        return None;
    }
    let mag = u64::from_str_radix(digits, radix).ok()?;
    if neg {
        if mag <= i64::MAX as u64 + 1 {
            return Some(Resolved::Int((mag as i64).wrapping_neg()));
        }
        return None;
    }
    if mag <= i64::MAX as u64 {
        return Some(Resolved::Int(mag as i64));
    }
    // ParseUint refuses a sign.
    if signed {
        return None;
    }
    Some(Resolved::Uint(mag))
}

/// go-yaml v2's `isBase60Float`, which makes the v2 encoder quote such strings.
pub fn is_base60_float(s: &str) -> bool {
    // ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$
    let b = s.as_bytes();
    if b.is_empty() {
        return false;
    }
    let c = b[0];
    if !(c == b'+' || c == b'-' || c.is_ascii_digit()) || !s.contains(':') {
        return false;
    }
    let mut i = 0;
    if b[i] == b'+' || b[i] == b'-' {
        i += 1;
    }
    if i >= b.len() || !b[i].is_ascii_digit() {
        return false;
    }
    i += 1;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while i < b.len() && b[i] == b':' {
        i += 1;
        // [0-5]?[0-9]
        let st = i;
        while i < b.len() && b[i].is_ascii_digit() && i - st < 2 {
            i += 1;
        }
        let n = i - st;
        if n == 0 {
            return false;
        }
        if n == 2 && b[st] > b'5' {
            // "[0-5]?[0-9]" with a leading digit above 5: only the first digit belongs to
            // the group, and the second cannot start anything valid.
            return false;
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// kyaml `IsValueNonString`: whether go-yaml v2 would decode the text, as a whole document,
/// into something other than a string.
pub fn is_yaml11_non_string(value: &str) -> bool {
    if value.is_empty() || value.contains('\n') {
        return false;
    }
    let simple = !value.starts_with([' ', '\t'])
        && !value.ends_with([' ', '\t'])
        && !value.bytes().any(|c| {
            matches!(
                c,
                b':' | b'#'
                    | b'['
                    | b']'
                    | b'{'
                    | b'}'
                    | b'&'
                    | b'*'
                    | b'!'
                    | b'|'
                    | b'>'
                    | b'\''
                    | b'"'
                    | b'%'
                    | b'@'
                    | b'`'
                    | b','
                    | b'-'
                    | b'?'
                    | b'\t'
                    | b'\r'
            ) || c < 0x20
        });
    if simple {
        return !matches!(
            resolve(value, Version::V2),
            Resolved::Str | Resolved::Timestamp(_) | Resolved::Merge
        );
    }
    whole_document_non_string(value)
}

/// The slow path of [`is_yaml11_non_string`]: parses the text as a YAML document (go-yaml v2
/// rules) and looks at its root: a plain scalar that does not resolve to a string, or a
/// collection; a syntax error or an unknown alias means "string" (kyaml keeps it as is).
fn whole_document_non_string(value: &str) -> bool {
    use granit_parser::{Event, Parser, ScalarStyle};
    let opts = granit_parser::options! {
        emit_comments: false,
        block_nesting_limit: 64,
        flow_nesting_limit: 64,
    };
    let mut verdict: Option<bool> = None;
    // Anchors usable by an alias (a collection's only once it is complete).
    let mut defined: Vec<usize> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    for item in Parser::new_from_str_with_options(value, opts) {
        let Ok((event, _)) = item else {
            return false;
        };
        match event {
            Event::DocumentEnd | Event::StreamEnd => break,
            Event::Alias(id) => {
                if !defined.contains(&id) {
                    return false;
                }
                verdict.get_or_insert(false);
            }
            Event::Scalar(text, style, anchor, tag) => {
                let non_string = style == ScalarStyle::Plain
                    && tag.as_deref().is_none_or(tag_resolves)
                    && !matches!(
                        resolve(&text, Version::V2),
                        Resolved::Str | Resolved::Timestamp(_) | Resolved::Merge
                    );
                verdict.get_or_insert(non_string);
                defined.push(anchor);
            }
            Event::SequenceStart(_, anchor, _) | Event::MappingStart(_, anchor, _) => {
                verdict.get_or_insert(true);
                open.push(anchor);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(a) = open.pop() {
                    defined.push(a);
                }
            }
            _ => {}
        }
    }
    verdict.unwrap_or(true)
}

/// Whether a scalar with this explicit tag is still resolved from its text (core types other
/// than `!!str`, the non-specific `!`), rather than being a string or an unknown type.
fn tag_resolves(tag: &granit_parser::Tag) -> bool {
    if let Some(core) = tag.core_suffix() {
        return matches!(core, "int" | "float" | "bool" | "null" | "map" | "seq");
    }
    let (h, s) = tag.parts();
    (h == "tag:yaml.org,2002:" && matches!(s, "timestamp" | "merge")) || (h == "!" && s.is_empty())
}

// ---- timestamps (Go's time.Parse on go-yaml's four layouts) ------------------------------------

struct Stamp {
    year: i32,
    month: u32,
    day: u32,
    hour: u32,
    min: u32,
    sec: u32,
    nsec: u32,
    /// Offset in seconds; None = UTC.
    offset: Option<i32>,
}

/// go-yaml's `parseTimestamp`; the result is formatted as Go's `time.Time.MarshalJSON`.
pub fn parse_timestamp(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i != 4 || i == b.len() || b[i] != b'-' {
        return None;
    }
    let st = parse_layout(s, Some(b'T'), true)
        .or_else(|| parse_layout(s, Some(b't'), true))
        .or_else(|| parse_layout(s, Some(b' '), false))
        .or_else(|| parse_layout(s, None, false))?;
    Some(format_rfc3339nano(&st))
}

fn getnum(b: &[u8], i: &mut usize) -> Option<u32> {
    if *i >= b.len() || !b[*i].is_ascii_digit() {
        return None;
    }
    let d0 = (b[*i] - b'0') as u32;
    if *i + 1 >= b.len() || !b[*i + 1].is_ascii_digit() {
        *i += 1;
        return Some(d0);
    }
    let d1 = (b[*i + 1] - b'0') as u32;
    *i += 2;
    Some(d0 * 10 + d1)
}

fn parse_layout(s: &str, sep: Option<u8>, zone: bool) -> Option<Stamp> {
    let b = s.as_bytes();
    let year: i32 = s.get(..4)?.parse().ok()?;
    let mut i = 4;
    let lit = |i: &mut usize, c: u8| -> Option<()> {
        if *i < b.len() && b[*i] == c {
            *i += 1;
            Some(())
        } else {
            None
        }
    };
    lit(&mut i, b'-')?;
    let month = getnum(b, &mut i)?;
    lit(&mut i, b'-')?;
    let day = getnum(b, &mut i)?;
    let (mut hour, mut min, mut sec, mut nsec, mut offset) = (0, 0, 0, 0, None);
    if let Some(sep) = sep {
        lit(&mut i, sep)?;
        hour = getnum(b, &mut i)?;
        if hour >= 24 {
            return None;
        }
        lit(&mut i, b':')?;
        min = getnum(b, &mut i)?;
        if min >= 60 {
            return None;
        }
        lit(&mut i, b':')?;
        sec = getnum(b, &mut i)?;
        if sec >= 60 {
            return None;
        }
        // .999999999: optional fraction, any number of digits (only nine count).
        if i + 1 < b.len() && (b[i] == b'.' || b[i] == b',') && b[i + 1].is_ascii_digit() {
            let st = i + 1;
            let mut j = st;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            let digits = &s[st..j.min(st + 9)];
            let mut n: u32 = digits.parse().ok()?;
            for _ in digits.len()..9 {
                n *= 10;
            }
            nsec = n;
            i = j;
        }
        if zone {
            if i < b.len() && b[i] == b'Z' {
                i += 1;
                offset = None;
            } else {
                if b.len() < i + 6 || b[i + 3] != b':' || !(b[i] == b'+' || b[i] == b'-') {
                    return None;
                }
                let two = |p: usize| -> Option<i32> {
                    if b[p].is_ascii_digit() && b[p + 1].is_ascii_digit() {
                        Some(((b[p] - b'0') * 10 + (b[p + 1] - b'0')) as i32)
                    } else {
                        None
                    }
                };
                let hh = two(i + 1)?;
                let mm = two(i + 4)?;
                if hh > 24 || mm > 60 {
                    return None;
                }
                let mut off = hh * 3600 + mm * 60;
                if b[i] == b'-' {
                    off = -off;
                }
                offset = Some(off);
                i += 6;
            }
        }
    }
    if i != b.len() {
        return None;
    }
    if !(1..=12).contains(&month) || day < 1 || day > days_in(month, year) {
        return None;
    }
    Some(Stamp {
        year,
        month,
        day,
        hour,
        min,
        sec,
        nsec,
        offset: offset.filter(|o| *o != 0),
    })
}

fn days_in(month: u32, year: i32) -> u32 {
    match month {
        2 => {
            if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 {
                29
            } else {
                28
            }
        }
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn format_rfc3339nano(t: &Stamp) -> String {
    let mut out = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year, t.month, t.day, t.hour, t.min, t.sec
    );
    if t.nsec != 0 {
        let frac = format!("{:09}", t.nsec);
        out.push('.');
        out.push_str(frac.trim_end_matches('0'));
    }
    match t.offset {
        None => out.push('Z'),
        Some(o) => {
            let sign = if o < 0 { '-' } else { '+' };
            let o = o.abs();
            out.push_str(&format!("{sign}{:02}:{:02}", o / 3600, (o % 3600) / 60));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_strings_like_kyaml() {
        for v in [
            "1",
            "true",
            "~",
            "a: b",
            "[1]",
            "# only a comment",
            "!!int 1",
            "&x 1",
        ] {
            assert!(is_yaml11_non_string(v), "{v}");
        }
        for v in [
            "x",
            "",
            "a #b",
            "*x",
            "!!str 1",
            "!!binary aGk=",
            "&x z",
            "[1",
            "1\n",
        ] {
            assert!(!is_yaml11_non_string(v), "{v}");
        }
    }

    #[test]
    fn numbers_like_go() {
        assert_eq!(resolve("0755", Version::V3), Resolved::Int(493));
        assert_eq!(resolve("0x1F", Version::V3), Resolved::Int(31));
        assert_eq!(resolve("1_000", Version::V3), Resolved::Int(1000));
        assert_eq!(resolve("08", Version::V3), Resolved::Float(8.0));
        assert_eq!(resolve("-0", Version::V3), Resolved::Int(0));
        assert_eq!(
            resolve("12345678901234567890", Version::V3),
            Resolved::Uint(12345678901234567890)
        );
        assert_eq!(resolve("1e3", Version::V3), Resolved::Float(1000.0));
        assert_eq!(resolve("1e400", Version::V3), Resolved::Str);
        assert_eq!(resolve(".5", Version::V3), Resolved::Float(0.5));
        assert_eq!(resolve("+", Version::V3), Resolved::Str);
        assert_eq!(resolve("yes", Version::V3), Resolved::Str);
        assert_eq!(resolve("yes", Version::V2), Resolved::Bool(true));
        assert_eq!(resolve("0b101", Version::V3), Resolved::Int(5));
    }

    #[test]
    fn timestamps_like_go() {
        assert_eq!(
            parse_timestamp("2001-12-14").as_deref(),
            Some("2001-12-14T00:00:00Z")
        );
        assert_eq!(
            parse_timestamp("2001-12-14 21:59:43.10").as_deref(),
            Some("2001-12-14T21:59:43.1Z")
        );
        assert_eq!(
            parse_timestamp("2001-12-14t21:59:43.10-05:00").as_deref(),
            Some("2001-12-14T21:59:43.1-05:00")
        );
        assert_eq!(parse_timestamp("2001-12-14 21:59:43.10 -5"), None);
        assert_eq!(parse_timestamp("2001-02-30"), None);
        assert_eq!(parse_timestamp("2001-12-14T21:59:43"), None);
    }

    #[test]
    fn base60() {
        assert!(is_base60_float("1:20"));
        assert!(is_base60_float("190:20:30.15"));
        assert!(!is_base60_float("1:2a"));
        assert!(!is_base60_float("a:1"));
    }
}
