//! HTML audit report (`--format html`): one self-contained file (inline CSS, no scripts, no
//! external assets, a Content-Security-Policy that forbids loading anything) rendered with
//! minijinja from `templates/report.html`, which is part of the binary.
//!
//! The template is rendered with HTML auto-escaping, strict undefined values and a fuel limit;
//! every value it shows is escaped. Content is the [`super::audit::Audit`] model, so snippets
//! are redacted and Secret values never appear.

use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde_json::json;

use super::audit::Audit;
use crate::scan::ScanResult;

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            '/' => out.push_str("&#x2f;"),
            _ => out.push(c),
        }
    }
    out
}

/// The `prose` filter: escapes a message and shows its `` `code` `` spans as `<code>`.
fn prose(s: &str) -> minijinja::Value {
    let parts: Vec<&str> = s.split('`').collect();
    let mut out = String::with_capacity(s.len() + 16);
    // An odd number of parts means every backtick is paired.
    let paired = parts.len() % 2 == 1;
    for (i, part) in parts.iter().enumerate() {
        if i % 2 == 1 && paired {
            out.push_str("<code>");
            out.push_str(&escape(part));
            out.push_str("</code>");
        } else {
            if i > 0 && !paired {
                out.push('`');
            }
            out.push_str(&escape(part));
        }
    }
    minijinja::Value::from_safe_string(out)
}

/// The template, embedded.
pub const TEMPLATE: &str = include_str!("templates/report.html");

/// Renders the report, or a minimal error page if the template fails (a defect caught by the
/// tests).
pub fn render(result: &ScanResult) -> String {
    let audit = Audit::build(result);
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_fuel(Some(50_000_000));
    env.add_filter("prose", prose);
    let mut ctx = match serde_json::to_value(&audit) {
        Ok(v) => v,
        Err(e) => return error_page(&e.to_string()),
    };
    ctx["live"] = json!(result.cluster.is_some());
    ctx["hidden"] = json!(result.hidden.as_ref().map(|h| h.line()));
    let rendered = env
        .template_from_str(TEMPLATE)
        .and_then(|t| t.render(Serde(&ctx)));
    match rendered {
        Ok(mut s) => {
            if !s.ends_with('\n') {
                s.push('\n');
            }
            s
        }
        Err(e) => error_page(&e.to_string()),
    }
}

fn error_page(message: &str) -> String {
    let escaped = escape(message);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>driftlens \
         report error</title></head><body><p>driftlens could not render the report: \
         {escaped}</p></body></html>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_escapes_and_marks_code_spans() {
        assert_eq!(
            prose("a `<b>` & c").to_string(),
            "a <code>&lt;b&gt;</code> &amp; c"
        );
        assert_eq!(prose("odd ` <x>").to_string(), "odd ` &lt;x&gt;");
    }
}
