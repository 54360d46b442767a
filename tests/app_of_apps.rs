//! Applications rendered by a chart (the app-of-apps pattern) are Applications like those in
//! plain files: their sources are rendered with their own Helm settings, compared, and linted.
//! Fixture: `testdata/app-of-apps/` (see its README).

mod common;

use common::{p, root, run};
use serde_json::Value;

fn repo() -> String {
    p(&root().join("testdata/app-of-apps/repo")).to_string()
}

fn cluster() -> String {
    p(&root().join("testdata/app-of-apps/cluster.json")).to_string()
}

/// (exit code, [(Application, predicted sync status)]).
fn apps(cluster: &str) -> (i32, Vec<(String, String)>) {
    let (code, out, err) = run(&["apps", &repo(), "--cluster", cluster, "--format", "json"]);
    assert!(code == 0 || code == 1, "exit {code}, stderr: {err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    let list = v
        .get("apps")
        .and_then(Value::as_array)
        .or_else(|| v.as_array())
        .expect("a list of apps");
    let list = list
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap_or_default().to_string(),
                a["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    (code, list)
}

#[test]
fn rendered_applications_are_predicted_with_their_own_helm_values() {
    // `web` exists only as a rendered Application; its chart is Synced with the live
    // 3 replicas only when rendered with the child's `valuesObject` (the default is 1).
    let (code, got) = apps(&cluster());
    assert_eq!(code, 0);
    assert_eq!(
        got,
        vec![
            ("db".to_string(), "Synced".to_string()),
            ("root".to_string(), "Synced".to_string()),
            ("web".to_string(), "Synced".to_string()),
        ]
    );

    // The same checkout against a cluster where the Deployment runs the chart's default.
    let live = std::fs::read_to_string(cluster()).expect("dump");
    let dir = tempfile::tempdir().expect("tempdir");
    let scaled_down = dir.path().join("cluster.json");
    std::fs::write(
        &scaled_down,
        live.replacen("\"replicas\": 3,", "\"replicas\": 1,", 1),
    )
    .expect("write");
    let (code, got) = apps(p(&scaled_down));
    assert_eq!(code, 1);
    assert!(
        got.contains(&("web".to_string(), "OutOfSync".to_string())),
        "{got:?}"
    );
}

#[test]
fn rendered_applications_are_linted_at_their_template_lines() {
    let (_, out, err) = run(&["scan", &repo(), "--format", "json", "--fail-on", "never"]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
    let findings = v["findings"].as_array().expect("findings");
    let at = |rule: &str, name: &str| {
        findings
            .iter()
            .find(|f| f["rule"] == rule && f["object"]["name"] == name)
            .map(|f| {
                (
                    f["file"].as_str().unwrap_or_default().to_string(),
                    f["line"].as_u64().unwrap_or_default(),
                )
            })
    };
    // An Argo CD rule on the rendered child Application, at the template line.
    assert_eq!(
        at("permissive-app-project", "web"),
        Some(("apps/templates/children.yaml".to_string(), 9))
    );
    // The child does not ignore /spec/replicas although the chart's HPA scales `web`.
    assert_eq!(
        at("hpa-replicas-not-ignored", "web"),
        Some(("charts/web/templates/deployment.yaml".to_string(), 6))
    );
    // The root Application rendered by its own chart is the one of bootstrap/root.yaml, not a
    // second Application.
    let roots: Vec<_> = findings
        .iter()
        .filter(|f| f["rule"] == "permissive-app-project" && f["object"]["name"] == "root")
        .collect();
    assert_eq!(roots.len(), 1, "{roots:?}");
    assert_eq!(roots[0]["file"], "bootstrap/root.yaml");
}
