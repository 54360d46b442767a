//! Semantic versions and constraints with Masterminds/semver v3 rules (`semverCompare`,
//! `semver`), also used for Chart.yaml `kubeVersion` checks.

use std::cmp::Ordering;

use super::super::value::{Map, Value};
use super::{arity, s_arg, FnErr, Func};

/// Resolves a semver function name.
pub fn lookup(name: &str) -> Option<Func> {
    Some(match name {
        "semverCompare" => |_, a| {
            arity("semverCompare", a, 2)?;
            let c = s_arg(&a[0])?;
            let v = parse_version(s_arg(&a[1])?)
                .ok_or_else(|| FnErr::Call("Invalid Semantic Version".into()))?;
            Ok(Value::Bool(constraint_matches(c, &v).map_err(FnErr::Call)?))
        },
        "semver" => |_, a| {
            arity("semver", a, 1)?;
            let s = s_arg(&a[0])?;
            let v =
                parse_version(s).ok_or_else(|| FnErr::Call("Invalid Semantic Version".into()))?;
            let mut m = Map::new();
            m.insert("Major".into(), Value::Int64(v.major as i64));
            m.insert("Minor".into(), Value::Int64(v.minor as i64));
            m.insert("Patch".into(), Value::Int64(v.patch as i64));
            m.insert("Prerelease".into(), Value::str(&v.pre));
            m.insert("Metadata".into(), Value::str(&v.meta));
            m.insert("Original".into(), Value::str(s));
            Ok(Value::map(m))
        },
        _ => return None,
    })
}

/// A parsed version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// Major.
    pub major: u64,
    /// Minor.
    pub minor: u64,
    /// Patch.
    pub patch: u64,
    /// Prerelease (without `-`).
    pub pre: String,
    /// Build metadata (without `+`).
    pub meta: String,
}

/// Parses a version loosely (`v` prefix, missing minor/patch allowed).
pub fn parse_version(s: &str) -> Option<Version> {
    let s = s.trim();
    let s = s.strip_prefix('v').unwrap_or(s);
    let (s, meta) = match s.split_once('+') {
        Some((a, b)) => (a, b.to_string()),
        None => (s, String::new()),
    };
    let (core, pre) = match s.split_once('-') {
        Some((a, b)) => (a, b.to_string()),
        None => (s, String::new()),
    };
    let parts: Vec<&str> = core.split('.').collect();
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    let mut nums = [0u64; 3];
    for (i, p) in parts.iter().enumerate() {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        nums[i] = p.parse().ok()?;
    }
    if !pre.is_empty()
        && !pre
            .split('.')
            .all(|x| !x.is_empty() && x.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    {
        return None;
    }
    Some(Version {
        major: nums[0],
        minor: nums[1],
        patch: nums[2],
        pre,
        meta,
    })
}

fn cmp_pre(a: &str, b: &str) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    let (pa, pb): (Vec<&str>, Vec<&str>) = (a.split('.').collect(), b.split('.').collect());
    for (x, y) in pa.iter().zip(pb.iter()) {
        let o = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(i), Ok(j)) => i.cmp(&j),
            (Ok(_), Err(_)) => Ordering::Less,
            (Err(_), Ok(_)) => Ordering::Greater,
            _ => x.cmp(y),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    pa.len().cmp(&pb.len())
}

/// Version precedence.
pub fn compare(a: &Version, b: &Version) -> Ordering {
    (a.major, a.minor, a.patch)
        .cmp(&(b.major, b.minor, b.patch))
        .then_with(|| cmp_pre(&a.pre, &b.pre))
}

struct Con {
    op: String,
    v: Version,
    /// Number of given components (1..=3); wildcards count as not given.
    given: usize,
}

fn parse_con(s: &str) -> Result<Con, String> {
    let s = s.trim();
    let opend = s
        .find(|c: char| !matches!(c, '=' | '!' | '<' | '>' | '~' | '^'))
        .unwrap_or(s.len());
    let op = s[..opend].to_string();
    let rest = s[opend..].trim();
    let rest = rest.strip_prefix('v').unwrap_or(rest);
    if !matches!(
        op.as_str(),
        "" | "=" | "!=" | ">" | "<" | ">=" | "=>" | "<=" | "=<" | "~" | "~>" | "^"
    ) {
        return Err(format!("improper constraint: {s}"));
    }
    let (core, suffix) = match rest.find(['-', '+']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let mut given = 0;
    let mut nums = Vec::new();
    for p in core.split('.') {
        if matches!(p, "x" | "X" | "*") || p.is_empty() && core.is_empty() {
            break;
        }
        nums.push(p);
        given += 1;
    }
    let vtext = format!(
        "{}.{}.{}{}",
        nums.first().copied().unwrap_or("0"),
        nums.get(1).copied().unwrap_or("0"),
        nums.get(2).copied().unwrap_or("0"),
        suffix
    );
    let v = parse_version(&vtext).ok_or_else(|| format!("improper constraint: {s}"))?;
    Ok(Con { op, v, given })
}

fn bump(v: &Version, level: usize) -> Version {
    let mut n = Version {
        major: v.major,
        minor: v.minor,
        patch: v.patch,
        pre: String::new(),
        meta: String::new(),
    };
    match level {
        0 => {
            n.major += 1;
            n.minor = 0;
            n.patch = 0;
        }
        1 => {
            n.minor += 1;
            n.patch = 0;
        }
        _ => n.patch += 1,
    }
    n
}

fn check(c: &Con, v: &Version) -> bool {
    if !v.pre.is_empty() && c.v.pre.is_empty() {
        return false;
    }
    let o = compare(v, &c.v);
    let lower = |v: &Version| compare(v, &c.v) != Ordering::Less;
    match c.op.as_str() {
        "" | "=" => {
            if c.given < 3 {
                let upper = if c.given == 0 {
                    return true;
                } else {
                    bump(&c.v, c.given - 1)
                };
                lower(v) && compare(v, &upper) == Ordering::Less
            } else {
                o == Ordering::Equal
            }
        }
        "!=" => {
            if c.given < 3 {
                if c.given == 0 {
                    return false;
                }
                let upper = bump(&c.v, c.given - 1);
                !(lower(v) && compare(v, &upper) == Ordering::Less)
            } else {
                o != Ordering::Equal
            }
        }
        ">" => {
            if c.given < 3 && c.given > 0 {
                compare(v, &bump(&c.v, c.given - 1)) != Ordering::Less
            } else {
                o == Ordering::Greater
            }
        }
        ">=" | "=>" => o != Ordering::Less,
        "<" => o == Ordering::Less,
        "<=" | "=<" => {
            if c.given < 3 && c.given > 0 {
                compare(v, &bump(&c.v, c.given - 1)) == Ordering::Less
            } else {
                o != Ordering::Greater
            }
        }
        "~" | "~>" => {
            let upper = if c.given <= 1 {
                bump(&c.v, 0)
            } else {
                bump(&c.v, 1)
            };
            lower(v) && compare(v, &upper) == Ordering::Less
        }
        "^" => {
            let upper = if c.v.major > 0 || c.given <= 1 {
                bump(&c.v, 0)
            } else if c.v.minor > 0 || c.given == 2 {
                bump(&c.v, 1)
            } else {
                bump(&c.v, 2)
            };
            lower(v) && compare(v, &upper) == Ordering::Less
        }
        _ => false,
    }
}

/// Whether `v` satisfies the constraint string (`||` alternatives of `,`/space-separated
/// conjunctions; hyphen ranges `a - b`).
pub fn constraint_matches(cons: &str, v: &Version) -> Result<bool, String> {
    for alt in cons.split("||") {
        let alt = alt.trim();
        let mut items: Vec<String> = Vec::new();
        let words: Vec<&str> = alt.split([',', ' ']).filter(|w| !w.is_empty()).collect();
        let mut i = 0;
        while i < words.len() {
            if words.get(i + 1) == Some(&"-") && i + 2 < words.len() {
                items.push(format!(">={}", words[i]));
                let _ = parse_con(words[i + 2])?;
                items.push(format!("<={}", words[i + 2]));
                i += 3;
                continue;
            }
            // An operator separated from its version by a space: `>= 1.2`.
            if words[i]
                .chars()
                .all(|c| matches!(c, '=' | '!' | '<' | '>' | '~' | '^'))
                && i + 1 < words.len()
            {
                items.push(format!("{}{}", words[i], words[i + 1]));
                i += 2;
                continue;
            }
            items.push(words[i].to_string());
            i += 1;
        }
        if items.is_empty() {
            return Err(format!("improper constraint: {cons}"));
        }
        let mut ok = true;
        for it in &items {
            let c = parse_con(it)?;
            if !check(&c, v) {
                ok = false;
                break;
            }
        }
        if ok {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(c: &str, v: &str) -> bool {
        parse_version(v).is_some_and(|v| constraint_matches(c, &v).unwrap_or(false))
    }

    #[test]
    fn constraints() {
        assert!(m(">=1.21-0", "v1.35.0"));
        assert!(m(">=1.19.0-0", "1.35.0"));
        assert!(!m("<1.20.0", "v1.35.0"));
        assert!(m("^1.2.3", "1.9.0"));
        assert!(!m("^1.2.3", "2.0.0"));
        assert!(m("~1.2.3", "1.2.9"));
        assert!(!m("~1.2.3", "1.3.0"));
        assert!(m("1.2.x", "1.2.7"));
        assert!(m(">= 1.19, < 2", "1.35.0"));
        assert!(m("<1.10 || >=1.30", "1.35.0"));
        assert!(!m(">=1.20", "1.35.0-beta.1"));
        assert!(m("1.1 - 1.40", "1.35.0"));
    }
}
