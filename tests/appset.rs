//! ApplicationSets are expanded like the ApplicationSet controller does, and the Applications
//! they generate are Applications of the checkout: listed by `sources` and `apps`, compared,
//! linted, located at the ApplicationSet's template line. Fixture: `testdata/appset/repo/`
//! (see `testdata/appset/README.md`).

mod common;

use common::{p, root, run, write};
use driftlens::scan::{scan, ScanOptions};
use serde_json::Value;

fn repo() -> std::path::PathBuf {
    root().join("testdata/appset/repo")
}

#[test]
fn generated_applications_join_the_model_at_their_template_lines() {
    let result = scan(&ScanOptions::new(repo())).expect("scan");
    let mut names: Vec<(String, String)> = result
        .repo
        .apps
        .iter()
        .map(|a| {
            let m = result.repo.manifest(a.manifest);
            let from = m.generated.as_ref().expect("generated").appset_name.clone();
            (a.value.metadata.name.clone(), from)
        })
        .collect();
    names.sort();
    let want: Vec<(String, String)> = [
        // git directories `apps/*` without the excluded `apps/legacy`
        ("api", "apps"),
        ("web", "apps"),
        // matrix of two lists, Go templates
        ("web-dev", "envs"),
        ("web-prod", "envs"),
        // the cluster Secret of the checkout, then the local in-cluster
        ("guestbook-in-cluster", "fleet"),
        ("guestbook-staging", "fleet"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect::<std::collections::BTreeSet<_>>()
    .into_iter()
    .collect();
    assert_eq!(names, want);

    // Fields point at the template line they were rendered from.
    let web = result
        .repo
        .apps
        .iter()
        .find(|a| a.value.metadata.name == "web-dev")
        .expect("web-dev");
    let m = result.repo.manifest(web.manifest);
    let at = m.locate("/spec/source/path");
    assert_eq!((at.path.as_str(), at.line), ("appsets.yaml", 55));
    let at = m.locate("/metadata/name");
    assert_eq!(at.line, 49);
    assert_eq!(m.obj["metadata"]["namespace"], "argocd");
    assert_eq!(
        m.obj["metadata"]["finalizers"],
        serde_json::json!(["resources-finalizer.argocd.argoproj.io"])
    );

    // The scmProvider generator is named as not expanded, at its line.
    let f: Vec<_> = result
        .findings
        .iter()
        .filter(|f| f.rule == "source-not-analysed")
        .collect();
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].location.line, 88);
    assert!(f[0]
        .message
        .contains("`scmProvider` generator is not expanded"));

    // Every generated Application's source is analysed from this checkout.
    for s in &result.repo.app_sources {
        assert!(s.analysed(), "{s:?}");
    }
}

#[test]
fn appset_generate_prints_what_argocd_appset_generate_prints() {
    let file = repo().join("appsets.yaml");
    let dir = tempfile::tempdir().expect("tempdir");
    // One ApplicationSet per file, as `argocd appset generate` takes them.
    let text = std::fs::read_to_string(&file).expect("fixture");
    let envs = text.split("\n---\n").nth(1).expect("second document");
    let envs_file = dir.path().join("envs.yaml");
    std::fs::write(&envs_file, envs).expect("write");
    let (code, out, err) = run(&["appset", "generate", p(&envs_file), p(&repo())]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "\
- apiVersion: argoproj.io/v1alpha1
  kind: Application
  metadata:
    finalizers:
    - resources-finalizer.argocd.argoproj.io
    name: web-dev
  spec:
    destination:
      namespace: web-dev
      server: https://kubernetes.default.svc
    project: default
    source:
      path: environments/dev
      repoURL: https://git.example.com/platform.git
      targetRevision: HEAD
- apiVersion: argoproj.io/v1alpha1
  kind: Application
  metadata:
    finalizers:
    - resources-finalizer.argocd.argoproj.io
    name: web-prod
  spec:
    destination:
      namespace: web-prod
      server: https://kubernetes.default.svc
    project: default
    source:
      path: environments/prod
      repoURL: https://git.example.com/platform.git
      targetRevision: HEAD
"
    );

    // The clusters generator reads the checkout's cluster Secret; its credentials never
    // appear.
    let (code, out, err) = run(&["appset", "generate", p(&file), p(&repo())]);
    assert_eq!(code, 1, "the scmProvider generator is not expanded");
    assert!(
        err.contains("scmProvider generator at /spec/generators/0/scmProvider is not expanded"),
        "{err}"
    );
    assert!(out.contains("name: guestbook-staging"), "{out}");
    assert!(out.contains("server: https://staging.example.com"), "{out}");
    assert!(!out.contains("c3RhZ2luZy10b2tlbi1uZXZlci1wcmludGVk"));
    assert!(!out.contains("bearerToken"));
}

#[test]
fn a_generation_error_is_reported_at_the_generator_and_generates_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "appset.yaml",
        "\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: broken
  namespace: argocd
spec:
  goTemplate: true
  goTemplateOptions: [\"missingkey=error\"]
  generators:
    - list:
        elements:
          - cluster: dev
  template:
    metadata:
      name: \"web-{{.clustr}}\"
    spec:
      project: default
      source: {repoURL: https://git.example.com/x.git, path: web}
      destination: {server: https://kubernetes.default.svc, namespace: web}
",
    );
    let result = scan(&ScanOptions::new(dir.path())).expect("scan");
    assert!(result.repo.apps.is_empty());
    let f: Vec<_> = result
        .findings
        .iter()
        .filter(|f| f.rule == "invalid-manifest")
        .collect();
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].location.line, 10);
    assert!(
        f[0].message.contains("map has no entry for key \"clustr\""),
        "{}",
        f[0].message
    );

    let (code, out, err) = run(&[
        "appset",
        "generate",
        p(&dir.path().join("appset.yaml")),
        p(dir.path()),
    ]);
    assert_eq!(code, 1);
    assert_eq!(out, "null\n");
    assert!(err.contains("map has no entry for key"), "{err}");
}

#[test]
fn sources_lists_applicationsets() {
    let (code, out, err) = run(&["sources", p(&repo()), "--format", "json"]);
    assert!(code == 0 || code == 1, "{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    let sets = v["applicationSets"].as_array().expect("applicationSets");
    let by_name = |n: &str| {
        sets.iter()
            .find(|s| s["name"] == n)
            .unwrap_or_else(|| panic!("{n} in {sets:?}"))
    };
    assert_eq!(by_name("apps")["generated"], 2);
    assert_eq!(by_name("fleet")["generated"], 2);
    assert_eq!(by_name("previews")["complete"], false);
    assert_eq!(by_name("previews")["notExpanded"][0]["kind"], "scmProvider");
    let origin = v["applications"]
        .as_array()
        .expect("applications")
        .iter()
        .find(|a| a["name"] == "web-prod")
        .expect("web-prod")["origin"]
        .clone();
    assert_eq!(origin["from"], "applicationSet");
    assert_eq!(origin["appset"], "envs");
}
