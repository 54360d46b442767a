//! The jq engine: jaq's interpreter, sandboxed and metered, for every jq program driftlens runs
//! (`ignoreDifferences` `jqPathExpressions` and data-rule conditions).
//!
//! Programs come from a checkout, so the engine guarantees that a program can only compute:
//!
//! - **No effects.** Nothing a program does ends, signals or outlives the process, prints,
//!   reads the environment, files or the clock's time zone, or imports modules (see
//!   [`funs`]); jaq's `unwrap_valr`, which exits the process on `halt`, is never called.
//! - **Bounded.** Every evaluation runs under [`Limits`] — steps, wall-clock time, memory of
//!   the values it builds and their nesting depth — counted by the values themselves
//!   ([`value::Jv`], [`meter`]), so no construct of the language can run away. A budget that
//!   runs out ends that evaluation with [`RunError::Exceeded`]; a jq `try` cannot catch it.
//!   Recursive definitions are refused when compiling: jaq runs tail calls in a loop that
//!   touches no value (see [`CompileError::Recursive`]).
//! - **Contained.** A panic inside jaq ends the evaluation with [`RunError::Internal`] instead
//!   of the process; source text is bounded in length and nesting before jaq parses it.

pub mod funs;
pub mod meter;
pub mod value;

use std::ops::ControlFlow;
use std::sync::Arc;

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Vars};

use crate::limits::{Exceeded, Limits};
use funs::D;
pub use value::{Jv, Map};

/// Longest program accepted, in bytes.
pub const MAX_SOURCE_LEN: usize = 16 << 10;
/// Deepest bracket nesting accepted in a program (jaq's parser recurses per level).
pub const MAX_SOURCE_NESTING: usize = 64;

/// Name of the always-present global variable with the (empty) environment.
const ENV_VAR: &str = "$ENV";

type Filter = jaq_core::Filter<D>;

/// A compiled program; cheap to clone and shareable across threads.
#[derive(Clone)]
pub struct Program {
    filter: Arc<Filter>,
    globals: usize,
}

impl std::fmt::Debug for Program {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Program")
            .field("globals", &self.globals)
            .finish()
    }
}

/// Why an evaluation produced no (further) result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunError {
    /// A jq error (`error(...)`, a type error, `halt`); the message may quote values.
    Failed(String),
    /// A budget ran out.
    Exceeded(Exceeded),
    /// The interpreter failed (a defect of jaq), reported instead of ending the process.
    Internal(String),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Failed(m) => f.write_str(m),
            RunError::Exceeded(e) => write!(f, "it exceeded its budget: {e}"),
            RunError::Internal(m) => write!(f, "the jq interpreter failed ({m})"),
        }
    }
}

/// Why a program does not compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompileError {
    /// The text is not jq (what was expected where).
    Syntax(String),
    /// Filters or variables that are not defined: (what, name), e.g. ("filter", "lenght").
    Undefined(Vec<(&'static str, String)>),
    /// The program is too long, too deeply nested or too complex to compile.
    TooLarge(String),
    /// A definition calls itself.
    Recursive(String),
}

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CompileError::Syntax(m) | CompileError::TooLarge(m) => f.write_str(m),
            CompileError::Recursive(name) => write!(
                f,
                "the definition `{name}` calls itself, and driftlens does not run recursive jq \
                 definitions (they cannot be bounded); use `recurse`, `reduce`, `until` or \
                 `while` instead"
            ),
            CompileError::Undefined(names) => {
                let names: Vec<String> = names
                    .iter()
                    .map(|(what, n)| format!("{what} `{n}`"))
                    .collect();
                write!(f, "undefined {}", names.join(", "))
            }
        }
    }
}

/// Checks the size and bracket nesting of a program before jaq parses it.
fn check_source(code: &str) -> Result<(), CompileError> {
    if code.len() > MAX_SOURCE_LEN {
        return Err(CompileError::TooLarge(format!(
            "the jq program is longer than {MAX_SOURCE_LEN} bytes"
        )));
    }
    let mut depth = 0usize;
    for c in code.chars() {
        match c {
            '(' | '[' | '{' => {
                depth += 1;
                if depth > MAX_SOURCE_NESTING {
                    return Err(CompileError::TooLarge(format!(
                        "the jq program nests brackets deeper than {MAX_SOURCE_NESTING} levels"
                    )));
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    // Module directives come first in a program; modules are never loaded (data imports would
    // expect their values from the caller).
    if let Ok(tokens) = jaq_core::load::Lexer::new(code).lex() {
        if let Some(first) = tokens.first() {
            if matches!(first.0, "module" | "import" | "include") {
                return Err(CompileError::Syntax(format!(
                    "`{}` is not available: driftlens loads no jq modules",
                    first.0
                )));
            }
        }
    }
    Ok(())
}

/// The first definition that calls itself (directly, or from a definition nested in it).
///
/// jaq runs tail calls in a loop that touches no value, which no budget could stop, so
/// recursive definitions are refused; the standard library's generators (`recurse`,
/// `repeat`, `while`, `until`, `range`) and `reduce`/`foreach` cover the same ground.
fn recursive_def(code: &str) -> Option<String> {
    use jaq_core::load::lex::StrPart;
    use jaq_core::load::parse::{BinaryOp, Pattern, Term};
    use jaq_core::path::Part;

    fn calls(t: &Term<&str>, name: &str) -> bool {
        fn pattern(p: &Pattern<&str>, name: &str) -> bool {
            match p {
                Pattern::Var(_) => false,
                Pattern::Arr(ps) => ps.iter().any(|p| pattern(p, name)),
                Pattern::Obj(kvs) => kvs.iter().any(|(k, p)| calls(k, name) || pattern(p, name)),
            }
        }
        match t {
            Term::Id | Term::Recurse | Term::Num(_) | Term::Var(_) | Term::Break(_) => false,
            Term::Str(_, parts) => parts.iter().any(|p| match p {
                StrPart::Term(t) => calls(t, name),
                _ => false,
            }),
            Term::Arr(a) => a.as_deref().is_some_and(|t| calls(t, name)),
            Term::Obj(kvs) => kvs
                .iter()
                .any(|(k, v)| calls(k, name) || v.as_ref().is_some_and(|v| calls(v, name))),
            Term::Neg(t) | Term::Label(_, t) => calls(t, name),
            Term::BinOp(l, op, r) => {
                calls(l, name)
                    || calls(r, name)
                    || matches!(op, BinaryOp::Pipe(Some(p)) if pattern(p, name))
            }
            Term::Fold(_, xs, p, args) => {
                calls(xs, name) || pattern(p, name) || args.iter().any(|a| calls(a, name))
            }
            Term::TryCatch(t, c) => calls(t, name) || c.as_deref().is_some_and(|c| calls(c, name)),
            Term::IfThenElse(branches, other) => {
                branches
                    .iter()
                    .any(|(c, t)| calls(c, name) || calls(t, name))
                    || other.as_deref().is_some_and(|o| calls(o, name))
            }
            Term::Def(defs, body) => defs.iter().any(|d| calls(&d.body, name)) || calls(body, name),
            Term::Call(f, args) => *f == name || args.iter().any(|a| calls(a, name)),
            Term::Path(t, path) => {
                calls(t, name)
                    || path.0.iter().any(|(part, _)| match part {
                        Part::Index(i) => calls(i, name),
                        Part::Range(a, b) => {
                            a.as_ref().is_some_and(|a| calls(a, name))
                                || b.as_ref().is_some_and(|b| calls(b, name))
                        }
                    })
            }
        }
    }
    fn find(t: &Term<&str>) -> Option<String> {
        let mut found = None;
        visit(t, &mut |t| {
            if let Term::Def(defs, _) = t {
                for d in defs {
                    if found.is_none() && calls(&d.body, d.name) {
                        found = Some(d.name.to_string());
                    }
                }
            }
        });
        found
    }
    fn visit<'s>(t: &Term<&'s str>, f: &mut dyn FnMut(&Term<&'s str>)) {
        f(t);
        match t {
            Term::Str(_, parts) => {
                for p in parts {
                    if let StrPart::Term(t) = p {
                        visit(t, f);
                    }
                }
            }
            Term::Arr(Some(t)) | Term::Neg(t) | Term::Label(_, t) => visit(t, f),
            Term::Obj(kvs) => {
                for (k, v) in kvs {
                    visit(k, f);
                    if let Some(v) = v {
                        visit(v, f);
                    }
                }
            }
            Term::BinOp(l, _, r) => {
                visit(l, f);
                visit(r, f);
            }
            Term::Fold(_, xs, _, args) => {
                visit(xs, f);
                for a in args {
                    visit(a, f);
                }
            }
            Term::TryCatch(t, c) => {
                visit(t, f);
                if let Some(c) = c {
                    visit(c, f);
                }
            }
            Term::IfThenElse(branches, other) => {
                for (c, t) in branches {
                    visit(c, f);
                    visit(t, f);
                }
                if let Some(o) = other {
                    visit(o, f);
                }
            }
            Term::Def(defs, body) => {
                for d in defs {
                    visit(&d.body, f);
                }
                visit(body, f);
            }
            Term::Call(_, args) => {
                for a in args {
                    visit(a, f);
                }
            }
            Term::Path(t, path) => {
                visit(t, f);
                for (part, _) in &path.0 {
                    match part {
                        Part::Index(i) => visit(i, f),
                        Part::Range(a, b) => {
                            if let Some(a) = a {
                                visit(a, f);
                            }
                            if let Some(b) = b {
                                visit(b, f);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let term = jaq_core::load::parse(code, |p| p.term())?;
    find(&term)
}

fn snippet(s: &str) -> String {
    let s: String = s.chars().take(24).collect();
    if s.is_empty() {
        "the end".to_string()
    } else {
        format!("`{s}`")
    }
}

impl Program {
    /// Compiles `code`, which may use the global variables `globals` (with their `$`) besides
    /// `$ENV`. The error explains what is wrong.
    pub fn compile(code: &str, globals: &[&'static str]) -> Result<Program, CompileError> {
        check_source(code)?;
        let compiled = meter::metered(Limits::JQ, || {
            let program = compile(code, globals)?;
            if let Some(name) = recursive_def(code) {
                return Err(CompileError::Recursive(name));
            }
            Ok(program)
        });
        match compiled {
            Ok(r) => r,
            Err(meter::Abort::Exceeded(e)) => Err(CompileError::TooLarge(format!(
                "the jq program is too complex: {e}"
            ))),
            Err(meter::Abort::Panic(m)) => Err(CompileError::TooLarge(format!(
                "the jq program cannot be compiled ({m})"
            ))),
        }
    }

    /// Runs the program on `input` with the values of the global variables (in the order
    /// given to [`Program::compile`]) under `limits`, passing each output to `each` until it
    /// breaks.
    pub fn run(
        &self,
        input: Jv,
        globals: Vec<Jv>,
        limits: Limits,
        mut each: impl FnMut(Jv) -> ControlFlow<()>,
    ) -> Result<(), RunError> {
        let mut vars = globals;
        vars.truncate(self.globals);
        vars.resize_with(self.globals, || Jv::Null);
        vars.push(Jv::object(Map::new()));
        let filter = &self.filter;
        let r = meter::metered(limits, || {
            let ctx = Ctx::<D>::new(funs::MeteredLut(&filter.lut), Vars::new(vars));
            for out in filter.id.run((ctx, input)) {
                match out {
                    Ok(v) => {
                        if each(v).is_break() {
                            return Ok(());
                        }
                    }
                    Err(exn) => {
                        return Err(match exn.get_err() {
                            Ok(e) => RunError::Failed(match e.into_val() {
                                Jv::Str(s) => s.to_string(),
                                v => v.to_string(),
                            }),
                            Err(_) => RunError::Failed(
                                "the program stopped with a control-flow exception".to_string(),
                            ),
                        })
                    }
                }
            }
            Ok(())
        });
        match r {
            Ok(r) => r,
            Err(meter::Abort::Exceeded(e)) => Err(RunError::Exceeded(e)),
            Err(meter::Abort::Panic(m)) => Err(RunError::Internal(m)),
        }
    }

    /// Runs the program and collects at most `max` outputs.
    pub fn outputs(
        &self,
        input: Jv,
        globals: Vec<Jv>,
        limits: Limits,
        max: usize,
    ) -> Result<Vec<Jv>, RunError> {
        let mut out = Vec::new();
        self.run(input, globals, limits, |v| {
            out.push(v);
            if out.len() >= max {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })?;
        Ok(out)
    }
}

fn compile(code: &str, globals: &[&'static str]) -> Result<Program, CompileError> {
    let ours = jaq_core::load::parse(funs::DEFS, |p| p.defs()).ok_or_else(|| {
        CompileError::Syntax("internal error: the jq prelude does not parse".to_string())
    })?;
    let loader = Loader::new(
        jaq_core::defs()
            .chain(jaq_std::defs())
            .chain(jaq_json::defs())
            .chain(ours),
    );
    let arena = Arena::default();
    let modules = loader
        .load(&arena, File { code, path: () })
        .map_err(|errs| {
            let mut msgs = Vec::new();
            for (_, e) in errs {
                match e {
                    jaq_core::load::Error::Io(v) => msgs.extend(
                        v.into_iter()
                            .map(|(p, _)| format!("cannot import {p}: modules are not available")),
                    ),
                    jaq_core::load::Error::Lex(v) => {
                        msgs.extend(v.into_iter().map(|(exp, at)| {
                            format!("expected {} at {}", exp.as_str(), snippet(at))
                        }))
                    }
                    jaq_core::load::Error::Parse(v) => {
                        msgs.extend(v.into_iter().map(|(exp, at)| {
                            format!("expected {} at {}", exp.as_str(), snippet(at))
                        }))
                    }
                }
            }
            CompileError::Syntax(msgs.join("; "))
        })?;
    let filter = Compiler::default()
        .with_funs(funs::funs())
        .with_global_vars(globals.iter().copied().chain([ENV_VAR]))
        .compile(modules)
        .map_err(|errs| {
            CompileError::Undefined(
                errs.into_iter()
                    .flat_map(|(_, v)| v)
                    .map(|(name, u)| (u.as_str(), name.to_string()))
                    .collect(),
            )
        })?;
    Ok(Program {
        filter: Arc::new(filter),
        globals: globals.len(),
    })
}

#[cfg(test)]
mod tests;
