//! Class 1: nothing in a checkout can end, signal or exit the process. jq's `halt`,
//! `halt(N)` and `halt_error` in an Application's `jqPathExpressions`, in argocd-cm's system
//! ignore rules and in a custom rule's `condition` are errors of that expression: the
//! expression is skipped (as Argo CD skips a failing one) or the rule reports a `rule-error`
//! finding, and every report, `--output` file included, is still written.

use serde_json::Value;

use crate::harness::{p, run, write};

/// `halt` in every form a jq program can reach it.
const HALTS: &[&str] = &[
    "halt",
    "halt_error",
    "halt_error(0)",
    "halt_error(1)",
    "halt(0)",
    "halt(3)",
    ".spec) | halt_error(0) | (.",
    ".spec) | \"bye\" | halt_error | (.",
    ".spec) | {} | halt_error(0) | (.",
    ".spec) | (try error(\"x\") catch halt) | (.",
    ".spec) | first(halt, 1) | (.",
    ".spec) | [limit(1; halt)] | (.",
    ".spec) | reduce (1, 2) as $x (.; halt) | (.",
    ".spec) | getpath([\"a\"]) as $x | halt_error($x | length) | (.",
];

fn yaml_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|e| {
            format!(
                "        - {}\n",
                serde_json::to_string(e).unwrap_or_default()
            )
        })
        .collect()
}

/// A checkout whose Application and argocd-cm ignore rules all halt, a dump where the
/// Deployment drifted, and a custom rule whose condition halts.
fn fixture(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let repo = dir.join("repo");
    write(
        &repo,
        "apps/shop.yaml",
        &format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: shop\n  \
             namespace: argocd\nspec:\n  project: default\n  destination:\n    namespace: shop\n    \
             server: https://kubernetes.default.svc\n  source:\n    repoURL: https://example.com/r.git\n    \
             path: shop\n  ignoreDifferences:\n    - group: apps\n      kind: Deployment\n      \
             jqPathExpressions:\n{}",
            yaml_list(HALTS)
        ),
    );
    write(
        &repo,
        "shop/deploy.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  \
         replicas: 2\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      \
         labels: {app: web}\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27.0\n",
    );
    write(
        &repo,
        "argocd/argocd-cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\n  namespace: argocd\ndata:\n  \
         resource.customizations.ignoreDifferences.all: |\n    jqPathExpressions:\n      - halt_error(7)\n      \
         - .metadata) | halt | (.\n",
    );
    write(
        &repo,
        ".driftlens/rules/halt.yaml",
        "id: halts\nseverity: note\ncategory: reliability\nsummary: s\ncondition: '\"bye\" | halt_error(0)'\nmessage: m\n",
    );
    let dump = dir.join("dump.json");
    let live = serde_json::json!({
        "apiVersion": "v1", "kind": "List", "items": [{
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop", "annotations": {
                "argocd.argoproj.io/tracking-id": "shop:apps/Deployment:shop/web"}},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "image": "nginx:1.27.0"}]}}}
        }]
    });
    std::fs::write(&dump, live.to_string()).expect("dump");
    (repo, dump)
}

#[test]
fn jq_halt_is_an_error_of_the_expression_in_every_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (repo, dump) = fixture(dir.path());
    let report = dir.path().join("report.json");
    let o = run(&[
        "scan",
        p(&repo),
        "--cluster",
        p(&dump),
        "--format",
        "json",
        "--output",
        p(&report),
    ]);
    o.expect(1);
    let text = std::fs::read_to_string(&report).expect("the --output file is written");
    let v: Value = serde_json::from_str(&text).expect("a complete JSON report");
    let findings = v["findings"].as_array().expect("findings");
    // The Deployment drifted (replicas) and the halting ignore rules were skipped.
    assert!(
        findings.iter().any(|f| f["rule"] == "drift-modified"
            && f["message"]
                .as_str()
                .is_some_and(|m| m.contains("replicas"))),
        "{text}"
    );
    // The custom rule's halt is a rule-error finding at its condition line.
    let failure = findings
        .iter()
        .find(|f| f["rule"] == "rule-error")
        .expect("a rule-error finding");
    assert_eq!(failure["line"], 5, "{failure}");
    assert!(
        failure["message"]
            .as_str()
            .is_some_and(|m| m.contains("halt")),
        "{failure}"
    );

    for format in crate::harness::SCAN_FORMATS {
        let o = run(&["scan", p(&repo), "--cluster", p(&dump), "--format", format]);
        o.expect(1);
        assert!(!o.stdout.trim().is_empty(), "{format}: nothing printed");
    }
    let o = run(&["apps", p(&repo), "--cluster", p(&dump)]);
    o.expect(1);
    assert!(
        o.stdout.contains("shop") && o.stdout.contains("OutOfSync"),
        "{}",
        o.all_output()
    );
    let o = run(&["diff", p(&repo), "--cluster", p(&dump)]);
    o.expect(1);
    assert!(o.stdout.contains("replicas"), "{}", o.all_output());
    let o = run(&["app", "shop", p(&repo), "--cluster", p(&dump)]);
    o.expect(0);
    assert!(o.stdout.contains("shop"), "{}", o.all_output());
    // `rules` and `explain` read the custom rule too.
    let o = crate::harness::run_in(&repo, &["rules"]);
    o.expect(0);
    assert!(o.stdout.contains("halts"), "{}", o.all_output());
}
