//! ApplicationSets expanded into the Applications the ApplicationSet controller would write
//! (the `driftlens-appset` engine), so that generated Applications are Applications of the
//! checkout like any other: their sources are resolved and rendered, and drift, health, sync
//! windows, rules, `sources`, `apps`, `diff` and `app` see them.
//!
//! The engine reads through two interfaces this module provides: the files of a repository
//! (this checkout, or a checkout mapped with `--repo URL=PATH`, walked as Git would list them)
//! and the cluster Secrets of the Argo CD namespace (from the checkout and the dumps; only
//! `name`, `server` and `project` are decoded, never a credential).
//!
//! A generated Application's manifest points into its ApplicationSet: every field at the line
//! of the template field it was rendered from (the generator's template override first, then
//! `spec.template`), so findings land on the template line, with the generator element (list
//! element, file, cluster Secret) as a related location. A generation error is a problem at
//! the generator (the controller then changes none of the set's Applications: driftlens adds
//! none of them either); generators that need a network or a cluster service are recorded as
//! not expanded, with the reason.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use driftlens_appset as engine;
use engine::{ClusterSecret, Inputs, Origin, RepoError, Repository};
use serde_json::Value as J;

use crate::load::root::CheckoutRoot;
use crate::load::yaml::{Entry, Node, NodeValue, Span};
use crate::model::cluster::Cluster;
use crate::model::key::ObjectKey;
use crate::model::object::{Location, Manifest};
use crate::model::repo::{Problem, Repo};
use crate::sources::Resolver;

/// Where a generated Application comes from.
#[derive(Debug, Clone)]
pub struct GeneratedFrom {
    /// The ApplicationSet's manifest.
    pub appset: usize,
    /// The ApplicationSet's name.
    pub appset_name: String,
    /// JSON pointer (in the ApplicationSet) of the template the Application was rendered from.
    pub template: String,
    /// JSON pointer of the generator entry.
    pub generator: String,
    /// The generator element(s) it came from: where, and what.
    pub elements: Vec<(Location, String)>,
    /// `spec.syncPolicy.preserveResourcesOnDeletion` of the ApplicationSet.
    pub preserve_resources_on_deletion: bool,
    /// `spec.syncPolicy.applicationsSync` of the ApplicationSet.
    pub applications_sync: Option<String>,
}

/// A git generator pattern that selects nothing in a repository driftlens has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmatched {
    /// JSON pointer of the pattern (`…/git/directories/0/path`).
    pub pointer: String,
    /// The pattern.
    pub pattern: String,
    /// `directories` or `files`.
    pub kind: &'static str,
    /// `repoURL` of the generator.
    pub repo_url: String,
}

/// What expanding one ApplicationSet gave.
#[derive(Debug, Clone)]
pub struct Expansion {
    /// The ApplicationSet's manifest.
    pub manifest: usize,
    /// Its name.
    pub name: String,
    /// How many Applications were added to the model.
    pub generated: usize,
    /// Generation errors (the first is what the controller reports).
    pub errors: Vec<engine::GenError>,
    /// Generators that are not expanded offline, with the reason.
    pub not_expanded: Vec<engine::NotExpanded>,
    /// Include patterns of git generators that select nothing.
    pub unmatched: Vec<Unmatched>,
    /// Non-reproducible template functions called.
    pub nondeterministic: Vec<String>,
    /// Generated Applications that exist in the dump and that the set's `applicationsSync`
    /// policy (`create-only`, `create-delete`) does not update: they keep their live spec.
    pub kept_live: Vec<String>,
}

impl Expansion {
    /// Whether every generator was expanded without error.
    pub fn complete(&self) -> bool {
        self.errors.is_empty() && self.not_expanded.is_empty()
    }
}

/// Most files listed in one repository for git generators.
pub const MAX_LISTED_FILES: usize = 1_000_000;

/// The files of a checkout as `git ls-files` would list them: ignored files and `.git` left
/// out, hidden files kept. Walked on first use.
pub struct CheckoutFiles {
    root: PathBuf,
    files: OnceLock<Vec<String>>,
}

impl CheckoutFiles {
    /// The checkout at `root`.
    pub fn new(root: &Path) -> CheckoutFiles {
        CheckoutFiles {
            root: root.to_path_buf(),
            files: OnceLock::new(),
        }
    }

    fn walk(&self) -> Vec<String> {
        let walker = ignore::WalkBuilder::new(&self.root)
            .hidden(false)
            .git_ignore(true)
            .git_global(false)
            .git_exclude(true)
            .require_git(false)
            .follow_links(false)
            .filter_entry(|e| e.file_name() != ".git")
            .sort_by_file_name(|a, b| a.cmp(b))
            .build();
        let mut out = Vec::new();
        for e in walker.flatten() {
            if !e.file_type().is_some_and(|t| t.is_file() || t.is_symlink()) {
                continue;
            }
            out.push(crate::load::discover::rel_path(&self.root, e.path()));
            if out.len() >= MAX_LISTED_FILES {
                break;
            }
        }
        out.sort();
        out
    }
}

impl Repository for CheckoutFiles {
    fn files(&self) -> &[String] {
        self.files.get_or_init(|| self.walk())
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        let root = CheckoutRoot::new(&self.root).map_err(|e| e.to_string())?;
        let abs = root
            .join(&self.root, path)
            .map_err(|e| format!("{path}: {e}"))?;
        crate::load::source::read_text(&abs, crate::load::source::DEFAULT_MAX_FILE_SIZE)
            .map(String::into_bytes)
            .map_err(|e| format!("{path}: {e}"))
    }
}

/// A cluster Secret (`argocd.argoproj.io/secret-type: cluster`) as generators read it, if `obj`
/// is one: only `name`, `server` and `project` are decoded, never a credential.
pub fn cluster_secret(obj: &J, id: String) -> Option<ClusterSecret> {
    if obj.get("kind").and_then(J::as_str) != Some("Secret") {
        return None;
    }
    let labels = str_map(obj.pointer("/metadata/labels"));
    if labels
        .get("argocd.argoproj.io/secret-type")
        .map(String::as_str)
        != Some("cluster")
    {
        return None;
    }
    let field = |k: &str| -> Option<String> {
        if let Some(s) = obj.pointer(&format!("/stringData/{k}")).and_then(J::as_str) {
            return Some(s.to_string());
        }
        let b64 = obj.pointer(&format!("/data/{k}")).and_then(J::as_str)?;
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .ok()?;
        String::from_utf8(bytes).ok()
    };
    Some(ClusterSecret {
        id,
        labels,
        annotations: str_map(obj.pointer("/metadata/annotations")),
        name: field("name").unwrap_or_default(),
        server: field("server").unwrap_or_default(),
        project: field("project"),
    })
}

/// The Applications of a dump, by (namespace, name).
pub fn live_applications(cluster: &Cluster) -> BTreeMap<(String, String), J> {
    cluster
        .objects
        .iter()
        .filter(|o| o.key.kind == "Application" && o.key.group == "argoproj.io")
        .map(|o| {
            (
                (o.key.namespace.clone(), o.key.name.clone()),
                o.obj().clone(),
            )
        })
        .collect()
}

/// The cluster Secrets of a dump.
pub fn dump_cluster_secrets(cluster: &Cluster) -> Vec<ClusterSecret> {
    cluster
        .objects
        .iter()
        .filter(|o| o.key.kind == "Secret" && o.key.group.is_empty())
        .filter_map(|o| {
            cluster_secret(
                o.obj(),
                format!(
                    "cluster Secret {}/{} of the dump",
                    o.key.namespace, o.key.name
                ),
            )
        })
        .collect()
}

/// The cluster Secrets of the checkout, with the location of each (by id).
pub fn checkout_cluster_secrets(repo: &Repo) -> (Vec<ClusterSecret>, BTreeMap<String, Location>) {
    let mut out = Vec::new();
    let mut locations = BTreeMap::new();
    for m in &repo.manifests {
        if m.key.kind != "Secret" || !m.key.group.is_empty() || m.generated.is_some() {
            continue;
        }
        let loc = m.locate_kind();
        let id = format!("cluster Secret at {}:{}", loc.path, loc.line);
        if let Some(c) = cluster_secret(&m.obj, id.clone()) {
            locations.insert(id, loc);
            out.push(c);
        }
    }
    (out, locations)
}

fn str_map(v: Option<&J>) -> BTreeMap<String, String> {
    v.and_then(J::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// What generation reads from the scan: repositories through the resolver, cluster Secrets.
struct ScanInputs<'a> {
    resolver: &'a Resolver,
    checkout: &'a CheckoutFiles,
    mapped: &'a [CheckoutFiles],
    clusters: &'a [ClusterSecret],
    projects: BTreeSet<String>,
}

impl Inputs for ScanInputs<'_> {
    fn repository(&self, repo_url: &str, _revision: &str) -> Result<&dyn Repository, RepoError> {
        match self.resolver.repository_of(repo_url) {
            Some(None) => Ok(self.checkout),
            Some(Some(i)) => match self.mapped.get(i) {
                Some(m) => Ok(m),
                None => Err(RepoError::Unavailable(self.resolver.not_here(repo_url))),
            },
            None => Err(RepoError::Unavailable(self.resolver.not_here(repo_url))),
        }
    }

    fn cluster_secrets(&self) -> &[ClusterSecret] {
        self.clusters
    }

    fn project_exists(&self, name: &str) -> Option<bool> {
        // Only an AppProject known to exist is known: the cluster may hold others.
        (name == "default" || self.projects.contains(name)).then_some(true)
    }
}

/// The repositories of the scan, walked once for every ApplicationSet.
pub struct Repositories {
    /// The Applications of the dumps, by (namespace, name).
    pub live_apps: BTreeMap<(String, String), J>,
    checkout: CheckoutFiles,
    mapped: Vec<CheckoutFiles>,
    clusters: Vec<ClusterSecret>,
    cluster_locations: BTreeMap<String, Location>,
}

impl Repositories {
    /// The checkout at `root`, the mapped checkouts of `resolver`, and the cluster Secrets.
    pub fn new(
        root: &Path,
        resolver: &Resolver,
        clusters: Vec<ClusterSecret>,
        cluster_locations: BTreeMap<String, Location>,
    ) -> Repositories {
        Repositories {
            live_apps: BTreeMap::new(),
            checkout: CheckoutFiles::new(root),
            mapped: resolver
                .mapped()
                .iter()
                .map(|m| CheckoutFiles::new(&m.abs))
                .collect(),
            clusters,
            cluster_locations,
        }
    }
}

/// Every literal git generator `repoURL` of an ApplicationSet, with its include patterns
/// (`directories` or `files`, pointer, pattern), matrix and merge children included.
fn git_generators(generators: &J, base: &str, out: &mut Vec<(String, String, Vec<GitItem>)>) {
    let Some(items) = generators.as_array() else {
        return;
    };
    for (i, g) in items.iter().enumerate() {
        let at = format!("{base}/{i}");
        for nested in ["matrix", "merge"] {
            if let Some(inner) = g.pointer(&format!("/{nested}/generators")) {
                git_generators(inner, &format!("{at}/{nested}/generators"), out);
            }
        }
        let Some(git) = g.get("git") else { continue };
        let url = git.get("repoURL").and_then(J::as_str).unwrap_or("");
        let mut patterns = Vec::new();
        for kind in ["directories", "files"] {
            if let Some(list) = git.get(kind).and_then(J::as_array) {
                for (j, item) in list.iter().enumerate() {
                    let exclude = item.get("exclude").and_then(J::as_bool).unwrap_or(false);
                    if let (Some(p), false) = (item.get("path").and_then(J::as_str), exclude) {
                        patterns.push(GitItem {
                            kind: if kind == "files" {
                                "files"
                            } else {
                                "directories"
                            },
                            pointer: format!("{at}/git/{kind}/{j}/path"),
                            pattern: p.to_string(),
                        });
                    }
                }
            }
        }
        out.push((url.to_string(), format!("{at}/git"), patterns));
    }
}

struct GitItem {
    kind: &'static str,
    pointer: String,
    pattern: String,
}

fn matches_any(repo: &dyn Repository, item: &GitItem, opts: &engine::Options) -> bool {
    if item.kind == "files" {
        repo.matching_files(&item.pattern, opts.new_git_file_globbing)
            .is_ok_and(|f| !f.is_empty())
    } else {
        repo.directories(opts.include_hidden_directories)
            .iter()
            .any(|d| engine::glob::path_match(&item.pattern, d).unwrap_or(false))
    }
}

/// Without a remote, a git generator's repository is this checkout when its patterns select
/// something here (as a source's repository is when its path exists here).
fn guess_checkout(
    resolver: &mut Resolver,
    repos: &Repositories,
    appset: &J,
    opts: &engine::Options,
) {
    let mut gits = Vec::new();
    git_generators(
        appset.pointer("/spec/generators").unwrap_or(&J::Null),
        "/spec/generators",
        &mut gits,
    );
    for (url, _, items) in gits {
        if url.contains("{{") || resolver.repository_of(&url).is_some() {
            continue;
        }
        if items
            .iter()
            .any(|it| matches_any(&repos.checkout, it, opts))
        {
            resolver.take_as_checkout(&url);
        }
    }
}

/// `driftlens appset generate`: the generation of each ApplicationSet of `appsets` against the
/// checkout `repo` (its cluster Secrets and AppProjects), the repositories `resolver` knows and
/// the dump's cluster Secrets.
pub fn generate_standalone(
    appsets: &[J],
    repo: &Repo,
    resolver: &mut Resolver,
    cluster: Option<&Cluster>,
) -> Vec<engine::Generation> {
    let opts = engine::Options::default();
    let (mut secrets, locations) = checkout_cluster_secrets(repo);
    if let Some(c) = cluster {
        secrets.extend(dump_cluster_secrets(c));
    }
    let repos = Repositories::new(&repo.root, resolver, secrets, locations);
    if resolver.guesses_from_paths() {
        for a in appsets {
            guess_checkout(resolver, &repos, a, &opts);
        }
    }
    let inputs = ScanInputs {
        resolver,
        checkout: &repos.checkout,
        mapped: &repos.mapped,
        clusters: &repos.clusters,
        projects: repo
            .projects
            .iter()
            .map(|p| p.value.metadata.name.clone())
            .collect(),
    };
    appsets
        .iter()
        .map(|a| engine::generate(a, &inputs, &opts))
        .collect()
}

/// Expands the ApplicationSets of `repo` from index `start` on, adding the Applications they
/// generate to the model; returns the new end.
pub fn expand_new(
    repo: &mut Repo,
    resolver: &mut Resolver,
    repos: &Repositories,
    start: usize,
) -> usize {
    let opts = engine::Options::default();
    let end = repo.appsets.len();
    if resolver.guesses_from_paths() {
        for si in start..end {
            let m = repo.manifest(repo.appsets[si].manifest);
            guess_checkout(resolver, repos, &m.obj, &opts);
        }
    }
    let projects: BTreeSet<String> = repo
        .projects
        .iter()
        .map(|p| p.value.metadata.name.clone())
        .collect();
    for si in start..end {
        let mi = repo.appsets[si].manifest;
        let (expansion, manifests) = {
            let m = repo.manifest(mi);
            let inputs = ScanInputs {
                resolver,
                checkout: &repos.checkout,
                mapped: &repos.mapped,
                clusters: &repos.clusters,
                projects: projects.clone(),
            };
            expand_one(mi, m, &inputs, repos, &opts)
        };
        for e in &expansion.errors {
            let m = repo.manifest(mi);
            let what = if e.limit {
                format!(
                    "ApplicationSet `{}` is not expanded: {}; driftlens stops there",
                    expansion.name, e.message
                )
            } else {
                format!(
                    "ApplicationSet `{}` cannot be expanded: {}. The ApplicationSet controller \
                     reports ErrorOccurred and creates, updates and deletes none of its \
                     Applications; driftlens analyses none of them",
                    expansion.name, e.message
                )
            };
            repo.problems.push(Problem {
                location: m.locate(&e.pointer),
                message: what,
            });
        }
        let first = repo.manifests.len();
        repo.manifests.extend(manifests);
        repo.type_argo_resources(first);
        repo.appset_expansions.push(expansion);
    }
    end
}

/// Expands one ApplicationSet: the report and the manifests of its Applications (none when
/// generation failed).
fn expand_one(
    mi: usize,
    m: &Manifest,
    inputs: &ScanInputs<'_>,
    repos: &Repositories,
    opts: &engine::Options,
) -> (Expansion, Vec<Manifest>) {
    let generation = engine::generate(&m.obj, inputs, opts);
    let mut unmatched = Vec::new();
    let mut gits = Vec::new();
    git_generators(
        m.obj.pointer("/spec/generators").unwrap_or(&J::Null),
        "/spec/generators",
        &mut gits,
    );
    for (url, _, items) in &gits {
        if url.contains("{{") {
            continue;
        }
        let Ok(repo) = inputs.repository(url, "") else {
            continue;
        };
        for it in items {
            if !it.pattern.contains("{{") && !matches_any(repo, it, opts) {
                unmatched.push(Unmatched {
                    pointer: it.pointer.clone(),
                    pattern: it.pattern.clone(),
                    kind: it.kind,
                    repo_url: url.clone(),
                });
            }
        }
    }
    let mut expansion = Expansion {
        manifest: mi,
        name: generation.name.clone(),
        generated: 0,
        errors: generation.errors.clone(),
        not_expanded: generation.not_expanded.clone(),
        unmatched,
        nondeterministic: generation.nondeterministic.clone(),
        kept_live: Vec::new(),
    };
    let no_update = matches!(
        generation.applications_sync.as_deref(),
        Some("create-only" | "create-delete")
    );
    if !generation.errors.is_empty() {
        return (expansion, Vec::new());
    }
    let mut out = Vec::with_capacity(generation.applications.len());
    for g in &generation.applications {
        let mut app = g.application.clone();
        let ns = app
            .pointer("/metadata/namespace")
            .and_then(J::as_str)
            .filter(|n| !n.is_empty())
            .unwrap_or("argocd")
            .to_string();
        let live_name = app
            .pointer("/metadata/name")
            .and_then(J::as_str)
            .unwrap_or("")
            .to_string();
        if no_update {
            if let Some(live) = repos.live_apps.get(&(ns, live_name.clone())) {
                // The controller creates only: the existing Application runs its live spec.
                if let (Some(o), Some(spec)) = (app.as_object_mut(), live.get("spec")) {
                    o.insert("spec".into(), spec.clone());
                }
                expansion.kept_live.push(live_name);
            }
        }
        let app = &app;
        let name = app
            .pointer("/metadata/name")
            .and_then(J::as_str)
            .unwrap_or("");
        let namespace = app
            .pointer("/metadata/namespace")
            .and_then(J::as_str)
            .unwrap_or("");
        let generator = format!("/spec/generators/{}", g.generator);
        let span_of = |pointer: &str| -> (Span, Span) {
            for t in &g.templates {
                if let Some((node, key)) = m.node.pointer_entry(&format!("{t}{pointer}")) {
                    return (key, node.span);
                }
            }
            let s = m.node.closest_span(&format!("/spec/template{pointer}"));
            (s, s)
        };
        let mut pointer = String::new();
        let node = located(app, &mut pointer, &span_of, span_of("").1);
        let elements = g
            .origins
            .iter()
            .map(|o| origin_location(o, m, &generator, inputs, repos))
            .collect();
        let from = GeneratedFrom {
            appset: mi,
            appset_name: generation.name.clone(),
            template: g.templates.first().cloned().unwrap_or_default(),
            generator,
            elements,
            preserve_resources_on_deletion: generation.preserve_resources_on_deletion,
            applications_sync: generation.applications_sync.clone(),
        };
        out.push(Manifest {
            key: ObjectKey::new("argoproj.io/v1alpha1", "Application", namespace, name),
            api_version: "argoproj.io/v1alpha1".into(),
            obj: app.clone(),
            node,
            file: m.file.clone(),
            doc_index: m.doc_index,
            list_index: m.list_index,
            rendered: m.rendered.clone(),
            generated: Some(Arc::new(from)),
        });
    }
    expansion.generated = out.len();
    (expansion, out)
}

/// Where a generator element is, and what it is.
fn origin_location(
    o: &Origin,
    m: &Manifest,
    generator: &str,
    inputs: &ScanInputs<'_>,
    repos: &Repositories,
) -> (Location, String) {
    let model_path = |url: &str, path: &str| -> Option<String> {
        match inputs.resolver.repository_of(url)? {
            None => Some(path.to_string()),
            Some(i) => Some(inputs.resolver.mapped().get(i)?.model_path(path)),
        }
    };
    match o {
        Origin::Element(p) => (m.locate(p), "the generator element".to_string()),
        Origin::File { repo_url, path } => match model_path(repo_url, path) {
            Some(p) => (
                Location::file_start(&p),
                format!("the git generator's file `{path}`"),
            ),
            None => (
                m.locate(generator),
                format!("file `{path}` of `{repo_url}`"),
            ),
        },
        Origin::Directory { repo_url, path } => (
            m.locate(generator),
            format!("directory `{path}` of `{repo_url}`"),
        ),
        Origin::Cluster(id) => match repos.cluster_locations.get(id) {
            Some(l) => (l.clone(), "the cluster Secret".to_string()),
            None => (m.locate(generator), format!("the {id}")),
        },
        Origin::InCluster => (
            m.locate(generator),
            "the local cluster `in-cluster` (https://kubernetes.default.svc)".to_string(),
        ),
    }
}

/// A located tree for a generated object: each field at the span `span_of` gives for its
/// pointer (key span, value span).
fn located(v: &J, pointer: &mut String, span_of: &dyn Fn(&str) -> (Span, Span), at: Span) -> Node {
    let value = match v {
        J::Null => NodeValue::Null,
        J::Bool(b) => NodeValue::Bool(*b),
        J::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => NodeValue::Int(i),
            (None, Some(u)) => NodeValue::Uint(u),
            _ => NodeValue::Float(n.as_f64().unwrap_or(0.0)),
        },
        J::String(s) => NodeValue::Str(s.clone()),
        J::Array(items) => NodeValue::Seq(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let len = pointer.len();
                    pointer.push_str(&format!("/{i}"));
                    let (_, span) = span_of(pointer);
                    let node = located(item, pointer, span_of, span);
                    pointer.truncate(len);
                    node
                })
                .collect(),
        ),
        J::Object(map) => NodeValue::Map(
            map.iter()
                .map(|(k, item)| {
                    let len = pointer.len();
                    pointer.push('/');
                    pointer.push_str(&k.replace('~', "~0").replace('/', "~1"));
                    let (key_span, span) = span_of(pointer);
                    let value = located(item, pointer, span_of, span);
                    pointer.truncate(len);
                    Entry {
                        key: k.clone(),
                        key_span,
                        value,
                    }
                })
                .collect::<Vec<_>>()
                .into(),
        ),
    };
    Node { span: at, value }
}
