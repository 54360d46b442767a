//! Go regular expressions (RE2 syntax as Go's `regexp/syntax` parses it with the Perl
//! flags) run on the `regex` crate.
//!
//! The two dialects differ in ways that change results silently: Go's `\d`, `\w`, `\s` and
//! `\b` are ASCII while the crate's are Unicode; a `-` right after a class escape
//! (`[\w-.]`) is a literal in Go and an error in the crate; `&&`, `--`, `~~` and `[` are
//! plain characters in a Go class and set operations in the crate; `{` that does not start
//! a valid repetition is a literal in Go; `\Q…\E`, octal escapes and Go's set of Unicode
//! class names are Go's own. [`translate`] parses the Go syntax and writes an equivalent
//! pattern for the crate, or returns the error text Go gives (`error parsing regexp: …`).

use std::fmt::Write as _;

/// Go's limit on a repetition count.
const MAX_REPEAT: i64 = 1000;

/// Compiled patterns kept per thread: templates call the regex functions in loops with
/// the same few patterns.
const CACHE_SIZE: usize = 256;

thread_local! {
    static CACHE: std::cell::RefCell<std::collections::HashMap<String, Result<regex::Regex, String>>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// Compiles a Go regular expression. Errors are worded like Go's `regexp.Compile`.
pub fn compile(pattern: &str) -> Result<regex::Regex, String> {
    if let Some(r) = CACHE.with(|c| c.borrow().get(pattern).cloned()) {
        return r;
    }
    let r = compile_uncached(pattern);
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CACHE_SIZE {
            c.clear();
        }
        c.insert(pattern.to_string(), r.clone());
    });
    r
}

fn compile_uncached(pattern: &str) -> Result<regex::Regex, String> {
    let rust = translate(pattern)?;
    regex::RegexBuilder::new(&rust)
        .size_limit(1 << 22)
        .nest_limit(1000)
        .build()
        .map_err(|e| {
            format!(
                "error parsing regexp: {}",
                e.to_string().lines().last().unwrap_or("invalid")
            )
        })
}

fn go_err(code: &str, expr: &str) -> String {
    format!("error parsing regexp: {code}: `{expr}`")
}

/// Writes one literal character so that the crate reads it as that character, inside or
/// outside a class.
fn lit(out: &mut String, c: char) {
    if c.is_ascii_alphanumeric() || c == '_' || (!c.is_ascii() && !c.is_whitespace()) {
        out.push(c);
    } else {
        let _ = write!(out, "\\x{{{:X}}}", c as u32);
    }
}

/// Perl class escapes as Go defines them (ASCII only), as crate classes.
fn perl_class(c: char) -> Option<&'static str> {
    Some(match c {
        'd' => "[0-9]",
        'D' => "[^0-9]",
        's' => "[\\t\\n\\x0C\\r ]",
        'S' => "[^\\t\\n\\x0C\\r ]",
        'w' => "[0-9A-Za-z_]",
        'W' => "[^0-9A-Za-z_]",
        _ => return None,
    })
}

const POSIX: [&str; 14] = [
    "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct",
    "space", "upper", "word", "xdigit",
];

/// Unicode general categories Go knows (`unicode.Categories`).
const CATEGORIES: [&str; 40] = [
    "C", "Cc", "Cf", "Cn", "Co", "Cs", "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn",
    "N", "Nd", "Nl", "No", "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm",
    "So", "Z", "Zl", "Zp", "Zs", "LC", "Lc", "Any",
];

/// Go's `unicode.CategoryAliases`, keyed by their canonical form (see [`canonical`]).
const CATEGORY_ALIASES: [(&str, &str); 41] = [
    ("Casedletter", "LC"),
    ("Closepunctuation", "Pe"),
    ("Cntrl", "Cc"),
    ("Combiningmark", "M"),
    ("Connectorpunctuation", "Pc"),
    ("Control", "Cc"),
    ("Currencysymbol", "Sc"),
    ("Dashpunctuation", "Pd"),
    ("Decimalnumber", "Nd"),
    ("Digit", "Nd"),
    ("Enclosingmark", "Me"),
    ("Finalpunctuation", "Pf"),
    ("Format", "Cf"),
    ("Initialpunctuation", "Pi"),
    ("Letter", "L"),
    ("Letternumber", "Nl"),
    ("Lineseparator", "Zl"),
    ("Lowercaseletter", "Ll"),
    ("Mark", "M"),
    ("Mathsymbol", "Sm"),
    ("Modifierletter", "Lm"),
    ("Modifiersymbol", "Sk"),
    ("Nonspacingmark", "Mn"),
    ("Number", "N"),
    ("Openpunctuation", "Ps"),
    ("Other", "C"),
    ("Otherletter", "Lo"),
    ("Othernumber", "No"),
    ("Otherpunctuation", "Po"),
    ("Othersymbol", "So"),
    ("Paragraphseparator", "Zp"),
    ("Privateuse", "Co"),
    ("Punct", "P"),
    ("Punctuation", "P"),
    ("Separator", "Z"),
    ("Spaceseparator", "Zs"),
    ("Spacingmark", "Mc"),
    ("Surrogate", "Cs"),
    ("Symbol", "S"),
    ("Titlecaseletter", "Lt"),
    ("Uppercaseletter", "Lu"),
];

/// Go's script names that its lookup can reach (a canonical name has no underscore, so
/// only one-word script names match).
const SCRIPTS: &str = "Adlam Ahom Arabic Armenian Avestan Balinese Bamum Batak Bengali \
Bhaiksuki Bopomofo Brahmi Braille Buginese Buhid Carian Chakma Cham Cherokee Chorasmian Common \
Coptic Cuneiform Cypriot Cyrillic Deseret Devanagari Dogra Duployan Elbasan Elymaic Ethiopic \
Georgian Glagolitic Gothic Grantha Greek Gujarati Gurmukhi Han Hangul Hanunoo Hatran Hebrew \
Hiragana Inherited Javanese Kaithi Kannada Katakana Kawi Kharoshthi Khmer Khojki Khudawadi Lao \
Latin Lepcha Limbu Lisu Lycian Lydian Mahajani Makasar Malayalam Mandaic Manichaean Marchen \
Medefaidrin Miao Modi Mongolian Mro Multani Myanmar Nabataean Nandinagari Newa Nko Nushu Ogham \
Oriya Osage Osmanya Palmyrene Phoenician Rejang Runic Samaritan Saurashtra Sharada Shavian \
Siddham Sinhala Sogdian Soyombo Sundanese Syriac Tagalog Tagbanwa Takri Tamil Tangsa Tangut \
Telugu Thaana Thai Tibetan Tifinagh Tirhuta Toto Ugaritic Vai Vithkuqi Wancho Yezidi Yi";

/// Go's `canonicalName`: first letter upper case, the rest lower case, without `_`, `-`
/// and spaces.
fn canonical(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if matches!(c, '_' | '-' | ' ') {
            continue;
        }
        if out.is_empty() {
            out.push(c.to_ascii_uppercase());
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// The crate's name for a Go Unicode class name, or `None` when Go does not know it.
fn unicode_name(name: &str) -> Option<String> {
    let c = canonical(name);
    match c.as_str() {
        "Any" => return Some("Any".into()),
        "Assigned" => return Some("Assigned".into()),
        "Ascii" => return Some("ASCII".into()),
        "Lc" => return Some("LC".into()),
        _ => {}
    }
    if CATEGORIES.contains(&c.as_str()) {
        return Some(c);
    }
    if SCRIPTS.split_whitespace().any(|s| s == c) {
        return Some(c);
    }
    CATEGORY_ALIASES
        .iter()
        .find(|(k, _)| *k == c)
        .map(|(_, v)| (*v).to_string())
}

struct Tr<'a> {
    whole: &'a str,
    out: String,
}

impl Tr<'_> {
    /// Parses `\p…`/`\P…` at `s` (which starts with the backslash); writes the class.
    fn unicode_class<'s>(&mut self, s: &'s str) -> Result<&'s str, String> {
        let mut negate = s.as_bytes()[1] == b'P';
        let t = &s[2..];
        let Some(c) = t.chars().next() else {
            return Err(go_err("invalid character class range", s));
        };
        let (seq, name, rest) = if c != '{' {
            let n = 2 + c.len_utf8();
            (&s[..n], &s[2..n], &s[n..])
        } else {
            let Some(end) = s.find('}') else {
                return Err(go_err("invalid character class range", s));
            };
            (&s[..=end], &s[3..end], &s[end + 1..])
        };
        let mut name = name;
        if let Some(n) = name.strip_prefix('^') {
            negate = !negate;
            name = n;
        }
        let Some(rust) = unicode_name(name) else {
            return Err(go_err("invalid character class range", seq));
        };
        let _ = write!(self.out, "\\{}{{{rust}}}", if negate { 'P' } else { 'p' });
        Ok(rest)
    }

    /// Go's `parseEscape` for a single character: returns the character and the rest.
    fn escape_char<'s>(&self, s: &'s str) -> Result<(char, &'s str), String> {
        let mut it = s[1..].char_indices();
        let Some((_, c)) = it.next() else {
            return Err(go_err("trailing backslash at end of expression", ""));
        };
        let t = &s[1 + c.len_utf8()..];
        let bad = |consumed: usize| go_err("invalid escape sequence", &s[..consumed]);
        match c {
            '1'..='7' if !t.starts_with(|d: char| ('0'..='7').contains(&d)) => Err(bad(2)),
            '0'..='7' => {
                let mut r = c as u32 - '0' as u32;
                let mut rest = t;
                for _ in 0..2 {
                    match rest.as_bytes().first() {
                        Some(d @ b'0'..=b'7') => {
                            r = r * 8 + u32::from(d - b'0');
                            rest = &rest[1..];
                        }
                        _ => break,
                    }
                }
                Ok((char::from_u32(r).unwrap_or('\0'), rest))
            }
            'x' => {
                let Some(c2) = t.chars().next() else {
                    return Err(bad(2));
                };
                if c2 == '{' {
                    let mut r: u32 = 0;
                    for (i, d) in t[1..].char_indices() {
                        if d == '}' {
                            // No hex digit before the brace.
                            if i == 0 {
                                return Err(bad(3 + i + 1));
                            }
                            return match char::from_u32(r) {
                                Some(ch) => Ok((ch, &t[1 + i + 1..])),
                                None => Err(bad(3 + i + 1)),
                            };
                        }
                        let Some(v) = d.to_digit(16) else {
                            return Err(bad(3 + i + d.len_utf8()));
                        };
                        r = r * 16 + v;
                        if r > 0x10FFFF {
                            return Err(bad(3 + i + 1));
                        }
                    }
                    return Err(bad(s.len()));
                }
                let x = c2.to_digit(16);
                let t2 = &t[c2.len_utf8()..];
                let Some(c3) = t2.chars().next() else {
                    return Err(bad(2 + c2.len_utf8()));
                };
                match (x, c3.to_digit(16)) {
                    (Some(x), Some(y)) => Ok((
                        char::from_u32(x * 16 + y).unwrap_or('\0'),
                        &t2[c3.len_utf8()..],
                    )),
                    _ => Err(bad(2 + c2.len_utf8() + c3.len_utf8())),
                }
            }
            'a' => Ok(('\x07', t)),
            'f' => Ok(('\x0C', t)),
            'n' => Ok(('\n', t)),
            'r' => Ok(('\r', t)),
            't' => Ok(('\t', t)),
            'v' => Ok(('\x0B', t)),
            c if c.is_ascii() && !c.is_ascii_alphanumeric() => Ok((c, t)),
            c => Err(bad(1 + c.len_utf8())),
        }
    }

    /// A class character: an escape or a plain character.
    fn class_char<'s>(&self, s: &'s str, whole_class: &str) -> Result<(char, &'s str), String> {
        match s.chars().next() {
            None => Err(go_err("missing closing ]", whole_class)),
            Some('\\') => self.escape_char(s),
            Some(c) => Ok((c, &s[c.len_utf8()..])),
        }
    }

    /// Go's `parseClass`; `s` starts with `[`.
    fn class<'s>(&mut self, s: &'s str) -> Result<&'s str, String> {
        let mut t = &s[1..];
        self.out.push('[');
        if let Some(r) = t.strip_prefix('^') {
            self.out.push('^');
            t = r;
        }
        let mut first = true;
        while t.is_empty() || !t.starts_with(']') || first {
            first = false;
            if t.len() > 2 && t.starts_with("[:") {
                if let Some(i) = t[2..].find(":]") {
                    let name = &t[..i + 4];
                    let inner = &name[2..name.len() - 2];
                    let base = inner.strip_prefix('^').unwrap_or(inner);
                    if !POSIX.contains(&base) {
                        return Err(go_err("invalid character class range", name));
                    }
                    self.out.push_str(name);
                    t = &t[i + 4..];
                    continue;
                }
            }
            if t.len() > 2 && (t.starts_with("\\p") || t.starts_with("\\P")) {
                t = self.unicode_class(t)?;
                continue;
            }
            if t.len() >= 2 && t.starts_with('\\') {
                if let Some(cls) = t[1..].chars().next().and_then(perl_class) {
                    self.out.push_str(cls);
                    t = &t[2..];
                    continue;
                }
            }
            let rng = t;
            let (lo, rest) = self.class_char(t, s)?;
            t = rest;
            let mut hi = lo;
            if t.len() >= 2 && t.starts_with('-') && !t[1..].starts_with(']') {
                let (h, rest) = self.class_char(&t[1..], s)?;
                t = rest;
                hi = h;
                if hi < lo {
                    return Err(go_err(
                        "invalid character class range",
                        &rng[..rng.len() - t.len()],
                    ));
                }
            }
            lit(&mut self.out, lo);
            if hi != lo {
                self.out.push('-');
                lit(&mut self.out, hi);
            }
        }
        self.out.push(']');
        Ok(&t[1..])
    }
}

/// Go's `parseRepeat`: `{n}`, `{n,}` or `{n,m}` at the start of `s` (which starts with
/// `{`). Returns (min, max (-1: none), rest), or `None` when `{` is a literal.
fn parse_repeat(s: &str) -> Option<(i64, i64, &str)> {
    fn int(s: &str) -> Option<(i64, &str)> {
        let n = s.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 || (n >= 2 && s.starts_with('0')) {
            return None;
        }
        // Go reports numbers that overflow as -1 (an invalid count).
        let v = if n > 8 { -1 } else { s[..n].parse().ok()? };
        Some((v, &s[n..]))
    }
    let (min, t) = int(&s[1..])?;
    let (max, t) = if let Some(t) = t.strip_prefix(',') {
        if t.starts_with('}') {
            (-1, t)
        } else {
            let (m, t) = int(t)?;
            if m < 0 {
                (-2, t)
            } else {
                (m, t)
            }
        }
    } else {
        (min, t)
    };
    let t = t.strip_prefix('}')?;
    Some((min, max, t))
}

/// Translates a Go regular expression into the `regex` crate's syntax.
pub fn translate(pattern: &str) -> Result<String, String> {
    let mut tr = Tr {
        whole: pattern,
        out: String::with_capacity(pattern.len() + 16),
    };
    let mut t = pattern;
    let mut depth = 0usize;
    // Whether the last item can be repeated (Go: the stack top is an operand).
    let mut operand = false;
    // Text from the last repetition operator on, when the previous item was one.
    let mut last_repeat: Option<&str> = None;
    while let Some(c) = t.chars().next() {
        let mut repeat: Option<&str> = None;
        match c {
            '(' => {
                if t.starts_with("(?") {
                    t = tr.perl_flags(t, &mut depth, &mut operand)?;
                } else {
                    tr.out.push('(');
                    depth += 1;
                    operand = false;
                    t = &t[1..];
                }
            }
            '|' => {
                tr.out.push('|');
                operand = false;
                t = &t[1..];
            }
            ')' => {
                if depth == 0 {
                    return Err(go_err("unexpected )", tr.whole));
                }
                depth -= 1;
                tr.out.push(')');
                operand = true;
                t = &t[1..];
            }
            '^' | '$' | '.' => {
                tr.out.push(c);
                operand = true;
                t = &t[1..];
            }
            '[' => {
                t = tr.class(t)?;
                operand = true;
            }
            '*' | '+' | '?' | '{' => {
                let before = t;
                let (op, after) = if c == '{' {
                    match parse_repeat(t) {
                        None => {
                            lit(&mut tr.out, '{');
                            operand = true;
                            t = &t[1..];
                            last_repeat = None;
                            continue;
                        }
                        Some((min, max, after)) => {
                            if !(0..=MAX_REPEAT).contains(&min)
                                || max > MAX_REPEAT
                                || max == -2
                                || (max >= 0 && min > max)
                            {
                                return Err(go_err(
                                    "invalid repeat count",
                                    &before[..before.len() - after.len()],
                                ));
                            }
                            let op = if max == min {
                                format!("{{{min}}}")
                            } else if max < 0 {
                                format!("{{{min},}}")
                            } else {
                                format!("{{{min},{max}}}")
                            };
                            (op, after)
                        }
                    }
                } else {
                    (c.to_string(), &t[1..])
                };
                let (lazy, after) = match after.strip_prefix('?') {
                    Some(a) => (true, a),
                    None => (false, after),
                };
                if let Some(last) = last_repeat {
                    return Err(go_err(
                        "invalid nested repetition operator",
                        &last[..last.len() - after.len()],
                    ));
                }
                if !operand {
                    return Err(go_err(
                        "missing argument to repetition operator",
                        &before[..before.len() - after.len()],
                    ));
                }
                tr.out.push_str(&op);
                if lazy {
                    tr.out.push('?');
                }
                repeat = Some(before);
                t = after;
            }
            '\\' => {
                let next = t[1..].chars().next();
                match next {
                    Some('A') => tr.out.push_str("\\A"),
                    Some('z') => tr.out.push_str("\\z"),
                    Some('b') => tr.out.push_str("(?-u:\\b)"),
                    Some('B') => tr.out.push_str("(?-u:\\B)"),
                    Some('C') => return Err(go_err("invalid escape sequence", &t[..2])),
                    Some('Q') => {
                        let body = &t[2..];
                        let (lits, rest) = match body.find("\\E") {
                            Some(i) => (&body[..i], &body[i + 2..]),
                            None => (body, ""),
                        };
                        for ch in lits.chars() {
                            // One item per character, as Go pushes them.
                            tr.out.push_str("(?:");
                            lit(&mut tr.out, ch);
                            tr.out.push(')');
                        }
                        if !lits.is_empty() {
                            operand = true;
                        }
                        t = rest;
                        last_repeat = None;
                        continue;
                    }
                    Some('p' | 'P') if t.len() > 2 => {
                        t = tr.unicode_class(t)?;
                        operand = true;
                        last_repeat = None;
                        continue;
                    }
                    Some(e) if perl_class(e).is_some() => {
                        tr.out.push_str(perl_class(e).unwrap_or_default());
                    }
                    _ => {
                        let (ch, rest) = tr.escape_char(t)?;
                        lit(&mut tr.out, ch);
                        operand = true;
                        t = rest;
                        last_repeat = None;
                        continue;
                    }
                }
                operand = true;
                t = &t[2..];
            }
            _ => {
                lit(&mut tr.out, c);
                operand = true;
                t = &t[c.len_utf8()..];
            }
        }
        last_repeat = repeat;
    }
    if depth > 0 {
        return Err(go_err("missing closing )", tr.whole));
    }
    Ok(tr.out)
}

impl Tr<'_> {
    /// Go's `parsePerlFlags` for `(?…`: named groups, flag groups and flag settings.
    fn perl_flags<'s>(
        &mut self,
        s: &'s str,
        depth: &mut usize,
        operand: &mut bool,
    ) -> Result<&'s str, String> {
        let b = s.as_bytes();
        let with_p = b.len() > 4 && b[2] == b'P' && b[3] == b'<';
        let bare = b.len() > 3 && b[2] == b'<';
        if with_p || bare {
            let start = if with_p { 4 } else { 3 };
            let Some(end) = s.find('>') else {
                return Err(go_err("invalid named capture", s));
            };
            let name = &s[start..end];
            if name.is_empty() || !name.bytes().all(|c| c == b'_' || c.is_ascii_alphanumeric()) {
                return Err(go_err("invalid named capture", &s[..=end]));
            }
            let _ = write!(self.out, "(?P<{name}>");
            *depth += 1;
            *operand = false;
            return Ok(&s[end + 1..]);
        }
        let mut flags = String::new();
        let mut negated = false;
        let mut saw_flag = false;
        let mut consumed = 2;
        for c in s[2..].chars() {
            consumed += c.len_utf8();
            match c {
                'i' | 'm' | 's' | 'U' => {
                    flags.push(c);
                    saw_flag = true;
                }
                '-' if !negated => {
                    negated = true;
                    saw_flag = false;
                    flags.push('-');
                }
                ':' | ')' if !negated || saw_flag => {
                    if c == ':' {
                        let _ = write!(self.out, "(?{flags}:");
                        *depth += 1;
                        *operand = false;
                    } else if !flags.is_empty() {
                        let _ = write!(self.out, "(?{flags})");
                    }
                    return Ok(&s[consumed..]);
                }
                _ => break,
            }
        }
        Err(go_err("invalid or unsupported Perl syntax", &s[..consumed]))
    }
}

/// How `regexp.MustCompile` quotes a pattern in its panic: in backquotes when
/// `strconv.CanBackquote` allows, else `strconv.Quote`.
pub fn backquote(s: &str) -> String {
    let can = !s
        .chars()
        .any(|c| matches!(c, '`' | '\u{FEFF}' | '\u{7F}') || (c < ' ' && c != '\t'));
    if can {
        format!("`{s}`")
    } else {
        crate::fmt::go_quote(s)
    }
}

/// Go's `regexp.QuoteMeta`.
pub fn quote_meta(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Go's `Regexp.Split`.
pub fn split<'s>(re: &regex::Regex, s: &'s str, n: i64) -> Vec<&'s str> {
    if n == 0 {
        return Vec::new();
    }
    if s.is_empty() && !re.as_str().is_empty() {
        return vec![""];
    }
    let mut out = Vec::new();
    let (mut beg, mut end) = (0, 0);
    for m in re.find_iter(s) {
        if n > 0 && out.len() as i64 >= n - 1 {
            break;
        }
        end = m.start();
        if m.end() != 0 {
            out.push(&s[beg..end]);
        }
        beg = m.end();
    }
    if end != s.len() {
        out.push(&s[beg..]);
    }
    out
}

/// Go's `Regexp.FindAllString` with `n` (negative: all).
pub fn find_all<'s>(re: &regex::Regex, s: &'s str, n: i64) -> Vec<&'s str> {
    if n < 0 {
        re.find_iter(s).map(|m| m.as_str()).collect()
    } else {
        re.find_iter(s)
            .take(usize::try_from(n).unwrap_or(usize::MAX))
            .map(|m| m.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every case of `testdata/regex-go.jsonl` (recorded from Go's `regexp` package by
    /// `scripts/regex-truth`) through each function Sprig builds on it.
    #[test]
    fn matches_go_table() {
        let table = include_str!("../../testdata/regex-go.jsonl");
        let mut failures = Vec::new();
        let mut n = 0;
        for line in table.lines().filter(|l| !l.trim().is_empty()) {
            n += 1;
            let case: serde_json::Value = serde_json::from_str(line).expect("json line");
            let get = |k: &str| case[k].as_str().unwrap_or_default().to_string();
            let list = |k: &str| -> Vec<String> {
                case[k]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|v| v.as_str().unwrap_or_default().to_string())
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let (pat, input, repl) = (get("pattern"), get("input"), get("repl"));
            let count = case["n"].as_i64().unwrap_or(-1);
            let mut check = |what: &str, got: String, want: String| {
                if got != want {
                    failures.push(format!("{pat:?} {what}: got {got:?}, Go {want:?}"));
                }
            };
            check("quote_meta", quote_meta(&pat), get("quote_meta"));
            match compile(&pat) {
                Err(e) => check("error", e, get("error")),
                Ok(re) => {
                    check("error", String::new(), get("error"));
                    check(
                        "match",
                        re.is_match(&input).to_string(),
                        case["match"].to_string(),
                    );
                    let find = re.find(&input).map_or("", |m| m.as_str()).to_string();
                    check("find", find, get("find"));
                    check(
                        "find_all",
                        format!("{:?}", find_all(&re, &input, count)),
                        format!("{:?}", list("find_all")),
                    );
                    check(
                        "replace",
                        re.replace_all(&input, repl.as_str()).into_owned(),
                        get("replace"),
                    );
                    check(
                        "replace_literal",
                        re.replace_all(&input, regex::NoExpand(&repl)).into_owned(),
                        get("replace_literal"),
                    );
                    check(
                        "split",
                        format!("{:?}", split(&re, &input, count)),
                        format!("{:?}", list("split")),
                    );
                }
            }
        }
        assert!(n > 100, "table has {n} cases");
        assert!(
            failures.is_empty(),
            "{} differences:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    /// Syntax Go 1.22 and later accept (the table's recorder may run an older Go).
    #[test]
    fn newer_go_syntax() {
        let re = compile("(?<year>[0-9]{4})-x").expect("named group");
        assert_eq!(re.replace_all("2024-x", "${year}").as_ref(), "2024");
        assert_eq!(
            compile("(?<=a)b").err().as_deref(),
            Some("error parsing regexp: invalid named capture: `(?<=a)b`")
        );
        // Go 1.25: Unicode class names are matched loosely and category aliases exist.
        assert!(compile(r"\p{greek}").is_ok_and(|r| r.is_match("α")));
        assert!(compile(r"\p{Letter}+").is_ok_and(|r| r.is_match("é")));
        assert!(compile(r"\p{Alphabetic}").is_err());
    }
}
