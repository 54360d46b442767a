//! Kubernetes resource quantities (`resource.Quantity`) in their canonical string form.
//!
//! Argo CD compares built-in objects after a typed round-trip, which rewrites every quantity
//! into the canonical form Kubernetes itself prints: `0.2` → `200m`, `2000m` → `2`,
//! `1000` → `1k`, `1024Mi` → `1Gi`, `1.5Gi` → `1536Mi`. This module reproduces that
//! canonicalization without floating point: values are kept as an exact decimal mantissa and
//! exponent, rounded up to nano units like Kubernetes does when parsing.

use serde_json::Value;

/// The suffix family a quantity was written with; it decides the canonical suffix family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    DecimalSi,
    BinarySi,
    DecimalExponent,
}

/// Largest magnitude handled exactly; larger quantities are left as written.
const LIMIT: i128 = 1_000_000_000_000_000_000_000_000_000; // 1e30

/// Canonical form of a quantity given as text, or `None` when the text is not a valid
/// Kubernetes quantity (callers then keep the original value, as Argo CD does).
pub fn canonicalize(text: &str) -> Option<String> {
    let (negative, mantissa, exponent, format) = parse(text)?;
    // Kubernetes rounds anything finer than nano units up (away from zero).
    let (mut mantissa, mut exponent) = round_to_nano(mantissa, exponent)?;
    if mantissa == 0 {
        return Some("0".to_string());
    }
    let mut format = format;
    if format == Format::BinarySi {
        let int_value = to_integer(mantissa, exponent);
        match int_value {
            Some(v) if v >= 1024 => {
                let (amount, power) = remove_factors(v, 1024, 6);
                let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
                    .get(power)
                    .copied()
                    .unwrap_or("");
                let sign = if negative { "-" } else { "" };
                return Some(format!("{sign}{amount}{suffix}"));
            }
            _ => format = Format::DecimalSi,
        }
    }
    // Strip factors of ten from the mantissa into the exponent.
    while mantissa % 10 == 0 {
        mantissa /= 10;
        exponent += 1;
    }
    // Make the exponent a multiple of three.
    let rem = exponent.rem_euclid(3);
    if rem != 0 {
        mantissa = mantissa.checked_mul(10_i128.pow(rem as u32))?;
        exponent -= rem;
    }
    if mantissa.abs() > LIMIT {
        return None;
    }
    let sign = if negative { "-" } else { "" };
    let suffix = match format {
        Format::DecimalExponent => {
            if exponent == 0 {
                String::new()
            } else {
                format!("e{exponent}")
            }
        }
        _ => match exponent {
            -9 => "n".to_string(),
            -6 => "u".to_string(),
            -3 => "m".to_string(),
            0 => String::new(),
            3 => "k".to_string(),
            6 => "M".to_string(),
            9 => "G".to_string(),
            12 => "T".to_string(),
            15 => "P".to_string(),
            18 => "E".to_string(),
            other => format!("e{other}"),
        },
    };
    Some(format!("{sign}{mantissa}{suffix}"))
}

/// Canonical JSON form of a quantity value: strings and numbers become canonical strings;
/// anything that does not parse is returned unchanged.
pub fn canonicalize_value(value: &Value) -> Value {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => return other.clone(),
    };
    match canonicalize(&text) {
        Some(c) => Value::String(c),
        None => value.clone(),
    }
}

/// Parses `<sign><digits>[.<digits>]<suffix>` into (negative, |mantissa|, exponent, format)
/// with value = mantissa × 10^exponent (binary suffixes are multiplied out exactly).
fn parse(text: &str) -> Option<(bool, i128, i32, Format)> {
    let s = text.trim();
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    let (negative, rest) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let num_end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (number, suffix) = rest.split_at(num_end);
    if number.is_empty() || number == "." || number.matches('.').count() > 1 {
        return None;
    }
    let (int_part, frac_part) = match number.split_once('.') {
        Some((i, f)) => (i, f),
        None => (number, ""),
    };
    let digits = format!("{int_part}{frac_part}");
    let digits = digits.trim_start_matches('0');
    if digits.len() > 36 {
        return None;
    }
    let mut mantissa: i128 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    let mut exponent = -(frac_part.len() as i32);
    let format = match suffix {
        "" => Format::DecimalSi,
        "n" => {
            exponent -= 9;
            Format::DecimalSi
        }
        "u" => {
            exponent -= 6;
            Format::DecimalSi
        }
        "m" => {
            exponent -= 3;
            Format::DecimalSi
        }
        "k" => {
            exponent += 3;
            Format::DecimalSi
        }
        "M" => {
            exponent += 6;
            Format::DecimalSi
        }
        "G" => {
            exponent += 9;
            Format::DecimalSi
        }
        "T" => {
            exponent += 12;
            Format::DecimalSi
        }
        "P" => {
            exponent += 15;
            Format::DecimalSi
        }
        "E" => {
            exponent += 18;
            Format::DecimalSi
        }
        "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" => {
            let power = match suffix {
                "Ki" => 1,
                "Mi" => 2,
                "Gi" => 3,
                "Ti" => 4,
                "Pi" => 5,
                _ => 6,
            };
            mantissa = mantissa.checked_mul(1024_i128.checked_pow(power)?)?;
            Format::BinarySi
        }
        other => {
            let exp_text = other
                .strip_prefix('e')
                .or_else(|| other.strip_prefix('E'))?;
            let exp: i32 = exp_text.parse().ok()?;
            if !(-40..=40).contains(&exp) || exp_text.starts_with('+') {
                return None;
            }
            exponent = exponent.checked_add(exp)?;
            Format::DecimalExponent
        }
    };
    if mantissa > LIMIT || !(-60..=60).contains(&exponent) {
        return None;
    }
    Some((negative, mantissa, exponent, format))
}

fn round_to_nano(mantissa: i128, exponent: i32) -> Option<(i128, i32)> {
    if exponent >= -9 {
        return Some((mantissa, exponent));
    }
    let shift = (-9 - exponent) as u32;
    if shift > 36 {
        return Some((if mantissa == 0 { 0 } else { 1 }, -9));
    }
    let div = 10_i128.checked_pow(shift)?;
    let mut q = mantissa / div;
    if mantissa % div != 0 {
        q += 1;
    }
    Some((q, -9))
}

fn to_integer(mantissa: i128, exponent: i32) -> Option<i128> {
    if exponent >= 0 {
        mantissa.checked_mul(10_i128.checked_pow(exponent as u32)?)
    } else {
        let div = 10_i128.checked_pow((-exponent) as u32)?;
        if mantissa % div == 0 {
            Some(mantissa / div)
        } else {
            None
        }
    }
}

fn remove_factors(mut value: i128, base: i128, max: usize) -> (i128, usize) {
    let mut times = 0;
    while times < max && value != 0 && value % base == 0 {
        value /= base;
        times += 1;
    }
    (value, times)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_forms_match_kubernetes() {
        let cases = [
            ("0.2", "200m"),
            ("200m", "200m"),
            ("2000m", "2"),
            ("1000m", "1"),
            ("1", "1"),
            ("1000", "1k"),
            ("1500m", "1500m"),
            ("0", "0"),
            ("0m", "0"),
            ("1024Mi", "1Gi"),
            ("1Gi", "1Gi"),
            ("1.5Gi", "1536Mi"),
            ("512Mi", "512Mi"),
            ("1000Mi", "1000Mi"),
            ("0.5Ki", "512"),
            ("100Ki", "100Ki"),
            ("128974848", "128974848"),
            ("129e6", "129e6"),
            ("129M", "129M"),
            ("123Mi", "123Mi"),
            ("1e3", "1e3"),
            ("1.1", "1100m"),
            ("0.0000000001", "1n"),
            ("-100m", "-100m"),
            ("1G", "1G"),
            ("1000M", "1G"),
        ];
        for (input, want) in cases {
            assert_eq!(canonicalize(input).as_deref(), Some(want), "input {input}");
        }
    }

    #[test]
    fn invalid_quantities_are_rejected() {
        for input in ["", "abc", "1x", "1.2.3", "m", "1Mii", "--1"] {
            assert_eq!(canonicalize(input), None, "input {input}");
        }
    }

    #[test]
    fn values_keep_invalid_text_and_canonicalize_numbers() {
        assert_eq!(canonicalize_value(&json!(0.2)), json!("200m"));
        assert_eq!(canonicalize_value(&json!(2)), json!("2"));
        assert_eq!(canonicalize_value(&json!("invalid")), json!("invalid"));
        assert_eq!(canonicalize_value(&json!(true)), json!(true));
    }
}
