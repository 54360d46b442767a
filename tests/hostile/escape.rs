//! Class 3: a checkout cannot make driftlens read outside it. Symbolic links are followed only
//! while they stay inside the checkout (the others are reported at their path), value files
//! and file parameters cannot climb out, and jq sees no environment.

#![cfg(unix)]

use std::os::unix::fs::symlink;
use std::path::Path;

use serde_json::Value;

use crate::harness::{p, run, write};

/// A value only found outside the checkout.
const OUTSIDE: &str = "0uts1de-c4n4ry-value";
/// The value of an environment variable the harness sets for the binary.
const ENV_CANARY: &str = "envc4n4ryv4lue";

fn outside_files(dir: &Path) {
    write(
        dir,
        "outside/cm.yaml",
        &format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leaked\ndata:\n  v: {OUTSIDE}\n"
        ),
    );
    write(dir, "outside/values.yaml", &format!("leak: {OUTSIDE}\n"));
    write(dir, "outside/file.txt", &format!("{OUTSIDE}\n"));
}

fn assert_no_leak(all: &str) {
    assert!(!all.contains(OUTSIDE), "outside content printed:\n{all}");
    assert!(!all.contains(ENV_CANARY), "environment printed:\n{all}");
    assert!(!all.contains("root:x:0:0"), "/etc/passwd printed:\n{all}");
}

fn findings(out: &str) -> Vec<Value> {
    let v: Value = serde_json::from_str(out).expect("JSON report");
    v["findings"].as_array().cloned().unwrap_or_default()
}

#[test]
fn links_out_of_the_checkout_are_reported_and_not_followed() {
    let dir = tempfile::tempdir().expect("tempdir");
    outside_files(dir.path());
    let repo = dir.path().join("repo");
    write(
        &repo,
        "base/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: inside\ndata:\n  v: ok\n",
    );
    symlink(repo.join("base/cm.yaml"), repo.join("linked.yaml")).expect("ln");
    symlink(repo.join("base"), repo.join("linked-dir")).expect("ln");
    symlink(dir.path().join("outside/cm.yaml"), repo.join("leak.yaml")).expect("ln");
    symlink(dir.path().join("outside"), repo.join("leak-dir")).expect("ln");
    symlink("/", repo.join("root")).expect("ln");
    symlink("/etc", repo.join("etc")).expect("ln");
    symlink("/proc/self/environ", repo.join("environ.yaml")).expect("ln");
    let o = run(&["scan", p(&repo), "--format", "json", "--fail-on", "never"]);
    o.expect(0);
    assert_no_leak(&o.all_output());
    let f = findings(&o.stdout);
    let refused: Vec<&str> = f
        .iter()
        .filter(|f| {
            f["rule"] == "invalid-manifest"
                && f["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("symbolic link is not followed"))
        })
        .filter_map(|f| f["file"].as_str())
        .collect();
    assert_eq!(
        refused,
        vec!["environ.yaml", "etc", "leak-dir", "leak.yaml", "root"],
        "{}",
        o.stdout
    );
    // In-checkout links are followed: the ConfigMap is read three times (by three paths).
    let v: Value = serde_json::from_str(&o.stdout).expect("json");
    assert_eq!(v["summary"]["objects"], 3, "{}", o.stdout);
}

fn chart(repo: &Path, template: &str) {
    write(
        repo,
        "chart/Chart.yaml",
        "apiVersion: v2\nname: c\nversion: 1.0.0\n",
    );
    write(repo, "chart/values.yaml", "a: 1\n");
    write(repo, "chart/templates/cm.yaml", template);
}

const FILES_TEMPLATE: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: files\ndata:\n  \
     got: {{ .Files.Get \"data/env.txt\" | quote }}\n  all: {{ range $p, $_ := .Files.Glob \"data/**\" }}{{ $.Files.Get $p | quote }}{{ end }}\n";

#[test]
fn chart_files_cannot_link_out() {
    for target in [
        "/proc/self/environ",
        "outside/file.txt",
        "/etc/passwd",
        "outside",
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        outside_files(dir.path());
        let repo = dir.path().join("repo");
        chart(&repo, FILES_TEMPLATE);
        let target = if target.starts_with('/') {
            Path::new(target).to_path_buf()
        } else {
            dir.path().join(target)
        };
        std::fs::create_dir_all(repo.join("chart/data")).expect("mkdir");
        symlink(&target, repo.join("chart/data/env.txt")).expect("ln");
        for args in [
            vec!["scan", p(&repo), "--format", "json", "--fail-on", "never"],
            vec!["render", p(&repo.join("chart"))],
            vec!["template", "r", p(&repo.join("chart"))],
        ] {
            let o = run(&args);
            o.bounded();
            let all = o.all_output();
            assert_no_leak(&all);
            assert!(
                all.contains("data/env.txt") && all.contains("outside the checkout"),
                "{target:?} {args:?}: the link is named\n{all}"
            );
        }
    }
}

#[test]
fn value_files_and_file_parameters_stay_in_the_checkout() {
    let dir = tempfile::tempdir().expect("tempdir");
    outside_files(dir.path());
    let repo = dir.path().join("repo");
    chart(
        &repo,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: v\ndata:\n  leak: {{ .Values.leak | quote }}\n  file: {{ .Values.file | quote }}\n",
    );
    let app = |name: &str, helm: &str| {
        format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n  namespace: argocd\n\
             spec:\n  project: default\n  destination:\n    namespace: x\n    server: https://kubernetes.default.svc\n\
             \x20 source:\n    repoURL: https://example.com/r.git\n    path: chart\n    helm:\n{helm}"
        )
    };
    write(
        &repo,
        "apps/a.yaml",
        &app("a", "      valueFiles: [../../outside/values.yaml]\n"),
    );
    write(
        &repo,
        "apps/b.yaml",
        &app("b", "      valueFiles: [/../../outside/values.yaml]\n"),
    );
    write(
        &repo,
        "apps/c.yaml",
        &app(
            "c",
            "      fileParameters:\n        - name: file\n          path: ../../outside/file.txt\n",
        ),
    );
    write(
        &repo,
        "apps/d.yaml",
        &app("d", "      valueFiles: [/etc/passwd]\n"),
    );
    let o = run(&["scan", p(&repo), "--format", "json", "--fail-on", "never"]);
    o.expect(0);
    assert_no_leak(&o.all_output());
    for app in ["a", "b", "c"] {
        assert!(
            findings(&o.stdout)
                .iter()
                .any(|f| f["file"] == format!("apps/{app}.yaml")
                    && f["message"]
                        .as_str()
                        .is_some_and(|m| m.contains("outside the checkout"))),
            "{app}: {}",
            o.stdout
        );
    }
}

#[test]
fn jq_sees_no_environment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    write(
        &repo,
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  v: x\n",
    );
    write(
        &repo,
        ".driftlens/rules/env.yaml",
        "id: sees-env\nseverity: error\ncategory: security\nsummary: s\n\
         condition: '(env | length) > 0 or ($ENV | length) > 0 or ([inputs] | length) > 0'\n\
         message: '{{ object.metadata.name }}'\n",
    );
    write(
        &repo,
        ".driftlens/rules/env2.yaml",
        "id: quotes-env\nseverity: error\ncategory: security\nsummary: s\n\
         condition: 'error(env | tostring) // error($ENV | tostring)'\nmessage: m\n",
    );
    let o = run(&["scan", p(&repo), "--format", "json", "--fail-on", "never"]);
    o.expect(0);
    assert_no_leak(&o.all_output());
    let f = findings(&o.stdout);
    assert!(!f.iter().any(|f| f["rule"] == "sees-env"), "{}", o.stdout);
    // `$__loc__`, `input_filename` and modules give nothing about the file system either.
    for condition in [
        "$__loc__ | tostring | test(\"/\")",
        "import \"/etc/passwd\" as $p; true",
    ] {
        write(
            &repo,
            ".driftlens/rules/loc.yaml",
            &format!("id: loc\nseverity: error\ncategory: security\nsummary: s\ncondition: {}\nmessage: m\n", serde_json::to_string(condition).unwrap_or_default()),
        );
        let o = run(&["scan", p(&repo)]);
        o.expect(2);
        assert!(o.stderr.contains("loc.yaml:5"), "{}", o.stderr);
        assert_no_leak(&o.all_output());
    }
}
