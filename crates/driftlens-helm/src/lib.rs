//! Helm chart rendering, in-process: the equivalent of `helm template`.
//!
//! [`render_chart`] loads a chart ([`chart`]), computes values ([`values`]: value files,
//! Argo CD inline values, `--set*`, coalescing with defaults, subcharts and `global`),
//! enables dependencies (`condition`, `tags`, `alias`, `import-values`), executes every
//! template with the [`driftlens_gotmpl`] engine and cuts the output into documents
//! ([`output`]). Each [`RenderedDoc`] carries a [`SourceMap`] from its bytes back to
//! template lines. [`format_like_helm_template`] prints what `helm template` prints.
//! [`values_origin`] finds where a `.Values` key printed by a template was set.
//!
//! What it is not: it does not run helm, reach the network (charts come from a directory or a
//! `.tgz` on disk; `lookup` finds nothing, as in `helm template`), or know Argo CD: callers
//! turn an Application's Helm source into [`HelmOptions`]. Template execution is the
//! `driftlens-gotmpl` engine; every render is bounded in work, output and nesting.
//!
//! ```
//! use driftlens_helm::{chart, format_like_helm_template, render_loaded, HelmOptions};
//!
//! let files = vec![
//!     ("Chart.yaml".to_string(), b"apiVersion: v2\nname: web\nversion: 1.0.0\n".to_vec()),
//!     ("values.yaml".to_string(), b"replicas: 2\n".to_vec()),
//!     (
//!         "templates/cm.yaml".to_string(),
//!         b"kind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  replicas: {{ .Values.replicas | quote }}\n".to_vec(),
//!     ),
//! ];
//! let chart = chart::from_files(files, "web").expect("a valid chart");
//! let opts = HelmOptions {
//!     release_name: "prod".into(),
//!     set: vec!["replicas=3".into()],
//!     ..HelmOptions::default()
//! };
//! let rendered = render_loaded(chart, &opts).expect("it renders");
//! assert_eq!(rendered.docs.len(), 1);
//! let doc = &rendered.docs[0];
//! assert!(doc.text.contains("name: prod") && doc.text.contains("replicas: \"3\""));
//! // Every output byte maps back to its template line.
//! let at = doc.text.find("\"3\"").expect("printed");
//! assert_eq!(doc.locate(at).map(|l| l.line), Some(5));
//! assert!(format_like_helm_template(&rendered).starts_with("---\n# Source: web/templates/cm.yaml"));
//! ```

#![warn(missing_docs)]

pub mod chart;
pub mod output;
pub mod schema;
pub mod values;
pub mod values_origin;

use driftlens_sandbox::CheckoutRoot;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

pub use driftlens_gotmpl::eval::Location;
pub use driftlens_gotmpl::{ExecError, Nondet as NondeterministicUse, SourceMap};

use chart::{Chart, Dependency};
use driftlens_gotmpl::eval::{ExecState, Limits, TemplateSet};
use driftlens_gotmpl::funcs::semver;
use driftlens_gotmpl::value::{Map, Object, Value};
use values::{
    apply_set, coalesce_tables, copy_map, merge_maps, parse_values, read_values_file, SetKind,
    Warnings,
};

/// Kubernetes version assumed when none is given (as Helm v4.1.4's `template`).
pub const DEFAULT_KUBE_VERSION: &str = "v1.35.0";
/// Helm version reported in `.Capabilities.HelmVersion`.
pub const HELM_VERSION: &str = "v4.1.4";

/// The built-in `.Capabilities.APIVersions` of `helm template`.
pub const DEFAULT_API_VERSIONS: &[&str] = &[
    "v1",
    "admissionregistration.k8s.io/v1",
    "admissionregistration.k8s.io/v1alpha1",
    "admissionregistration.k8s.io/v1beta1",
    "internal.apiserver.k8s.io/v1alpha1",
    "apps/v1",
    "apps/v1beta1",
    "apps/v1beta2",
    "authentication.k8s.io/v1",
    "authentication.k8s.io/v1alpha1",
    "authentication.k8s.io/v1beta1",
    "authorization.k8s.io/v1",
    "authorization.k8s.io/v1beta1",
    "autoscaling/v1",
    "autoscaling/v2",
    "autoscaling/v2beta1",
    "autoscaling/v2beta2",
    "batch/v1",
    "batch/v1beta1",
    "certificates.k8s.io/v1",
    "certificates.k8s.io/v1beta1",
    "certificates.k8s.io/v1alpha1",
    "coordination.k8s.io/v1alpha2",
    "coordination.k8s.io/v1beta1",
    "coordination.k8s.io/v1",
    "discovery.k8s.io/v1",
    "discovery.k8s.io/v1beta1",
    "events.k8s.io/v1",
    "events.k8s.io/v1beta1",
    "extensions/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1",
    "flowcontrol.apiserver.k8s.io/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1beta2",
    "flowcontrol.apiserver.k8s.io/v1beta3",
    "networking.k8s.io/v1",
    "networking.k8s.io/v1beta1",
    "node.k8s.io/v1",
    "node.k8s.io/v1alpha1",
    "node.k8s.io/v1beta1",
    "policy/v1",
    "policy/v1beta1",
    "rbac.authorization.k8s.io/v1",
    "rbac.authorization.k8s.io/v1beta1",
    "rbac.authorization.k8s.io/v1alpha1",
    "resource.k8s.io/v1",
    "resource.k8s.io/v1beta2",
    "resource.k8s.io/v1beta1",
    "resource.k8s.io/v1alpha3",
    "scheduling.k8s.io/v1alpha1",
    "scheduling.k8s.io/v1beta1",
    "scheduling.k8s.io/v1",
    "storage.k8s.io/v1beta1",
    "storage.k8s.io/v1",
    "storage.k8s.io/v1alpha1",
    "storagemigration.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1",
];

/// Options of a render, mirroring `helm template` flags.
#[derive(Debug, Clone, Default)]
pub struct HelmOptions {
    /// Release name (`.Release.Name`).
    pub release_name: String,
    /// Release namespace (`.Release.Namespace`); empty means `default`.
    pub namespace: String,
    /// `-f` values files, in order.
    pub value_files: Vec<PathBuf>,
    /// `--set` flags.
    pub set: Vec<String>,
    /// `--set-string` flags.
    pub set_string: Vec<String>,
    /// `--set-file` flags.
    pub set_file: Vec<String>,
    /// Inline values (Argo CD `valuesObject`/`values`), applied after the value files.
    pub values_yaml: Option<String>,
    /// `--include-crds`.
    pub include_crds: bool,
    /// `--kube-version` (default [`DEFAULT_KUBE_VERSION`]).
    pub kube_version: Option<String>,
    /// `--api-versions`, added to [`DEFAULT_API_VERSIONS`].
    pub api_versions: Vec<String>,
    /// Seed for random functions; `None` seeds from the clock like Helm.
    pub seed: Option<u64>,
    /// The directory the chart's files must stay in (symbolic links included): the checkout
    /// for a scan. `None` follows links anywhere, like Helm.
    pub root: Option<PathBuf>,
}

/// One rendered manifest.
#[derive(Debug, Clone)]
pub struct RenderedDoc {
    /// Template path as in `# Source:` (`mychart/templates/deploy.yaml`).
    pub source: String,
    /// Document text as Helm prints it (trimmed).
    pub text: String,
    /// Output byte offset → template position.
    pub source_map: SourceMap,
    /// Carries a `helm.sh/hook` annotation (printed after the other manifests).
    pub is_hook: bool,
    /// The document's `kind` ("" when absent).
    pub kind: String,
}

impl RenderedDoc {
    /// Template position of the byte at `offset` of [`RenderedDoc::text`].
    pub fn locate(&self, offset: usize) -> Option<Location> {
        self.source_map.locate(&self.text, offset)
    }
}

/// A CRD file from `crds/` (printed raw with `--include-crds`).
#[derive(Debug, Clone)]
pub struct CrdFile {
    /// Path as in `# Source:` (`mychart/crds/x.yaml`).
    pub source: String,
    /// Raw content.
    pub content: String,
}

/// Result of a render.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    /// Manifests in output order: install order first, then hooks.
    pub docs: Vec<RenderedDoc>,
    /// CRD files (only with `include_crds`), printed first.
    pub crds: Vec<CrdFile>,
    /// Calls of non-deterministic functions (`randAlphaNum`, `genCA`, `now`, …).
    pub nondeterministic: Vec<NondeterministicUse>,
    /// Informational warnings from values coalescing and dependency processing.
    pub warnings: Vec<String>,
    /// Checks that were skipped because they would need the network (a `values.schema.json`
    /// that refers to a schema by URL), one sentence each.
    pub skipped: Vec<String>,
    /// The chart is marked `deprecated: true` (Helm warns on stderr).
    pub deprecated: bool,
    /// Where each chart of the render is: the prefix of its templates' names (`web`,
    /// `web/charts/cache`, by alias) and its directory relative to the root chart's
    /// ([`chart::Chart::dir`]), deepest prefixes first.
    pub chart_dirs: Vec<(String, Option<String>)>,
}

impl Rendered {
    /// The path relative to the root chart's directory of a template name
    /// (`web/charts/cache/templates/x.yaml` → `charts/redis-17.0.0/templates/x.yaml`); `None`
    /// for a template of a chart read from an archive.
    pub fn template_dir_path(
        chart_dirs: &[(String, Option<String>)],
        name: &str,
    ) -> Option<String> {
        for (prefix, dir) in chart_dirs {
            if let Some(rest) = name
                .strip_prefix(prefix.as_str())
                .and_then(|r| r.strip_prefix('/'))
            {
                let dir = dir.as_deref()?;
                return Some(if dir.is_empty() {
                    rest.to_string()
                } else {
                    format!("{dir}/{rest}")
                });
            }
        }
        None
    }
}

/// A render failure, worded like Helm.
#[derive(Debug, Clone)]
pub enum RenderError {
    /// The chart could not be loaded.
    Load(String),
    /// Values could not be read or parsed.
    Values(String),
    /// Chart-level checks (kubeVersion).
    Chart(String),
    /// Declared dependencies missing from `charts/` (checked before rendering).
    Dependency(String),
    /// Values do not satisfy a chart's `values.schema.json`.
    Schema(String),
    /// The release name is not a valid DNS-1123 name of at most 53 characters.
    ReleaseName(String),
    /// A template failed to parse or execute; carries `file:line:col`, and where each chart of
    /// the render is ([`Rendered::chart_dirs`]) to find the template's file.
    Template(Box<ExecError>, Vec<(String, Option<String>)>),
    /// A rendered document is not valid YAML or has a bad head.
    Yaml(String),
}

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RenderError::Load(m)
            | RenderError::Values(m)
            | RenderError::Chart(m)
            | RenderError::Dependency(m)
            | RenderError::Schema(m)
            | RenderError::ReleaseName(m)
            | RenderError::Yaml(m) => f.write_str(m),
            RenderError::Template(e, _) => f.write_str(&e.helm_message()),
        }
    }
}

impl std::error::Error for RenderError {}

impl RenderError {
    /// Template position (`file`, line, Go column) for template errors.
    pub fn position(&self) -> Option<(String, usize, usize)> {
        match self {
            RenderError::Template(e, _) => Some((e.file.clone(), e.line, e.col)),
            _ => None,
        }
    }

    /// Where each chart of the render is, for template errors (empty otherwise).
    pub fn chart_dirs(&self) -> &[(String, Option<String>)] {
        match self {
            RenderError::Template(_, dirs) => dirs,
            _ => &[],
        }
    }
}

/// Renders a chart directory (or `.tgz`) like `helm template`.
///
/// Runs on a dedicated thread with a large stack so that deeply nested (but bounded)
/// template recursion cannot overflow the caller's stack.
pub fn render_chart(chart_dir: &Path, opts: &HelmOptions) -> Result<Rendered, RenderError> {
    let dir = chart_dir.to_path_buf();
    let opts = opts.clone();
    let handle = std::thread::Builder::new()
        .name("helm-render".into())
        .stack_size(512 << 20)
        .spawn(move || render_in_thread(&dir, &opts))
        .map_err(|e| RenderError::Load(format!("cannot start render thread: {e}")))?;
    handle.join().unwrap_or_else(|_| {
        Err(RenderError::Load(
            "internal error: render thread panicked".into(),
        ))
    })
}

fn render_in_thread(dir: &Path, opts: &HelmOptions) -> Result<Rendered, RenderError> {
    chart::reset_decompression_budget();
    let root = confinement(opts)?;
    let chart = chart::load(dir, root.as_ref()).map_err(|e| RenderError::Load(e.0))?;
    render_loaded(chart, opts)
}

/// The directory the chart's files must stay in ([`HelmOptions::root`]).
fn confinement(opts: &HelmOptions) -> Result<Option<CheckoutRoot>, RenderError> {
    match &opts.root {
        Some(r) => CheckoutRoot::new(r)
            .map(Some)
            .map_err(|e| RenderError::Load(format!("{}: {e}", r.display()))),
        None => Ok(None),
    }
}

/// Where a chart's missing dependency can be loaded from (a chart directory or `.tgz`), as
/// `helm dependency build` would have fetched it; `None` leaves it missing.
pub type DependencySource<'a> = dyn Fn(&Dependency) -> Option<PathBuf> + Sync + 'a;

/// [`render_chart`] for a chart whose `charts/` folder lacks declared dependencies: each
/// dependency of the root chart that is not there is loaded from where `fetch` says, as if
/// `helm dependency build` had put it in `charts/`. A dependency directory inside the root
/// chart's parent keeps its path relative to the root chart for source positions.
pub fn render_chart_with_dependencies(
    chart_dir: &Path,
    opts: &HelmOptions,
    fetch: &DependencySource<'_>,
) -> Result<Rendered, RenderError> {
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name("helm-render".into())
            .stack_size(512 << 20)
            .spawn_scoped(scope, || {
                chart::reset_decompression_budget();
                let root = confinement(opts)?;
                let mut chart =
                    chart::load(chart_dir, root.as_ref()).map_err(|e| RenderError::Load(e.0))?;
                let missing: Vec<Dependency> = chart
                    .deps
                    .iter()
                    .filter(|d| !chart.subcharts.iter().any(|s| s.name == d.name))
                    .cloned()
                    .collect();
                for d in missing {
                    let Some(path) = fetch(&d) else { continue };
                    // A dependency from a chart folder outside the checkout stays in that
                    // folder.
                    let dep_root = match &root {
                        Some(r) if r.check(&path).is_ok() => None,
                        Some(_) => path.parent().and_then(|d| CheckoutRoot::new(d).ok()),
                        None => None,
                    };
                    let confine = dep_root.as_ref().or(root.as_ref());
                    let mut sub =
                        chart::load(&path, confine).map_err(|e| RenderError::Load(e.0))?;
                    sub.dir = if path.is_dir() {
                        relative_dir(chart_dir, &path)
                    } else {
                        None
                    };
                    chart.subcharts.push(sub);
                }
                render_loaded(chart, opts)
            })
            .map_err(|e| RenderError::Load(format!("cannot start render thread: {e}")))?;
        handle.join().unwrap_or_else(|_| {
            Err(RenderError::Load(
                "internal error: render thread panicked".into(),
            ))
        })
    })
}

/// `to` relative to `from` (`../common`), when both are absolute or both relative.
fn relative_dir(from: &Path, to: &Path) -> Option<String> {
    let a: Vec<_> = from.components().collect();
    let b: Vec<_> = to.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    if common == 0 {
        return None;
    }
    let mut parts: Vec<String> = vec!["..".to_string(); a.len() - common];
    parts.extend(
        b[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    Some(parts.join("/"))
}

/// Merges user values: value files, inline values, then `--set`, `--set-string`, `--set-file`.
pub fn user_values(opts: &HelmOptions) -> Result<Map, RenderError> {
    let mut base = Map::new();
    for f in &opts.value_files {
        let m = read_values_file(f).map_err(|e| RenderError::Values(e.0))?;
        merge_maps(&mut base, &m);
    }
    if let Some(y) = &opts.values_yaml {
        let m = parse_values(y, "values").map_err(|e| RenderError::Values(e.0))?;
        merge_maps(&mut base, &m);
    }
    for (flags, kind) in [
        (&opts.set, SetKind::Typed),
        (&opts.set_string, SetKind::String),
        (&opts.set_file, SetKind::File),
    ] {
        for f in flags {
            apply_set(&mut base, f, kind)
                .map_err(|e| RenderError::Values(format!("failed parsing --set data: {}", e.0)))?;
        }
    }
    Ok(base)
}

fn check_dependencies_present(c: &Chart) -> Result<(), RenderError> {
    for d in &c.deps {
        if !c.subcharts.iter().any(|s| s.name == d.name) {
            return Err(RenderError::Dependency(format!(
                "an error occurred while checking for chart dependencies. You may need to run `helm dependency build` to fetch missing dependencies: found in Chart.yaml, but missing in charts/ directory: {}",
                d.name
            )));
        }
    }
    Ok(())
}

/// `coalesceValues` + `coalesceDeps`: user values over chart defaults, recursively.
fn coalesce(c: &Chart, dest: &mut Map, prefix: &str, warn: &mut Warnings, depth: usize) {
    if depth > 64 {
        return;
    }
    let sub_prefix = if prefix.is_empty() {
        c.name.clone()
    } else {
        format!("{prefix}.{}", c.name)
    };
    let defaults = copy_map(&c.values);
    for (k, dv) in defaults {
        match dest.get(&k).cloned() {
            Some(Value::Nil) => {
                dest.remove(&k);
            }
            Some(Value::Map(um)) => match &dv {
                Value::Map(sm) => {
                    let merge = c.subcharts.iter().any(|s| s.name == k);
                    let mut u = um.borrow().clone();
                    coalesce_tables(
                        &mut u,
                        &sm.borrow(),
                        &format!("{sub_prefix}.{k}"),
                        merge,
                        warn,
                        0,
                    );
                    dest.insert(k, Value::map(u));
                }
                Value::Nil => {}
                _ => warn.push(format!(
                    "warning: skipped value for {sub_prefix}.{k}: Not a table."
                )),
            },
            Some(_) => {}
            None => {
                dest.insert(k, dv);
            }
        }
    }
    for sub in &c.subcharts {
        let mut dv = match dest.get(&sub.name) {
            Some(Value::Map(m)) => m.borrow().clone(),
            _ => Map::new(),
        };
        coalesce_globals(&mut dv, dest);
        coalesce(sub, &mut dv, &sub_prefix, warn, depth + 1);
        dest.insert(sub.name.clone(), Value::map(dv));
    }
}

/// Copies the parent's `global` into a subchart's values (parent wins).
fn coalesce_globals(dest: &mut Map, parent: &Map) {
    let mut dg = match dest.get("global") {
        Some(Value::Map(m)) => m.borrow().clone(),
        Some(_) => return,
        None => Map::new(),
    };
    let sg = match parent.get("global") {
        Some(Value::Map(m)) => m.borrow().clone(),
        Some(_) => return,
        None => Map::new(),
    };
    for (k, v) in sg {
        match (&v, dg.get(&k)) {
            (Value::Map(vm), Some(Value::Map(dm))) => {
                let mut vv = copy_map(&vm.borrow());
                let mut w = Vec::new();
                coalesce_tables(&mut vv, &dm.borrow(), "", true, &mut w, 0);
                dg.insert(k, Value::map(vv));
            }
            (Value::Map(vm), None) => {
                dg.insert(k, Value::map(copy_map(&vm.borrow())));
            }
            (Value::Map(_), Some(_)) => {}
            (_, Some(Value::Map(_))) => {}
            _ => {
                dg.insert(k, v.deep_copy().unwrap_or(Value::Nil));
            }
        }
    }
    dest.insert("global".into(), Value::map(dg));
}

fn path_value(m: &Map, path: &str) -> Option<Value> {
    let mut cur = Value::map(m.clone());
    for part in path.split('.') {
        let next = match &cur {
            Value::Map(mm) => mm.borrow().get(part).cloned()?,
            _ => return None,
        };
        cur = next;
    }
    Some(cur)
}

/// Applies aliases and `condition`/`tags` to the dependency tree (Helm's
/// `processDependencyEnabled`).
fn process_enabled(
    c: &mut Chart,
    v: &Map,
    path: &str,
    warn: &mut Warnings,
    depth: usize,
) -> Result<(), RenderError> {
    if depth > 64 {
        return Err(RenderError::Chart(
            "chart dependencies nested too deeply".into(),
        ));
    }
    check_dependencies_present(c)?;
    // Like Helm, a chart without declared dependencies is left untouched (its subcharts'
    // own conditions are not evaluated either).
    if c.deps.is_empty() {
        return Ok(());
    }
    // Subcharts not declared in Chart.yaml (by name and compatible version) are kept as
    // they are; declared ones are copied under their alias.
    let mut subs: Vec<Chart> = Vec::new();
    for s in &c.subcharts {
        if !c
            .deps
            .iter()
            .any(|d| d.name == s.name && compatible(&d.version, &s.version))
        {
            subs.push(s.clone());
        }
    }
    for d in &c.deps {
        let Some(base) = c
            .subcharts
            .iter()
            .find(|s| s.name == d.name && compatible(&d.version, &s.version))
        else {
            continue;
        };
        let mut sc = base.clone();
        if let Some(a) = &d.alias {
            sc.name = a.clone();
            if let Some(n) = sc.metadata.get_mut("Name") {
                *n = Value::str(a);
            }
        }
        subs.push(sc);
    }
    c.subcharts = subs;
    // Conditions and tags are read from the values coalesced at this level.
    let mut cvals = copy_map(v);
    coalesce(c, &mut cvals, "", warn, 0);
    let tags = match path_value(&cvals, "tags") {
        Some(Value::Map(m)) => m.borrow().clone(),
        _ => Map::new(),
    };
    let mut disabled: Vec<String> = Vec::new();
    for d in &c.deps {
        if !dependency_enabled(d, &tags, &cvals, path, warn) {
            disabled.push(d.alias.clone().unwrap_or_else(|| d.name.clone()));
        }
    }
    // Helm removes disabled dependencies by name, which also drops an undeclared chart
    // that happens to carry that name.
    c.subcharts.retain(|s| !disabled.contains(&s.name));
    for s in c.subcharts.iter_mut() {
        let sub_path = format!("{path}{}.", s.name);
        process_enabled(s, &cvals, &sub_path, warn, depth + 1)?;
    }
    Ok(())
}

/// Helm's `IsCompatibleRange`: the chart version satisfies the dependency's constraint.
fn compatible(constraint: &str, version: &str) -> bool {
    match semver::parse_version(version) {
        Some(v) => semver::constraint_matches(constraint, &v).unwrap_or(false),
        None => false,
    }
}

fn dependency_enabled(
    d: &Dependency,
    tags: &Map,
    cvals: &Map,
    path: &str,
    warn: &mut Warnings,
) -> bool {
    let name = d.alias.clone().unwrap_or_else(|| d.name.clone());
    let mut enabled = true;
    let (mut has_true, mut has_false) = (false, false);
    for t in &d.tags {
        match tags.get(t) {
            Some(Value::Bool(true)) => has_true = true,
            Some(Value::Bool(false)) => has_false = true,
            Some(_) => warn.push(format!(
                "Warning: Tag '{t}' for chart {name} returned non-bool value"
            )),
            None => {}
        }
    }
    if !has_true && has_false {
        enabled = false;
    }
    if let Some(cond) = &d.condition {
        for c in cond.trim().split(',') {
            let c = c.trim();
            if c.is_empty() {
                continue;
            }
            match path_value(cvals, &format!("{path}{c}")) {
                Some(Value::Bool(b)) => {
                    enabled = b;
                    break;
                }
                Some(_) => warn.push(format!(
                    "Warning: Condition path '{c}' for chart {name} returned non-bool value"
                )),
                None => {}
            }
        }
    }
    enabled
}

fn path_to_map(path: &str, v: Map) -> Map {
    if path.is_empty() || path == "." {
        return v;
    }
    let mut cur = v;
    for part in path.split('.').rev() {
        let mut m = Map::new();
        m.insert(part.to_string(), Value::map(cur));
        cur = m;
    }
    cur
}

/// Helm's `processImportValues`, deepest charts first.
fn process_imports(c: &mut Chart, warn: &mut Warnings, depth: usize) {
    if depth > 64 {
        return;
    }
    for s in c.subcharts.iter_mut() {
        process_imports(s, warn, depth + 1);
    }
    if c.deps.iter().all(|d| d.import_values.is_empty()) {
        return;
    }
    let mut cvals = Map::new();
    coalesce(c, &mut cvals, "", warn, 0);
    let mut b = Map::new();
    for d in &c.deps {
        let name = d.alias.clone().unwrap_or_else(|| d.name.clone());
        for iv in &d.import_values {
            let (child, parent) = match iv {
                Value::Map(m) => {
                    let m = m.borrow();
                    (
                        driftlens_gotmpl::funcs::strval(m.get("child").unwrap_or(&Value::Nil)),
                        driftlens_gotmpl::funcs::strval(m.get("parent").unwrap_or(&Value::Nil)),
                    )
                }
                Value::Str(s) => (format!("exports.{s}"), ".".to_string()),
                _ => continue,
            };
            match path_value(&cvals, &format!("{name}.{child}")) {
                Some(Value::Map(t)) => {
                    let add = path_to_map(&parent, copy_map(&t.borrow()));
                    let mut w = Vec::new();
                    coalesce_tables(&mut b, &add, "", false, &mut w, 0);
                }
                _ => warn.push(format!(
                    "Warning: ImportValues missing table from chart {name}: {child}"
                )),
            }
        }
    }
    let mut newvals = cvals;
    let mut w = Vec::new();
    coalesce_tables(&mut newvals, &b, "", false, &mut w, 0);
    c.values = newvals;
}

fn kube_version(opts: &HelmOptions) -> Result<(String, String, String), RenderError> {
    let raw = opts
        .kube_version
        .clone()
        .unwrap_or_else(|| DEFAULT_KUBE_VERSION.to_string());
    let v = semver::parse_version(&raw)
        .ok_or_else(|| RenderError::Chart(format!("invalid kube version {raw:?}")))?;
    Ok((
        format!("v{}.{}.{}", v.major, v.minor, v.patch),
        v.major.to_string(),
        v.minor.to_string(),
    ))
}

fn str_map(pairs: &[(&str, Value)]) -> Value {
    Value::map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

struct Flat {
    path: String,
    ctx: Value,
    library: bool,
    templates: std::sync::Arc<Vec<(String, String)>>,
    dir: Option<String>,
}

/// Builds `.`-contexts for a chart and its subcharts; returns the chart's context.
fn flatten(
    c: &Chart,
    path: &str,
    vals: Value,
    common: &Map,
    out: &mut Vec<Flat>,
    depth: usize,
) -> Value {
    let mut subcharts = Map::new();
    let mut sub_flats = Vec::new();
    if depth < 64 {
        for s in &c.subcharts {
            let sv = match &vals {
                Value::Map(m) => m
                    .borrow()
                    .get(&s.name)
                    .cloned()
                    .unwrap_or_else(|| Value::map(Map::new())),
                _ => Value::map(Map::new()),
            };
            let sp = format!("{path}/charts/{}", s.name);
            let sctx = flatten(s, &sp, sv, common, &mut sub_flats, depth + 1);
            subcharts.insert(s.name.clone(), sctx);
        }
    }
    let mut ctx = common.clone();
    ctx.insert("Values".into(), vals);
    ctx.insert("Chart".into(), Value::map(c.metadata.clone()));
    ctx.insert(
        "Files".into(),
        Value::Object(Rc::new(Object::Files(c.files.clone()))),
    );
    ctx.insert("Subcharts".into(), Value::map(subcharts));
    let ctx = Value::map(ctx);
    out.push(Flat {
        path: path.to_string(),
        ctx: ctx.clone(),
        library: c.chart_type == "library",
        templates: c.templates.clone(),
        dir: c.dir.clone(),
    });
    out.extend(sub_flats);
    ctx
}

/// Helm's template order: deeper paths first, then reverse lexicographic.
fn template_order(a: &str, b: &str) -> std::cmp::Ordering {
    let (ca, cb) = (a.matches('/').count(), b.matches('/').count());
    cb.cmp(&ca).then_with(|| b.cmp(a))
}

fn base_name(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

const RELEASE_NAME_RULE: &str = "invalid release name, must match regex ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$ and the length must not be longer than 53";

/// Helm's release name rule: DNS-1123 subdomain labels, at most 53 characters.
fn check_release_name(name: &str) -> Result<(), RenderError> {
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if name.len() <= 53 && name.split('.').all(label_ok) {
        return Ok(());
    }
    Err(RenderError::ReleaseName(format!(
        "release name check failed: release name {}: {RELEASE_NAME_RULE}",
        driftlens_gotmpl::fmt::go_quote(name)
    )))
}

/// Renders an already loaded chart.
pub fn render_loaded(mut root: Chart, opts: &HelmOptions) -> Result<Rendered, RenderError> {
    let mut warnings = Vec::new();
    check_release_name(&opts.release_name)?;
    if root.chart_type == "library" {
        return Err(RenderError::Chart(
            "library charts are not installable".into(),
        ));
    }
    let user = user_values(opts)?;
    let (kv, major, minor) = kube_version(opts)?;
    if let Some(req) = &root.kube_version {
        let v = semver::parse_version(&kv)
            .ok_or_else(|| RenderError::Chart(format!("invalid kube version {kv:?}")))?;
        let ok = semver::constraint_matches(req, &v).map_err(RenderError::Chart)?;
        if !ok {
            return Err(RenderError::Chart(format!(
                "chart requires kubeVersion: {req} which is incompatible with Kubernetes {kv}"
            )));
        }
    }
    // Dependencies: enable/alias with the coalesced values, then import values.
    process_enabled(&mut root, &user, "", &mut warnings, 0)?;
    process_imports(&mut root, &mut warnings, 0);
    let mut vals = copy_map(&user);
    coalesce(&root, &mut vals, "", &mut warnings, 0);
    let vals = Value::map(vals);
    let mut skipped = Vec::new();
    schema::validate(&root, &vals, &mut skipped).map_err(RenderError::Schema)?;

    let namespace = if opts.namespace.is_empty() {
        "default".to_string()
    } else {
        opts.namespace.clone()
    };
    let release = str_map(&[
        ("Name", Value::str(&opts.release_name)),
        ("Namespace", Value::str(&namespace)),
        ("IsUpgrade", Value::Bool(false)),
        ("IsInstall", Value::Bool(true)),
        ("Revision", Value::Int(1)),
        ("Service", Value::str("Helm")),
    ]);
    let mut apis: Vec<String> = DEFAULT_API_VERSIONS.iter().map(|s| s.to_string()).collect();
    apis.extend(opts.api_versions.iter().cloned());
    let caps = str_map(&[
        (
            "KubeVersion",
            Value::Object(Rc::new(Object::KubeVersion {
                version: kv.clone(),
                major,
                minor,
            })),
        ),
        (
            "APIVersions",
            Value::Object(Rc::new(Object::ApiVersions(apis))),
        ),
        (
            "HelmVersion",
            str_map(&[
                ("Version", Value::str(HELM_VERSION)),
                ("GitCommit", Value::str("")),
                ("GitTreeState", Value::str("clean")),
                ("GoVersion", Value::str("go1.25.9")),
            ]),
        ),
    ]);
    let mut common = Map::new();
    common.insert("Release".into(), release);
    common.insert("Capabilities".into(), caps);
    let root_name = root.name.clone();
    let mut flats = Vec::new();
    flatten(&root, &root_name, vals, &common, &mut flats, 0);
    let mut chart_dirs: Vec<(String, Option<String>)> = flats
        .iter()
        .map(|f| (f.path.clone(), f.dir.clone()))
        .collect();
    chart_dirs.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));

    // All templates of all charts in one set, parsed in Helm's order.
    let mut all: Vec<(String, String, usize)> = Vec::new();
    for (i, f) in flats.iter().enumerate() {
        for (p, text) in f.templates.iter() {
            if f.library && !base_name(p).starts_with('_') {
                continue;
            }
            all.push((format!("{}/{p}", f.path), text.clone(), i));
        }
    }
    all.sort_by(|a, b| template_order(&a.0, &b.0));
    let mut set = TemplateSet::new();
    for (name, text, _) in &all {
        set.add(name, text)
            .map_err(|e| RenderError::Template(e, chart_dirs.clone()))?;
    }
    let seed = opts.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
    });
    let mut state = ExecState::new(Limits::default(), seed);
    let mut rendered: BTreeMap<String, (String, SourceMap)> = BTreeMap::new();
    for (name, _, fi) in &all {
        if base_name(name).starts_with('_') {
            continue;
        }
        let flat = &flats[*fi];
        if let Value::Map(m) = &flat.ctx {
            let tmpl = str_map(&[
                ("Name", Value::str(name)),
                ("BasePath", Value::str(format!("{}/templates", flat.path))),
            ]);
            m.borrow_mut().insert("Template".into(), tmpl);
        }
        let (text, mut map) = set
            .execute(name, flat.ctx.clone(), &mut state)
            .map_err(|e| RenderError::Template(e, chart_dirs.clone()))?;
        // Helm removes every "<no value>" from the output.
        let mut ranges = Vec::new();
        let mut from = 0;
        while let Some(i) = text[from..].find("<no value>") {
            ranges.push((from + i, from + i + 10));
            from += i + 10;
        }
        let text = if ranges.is_empty() {
            text
        } else {
            map.delete_ranges(&text, &ranges);
            text.replace("<no value>", "")
        };
        if name.ends_with("NOTES.txt") {
            continue;
        }
        rendered.insert(name.clone(), (text, map));
    }
    drop(flats);

    let mut generic = Vec::new();
    let mut hooks = Vec::new();
    for (name, (text, map)) in &rendered {
        if text.trim().is_empty() {
            continue;
        }
        for p in output::split_file(name, text, map).map_err(RenderError::Yaml)? {
            if p.is_hook {
                hooks.push(p);
            } else {
                generic.push(p);
            }
        }
    }
    generic.sort_by(|a, b| output::by_kind(&a.kind, &b.kind));
    hooks.sort_by(|a, b| output::by_kind(&a.kind, &b.kind));
    let docs = generic
        .into_iter()
        .chain(hooks)
        .map(|p| RenderedDoc {
            source: p.source,
            text: p.text,
            source_map: p.map,
            is_hook: p.is_hook,
            kind: p.kind,
        })
        .collect();
    let crds = if opts.include_crds {
        collect_crds(&root, &root_name, 0)
    } else {
        Vec::new()
    };
    let deprecated = matches!(root.metadata.get("Deprecated"), Some(Value::Bool(true)));
    Ok(Rendered {
        docs,
        crds,
        nondeterministic: state.nondet,
        warnings,
        skipped,
        deprecated,
        chart_dirs,
    })
}

fn collect_crds(c: &Chart, path: &str, depth: usize) -> Vec<CrdFile> {
    let mut out: Vec<CrdFile> = c
        .crds
        .iter()
        .map(|(p, d)| CrdFile {
            source: format!("{path}/{p}"),
            content: String::from_utf8_lossy(d).into_owned(),
        })
        .collect();
    out.sort_by(|a, b| a.source.cmp(&b.source));
    if depth < 64 {
        for s in &c.subcharts {
            out.extend(collect_crds(
                s,
                &format!("{path}/charts/{}", s.name),
                depth + 1,
            ));
        }
    }
    out
}

/// Prints a render exactly as `helm template` writes it to stdout.
pub fn format_like_helm_template(r: &Rendered) -> String {
    let pieces = r
        .crds
        .iter()
        .map(|c| (c.source.as_str(), c.content.as_str()))
        .chain(r.docs.iter().map(|d| (d.source.as_str(), d.text.as_str())));
    let size: usize = pieces.clone().map(|(s, t)| s.len() + t.len() + 16).sum();
    let mut out = String::with_capacity(size);
    for (source, text) in pieces {
        for part in ["---\n# Source: ", source, "\n", text, "\n"] {
            out.push_str(part);
        }
    }
    if out.is_empty() {
        out.push('\n');
    }
    out
}

/// Renders and returns what `helm template` would print: (stdout, stderr, exit code).
pub fn render_output(chart: &Path, opts: &HelmOptions) -> (String, String, i32) {
    if !chart.exists() {
        return (
            String::new(),
            format!("Error: chart path {} does not exist\n", chart.display()),
            2,
        );
    }
    match render_chart(chart, opts) {
        Ok(r) => {
            let mut err = if r.deprecated {
                "level=WARN msg=\"this chart is deprecated\"\n".to_string()
            } else {
                String::new()
            };
            for s in &r.skipped {
                err.push_str(&format!("note: {s}\n"));
            }
            (format_like_helm_template(&r), err, 0)
        }
        Err(e) => (String::new(), helm_error_text(&e), 1),
    }
}

/// What `helm template` writes to stderr for a failed render.
pub fn helm_error_text(e: &RenderError) -> String {
    match e {
        RenderError::ReleaseName(m) => {
            let detail = m.strip_prefix("release name check failed: ").unwrap_or(m);
            let logged = driftlens_gotmpl::fmt::go_quote(detail);
            format!("level=ERROR msg=\"release name check failed\" error={logged}\nError: {m}\n")
        }
        // Checked by helm's command before rendering starts: no rendering hint.
        RenderError::Dependency(_) | RenderError::Values(_) | RenderError::Schema(_) => {
            format!("Error: {e}\n")
        }
        _ => format!("Error: {e}\n\nUse --debug flag to render out invalid YAML\n"),
    }
}
