//! Encodings: base64/base32 and JSON with Go `encoding/json` output rules (sorted keys,
//! HTML-safe escapes, float formatting).

use base64::Engine as _;

use super::super::fmt::format_float_json;
use super::super::value::{Object, Value, MAX_DEPTH};
use super::{arity, str_or_empty, FnErr, Func};

/// Resolves an encoding function name.
pub fn lookup(name: &str) -> Option<Func> {
    Some(match name {
        "b64enc" => |_, a| {
            arity("b64enc", a, 1)?;
            Ok(Value::from(
                base64::engine::general_purpose::STANDARD.encode(match &a[0] {
                    v @ Value::Object(_) => super::b_arg(v)?.into_owned(),
                    v => str_or_empty(v).into_bytes(),
                }),
            ))
        },
        "b64dec" => |_, a| {
            arity("b64dec", a, 1)?;
            Ok(Value::from(match base64::engine::general_purpose::STANDARD
                .decode(str_or_empty(&a[0]))
            {
                Ok(b) => String::from_utf8_lossy(&b).into_owned(),
                Err(e) => go_b64_error(&e),
            }))
        },
        "b32enc" => |_, a| {
            arity("b32enc", a, 1)?;
            Ok(Value::from(b32enc(str_or_empty(&a[0]).as_bytes())))
        },
        "b32dec" => |_, a| {
            arity("b32dec", a, 1)?;
            Ok(Value::from(match b32dec(str_or_empty(&a[0]).as_bytes()) {
                Ok(b) => String::from_utf8_lossy(&b).into_owned(),
                Err(at) => format!("illegal base32 data at input byte {at}"),
            }))
        },
        "toJson" | "mustToJson" => |_, a| {
            arity("toJson", a, 1)?;
            crate::yaml::too_large(&a[0]).map_err(FnErr::Limit)?;
            Ok(Value::from(
                to_json(&a[0], true, None).map_err(FnErr::Call)?,
            ))
        },
        "toPrettyJson" | "mustToPrettyJson" => |_, a| {
            arity("toPrettyJson", a, 1)?;
            crate::yaml::too_large(&a[0]).map_err(FnErr::Limit)?;
            Ok(Value::from(
                to_json(&a[0], true, Some("  ")).map_err(FnErr::Call)?,
            ))
        },
        "toRawJson" | "mustToRawJson" => |_, a| {
            arity("toRawJson", a, 1)?;
            Ok(Value::from(
                to_json(&a[0], false, None).map_err(FnErr::Call)?,
            ))
        },
        "mustFromJson" => |_, a| {
            arity("mustFromJson", a, 1)?;
            match serde_json::from_str::<serde_json::Value>(&str_or_empty(&a[0])) {
                Ok(j) => Ok(Value::from_json(&j)),
                Err(e) => Err(FnErr::Call(format!("{e}"))),
            }
        },
        "fromJson" => |_, a| {
            arity("fromJson", a, 1)?;
            Ok(
                match serde_json::from_str::<serde_json::Value>(&str_or_empty(&a[0])) {
                    Ok(j @ serde_json::Value::Object(_)) => Value::from_json(&j),
                    Ok(_) => error_map(
                        "json: cannot unmarshal into Go value of type map[string]interface {}",
                    ),
                    Err(e) => error_map(&format!("{e}")),
                },
            )
        },
        "fromJsonArray" => |_, a| {
            arity("fromJsonArray", a, 1)?;
            Ok(
                match serde_json::from_str::<serde_json::Value>(&str_or_empty(&a[0])) {
                    Ok(j @ serde_json::Value::Array(_)) => Value::from_json(&j),
                    Ok(_) => Value::list(vec![Value::str(
                        "json: cannot unmarshal into Go value of type []interface {}",
                    )]),
                    Err(e) => Value::list(vec![Value::from(format!("{e}"))]),
                },
            )
        },
        _ => return None,
    })
}

fn go_b64_error(e: &base64::DecodeError) -> String {
    match e {
        base64::DecodeError::InvalidByte(off, _)
        | base64::DecodeError::InvalidLastSymbol(off, _) => {
            format!("illegal base64 data at input byte {off}")
        }
        _ => "illegal base64 data at input byte 0".into(),
    }
}

/// Go's `base64.StdEncoding.DecodeString` (padding required, line breaks skipped, stray
/// low bits accepted), with Go's error message.
pub fn go_b64_decode(s: &str) -> Result<Vec<u8>, String> {
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::RequireCanonical),
    );
    let text: String = s.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
    engine.decode(text).map_err(|e| go_b64_error(&e))
}

/// A Helm-style error map `{Error: msg}`.
pub fn error_map(msg: &str) -> Value {
    let mut m = super::super::value::Map::new();
    m.insert("Error".into(), Value::str(msg));
    Value::map(m)
}

fn b32enc(b: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    for chunk in b.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let n = u64::from_be_bytes([0, 0, 0, buf[0], buf[1], buf[2], buf[3], buf[4]]);
        let chars = match chunk.len() {
            1 => 2,
            2 => 4,
            3 => 5,
            4 => 7,
            _ => 8,
        };
        for i in 0..8 {
            if i < chars {
                out.push(A[((n >> (35 - i * 5)) & 31) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Go's `base32.StdEncoding.DecodeString`: line breaks are skipped, the padding must be
/// complete; on error, the offset (in the input without line breaks) Go reports.
fn b32dec(input: &[u8]) -> Result<Vec<u8>, usize> {
    let src: Vec<u8> = input
        .iter()
        .copied()
        .filter(|b| !matches!(b, b'\r' | b'\n'))
        .collect();
    let value = |b: u8| match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'2'..=b'7' => Some(b - b'2' + 26),
        _ => None,
    };
    let total = src.len();
    let mut out = Vec::with_capacity(total / 8 * 5);
    let mut pos = 0;
    let mut end = false;
    while pos < total && !end {
        let mut quantum = [0u8; 8];
        let mut len = 8;
        let mut j = 0;
        while j < 8 {
            if pos == total {
                // The input ends inside a quantum: padding is missing.
                return Err(total - j);
            }
            let b = src[pos];
            pos += 1;
            let left = total - pos;
            if b == b'=' && j >= 2 && left < 8 {
                // Padding: it must fill the rest of the quantum.
                if left + j < 7 {
                    return Err(total);
                }
                for k in 0..7 - j {
                    if k < left && src[pos + k] != b'=' {
                        // Go reports one before the offending character.
                        return Err(pos + k - 1);
                    }
                }
                len = j;
                end = true;
                // 1, 3 and 6 characters do not make whole bytes (RFC 4648 section 6).
                if matches!(len, 1 | 3 | 6) {
                    return Err(pos - 1);
                }
                break;
            }
            quantum[j] = value(b).ok_or(pos - 1)?;
            j += 1;
        }
        let q = &quantum;
        let bytes = [
            q[0] << 3 | q[1] >> 2,
            q[1] << 6 | q[2] << 1 | q[3] >> 4,
            q[3] << 4 | q[4] >> 1,
            q[4] << 7 | q[5] << 2 | q[6] >> 3,
            q[6] << 5 | q[7],
        ];
        let n = match len {
            8 => 5,
            7 => 4,
            5 => 3,
            4 => 2,
            _ => 1,
        };
        out.extend_from_slice(&bytes[..n]);
    }
    Ok(out)
}

/// Go `encoding/json` string escaping.
pub fn json_string(s: &str, html: bool, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' if html => out.push_str("\\u003c"),
            '>' if html => out.push_str("\\u003e"),
            '&' if html => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Encodes a value like `json.Marshal` (or `MarshalIndent` with `indent`).
pub fn to_json(v: &Value, html: bool, indent: Option<&str>) -> Result<String, String> {
    crate::yaml::too_large(v)?;
    let mut out = String::new();
    write_json(v, html, indent, 0, &mut out)?;
    Ok(out)
}

fn nl(out: &mut String, indent: Option<&str>, level: usize) {
    if let Some(i) = indent {
        out.push('\n');
        for _ in 0..level {
            out.push_str(i);
        }
    }
}

fn write_json(
    v: &Value,
    html: bool,
    indent: Option<&str>,
    level: usize,
    out: &mut String,
) -> Result<(), String> {
    if level > MAX_DEPTH {
        return Err("json: unsupported value: encountered a cycle".into());
    }
    match v {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) | Value::Int64(i) => out.push_str(&i.to_string()),
        Value::Float(f) => {
            if !f.is_finite() {
                return Err(format!(
                    "json: unsupported value: {}",
                    super::super::fmt::format_float_v(*f)
                ));
            }
            out.push_str(&format_float_json(*f));
        }
        Value::Str(s) => json_string(s, html, out),
        Value::List(l) => {
            if l.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, e) in l.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                nl(out, indent, level + 1);
                write_json(e, html, indent, level + 1, out)?;
            }
            nl(out, indent, level);
            out.push(']');
        }
        Value::Map(m) => {
            let m = m.borrow();
            if m.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            out.push('{');
            for (i, (k, e)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                nl(out, indent, level + 1);
                json_string(k, html, out);
                out.push(':');
                if indent.is_some() {
                    out.push(' ');
                }
                write_json(e, html, indent, level + 1, out)?;
            }
            nl(out, indent, level);
            out.push('}');
        }
        Value::Object(o) => match &**o {
            Object::KubeVersion {
                version,
                major,
                minor,
            } => {
                let mut m = super::super::value::Map::new();
                m.insert("Major".into(), Value::str(major));
                m.insert("Minor".into(), Value::str(minor));
                m.insert("Version".into(), Value::str(version));
                write_json(&Value::map(m), html, indent, level, out)?;
            }
            _ => {
                let j = v.to_json()?;
                out.push_str(&j.to_string());
            }
        },
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_like_go() {
        let m = Value::map(
            [
                ("b".to_string(), Value::Float(1e6)),
                ("a".to_string(), Value::str("<x>&")),
                ("c".to_string(), Value::list(vec![])),
            ]
            .into_iter()
            .collect(),
        );
        assert_eq!(
            to_json(&m, true, None).unwrap_or_default(),
            r#"{"a":"\u003cx\u003e\u0026","b":1000000,"c":[]}"#
        );
        assert_eq!(
            to_json(&m, false, Some("  ")).unwrap_or_default(),
            "{\n  \"a\": \"<x>&\",\n  \"b\": 1000000,\n  \"c\": []\n}"
        );
    }

    #[test]
    fn base32() {
        assert_eq!(b32enc(b"hello"), "NBSWY3DP");
        assert_eq!(b32enc(b"hi"), "NBUQ====");
    }

    #[test]
    fn base32_decoding_is_gos() {
        // RFC 4648 section 10 vectors, and back through the encoder.
        for (plain, enc) in [
            ("", ""),
            ("f", "MY======"),
            ("fo", "MZXQ===="),
            ("foo", "MZXW6==="),
            ("foob", "MZXW6YQ="),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI======"),
        ] {
            assert_eq!(
                b32dec(enc.as_bytes()),
                Ok(plain.as_bytes().to_vec()),
                "{enc}"
            );
            assert_eq!(b32enc(plain.as_bytes()), enc);
        }
        assert_eq!(b32dec(b"MZXW\r\n6YTB"), Ok(b"fooba".to_vec()));
        // Offsets as Go's CorruptInputError reports them.
        assert_eq!(b32dec(b"MZXW6YT"), Err(0));
        assert_eq!(b32dec(b"MZXW6YTBM"), Err(8));
        assert_eq!(b32dec(b"mzxw6ytb"), Err(0));
        assert_eq!(b32dec(b"MZXW6===MZXW6==="), Err(5));
        assert_eq!(b32dec(b"MZXW6Y=="), Err(6));
        assert_eq!(b32dec(b"M======="), Err(1));
        assert_eq!(b32dec(b"MZX====="), Err(3));
        assert_eq!(b32dec(b"MZ=X===="), Err(2));
    }
}
