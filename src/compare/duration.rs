//! Go `time.Duration` text in canonical form, for the `meta/v1/Duration` known type.
//!
//! `metav1.Duration` round-trips through Go's `ParseDuration` and `Duration.String`, so
//! `8760h` becomes `8760h0m0s` and `90s` becomes `1m30s`.

const NANOS: [(&str, i128); 8] = [
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("μs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

/// Largest duration Go can represent (int64 nanoseconds).
const MAX: i128 = i64::MAX as i128;

/// Canonical form of a Go duration string, or `None` if Go would reject it.
pub fn canonicalize(text: &str) -> Option<String> {
    format(parse(text)?)
}

fn parse(text: &str) -> Option<i128> {
    let (neg, mut s) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if s == "0" {
        return Some(0);
    }
    if s.is_empty() || s.len() > 128 {
        return None;
    }
    let mut total: i128 = 0;
    while !s.is_empty() {
        let num_end = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(s.len());
        let (number, rest) = s.split_at(num_end);
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return None;
        }
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let (unit, rest) = rest.split_at(unit_end);
        let scale = NANOS.iter().find(|(u, _)| *u == unit).map(|(_, n)| *n)?;
        let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
        let int_val: i128 = if int_part.is_empty() {
            0
        } else {
            int_part.get(..int_part.len().min(30))?.parse().ok()?
        };
        let mut value = int_val.checked_mul(scale)?;
        let mut frac_scale = scale;
        for d in frac_part.chars().take(30) {
            frac_scale /= 10;
            value += i128::from(d.to_digit(10)?) * frac_scale;
        }
        total = total.checked_add(value)?;
        if total > MAX {
            return None;
        }
        s = rest;
    }
    Some(if neg { -total } else { total })
}

fn format(d: i128) -> Option<String> {
    if d == 0 {
        return Some("0s".to_string());
    }
    let sign = if d < 0 { "-" } else { "" };
    let u = d.abs();
    if u < 1_000_000_000 {
        let (unit, div) = if u < 1_000 {
            ("ns", 1)
        } else if u < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        return Some(format!("{sign}{}{unit}", decimal(u, div)));
    }
    let hours = u / 3_600_000_000_000;
    let rem = u % 3_600_000_000_000;
    let minutes = rem / 60_000_000_000;
    let secs = rem % 60_000_000_000;
    let s = decimal(secs, 1_000_000_000);
    Some(if hours > 0 {
        format!("{sign}{hours}h{minutes}m{s}s")
    } else if minutes > 0 {
        format!("{sign}{minutes}m{s}s")
    } else {
        format!("{sign}{s}s")
    })
}

/// `value / div` as a decimal without trailing zeros.
fn decimal(value: i128, div: i128) -> String {
    let int = value / div;
    let frac = value % div;
    if frac == 0 {
        return int.to_string();
    }
    let width = div.to_string().len() - 1;
    let digits = format!("{frac:0width$}");
    format!("{int}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_duration_strings() {
        let cases = [
            ("8760h", "8760h0m0s"),
            ("90s", "1m30s"),
            ("1.5h", "1h30m0s"),
            ("0", "0s"),
            ("500ms", "500ms"),
            ("1500ms", "1.5s"),
            ("1h0m0s", "1h0m0s"),
            ("2m", "2m0s"),
            ("1us", "1µs"),
            ("-3s", "-3s"),
            ("1h1ns", "1h0m0.000000001s"),
        ];
        for (input, want) in cases {
            assert_eq!(canonicalize(input).as_deref(), Some(want), "{input}");
        }
        for bad in ["", "1", "h", "1x", "1.2.3s", "9999999999h"] {
            assert_eq!(canonicalize(bad), None, "{bad}");
        }
    }
}
