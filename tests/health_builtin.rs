//! Conformance: every case of Argo CD's built-in Go health tests
//! (`testdata/conformance/argocd/health/builtin-go/health_expectations.yaml`).

#[allow(dead_code)]
use driftlens::load::yaml;

use driftlens::compare::health::{resource_health, HealthOverrides, HealthStatusCode};
use serde_json::Value;
use std::path::Path;

const DIR: &str = "testdata/conformance/argocd/health/builtin-go";

#[test]
fn builtin_go_health_expectations() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(DIR);
    let text = std::fs::read_to_string(dir.join("health_expectations.yaml"))
        .unwrap_or_else(|e| panic!("read expectations: {e}"));
    let doc = yaml::parse_value(&text).unwrap_or_else(|e| panic!("parse expectations: {e}"));
    let cases = doc
        .get("tests")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    assert!(
        cases.len() >= 50,
        "expected the full case list, got {}",
        cases.len()
    );
    let overrides = HealthOverrides::new();
    let mut failures = Vec::new();
    for case in &cases {
        let input = case["inputPath"].as_str().unwrap_or_default();
        let src = std::fs::read_to_string(dir.join(input))
            .unwrap_or_else(|e| panic!("read {input}: {e}"));
        let obj = yaml::parse_value(&src).unwrap_or_else(|e| panic!("parse {input}: {e}"));
        let got = resource_health(&obj, &overrides);
        if case["expectNil"].as_bool() == Some(true) {
            if got != Ok(None) {
                failures.push(format!("{input}: expected no health, got {got:?}"));
            }
            continue;
        }
        let want_status = case["healthStatus"]["status"].as_str().unwrap_or_default();
        let Ok(Some(h)) = got else {
            failures.push(format!("{input}: expected {want_status}, got {got:?}"));
            continue;
        };
        if h.status != HealthStatusCode::parse(want_status) {
            failures.push(format!("{input}: expected {want_status}, got {h:?}"));
            continue;
        }
        if case["messageAsserted"].as_bool() == Some(true) {
            let want_msg = case["healthStatus"]["message"].as_str().unwrap_or_default();
            if h.message != want_msg {
                failures.push(format!(
                    "{input}: expected message {want_msg:?}, got {:?}",
                    h.message
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
