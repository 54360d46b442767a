//! Argo CD ApplicationSets expanded offline, exactly as the ApplicationSet controller
//! generates Applications.
//!
//! [`generate`] takes an ApplicationSet (as JSON) and its inputs — the files of the Git
//! repositories its git generators read and the cluster Secrets its clusters generators
//! select, through the [`Inputs`] trait — and returns the Applications the controller would
//! write, each with the generator element it came from. It follows the controller's
//! `GenerateApplications` step by step:
//!
//! 1. each entry of `spec.generators`, in order, runs its generators ([`generators`]): `list`,
//!    `clusters` (plus the local `in-cluster`), `git` directories and files, `matrix` (two
//!    levels, the second child rendered with the first one's parameters) and `merge`; each
//!    generator's `values` and template override, then the entry's post-selector;
//! 2. each parameter set renders the merged template ([`schema`] walks every string of the
//!    typed Application) in fasttemplate or Go-template mode ([`render`]), adds the default
//!    resources finalizer, applies `templatePatch` ([`patch`]) and forces the namespace.
//!
//! Generators that need a network or a cluster service (`scmProvider`, `pullRequest`,
//! `clusterDecisionResource`, `plugin`) and git generators whose repository the inputs do not
//! have are not expanded: they are reported as [`NotExpanded`] with the reason. Errors are
//! the controller's (all-or-nothing: on any error it changes nothing), with its wording.
//!
//! Every generation runs under [`Limits`] the ApplicationSet cannot raise: parameter sets and
//! Applications, files read, bytes held, template work and nesting, and wall-clock time.
//!
//! What it is not: it does not validate generated Applications against AppProjects or
//! clusters, detect duplicate names or write anything; the caller does (see the
//! controller's `validateGeneratedApplications`). It knows nothing of the file system:
//! inputs come through [`Inputs`].
//!
//! ```
//! use driftlens_appset::{generate, ClusterSecret, Inputs, Options, RepoError, Repository};
//!
//! struct NoInputs;
//! impl Inputs for NoInputs {
//!     fn repository(&self, url: &str, _: &str) -> Result<&dyn Repository, RepoError> {
//!         Err(RepoError::Unavailable(format!("{url} is not available")))
//!     }
//!     fn cluster_secrets(&self) -> &[ClusterSecret] {
//!         &[]
//!     }
//! }
//!
//! let appset = serde_json::json!({
//!     "metadata": {"name": "guestbook", "namespace": "argocd"},
//!     "spec": {
//!         "generators": [{"list": {"elements": [{"cluster": "dev"}, {"cluster": "prod"}]}}],
//!         "template": {
//!             "metadata": {"name": "{{cluster}}-guestbook"},
//!             "spec": {"project": "default",
//!                      "source": {"repoURL": "https://example.com/repo.git", "path": "guestbook"},
//!                      "destination": {"name": "{{cluster}}", "namespace": "guestbook"}}
//!         }
//!     }
//! });
//! let out = generate(&appset, &NoInputs, &Options::default());
//! let names: Vec<&str> = out.applications.iter()
//!     .map(|a| a.application["metadata"]["name"].as_str().unwrap())
//!     .collect();
//! assert_eq!(names, ["dev-guestbook", "prod-guestbook"]);
//! assert_eq!(
//!     driftlens_appset::output::oracle_yaml(&out.applications).lines().next(),
//!     Some("- apiVersion: argoproj.io/v1alpha1")
//! );
//! ```

#![warn(missing_docs)]

pub mod generators;
pub mod glob;
pub mod names;
pub mod output;
pub mod params;
pub mod patch;
pub mod render;
pub mod schema;
pub mod selector;

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::Value as J;

pub use params::{Origin, ParamSet};

/// The finalizer the controller adds to generated Applications.
pub const RESOURCES_FINALIZER: &str = "resources-finalizer.argocd.argoproj.io";

/// The shared engine budget of one ApplicationSet's generation (`driftlens-sandbox`): `depth`
/// bounds nested template calls, `steps` the template work, `time` the wall-clock time of the
/// whole generation and `memory` the bytes of parameters, files and Applications held.
pub const BUDGET: driftlens_sandbox::Limits = driftlens_sandbox::Limits {
    depth: 100,
    steps: 20_000_000,
    time: Duration::from_secs(10),
    memory: 256 << 20,
};

/// The budget of one ApplicationSet's generation. The data cannot change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The shared engine budget (see [`BUDGET`]).
    pub budget: driftlens_sandbox::Limits,
    /// Parameter sets one generator may yield, and Applications one ApplicationSet may
    /// generate.
    pub applications: usize,
    /// Files one git files generator may read.
    pub files: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            budget: BUDGET,
            applications: 20_000,
            files: 10_000,
        }
    }
}

/// How the controller is configured, where it changes generation.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The budget.
    pub limits: Limits,
    /// `--enable-new-git-file-globbing`: doublestar globs for git files generators.
    pub new_git_file_globbing: bool,
    /// The repo server's `--include-hidden-directories`.
    pub include_hidden_directories: bool,
}

/// The files of a Git repository at a revision.
pub trait Repository {
    /// Every file, relative to the repository root, `/`-separated, sorted (what the repository
    /// tracks: ignored files and `.git` excluded, hidden files included).
    fn files(&self) -> &[String];
    /// The contents of a file.
    fn read(&self, path: &str) -> Result<Vec<u8>, String>;

    /// Every directory, as the repo server lists them for the git directories generator
    /// (derived from [`Repository::files`]).
    fn directories(&self, include_hidden: bool) -> Vec<String> {
        generators::git::directories(self.files(), include_hidden)
    }

    /// The files a git files generator's `path` selects (`git ls-files` semantics, or
    /// doublestar with the new globbing).
    fn matching_files(&self, pattern: &str, new_globbing: bool) -> Result<Vec<String>, String> {
        generators::git::matching_files(self, pattern, new_globbing)
    }
}

/// A cluster Secret (`argocd.argoproj.io/secret-type: cluster`) of the Argo CD namespace, as
/// far as generators read it: never its credentials.
#[derive(Debug, Clone, Default)]
pub struct ClusterSecret {
    /// An id for reports (the caller's choice, such as `file:line` of the Secret).
    pub id: String,
    /// The Secret's labels.
    pub labels: BTreeMap<String, String>,
    /// The Secret's annotations.
    pub annotations: BTreeMap<String, String>,
    /// `data.name`, decoded.
    pub name: String,
    /// `data.server`, decoded.
    pub server: String,
    /// `data.project`, decoded, when present.
    pub project: Option<String>,
}

/// Why a repository cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepoError {
    /// It is not available offline (not this checkout, not mapped): the generator is not
    /// expanded, with this reason.
    Unavailable(String),
    /// It is available but could not be read: a generation error, as when the repo server
    /// fails.
    Failed(String),
}

/// What generation reads besides the ApplicationSet.
pub trait Inputs {
    /// The repository `repo_url` at `revision`, or why it cannot be read.
    fn repository(&self, repo_url: &str, revision: &str) -> Result<&dyn Repository, RepoError>;
    /// The cluster Secrets of the Argo CD namespace.
    fn cluster_secrets(&self) -> &[ClusterSecret];

    /// Whether an AppProject of that name exists in the Argo CD namespace; `None` when that
    /// is not known (the git generator then does not check it).
    fn project_exists(&self, _name: &str) -> Option<bool> {
        None
    }
}

/// A generation error: the controller would set `ErrorOccurred` and change nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenError {
    /// JSON pointer into the ApplicationSet of what failed.
    pub pointer: String,
    /// The controller's message.
    pub message: String,
    /// Whether a limit of [`Limits`] was exceeded (not an error of the controller).
    pub limit: bool,
    /// The template text that failed to render, when a template failed.
    pub template: Option<String>,
}

/// A generator that is not expanded offline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotExpanded {
    /// JSON pointer of the generator in the ApplicationSet.
    pub pointer: String,
    /// The generator kind (`scmProvider`, `git`, …).
    pub kind: String,
    /// Why.
    pub reason: String,
}

/// Why a generator produced nothing.
#[derive(Debug, Clone)]
pub enum Failure {
    /// An error.
    Error(GenError),
    /// Not expandable offline.
    NotExpanded(NotExpanded),
}

impl Failure {
    /// The failure with its message prefixed (errors only; limits keep their own wording).
    pub fn wrap(self, prefix: &str) -> Failure {
        match self {
            Failure::Error(mut e) if !e.limit => {
                e.message = format!("{prefix}{}", e.message);
                Failure::Error(e)
            }
            other => other,
        }
    }
}

/// A generated Application.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The Application (`apiVersion`, `kind`, `metadata`, `spec`) as the controller builds it,
    /// in canonical JSON.
    pub application: J,
    /// Index of the entry of `spec.generators` it came from.
    pub generator: usize,
    /// JSON pointers of the templates it was rendered from: the generator's override (when it
    /// has one), then `/spec/template`.
    pub templates: Vec<String>,
    /// The elements, files, directories or clusters it was generated from.
    pub origins: Vec<Origin>,
    /// The parameters it was rendered with (JSON).
    pub params: J,
}

/// The result of generating one ApplicationSet.
#[derive(Debug, Clone, Default)]
pub struct Generation {
    /// `metadata.name` of the ApplicationSet.
    pub name: String,
    /// `metadata.namespace` of the ApplicationSet.
    pub namespace: String,
    /// The generated Applications, in generation order.
    pub applications: Vec<Generated>,
    /// Errors, in the order met; the first is what the controller reports.
    pub errors: Vec<GenError>,
    /// Generators not expanded offline.
    pub not_expanded: Vec<NotExpanded>,
    /// Fields of the templates that the Application type does not have (the API server
    /// prunes them).
    pub dropped_fields: Vec<String>,
    /// Template functions whose result is not reproducible that were called.
    pub nondeterministic: Vec<String>,
    /// Pointers of generator entries with no known generator (the controller ignores them).
    pub unrecognized: Vec<String>,
    /// `spec.syncPolicy.preserveResourcesOnDeletion`.
    pub preserve_resources_on_deletion: bool,
    /// `spec.syncPolicy.applicationsSync` (`create-only`, `create-update`, `create-delete`,
    /// `sync`), when set.
    pub applications_sync: Option<String>,
}

impl Generation {
    /// Whether every generator was expanded without error.
    pub fn complete(&self) -> bool {
        self.errors.is_empty() && self.not_expanded.is_empty()
    }
}

/// The context of one generation: inputs, options, renderer and budget.
pub struct Cx<'a> {
    /// Inputs.
    pub inputs: &'a dyn Inputs,
    /// Options.
    pub opts: &'a Options,
    /// The string renderer of the ApplicationSet's mode.
    pub render: render::Renderer,
    /// Fields of templates dropped by decoding.
    pub dropped: RefCell<Vec<String>>,
    /// `spec.template.spec.project` of the ApplicationSet (the git generator checks that a
    /// literal project exists).
    pub template_project: String,
    deadline: Instant,
    produced: Cell<usize>,
    memory: Cell<usize>,
}

impl<'a> Cx<'a> {
    /// The context of a generation in the given template mode and options.
    pub fn new(inputs: &'a dyn Inputs, opts: &'a Options, go: bool, options: &[String]) -> Cx<'a> {
        let template_limits = driftlens_gotmpl::Limits {
            max_depth: opts.limits.budget.depth,
            max_steps: opts.limits.budget.steps,
            max_output: 1 << 20,
            ..driftlens_gotmpl::Limits::default()
        };
        Cx {
            inputs,
            opts,
            render: render::Renderer::new(go, options, template_limits),
            dropped: RefCell::new(Vec::new()),
            template_project: String::new(),
            deadline: Instant::now() + opts.limits.budget.time,
            produced: Cell::new(0),
            memory: Cell::new(0),
        }
    }

    /// An error at a pointer.
    pub fn error(&self, pointer: &str, message: String) -> Failure {
        Failure::Error(GenError {
            pointer: pointer.to_string(),
            message,
            limit: false,
            template: None,
        })
    }

    /// A limit error at a pointer.
    pub fn limit(&self, pointer: &str, message: String) -> Failure {
        Failure::Error(GenError {
            pointer: pointer.to_string(),
            message,
            limit: true,
            template: None,
        })
    }

    /// Fails when the time budget is spent.
    pub fn check_time(&self, pointer: &str) -> Result<(), Failure> {
        if Instant::now() > self.deadline {
            return Err(self.limit(
                pointer,
                format!(
                    "generating this ApplicationSet takes more than {} ms (the limit)",
                    self.opts.limits.budget.time.as_millis()
                ),
            ));
        }
        Ok(())
    }

    /// Counts `n` parameter sets produced; fails beyond the limit.
    pub fn count(&self, pointer: &str, n: usize) -> Result<(), Failure> {
        let total = self.produced.get().saturating_add(n);
        self.produced.set(total);
        if total > self.opts.limits.applications.saturating_mul(4) {
            return Err(self.limit(
                pointer,
                format!(
                    "the generators of this ApplicationSet yield more than {} parameter sets (the limit is {} Applications); a matrix multiplies the sizes of its children",
                    self.opts.limits.applications.saturating_mul(4),
                    self.opts.limits.applications
                ),
            ));
        }
        if total.is_multiple_of(1024) {
            self.check_time(pointer)?;
        }
        Ok(())
    }

    /// Charges `bytes` to the memory budget.
    pub fn charge(&self, pointer: &str, bytes: usize) -> Result<(), Failure> {
        let total = self.memory.get().saturating_add(bytes);
        self.memory.set(total);
        if total > self.opts.limits.budget.memory {
            return Err(self.limit(
                pointer,
                format!(
                    "the parameters and files of this ApplicationSet hold more than {} MiB (the limit)",
                    self.opts.limits.budget.memory >> 20
                ),
            ));
        }
        Ok(())
    }
}

fn bool_at(v: &J, pointer: &str) -> bool {
    v.pointer(pointer).and_then(J::as_bool).unwrap_or(false)
}

/// Generates the Applications of an ApplicationSet (its whole object as JSON).
pub fn generate(appset: &J, inputs: &dyn Inputs, opts: &Options) -> Generation {
    let mut out = Generation {
        name: appset
            .pointer("/metadata/name")
            .and_then(J::as_str)
            .unwrap_or("")
            .to_string(),
        namespace: appset
            .pointer("/metadata/namespace")
            .and_then(J::as_str)
            .unwrap_or("")
            .to_string(),
        preserve_resources_on_deletion: bool_at(
            appset,
            "/spec/syncPolicy/preserveResourcesOnDeletion",
        ),
        applications_sync: appset
            .pointer("/spec/syncPolicy/applicationsSync")
            .and_then(J::as_str)
            .map(str::to_string),
        ..Generation::default()
    };
    let spec = appset.get("spec").cloned().unwrap_or(J::Null);
    let go = bool_at(&spec, "/goTemplate");
    let options: Vec<String> = match spec.get("goTemplateOptions") {
        Some(J::Array(a)) => a
            .iter()
            .filter_map(|o| o.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    let mut cx = Cx::new(inputs, opts, go, &options);
    cx.template_project = spec
        .pointer("/template/spec/project")
        .and_then(J::as_str)
        .unwrap_or("")
        .to_string();
    let mut dropped = Vec::new();
    let base = match schema::decode(
        &schema::TEMPLATE,
        spec.get("template").unwrap_or(&J::Null),
        "spec.template",
        &mut dropped,
    ) {
        Ok(t) => t,
        Err(e) => {
            out.errors.push(GenError {
                pointer: "/spec/template".into(),
                message: e.to_string(),
                limit: false,
                template: None,
            });
            return out;
        }
    };
    cx.dropped.borrow_mut().extend(dropped);
    let template_patch = spec.get("templatePatch").and_then(J::as_str);
    let entries: &[J] = match spec.get("generators") {
        Some(J::Array(a)) => a,
        _ => &[],
    };
    for (i, entry) in entries.iter().enumerate() {
        let pointer = format!("/spec/generators/{i}");
        if !generators::KINDS
            .iter()
            .any(|k| entry.get(*k).is_some_and(|v| !v.is_null()))
        {
            out.unrecognized.push(pointer);
            continue;
        }
        let results = match generators::transform(
            entry,
            &pointer,
            &base,
            &cx,
            None,
            generators::Level::Top,
        ) {
            Ok(r) => r,
            Err(Failure::Error(e)) => {
                out.errors.push(e);
                continue;
            }
            Err(Failure::NotExpanded(n)) => {
                out.not_expanded.push(n);
                continue;
            }
        };
        for r in results {
            for p in r.params {
                let rendered = render_application(
                    &r.template,
                    &p,
                    out.preserve_resources_on_deletion,
                    &out.namespace,
                    template_patch,
                    &cx,
                    &pointer,
                );
                match rendered {
                    Ok(app) => {
                        let mut templates: Vec<String> =
                            r.template_pointer.iter().cloned().collect();
                        templates.push("/spec/template".into());
                        if out.applications.len() >= opts.limits.applications {
                            out.errors.push(GenError {
                                pointer: pointer.clone(),
                                message: format!(
                                    "this ApplicationSet generates more than {} Applications (the limit)",
                                    opts.limits.applications
                                ),
                                limit: true,
                                template: None,
                            });
                            break;
                        }
                        out.applications.push(Generated {
                            application: app,
                            generator: i,
                            templates,
                            params: p.to_json(),
                            origins: p.origins,
                        });
                    }
                    Err(e) => out.errors.push(e),
                }
            }
        }
    }
    out.dropped_fields = cx.dropped.take();
    out.dropped_fields.sort();
    out.dropped_fields.dedup();
    out.nondeterministic = cx.render.nondeterministic();
    out
}

/// `RenderTemplateParams`, then `templatePatch` and the namespace: the Application one
/// parameter set makes of a (merged, canonical) template.
pub fn render_application(
    template: &J,
    params: &ParamSet,
    preserve_resources_on_deletion: bool,
    namespace: &str,
    template_patch: Option<&str>,
    cx: &Cx,
    pointer: &str,
) -> Result<J, GenError> {
    let fail = |message: String, template: Option<String>| {
        let limit = render::is_limit(&message).is_some();
        GenError {
            pointer: pointer.to_string(),
            message: render::is_limit(&message).unwrap_or(&message).to_string(),
            limit,
            template,
        }
    };
    if let Err(Failure::Error(e)) = cx.check_time(pointer) {
        return Err(e);
    }
    let mut app = serde_json::Map::new();
    app.insert(
        "apiVersion".into(),
        J::String("argoproj.io/v1alpha1".into()),
    );
    app.insert("kind".into(), J::String("Application".into()));
    app.insert(
        "metadata".into(),
        template.get("metadata").cloned().unwrap_or(J::Null),
    );
    app.insert(
        "spec".into(),
        template.get("spec").cloned().unwrap_or(J::Null),
    );
    let mut app = schema::canonical(&schema::APPLICATION, &J::Object(app));
    if !params.values.is_empty() {
        let dot = params.dot();
        let mut failed: Option<String> = None;
        let rendered = schema::walk_strings(&schema::APPLICATION, &app, &mut |s: &str| {
            cx.render
                .replace(s, &params.values, &dot, render::Options::Spec)
                .inspect_err(|_| failed = Some(s.to_string()))
        });
        app = rendered.map_err(|e| fail(e, failed))?;
        let finalizers_empty = app
            .pointer("/metadata/finalizers")
            .and_then(J::as_array)
            .is_none_or(|f| f.is_empty());
        if !preserve_resources_on_deletion && finalizers_empty {
            if let Some(m) = app.get_mut("metadata").and_then(J::as_object_mut) {
                m.insert(
                    "finalizers".into(),
                    serde_json::json!([RESOURCES_FINALIZER]),
                );
            }
        }
    }
    if let Some(patch_text) = template_patch {
        let dot = params.dot();
        let rendered = cx
            .render
            .replace(patch_text, &params.values, &dot, render::Options::Spec)
            .map_err(|e| {
                fail(
                    format!("error replacing values in templatePatch: {e}"),
                    Some(patch_text.to_string()),
                )
            })?;
        app = patch::apply(&app, &rendered).map_err(|e| fail(e, None))?;
        if let Some(o) = app.as_object_mut() {
            o.insert(
                "apiVersion".into(),
                J::String("argoproj.io/v1alpha1".into()),
            );
            o.insert("kind".into(), J::String("Application".into()));
        }
    }
    if let Some(m) = app.get_mut("metadata").and_then(J::as_object_mut) {
        if namespace.is_empty() {
            m.remove("namespace");
        } else {
            m.insert("namespace".into(), J::String(namespace.to_string()));
        }
    }
    let size = serde_json::to_string(&app).map_or(0, |s| s.len());
    if let Err(Failure::Error(e)) = cx.charge(pointer, size) {
        return Err(e);
    }
    Ok(app)
}
