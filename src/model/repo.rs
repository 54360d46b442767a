//! The desired state found in a checkout: Kubernetes objects with their locations, the Argo CD
//! resources among them in typed form, rendering units, and the problems found on the way.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;

use super::argocd::{from_json, AppProject, Application, ApplicationSet};
use super::key::ObjectKey;
use super::object::{Location, Manifest};
use super::settings::ArgoSettings;
use crate::load::discover::{ParsedFile, Unit};
use crate::load::source::{FileError, SourceFile};
use crate::load::yaml::{Node, NodeValue};

/// Something wrong with a file or document of the checkout.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Where.
    pub location: Location,
    /// What, and what to do about it.
    pub message: String,
}

/// A typed Argo CD resource and the manifest it was read from.
#[derive(Debug)]
pub struct Typed<T> {
    /// Index into [`Repo::manifests`].
    pub manifest: usize,
    /// The typed value.
    pub value: T,
}

/// Everything read from the checkout.
#[derive(Debug, Default)]
pub struct Repo {
    /// Scan root.
    pub root: PathBuf,
    /// Every file that was read, sorted by path.
    pub files: Vec<Arc<SourceFile>>,
    /// Kubernetes objects, in file order.
    pub manifests: Vec<Manifest>,
    /// Charts and Kustomize directories.
    pub units: Vec<Unit>,
    /// Files or documents that could not be used.
    pub problems: Vec<Problem>,
    /// Files whose YAML could not be parsed to the end, with the line where parsing stopped:
    /// nothing is known of the documents from there on (reports mask their values).
    pub parse_failures: Vec<(String, u32)>,
    /// Argo CD Applications.
    pub apps: Vec<Typed<Application>>,
    /// Argo CD ApplicationSets.
    pub appsets: Vec<Typed<ApplicationSet>>,
    /// Argo CD AppProjects.
    pub projects: Vec<Typed<AppProject>>,
    /// Settings from `argocd-cm` (defaults when absent).
    pub settings: ArgoSettings,
    /// The manifest holding `argocd-cm`, if found.
    pub settings_manifest: Option<usize>,
    /// Chart directories rendered by the render stage (`render::integrate::render_repo`).
    pub rendered_units: Vec<String>,
    /// Calls of non-deterministic template functions found while rendering.
    pub nondeterministic: Vec<NondeterministicCall>,
    /// Value files of the checkout that renders read (sorted). Reports never quote them: a
    /// value there may end up in a Secret.
    pub values_files: Vec<String>,
    /// Where the sources of each Application come from, by index of `apps` (filled by
    /// [`crate::render::integrate::render_repo`]; empty when the checkout was not rendered).
    pub app_sources: Vec<crate::sources::AppSources>,
    /// What is known about the checkout itself (remotes, revision).
    pub checkout: crate::sources::CheckoutFacts,
    /// Charts of the checkout no Application uses that could not be rendered with their
    /// defaults because a dependency is missing.
    pub unit_failures: Vec<UnitFailure>,
    /// What renders did not check (a schema referring to a URL), `chart: sentence`, sorted.
    pub render_notes: Vec<String>,
    /// The kustomizations of the checkout, built with their defaults at load time.
    pub kustomize_builds: crate::render::kustomized::Builds,
}

/// A chart of the checkout that was not rendered.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitFailure {
    /// The chart directory.
    pub dir: String,
    /// Why.
    pub reason: String,
    /// What would make it renderable.
    pub fixes: Vec<crate::sources::Fix>,
}

/// What follows the `generateName` prefix in the name driftlens gives such an object
/// (`migrate-…`): the rest is chosen by the API server.
pub const GENERATED_NAME_MARK: &str = "…";

fn is_argocd_group(api_version: &str) -> bool {
    super::key::group_of(api_version) == "argoproj.io"
}

impl Repo {
    /// Builds the model from parsed files (in any order; the result is sorted).
    pub fn build(
        root: PathBuf,
        units: Vec<Unit>,
        parsed: Vec<Result<ParsedFile, (String, FileError)>>,
    ) -> Repo {
        let mut repo = Repo {
            root,
            units,
            ..Default::default()
        };
        let mut parsed_ok = Vec::new();
        for p in parsed {
            match p {
                Ok(f) => parsed_ok.push(f),
                Err((path, e)) => {
                    let mut location = Location::file_start(&path);
                    location.line = e.line();
                    location.end_line = e.line();
                    repo.problems.push(Problem {
                        location,
                        message: e.to_string(),
                    });
                }
            }
        }
        parsed_ok.sort_by(|a, b| a.file.path.cmp(&b.file.path));
        for pf in parsed_ok {
            repo.add_parsed(pf);
        }
        repo.type_argo_resources(0);
        repo.problems.sort_by(|a, b| a.location.cmp(&b.location));
        repo
    }

    /// Adds the objects of one parsed file.
    pub fn add_parsed(&mut self, pf: ParsedFile) {
        let file = pf.file;
        if let Some(e) = &pf.error {
            let span = crate::load::yaml::Span {
                start: e.at,
                end: e.at,
            };
            self.parse_failures.push((file.path.clone(), e.at.line));
            self.problems.push(Problem {
                location: Location::new(&file.path, span),
                message: format!(
                    "{}; fix the YAML (every other file is still analysed)",
                    e.message
                ),
            });
        }
        for doc in pf.docs {
            let Some(root) = doc.root else { continue };
            self.add_document(&file, doc.index, root);
        }
        self.files.push(file);
    }

    fn add_document(&mut self, file: &Arc<SourceFile>, doc_index: usize, root: Node) {
        let NodeValue::Map(_) = root.value else {
            // Scalars and lists at the top level are not Kubernetes objects (e.g. CI configs).
            return;
        };
        let has_api = root.get("apiVersion").is_some();
        let has_kind = root.get("kind").is_some();
        if !has_api && !has_kind {
            return;
        }
        // Only one of the two and no `metadata`: the YAML of another tool that happens to have
        // a `kind` (an Omni cluster template, chart values choosing a `kind: CronJob`), not a
        // Kubernetes object with a field missing.
        if (!has_api || !has_kind) && root.get("metadata").is_none() {
            return;
        }
        let kind = root.get("kind").and_then(Node::as_str).unwrap_or("");
        if kind == "List" || kind.ends_with("List") && root.get("items").is_some() {
            match root.get("items").map(|n| &n.value) {
                Some(NodeValue::Seq(items)) => {
                    for (i, item) in items.iter().enumerate() {
                        if let Some(m) = self.object(file, doc_index, Some(i), item.clone()) {
                            self.manifests.push(m);
                        }
                    }
                }
                Some(NodeValue::Null) | None => {}
                Some(_) => self.problem(file, &root, "/items", "`items` of a List must be a list"),
            }
            return;
        }
        if let Some(m) = self.object(file, doc_index, None, root) {
            self.manifests.push(m);
        }
    }

    fn problem(&mut self, file: &SourceFile, node: &Node, pointer: &str, message: &str) {
        self.problems.push(Problem {
            location: Location::new(&file.path, node.closest_span(pointer)),
            message: message.to_string(),
        });
    }

    fn object(
        &mut self,
        file: &Arc<SourceFile>,
        doc_index: usize,
        list_index: Option<usize>,
        node: Node,
    ) -> Option<Manifest> {
        if !matches!(node.value, NodeValue::Map(_)) {
            self.problem(
                file,
                &node,
                "",
                "a List item must be a mapping (a Kubernetes object)",
            );
            return None;
        }
        let api_version = match node.get("apiVersion").map(|n| &n.value) {
            Some(NodeValue::Str(s)) if !s.trim().is_empty() => s.clone(),
            Some(_) => {
                self.problem(
                    file,
                    &node,
                    "/apiVersion",
                    "`apiVersion` must be a non-empty string such as `apps/v1`",
                );
                return None;
            }
            None => {
                self.problem(
                    file,
                    &node,
                    "/kind",
                    "the object has no `apiVersion`; add one such as `v1` or `apps/v1`",
                );
                return None;
            }
        };
        let kind = match node.get("kind").map(|n| &n.value) {
            Some(NodeValue::Str(s)) if !s.trim().is_empty() => s.clone(),
            Some(_) => {
                self.problem(file, &node, "/kind", "`kind` must be a non-empty string");
                return None;
            }
            None => {
                self.problem(
                    file,
                    &node,
                    "/apiVersion",
                    "the object has no `kind`; add one such as `Deployment`",
                );
                return None;
            }
        };
        let meta = node.get("metadata");
        if let Some(m) = meta {
            if !matches!(m.value, NodeValue::Map(_)) {
                self.problem(file, &node, "/metadata", "`metadata` must be a mapping");
                return None;
            }
        }
        let name = meta.and_then(|m| m.get("name"));
        let generate_name = meta
            .and_then(|m| m.get("generateName"))
            .and_then(Node::as_str);
        let name = match name.map(|n| &n.value) {
            Some(NodeValue::Str(s)) if !s.is_empty() => s.clone(),
            // Named after its prefix in messages (`migrate-…`): the API server picks the rest.
            Some(NodeValue::Str(_)) | None if generate_name.is_some_and(|g| !g.is_empty()) => {
                format!("{}{GENERATED_NAME_MARK}", generate_name.unwrap_or_default())
            }
            Some(_) => {
                self.problem(
                    file,
                    &node,
                    "/metadata/name",
                    "`metadata.name` must be a non-empty string",
                );
                return None;
            }
            None => {
                self.problem(
                    file,
                    &node,
                    "/kind",
                    &format!("the {kind} has no `metadata.name`; every object needs a name"),
                );
                return None;
            }
        };
        let namespace = match meta.and_then(|m| m.get("namespace")).map(|n| &n.value) {
            Some(NodeValue::Str(s)) => s.clone(),
            Some(NodeValue::Null) | None => String::new(),
            Some(_) => {
                self.problem(
                    file,
                    &node,
                    "/metadata/namespace",
                    "`metadata.namespace` must be a string",
                );
                return None;
            }
        };
        let obj = node.to_json();
        Some(Manifest {
            key: ObjectKey::new(&api_version, &kind, &namespace, &name),
            api_version,
            obj,
            node,
            file: file.clone(),
            doc_index,
            list_index,
            rendered: None,
        })
    }

    /// Types the Argo CD resources (and `argocd-cm`) among the manifests from index `start`
    /// on: the checkout's files first, then, as charts render, the Applications a chart
    /// renders (app of apps).
    pub fn type_argo_resources(&mut self, start: usize) {
        let mut problems = Vec::new();
        for (i, m) in self.manifests.iter().enumerate().skip(start) {
            let bad = |what: &str, e: String| Problem {
                location: m.locate_kind(),
                message: format!("this {what} cannot be read: {e}"),
            };
            match (is_argocd_group(&m.api_version), m.key.kind.as_str()) {
                (true, "Application") => match from_json::<Application>(&m.obj) {
                    Ok(value) => self.apps.push(Typed { manifest: i, value }),
                    Err(e) => problems.push(bad("Application", e)),
                },
                (true, "ApplicationSet") => match from_json::<ApplicationSet>(&m.obj) {
                    Ok(value) => self.appsets.push(Typed { manifest: i, value }),
                    Err(e) => problems.push(bad("ApplicationSet", e)),
                },
                (true, "AppProject") => match from_json::<AppProject>(&m.obj) {
                    Ok(value) => self.projects.push(Typed { manifest: i, value }),
                    Err(e) => problems.push(bad("AppProject", e)),
                },
                (false, "ConfigMap")
                    if m.key.group.is_empty()
                        && m.key.name == "argocd-cm"
                        && self.settings_manifest.is_none() =>
                {
                    let data: BTreeMap<String, String> = match m.obj.get("data") {
                        Some(Value::Object(map)) => map
                            .iter()
                            .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                            .collect(),
                        _ => BTreeMap::new(),
                    };
                    self.settings = ArgoSettings::from_config_map_data(&data);
                    self.settings_manifest = Some(i);
                }
                _ => {}
            }
        }
        self.problems.extend(problems);
    }

    /// Adds an object rendered from a Helm chart (by `render::integrate`); invalid
    /// documents become problems at their template line.
    pub fn add_rendered(
        &mut self,
        file: &Arc<SourceFile>,
        doc_index: usize,
        root: Node,
        origin: Arc<crate::model::object::RenderOrigin>,
    ) {
        let first_problem = self.problems.len();
        let before = self.manifests.len();
        self.add_document(file, doc_index, root);
        for m in &mut self.manifests[before..] {
            m.rendered = Some(origin.clone());
        }
        // Problems were located in the rendered text; move them to the template.
        for p in &mut self.problems[first_problem..] {
            let span = crate::load::yaml::Span {
                start: crate::load::yaml::Pos {
                    offset: p.location.offset,
                    line: p.location.line,
                    col: p.location.col,
                },
                end: crate::load::yaml::Pos {
                    offset: p.location.offset + p.location.len,
                    line: p.location.end_line,
                    col: p.location.end_col,
                },
            };
            p.location = origin.location(span);
        }
    }

    /// Adds a file (e.g. a chart template) so that reports can quote it.
    pub fn add_file(&mut self, file: Arc<SourceFile>) {
        match self.files.binary_search_by(|f| f.path.cmp(&file.path)) {
            Ok(i) => self.files[i] = file,
            Err(i) => self.files.insert(i, file),
        }
    }

    /// The manifest behind a typed resource.
    pub fn manifest(&self, index: usize) -> &Manifest {
        &self.manifests[index]
    }

    /// Where the sources of the Application at `ai` come from, when resolved.
    pub fn sources_of(&self, ai: usize) -> Option<&crate::sources::AppSources> {
        self.app_sources.get(ai)
    }

    /// The file with this relative path.
    pub fn file(&self, path: &str) -> Option<&Arc<SourceFile>> {
        self.files
            .binary_search_by(|f| f.path.as_str().cmp(path))
            .ok()
            .map(|i| &self.files[i])
    }
}

/// A call of a function whose result changes on every render.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct NondeterministicCall {
    /// Where, in the template.
    pub location: Location,
    /// The function (`randAlphaNum`, `genCA`, `now`, …).
    pub function: String,
    /// The chart directory.
    pub chart_dir: String,
    /// The Application it was rendered for, if any.
    pub app: Option<String>,
}
