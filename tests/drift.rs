//! The drift scenarios of `testdata/drift/scenarios` (see its README): what Argo CD would report
//! for each object, checked through `apps`, `diff` and `scan`.

use std::path::PathBuf;

use assert_cmd::Command;
use serde_json::Value;

fn fixture(p: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(p)
        .to_string_lossy()
        .into_owned()
}

fn run(args: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("driftlens")
        .expect("binary")
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn scenario_args(cmd: &str) -> Vec<String> {
    vec![
        cmd.into(),
        fixture("testdata/drift/scenarios/repo"),
        "--cluster".into(),
        fixture("testdata/drift/scenarios/cluster.json"),
    ]
}

#[test]
fn apps_predicts_every_scenario() {
    let mut args = scenario_args("apps");
    args.extend(["--format".into(), "json".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out) = run(&args);
    assert_eq!(code, 1, "an OutOfSync app exits 1");
    let v: Value = serde_json::from_str(&out).expect("JSON");
    let app = &v["apps"][0];
    assert_eq!(app["name"], "web");
    assert_eq!(app["status"], "OutOfSync");
    assert_eq!(
        (
            app["modified"].as_u64(),
            app["missing"].as_u64(),
            app["extraneous"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
    let res = |kind: &str, name: &str| -> Value {
        app["resources"]
            .as_array()
            .and_then(|rs| {
                rs.iter()
                    .find(|r| r["kind"] == kind && r["name"] == name)
                    .cloned()
            })
            .unwrap_or(Value::Null)
    };
    assert_eq!(res("Deployment", "api-ignored")["status"], "Synced");
    assert_eq!(
        res("Deployment", "frontend")["status"],
        "Synced",
        "defaults, restartedAt and a sidecar are no difference"
    );
    let api = res("Deployment", "api");
    assert_eq!(api["status"], "OutOfSync");
    assert_eq!(api["causes"][0]["cause"]["kind"], "autoscaler");
    let cm = res("ConfigMap", "settings");
    assert_eq!(cm["differences"][0], "/data/mode");
    assert_eq!(cm["causes"][0]["cause"]["kind"], "manual-change");
    assert_eq!(
        cm["causes"][0]["cause"]["owner"]["time"],
        "2026-11-23T21:14:05Z"
    );
    assert_eq!(res("Service", "api")["reason"], "missing");
    let legacy = res("ConfigMap", "legacy");
    assert_eq!(legacy["reason"], "extraneous");
    assert_eq!(legacy["requiresPruning"], true);
    assert!(
        res("Pod", "api-7d9f8c6b5-x2k9p").is_null(),
        "owned Pods are not app resources"
    );
}

#[test]
fn apps_table_names_the_top_cause() {
    let args = scenario_args("apps");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (_, out) = run(&args);
    let line = out
        .lines()
        .find(|l| l.starts_with("web "))
        .expect("a line for web");
    let cols: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(&cols[..5], ["web", "OutOfSync", "2", "1", "1"], "{out}");
}

#[test]
fn diff_shows_only_real_differences() {
    let args = scenario_args("diff");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out) = run(&args);
    assert_eq!(code, 1);
    assert!(out.contains("-  mode: slow\n+  mode: fast"), "{out}");
    assert!(out.contains("-  replicas: 4\n+  replicas: 2"), "{out}");
    assert!(
        out.contains("===== /Service web/api (missing, app web)"),
        "{out}"
    );
    assert!(
        out.contains("===== /ConfigMap web/legacy (requires pruning, app web)"),
        "{out}"
    );
    for quiet in ["frontend", "api-ignored", "HorizontalPodAutoscaler"] {
        assert!(
            !out.contains(&format!(" web/{quiet} ")) && !out.contains(&format!("/{quiet} web")),
            "{quiet} must not differ:\n{out}"
        );
    }
    let mut one = scenario_args("diff");
    one.extend(["--app".into(), "nope".into()]);
    let one: Vec<&str> = one.iter().map(String::as_str).collect();
    assert_eq!(run(&one).0, 2);
}

#[test]
fn scan_reports_drift_findings() {
    let mut args = scenario_args("scan");
    args.extend(["--format".into(), "json".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (_, out) = run(&args);
    let v: Value = serde_json::from_str(&out).expect("JSON");
    let rules: Vec<(&str, &str, u64)> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"].as_str().is_some_and(|r| r.starts_with("drift-")))
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or(""),
                f["file"].as_str().unwrap_or(""),
                f["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        rules,
        [
            ("drift-modified", "apps/web/config.yaml", 7),
            ("drift-missing", "apps/web/config.yaml", 12),
            ("drift-modified", "apps/web/workloads.yaml", 24),
            ("drift-extraneous", "argocd/web.yaml", 11),
        ]
    );
}

#[test]
fn demo_drift_matches_argo_cds_own_verdict() {
    let (_, out) = run(&[
        "apps",
        &fixture("testdata/demo/repo"),
        "--cluster",
        &fixture("testdata/demo/cluster/dump.json"),
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_str(&out).expect("JSON");
    let dump: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("testdata/demo/cluster/dump.json")).expect("dump"),
    )
    .expect("dump JSON");
    for app in v["apps"].as_array().expect("apps") {
        let argo = dump["items"]
            .as_array()
            .and_then(|items| {
                items
                    .iter()
                    .find(|i| i["kind"] == "Application" && i["metadata"]["name"] == app["name"])
            })
            .expect("the dump holds the Application");
        assert_eq!(
            app["status"], argo["status"]["sync"]["status"],
            "{}",
            app["name"]
        );
    }
}

#[test]
fn app_shows_tree_health_windows_events_and_history() {
    let (code, out) = run(&[
        "app",
        "shop",
        &fixture("testdata/demo/repo"),
        "--cluster",
        &fixture("testdata/demo/cluster/dump.json"),
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Sync Status:       OutOfSync (predicted from Git and the dump) (Argo CD recorded OutOfSync)"), "{out}");
    assert!(out.contains("Health Status:     Healthy"), "{out}");
    // The dump was taken on Wednesday 2026-11-25; the deny window starts Friday 22:00 Berlin time.
    assert!(
        out.contains("at 2026-11-25T09:15:00Z (the newest timestamp in the dump)"),
        "{out}"
    );
    assert!(out.contains("automated sync:  allowed"), "{out}");
    assert!(out.contains("changes at:      2026-11-27T21:00"), "{out}");
    assert!(out.contains("Deployment/frontend (shop)  Healthy\n└─ ReplicaSet/frontend-7d9f8c6b5 (shop)  Healthy\n   ├─ Pod/"), "{out}");
    assert!(out.contains("11  2026-11-20T10:01:05Z  4f7c2a9e"), "{out}");
    let events: Vec<&str> = out
        .split("EVENTS (oldest first)\n")
        .nth(1)
        .unwrap_or("")
        .lines()
        .collect();
    assert_eq!(events.len(), 2, "{out}");
    assert!(
        events[0].starts_with("2026-11-23T22:18:02Z")
            && events[1].starts_with("2026-11-25T09:12:44Z"),
        "newest last: {out}"
    );

    // Inside the deny window, automated syncs are denied and manual ones allowed (manualSync).
    let (_, out) = run(&[
        "app",
        "shop",
        &fixture("testdata/demo/repo"),
        "--cluster",
        &fixture("testdata/demo/cluster/dump.json"),
        "--at",
        "2026-11-28T10:00:00Z",
    ]);
    assert!(
        out.contains("automated sync:  denied — an active deny window blocks it"),
        "{out}"
    );
    assert!(
        out.contains("manual sync:     allowed — active deny windows allow manual syncs"),
        "{out}"
    );
    assert!(out.contains("(active)"), "{out}");

    let (code, _) = run(&[
        "app",
        "nope",
        &fixture("testdata/demo/repo"),
        "--cluster",
        &fixture("testdata/demo/cluster/dump.json"),
    ]);
    assert_eq!(code, 2);
    let (code, _) = run(&[
        "app",
        "shop",
        &fixture("testdata/demo/repo"),
        "--cluster",
        &fixture("testdata/demo/cluster/dump.json"),
        "--at",
        "yesterday",
    ]);
    assert_eq!(code, 2);
}

#[test]
fn version_dependent_defaults_can_be_set_on_the_command_line() {
    // Argo CD 2.x tracked by label: the dump's objects carry only the annotation, so the label
    // Argo CD would add is a difference everywhere and nothing is tracked as extraneous.
    let mut args = scenario_args("apps");
    args.extend([
        "--format".into(),
        "json".into(),
        "--tracking-method".into(),
        "label".into(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (_, out) = run(&args);
    let v: Value = serde_json::from_str(&out).expect("JSON");
    let app = &v["apps"][0];
    assert_eq!(app["extraneous"], 0, "{out}");
    let settings = app["resources"]
        .as_array()
        .and_then(|rs| {
            rs.iter()
                .find(|r| r["name"] == "settings" && r["kind"] == "ConfigMap")
                .cloned()
        })
        .unwrap_or(Value::Null);
    assert!(
        settings["differences"]
            .as_array()
            .is_some_and(|d| d.iter().any(|p| p
                .as_str()
                .is_some_and(|p| p.starts_with("/metadata/labels")))),
        "{out}"
    );
    assert_eq!(run(&["apps", "--tracking-method", "bogus"]).0, 2);
}
