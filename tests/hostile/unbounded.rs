//! Class 5: costs that grow faster than the input. Each case used to take minutes or
//! gigabytes; here it must finish within the harness's CPU-time and memory bounds.

use std::fmt::Write as _;

use crate::harness::{p, run, write};

/// A ConfigMap and a Secret with 100,000 keys each: looking up every key's line went through a
/// linear search per key (quadratic).
#[test]
fn objects_with_very_many_keys_are_linear() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    let mut cm = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n");
    let mut secret =
        String::from("apiVersion: v1\nkind: Secret\nmetadata:\n  name: big\nstringData:\n");
    for i in 0..100_000 {
        let _ = writeln!(cm, "  key{i}: value{i}");
        let _ = writeln!(secret, "  pw{i}: s3cret-{i:08}");
    }
    write(&repo, "cm.yaml", &cm);
    write(&repo, "secret.yaml", &secret);
    let o = run(&["scan", p(&repo), "--fail-on", "never", "--format", "human"]);
    o.expect(0);
    assert!(!o.stdout.contains("s3cret-00012345"), "a value was printed");
}

/// A chart that renders two Applications of itself: every generation doubles them.
#[test]
fn app_of_apps_cycles_stop_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    write(
        &repo,
        "chart/Chart.yaml",
        "apiVersion: v2\nname: loop\nversion: 1.0.0\n",
    );
    let app = |name: &str| {
        format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n  \
             namespace: argocd\nspec:\n  project: default\n  destination:\n    namespace: x\n    \
             server: https://kubernetes.default.svc\n  source:\n    repoURL: https://example.com/r.git\n    \
             path: chart\n"
        )
    };
    write(
        &repo,
        "chart/templates/apps.yaml",
        &format!(
            "{{{{- range $i := list \"a\" \"b\" }}}}\n---\n{}{{{{- end }}}}\n",
            app("{{ $.Release.Name }}-{{ $i }}")
        ),
    );
    write(&repo, "apps/root.yaml", &app("root"));
    let o = run(&["scan", p(&repo), "--fail-on", "never", "--format", "json"]);
    o.expect(0);
    assert!(o.stdout.contains("app-of-apps cycle"), "{}", o.stdout);
}
