//! Rendering the checkout's Helm charts into the model.
//!
//! A chart used by Applications of the checkout (a source whose `path` is the chart directory)
//! is rendered once per Application with that Application's Helm settings, as Argo CD would run
//! `helm template` (semantics §7): release name, namespace, value files relative to the chart
//! (`ignoreMissingValueFiles`), `values`/`valuesObject`, `parameters`, `fileParameters`,
//! `skipCrds`. Applications a chart renders (app of apps) count as Applications of the
//! checkout: their charts are rendered for them in turn, to a fixed point. A chart no
//! Application uses is rendered once with its defaults. The rendered
//! objects join the model with their source map, so findings point at template lines; a chart
//! that fails to render is a problem at the template line (the Application becomes Unknown).
//! Each render also keeps its values inputs as written in the checkout
//! ([`crate::render::values_origin`]), so that a finding can point at the line that set a key.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use super::helm::{render_chart, HelmOptions, RenderError};
use crate::load::discover::{rel_path, UnitKind};
use crate::load::source::{read_text, SourceFile, DEFAULT_MAX_FILE_SIZE};
use crate::load::yaml::{parse_stream, Span};
use crate::model::argocd::normalize_source_path;
use crate::model::argocd::{Application, ApplicationSource};
use crate::model::object::{Location, RenderOrigin};
use crate::model::repo::{NondeterministicCall, Problem, Repo};
use crate::render::values_origin::{InlineValues, ValuesInput, ValuesInputs};

/// Options that apply to every render.
#[derive(Debug, Clone, Default)]
pub struct RenderSettings {
    /// `.Capabilities.KubeVersion` (the cluster's version when known).
    pub kube_version: Option<String>,
    /// Seed of the random functions, so that scans are reproducible.
    pub seed: u64,
}

fn chart_templates(chart_dir: &Path, root: &Path) -> BTreeMap<String, Arc<SourceFile>> {
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
            let path = rel_path(root, p);
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

fn helm_options(
    app: &Application,
    src: &ApplicationSource,
    chart_dir: &Path,
    s: &RenderSettings,
) -> HelmOptions {
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
    let value_files = helm
        .value_files
        .iter()
        .map(|f| chart_dir.join(f))
        .filter(|p| !helm.ignore_missing_value_files || p.is_file())
        .collect();
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
    HelmOptions {
        release_name,
        namespace,
        value_files,
        set,
        set_string,
        set_file: helm
            .file_parameters
            .iter()
            .map(|f| format!("{}={}", f.name, chart_dir.join(&f.path).display()))
            .collect(),
        values_yaml,
        include_crds: !helm.skip_crds,
        kube_version: helm
            .kube_version
            .clone()
            .filter(|v| !v.is_empty())
            .or_else(|| s.kube_version.clone()),
        api_versions: helm.api_versions.clone(),
        seed: Some(s.seed),
    }
}

fn render_error_problem(
    repo_root: &Path,
    chart_dir: &str,
    chart_name: &str,
    e: &RenderError,
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
        None => Location::file_start(&format!("{chart_dir}/Chart.yaml")),
    };
    let _ = repo_root;
    Problem {
        location,
        message: format!("the Helm chart does not render: {e}"),
    }
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
fn chart_name(chart_dir: &Path) -> Option<String> {
    let text = read_text(&chart_dir.join("Chart.yaml"), DEFAULT_MAX_FILE_SIZE).ok()?;
    let v = crate::load::yaml::parse_value(&text).ok()?;
    v.get("name")?.as_str().map(str::to_string)
}

/// How many rounds of "render, then type the Applications the renders produced" run at most:
/// app-of-apps trees are a few levels deep; a cycle stops here.
const MAX_APP_OF_APPS_ROUNDS: usize = 32;

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
    /// Indexes into `repo.apps` of the Applications it was rendered for.
    rendered_for: Vec<usize>,
    /// Whether it was rendered with its defaults (no Application uses it).
    defaulted: bool,
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

/// Renders one chart for one Application (or with its defaults) into `repo`.
fn render_job(
    repo: &mut Repo,
    chart: &Chart,
    app: Option<usize>,
    opts: &HelmOptions,
    values: Arc<ValuesInputs>,
    out: &mut RenderOutput,
) {
    let root = repo.root.clone();
    let dir = &chart.dir;
    let chart_name = &chart.name;
    let app_name = app.map(|i| repo.apps[i].value.metadata.name.clone());
    let rendered = match render_chart(&chart.path, opts) {
        Err(e) => {
            repo.problems
                .push(render_error_problem(&root, dir, chart_name, &e));
            return;
        }
        Ok(r) => r,
    };
    let chart_dirs = Arc::new(rendered.chart_dirs.clone());
    for call in &rendered.nondeterministic {
        let path =
            crate::model::object::template_repo_path(dir, chart_name, &chart_dirs, &call.file);
        let mut l = Location::file_start(&path);
        l.line = call.line.max(1) as u32;
        l.end_line = l.line;
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
            doc,
            templates: chart.templates.clone(),
            line_starts: chart.line_starts.clone(),
            values: values.clone(),
            chart_dirs: chart_dirs.clone(),
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
}

/// Renders every Helm chart of the checkout into `repo` (its manifests, problems,
/// `rendered_units` and `nondeterministic`).
///
/// Rendering runs to a fixed point, because a chart can render Applications (app of apps)
/// whose sources are other charts of the checkout: after each round the Argo CD resources a
/// render produced are typed like those of plain files, and every chart an Application
/// (of either kind) uses is rendered for it. A chart no Application uses is rendered with
/// its defaults, one at a time and those whose templates declare Applications first, so that
/// the Applications they render can claim the remaining charts before those fall back to
/// their defaults.
pub fn render_repo(repo: &mut Repo, settings: &RenderSettings) {
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
            let name = chart_name(&path).unwrap_or_else(|| {
                path.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            });
            let templates = Arc::new(chart_templates(&path, &root));
            let line_starts = Arc::new(
                templates
                    .iter()
                    .map(|(p, f)| (p.clone(), crate::model::object::line_starts(&f.text)))
                    .collect::<BTreeMap<_, _>>(),
            );
            let renders_apps = templates.values().any(|f| declares_argo_app(&f.text));
            values_files.push(rel_path(
                &norm_root,
                &crate::render::values_origin::normalize(&path.join("values.yaml")),
            ));
            Chart {
                dir: u.dir.clone(),
                path,
                name,
                templates,
                line_starts,
                renders_apps,
                rendered_for: Vec::new(),
                defaulted: false,
            }
        })
        .collect();
    let mut out = RenderOutput::default();
    let mut typed = repo.manifests.len();
    for _round in 0..MAX_APP_OF_APPS_ROUNDS {
        // Every (chart, Application) pair not rendered yet.
        let mut jobs: Vec<(usize, Option<usize>, HelmOptions, Arc<ValuesInputs>)> = Vec::new();
        for (ci, chart) in charts.iter().enumerate() {
            for (ai, a) in repo.apps.iter().enumerate() {
                if chart.rendered_for.contains(&ai) {
                    continue;
                }
                for (si, src) in a.value.spec.all_sources().into_iter().enumerate() {
                    let Some(p) = src.path.as_deref() else {
                        continue;
                    };
                    if src.chart.is_some() || normalize_source_path(p) != chart.dir {
                        continue;
                    }
                    let opts = helm_options(&a.value, src, &chart.path, settings);
                    let inputs = values_inputs(repo, ai, si, src, &opts);
                    jobs.push((ci, Some(ai), opts, Arc::new(inputs)));
                }
            }
        }
        if jobs.is_empty() {
            // No Application claims a chart any more: render the next unclaimed chart with its
            // defaults (charts that declare Applications first).
            let next = charts
                .iter()
                .enumerate()
                .filter(|(_, c)| c.rendered_for.is_empty() && !c.defaulted)
                .min_by_key(|(_, c)| (!c.renders_apps, c.dir.clone()))
                .map(|(ci, _)| ci);
            let Some(ci) = next else { break };
            charts[ci].defaulted = true;
            jobs.push((
                ci,
                None,
                HelmOptions {
                    release_name: "release-name".into(),
                    seed: Some(settings.seed),
                    kube_version: settings.kube_version.clone(),
                    ..Default::default()
                },
                Arc::default(),
            ));
        }
        for (ci, app, opts, values) in jobs {
            values_files.extend(
                opts.value_files
                    .iter()
                    .map(|f| crate::render::values_origin::normalize(f))
                    .filter(|f| f.starts_with(&norm_root))
                    .map(|f| rel_path(&norm_root, &f)),
            );
            if let Some(ai) = app {
                charts[ci].rendered_for.push(ai);
            }
            render_job(repo, &charts[ci], app, &opts, values, &mut out);
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
    for chart in &charts {
        for f in chart.templates.values() {
            repo.add_file(f.clone());
        }
    }
    let RenderOutput {
        mut rendered_units,
        mut nondeterministic,
    } = out;
    rendered_units.sort();
    rendered_units.dedup();
    nondeterministic.sort();
    nondeterministic.dedup();
    repo.rendered_units = rendered_units;
    values_files.sort();
    values_files.dedup();
    repo.values_files = values_files;
    repo.nondeterministic = nondeterministic;
    repo.problems.sort_by(|a, b| a.location.cmp(&b.location));
}
