//! `configmap-sensitive-data`: a ConfigMap that holds what looks like a credential: a key named
//! like one with a literal value, a line of an embedded config file that sets one, a private
//! key, an AWS access key or a URL with a password. Values are never printed. Documentation:
//! `rules/configmap-sensitive-data.md`.

use serde_json::Value;

use super::sensitive_name::{is_literal_value, is_sensitive_name};
use crate::load::yaml::{escape_pointer_token, Pos, Span};
use crate::model::object::{Location, Manifest};
use crate::rules::{Context, Finding, RuleMeta};

/// What in a value looks like a credential, if anything (the description, never the value).
fn secret_content(value: &str) -> Option<&'static str> {
    if value.contains("-----BEGIN") && value.contains("PRIVATE KEY-----") {
        return Some("a PEM private key");
    }
    let b = value.as_bytes();
    if b.windows(20).any(|w| {
        (w.starts_with(b"AKIA") || w.starts_with(b"ASIA"))
            && w[4..]
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    }) {
        return Some("an AWS access key id (its secret key is usually next to it)");
    }
    if url_with_password(value) {
        return Some("a URL with an embedded password");
    }
    None
}

/// Whether the text holds `scheme://user:password@host` with a literal password.
fn url_with_password(value: &str) -> bool {
    value.match_indices("://").any(|(i, _)| {
        let rest = &value[i + 3..];
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '/' || c == '"' || c == '\'')
            .unwrap_or(rest.len());
        let authority = &rest[..end];
        match authority.rsplit_once('@') {
            Some((userinfo, _)) => userinfo
                .split_once(':')
                .is_some_and(|(_, pw)| is_literal_value(pw)),
            None => false,
        }
    })
}

/// The first line of an embedded file (`.properties`, `.env`, YAML, INI) that assigns a literal
/// to a credential-like key: (0-based line index, the key).
fn sensitive_line(value: &str) -> Option<(usize, String)> {
    value.lines().enumerate().find_map(|(i, line)| {
        let t = line.trim().trim_start_matches("export ");
        if t.starts_with('#') || t.starts_with(';') || t.starts_with("//") {
            return None;
        }
        let sep = t.find(['=', ':'])?;
        let (k, v) = (t[..sep].trim(), t[sep + 1..].trim());
        let v = v.trim_matches(|c| c == '"' || c == '\'');
        (!k.is_empty()
            && !k.contains(' ')
            && is_sensitive_name(k)
            && is_literal_value(v)
            && !v.starts_with('|')
            && !v.starts_with('>'))
        .then(|| (i, k.to_string()))
    })
}

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
            return Some(Location::new(&m.file.path, Span { start: s, end: e }));
        }
        offset += l.len();
    }
    None
}

/// The pointers of the `data` values of a ConfigMap that this rule reports. The report's
/// redaction masks the same values in source snippets.
pub fn sensitive_pointers(m: &Manifest) -> Vec<String> {
    let mut out = Vec::new();
    if !(m.key.group.is_empty() && m.key.kind == "ConfigMap") {
        return out;
    }
    let Some(Value::Object(data)) = m.obj.get("data") else {
        return out;
    };
    for (key, value) in data {
        let Some(value) = value.as_str() else {
            continue;
        };
        if secret_content(value).is_some()
            || (!value.contains('\n') && is_sensitive_name(key) && is_literal_value(value))
            || (value.contains('\n') && sensitive_line(value).is_some())
        {
            out.push(format!("/data/{}", escape_pointer_token(key)));
        }
    }
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
                Some((_, key_span)) => Location::new(&m.file.path, key_span),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contents() {
        assert!(secret_content("-----BEGIN RSA PRIVATE KEY-----\nabc").is_some());
        assert!(secret_content("-----BEGIN CERTIFICATE-----\nabc").is_none());
        assert!(secret_content("id=AKIAABCDEFGHIJKLMNOP").is_some());
        assert!(secret_content("postgres://app:pw123@db:5432/app").is_some());
        assert!(secret_content("postgres://app@db:5432/app").is_none());
        assert!(secret_content("postgres://app:${DB_PASSWORD}@db/app").is_none());
        assert!(secret_content("http://example.com:8080/x").is_none());
        assert_eq!(
            sensitive_line("a=1\n# password=x\nspring.datasource.password = hunter2\n"),
            Some((2, "spring.datasource.password".to_string()))
        );
        assert_eq!(sensitive_line("password: ${DB_PASSWORD}\n"), None);
    }
}
