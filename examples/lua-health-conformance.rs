//! Runs every `health_test.yaml` case of an Argo CD `resource_customizations` folder through
//! driftlens' Lua health runner and prints the pass rate and the failing cases.
//!
//! Usage: `cargo run --example lua-health-conformance -- DIR [--quiet]` where `DIR` is a local
//! copy of Argo CD's `resource_customizations` (with the `health.lua` scripts). Exit code 0
//! always when the folder could be read; the pass rate is the result.

#[allow(dead_code)]
use driftlens::load::yaml;

use driftlens::compare::health::{HealthOverrides, HealthStatusCode, LuaEngine};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn find_tests(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            find_tests(&p, out);
        } else if p.file_name().is_some_and(|n| n == "health_test.yaml") {
            out.push(p);
        }
    }
}

/// Case-insensitive key lookup (Argo CD's test loader ignores key case).
fn get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    let m = v.as_object()?;
    m.get(key).or_else(|| {
        m.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(root) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("usage: lua-health-conformance DIR [--quiet]");
        std::process::exit(2);
    };
    let quiet = args.iter().any(|a| a == "--quiet");
    let root = Path::new(root);
    let overrides = match HealthOverrides::from_dir(root) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let mut tests = Vec::new();
    find_tests(root, &mut tests);
    let mut engine = LuaEngine::new();
    let (mut total, mut passed) = (0usize, 0usize);
    let mut failures = Vec::new();
    for test in &tests {
        let dir = test.parent().unwrap_or(root);
        let rel = dir.strip_prefix(root).unwrap_or(dir).display().to_string();
        let doc = match std::fs::read_to_string(test)
            .map_err(|e| e.to_string())
            .and_then(|s| yaml::parse_value(&s))
        {
            Ok(d) => d,
            Err(e) => {
                failures.push(format!("{rel}: cannot read health_test.yaml: {e}"));
                continue;
            }
        };
        let cases = get(&doc, "tests")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for case in cases {
            total += 1;
            let input = get(&case, "inputPath")
                .and_then(Value::as_str)
                .unwrap_or("");
            let want = get(&case, "healthStatus").cloned().unwrap_or(Value::Null);
            let want_status = get(&want, "status").and_then(Value::as_str).unwrap_or("");
            let want_msg = get(&want, "message").and_then(Value::as_str).unwrap_or("");
            let obj = match std::fs::read_to_string(dir.join(input))
                .map_err(|e| e.to_string())
                .and_then(|s| yaml::parse_value(&s))
            {
                Ok(o) => o,
                Err(e) => {
                    failures.push(format!("{rel} {input}: cannot read input: {e}"));
                    continue;
                }
            };
            let (group, _, kind) = driftlens::compare::health::gvk(&obj);
            // Like Argo CD's TestLuaHealthScript: the script is selected by the object's
            // group/kind (exact folder first, then wildcard folders), not by the test's folder.
            let script = overrides.script_for(group, kind);
            let Some(script) = script else {
                failures.push(format!("{rel} {input}: no health.lua"));
                continue;
            };
            let got = engine.run_health(&obj, &script);
            let (got_status, got_msg) = match &got {
                Ok(h) => (
                    h.status.map(HealthStatusCode::as_str).unwrap_or(""),
                    h.message.clone(),
                ),
                Err(e) => ("<error>", e.to_string()),
            };
            if got_status == want_status && got_msg == want_msg {
                passed += 1;
            } else {
                failures.push(format!(
                    "{rel} {input}: want {want_status:?} {want_msg:?}, got {got_status:?} {got_msg:?}"
                ));
            }
        }
    }
    if !quiet {
        for f in &failures {
            println!("FAIL {f}");
        }
    }
    let rate = if total == 0 {
        0.0
    } else {
        passed as f64 * 100.0 / total as f64
    };
    println!(
        "{passed}/{total} cases passed ({rate:.1}%), {} failed",
        total - passed
    );
}
