//! The syntax tree of a parsed template. Every node keeps the byte offset of its first
//! token in its source, so errors and the output source map can name `file:line:col`.

use std::rc::Rc;

/// A template source: its parse name (a chart path such as `mychart/templates/x.yaml`)
/// and its text.
#[derive(Debug)]
pub struct Source {
    /// Parse name, used in error positions and source maps.
    pub name: std::sync::Arc<str>,
    /// Full source text.
    pub text: Rc<str>,
    /// Byte offsets at which each line starts.
    line_starts: Vec<usize>,
}

impl Source {
    /// Wraps a source text.
    pub fn new(name: &str, text: &str) -> Source {
        let mut line_starts = vec![0];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(i + 1);
            }
        }
        Source {
            name: std::sync::Arc::from(name),
            text: Rc::from(text),
            line_starts,
        }
    }

    /// 1-based line and Go-style column (0-based byte offset in the line) of a byte offset.
    pub fn line_col(&self, pos: usize) -> (usize, usize) {
        let line = match self.line_starts.binary_search(&pos) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        (line + 1, pos.saturating_sub(start))
    }

    /// The text of a byte range, or "" when out of range.
    pub fn slice(&self, start: usize, end: usize) -> &str {
        self.text.get(start..end).unwrap_or("")
    }
}

/// A list of nodes.
pub type List = Vec<Node>;

/// A statement-level node.
#[derive(Debug, Clone)]
pub enum Node {
    /// Literal text, already trimmed by `{{-`/`-}}` markers: `src[start..end]`.
    Text {
        /// Start byte offset.
        start: usize,
        /// End byte offset.
        end: usize,
    },
    /// `{{ pipeline }}`.
    Action(Pipe),
    /// `if`, `with` or `range` with an optional `else` branch.
    Branch(Box<Branch>),
    /// `{{ template "name" pipeline }}`.
    Template {
        /// Position.
        pos: usize,
        /// Name of the called template.
        name: String,
        /// Optional argument.
        pipe: Option<Pipe>,
    },
    /// `{{ break }}`.
    Break(usize),
    /// `{{ continue }}`.
    Continue(usize),
}

/// Kind of control structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BranchKind {
    /// `if`.
    If,
    /// `with`.
    With,
    /// `range`.
    Range,
}

/// `if`/`with`/`range` node.
#[derive(Debug, Clone)]
pub struct Branch {
    /// Which structure.
    pub kind: BranchKind,
    /// Position of the keyword.
    pub pos: usize,
    /// Condition / data pipeline.
    pub pipe: Pipe,
    /// Body.
    pub list: List,
    /// `else` body, if any.
    pub else_list: Option<List>,
}

/// A pipeline: optional variable declaration or assignment, then commands joined by `|`.
#[derive(Debug, Clone)]
pub struct Pipe {
    /// Position of the first token.
    pub pos: usize,
    /// Declared or assigned variables (with `$`).
    pub decl: Vec<String>,
    /// `=` rather than `:=`.
    pub is_assign: bool,
    /// Commands.
    pub cmds: Vec<Command>,
}

/// One command of a pipeline: a function or method call, or a single operand.
#[derive(Debug, Clone)]
pub struct Command {
    /// Position of the first token.
    pub pos: usize,
    /// End byte offset (for error context).
    pub end: usize,
    /// Operands; the first one decides what is called.
    pub args: Vec<Expr>,
}

/// A number literal with the interpretations Go allows.
#[derive(Debug, Clone, Copy)]
pub struct Number {
    /// Value as an integer, when it is one.
    pub int: Option<i64>,
    /// Value as a float.
    pub float: f64,
    /// Whether Go treats the literal as a float constant (`.`, exponent, …).
    pub is_float: bool,
}

/// An operand.
#[derive(Debug, Clone)]
pub enum Expr {
    /// `.a.b.c`.
    Field {
        /// Position.
        pos: usize,
        /// End byte offset.
        end: usize,
        /// Field names.
        names: Vec<String>,
    },
    /// `$x.a.b`.
    Variable {
        /// Position.
        pos: usize,
        /// End byte offset.
        end: usize,
        /// Variable name with `$`.
        name: String,
        /// Field names after the variable.
        names: Vec<String>,
    },
    /// `(pipeline).a.b`.
    Chain {
        /// Position.
        pos: usize,
        /// End byte offset.
        end: usize,
        /// The receiver.
        node: Box<Expr>,
        /// Field names.
        names: Vec<String>,
    },
    /// `.`.
    Dot(usize),
    /// `nil`.
    Nil(usize),
    /// `true`/`false`.
    Bool(usize, bool),
    /// Number literal.
    Number(usize, Number),
    /// String literal (already unquoted).
    Str(usize, Rc<str>),
    /// Function name.
    Ident(usize, String),
    /// Parenthesized pipeline.
    Pipe(usize, Box<Pipe>),
}

impl Expr {
    /// Byte offset of the operand.
    pub fn pos(&self) -> usize {
        match self {
            Expr::Field { pos, .. } | Expr::Variable { pos, .. } | Expr::Chain { pos, .. } => *pos,
            Expr::Dot(p) | Expr::Nil(p) | Expr::Bool(p, _) | Expr::Number(p, _) => *p,
            Expr::Str(p, _) | Expr::Ident(p, _) | Expr::Pipe(p, _) => *p,
        }
    }
}
