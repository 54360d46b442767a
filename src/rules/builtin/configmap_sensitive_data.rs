//! `configmap-sensitive-data`: a ConfigMap that holds what looks like a credential: a key named
//! like one with a literal value, a line of an embedded config file that sets one, a private
//! key, an AWS access key or a URL with a password. Values are never printed. Documentation:
//! `rules/configmap-sensitive-data.md`.

use serde_json::Value;

use crate::load::yaml::{escape_pointer_token, Pos, Span};
use crate::model::object::{Location, Manifest};
use crate::model::sensitive::content::{secret_content, sensitive_line};
use crate::model::sensitive::names::{is_literal_value, is_sensitive_name};
use crate::rules::{Context, Finding, RuleMeta};

/// The location of `name` on the source line that reads `line` inside the value written at
/// `span`, when the value is a block whose lines appear verbatim in the file.
fn locate_line(m: &Manifest, span: Span, line: &str, name: &str) -> Option<Location> {
    let text = &m.file.text;
    let body = text.get(span.start.offset..span.end.offset)?;
    let needle = line.trim();
    let mut offset = span.start.offset;
    for l in body.split_inclusive('\n') {
        if let Some(col) = l.find(needle).filter(|_| l.trim() == needle) {
            let start = offset + col + needle.find(name).unwrap_or(0);
            let line_no = text[..start].matches('\n').count() as u32 + 1;
            let line_start = text[..start].rfind('\n').map_or(0, |p| p + 1);
            let col_no = text[line_start..start].chars().count() as u32 + 1;
            let s = Pos {
                offset: start,
                line: line_no,
                col: col_no,
            };
            let e = Pos {
                offset: start + name.len(),
                line: line_no,
                col: col_no + name.chars().count() as u32,
            };
            return Some(m.location_of(Span { start: s, end: e }));
        }
        offset += l.len();
    }
    None
}

/// The pointers of the `data` values of a ConfigMap that this rule reports. The report's
/// redaction masks the same values in source snippets.
pub fn sensitive_pointers(m: &Manifest) -> Vec<String> {
    let mut out = Vec::new();
    crate::model::sensitive::configmap_credential_pointers(&m.obj, &mut out);
    out
}

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for m in &ctx.repo.manifests {
        if !(m.key.group.is_empty() && m.key.kind == "ConfigMap") {
            continue;
        }
        let Some(Value::Object(data)) = m.obj.get("data") else {
            continue;
        };
        for (key, value) in data {
            let Some(value) = value.as_str() else {
                continue;
            };
            let pointer = format!("/data/{}", escape_pointer_token(key));
            let key_location = match m.node.pointer_entry(&pointer) {
                Some((_, key_span)) => m.location_of(key_span),
                None => m.locate(&pointer),
            };
            let (what, location) = if let Some(what) = secret_content(value) {
                (format!("key `{key}` holds {what}"), key_location)
            } else if !value.contains('\n') && is_sensitive_name(key) && is_literal_value(value) {
                (
                    format!("key `{key}` looks like a credential and has a literal value"),
                    key_location,
                )
            } else if let Some((i, name)) = value
                .contains('\n')
                .then(|| sensitive_line(value))
                .flatten()
            {
                let line = value.lines().nth(i).unwrap_or("");
                let location = m
                    .node
                    .pointer(&pointer)
                    .and_then(|n| locate_line(m, n.span, line, &name))
                    .unwrap_or(key_location);
                (
                    format!(
                        "the file in key `{key}` sets `{name}` to a literal value (line {} of \
                         the file)",
                        i + 1
                    ),
                    location,
                )
            } else {
                continue;
            };
            let message = format!(
                "ConfigMap `{}`: {what}. ConfigMaps are not access-controlled like Secrets — \
                 anyone who can read the namespace's configuration or the repository can read it, \
                 and they are printed in diffs and the Argo CD UI. Move the value to a Secret \
                 (SealedSecret, ExternalSecret or SOPS), reference it from the file with a \
                 placeholder, and rotate it",
                m.key.name
            );
            out.push(
                Finding::new(meta, message, location)
                    .with_object(&m.key)
                    .with_pointer(pointer),
            );
        }
    }
}
