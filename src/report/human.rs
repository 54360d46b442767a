//! Human output: one miette diagnostic per finding, with the source line, a label under the
//! offending field, and help; then a summary. Colours and Unicode only on a terminal without
//! `NO_COLOR`; otherwise plain ASCII, which is also what tests and CI logs see.
//!
//! Suppressed findings and findings already in the baseline are not shown; one line counts
//! them, and the summary counts only the findings shown.

use std::fmt;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan,
};

use super::redact::Redactor;
use super::snippet::IndexedText;
use super::Style;
use crate::load::discover::UnitKind;
use crate::model::object::Location;
use crate::rules::{Finding, Severity};
use crate::scan::ScanResult;

#[derive(Debug)]
struct Diag {
    message: String,
    code: String,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<NamedSource<IndexedText>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Diag>,
}

impl fmt::Display for Diag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diag {}

impl Diagnostic for Diag {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(self.related.iter().map(|d| d as &dyn Diagnostic)))
        }
    }
}

fn span_of(l: &Location, text: &IndexedText) -> SourceSpan {
    let text = text.text();
    let start = l.offset.min(text.len());
    let len = l.len.min(text.len() - start);
    SourceSpan::new(start.into(), len)
}

/// Redacted files, each redacted and indexed once however many findings it has.
struct Sources<'a> {
    redactor: Redactor<'a>,
    cache: std::collections::HashMap<String, Option<IndexedText>>,
}

impl Sources<'_> {
    fn get(&mut self, path: &str) -> Option<IndexedText> {
        if let Some(t) = self.cache.get(path) {
            return t.clone();
        }
        let t = self.redactor.text(path).map(IndexedText::new);
        self.cache.insert(path.to_string(), t.clone());
        t
    }
}

fn diag_for(f: &Finding, sources: &mut Sources<'_>) -> Diag {
    let severity = match f.severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Note => miette::Severity::Advice,
    };
    let mut labels = Vec::new();
    let mut related = Vec::new();
    let text = sources.get(&f.location.path);
    if let Some(t) = &text {
        labels.push(LabeledSpan::new_primary_with_span(
            Some("here".to_string()),
            span_of(&f.location, t),
        ));
    }
    for r in &f.related {
        if r.location.path == f.location.path {
            if let Some(t) = &text {
                labels.push(LabeledSpan::new_with_span(
                    Some(r.message.clone()),
                    span_of(&r.location, t),
                ));
            }
            continue;
        }
        let rtext = sources.get(&r.location.path);
        related.push(Diag {
            message: format!("{}:{}: {}", r.location.path, r.location.line, r.message),
            code: f.rule.clone(),
            severity: miette::Severity::Advice,
            help: None,
            labels: rtext
                .as_ref()
                .map(|t| {
                    vec![LabeledSpan::new_primary_with_span(
                        None,
                        span_of(&r.location, t),
                    )]
                })
                .unwrap_or_default(),
            source: rtext.map(|t| NamedSource::new(&r.location.path, t).with_language("yaml")),
            related: Vec::new(),
        });
    }
    let message = if text.is_some() {
        f.message.clone()
    } else {
        format!(
            "{}:{}:{}: {}",
            f.location.path, f.location.line, f.location.col, f.message
        )
    };
    Diag {
        message,
        code: f.rule.clone(),
        severity,
        help: Some(format!("see `driftlens explain {}`", f.rule)),
        source: text.map(|t| NamedSource::new(&f.location.path, t).with_language("yaml")),
        labels,
        related,
    }
}

/// The findings shown per rule: rule, severity (the highest of its findings), count; the most
/// severe rules first, then the most frequent. Empty without findings.
fn rule_table(active: &[&Finding]) -> String {
    let mut rows: std::collections::BTreeMap<&str, (Severity, usize)> = Default::default();
    for f in active {
        let row = rows.entry(f.rule.as_str()).or_insert((f.severity, 0));
        row.0 = row.0.max(f.severity);
        row.1 += 1;
    }
    if rows.is_empty() {
        return String::new();
    }
    let mut rows: Vec<(&str, Severity, usize)> =
        rows.into_iter().map(|(r, (s, n))| (r, s, n)).collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(b.0)));
    let w = rows
        .iter()
        .map(|r| r.0.len())
        .max()
        .unwrap_or(0)
        .max("RULE".len());
    let mut out = format!("{:<w$}  {:<8}  {:>8}\n", "RULE", "SEVERITY", "FINDINGS");
    for (rule, severity, n) in rows {
        out.push_str(&format!("{rule:<w$}  {:<8}  {n:>8}\n", severity.as_str()));
    }
    out
}

/// Renders diagnostics and the summary.
pub fn render(result: &ScanResult, style: Style) -> String {
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::none()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_context_lines(1)
        .with_links(false);
    let mut sources = Sources {
        redactor: Redactor::new(&result.repo),
        cache: Default::default(),
    };
    let mut out = String::new();
    for f in result.findings.iter().filter(|f| f.is_active()) {
        let d = diag_for(f, &mut sources);
        if handler.render_report(&mut out, &d).is_err() {
            out.push_str(&format!(
                "{}:{}:{}: {} [{}]\n",
                f.location.path, f.location.line, f.location.col, f.message, f.rule
            ));
        }
        out.push('\n');
    }
    for u in result.units.iter().filter(|u| u.status == "not-rendered") {
        let what = match u.unit.kind {
            UnitKind::Helm => "Helm chart",
            UnitKind::Kustomize => "Kustomize directory",
        };
        out.push_str(&format!(
            "note: {} ({what}) was not rendered, so its objects are not analysed\n",
            u.unit.dir
        ));
    }
    for n in &result.repo.render_notes {
        out.push_str(&format!("note: {n}\n"));
    }
    for a in &result.repo.app_sources {
        for s in &a.sources {
            for n in &s.notes {
                out.push_str(&format!(
                    "note: Application `{}`: {n}\n",
                    result.repo.apps[a.app].value.metadata.name
                ));
            }
        }
    }
    let active: Vec<&Finding> = result.findings.iter().filter(|f| f.is_active()).collect();
    let count = |s: Severity| active.iter().filter(|f| f.severity == s).count();
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    out.push_str(&rule_table(&active));
    if let Some(h) = &result.hidden {
        out.push_str(&h.line());
        out.push('\n');
    }
    let suppressed = result
        .findings
        .iter()
        .filter(|f| f.suppressed.is_some())
        .count();
    if suppressed > 0 {
        out.push_str(&format!(
            "{} not shown (reasons in --format json, sarif, markdown or html)\n",
            plural(suppressed, "suppressed finding")
        ));
    }
    if let Some(b) = &result.baseline {
        let unchanged = result
            .findings
            .iter()
            .filter(|f| f.suppressed.is_none() && !f.is_active())
            .count();
        out.push_str(&format!(
            "baseline {}: {} unchanged (not shown), {} fixed\n",
            b.file,
            plural(unchanged, "finding"),
            b.absent.len()
        ));
    }
    out.push_str(&format!(
        "{} ({}, {}, {}) in {}, {}{}\n",
        plural(active.len(), "finding"),
        plural(count(Severity::Error), "error"),
        plural(count(Severity::Warning), "warning"),
        plural(count(Severity::Note), "note"),
        plural(result.stats.files, "file"),
        plural(result.stats.objects, "object"),
        if result.cluster.is_some() {
            format!(", {}", plural(result.stats.live_objects, "live object"))
        } else {
            String::new()
        }
    ));
    out.push_str(&result.coverage.line());
    out.push('\n');
    out
}
