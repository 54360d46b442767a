//! `driftlens review`: two revisions of a Git repository built in a temporary folder (with
//! `gix`, so the tests need no `git` binary), compared per Application.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{git, p, run, write};
use serde_json::Value;

/// A repository in a temporary folder whose working tree the test edits and commits.
struct Repo {
    _dir: tempfile::TempDir,
    root: PathBuf,
    git: gix::Repository,
}

impl Repo {
    fn new() -> Repo {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("deploy");
        std::fs::create_dir(&root).expect("mkdir");
        let git = git::init(&root);
        Repo {
            _dir: dir,
            root,
            git,
        }
    }

    fn write(&self, path: &str, text: &str) {
        write(&self.root, path, text);
    }

    fn remove(&self, path: &str) {
        std::fs::remove_file(self.root.join(path)).expect("rm");
    }

    /// Commits the working tree on `reference` with the given parents.
    fn commit_on(&self, reference: &str, parents: &[gix::ObjectId]) -> gix::ObjectId {
        let tree = git::tree(&self.git, &self.root);
        git::commit_tree(&self.git, reference, tree, parents)
    }

    /// Commits the working tree on the current branch.
    fn commit(&self) -> gix::ObjectId {
        git::commit(&self.git)
    }

    fn review(&self, args: &[&str]) -> (i32, String, String) {
        let mut all = vec!["review", p(&self.root)];
        all.extend_from_slice(args);
        run(&all)
    }

    /// Every file under the repository's folder, `.git` included, with its bytes (link
    /// targets for links): what must not change.
    fn snapshot(&self) -> BTreeMap<String, Vec<u8>> {
        fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
            for e in std::fs::read_dir(dir).expect("read_dir") {
                let path = e.expect("entry").path();
                let rel = path.strip_prefix(root).unwrap().display().to_string();
                let meta = std::fs::symlink_metadata(&path).expect("stat");
                if meta.file_type().is_symlink() {
                    let t = std::fs::read_link(&path).expect("readlink");
                    out.insert(rel, p(&t).as_bytes().to_vec());
                } else if meta.is_dir() {
                    out.insert(format!("{rel}/"), Vec::new());
                    walk(&path, root, out);
                } else {
                    out.insert(rel, std::fs::read(&path).expect("read"));
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(&self.root, &self.root, &mut out);
        out
    }
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn app<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["applications"]
        .as_array()
        .expect("applications")
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no application {name} in {doc:#}"))
}

fn object<'a>(app: &'a Value, kind: &str, name: &str) -> &'a Value {
    app["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .find(|o| o["key"]["kind"] == kind && o["key"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in {app:#}"))
}

fn rules(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("list")
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

const APPS: &str = "\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: plain
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://git.example.com/deploy.git
    path: plain
  destination:
    server: https://kubernetes.default.svc
    namespace: shop
  syncPolicy:
    automated:
      prune: true
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://git.example.com/deploy.git
    path: chart
  destination:
    server: https://kubernetes.default.svc
    namespace: web
";

const EXTRA_APP: &str = "\
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: extra
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://git.example.com/deploy.git
    path: extra
  destination:
    server: https://kubernetes.default.svc
    namespace: extra
";

const PLAIN: &str = "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  mode: blue
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: old
data:
  x: y
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
stringData:
  password: hunter2-base-value
";

const DEPLOY: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: {{ .Values.image }}
";

const EXTRA_POD: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: priv
spec:
  containers:
    - name: c
      image: busybox:1.36
      securityContext:
        privileged: true
";

/// The base: an Application of plain manifests and one of a chart.
fn base_repo() -> Repo {
    let r = Repo::new();
    r.write("apps/apps.yaml", APPS);
    r.write("plain/all.yaml", PLAIN);
    r.write(
        "chart/Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    );
    r.write("chart/values.yaml", "replicas: 1\nimage: nginx:1.25\n");
    r.write("chart/templates/deploy.yaml", DEPLOY);
    r.commit();
    r
}

/// The change: chart values, a ConfigMap changed and one removed, a Secret's value changed,
/// and a new Application with a privileged Pod.
fn change(r: &Repo) {
    r.write("chart/values.yaml", "replicas: 3\nimage: nginx:1.27\n");
    let plain = PLAIN
        .replace("mode: blue", "mode: green")
        .replace(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: old\ndata:\n  x: y\n",
            "",
        )
        .replace("hunter2-base-value", "hunter3-head-value");
    r.write("plain/all.yaml", &plain);
    r.write("apps/apps.yaml", &format!("{APPS}{EXTRA_APP}"));
    r.write("extra/pod.yaml", EXTRA_POD);
}

#[test]
fn two_commits_give_per_application_diffs_new_findings_and_no_secret_value() {
    let r = base_repo();
    change(&r);
    r.commit();
    let before = r.snapshot();

    let (code, out, err) = r.review(&["--base", "HEAD~1", "--head", "HEAD", "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    let doc = json(&out);
    assert_eq!(doc["base"]["revision"], "HEAD~1");
    assert_eq!(doc["summary"]["added"], 1);
    assert_eq!(doc["summary"]["changed"], 2);
    assert_eq!(doc["summary"]["unchanged"], 0);

    // The new Application and its object.
    let extra = app(&doc, "extra");
    assert_eq!(extra["change"], "added");
    assert_eq!(object(extra, "Pod", "priv")["change"], "added");

    // Plain manifests: one modified, one removed (pruned: automated with prune), the Secret
    // changed without a value.
    let plain = app(&doc, "plain");
    assert_eq!(plain["change"], "changed");
    let settings = object(plain, "ConfigMap", "settings");
    assert_eq!(settings["change"], "modified");
    let diff = settings["diff"].as_str().unwrap();
    assert!(
        diff.contains("-  mode: blue\n") && diff.contains("+  mode: green\n"),
        "{diff}"
    );
    let old = object(plain, "ConfigMap", "old");
    assert_eq!(old["change"], "removed");
    assert!(
        old["prune"].as_str().unwrap().contains("automated sync"),
        "{old:#}"
    );
    let creds = object(plain, "Secret", "creds");
    assert_eq!(creds["change"], "modified");
    assert_eq!(creds["masked"], true);
    assert!(
        creds["diff"].as_str().unwrap().contains("+  password: +"),
        "{creds:#}"
    );

    // The chart whose values changed.
    let web = app(&doc, "web");
    assert_eq!(web["change"], "changed");
    let deploy = object(web, "Deployment", "web");
    let diff = deploy["diff"].as_str().unwrap();
    assert!(
        diff.contains("-  replicas: 1\n") && diff.contains("+  replicas: 3\n"),
        "{diff}"
    );
    assert!(diff.contains("-      - image: nginx:1.25\n"), "{diff}");
    assert!(diff.contains("+      - image: nginx:1.27\n"), "{diff}");

    // Only new findings: the privileged Pod is new; the single replica is resolved; the
    // plaintext Secret, at both revisions, is neither.
    let new = rules(&doc["newFindings"]);
    assert!(new.contains(&"container-privileged".to_string()), "{new:?}");
    assert!(
        !new.iter().any(|r| r == "workload-single-replica"),
        "{new:?}"
    );
    let resolved = rules(&doc["resolvedFindings"]);
    assert!(
        resolved.contains(&"workload-single-replica".to_string()),
        "{resolved:?}"
    );
    // The plaintext Secret is found at head, and at base: it is not new.
    let (_, scan, _) = run(&["scan", p(&r.root), "--format", "json", "--fail-on", "never"]);
    let at_head = rules(&json(&scan)["findings"]);
    assert!(
        at_head.iter().any(|r| r == "secret-plaintext-in-git"),
        "{at_head:?}"
    );
    assert!(
        !new.iter().any(|r| r == "secret-plaintext-in-git"),
        "{new:?}"
    );
    assert!(doc["summary"]["unchangedFindings"].as_u64().unwrap() > 0);

    // Every format: no Secret value, the comment within GitHub's limit.
    for format in ["human", "markdown", "json", "sarif", "github"] {
        let (code, out, err) =
            r.review(&["--base", "HEAD~1", "--head", "HEAD", "--format", format]);
        assert_eq!(code, 1, "{format}: {err}");
        for secret in ["hunter2-base-value", "hunter3-head-value"] {
            assert!(!out.contains(secret), "{format} prints a Secret value");
            assert!(!err.contains(secret), "{format} prints a Secret value");
        }
        if format == "markdown" {
            assert!(out.len() <= 65_536);
            assert!(
                out.contains("<details>") && out.contains("| `extra` | added |"),
                "{out}"
            );
        }
        if format == "sarif" {
            let sarif = json(&out);
            let results = sarif["runs"][0]["results"].as_array().unwrap();
            let state = |s: &str| results.iter().filter(|r| r["baselineState"] == s).count();
            assert!(state("new") >= 1 && state("unchanged") >= 1 && state("absent") >= 1);
        }
    }

    // Nothing in the folder changed: working tree, index, HEAD, refs, objects.
    assert_eq!(before, r.snapshot());
}

#[test]
fn the_head_defaults_to_the_working_tree_and_is_left_untouched() {
    let r = base_repo();
    // No change yet: exit 0.
    let (code, out, err) = r.review(&["--base", "HEAD"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("0 changed"), "{out}");

    change(&r);
    let before = r.snapshot();
    let (code, out, err) = r.review(&["--base", "HEAD", "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    let doc = json(&out);
    assert_eq!(doc["head"]["revision"], "working tree");
    assert_eq!(app(&doc, "extra")["change"], "added");
    assert_eq!(
        object(app(&doc, "plain"), "ConfigMap", "old")["change"],
        "removed"
    );
    assert_eq!(before, r.snapshot());
    // A file removed from the working tree is gone from the head too.
    r.remove("extra/pod.yaml");
    let (_, out, _) = r.review(&["--base", "HEAD", "--format", "json"]);
    let doc = json(&out);
    assert_eq!(app(&doc, "extra")["headObjects"], 0);
}

#[test]
fn a_chart_that_breaks_is_reported_at_its_line() {
    let r = base_repo();
    r.write(
        "chart/templates/deploy.yaml",
        &DEPLOY.replace(
            "{{ .Values.image }}",
            "{{ .Values.image | nosuchfunction }}",
        ),
    );
    r.commit();
    let (code, out, err) = r.review(&["--base", "HEAD~1", "--head", "HEAD", "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    let doc = json(&out);
    let web = app(&doc, "web");
    assert_eq!(web["change"], "broken", "{web:#}");
    let errors = web["headErrors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["location"]["file"] == "chart/templates/deploy.yaml"
                && e["location"]["line"] == 15
                && e["message"].as_str().unwrap().contains("nosuchfunction")),
        "{web:#}"
    );
    let (_, md, _) = r.review(&["--base", "HEAD~1", "--head", "HEAD", "--format", "markdown"]);
    assert!(md.contains("`chart/templates/deploy.yaml:15`"), "{md}");
    // The other Application is untouched: only in the totals.
    assert_eq!(doc["summary"]["unchanged"], 1);
    assert!(doc["applications"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["name"] != "plain"));
}

#[test]
fn a_large_change_fits_one_comment_and_says_what_was_left_out() {
    let r = Repo::new();
    r.write("apps/apps.yaml", APPS);
    let config = |v: &str| {
        (0..120)
            .map(|i| {
                let data: String = (0..40)
                    .map(|k| format!("  key{k}: {v}-{i}-{k}\n"))
                    .collect();
                format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\ndata:\n{data}")
            })
            .collect::<Vec<_>>()
            .join("---\n")
    };
    r.write("plain/many.yaml", &config("before"));
    r.write(
        "chart/Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    );
    r.write("chart/values.yaml", "replicas: 2\nimage: nginx:1.25\n");
    r.write("chart/templates/deploy.yaml", DEPLOY);
    r.commit();
    r.write("plain/many.yaml", &config("after"));
    r.write("chart/values.yaml", "replicas: 2\nimage: nginx:1.27\n");
    r.commit();
    let (code, md, err) = r.review(&["--base", "HEAD~1", "--head", "HEAD", "--format", "markdown"]);
    assert_eq!(code, 1, "{err}");
    assert!(md.len() <= 65_536, "{} bytes", md.len());
    assert!(md.contains("were left out, largest first"), "{md}");
    // The small diff of the chart is still there.
    assert!(md.contains("+      - image: nginx:1.27"), "{md}");
    // JSON has everything.
    let (_, out, _) = r.review(&["--base", "HEAD~1", "--head", "HEAD", "--format", "json"]);
    assert_eq!(app(&json(&out), "plain")["modified"], 120);
}

#[test]
fn merge_base_compares_with_where_the_branch_started() {
    let r = base_repo();
    let start = r.git.head_id().unwrap().detach();
    // The branch changes the chart's values.
    r.write("chart/values.yaml", "replicas: 1\nimage: nginx:1.27\n");
    r.commit_on("refs/heads/feature", &[start]);
    // Meanwhile the main line changes the plain manifests.
    r.write("chart/values.yaml", "replicas: 1\nimage: nginx:1.25\n");
    r.write("plain/all.yaml", &PLAIN.replace("mode: blue", "mode: red"));
    r.commit();
    let main = r.git.head_name().unwrap().unwrap().shorten().to_string();

    let (_, out, err) = r.review(&["--base", &main, "--head", "feature", "--format", "json"]);
    let doc = json(&out);
    assert_eq!(doc["summary"]["changed"], 2, "{err}{doc:#}");

    let (code, out, err) = r.review(&[
        "--base",
        &main,
        "--head",
        "feature",
        "--merge-base",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{err}");
    let doc = json(&out);
    assert_eq!(doc["summary"]["changed"], 1, "{doc:#}");
    assert_eq!(app(&doc, "web")["change"], "changed");
    assert_eq!(doc["base"]["commit"], start.to_string());
}

#[cfg(unix)]
#[test]
fn a_link_out_of_a_revision_is_not_followed() {
    let r = base_repo();
    let outside = r.root.parent().unwrap().join("outside.yaml");
    std::fs::write(
        &outside,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leaked\ndata:\n  k: outside-marker\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(&outside, r.root.join("plain/leak.yaml")).unwrap();
    std::os::unix::fs::symlink(
        "../../../../../../../../etc/passwd",
        r.root.join("plain/up.yaml"),
    )
    .unwrap();
    r.commit();
    std::fs::remove_file(r.root.join("plain/leak.yaml")).unwrap();
    std::fs::remove_file(r.root.join("plain/up.yaml")).unwrap();
    let (_, out, err) = r.review(&["--base", "HEAD~1", "--head", "HEAD", "--format", "json"]);
    assert!(
        !out.contains("outside-marker") && !out.contains("leaked"),
        "{out}"
    );
    assert!(!out.contains("root:x:0"), "{out}");
    let doc = json(&out);
    let new = doc["newFindings"].as_array().unwrap();
    for link in ["plain/leak.yaml", "plain/up.yaml"] {
        assert!(
            new.iter()
                .any(|f| f["rule"] == "invalid-manifest" && f["file"] == link),
            "{link}: {err}{doc:#}"
        );
    }
}

#[test]
fn bad_revisions_and_folders_exit_2() {
    let r = base_repo();
    let (code, _, err) = r.review(&["--base", "no-such-branch"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no-such-branch") && err.contains("fetch"),
        "{err}"
    );
    let (code, _, err) = r.review(&["--base", "HEAD", "--head", "HEAD~5"]);
    assert_eq!(code, 2, "{err}");
    let plain = tempfile::tempdir().unwrap();
    let (code, _, err) = run(&["review", p(plain.path()), "--base", "HEAD"]);
    assert_eq!(code, 2);
    assert!(err.contains("not in a Git repository"), "{err}");
}

#[test]
fn github_annotates_new_findings_on_touched_lines_only() {
    let r = base_repo();
    change(&r);
    r.commit();
    let (_, out, _) = r.review(&["--base", "HEAD~1", "--head", "HEAD", "--format", "github"]);
    assert!(
        out.lines()
            .any(|l| l.starts_with("::error file=extra/pod.yaml,line=10,")
                && l.contains("container-privileged")),
        "{out}"
    );
    // Findings that were there before are not annotated.
    assert!(!out.contains("file=plain/all.yaml"), "{out}");
    assert!(out.contains("::notice title=driftlens review::"), "{out}");
}

#[test]
fn with_a_dump_the_live_view_says_what_a_sync_does() {
    let r = base_repo();
    change(&r);
    r.commit();
    let dump = r.root.parent().unwrap().join("dump.yaml");
    std::fs::write(
        &dump,
        "apiVersion: v1\nkind: List\nitems:\n\
         - apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: settings\n    namespace: shop\n    \
         annotations:\n      argocd.argoproj.io/tracking-id: plain:/ConfigMap:shop/settings\n  \
         data:\n    mode: blue\n\
         - apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: old\n    namespace: shop\n    \
         annotations:\n      argocd.argoproj.io/tracking-id: plain:/ConfigMap:shop/old\n  \
         data:\n    x: y\n",
    )
    .unwrap();
    let (code, out, err) = r.review(&[
        "--base",
        "HEAD~1",
        "--head",
        "HEAD",
        "--cluster",
        p(&dump),
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{err}");
    let doc = json(&out);
    let live = &app(&doc, "plain")["live"];
    let sync = live["sync"].as_array().unwrap();
    let action = |name: &str| {
        sync.iter()
            .find(|e| e["key"]["name"] == name)
            .map(|e| e["action"].as_str().unwrap().to_string())
    };
    assert_eq!(action("settings").as_deref(), Some("update"), "{live:#}");
    assert_eq!(action("old").as_deref(), Some("prune"), "{live:#}");
    let settings = sync
        .iter()
        .find(|e| e["key"]["name"] == "settings")
        .unwrap();
    assert!(
        settings["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f.as_str().unwrap().starts_with("/data")),
        "{live:#}"
    );
}

#[test]
fn applications_generated_by_a_chart_are_matched_by_name() {
    let r = Repo::new();
    r.write(
        "apps/root.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: root\n  \
         namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: \
         https://git.example.com/deploy.git\n    path: charts/root\n  destination:\n    \
         server: https://kubernetes.default.svc\n    namespace: argocd\n",
    );
    r.write(
        "charts/root/Chart.yaml",
        "apiVersion: v2\nname: root\nversion: 0.1.0\n",
    );
    r.write(
        "charts/root/templates/apps.yaml",
        "{{- range .Values.apps }}\n---\napiVersion: argoproj.io/v1alpha1\nkind: Application\n\
         metadata:\n  name: {{ .name }}\n  namespace: argocd\nspec:\n  project: default\n  \
         source:\n    repoURL: https://git.example.com/deploy.git\n    path: {{ .name }}\n  \
         destination:\n    server: https://kubernetes.default.svc\n    namespace: {{ .name }}\n\
         {{- end }}\n",
    );
    r.write("charts/root/values.yaml", "apps:\n  - name: one\n");
    let cm = |v: &str| {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  v: {v}\n")
    };
    r.write("one/cm.yaml", &cm("a"));
    r.write("two/cm.yaml", &cm("a"));
    r.commit();
    r.write(
        "charts/root/values.yaml",
        "apps:\n  - name: one\n  - name: two\n",
    );
    r.write("one/cm.yaml", &cm("b"));
    r.commit();
    let (code, out, err) = r.review(&["--base", "HEAD~1", "--head", "HEAD", "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    let doc = json(&out);
    // The generated Application that appears, with its objects.
    let two = app(&doc, "two");
    assert_eq!(two["change"], "added", "{doc:#}");
    assert_eq!(object(two, "ConfigMap", "c")["change"], "added");
    // The generated Application whose manifests changed.
    let one = app(&doc, "one");
    assert_eq!(one["change"], "changed");
    let diff = object(one, "ConfigMap", "c")["diff"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        diff.contains("-  v: a\n") && diff.contains("+  v: b\n"),
        "{diff}"
    );
    // The parent renders one more Application.
    let root = app(&doc, "root");
    assert_eq!(
        object(root, "Application", "two")["change"],
        "added",
        "{root:#}"
    );
}
