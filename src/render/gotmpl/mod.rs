//! A Go `text/template` engine with Helm's function library.
//!
//! Stages: [`lexer`] → [`parser`] → [`ast`] → [`eval`], over the [`value`] model, with Go
//! formatting in [`fmt`] and functions by family in [`funcs`]. Every node keeps its
//! source position; execution writes output together with a [`SourceMap`] ([`srcmap`]) that
//! maps output bytes back to template positions, through `include` and `template` calls, and
//! to the `.Values` keys they print. Work, output size and template nesting are
//! bounded so hostile templates end with an error instead of exhausting the machine.

pub mod ast;
pub mod eval;
pub mod fmt;
pub mod funcs;
pub mod lexer;
pub mod parser;
pub mod srcmap;
pub mod value;

pub use eval::{ErrorKind, ExecError, Limits, Nondet, TemplateSet};
pub use srcmap::{CallSite, Segment, SourceMap};
pub use value::Value;

#[cfg(test)]
mod tests;
