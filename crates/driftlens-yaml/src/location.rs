//! A place in a named text, for messages that point at a file and line.

use serde::Serialize;

use crate::located::Span;

/// A place in a file: its path (relative to whatever root the caller reports paths from,
/// `/`-separated) and the range it covers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    /// Path, `/`-separated.
    pub path: String,
    /// Start line (1-based).
    pub line: u32,
    /// Start column (1-based, in characters).
    pub col: u32,
    /// End line.
    pub end_line: u32,
    /// End column (exclusive).
    pub end_col: u32,
    /// Byte offset of the start, for snippets.
    #[serde(skip)]
    pub offset: usize,
    /// Length in bytes, for snippets.
    #[serde(skip)]
    pub len: usize,
}

impl Location {
    /// A location covering `span` of `path`.
    pub fn new(path: &str, span: Span) -> Self {
        Location {
            path: path.to_string(),
            line: span.start.line.max(1),
            col: span.start.col.max(1),
            end_line: span.end.line.max(span.start.line).max(1),
            end_col: if span.end.line > span.start.line {
                span.end.col.max(1)
            } else {
                span.end.col.max(span.start.col).max(1)
            },
            offset: span.start.offset,
            len: span.len(),
        }
    }

    /// The start of a file, for problems that concern the file as a whole.
    pub fn file_start(path: &str) -> Self {
        Location {
            path: path.to_string(),
            line: 1,
            col: 1,
            end_line: 1,
            end_col: 1,
            offset: 0,
            len: 0,
        }
    }
}
