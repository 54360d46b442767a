//! A Go `text/template` engine with the Sprig function library, written in Rust.
//!
//! Stages: [`lexer`] → [`parser`] → [`ast`] → [`eval`], over the [`value`] model, with Go
//! formatting in [`fmt`] and functions by family in [`funcs`]. Every node keeps its
//! source position; execution writes output together with a [`SourceMap`] ([`srcmap`]) that
//! maps output bytes back to template positions, through `include` and `template` calls, and
//! to the `.Values` keys they print. Work, output size and template nesting are
//! bounded so hostile templates end with an error instead of exhausting the machine.
//!
//! Besides the engine, the crate has what Go templates need around them: [`yaml`], a YAML
//! codec for template values with go-yaml v2 semantics (what `toYaml`/`fromYaml` do in Helm
//! and in Argo CD ApplicationSets), [`time`] for Go's time layouts and [`civil`] for calendar
//! arithmetic. Error texts follow Go's (`template: NAME:LINE:COL: executing …`).
//!
//! What it is not: it loads no chart, merges no values and knows no Kubernetes object; that
//! is the Helm engine's job, which drives this crate. The template dialect still includes
//! Helm's template-level additions (`include`, `tpl`, `required`, `lookup`, the `.Files` and
//! `.Capabilities` objects, `toYaml`/`fromYaml`/`toToml`), which every caller gets today.
//!
//! ```
//! use driftlens_gotmpl::{ExecState, Limits, TemplateSet};
//!
//! let mut set = TemplateSet::new();
//! set.add("greeting", "Hello, {{ .name | upper }}{{ if .loud }}!{{ end }}")
//!     .expect("the template parses");
//! let dot = driftlens_gotmpl::yaml::load("{name: world, loud: yes}").expect("valid YAML");
//! let mut state = ExecState::new(Limits::default(), 42);
//! let (text, _source_map) = set.execute("greeting", dot, &mut state).expect("it runs");
//! assert_eq!(text, "Hello, WORLD!");
//! ```

#![warn(missing_docs)]

pub mod ast;
pub mod civil;
pub mod eval;
pub mod fmt;
pub mod funcs;
pub mod lexer;
pub mod parser;
pub mod srcmap;
pub mod time;
pub mod value;
pub mod yaml;

pub use eval::{ErrorKind, ExecError, ExecState, Limits, Nondet, TemplateSet};
pub use srcmap::{CallSite, Segment, SourceMap};
pub use value::Value;

#[cfg(test)]
mod tests;
