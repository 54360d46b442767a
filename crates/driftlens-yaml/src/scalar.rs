//! Resolution of plain YAML scalars the way Kubernetes does it.
//!
//! Kubernetes tools read YAML through `sigs.k8s.io/yaml`, which uses go-yaml v2 and so
//! YAML 1.1 rules: unquoted `yes`/`no`/`on`/`off`/`y`/`n` are booleans, `0755` is octal,
//! `1_000` is an integer, `~` is null, and timestamps stay strings. Only plain (unquoted)
//! scalars are resolved; quoted and block scalars are always strings.

/// A resolved scalar.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    /// `~`, `null`, `Null`, `NULL` or an empty plain scalar.
    Null,
    /// YAML 1.1 booleans.
    Bool(bool),
    /// Integers that fit in `i64`.
    Int(i64),
    /// Integers above `i64::MAX` that fit in `u64`.
    Uint(u64),
    /// Floating point numbers (finite or not; the caller decides what to do with ±inf/NaN).
    Float(f64),
    /// Anything else.
    Str,
}

/// Resolves a plain scalar with go-yaml v2's rules.
pub fn resolve_plain(text: &str) -> Scalar {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Scalar::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Scalar::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Scalar::Bool(false)
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Scalar::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Scalar::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Scalar::Float(f64::NAN),
        _ => {}
    }
    let first = text.as_bytes()[0];
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
        return Scalar::Str;
    }
    let plain: std::borrow::Cow<'_, str> = if text.contains('_') {
        text.replace('_', "").into()
    } else {
        text.into()
    };
    if let Some(v) = parse_go_int(&plain) {
        return v;
    }
    if is_yaml_float(&plain) {
        if let Ok(f) = plain.parse::<f64>() {
            return Scalar::Float(f);
        }
    }
    // go-yaml v2 also accepts binary literals written as `0b…` and `-0b…`.
    if let Some(rest) = plain.strip_prefix("0b") {
        if let Ok(v) = i64::from_str_radix(rest, 2) {
            return Scalar::Int(v);
        }
        if let Ok(v) = u64::from_str_radix(rest, 2) {
            return Scalar::Uint(v);
        }
    } else if let Some(rest) = plain.strip_prefix("-0b") {
        if let Ok(v) = i64::from_str_radix(rest, 2) {
            return Scalar::Int(-v);
        }
    }
    Scalar::Str
}

/// Go's `strconv.ParseInt(s, 0, 64)` followed by `ParseUint(s, 0, 64)`: an optional sign,
/// then `0x`, `0o`, `0b` or a leading `0` (octal) prefix, or decimal digits.
fn parse_go_int(s: &str) -> Option<Scalar> {
    let (neg, body) = match s.as_bytes().first()? {
        b'+' => (false, &s[1..]),
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() {
        return None;
    }
    let (radix, digits) =
        if let Some(r) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
            (16, r)
        } else if let Some(r) = body.strip_prefix("0o").or_else(|| body.strip_prefix("0O")) {
            (8, r)
        } else if let Some(r) = body.strip_prefix("0b").or_else(|| body.strip_prefix("0B")) {
            (2, r)
        } else if body.len() > 1 && body.starts_with('0') {
            (8, &body[1..])
        } else {
            (10, body)
        };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(digits, radix).ok()?;
    if neg {
        if magnitude <= i64::MAX as u64 {
            Some(Scalar::Int(-(magnitude as i64)))
        } else if magnitude == i64::MAX as u64 + 1 {
            Some(Scalar::Int(i64::MIN))
        } else {
            None
        }
    } else if magnitude <= i64::MAX as u64 {
        Some(Scalar::Int(magnitude as i64))
    } else {
        Some(Scalar::Uint(magnitude))
    }
}

/// go-yaml v2's float pattern: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && matches!(b[i], b'+' | b'-') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
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
    if i < b.len() && matches!(b[i], b'e' | b'E') {
        i += 1;
        if i < b.len() && matches!(b[i], b'+' | b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::{resolve_plain as r, Scalar::*};

    #[test]
    fn yaml11_booleans_and_nulls() {
        for t in [
            "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True",
        ] {
            assert_eq!(r(t), Bool(true), "{t}");
        }
        for t in ["n", "N", "no", "NO", "off", "Off", "false", "FALSE"] {
            assert_eq!(r(t), Bool(false), "{t}");
        }
        for t in ["", "~", "null", "Null", "NULL"] {
            assert_eq!(r(t), Null, "{t}");
        }
        assert_eq!(r("yEs"), Str);
        assert_eq!(r("nULL"), Str);
    }

    #[test]
    fn go_integers() {
        assert_eq!(r("0755"), Int(493));
        assert_eq!(r("0o17"), Int(15));
        assert_eq!(r("0x1F"), Int(31));
        assert_eq!(r("0b101"), Int(5));
        assert_eq!(r("1_000"), Int(1000));
        assert_eq!(r("-42"), Int(-42));
        assert_eq!(r("+7"), Int(7));
        assert_eq!(r("9223372036854775807"), Int(i64::MAX));
        assert_eq!(r("-9223372036854775808"), Int(i64::MIN));
        assert_eq!(r("18446744073709551615"), Uint(u64::MAX));
        // `08` is not octal: go-yaml falls through to the float pattern.
        assert_eq!(r("08"), Float(8.0));
    }

    #[test]
    fn floats_and_strings() {
        assert_eq!(r("1.5"), Float(1.5));
        assert_eq!(r(".5"), Float(0.5));
        assert_eq!(r("1e3"), Float(1000.0));
        assert_eq!(r("6."), Float(6.0));
        assert_eq!(r("1:20"), Str);
        assert_eq!(r("1.2.3"), Str);
        assert_eq!(r("2001-12-14"), Str);
        assert_eq!(r("-"), Str);
        assert_eq!(r("1e"), Str);
        assert!(matches!(r(".inf"), Float(f) if f.is_infinite()));
        assert!(matches!(r(".nan"), Float(f) if f.is_nan()));
    }
}
