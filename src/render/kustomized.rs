//! Kustomize builds in the model: every kustomization of the checkout is built in-process
//! (the [`driftlens_kustomize`] engine) the way Argo CD runs `kustomize build`, and the objects
//! it emits join the model like rendered chart objects, with a source map back to the line of
//! the base, patch or generator that wrote each field.
//!
//! At load time ([`prebuild`]) every kustomization is built once with the default options, to
//! learn which files the kustomizations read: those are never also read as plain manifests,
//! and a file inside a Kustomize directory that no kustomization reads is (nothing is dropped
//! silently). The render stage ([`crate::render::integrate::render_repo`]) then adds the
//! objects: for each Application source that is a Kustomize directory, built with the
//! Application's settings, and for each kustomization that neither an Application nor another
//! kustomization uses (a root), the default build.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use driftlens_kustomize::fs::DiskFs;
use driftlens_kustomize::helm_engine::InProcessHelm;
use driftlens_kustomize::yaml::node::{Data, Node as KNode};
use driftlens_kustomize::{BuildOptions, ErrorKind, HelmRenderer, HelmRequest, Output};
use rayon::prelude::*;

use crate::load::discover::{rel_path, Unit, UnitKind};
use crate::load::source::{read_text, SourceFile, DEFAULT_MAX_FILE_SIZE};
use crate::load::yaml::{parse_stream, Node, NodeValue};
use crate::model::object::{Location, RenderOrigin};
use crate::model::repo::{Problem, Repo};
use driftlens_gotmpl::{Segment, SourceMap};

/// One kustomization of the checkout and its default build.
pub struct KustomizeUnit {
    /// Directory relative to the scan root.
    pub dir: String,
    /// Absolute directory.
    pub abs: PathBuf,
    /// The default build (kustomize's default options).
    pub outcome: Result<Arc<Output>, driftlens_kustomize::Error>,
    /// The files the build read (resolved paths).
    pub files: Vec<PathBuf>,
    /// Chart directories the build inflated (`helmCharts:`).
    pub charts: Vec<PathBuf>,
    /// Whether another kustomization's build reads this one (a base or component).
    pub included: bool,
    /// Whether its output holds Argo CD Applications or ApplicationSets.
    pub declares_apps: bool,
    /// Whether it was built with its defaults into the model.
    pub defaulted: bool,
}

/// The kustomizations of a checkout.
#[derive(Default)]
pub struct Builds {
    /// By directory.
    pub units: Vec<KustomizeUnit>,
}

impl std::fmt::Debug for Builds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.units.iter().map(|u| &u.dir))
            .finish()
    }
}

/// A [`HelmRenderer`] that notes which charts it rendered.
struct Recording {
    inner: InProcessHelm,
    charts: Mutex<Vec<PathBuf>>,
}

impl HelmRenderer for Recording {
    fn render(&self, req: &HelmRequest) -> Result<String, driftlens_kustomize::Error> {
        if let Ok(mut c) = self.charts.lock() {
            c.push(PathBuf::from(&req.chart_dir));
        }
        self.inner.render(req)
    }
}

/// Canonical form of a path, for comparing the engine's paths with the walk's.
fn canon(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Stack of the thread a build runs on: a build recurses once per nested kustomization
/// (up to the engine's depth budget), deeper than a pool thread's default stack allows.
const BUILD_STACK: usize = 64 << 20;

/// One build of the kustomization at `abs` inside the repository `repo_root`, on a thread of
/// its own with a stack for the deepest nesting the engine's budget allows.
pub fn build_dir(
    repo_root: &Path,
    abs: &Path,
    opts: &BuildOptions,
) -> (
    Result<Arc<Output>, driftlens_kustomize::Error>,
    Vec<PathBuf>,
    Vec<PathBuf>,
) {
    std::thread::scope(|s| {
        let t = std::thread::Builder::new()
            .stack_size(BUILD_STACK)
            .spawn_scoped(s, || build_dir_here(repo_root, abs, opts));
        match t.map(|h| h.join()) {
            Ok(Ok(r)) => r,
            Ok(Err(_)) => (
                Err(driftlens_kustomize::Error::new(
                    "the build stopped unexpectedly (an internal error); please report it",
                )),
                Vec::new(),
                Vec::new(),
            ),
            // No thread: build here.
            Err(_) => build_dir_here(repo_root, abs, opts),
        }
    })
}

fn build_dir_here(
    repo_root: &Path,
    abs: &Path,
    opts: &BuildOptions,
) -> (
    Result<Arc<Output>, driftlens_kustomize::Error>,
    Vec<PathBuf>,
    Vec<PathBuf>,
) {
    let fs = match DiskFs::sandboxed(repo_root) {
        Ok(f) => f,
        Err(e) => {
            return (
                Err(driftlens_kustomize::Error::new(format!(
                    "{}: {e}",
                    repo_root.display()
                ))),
                Vec::new(),
                Vec::new(),
            )
        }
    };
    let helm = Recording {
        inner: InProcessHelm {
            root: Some(canon(repo_root)),
        },
        charts: Mutex::new(Vec::new()),
    };
    let dir = canon(abs).to_string_lossy().into_owned();
    let report = driftlens_kustomize::build_report(&fs, &dir, opts, None, Some(&helm));
    let files = report
        .files
        .iter()
        .filter(|f| !f.ends_with(" (helm template)"))
        .map(PathBuf::from)
        .collect();
    let charts = helm.charts.into_inner().unwrap_or_default();
    (report.result.map(Arc::new), files, charts)
}

/// Builds every kustomization of the checkout at `root` with the default options.
pub fn prebuild(root: &Path, units: &[Unit]) -> Builds {
    let dirs: Vec<&Unit> = units
        .iter()
        .filter(|u| u.kind == UnitKind::Kustomize)
        .collect();
    let mut built: Vec<KustomizeUnit> = dirs
        .par_iter()
        .map(|u| {
            let abs = if u.dir == "." {
                root.to_path_buf()
            } else {
                root.join(&u.dir)
            };
            let (outcome, files, charts) = build_dir(root, &abs, &BuildOptions::default());
            let declares_apps = outcome.as_ref().is_ok_and(|o| {
                o.resources.iter().any(|r| {
                    let api = r.node.get_api_version();
                    let kind = r.node.get_kind();
                    crate::model::key::group_of(api) == "argoproj.io"
                        && (kind == "Application" || kind == "ApplicationSet")
                })
            });
            KustomizeUnit {
                dir: u.dir.clone(),
                abs,
                outcome,
                files,
                charts,
                included: false,
                declares_apps,
                defaulted: false,
            }
        })
        .collect();
    // A kustomization whose file another build read is a base or component of it (of a build
    // that succeeded: in a cycle every member fails, and each reports its error).
    let mut read_by_others: HashSet<PathBuf> = HashSet::new();
    for u in built.iter().filter(|u| u.outcome.is_ok()) {
        let own = canon(&u.abs);
        for f in &u.files {
            let parent = f.parent().map(Path::to_path_buf).unwrap_or_default();
            if parent != own && crate::load::discover::is_kustomization_file(f) {
                read_by_others.insert(parent);
            }
        }
    }
    for u in &mut built {
        u.included = read_by_others.contains(&canon(&u.abs));
    }
    Builds { units: built }
}

impl Builds {
    /// Which of `candidates` (files inside Kustomize directories and plain files) are plain
    /// manifests: those no build read, outside a kustomization whose build failed (whose
    /// files are then the kustomization's, reported with its error).
    pub fn plain_files(&self, candidates: Vec<PathBuf>, in_kustomization: bool) -> Vec<PathBuf> {
        let read: HashSet<&PathBuf> = self.units.iter().flat_map(|u| &u.files).collect();
        let failed: Vec<PathBuf> = self
            .units
            .iter()
            .filter(|u| u.outcome.is_err())
            .map(|u| canon(&u.abs))
            .collect();
        let dirs: Vec<PathBuf> = self.units.iter().map(|u| canon(&u.abs)).collect();
        candidates
            .into_iter()
            .filter(|f| {
                let c = canon(f);
                if read.contains(&c) {
                    return false;
                }
                if !in_kustomization {
                    return true;
                }
                // The nearest kustomization above the file.
                let nearest = dirs
                    .iter()
                    .filter(|d| c.starts_with(d))
                    .max_by_key(|d| d.components().count());
                !nearest.is_some_and(|n| failed.contains(n))
            })
            .collect()
    }
}

/// Where a build read its files: model paths relative to the scan root.
pub struct Paths {
    /// The scan root, resolved.
    pub root: PathBuf,
    /// Other repositories (mapped checkouts): (resolved root, model prefix).
    pub mapped: Vec<(PathBuf, String)>,
    /// Files already turned into model paths.
    cache: HashMap<String, Option<Arc<str>>>,
}

impl Paths {
    /// For the scan root `root`.
    pub fn new(root: &Path, mapped: Vec<(PathBuf, String)>) -> Self {
        Paths {
            root: canon(root),
            mapped: mapped.into_iter().map(|(p, m)| (canon(&p), m)).collect(),
            cache: HashMap::new(),
        }
    }

    /// The model path of an engine path (`None` for a chart's rendered text or a file outside
    /// every repository).
    pub fn model(&mut self, engine_path: &str) -> Option<Arc<str>> {
        if let Some(p) = self.cache.get(engine_path) {
            return p.clone();
        }
        let p = Path::new(engine_path);
        let found = if engine_path.ends_with(" (helm template)") {
            None
        } else if let Ok(rel) = p.strip_prefix(&self.root) {
            Some(rel_path(&self.root, &self.root.join(rel)))
        } else {
            self.mapped.iter().find_map(|(abs, prefix)| {
                let rel = p.strip_prefix(abs).ok()?;
                let r = rel_path(abs, &abs.join(rel));
                Some(if prefix == "." {
                    r
                } else if r == "." {
                    prefix.clone()
                } else {
                    format!("{prefix}/{r}")
                })
            })
        };
        let found: Option<Arc<str>> = found.map(Arc::from);
        self.cache.insert(engine_path.to_string(), found.clone());
        found
    }
}

fn segment(out: usize, file: Arc<str>, line: u32, col: u32) -> Segment {
    Segment {
        out,
        file,
        line: line as usize,
        col: col as usize,
        literal: false,
        values_path: None,
        pad: 0,
        via: None,
    }
}

/// Appends the source map of `app` (the parsed output document) to `out`: each node maps to
/// where the engine node at the same place was written (its parent's place when the engine
/// made it).
fn map_node(
    app: &Node,
    eng: &KNode,
    inherited: Option<(Arc<str>, u32, u32)>,
    files: &[Option<Arc<str>>],
    out: &mut Vec<Segment>,
    depth: usize,
) {
    let own = (eng.loc.file != 0 && eng.loc.line > 0)
        .then(|| files.get(eng.loc.file as usize).cloned().flatten())
        .flatten()
        .map(|f| (f, eng.loc.line, eng.loc.col.max(1)));
    let here = own.or(inherited);
    if let Some((file, line, col)) = &here {
        out.push(segment(app.span.start.offset, file.clone(), *line, *col));
    }
    if depth > 256 {
        return;
    }
    match (&app.value, &eng.data) {
        (NodeValue::Map(entries), Data::Map(pairs)) => {
            let index: HashMap<&str, usize> = pairs
                .iter()
                .enumerate()
                .filter_map(|(i, p)| match &p.key.data {
                    Data::Scalar(s) => Some((s.as_str(), i)),
                    _ => None,
                })
                .collect();
            for e in entries {
                if let Some(&i) = index.get(e.key.as_str()) {
                    // The key too (findings on a field point at its key, and an absent field
                    // at its parent's key): where a scalar's value was set, else the key.
                    let value = &pairs[i].value;
                    let key = if matches!(value.data, Data::Scalar(_)) && value.loc.file != 0 {
                        value
                    } else {
                        &pairs[i].key
                    };
                    let at = (key.loc.file != 0 && key.loc.line > 0)
                        .then(|| files.get(key.loc.file as usize).cloned().flatten())
                        .flatten()
                        .map(|f| (f, key.loc.line, key.loc.col.max(1)))
                        .or_else(|| here.clone());
                    if let Some((file, line, col)) = at {
                        out.push(segment(e.key_span.start.offset, file, line, col));
                    }
                    map_node(
                        &e.value,
                        &pairs[i].value,
                        here.clone(),
                        files,
                        out,
                        depth + 1,
                    );
                }
            }
        }
        (NodeValue::Seq(items), Data::Seq(nodes)) => {
            for (a, k) in items.iter().zip(nodes) {
                map_node(a, k, here.clone(), files, out, depth + 1);
            }
        }
        _ => {}
    }
}

/// For whom a kustomization is built: an Application's source, or nobody (defaults).
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// Index into `Repo::apps`.
    pub app: usize,
    /// Index of the source.
    pub source: usize,
}

/// Adds the objects of a build of the kustomization at model directory `dir` to `repo`.
/// The files that feed a generated Secret (a literal's kustomization, an env file) join
/// `values_files`: reports never quote them.
pub fn integrate(
    repo: &mut Repo,
    dir: &str,
    output: &Output,
    target: Option<Target>,
    paths: &mut Paths,
) -> Result<(), String> {
    let files: Vec<Option<Arc<str>>> = output.files.iter().map(|f| paths.model(f)).collect();
    // The files of the build, for snippets and masking (binary or huge ones are skipped).
    let mut templates: BTreeMap<String, Arc<SourceFile>> = BTreeMap::new();
    for (engine, model) in output.files.iter().zip(&files) {
        let Some(model) = model else { continue };
        if let Some(f) = repo.file(model) {
            templates.insert(model.to_string(), f.clone());
            continue;
        }
        if let Ok(text) = read_text(Path::new(engine), DEFAULT_MAX_FILE_SIZE) {
            templates.insert(
                model.to_string(),
                Arc::new(SourceFile {
                    path: model.to_string(),
                    abs: PathBuf::from(engine),
                    text: text.into(),
                }),
            );
        }
    }
    let line_starts: BTreeMap<String, Vec<usize>> = templates
        .iter()
        .map(|(p, f)| (p.clone(), crate::model::object::line_starts(&f.text)))
        .collect();
    let templates = Arc::new(templates);
    let line_starts = Arc::new(line_starts);
    let kustomization = kustomization_path(dir, &templates);
    let mut secret_sources: Vec<String> = Vec::new();
    for (i, r) in output.resources.iter().enumerate() {
        let v = driftlens_kustomize::yaml::value::decode_resource(&r.node).map_err(|e| {
            format!(
                "{} {}: map[string]interface {{}}(nil): {}",
                r.node.get_kind(),
                r.node.get_name(),
                e.0
            )
        })?;
        let text = driftlens_kustomize::yaml::emit::to_yaml(&v);
        let (docs, _) = parse_stream(&text);
        let Some(node) = docs.into_iter().next().and_then(|d| d.root) else {
            continue;
        };
        let mut segments = Vec::new();
        map_node(&node, &r.node, None, &files, &mut segments, 0);
        // Where a mapping and its first key start together, the key (pushed later) wins.
        segments.sort_by_key(|s| s.out);
        segments.reverse();
        segments.dedup_by_key(|s| s.out);
        segments.reverse();
        let primary = files
            .get(r.provenance.file as usize)
            .cloned()
            .flatten()
            .map_or_else(|| kustomization.clone(), |f| f.to_string());
        if r.node.get_kind() == "Secret" {
            for field in ["data", "stringData"] {
                if let Some(value) = r.node.field(field) {
                    collect_files(value, &files, &mut secret_sources, 0);
                }
            }
        }
        let origin = Arc::new(RenderOrigin {
            chart_dir: dir.to_string(),
            chart_name: String::new(),
            app: target.map(|t| t.app),
            source: target.map_or(0, |t| t.source),
            doc: driftlens_helm::RenderedDoc {
                source: primary.clone(),
                text: text.clone(),
                source_map: SourceMap { segments },
                is_hook: false,
                kind: r.node.get_kind().to_string(),
            },
            templates: templates.clone(),
            line_starts: line_starts.clone(),
            values: Arc::default(),
            chart_dirs: Arc::default(),
            external: None,
            kustomize: true,
        });
        let file = Arc::new(SourceFile {
            path: primary.clone(),
            abs: repo.root.join(&primary),
            text: text.into(),
        });
        repo.add_rendered(&file, i, node, origin);
    }
    for f in templates.values() {
        // Generator sources of Secrets are never quoted (see below); other files are, masked.
        if !secret_sources.contains(&f.path) && is_yaml_name(&f.path) {
            repo.add_file(f.clone());
        }
    }
    repo.values_files.extend(secret_sources);
    repo.values_files.sort();
    repo.values_files.dedup();
    Ok(())
}

fn is_yaml_name(path: &str) -> bool {
    crate::load::discover::is_manifest_name(path)
        || crate::load::discover::is_kustomization_file(Path::new(path))
}

/// The model path of the kustomization file of `dir` (at `abs` on disk).
pub fn kustomization_file_of(dir: &str, abs: &Path) -> String {
    let name = crate::load::discover::KUSTOMIZATION_FILES
        .into_iter()
        .find(|n| abs.join(n).is_file())
        .unwrap_or("kustomization.yaml");
    if dir == "." {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// The model path of the kustomization file of `dir` among the files of its build.
fn kustomization_path(dir: &str, files: &BTreeMap<String, Arc<SourceFile>>) -> String {
    for name in crate::load::discover::KUSTOMIZATION_FILES {
        let p = if dir == "." {
            name.to_string()
        } else {
            format!("{dir}/{name}")
        };
        if files.contains_key(&p) {
            return p;
        }
    }
    if dir == "." {
        "kustomization.yaml".to_string()
    } else {
        format!("{dir}/kustomization.yaml")
    }
}

/// The model paths of the files the nodes under `n` were written in.
fn collect_files(n: &KNode, files: &[Option<Arc<str>>], out: &mut Vec<String>, depth: usize) {
    if let Some(Some(f)) = files.get(n.loc.file as usize).filter(|_| n.loc.file != 0) {
        if !out.iter().any(|o| o.as_str() == &**f) {
            out.push(f.to_string());
        }
    }
    if depth > 256 {
        return;
    }
    match &n.data {
        Data::Map(pairs) => {
            for p in pairs {
                collect_files(&p.value, files, out, depth + 1);
            }
        }
        Data::Seq(items) => {
            for i in items {
                collect_files(i, files, out, depth + 1);
            }
        }
        Data::Scalar(_) => {}
    }
}

/// A build that failed, as a problem at the line to fix (the kustomization entry or file at
/// fault, else the kustomization file).
pub fn error_problem(
    dir: &str,
    abs: &Path,
    e: &driftlens_kustomize::Error,
    paths: &mut Paths,
) -> Problem {
    let mut location =
        e.at.as_ref()
            .and_then(|at| {
                let p = paths.model(&at.path)?;
                let mut l = Location::file_start(&p);
                l.line = at.line.max(1);
                l.end_line = l.line;
                Some(l)
            })
            .unwrap_or_else(|| Location::file_start(&kustomization_file_of(dir, abs)));
    if location.path.is_empty() {
        location = Location::file_start(dir);
    }
    let what = match e.kind {
        ErrorKind::Build => "the kustomization does not build",
        ErrorKind::NotAnalysed => "the kustomization is not built",
        ErrorKind::Budget => "the kustomization is not built (a budget is exceeded)",
    };
    // kustomize names files by absolute path: name them from the scan root instead.
    let message = e.message.replace(&format!("{}/", paths.root.display()), "");
    Problem {
        location,
        message: format!("{what}: {message}"),
    }
}

/// What the render stage keeps across its rounds.
pub struct Rounds {
    /// (Application, source) pairs built.
    done: HashSet<(usize, usize)>,
    /// Model paths.
    paths: Paths,
    /// Kustomization directories built (with their defaults, for an Application, or as a
    /// base of one of those).
    pub built_dirs: Vec<String>,
    /// Chart directories a kustomization inflated (not rendered again with their defaults).
    pub inflated_charts: Vec<PathBuf>,
    /// The cluster's Kubernetes version, when known (for `--enable-helm` builds).
    pub kube_version: Option<String>,
}

impl Rounds {
    /// For the repository `repo`, whose other checkouts are `mapped` (root, model prefix).
    pub fn new(
        repo: &Repo,
        mapped: Vec<(PathBuf, String)>,
        kube_version: Option<String>,
    ) -> Rounds {
        Rounds {
            kube_version,
            done: HashSet::new(),
            paths: Paths::new(&repo.root, mapped),
            built_dirs: Vec::new(),
            inflated_charts: repo
                .kustomize_builds
                .units
                .iter()
                .filter(|u| u.outcome.is_ok())
                .flat_map(|u| u.charts.iter().cloned())
                .collect(),
        }
    }
}

/// The options of a build Argo CD runs (argocd-cm `kustomize.buildOptions`, split on
/// whitespace as Argo CD splits it); `None` for kustomize's defaults. Flags that change no
/// output (`--enable-alpha-plugins`, `--helm-command …`) are accepted; an unknown one is an
/// error naming it.
pub fn build_options(repo: &Repo) -> Result<Option<BuildOptions>, String> {
    parse_build_options(&repo.settings.kustomize_build_options)
}

/// [`build_options`] of an options string.
pub fn parse_build_options(text: &str) -> Result<Option<BuildOptions>, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.is_empty() {
        return Ok(None);
    }
    let mut o = BuildOptions::default();
    let mut i = 0;
    while i < words.len() {
        let (flag, inline) = match words[i].split_once('=') {
            Some((f, v)) => (f, Some(v.to_string())),
            None => (words[i], None),
        };
        let mut value = || -> Result<String, String> {
            if let Some(v) = &inline {
                return Ok(v.clone());
            }
            i += 1;
            words
                .get(i)
                .map(|s| s.to_string())
                .ok_or_else(|| format!("kustomize.buildOptions: {flag} needs a value"))
        };
        match flag {
            "--enable-helm" => o.enable_helm = inline.as_deref() != Some("false"),
            "--load-restrictor" | "--load_restrictor" => {
                o.load_restrictor = match value()?.as_str() {
                    "LoadRestrictionsRootOnly" => driftlens_kustomize::LoadRestrictor::RootOnly,
                    "LoadRestrictionsNone" => driftlens_kustomize::LoadRestrictor::None,
                    other => {
                        return Err(format!(
                            "kustomize.buildOptions: illegal flag value --load-restrictor \
                             {other}; legal values: [LoadRestrictionsNone \
                             LoadRestrictionsRootOnly]"
                        ))
                    }
                }
            }
            "--reorder" => {
                o.reorder = match value()?.as_str() {
                    "legacy" => driftlens_kustomize::Reorder::Legacy,
                    "none" => driftlens_kustomize::Reorder::None,
                    other => {
                        return Err(format!(
                            "kustomize.buildOptions: illegal flag value --reorder {other}; \
                             legal values: [legacy none]"
                        ))
                    }
                }
            }
            "--enable-managedby-label" => o.managed_by_label = true,
            "--helm-kube-version" => o.helm_kube_version = value()?,
            "--helm-api-versions" => o
                .helm_api_versions
                .extend(value()?.split(',').map(str::to_string)),
            "--helm-command" => {
                value()?;
            }
            "--enable-alpha-plugins" | "--enable-exec" | "--helm-debug" => {}
            other => {
                return Err(format!(
                    "kustomize.buildOptions: unknown flag {other} (driftlens knows \
                     --enable-helm, --load-restrictor, --reorder, --enable-managedby-label, \
                     --helm-kube-version, --helm-api-versions)"
                ))
            }
        }
        i += 1;
    }
    Ok(Some(o))
}

/// Go's `os.Expand` over the Argo CD build environment: `$NAME` and `${NAME}`; unknown
/// names expand to nothing.
fn envsubst(text: &str, env: &BTreeMap<&str, String>) -> String {
    let mut out = String::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'$' || i + 1 >= b.len() {
            let ch = text[i..].chars().next().unwrap_or('$');
            out.push(ch);
            i += ch.len_utf8();
            continue;
        }
        let rest = &text[i + 1..];
        let (name, used) = if let Some(inner) = rest.strip_prefix('{') {
            match inner.find('}') {
                Some(end) => (&inner[..end], end + 2),
                None => ("", rest.len()),
            }
        } else if rest.starts_with(|c: char| "*#$@!?-0123456789".contains(c)) {
            (&rest[..1], 1)
        } else {
            let n = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            if n == 0 {
                out.push('$');
                i += 1;
                continue;
            }
            (&rest[..n], n)
        };
        if let Some(v) = env.get(name) {
            out.push_str(v);
        }
        i += 1 + used;
    }
    out
}

/// Notes the kustomization directories a build read (the built one and its bases).
fn note_built(repo: &Repo, rounds: &mut Rounds, dir: &str, files: &[PathBuf]) {
    rounds.built_dirs.push(dir.to_string());
    for f in files {
        if !crate::load::discover::is_kustomization_file(f) {
            continue;
        }
        let Some(parent) = f.parent() else { continue };
        if let Some(p) = rounds.paths.model(&parent.to_string_lossy()) {
            if repo.units.iter().any(|u| *u.dir == *p) {
                rounds.built_dirs.push(p.to_string());
            }
        }
    }
}

/// Builds, for every Application source that is a Kustomize directory and was not built yet,
/// the kustomization with the Application's settings, and adds its objects. Returns how many
/// builds were run.
pub fn build_for_apps(repo: &mut Repo, rounds: &mut Rounds) -> usize {
    use crate::sources::{Place, SourceKind, SourceStatus};
    let mut jobs: Vec<(usize, usize, String, PathBuf, PathBuf)> = Vec::new();
    for (ai, srcs) in repo.app_sources.iter().enumerate() {
        for info in &srcs.sources {
            if info.kind != SourceKind::Kustomize
                || info.status != SourceStatus::Analysed
                || rounds.done.contains(&(ai, info.index))
            {
                continue;
            }
            let (abs, root) = match &info.place {
                Some(Place::Checkout { path }) => (
                    if path == "." {
                        repo.root.clone()
                    } else {
                        repo.root.join(path)
                    },
                    repo.root.clone(),
                ),
                Some(Place::Mapped { root_abs, path, .. }) => (
                    if path == "." {
                        root_abs.clone()
                    } else {
                        root_abs.join(path)
                    },
                    root_abs.clone(),
                ),
                _ => continue,
            };
            let dir = info
                .place
                .as_ref()
                .map(Place::dir)
                .unwrap_or(".")
                .to_string();
            jobs.push((ai, info.index, dir, abs, root));
        }
    }
    let n = jobs.len();
    for (ai, si, dir, abs, root) in jobs {
        rounds.done.insert((ai, si));
        let mut opts = match build_options(repo) {
            Ok(o) => o.unwrap_or_default(),
            Err(why) => {
                let location = repo
                    .settings_manifest
                    .map(|m| repo.manifest(m).locate("/data/kustomize.buildOptions"))
                    .unwrap_or_else(|| Location::file_start(&dir));
                record_app_failure_at(repo, ai, si, why, location);
                continue;
            }
        };
        match app_edits(repo, ai, si, &abs) {
            Ok(edits) => opts.edits = edits,
            Err(EditError::NotAnalysed(why)) => {
                repo.app_sources[ai].sources[si].not_analysed(why, Vec::new());
                continue;
            }
            Err(EditError::Fails(why)) => {
                let location = app_kustomize_location(repo, ai, si);
                record_app_failure_at(repo, ai, si, why, location);
                continue;
            }
        }
        // With `--enable-helm`, Argo CD passes the Kubernetes version and API versions.
        if opts.enable_helm {
            let k = repo.apps[ai]
                .value
                .spec
                .all_sources()
                .get(si)
                .and_then(|s| s.kustomize.clone());
            let kv = k
                .as_ref()
                .and_then(|k| k.get("kubeVersion"))
                .and_then(serde_json::Value::as_str)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .or_else(|| rounds.kube_version.clone());
            if let Some(kv) = kv {
                opts.helm_kube_version = kv;
            }
            if let Some(list) = k
                .as_ref()
                .and_then(|k| k.get("apiVersions"))
                .and_then(serde_json::Value::as_array)
            {
                opts.helm_api_versions = list
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect();
            }
        }
        let (outcome, files, charts) = build_dir(&root, &abs, &opts);
        rounds.inflated_charts.extend(charts);
        let target = Target {
            app: ai,
            source: si,
        };
        let result = outcome.and_then(|out| {
            integrate(repo, &dir, &out, Some(target), &mut rounds.paths)
                .map_err(driftlens_kustomize::Error::new)
        });
        match result {
            Ok(()) => note_built(repo, rounds, &dir, &files),
            Err(e) => record_app_failure(repo, rounds, ai, si, &dir, &abs, e),
        }
    }
    n
}

/// Where an Application's Kustomize settings are (`spec.source.kustomize`).
fn app_kustomize_location(repo: &Repo, ai: usize, si: usize) -> Location {
    let m = repo.manifest(repo.apps[ai].manifest);
    let pointer = match repo.app_sources.get(ai).and_then(|a| a.sources.get(si)) {
        Some(s) => format!("{}/kustomize", s.pointer),
        None => "/spec/source/kustomize".to_string(),
    };
    m.locate(&pointer)
}

/// A source that fails for a reason found at `location`: a problem there, and the source
/// failed.
fn record_app_failure_at(repo: &mut Repo, ai: usize, si: usize, why: String, location: Location) {
    let at = format!("{}:{}", location.path, location.line);
    let problem = Problem {
        location,
        message: format!("the kustomization is not built: {why}"),
    };
    if let Some(info) = repo.app_sources[ai].sources.get_mut(si) {
        info.failed(format!(
            "the kustomization does not build ({at}: see invalid-manifest)"
        ));
    }
    repo.problems.push(problem);
}

fn record_app_failure(
    repo: &mut Repo,
    rounds: &mut Rounds,
    ai: usize,
    si: usize,
    dir: &str,
    abs: &Path,
    e: driftlens_kustomize::Error,
) {
    let Some(info) = repo.app_sources[ai].sources.get_mut(si) else {
        return;
    };
    if e.kind == ErrorKind::NotAnalysed {
        info.not_analysed(
            format!("the kustomization is not built: {}", e.message),
            Vec::new(),
        );
        return;
    }
    let problem = error_problem(dir, abs, &e, &mut rounds.paths);
    info.failed(format!(
        "the kustomization does not build ({}:{}: see invalid-manifest)",
        problem.location.path, problem.location.line
    ));
    push_problem(repo, problem);
}

/// Records a build problem once, with its file (for the snippet) when it is a YAML file of
/// the checkout.
fn push_problem(repo: &mut Repo, mut problem: Problem) {
    let path = problem.location.path.clone();
    if repo.file(&path).is_none() && is_yaml_name(&path) {
        let abs = repo.root.join(&path);
        // A kustomization that generates Secrets is never quoted (its literals are values).
        let quotable = |t: &str| !t.to_ascii_lowercase().contains("secretgenerator");
        if let Some(text) = read_text(&abs, DEFAULT_MAX_FILE_SIZE)
            .ok()
            .filter(|t| quotable(t))
        {
            repo.add_file(Arc::new(SourceFile {
                path: path.clone(),
                abs,
                text: text.into(),
            }));
        }
    }
    // The span of the whole line, for snippets.
    if let Some(f) = repo.file(&path) {
        let starts = crate::model::object::line_starts(&f.text);
        let l = &mut problem.location;
        if let Some(&start) = starts.get(l.line.max(1) as usize - 1) {
            let end = starts
                .get(l.line as usize)
                .map_or(f.text.len(), |e| e.saturating_sub(1));
            l.offset = start;
            l.len = end.saturating_sub(start);
            l.col = 1;
            l.end_col = 1 + l.len as u32;
        }
    }
    if !repo.problems.contains(&problem) {
        repo.problems.push(problem);
    }
}

/// Adds the default builds of kustomizations that no Application and no other kustomization
/// uses: one that emits Applications first, alone (the Applications may claim others), else
/// all the rest. Returns whether anything was added.
pub fn build_defaults(repo: &mut Repo, rounds: &mut Rounds) -> bool {
    use crate::sources::{Place, SourceKind};
    let named: HashSet<String> = repo
        .app_sources
        .iter()
        .flat_map(|a| &a.sources)
        .filter(|s| s.kind == SourceKind::Kustomize)
        .filter_map(|s| match &s.place {
            Some(Place::Checkout { path }) => Some(path.clone()),
            _ => None,
        })
        .collect();
    let candidates: Vec<usize> = repo
        .kustomize_builds
        .units
        .iter()
        .enumerate()
        .filter(|(_, u)| !u.included && !u.defaulted && !named.contains(&u.dir))
        .map(|(i, _)| i)
        .collect();
    let next: Vec<usize> = match candidates
        .iter()
        .copied()
        .find(|&i| repo.kustomize_builds.units[i].declares_apps)
    {
        Some(i) => vec![i],
        None => candidates,
    };
    if next.is_empty() {
        return false;
    }
    // Bad options fail every build that uses them (reported with the Applications).
    let opts = build_options(repo).unwrap_or(None);
    for i in next {
        let builds = std::mem::take(&mut repo.kustomize_builds);
        let u = &builds.units[i];
        let (dir, abs) = (u.dir.clone(), u.abs.clone());
        let (outcome, files) = match &opts {
            None => (u.outcome.clone(), u.files.clone()),
            Some(opts) => {
                let (o, f, c) = build_dir(&repo.root, &abs, opts);
                rounds.inflated_charts.extend(c);
                (o, f)
            }
        };
        repo.kustomize_builds = builds;
        repo.kustomize_builds.units[i].defaulted = true;
        let result = outcome.and_then(|out| {
            integrate(repo, &dir, &out, None, &mut rounds.paths)
                .map_err(driftlens_kustomize::Error::new)
        });
        match result {
            Ok(()) => note_built(repo, rounds, &dir, &files),
            Err(e) => {
                if e.kind == ErrorKind::NotAnalysed {
                    repo.unit_failures.push(crate::model::repo::UnitFailure {
                        dir: dir.clone(),
                        reason: format!("the kustomization is not built: {}", e.message),
                        fixes: Vec::new(),
                    });
                } else {
                    let problem = error_problem(&dir, &abs, &e, &mut rounds.paths);
                    push_problem(repo, problem);
                }
            }
        }
    }
    true
}

/// Why an Application's Kustomize settings cannot be applied.
pub enum EditError {
    /// Argo CD would fail too (the build error it reports).
    Fails(String),
    /// driftlens cannot know the result offline.
    NotAnalysed(String),
}

/// Component paths of `spec.source.kustomize.components`, glob-expanded relative to the app
/// directory as `kustomize edit add component` does (with `ignoreMissingComponents`, paths
/// that do not exist are dropped first).
fn expand_components(app_dir: &Path, paths: &[String], ignore_missing: bool) -> Vec<String> {
    let mut out = Vec::new();
    for p in paths {
        if !p.contains(['*', '?', '[']) {
            if !ignore_missing || app_dir.join(p).exists() {
                out.push(p.clone());
            }
            continue;
        }
        // A glob in the last segment.
        let (dir, pat) = p.rsplit_once('/').unwrap_or((".", p.as_str()));
        let mut found: Vec<String> = std::fs::read_dir(app_dir.join(dir))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .filter(|n| crate::glob::glob_match(pat, n))
            .map(|n| if dir == "." { n } else { format!("{dir}/{n}") })
            .collect();
        found.sort();
        if found.is_empty() && !ignore_missing {
            out.push(p.clone());
        }
        out.extend(found);
    }
    out
}

/// The `kustomize edit` commands Argo CD runs for the Application at `ai`, source `si`
/// (`spec.source.kustomize`), with its build environment for `$ARGOCD_APP_*`.
pub fn app_edits(
    repo: &Repo,
    ai: usize,
    si: usize,
    app_dir: &Path,
) -> Result<Option<driftlens_kustomize::edit::Edits>, EditError> {
    use serde_json::Value;
    let app = &repo.apps[ai].value;
    let Some(src) = app.spec.all_sources().get(si).copied() else {
        return Ok(None);
    };
    let Some(k) = src.kustomize.as_ref().and_then(Value::as_object) else {
        return Ok(None);
    };
    let str_of = |key: &str| k.get(key).and_then(Value::as_str).unwrap_or("").to_string();
    let bool_of = |key: &str| k.get(key).and_then(Value::as_bool).unwrap_or(false);
    let mut env: BTreeMap<&str, String> = BTreeMap::new();
    env.insert("ARGOCD_APP_NAME", app.metadata.name.clone());
    env.insert(
        "ARGOCD_APP_NAMESPACE",
        app.spec.destination.namespace.clone(),
    );
    env.insert("ARGOCD_APP_PROJECT_NAME", app.spec.project.clone());
    env.insert("ARGOCD_APP_SOURCE_REPO_URL", src.repo_url.clone());
    env.insert(
        "ARGOCD_APP_SOURCE_PATH",
        src.path.clone().unwrap_or_default(),
    );
    env.insert(
        "ARGOCD_APP_SOURCE_TARGET_REVISION",
        src.target_revision.clone(),
    );
    let uses_revision = |s: &str| s.contains("ARGOCD_APP_REVISION");
    let subst = |s: &str| -> Result<String, EditError> {
        if uses_revision(s) {
            return Err(EditError::NotAnalysed(format!(
                "`{s}` uses the revision Argo CD resolves at sync time \
                 ($ARGOCD_APP_REVISION), which is not known offline"
            )));
        }
        Ok(envsubst(s, &env))
    };
    let mut e = driftlens_kustomize::edit::Edits {
        name_prefix: Some(str_of("namePrefix")).filter(|s| !s.is_empty()),
        name_suffix: Some(str_of("nameSuffix")).filter(|s| !s.is_empty()),
        namespace: Some(str_of("namespace")).filter(|s| !s.is_empty()),
        force_labels: bool_of("forceCommonLabels"),
        force_annotations: bool_of("forceCommonAnnotations"),
        without_selector: bool_of("labelWithoutSelector"),
        include_templates: bool_of("labelIncludeTemplates"),
        ..Default::default()
    };
    for img in k
        .get("images")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(s) = img.as_str() {
            e.images.push(subst(s)?);
        }
    }
    for r in k
        .get("replicas")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = r.get("name").and_then(Value::as_str).unwrap_or("");
        let count = match r.get("count") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        e.replicas.push(format!("{name}={count}"));
    }
    let map_of = |key: &str| -> Vec<(String, String)> {
        k.get(key)
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(a, b)| (a.clone(), b.as_str().unwrap_or("").to_string()))
                    .collect()
            })
            .unwrap_or_default()
    };
    for (key, value) in map_of("commonLabels") {
        e.labels.push((key, subst(&value)?));
    }
    let annotations_subst = bool_of("commonAnnotationsEnvsubst");
    for (key, value) in map_of("commonAnnotations") {
        let value = if annotations_subst {
            subst(&value)?
        } else {
            value
        };
        e.annotations.push((key, value));
    }
    if e.include_templates && !e.without_selector && !e.labels.is_empty() {
        return Err(EditError::Fails(
            "--without-selector flag must be specified for --include-templates to work".into(),
        ));
    }
    for p in k
        .get("patches")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let s = |v: Option<&Value>, key: &str| {
            v.and_then(|v| v.get(key))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let target = p.get("target").filter(|t| t.is_object()).map(|t| {
            driftlens_kustomize::types::Selector {
                gvk: driftlens_kustomize::types::Gvk {
                    group: s(Some(t), "group"),
                    version: s(Some(t), "version"),
                    kind: s(Some(t), "kind"),
                },
                name: s(Some(t), "name"),
                namespace: s(Some(t), "namespace"),
                annotation_selector: s(Some(t), "annotationSelector"),
                label_selector: s(Some(t), "labelSelector"),
            }
        });
        let options = p.get("options").and_then(Value::as_object).map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_bool().unwrap_or(false)))
                .collect::<BTreeMap<String, bool>>()
        });
        e.patches.push(driftlens_kustomize::types::Patch {
            path: s(Some(p), "path"),
            patch: s(Some(p), "patch"),
            target,
            options,
        });
    }
    let components: Vec<String> = k
        .get("components")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.as_str().map(str::to_string))
        .collect();
    e.components = expand_components(app_dir, &components, bool_of("ignoreMissingComponents"));
    Ok(Some(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, path: &str, text: &str) {
        let f = root.join(path);
        std::fs::create_dir_all(f.parent().expect("parent")).expect("mkdir");
        std::fs::write(f, text).expect("write");
    }

    #[test]
    fn fields_point_at_the_base_line_or_at_the_line_that_set_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        write(
            root,
            "base/kustomization.yaml",
            "resources:\n- deploy.yaml\n",
        );
        write(
            root,
            "base/deploy.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  \
             replicas: 1\n  template:\n    spec:\n      containers:\n      - name: web\n        \
             image: nginx\n",
        );
        write(
            root,
            "prod/kustomization.yaml",
            "namePrefix: prod-\nresources:\n- ../base\npatches:\n- path: p.yaml\n",
        );
        write(
            root,
            "prod/p.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n",
        );
        let (out, files, _) = build_dir(root, &root.join("prod"), &BuildOptions::default());
        let out = out.expect("builds");
        assert_eq!(files.len(), 4, "{files:?}");
        let mut repo = Repo {
            root: root.to_path_buf(),
            ..Default::default()
        };
        let mut paths = Paths::new(root, vec![]);
        integrate(&mut repo, "prod", &out, None, &mut paths).expect("integrates");
        let m = &repo.manifests[0];
        assert_eq!(m.key.name, "prod-web");
        let at = |pointer: &str| {
            let l = m.locate(pointer);
            (l.path, l.line)
        };
        // The patch set the replicas, the prefix transformer the name; the image is the base's.
        assert_eq!(at("/spec/replicas"), ("prod/p.yaml".to_string(), 6));
        assert_eq!(
            at("/metadata/name"),
            ("prod/kustomization.yaml".to_string(), 1)
        );
        assert_eq!(
            at("/spec/template/spec/containers/0/image"),
            ("base/deploy.yaml".to_string(), 11)
        );
        // An absent field is located at its parent's key in the base.
        assert_eq!(
            at("/spec/template/spec/serviceAccountName"),
            ("base/deploy.yaml".to_string(), 8)
        );
        assert!(repo.file("base/deploy.yaml").is_some());
    }

    #[test]
    fn build_options_and_envsubst_follow_argo_cd() {
        let o = parse_build_options("--enable-helm  --load-restrictor LoadRestrictionsNone")
            .expect("parses")
            .expect("set");
        assert!(o.enable_helm);
        assert_eq!(o.load_restrictor, driftlens_kustomize::LoadRestrictor::None);
        assert!(parse_build_options("").expect("parses").is_none());
        let err = parse_build_options("--load-restrictor=Nope").expect_err("refused");
        assert!(err.contains("illegal flag value"), "{err}");
        assert!(parse_build_options("--frobnicate").is_err());
        let env: BTreeMap<&str, String> = [("ARGOCD_APP_NAME", "shop".to_string())].into();
        assert_eq!(
            envsubst("a-$ARGOCD_APP_NAME-${ARGOCD_APP_NAME}-$UNKNOWN-$", &env),
            "a-shop-shop--$"
        );
    }
}
