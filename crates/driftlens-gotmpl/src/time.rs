//! Go's time layouts for Unix times in UTC: [`format_time`] writes a time the way Go's
//! `Time.Format` does, [`parse_time`] reads one back. Used by the date functions, by `%v` of a
//! time value and by its JSON form; the calendar arithmetic is in [`crate::civil`].

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
];

/// Formats a Unix time (UTC) with a Go reference layout.
pub fn format_time(t: i64, layout: &str) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let (y, mo, d) = crate::civil::civil_from_days(days);
    let (h, mi, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let wd = DAYS[days.rem_euclid(7) as usize];
    let month = MONTHS[(mo - 1) as usize];
    let toks: &[(&str, String)] = &[
        ("January", month.to_string()),
        ("Monday", wd.to_string()),
        ("2006", format!("{y:04}")),
        ("Z07:00", "Z".into()),
        ("-07:00", "+00:00".into()),
        ("-0700", "+0000".into()),
        ("Jan", month[..3].to_string()),
        ("Mon", wd[..3].to_string()),
        ("MST", "UTC".into()),
        ("01", format!("{mo:02}")),
        ("02", format!("{d:02}")),
        ("_2", format!("{d:>2}")),
        ("15", format!("{h:02}")),
        (
            "03",
            format!("{:02}", if h % 12 == 0 { 12 } else { h % 12 }),
        ),
        ("04", format!("{mi:02}")),
        ("05", format!("{s:02}")),
        ("06", format!("{:02}", y % 100)),
        ("PM", (if h >= 12 { "PM" } else { "AM" }).into()),
        ("pm", (if h >= 12 { "pm" } else { "am" }).into()),
        (".000", ".000".into()),
        ("1", mo.to_string()),
        ("2", d.to_string()),
        ("3", (if h % 12 == 0 { 12 } else { h % 12 }).to_string()),
        ("4", mi.to_string()),
        ("5", s.to_string()),
    ];
    let mut out = String::new();
    let mut r = layout;
    'outer: while !r.is_empty() {
        for (k, v) in toks {
            if r.starts_with(k) {
                out.push_str(v);
                r = &r[k.len()..];
                continue 'outer;
            }
        }
        let c = r.chars().next().unwrap_or(' ');
        out.push(c);
        r = &r[c.len_utf8()..];
    }
    out
}

/// Parses a time written in a Go layout (date and time parts only; UTC).
pub fn parse_time(layout: &str, value: &str) -> Option<i64> {
    let num = |v: &str, n: usize| -> Option<(i64, usize)> {
        let d: String = v
            .chars()
            .take(n)
            .take_while(|c| c.is_ascii_digit())
            .collect();
        if d.is_empty() {
            None
        } else {
            Some((d.parse().ok()?, d.len()))
        }
    };
    let (mut y, mut mo, mut d, mut h, mut mi, mut s) = (1i64, 1i64, 1i64, 0i64, 0i64, 0i64);
    let (mut l, mut v) = (layout, value);
    while !l.is_empty() {
        let (tok, width, slot): (&str, usize, u8) = if l.starts_with("2006") {
            ("2006", 4, 0)
        } else if l.starts_with("01") {
            ("01", 2, 1)
        } else if l.starts_with("02") {
            ("02", 2, 2)
        } else if l.starts_with("15") {
            ("15", 2, 3)
        } else if l.starts_with("04") {
            ("04", 2, 4)
        } else if l.starts_with("05") {
            ("05", 2, 5)
        } else {
            let c = l.chars().next()?;
            if !v.starts_with(c) {
                return None;
            }
            l = &l[c.len_utf8()..];
            v = &v[c.len_utf8()..];
            continue;
        };
        let (n, used) = num(v, width)?;
        match slot {
            0 => y = n,
            1 => mo = n,
            2 => d = n,
            3 => h = n,
            4 => mi = n,
            _ => s = n,
        }
        l = &l[tok.len()..];
        v = &v[used..];
    }
    // Out-of-range fields are errors, as in Go ("month out of range", "day out of range").
    let mo = u32::try_from(mo).ok().filter(|m| (1..=12).contains(m))?;
    let d = u32::try_from(d)
        .ok()
        .filter(|d| (1..=crate::civil::days_in_month(y, mo)).contains(d))?;
    let h = u32::try_from(h).ok().filter(|h| *h < 24)?;
    let mi = u32::try_from(mi).ok().filter(|m| *m < 60)?;
    let s = u32::try_from(s).ok().filter(|s| *s < 60)?;
    Some(crate::civil::from_civil(y, mo, d, h, mi, s))
}
