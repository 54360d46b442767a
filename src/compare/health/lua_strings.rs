//! Lua's pattern functions (`string.find`, `match`, `gmatch`, `gsub`) for health scripts,
//! metered, and a bounded `string.rep`.
//!
//! Lua's count and call hooks run between instructions and calls, never inside a C function,
//! so one call of Lua's own `string.find` with a backtracking pattern
//! (`("a?"):rep(30) .. ("a"):rep(30)`) would run for minutes past the script's time budget.
//! These functions implement Lua 5.1's pattern matching (character classes, sets, the
//! quantifiers `* + - ?`, anchors, captures and position captures, `%b`, `%f`,
//! back-references) with the same results, and count every step of the matcher against the
//! run's budget: the deadline is checked every [`CLOCK_EVERY`] steps and a call stops after
//! [`MAX_STEPS`] steps, so the script's time budget holds inside a call too. `string.rep`
//! refuses results longer than [`MAX_STRING`] instead of copying for seconds until the memory
//! limit. A spent budget is an error the script cannot catch (see the `pcall` wrappers).

use std::cell::Cell;
use std::rc::Rc;
use std::time::Instant;

use mlua::{Lua, MultiValue, Table, Value};

/// Steps one pattern call may take.
pub const MAX_STEPS: u64 = 50_000_000;
/// How many steps pass between two looks at the clock.
const CLOCK_EVERY: u64 = 4096;
/// Longest string `string.rep` builds.
pub const MAX_STRING: usize = 16 << 20;
/// Most captures of a pattern (Lua's `LUA_MAXCAPTURES`).
const MAX_CAPTURES: usize = 32;
/// Deepest recursion of the matcher (pattern items nested through quantifiers and captures).
const MAX_DEPTH: usize = 200;
const ESC: u8 = b'%';

/// Why a match stopped early.
#[derive(Debug)]
enum Stop {
    /// The pattern is malformed.
    Pattern(String),
    /// The budget (steps or the run's deadline) is spent.
    Budget(String),
}

#[derive(Clone, Copy, Debug)]
enum CapLen {
    Unclosed,
    Position,
    Len(usize),
}

struct Matcher<'a> {
    src: &'a [u8],
    pat: &'a [u8],
    caps: Vec<(usize, CapLen)>,
    steps: u64,
    depth: usize,
    deadline: Option<Instant>,
}

fn class_matches(class: u8, c: u8) -> bool {
    let res = match class.to_ascii_lowercase() {
        b'a' => c.is_ascii_alphabetic(),
        b'c' => c.is_ascii_control(),
        b'd' => c.is_ascii_digit(),
        b'l' => c.is_ascii_lowercase(),
        b'p' => c.is_ascii_punctuation(),
        b's' => matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'),
        b'u' => c.is_ascii_uppercase(),
        b'w' => c.is_ascii_alphanumeric(),
        b'x' => c.is_ascii_hexdigit(),
        b'z' => c == 0,
        _ => return class == c,
    };
    if class.is_ascii_uppercase() {
        !res
    } else {
        res
    }
}

impl<'a> Matcher<'a> {
    fn new(src: &'a [u8], pat: &'a [u8], deadline: Option<Instant>) -> Self {
        Matcher {
            src,
            pat,
            caps: Vec::new(),
            steps: 0,
            depth: 0,
            deadline,
        }
    }

    fn step(&mut self) -> Result<(), Stop> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return Err(Stop::Budget(format!(
                "the pattern takes more than {MAX_STEPS} steps on this string"
            )));
        }
        if self.steps.is_multiple_of(CLOCK_EVERY)
            && self.deadline.is_some_and(|d| Instant::now() > d)
        {
            return Err(Stop::Budget("context deadline exceeded".to_string()));
        }
        Ok(())
    }

    /// The end of the single-character class starting at `p`.
    fn class_end(&self, mut p: usize) -> Result<usize, Stop> {
        let pat = self.pat;
        let c = pat[p];
        p += 1;
        if c == ESC {
            if p >= pat.len() {
                return Err(Stop::Pattern(
                    "malformed pattern (ends with '%')".to_string(),
                ));
            }
            return Ok(p + 1);
        }
        if c == b'[' {
            if pat.get(p) == Some(&b'^') {
                p += 1;
            }
            // Look for a `]`; the first byte of the set is a member even if it is one.
            loop {
                if p >= pat.len() {
                    return Err(Stop::Pattern("malformed pattern (missing ']')".to_string()));
                }
                let c = pat[p];
                p += 1;
                if c == ESC {
                    p += 1;
                }
                if pat.get(p) == Some(&b']') {
                    return Ok(p + 1);
                }
            }
        }
        Ok(p)
    }

    /// Whether `c` is in the set `pat[p..=ec]` (`p` at `[`, `ec` at the closing `]`).
    fn in_set(&self, c: u8, mut p: usize, ec: usize) -> bool {
        let pat = self.pat;
        let mut sig = true;
        if pat.get(p + 1) == Some(&b'^') {
            sig = false;
            p += 1;
        }
        p += 1;
        while p < ec {
            if pat[p] == ESC {
                p += 1;
                if p < ec && class_matches(pat[p], c) {
                    return sig;
                }
                p += 1;
            } else if p + 2 < ec && pat[p + 1] == b'-' {
                if pat[p] <= c && c <= pat[p + 2] {
                    return sig;
                }
                p += 3;
            } else {
                if pat[p] == c {
                    return sig;
                }
                p += 1;
            }
        }
        !sig
    }

    fn single_match(&self, s: usize, p: usize, ep: usize) -> bool {
        let Some(&c) = self.src.get(s) else {
            return false;
        };
        match self.pat[p] {
            b'.' => true,
            ESC => class_matches(self.pat[p + 1], c),
            b'[' => self.in_set(c, p, ep - 1),
            pc => pc == c,
        }
    }

    fn do_match(&mut self, s: usize, p: usize) -> Result<Option<usize>, Stop> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.depth -= 1;
            return Err(Stop::Pattern("pattern too complex".to_string()));
        }
        let r = self.match_inner(s, p);
        self.depth -= 1;
        r
    }

    fn match_inner(&mut self, mut s: usize, mut p: usize) -> Result<Option<usize>, Stop> {
        let pat = self.pat;
        loop {
            self.step()?;
            if p >= pat.len() {
                return Ok(Some(s));
            }
            match pat[p] {
                b'(' => {
                    return if pat.get(p + 1) == Some(&b')') {
                        self.start_capture(s, p + 2, CapLen::Position)
                    } else {
                        self.start_capture(s, p + 1, CapLen::Unclosed)
                    };
                }
                b')' => return self.end_capture(s, p + 1),
                ESC if pat.get(p + 1) == Some(&b'b') => match self.match_balance(s, p + 2)? {
                    Some(e) => {
                        s = e;
                        p += 4;
                        continue;
                    }
                    None => return Ok(None),
                },
                ESC if pat.get(p + 1) == Some(&b'f') => {
                    p += 2;
                    if pat.get(p) != Some(&b'[') {
                        return Err(Stop::Pattern(
                            "missing '[' after '%f' in pattern".to_string(),
                        ));
                    }
                    let ep = self.class_end(p)?;
                    let prev = if s == 0 { 0 } else { self.src[s - 1] };
                    let cur = self.src.get(s).copied().unwrap_or(0);
                    if !self.in_set(prev, p, ep - 1) && self.in_set(cur, p, ep - 1) {
                        p = ep;
                        continue;
                    }
                    return Ok(None);
                }
                ESC if pat.get(p + 1).is_some_and(u8::is_ascii_digit) => {
                    match self.match_capture(s, pat[p + 1])? {
                        Some(e) => {
                            s = e;
                            p += 2;
                            continue;
                        }
                        None => return Ok(None),
                    }
                }
                b'$' if p + 1 == pat.len() => {
                    return Ok((s == self.src.len()).then_some(s));
                }
                _ => {}
            }
            let ep = self.class_end(p)?;
            let m = self.single_match(s, p, ep);
            match pat.get(ep) {
                Some(b'?') => {
                    if m {
                        if let Some(r) = self.do_match(s + 1, ep + 1)? {
                            return Ok(Some(r));
                        }
                    }
                    p = ep + 1;
                }
                Some(b'*') => return self.max_expand(s, p, ep),
                Some(b'+') => {
                    return if m {
                        self.max_expand(s + 1, p, ep)
                    } else {
                        Ok(None)
                    }
                }
                Some(b'-') => return self.min_expand(s, p, ep),
                _ => {
                    if !m {
                        return Ok(None);
                    }
                    s += 1;
                    p = ep;
                }
            }
        }
    }

    fn max_expand(&mut self, s: usize, p: usize, ep: usize) -> Result<Option<usize>, Stop> {
        let mut i = 0;
        while self.single_match(s + i, p, ep) {
            self.step()?;
            i += 1;
        }
        loop {
            if let Some(r) = self.do_match(s + i, ep + 1)? {
                return Ok(Some(r));
            }
            if i == 0 {
                return Ok(None);
            }
            i -= 1;
        }
    }

    fn min_expand(&mut self, mut s: usize, p: usize, ep: usize) -> Result<Option<usize>, Stop> {
        loop {
            if let Some(r) = self.do_match(s, ep + 1)? {
                return Ok(Some(r));
            }
            if self.single_match(s, p, ep) {
                s += 1;
            } else {
                return Ok(None);
            }
        }
    }

    fn start_capture(&mut self, s: usize, p: usize, what: CapLen) -> Result<Option<usize>, Stop> {
        if self.caps.len() >= MAX_CAPTURES {
            return Err(Stop::Pattern("too many captures".to_string()));
        }
        self.caps.push((s, what));
        let r = self.do_match(s, p)?;
        if r.is_none() {
            self.caps.pop();
        }
        Ok(r)
    }

    fn end_capture(&mut self, s: usize, p: usize) -> Result<Option<usize>, Stop> {
        let l = self
            .caps
            .iter()
            .rposition(|(_, l)| matches!(l, CapLen::Unclosed))
            .ok_or_else(|| Stop::Pattern("invalid pattern capture".to_string()))?;
        self.caps[l].1 = CapLen::Len(s - self.caps[l].0);
        let r = self.do_match(s, p)?;
        if r.is_none() {
            self.caps[l].1 = CapLen::Unclosed;
        }
        Ok(r)
    }

    fn match_balance(&mut self, s: usize, p: usize) -> Result<Option<usize>, Stop> {
        if p + 1 >= self.pat.len() {
            return Err(Stop::Pattern("unbalanced pattern".to_string()));
        }
        let (open, close) = (self.pat[p], self.pat[p + 1]);
        if self.src.get(s) != Some(&open) {
            return Ok(None);
        }
        let mut cont = 1;
        let mut i = s + 1;
        while i < self.src.len() {
            self.step()?;
            let c = self.src[i];
            if c == close {
                cont -= 1;
                if cont == 0 {
                    return Ok(Some(i + 1));
                }
            } else if c == open {
                cont += 1;
            }
            i += 1;
        }
        Ok(None)
    }

    fn match_capture(&mut self, s: usize, digit: u8) -> Result<Option<usize>, Stop> {
        let cap = usize::from(digit)
            .checked_sub(usize::from(b'1'))
            .and_then(|l| self.caps.get(l));
        let (start, len) = match cap {
            Some((start, CapLen::Len(len))) => (*start, *len),
            // A position capture never matches text (Lua compares an impossible length).
            Some((_, CapLen::Position)) => return Ok(None),
            _ => return Err(Stop::Pattern("invalid capture index".to_string())),
        };
        for _ in 0..len / 64 {
            self.step()?;
        }
        if self.src.len() - s >= len && self.src[start..start + len] == self.src[s..s + len] {
            Ok(Some(s + len))
        } else {
            Ok(None)
        }
    }

    /// Capture `i` (or the whole match `s..e` when the pattern has none and `i == 0`).
    fn capture(&self, lua: &Lua, i: usize, s: usize, e: usize) -> mlua::Result<Value> {
        if i >= self.caps.len() {
            if i == 0 {
                return Ok(Value::String(lua.create_string(&self.src[s..e])?));
            }
            return Err(mlua::Error::runtime("invalid capture index"));
        }
        match self.caps[i] {
            (_, CapLen::Unclosed) => Err(mlua::Error::runtime("unfinished capture")),
            (start, CapLen::Position) => Ok(Value::Integer((start + 1) as mlua::Integer)),
            (start, CapLen::Len(len)) => Ok(Value::String(
                lua.create_string(&self.src[start..start + len])?,
            )),
        }
    }

    /// All captures, or the whole match when there are none (`whole`).
    fn captures(&self, lua: &Lua, s: usize, e: usize, whole: bool) -> mlua::Result<MultiValue> {
        let n = if self.caps.is_empty() && whole {
            1
        } else {
            self.caps.len()
        };
        (0..n).map(|i| self.capture(lua, i, s, e)).collect()
    }
}

fn stop_err(name: &str, stop: Stop) -> mlua::Error {
    match stop {
        Stop::Pattern(m) => mlua::Error::runtime(format!("bad argument to '{name}' ({m})")),
        Stop::Budget(m) => mlua::Error::runtime(format!("string.{name}: {m}")),
    }
}

/// Lua's relative string position (`posrelat`): negative counts from the end.
fn posrelat(pos: i64, len: usize) -> i64 {
    if pos < 0 {
        pos + len as i64 + 1
    } else {
        pos
    }
}

/// The byte string of argument `i` (numbers are converted as Lua does).
fn arg_str(lua: &Lua, args: &MultiValue, i: usize, name: &str) -> mlua::Result<Vec<u8>> {
    match args.get(i) {
        Some(Value::String(s)) => Ok(s.as_bytes().to_vec()),
        Some(v @ (Value::Integer(_) | Value::Number(_))) => {
            let s: mlua::LuaString = lua.coerce_string(v.clone())?.ok_or_else(|| {
                mlua::Error::runtime(format!("bad argument #{} to '{name}'", i + 1))
            })?;
            Ok(s.as_bytes().to_vec())
        }
        other => Err(mlua::Error::runtime(format!(
            "bad argument #{} to '{name}' (string expected, got {})",
            i + 1,
            other.map_or("no value", Value::type_name)
        ))),
    }
}

fn arg_int(args: &MultiValue, i: usize, default: i64, name: &str) -> mlua::Result<i64> {
    match args.get(i) {
        None | Some(Value::Nil) => Ok(default),
        Some(Value::Integer(n)) => Ok(*n),
        Some(Value::Number(n)) => Ok(*n as i64),
        Some(Value::String(s)) => s
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse::<f64>().ok())
            .map(|f| f as i64)
            .ok_or_else(|| {
                mlua::Error::runtime(format!(
                    "bad argument #{} to '{name}' (number expected)",
                    i + 1
                ))
            }),
        Some(v) => Err(mlua::Error::runtime(format!(
            "bad argument #{} to '{name}' (number expected, got {})",
            i + 1,
            v.type_name()
        ))),
    }
}

/// The run's deadline, from the engine's budget.
type Deadline = Rc<dyn Fn(&Lua) -> Option<Instant>>;

fn str_find(
    lua: &Lua,
    args: MultiValue,
    find: bool,
    deadline: &Deadline,
) -> mlua::Result<MultiValue> {
    let name = if find { "find" } else { "match" };
    let s = arg_str(lua, &args, 0, name)?;
    let p = arg_str(lua, &args, 1, name)?;
    let mut init = posrelat(arg_int(&args, 2, 1, name)?, s.len()) - 1;
    if init < 0 {
        init = 0;
    } else if init as usize > s.len() {
        init = s.len() as i64;
    }
    let init = init as usize;
    let plain = matches!(args.get(3), Some(v) if !matches!(v, Value::Nil | Value::Boolean(false)));
    let nil = || Ok(MultiValue::from_iter([Value::Nil]));
    if find && (plain || !p.iter().any(|b| b"^$*+?.([%-".contains(b))) {
        // A plain search: linear with memchr-like scanning, budgeted by its length.
        let mut m = Matcher::new(&s, &p, deadline(lua));
        if p.is_empty() {
            return Ok(MultiValue::from_iter([
                Value::Integer(init as i64 + 1),
                Value::Integer(init as i64),
            ]));
        }
        let mut i = init;
        while i + p.len() <= s.len() {
            for _ in 0..p.len() / 64 + 1 {
                m.step().map_err(|e| stop_err(name, e))?;
            }
            if s[i..i + p.len()] == p[..] {
                return Ok(MultiValue::from_iter([
                    Value::Integer(i as i64 + 1),
                    Value::Integer((i + p.len()) as i64),
                ]));
            }
            i += 1;
        }
        return nil();
    }
    let anchor = p.first() == Some(&b'^');
    let pstart = usize::from(anchor);
    let pat = &p[pstart..];
    let mut m = Matcher::new(&s, pat, deadline(lua));
    let mut s1 = init;
    loop {
        m.caps.clear();
        if let Some(e) = m.do_match(s1, 0).map_err(|e| stop_err(name, e))? {
            if find {
                let mut out = MultiValue::from_iter([
                    Value::Integer(s1 as i64 + 1),
                    Value::Integer(e as i64),
                ]);
                out.extend(m.captures(lua, s1, e, false)?);
                return Ok(out);
            }
            return m.captures(lua, s1, e, true);
        }
        s1 += 1;
        if s1 > s.len() || anchor {
            return nil();
        }
    }
}

fn str_gmatch(lua: &Lua, args: MultiValue, deadline: Deadline) -> mlua::Result<mlua::Function> {
    let s = arg_str(lua, &args, 0, "gmatch")?;
    let p = arg_str(lua, &args, 1, "gmatch")?;
    let pos = Cell::new(0usize);
    lua.create_function(move |lua, ()| {
        // Lua 5.1's gmatch has no anchor: `^` is an ordinary character here.
        let mut m = Matcher::new(&s, &p, deadline(lua));
        let mut src = pos.get();
        while src <= s.len() {
            m.caps.clear();
            if let Some(e) = m.do_match(src, 0).map_err(|e| stop_err("gmatch", e))? {
                pos.set(if e == src { e + 1 } else { e });
                return m.captures(lua, src, e, true);
            }
            src += 1;
        }
        pos.set(s.len() + 1);
        Ok(MultiValue::from_iter([Value::Nil]))
    })
}

fn str_gsub(lua: &Lua, args: MultiValue, deadline: &Deadline) -> mlua::Result<MultiValue> {
    let s = arg_str(lua, &args, 0, "gsub")?;
    let p = arg_str(lua, &args, 1, "gsub")?;
    let repl = args.get(2).cloned().unwrap_or(Value::Nil);
    let repl_str = match &repl {
        Value::String(_) | Value::Integer(_) | Value::Number(_) => {
            Some(arg_str(lua, &args, 2, "gsub")?)
        }
        Value::Table(_) | Value::Function(_) => None,
        other => {
            return Err(mlua::Error::runtime(format!(
                "bad argument #3 to 'gsub' (string/function/table expected, got {})",
                other.type_name()
            )))
        }
    };
    let max_n = arg_int(&args, 3, s.len() as i64 + 1, "gsub")?;
    let anchor = p.first() == Some(&b'^');
    let pat = &p[usize::from(anchor)..];
    let mut m = Matcher::new(&s, pat, deadline(lua));
    let mut out: Vec<u8> = Vec::new();
    let mut src = 0usize;
    let mut n = 0i64;
    while n < max_n {
        m.caps.clear();
        let e = m.do_match(src, 0).map_err(|e| stop_err("gsub", e))?;
        if let Some(e) = e {
            n += 1;
            // The replacement.
            let value: Value = match (&repl_str, &repl) {
                (Some(r), _) => {
                    let mut i = 0;
                    while i < r.len() {
                        m.step().map_err(|e| stop_err("gsub", e))?;
                        if r[i] != ESC {
                            out.push(r[i]);
                        } else {
                            i += 1;
                            match r.get(i) {
                                Some(d) if d.is_ascii_digit() => {
                                    if *d == b'0' {
                                        out.extend_from_slice(&s[src..e]);
                                    } else {
                                        let v = m.capture(lua, usize::from(d - b'1'), src, e)?;
                                        match v {
                                            Value::String(c) => {
                                                out.extend_from_slice(&c.as_bytes())
                                            }
                                            Value::Integer(k) => {
                                                out.extend_from_slice(k.to_string().as_bytes())
                                            }
                                            _ => {}
                                        }
                                    }
                                }
                                Some(c) => out.push(*c),
                                None => {}
                            }
                        }
                        i += 1;
                    }
                    Value::Nil
                }
                (None, Value::Table(t)) => t.get(m.capture(lua, 0, src, e)?)?,
                (None, Value::Function(f)) => f.call(m.captures(lua, src, e, true)?)?,
                _ => Value::Nil,
            };
            if repl_str.is_none() {
                match value {
                    Value::Nil | Value::Boolean(false) => out.extend_from_slice(&s[src..e]),
                    Value::String(v) => out.extend_from_slice(&v.as_bytes()),
                    v @ (Value::Integer(_) | Value::Number(_)) => {
                        if let Some(v) = lua.coerce_string(v)? {
                            out.extend_from_slice(&v.as_bytes());
                        }
                    }
                    v => {
                        return Err(mlua::Error::runtime(format!(
                            "invalid replacement value (a {})",
                            v.type_name()
                        )))
                    }
                }
            }
            if out.len() > MAX_STRING {
                return Err(mlua::Error::runtime(format!(
                    "string.gsub: the result would be longer than {}",
                    crate::limits::human_bytes(MAX_STRING)
                )));
            }
            if e > src {
                src = e;
            } else if src < s.len() {
                out.push(s[src]);
                src += 1;
            } else {
                break;
            }
        } else if src < s.len() {
            out.push(s[src]);
            src += 1;
        } else {
            break;
        }
        if anchor {
            break;
        }
    }
    if src < s.len() {
        out.extend_from_slice(&s[src..]);
    }
    Ok(MultiValue::from_iter([
        Value::String(lua.create_string(&out)?),
        Value::Integer(n),
    ]))
}

/// Replaces the pattern functions and `rep` of the string library table `string`;
/// `deadline` gives the running script's deadline.
pub fn install(
    lua: &Lua,
    string: &Table,
    deadline: impl Fn(&Lua) -> Option<Instant> + 'static,
) -> mlua::Result<()> {
    let deadline: Deadline = Rc::new(deadline);
    let d = deadline.clone();
    string.raw_set(
        "find",
        lua.create_function(move |lua, args| str_find(lua, args, true, &d))?,
    )?;
    let d = deadline.clone();
    string.raw_set(
        "match",
        lua.create_function(move |lua, args| str_find(lua, args, false, &d))?,
    )?;
    let d = deadline.clone();
    string.raw_set(
        "gmatch",
        lua.create_function(move |lua, args| str_gmatch(lua, args, d.clone()))?,
    )?;
    let d = deadline;
    string.raw_set(
        "gsub",
        lua.create_function(move |lua, args| str_gsub(lua, args, &d))?,
    )?;
    let rep: mlua::Function = string.raw_get("rep")?;
    let wrapper = lua.create_function(move |lua, args: MultiValue| {
        let s = arg_str(lua, &args, 0, "rep")?;
        let times = arg_int(&args, 1, 0, "rep")?;
        if times > 0 && (s.len() as u128) * (times as u128) > MAX_STRING as u128 {
            return Err(mlua::Error::runtime(format!(
                "string.rep: the result would be longer than {}",
                crate::limits::human_bytes(MAX_STRING)
            )));
        }
        rep.call::<MultiValue>(args)
    })?;
    string.raw_set("rep", wrapper)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lua's own string library and this one.
    fn states() -> (Lua, Lua) {
        let theirs = Lua::new();
        let ours = Lua::new();
        let string: Table = ours.globals().get("string").expect("string");
        install(&ours, &string, |_| None).expect("install");
        (theirs, ours)
    }

    /// Runs `code` (which returns a list of values) in `lua` and returns the results as text.
    fn run(lua: &Lua, code: &str) -> String {
        lua.load(format!(
            "local r = {{pcall(function() {code} end)}} \
             local out = {{}} for i = 1, select('#', unpack(r)) do \
             out[#out+1] = type(r[i]) .. ':' .. tostring(r[i]) end \
             return table.concat(out, ' ')"
        ))
        .into_function()
        .expect("compiles")
        .call::<String>(())
        .expect("runs")
    }

    #[test]
    fn results_are_lua_5_1s() {
        let (theirs_lua, ours_lua) = states();
        let subjects = [
            "",
            "hello world",
            "  key = value  ",
            "THE (quick) [brown] fox 123.45 -7",
            "aaa",
            "f(a(b)c)d",
            "x^y$z%",
            "one, two,, three",
            "\0nul\0",
        ];
        let patterns = [
            "",
            "o",
            "l+",
            "l*",
            "l-",
            "l?o",
            "^h",
            "d$",
            "^$",
            ".",
            "%a+",
            "%A+",
            "%d+%.?%d*",
            "%s*(%w+)%s*=%s*(%w+)%s*",
            "[%w_]+",
            "[^%s]+",
            "[a-f]+",
            "[]]",
            "[^]]+",
            "%b()",
            "%f[%w]%w+",
            "()o()",
            "(o)(.-)%1",
            "(%a)%1",
            "((a)(a))",
            "[%a-]+",
            "x^y",
            "%$",
            "%%",
            "^(.-)%s*$",
            "(.)",
            "[%]]",
            ",",
            ",,",
            "%z",
            "%Z+",
            "[%z]",
        ];
        for s in subjects {
            for p in patterns {
                let q = |x: &str| format!("{x:?}").replace("\\u{0}", "\\0");
                for call in [
                    format!("return string.find({}, {})", q(s), q(p)),
                    format!("return string.find({}, {}, 3)", q(s), q(p)),
                    format!("return string.find({}, {}, -4, true)", q(s), q(p)),
                    format!("return string.match({}, {})", q(s), q(p)),
                    format!("return string.match({}, {}, 2)", q(s), q(p)),
                    format!("return string.gsub({}, {}, '<%0>')", q(s), q(p)),
                    format!("return string.gsub({}, {}, '%1', 2)", q(s), q(p)),
                    format!(
                        "return string.gsub({}, {}, function(a, b) return b and a .. b or nil end)",
                        q(s),
                        q(p)
                    ),
                    format!("return string.gsub({}, {}, {{o = 'O', l = false}})", q(s), q(p)),
                    format!(
                        "local t = {{}} for a, b in string.gmatch({}, {}) do t[#t+1] = tostring(a) .. '/' .. tostring(b) if #t > 50 then break end end return table.concat(t, ',')",
                        q(s),
                        q(p)
                    ),
                ] {
                    let (theirs, ours) = (run(&theirs_lua, &call), run(&ours_lua, &call));
                    // Error texts differ in their position prefix; success must match exactly.
                    if theirs.starts_with("boolean:false") {
                        assert!(ours.starts_with("boolean:false"), "{call}: {theirs} vs {ours}");
                    } else {
                        assert_eq!(theirs, ours, "{call}");
                    }
                }
            }
        }
    }

    #[test]
    fn backtracking_and_huge_results_stop() {
        let lua = Lua::new();
        let string: Table = lua.globals().get("string").expect("string");
        install(&lua, &string, |_| None).expect("install");
        let started = Instant::now();
        let r = lua
            .load(
                "local s = ('a'):rep(30) return string.find(s, ('a?'):rep(30) .. ('a'):rep(30) .. 'b')",
            )
            .exec();
        let e = r.expect_err("stops").to_string();
        assert!(e.contains("steps"), "{e}");
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
        let e = lua
            .load("return ('x'):rep(1e10)")
            .exec()
            .expect_err("refused")
            .to_string();
        assert!(e.contains("longer than"), "{e}");
        let e = lua
            .load("local s = ('a'):rep(8 * 1024 * 1024) return s:gsub('a', 'aaa')")
            .exec()
            .expect_err("refused")
            .to_string();
        assert!(e.contains("longer than"), "{e}");
        // The deadline stops a call that would stay under the step limit for long.
        let past = Instant::now();
        let lua = Lua::new();
        let string: Table = lua.globals().get("string").expect("string");
        install(&lua, &string, move |_| Some(past)).expect("install");
        let e = lua
            .load("local s = ('a'):rep(100000) return s:find(('a-'):rep(3) .. 'b')")
            .exec()
            .expect_err("deadline")
            .to_string();
        assert!(e.contains("deadline"), "{e}");
    }
}
