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
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_depth: 1000,
            max_steps: 20_000_000,
            max_output: 64 << 20,
        }
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

/// One source-map entry: output from `out` onwards (until the next segment) came from
/// `file` at `line:col`. For literal text, later output lines map to later source lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Output byte offset where this segment starts.
    pub out: usize,
    /// Template file (parse name).
    pub file: Arc<str>,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (bytes).
    pub col: usize,
    /// Whether the output is literal template text (copied verbatim).
    pub literal: bool,
    /// For actions whose value came straight from `.Values…`, the values path.
    pub values_path: Option<Arc<str>>,
}

/// Maps output byte offsets to template positions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceMap {
    /// Segments sorted by `out`.
    pub segments: Vec<Segment>,
}

/// A resolved position for an output byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// Template file (parse name).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// Values path, when known.
    pub values_path: Option<String>,
}

impl SourceMap {
    /// Where the output byte at `offset` of `text` (the output this map describes) came from.
    pub fn locate(&self, text: &str, offset: usize) -> Option<Location> {
        let i = self.segments.partition_point(|s| s.out <= offset);
        let seg = self.segments.get(i.checked_sub(1)?)?;
        let (mut line, mut col) = (seg.line, seg.col);
        if seg.literal {
            let between = text.get(seg.out..offset.min(text.len()))?;
            let nl = between.matches('\n').count();
            if nl > 0 {
                line += nl;
                col = between.len() - between.rfind('\n').map_or(0, |p| p + 1) + 1;
            } else {
                col += between.len();
            }
        }
        Some(Location {
            file: seg.file.to_string(),
            line,
            col,
            values_path: seg.values_path.as_ref().map(|s| s.to_string()),
        })
    }

    /// Re-bases the map for the sub-range `start..end` of the output.
    pub fn slice(&self, text: &str, start: usize, end: usize) -> SourceMap {
        let mut out = Vec::new();
        if let Some(first) = self.first_at(text, start) {
            out.push(first);
        }
        for s in &self.segments {
            if s.out > start && s.out < end {
                let mut s = s.clone();
                s.out -= start;
                if out.last().is_some_and(|l: &Segment| l.out == s.out) {
                    out.pop();
                }
                out.push(s);
            }
        }
        SourceMap { segments: out }
    }

    fn first_at(&self, text: &str, start: usize) -> Option<Segment> {
        let i = self.segments.partition_point(|s| s.out <= start);
        let seg = self.segments.get(i.checked_sub(1)?)?;
        let loc = self.locate(text, start)?;
        Some(Segment {
            out: 0,
            line: loc.line,
            col: loc.col,
            ..seg.clone()
        })
    }

    /// Applies deletions of output ranges (sorted, non-overlapping) to the map.
    pub fn delete_ranges(&mut self, text: &str, ranges: &[(usize, usize)]) {
        if ranges.is_empty() {
            return;
        }
        let mut segs = Vec::with_capacity(self.segments.len());
        for s in &self.segments {
            let mut s2 = s.clone();
            // A segment starting inside a deleted range moves to the end of it.
            let mut moved = s.out;
            for &(a, b) in ranges {
                if moved >= a && moved < b {
                    moved = b;
                }
            }
            if moved != s.out {
                if let Some(loc) = self.locate(text, moved) {
                    s2.line = loc.line;
                    s2.col = loc.col;
                }
            }
            let shift: usize = ranges
                .iter()
                .filter(|r| r.1 <= moved)
                .map(|r| r.1 - r.0)
                .sum();
            s2.out = moved - shift;
            if segs.last().is_some_and(|l: &Segment| l.out == s2.out) {
                segs.pop();
            }
            segs.push(s2);
        }
        self.segments = segs;
    }
}

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
        };
        let mut out = Out::default();
        let mut vars = vec![("$".to_string(), dot.clone())];
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
        }
    }
}

#[derive(Default)]
struct Out {
    buf: String,
    segs: Vec<Segment>,
}

impl Out {
    fn mark(&mut self, src: &Source, pos: usize, literal: bool, values_path: Option<Arc<str>>) {
        let (line, col) = src.line_col(pos);
        let seg = Segment {
            out: self.buf.len(),
            file: src.name.clone(),
            line,
            col: col + 1,
            literal,
            values_path,
        };
        if self.segs.last().is_some_and(|l| l.out == seg.out) {
            self.segs.pop();
        }
        self.segs.push(seg);
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
}

type Vars = Vec<(String, Value)>;

/// The values path of the first `.Values…` field among arguments.
fn values_path_of_args(args: &[Expr]) -> Option<Arc<str>> {
    args.iter().find_map(|a| match a {
        Expr::Field { names, .. } if names.len() > 1 && names[0] == "Values" => {
            Some(Arc::from(names[1..].join(".").as_str()))
        }
        _ => None,
    })
}

/// Context for errors: which source and template are executing.
struct Ctx<'a> {
    t: &'a Tmpl,
    name: &'a str,
}

impl Exec<'_, '_> {
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
        self.state.steps = self.state.steps.saturating_add(n);
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
                    out.mark(&t.src, *start, true, None);
                    out.buf.push_str(t.src.slice(*start, *end));
                }
                Node::Action(pipe) => {
                    let mark = vars.len();
                    let (v, vp) = self.pipeline(&c, dot, pipe, vars, out)?;
                    if pipe.decl.is_empty() {
                        out.mark(&t.src, pipe.pos, false, vp);
                        match &v {
                            Value::Nil => out.buf.push_str("<no value>"),
                            v => out.buf.push_str(&sprint_value(v)),
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
                    let arg = match pipe {
                        Some(p) => {
                            let mark = vars.len();
                            let v = self.pipeline(&c, dot, p, vars, out)?.0;
                            vars.truncate(mark);
                            v
                        }
                        None => Value::Nil,
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
                    let mut v2 = vec![("$".to_string(), arg.clone())];
                    let r = self.walk(&callee, tname, &arg, &callee.body.clone(), &mut v2, out);
                    self.depth -= 1;
                    r?;
                }
                Node::Break(_) => return Ok(Flow::Break),
                Node::Continue(_) => return Ok(Flow::Continue),
            }
        }
        Ok(Flow::Normal)
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
                let (v, _) = self.pipeline(c, dot, &b.pipe, vars, out)?;
                let mark = vars.len();
                let r = if v.truthy() {
                    let d = if b.kind == BranchKind::With {
                        v
                    } else {
                        dot.clone()
                    };
                    self.walk(c.t, c.name, &d, &b.list, vars, out)
                } else if let Some(el) = &b.else_list {
                    self.walk(c.t, c.name, dot, el, vars, out)
                } else {
                    Ok(Flow::Normal)
                };
                vars.truncate(mark);
                r
            }
            BranchKind::Range => {
                let (v, _) = self.pipeline_raw(c, dot, &b.pipe, vars, out)?;
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
                for (k, e) in items {
                    self.step(c, b.pos, 1)?;
                    match b.pipe.decl.len() {
                        0 => {}
                        1 => self.set_var(&b.pipe, 0, e.clone(), vars, mark),
                        _ => {
                            self.set_var(&b.pipe, 0, k, vars, mark);
                            self.set_var(&b.pipe, 1, e.clone(), vars, mark);
                        }
                    }
                    let inner = vars.len();
                    let r = self.walk(c.t, c.name, &e, &b.list, vars, out)?;
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

    fn set_var(&self, pipe: &Pipe, i: usize, v: Value, vars: &mut Vars, mark: usize) {
        let name = &pipe.decl[i];
        if pipe.is_assign {
            if let Some(slot) = vars.iter_mut().rev().find(|(n, _)| n == name) {
                slot.1 = v;
            }
            return;
        }
        // Declared range variables live in slots right after `mark`.
        let idx = mark + i;
        if vars.len() > idx {
            vars[idx] = (name.clone(), v);
        } else {
            vars.push((name.clone(), v));
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
    ) -> Result<(Value, Option<Arc<str>>), Box<ExecError>> {
        let (v, vp) = self.pipeline_raw(c, dot, p, vars, out)?;
        for name in &p.decl {
            if p.is_assign {
                match vars.iter_mut().rev().find(|(n, _)| n == name) {
                    Some(slot) => slot.1 = v.clone(),
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
                vars.push((name.clone(), v.clone()));
            }
        }
        Ok((v, vp))
    }

    fn pipeline_raw(
        &mut self,
        c: &Ctx,
        dot: &Value,
        p: &Pipe,
        vars: &mut Vars,
        out: &mut Out,
    ) -> Result<(Value, Option<Arc<str>>), Box<ExecError>> {
        let mut val: Option<Value> = None;
        let mut vp = None;
        for cmd in &p.cmds {
            let (v, path) = self.command(c, dot, cmd, val.take(), vars, out)?;
            val = Some(v);
            // A function keeps the values path of what flows into it (`.Values.a | quote`)
            // or takes it from its first `.Values…` argument (`toYaml .Values.r | nindent 2`).
            vp = match (&cmd.args[0], path) {
                (_, Some(p)) => Some(p),
                (Expr::Ident(..), None) => vp.or_else(|| values_path_of_args(&cmd.args[1..])),
                _ => None,
            };
        }
        Ok((val.unwrap_or_default(), vp))
    }

    fn command(
        &mut self,
        c: &Ctx,
        dot: &Value,
        cmd: &Command,
        fin: Option<Value>,
        vars: &mut Vars,
        out: &mut Out,
    ) -> Result<(Value, Option<Arc<str>>), Box<ExecError>> {
        self.step(c, cmd.pos, 1)?;
        let first = &cmd.args[0];
        let has_args = cmd.args.len() > 1 || fin.is_some();
        match first {
            Expr::Ident(_, name) => {
                let v = self.call(c, dot, cmd, name, fin, vars, out)?;
                return Ok((v, None));
            }
            Expr::Field { pos, end, names } => {
                let path = if names.first().is_some_and(|n| n == "Values") {
                    Some(Arc::from(names[1..].join(".").as_str()))
                } else {
                    None
                };
                let v =
                    self.field_chain(c, dot, cmd, dot.clone(), names, *pos, *end, fin, vars, out)?;
                return Ok((v, path));
            }
            Expr::Variable {
                pos,
                end,
                name,
                names,
            } => {
                let base = self.var(c, *pos, name, vars)?;
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
                    return Ok((base, None));
                }
                let v = self.field_chain(c, dot, cmd, base, names, *pos, *end, fin, vars, out)?;
                return Ok((v, None));
            }
            Expr::Chain {
                pos,
                end,
                node,
                names,
            } => {
                let base = self.arg(c, dot, node, vars, out)?;
                let v = self.field_chain(c, dot, cmd, base, names, *pos, *end, fin, vars, out)?;
                return Ok((v, None));
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
        Ok((self.arg(c, dot, first, vars, out)?, None))
    }

    fn var(&self, c: &Ctx, pos: usize, name: &str, vars: &Vars) -> Result<Value, Box<ExecError>> {
        match vars.iter().rev().find(|(n, _)| n == name) {
            Some((_, v)) => Ok(v.clone()),
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
    ) -> Result<Value, Box<ExecError>> {
        self.step(c, e.pos(), 1)?;
        Ok(match e {
            Expr::Dot(_) => dot.clone(),
            Expr::Nil(_) => Value::Nil,
            Expr::Bool(_, b) => Value::Bool(*b),
            Expr::Number(_, n) => match (n.is_float, n.int) {
                (false, Some(i)) => Value::Int(i),
                _ => Value::Float(n.float),
            },
            Expr::Str(_, s) => Value::Str(s.clone()),
            Expr::Field { pos, end, names } => {
                let cmd = Command {
                    pos: *pos,
                    end: *end,
                    args: Vec::new(),
                };
                self.field_chain(
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
                )?
            }
            Expr::Variable {
                pos,
                end,
                name,
                names,
            } => {
                let base = self.var(c, *pos, name, vars)?;
                if names.is_empty() {
                    base
                } else {
                    let cmd = Command {
                        pos: *pos,
                        end: *end,
                        args: Vec::new(),
                    };
                    self.field_chain(c, dot, &cmd, base, names, *pos, *end, None, vars, out)?
                }
            }
            Expr::Chain {
                pos,
                end,
                node,
                names,
            } => {
                let base = self.arg(c, dot, node, vars, out)?;
                let cmd = Command {
                    pos: *pos,
                    end: *end,
                    args: Vec::new(),
                };
                self.field_chain(c, dot, &cmd, base, names, *pos, *end, None, vars, out)?
            }
            Expr::Pipe(_, p) => {
                let mark = vars.len();
                let v = self.pipeline(c, dot, p, vars, out)?.0;
                // Declarations in a parenthesized pipeline stay visible in Go; keep them.
                let _ = mark;
                v
            }
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
                            args.push(self.arg(c, dot, a, vars, out)?);
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
        fin: Option<Value>,
        vars: &mut Vars,
        out: &mut Out,
    ) -> Result<Value, Box<ExecError>> {
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
            let mut last = Value::Nil;
            for a in raw {
                last = self.arg(c, dot, a, vars, out)?;
                if (name == "and") != last.truthy() {
                    return Ok(last);
                }
            }
            if let Some(f) = fin {
                last = f;
            }
            return Ok(last);
        }
        let mut args = Vec::with_capacity(raw.len() + 1);
        for a in raw {
            args.push(self.arg(c, dot, a, vars, out)?);
        }
        if let Some(f) = fin {
            args.push(f);
        }
        let call_err = |s: &Self, msg: String| {
            s.err(
                c,
                cmd.pos,
                cmd.end,
                ErrorKind::Call,
                format!("error calling {name}: {msg}"),
            )
        };
        match name {
            "include" => {
                if args.len() != 2 {
                    return Err(call_err(
                        self,
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
                    return Err(call_err(
                        self,
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
                let mut v2 = vec![("$".to_string(), args[1].clone())];
                let r = self.walk(
                    &callee,
                    &tname,
                    &args[1],
                    &callee.body.clone(),
                    &mut v2,
                    &mut sub,
                );
                self.depth -= 1;
                if let Err(e) = r {
                    return Err(self.wrap_nested(c, cmd, name, e));
                }
                Ok(Value::from(sub.buf))
            }
            "tpl" => {
                if args.len() != 2 {
                    return Err(call_err(
                        self,
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
                    call_err(self, pe.go_message())
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
                let mut v2 = vec![("$".to_string(), tdot.clone())];
                let r = self.walk(&t, &tname, &tdot, &t.body.clone(), &mut v2, &mut sub);
                self.overlay.pop();
                self.depth -= 1;
                if let Err(e) = r {
                    return Err(self.wrap_nested(c, cmd, name, e));
                }
                Ok(Value::from(sub.buf.replace("<no value>", "")))
            }
            "fail" => {
                let msg = args.first().map(sprint_value).unwrap_or_default();
                Err(self.err(c, cmd.pos, cmd.end, ErrorKind::Fail, msg))
            }
            "required" => {
                if args.len() != 2 {
                    return Err(call_err(
                        self,
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
                Ok(args[1].clone())
            }
            _ => {
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
                let r = f(&mut fc, &args);
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
                    Err(FnErr::Call(m)) => return Err(call_err(self, m)),
                    Err(FnErr::Arg(m)) => {
                        return Err(self.err(c, cmd.pos, cmd.end, ErrorKind::Exec, m))
                    }
                    Err(FnErr::Limit(m)) => {
                        return Err(self.err(c, cmd.pos, cmd.end, ErrorKind::Limit, m))
                    }
                };
                self.step(c, cmd.pos, work)?;
                Ok(v)
            }
        }
    }
}
