//! The YAML layer: kyaml-like nodes ([`node`]), reading ([`parse`]), scalar rules
//! ([`resolve`]), decoded values and Go JSON text ([`value`]), and the go-yaml v2 writer that
//! produces kustomize's output bytes ([`emit`]).

pub mod emit;
pub mod node;
pub mod parse;
pub mod resolve;
pub mod rnode;
pub mod value;

pub use node::{Data, Kind, Loc, Node, Pair, Style, Tag};
