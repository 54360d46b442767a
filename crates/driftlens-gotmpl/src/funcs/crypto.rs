//! Hashes, random values and the clock (keys and certificates are in [`super::pki`],
//! `derivePassword` and AES in [`super::cipher`]).
//!
//! Everything that does not depend only on its inputs (`rand*`, `uuidv4`, `htpasswd`,
//! `now`, …) draws from the render's seeded generator or the clock and marks the call
//! non-deterministic so callers can report it.

use base64::Engine as _;
use sha2::Digest as _;

use super::super::value::{Object, Value};
use super::{arity, i_arg, s_arg, to_i64, FnCtx, FnErr, FnResult, Func};
use crate::time::{format_time, parse_time};

/// Resolves a crypto, random or clock function name.
pub fn lookup(name: &str) -> Option<Func> {
    Some(match name {
        "sha256sum" => |_, a| {
            arity("sha256sum", a, 1)?;
            Ok(Value::from(hex(&sha2::Sha256::digest(&super::b_arg(
                &a[0],
            )?))))
        },
        "sha512sum" => |_, a| {
            arity("sha512sum", a, 1)?;
            Ok(Value::from(hex(&sha2::Sha512::digest(
                s_arg(&a[0])?.as_bytes(),
            ))))
        },
        "sha1sum" => |_, a| {
            arity("sha1sum", a, 1)?;
            Ok(Value::from(hex(&sha1(&super::b_arg(&a[0])?))))
        },
        "adler32sum" => |_, a| {
            arity("adler32sum", a, 1)?;
            let (mut x, mut y) = (1u32, 0u32);
            for &b in super::b_arg(&a[0])?.iter() {
                x = (x + b as u32) % 65521;
                y = (y + x) % 65521;
            }
            Ok(Value::from(((y << 16) | x).to_string()))
        },
        "randAlphaNum" => |c, a| {
            rand_from(
                c,
                a,
                b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
            )
        },
        "randAlpha" => |c, a| {
            rand_from(
                c,
                a,
                b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
            )
        },
        "randNumeric" => |c, a| rand_from(c, a, b"0123456789"),
        "randAscii" => |c, a| {
            let set: Vec<u8> = (32u8..=126).collect();
            rand_from(c, a, &set)
        },
        "randBytes" => |c, a| {
            arity("randBytes", a, 1)?;
            let n = i_arg(&a[0])?.max(0) as usize;
            c.charge(n as u64)?;
            c.nondet = true;
            let b: Vec<u8> = (0..n).map(|_| c.rng.next_u64() as u8).collect();
            Ok(Value::from(
                base64::engine::general_purpose::STANDARD.encode(b),
            ))
        },
        "randInt" => |c, a| {
            arity("randInt", a, 2)?;
            c.nondet = true;
            let (lo, hi) = (to_i64(&a[0]), to_i64(&a[1]));
            if hi <= lo {
                return Err(FnErr::Call("invalid argument to Intn".into()));
            }
            Ok(Value::Int(lo.wrapping_add(
                c.rng.below((hi as i128 - lo as i128) as u64) as i64,
            )))
        },
        "uuidv4" => |c, _| {
            c.nondet = true;
            let mut b = [0u8; 16];
            for x in b.iter_mut() {
                *x = c.rng.next_u64() as u8;
            }
            b[6] = (b[6] & 0x0f) | 0x40;
            b[8] = (b[8] & 0x3f) | 0x80;
            let h = hex(&b);
            Ok(Value::from(format!(
                "{}-{}-{}-{}-{}",
                &h[..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..]
            )))
        },
        "bcrypt" => |c, a| {
            arity("bcrypt", a, 1)?;
            c.nondet = true;
            let salt: String = (0..53)
                .map(|_| BCRYPT[c.rng.below(64) as usize] as char)
                .collect();
            Ok(Value::from(format!("$2a$10${salt}")))
        },
        "htpasswd" => |c, a| {
            arity("htpasswd", a, 2)?;
            let user = s_arg(&a[0])?;
            if user.contains(':') {
                return Ok(Value::from(format!("invalid username: {user}")));
            }
            c.nondet = true;
            let salt: String = (0..53)
                .map(|_| BCRYPT[c.rng.below(64) as usize] as char)
                .collect();
            Ok(Value::from(format!("{user}:$2a$10${salt}")))
        },
        "now" => |c, _| {
            c.nondet = true;
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            Ok(Value::Object(std::rc::Rc::new(Object::Time(secs))))
        },
        "unixEpoch" => |_, a| {
            arity("unixEpoch", a, 1)?;
            Ok(Value::from(time_arg(&a[0])?.to_string()))
        },
        "date" => |c, a| {
            arity("date", a, 2)?;
            mark_if_time(c, &a[1]);
            Ok(Value::from(format_time(time_arg(&a[1])?, s_arg(&a[0])?)))
        },
        "dateInZone" | "date_in_zone" => |c, a| {
            arity("dateInZone", a, 3)?;
            mark_if_time(c, &a[1]);
            Ok(Value::from(format_time(time_arg(&a[1])?, s_arg(&a[0])?)))
        },
        "toDate" | "mustToDate" => |_, a| {
            arity("toDate", a, 2)?;
            let t = parse_time(s_arg(&a[0])?, s_arg(&a[1])?);
            match t {
                Some(t) => Ok(Value::Object(std::rc::Rc::new(Object::Time(t)))),
                None if c_is_must(a) => Err(FnErr::Call("parsing time: cannot parse".into())),
                None => Ok(Value::Object(std::rc::Rc::new(Object::Time(
                    -62_135_596_800,
                )))),
            }
        },
        "duration" => |_, a| {
            arity("duration", a, 1)?;
            Ok(Value::from(go_duration(to_i64(&a[0]))))
        },
        "ago" => |c, a| {
            arity("ago", a, 1)?;
            c.nondet = true;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            Ok(Value::from(go_duration(now - time_arg(&a[0])?)))
        },
        "durationRound" => |c, a| {
            arity("durationRound", a, 1)?;
            let ns: i64 = match &a[0] {
                Value::Str(s) => parse_duration_ns(s).unwrap_or(0),
                Value::Int64(i) => *i,
                Value::Object(o) => match **o {
                    Object::Time(t) => {
                        c.nondet = true;
                        let now = std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .map_or(0, |d| d.as_secs() as i64);
                        now.saturating_sub(t).saturating_mul(1_000_000_000)
                    }
                    _ => 0,
                },
                // Sprig's switch only knows string, int64 and time.Time.
                _ => 0,
            };
            Ok(Value::from(duration_round(ns)))
        },
        "htmlDateInZone" => |_, a| {
            arity("htmlDateInZone", a, 2)?;
            Ok(Value::from(format_time(time_arg(&a[0])?, "2006-01-02")))
        },
        "htmlDate" => |_, a| {
            arity("htmlDate", a, 1)?;
            Ok(Value::from(format_time(time_arg(&a[0])?, "2006-01-02")))
        },
        "dateModify" | "mustDateModify" | "date_modify" | "must_date_modify" => |_, a| {
            arity("dateModify", a, 2)?;
            let t = time_arg(&a[1])?;
            let d = parse_duration(s_arg(&a[0])?)
                .ok_or_else(|| FnErr::Call("time: invalid duration".into()))?;
            Ok(Value::Object(std::rc::Rc::new(Object::Time(t + d))))
        },
        _ => return None,
    })
}

fn c_is_must(_: &[Value]) -> bool {
    false
}

/// Go's `time.Duration.String` for whole seconds.
fn go_duration(secs: i64) -> String {
    if secs == 0 {
        return "0s".into();
    }
    let neg = secs < 0;
    let s = secs.unsigned_abs();
    let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if h > 0 {
        out.push_str(&format!("{h}h{m}m{sec}s"));
    } else if m > 0 {
        out.push_str(&format!("{m}m{sec}s"));
    } else {
        out.push_str(&format!("{sec}s"));
    }
    out
}

const BCRYPT: &[u8] = b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

fn mark_if_time(c: &mut FnCtx, v: &Value) {
    if matches!(v, Value::Object(o) if matches!(**o, Object::Time(_))) {
        c.nondet = true;
    }
}

fn time_arg(v: &Value) -> Result<i64, FnErr> {
    match v {
        Value::Object(o) => match **o {
            Object::Time(t) => Ok(t),
            _ => Err(FnErr::Call(format!(
                "expected a time, got {}",
                v.type_name()
            ))),
        },
        Value::Int(i) | Value::Int64(i) => Ok(*i),
        Value::Float(f) => Ok(*f as i64),
        _ => Ok(0),
    }
}

/// Sprig's `durationRound`: the largest whole unit the duration exceeds, sign dropped.
fn duration_round(ns: i64) -> String {
    const SECOND: u64 = 1_000_000_000;
    let u = ns.unsigned_abs();
    for (unit, suffix) in [
        (SECOND * 3600 * 24 * 365, "y"),
        (SECOND * 3600 * 24 * 30, "mo"),
        (SECOND * 3600 * 24, "d"),
        (SECOND * 3600, "h"),
        (SECOND * 60, "m"),
        (SECOND, "s"),
    ] {
        if u > unit {
            return format!("{}{suffix}", u / unit);
        }
    }
    "0s".into()
}

/// Go's `time.ParseDuration` in nanoseconds.
fn parse_duration_ns(s: &str) -> Option<i64> {
    let (neg, mut r) = match s.strip_prefix('-') {
        Some(x) => (true, x),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if r == "0" {
        return Some(0);
    }
    if r.is_empty() {
        return None;
    }
    let mut total: f64 = 0.0;
    while !r.is_empty() {
        let n = r
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(r.len());
        if n == 0 || &r[..n] == "." {
            return None;
        }
        let v: f64 = r[..n].parse().ok()?;
        r = &r[n..];
        let u = r
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(r.len());
        let mult = match &r[..u] {
            "h" => 3.6e12,
            "m" => 6e10,
            "s" => 1e9,
            "ms" => 1e6,
            "us" | "µs" | "μs" => 1e3,
            "ns" => 1.0,
            _ => return None,
        };
        total += v * mult;
        r = &r[u..];
    }
    if total > 9.223_372_036_854_775e18 {
        return None;
    }
    let t = total.round() as i64;
    Some(if neg { -t } else { t })
}

/// Go's `time.ParseDuration` in whole seconds.
fn parse_duration(s: &str) -> Option<i64> {
    parse_duration_ns(s).map(|ns| ns / 1_000_000_000)
}

fn rand_from(c: &mut FnCtx, a: &[Value], set: &[u8]) -> FnResult {
    arity(c.name, a, 1)?;
    let n = i_arg(&a[0])?.max(0) as usize;
    c.charge(n as u64)?;
    c.nondet = true;
    Ok(Value::from(
        (0..n)
            .map(|_| set[c.rng.below(set.len() as u64) as usize] as char)
            .collect::<String>(),
    ))
}

/// Lower-case hex.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// SHA-1 (for `sha1sum`).
pub fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [
        0x6745_2301,
        0xEFCD_AB89,
        0x98BA_DCFE,
        0x1032_5476,
        0xC3D2_E1F0,
    ];
    let mut msg = data.to_vec();
    let bitlen = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bitlen.to_be_bytes());
    for block in msg.chunks(64) {
        let mut w = [0u32; 80];
        for i in 0..16 {
            w[i] = u32::from_be_bytes([
                block[4 * i],
                block[4 * i + 1],
                block[4 * i + 2],
                block[4 * i + 3],
            ]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let (mut a, mut b, mut c, mut d, mut e) = (h[0], h[1], h[2], h[3], h[4]);
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
                20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
                _ => (b ^ c ^ d, 0xCA62_C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        h[0] = h[0].wrapping_add(a);
        h[1] = h[1].wrapping_add(b);
        h[2] = h[2].wrapping_add(c);
        h[3] = h[3].wrapping_add(d);
        h[4] = h[4].wrapping_add(e);
    }
    let mut out = [0u8; 20];
    for (i, x) in h.iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&x.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes() {
        assert_eq!(
            hex(&sha1(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            format_time(0, "2006-01-02T15:04:05Z07:00 Mon Jan"),
            "1970-01-01T00:00:00Z Thu Jan"
        );
        assert_eq!(
            format_time(1_700_000_000, "2006-01-02 15:04:05"),
            "2023-11-14 22:13:20"
        );
    }
}
