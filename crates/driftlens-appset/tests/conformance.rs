//! Argo CD's own ApplicationSet tests (generator, template and utility tables of
//! argoproj/argo-cd v3.5.1), re-expressed as YAML cases under `testdata/appset/cases/` and
//! run against this crate.
//!
//! A case names its operation (`generator`, `interpolate`, `render`, `replace`,
//! `applicationSet`, `combine`, `normalize`, `slugify`, `selector`), its inputs (`goTemplate`,
//! `goTemplateOptions`, `clusters`, `repo`) and what Argo CD's test expects (`expect`, or
//! `error` / `errorContains`). A case that driftlens does not reproduce carries
//! `knownDifference: REASON`; such a case must fail (so the list stays true), every other case
//! must pass, and at least 95 % of all cases must pass.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use driftlens_appset::generators::{self, Level};
use driftlens_appset::{
    schema, ClusterSecret, Cx, Failure, Inputs, Options, ParamSet, RepoError, Repository,
};
use serde_json::{json, Value as J};

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/appset/cases")
}

/// A repository as a test describes it: files with contents, and optionally the directory
/// list and per-pattern file lists that Argo CD's tests give their repo-server mock.
struct TestRepo {
    files: Vec<String>,
    contents: BTreeMap<String, String>,
    directories: Option<Vec<String>>,
    by_pattern: Option<BTreeMap<String, Vec<String>>>,
}

impl Repository for TestRepo {
    fn files(&self) -> &[String] {
        &self.files
    }
    fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        self.contents
            .get(path)
            .map(|s| s.as_bytes().to_vec())
            .ok_or_else(|| format!("{path}: no such file"))
    }
    fn directories(&self, include_hidden: bool) -> Vec<String> {
        match &self.directories {
            Some(d) => d.clone(),
            None => generators::git::directories(&self.files, include_hidden),
        }
    }
    fn matching_files(&self, pattern: &str, new_globbing: bool) -> Result<Vec<String>, String> {
        match &self.by_pattern {
            Some(m) => Ok(m.get(pattern).cloned().unwrap_or_default()),
            None => generators::git::matching_files(self, pattern, new_globbing),
        }
    }
}

struct TestInputs {
    projects: Option<Vec<String>>,
    repo: Option<TestRepo>,
    repo_error: Option<String>,
    clusters: Vec<ClusterSecret>,
}

impl Inputs for TestInputs {
    fn repository(&self, _url: &str, _rev: &str) -> Result<&dyn Repository, RepoError> {
        if let Some(e) = &self.repo_error {
            return Err(RepoError::Failed(e.clone()));
        }
        match &self.repo {
            Some(r) => Ok(r),
            None => Err(RepoError::Unavailable("no repository in this case".into())),
        }
    }
    fn cluster_secrets(&self) -> &[ClusterSecret] {
        &self.clusters
    }
    fn project_exists(&self, name: &str) -> Option<bool> {
        self.projects.as_ref().map(|p| p.iter().any(|n| n == name))
    }
}

fn str_map(v: Option<&J>) -> BTreeMap<String, String> {
    v.and_then(J::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn inputs(case: &J) -> TestInputs {
    let clusters = case
        .get("clusters")
        .and_then(J::as_array)
        .map(|a| {
            a.iter()
                .map(|c| ClusterSecret {
                    id: c["name"].as_str().unwrap_or("").to_string(),
                    labels: str_map(c.get("labels")),
                    annotations: str_map(c.get("annotations")),
                    name: c["name"].as_str().unwrap_or("").to_string(),
                    server: c["server"].as_str().unwrap_or("").to_string(),
                    project: c.get("project").and_then(J::as_str).map(str::to_string),
                })
                .collect()
        })
        .unwrap_or_default();
    let repo = case.get("repo").map(|r| {
        let contents = str_map(r.get("files"));
        let mut files: Vec<String> = contents.keys().cloned().collect();
        files.sort();
        TestRepo {
            files,
            contents,
            directories: r.get("directories").and_then(J::as_array).map(|a| {
                a.iter()
                    .map(|d| d.as_str().unwrap_or("").to_string())
                    .collect()
            }),
            by_pattern: r.get("filesByPattern").and_then(J::as_object).map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        let list = v
                            .as_array()
                            .map(|a| {
                                a.iter()
                                    .map(|s| s.as_str().unwrap_or("").to_string())
                                    .collect()
                            })
                            .unwrap_or_default();
                        (k.clone(), list)
                    })
                    .collect()
            }),
        }
    });
    TestInputs {
        projects: case.get("projects").and_then(J::as_array).map(|a| {
            a.iter()
                .map(|p| p.as_str().unwrap_or("").to_string())
                .collect()
        }),
        repo,
        repo_error: case
            .get("repoError")
            .and_then(J::as_str)
            .map(str::to_string),
        clusters,
    }
}

/// Numbers compared as `float64` (Go's JSON numbers), `[]string` as lists.
fn norm(v: &J) -> J {
    match v {
        J::Number(n) => json!(n.as_f64().unwrap_or(0.0)),
        J::Array(a) => J::Array(a.iter().map(norm).collect()),
        J::Object(o) => J::Object(o.iter().map(|(k, v)| (k.clone(), norm(v))).collect()),
        other => other.clone(),
    }
}

/// For unordered comparisons: the `clusters` list of a flat-list parameter set is unordered
/// too (Argo CD's tests compare it with `ElementsMatch`).
fn sort_clusters(v: &J) -> J {
    let mut v = norm(v);
    if let Some(J::Array(c)) = v.get_mut("clusters") {
        c.sort_by_key(|e| e.to_string());
    }
    v
}

fn same_list(got: &[J], want: &[J], any_order: bool) -> bool {
    if got.len() != want.len() {
        return false;
    }
    let (got, want): (Vec<J>, Vec<J>) = if any_order {
        (
            got.iter().map(sort_clusters).collect(),
            want.iter().map(sort_clusters).collect(),
        )
    } else {
        (got.to_vec(), want.to_vec())
    };
    let (got, want) = (&got[..], &want[..]);
    if !any_order {
        return got.iter().zip(want).all(|(a, b)| norm(a) == norm(b));
    }
    let mut left: Vec<J> = got.iter().map(norm).collect();
    for w in want {
        let w = norm(w);
        match left.iter().position(|g| *g == w) {
            Some(i) => {
                left.remove(i);
            }
            None => return false,
        }
    }
    true
}

/// Whether every member of `want` is in `got` (recursively for mappings).
fn contains(got: &J, want: &J) -> bool {
    match (got, want) {
        (J::Object(g), J::Object(w)) => w
            .iter()
            .all(|(k, wv)| g.get(k).is_some_and(|gv| contains(gv, wv))),
        _ => norm(got) == norm(want),
    }
}

fn options_of(case: &J) -> (bool, Vec<String>) {
    let go = case.get("goTemplate").and_then(J::as_bool).unwrap_or(false);
    let options = case
        .get("goTemplateOptions")
        .and_then(J::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    (go, options)
}

fn params_of(v: &J) -> ParamSet {
    match driftlens_gotmpl::Value::from_json(v) {
        driftlens_gotmpl::Value::Map(m) => ParamSet {
            values: m.borrow().clone(),
            origins: Vec::new(),
        },
        _ => ParamSet::default(),
    }
}

fn canonical_app(v: &J) -> J {
    let mut app = v.clone();
    if let Some(o) = app.as_object_mut() {
        o.insert("apiVersion".into(), json!("argoproj.io/v1alpha1"));
        o.insert("kind".into(), json!("Application"));
    }
    schema::decode(&schema::APPLICATION, &app, "", &mut Vec::new()).unwrap_or(app)
}

/// Runs one case: `Ok(())` when driftlens does what Argo CD's test expects.
fn run(case: &J) -> Result<(), String> {
    let (go, options) = options_of(case);
    let inputs = inputs(case);
    let opts = Options {
        new_git_file_globbing: case
            .get("newGitFileGlobbing")
            .and_then(J::as_bool)
            .unwrap_or(false),
        ..Options::default()
    };
    let any_order = case.get("order").and_then(J::as_str) == Some("any");
    let mut cx = Cx::new(&inputs, &opts, go, &options);
    cx.template_project = case
        .get("templateProject")
        .and_then(J::as_str)
        .unwrap_or("")
        .to_string();
    let outcome: Result<J, String> = if let Some(entry) = case.get("generator") {
        let empty = schema::zero(&schema::TEMPLATE);
        match generators::transform(entry, "/g", &empty, &cx, None, Level::Top) {
            Ok(t) => {
                let all: Vec<J> = t
                    .into_iter()
                    .next()
                    .map(|t| t.params.iter().map(ParamSet::to_json).collect())
                    .unwrap_or_default();
                Ok(J::Array(all))
            }
            Err(Failure::Error(e)) => Err(e.message),
            Err(Failure::NotExpanded(n)) => Err(format!("not expanded: {}", n.reason)),
        }
    } else if let Some(i) = case.get("interpolate") {
        generators::interpolate(&i["generator"], &params_of(&i["params"]), &cx.render)
    } else if let Some(r) = case.get("render") {
        let template = schema::decode(&schema::TEMPLATE, &r["template"], "", &mut Vec::new())
            .map_err(|e| e.to_string())?;
        let preserve = r
            .pointer("/syncPolicy/preserveResourcesOnDeletion")
            .and_then(J::as_bool)
            .unwrap_or(false);
        let namespace = r.get("namespace").and_then(J::as_str).unwrap_or("");
        driftlens_appset::render_application(
            &template,
            &params_of(&r["params"]),
            preserve,
            namespace,
            r.get("templatePatch").and_then(J::as_str),
            &cx,
            "",
        )
        .map_err(|e| e.message)
    } else if let Some(r) = case.get("replace") {
        let p = params_of(&r["params"]);
        cx.render
            .replace(
                r["text"].as_str().unwrap_or(""),
                &p.values,
                &p.dot(),
                driftlens_appset::render::Options::Spec,
            )
            .map(J::String)
    } else if let Some(appset) = case.get("applicationSet") {
        let g = driftlens_appset::generate(appset, &inputs, &opts);
        if let Some(e) = g.errors.first() {
            Err(e.message.clone())
        } else if let Some(n) = g.not_expanded.first() {
            Err(format!("not expanded: {}", n.reason))
        } else {
            Ok(J::Array(
                g.applications.into_iter().map(|a| a.application).collect(),
            ))
        }
    } else if let Some(a) = case.get("appendValues") {
        let mut p = params_of(&a["params"]);
        generators::append_values(&str_map(a.get("values")), &mut p.values, &cx.render)
            .map(|()| p.to_json())
    } else if let Some(c) = case.get("combine") {
        let a = params_of(&c[0]);
        let b = params_of(&c[1]);
        generators::matrix::combine_string_maps(&a.values, &b.values).map(|m| {
            ParamSet {
                values: m,
                origins: Vec::new(),
            }
            .to_json()
        })
    } else if let Some(n) = case.get("normalize") {
        Ok(J::String(driftlens_appset::names::normalize(
            n.as_str().unwrap_or(""),
        )))
    } else if let Some(s) = case.get("slugify") {
        Ok(J::String(driftlens_appset::names::slugify(
            s["name"].as_str().unwrap_or(""),
            s["maxLength"].as_i64().unwrap_or(50),
            s["smartTruncate"].as_bool().unwrap_or(true),
        )))
    } else if let Some(s) = case.get("selector") {
        let sel = driftlens_appset::selector::parse(s.get("selector"), false)?;
        let labels = str_map(s.get("labels"));
        Ok(J::Bool(sel.is_none_or(|sel| sel.matches(&labels))))
    } else {
        return Err("the case has no operation".into());
    };
    if let Some(want) = case.get("error").and_then(J::as_str) {
        return match outcome {
            Err(e) if e == want => Ok(()),
            Err(e) => Err(format!("error\n  got:  {e}\n  want: {want}")),
            Ok(v) => Err(format!("no error; got {v}")),
        };
    }
    if let Some(want) = case.get("errorContains").and_then(J::as_str) {
        return match outcome {
            Err(e) if e.contains(want) => Ok(()),
            Err(e) => Err(format!("error\n  got:  {e}\n  want it to contain: {want}")),
            Ok(v) => Err(format!("no error; got {v}")),
        };
    }
    let got = outcome.map_err(|e| format!("error: {e}"))?;
    let want = case.get("expect").cloned().unwrap_or(J::Null);
    let ok = if case.get("render").is_some() {
        norm(&got) == norm(&canonical_app(&want))
    } else if case.get("applicationSet").is_some() {
        let want: Vec<J> = want
            .as_array()
            .map(|a| a.iter().map(canonical_app).collect())
            .unwrap_or_default();
        same_list(got.as_array().map_or(&[][..], |v| v), &want, any_order)
    } else if case.get("interpolate").is_some() {
        contains(&got, &want)
    } else if let (J::Array(g), J::Array(w)) = (&got, &want) {
        same_list(g, w, any_order)
    } else {
        norm(&got) == norm(&want)
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "mismatch\n  got:  {}\n  want: {}",
            serde_json::to_string(&got).unwrap_or_default(),
            serde_json::to_string(&want).unwrap_or_default()
        ))
    }
}

#[test]
fn argo_cd_applicationset_tests() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("testdata/appset/cases exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    let (mut total, mut passed) = (0usize, 0usize);
    let mut problems = Vec::new();
    let mut known = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable");
        let doc = driftlens_yaml::parse_value(&text)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let defaults = doc.get("defaults").cloned().unwrap_or(J::Null);
        let fname = file
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        for case in doc["cases"].as_array().expect("a `cases` list") {
            let mut case = case.clone();
            if let (Some(c), Some(d)) = (case.as_object_mut(), defaults.as_object()) {
                for (k, v) in d {
                    c.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
            let name = format!("{fname}: {}", case["name"].as_str().unwrap_or("?"));
            total += 1;
            let result = run(&case);
            let difference = case.get("knownDifference").and_then(J::as_str);
            match (result, difference) {
                (Ok(()), None) => passed += 1,
                (Ok(()), Some(_)) => problems.push(format!(
                    "{name}: passes but is listed as a known difference"
                )),
                (Err(_), Some(reason)) => known.push(format!("{name}: {reason}")),
                (Err(e), None) => problems.push(format!("{name}: {e}")),
            }
        }
    }
    let rate = passed as f64 * 100.0 / total.max(1) as f64;
    println!("{passed} of {total} cases pass ({rate:.1} %); known differences:");
    for k in &known {
        println!("  {k}");
    }
    assert!(
        problems.is_empty(),
        "{} case(s) fail:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(total > 0);
    assert!(rate >= 95.0, "pass rate {rate:.1} % is below 95 %");
}
