//! Five-field cron schedules with the semantics of the robfig/cron v3 parser Argo CD uses for
//! sync windows (`Minute | Hour | Dom | Month | Dow`), and Go's `time.ParseDuration`.
//!
//! Fields: minute 0–59, hour 0–23, day of month 1–31, month 1–12 (or `jan`–`dec`), day of
//! week 0–6 (or `sun`–`sat`; `7` is an error). Each field is a comma list of `*`/`?`, `a`,
//! `a-b`, `a/step` (= `a-max/step`), `a-b/step`, `*/step`. Descriptors (`@daily`) are rejected.
//! Day matching follows robfig: if the day-of-month or the day-of-week field is a star (`*` or
//! `?` without a step > 1) both must match, otherwise either may match.
//! Times are seconds on a naive UTC clock; sync windows shift them by the zone offset first.

use std::fmt;

use crate::civil::{civil, from_civil, Civil};

const STAR_BIT: u64 = 1 << 63;

struct Bounds {
    min: u32,
    max: u32,
    names: &'static [(&'static str, u32)],
}

const MINUTES: Bounds = Bounds {
    min: 0,
    max: 59,
    names: &[],
};
const HOURS: Bounds = Bounds {
    min: 0,
    max: 23,
    names: &[],
};
const DOM: Bounds = Bounds {
    min: 1,
    max: 31,
    names: &[],
};
const MONTHS: Bounds = Bounds {
    min: 1,
    max: 12,
    names: &[
        ("jan", 1),
        ("feb", 2),
        ("mar", 3),
        ("apr", 4),
        ("may", 5),
        ("jun", 6),
        ("jul", 7),
        ("aug", 8),
        ("sep", 9),
        ("oct", 10),
        ("nov", 11),
        ("dec", 12),
    ],
};
const DOW: Bounds = Bounds {
    min: 0,
    max: 6,
    names: &[
        ("sun", 0),
        ("mon", 1),
        ("tue", 2),
        ("wed", 3),
        ("thu", 4),
        ("fri", 5),
        ("sat", 6),
    ],
};

/// A parsed schedule (bit sets per field, robfig's star bit included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CronSchedule {
    minute: u64,
    hour: u64,
    dom: u64,
    month: u64,
    dow: u64,
}

/// A schedule that does not parse; the message is robfig's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronError(pub String);

impl fmt::Display for CronError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CronError {}

/// Go's `strconv.Atoi` (optional sign, decimal digits, 64-bit range).
fn go_atoi(s: &str) -> Result<i64, String> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("strconv.Atoi: parsing \"{s}\": invalid syntax"));
    }
    s.parse::<i64>()
        .map_err(|_| format!("strconv.Atoi: parsing \"{s}\": value out of range"))
}

fn parse_int(expr: &str) -> Result<u32, CronError> {
    let n =
        go_atoi(expr).map_err(|e| CronError(format!("failed to parse int from {expr}: {e}")))?;
    if n < 0 {
        return Err(CronError(format!(
            "negative number ({n}) not allowed: {expr}"
        )));
    }
    // Values above u32 are far out of every range; keep them out of range, not wrapped.
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

fn parse_int_or_name(expr: &str, b: &Bounds) -> Result<u32, CronError> {
    let lower = expr.to_ascii_lowercase();
    if let Some((_, v)) = b.names.iter().find(|(n, _)| *n == lower) {
        return Ok(*v);
    }
    parse_int(expr)
}

fn bits(start: u32, end: u32, step: u32) -> u64 {
    let mut out = 0u64;
    let mut i = start;
    while i <= end && i < 63 {
        out |= 1 << i;
        match i.checked_add(step) {
            Some(n) => i = n,
            None => break,
        }
    }
    out
}

fn range(expr: &str, b: &Bounds) -> Result<u64, CronError> {
    let range_and_step: Vec<&str> = expr.split('/').collect();
    let low_high: Vec<&str> = range_and_step[0].split('-').collect();
    let single = low_high.len() == 1;
    let (start, mut end, mut extra);
    if low_high[0] == "*" || low_high[0] == "?" {
        start = b.min;
        end = b.max;
        extra = STAR_BIT;
    } else {
        start = parse_int_or_name(low_high[0], b)?;
        end = match low_high.len() {
            1 => start,
            2 => parse_int_or_name(low_high[1], b)?,
            _ => return Err(CronError(format!("too many hyphens: {expr}"))),
        };
        extra = 0;
    }
    let step = match range_and_step.len() {
        1 => 1,
        2 => {
            let step = parse_int(range_and_step[1])?;
            if single {
                end = b.max;
            }
            if step > 1 {
                extra = 0;
            }
            step
        }
        _ => return Err(CronError(format!("too many slashes: {expr}"))),
    };
    if start < b.min {
        return Err(CronError(format!(
            "beginning of range ({start}) below minimum ({}): {expr}",
            b.min
        )));
    }
    if end > b.max {
        return Err(CronError(format!(
            "end of range ({end}) above maximum ({}): {expr}",
            b.max
        )));
    }
    if start > end {
        return Err(CronError(format!(
            "beginning of range ({start}) beyond end of range ({end}): {expr}"
        )));
    }
    if step == 0 {
        return Err(CronError(format!(
            "step of range should be a positive number: {expr}"
        )));
    }
    Ok(bits(start, end, step) | extra)
}

fn field(text: &str, b: &Bounds) -> Result<u64, CronError> {
    let mut out = 0;
    // Go's strings.FieldsFunc drops empty items.
    for part in text.split(',').filter(|p| !p.is_empty()) {
        out |= range(part, b)?;
    }
    Ok(out)
}

impl CronSchedule {
    /// Parses a 5-field spec like robfig's parser with `Minute|Hour|Dom|Month|Dow`.
    pub fn parse(spec: &str) -> Result<CronSchedule, CronError> {
        if spec.is_empty() {
            return Err(CronError("empty spec string".into()));
        }
        if spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=") {
            return Err(CronError(format!(
                "time zone prefix in schedule is not supported by driftlens: {spec}"
            )));
        }
        if spec.starts_with('@') {
            return Err(CronError(format!(
                "parser does not accept descriptors: {spec}"
            )));
        }
        let fields: Vec<&str> = spec.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(CronError(format!(
                "expected exactly 5 fields, found {}: [{}]",
                fields.len(),
                fields.join(" ")
            )));
        }
        Ok(CronSchedule {
            minute: field(fields[0], &MINUTES)?,
            hour: field(fields[1], &HOURS)?,
            dom: field(fields[2], &DOM)?,
            month: field(fields[3], &MONTHS)?,
            dow: field(fields[4], &DOW)?,
        })
    }

    /// True when the schedule fires at every minute (`* * * * *` or equivalent).
    pub fn fires_every_minute(&self) -> bool {
        let all = |v: u64, lo: u32, hi: u32| (lo..=hi).all(|i| v & (1 << i) != 0);
        all(self.minute, 0, 59)
            && all(self.hour, 0, 23)
            && all(self.month, 1, 12)
            && self.day_rule_all_days()
    }

    fn day_rule_all_days(&self) -> bool {
        let dom_all = (1..=31).all(|i| self.dom & (1 << i) != 0);
        let dow_all = (0..=6).all(|i| self.dow & (1 << i) != 0);
        if self.dom & STAR_BIT != 0 || self.dow & STAR_BIT != 0 {
            dom_all && dow_all
        } else {
            dom_all || dow_all
        }
    }

    fn day_matches(&self, c: &Civil) -> bool {
        let dom = self.dom & (1 << c.day) != 0;
        let dow = self.dow & (1 << c.weekday) != 0;
        if self.dom & STAR_BIT != 0 || self.dow & STAR_BIT != 0 {
            dom && dow
        } else {
            dom || dow
        }
    }

    /// The first firing time strictly after `t` (seconds since the epoch on a naive UTC
    /// clock), or `None` when none exists within five years — robfig then returns Go's zero
    /// time, which is before every other time.
    pub fn next(&self, t: i64) -> Option<i64> {
        // robfig: start at the upcoming whole second. Each loop below truncates to its unit
        // before stepping, as robfig does on its first step; later steps start from a
        // boundary already, so truncating again changes nothing.
        let mut t = t + 1;
        let year_limit = civil(t).year + 5;
        'wrap: loop {
            let c = civil(t);
            if c.year > year_limit {
                return None;
            }
            let mut c = c;
            while self.month & (1 << c.month) == 0 {
                // AddDate(0, 1, 0) from the first of a month.
                let (y, m) = if c.month == 12 {
                    (c.year + 1, 1)
                } else {
                    (c.year, c.month + 1)
                };
                t = from_civil(y, m, 1, 0, 0, 0);
                c = civil(t);
                if c.month == 1 {
                    continue 'wrap;
                }
            }
            while !self.day_matches(&c) {
                t = from_civil(c.year, c.month, c.day, 0, 0, 0) + 86_400;
                c = civil(t);
                if c.day == 1 {
                    continue 'wrap;
                }
            }
            while self.hour & (1 << c.hour) == 0 {
                t = from_civil(c.year, c.month, c.day, c.hour, 0, 0) + 3600;
                c = civil(t);
                if c.hour == 0 {
                    continue 'wrap;
                }
            }
            while self.minute & (1 << c.minute) == 0 {
                t = t - t.rem_euclid(60) + 60;
                c = civil(t);
                if c.minute == 0 {
                    continue 'wrap;
                }
            }
            // Seconds field is always {0}.
            while c.second != 0 {
                t += 1;
                c = civil(t);
                if c.second == 0 {
                    continue 'wrap;
                }
            }
            return Some(t);
        }
    }
}

/// Go's `time.ParseDuration`, in nanoseconds, with Go's error messages.
pub fn parse_go_duration(orig: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration \"{orig}\"");
    let mut s = orig;
    let mut neg = false;
    if let Some(c) = s.chars().next() {
        if c == '-' || c == '+' {
            neg = c == '-';
            s = &s[1..];
        }
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total: u128 = 0;
    while !s.is_empty() {
        let b = s.as_bytes();
        if !(b[0] == b'.' || b[0].is_ascii_digit()) {
            return Err(invalid());
        }
        let int_len = b.iter().take_while(|c| c.is_ascii_digit()).count();
        let mut v: u128 = 0;
        for c in &b[..int_len] {
            v = v * 10 + u128::from(c - b'0');
            if v > 1 << 63 {
                return Err(invalid());
            }
        }
        let pre = int_len > 0;
        s = &s[int_len..];
        let mut frac: u128 = 0;
        let mut scale: f64 = 1.0;
        let mut post = false;
        if s.starts_with('.') {
            s = &s[1..];
            let fb = s.as_bytes();
            let flen = fb.iter().take_while(|c| c.is_ascii_digit()).count();
            let mut overflow = false;
            for c in &fb[..flen] {
                if overflow {
                    continue;
                }
                if frac > ((1u128 << 63) - 1) / 10 {
                    overflow = true;
                    continue;
                }
                frac = frac * 10 + u128::from(c - b'0');
                scale *= 10.0;
            }
            post = flen > 0;
            s = &s[flen..];
        }
        if !pre && !post {
            return Err(invalid());
        }
        let ulen = s
            .bytes()
            .take_while(|c| !(*c == b'.' || c.is_ascii_digit()))
            .count();
        if ulen == 0 {
            return Err(format!("time: missing unit in duration \"{orig}\""));
        }
        let unit_text = &s[..ulen];
        s = &s[ulen..];
        let unit: u128 = match unit_text {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => {
                return Err(format!(
                    "time: unknown unit \"{unit_text}\" in duration \"{orig}\""
                ))
            }
        };
        if v > (1u128 << 63) / unit {
            return Err(invalid());
        }
        v *= unit;
        if frac > 0 {
            v += (frac as f64 * (unit as f64 / scale)) as u128;
            if v > 1 << 63 {
                return Err(invalid());
            }
        }
        total += v;
        if total > 1 << 63 {
            return Err(invalid());
        }
    }
    if neg {
        return Ok(-(total as i128) as i64);
    }
    if total > (1u128 << 63) - 1 {
        return Err(invalid());
    }
    Ok(total as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i64, m: u32, d: u32, h: u32, mi: u32) -> i64 {
        from_civil(y, m, d, h, mi, 0)
    }

    #[test]
    fn parse_errors_match_robfig() {
        let e = |s: &str| {
            CronSchedule::parse(s)
                .err()
                .map(|e| e.0)
                .unwrap_or_default()
        };
        assert_eq!(
            e("* * * *"),
            "expected exactly 5 fields, found 4: [* * * *]"
        );
        assert_eq!(e("* * * * 7"), "end of range (7) above maximum (6): 7");
        assert_eq!(e("@daily"), "parser does not accept descriptors: @daily");
        assert_eq!(e("60 * * * *"), "end of range (60) above maximum (59): 60");
        assert_eq!(
            e("* * 0 * *"),
            "beginning of range (0) below minimum (1): 0"
        );
        assert_eq!(
            e("5-1 * * * *"),
            "beginning of range (5) beyond end of range (1): 5-1"
        );
        assert_eq!(
            e("x * * * *"),
            "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax"
        );
        assert_eq!(
            e("*/0 * * * *"),
            "step of range should be a positive number: */0"
        );
        assert_eq!(e("1-2-3 * * * *"), "too many hyphens: 1-2-3");
        assert_eq!(e("1/2/3 * * * *"), "too many slashes: 1/2/3");
        assert_eq!(e(""), "empty spec string");
        assert!(CronSchedule::parse("0 9 * JAN-mar mon-FRI").is_ok());
        assert!(CronSchedule::parse("0 0 ? * ?").is_ok());
    }

    #[test]
    fn next_fire_times() {
        let s = CronSchedule::parse("30 10 * * *").ok();
        let s = s.as_ref();
        assert_eq!(
            s.and_then(|s| s.next(at(2024, 1, 1, 0, 0))),
            Some(at(2024, 1, 1, 10, 30))
        );
        assert_eq!(
            s.and_then(|s| s.next(at(2024, 1, 1, 10, 30))),
            Some(at(2024, 1, 2, 10, 30))
        );
        // Leap day only.
        let s = CronSchedule::parse("0 0 29 2 *").ok();
        assert_eq!(
            s.and_then(|s| s.next(at(2024, 3, 1, 0, 0))),
            Some(at(2028, 2, 29, 0, 0))
        );
        // Never fires within five years → zero time.
        let s = CronSchedule::parse("0 0 30 2 *").ok();
        assert_eq!(s.and_then(|s| s.next(at(2024, 1, 1, 0, 0))), None);
        // Dom and dow both restricted: either matches (1st of month OR Monday).
        let s = CronSchedule::parse("0 0 1 * 1").ok();
        // 2024-01-02 is a Tuesday; next is Monday 2024-01-08.
        assert_eq!(
            s.and_then(|s| s.next(at(2024, 1, 2, 0, 0))),
            Some(at(2024, 1, 8, 0, 0))
        );
        // Dow star: both must match → only the 1st of the month.
        let s = CronSchedule::parse("0 0 1 * *").ok();
        assert_eq!(
            s.and_then(|s| s.next(at(2024, 1, 2, 0, 0))),
            Some(at(2024, 2, 1, 0, 0))
        );
        // */2 on dow clears the star bit → OR with dom.
        let s = CronSchedule::parse("0 0 15 * */2").ok();
        // 2024-01-02 is Tuesday (2): even dow → matches the same day at midnight next? t is
        // exactly midnight, so the next firing is Thursday 2024-01-04.
        assert_eq!(
            s.and_then(|s| s.next(at(2024, 1, 2, 0, 0))),
            Some(at(2024, 1, 4, 0, 0))
        );
        let every = CronSchedule::parse("* * * * *").ok();
        assert!(every.is_some_and(|s| s.fires_every_minute()));
        assert_eq!(
            every.and_then(|s| s.next(at(2024, 1, 1, 0, 0) + 5)),
            Some(at(2024, 1, 1, 0, 1))
        );
    }

    #[test]
    fn go_durations() {
        const M: i64 = 60_000_000_000;
        assert_eq!(parse_go_duration("1h30m"), Ok(90 * M));
        assert_eq!(parse_go_duration("90m"), Ok(90 * M));
        assert_eq!(parse_go_duration("1.5h"), Ok(90 * M));
        assert_eq!(parse_go_duration("-2h"), Ok(-120 * M));
        assert_eq!(parse_go_duration("0"), Ok(0));
        assert_eq!(
            parse_go_duration(""),
            Err("time: invalid duration \"\"".into())
        );
        assert_eq!(
            parse_go_duration("1d"),
            Err("time: unknown unit \"d\" in duration \"1d\"".into())
        );
        assert_eq!(
            parse_go_duration("10"),
            Err("time: missing unit in duration \"10\"".into())
        );
        assert_eq!(
            parse_go_duration("h"),
            Err("time: invalid duration \"h\"".into())
        );
        assert_eq!(
            parse_go_duration("9999999999h"),
            Err("time: invalid duration \"9999999999h\"".into())
        );
    }
}
