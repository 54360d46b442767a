//! SARIF 2.1.0 output for code scanning and review annotations.
//!
//! Every rule of the catalog is listed in `tool.driver.rules` with its short and full
//! description, Markdown help (the rule's document) and default level. Each result carries the
//! repository-relative file (`uriBaseId: %SRCROOT%`), the full region, related locations, and a
//! `partialFingerprints` entry that does not depend on line numbers, so results survive
//! unrelated edits. Units that were not rendered are reported as tool execution notifications.
//!
//! Suppressed findings carry `suppressions: [{kind: "inSource"|"external", status: "accepted",
//! justification}]`; with `--baseline`, every result has a `baselineState` (`new`,
//! `unchanged`) and results of the baseline that are gone are added with `"absent"`.

use std::collections::BTreeMap;

use serde_json::json;
use serde_sarif::sarif::{
    ArtifactLocation, Invocation, Location as SLocation, Message, MultiformatMessageString,
    Notification, PhysicalLocation, PropertyBag, Region, ReportingConfiguration,
    ReportingDescriptor, Result as SResult, ResultLevel, Run, Sarif, Suppression, Tool,
    ToolComponent,
};

use super::baseline::BaselineEntry;
use crate::model::object::Location;
use crate::rules::{BaselineState, RuleOrigin, Severity};
use crate::scan::ScanResult;

/// The `$schema` written into the log.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// Base URI id for repository-relative paths.
pub const SRCROOT: &str = "%SRCROOT%";
/// Where rule documents are published.
pub const RULES_URI: &str = "https://github.com/driftlens/driftlens/blob/main/";

fn level(s: Severity) -> ResultLevel {
    match s {
        Severity::Error => ResultLevel::Error,
        Severity::Warning => ResultLevel::Warning,
        Severity::Note => ResultLevel::Note,
    }
}

fn text(s: impl Into<String>) -> Message {
    Message::builder().text(s.into()).build()
}

fn physical(l: &Location) -> PhysicalLocation {
    PhysicalLocation::builder()
        .artifact_location(
            ArtifactLocation::builder()
                .uri(l.path.clone())
                .uri_base_id(SRCROOT.to_string())
                .build(),
        )
        .region(
            Region::builder()
                .start_line(i64::from(l.line))
                .start_column(i64::from(l.col))
                .end_line(i64::from(l.end_line))
                .end_column(i64::from(l.end_col))
                .build(),
        )
        .build()
}

/// A result of the baseline that is no longer found (`baselineState: "absent"`).
fn absent_result(a: &BaselineEntry, rule_index: &BTreeMap<&str, usize>) -> SResult {
    let mut fingerprints = BTreeMap::new();
    fingerprints.insert("driftlens/v1".to_string(), a.fingerprint.clone());
    let level = match a.severity.as_str() {
        "error" => ResultLevel::Error,
        "note" => ResultLevel::Note,
        _ => ResultLevel::Warning,
    };
    let mut r = SResult::builder()
        .rule_id(a.rule.clone())
        .level(level)
        .message(text(a.message.clone()))
        .partial_fingerprints(fingerprints)
        .build();
    if !a.file.is_empty() {
        let mut region = Region::builder().build();
        if a.line > 0 {
            region.start_line = Some(a.line as i64);
        }
        r.locations = Some(vec![SLocation::builder()
            .physical_location(
                PhysicalLocation::builder()
                    .artifact_location(
                        ArtifactLocation::builder()
                            .uri(a.file.clone())
                            .uri_base_id(SRCROOT.to_string())
                            .build(),
                    )
                    .region(region)
                    .build(),
            )
            .build()]);
    }
    r.baseline_state = Some(json!(BaselineState::Absent.as_str()));
    r.rule_index = rule_index.get(a.rule.as_str()).map(|&i| i as i64);
    r
}

/// Renders the SARIF log as pretty JSON (ends with a newline).
pub fn render(result: &ScanResult) -> String {
    let rule_index: BTreeMap<&str, usize> = result
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let rules: Vec<ReportingDescriptor> = result
        .rules
        .iter()
        .map(|r| {
            let mut props = BTreeMap::new();
            props.insert("category".to_string(), json!(r.category));
            if r.origin == RuleOrigin::User {
                // helpUri must be absolute; a user rule is documented in its own file, in the
                // scanned repository, and its Markdown is in `help` anyway.
                props.insert("ruleFile".to_string(), json!(r.doc_path.replace('\\', "/")));
            }
            let mut d = ReportingDescriptor::builder()
                .id(r.id.clone())
                .name(r.id.clone())
                .short_description(
                    MultiformatMessageString::builder()
                        .text(r.summary.clone())
                        .build(),
                )
                .full_description(
                    MultiformatMessageString::builder()
                        .text(r.summary.clone())
                        .build(),
                )
                .help(
                    MultiformatMessageString::builder()
                        .text(r.doc.clone())
                        .markdown(r.doc.clone())
                        .build(),
                )
                .help_uri(format!("{RULES_URI}{}", r.doc_path))
                .default_configuration(
                    ReportingConfiguration::builder()
                        .level(json!(r.severity.as_str()))
                        .build(),
                )
                .properties(
                    PropertyBag::builder()
                        .tags(vec![r.category.as_str().to_string()])
                        .additional_properties(props)
                        .build(),
                )
                .build();
            if r.origin == RuleOrigin::User {
                d.help_uri = None;
            }
            d
        })
        .collect();
    let results: Vec<SResult> = result
        .findings
        .iter()
        .map(|f| {
            let related: Vec<SLocation> = f
                .related
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    SLocation::builder()
                        .id(i as i64 + 1)
                        .physical_location(physical(&r.location))
                        .message(text(r.message.clone()))
                        .build()
                })
                .collect();
            let mut fingerprints = BTreeMap::new();
            fingerprints.insert("driftlens/v1".to_string(), f.fingerprint.clone());
            let mut props = BTreeMap::new();
            props.insert("category".to_string(), json!(f.category));
            if let Some(o) = &f.object {
                props.insert("object".to_string(), json!(o));
            }
            if let Some(p) = &f.pointer {
                props.insert("pointer".to_string(), json!(p));
            }
            for (k, v) in &f.properties {
                props.insert(k.clone(), v.clone());
            }
            let mut r = SResult::builder()
                .rule_id(f.rule.clone())
                .level(level(f.severity))
                .message(text(f.message.clone()))
                .locations(vec![SLocation::builder()
                    .physical_location(physical(&f.location))
                    .build()])
                .partial_fingerprints(fingerprints)
                .properties(PropertyBag::builder().additional_properties(props).build())
                .build();
            if !related.is_empty() {
                r.related_locations = Some(related);
            }
            if let Some(sup) = &f.suppressed {
                r.suppressions = Some(vec![Suppression::builder()
                    .kind(json!(sup.kind.as_str()))
                    .status(json!("accepted"))
                    .justification(sup.reason.clone())
                    .build()]);
            }
            if let Some(state) = f.baseline_state {
                r.baseline_state = Some(json!(state.as_str()));
            }
            r.rule_index = rule_index.get(f.rule.as_str()).map(|&i| i as i64);
            r
        })
        .collect();
    let mut results = results;
    if let Some(b) = &result.baseline {
        results.extend(b.absent.iter().map(|a| absent_result(a, &rule_index)));
    }
    let notifications: Vec<Notification> = result
        .units
        .iter()
        .filter(|u| u.status == "not-rendered")
        .map(|u| {
            Notification::builder()
                .level(json!("note"))
                .message(text(format!(
                    "{} ({}) was not rendered, so its objects are not analysed",
                    u.unit.dir,
                    match u.unit.kind {
                        crate::load::discover::UnitKind::Helm => "Helm chart",
                        crate::load::discover::UnitKind::Kustomize => "Kustomize directory",
                    }
                )))
                .locations(vec![SLocation::builder()
                    .physical_location(
                        PhysicalLocation::builder()
                            .artifact_location(
                                ArtifactLocation::builder()
                                    .uri(format!("{}/", u.unit.dir))
                                    .uri_base_id(SRCROOT.to_string())
                                    .build(),
                            )
                            .build(),
                    )
                    .build()])
                .build()
        })
        .collect();
    let driver = ToolComponent::builder()
        .name("driftlens".to_string())
        .version(env!("CARGO_PKG_VERSION").to_string())
        .semantic_version(env!("CARGO_PKG_VERSION").to_string())
        .information_uri(env!("CARGO_PKG_REPOSITORY").to_string())
        .rules(rules)
        .build();
    let invocation = Invocation::builder()
        .execution_successful(true)
        .tool_execution_notifications(notifications)
        .build();
    let mut run_props = BTreeMap::new();
    run_props.insert("coverage".to_string(), json!(result.coverage.line()));
    run_props.insert(
        "applications".to_string(),
        json!(result.coverage.applications),
    );
    run_props.insert(
        "analysedApplications".to_string(),
        json!(result.coverage.analysed),
    );
    run_props.insert(
        "notAnalysedApplications".to_string(),
        json!(result.coverage.not_analysed),
    );
    run_props.insert(
        "analysedObjects".to_string(),
        json!(result.coverage.objects),
    );
    run_props.insert(
        "chartsNotAnalysed".to_string(),
        json!(result.coverage.charts_not_analysed),
    );
    run_props.insert(
        "kustomizeNotBuilt".to_string(),
        json!(result.coverage.kustomize_not_built),
    );
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .results(results)
        .invocations(vec![invocation])
        .column_kind(json!("unicodeCodePoints"))
        .properties(
            PropertyBag::builder()
                .additional_properties(run_props)
                .build(),
        )
        .build();
    let log = Sarif::builder()
        .schema(SCHEMA_URI.to_string())
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build();
    let mut s = serde_json::to_string_pretty(&log).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}
