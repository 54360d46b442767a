//! Masks Secret values in source text before any of it is shown.
//!
//! For every core `Secret` of a file, the bytes of each `data` and `stringData` value and of the
//! `kubectl.kubernetes.io/last-applied-configuration` annotation are replaced by `*`, keeping
//! line breaks, so offsets and line numbers stay valid for snippets. A file that could not be
//! parsed completely and mentions `Secret` is not shown at all: its values cannot be located.
//! Literal credentials outside Secrets that the rules report (environment values flagged by
//! `env-var-literal-credential`, ConfigMap values flagged by `configmap-sensitive-data`) are
//! masked too, line by line so that indentation survives. Helm values files that renders read
//! are never shown (findings only name their lines).

use crate::load::yaml::{escape_pointer_token, Node};
use crate::model::repo::Repo;

/// The annotation kubectl writes with the whole applied object, Secret values included.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

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

/// The text of a checkout file with Secret values masked, or `None` when the file must not be
/// shown.
pub fn redacted_text(repo: &Repo, path: &str) -> Option<String> {
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
    let broken = repo.problems.iter().any(|p| p.location.path == path);
    if broken && file.text.contains("Secret") {
        return None;
    }
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    // Rendered objects count for every template of their chart: a value written by a helper
    // (`include`, `template`) maps into the helper's file.
    let concerns = |m: &&crate::model::object::Manifest| {
        m.file.path == path
            || m.rendered
                .as_ref()
                .is_some_and(|r| r.templates.contains_key(path))
    };
    for m in repo.manifests.iter().filter(concerns) {
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
        let is_secret = m.key.group.is_empty() && m.key.kind == "Secret";
        if is_secret {
            for field in ["/data", "/stringData"] {
                if let Some(entries) = m.node.pointer(field).and_then(Node::entries) {
                    ranges.extend(entries.iter().filter_map(|e| range(e.value.span)));
                }
            }
        }
        // Literal credentials that the rules find outside Secrets (env values, ConfigMap data).
        let flagged = crate::rules::builtin::env_var_literal_credential::literals(m)
            .into_iter()
            .map(|l| l.pointer)
            .chain(crate::rules::builtin::configmap_sensitive_data::sensitive_pointers(m));
        for p in flagged {
            if let Some((start, end)) = m.node.pointer(&p).and_then(|n| range(n.span)) {
                ranges.extend(non_blank_runs(file.text.as_bytes(), start, end));
            }
        }
        let la = format!(
            "/metadata/annotations/{}",
            escape_pointer_token(LAST_APPLIED)
        );
        if let Some(n) = m.node.pointer(&la) {
            if is_secret || n.as_str().is_some_and(|s| s.contains("\"Secret\"")) {
                ranges.extend(range(n.span));
            }
        }
    }
    for (start, end) in ranges {
        for b in bytes.iter_mut().take(end).skip(start) {
            if *b != b'\n' && *b != b'\r' {
                *b = b'*';
            }
        }
    }
    // Masking whole bytes keeps the text valid UTF-8 only if multi-byte characters were masked
    // entirely, which they are (ranges are node boundaries); fall back to lossy just in case.
    Some(String::from_utf8_lossy(&bytes).into_owned())
}
