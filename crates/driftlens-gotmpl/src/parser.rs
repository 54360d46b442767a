//! Parser for Go `text/template`: tokens → [`ast`](super::ast) nodes, with `define` and
//! `block` bodies collected separately. Nesting is limited so hostile input cannot
//! exhaust the stack.

use std::rc::Rc;

use super::ast::{Branch, BranchKind, Command, Expr, List, Node, Number, Pipe};
use super::fmt::go_quote;
use super::lexer::{lex, Tok, Token};

/// Maximum nesting of blocks and parentheses.
pub const MAX_PARSE_DEPTH: usize = 200;

/// A parse error at a byte offset, worded like Go.
#[derive(Debug, Clone)]
pub struct ParseError {
    /// Byte offset.
    pub pos: usize,
    /// Message.
    pub msg: String,
}

/// Result of parsing one source.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Top-level nodes.
    pub root: List,
    /// `define`d (and `block`) templates in source order.
    pub defines: Vec<(String, List)>,
}

enum Term {
    End,
    Else(usize),
    Eof,
}

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    /// Variables in scope, as Go's parser tracks them (`$` always).
    vars: Vec<String>,
    i: usize,
    depth: usize,
    range_depth: usize,
    defines: Vec<(String, List)>,
    is_func: &'a dyn Fn(&str) -> bool,
}

fn err<T>(pos: usize, msg: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError {
        pos,
        msg: msg.into(),
    })
}

/// Parses a template source. `is_func` tells which function names exist.
pub fn parse(src: &str, is_func: &dyn Fn(&str) -> bool) -> Result<Parsed, ParseError> {
    let toks = lex(src).map_err(|e| ParseError {
        pos: e.pos,
        msg: e.msg,
    })?;
    let mut p = Parser {
        src,
        toks,
        vars: vec!["$".to_string()],
        i: 0,
        depth: 0,
        range_depth: 0,
        defines: Vec::new(),
        is_func,
    };
    let (root, term) = p.list(true)?;
    match term {
        Term::Eof => {}
        Term::End => return err(p.prev_pos(), "unexpected {{end}}"),
        Term::Else(pos) => return err(pos, "unexpected {{else}}"),
    }
    Ok(Parsed {
        root,
        defines: p.defines,
    })
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        let last = self.toks.len() - 1;
        &self.toks[self.i.min(last)]
    }
    fn peek2(&self) -> &Token {
        let last = self.toks.len() - 1;
        &self.toks[(self.i + 1).min(last)]
    }
    fn next(&mut self) -> Token {
        let t = self.peek().clone();
        if self.i < self.toks.len() {
            self.i += 1;
        }
        t
    }
    fn prev_pos(&self) -> usize {
        self.toks
            .get(self.i.saturating_sub(1))
            .map_or(0, |t| t.start)
    }
    fn expect_right(&mut self, ctx: &str) -> Result<(), ParseError> {
        let t = self.next();
        if t.tok == Tok::RightDelim {
            Ok(())
        } else {
            err(
                t.start,
                format!("unexpected {} in {ctx}", self.describe(&t)),
            )
        }
    }
    /// A token as Go's `item.String` prints it in parse errors.
    fn describe(&self, t: &Token) -> String {
        match &t.tok {
            Tok::Eof => "EOF".into(),
            Tok::Dot => "<.>".into(),
            Tok::LeftDelim => "\"{{\"".into(),
            Tok::RightDelim => "\"}}\"".into(),
            Tok::Ident(s) if is_keyword(s) => format!("<{s}>"),
            _ => go_item_quote(self.src.get(t.start..t.end).unwrap_or("")),
        }
    }
    /// Parses a nested body (`define`, `block`) with its own variable scope, as Go does.
    fn body(&mut self, pos: usize) -> Result<(List, Term), ParseError> {
        self.enter(pos)?;
        let saved = std::mem::replace(&mut self.vars, vec!["$".to_string()]);
        let r = self.list(false);
        self.vars = saved;
        self.depth -= 1;
        r
    }
    fn enter(&mut self, pos: usize) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_PARSE_DEPTH {
            return err(pos, "template nested too deeply");
        }
        Ok(())
    }

    fn list(&mut self, top: bool) -> Result<(List, Term), ParseError> {
        let mut out = Vec::new();
        loop {
            let t = self.next();
            match t.tok {
                Tok::Eof => return Ok((out, Term::Eof)),
                Tok::Text => out.push(Node::Text {
                    start: t.start,
                    end: t.end,
                }),
                Tok::LeftDelim => {
                    let kw = match &self.peek().tok {
                        Tok::Ident(s) => s.clone(),
                        _ => String::new(),
                    };
                    let kpos = self.peek().start;
                    match kw.as_str() {
                        "end" => {
                            self.next();
                            self.expect_right("end")?;
                            return Ok((out, Term::End));
                        }
                        "else" => {
                            self.next();
                            return Ok((out, Term::Else(kpos)));
                        }
                        "if" | "with" | "range" => {
                            self.next();
                            let kind = match kw.as_str() {
                                "if" => BranchKind::If,
                                "with" => BranchKind::With,
                                _ => BranchKind::Range,
                            };
                            out.push(self.branch(kind, kpos)?);
                        }
                        "define" => {
                            self.next();
                            if !top {
                                return err(kpos, "unexpected <define> in command");
                            }
                            let name = self.template_name("define clause")?;
                            self.expect_right("define clause")?;
                            let (body, term) = self.body(kpos)?;
                            if !matches!(term, Term::End) {
                                return err(self.peek().start, "unexpected EOF");
                            }
                            self.defines.push((name, body));
                        }
                        "block" => {
                            self.next();
                            let name = self.template_name("block clause")?;
                            let pipe = self.pipeline("block clause")?;
                            self.expect_right("block clause")?;
                            let (body, term) = self.body(kpos)?;
                            if !matches!(term, Term::End) {
                                return err(kpos, "unexpected EOF");
                            }
                            self.defines.push((name.clone(), body));
                            out.push(Node::Template {
                                pos: kpos,
                                name,
                                pipe: Some(pipe),
                            });
                        }
                        "template" => {
                            self.next();
                            let name = self.template_name("template clause")?;
                            let pipe = if self.peek().tok == Tok::RightDelim {
                                None
                            } else {
                                Some(self.pipeline("template clause")?)
                            };
                            self.expect_right("template clause")?;
                            out.push(Node::Template {
                                pos: kpos,
                                name,
                                pipe,
                            });
                        }
                        "break" | "continue" => {
                            self.next();
                            if self.range_depth == 0 {
                                return err(kpos, format!("{{{{{kw}}}}} outside {{{{range}}}}"));
                            }
                            self.expect_right(&kw)?;
                            out.push(if kw == "break" {
                                Node::Break(kpos)
                            } else {
                                Node::Continue(kpos)
                            });
                        }
                        _ => {
                            let pipe = self.pipeline("command")?;
                            self.expect_right("command")?;
                            out.push(Node::Action(pipe));
                        }
                    }
                }
                _ => return err(t.start, format!("unexpected {}", self.describe(&t))),
            }
        }
    }

    fn template_name(&mut self, ctx: &str) -> Result<String, ParseError> {
        let t = self.next();
        match t.tok {
            Tok::Str(s) => Ok(s),
            _ => err(
                t.start,
                format!("unexpected {} in {ctx}", self.describe(&t)),
            ),
        }
    }

    fn branch(&mut self, kind: BranchKind, pos: usize) -> Result<Node, ParseError> {
        self.enter(pos)?;
        // Variables declared in the pipeline or the bodies live until the `end`.
        let scope = self.vars.len();
        let ctx = match kind {
            BranchKind::If => "if",
            BranchKind::With => "with",
            BranchKind::Range => "range",
        };
        let pipe = self.pipeline(ctx)?;
        self.expect_right(ctx)?;
        if kind == BranchKind::Range {
            self.range_depth += 1;
        }
        let (list, term) = self.list(false)?;
        if kind == BranchKind::Range {
            self.range_depth -= 1;
        }
        let else_list = match term {
            Term::End => None,
            Term::Eof => return err(self.peek().start, "unexpected EOF"),
            Term::Else(epos) => {
                let chained = match (&self.peek().tok, kind) {
                    (Tok::Ident(s), BranchKind::If) if s == "if" => Some(BranchKind::If),
                    (Tok::Ident(s), BranchKind::With) if s == "with" => Some(BranchKind::With),
                    _ => None,
                };
                if let Some(k) = chained {
                    let p2 = self.next().start;
                    // `else if` shares the outer `end`: the nested branch consumes it.
                    Some(vec![self.branch(k, p2)?])
                } else {
                    self.expect_right("else")?;
                    let (el, term2) = self.list(false)?;
                    match term2 {
                        Term::End => Some(el),
                        Term::Else(p) => return err(p, "expected end; found {{else}}"),
                        Term::Eof => {
                            let _ = epos;
                            return err(self.peek().start, "unexpected EOF");
                        }
                    }
                }
            }
        };
        self.depth -= 1;
        self.vars.truncate(scope);
        Ok(Node::Branch(Box::new(Branch {
            kind,
            pos,
            pipe,
            list,
            else_list,
        })))
    }

    /// Go's `pipeline`: declarations, then commands separated by `|`. Like Go, a `|` right
    /// before the closing `}}` or `)` is accepted (`{{ .x | quote | }}`).
    fn pipeline(&mut self, ctx: &str) -> Result<Pipe, ParseError> {
        let pos = self.peek().start;
        let mut decl = Vec::new();
        let mut is_assign = false;
        while let Tok::Variable(v) = &self.peek().tok {
            let v = v.clone();
            match self.peek2().tok {
                Tok::Declare | Tok::Assign => {
                    is_assign = self.peek2().tok == Tok::Assign;
                    self.next();
                    self.next();
                    decl.push(v.clone());
                    self.vars.push(v);
                    break;
                }
                Tok::Comma => {
                    self.next();
                    let comma = self.next();
                    decl.push(v.clone());
                    self.vars.push(v);
                    if ctx == "range" && decl.len() < 2 {
                        match self.peek().tok {
                            Tok::Variable(_) | Tok::RightDelim | Tok::RParen => continue,
                            _ => return err(comma.start, "range can only initialize variables"),
                        }
                    }
                    return err(comma.start, format!("too many declarations in {ctx}"));
                }
                _ => break,
            }
        }
        let mut cmds = Vec::new();
        loop {
            match self.peek().tok {
                Tok::RightDelim | Tok::RParen => break,
                Tok::Ident(_)
                | Tok::Dot
                | Tok::Field(_)
                | Tok::Variable(_)
                | Tok::Number(_)
                | Tok::Char(_)
                | Tok::Str(_)
                | Tok::LParen => {
                    cmds.push(self.command()?);
                    if self.peek().tok == Tok::Pipe {
                        self.next();
                    }
                }
                _ => {
                    let t = self.next();
                    return err(
                        t.start,
                        format!("unexpected {} in {ctx}", self.describe(&t)),
                    );
                }
            }
        }
        let end = self.peek().start;
        if cmds.is_empty() {
            return err(end, format!("missing value for {ctx}"));
        }
        // Only the first command may start with a value that cannot be called.
        for (i, c) in cmds.iter().enumerate().skip(1) {
            if matches!(
                c.args.first(),
                Some(
                    Expr::Bool(..) | Expr::Dot(_) | Expr::Nil(_) | Expr::Number(..) | Expr::Str(..)
                )
            ) {
                return err(
                    end,
                    format!("non executable command in pipeline stage {}", i + 1),
                );
            }
        }
        Ok(Pipe {
            pos,
            decl,
            is_assign,
            cmds,
        })
    }

    fn command(&mut self) -> Result<Command, ParseError> {
        let pos = self.peek().start;
        let mut args = Vec::new();
        loop {
            match self.peek().tok {
                Tok::RightDelim | Tok::RParen | Tok::Pipe => break,
                Tok::Eof => return err(self.peek().start, "unclosed action"),
                _ => {}
            }
            if !args.is_empty() && !self.peek().space_before {
                let t = self.peek().clone();
                return err(
                    t.start,
                    format!("unexpected {} in operand", self.describe(&t)),
                );
            }
            args.push(self.operand()?);
        }
        if args.is_empty() {
            return err(pos, "empty command");
        }
        let end = self
            .toks
            .get(self.i.saturating_sub(1))
            .map_or(pos, |t| t.end);
        Ok(Command { pos, end, args })
    }

    fn chain_pos(&self) -> Option<usize> {
        match self.peek().tok {
            Tok::Field(_) if !self.peek().space_before => Some(self.peek().start),
            _ => None,
        }
    }

    fn chain_names(&mut self) -> Vec<String> {
        let mut names = Vec::new();
        while let Tok::Field(f) = &self.peek().tok {
            if self.peek().space_before {
                break;
            }
            names.push(f.clone());
            self.next();
        }
        names
    }

    fn operand(&mut self) -> Result<Expr, ParseError> {
        let t = self.next();
        let pos = t.start;
        let t_end = t.end;
        let expr = match t.tok.clone() {
            Tok::Ident(name) => match name.as_str() {
                "true" => Expr::Bool(pos, true),
                "false" => Expr::Bool(pos, false),
                "nil" => Expr::Nil(pos),
                "if" | "else" | "end" | "range" | "with" | "define" | "template" | "block"
                | "break" | "continue" => {
                    return err(pos, format!("unexpected <{name}> in command"));
                }
                _ => {
                    if !(self.is_func)(&name) {
                        return err(pos, format!("function {name:?} not defined"));
                    }
                    Expr::Ident(pos, name)
                }
            },
            Tok::Dot => Expr::Dot(pos),
            Tok::Field(f) => {
                // Go positions a field chain at its second element (the chain node).
                let chain_pos = self.chain_pos().unwrap_or(pos);
                let mut names = vec![f];
                names.extend(self.chain_names());
                let end = self.prev_end();
                return Ok(Expr::Field {
                    pos: chain_pos,
                    end,
                    names,
                });
            }
            Tok::Variable(v) => {
                if !self.vars.contains(&v) {
                    return err(pos, format!("undefined variable {v:?}"));
                }
                let chain_pos = self.chain_pos().unwrap_or(pos);
                let names = self.chain_names();
                let end = self.prev_end();
                return Ok(Expr::Variable {
                    pos: chain_pos,
                    end,
                    name: v,
                    names,
                });
            }
            Tok::Number(text) => Expr::Number(
                pos,
                parse_number(&text).ok_or(ParseError {
                    pos,
                    msg: format!("bad number syntax: {text:?}"),
                })?,
            ),
            Tok::Char(c) => Expr::Number(
                pos,
                Number {
                    int: Some(c),
                    float: c as f64,
                    is_float: false,
                },
            ),
            Tok::Str(s) => Expr::Str(pos, Rc::from(s.as_str())),
            Tok::LParen => {
                self.enter(pos)?;
                let p = self.pipeline("parenthesized pipeline")?;
                self.depth -= 1;
                let close = self.next();
                if close.tok != Tok::RParen {
                    return err(close.start, "unclosed left paren".to_string());
                }
                Expr::Pipe(pos, Box::new(p))
            }
            _ => return err(pos, format!("unexpected {} in operand", self.describe(&t))),
        };
        // Field chain on a term: `(x).a`, `$x.a` handled above.
        if let Tok::Field(_) = self.peek().tok {
            if !self.peek().space_before {
                match expr {
                    Expr::Pipe(..) => {}
                    Expr::Dot(_)
                    | Expr::Nil(_)
                    | Expr::Bool(..)
                    | Expr::Number(..)
                    | Expr::Str(..)
                    | Expr::Ident(..) => {
                        let term = go_quote(self.src.get(pos..t_end).unwrap_or(""));
                        return err(self.peek().start, format!("unexpected . after term {term}"));
                    }
                    _ => {}
                }
                let chain_pos = self.chain_pos().unwrap_or(pos);
                let names = self.chain_names();
                let end = self.prev_end();
                return Ok(Expr::Chain {
                    pos: chain_pos,
                    end,
                    node: Box::new(expr),
                    names,
                });
            }
        }
        Ok(expr)
    }

    fn prev_end(&self) -> usize {
        self.toks.get(self.i.saturating_sub(1)).map_or(0, |t| t.end)
    }
}

fn is_keyword(s: &str) -> bool {
    matches!(
        s,
        "block"
            | "break"
            | "continue"
            | "define"
            | "else"
            | "end"
            | "if"
            | "nil"
            | "range"
            | "template"
            | "with"
    )
}

/// Go's `%q` of an item's text, cut to ten characters with `...` like `item.String`.
fn go_item_quote(raw: &str) -> String {
    match raw.char_indices().nth(10) {
        Some((i, _)) => format!("{}...", go_quote(&raw[..i])),
        None => go_quote(raw),
    }
}

/// Parses a Go number literal.
pub fn parse_number(text: &str) -> Option<Number> {
    let t = text.replace('_', "");
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t.as_str()),
    };
    let lower = body.to_ascii_lowercase();
    let int = if let Some(h) = lower.strip_prefix("0x") {
        if h.contains('p') || h.contains('.') {
            None
        } else {
            i64::from_str_radix(h, 16).ok()
        }
    } else if let Some(o) = lower.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()
    } else if let Some(b) = lower.strip_prefix("0b") {
        i64::from_str_radix(b, 2).ok()
    } else if lower.len() > 1 && lower.starts_with('0') && lower.bytes().all(|b| b.is_ascii_digit())
    {
        i64::from_str_radix(&lower[1..], 8).ok()
    } else if lower.bytes().all(|b| b.is_ascii_digit()) && !lower.is_empty() {
        lower.parse::<i64>().ok().or_else(|| {
            // -9223372036854775808 fits although its digits alone do not.
            (neg && lower.trim_start_matches('0') == "9223372036854775808").then_some(i64::MIN)
        })
    } else {
        None
    };
    let int = int.map(|i| if neg { i.wrapping_neg() } else { i });
    let is_hex = lower.starts_with("0x");
    let float = if let Some(i) = int {
        Some(i as f64)
    } else if is_hex {
        parse_hex_float(&lower[2..]).map(|f| if neg { -f } else { f })
    } else {
        lower.parse::<f64>().ok().map(|f| if neg { -f } else { f })
    }?;
    let is_float = if is_hex {
        lower.contains('p')
    } else {
        lower.contains(['.', 'e'])
    };
    // A float literal with an integral value still counts as an integer to Go's parser,
    // but idealConstant prefers float64 because the text has `.`/`e`.
    let int = if is_float { None } else { int };
    if int.is_none() && !is_float {
        return None;
    }
    Some(Number {
        int,
        float,
        is_float,
    })
}

fn parse_hex_float(s: &str) -> Option<f64> {
    let (mant, exp) = s.split_once('p')?;
    let exp: i32 = exp.parse().ok()?;
    let (ip, fp) = mant.split_once('.').unwrap_or((mant, ""));
    let mut v = 0f64;
    for c in ip.chars() {
        v = v * 16.0 + c.to_digit(16)? as f64;
    }
    let mut scale = 1.0 / 16.0;
    for c in fp.chars() {
        v += c.to_digit(16)? as f64 * scale;
        scale /= 16.0;
    }
    Some(v * 2f64.powi(exp))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(src: &str) -> Result<Parsed, ParseError> {
        parse(src, &|n| n != "nosuch")
    }

    #[test]
    fn parses_control_structures() {
        let r = p("{{ if .a }}x{{ else if .b }}y{{ else }}z{{ end }}{{ range $i, $v := .l }}{{ break }}{{ end }}");
        let parsed = r.unwrap_or_default();
        assert_eq!(parsed.root.len(), 2);
        let r = p("{{ define \"a\" }}A{{ end }}{{ block \"b\" . }}B{{ end }}");
        let parsed = r.unwrap_or_default();
        assert_eq!(parsed.defines.len(), 2);
        assert_eq!(parsed.root.len(), 1);
    }

    #[test]
    fn reports_errors() {
        for bad in [
            "{{ if .a }}x",
            "{{ end }}",
            "{{ else }}",
            "{{ nosuch 1 }}",
            "{{ break }}",
            "{{ (1 }}",
            "{{ }}",
            "{{ 3.x }}",
        ] {
            assert!(p(bad).is_err(), "{bad}");
        }
    }

    /// Go's parser accepts a `|` right before the closing delimiter or parenthesis.
    #[test]
    fn trailing_pipe_is_accepted() {
        for ok in [
            "{{ .a | }}",
            "{{ .a | quote | }}",
            "{{ (.a | ) }}",
            "{{ $x := .a | }}",
        ] {
            assert!(p(ok).is_ok(), "{ok}");
        }
        // Other forms Go's parser accepts.
        for ok in [
            "{{-3}}",
            "{{ 1_000 }}{{ 0b101 }}{{ 0o17 }}{{ 0x1p-2 }}{{ 'a' }}",
            "{{ `raw` }}{{ \"\\u00e9\" }}",
            "{{/* c */}}{{- /* c */ -}}",
            "{{ $ }}{{ $.a }}{{ .a.b }}{{ (.a).b }}",
            "{{ index . \"a\" | len }}",
            "{{ with $x := 1 }}{{ $x }}{{ else with 2 }}{{ end }}",
            "{{ range $i := 3 }}{{ $i }}{{ break }}{{ end }}",
            "{{ template \"t\" }}{{ block \"b\" . }}{{ $ }}{{ end }}",
        ] {
            assert!(p(ok).is_ok(), "{ok}: {:?}", p(ok).err());
        }
    }

    /// The messages Go's `text/template/parse` gives for the same mistakes.
    #[test]
    fn errors_are_worded_like_go() {
        for (src, want) in [
            ("{{ | .a }}", r#"unexpected "|" in command"#),
            ("{{ .a | | .b }}", r#"unexpected "|" in command"#),
            ("{{ .a | 3 }}", "non executable command in pipeline stage 2"),
            (
                "{{ .a | quote | \"x\" }}",
                "non executable command in pipeline stage 3",
            ),
            ("{{ $x }}", r#"undefined variable "$x""#),
            (
                "{{ if $a, $b := .x }}{{ end }}",
                "too many declarations in if",
            ),
            (
                "{{ range $a, 1 }}{{ end }}",
                "range can only initialize variables",
            ),
            ("{{ \"a\".b }}", r#"unexpected . after term "\"a\"""#),
            ("{{ .a.b.c.d.e.f.g.h( }}", r#"unexpected "(" in operand"#),
            ("{{ template .x }}", r#"unexpected ".x" in template clause"#),
            (
                "{{ template abcdefghijkl }}",
                r#"unexpected "abcdefghij"... in template clause"#,
            ),
        ] {
            match p(src) {
                Ok(_) => panic!("{src}: accepted"),
                Err(e) => assert_eq!(e.msg, want, "{src}"),
            }
        }
        // Variables live until the `end` of the block that declares them; `define` bodies
        // start with `$` only.
        assert!(p("{{ if 1 }}{{ $x := 1 }}{{ end }}{{ $x }}").is_err());
        assert!(p("{{ $x := 1 }}{{ define \"t\" }}{{ $x }}{{ end }}").is_err());
        assert!(p("{{ range $i, $v := .l }}{{ $i }}{{ else }}{{ $v }}{{ end }}").is_ok());
        assert!(p("{{ $x := 1 }}{{ if 1 }}{{ $x = 2 }}{{ end }}{{ $x }}").is_ok());
    }

    #[test]
    fn nesting_is_limited() {
        let deep = format!("{}{}", "{{ if 1 }}".repeat(5000), "{{ end }}".repeat(5000));
        assert!(p(&deep).is_err());
        let parens = format!("{{{{ {}1{} }}}}", "(".repeat(5000), ")".repeat(5000));
        assert!(p(&parens).is_err());
    }

    #[test]
    fn numbers() {
        let n = parse_number("0x1F").unwrap_or(Number {
            int: None,
            float: 0.0,
            is_float: true,
        });
        assert_eq!(n.int, Some(31));
        let n = parse_number("1e3").unwrap_or(Number {
            int: Some(0),
            float: 0.0,
            is_float: false,
        });
        assert!(n.is_float && n.float == 1000.0);
        let n = parse_number("0x1p20").unwrap_or(Number {
            int: None,
            float: 0.0,
            is_float: false,
        });
        assert!(n.is_float && n.float == 1048576.0);
        assert_eq!(parse_number("-7").and_then(|n| n.int), Some(-7));
        assert!(parse_number("1.2.3").is_none());
    }
}
