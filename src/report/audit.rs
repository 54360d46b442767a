//! The audit report model shared by the [`super::markdown`] and [`super::html`] formats.
//!
//! It summarises a scan per Argo CD Application (the Applications whose source path holds the
//! finding's file, [`crate::rules::Context::apps_of`]) and per rule, and lists every finding
//! with a source snippet, drift causes and suggested `ignoreDifferences` (from the finding's
//! properties `cause`/`causes` and `suggestedIgnoreDifferences`), its related places, its
//! suppression and its baseline state. Snippets come only from [`super::redact::redacted_text`], so Secret values
//! never reach a report; other properties are not shown.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::Value;

use super::redact::Redactor;
use super::snippet::IndexedText;
use crate::model::key::ObjectKey;
use crate::rules::{BaselineState, Context, Finding, Severity};
use crate::scan::ScanResult;

/// Lines shown before and after a finding's lines.
pub const SNIPPET_CONTEXT: u32 = 2;
/// The bucket of findings no Application deploys.
pub const NO_APP: &str = "(not deployed by an Application)";

/// Counts by severity.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    /// All findings, suppressed ones included.
    pub total: usize,
    /// Findings that count (not suppressed, not unchanged since the baseline).
    pub active: usize,
    /// Active errors.
    pub error: usize,
    /// Active warnings.
    pub warning: usize,
    /// Active notes.
    pub note: usize,
    /// Suppressed findings.
    pub suppressed: usize,
}

impl Counts {
    fn add(&mut self, f: &Finding) {
        self.total += 1;
        if f.suppressed.is_some() {
            self.suppressed += 1;
        }
        if f.is_active() {
            self.active += 1;
            match f.severity {
                Severity::Error => self.error += 1,
                Severity::Warning => self.warning += 1,
                Severity::Note => self.note += 1,
            }
        }
    }
}

/// One line of a snippet.
#[derive(Debug, Clone, Serialize)]
pub struct SnippetLine {
    /// 1-based line number.
    pub number: u32,
    /// The (redacted) text.
    pub text: String,
    /// Whether the finding covers this line.
    pub hit: bool,
}

/// Another place a finding involves (the Application that deploys the object, the values
/// file a rendered value came from, the other copy of a duplicated object).
#[derive(Debug, Clone, Serialize)]
pub struct AuditRelated {
    /// File.
    pub file: String,
    /// Line.
    pub line: u32,
    /// Column.
    pub column: u32,
    /// Why this place matters.
    pub message: String,
}

/// A finding as the audit report shows it.
#[derive(Debug, Clone, Serialize)]
pub struct AuditFinding {
    /// Position in the report, from 1.
    pub number: usize,
    /// Rule id.
    pub rule: String,
    /// Severity.
    pub severity: Severity,
    /// Category.
    pub category: String,
    /// Message.
    pub message: String,
    /// File.
    pub file: String,
    /// Line.
    pub line: u32,
    /// Column.
    pub column: u32,
    /// `Kind namespace/name`, or empty.
    pub object: String,
    /// Applications deploying the file.
    pub apps: Vec<String>,
    /// Source lines around the finding (empty when the file cannot be shown).
    pub snippet: Vec<SnippetLine>,
    /// Related places.
    pub related: Vec<AuditRelated>,
    /// Drift causes.
    pub causes: Vec<String>,
    /// Suggested `ignoreDifferences` entries, as YAML-ish JSON text.
    pub suggested_ignore_differences: Option<String>,
    /// `inSource` or `external`, when suppressed.
    pub suppression_kind: Option<String>,
    /// The reason, when suppressed.
    pub suppression_reason: Option<String>,
    /// `new` or `unchanged`, with a baseline.
    pub baseline_state: Option<String>,
    /// Whether the finding counts.
    pub active: bool,
    /// Fingerprint.
    pub fingerprint: String,
}

/// A row of the per-Application summary.
#[derive(Debug, Clone, Serialize)]
pub struct AppRow {
    /// Application name (or [`NO_APP`]).
    pub name: String,
    /// Counts.
    pub counts: Counts,
}

/// A row of the per-rule summary.
#[derive(Debug, Clone, Serialize)]
pub struct RuleRow {
    /// Rule id.
    pub id: String,
    /// Severity of its findings (after overrides: the highest one).
    pub severity: Severity,
    /// Category.
    pub category: String,
    /// One-line summary.
    pub summary: String,
    /// Counts.
    pub counts: Counts,
}

/// A row of the Applications table, which opens the audit reports: the state Argo CD would
/// show before the lint.
#[derive(Debug, Clone, Serialize)]
pub struct AppState {
    /// Application name (`(checkout)` for the implicit app).
    pub name: String,
    /// Predicted sync status (`Synced`, `OutOfSync`, `Unknown`), or `-` without a dump.
    pub sync: String,
    /// Predicted health status, or `-` without a dump (or when the desired state is unknown).
    pub health: String,
    /// The most common cause of its differences, or `-`.
    pub top_cause: String,
    /// `analysed`, with the number of objects, or why it was not analysed.
    pub coverage: String,
}

/// A baseline result no longer found.
#[derive(Debug, Clone, Serialize)]
pub struct AbsentRow {
    /// Rule id.
    pub rule: String,
    /// File.
    pub file: String,
    /// Line, as reported then.
    pub line: u64,
    /// Message, as reported then.
    pub message: String,
}

/// Everything the audit formats show.
#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    /// driftlens version.
    pub version: String,
    /// Files, objects and live objects.
    pub files: usize,
    /// Objects in Git.
    pub objects: usize,
    /// Live objects from dumps.
    pub live_objects: usize,
    /// Counts over all findings.
    pub counts: Counts,
    /// The predicted state per Application, in the comparison's order.
    pub states: Vec<AppState>,
    /// Per Application, sorted by name ([`NO_APP`] last).
    pub apps: Vec<AppRow>,
    /// Per rule with findings, sorted by id.
    pub rules: Vec<RuleRow>,
    /// Every finding, in report order.
    pub findings: Vec<AuditFinding>,
    /// The suppressed findings (a subset of `findings`).
    pub suppressed: Vec<AuditFinding>,
    /// The baseline file, with `--baseline`.
    pub baseline: Option<String>,
    /// New findings since the baseline.
    pub new: usize,
    /// Findings already in the baseline.
    pub unchanged: usize,
    /// Baseline results no longer found.
    pub absent: Vec<AbsentRow>,
    /// Charts and Kustomize directories not rendered (`dir (kind)`).
    pub not_rendered: Vec<String>,
    /// The coverage line (`analysed N of M Applications (K objects)…`).
    pub coverage: String,
}

fn object_label(k: &ObjectKey) -> String {
    if k.namespace.is_empty() {
        format!("{} {}", k.kind, k.name)
    } else {
        format!("{} {}/{}", k.kind, k.namespace, k.name)
    }
}

fn snippet(text: Option<&IndexedText>, f: &Finding) -> Vec<SnippetLine> {
    let Some(text) = text else {
        return Vec::new();
    };
    let first = f.location.line.saturating_sub(SNIPPET_CONTEXT).max(1);
    let last = f.location.end_line.max(f.location.line) + SNIPPET_CONTEXT;
    let last = last.min(u32::try_from(text.line_count()).unwrap_or(u32::MAX));
    (first..=last)
        .filter_map(|number| Some((number, text.line(number)?)))
        .map(|(number, l)| SnippetLine {
            number,
            text: l.trim_end_matches('\r').to_string(),
            hit: number >= f.location.line && number <= f.location.end_line.max(f.location.line),
        })
        .collect()
}

/// The drift causes of a finding, from the `differences` property of the drift rules: one line
/// per differing field with the cause's kind, evidence and remedy (never the values).
fn causes(f: &Finding) -> Vec<String> {
    let Some(Value::Array(diffs)) = f.properties.get("differences") else {
        return Vec::new();
    };
    diffs
        .iter()
        .filter_map(|d| {
            let pointer = d.get("pointer")?.as_str()?;
            let c = d.get("cause")?;
            let text = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or("");
            Some(format!(
                "{pointer}: {} — {}; remedy: {}",
                text("kind"),
                text("evidence"),
                text("remedy")
            ))
        })
        .collect()
}

fn plural(n: usize, w: &str) -> String {
    format!("{n} {w}{}", if n == 1 { "" } else { "s" })
}

/// The Applications table: from the comparison when there is a dump, otherwise from what the
/// checkout alone tells (the desired state and what could not be analysed).
fn app_states(result: &ScanResult) -> Vec<AppState> {
    use crate::compare::app::{predict_all, CompareOptions};
    match (&result.drift, &result.cluster) {
        (Some(drift), Some(cluster)) => {
            let overrides =
                crate::compare::health::HealthOverrides::from_settings(&result.repo.settings);
            drift
                .apps
                .iter()
                .map(|a| {
                    let known = a.not_analysed.is_none();
                    AppState {
                        name: a.name.clone(),
                        sync: super::apps::status_str(a.status).to_string(),
                        health: if known {
                            crate::compare::appview::app_health(
                                &result.repo,
                                cluster,
                                a,
                                &overrides,
                            )
                            .status
                            .as_str()
                            .to_string()
                        } else {
                            "-".to_string()
                        },
                        top_cause: super::apps::top_cause(a).unwrap_or_else(|| "-".into()),
                        coverage: match &a.not_analysed {
                            Some(why) => format!("not analysed: {why}"),
                            None => format!("analysed ({})", plural(a.resources.len(), "resource")),
                        },
                    }
                })
                .collect()
        }
        _ => predict_all(&result.repo, &CompareOptions::default())
            .into_iter()
            .map(|p| AppState {
                name: p.name,
                sync: "-".into(),
                health: "-".into(),
                top_cause: "-".into(),
                coverage: match (&p.not_analysed, p.objects) {
                    (Some(why), _) => format!("not analysed: {why}"),
                    (None, Some(n)) => format!("analysed ({})", plural(n, "object")),
                    (None, None) => "analysed".into(),
                },
            })
            .collect(),
    }
}

impl Audit {
    /// Builds the model from a scan.
    pub fn build(result: &ScanResult) -> Audit {
        let ctx = Context::new(&result.repo, result.cluster.as_ref());
        let by_object: HashMap<(&str, &ObjectKey), usize> = result
            .repo
            .manifests
            .iter()
            .enumerate()
            .map(|(i, m)| ((m.file.path.as_str(), &m.key), i))
            .collect();
        let redactor = Redactor::new(&result.repo);
        let mut sources: HashMap<&str, Option<IndexedText>> = HashMap::new();
        let mut counts = Counts::default();
        let mut apps: BTreeMap<String, Counts> = BTreeMap::new();
        let mut rules: BTreeMap<&str, RuleRow> = BTreeMap::new();
        let mut findings = Vec::new();
        for (i, f) in result.findings.iter().enumerate() {
            counts.add(f);
            // Drift findings name their Application; other findings are attributed to the
            // Applications whose source holds the object (namespace as written in Git).
            let mut app_names: Vec<String> = match f.properties.get("application") {
                Some(Value::String(a)) => vec![a.clone()],
                _ => f
                    .object
                    .as_ref()
                    .and_then(|k| by_object.get(&(f.location.path.as_str(), k)))
                    .map(|&mi| ctx.apps_of(mi).map(|a| a.metadata.name.clone()).collect())
                    .unwrap_or_default(),
            };
            app_names.sort();
            app_names.dedup();
            if app_names.is_empty() {
                apps.entry(NO_APP.to_string()).or_default().add(f);
            }
            for a in &app_names {
                apps.entry(a.clone()).or_default().add(f);
            }
            let meta = result.rules.iter().find(|r| r.id == f.rule);
            let row = rules.entry(f.rule.as_str()).or_insert_with(|| RuleRow {
                id: f.rule.clone(),
                severity: f.severity,
                category: f.category.as_str().to_string(),
                summary: meta.map(|m| m.summary.clone()).unwrap_or_default(),
                counts: Counts::default(),
            });
            row.severity = row.severity.max(f.severity);
            row.counts.add(f);
            let text = sources
                .entry(f.location.path.as_str())
                .or_insert_with(|| redactor.text(&f.location.path).map(IndexedText::new));
            findings.push(AuditFinding {
                number: i + 1,
                rule: f.rule.clone(),
                severity: f.severity,
                category: f.category.as_str().to_string(),
                message: f.message.clone(),
                file: f.location.path.clone(),
                line: f.location.line,
                column: f.location.col,
                object: f.object.as_ref().map(object_label).unwrap_or_default(),
                apps: app_names,
                snippet: snippet(text.as_ref(), f),
                related: f
                    .related
                    .iter()
                    .map(|r| AuditRelated {
                        file: r.location.path.clone(),
                        line: r.location.line,
                        column: r.location.col,
                        message: r.message.clone(),
                    })
                    .collect(),
                causes: causes(f),
                suggested_ignore_differences: f
                    .properties
                    .get("suggestedIgnoreDifferences")
                    .and_then(|v| serde_json::to_string_pretty(v).ok()),
                suppression_kind: f.suppressed.as_ref().map(|s| s.kind.as_str().to_string()),
                suppression_reason: f.suppressed.as_ref().map(|s| s.reason.clone()),
                baseline_state: f.baseline_state.map(|s| s.as_str().to_string()),
                active: f.is_active(),
                fingerprint: f.fingerprint.clone(),
            });
        }
        let mut app_rows: Vec<AppRow> = apps
            .into_iter()
            .map(|(name, counts)| AppRow { name, counts })
            .collect();
        app_rows.sort_by_key(|r| r.name == NO_APP);
        let state = |s: BaselineState| {
            result
                .findings
                .iter()
                .filter(|f| f.baseline_state == Some(s))
                .count()
        };
        Audit {
            version: env!("CARGO_PKG_VERSION").to_string(),
            files: result.stats.files,
            objects: result.stats.objects,
            live_objects: result.stats.live_objects,
            counts,
            states: app_states(result),
            apps: app_rows,
            rules: rules.into_values().collect(),
            suppressed: findings
                .iter()
                .filter(|f| f.suppression_kind.is_some())
                .cloned()
                .collect(),
            findings,
            baseline: result.baseline.as_ref().map(|b| b.file.clone()),
            new: state(BaselineState::New),
            unchanged: state(BaselineState::Unchanged),
            absent: result
                .baseline
                .iter()
                .flat_map(|b| &b.absent)
                .map(|a| AbsentRow {
                    rule: a.rule.clone(),
                    file: a.file.clone(),
                    line: a.line,
                    message: a.message.clone(),
                })
                .collect(),
            not_rendered: result
                .units
                .iter()
                .filter(|u| u.status == "not-rendered")
                .map(|u| {
                    format!(
                        "{} ({})",
                        u.unit.dir,
                        match u.unit.kind {
                            crate::load::discover::UnitKind::Helm => "Helm chart",
                            crate::load::discover::UnitKind::Kustomize => "Kustomize directory",
                        }
                    )
                })
                .collect(),
            coverage: result.coverage.line(),
        }
    }
}
