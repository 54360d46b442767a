//! Rendering Helm charts into the model.
//!
//! A chart an Application source resolves to ([`crate::sources`]: a directory of the checkout
//! or of a mapped checkout, or an archive of a chart folder) is rendered once per source with
//! that Application's Helm settings, as Argo CD would run `helm template` (semantics §7):
//! release name, namespace, value files (relative to the chart, `/…` from the repository root,
//! `$ref/…` from a `ref` source; `ignoreMissingValueFiles`), `values`/`valuesObject`,
//! `parameters`, `fileParameters`, `skipCrds`. Dependencies missing from a chart's `charts/`
//! come from the chart folders, at the version `Chart.lock` pins ([`crate::sources::deps`]).
//! Applications a chart renders (app of apps) count as Applications of the checkout: their
//! sources are resolved and their charts rendered for them in turn, to a fixed point. A chart
//! no Application uses is rendered once with its defaults and a release name from its folder.
//! The rendered objects join the model with their source map, so findings point at template
//! lines (at the Application's `chart:` line for a chart outside the checkout); a chart that
//! fails to render is a problem at the template line and its source failed; a missing
//! dependency makes the source not analysed. Each render also keeps its values inputs as
//! written in the checkout ([`crate::render::values_origin`]), so that a finding can point at
//! the line that set a key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::helm::{render_chart_with_dependencies, HelmOptions, RenderError};
use crate::load::discover::{rel_path, UnitKind};
use crate::load::root::CheckoutRoot;
use crate::load::source::{read_text, SourceFile, DEFAULT_MAX_FILE_SIZE};
use crate::load::yaml::{parse_stream, Span};
use crate::model::argocd::{Application, ApplicationSource};
use crate::model::object::{ExternalChart, Location, RenderOrigin};
use crate::model::repo::{NondeterministicCall, Problem, Repo};
use crate::render::values_origin::{InlineValues, ValuesInput, ValuesInputs};
use crate::sources::deps::DependencyFetch;
use crate::sources::{Place, Resolver, SourceKind, SourceStatus};

/// Options that apply to every render.
#[derive(Debug, Clone, Default)]
pub struct RenderSettings {
    /// `.Capabilities.KubeVersion` (the cluster's version when known).
    pub kube_version: Option<String>,
    /// Seed of the random functions, so that scans are reproducible.
    pub seed: u64,
}

/// The template files of the chart at `chart_dir`, by model path (`model_dir/templates/…`).
fn chart_templates(chart_dir: &Path, model_dir: &str) -> BTreeMap<String, Arc<SourceFile>> {
    let mut out = BTreeMap::new();
    let walker = ignore::WalkBuilder::new(chart_dir)
        .hidden(false)
        .git_ignore(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .build();
    for e in walker.flatten() {
        let p = e.path();
        let in_templates = p
            .strip_prefix(chart_dir)
            .ok()
            .is_some_and(|r| r.components().any(|c| c.as_os_str() == "templates"));
        if !in_templates || !e.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        if let Ok(text) = read_text(p, DEFAULT_MAX_FILE_SIZE) {
            let rel = rel_path(chart_dir, p);
            let path = if model_dir == "." {
                rel
            } else {
                format!("{model_dir}/{rel}")
            };
            out.insert(
                path.clone(),
                Arc::new(SourceFile {
                    path,
                    abs: p.to_path_buf(),
                    text: text.into(),
                }),
            );
        }
    }
    out
}

/// The `helm template` options of an Application's source. The value files (resolved by
/// [`crate::sources::value_files`], possibly from another source's repository: one of
/// `value_roots`) and the file parameters (relative to the chart) must resolve, symbolic links
/// followed, inside a repository (`repo_root`, the chart's, for file parameters), and so must
/// the chart's own files; the error says which one does not.
fn helm_options(
    app: &Application,
    src: &ApplicationSource,
    chart_dir: &Path,
    value_files: Vec<PathBuf>,
    repo_root: &Path,
    value_roots: &[PathBuf],
    s: &RenderSettings,
) -> Result<HelmOptions, String> {
    let confined =
        CheckoutRoot::new(repo_root).map_err(|e| format!("{}: {e}", repo_root.display()))?;
    let value_roots: Vec<CheckoutRoot> = value_roots
        .iter()
        .filter_map(|r| CheckoutRoot::new(r).ok())
        .chain([confined.clone()])
        .collect();
    let helm = src.helm.clone().unwrap_or_default();
    let release_name = helm
        .release_name
        .clone()
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| app.metadata.name.clone());
    let namespace = helm
        .namespace
        .clone()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| app.spec.destination.namespace.clone());
    for f in &value_files {
        if !f.exists() {
            continue;
        }
        let mut why = None;
        for r in &value_roots {
            match r.check(f) {
                Ok(_) => {
                    why = None;
                    break;
                }
                Err(e) => why = why.or(Some(e)),
            }
        }
        if let Some(why) = why {
            return Err(format!("the value file {} is not read: {why}", f.display()));
        }
    }
    let values_yaml = match (&helm.values_object, &helm.values) {
        (Some(obj), _) => serde_json::to_string(obj).ok(),
        (None, Some(v)) if !v.trim().is_empty() => Some(v.clone()),
        _ => None,
    };
    let escape = |v: &str| {
        if v.starts_with('{') && v.ends_with('}') {
            v.to_string()
        } else {
            v.replace(',', "\\,")
        }
    };
    let mut set = Vec::new();
    let mut set_string = Vec::new();
    for p in &helm.parameters {
        let kv = format!("{}={}", p.name, escape(&p.value));
        if p.force_string {
            set_string.push(kv);
        } else {
            set.push(kv);
        }
    }
    let mut set_file = Vec::new();
    for f in &helm.file_parameters {
        let p = confined
            .join(chart_dir, &f.path)
            .and_then(|p| {
                if p.exists() {
                    confined.check(&p)
                } else {
                    Ok(p)
                }
            })
            .map_err(|why| format!("the file parameter {:?} is not read: {why}", f.path))?;
        set_file.push(format!("{}={}", f.name, p.display()));
    }
    Ok(HelmOptions {
        release_name,
        namespace,
        value_files,
        set,
        set_string,
        set_file,
        values_yaml,
        include_crds: !helm.skip_crds,
        kube_version: helm
            .kube_version
            .clone()
            .filter(|v| !v.is_empty())
            .or_else(|| s.kube_version.clone()),
        api_versions: helm.api_versions.clone(),
        seed: Some(s.seed),
        root: Some(repo_root.to_path_buf()),
    })
}

/// A chart that does not render, as a problem at the line to fix: the template's line, the
/// line of a values file that does not parse (`values_files`: the value files of the render,
/// by absolute path and model path), else the chart's `Chart.yaml`.
fn render_error_problem(
    chart_dir: &str,
    chart_name: &str,
    e: &RenderError,
    values_files: &[(std::path::PathBuf, String)],
) -> Problem {
    let location = match e.position() {
        Some((file, line, col)) => {
            let path = crate::model::object::template_repo_path(
                chart_dir,
                chart_name,
                e.chart_dirs(),
                &file,
            );
            let mut l = Location::file_start(&path);
            l.line = line.max(1) as u32;
            l.end_line = l.line;
            l.col = col.max(1) as u32;
            l.end_col = l.col;
            l
        }
        None => values_error_location(chart_dir, e, values_files).unwrap_or_else(|| {
            Location::file_start(&if chart_dir == "." {
                "Chart.yaml".to_string()
            } else {
                format!("{chart_dir}/Chart.yaml")
            })
        }),
    };
    Problem {
        location,
        message: format!("the Helm chart does not render: {e}"),
    }
}

/// Where a values file that does not parse is wrong: the chart's `values.yaml` or one of the
/// value files, at the line go-yaml names.
fn values_error_location(
    chart_dir: &str,
    e: &RenderError,
    values_files: &[(std::path::PathBuf, String)],
) -> Option<Location> {
    let msg = e.to_string();
    let file = if msg.contains("cannot load values.yaml") {
        if chart_dir == "." {
            "values.yaml".to_string()
        } else {
            format!("{chart_dir}/values.yaml")
        }
    } else {
        values_files
            .iter()
            .find(|(abs, _)| {
                msg.contains(&format!("{} ", abs.display()))
                    || msg.contains(&format!("{}:", abs.display()))
            })
            .map(|(_, model)| model.clone())?
    };
    let line = msg
        .split("line ")
        .skip(1)
        .find_map(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<u32>().ok()
        })
        .unwrap_or(1);
    let mut l = Location::file_start(&file);
    l.line = line.max(1);
    l.end_line = l.line;
    Some(l)
}

/// The values inputs of an Application's source, as written in the checkout (highest
/// precedence first), so that findings can point at the line that set a values key.
fn values_inputs(
    repo: &Repo,
    app: usize,
    source_index: usize,
    src: &ApplicationSource,
    opts: &HelmOptions,
) -> ValuesInputs {
    let a = &repo.apps[app];
    let m = repo.manifest(a.manifest);
    let prefix = if a.value.spec.sources.is_empty() {
        "/spec/source/helm".to_string()
    } else {
        format!("/spec/sources/{source_index}/helm")
    };
    let mut user = Vec::new();
    if let Some(helm) = &src.helm {
        // Applied as `--set`, then `--set-string` (`forceString`), then `--set-file`, each in
        // order: the last one applied that names a key is the one that set it.
        let mut applied: Vec<(String, String)> = Vec::new();
        for force in [false, true] {
            for (i, p) in helm.parameters.iter().enumerate() {
                if p.force_string == force {
                    applied.push((p.name.clone(), format!("{prefix}/parameters/{i}")));
                }
            }
        }
        for (i, f) in helm.file_parameters.iter().enumerate() {
            applied.push((f.name.clone(), format!("{prefix}/fileParameters/{i}")));
        }
        for (name, pointer) in applied.into_iter().rev() {
            user.push(ValuesInput::Parameter {
                name,
                location: m.locate(&pointer),
            });
        }
        if let Some(node) = m.node.pointer(&format!("{prefix}/valuesObject")) {
            user.push(ValuesInput::Inline {
                values: InlineValues::Object(node.clone(), m.file.path.clone()),
                location: m.locate(&format!("{prefix}/valuesObject")),
            });
        } else if let Some(text) = helm.values.as_deref().filter(|v| !v.trim().is_empty()) {
            user.push(ValuesInput::Inline {
                values: InlineValues::Text(text.to_string()),
                location: m.locate(&format!("{prefix}/values")),
            });
        }
    }
    for f in opts.value_files.iter().rev() {
        user.push(ValuesInput::File(f.clone()));
    }
    ValuesInputs {
        user,
        app: Some(a.value.metadata.name.clone()),
    }
}

/// The `name` of a chart's `Chart.yaml` (the first segment of its `# Source:` paths).
/// The `name` of a chart's `Chart.yaml` (the first segment of its `# Source:` paths).
fn chart_name(chart_dir: &Path) -> Option<String> {
    let text = read_text(&chart_dir.join("Chart.yaml"), DEFAULT_MAX_FILE_SIZE).ok()?;
    let v = crate::load::yaml::parse_value(&text).ok()?;
    v.get("name")?.as_str().map(str::to_string)
}

/// The charts of the checkout that another chart of the checkout depends on through a
/// `repository: file://…` dependency. Such a chart is part of the chart that depends on it
/// (`helm dependency build` copies it into that chart's `charts/`), so it is not rendered on
/// its own with its defaults: its objects would be reported twice, once outside any Application.
fn file_dependency_dirs(charts: &[Chart]) -> std::collections::HashSet<String> {
    let mut out = std::collections::HashSet::new();
    for c in charts.iter().filter(|c| c.external.is_none()) {
        let Ok(text) = read_text(&c.path.join("Chart.yaml"), DEFAULT_MAX_FILE_SIZE) else {
            continue;
        };
        let Ok(v) = crate::load::yaml::parse_value(&text) else {
            continue;
        };
        let Some(deps) = v.get("dependencies").and_then(|d| d.as_array()) else {
            continue;
        };
        for d in deps {
            let Some(rel) = d
                .get("repository")
                .and_then(|r| r.as_str())
                .and_then(|r| r.trim().strip_prefix("file://"))
            else {
                continue;
            };
            if let Some(dir) = crate::sources::lexical_dir(&format!("{}/{rel}", c.dir)) {
                if dir != c.dir {
                    out.insert(dir);
                }
            }
        }
    }
    out
}

/// How many generations of Applications rendered by charts for Applications rendered by
/// charts are followed (app of apps of apps…); an Application deeper than this is not rendered
/// for, so that a chart that renders Applications with ever new names cannot loop.
pub const MAX_APP_OF_APPS_DEPTH: usize = 64;
/// Most chart renders of one scan (every chart once per Application that uses it, and once
/// with its defaults when none does).
pub const MAX_RENDERS: usize = 20_000;
/// Most Applications that charts may render in one scan (app of apps): a chart that renders
/// two Applications of itself would otherwise double them at every generation.
pub const MAX_RENDERED_APPS: usize = 1_000;

/// Whether rendering the chart at `chart_dir` for Application `app` closes a cycle: the
/// Application was itself rendered (directly or through its ancestors) by that chart.
fn renders_its_ancestor(repo: &Repo, app: usize, chart_dir: &str) -> bool {
    let mut current = Some(app);
    let mut steps = 0;
    while let Some(a) = current {
        let Some(r) = repo
            .apps
            .get(a)
            .and_then(|a| repo.manifest(a.manifest).rendered.as_ref())
        else {
            return false;
        };
        if r.chart_dir == chart_dir {
            return true;
        }
        current = r.app;
        steps += 1;
        if steps > MAX_APP_OF_APPS_DEPTH {
            return false;
        }
    }
    false
}

/// A Helm chart of the checkout and what has been rendered from it.
struct Chart {
    /// Directory relative to the checkout (`.` for the root).
    dir: String,
    /// Absolute directory.
    path: std::path::PathBuf,
    /// `name` of its `Chart.yaml`.
    name: String,
    /// Its files, for source maps and snippets.
    templates: Arc<BTreeMap<String, Arc<SourceFile>>>,
    /// Line start offsets of each of its files.
    line_starts: Arc<BTreeMap<String, Vec<usize>>>,
    /// Whether a template declares an Argo CD Application or ApplicationSet.
    renders_apps: bool,
    /// The (Application, source) pairs it was rendered for.
    rendered_for: Vec<(usize, usize)>,
    /// Whether it was rendered with its defaults (no Application uses it).
    defaulted: bool,
    /// Outside the checkout (a chart folder, Helm's cache): its label for messages. Such a
    /// chart is only rendered for the Applications that name it.
    external: Option<String>,
}

/// A chart of the checkout (or of a mapped checkout) at model directory `dir`.
fn local_chart(dir: &str, path: std::path::PathBuf) -> Chart {
    let name = chart_name(&path).unwrap_or_else(|| {
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    let templates = Arc::new(chart_templates(&path, dir));
    let line_starts = Arc::new(
        templates
            .iter()
            .map(|(p, f)| (p.clone(), crate::model::object::line_starts(&f.text)))
            .collect::<BTreeMap<_, _>>(),
    );
    let renders_apps = templates.values().any(|f| declares_argo_app(&f.text));
    Chart {
        dir: dir.to_string(),
        path,
        name,
        templates,
        line_starts,
        renders_apps,
        rendered_for: Vec::new(),
        defaulted: false,
        external: None,
    }
}

/// The root of the repository a chart is in: the checkout's, a mapped checkout's, or the
/// chart itself for a chart folder's.
fn chart_repo_root(chart: &Chart, root: &Path, resolver: &Resolver) -> std::path::PathBuf {
    if chart.external.is_some() {
        return chart.path.clone();
    }
    resolver
        .mapped()
        .iter()
        .find(|m| chart.path.starts_with(&m.abs))
        .map_or_else(|| root.to_path_buf(), |m| m.abs.clone())
}

/// The model path of a file on disk: relative to the scan root, or under a mapped checkout's
/// prefix, else as it is.
fn model_path_of(root: &Path, resolver: &Resolver, file: &Path) -> String {
    if let Ok(rel) = file.strip_prefix(root) {
        return rel_path(root, &root.join(rel));
    }
    for m in resolver.mapped() {
        if let Ok(rel) = file.strip_prefix(&m.abs) {
            return m.model_path(&rel_path(&m.abs, &m.abs.join(rel)));
        }
    }
    file.display().to_string()
}

/// What of the mapped checkouts is in the model already.
#[derive(Default)]
struct MappedLoaded {
    files: std::collections::HashSet<std::path::PathBuf>,
    units: std::collections::HashSet<std::path::PathBuf>,
}

/// Loads the files and charts of mapped checkouts (`--repo`) under the directories their
/// sources name, under model paths relative to the scan root; their charts join `charts`.
fn load_mapped(
    repo: &mut Repo,
    resolver: &Resolver,
    loaded: &mut MappedLoaded,
    charts: &mut Vec<Chart>,
    values_files: &mut Vec<String>,
) {
    let wanted: Vec<(usize, String)> = repo
        .app_sources
        .iter()
        .flat_map(|a| &a.sources)
        .filter_map(|s| match &s.place {
            Some(Place::Mapped {
                path, model_root, ..
            }) => resolver
                .mapped()
                .iter()
                .position(|m| &m.prefix == model_root)
                .map(|mi| (mi, path.clone())),
            _ => None,
        })
        .collect();
    let mut added = false;
    for (mi, dir) in wanted {
        let m = &resolver.mapped()[mi];
        let under = |rel: &str| dir == "." || rel == dir || rel.starts_with(&format!("{dir}/"));
        let d = m.discovery();
        let files: Vec<std::path::PathBuf> = d
            .files
            .iter()
            .filter(|f| under(&rel_path(&m.abs, f)) && !loaded.files.contains(*f))
            .cloned()
            .collect();
        for f in &files {
            loaded.files.insert(f.clone());
        }
        for parsed in crate::load::discover::parse_files(&m.abs, &files, DEFAULT_MAX_FILE_SIZE) {
            added = true;
            match parsed {
                Ok(mut pf) => {
                    let f = &pf.file;
                    pf.file = Arc::new(SourceFile {
                        path: m.model_path(&f.path),
                        abs: f.abs.clone(),
                        text: f.text.clone(),
                    });
                    repo.add_parsed(pf);
                }
                Err((path, e)) => {
                    let mut location = Location::file_start(&m.model_path(&path));
                    location.line = e.line();
                    location.end_line = e.line();
                    repo.problems.push(Problem {
                        location,
                        message: e.to_string(),
                    });
                }
            }
        }
        for u in &d.units {
            let abs = m.abs.join(&u.dir);
            if !under(&u.dir) || !loaded.units.insert(abs.clone()) {
                continue;
            }
            let model = m.model_path(&u.dir);
            repo.units.push(crate::load::discover::Unit {
                kind: u.kind,
                dir: model.clone(),
            });
            if u.kind == UnitKind::Helm {
                values_files.push(m.model_path(&format!("{}/values.yaml", u.dir)));
                charts.push(local_chart(&model, abs));
            }
        }
    }
    if added {
        repo.files.sort_by(|a, b| a.path.cmp(&b.path));
    }
    repo.units.sort();
}

/// What the renders add besides manifests and problems.
#[derive(Default)]
struct RenderOutput {
    rendered_units: Vec<String>,
    nondeterministic: Vec<NondeterministicCall>,
}

/// Drops the typed resources from index `before` on whose manifest identity is already
/// among the earlier ones (or repeats a newer one).
fn dedup_new<T>(
    typed: &mut Vec<crate::model::repo::Typed<T>>,
    before: usize,
    manifests: &[crate::model::object::Manifest],
) {
    let mut seen: std::collections::HashSet<&crate::model::key::ObjectKey> = typed[..before]
        .iter()
        .map(|t| &manifests[t.manifest].key)
        .collect();
    let keep: Vec<bool> = typed[before..]
        .iter()
        .map(|t| seen.insert(&manifests[t.manifest].key))
        .collect();
    let mut i = 0;
    typed.retain(|_| {
        let k = i < before || keep[i - before];
        i += 1;
        k
    });
}

/// Whether a template's text declares an Argo CD Application or ApplicationSet.
fn declares_argo_app(text: &str) -> bool {
    text.lines().any(|l| {
        let t = l.trim();
        t == "kind: Application" || t == "kind: ApplicationSet"
    })
}

/// A release name Helm accepts, from a chart's folder name (`My_Chart` → `my-chart`); the
/// release of a chart rendered with its defaults, so that two unused charts never render
/// objects with the same names.
pub fn release_name_from_dir(dir: &str, fallback: &str) -> String {
    let base = dir.rsplit('/').next().unwrap_or(dir);
    let mut name: String = base
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_alphanumeric() {
                c
            } else {
                '-'
            }
        })
        .collect();
    name.truncate(53);
    let name = name.trim_matches('-').to_string();
    if name.is_empty() || base == "." {
        fallback.to_string()
    } else {
        name
    }
}

/// For whom a chart is rendered: an Application's source, or nobody (defaults).
#[derive(Debug, Clone, Copy)]
struct For {
    app: usize,
    source: usize,
}

/// Renders one chart for one Application (or with its defaults) into `repo`; the error when
/// it does not render.
fn render_job(
    repo: &mut Repo,
    chart: &Chart,
    target: Option<For>,
    opts: &HelmOptions,
    values: Arc<ValuesInputs>,
    out: &mut RenderOutput,
    fetch: &DependencyFetch<'_>,
) -> Result<(), RenderError> {
    let root = repo.root.clone();
    let dir = &chart.dir;
    let chart_name = &chart.name;
    let app = target.map(|t| t.app);
    let app_name = app.map(|i| repo.apps[i].value.metadata.name.clone());
    let rendered = render_chart_with_dependencies(&chart.path, opts, &|d| fetch.fetch(d))?;
    for note in &rendered.skipped {
        match target {
            Some(t) => {
                let s = &mut repo.app_sources[t.app].sources[t.source];
                if !s.notes.contains(note) {
                    s.notes.push(note.clone());
                }
            }
            None => repo.render_notes.push(format!("{dir}: {note}")),
        }
    }
    let external = match (&chart.external, target) {
        (Some(label), Some(t)) => Some(Arc::new(ExternalChart {
            anchor: source_anchor(repo, t),
            label: label.clone(),
        })),
        _ => None,
    };
    let chart_dirs = Arc::new(rendered.chart_dirs.clone());
    let (templates, line_starts) = with_file_dependencies(chart, &root, &chart_dirs);
    for call in &rendered.nondeterministic {
        let path =
            crate::model::object::template_repo_path(dir, chart_name, &chart_dirs, &call.file);
        let mut l = Location::file_start(&path);
        l.line = call.line.max(1) as u32;
        l.end_line = l.line;
        if let Some(e) = &external {
            l = e.anchor.clone();
        }
        out.nondeterministic.push(NondeterministicCall {
            location: l,
            function: call.function.clone(),
            chart_dir: dir.clone(),
            app: app_name.clone(),
        });
    }
    for doc in rendered.docs {
        let origin = Arc::new(RenderOrigin {
            chart_dir: dir.clone(),
            chart_name: chart_name.clone(),
            app,
            source: target.map_or(0, |t| t.source),
            doc,
            templates: templates.clone(),
            line_starts: line_starts.clone(),
            values: values.clone(),
            chart_dirs: chart_dirs.clone(),
            external: external.clone(),
            kustomize: false,
        });
        let path = origin.repo_path(&origin.doc.source);
        let file = Arc::new(SourceFile {
            path: path.clone(),
            abs: root.join(&path),
            text: origin.doc.text.clone().into(),
        });
        let (docs, err) = parse_stream(&origin.doc.text);
        if let Some(e) = err {
            let span = Span {
                start: e.at,
                end: e.at,
            };
            repo.problems.push(Problem {
                location: origin.location(span),
                message: format!("the rendered document is not valid YAML: {}", e.message),
            });
        }
        for d in docs {
            if let Some(node) = d.root {
                repo.add_rendered(&file, d.index, node, origin.clone());
            }
        }
    }
    out.rendered_units.push(dir.clone());
    Ok(())
}

/// The template files of a chart together with those of its `file://` dependencies of the
/// checkout (`../common`), which live outside the chart's folder, so that findings about their
/// objects point at the template line too.
#[allow(clippy::type_complexity)]
fn with_file_dependencies(
    chart: &Chart,
    root: &Path,
    chart_dirs: &[(String, Option<String>)],
) -> (
    Arc<BTreeMap<String, Arc<SourceFile>>>,
    Arc<BTreeMap<String, Vec<usize>>>,
) {
    let outside: Vec<String> = chart_dirs
        .iter()
        .filter_map(|(_, d)| d.as_deref())
        .filter(|d| d.split('/').any(|p| p == ".."))
        .filter_map(|d| crate::sources::lexical_dir(&format!("{}/{d}", chart.dir)))
        .filter(|d| !d.starts_with("..") && d != ".")
        .collect();
    if chart.external.is_some() || outside.is_empty() {
        return (chart.templates.clone(), chart.line_starts.clone());
    }
    let mut templates = (*chart.templates).clone();
    let mut line_starts = (*chart.line_starts).clone();
    for dir in outside {
        for (p, f) in chart_templates(&root.join(&dir), &dir) {
            if let std::collections::btree_map::Entry::Vacant(e) = templates.entry(p.clone()) {
                line_starts.insert(p, crate::model::object::line_starts(&f.text));
                e.insert(f);
            }
        }
    }
    (Arc::new(templates), Arc::new(line_starts))
}

/// Where findings about a chart outside the checkout point: the `chart:` line of the
/// Application source that names it.
fn source_anchor(repo: &Repo, t: For) -> Location {
    let m = repo.manifest(repo.apps[t.app].manifest);
    let pointer = match repo
        .app_sources
        .get(t.app)
        .and_then(|a| a.sources.get(t.source))
    {
        Some(s) => format!("{}/chart", s.pointer),
        None => "/kind".to_string(),
    };
    m.locate(&pointer)
}

/// A render job: the chart (index), for whom, with which options.
type Job = (usize, Option<For>, HelmOptions, Arc<ValuesInputs>);

/// How deep in an app-of-apps tree the Application at each index is (0: found in a file).
fn app_depths(repo: &Repo) -> Vec<usize> {
    let mut depths: Vec<usize> = Vec::with_capacity(repo.apps.len());
    for a in &repo.apps {
        let d = match repo
            .manifest(a.manifest)
            .rendered
            .as_ref()
            .and_then(|r| r.app)
        {
            Some(parent) => depths.get(parent).map_or(0, |d| d + 1),
            None => 0,
        };
        depths.push(d);
    }
    depths
}

/// Renders every Helm chart of the checkout into `repo` (its manifests, problems,
/// `rendered_units`, `nondeterministic` and `app_sources`).
///
/// Rendering runs to a fixed point, because a chart can render Applications (app of apps)
/// whose sources are other charts of the checkout: after each round the Argo CD resources a
/// render produced are typed like those of plain files, their sources are resolved, and every
/// chart an Application (of either kind) uses is rendered for it. A chart no Application uses
/// is rendered with its defaults and a release name from its folder: those whose templates
/// declare Applications first, one at a time, so that the Applications they render can claim
/// the remaining charts; then all the others at once.
pub fn render_repo(repo: &mut Repo, settings: &RenderSettings, resolver: &mut Resolver) {
    let mut values_files = Vec::new();
    let norm_root = crate::render::values_origin::normalize(&repo.root);
    let root = repo.root.clone();
    let mut charts: Vec<Chart> = repo
        .units
        .iter()
        .filter(|u| u.kind == UnitKind::Helm)
        .map(|u| {
            let path = if u.dir == "." {
                root.clone()
            } else {
                root.join(&u.dir)
            };
            values_files.push(rel_path(
                &norm_root,
                &crate::render::values_origin::normalize(&path.join("values.yaml")),
            ));
            local_chart(&u.dir, path)
        })
        .collect();
    let mut mapped_loaded = MappedLoaded::default();
    let mut out = RenderOutput::default();
    let mut typed = repo.manifests.len();
    let mut renders = 0usize;
    let mapped: Vec<(PathBuf, String)> = resolver
        .mapped()
        .iter()
        .map(|m| (m.abs.clone(), m.prefix.clone()))
        .collect();
    let mut krounds = super::kustomized::Rounds::new(repo, mapped, settings.kube_version.clone());
    let inflated = |c: &Chart, k: &super::kustomized::Rounds| {
        let p = c.path.canonicalize().unwrap_or_else(|_| c.path.clone());
        k.inflated_charts.contains(&p)
    };
    loop {
        crate::sources::resolve_new(resolver, repo);
        load_mapped(
            repo,
            resolver,
            &mut mapped_loaded,
            &mut charts,
            &mut values_files,
        );
        let kbuilt = super::kustomized::build_for_apps(repo, &mut krounds);
        let depths = app_depths(repo);
        // Every (chart, Application source) pair not rendered yet.
        let mut jobs: Vec<Job> = Vec::new();
        let mut failures: Vec<(usize, usize, String)> = Vec::new();
        for (ai, srcs) in repo.app_sources.iter().enumerate() {
            for info in &srcs.sources {
                let helm = matches!(
                    info.kind,
                    SourceKind::HelmChart | SourceKind::HelmRepository | SourceKind::HelmOci
                );
                if !helm || info.status != SourceStatus::Analysed {
                    continue;
                }
                let Some(place) = info.place.as_ref() else {
                    continue;
                };
                let dir = place.dir();
                let ci = match charts.iter().position(|c| c.dir == dir) {
                    Some(ci) => ci,
                    None => match place {
                        Place::Chart { file, version, .. } => {
                            let name = info.chart.clone().unwrap_or_default();
                            charts.push(Chart {
                                dir: file.clone(),
                                path: std::path::PathBuf::from(file),
                                name: name.clone(),
                                templates: Arc::default(),
                                line_starts: Arc::default(),
                                renders_apps: false,
                                rendered_for: Vec::new(),
                                defaulted: true,
                                external: Some(format!("chart `{name}` {version} ({file})")),
                            });
                            charts.len() - 1
                        }
                        Place::Checkout { .. } | Place::Mapped { .. } => continue,
                    },
                };
                if charts[ci].rendered_for.contains(&(ai, info.index)) {
                    continue;
                }
                let a = &repo.apps[ai];
                let src = a.value.spec.all_sources()[info.index];
                // A chart outside any checkout is its own repository for `/…` value files.
                let repo_root = chart_repo_root(&charts[ci], &root, resolver);
                let value_files = match crate::sources::value_files(
                    repo,
                    ai,
                    info.index,
                    &charts[ci].path,
                    &repo_root,
                ) {
                    Ok(v) => v,
                    Err(reason) => {
                        failures.push((ai, info.index, reason));
                        continue;
                    }
                };
                // `$ref/…` value files come from the repositories of the other sources.
                let value_roots: Vec<PathBuf> = repo.app_sources[ai]
                    .sources
                    .iter()
                    .filter_map(|s| match &s.place {
                        Some(Place::Checkout { .. }) => Some(root.clone()),
                        Some(Place::Mapped { root_abs, .. }) => Some(root_abs.clone()),
                        _ => None,
                    })
                    .collect();
                let opts = match helm_options(
                    &a.value,
                    src,
                    &charts[ci].path,
                    value_files,
                    &repo_root,
                    &value_roots,
                    settings,
                ) {
                    Ok(o) => o,
                    Err(reason) => {
                        failures.push((ai, info.index, reason));
                        continue;
                    }
                };
                let inputs = values_inputs(repo, ai, info.index, src, &opts);
                jobs.push((
                    ci,
                    Some(For {
                        app: ai,
                        source: info.index,
                    }),
                    opts,
                    Arc::new(inputs),
                ));
            }
        }
        for (ai, si, reason) in failures {
            repo.app_sources[ai].sources[si].failed(reason);
        }
        // An Application rendered by the chart it names (a cycle: every generation renders
        // more) and Applications beyond the cap of rendered ones are not rendered for.
        let rendered_apps = repo
            .apps
            .iter()
            .filter(|a| repo.manifest(a.manifest).rendered.is_some())
            .count();
        let mut cycles = Vec::new();
        jobs.retain(|(ci, t, _, _)| {
            let Some(t) = t else { return true };
            let cycle = renders_its_ancestor(repo, t.app, &charts[*ci].dir);
            let over = rendered_apps > MAX_RENDERED_APPS
                && repo.manifest(repo.apps[t.app].manifest).rendered.is_some();
            if cycle || over {
                cycles.push((*t, charts[*ci].dir.clone(), cycle));
            }
            !(cycle || over)
        });
        for (t, chart, cycle) in cycles {
            let why = if cycle {
                format!(
                    "the Application is rendered by the chart {chart} it names (an app-of-apps \
                     cycle: each generation renders more Applications); driftlens does not \
                     follow it"
                )
            } else {
                format!(
                    "charts rendered more than {MAX_RENDERED_APPS} Applications; driftlens \
                     stops there"
                )
            };
            if let Some(s) = repo.app_sources[t.app].sources.get_mut(t.source) {
                s.failed(why.clone());
            }
            let m = repo.manifest(repo.apps[t.app].manifest);
            repo.problems.push(Problem {
                location: m.locate_kind(),
                message: format!(
                    "Application `{}`: {why}",
                    repo.apps[t.app].value.metadata.name
                ),
            });
        }
        // Applications too deep in an app-of-apps tree are not rendered for.
        let mut too_deep = Vec::new();
        jobs.retain(|(_, t, _, _)| {
            let keep =
                t.is_none_or(|t| depths.get(t.app).copied().unwrap_or(0) < MAX_APP_OF_APPS_DEPTH);
            if !keep {
                too_deep.extend(*t);
            }
            keep
        });
        for t in too_deep {
            if let Some(s) = repo.app_sources[t.app].sources.get_mut(t.source) {
                s.failed(format!(
                    "the Application is rendered by charts more than {MAX_APP_OF_APPS_DEPTH} \
                     levels deep (app of apps of apps…); driftlens stops there"
                ));
            }
            let m = repo.manifest(repo.apps[t.app].manifest);
            repo.problems.push(Problem {
                location: m.locate_kind(),
                message: format!(
                    "Application `{}` is rendered by charts more than {MAX_APP_OF_APPS_DEPTH} \
                     levels deep; its sources are not rendered (does a chart render \
                     Applications with ever new names?)",
                    repo.apps[t.app].value.metadata.name
                ),
            });
        }
        if jobs.is_empty() && kbuilt == 0 && !super::kustomized::build_defaults(repo, &mut krounds)
        {
            // No Application claims a chart any more: render the unclaimed charts with their
            // defaults, those that declare Applications one at a time (what they render may
            // claim others), then every other one.
            // A chart an Application names is never rendered with defaults, even when that
            // Application's source is not analysed (its other inputs are missing).
            let named: std::collections::HashSet<&str> = repo
                .app_sources
                .iter()
                .flat_map(|a| &a.sources)
                .filter(|s| s.kind == SourceKind::HelmChart)
                .filter_map(|s| s.place.as_ref().map(crate::sources::Place::dir))
                .collect();
            let dependencies = file_dependency_dirs(&charts);
            // Nor is a chart a kustomization inflates (`helmCharts:`).
            let unclaimed = |c: &Chart| {
                c.rendered_for.is_empty()
                    && !c.defaulted
                    && !named.contains(c.dir.as_str())
                    && !dependencies.contains(&c.dir)
                    && !inflated(c, &krounds)
            };
            let next: Vec<usize> = match charts
                .iter()
                .enumerate()
                .filter(|(_, c)| unclaimed(c) && c.renders_apps)
                .min_by_key(|(_, c)| c.dir.clone())
            {
                Some((ci, _)) => vec![ci],
                None => (0..charts.len())
                    .filter(|&ci| unclaimed(&charts[ci]))
                    .collect(),
            };
            if next.is_empty() {
                break;
            }
            for ci in next {
                charts[ci].defaulted = true;
                jobs.push((
                    ci,
                    None,
                    HelmOptions {
                        release_name: release_name_from_dir(&charts[ci].dir, "release-name"),
                        seed: Some(settings.seed),
                        kube_version: settings.kube_version.clone(),
                        root: Some(chart_repo_root(&charts[ci], &root, resolver)),
                        ..Default::default()
                    },
                    Arc::default(),
                ));
            }
        }
        for (ci, target, opts, values) in jobs {
            if renders >= MAX_RENDERS {
                let dir = charts[ci].dir.clone();
                let reason = format!(
                    "more than {MAX_RENDERS} chart renders in one scan; driftlens stops there"
                );
                match target {
                    Some(t) => repo.app_sources[t.app].sources[t.source].failed(reason.clone()),
                    None => repo.unit_failures.push(crate::model::repo::UnitFailure {
                        dir: dir.clone(),
                        reason: reason.clone(),
                        fixes: Vec::new(),
                    }),
                }
                if let Some(t) = target {
                    charts[ci].rendered_for.push((t.app, t.source));
                }
                repo.problems.push(Problem {
                    location: Location::file_start(&format!("{dir}/Chart.yaml")),
                    message: format!("the chart is not rendered: {reason}"),
                });
                continue;
            }
            renders += 1;
            values_files.extend(
                opts.value_files
                    .iter()
                    .map(|f| crate::render::values_origin::normalize(f))
                    .filter(|f| f.starts_with(&norm_root))
                    .map(|f| rel_path(&norm_root, &f)),
            );
            if let Some(t) = target {
                charts[ci].rendered_for.push((t.app, t.source));
            }
            let repo_root = chart_repo_root(&charts[ci], &root, resolver);
            let fetch = DependencyFetch::new(
                &resolver.charts,
                &charts[ci].path,
                &charts[ci].dir,
                &repo_root,
            );
            if let Err(e) = render_job(repo, &charts[ci], target, &opts, values, &mut out, &fetch) {
                let files: Vec<(std::path::PathBuf, String)> = opts
                    .value_files
                    .iter()
                    .map(|f| (f.clone(), model_path_of(&root, resolver, f)))
                    .collect();
                record_failure(repo, &charts[ci], target, &e, &fetch, &files);
            }
        }
        let (apps_before, sets_before, projects_before) =
            (repo.apps.len(), repo.appsets.len(), repo.projects.len());
        repo.type_argo_resources(typed);
        typed = repo.manifests.len();
        // An Application is one object in Argo CD: a rendered one with the identity of one
        // already known (a root app that manages itself) is the same Application, not a new
        // one to render for.
        dedup_new(&mut repo.apps, apps_before, &repo.manifests);
        dedup_new(&mut repo.appsets, sets_before, &repo.manifests);
        dedup_new(&mut repo.projects, projects_before, &repo.manifests);
    }
    repo.checkout = resolver.facts(repo);
    mark_broken_directories(repo);
    for chart in &charts {
        for f in chart.templates.values() {
            repo.add_file(f.clone());
        }
    }
    let RenderOutput {
        mut rendered_units,
        mut nondeterministic,
    } = out;
    rendered_units.extend(krounds.built_dirs);
    rendered_units.sort();
    rendered_units.dedup();
    nondeterministic.sort();
    nondeterministic.dedup();
    repo.rendered_units = rendered_units;
    values_files.sort();
    values_files.dedup();
    repo.values_files = values_files;
    repo.nondeterministic = nondeterministic;
    repo.render_notes.sort();
    repo.render_notes.dedup();
    repo.problems.sort_by(|a, b| a.location.cmp(&b.location));
}

/// A directory source holding a file that does not parse cannot be built (Argo CD fails to
/// generate its manifests): the source failed, and `invalid-manifest` reports the file.
fn mark_broken_directories(repo: &mut Repo) {
    for ai in 0..repo.app_sources.len() {
        let specs: Vec<Option<crate::model::argocd::DirectorySource>> = repo.apps[ai]
            .value
            .spec
            .all_sources()
            .iter()
            .map(|s| s.directory.clone())
            .collect();
        for si in 0..repo.app_sources[ai].sources.len() {
            let info = &repo.app_sources[ai].sources[si];
            if info.kind != SourceKind::Directory || info.status != SourceStatus::Analysed {
                continue;
            }
            let Some(place) = &info.place else { continue };
            let filter = crate::model::argocd::DirectoryFilter::new(
                place.dir(),
                specs.get(info.index).and_then(Option::as_ref),
            );
            let first = repo
                .problems
                .iter()
                .find(|p| filter.contains(&p.location.path))
                .map(|p| format!("{}:{}", p.location.path, p.location.line));
            if let Some(at) = first {
                repo.app_sources[ai].sources[si].failed(format!(
                    "a file of the source cannot be used ({at}: see invalid-manifest)"
                ));
            }
        }
    }
}

/// Records a chart that did not render: a missing dependency makes the source (or the unused
/// chart) not analysed, with the command that fetches it; any other error is a problem at the
/// template line and the source failed.
fn record_failure(
    repo: &mut Repo,
    chart: &Chart,
    target: Option<For>,
    e: &RenderError,
    fetch: &DependencyFetch<'_>,
    values_files: &[(std::path::PathBuf, String)],
) {
    if let RenderError::Dependency(_) = e {
        let (reason, fixes) = fetch.missing();
        match target {
            Some(t) => repo.app_sources[t.app].sources[t.source].not_analysed(reason, fixes),
            None => repo.unit_failures.push(crate::model::repo::UnitFailure {
                dir: chart.dir.clone(),
                reason,
                fixes,
            }),
        }
        return;
    }
    let mut problem = render_error_problem(&chart.dir, &chart.name, e, values_files);
    if let (Some(label), Some(t)) = (&chart.external, target) {
        // Its templates are not in the checkout: point at the Application's source.
        let at = e
            .position()
            .map(|(f, l, _)| format!(" (at {f}:{l})"))
            .unwrap_or_default();
        problem = Problem {
            location: source_anchor(repo, t),
            message: format!("the Helm {label} does not render: {e}{at}"),
        };
    }
    if let Some(t) = target {
        repo.app_sources[t.app].sources[t.source].failed(format!(
            "the chart does not render ({}:{}: see invalid-manifest)",
            problem.location.path, problem.location.line
        ));
    }
    repo.problems.push(problem);
}
