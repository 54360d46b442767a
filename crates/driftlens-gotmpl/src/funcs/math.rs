//! Sprig math: integer arithmetic in `int64` with spf13/cast conversions (floats
//! truncate), float arithmetic through exact decimals like shopspring/decimal, rounding,
//! and the conversion functions `int`, `int64`, `float64`, `atoi`.

use super::super::value::Value;
use super::{arity, arity_min, i_arg, s_arg, to_f64, to_i64, FnErr, Func};

/// Resolves a math function name.
pub fn lookup(name: &str) -> Option<Func> {
    Some(match name {
        "add" => |_, a| {
            Ok(Value::Int64(
                a.iter().map(to_i64).fold(0i64, |x, y| x.wrapping_add(y)),
            ))
        },
        "add1" => |_, a| {
            arity("add1", a, 1)?;
            Ok(Value::Int64(to_i64(&a[0]).wrapping_add(1)))
        },
        "sub" => |_, a| {
            arity("sub", a, 2)?;
            Ok(Value::Int64(to_i64(&a[0]).wrapping_sub(to_i64(&a[1]))))
        },
        "mul" => |_, a| {
            arity_min("mul", a, 1)?;
            Ok(Value::Int64(
                a.iter().map(to_i64).fold(1i64, |x, y| x.wrapping_mul(y)),
            ))
        },
        "div" => |_, a| {
            arity("div", a, 2)?;
            let d = to_i64(&a[1]);
            if d == 0 {
                return Err(FnErr::Call("runtime error: integer divide by zero".into()));
            }
            Ok(Value::Int64(to_i64(&a[0]).wrapping_div(d)))
        },
        "mod" => |_, a| {
            arity("mod", a, 2)?;
            let d = to_i64(&a[1]);
            if d == 0 {
                return Err(FnErr::Call("runtime error: integer divide by zero".into()));
            }
            Ok(Value::Int64(to_i64(&a[0]).wrapping_rem(d)))
        },
        "max" | "biggest" => |_, a| {
            arity_min("max", a, 1)?;
            Ok(Value::Int64(a.iter().map(to_i64).max().unwrap_or(0)))
        },
        "min" => |_, a| {
            arity_min("min", a, 1)?;
            Ok(Value::Int64(a.iter().map(to_i64).min().unwrap_or(0)))
        },
        "maxf" => |_, a| {
            arity_min("maxf", a, 1)?;
            Ok(Value::Float(
                a.iter().map(to_f64).fold(f64::NEG_INFINITY, f64::max),
            ))
        },
        "minf" => |_, a| {
            arity_min("minf", a, 1)?;
            Ok(Value::Float(
                a.iter().map(to_f64).fold(f64::INFINITY, f64::min),
            ))
        },
        "add1f" => |_, a| {
            arity("add1f", a, 1)?;
            Ok(Value::Float(dec_fold(
                &[a[0].clone(), Value::Int(1)],
                0,
                |x, y| x.add(y),
            )))
        },
        "addf" => |_, a| Ok(Value::Float(dec_fold(a, 0, |x, y| x.add(y)))),
        "subf" => |_, a| {
            arity_min("subf", a, 1)?;
            Ok(Value::Float(dec_sub_all(a)))
        },
        "mulf" => |_, a| {
            arity_min("mulf", a, 1)?;
            Ok(Value::Float(dec_fold(a, 2, |x, y| x.mul(y))))
        },
        "divf" => |_, a| {
            arity_min("divf", a, 1)?;
            let mut acc = to_f64(&a[0]);
            for v in &a[1..] {
                let d = to_f64(v);
                if d == 0.0 {
                    return Err(FnErr::Call("decimal division by 0".into()));
                }
                acc /= d;
                // shopspring/decimal divides with 16 fractional digits.
                acc = format!("{acc:.16}").parse().unwrap_or(acc);
            }
            Ok(Value::Float(acc))
        },
        "floor" => |_, a| {
            arity("floor", a, 1)?;
            Ok(Value::Float(to_f64(&a[0]).floor()))
        },
        "ceil" => |_, a| {
            arity("ceil", a, 1)?;
            Ok(Value::Float(to_f64(&a[0]).ceil()))
        },
        "round" => |_, a| {
            arity_min("round", a, 2)?;
            let val = to_f64(&a[0]);
            let places = i_arg(&a[1])? as f64;
            let on = a.get(2).map_or(0.5, to_f64);
            let pow = 10f64.powf(places);
            let digit = pow * val;
            let frac = digit - digit.trunc();
            let r = if frac >= on {
                digit.ceil()
            } else {
                digit.floor()
            };
            Ok(Value::Float(r / pow))
        },
        "int" => |_, a| {
            arity("int", a, 1)?;
            Ok(Value::Int(cast_int(&a[0])))
        },
        "int64" => |_, a| {
            arity("int64", a, 1)?;
            Ok(Value::Int64(cast_int(&a[0])))
        },
        "float64" => |_, a| {
            arity("float64", a, 1)?;
            Ok(Value::Float(to_f64(&a[0])))
        },
        "atoi" => |_, a| {
            arity("atoi", a, 1)?;
            Ok(Value::Int(s_arg(&a[0])?.parse::<i64>().unwrap_or(0)))
        },
        "toDecimal" => |_, a| {
            arity("toDecimal", a, 1)?;
            let s = super::strval(&a[0]);
            Ok(Value::Int64(i64::from_str_radix(&s, 8).unwrap_or(0)))
        },
        _ => return None,
    })
}

fn cast_int(v: &Value) -> i64 {
    match v {
        Value::Str(s) => {
            let t = s.trim();
            // cast trims a trailing ".0…" before parsing.
            let t = match t.split_once('.') {
                Some((i, f)) if f.bytes().all(|b| b == b'0') => i,
                _ => t,
            };
            super::parse_int_cast(t).unwrap_or(0)
        }
        other => to_i64(other),
    }
}

/// A small exact decimal (mantissa × 10^-scale), enough for Sprig's float helpers.
#[derive(Clone, Copy)]
struct Dec {
    m: i128,
    scale: u32,
}

impl Dec {
    fn from_f64(f: f64) -> Option<Dec> {
        if !f.is_finite() {
            return None;
        }
        let s = format!("{f}");
        let neg = s.starts_with('-');
        let s = s.trim_start_matches('-');
        let (ip, fp) = s.split_once('.').unwrap_or((s, ""));
        let m: i128 = format!("{ip}{fp}").parse().ok()?;
        Some(Dec {
            m: if neg { -m } else { m },
            scale: fp.len() as u32,
        })
    }
    fn align(self, o: Dec) -> Option<(i128, i128, u32)> {
        let s = self.scale.max(o.scale);
        let a = self.m.checked_mul(10i128.checked_pow(s - self.scale)?)?;
        let b = o.m.checked_mul(10i128.checked_pow(s - o.scale)?)?;
        Some((a, b, s))
    }
    fn add(self, o: Dec) -> Option<Dec> {
        let (a, b, s) = self.align(o)?;
        Some(Dec {
            m: a.checked_add(b)?,
            scale: s,
        })
    }
    fn sub(self, o: Dec) -> Option<Dec> {
        let (a, b, s) = self.align(o)?;
        Some(Dec {
            m: a.checked_sub(b)?,
            scale: s,
        })
    }
    fn mul(self, o: Dec) -> Option<Dec> {
        Some(Dec {
            m: self.m.checked_mul(o.m)?,
            scale: self.scale + o.scale,
        })
    }
    fn to_f64(self) -> f64 {
        let neg = self.m < 0;
        let digits = self.m.unsigned_abs().to_string();
        let sc = self.scale as usize;
        let s = if digits.len() > sc {
            format!(
                "{}.{}",
                &digits[..digits.len() - sc],
                &digits[digits.len() - sc..]
            )
        } else {
            format!("0.{}{}", "0".repeat(sc - digits.len()), digits)
        };
        let v: f64 = s.parse().unwrap_or(0.0);
        if neg {
            -v
        } else {
            v
        }
    }
}

/// Folds with exact decimals; `init` 0 = start at zero, 2 = start with first (mul).
fn dec_fold(a: &[Value], init: u8, f: fn(Dec, Dec) -> Option<Dec>) -> f64 {
    let fl: Vec<f64> = a.iter().map(to_f64).collect();
    let (start, rest) = match init {
        0 => (Dec { m: 0, scale: 0 }, &fl[..]),
        _ => match fl.split_first() {
            Some((x, r)) => match Dec::from_f64(*x) {
                Some(d) => (d, r),
                None => return *x,
            },
            None => return 0.0,
        },
    };
    let mut acc = start;
    for x in rest {
        match Dec::from_f64(*x).and_then(|d| f(acc, d)) {
            Some(d) => acc = d,
            None => {
                // Out of exact range: fall back to floating point for the rest.
                let mut v = acc.to_f64();
                for y in rest {
                    v = match init {
                        2 => v * y,
                        _ => v + y,
                    };
                }
                return v;
            }
        }
    }
    acc.to_f64()
}

fn dec_sub_all(a: &[Value]) -> f64 {
    let fl: Vec<f64> = a.iter().map(to_f64).collect();
    let Some((first, rest)) = fl.split_first() else {
        return 0.0;
    };
    let Some(mut acc) = Dec::from_f64(*first) else {
        return *first;
    };
    for x in rest {
        match Dec::from_f64(*x).and_then(|d| acc.sub(d)) {
            Some(d) => acc = d,
            None => return fl.iter().skip(1).fold(*first, |p, q| p - q),
        }
    }
    acc.to_f64()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::funcs::{FnCtx, Rng};

    fn call(name: &str, a: &[Value]) -> String {
        let mut rng = Rng::new(0);
        let mut c = FnCtx {
            name,
            rng: &mut rng,
            nondet: false,
            work: 0,
        };
        match lookup(name).map(|f| f(&mut c, a)) {
            Some(Ok(v)) => crate::fmt::sprint_value(&v),
            _ => "ERR".into(),
        }
    }

    #[test]
    fn sprig_math() {
        assert_eq!(call("mul", &[Value::Int(2), Value::Float(2.5)]), "4");
        assert_eq!(call("round", &[Value::Float(2.555), Value::Int(2)]), "2.56");
        assert_eq!(call("mulf", &[Value::Float(1.1), Value::Int(3)]), "3.3");
        assert_eq!(call("addf", &[Value::Float(0.1), Value::Float(0.2)]), "0.3");
        assert_eq!(call("subf", &[Value::Float(1.0), Value::Float(0.9)]), "0.1");
        assert_eq!(call("int64", &[Value::str("x")]), "0");
        assert_eq!(call("int", &[Value::str("12.0")]), "12");
        assert_eq!(call("div", &[Value::Int(1), Value::Int(0)]), "ERR");
        assert_eq!(call("add", &[Value::Int(1), Value::Float(2.9)]), "3");
    }
}
