//! The three glob dialects the git generator meets:
//!
//! - [`path_match`]: Go's `path.Match`, for `git.directories[].path`: anchored, `*` is a run
//!   of non-`/` characters (so `**` is `*`), `?` one non-`/` character, `[...]` classes with
//!   `^` negation and ranges, `\` escapes;
//! - [`pathspec_match`]: what `git ls-files -- PATTERN` selects (the default for
//!   `git.files[].path`): a wildcard-free pattern names a file or everything under a directory;
//!   otherwise git's `wildmatch` without `WM_PATHNAME`, where `*` and `**` also cross `/`;
//! - [`doublestar_match`]: bmatcuk/doublestar v4 (`--enable-new-git-file-globbing`): `*`
//!   stays in a path segment, a `**` segment spans zero or more segments, `{a,b}`
//!   alternatives.

/// A malformed pattern (Go's `path.ErrBadPattern`, "syntax error in pattern").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadPattern;

impl std::fmt::Display for BadPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("syntax error in pattern")
    }
}

/// Go's `path.Match(pattern, name)`.
pub fn path_match(pattern: &str, name: &str) -> Result<bool, BadPattern> {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let r = match_here(&p, &n)?;
    if !r {
        // Go checks the rest of the pattern for syntax errors even when it fails early.
        validate(&p)?;
    }
    Ok(r)
}

fn validate(p: &[char]) -> Result<(), BadPattern> {
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            '\\' => {
                if i + 1 >= p.len() {
                    return Err(BadPattern);
                }
                i += 2;
            }
            '[' => {
                let (_, next) = class(p, i, None)?;
                i = next;
            }
            _ => i += 1,
        }
    }
    Ok(())
}

/// Matches a character class starting at `p[i] == '['` against `c` (or just checks its
/// syntax when `c` is `None`); returns whether it matched and the index after `]`.
fn class(p: &[char], i: usize, c: Option<char>) -> Result<(bool, usize), BadPattern> {
    let mut j = i + 1;
    let negated = j < p.len() && p[j] == '^';
    if negated {
        j += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        if j >= p.len() {
            return Err(BadPattern);
        }
        if p[j] == ']' && !first {
            j += 1;
            break;
        }
        first = false;
        let lo = esc(p, &mut j)?;
        let mut hi = lo;
        if j < p.len() && p[j] == '-' {
            j += 1;
            if j >= p.len() || p[j] == ']' {
                return Err(BadPattern);
            }
            hi = esc(p, &mut j)?;
        }
        if let Some(c) = c {
            if lo <= c && c <= hi {
                matched = true;
            }
        }
    }
    Ok((matched != negated, j))
}

fn esc(p: &[char], j: &mut usize) -> Result<char, BadPattern> {
    match p.get(*j) {
        Some('\\') => {
            let c = *p.get(*j + 1).ok_or(BadPattern)?;
            *j += 2;
            Ok(c)
        }
        Some('-') | Some(']') | None => Err(BadPattern),
        Some(&c) => {
            *j += 1;
            Ok(c)
        }
    }
}

fn match_here(p: &[char], n: &[char]) -> Result<bool, BadPattern> {
    let (mut pi, mut ni) = (0, 0);
    // Backtracking point for the last `*`: (pattern index after the star, name index).
    let mut star: Option<(usize, usize)> = None;
    loop {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    while pi < p.len() && p[pi] == '*' {
                        pi += 1;
                    }
                    star = Some((pi, ni));
                    continue;
                }
                '?' if ni < n.len() && n[ni] != '/' => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                '[' if ni < n.len() => {
                    let (m, next) = class(p, pi, Some(n[ni]))?;
                    if m && n[ni] != '/' {
                        pi = next;
                        ni += 1;
                        continue;
                    }
                }
                '\\' => {
                    let c = *p.get(pi + 1).ok_or(BadPattern)?;
                    if ni < n.len() && n[ni] == c {
                        pi += 2;
                        ni += 1;
                        continue;
                    }
                }
                c if c != '?' && c != '[' && ni < n.len() && n[ni] == c => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                _ => {}
            }
        } else if ni == n.len() {
            return Ok(true);
        }
        // Mismatch: let the last star eat one more character, unless that is a `/`.
        match star {
            Some((sp, sn)) if sn < n.len() && n[sn] != '/' => {
                star = Some((sp, sn + 1));
                pi = sp;
                ni = sn + 1;
            }
            _ => return Ok(false),
        }
    }
}

fn has_wildcard(p: &str) -> bool {
    p.contains(['*', '?', '[', '\\'])
}

/// Whether `git ls-files -- PATTERN` lists the file `name` (a path relative to the
/// repository root). `""` and `.` select every file.
pub fn pathspec_match(pattern: &str, name: &str) -> bool {
    let pattern = pattern.strip_prefix("./").unwrap_or(pattern);
    if pattern.is_empty() || pattern == "." {
        return true;
    }
    let literal = pattern.trim_end_matches('/');
    if name == literal
        || (name.len() > literal.len()
            && name.starts_with(literal)
            && name.as_bytes()[literal.len()] == b'/')
    {
        return true;
    }
    has_wildcard(pattern) && wildmatch(pattern.as_bytes(), name.as_bytes())
}

/// git's `wildmatch` without `WM_PATHNAME`: `*` and `**` match any run of bytes, `?` any
/// byte, `[...]`/`[!...]` classes (with `[:alpha:]`-style names), `\` escapes.
pub fn wildmatch(p: &[u8], t: &[u8]) -> bool {
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    loop {
        if pi < p.len() {
            match p[pi] {
                b'*' => {
                    while pi < p.len() && p[pi] == b'*' {
                        pi += 1;
                    }
                    if pi == p.len() {
                        return true;
                    }
                    star = Some((pi, ti));
                    continue;
                }
                b'?' if ti < t.len() => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                b'[' if ti < t.len() => match byte_class(p, pi, t[ti]) {
                    Some((true, next)) => {
                        pi = next;
                        ti += 1;
                        continue;
                    }
                    Some((false, _)) => {}
                    None => return false,
                },
                b'\\' if pi + 1 < p.len() && ti < t.len() && t[ti] == p[pi + 1] => {
                    pi += 2;
                    ti += 1;
                    continue;
                }
                c if c != b'?' && c != b'[' && ti < t.len() && t[ti] == c => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                _ => {}
            }
        } else if ti == t.len() {
            return true;
        }
        match star {
            Some((sp, st)) if st < t.len() => {
                star = Some((sp, st + 1));
                pi = sp;
                ti = st + 1;
            }
            _ => return false,
        }
    }
}

/// A wildmatch bracket expression at `p[i] == b'['` against `c`: whether it matched and the
/// index after `]`; `None` for a malformed class (no match at all).
fn byte_class(p: &[u8], i: usize, c: u8) -> Option<(bool, usize)> {
    let mut j = i + 1;
    let negated = matches!(p.get(j), Some(b'!' | b'^'));
    if negated {
        j += 1;
    }
    let mut matched = false;
    let mut prev: Option<u8> = None;
    let mut first = true;
    loop {
        let ch = *p.get(j)?;
        if ch == b']' && !first {
            break;
        }
        first = false;
        if ch == b'\\' {
            j += 1;
            let e = *p.get(j)?;
            matched |= c == e;
            prev = Some(e);
        } else if ch == b'-' && prev.is_some() && p.get(j + 1).is_some_and(|&n| n != b']') {
            j += 1;
            let mut hi = p[j];
            if hi == b'\\' {
                j += 1;
                hi = *p.get(j)?;
            }
            let lo = prev.unwrap_or(0);
            matched |= lo <= c && c <= hi;
            prev = None;
        } else if ch == b'[' && p.get(j + 1) == Some(&b':') {
            let start = j + 2;
            let end = start + p[start..].windows(2).position(|w| w == b":]")?;
            let name = &p[start..end];
            matched |= match name {
                b"alnum" => c.is_ascii_alphanumeric(),
                b"alpha" => c.is_ascii_alphabetic(),
                b"blank" => c == b' ' || c == b'\t',
                b"cntrl" => c.is_ascii_control(),
                b"digit" => c.is_ascii_digit(),
                b"graph" => c.is_ascii_graphic(),
                b"lower" => c.is_ascii_lowercase(),
                b"print" => c.is_ascii_graphic() || c == b' ',
                b"punct" => c.is_ascii_punctuation(),
                b"space" => c.is_ascii_whitespace(),
                b"upper" => c.is_ascii_uppercase(),
                b"xdigit" => c.is_ascii_hexdigit(),
                _ => return None,
            };
            j = end + 1;
            prev = None;
        } else {
            matched |= c == ch;
            prev = Some(ch);
        }
        j += 1;
    }
    Some((matched != negated, j + 1))
}

/// doublestar v4's `Match` of a `/`-separated pattern against a path: `**` as a whole
/// segment spans zero or more segments, `*` and `?` stay inside a segment, `{a,b}` picks an
/// alternative, `[...]` classes (`^` or `!` negates), `\` escapes.
pub fn doublestar_match(pattern: &str, name: &str) -> bool {
    expand_braces(pattern, 0)
        .iter()
        .any(|p| segments_match(&split(p), &split(name)))
}

fn split(s: &str) -> Vec<&str> {
    s.split('/').collect()
}

fn segments_match(p: &[&str], n: &[&str]) -> bool {
    match p.split_first() {
        None => n.is_empty(),
        Some((&"**", rest)) => (0..=n.len()).any(|k| segments_match(rest, &n[k..])),
        Some((seg, rest)) => match n.split_first() {
            Some((nseg, nrest)) => {
                matches!(path_match(seg, nseg), Ok(true)) && segments_match(rest, nrest)
            }
            None => false,
        },
    }
}

/// `{a,b}` alternatives, expanded (nested braces too); at most 1,000 alternatives.
fn expand_braces(p: &str, depth: usize) -> Vec<String> {
    let bytes = p.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'{' => {
                let mut level = 0;
                let mut parts = Vec::new();
                let mut start = i + 1;
                let mut j = i;
                while j < bytes.len() {
                    match bytes[j] {
                        b'\\' => j += 1,
                        b'{' => level += 1,
                        b'}' => {
                            level -= 1;
                            if level == 0 {
                                parts.push(&p[start..j]);
                                break;
                            }
                        }
                        b',' if level == 1 => {
                            parts.push(&p[start..j]);
                            start = j + 1;
                        }
                        _ => {}
                    }
                    j += 1;
                }
                if j >= bytes.len() || depth > 8 {
                    return vec![p.to_string()];
                }
                let (head, tail) = (&p[..i], &p[j + 1..]);
                let mut out = Vec::new();
                for part in parts {
                    for rest in expand_braces(&format!("{part}{tail}"), depth + 1) {
                        if out.len() >= 1000 {
                            return out;
                        }
                        out.push(format!("{head}{rest}"));
                    }
                }
                return out;
            }
            _ => i += 1,
        }
    }
    vec![p.to_string()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_path_match() {
        assert_eq!(path_match("*", "app1"), Ok(true));
        assert_eq!(path_match("*", "p1/app4"), Ok(false));
        assert_eq!(path_match("p1/*", "p1/app2"), Ok(true));
        assert_eq!(path_match("**", "a/b"), Ok(false));
        assert_eq!(path_match("a?c", "abc"), Ok(true));
        assert_eq!(path_match("[a-c]x", "bx"), Ok(true));
        assert_eq!(path_match("[^a-c]x", "bx"), Ok(false));
        assert_eq!(path_match("a\\*", "a*"), Ok(true));
        assert_eq!(path_match("[", "a"), Err(BadPattern));
        assert_eq!(path_match("a[", "b"), Err(BadPattern));
    }

    #[test]
    fn git_pathspecs() {
        assert!(pathspec_match("dir/*.yaml", "dir/a/b/c.yaml"));
        assert!(pathspec_match("a/*/*/v.yaml", "a/x/y/z/v.yaml"));
        assert!(!pathspec_match("**/x.json", "x.json"));
        assert!(pathspec_match("**/x.json", "a/x.json"));
        assert!(pathspec_match("docs", "docs/a/b.md"));
        assert!(!pathspec_match("doc", "docs/a.md"));
        assert!(pathspec_match(
            "cluster-config/**/config.json",
            "cluster-config/production/config.json"
        ));
        assert!(pathspec_match("", "anything"));
        assert!(pathspec_match("c[ab]/[[:digit:]].json", "cb/7.json"));
    }

    #[test]
    fn doublestar() {
        assert!(doublestar_match("**/config.json", "config.json"));
        assert!(doublestar_match("**/config.json", "a/b/config.json"));
        assert!(!doublestar_match("a/*.yaml", "a/b/c.yaml"));
        assert!(doublestar_match("a/*/*/v.yaml", "a/x/y/v.yaml"));
        assert!(!doublestar_match("a/*/*/v.yaml", "a/x/y/z/v.yaml"));
        assert!(doublestar_match("p1/**/config.json", "p1/x/config.json"));
        assert!(doublestar_match("{a,b}/c", "b/c"));
    }
}
