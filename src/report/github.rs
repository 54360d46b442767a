//! GitHub Actions workflow commands: one `::error`, `::warning` or `::notice` line per finding,
//! which GitHub turns into annotations on the pull request's changed lines. Suppressed findings
//! and findings already in the baseline are not annotated.

use crate::rules::Severity;
use crate::scan::ScanResult;

/// Escapes a command's message (`%`, CR, LF).
pub(crate) fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command property (`%`, CR, LF, `:` and `,`).
pub(crate) fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Renders one line per finding.
pub fn render(result: &ScanResult) -> String {
    let mut out = String::new();
    for f in result.findings.iter().filter(|f| f.is_active()) {
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let l = &f.location;
        out.push_str(&format!(
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            escape_property(&l.path),
            l.line,
            l.col,
            l.end_line,
            l.end_col,
            escape_property(&format!("driftlens {}", f.rule)),
            escape_data(&f.message)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(escape_data("a%b\nc"), "a%25b%0Ac");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
