//! Source text for snippets, with its lines indexed once.
//!
//! A report with thousands of findings in the same large file must not walk the file for each
//! of them: [`IndexedText`] finds a line by binary search, and hands miette (the human format)
//! only the lines around a span, so a snippet costs its own lines, not the file's.

use std::sync::Arc;

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

/// A (redacted) text and the byte offset where each of its lines starts. Cheap to clone.
#[derive(Clone)]
pub struct IndexedText {
    text: Arc<str>,
    starts: Arc<[usize]>,
}

impl std::fmt::Debug for IndexedText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "IndexedText({} bytes, {} lines)",
            self.text.len(),
            self.starts.len()
        )
    }
}

impl IndexedText {
    /// Indexes `text`.
    pub fn new(text: String) -> Self {
        let starts: Vec<usize> = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
            .filter(|&s| s < text.len() || s == 0)
            .collect();
        IndexedText {
            text: text.into(),
            starts: starts.into(),
        }
    }

    /// The whole text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Number of lines, like [`str::lines`] counts them (a final line break does not start
    /// another line).
    pub fn line_count(&self) -> usize {
        if self.text.is_empty() {
            0
        } else {
            self.starts.len()
        }
    }

    /// Line `n` (1-based) without its line break (`\n` or `\r\n`), if the text has it.
    pub fn line(&self, n: u32) -> Option<&str> {
        let i = (n as usize).checked_sub(1)?;
        if self.text.is_empty() {
            return None;
        }
        let start = *self.starts.get(i)?;
        let end = self.starts.get(i + 1).map_or(self.text.len(), |&e| e);
        let l = &self.text[start..end];
        let l = l.strip_suffix('\n').unwrap_or(l);
        Some(l.strip_suffix('\r').unwrap_or(l))
    }

    /// The 0-based index of the line holding byte `offset`.
    fn line_of(&self, offset: usize) -> usize {
        self.starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1)
    }
}

impl SourceCode for IndexedText {
    /// The same contents as miette gives for the whole text, computed on a window of the
    /// span's lines plus the context lines (and one more on each side, so that miette sees the
    /// same line boundaries as in the whole text).
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let start = span.offset();
        let end = start + span.len();
        if end > self.text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let first = self.line_of(start);
        let last = self.line_of(end.saturating_sub(1).max(start));
        let from = first.saturating_sub(context_lines_before + 1);
        let to = last + context_lines_after + 2;
        let window_start = self.starts[from];
        let window_end = self.starts.get(to).map_or(self.text.len(), |&e| e);
        let window = &self.text[window_start..window_end];
        let local = SourceSpan::new((start - window_start).into(), span.len());
        let c = window.read_span(&local, context_lines_before, context_lines_after)?;
        Ok(Box::new(MietteSpanContents::new(
            c.data(),
            SourceSpan::new((c.span().offset() + window_start).into(), c.span().len()),
            c.line() + from,
            c.column(),
            // miette counts the line breaks from the start of the text it was given, and the
            // window starts after `from` of them.
            c.line_count() + from,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(text: &str, offset: usize, len: usize, before: usize, after: usize) {
        let ix = IndexedText::new(text.to_string());
        let span = SourceSpan::new(offset.into(), len);
        let a = text.read_span(&span, before, after);
        let b = ix.read_span(&span, before, after);
        match (a, b) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a.data(), b.data(), "data at {offset}+{len}");
                assert_eq!(a.span(), b.span(), "span at {offset}+{len}");
                assert_eq!(a.line(), b.line(), "line at {offset}+{len}");
                assert_eq!(a.column(), b.column(), "column at {offset}+{len}");
                assert_eq!(a.line_count(), b.line_count(), "count at {offset}+{len}");
            }
            (Err(_), Err(_)) => {}
            (a, b) => panic!("{offset}+{len}: {:?} vs {:?}", a.is_ok(), b.is_ok()),
        };
    }

    #[test]
    fn windows_read_like_the_whole_text() {
        let texts = [
            "a: 1\nb: 2\nc:\n  d: 3\n  e: [x, y]\nf: 4\n\ng: 5",
            "a: 1\r\nb: 2\r\n\r\nc: 3\r\n",
            "only: line",
            "",
            "\n\n\nx: é\n\n",
        ];
        for t in texts {
            for offset in 0..=t.len() {
                if !t.is_char_boundary(offset) {
                    continue;
                }
                for len in [0, 1, 3, 7, 12] {
                    if offset + len > t.len() || !t.is_char_boundary(offset + len) {
                        continue;
                    }
                    for ctx in [0, 1, 2] {
                        same(t, offset, len, ctx, ctx);
                    }
                }
            }
        }
    }

    #[test]
    fn lines_by_number() {
        let ix = IndexedText::new("a\r\nb\n\nc".to_string());
        assert_eq!(ix.line(1), Some("a"));
        assert_eq!(ix.line(2), Some("b"));
        assert_eq!(ix.line(3), Some(""));
        assert_eq!(ix.line(4), Some("c"));
        assert_eq!(ix.line(5), None);
        assert_eq!(ix.line(0), None);
        assert_eq!(ix.line_count(), 4);
        let ix = IndexedText::new("a\n".to_string());
        assert_eq!(ix.line_count(), 1);
        assert_eq!(ix.line(2), None);
        let ix = IndexedText::new(String::new());
        assert_eq!((ix.line_count(), ix.line(1)), (0, None));
    }
}
