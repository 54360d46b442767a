//! Kustomize output in the pipeline: every kustomization of a checkout is built in-process;
//! its objects are linted and compared like plain ones, Applications it emits are typed (app
//! of apps through Kustomize), the files it reads are never also read as plain manifests, a
//! file no kustomization reads is, and a build error is a finding at the line to fix that
//! leaves the Application Unknown. Repositories are built in temporary directories.

mod common;

use std::path::Path;

use common::{p, run, write};
use serde_json::Value;

const APP: &str = "apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: prod
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://example.com/r.git
    path: overlays/prod
    targetRevision: HEAD
  destination:
    server: https://kubernetes.default.svc
    namespace: prod
";

const DEPLOY: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx:1.27.0
        envFrom:
        - configMapRef:
            name: cfg
";

/// A repository whose root is a kustomization that lists the Application, which deploys an
/// overlay of a base; plus a plain folder, and a stray file inside the overlay.
fn repo(dir: &Path) -> std::path::PathBuf {
    let r = dir.join("repo");
    write(&r, "kustomization.yaml", "resources:\n- apps/prod.yaml\n");
    write(&r, "apps/prod.yaml", APP);
    write(
        &r,
        "base/kustomization.yaml",
        "resources:\n- deploy.yaml\nconfigMapGenerator:\n- name: cfg\n  literals:\n  - a=b\n",
    );
    write(&r, "base/deploy.yaml", DEPLOY);
    write(
        &r,
        "overlays/prod/kustomization.yaml",
        "namePrefix: prod-\nnamespace: prod\nresources:\n- ../../base\npatches:\n- path: replicas.yaml\n",
    );
    write(
        &r,
        "overlays/prod/replicas.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n",
    );
    write(
        &r,
        "overlays/prod/notes/extra.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stray\n  namespace: prod\ndata: {a: b}\n",
    );
    r
}

fn scan_json(repo: &Path) -> Value {
    let (code, out, err) = run(&[
        "scan",
        p(repo),
        "--format",
        "json",
        "--fail-on",
        "never",
        "--repo-url",
        "https://example.com/r.git",
    ]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn findings<'a>(v: &'a Value, rule: &str) -> Vec<&'a Value> {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

#[test]
fn a_root_kustomization_emits_applications_whose_overlays_are_built() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = repo(dir.path());
    let (code, out, err) = run(&[
        "sources",
        p(&r),
        "--format",
        "json",
        "--repo-url",
        "https://example.com/r.git",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    let text = v.to_string();
    // The Application comes from the root kustomization, and its overlay is analysed.
    assert!(text.contains("\"kustomization\""), "{text}");
    assert!(text.contains("\"kustomize\""), "{text}");
    assert!(text.contains("\"analysed\""), "{text}");

    let v = scan_json(&r);
    // The overlay's objects (prefixed, in the overlay's namespace) are linted at their base
    // lines; the base's unprefixed objects never appear (the base is read through the overlay),
    // and the stray file no kustomization reads is a plain manifest.
    let names: Vec<String> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["object"]["name"].as_str().map(str::to_string))
        .collect();
    assert!(names.iter().any(|n| n == "prod-web"), "{names:?}");
    assert!(!names.iter().any(|n| n == "web"), "{names:?}");
    let stray = findings(&v, "broken-source-path");
    assert!(
        stray.iter().any(
            |f| f["object"]["name"] == "stray" && f["file"] == "overlays/prod/notes/extra.yaml"
        ),
        "{stray:?}"
    );
    let probes = findings(&v, "container-probes-missing");
    let f = probes
        .iter()
        .find(|f| f["object"]["name"] == "prod-web")
        .expect("probes finding on the overlay's Deployment");
    assert_eq!(f["file"], "base/deploy.yaml", "{f}");
    // No file of a kustomization is read as a plain manifest: the patch is not an object.
    assert!(findings(&v, "invalid-manifest").is_empty(), "{v}");
    // The patch set the replicas: a finding on them points at the patch.
    let pdb = findings(&v, "pdb-missing");
    assert!(
        pdb.iter()
            .any(|f| f["file"] == "overlays/prod/replicas.yaml"),
        "{pdb:?}"
    );
}

#[test]
fn kustomize_objects_are_compared_with_the_cluster() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = repo(dir.path());
    let tracking = |kind: &str, group: &str, name: &str| serde_json::json!({"argocd.argoproj.io/tracking-id": format!("prod:{group}/{kind}:prod/{name}")});
    let deploy = |replicas: u32| {
        serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "prod-web", "namespace": "prod",
                "annotations": tracking("Deployment", "apps", "prod-web")},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "image": "nginx:1.27.0",
                        "envFrom": [{"configMapRef": {"name": "prod-cfg-4h2mbtbbt6"}}]}]}}}})
    };
    let cm = serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "prod-cfg-4h2mbtbbt6", "namespace": "prod",
            "annotations": tracking("ConfigMap", "", "prod-cfg-4h2mbtbbt6")},
        "data": {"a": "b"}});
    let status = |replicas: u32| -> String {
        let dump = dir.path().join(format!("dump-{replicas}.json"));
        let list = serde_json::json!({"apiVersion": "v1", "kind": "List",
            "items": [deploy(replicas), cm.clone()]});
        std::fs::write(&dump, list.to_string()).expect("dump");
        let (code, out, err) = run(&[
            "apps",
            p(&r),
            "--cluster",
            p(&dump),
            "--format",
            "json",
            "--repo-url",
            "https://example.com/r.git",
        ]);
        assert!(code == 0 || code == 1, "{err}");
        let v: Value = serde_json::from_str(&out).expect("json");
        let apps = v
            .get("apps")
            .and_then(Value::as_array)
            .or_else(|| v.as_array())
            .expect("apps")
            .clone();
        let app = apps.iter().find(|a| a["name"] == "prod").expect("prod");
        app["status"].as_str().unwrap_or_default().to_string()
    };
    // The patch sets 3 replicas: a cluster running 3 is in sync, one running 1 is not.
    assert_eq!(status(3), "Synced");
    assert_eq!(status(1), "OutOfSync");
}

#[test]
fn a_kustomization_that_does_not_build_is_a_finding_and_leaves_the_application_unknown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = repo(dir.path());
    write(
        &r,
        "overlays/prod/kustomization.yaml",
        "namePrefix: prod-\nresources:\n- ../../base\n- missing.yaml\n",
    );
    let v = scan_json(&r);
    let bad = findings(&v, "invalid-manifest");
    let f = bad
        .iter()
        .find(|f| f["file"] == "overlays/prod/kustomization.yaml")
        .unwrap_or_else(|| panic!("{bad:?}"));
    assert_eq!(f["line"], 4, "{f}");
    assert!(
        f["message"]
            .as_str()
            .unwrap_or_default()
            .contains("missing.yaml"),
        "{f}"
    );
    let na = findings(&v, "source-not-analysed");
    assert!(
        na.iter().any(|f| f["message"]
            .as_str()
            .unwrap_or_default()
            .contains("overlays/prod/kustomization.yaml:4")),
        "{na:?}"
    );
    // Files of the broken kustomization are not read as plain manifests instead.
    assert!(findings(&v, "broken-source-path")
        .iter()
        .all(|f| f["object"]["name"] != "stray"));
    // With a dump, the Application is Unknown, and nothing is predicted to be pruned.
    let dump = dir.path().join("dump.json");
    std::fs::write(
        &dump,
        serde_json::json!({"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "prod",
             "annotations": {"argocd.argoproj.io/tracking-id": "prod:/ConfigMap:prod/x"}}}]})
        .to_string(),
    )
    .expect("dump");
    let (_, out, err) = run(&[
        "apps",
        p(&r),
        "--cluster",
        p(&dump),
        "--format",
        "json",
        "--repo-url",
        "https://example.com/r.git",
    ]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
    let text = v.to_string();
    assert!(text.contains("\"Unknown\""), "{text}");
    assert!(!text.to_lowercase().contains("prune"), "{text}");
}

#[test]
fn argo_cd_kustomize_settings_are_applied_like_kustomize_edit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = repo(dir.path());
    // The Application edits the overlay: prefix (replacing the overlay's), image, replicas, a
    // label (into commonLabels,
    // hence selectors), an annotation with its name, an extra patch; argocd-cm asks for
    // LoadRestrictionsNone.
    write(
        &r,
        "apps/prod.yaml",
        &APP.replace(
            "    targetRevision: HEAD\n",
            "    targetRevision: HEAD\n    kustomize:\n      namePrefix: eu-\n      images:\n      \
             - nginx:1.28.0\n      replicas:\n      - name: web\n        count: \"5\"\n      \
             commonLabels:\n        team: shop\n      commonAnnotations:\n        app: $ARGOCD_APP_NAME\n      \
             commonAnnotationsEnvsubst: true\n      patches:\n      - target:\n          kind: ConfigMap\n        \
             patch: |-\n          - op: add\n            path: /data/c\n            value: d\n",
        ),
    );
    write(
        &r,
        "argocd/argocd-cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\n  namespace: argocd\n\
         data:\n  kustomize.buildOptions: --load-restrictor LoadRestrictionsNone\n",
    );
    write(
        &r,
        "kustomization.yaml",
        "resources:\n- apps/prod.yaml\n- argocd/argocd-cm.yaml\n",
    );
    let labels = serde_json::json!({"app": "web", "team": "shop"});
    let annotations = |kind: &str, group: &str, name: &str| {
        serde_json::json!({"app": "prod",
            "argocd.argoproj.io/tracking-id": format!("prod:{group}/{kind}:prod/{name}")})
    };
    let cm_name = "eu-cfg-fh478f99mk";
    let dump = |image: &str| {
        serde_json::json!({"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "apps/v1", "kind": "Deployment",
             "metadata": {"name": "eu-web", "namespace": "prod", "labels": {"team": "shop"},
                "annotations": annotations("Deployment", "apps", "eu-web")},
             "spec": {"replicas": 5, "selector": {"matchLabels": labels.clone()},
                "template": {"metadata": {"labels": labels.clone(), "annotations": {"app": "prod"}},
                    "spec": {"containers": [{"name": "web", "image": image,
                        "envFrom": [{"configMapRef": {"name": cm_name}}]}]}}}},
            {"apiVersion": "v1", "kind": "ConfigMap",
             "metadata": {"name": cm_name, "namespace": "prod", "labels": {"team": "shop"},
                "annotations": annotations("ConfigMap", "", cm_name)},
             "data": {"a": "b", "c": "d"}}]})
    };
    let (code, out, err) = run(&["kustomize", "build", p(&r.join("overlays/prod"))]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("prod-cfg-"), "{out}");
    let status = |image: &str| -> (String, String) {
        let f = dir.path().join("dump.json");
        std::fs::write(&f, dump(image).to_string()).expect("dump");
        let (code, out, err) = run(&[
            "diff",
            p(&r),
            "--cluster",
            p(&f),
            "--repo-url",
            "https://example.com/r.git",
        ]);
        assert!(code == 0 || code == 1, "{err}");
        let (_, apps, _) = run(&[
            "apps",
            p(&r),
            "--cluster",
            p(&f),
            "--format",
            "json",
            "--repo-url",
            "https://example.com/r.git",
        ]);
        (apps, out)
    };
    let (apps, diff) = status("nginx:1.28.0");
    assert!(apps.contains("\"Synced\""), "{apps}\n{diff}");
    let (apps, diff) = status("nginx:1.27.0");
    assert!(apps.contains("\"OutOfSync\""), "{apps}\n{diff}");
    assert!(diff.contains("nginx:1.28.0"), "{diff}");
}

#[test]
fn argo_cd_settings_that_kustomize_refuses_fail_the_source() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = repo(dir.path());
    write(
        &r,
        "apps/prod.yaml",
        &APP.replace(
            "    targetRevision: HEAD\n",
            "    targetRevision: HEAD\n    kustomize:\n      replicas:\n      - name: web\n        \
             count: three\n",
        ),
    );
    let v = scan_json(&r);
    let na = findings(&v, "source-not-analysed");
    assert!(
        na.iter().any(|f| f["message"]
            .as_str()
            .unwrap_or_default()
            .contains("does not build")),
        "{na:?}"
    );
    let bad = findings(&v, "invalid-manifest");
    assert!(
        bad.iter().any(|f| f["message"]
            .as_str()
            .unwrap_or_default()
            .contains("expected integer value for count. Received: three")),
        "{bad:?}"
    );
}
