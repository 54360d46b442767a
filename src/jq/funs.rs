//! The native filters of the jq engine and the definitions that replace jaq's effects.
//!
//! jaq's standard library is used minus everything that reaches outside the evaluation:
//! `halt`/`halt_error` (which would end the process) are errors, `stderr`/`debug` print
//! nothing, `env`/`$ENV` are empty, `input`/`inputs` have no input, `localtime`/`strflocaltime`
//! use UTC instead of reading the machine's time zone, and modules cannot be imported. The
//! natives that jaq provides for its own value type (`length`, `tojson`, …) and the regular
//! expression natives are implemented here, metered, on [`Jv`] (regular expressions with the
//! `regex` crate, whose matching time is linear and whose compiled size is bounded).

use std::sync::Arc;

use jaq_core::box_iter::box_once;
use jaq_core::data::{DataT, HasLut};
use jaq_core::native::{bome, run, v, Fun};
use jaq_core::{Bind, Cv, Error, Exn, Lut, ValR, ValXs};

use super::meter;
use super::value::{Jv, Map};

/// The data kind of the engine: [`Jv`] values, and a context whose every copy counts a step.
pub(super) struct D;

impl DataT for D {
    type V<'a> = Jv;
    type Data<'a> = MeteredLut<'a>;
}

/// The global data of an evaluation (the filters' lookup table).
///
/// jaq copies the context at each pipe, call and closure argument it evaluates, also where it
/// copies no value (`def f(x): x | x; f(f(f(…)))` doubles its work per level touching only
/// contexts), so each copy counts a step of the running evaluation ([`meter::step`]) and no
/// program can run without meeting the budget.
pub(super) struct MeteredLut<'a>(pub(super) &'a Lut<D>);

impl Clone for MeteredLut<'_> {
    fn clone(&self) -> Self {
        meter::step(1);
        MeteredLut(self.0)
    }
}

impl<'a> HasLut<'a, D> for MeteredLut<'a> {
    fn lut(&self) -> &'a Lut<D> {
        self.0
    }
}

/// jaq natives left out: they reach outside the evaluation, or are replaced below.
const LEFT_OUT: &[&str] = &[
    "halt",
    "env",
    "stderr_empty",
    "debug_empty",
    "localtime",
    "strflocaltime",
    "matches",
    "split_matches",
    "split_",
    "input",
    "inputs",
];

/// Definitions that override jaq's (loaded after them).
pub(super) const DEFS: &str = r#"
def env: {};
def input: error("no more inputs");
def inputs: empty;
def localtime: gmtime;
def strflocaltime(f): strftime(f);
def halt: halt(0);
def halt_error($code): halt($code);
def halt_error: halt(5);
def get_search_list: [];
def input_filename: null;
def input_line_number: 0;
"#;

/// Largest compiled regular expression.
const REGEX_SIZE: usize = 1 << 20;

/// The natives of the engine.
pub(super) fn funs() -> impl Iterator<Item = Fun<D>> {
    let std = jaq_std::funs::<D>().filter(|(name, _, _)| !LEFT_OUT.contains(name));
    let vv = || -> Box<[Bind]> { [Bind::Var(()), Bind::Var(())].into() };
    let own: Vec<Fun<D>> = vec![
        run(("fromjson", v(0), |cv| bome(fromjson(&cv.1)))),
        run(("tojson", v(0), |cv| bome(Ok(tojson(&cv.1))))),
        run(("length", v(0), |cv| bome(cv.1.length()))),
        run(("contains", v(1), |mut cv| {
            let y = cv.0.pop_var();
            bome(cv.1.contains(&y).map(Jv::from))
        })),
        run(("has", v(1), |mut cv| {
            let k = cv.0.pop_var();
            bome(cv.1.has(&k).map(Jv::from))
        })),
        run(("indices", v(1), |mut cv| {
            let x = cv.0.pop_var();
            bome(cv.1.indices(&x))
        })),
        run(("bsearch", v(1), |mut cv| {
            let x = cv.0.pop_var();
            bome(bsearch(&cv.1, &x))
        })),
        run(("halt", v(1), |_| {
            bome(Err(Error::str(
                "halt is not available: driftlens evaluates jq without process control",
            )))
        })),
        run(("stderr_empty", v(0), |_| Box::new(std::iter::empty()))),
        run(("debug_empty", v(0), |_| Box::new(std::iter::empty()))),
        run(("matches", vv(), |cv| regex_run(cv, false, true))),
        run(("split_matches", vv(), |cv| regex_run(cv, true, true))),
        run(("split_", vv(), |cv| regex_run(cv, true, false))),
    ];
    jaq_core::funs::<D>().chain(std).chain(own)
}

fn tojson(v: &Jv) -> Jv {
    let s = v.to_json();
    Jv::Str(Arc::from(s))
}

fn fromjson(v: &Jv) -> ValR<Jv> {
    let Some(s) = v.as_str() else {
        return Err(Error::typ(v.clone(), "string"));
    };
    meter::alloc(s.len() * 2);
    meter::step((s.len() / 64) as u64);
    // serde_json stops at 128 levels of nesting instead of recursing further.
    let parsed: serde_json::Value = serde_json::from_str(s)
        .map_err(|e| Error::str(format_args!("cannot parse the string as JSON: {e}")))?;
    let depth = meter::depth_limit().unwrap_or(usize::MAX);
    Jv::from_json(&parsed, depth).ok_or_else(|| {
        Error::str(format_args!(
            "cannot parse the string as JSON: nested deeper than {depth} levels"
        ))
    })
}

fn bsearch(a: &Jv, x: &Jv) -> ValR<Jv> {
    let Some(items) = a.as_array() else {
        return Err(Error::typ(a.clone(), "array"));
    };
    Ok(match items.binary_search(x) {
        Ok(i) => Jv::from(i),
        Err(i) => Jv::Int(-1 - i as i64),
    })
}

/// Flags of jq's regular expression filters.
#[derive(Debug, Default, Clone, Copy)]
struct Flags {
    global: bool,
    skip_empty: bool,
    insensitive: bool,
    extended: bool,
    single_line: bool,
    lazy: bool,
}

fn flags(s: &str) -> Result<Flags, String> {
    let mut f = Flags::default();
    for c in s.chars() {
        match c {
            'g' => f.global = true,
            'n' => f.skip_empty = true,
            'i' => f.insensitive = true,
            'x' => f.extended = true,
            's' => f.single_line = true,
            'l' => f.lazy = true,
            'p' => f.single_line = true,
            c => return Err(format!("{c} is not a valid modifier string")),
        }
    }
    Ok(f)
}

fn regex_run<'a>(mut cv: Cv<'a, D>, mismatches: bool, matches: bool) -> ValXs<'a, Jv> {
    let fl = cv.0.pop_var();
    let re = cv.0.pop_var();
    let r = (|| -> ValR<Jv> {
        let (Some(text), Some(re), Some(fl)) = (cv.1.as_str(), re.as_str(), fl.as_str()) else {
            return Err(Error::str(format_args!(
                "{} ({}) cannot be matched, as it is not a string",
                cv.1.type_name(),
                cv.1
            )));
        };
        let f = flags(fl).map_err(Error::str)?;
        let regex = regex::RegexBuilder::new(re)
            .case_insensitive(f.insensitive)
            .ignore_whitespace(f.extended)
            .dot_matches_new_line(f.single_line)
            .swap_greed(f.lazy)
            .size_limit(REGEX_SIZE)
            .dfa_size_limit(REGEX_SIZE)
            .build()
            .map_err(|e| Error::str(format_args!("{re:?} is not a valid regex: {e}")))?;
        meter::step(1 + (text.len() / 16) as u64);
        Ok(Jv::array(regex_parts(text, &regex, f, mismatches, matches)))
    })();
    box_once(r.map_err(Exn::from))
}

/// The output of jaq's regex natives: for `matches`, one array of capture objects per match;
/// with `mismatches`, the text between matches is interleaved as strings.
fn regex_parts(
    text: &str,
    regex: &regex::Regex,
    f: Flags,
    mismatches: bool,
    matches: bool,
) -> Vec<Jv> {
    let mut out = Vec::new();
    let mut last = 0usize;
    // Codepoint offsets are counted incrementally: matches come in order.
    let mut chars_before = 0usize;
    let mut counted_to = 0usize;
    let mut char_offset = |byte: usize| {
        if byte < counted_to {
            // A group of a repetition can start before an earlier group.
            chars_before = 0;
            counted_to = 0;
        }
        chars_before += text[counted_to..byte].chars().count();
        counted_to = byte;
        chars_before
    };
    for caps in regex.captures_iter(text) {
        meter::step(1);
        let Some(whole) = caps.get(0) else {
            continue;
        };
        if f.skip_empty && whole.as_str().is_empty() {
            continue;
        }
        if mismatches {
            out.push(Jv::string(&text[last..whole.start()]));
            last = whole.end();
        }
        if matches {
            let mut groups = Vec::new();
            for (m, name) in caps.iter().zip(regex.capture_names()) {
                let Some(m) = m else {
                    continue;
                };
                let mut obj = Map::new();
                obj.insert(Arc::from("offset"), Jv::from(char_offset(m.start())));
                obj.insert(Arc::from("length"), Jv::from(m.as_str().chars().count()));
                obj.insert(Arc::from("string"), Jv::string(m.as_str()));
                if let Some(n) = name {
                    obj.insert(Arc::from("name"), Jv::string(n));
                }
                meter::alloc(4 * 64);
                groups.push(Jv::object(obj));
            }
            out.push(Jv::array(groups));
        }
        if !f.global {
            break;
        }
    }
    if mismatches {
        out.push(Jv::string(&text[last..]));
    }
    out
}
