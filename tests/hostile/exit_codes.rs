//! Class 6: wrong exit codes and silent acceptance. A dump without Kubernetes objects is not an
//! empty cluster, `diff` does not exit 0 when it could not compare, writing to a full disk is
//! an error, and a version that is not one is a usage error.

use std::path::Path;

use crate::harness::{p, run, write};

fn checkout(dir: &Path) -> std::path::PathBuf {
    let repo = dir.join("repo");
    write(
        &repo,
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: default\ndata:\n  a: b\n",
    );
    repo
}

#[test]
fn dumps_without_kubernetes_objects_exit_2_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = checkout(dir.path());
    for (name, text) in [
        ("numbers.json", "[1,2,3]"),
        (
            "kindless.json",
            r#"{"apiVersion":"v1","kind":"List","items":[{"metadata":{"name":"x"}},{"foo":1}]}"#,
        ),
        ("empty-object.json", "{}"),
        ("strings.yaml", "- a\n- b\n"),
    ] {
        let dump = dir.path().join(name);
        std::fs::write(&dump, text).expect("dump");
        for cmd in [
            vec!["scan", p(&repo)],
            vec!["apps", p(&repo)],
            vec!["diff", p(&repo)],
        ] {
            let mut args = cmd.clone();
            args.extend(["--cluster", p(&dump)]);
            let o = run(&args);
            o.expect(2);
            assert!(
                o.stderr.contains(name) && o.stderr.contains("no Kubernetes object"),
                "{name}: {}",
                o.stderr
            );
        }
    }
    // An empty List is an empty cluster, not an error.
    let dump = dir.path().join("empty.json");
    std::fs::write(&dump, r#"{"apiVersion":"v1","kind":"List","items":[]}"#).expect("dump");
    let o = run(&[
        "scan",
        p(&repo),
        "--cluster",
        p(&dump),
        "--fail-on",
        "never",
    ]);
    o.expect(0);
}

#[test]
fn diff_is_not_silent_when_it_cannot_compare() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    write(
        &repo,
        "apps/a.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: a\n  namespace: argocd\n\
         spec:\n  project: default\n  destination:\n    namespace: x\n    server: https://kubernetes.default.svc\n  \
         source:\n    repoURL: https://example.com/r.git\n    path: x\n  ignoreDifferences:\n    - kind: ConfigMap\n      \
         jqPathExpressions: ['.data) | [range(1e12)] | (.']\n",
    );
    write(
        &repo,
        "x/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: x\ndata:\n  a: b\n",
    );
    let dump = dir.path().join("dump.json");
    std::fs::write(
        &dump,
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"x","annotations":{"argocd.argoproj.io/tracking-id":"a:/ConfigMap:x/c"}},"data":{"a":"b"}}"#,
    )
    .expect("dump");
    let o = run(&["diff", p(&repo), "--cluster", p(&dump)]);
    o.expect(1);
    assert!(
        o.stderr.contains("cannot be compared") && o.stderr.contains("budget"),
        "{}",
        o.stderr
    );
    let o = run(&["apps", p(&repo), "--cluster", p(&dump)]);
    o.expect(1);
    assert!(o.stdout.contains("Unknown"), "{}", o.stdout);
}

#[test]
fn kube_version_must_be_a_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = checkout(dir.path());
    for v in ["banana", "1", "v1.x", "1.2.3.4", ""] {
        let o = run(&["scan", p(&repo), "--kube-version", v]);
        o.expect(2);
        assert!(o.stderr.contains("--kube-version"), "{v}: {}", o.stderr);
    }
    for v in ["v1.31", "1.31.4", "v1.32.0-rc.1+k3s1"] {
        let o = run(&["scan", p(&repo), "--kube-version", v, "--fail-on", "never"]);
        o.expect(0);
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = checkout(dir.path());
    write(
        &repo,
        "chart/Chart.yaml",
        "apiVersion: v2\nname: c\nversion: 1.0.0\n",
    );
    write(
        &repo,
        "chart/templates/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
    );
    let full = Path::new("/dev/full");
    if !full.exists() {
        return;
    }
    let o = run(&["scan", p(&repo), "--output", "/dev/full"]);
    o.expect(2);
    assert!(o.stderr.contains("/dev/full"), "{}", o.stderr);
    for args in [
        vec!["render", p(&repo.join("chart"))],
        vec!["template", "r", p(&repo.join("chart"))],
    ] {
        let mut cmd = std::process::Command::new(crate::harness::binary());
        let out = cmd
            .args(&args)
            .stdout(
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(full)
                    .expect("/dev/full"),
            )
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("cannot write"), "{args:?}: {err}");
    }
}
