//! Report: the only stage that knows output formats.
//!
//! | format | for |
//! |---|---|
//! | [`human`] | terminals: miette diagnostics with the source line, a caret and help |
//! | [`json`] | tools: a documented, versioned schema (`schemaVersion`) |
//! | [`sarif`] | code scanning and review annotations: SARIF 2.1.0 |
//! | [`github`] | GitHub Actions workflow commands (`::error file=…`) |
//! | [`markdown`] | audit report for pull requests and job summaries |
//! | [`html`] | self-contained audit report (one file, no external assets) |
//!
//! [`review`] renders `driftlens review` (Markdown for pull-request comments, JSON, SARIF,
//! GitHub annotations, terminals).
//!
//! [`audit`] is the model both audit reports show; [`baseline`] compares a scan with a previous
//! report.
//!
//! Secret values never reach any format: findings never quote values, and the source snippets of
//! the human, Markdown and HTML formats are taken from [`redact`]ed text, which never shows the
//! Helm values files that renders read (related locations only name their lines).

pub mod apps;
pub mod appview;
pub mod audit;
pub mod baseline;
pub mod diff;
pub mod filter;
pub mod github;
pub mod html;
pub mod human;
pub mod json;
pub mod markdown;
pub mod redact;
pub mod review;
pub mod sarif;
pub mod scrub;
pub mod snippet;
pub mod sources;
pub mod yaml;

use crate::scan::ScanResult;

/// An output format of `scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Diagnostics for people, with source snippets.
    Human,
    /// JSON document (see README, "JSON output").
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// GitHub Actions workflow commands.
    Github,
    /// Markdown audit report.
    Markdown,
    /// Self-contained HTML audit report.
    Html,
}

/// Options that change how a report looks, not what it says.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    /// Use colours and Unicode drawing characters.
    pub color: bool,
}

/// Renders a scan result in a format.
pub fn render(format: Format, result: &ScanResult, style: Style) -> String {
    match format {
        Format::Human => human::render(result, style),
        Format::Json => json::render(result),
        Format::Sarif => sarif::render(result),
        Format::Github => github::render(result),
        Format::Markdown => markdown::render(result),
        Format::Html => html::render(result),
    }
}
