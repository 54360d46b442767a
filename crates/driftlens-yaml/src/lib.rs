//! YAML the way Kubernetes tools read it, with exact source positions.
//!
//! - [`located`]: a loader that keeps the [`Span`] (byte offset, line, column) of every key,
//!   value and list item, so that a message about `spec.replicas` can point at the
//!   `replicas:` line. It has budgets that the input cannot switch off (nesting depth, nodes,
//!   alias expansion), and no recursion on input depth.
//! - [`scalar`]: how `sigs.k8s.io/yaml` (go-yaml v2, YAML 1.1) resolves plain scalars:
//!   `yes`/`no`/`on`/`off` are booleans, `0755` is octal, `1_000` is an integer, `~` is null.
//! - [`go_errors`]: go-yaml v2's wording and line numbers for syntax errors, for callers that
//!   must print what a Go tool prints.
//!
//! What it is not: a general YAML library. It reads no tags beyond the core ones, writes no
//! YAML (the go-yaml style emitter works on template values and lives with the template
//! engine) and does not touch the file system: callers pass text.
//!
//! ```
//! use driftlens_yaml::{parse_stream, NodeValue};
//!
//! let (docs, error) = parse_stream("kind: Deployment\nspec:\n  replicas: 3\n  paused: no\n");
//! assert!(error.is_none());
//! let root = docs[0].root.as_ref().expect("one document");
//! let replicas = root.pointer("/spec/replicas").expect("present");
//! assert_eq!(replicas.value, NodeValue::Int(3));
//! assert_eq!((replicas.span.start.line, replicas.span.start.col), (3, 13));
//! // YAML 1.1, as Kubernetes reads it: `no` is a boolean.
//! assert_eq!(root.pointer("/spec/paused").map(|n| &n.value), Some(&NodeValue::Bool(false)));
//! ```

#![warn(missing_docs)]

pub mod go_errors;
pub mod located;
pub mod location;
pub mod scalar;

pub use located::{
    escape_pointer_token, parse_stream, parse_stream_with, parse_value, unescape_pointer_token,
    Document, Entry, Limits, Node, NodeValue, Pos, Span, YamlError,
};
pub use location::Location;
