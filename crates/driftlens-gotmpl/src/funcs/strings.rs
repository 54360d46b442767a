//! Sprig string functions: quoting, indentation, trimming, case, splitting and joining,
//! regular expressions (Go RE2 syntax through the `regex` crate), paths.

use super::super::fmt::go_quote;
use super::super::value::{Map, Value};
use super::{arity, i_arg, s_arg, strval, FnErr, FnResult, Func};

/// Resolves a string function name.
pub fn lookup(name: &str) -> Option<Func> {
    Some(match name {
        "quote" => |_, a| {
            Ok(Value::from(
                a.iter()
                    .filter(|v| !v.is_nil())
                    .map(|v| match v {
                        Value::Object(_) if v.as_bytes().is_some() => {
                            super::super::fmt::go_quote_bytes(v.as_bytes().unwrap_or_default())
                        }
                        _ => go_quote(&strval(v)),
                    })
                    .collect::<Vec<_>>()
                    .join(" "),
            ))
        },
        "squote" => |_, a| {
            Ok(Value::from(
                a.iter()
                    .filter(|v| !v.is_nil())
                    .map(|v| format!("'{}'", strval(v)))
                    .collect::<Vec<_>>()
                    .join(" "),
            ))
        },
        "indent" => |c, a| {
            arity("indent", a, 2)?;
            let n = repeat_count(i_arg(&a[0])?)?;
            let s = s_arg(&a[1])?;
            c.reserve(indent_size(n, s))?;
            c.charge(indent_cost(n, s))?;
            Ok(Value::from(indent(n, s)))
        },
        "nindent" => |c, a| {
            arity("nindent", a, 2)?;
            let n = repeat_count(i_arg(&a[0])?)?;
            let s = s_arg(&a[1])?;
            c.reserve(indent_size(n, s))?;
            c.charge(indent_cost(n, s))?;
            Ok(Value::from(format!("\n{}", indent(n, s))))
        },
        "trunc" => |_, a| {
            arity("trunc", a, 2)?;
            let n = i_arg(&a[0])?;
            let s = s_arg(&a[1])?;
            let l = s.len() as i64;
            let b = s.as_bytes();
            let r = if n < 0 && l + n > 0 {
                &b[(l + n) as usize..]
            } else if n >= 0 && l > n {
                &b[..n as usize]
            } else {
                b
            };
            Ok(Value::from(String::from_utf8_lossy(r).into_owned()))
        },
        "trimSuffix" => |_, a| {
            two_str("trimSuffix", a, |x, s| {
                s.strip_suffix(x).unwrap_or(s).to_string()
            })
        },
        "trimPrefix" => |_, a| {
            two_str("trimPrefix", a, |x, s| {
                s.strip_prefix(x).unwrap_or(s).to_string()
            })
        },
        "trimAll" => |_, a| {
            two_str("trimAll", a, |cut, s| {
                s.trim_matches(|c| cut.contains(c)).to_string()
            })
        },
        "trim" => |_, a| {
            arity("trim", a, 1)?;
            Ok(Value::str(s_arg(&a[0])?.trim()))
        },
        "contains" => |_, a| {
            arity("contains", a, 2)?;
            Ok(Value::Bool(s_arg(&a[1])?.contains(s_arg(&a[0])?)))
        },
        "hasPrefix" => |_, a| {
            arity("hasPrefix", a, 2)?;
            Ok(Value::Bool(s_arg(&a[1])?.starts_with(s_arg(&a[0])?)))
        },
        "hasSuffix" => |_, a| {
            arity("hasSuffix", a, 2)?;
            Ok(Value::Bool(s_arg(&a[1])?.ends_with(s_arg(&a[0])?)))
        },
        "replace" => |c, a| {
            arity("replace", a, 3)?;
            let (old, new, s) = (s_arg(&a[0])?, s_arg(&a[1])?, s_arg(&a[2])?);
            let count = if old.is_empty() {
                s.chars().count() as u64 + 1
            } else {
                s.matches(old).count() as u64
            };
            c.reserve((s.len() as u64).saturating_add(count.saturating_mul(new.len() as u64)))?;
            let r = s.replace(old, new);
            c.charge(r.len() as u64 / 64)?;
            Ok(Value::from(r))
        },
        "lower" => |_, a| one_str("lower", a, |s| s.to_lowercase()),
        "upper" => |_, a| one_str("upper", a, |s| s.to_uppercase()),
        "title" => |_, a| one_str("title", a, title),
        "untitle" => |_, a| one_str("untitle", a, untitle),
        "camelcase" => |_, a| one_str("camelcase", a, camelcase),
        "snakecase" => |_, a| one_str("snakecase", a, |s| sep_case(s, '_')),
        "kebabcase" => |_, a| one_str("kebabcase", a, |s| sep_case(s, '-')),
        "swapcase" => |_, a| {
            one_str("swapcase", a, |s| {
                s.chars()
                    .map(|c| {
                        if c.is_uppercase() {
                            c.to_lowercase().next().unwrap_or(c)
                        } else {
                            c.to_uppercase().next().unwrap_or(c)
                        }
                    })
                    .collect()
            })
        },
        "nospace" => |_, a| {
            one_str("nospace", a, |s| {
                s.chars().filter(|c| !c.is_whitespace()).collect()
            })
        },
        "initials" => |_, a| {
            one_str("initials", a, |s| {
                s.split_whitespace()
                    .filter_map(|w| w.chars().next())
                    .collect()
            })
        },
        "toString" => |_, a| {
            arity("toString", a, 1)?;
            // A file's bytes stay bytes (`string(b)` in Go).
            if let Some(b) = a[0].as_bytes().filter(|_| matches!(a[0], Value::Object(_))) {
                return Ok(Value::from_bytes(b));
            }
            Ok(Value::from(strval(&a[0])))
        },
        "toStrings" => |_, a| {
            arity("toStrings", a, 1)?;
            Ok(Value::list(
                strslice(&a[0]).into_iter().map(Value::from).collect(),
            ))
        },
        "split" => |_, a| {
            arity("split", a, 2)?;
            let mut m = Map::new();
            for (i, p) in go_split(s_arg(&a[1])?, s_arg(&a[0])?)
                .into_iter()
                .enumerate()
            {
                m.insert(format!("_{i}"), Value::str(p));
            }
            Ok(Value::map(m))
        },
        "splitn" => |_, a| {
            arity("splitn", a, 3)?;
            let n = i_arg(&a[1])?;
            let s = s_arg(&a[2])?;
            let sep = s_arg(&a[0])?;
            let parts: Vec<&str> = if n < 0 {
                go_split(s, sep)
            } else {
                s.splitn(n as usize, sep).collect()
            };
            let mut m = Map::new();
            for (i, p) in parts.into_iter().enumerate() {
                m.insert(format!("_{i}"), Value::str(p));
            }
            Ok(Value::map(m))
        },
        "splitList" => |c, a| {
            arity("splitList", a, 2)?;
            let parts = go_split(s_arg(&a[1])?, s_arg(&a[0])?);
            c.charge(parts.len() as u64)?;
            Ok(Value::list(parts.into_iter().map(Value::str).collect()))
        },
        "join" => |c, a| {
            arity("join", a, 2)?;
            let parts = strslice(&a[1]);
            let sep = s_arg(&a[0])?;
            c.reserve(
                parts.iter().map(|p| p.len() as u64).sum::<u64>()
                    + (parts.len() as u64).saturating_mul(sep.len() as u64),
            )?;
            Ok(Value::from(parts.join(sep)))
        },
        "cat" => |_, a| {
            Ok(Value::from(
                a.iter()
                    .filter(|v| !v.is_nil())
                    .map(super::super::fmt::sprint_value)
                    .collect::<Vec<_>>()
                    .join(" "),
            ))
        },
        "repeat" => |c, a| {
            arity("repeat", a, 2)?;
            let n = repeat_count(i_arg(&a[0])?)?;
            let s = s_arg(&a[1])?;
            c.reserve((n as u64).saturating_mul(s.len() as u64))?;
            c.charge((n.saturating_mul(s.len()) / 16) as u64)?;
            Ok(Value::from(s.repeat(n)))
        },
        "substr" => |_, a| {
            arity("substr", a, 3)?;
            let (st, en, s) = (i_arg(&a[0])?, i_arg(&a[1])?, s_arg(&a[2])?);
            let b = s.as_bytes();
            let l = b.len() as i64;
            let r: &[u8] = if st < 0 {
                &b[..en.clamp(0, l) as usize]
            } else if en < 0 || en > l {
                &b[st.min(l) as usize..]
            } else if st > en {
                return Err(FnErr::Call(format!(
                    "slice bounds out of range [{st}:{en}]"
                )));
            } else {
                &b[st as usize..en as usize]
            };
            Ok(Value::from(String::from_utf8_lossy(r).into_owned()))
        },
        "abbrev" => |_, a| {
            arity("abbrev", a, 2)?;
            let w = i_arg(&a[0])?;
            let s = s_arg(&a[1])?;
            if w < 4 || s.len() as i64 <= w {
                return Ok(Value::str(s));
            }
            Ok(Value::from(format!(
                "{}...",
                &String::from_utf8_lossy(&s.as_bytes()[..(w - 3) as usize])
            )))
        },
        "plural" => |_, a| {
            arity("plural", a, 3)?;
            let n = i_arg(&a[2])?;
            Ok(a[if n == 1 { 0 } else { 1 }].clone())
        },
        "wrap" => |_, a| {
            arity("wrap", a, 2)?;
            Ok(Value::from(wrap(
                s_arg(&a[1])?,
                i_arg(&a[0])?.max(1) as usize,
                "\n",
            )))
        },
        "wrapWith" => |_, a| {
            arity("wrapWith", a, 3)?;
            Ok(Value::from(wrap(
                s_arg(&a[2])?,
                i_arg(&a[0])?.max(1) as usize,
                s_arg(&a[1])?,
            )))
        },
        "shuffle" => |c, a| {
            arity("shuffle", a, 1)?;
            c.nondet = true;
            let mut chars: Vec<char> = s_arg(&a[0])?.chars().collect();
            for i in (1..chars.len()).rev() {
                let j = c.rng.below(i as u64 + 1) as usize;
                chars.swap(i, j);
            }
            Ok(Value::from(chars.into_iter().collect::<String>()))
        },
        "base" => |_, a| one_str("base", a, path_base),
        "dir" => |_, a| one_str("dir", a, path_dir),
        "ext" => |_, a| {
            one_str("ext", a, |s| {
                let b = s.rsplit('/').next().unwrap_or("");
                b.rfind('.').map_or(String::new(), |i| b[i..].to_string())
            })
        },
        "clean" => |_, a| one_str("clean", a, path_clean),
        "isAbs" => |_, a| {
            arity("isAbs", a, 1)?;
            Ok(Value::Bool(s_arg(&a[0])?.starts_with('/')))
        },
        "regexMatch" => |_, a| regex_match(a, false),
        "mustRegexMatch" => |_, a| regex_match(a, true),
        "regexFind" => |_, a| regex_find(a, false),
        "mustRegexFind" => |_, a| regex_find(a, true),
        "regexFindAll" => |_, a| regex_find_all(a, false),
        "mustRegexFindAll" => |_, a| regex_find_all(a, true),
        "regexReplaceAll" => |c, a| regex_replace(c, a, false, true),
        "mustRegexReplaceAll" => |c, a| regex_replace(c, a, true, true),
        "regexReplaceAllLiteral" => |c, a| regex_replace(c, a, false, false),
        "mustRegexReplaceAllLiteral" => |c, a| regex_replace(c, a, true, false),
        "regexSplit" => |_, a| regex_split(a, false),
        "mustRegexSplit" => |_, a| regex_split(a, true),
        "hello" => |_, _| Ok(Value::str("Hello!")),
        "trimall" => |_, a| {
            two_str("trimall", a, |cut, s| {
                s.trim_matches(|c| cut.contains(c)).to_string()
            })
        },
        "abbrevboth" => |_, a| {
            arity("abbrevboth", a, 3)?;
            let (l, r, s) = (i_arg(&a[0])?, i_arg(&a[1])?, s_arg(&a[2])?);
            let chars: Vec<char> = s.chars().collect();
            let n = chars.len() as i64;
            if r < 4 || n <= r {
                return Ok(Value::str(s));
            }
            let start = if l > 4 { l.min(n) } else { 0 };
            let body: String = chars[start as usize..].iter().collect();
            let prefix = if start > 0 { "..." } else { "" };
            let w = (r - prefix.len() as i64 - 3).max(0) as usize;
            if body.chars().count() as i64 + prefix.len() as i64 <= r {
                return Ok(Value::from(format!("{prefix}{body}")));
            }
            Ok(Value::from(format!(
                "{prefix}{}...",
                body.chars().take(w).collect::<String>()
            )))
        },
        "osBase" => |_, a| one_str("osBase", a, path_base),
        "osDir" => |_, a| one_str("osDir", a, path_dir),
        "osClean" => |_, a| one_str("osClean", a, path_clean),
        "osExt" => |_, a| {
            one_str("osExt", a, |s| {
                let b = s.rsplit('/').next().unwrap_or("");
                b.rfind('.').map_or(String::new(), |i| b[i..].to_string())
            })
        },
        "osIsAbs" => |_, a| {
            arity("osIsAbs", a, 1)?;
            Ok(Value::Bool(s_arg(&a[0])?.starts_with('/')))
        },
        "urlParse" => |_, a| {
            arity("urlParse", a, 1)?;
            Ok(url_parse(s_arg(&a[0])?))
        },
        "urlJoin" => |_, a| {
            arity("urlJoin", a, 1)?;
            Ok(Value::from(url_join(&a[0])))
        },
        "getHostByName" => |c, a| {
            // Never resolves names (no network access during renders).
            arity("getHostByName", a, 1)?;
            c.nondet = true;
            Ok(Value::str(""))
        },
        "regexQuoteMeta" => |_, a| one_str("regexQuoteMeta", a, super::goregex::quote_meta),
        _ => return None,
    })
}

fn one_str(name: &str, a: &[Value], f: impl Fn(&str) -> String) -> FnResult {
    arity(name, a, 1)?;
    Ok(Value::from(f(s_arg(&a[0])?)))
}

fn two_str(name: &str, a: &[Value], f: impl Fn(&str, &str) -> String) -> FnResult {
    arity(name, a, 2)?;
    Ok(Value::from(f(s_arg(&a[0])?, s_arg(&a[1])?)))
}

/// Sprig's `urlParse`: the parts of a URL as a map.
pub fn url_parse(s: &str) -> Value {
    let mut m = Map::new();
    let (rest, fragment) = match s.split_once('#') {
        Some((a, b)) => (a, b),
        None => (s, ""),
    };
    let (rest, query) = match rest.split_once('?') {
        Some((a, b)) => (a, b),
        None => (rest, ""),
    };
    let (scheme, rest) = match rest.find(':') {
        Some(i)
            if rest[..i]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                && i > 0 =>
        {
            (&rest[..i], &rest[i + 1..])
        }
        _ => ("", rest),
    };
    let (host, path, opaque) = if let Some(r) = rest.strip_prefix("//") {
        match r.find('/') {
            Some(i) => (&r[..i], &r[i..], ""),
            None => (r, "", ""),
        }
    } else if !scheme.is_empty() && !rest.starts_with('/') {
        ("", "", rest)
    } else {
        ("", rest, "")
    };
    let (userinfo, host) = match host.rsplit_once('@') {
        Some((u, h)) => (u, h),
        None => ("", host),
    };
    let hostname = if let Some(h) = host.strip_prefix('[') {
        h.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(h, p)| {
            if p.chars().all(|c| c.is_ascii_digit()) {
                h
            } else {
                host
            }
        })
    };
    m.insert("scheme".into(), Value::str(scheme));
    m.insert("host".into(), Value::str(host));
    m.insert("hostname".into(), Value::str(hostname));
    m.insert("path".into(), Value::str(path));
    m.insert("query".into(), Value::str(query));
    m.insert("opaque".into(), Value::str(opaque));
    m.insert("fragment".into(), Value::str(fragment));
    m.insert("userinfo".into(), Value::str(userinfo));
    Value::map(m)
}

/// Sprig's `urlJoin`: builds a URL from `urlParse`-style parts.
pub fn url_join(v: &Value) -> String {
    let Value::Map(m) = v else {
        return String::new();
    };
    let m = m.borrow();
    let g = |k: &str| m.get(k).map(strval).unwrap_or_default();
    let mut out = String::new();
    if !g("scheme").is_empty() {
        out.push_str(&g("scheme"));
        out.push(':');
    }
    if !g("opaque").is_empty() {
        out.push_str(&g("opaque"));
    } else {
        if !g("host").is_empty() || !g("userinfo").is_empty() || !g("scheme").is_empty() {
            out.push_str("//");
        }
        if !g("userinfo").is_empty() {
            out.push_str(&g("userinfo"));
            out.push('@');
        }
        out.push_str(&g("host"));
        let p = g("path");
        if !p.is_empty() && !p.starts_with('/') && !g("host").is_empty() {
            out.push('/');
        }
        out.push_str(&p);
    }
    if !g("query").is_empty() {
        out.push('?');
        out.push_str(&g("query"));
    }
    if !g("fragment").is_empty() {
        out.push('#');
        out.push_str(&g("fragment"));
    }
    out
}

/// Work units for indenting `s` by `n`: the bytes the padding adds, over 64.
/// The length of `indent n s`.
fn indent_size(n: usize, s: &str) -> u64 {
    let lines = s.matches('\n').count() as u64 + 1;
    (n as u64)
        .saturating_mul(lines)
        .saturating_add(s.len() as u64)
}

fn indent_cost(n: usize, s: &str) -> u64 {
    let lines = s.matches('\n').count() as u64 + 1;
    (n as u64).saturating_mul(lines) / 64 + s.len() as u64 / 64
}

/// Sprig's `indent`.
pub fn indent(n: usize, s: &str) -> String {
    let pad = " ".repeat(n);
    format!("{pad}{}", s.replace('\n', &format!("\n{pad}")))
}

/// A count for Go's `strings.Repeat`, which panics on a negative one.
fn repeat_count(n: i64) -> Result<usize, FnErr> {
    usize::try_from(n).map_err(|_| FnErr::Call("strings: negative Repeat count".into()))
}

/// Go's `strings.Split` (empty separator splits into UTF-8 characters).
pub fn go_split<'a>(s: &'a str, sep: &str) -> Vec<&'a str> {
    if sep.is_empty() {
        return s
            .char_indices()
            .map(|(i, c)| &s[i..i + c.len_utf8()])
            .collect();
    }
    s.split(sep).collect()
}

/// Sprig's `strslice`: a list of strings from a list (nils dropped) or a single value.
pub fn strslice(v: &Value) -> Vec<String> {
    match v {
        Value::List(l) => l.iter().filter(|e| !e.is_nil()).map(strval).collect(),
        Value::Nil => Vec::new(),
        other => vec![strval(other)],
    }
}

fn title(s: &str) -> String {
    let mut out = String::new();
    let mut prev_sep = true;
    for c in s.chars() {
        if prev_sep && c.is_alphabetic() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev_sep = !(c.is_alphanumeric() || c == '_');
    }
    out
}

fn untitle(s: &str) -> String {
    let mut out = String::new();
    let mut prev_space = true;
    for c in s.chars() {
        if prev_space && c.is_alphabetic() {
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
        prev_space = c.is_whitespace();
    }
    out
}

fn camelcase(s: &str) -> String {
    s.split(['_', ' ', '-'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut cs = w.chars();
            match cs.next() {
                Some(f) => f.to_uppercase().chain(cs).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}

fn sep_case(s: &str, sep: char) -> String {
    let mut out = String::new();
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' || c == '-' || c.is_whitespace() {
            if !out.ends_with(sep) && !out.is_empty() {
                out.push(sep);
            }
            continue;
        }
        if c.is_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if (prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower))
                && !out.ends_with(sep)
            {
                out.push(sep);
            }
        }
        out.extend(c.to_lowercase());
    }
    out
}

fn wrap(s: &str, width: usize, nl: &str) -> String {
    let mut out = String::new();
    let mut line_len = 0;
    for (i, w) in s.split(' ').enumerate() {
        if i > 0 {
            if line_len + 1 + w.len() > width && line_len > 0 {
                out.push_str(nl);
                line_len = 0;
            } else {
                out.push(' ');
                line_len += 1;
            }
        }
        out.push_str(w);
        line_len += w.len();
    }
    out
}

/// Go `path.Base`.
pub fn path_base(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return "/".into();
    }
    t.rsplit('/').next().unwrap_or(t).to_string()
}

/// Go `path.Dir`.
pub fn path_dir(p: &str) -> String {
    let dir = match p.rfind('/') {
        Some(i) => &p[..=i],
        None => "",
    };
    path_clean(dir)
}

/// Go `path.Clean`.
pub fn path_clean(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let j = parts.join("/");
    if rooted {
        format!("/{j}")
    } else if j.is_empty() {
        ".".into()
    } else {
        j
    }
}

fn compile(re: &str) -> Result<regex::Regex, String> {
    super::goregex::compile(re)
}

/// Compiles for a Sprig function: the `must…` variants return Go's error, the others use
/// `regexp.MustCompile`, whose panic the template engine reports as the call's error.
fn compile_for(re: &str, must: bool) -> Result<regex::Regex, FnErr> {
    compile(re).map_err(|e| {
        if must {
            FnErr::Call(e)
        } else {
            FnErr::Call(format!(
                "regexp: Compile({}): {e}",
                super::goregex::backquote(re)
            ))
        }
    })
}

fn regex_match(a: &[Value], must: bool) -> FnResult {
    arity("regexMatch", a, 2)?;
    match compile(s_arg(&a[0])?) {
        Ok(r) => Ok(Value::Bool(r.is_match(s_arg(&a[1])?))),
        Err(e) if must => Err(FnErr::Call(e)),
        Err(_) => Ok(Value::Bool(false)),
    }
}

fn regex_find(a: &[Value], must: bool) -> FnResult {
    arity("regexFind", a, 2)?;
    let r = compile_for(s_arg(&a[0])?, must)?;
    Ok(Value::str(r.find(s_arg(&a[1])?).map_or("", |m| m.as_str())))
}

fn regex_find_all(a: &[Value], must: bool) -> FnResult {
    arity("regexFindAll", a, 3)?;
    let n = i_arg(&a[2])?;
    let r = compile_for(s_arg(&a[0])?, must)?;
    let v = super::goregex::find_all(&r, s_arg(&a[1])?, n);
    Ok(Value::list(v.into_iter().map(Value::str).collect()))
}

fn regex_replace(c: &mut super::FnCtx, a: &[Value], must: bool, expand: bool) -> FnResult {
    arity("regexReplaceAll", a, 3)?;
    let (s, repl) = (s_arg(&a[1])?, s_arg(&a[2])?);
    let r = compile_for(s_arg(&a[0])?, must)?;
    // Matches are disjoint, so the captures a replacement refers to add up to at most the
    // subject once per reference.
    let count = r.find_iter(s).count() as u64;
    let refs = if expand {
        repl.matches('$').count() as u64
    } else {
        0
    };
    c.reserve(
        (s.len() as u64)
            .saturating_add(count.saturating_mul(repl.len() as u64))
            .saturating_add(refs.saturating_mul(s.len() as u64)),
    )?;
    Ok(Value::from(if expand {
        r.replace_all(s, repl).into_owned()
    } else {
        r.replace_all(s, regex::NoExpand(repl)).into_owned()
    }))
}

fn regex_split(a: &[Value], must: bool) -> FnResult {
    arity("regexSplit", a, 3)?;
    let n = i_arg(&a[2])?;
    let r = compile_for(s_arg(&a[0])?, must)?;
    let v = super::goregex::split(&r, s_arg(&a[1])?, n);
    Ok(Value::list(v.into_iter().map(Value::str).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(path_base("a/b/c.yaml"), "c.yaml");
        assert_eq!(path_dir("a/b/c.yaml"), "a/b");
        assert_eq!(path_clean("a/../b/./c/"), "b/c");
        assert_eq!(path_dir("c"), ".");
    }

    #[test]
    fn cases() {
        assert_eq!(title("hello world-x"), "Hello World-X");
        assert_eq!(sep_case("FirstName", '_'), "first_name");
        assert_eq!(camelcase("http_server"), "HttpServer");
        assert_eq!(indent(2, "a\nb"), "  a\n  b");
    }
}
