//! An in-process `kustomize build`, byte for byte like kustomize v5.6 (the version inside
//! kubectl 1.33).
//!
//! **What it is.** A re-implementation of kustomize's build pipeline: kustomization parsing
//! with kustomize's strictness, resources/components/bases with load restrictions, generators
//! with kustomize's content hash, the built-in transformers in kustomize's fixed order
//! (strategic-merge patches à la kyaml `merge2`, JSON 6902 patches, namespace, prefixes and
//! suffixes with name-reference fix-ups, labels, annotations, images, replicas, replacements,
//! vars), the legacy or FIFO output order, and the output bytes exactly as kustomize writes
//! them (go-yaml v2 via sigs.k8s.io/yaml). Every output node remembers the file and line it
//! came from, so callers can point findings at the line a person edits.
//!
//! **What it is not.** It runs no programs: exec and container KRM functions are reported as
//! not analysed, remote bases and files are read only through a caller-provided mapping to
//! local copies ([`loader::Remote`]), and Helm charts are inflated through a caller-provided
//! [`HelmRenderer`]. It never touches the network, and reads nothing outside the
//! [`fs::FileSystem`] it is given.
//!
//! **Budgets.** File sizes, total bytes, resource count, nesting depth, YAML size and overall
//! work are bounded by [`Limits`], which inputs cannot switch off; exceeding one is an error.
//!
//! ```
//! use driftlens_kustomize::{build, fs::MemFs, BuildOptions};
//! let mut fs = MemFs::new();
//! fs.add_file("/app/kustomization.yaml", "namePrefix: p-\nresources: [cm.yaml]\n");
//! fs.add_file("/app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n");
//! let out = build(&fs, "/app", &BuildOptions::default(), None, None).unwrap();
//! assert_eq!(out.to_yaml().unwrap(), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: p-c\n");
//! ```
#![warn(missing_docs)]

pub mod builtins;
pub mod config;
pub mod edit;
pub mod error;
pub mod fieldspec;
pub mod fs;
pub mod helm_engine;
pub mod jsondec;
pub mod loader;
pub mod merge2;
pub mod openapi;
pub mod path;
pub mod reader;
pub mod resmap;
pub mod resource;
pub mod selector;
pub mod target;
pub mod types;
pub mod yaml;

pub use error::{Error, ErrorKind, Location};
pub use loader::{LoadRestrictor, Remote, RepoSpec};
pub use resource::Resource;

/// Budgets no input can switch off.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest single file read.
    pub max_file_bytes: u64,
    /// Most resources in one build.
    pub max_resources: usize,
    /// The shared engine budget: `depth` bounds the nesting of kustomizations, `steps` the
    /// work (roughly, node operations), `time` the wall-clock time and `memory` the bytes
    /// read by one build.
    pub budget: driftlens_sandbox::Limits,
}

/// The default budget of one build.
pub const BUDGET: driftlens_sandbox::Limits = driftlens_sandbox::Limits {
    depth: 64,
    steps: 2_000_000_000,
    time: std::time::Duration::from_secs(60),
    memory: 512 << 20,
};

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 64 << 20,
            max_resources: 200_000,
            budget: BUDGET,
        }
    }
}

/// `--reorder`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reorder {
    /// Not given (legacy unless the kustomization says otherwise).
    #[default]
    Unspecified,
    /// `legacy`.
    Legacy,
    /// `none` (FIFO).
    None,
}

/// Build options (kustomize's flags).
#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    /// `--load-restrictor`.
    pub load_restrictor: LoadRestrictor,
    /// `--enable-helm`.
    pub enable_helm: bool,
    /// `--helm-kube-version`.
    pub helm_kube_version: String,
    /// `--helm-api-versions`.
    pub helm_api_versions: Vec<String>,
    /// `--enable-managedby-label` / `KUSTOMIZE_ENABLE_MANAGEDBY_LABEL`.
    pub managed_by_label: bool,
    /// `--reorder`.
    pub reorder: Reorder,
    /// Budgets.
    pub limits: Limits,
    /// Edits of the top kustomization before the build (Argo CD's `kustomize edit …`).
    pub edits: Option<edit::Edits>,
}

/// A chart to inflate: what kustomize's HelmChartInflationGenerator would hand to
/// `helm template` (`helm template RELEASE CHART_DIR --namespace … -f VALUES …`).
#[derive(Clone, Debug, Default)]
pub struct HelmRequest {
    /// `name:`, the chart's name.
    pub chart_name: String,
    /// `version:`.
    pub chart_version: String,
    /// `repo:` (an `https://` or `oci://` Helm repository; empty for a local chart).
    pub repo: String,
    /// The chart directory, absolute in the build's file system (where kustomize finds it, or
    /// the local copy [`HelmRenderer::pulled_chart`] gave for a chart kustomize would pull).
    pub chart_dir: String,
    /// Release name (empty: kustomize passes `--generate-name`, a random name).
    pub release_name: String,
    /// `--namespace` (empty: Helm's `default`).
    pub namespace: String,
    /// `--name-template`.
    pub name_template: String,
    /// The `-f` values files in order, as (path, content): first the chart's values or the
    /// file kustomize writes after merging `valuesInline`, then `additionalValuesFiles`.
    pub values: Vec<(String, String)>,
    /// `--api-versions`.
    pub api_versions: Vec<String>,
    /// `--kube-version`.
    pub kube_version: String,
    /// `--include-crds`.
    pub include_crds: bool,
    /// `--skip-tests`.
    pub skip_tests: bool,
    /// `--no-hooks`.
    pub skip_hooks: bool,
    /// Where the chart was configured (kustomization file and line).
    pub configured_at: Option<Location>,
}

/// Renders Helm charts for `helmCharts:` (the application provides its own Helm engine).
pub trait HelmRenderer: Send + Sync {
    /// What `helm template` prints for the request, or an error (kind
    /// [`ErrorKind::NotAnalysed`] when the chart cannot be rendered offline).
    fn render(&self, req: &HelmRequest) -> Result<String, Error>;

    /// The directory (absolute, in the build's file system) of a local copy of a chart that
    /// is not on disk where kustomize looks and that kustomize would `helm pull` from `repo`;
    /// `None` when there is none (the chart is then not analysed).
    fn pulled_chart(&self, repo: &str, name: &str, version: &str) -> Option<String> {
        let _ = (repo, name, version);
        None
    }
}

/// A finished build.
pub struct Output {
    /// The resources, in output order.
    pub resources: Vec<Resource>,
    /// Files read, by index (index 0 is unused).
    pub files: Vec<String>,
    /// What kustomize would print to stderr.
    pub warnings: Vec<String>,
}

impl Output {
    /// kustomize's output bytes.
    pub fn to_yaml(&self) -> Result<String, Error> {
        let mut out = String::new();
        for (i, r) in self.resources.iter().enumerate() {
            if i > 0 {
                out.push_str("---\n");
            }
            let v = yaml::value::decode_resource(&r.node)
                .map_err(|e| Error::new(format!("map[string]interface {{}}(nil): {}", e.0)))?;
            out.push_str(&yaml::emit::to_yaml(&v));
        }
        Ok(out)
    }

    /// The file a location points into.
    pub fn file(&self, l: yaml::Loc) -> Option<&str> {
        if l.file == 0 {
            return None;
        }
        self.files.get(l.file as usize).map(String::as_str)
    }
}

/// Builds the kustomization in `dir` (absolute, or relative to the current directory).
pub fn build(
    fs: &dyn fs::FileSystem,
    dir: &str,
    opts: &BuildOptions,
    remote: Option<&dyn Remote>,
    helm: Option<&dyn HelmRenderer>,
) -> Result<Output, Error> {
    build_with_warnings(fs, dir, opts, remote, helm).0
}

/// [`build`], also returning the warnings kustomize prints to stderr when the build fails.
pub fn build_with_warnings(
    fs: &dyn fs::FileSystem,
    dir: &str,
    opts: &BuildOptions,
    remote: Option<&dyn Remote>,
    helm: Option<&dyn HelmRenderer>,
) -> (Result<Output, Error>, Vec<String>) {
    let r = build_report(fs, dir, opts, remote, helm);
    (r.result, r.warnings)
}

/// Everything a build leaves behind, also when it fails.
pub struct Report {
    /// The output, or the error that stopped the build.
    pub result: Result<Output, Error>,
    /// What kustomize would print to stderr.
    pub warnings: Vec<String>,
    /// Every file the build read before it finished or failed (kustomization files,
    /// resources, patches, generator sources …), by their paths in the build's file system;
    /// a chart inflated through the [`HelmRenderer`] is listed as `DIR (helm template)`.
    pub files: Vec<String>,
}

/// [`build`], reporting the files read and the warnings whatever the outcome.
pub fn build_report(
    fs: &dyn fs::FileSystem,
    dir: &str,
    opts: &BuildOptions,
    remote: Option<&dyn Remote>,
    helm: Option<&dyn HelmRenderer>,
) -> Report {
    let mut b = target::Build::new(fs, opts, remote, helm);
    let r = run(&mut b, dir);
    let files: Vec<String> = b.files.iter().skip(1).cloned().collect();
    let warnings = b.warnings.clone();
    Report {
        result: r.map(|resources| Output {
            resources,
            files: b.files,
            warnings: warnings.clone(),
        }),
        warnings,
        files,
    }
}

fn run(b: &mut target::Build, dir: &str) -> Result<Vec<Resource>, Error> {
    let (fs, opts, remote) = (b.fs, b.opts, b.remote);
    let ldr = loader::Loader::new_root(fs, dir, opts.load_restrictor, remote)?;
    let mut kt = b.load_target(ldr)?;
    if let Some(e) = &opts.edits {
        let file = b.files.get(kt.file as usize).cloned().unwrap_or_default();
        edit::apply(&mut kt.k, e).map_err(|e| e.at_if_unset(&file, 0))?;
    }
    b.set_schema(&kt, true)?;
    let sort = kt.k.sort_options.clone();
    let build_metadata = kt.k.build_metadata.clone();
    let mut m = b.run_top(kt)?;
    builtins::sort::apply_sort(b, &mut m, sort.as_ref())?;
    if opts.managed_by_label || build_metadata.iter().any(|s| s == "managedByLabel") {
        builtins::labels::add_managed_by(&mut m)?;
    }
    for r in m.list_mut().iter_mut() {
        r.remove_build_annotations();
    }
    if !build_metadata.iter().any(|s| s == "originAnnotations") {
        for r in m.list_mut().iter_mut() {
            r.remove_annotation_rewrite(resource::ORIGIN);
        }
    }
    if !build_metadata.iter().any(|s| s == "transformerAnnotations") {
        for r in m.list_mut().iter_mut() {
            r.remove_annotation_rewrite(resource::TRANSFORMATIONS);
        }
    }
    Ok(m.into_list())
}
