//! Kustomizations written to hurt: a kustomization that includes itself, two that include
//! each other, generators and patches that reach for `/etc/passwd` directly or through a
//! symbolic link, many resources, deep nesting of kustomizations and of a patch. Each is
//! an error at a line (or a bounded build), for `driftlens kustomize build` and for a scan,
//! and nothing read outside the checkout is printed.

use crate::harness::{p, run, write};

/// `kustomize build DIR` and `scan` of the checkout: (build, scan).
fn both(repo: &std::path::Path, dir: &str) -> (crate::harness::Outcome, crate::harness::Outcome) {
    let b = run(&["kustomize", "build", p(&repo.join(dir))]);
    b.bounded();
    let s = run(&["scan", p(repo), "--format", "json", "--fail-on", "never"]);
    s.bounded();
    (b, s)
}

/// The `invalid-manifest` findings of a JSON scan, as `file:line: message`.
fn build_errors(scan: &crate::harness::Outcome) -> Vec<String> {
    assert_eq!(scan.code, Some(0), "{}", scan.stderr);
    let v: serde_json::Value = serde_json::from_str(&scan.stdout).expect("json");
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "invalid-manifest")
        .map(|f| {
            format!(
                "{}:{}: {}",
                f["file"].as_str().unwrap_or(""),
                f["line"],
                f["message"].as_str().unwrap_or("")
            )
        })
        .collect()
}

#[test]
fn a_kustomization_that_includes_itself_or_its_includer_is_a_cycle_at_its_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    write(
        &repo,
        "self/kustomization.yaml",
        "resources:\n- cm.yaml\n- .\n",
    );
    write(
        &repo,
        "self/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
    );
    write(&repo, "a/kustomization.yaml", "resources:\n- ../b\n");
    write(&repo, "b/kustomization.yaml", "components:\n- ../c\n");
    write(
        &repo,
        "c/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n- ../a\n",
    );
    let (b, s) = both(&repo, "self");
    assert_eq!(b.code, Some(1), "{}", b.stderr);
    assert!(b.stderr.contains("cycle detected"), "{}", b.stderr);
    let errors = build_errors(&s);
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("self/kustomization.yaml:3: ") && e.contains("cycle")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e.contains("cycle detected")
            && (e.starts_with("a/") || e.starts_with("b/") || e.starts_with("c/"))),
        "{errors:?}"
    );
}

#[cfg(unix)]
#[test]
fn generators_and_patches_cannot_read_outside_the_checkout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    write(
        &repo,
        "abs/kustomization.yaml",
        "configMapGenerator:\n- name: pw\n  files:\n  - /etc/passwd\n",
    );
    write(
        &repo,
        "link/kustomization.yaml",
        "secretGenerator:\n- name: pw\n  files:\n  - passwd\n",
    );
    std::os::unix::fs::symlink("/etc/passwd", repo.join("link/passwd")).expect("symlink");
    write(
        &repo,
        "patch/kustomization.yaml",
        "resources:\n- cm.yaml\npatches:\n- path: ../../outside.yaml\n",
    );
    write(
        &repo,
        "patch/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
    );
    write(
        dir.path(),
        "outside.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  stolen: OUTSIDE-CANARY\n",
    );
    for d in ["abs", "link", "patch"] {
        let (b, s) = both(&repo, d);
        assert_eq!(b.code, Some(1), "{d}: {}", b.stdout);
        for out in [b.all_output(), s.all_output()] {
            assert!(
                !out.contains("root:x:0:0"),
                "{d}: /etc/passwd printed: {out}"
            );
            assert!(!out.contains("OUTSIDE-CANARY"), "{d}: outside file printed");
        }
        let errors = build_errors(&s);
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with(&format!("{d}/kustomization.yaml:"))),
            "{d}: {errors:?}"
        );
    }
}

/// Resources of the size test: 100,000 take about 50 s of a debug build on a loaded machine
/// (350 MiB), more than the harness's wall-clock limit, so the test builds a quarter of them;
/// the README gives the release build's time for 100,000.
const MANY: usize = 25_000;

#[test]
fn many_resources_build_within_the_budgets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    let mut docs = String::with_capacity(MANY * 60);
    for i in 0..MANY {
        docs.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\n"
        ));
    }
    write(&repo, "big/many.yaml", &docs);
    write(
        &repo,
        "big/kustomization.yaml",
        "namePrefix: p-\nresources:\n- many.yaml\n",
    );
    let b = run(&["kustomize", "build", p(&repo.join("big"))]);
    b.bounded();
    // Either built completely, or refused by a budget with an error; never killed.
    match b.code {
        Some(0) => assert_eq!(b.stdout.matches("kind: ConfigMap").count(), MANY),
        Some(1) => assert!(b.stderr.contains("Error:"), "{}", b.stderr),
        other => panic!("exit {other:?}: {}", b.stderr),
    }
}

#[test]
fn deep_nesting_is_an_error_at_a_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    // 100 kustomizations, each a base of the one before.
    for i in 0..100 {
        write(
            &repo,
            &format!("chain/k{i}/kustomization.yaml"),
            &format!("resources:\n- ../k{}\n", i + 1),
        );
    }
    write(
        &repo,
        "chain/k100/kustomization.yaml",
        "resources:\n- cm.yaml\n",
    );
    write(
        &repo,
        "chain/k100/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
    );
    // A patch nested 5,000 levels deep.
    let mut deep = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata: ");
    deep.push_str(&"[".repeat(5_000));
    deep.push_str(&"]".repeat(5_000));
    deep.push('\n');
    write(&repo, "deep/p.yaml", &deep);
    write(
        &repo,
        "deep/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
    );
    write(
        &repo,
        "deep/kustomization.yaml",
        "resources:\n- cm.yaml\npatches:\n- path: p.yaml\n",
    );
    let (b, s) = both(&repo, "chain/k0");
    assert_eq!(b.code, Some(1), "{}", b.stdout);
    let errors = build_errors(&s);
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("chain/k") && e.contains("kustomization.yaml:")),
        "{errors:?}"
    );
    let b = run(&["kustomize", "build", p(&repo.join("deep"))]);
    b.bounded();
    assert_eq!(b.code, Some(1), "{}", b.stdout);
    assert!(
        build_errors(&s)
            .iter()
            .any(|e| e.starts_with("deep/") && e.contains(".yaml:")),
        "{:?}",
        build_errors(&s)
    );
}
