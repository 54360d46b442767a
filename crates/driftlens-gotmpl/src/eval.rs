//! Template execution: walks the syntax tree with Go's semantics (dot, variables, `$`,
//! truthiness, missing keys, nil-pointer errors), calls functions, and writes output with
//! a source map. `include`, `tpl`, `template` nesting, total work and output size are
//! bounded by [`Limits`].

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use super::ast::{Branch, BranchKind, Command, Expr, List, Node, Pipe, Source};
use super::fmt::sprint_value;
use super::funcs::{self, FnCtx, FnErr, Rng};
use super::parser::{parse, ParseError};
use super::value::{Object, Value};

/// Resource limits for one render.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Maximum nesting of `template`/`include`/`tpl` calls (Helm allows 1000 includes).
    pub max_depth: usize,
    /// Maximum work units (nodes evaluated, function calls, elements produced).
    pub max_steps: u64,
    /// Maximum bytes of output of one template execution.
    pub max_output: usize,
    /// Maximum size of one value a function returns, in bytes (strings; lists and maps count
    /// their entries), and of all the values functions return in one render together.
    pub max_value: usize,
    /// Maximum bytes of values functions return in one render.
    pub max_values_total: u64,
    /// Maximum wall-clock time of one render (checked between steps and after each function).
    pub max_time: std::time::Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_depth: 1000,
            max_steps: 20_000_000,
            max_output: 64 << 20,
            max_value: 64 << 20,
            max_values_total: 256 << 20,
            max_time: std::time::Duration::from_secs(10),
        }
    }
}

/// The bytes a value holds itself (not counting values it shares with others).
fn shallow_size(v: &Value) -> u64 {
    const SLOT: u64 = std::mem::size_of::<Value>() as u64;
    match v {
        Value::Str(s) => s.len() as u64,
        Value::List(l) => l.len() as u64 * SLOT,
        Value::Map(m) => m.borrow().len() as u64 * (SLOT + 32),
        _ => SLOT,
    }
}

/// What went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Template parse error.
    Parse,
    /// Ordinary execution error.
    Exec,
    /// `fail` or `required`: Helm reports these as `execution error at (…)`.
    Fail,
    /// A function returned an error (`error calling NAME: …`); Helm prints Go's one-line form.
    Call,
    /// A resource limit was hit.
    Limit,
}

/// An error with Go's position information.
#[derive(Debug, Clone)]
pub struct ExecError {
    /// Kind.
    pub kind: ErrorKind,
    /// Parse name of the file holding the failing node.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// Go column: 0-based byte offset within the line.
    pub col: usize,
    /// Name of the template being executed.
    pub template: String,
    /// Source text of the failing node (Go's `<…>` context).
    pub context: String,
    /// Message.
    pub msg: String,
    /// For an error inside `include`/`tpl`: the error of the called template.
    pub cause: Option<Box<ExecError>>,
}

impl ExecError {
    /// Go's `text/template` wording.
    pub fn go_message(&self) -> String {
        match self.kind {
            ErrorKind::Parse => format!("template: {}:{}: {}", self.file, self.line, self.msg),
            _ => format!(
                "template: {}:{}:{}: executing {:?} at <{}>: {}",
                self.file, self.line, self.col, self.template, self.context, self.msg
            ),
        }
    }

    /// Helm's wording (what `helm template` prints after `Error: `).
    pub fn helm_message(&self) -> String {
        match self.kind {
            ErrorKind::Parse => {
                format!("parse error at ({}:{}): {}", self.file, self.line, self.msg)
            }
            ErrorKind::Fail => format!(
                "execution error at ({}:{}:{}): {}",
                self.file, self.line, self.col, self.msg
            ),
            ErrorKind::Call => self.go_message(),
            ErrorKind::Exec | ErrorKind::Limit => {
                let mut s = format!(
                    "{}:{}:{}\n  executing {:?} at <{}>:\n    {}",
                    self.file, self.line, self.col, self.template, self.context, self.msg
                );
                if let Some(c) = &self.cause {
                    s.push('\n');
                    s.push_str(&c.helm_message());
                }
                s
            }
        }
    }
}

impl std::fmt::Display for ExecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.go_message())
    }
}

impl std::error::Error for ExecError {}

pub use super::srcmap::{CallSite, Location, Segment, SourceMap};
use super::srcmap::{TextMap, YamlLines};

/// A use of a non-deterministic function during a render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nondet {
    /// Function name (`randAlphaNum`, `genCA`, `now`, …).
    pub function: String,
    /// Template file (parse name).
    pub file: String,
    /// 1-based line.
    pub line: usize,
}

/// A named template: a file or a `define`.
#[derive(Debug, Clone)]
pub struct Tmpl {
    /// Its source.
    pub src: Rc<Source>,
    /// Body.
    pub body: Rc<List>,
}

/// A set of parsed templates that can call each other, as Go's `*template.Template`.
#[derive(Debug, Default, Clone)]
pub struct TemplateSet {
    templates: HashMap<String, Tmpl>,
}

fn is_whitespace_only(src: &Source, list: &List) -> bool {
    list.iter().all(|n| match n {
        Node::Text { start, end } => src.slice(*start, *end).trim().is_empty(),
        _ => false,
    })
}

/// Whether a name is callable in templates.
pub fn is_function(name: &str) -> bool {
    matches!(
        name,
        "and"
            | "or"
            | "not"
            | "eq"
            | "ne"
            | "lt"
            | "le"
            | "gt"
            | "ge"
            | "len"
            | "index"
            | "slice"
            | "print"
            | "printf"
            | "println"
            | "html"
            | "js"
            | "urlquery"
            | "call"
            | "include"
            | "tpl"
            | "required"
            | "fail"
            | "lookup"
    ) || funcs::lookup(name).is_some()
}

fn parse_error(src: &Source, e: ParseError) -> ExecError {
    let (line, col) = src.line_col(e.pos);
    ExecError {
        kind: ErrorKind::Parse,
        file: src.name.to_string(),
        line,
        col,
        template: src.name.to_string(),
        context: String::new(),
        msg: e.msg,
        cause: None,
    }
}

impl TemplateSet {
    /// An empty set.
    pub fn new() -> TemplateSet {
        TemplateSet::default()
    }

    /// Parses `text` as the template `name` and adds its `define`s. A definition with an
    /// empty body does not replace an existing one (as in Go); otherwise later wins.
    pub fn add(&mut self, name: &str, text: &str) -> Result<(), Box<ExecError>> {
        let src = Rc::new(Source::new(name, text));
        let parsed = parse(text, &is_function).map_err(|e| Box::new(parse_error(&src, e)))?;
        self.insert(
            name,
            Tmpl {
                src: src.clone(),
                body: Rc::new(parsed.root),
            },
        );
        for (dname, body) in parsed.defines {
            self.insert(
                &dname,
                Tmpl {
                    src: src.clone(),
                    body: Rc::new(body),
                },
            );
        }
        Ok(())
    }

    fn insert(&mut self, name: &str, t: Tmpl) {
        if let Some(old) = self.templates.get(name) {
            if is_whitespace_only(&t.src, &t.body) && !is_whitespace_only(&old.src, &old.body) {
                return;
            }
        }
        self.templates.insert(name.to_string(), t);
    }

    /// Whether a template of that name exists.
    pub fn has(&self, name: &str) -> bool {
        self.templates.contains_key(name)
    }

    /// Executes template `name` with `dot`. Returns the output and its source map.
    pub fn execute(
        &self,
        name: &str,
        dot: Value,
        state: &mut ExecState,
    ) -> Result<(String, SourceMap), Box<ExecError>> {
        let Some(t) = self.templates.get(name).cloned() else {
            return Err(Box::new(ExecError {
                kind: ErrorKind::Exec,
                file: name.to_string(),
                line: 0,
                col: 0,
                template: name.to_string(),
                context: String::new(),
                msg: format!("no template {name:?} associated with template"),
                cause: None,
            }));
        };
        let mut ex = Exec {
            set: self,
            overlay: Vec::new(),
            state,
            depth: 0,
            dot_prov: Prov::root(),
            via: None,
        };
        let mut out = Out::default();
        let mut vars = vec![("$".to_string(), dot.clone(), Prov::root())];
        ex.walk(&t, name, &dot, &t.body, &mut vars, &mut out)?;
        Ok((out.buf, SourceMap { segments: out.segs }))
    }
}

/// State shared across the executions of one render: work budget, random numbers and
/// the record of non-deterministic functions.
#[derive(Debug)]
pub struct ExecState {
    /// Limits.
    pub limits: Limits,
    /// Work units used so far.
    pub steps: u64,
    /// Random generator for `rand*`, `uuidv4`, key generation.
    pub rng: Rng,
    /// Non-deterministic function uses.
    pub nondet: Vec<Nondet>,
    /// The `.Template` value of the top-level file being executed (for `tpl`).
    pub current_template: Option<Value>,
    /// When the render started.
    pub started: std::time::Instant,
    /// Bytes of values functions returned so far.
    pub value_bytes: u64,
}

impl ExecState {
    /// New state with limits and a random seed.
    pub fn new(limits: Limits, seed: u64) -> ExecState {
        ExecState {
            limits,
            steps: 0,
            rng: Rng::new(seed),
            nondet: Vec::new(),
            current_template: None,
            started: std::time::Instant::now(),
            value_bytes: 0,
        }
    }
}

#[derive(Default)]
struct Out {
    buf: String,
    segs: Vec<Segment>,
}

impl Out {
    fn mark(
        &mut self,
        src: &Source,
        pos: usize,
        literal: bool,
        values_path: Option<Arc<str>>,
        via: &Option<Arc<CallSite>>,
    ) {
        let (line, col) = src.line_col(pos);
        self.push(Segment {
            out: self.buf.len(),
            file: src.name.clone(),
            line,
            col: col + 1,
            literal,
            values_path,
            pad: 0,
            via: via.clone(),
        });
    }

    fn push(&mut self, seg: Segment) {
        if self.segs.last().is_some_and(|l| l.out == seg.out) {
            self.segs.pop();
        }
        self.segs.push(seg);
    }

    /// Appends a printed string whose own map is known: its segments replace the mark of the
    /// action that prints it (which still covers any unmapped prefix).
    fn splice(&mut self, text: &str, map: &TextMap) {
        let base = self.buf.len();
        for mut s in map.segments() {
            s.out += base;
            self.push(s);
        }
        self.buf.push_str(text);
    }
}

enum Flow {
    Normal,
    Break,
    Continue,
}

struct Exec<'s, 'st> {
    set: &'s TemplateSet,
    overlay: Vec<HashMap<String, Tmpl>>,
    state: &'st mut ExecState,
    depth: usize,
    /// Where the current dot came from.
    dot_prov: Prov,
    /// The `template`/`include` call the current template runs in.
    via: Option<Arc<CallSite>>,
}

/// Variables in scope: name, value and where the value came from.
type Vars = Vec<(String, Value, Prov)>;

/// What a value is, as far as the source map is concerned.
#[derive(Debug, Clone, Default)]
enum Origin {
    /// Nothing known.
    #[default]
    Unknown,
    /// The chart's root context (the dot of a template file), whose `.Values` are tracked.
    Root,
    /// Read from `.Values` at this path (`""` for `.Values` itself).
    Values(Arc<str>),
    /// A `dict` some of whose entries are known.
    Dict(Rc<Vec<(String, Prov)>>),
}

/// Provenance of a value: its [`Origin`], and for a string whose text came from templates
/// (`include`, `toYaml` of values), the map of that text.
#[derive(Debug, Clone, Default)]
struct Prov {
    origin: Origin,
    text: Option<Rc<TextMap>>,
}

fn join_values_path(base: &str, names: &[String]) -> Arc<str> {
    let mut s =
        String::with_capacity(base.len() + names.iter().map(|n| n.len() + 1).sum::<usize>());
    s.push_str(base);
    for n in names {
        if !s.is_empty() {
            s.push('.');
        }
        s.push_str(n);
    }
    Arc::from(s)
}

impl Prov {
    fn root() -> Prov {
        Prov {
            origin: Origin::Root,
            text: None,
        }
    }

    fn values(path: Arc<str>) -> Prov {
        Prov {
            origin: Origin::Values(path),
            text: None,
        }
    }

    fn is_unknown(&self) -> bool {
        matches!(self.origin, Origin::Unknown) && self.text.is_none()
    }

    /// The values path, when the value was read from `.Values` (below its root).
    fn values_path(&self) -> Option<Arc<str>> {
        match &self.origin {
            Origin::Values(p) if !p.is_empty() => Some(p.clone()),
            _ => None,
        }
    }

    /// The provenance of the field chain `names` of this value.
    fn field(&self, names: &[String]) -> Prov {
        let Some((first, rest)) = names.split_first() else {
            return self.clone();
        };
        match &self.origin {
            Origin::Root if first == "Values" => Prov::values(join_values_path("", rest)),
            Origin::Values(p) => Prov::values(join_values_path(p, names)),
            Origin::Dict(d) => match d.iter().rev().find(|(k, _)| k == first) {
                Some((_, p)) => p.field(rest),
                None => Prov::default(),
            },
            _ => Prov::default(),
        }
    }

    /// The provenance of an element of this value reached by `index` or `range`.
    fn element(&self, key: &Value) -> Prov {
        match (&self.origin, key) {
            (Origin::Values(p), Value::Str(k)) => {
                Prov::values(join_values_path(p, &[k.to_string()]))
            }
            (Origin::Values(p), Value::Int(i) | Value::Int64(i)) => {
                Prov::values(Arc::from(format!("{p}[{i}]").as_str()))
            }
            (Origin::Dict(_), Value::Str(k)) => self.field(&[k.to_string()]),
            _ => Prov::default(),
        }
    }
}

/// Context for errors: which source and template are executing.
struct Ctx<'a> {
    t: &'a Tmpl,
    name: &'a str,
}

impl Exec<'_, '_> {
    /// Go's `error calling NAME: MSG`, at the command.
    fn call_err(&self, c: &Ctx, cmd: &Command, name: &str, msg: String) -> Box<ExecError> {
        self.err(
            c,
            cmd.pos,
            cmd.end,
            ErrorKind::Call,
            format!("error calling {name}: {msg}"),
        )
    }

    fn err(&self, c: &Ctx, pos: usize, end: usize, kind: ErrorKind, msg: String) -> Box<ExecError> {
        let (line, col) = c.t.src.line_col(pos);
        // The context names the whole field chain (`.Values.a.b`) even though Go positions
        // the node at its second element.
        let bytes = c.t.src.text.as_bytes();
        let mut start = pos.min(bytes.len());
        while start > 0
            && (bytes[start - 1].is_ascii_alphanumeric()
                || matches!(bytes[start - 1], b'_' | b'.' | b'$'))
        {
            start -= 1;
        }
        let context =
            c.t.src
                .slice(start, end)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
        Box::new(ExecError {
            kind,
            file: c.t.src.name.to_string(),
            line,
            col,
            template: c.name.to_string(),
            context,
            msg,
            cause: None,
        })
    }

    /// An error from inside `include`/`tpl`, seen from the call site, as Helm reports it:
    /// `fail` keeps its message but takes the outer position; engine errors chain.
    fn wrap_nested(&self, c: &Ctx, cmd: &Command, name: &str, e: Box<ExecError>) -> Box<ExecError> {
        match e.kind {
            ErrorKind::Fail => {
                let mut outer = self.err(c, cmd.pos, cmd.end, ErrorKind::Fail, e.msg);
                outer.cause = None;
                outer
            }
            ErrorKind::Limit | ErrorKind::Parse => e,
            ErrorKind::Call => self.err(
                c,
                cmd.pos,
                cmd.end,
                ErrorKind::Call,
                format!("error calling {name}: {}", e.go_message()),
            ),
            ErrorKind::Exec => {
                let mut outer = self.err(
                    c,
                    cmd.pos,
                    cmd.end,
                    ErrorKind::Exec,
                    format!("error calling {name}:"),
                );
                outer.cause = Some(e);
                outer
            }
        }
    }

    fn step(&mut self, c: &Ctx, pos: usize, n: u64) -> Result<(), Box<ExecError>> {
        let before = self.state.steps;
        self.state.steps = self.state.steps.saturating_add(n);
        if before / 1024 != self.state.steps / 1024 {
            self.check_time(c, pos)?;
        }
        if self.state.steps > self.state.limits.max_steps {
            return Err(self.err(
                c,
                pos,
                pos,
                ErrorKind::Limit,
                format!(
                    "work limit exceeded ({} steps): the template does too much work or loops",
                    self.state.limits.max_steps
                ),
            ));
        }
        Ok(())
    }

    fn check_time(&mut self, c: &Ctx, pos: usize) -> Result<(), Box<ExecError>> {
        if self.state.started.elapsed() > self.state.limits.max_time {
            return Err(self.err(
                c,
                pos,
                pos,
                ErrorKind::Limit,
                format!(
                    "time limit exceeded ({} s): the chart takes too long to render",
                    self.state.limits.max_time.as_secs()
                ),
            ));
        }
        Ok(())
    }

    /// Counts a value a function returned against the value budgets.
    fn count_value(
        &mut self,
        c: &Ctx,
        cmd: &Command,
        name: &str,
        v: &Value,
    ) -> Result<(), Box<ExecError>> {
        let size = shallow_size(v);
        self.state.value_bytes = self.state.value_bytes.saturating_add(size);
        let limits = self.state.limits;
        let what = if size > limits.max_value as u64 {
            format!(
                "{name}: the value is too large (more than {} MiB)",
                limits.max_value >> 20
            )
        } else if self.state.value_bytes > limits.max_values_total {
            format!(
                "{name}: the chart builds too much data (more than {} MiB of values)",
                limits.max_values_total >> 20
            )
        } else {
            return self.check_time(c, cmd.pos);
        };
        Err(self.err(c, cmd.pos, cmd.end, ErrorKind::Limit, what))
    }

    fn find(&self, name: &str) -> Option<Tmpl> {
        for o in self.overlay.iter().rev() {
            if let Some(t) = o.get(name) {
                return Some(t.clone());
            }
        }
        self.set.templates.get(name).cloned()
    }

    fn walk(
        &mut self,
        t: &Tmpl,
        name: &str,
        dot: &Value,
        list: &List,
        vars: &mut Vars,
        out: &mut Out,
    ) -> Result<Flow, Box<ExecError>> {
        let c = Ctx { t, name };
        for node in list {
            match node {
                Node::Text { start, end } => {
                    self.step(&c, *start, 1)?;
                    out.mark(&t.src, *start, true, None, &self.via);
                    out.buf.push_str(t.src.slice(*start, *end));
                }
                Node::Action(pipe) => {
                    let mark = vars.len();
                    let (v, prov) = self.pipeline(&c, dot, pipe, vars, out)?;
                    if pipe.decl.is_empty() {
                        out.mark(&t.src, pipe.pos, false, prov.values_path(), &self.via);
                        match (&v, &prov.text) {
                            (Value::Nil, _) => out.buf.push_str("<no value>"),
                            (Value::Str(s), Some(tm))
                                if Rc::ptr_eq(s, &tm.text) || **s == *tm.text =>
                            {
                                out.splice(s, tm)
                            }
                            (v, _) => {
                                if let Err(m) = crate::yaml::too_large(v) {
                                    return Err(self.err(
                                        &c,
                                        pipe.pos,
                                        pipe.pos,
                                        ErrorKind::Limit,
                                        m,
                                    ));
                                }
                                out.buf.push_str(&sprint_value(v))
                            }
                        }
                        vars.truncate(mark);
                    }
                    if out.buf.len() > self.state.limits.max_output {
                        return Err(self.err(
                            &c,
                            pipe.pos,
                            pipe.pos,
                            ErrorKind::Limit,
                            "output size limit exceeded".into(),
                        ));
                    }
                }
                Node::Branch(b) => match self.branch(&c, dot, b, vars, out)? {
                    Flow::Normal => {}
                    f => return Ok(f),
                },
                Node::Template {
                    pos,
                    name: tname,
                    pipe,
                } => {
                    let (arg, prov) = match pipe {
                        Some(p) => {
                            let mark = vars.len();
                            let r = self.pipeline(&c, dot, p, vars, out)?;
                            vars.truncate(mark);
                            r
                        }
                        None => (Value::Nil, Prov::default()),
                    };
                    let Some(callee) = self.find(tname) else {
                        return Err(self.err(
                            &c,
                            *pos,
                            *pos,
                            ErrorKind::Exec,
                            format!("template {tname:?} not defined"),
                        ));
                    };
                    self.enter(&c, *pos)?;
                    let mut v2 = vec![("$".to_string(), arg.clone(), prov.clone())];
                    let saved = self.enter_call(&c, *pos, tname, prov);
                    let r = self.walk(&callee, tname, &arg, &callee.body.clone(), &mut v2, out);
                    self.leave_call(saved);
                    self.depth -= 1;
                    r?;
                }
                Node::Break(_) => return Ok(Flow::Break),
                Node::Continue(_) => return Ok(Flow::Continue),
            }
        }
        Ok(Flow::Normal)
    }

    /// Makes the dot and call site those of a called template; returns what to restore.
    fn enter_call(
        &mut self,
        c: &Ctx,
        pos: usize,
        name: &str,
        dot: Prov,
    ) -> (Prov, Option<Arc<CallSite>>) {
        let (line, col) = c.t.src.line_col(pos);
        let site = Arc::new(CallSite {
            name: Arc::from(name),
            file: c.t.src.name.clone(),
            line,
            col: col + 1,
            outer: self.via.clone(),
        });
        let dot = std::mem::replace(&mut self.dot_prov, dot);
        let via = self.via.replace(site);
        (dot, via)
    }

    fn leave_call(&mut self, saved: (Prov, Option<Arc<CallSite>>)) {
        self.dot_prov = saved.0;
        self.via = saved.1;
    }

    fn enter(&mut self, c: &Ctx, pos: usize) -> Result<(), Box<ExecError>> {
        self.depth += 1;
        if self.depth > self.state.limits.max_depth {
            self.depth -= 1;
            return Err(self.err(
                c,
                pos,
                pos,
                ErrorKind::Limit,
                format!(
                    "exceeded maximum template depth ({})",
                    self.state.limits.max_depth
                ),
            ));
        }
        Ok(())
    }

    fn branch(
        &mut self,
        c: &Ctx,
        dot: &Value,
        b: &Branch,
        vars: &mut Vars,
        out: &mut Out,
    ) -> Result<Flow, Box<ExecError>> {
        let mark = vars.len();
        let r = self.branch_inner(c, dot, b, vars, out);
        vars.truncate(mark);
        r
    }

    fn branch_inner(
        &mut self,
        c: &Ctx,
        dot: &Value,
        b: &Branch,
        vars: &mut Vars,
        out: &mut Out,
    ) -> Result<Flow, Box<ExecError>> {
        match b.kind {
            BranchKind::If | BranchKind::With => {
                let (v, prov) = self.pipeline(c, dot, &b.pipe, vars, out)?;
                let mark = vars.len();
                let r = if v.truthy() {
                    if b.kind == BranchKind::With {
                        let saved = std::mem::replace(&mut self.dot_prov, prov);
                        let r = self.walk(c.t, c.name, &v, &b.list, vars, out);
                        self.dot_prov = saved;
                        r
                    } else {
                        self.walk(c.t, c.name, dot, &b.list, vars, out)
                    }
                } else if let Some(el) = &b.else_list {
                    self.walk(c.t, c.name, dot, el, vars, out)
                } else {
                    Ok(Flow::Normal)
                };
                vars.truncate(mark);
                r
            }
            BranchKind::Range => {
                let (v, prov) = self.pipeline_raw(c, dot, &b.pipe, vars, out)?;
                let items: Vec<(Value, Value)> = match &v {
                    Value::Nil => Vec::new(),
                    Value::List(l) => l
                        .iter()
                        .enumerate()
                        .map(|(i, e)| (Value::Int(i as i64), e.clone()))
                        .collect(),
                    Value::Map(m) => m
                        .borrow()
                        .iter()
                        .map(|(k, e)| (Value::str(k), e.clone()))
                        .collect(),
                    Value::Int(n) | Value::Int64(n) => {
                        if b.pipe.decl.len() > 1 {
                            return Err(self.err(
                                c,
                                b.pos,
                                b.pos,
                                ErrorKind::Exec,
                                format!("can't use {n} to iterate over more than one variable"),
                            ));
                        }
                        self.step(c, b.pos, (*n).max(0) as u64)?;
                        (0..(*n).max(0))
                            .map(|i| (Value::Int(i), Value::Int(i)))
                            .collect()
                    }
                    Value::Object(o) => match &**o {
                        Object::Files(f) => f
                            .iter()
                            .map(|(k, e)| {
                                (
                                    Value::str(k),
                                    Value::list(e.iter().map(|b| Value::Int(*b as i64)).collect()),
                                )
                            })
                            .collect(),
                        Object::ApiVersions(l) => l
                            .iter()
                            .enumerate()
                            .map(|(i, e)| (Value::Int(i as i64), Value::str(e)))
                            .collect(),
                        _ => {
                            return Err(self.err(
                                c,
                                b.pos,
                                b.pos,
                                ErrorKind::Exec,
                                format!("range can't iterate over {}", sprint_value(&v)),
                            ))
                        }
                    },
                    other => {
                        return Err(self.err(
                            c,
                            b.pos,
                            b.pos,
                            ErrorKind::Exec,
                            format!("range can't iterate over {}", sprint_value(other)),
                        ))
                    }
                };
                if items.is_empty() {
                    if let Some(el) = &b.else_list {
                        return self.walk(c.t, c.name, dot, el, vars, out);
                    }
                    return Ok(Flow::Normal);
                }
                let mark = vars.len();
                // Elements of a `.Values` list or map keep their values path.
                let tracked = matches!(prov.origin, Origin::Values(_) | Origin::Dict(_));
                let saved = self.dot_prov.clone();
                for (k, e) in items {
                    self.step(c, b.pos, 1)?;
                    let ep = if tracked {
                        prov.element(&k)
                    } else {
                        Prov::default()
                    };
                    match b.pipe.decl.len() {
                        0 => {}
                        1 => self.set_var(&b.pipe, 0, e.clone(), ep.clone(), vars, mark),
                        _ => {
                            self.set_var(&b.pipe, 0, k, Prov::default(), vars, mark);
                            self.set_var(&b.pipe, 1, e.clone(), ep.clone(), vars, mark);
                        }
                    }
                    let inner = vars.len();
                    self.dot_prov = ep;
                    let r = self.walk(c.t, c.name, &e, &b.list, vars, out);
                    self.dot_prov = saved.clone();
                    let r = r?;
                    vars.truncate(inner);
                    if let Flow::Break = r {
                        break;
                    }
                }
                vars.truncate(
                    mark + if b.pipe.is_assign {
                        0
                    } else {
                        b.pipe.decl.len()
                    },
                );
                Ok(Flow::Normal)
            }
        }
    }

    fn set_var(&self, pipe: &Pipe, i: usize, v: Value, p: Prov, vars: &mut Vars, mark: usize) {
        let name = &pipe.decl[i];
        if pipe.is_assign {
            if let Some(slot) = vars.iter_mut().rev().find(|(n, _, _)| n == name) {
                slot.1 = v;
                slot.2 = p;
            }
            return;
        }
        // Declared range variables live in slots right after `mark`.
        let idx = mark + i;
        if vars.len() > idx {
            vars[idx] = (name.clone(), v, p);
        } else {
            vars.push((name.clone(), v, p));
        }
    }

    /// Evaluates a pipeline and applies its declaration or assignment.
    fn pipeline(
        &mut self,
        c: &Ctx,
        dot: &Value,
        p: &Pipe,
        vars: &mut Vars,
        out: &mut Out,
    ) -> Result<(Value, Prov), Box<ExecError>> {
        let (v, prov) = self.pipeline_raw(c, dot, p, vars, out)?;
        for name in &p.decl {
            if p.is_assign {
                match vars.iter_mut().rev().find(|(n, _, _)| n == name) {
                    Some(slot) => {
                        slot.1 = v.clone();
                        slot.2 = prov.clone();
                    }
                    None => {
                        return Err(self.err(
                            c,
                            p.pos,
                            p.pos,
                            ErrorKind::Exec,
                            format!("undefined variable: {name}"),
                        ))
                    }
                }
            } else {
                vars.push((name.clone(), v.clone(), prov.clone()));
            }
        }
        Ok((v, prov))
    }

    fn pipeline_raw(
        &mut self,
        c: &Ctx,
        dot: &Value,
        p: &Pipe,
        vars: &mut Vars,
        out: &mut Out,
    ) -> Result<(Value, Prov), Box<ExecError>> {
        let mut val: Option<(Value, Prov)> = None;
        for cmd in &p.cmds {
            val = Some(self.command(c, dot, cmd, val.take(), vars, out)?);
        }
        Ok(val.unwrap_or_default())
    }

    fn command(
        &mut self,
        c: &Ctx,
        dot: &Value,
        cmd: &Command,
        fin: Option<(Value, Prov)>,
        vars: &mut Vars,
        out: &mut Out,
    ) -> Result<(Value, Prov), Box<ExecError>> {
        self.step(c, cmd.pos, 1)?;
        let first = &cmd.args[0];
        let has_args = cmd.args.len() > 1 || fin.is_some();
        match first {
            Expr::Ident(_, name) => {
                return self.call(c, dot, cmd, name, fin, vars, out);
            }
            Expr::Field { pos, end, names } => {
                let prov = self.dot_prov.field(names);
                let fin = fin.map(|f| f.0);
                let v =
                    self.field_chain(c, dot, cmd, dot.clone(), names, *pos, *end, fin, vars, out)?;
                return Ok((v, prov));
            }
            Expr::Variable {
                pos,
                end,
                name,
                names,
            } => {
                let (base, bp) = self.var(c, *pos, name, vars)?;
                if names.is_empty() {
                    if has_args {
                        return Err(self.err(
                            c,
                            cmd.pos,
                            cmd.end,
                            ErrorKind::Exec,
                            format!("can't give argument to non-function {name}"),
                        ));
                    }
                    return Ok((base, bp));
                }
                let fin = fin.map(|f| f.0);
                let v = self.field_chain(c, dot, cmd, base, names, *pos, *end, fin, vars, out)?;
                return Ok((v, bp.field(names)));
            }
            Expr::Chain {
                pos,
                end,
                node,
                names,
            } => {
                let (base, bp) = self.arg(c, dot, node, vars, out)?;
                let fin = fin.map(|f| f.0);
                let v = self.field_chain(c, dot, cmd, base, names, *pos, *end, fin, vars, out)?;
                return Ok((v, bp.field(names)));
            }
            _ => {}
        }
        if has_args {
            let ctx = c.t.src.slice(first.pos(), cmd.end).to_string();
            return Err(self.err(
                c,
                first.pos(),
                cmd.end,
                ErrorKind::Exec,
                format!(
                    "can't give argument to non-function {}",
                    ctx.split_whitespace().next().unwrap_or("")
                ),
            ));
        }
        if let Expr::Nil(p) = first {
            return Err(self.err(
                c,
                *p,
                *p + 3,
                ErrorKind::Exec,
                "nil is not a command".into(),
            ));
        }
        self.arg(c, dot, first, vars, out)
    }

    fn var(
        &self,
        c: &Ctx,
        pos: usize,
        name: &str,
        vars: &Vars,
    ) -> Result<(Value, Prov), Box<ExecError>> {
        match vars.iter().rev().find(|(n, _, _)| n == name) {
            Some((_, v, p)) => Ok((v.clone(), p.clone())),
            None => Err(self.err(
                c,
                pos,
                pos + name.len(),
                ErrorKind::Exec,
                format!("undefined variable: {name}"),
            )),
        }
    }

    fn arg(
        &mut self,
        c: &Ctx,
        dot: &Value,
        e: &Expr,
        vars: &mut Vars,
        out: &mut Out,
    ) -> Result<(Value, Prov), Box<ExecError>> {
        self.step(c, e.pos(), 1)?;
        Ok(match e {
            Expr::Dot(_) => (dot.clone(), self.dot_prov.clone()),
            Expr::Nil(_) => (Value::Nil, Prov::default()),
            Expr::Bool(_, b) => (Value::Bool(*b), Prov::default()),
            Expr::Number(_, n) => (
                match (n.is_float, n.int) {
                    (false, Some(i)) => Value::Int(i),
                    _ => Value::Float(n.float),
                },
                Prov::default(),
            ),
            Expr::Str(_, s) => (Value::Str(s.clone()), Prov::default()),
            Expr::Field { pos, end, names } => {
                let cmd = Command {
                    pos: *pos,
                    end: *end,
                    args: Vec::new(),
                };
                let v = self.field_chain(
                    c,
                    dot,
                    &cmd,
                    dot.clone(),
                    names,
                    *pos,
                    *end,
                    None,
                    vars,
                    out,
                )?;
                (v, self.dot_prov.field(names))
            }
            Expr::Variable {
                pos,
                end,
                name,
                names,
            } => {
                let (base, bp) = self.var(c, *pos, name, vars)?;
                if names.is_empty() {
                    (base, bp)
                } else {
                    let cmd = Command {
                        pos: *pos,
                        end: *end,
                        args: Vec::new(),
                    };
                    let v =
                        self.field_chain(c, dot, &cmd, base, names, *pos, *end, None, vars, out)?;
                    (v, bp.field(names))
                }
            }
            Expr::Chain {
                pos,
                end,
                node,
                names,
            } => {
                let (base, bp) = self.arg(c, dot, node, vars, out)?;
                let cmd = Command {
                    pos: *pos,
                    end: *end,
                    args: Vec::new(),
                };
                let v = self.field_chain(c, dot, &cmd, base, names, *pos, *end, None, vars, out)?;
                (v, bp.field(names))
            }
            // Declarations in a parenthesized pipeline stay visible in Go; keep them.
            Expr::Pipe(_, p) => self.pipeline(c, dot, p, vars, out)?,
            Expr::Ident(pos, name) => {
                let cmd = Command {
                    pos: *pos,
                    end: *pos + name.len(),
                    args: vec![e.clone()],
                };
                self.call(c, dot, &cmd, name, None, vars, out)?
            }
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn field_chain(
        &mut self,
        c: &Ctx,
        dot: &Value,
        cmd: &Command,
        base: Value,
        names: &[String],
        pos: usize,
        end: usize,
        fin: Option<Value>,
        vars: &mut Vars,
        out: &mut Out,
    ) -> Result<Value, Box<ExecError>> {
        let mut cur = base;
        for (i, name) in names.iter().enumerate() {
            let last = i + 1 == names.len();
            let has_args = last && (cmd.args.len() > 1 || fin.is_some());
            cur = match &cur {
                Value::Map(m) => {
                    if has_args {
                        return Err(self.err(
                            c,
                            pos,
                            end,
                            ErrorKind::Exec,
                            format!("{name} is not a method but has arguments"),
                        ));
                    }
                    m.borrow().get(name).cloned().unwrap_or(Value::Nil)
                }
                // A nil that came out of a pipeline, variable or dot is Go's invalid value:
                // field access on it yields nothing (`(.Values.a).b` idiom). A nil reached
                // through a map inside the chain is a nil interface: an error.
                Value::Nil if i == 0 => return Ok(Value::Nil),
                Value::Nil => {
                    return Err(self.err(
                        c,
                        pos,
                        end,
                        ErrorKind::Exec,
                        format!("nil pointer evaluating interface {{}}.{name}"),
                    ));
                }
                Value::Object(o) => {
                    let mut args = Vec::new();
                    if last {
                        for a in cmd.args.iter().skip(1) {
                            args.push(self.arg(c, dot, a, vars, out)?.0);
                        }
                        if let Some(f) = &fin {
                            args.push(f.clone());
                        }
                    }
                    funcs::helm::object_member(o, name, &args)
                        .map_err(|m| self.err(c, pos, end, ErrorKind::Exec, m))?
                }
                other => {
                    // Values reached through a map or a list are typed `interface {}` in Go.
                    let ty = if i > 0 {
                        "interface {}"
                    } else {
                        other.type_name()
                    };
                    return Err(self.err(
                        c,
                        pos,
                        end,
                        ErrorKind::Exec,
                        format!("can't evaluate field {name} in type {ty}"),
                    ));
                }
            };
        }
        Ok(cur)
    }

    #[allow(clippy::too_many_arguments)]
    fn call(
        &mut self,
        c: &Ctx,
        dot: &Value,
        cmd: &Command,
        name: &str,
        fin: Option<(Value, Prov)>,
        vars: &mut Vars,
        out: &mut Out,
    ) -> Result<(Value, Prov), Box<ExecError>> {
        let raw = &cmd.args[1..];
        // Short-circuit boolean operators get unevaluated operands.
        if name == "and" || name == "or" {
            let n = raw.len() + usize::from(fin.is_some());
            if n == 0 {
                return Err(self.err(
                    c,
                    cmd.pos,
                    cmd.end,
                    ErrorKind::Exec,
                    format!("wrong number of args for {name}: want at least 1 got 0"),
                ));
            }
            let mut last = (Value::Nil, Prov::default());
            for a in raw {
                last = self.arg(c, dot, a, vars, out)?;
                if (name == "and") != last.0.truthy() {
                    return Ok(last);
                }
            }
            if let Some(f) = fin {
                last = f;
            }
            return Ok(last);
        }
        let piped = fin.is_some();
        let mut args = Vec::with_capacity(raw.len() + 1);
        let mut provs = Vec::with_capacity(raw.len() + 1);
        for a in raw {
            let (v, p) = self.arg(c, dot, a, vars, out)?;
            args.push(v);
            provs.push(p);
        }
        if let Some((v, p)) = fin {
            args.push(v);
            provs.push(p);
        }
        match name {
            "include" => {
                if args.len() != 2 {
                    return Err(self.call_err(
                        c,
                        cmd,
                        name,
                        format!(
                            "wrong number of args for include: want 2 got {}",
                            args.len()
                        ),
                    ));
                }
                let tname = match &args[0] {
                    Value::Str(s) => s.to_string(),
                    other => {
                        return Err(self.err(
                            c,
                            cmd.pos,
                            cmd.end,
                            ErrorKind::Exec,
                            format!(
                                "wrong type for value; expected string; got {}",
                                other.type_name()
                            ),
                        ))
                    }
                };
                let Some(callee) = self.find(&tname) else {
                    return Err(self.call_err(
                        c,
                        cmd,
                        name,
                        format!(
                            "template: no template {tname:?} associated with template {:?}",
                            c.name
                        ),
                    ));
                };
                self.enter(c, cmd.pos).map_err(|mut e| {
                    e.msg = format!("error calling include: rendering template has a nested reference name: {tname}: unable to execute template");
                    e
                })?;
                let mut sub = Out::default();
                let mut v2 = vec![("$".to_string(), args[1].clone(), provs[1].clone())];
                let saved = self.enter_call(c, cmd.pos, &tname, provs[1].clone());
                let r = self.walk(
                    &callee,
                    &tname,
                    &args[1],
                    &callee.body.clone(),
                    &mut v2,
                    &mut sub,
                );
                self.leave_call(saved);
                self.depth -= 1;
                if let Err(e) = r {
                    return Err(self.wrap_nested(c, cmd, name, e));
                }
                // The result carries its map, so that printing it maps into the helper.
                let text: Rc<str> = Rc::from(sub.buf);
                let prov = Prov {
                    origin: Origin::Unknown,
                    text: Some(Rc::new(TextMap::new(text.clone(), sub.segs))),
                };
                Ok((Value::Str(text), prov))
            }
            "tpl" => {
                if args.len() != 2 {
                    return Err(self.call_err(
                        c,
                        cmd,
                        name,
                        format!("wrong number of args for tpl: want 2 got {}", args.len()),
                    ));
                }
                let text = match &args[0] {
                    Value::Str(s) => s.to_string(),
                    other => {
                        return Err(self.err(
                            c,
                            cmd.pos,
                            cmd.end,
                            ErrorKind::Exec,
                            format!(
                                "wrong type for value; expected string; got {}",
                                other.type_name()
                            ),
                        ))
                    }
                };
                let tdot = args[1].clone();
                // The parse name of a tpl string is the calling template's file.
                let tname = match &tdot {
                    Value::Map(m) => m.borrow().get("Template").and_then(|t| match t {
                        Value::Map(tm) => tm
                            .borrow()
                            .get("Name")
                            .and_then(|n| n.as_str().map(str::to_string)),
                        _ => None,
                    }),
                    _ => None,
                }
                .unwrap_or_else(|| c.t.src.name.to_string());
                let src = Rc::new(Source::new(&tname, &text));
                let parsed = parse(&text, &is_function).map_err(|e| {
                    let pe = parse_error(&src, e);
                    self.call_err(c, cmd, name, pe.go_message())
                })?;
                let mut layer = HashMap::new();
                for (dn, body) in parsed.defines {
                    layer.insert(
                        dn,
                        Tmpl {
                            src: src.clone(),
                            body: Rc::new(body),
                        },
                    );
                }
                let t = Tmpl {
                    src: src.clone(),
                    body: Rc::new(parsed.root),
                };
                self.enter(c, cmd.pos)?;
                self.overlay.push(layer);
                let mut sub = Out::default();
                let mut v2 = vec![("$".to_string(), tdot.clone(), provs[1].clone())];
                let saved = std::mem::replace(&mut self.dot_prov, provs[1].clone());
                let r = self.walk(&t, &tname, &tdot, &t.body.clone(), &mut v2, &mut sub);
                self.dot_prov = saved;
                self.overlay.pop();
                self.depth -= 1;
                if let Err(e) = r {
                    return Err(self.wrap_nested(c, cmd, name, e));
                }
                // `tpl` output maps to the `tpl` call (the action that prints it).
                Ok((
                    Value::from(sub.buf.replace("<no value>", "")),
                    Prov::default(),
                ))
            }
            "fail" => {
                let msg = args.first().map(sprint_value).unwrap_or_default();
                Err(self.err(c, cmd.pos, cmd.end, ErrorKind::Fail, msg))
            }
            "required" => {
                if args.len() != 2 {
                    return Err(self.call_err(
                        c,
                        cmd,
                        name,
                        format!(
                            "wrong number of args for required: want 2 got {}",
                            args.len()
                        ),
                    ));
                }
                let missing = match &args[1] {
                    Value::Nil => true,
                    Value::Str(s) => s.is_empty(),
                    _ => false,
                };
                if missing {
                    let msg = match &args[0] {
                        Value::Str(s) => s.to_string(),
                        other => sprint_value(other),
                    };
                    return Err(self.err(c, cmd.pos, cmd.end, ErrorKind::Fail, msg));
                }
                Ok((args[1].clone(), provs[1].clone()))
            }
            "toYaml" | "mustToYaml" if args.len() == 1 => {
                let Origin::Values(base) = &provs[0].origin else {
                    return self.call_func(c, cmd, name, &args, provs, piped);
                };
                // The text of Helm's `toYaml`, with the values key of each line.
                let (text, lines) = crate::yaml::to_yaml_lines(&args[0]).unwrap_or_default();
                let text: Rc<str> = Rc::from(text);
                let (line, col) = c.t.src.line_col(cmd.pos);
                let map = TextMap::yaml(
                    text.clone(),
                    YamlLines {
                        base: base.clone(),
                        file: c.t.src.name.clone(),
                        line,
                        col: col + 1,
                        via: self.via.clone(),
                        lines,
                    },
                );
                let prov = Prov {
                    origin: Origin::Values(base.clone()),
                    text: Some(Rc::new(map)),
                };
                Ok((Value::Str(text), prov))
            }
            _ => self.call_func(c, cmd, name, &args, provs, piped),
        }
    }

    /// Calls a function of the library ([`funcs`]).
    fn call_func(
        &mut self,
        c: &Ctx,
        cmd: &Command,
        name: &str,
        args: &[Value],
        provs: Vec<Prov>,
        piped: bool,
    ) -> Result<(Value, Prov), Box<ExecError>> {
        let Some(f) = funcs::lookup(name) else {
            return Err(self.err(
                c,
                cmd.pos,
                cmd.end,
                ErrorKind::Exec,
                format!("function {name:?} not defined"),
            ));
        };
        let mut fc = FnCtx {
            name,
            rng: &mut self.state.rng,
            nondet: false,
            work: 0,
        };
        let r = f(&mut fc, args);
        let (nondet, work) = (fc.nondet, fc.work);
        if nondet {
            let (line, _) = c.t.src.line_col(cmd.pos);
            self.state.nondet.push(Nondet {
                function: name.to_string(),
                file: c.t.src.name.to_string(),
                line,
            });
        }
        let v = match r {
            Ok(v) => v,
            Err(FnErr::Call(m)) => return Err(self.call_err(c, cmd, name, m)),
            Err(FnErr::Arg(m)) => return Err(self.err(c, cmd.pos, cmd.end, ErrorKind::Exec, m)),
            Err(FnErr::Limit(m)) => return Err(self.err(c, cmd.pos, cmd.end, ErrorKind::Limit, m)),
        };
        self.step(c, cmd.pos, work)?;
        self.count_value(c, cmd, name, &v)?;
        let prov = self.result_prov(name, args, provs, piped, &v);
        Ok((v, prov))
    }
}

impl Exec<'_, '_> {
    /// The provenance of a function's result from its arguments': exact for the functions that
    /// pass a value through or select one, the text map for the functions that keep text line
    /// by line, and otherwise the values path of what flows into the function or of its first
    /// argument read from `.Values` (`toYaml .Values.r | nindent 2`).
    fn result_prov(
        &self,
        name: &str,
        args: &[Value],
        mut provs: Vec<Prov>,
        piped: bool,
        result: &Value,
    ) -> Prov {
        if provs.iter().all(Prov::is_unknown) {
            return Prov::default();
        }
        let n = provs.len();
        match name {
            "default" if n == 2 => {
                let i = if args[1].truthy() { 1 } else { 0 };
                return provs.swap_remove(i);
            }
            "coalesce" => {
                return args
                    .iter()
                    .position(Value::truthy)
                    .map(|i| provs.swap_remove(i))
                    .unwrap_or_default();
            }
            "ternary" if n == 3 => {
                let i = if args[2].truthy() { 0 } else { 1 };
                return provs.swap_remove(i);
            }
            "index" if n >= 1 => {
                let mut p = provs.swap_remove(0);
                for k in &args[1..] {
                    p = p.element(k);
                }
                return p;
            }
            "dict" => {
                let entries: Vec<(String, Prov)> = args
                    .chunks(2)
                    .zip(provs.chunks(2))
                    .filter_map(|(a, p)| match (&a[0], p.get(1)) {
                        (Value::Str(k), Some(p)) if !p.is_unknown() => {
                            Some((k.to_string(), p.clone()))
                        }
                        _ => None,
                    })
                    .collect();
                return Prov {
                    origin: Origin::Dict(Rc::new(entries)),
                    text: None,
                };
            }
            _ => {}
        }
        let origin = if matches!(result, Value::Map(_) | Value::List(_)) {
            Origin::Unknown
        } else {
            let from_pipe = if piped {
                provs.last().and_then(Prov::values_path)
            } else {
                None
            };
            match from_pipe.or_else(|| provs.iter().find_map(Prov::values_path)) {
                Some(p) => Origin::Values(p),
                None => Origin::Unknown,
            }
        };
        let Value::Str(out) = result else {
            return Prov { origin, text: None };
        };
        let text = match name {
            "indent" | "nindent" => match (args.first(), provs.last()) {
                (Some(Value::Int(w) | Value::Int64(w)), Some(Prov { text: Some(tm), .. })) => {
                    tm.indented((*w).max(0) as usize, name == "nindent", out)
                }
                _ => None,
            },
            "trim" | "trimPrefix" | "trimSuffix" => match provs.last() {
                Some(Prov { text: Some(tm), .. }) => {
                    let start = match name {
                        "trim" => tm.text.len() - tm.text.trim_start().len(),
                        "trimPrefix" => tm.text.len().saturating_sub(out.len()),
                        _ => 0,
                    };
                    tm.sliced(start, out)
                }
                _ => None,
            },
            _ => None,
        };
        Prov {
            origin,
            text: text.map(Rc::new),
        }
    }
}
