//! Masks secret values in source text before any of it is shown.
//!
//! The values are those of the one masking policy ([`crate::model::sensitive`]), found on the
//! parsed objects — so a `kind` written with an escape (`"Secr\x65t"`) is a Secret like any
//! other — and their bytes are replaced by `*`, line by line so that line breaks and indentation
//! survive and offsets and line numbers stay valid for snippets. In a file that could not be
//! parsed completely, nothing tells what the unparsed documents are: from the document that
//! failed to the end of the file, every value (what follows a key, a list marker or starts a
//! line) is masked, keeping the keys and the layout that a syntax error is about. Helm values
//! files that renders read are never shown (findings only name their lines).

use crate::model::repo::Repo;
use crate::model::sensitive::sensitive_pointers;

/// The parts of `text[start..end]` between each line's indentation and its trailing blanks, so
/// that masking a block value keeps the file's layout (and the next key's indentation).
fn non_blank_runs(text: &[u8], start: usize, end: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut line_start = start;
    let end = end.min(text.len());
    while line_start < end {
        let line_end = text[line_start..end]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(end, |i| line_start + i);
        let line = &text[line_start..line_end];
        if let (Some(a), Some(b)) = (
            line.iter().position(|b| !b.is_ascii_whitespace()),
            line.iter().rposition(|b| !b.is_ascii_whitespace()),
        ) {
            out.push((line_start + a, line_start + b + 1));
        }
        line_start = line_end + 1;
    }
    out
}

/// The byte offset of the start of the YAML document that holds `line` (1-based): the line
/// after the last `---` before it, or the start of the file.
fn document_start(text: &str, line: u32) -> usize {
    let mut start = 0;
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i as u32 + 1 >= line {
            break;
        }
        offset += l.len();
        if l.starts_with("---") {
            start = offset;
        }
    }
    start
}

/// The value parts of every line from `from` on: what follows the first key separator (`: `
/// outside quotes), the items after list markers, and whole lines without a key (block
/// scalars, flow collections, comments are kept only up to their `#`).
fn value_runs(text: &[u8], from: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = from.min(text.len());
    while start < text.len() {
        let end = text[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(text.len(), |i| start + i);
        let line = &text[start..end];
        let mut i = line
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(line.len());
        let rest = &line[i..];
        if !(rest.starts_with(b"---") || rest.starts_with(b"...") || rest.is_empty()) {
            // List markers.
            while line[i..].starts_with(b"- ") || &line[i..] == b"-" {
                i += 2.min(line.len() - i);
            }
            // A key (outside quotes) keeps its name.
            let mut quote: Option<u8> = None;
            let mut value_from = i;
            for (j, &b) in line.iter().enumerate().skip(i) {
                match quote {
                    Some(q) if b == q => quote = None,
                    Some(_) => {}
                    None if b == b'"' || b == b'\'' => quote = Some(b),
                    None if b == b'#' && (j == i || line[j - 1].is_ascii_whitespace()) => break,
                    None if b == b':'
                        && line.get(j + 1).is_none_or(|c| c.is_ascii_whitespace()) =>
                    {
                        value_from = j + 1;
                        break;
                    }
                    None if matches!(b, b'{' | b'[') && j == i => break,
                    None => {}
                }
            }
            out.extend(non_blank_runs(text, start + value_from, end));
        }
        start = end + 1;
    }
    out
}

/// The text of a checkout file with secret values masked, or `None` when the file must not be
/// shown. Looks at every object of the checkout; a report that shows many files uses a
/// [`Redactor`], which indexes the objects by file once.
pub fn redacted_text(repo: &Repo, path: &str) -> Option<String> {
    let concerns = |m: &&crate::model::object::Manifest| {
        m.file.path == path
            || m.rendered
                .as_ref()
                .is_some_and(|r| r.templates.contains_key(path))
    };
    redact_with(repo, path, repo.manifests.iter().filter(concerns))
}

/// Redacted texts of many files: the objects of the checkout indexed by the files they are
/// written in (a rendered object counts for every template of its chart), so that each file
/// costs its own objects, not all of them.
pub struct Redactor<'a> {
    repo: &'a Repo,
    by_file: std::collections::HashMap<&'a str, Vec<usize>>,
}

impl<'a> Redactor<'a> {
    /// Indexes the objects of `repo`.
    pub fn new(repo: &'a Repo) -> Self {
        let mut by_file: std::collections::HashMap<&'a str, Vec<usize>> =
            std::collections::HashMap::new();
        for (i, m) in repo.manifests.iter().enumerate() {
            by_file.entry(m.file.path.as_str()).or_default().push(i);
            if let Some(r) = &m.rendered {
                for t in r.templates.keys() {
                    if t != &m.file.path {
                        by_file.entry(t.as_str()).or_default().push(i);
                    }
                }
            }
        }
        Redactor { repo, by_file }
    }

    /// The same as [`redacted_text`].
    pub fn text(&self, path: &str) -> Option<String> {
        let objects = self.by_file.get(path).map_or(&[][..], Vec::as_slice);
        redact_with(
            self.repo,
            path,
            objects.iter().map(|&i| &self.repo.manifests[i]),
        )
    }
}

fn redact_with<'m>(
    repo: &Repo,
    path: &str,
    objects: impl Iterator<Item = &'m crate::model::object::Manifest>,
) -> Option<String> {
    // Values files are never shown: a value there may be a Secret's, through any template.
    if repo
        .values_files
        .binary_search_by(|f| f.as_str().cmp(path))
        .is_ok()
    {
        return None;
    }
    let file = repo.file(path)?;
    let mut bytes = file.text.as_bytes().to_vec();
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    // Rendered objects count for every template of their chart: a value written by a helper
    // (`include`, `template`) maps into the helper's file.
    for m in objects {
        // Spans of rendered objects are in the rendered text: map them to the template they
        // come from (only ranges that map into this file are masked in it).
        let range = |span: crate::load::yaml::Span| -> Option<(usize, usize)> {
            if m.rendered.is_some() {
                let l = m.location_of(span);
                (l.path == path).then_some((l.offset, l.offset + l.len))
            } else {
                Some((span.start.offset, span.end.offset))
            }
        };
        for p in sensitive_pointers(&m.obj) {
            if let Some((start, end)) = m.node.pointer(&p).and_then(|n| range(n.span)) {
                ranges.extend(non_blank_runs(file.text.as_bytes(), start, end));
            }
        }
    }
    // A file that failed to parse: every value from the failing document on.
    let failed_at = repo
        .parse_failures
        .iter()
        .filter(|(p, _)| p == path)
        .map(|(_, line)| *line)
        .min();
    if let Some(line) = failed_at {
        let from = document_start(&file.text, line);
        ranges.extend(value_runs(file.text.as_bytes(), from));
    }
    let len = bytes.len();
    for (start, end) in ranges {
        for b in &mut bytes[start.min(len)..end.min(len)] {
            if *b != b'\n' && *b != b'\r' {
                *b = b'*';
            }
        }
    }
    // Masking whole bytes keeps the text valid UTF-8 only if multi-byte characters were masked
    // entirely, which they are (ranges are node boundaries); fall back to lossy just in case.
    Some(String::from_utf8_lossy(&bytes).into_owned())
}
