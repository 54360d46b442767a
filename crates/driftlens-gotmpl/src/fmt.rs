//! Go `fmt` and `strconv` formatting as templates observe it: `%v` of every value kind,
//! `print`/`println` spacing rules, `printf` verbs with flags, width and precision, and
//! Go's in-band error forms such as `%!d(float64=3)`.

use super::value::{Object, Value, MAX_DEPTH};

/// Largest precision honoured (Rust's formatting refuses more than `u16::MAX`; no real
/// template needs more digits).
const MAX_PREC: usize = 1 << 14;

/// Splits a finite float into shortest round-trip decimal digits and a decimal exponent
/// such that `value = 0.d1d2d3… × 10^dp`. Returns (negative, digits, dp).
fn shortest_digits(f: f64) -> (bool, String, i32) {
    let neg = f.is_sign_negative();
    let a = f.abs();
    if a == 0.0 {
        return (neg, "0".into(), 1);
    }
    // Rust's `{:e}` prints the shortest digits that round-trip, like strconv with -1.
    let s = format!("{a:e}");
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    (neg, digits.to_string(), exp + 1)
}

fn exp_suffix(e: i32) -> String {
    if e < 0 {
        format!("e-{:02}", -e)
    } else {
        format!("e+{:02}", e)
    }
}

/// `strconv.FormatFloat(f, 'g', -1, 64)`, which is also `%v` of a `float64`.
pub fn format_float_v(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    let (neg, digits, dp) = shortest_digits(f);
    let exp = dp - 1;
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if !(-4..6).contains(&exp) {
        // %e form with shortest digits
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push_str(&exp_suffix(exp));
    } else {
        out.push_str(&fixed_from_digits(&digits, dp));
    }
    out
}

/// Decimal (no exponent) representation from digits and decimal point position.
fn fixed_from_digits(digits: &str, dp: i32) -> String {
    let mut out = String::new();
    if dp <= 0 {
        out.push_str("0.");
        for _ in 0..(-dp) {
            out.push('0');
        }
        out.push_str(digits);
    } else if dp as usize >= digits.len() {
        out.push_str(digits);
        for _ in 0..(dp as usize - digits.len()) {
            out.push('0');
        }
    } else {
        out.push_str(&digits[..dp as usize]);
        out.push('.');
        out.push_str(&digits[dp as usize..]);
    }
    out
}

/// `encoding/json` float formatting: exponent form only below 1e-6 or from 1e21.
pub fn format_float_json(f: f64) -> String {
    let a = f.abs();
    if a != 0.0 && !(1e-6..1e21).contains(&a) {
        let (neg, digits, dp) = shortest_digits(f);
        let exp = dp - 1;
        let mut out = String::new();
        if neg {
            out.push('-');
        }
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        if exp < 0 {
            out.push_str(&format!("e-{}", -exp));
        } else {
            out.push_str(&format!("e+{:02}", exp));
        }
        out
    } else {
        let (neg, digits, dp) = shortest_digits(f);
        let mut s = fixed_from_digits(&digits, dp);
        if neg && a != 0.0 {
            s.insert(0, '-');
        }
        s
    }
}

/// `%v` of a value, as `fmt.Sprint` prints one operand.
pub fn sprint_value(v: &Value) -> String {
    if v.printed_size_within(crate::value::MAX_PRINTED).is_none() {
        // Go would print terabytes; the evaluator refuses `{{ . }}` of such a value before.
        return "%!v(TOO LARGE)".to_string();
    }
    let mut out = String::new();
    write_v(&mut out, v, 0);
    out
}

fn write_v(out: &mut String, v: &Value, depth: usize) {
    if depth > MAX_DEPTH {
        out.push_str("<too deep>");
        return;
    }
    match v {
        Value::Nil => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) | Value::Int64(i) => out.push_str(&i.to_string()),
        Value::Float(f) => out.push_str(&format_float_v(*f)),
        Value::Str(s) => out.push_str(s),
        Value::List(l) => {
            out.push('[');
            for (i, e) in l.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_v(out, e, depth + 1);
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push_str("map[");
            for (i, (k, e)) in m.borrow().iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                write_v(out, e, depth + 1);
            }
            out.push(']');
        }
        Value::Object(o) => match &**o {
            Object::Files(f) => {
                out.push_str("map[");
                for (i, (k, e)) in f.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push_str(k);
                    out.push_str(":[");
                    let bytes: Vec<String> = e.iter().map(|b| b.to_string()).collect();
                    out.push_str(&bytes.join(" "));
                    out.push(']');
                }
                out.push(']');
            }
            Object::ApiVersions(v) => {
                out.push('[');
                out.push_str(&v.join(" "));
                out.push(']');
            }
            Object::KubeVersion { version, .. } => out.push_str(version),
            Object::Time(t) => out.push_str(&crate::time::format_time(
                *t,
                "2006-01-02 15:04:05 +0000 UTC",
            )),
            Object::Bytes {
                data, slice: true, ..
            } => {
                out.push('[');
                let bytes: Vec<String> = data.iter().map(|b| b.to_string()).collect();
                out.push_str(&bytes.join(" "));
                out.push(']');
            }
            Object::Bytes { text, .. } => out.push_str(text),
        },
    }
}

/// `fmt.Sprint(args...)`: spaces between operands when neither side is a string.
pub fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 && !matches!(a, Value::Str(_)) && !matches!(args[i - 1], Value::Str(_)) {
            out.push(' ');
        }
        write_v(&mut out, a, 0);
    }
    out
}

/// `fmt.Sprintln(args...)`: always spaces, then a newline.
pub fn sprintln(args: &[Value]) -> String {
    let parts: Vec<String> = args.iter().map(sprint_value).collect();
    let mut s = parts.join(" ");
    s.push('\n');
    s
}

/// `strconv.Quote` of bytes that may not be UTF-8: each invalid byte as `\xNN`.
pub fn go_quote_bytes(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len() + 2);
    out.push('"');
    for chunk in b.utf8_chunks() {
        let q = go_quote(chunk.valid());
        out.push_str(&q[1..q.len() - 1]);
        for x in chunk.invalid() {
            out.push_str(&format!("\\x{x:02x}"));
        }
    }
    out.push('"');
    out
}

/// `strconv.Quote`.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() => {
                if (c as u32) < 0x10000 {
                    out.push_str(&format!("\\u{:04x}", c as u32))
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32))
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[derive(Default, Clone, Copy)]
struct Spec {
    minus: bool,
    plus: bool,
    sharp: bool,
    zero: bool,
    space: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

/// `fmt.Sprintf(format, args...)` with Go's verbs and error forms.
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::new();
    let mut argi = 0usize;
    let mut chars = format.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        // flags
        while let Some(&(_, f)) = chars.peek() {
            match f {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                '#' => spec.sharp = true,
                '0' => spec.zero = true,
                ' ' => spec.space = true,
                _ => break,
            }
            chars.next();
        }
        // width
        if let Some(&(_, '*')) = chars.peek() {
            chars.next();
            if let Some(a) = args.get(argi) {
                argi += 1;
                if let Some(w) = a.as_int() {
                    if w < 0 {
                        spec.minus = true;
                    }
                    spec.width = Some(w.unsigned_abs().min(1 << 20) as usize);
                } else {
                    out.push_str("%!(BADWIDTH)");
                }
            } else {
                out.push_str("%!(BADWIDTH)");
            }
        } else {
            let mut w = String::new();
            while let Some(&(_, d)) = chars.peek() {
                if d.is_ascii_digit() {
                    w.push(d);
                    chars.next();
                } else {
                    break;
                }
            }
            if !w.is_empty() {
                spec.width = w.parse::<usize>().ok().map(|w| w.min(1 << 20));
            }
        }
        // precision
        if let Some(&(_, '.')) = chars.peek() {
            chars.next();
            if let Some(&(_, '*')) = chars.peek() {
                chars.next();
                if let Some(p) = args.get(argi).and_then(|a| a.as_int()) {
                    argi += 1;
                    spec.prec = Some(p.clamp(0, MAX_PREC as i64) as usize);
                } else {
                    argi += 1;
                    out.push_str("%!(BADPREC)");
                }
            } else {
                let mut p = String::new();
                while let Some(&(_, d)) = chars.peek() {
                    if d.is_ascii_digit() {
                        p.push(d);
                        chars.next();
                    } else {
                        break;
                    }
                }
                spec.prec = Some(p.parse::<usize>().unwrap_or(MAX_PREC).min(MAX_PREC));
            }
        }
        let Some((_, verb)) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(argi) else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        argi += 1;
        out.push_str(&format_one(verb, &spec, arg, 0));
    }
    if argi < args.len() {
        out.push_str("%!(EXTRA ");
        let extras: Vec<String> = args[argi..]
            .iter()
            .map(|a| match a {
                Value::Nil => "<nil>".to_string(),
                _ => format!("{}={}", a.type_name(), sprint_value(a)),
            })
            .collect();
        out.push_str(&extras.join(", "));
        out.push(')');
    }
    out
}

fn bad_verb(verb: char, arg: &Value) -> String {
    match arg {
        Value::Nil => format!("%!{verb}(<nil>)"),
        _ => format!("%!{verb}({}={})", arg.type_name(), sprint_value(arg)),
    }
}

fn pad(s: String, spec: &Spec, numeric: bool) -> String {
    let Some(w) = spec.width else { return s };
    let len = s.chars().count();
    if len >= w {
        return s;
    }
    let fill = w - len;
    if spec.minus {
        let mut s = s;
        s.extend(std::iter::repeat_n(' ', fill));
        s
    } else if spec.zero && numeric {
        let (sign, rest) = if s.starts_with(['-', '+', ' ']) {
            s.split_at(1)
        } else {
            ("", s.as_str())
        };
        format!("{sign}{}{rest}", "0".repeat(fill))
    } else if spec.zero && !numeric {
        format!("{}{s}", "0".repeat(fill))
    } else {
        format!("{}{s}", " ".repeat(fill))
    }
}

fn sign_prefix(neg: bool, spec: &Spec) -> &'static str {
    if neg {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    }
}

fn fmt_int(verb: char, spec: &Spec, i: i64) -> Option<String> {
    let neg = i < 0;
    let u = i.unsigned_abs();
    let body = match verb {
        'd' | 'v' => u.to_string(),
        'x' => format!("{u:x}"),
        'X' => format!("{u:X}"),
        'o' => format!("{u:o}"),
        'O' => format!("0o{u:o}"),
        'b' => format!("{u:b}"),
        'c' => {
            return Some(pad(
                char::from_u32(i as u32).unwrap_or('\u{fffd}').to_string(),
                spec,
                false,
            ))
        }
        'q' => {
            let c = char::from_u32(i as u32).unwrap_or('\u{fffd}');
            return Some(pad(format!("'{c}'"), spec, false));
        }
        'U' => return Some(pad(format!("U+{u:04X}"), spec, false)),
        'e' | 'E' | 'f' | 'F' | 'g' | 'G' => return Some(fmt_float(verb, spec, i as f64)),
        _ => return None,
    };
    let mut body = body;
    if let Some(p) = spec.prec {
        if body.len() < p {
            body = format!("{}{}", "0".repeat(p - body.len()), body);
        }
        if p == 0 && u == 0 {
            body.clear();
        }
    }
    if spec.sharp {
        match verb {
            'x' => body = format!("0x{body}"),
            'X' => body = format!("0X{body}"),
            'o' => body = format!("0{body}"),
            _ => {}
        }
    }
    let s = format!("{}{}", sign_prefix(neg, spec), body);
    let mut sp = *spec;
    if spec.prec.is_some() {
        sp.zero = false;
    }
    Some(pad(s, &sp, true))
}

fn fmt_float(verb: char, spec: &Spec, f: f64) -> String {
    if f.is_nan() || f.is_infinite() {
        let s = if f.is_nan() {
            "NaN".to_string()
        } else if f > 0.0 {
            format!("{}Inf", if spec.plus { "+" } else { "" })
        } else {
            "-Inf".to_string()
        };
        let mut sp = *spec;
        sp.zero = false;
        return pad(s, &sp, true);
    }
    let neg = f.is_sign_negative() && f != 0.0 || (f == 0.0 && f.is_sign_negative());
    let a = f.abs();
    let body = match verb {
        'f' | 'F' => format!("{:.*}", spec.prec.unwrap_or(6), a),
        'e' | 'E' => {
            let s = go_exp(a, spec.prec.unwrap_or(6));
            if verb == 'E' {
                s.to_uppercase()
            } else {
                s
            }
        }
        'v' | 'g' | 'G' => match spec.prec {
            None => format_float_v(a),
            Some(p) => go_g_prec(a, p.max(1)),
        },
        _ => return String::new(),
    };
    let s = format!("{}{}", sign_prefix(neg, spec), body);
    pad(s, spec, true)
}

/// `%.Ne`: Go prints at least two exponent digits.
fn go_exp(a: f64, prec: usize) -> String {
    let s = format!("{a:.prec$e}");
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let e: i32 = e.parse().unwrap_or(0);
    format!("{m}{}", exp_suffix(e))
}

/// `%.Ng`.
fn go_g_prec(a: f64, p: usize) -> String {
    if a == 0.0 {
        return "0".into();
    }
    let s = format!("{:.*e}", p - 1, a);
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = e.parse().unwrap_or(0);
    let digits: String = m.chars().filter(|c| c.is_ascii_digit()).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    if exp < -4 || exp >= p as i32 {
        let mut out = digits[..1].to_string();
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push_str(&exp_suffix(exp));
        out
    } else {
        fixed_from_digits(digits, exp + 1)
    }
}

fn fmt_str(verb: char, spec: &Spec, s: &str) -> Option<String> {
    let s = match spec.prec {
        Some(p) if matches!(verb, 's' | 'v' | 'q') => s.chars().take(p).collect::<String>(),
        _ => s.to_string(),
    };
    let body = match verb {
        's' | 'v' => s,
        'q' => {
            if spec.sharp && !s.contains('`') {
                format!("`{s}`")
            } else {
                go_quote(&s)
            }
        }
        'x' => s.bytes().map(|b| format!("{b:02x}")).collect(),
        'X' => s.bytes().map(|b| format!("{b:02X}")).collect(),
        _ => return None,
    };
    Some(pad(body, spec, false))
}

fn format_one(verb: char, spec: &Spec, arg: &Value, depth: usize) -> String {
    if verb == 'T' {
        return pad(arg.type_name().to_string(), spec, false);
    }
    if depth > MAX_DEPTH {
        return "<too deep>".into();
    }
    match arg {
        Value::Nil => match verb {
            'v' => pad("<nil>".into(), spec, false),
            _ => bad_verb(verb, arg),
        },
        Value::Bool(b) => match verb {
            't' | 'v' => pad(b.to_string(), spec, false),
            _ => bad_verb(verb, arg),
        },
        Value::Int(i) | Value::Int64(i) => {
            fmt_int(verb, spec, *i).unwrap_or_else(|| bad_verb(verb, arg))
        }
        Value::Float(f) => match verb {
            'v' | 'f' | 'F' | 'e' | 'E' | 'g' | 'G' => fmt_float(verb, spec, *f),
            _ => bad_verb(verb, arg),
        },
        Value::Str(s) => fmt_str(verb, spec, s).unwrap_or_else(|| bad_verb(verb, arg)),
        Value::List(l) => {
            let inner: Vec<String> = l
                .iter()
                .map(|e| format_one(verb, &Spec::default(), e, depth + 1))
                .collect();
            pad(format!("[{}]", inner.join(" ")), spec, false)
        }
        Value::Map(m) => {
            let inner: Vec<String> = m
                .borrow()
                .iter()
                .map(|(k, e)| {
                    format!(
                        "{}:{}",
                        format_one(verb, &Spec::default(), &Value::str(k), depth + 1),
                        format_one(verb, &Spec::default(), e, depth + 1)
                    )
                })
                .collect();
            pad(format!("map[{}]", inner.join(" ")), spec, false)
        }
        Value::Object(_) => match verb {
            'v' | 's' => pad(sprint_value(arg), spec, false),
            _ => bad_verb(verb, arg),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_v_matches_go() {
        let cases = [
            (999999.0, "999999"),
            (1000000.0, "1e+06"),
            (1500000.0, "1.5e+06"),
            (12345678.0, "1.2345678e+07"),
            (123456.5, "123456.5"),
            (1234567.5, "1.2345675e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1e20, "1e+20"),
            (1.0, "1"),
            (3.0, "3"),
            (-2.5, "-2.5"),
            (0.0, "0"),
            (1e100, "1e+100"),
        ];
        for (f, s) in cases {
            assert_eq!(format_float_v(f), s, "{f}");
        }
    }

    #[test]
    fn float_json_matches_encoding_json() {
        assert_eq!(format_float_json(1e6), "1000000");
        assert_eq!(format_float_json(1234567.5), "1234567.5");
        assert_eq!(format_float_json(0.00001), "0.00001");
        assert_eq!(format_float_json(1e20), "100000000000000000000");
        assert_eq!(format_float_json(1e21), "1e+21");
        assert_eq!(format_float_json(1e-7), "1e-7");
        assert_eq!(format_float_json(-0.5), "-0.5");
    }

    #[test]
    fn printf_verbs_and_errors() {
        let s = |f: &str, a: Vec<Value>| sprintf(f, &a);
        assert_eq!(s("%d", vec![Value::Float(8080.0)]), "%!d(float64=8080)");
        assert_eq!(s("%s", vec![Value::Int(42)]), "%!s(int=42)");
        assert_eq!(s("%05.1f", vec![Value::Float(3.25)]), "003.2");
        assert_eq!(s("%q", vec![Value::str("a\"b")]), "\"a\\\"b\"");
        assert_eq!(s("%v-%v", vec![Value::Nil]), "<nil>-%!v(MISSING)");
        assert_eq!(
            s("%d", vec![Value::Int(1), Value::str("x")]),
            "1%!(EXTRA string=x)"
        );
        assert_eq!(s("%-4s|", vec![Value::str("ab")]), "ab  |");
        assert_eq!(s("%x", vec![Value::Int(255)]), "ff");
        assert_eq!(s("%e", vec![Value::Float(1234.5)]), "1.234500e+03");
        assert_eq!(s("%g", vec![Value::Float(1e6)]), "1e+06");
        assert_eq!(s("%.2f%%", vec![Value::Float(2.555)]), "2.56%");
        assert_eq!(s("%s", vec![Value::Nil]), "%!s(<nil>)");
        assert_eq!(s("%T", vec![Value::Float(1.0)]), "float64");
    }

    #[test]
    fn sprint_spacing() {
        assert_eq!(sprint(&[Value::Int(1), Value::Int(2)]), "1 2");
        assert_eq!(sprint(&[Value::str("a"), Value::Int(2)]), "a2");
        assert_eq!(sprint(&[Value::Nil]), "<nil>");
        let m = Value::map(
            [
                ("b".to_string(), Value::Float(2.0)),
                ("a".to_string(), Value::Int(1)),
            ]
            .into_iter()
            .collect(),
        );
        assert_eq!(sprint_value(&m), "map[a:1 b:2]");
        assert_eq!(sprintln(&[Value::str("a"), Value::str("b")]), "a b\n");
    }
}
