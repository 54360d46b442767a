//! Sources outside the checkout: charts of Helm repositories found in chart folders (and in
//! Helm's cache), dependencies that are not committed, `$values` from this checkout, other
//! repositories mapped with `--repo`, and what happens when any of them is missing: the
//! Application is Unknown, its live objects get no drift finding, and `driftlens sources`
//! says what to fetch. Charts are packaged by the tests from `testdata/sources/charts-src`;
//! nothing is downloaded.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use common::{p, root, write};
use serde_json::Value;

fn fixture(rel: &str) -> PathBuf {
    root().join("testdata/sources").join(rel)
}

/// Packs the chart folder `src` into `dir/NAME-VERSION.tgz` the way `helm package` and
/// `helm pull` lay an archive out (`NAME/…` inside).
fn package(src: &Path, dir: &Path, name: &str, version: &str) -> PathBuf {
    std::fs::create_dir_all(dir).expect("chart folder");
    let out = dir.join(format!("{name}-{version}.tgz"));
    let file = std::fs::File::create(&out).expect("archive");
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    tar.append_dir_all(name, src).expect("pack");
    tar.into_inner().expect("tar").finish().expect("gzip");
    out
}

/// A chart folder holding the fixture charts as archives.
fn chart_folder(dir: &Path) -> PathBuf {
    let charts = dir.join("charts");
    package(&fixture("charts-src/redis"), &charts, "redis", "17.3.1");
    package(
        &fixture("charts-src/postgresql"),
        &charts,
        "postgresql",
        "12.1.6",
    );
    charts
}

/// Runs driftlens with an empty Helm home, so that the machine's Helm cache never matters.
fn run(args: &[&str]) -> (i32, String, String) {
    run_with_helm_home(args, None)
}

fn run_with_helm_home(args: &[&str], helm: Option<&Path>) -> (i32, String, String) {
    let empty = tempfile::tempdir().expect("tempdir");
    let home = helm.unwrap_or(empty.path());
    let out = Command::cargo_bin("driftlens")
        .expect("binary")
        .env("NO_COLOR", "1")
        .env("HOME", home)
        .env("HELM_CACHE_HOME", home.join("cache"))
        .env("HELM_CONFIG_HOME", home.join("config"))
        .env_remove("HELM_REPOSITORY_CACHE")
        .env_remove("HELM_REPOSITORY_CONFIG")
        .env_remove("XDG_CACHE_HOME")
        .env_remove("XDG_CONFIG_HOME")
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// The entry named `name` of the list `list` of a JSON document (`apps` of `driftlens apps`,
/// `applications` of `driftlens sources`).
fn named<'a>(doc: &'a Value, list: &str, name: &str) -> &'a Value {
    doc[list]
        .as_array()
        .unwrap_or_else(|| panic!("no {list} in {doc}"))
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {doc}"))
}

fn app<'a>(apps: &'a Value, name: &str) -> &'a Value {
    named(apps, "apps", name)
}

#[test]
fn a_remote_chart_in_a_chart_folder_renders_and_its_drift_is_explained() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let charts = chart_folder(tmp.path());
    let shop = fixture("shop");
    let dump = fixture("dump.yaml");
    let (code, out, err) = run(&[
        "apps",
        p(&shop),
        "--cluster",
        p(&dump),
        "--charts",
        p(&charts),
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "OutOfSync apps exit 1: {err}");
    let apps = json(&out);
    let cache = app(&apps, "cache");
    assert_eq!(cache["status"], "OutOfSync", "{cache:#}");
    assert_eq!(cache["modified"], 1);
    assert_eq!(cache["extraneous"], 1, "the ConfigMap no longer rendered");
    assert!(
        cache["topCause"]
            .as_str()
            .unwrap()
            .starts_with("manual change (StatefulSet cache-redis /spec/replicas)"),
        "{cache:#}"
    );
    let src = &cache["sources"][0];
    assert_eq!(src["kind"], "helm-repository");
    assert_eq!(src["status"], "analysed");
    assert_eq!(src["place"]["in"], "chart-folder");
    assert_eq!(src["place"]["version"], "17.3.1");
    // The dependency of `orders` came from the chart folder too, at the version Chart.lock
    // pins: its PersistentVolumeClaim is desired and missing from the cluster.
    let orders = app(&apps, "orders");
    assert_eq!(orders["status"], "OutOfSync", "{orders:#}");
    assert_eq!(orders["missing"], 1);
    assert_eq!(orders["modified"], 0);

    // `diff` shows the StatefulSet with the value of this checkout's envs/cache.yaml.
    let (_, diff, _) = run(&[
        "diff",
        p(&shop),
        "--cluster",
        p(&dump),
        "--charts",
        p(&charts),
        "--app",
        "cache",
    ]);
    assert!(diff.contains("-  replicas: 5\n+  replicas: 3\n"), "{diff}");

    // `app` says where each source came from.
    let (_, view, _) = run(&[
        "app",
        "cache",
        p(&shop),
        "--cluster",
        p(&dump),
        "--charts",
        p(&charts),
    ]);
    assert!(
        view.contains("Analysed:          yes: chart folder, ")
            && view.contains("redis-17.3.1.tgz (version 17.3.1"),
        "{view}"
    );

    // `scan`: the drift finding points at the Application's `chart:` line and names the
    // template, the values line and the cause.
    let (_, out, _) = run(&[
        "scan",
        p(&shop),
        "--cluster",
        p(&dump),
        "--charts",
        p(&charts),
        "--format",
        "json",
    ]);
    let report = json(&out);
    let modified: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "drift-modified")
        .collect();
    assert_eq!(modified.len(), 1, "{report:#}");
    let f = modified[0];
    assert_eq!(f["file"], "apps/cache.yaml");
    assert_eq!(f["line"], 11, "the `chart: redis` line");
    let msg = f["message"].as_str().unwrap();
    assert!(msg.contains("cause: manual change"), "{msg}");
    assert!(
        msg.contains("template `templates/statefulset.yaml` line 9 of chart `redis` 17.3.1"),
        "{msg}"
    );
    assert!(
        f["related"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["file"] == "envs/cache.yaml" && r["line"] == 1),
        "the value comes from envs/cache.yaml: {f:#}"
    );
    assert_eq!(
        report["summary"]["coverage"],
        "analysed 2 of 2 Applications (3 objects)"
    );
}

#[test]
fn a_chart_in_no_folder_makes_its_application_unknown_without_drift_findings() {
    let shop = fixture("shop");
    let dump = fixture("dump.yaml");
    let (code, out, _) = run(&["apps", p(&shop), "--cluster", p(&dump), "--format", "json"]);
    assert_eq!(code, 1, "Unknown is not Synced");
    let apps = json(&out);
    for name in ["cache", "orders"] {
        let a = app(&apps, name);
        assert_eq!(a["status"], "Unknown", "{a:#}");
        // The live objects it tracks are listed as Argo CD lists them when manifests cannot
        // be generated: Unknown, never requiring pruning.
        for r in a["resources"].as_array().unwrap() {
            assert_eq!(r["status"], "Unknown", "{r:#}");
            assert_eq!(r["reason"], "not-analysed", "{r:#}");
            assert_eq!(r["requiresPruning"], false, "{r:#}");
        }
        let tracked = if name == "cache" { 2 } else { 1 };
        assert_eq!(a["resources"].as_array().unwrap().len(), tracked, "{a:#}");
        assert_eq!(a["extraneous"], 0);
        assert!(a["notAnalysed"].as_str().unwrap().contains("not analysed"));
    }
    // The scan: warnings name each source and the command that fetches it; no drift finding
    // about the live objects (no "will be pruned"); `--fail-on error` passes.
    let (code, out, _) = run(&[
        "scan",
        p(&shop),
        "--cluster",
        p(&dump),
        "--format",
        "json",
        "--fail-on",
        "error",
    ]);
    assert_eq!(code, 0, "{out}");
    let report = json(&out);
    let findings = report["findings"].as_array().unwrap();
    // The fetch commands, as data for tools (`repoURL` as in the sources).
    let fix = findings
        .iter()
        .find(|f| f["rule"] == "source-not-analysed" && f["properties"]["application"] == "cache")
        .map(|f| &f["properties"]["fixes"][0])
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(fix["action"], "helm-pull", "{fix:#}");
    assert_eq!(fix["repo_url"], Value::Null, "{fix:#}");
    assert_eq!(
        fix["repoURL"], "https://charts.example.com/stable",
        "{fix:#}"
    );
    assert_eq!(fix["version"], "17.3.*", "{fix:#}");
    assert!(
        findings
            .iter()
            .all(|f| !f["rule"].as_str().unwrap().starts_with("drift-")),
        "{report:#}"
    );
    assert!(findings.iter().all(|f| f["rule"] != "invalid-manifest"));
    let missing: Vec<&Value> = findings
        .iter()
        .filter(|f| f["rule"] == "source-not-analysed")
        .collect();
    assert_eq!(missing.len(), 2, "{report:#}");
    let cache = missing
        .iter()
        .find(|f| f["file"] == "apps/cache.yaml")
        .expect("cache");
    assert_eq!(cache["severity"], "warning");
    assert_eq!(cache["line"], 11);
    assert!(
        cache["message"].as_str().unwrap().contains(
            "helm pull redis --repo https://charts.example.com/stable --version '17.3.*' -d \
             .driftlens/charts"
        ),
        "{cache:#}"
    );
    let orders = missing
        .iter()
        .find(|f| f["file"] == "apps/orders.yaml")
        .expect("orders");
    assert!(
        orders["message"].as_str().unwrap().contains(
            "helm pull postgresql --repo https://charts.example.com/stable --version 12.1.6"
        ),
        "the version of Chart.lock: {orders:#}"
    );
    assert_eq!(
        report["summary"]["coverage"],
        "analysed 0 of 2 Applications (0 objects); 2 not analysed: see source-not-analysed"
    );
    // The human summary ends with the same line; SARIF has it as a run property.
    let (_, human, _) = run(&["scan", p(&shop)]);
    assert!(
        human.trim_end().ends_with(
            "analysed 0 of 2 Applications (0 objects); 2 not analysed: see source-not-analysed"
        ),
        "{human}"
    );
    let (_, sarif, _) = run(&["scan", p(&shop), "--format", "sarif"]);
    let sarif = json(&sarif);
    assert_eq!(sarif["runs"][0]["properties"]["notAnalysedApplications"], 2);
    let (_, md, _) = run(&["scan", p(&shop), "--format", "markdown"]);
    assert!(
        md.contains("Coverage: analysed 0 of 2 Applications"),
        "{md}"
    );
}

#[test]
fn values_of_this_checkout_apply_through_a_ref_source() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let charts = chart_folder(tmp.path());
    // The same checkout with a different replica count in envs/cache.yaml: the live 5 is then
    // what Git says, and `cache` is Synced but for the extraneous ConfigMap.
    let shop = tmp.path().join("shop");
    copy_dir(&fixture("shop"), &shop);
    write(&shop, "envs/cache.yaml", "replicaCount: 5\n");
    let (_, out, _) = run(&[
        "apps",
        p(&shop),
        "--cluster",
        p(&fixture("dump.yaml")),
        "--charts",
        p(&charts),
        "--format",
        "json",
    ]);
    let apps = json(&out);
    let cache = app(&apps, "cache");
    assert_eq!(cache["modified"], 0, "{cache:#}");
    assert_eq!(cache["sources"][1]["kind"], "ref");
    assert_eq!(cache["sources"][1]["place"]["in"], "checkout");
    // Without the file, Helm fails like Argo CD would: the source failed, reported by
    // invalid-manifest.
    std::fs::remove_file(shop.join("envs/cache.yaml")).expect("rm");
    let (_, out, _) = run(&["scan", p(&shop), "--charts", p(&charts), "--format", "json"]);
    let report = json(&out);
    assert!(report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "invalid-manifest"
            && f["file"] == "apps/cache.yaml"
            && f["message"].as_str().unwrap().contains("envs/cache.yaml")));
}

fn copy_dir(from: &Path, to: &Path) {
    for e in walk(from) {
        let rel = e.strip_prefix(from).expect("under");
        let dest = to.join(rel);
        std::fs::create_dir_all(dest.parent().expect("parent")).expect("mkdir");
        std::fs::copy(&e, dest).expect("copy");
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let path = e.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn forty_unused_charts_render_each_with_its_own_release_name() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for i in 0..40 {
        let dir = format!("charts/svc-{i:02}");
        write(
            tmp.path(),
            &format!("{dir}/Chart.yaml"),
            &format!("apiVersion: v2\nname: svc-{i:02}\nversion: 0.1.0\n"),
        );
        write(
            tmp.path(),
            &format!("{dir}/templates/cm.yaml"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-config\n",
        );
    }
    let (_, out, _) = run(&["scan", p(tmp.path()), "--format", "json"]);
    let report = json(&out);
    assert_eq!(report["summary"]["objects"], 40, "{report:#}");
    let units = report["units"].as_array().unwrap();
    assert_eq!(units.len(), 40);
    assert!(units.iter().all(|u| u["status"] == "rendered"));
    let (_, sources, _) = run(&["sources", p(tmp.path()), "--format", "json"]);
    assert_eq!(json(&sources)["coverage"]["objects"], 40);
}

#[test]
fn a_missing_dependency_is_a_warning_and_the_chart_folder_provides_it() {
    let shop = fixture("shop");
    let (code, out, _) = run(&["scan", p(&shop), "--fail-on", "error", "--format", "json"]);
    assert_eq!(
        code, 0,
        "a missing dependency must not fail --fail-on error: {out}"
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let charts = chart_folder(tmp.path());
    let (_, out, _) = run(&[
        "sources",
        p(&shop),
        "--charts",
        p(&charts),
        "--format",
        "json",
    ]);
    let doc = json(&out);
    let orders = named(&doc, "applications", "orders");
    assert_eq!(orders["analysed"], true, "{orders:#}");
    // Chart.lock pins 12.1.6; a folder holding only 12.1.5 does not satisfy it.
    let other = tmp.path().join("other");
    package(
        &fixture("charts-src/postgresql"),
        &other,
        "postgresql",
        "12.1.5",
    );
    let (_, out, _) = run(&["sources", p(&shop), "--charts", p(&other)]);
    assert!(out.contains("orders"), "{out}");
    assert!(
        out.contains("holds chart `postgresql` version `12.1.6`, not what its name says")
            || out.contains("none matching `12.1.6`"),
        "{out}"
    );
}

#[test]
fn helm_cache_is_searched_and_its_index_decides_the_version() {
    let home = tempfile::tempdir().expect("tempdir");
    let cache = home.path().join("cache/repository");
    package(&fixture("charts-src/redis"), &cache, "redis", "17.3.1");
    write(
        home.path(),
        "config/repositories.yaml",
        "apiVersion: \"\"\nrepositories:\n  - name: stable\n    url: https://charts.example.com/stable\n",
    );
    write(
        home.path(),
        "cache/repository/stable-index.yaml",
        "apiVersion: v1\nentries:\n  redis:\n    - version: 17.3.1\n      urls: [https://charts.example.com/stable/redis-17.3.1.tgz]\n",
    );
    let shop = fixture("shop");
    let (_, out, _) = run_with_helm_home(
        &["sources", p(&shop), "--format", "json"],
        Some(home.path()),
    );
    let doc = json(&out);
    let cache_app = named(&doc, "applications", "cache");
    assert_eq!(
        cache_app["sources"][0]["place"]["origin"], "helm-cache",
        "{doc:#}"
    );
    // The repository has a newer 17.3.x than the cache holds: Argo CD would render that one.
    write(
        home.path(),
        "cache/repository/stable-index.yaml",
        "apiVersion: v1\nentries:\n  redis:\n    - version: 17.3.4\n    - version: 17.3.1\n",
    );
    let (_, out, _) = run_with_helm_home(&["sources", p(&shop)], Some(home.path()));
    assert!(
        out.contains("says `17.3.*` is version `17.3.4`, which no chart folder holds"),
        "{out}"
    );
    assert!(out.contains("--version 17.3.4"), "{out}");
    // --no-helm-cache ignores it.
    let (_, out, _) =
        run_with_helm_home(&["sources", p(&shop), "--no-helm-cache"], Some(home.path()));
    assert!(
        out.contains("no chart folder (--charts) holds `redis`"),
        "{out}"
    );
}

#[test]
fn other_repositories_resolve_through_their_checkouts() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let platform = tmp.path().join("platform");
    let config = tmp.path().join("config");
    // The platform checkout knows its own URL from .git/config; the config repository is
    // named by an SSH URL and mapped by an HTTPS one.
    write(
        &platform,
        ".git/config",
        "[remote \"origin\"]\n\turl = git@github.com:org/platform.git\n",
    );
    write(&platform, ".git/HEAD", "ref: refs/heads/main\n");
    write(
        &platform,
        "apps/apps.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n  \
         namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: \
         https://github.com/org/platform\n    path: web\n    targetRevision: HEAD\n  \
         destination:\n    namespace: web\n---\napiVersion: argoproj.io/v1alpha1\nkind: \
         Application\nmetadata:\n  name: settings\n  namespace: argocd\nspec:\n  project: \
         default\n  source:\n    repoURL: git@github.com:Org/Config.git\n    path: prod\n    \
         targetRevision: v3\n  destination:\n    namespace: settings\n",
    );
    write(
        &platform,
        "web/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
    );
    write(
        &config,
        "prod/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n",
    );
    let (_, out, _) = run(&["sources", p(&platform), "--format", "json"]);
    let doc = json(&out);
    let apps = doc["applications"].as_array().unwrap();
    assert_eq!(apps[1]["name"], "web");
    assert_eq!(apps[1]["analysed"], true, "remote of .git/config: {doc:#}");
    assert_eq!(apps[0]["sources"][0]["kind"], "git-path");
    assert_eq!(apps[0]["sources"][0]["fixes"][0]["action"], "git-clone");
    let mapping = format!("https://github.com/org/config={}", p(&config));
    let (_, out, _) = run(&["sources", p(&platform), "--repo", &mapping]);
    assert!(out.contains("settings"), "{out}");
    assert!(
        out.contains("targetRevision `v3` is not checked out"),
        "the revision analysed is named: {out}"
    );
    assert!(
        out.contains("analysed 2 of 2 Applications (2 objects)"),
        "{out}"
    );
    // The mapped files are analysed like the checkout's: the ConfigMap is linted.
    let (_, out, _) = run(&["scan", p(&platform), "--repo", &mapping, "--format", "json"]);
    let report = json(&out);
    assert_eq!(report["summary"]["objects"], 4, "{report:#}");
}

#[test]
fn the_script_of_sources_vendors_what_is_missing_and_the_scan_then_uses_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // Stand-ins for helm and git that copy from local folders instead of downloading.
    let bin = tmp.path().join("bin");
    let built = chart_folder(tmp.path());
    write(
        &bin,
        "helm",
        &format!(
            "#!/bin/sh\n# helm pull CHART --repo URL --version V -d DIR\nset -eu\n[ \"$1\" = pull ] \
             || exit 3\nchart=$2; dir=.\nwhile [ $# -gt 0 ]; do [ \"$1\" = -d ] && dir=$2; shift; \
             done\ncp {}/\"$chart\"-*.tgz \"$dir\"/\n",
            p(&built)
        ),
    );
    let mode = std::os::unix::fs::PermissionsExt::from_mode(0o755);
    std::fs::set_permissions(bin.join("helm"), mode).expect("chmod");
    let shop = fixture("shop");
    let (code, script, _) = run(&["sources", p(&shop), "--missing", "--format", "script"]);
    assert_eq!(code, 0);
    assert!(script.starts_with("#!/bin/sh\n"), "{script}");
    assert!(
        script.contains(
            "helm pull redis --repo https://charts.example.com/stable --version '17.3.*' -d \
             \"$CHARTS\""
        ),
        "{script}"
    );
    let work = tmp.path().join("work");
    std::fs::create_dir_all(&work).expect("work");
    let path = format!("{}:{}", p(&bin), std::env::var("PATH").unwrap_or_default());
    let sh = std::process::Command::new("sh")
        .arg("-c")
        .arg(&script)
        .current_dir(&work)
        .env("PATH", path)
        .output()
        .expect("sh");
    assert!(
        sh.status.success(),
        "{}",
        String::from_utf8_lossy(&sh.stderr)
    );
    let vendored = work.join(".driftlens/charts");
    assert!(vendored.join("redis-17.3.1.tgz").is_file());
    let (_, out, _) = run(&["sources", p(&shop), "--charts", p(&vendored)]);
    assert!(out.contains("analysed 2 of 2 Applications"), "{out}");
}

#[test]
fn a_config_folder_outside_the_checkout_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    write(
        tmp.path(),
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
    );
    write(tmp.path(), ".driftlens.yaml", "charts:\n  - ../elsewhere\n");
    let (code, _, err) = run(&["scan", p(tmp.path())]);
    assert_eq!(code, 2);
    assert!(
        err.contains(".driftlens.yaml:2: a chart folder `../elsewhere` is not inside the checkout"),
        "{err}"
    );
}

#[test]
fn apps_without_a_dump_lists_each_desired_state() {
    let (code, out, err) = run(&["apps", p(&root().join("testdata/demo/repo"))]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("shop         known                8"), "{out}");
    assert!(
        out.contains("analysed 2 of 2 Applications (11 objects)"),
        "{out}"
    );
    let (code, out, _) = run(&["apps", p(&fixture("shop")), "--format", "json"]);
    assert_eq!(code, 1, "an Application whose desired state is unknown");
    let doc = json(&out);
    assert_eq!(doc["apps"][0]["name"], "cache");
    assert_eq!(doc["apps"][0]["objects"], Value::Null);
    assert_eq!(doc["coverage"]["notAnalysed"], 2);
    // diff and app still need a dump.
    let (code, _, err) = run(&["diff", p(&fixture("shop"))]);
    assert_eq!(code, 2);
    assert!(err.contains("--cluster"), "{err}");
}

#[test]
fn a_schema_that_refers_to_a_url_is_skipped_with_a_note() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let chart = tmp.path().join("charts/web");
    write(
        &chart,
        "Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 1.0.0\n",
    );
    write(&chart, "values.yaml", "port: 0\n");
    write(
        &chart,
        "values.schema.json",
        r#"{"type": "object", "properties": {"port": {"$ref": "https://schemas.example.com/port.json"}}}"#,
    );
    write(
        &chart,
        "templates/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  port: \"{{ .Values.port }}\"\n",
    );
    let (code, out, _) = run(&["scan", p(tmp.path())]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(
            "note: charts/web: the values.schema.json of chart `web` refers to \
             `https://schemas.example.com/port.json`, which driftlens does not fetch: its values \
             are not validated"
        ),
        "{out}"
    );
    assert!(out.contains("1 object"), "the chart rendered: {out}");
    let (code, rendered, err) = run(&["render", p(&chart)]);
    assert_eq!(code, 0, "{err}");
    assert!(rendered.contains("port: \"0\""), "{rendered}");
    assert!(
        err.contains("note: the values.schema.json of chart `web`"),
        "{err}"
    );
}

#[test]
fn a_broken_values_file_is_reported_at_its_own_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    write(
        tmp.path(),
        "charts/web/Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 1.0.0\n",
    );
    write(
        tmp.path(),
        "charts/web/values.yaml",
        "replicas: 1\nports: [\n  http: 80\n",
    );
    write(
        tmp.path(),
        "charts/web/templates/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
    );
    let (_, out, _) = run(&["scan", p(tmp.path()), "--format", "json"]);
    let report = json(&out);
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "invalid-manifest")
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(f["file"], "charts/web/values.yaml", "{f:#}");
    assert_eq!(f["line"], 3, "{f:#}");
}

#[test]
fn objects_with_generate_name_are_named_after_their_prefix() {
    let tmp = tempfile::tempdir().expect("tempdir");
    write(
        tmp.path(),
        "job.yaml",
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: migrate-\nspec:\n  \
         template:\n    spec:\n      restartPolicy: Never\n      containers:\n        - name: \
         migrate\n          image: registry.example.com/migrate:1.0\n",
    );
    let (_, out, _) = run(&["scan", p(tmp.path()), "--format", "json"]);
    let report = json(&out);
    let findings = report["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        let m = f["message"].as_str().unwrap();
        assert!(!m.contains("``"), "an empty name: {m}");
    }
    assert!(
        findings
            .iter()
            .any(|f| f["message"].as_str().unwrap().contains("`migrate-…`")),
        "{report:#}"
    );
}

#[test]
fn unrelated_charts_do_not_cross_link() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // Chart `scaler` autoscales, guards and routes to a `web` it does not have; chart `web`
    // has one. Rendered with their defaults, neither is deployed with the other.
    write(
        tmp.path(),
        "charts/scaler/Chart.yaml",
        "apiVersion: v2\nname: scaler\nversion: 1.0.0\n",
    );
    write(
        tmp.path(),
        "charts/scaler/templates/objects.yaml",
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\nspec:\n  \
         scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  minReplicas: 2\n  \
         maxReplicas: 4\n---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  \
         name: web\nspec:\n  minAvailable: 100%\n  selector:\n    matchLabels: {app: web}\n---\n\
         apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\nspec:\n  rules:\n  \
         - http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend:\n          \
         service: {name: web, port: {number: 9999}}\n",
    );
    write(
        tmp.path(),
        "charts/web/Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 1.0.0\n",
    );
    write(
        tmp.path(),
        "charts/web/templates/objects.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  \
         selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: \
         web}\n    spec:\n      containers:\n      - name: web\n        image: web:1.0\n---\n\
         apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector: {app: web}\n  \
         ports:\n  - port: 80\n",
    );
    let (_, out, _) = run(&["scan", p(tmp.path()), "--format", "json"]);
    let report = json(&out);
    for f in report["findings"].as_array().unwrap() {
        let file = f["file"].as_str().unwrap();
        let related: Vec<&str> = f["related"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["file"].as_str().unwrap())
            .collect();
        let unit = |path: &str| path.split('/').nth(1).map(str::to_string);
        assert!(
            related.iter().all(|r| unit(r) == unit(file)),
            "a finding links the two charts: {f:#}"
        );
        let rule = f["rule"].as_str().unwrap();
        assert!(
            !matches!(rule, "hpa-replicas-not-ignored" | "pdb-blocks-eviction"),
            "{rule} relates objects of two unrelated charts: {f:#}"
        );
        assert!(
            !(rule == "ingress-backend-missing" && f["message"].as_str().unwrap().contains("9999")),
            "the Ingress of one chart is compared with the Service of the other: {f:#}"
        );
    }
}

#[test]
fn a_file_dependency_is_rendered_with_the_chart_that_depends_on_it_only() {
    let tmp = tempfile::tempdir().expect("tempdir");
    write(
        tmp.path(),
        "apps/web.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n  \
         namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: \
         https://git.example.com/platform.git\n    path: charts/web\n    targetRevision: main\n  \
         destination:\n    server: https://kubernetes.default.svc\n    namespace: web\n",
    );
    write(
        tmp.path(),
        "charts/web/Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 1.0.0\ndependencies:\n  - name: common\n    \
         version: 1.x\n    repository: file://../../libs/common\n",
    );
    write(
        tmp.path(),
        "charts/web/templates/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  greeting: \
         {{ .Values.common.greeting | quote }}\n",
    );
    write(
        tmp.path(),
        "libs/common/Chart.yaml",
        "apiVersion: v2\nname: common\nversion: 1.2.0\n",
    );
    write(tmp.path(), "libs/common/values.yaml", "greeting: hello\n");
    write(
        tmp.path(),
        "libs/common/templates/job.yaml",
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: {{ .Release.Name }}-migrate-\n\
         spec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n        \
         - name: migrate\n          image: busybox\n",
    );
    let (_, out, err) = run(&["scan", p(tmp.path()), "--format", "json"]);
    let report = json(&out);
    assert_eq!(
        report["summary"]["coverage"], "analysed 1 of 1 Application (2 objects)",
        "{err}"
    );
    let findings = report["findings"].as_array().unwrap();
    let jobs: Vec<&Value> = findings
        .iter()
        .filter(|f| f["rule"] == "image-tag-mutable")
        .collect();
    // Once, for the Application's release: the library is not also rendered on its own.
    assert_eq!(jobs.len(), 1, "{report:#}");
    let job = jobs[0];
    assert!(
        job["message"].as_str().unwrap().contains("`web-migrate-…`"),
        "{job:#}"
    );
    // At the template line of the dependency, in its own folder.
    assert_eq!(job["file"], "libs/common/templates/job.yaml", "{job:#}");
    assert_eq!(job["line"], 11, "{job:#}");
    assert!(
        !findings.iter().any(|f| f["rule"] == "broken-source-path"),
        "the library is reported as outside every Application: {report:#}"
    );
}

#[test]
fn a_kustomize_directory_that_is_not_built_is_counted_in_the_coverage_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    write(
        tmp.path(),
        "plain/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\n  namespace: web\n",
    );
    // A remote base is never fetched: this kustomization cannot be built here, and the
    // Applications it may hold are unknown.
    write(
        tmp.path(),
        "bootstrap/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - \
         https://github.com/example/platform//apps?ref=v1.0.0\n",
    );
    let (_, out, _) = run(&["scan", p(tmp.path()), "--format", "json"]);
    let report = json(&out);
    assert_eq!(report["summary"]["kustomizeNotBuilt"], 1, "{report:#}");
    let line = report["summary"]["coverage"].as_str().unwrap();
    assert!(
        line.ends_with(
            "; 1 Kustomize directory not built: its objects (Applications included) are not \
             analysed"
        ),
        "{line}"
    );
    let (_, out, _) = run(&["scan", p(tmp.path()), "--format", "sarif"]);
    let sarif = json(&out);
    let props = &sarif["runs"][0]["properties"];
    assert_eq!(props["coverage"], line, "{props:#}");
    assert_eq!(props["kustomizeNotBuilt"], 1, "{props:#}");
    let (_, out, _) = run(&["scan", p(tmp.path())]);
    assert!(out.contains(line), "{out}");
    let (_, out, _) = run(&["sources", p(tmp.path())]);
    assert!(out.trim_end().ends_with(line), "{out}");
}

#[test]
fn hooks_are_not_counted_among_the_objects_of_an_application() {
    let tmp = tempfile::tempdir().expect("tempdir");
    write(
        tmp.path(),
        "apps/web.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n  \
         namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: \
         https://git.example.com/platform.git\n    path: web\n  destination:\n    server: \
         https://kubernetes.default.svc\n    namespace: web\n",
    );
    write(
        tmp.path(),
        "web/objects.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports: [{port: 80}]\n\
         ---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    \
         argocd.argoproj.io/hook: PreSync\nspec:\n  template:\n    spec:\n      \
         restartPolicy: Never\n      containers: [{name: m, image: \"m:1\"}]\n---\n\
         apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: seed\n  annotations:\n    \
         helm.sh/hook: post-install\nspec:\n  template:\n    spec:\n      \
         restartPolicy: Never\n      containers: [{name: m, image: \"m:1\"}]\n",
    );
    let (code, out, err) = run(&["apps", p(tmp.path()), "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let doc = json(&out);
    assert_eq!(app(&doc, "web")["objects"], 1, "{doc:#}");
    assert_eq!(doc["coverage"]["objects"], 1, "{doc:#}");
}

#[test]
fn without_a_remote_sources_says_which_urls_were_taken_to_be_the_checkout() {
    let tmp = tempfile::tempdir().expect("tempdir");
    write(
        tmp.path(),
        "apps/web.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n  \
         namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: \
         https://git.example.com/fork/platform\n    path: web\n  destination:\n    server: \
         https://kubernetes.default.svc\n    namespace: web\n",
    );
    write(
        tmp.path(),
        "web/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
    );
    let (code, out, err) = run(&["sources", p(tmp.path())]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(
            "taken to be this checkout because the paths their sources name exist here: \
             `https://git.example.com/fork/platform` (pass --repo-url URL"
        ),
        "{out}"
    );
    // Named exactly, nothing is inferred.
    let (_, out, _) = run(&[
        "sources",
        p(tmp.path()),
        "--repo-url",
        "https://git.example.com/fork/platform",
    ]);
    assert!(!out.contains("taken to be this checkout"), "{out}");
}
