//! The `scan` pipeline: load the checkout and the dumps, build the model, run the rules.
//!
//! This is the library entry point behind `driftlens scan`; it returns data and never prints.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::compare::app::{compare_all, CompareOptions, DriftReport};
use crate::config::{Config, PolicyError, PolicyOptions};
use crate::load::discover::{discover, parse_files, Unit};
use crate::load::source::DEFAULT_MAX_FILE_SIZE;
use crate::model::cluster::Cluster;
use crate::model::repo::Repo;
use crate::report::baseline::{Baseline, BaselineOutcome};
use crate::rules::{self, Context, Finding, RuleMeta};

/// What to scan.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// The checkout.
    pub path: PathBuf,
    /// Cluster dumps (files or folders).
    pub clusters: Vec<PathBuf>,
    /// Largest file read from the checkout, in bytes.
    pub max_file_size: u64,
    /// Kubernetes version to judge API deprecations against (otherwise taken from a Node in
    /// the dump).
    pub kube_version: Option<String>,
    /// How Applications are compared with the dump.
    pub compare: CompareOptions,
    /// Config file, user rules, suppressions and baseline.
    pub policy: PolicyOptions,
    /// Argo CD settings given on the command line (they win over `argocd-cm`).
    pub settings: crate::model::settings::SettingsOverrides,
    /// Where sources outside the checkout are (chart folders, other checkouts).
    pub sources: crate::sources::SourceOptions,
}

impl ScanOptions {
    /// Options for a checkout without dumps.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        ScanOptions {
            path: path.into(),
            clusters: Vec::new(),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            kube_version: None,
            compare: CompareOptions::default(),
            policy: PolicyOptions::default(),
            settings: Default::default(),
            sources: Default::default(),
        }
    }
}

/// Why a scan could not run at all (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The path does not exist or is not a directory.
    #[error("{path}: {reason}; pass the root of a Git checkout")]
    BadPath {
        /// The path given.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A dump could not be read.
    #[error("cluster dump {path}: {reason}")]
    BadDump {
        /// The dump path.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// Nothing to analyse.
    #[error(
        "no Kubernetes objects, charts or Kustomize directories found under {0}; check the path \
         (files must end in .yaml, .yml or .json and must not be .gitignored)"
    )]
    NothingFound(String),
    /// The config file, a user rule or the baseline is invalid.
    #[error("{0}")]
    Policy(#[from] PolicyError),
}

/// A unit (chart or Kustomize directory) and what happened to it.
#[derive(Debug, Clone, Serialize)]
pub struct UnitStatus {
    /// The unit.
    #[serde(flatten)]
    pub unit: Unit,
    /// `not-rendered` until rendering exists for the unit's kind.
    pub status: &'static str,
}

/// Counts for the summary.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    /// Files read from the checkout.
    pub files: usize,
    /// Kubernetes objects found in Git.
    pub objects: usize,
    /// Live objects loaded from dumps.
    pub live_objects: usize,
}

/// Everything a report needs.
#[derive(Debug)]
pub struct ScanResult {
    /// The checkout model (files, objects, Argo CD resources).
    pub repo: Repo,
    /// The live state, if dumps were given.
    pub cluster: Option<Cluster>,
    /// Findings, sorted.
    pub findings: Vec<Finding>,
    /// Metadata of every rule that ran.
    pub rules: Vec<RuleMeta>,
    /// Charts and Kustomize directories.
    pub units: Vec<UnitStatus>,
    /// Counts.
    pub stats: Stats,
    /// The predicted Argo CD state per Application, when dumps were given.
    pub drift: Option<DriftReport>,
    /// Dump entries that were skipped (the rest of the dump was used), and folders of
    /// `.driftlens.yaml` that do not exist: warnings for standard error.
    pub dump_problems: Vec<String>,
    /// The comparison with `--baseline`, when one was given.
    pub baseline: Option<BaselineOutcome>,
    /// How many Applications could be analysed.
    pub coverage: crate::compare::app::Coverage,
    /// Findings that `--severity`, `--rule`, `--skip-rule` or `--category` left out of
    /// `findings` ([`crate::report::filter`]).
    pub hidden: Option<crate::report::filter::Hidden>,
}

/// Loads a checkout into the model, resolves the sources of its Applications and renders its
/// Helm charts (with `kube_version` for `.Capabilities`, and a fixed seed so that random
/// functions give the same output every run).
pub fn load_and_render(
    path: &Path,
    max_file_size: u64,
    kube_version: Option<String>,
    sources: &crate::sources::SourceOptions,
) -> Result<Repo, ScanError> {
    let mut repo = load_repo(path, max_file_size)?;
    render(&mut repo, path, kube_version, sources);
    Ok(repo)
}

/// Renders the Helm charts of a loaded checkout (see [`load_and_render`]).
fn render(
    repo: &mut Repo,
    path: &Path,
    kube_version: Option<String>,
    sources: &crate::sources::SourceOptions,
) {
    let mut resolver = crate::sources::Resolver::new(path, sources);
    crate::render::integrate::render_repo(
        repo,
        &crate::render::integrate::RenderSettings {
            kube_version,
            seed: 0,
        },
        &mut resolver,
    );
}

/// Loads a checkout into the model (without rendering).
pub fn load_repo(path: &Path, max_file_size: u64) -> Result<Repo, ScanError> {
    let meta = std::fs::metadata(path).map_err(|e| ScanError::BadPath {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    if !meta.is_dir() {
        return Err(ScanError::BadPath {
            path: path.display().to_string(),
            reason: "not a directory".into(),
        });
    }
    let d = discover(path);
    // Files a kustomization reads are its own, never also plain manifests.
    let builds = crate::render::kustomized::prebuild(path, &d.units);
    let mut files = builds.plain_files(d.files, false);
    files.extend(builds.plain_files(d.kustomize_files, true));
    files.sort();
    let parsed = parse_files(path, &files, max_file_size);
    let mut repo = Repo::build(path.to_path_buf(), d.units, parsed);
    repo.kustomize_builds = builds;
    for (p, reason) in d.walk_errors {
        repo.problems.push(crate::model::repo::Problem {
            location: crate::model::object::Location::file_start(&p),
            message: format!("cannot read this path: {reason}; check its permissions"),
        });
    }
    for (p, reason) in d.escapes {
        repo.problems.push(crate::model::repo::Problem {
            location: crate::model::object::Location::file_start(&p),
            message: format!("this symbolic link is not followed: {reason}"),
        });
    }
    Ok(repo)
}

/// Runs the whole scan.
pub fn scan(opts: &ScanOptions) -> Result<ScanResult, ScanError> {
    // The dump and the checkout are read at the same time: indexing a dump's text is one
    // pass that only one core can make, while the checkout's files parse on the others.
    // Rendering waits for the dump, which may name the Kubernetes version.
    let (cluster, repo) = rayon::join(
        || load_cluster(&opts.clusters),
        || load_repo(&opts.path, opts.max_file_size),
    );
    let (cluster, dump_problems) = cluster?;
    scan_with(opts, cluster, dump_problems, repo?, false)
}

/// The scan of a checkout with its dumps already loaded ([`load_cluster`]; `opts.clusters` is
/// not read), so that several checkouts can be scanned against one cluster: the cluster is
/// handed back in [`ScanResult::cluster`]. With `allow_empty`, a checkout with nothing to
/// scan is an empty result rather than [`ScanError::NothingFound`] (a revision before the
/// manifests were added).
pub fn scan_loaded(
    opts: &ScanOptions,
    cluster: Option<Cluster>,
    dump_problems: Vec<String>,
    allow_empty: bool,
) -> Result<ScanResult, ScanError> {
    let repo = load_repo(&opts.path, opts.max_file_size)?;
    scan_with(opts, cluster, dump_problems, repo, allow_empty)
}

/// [`scan_loaded`] with the checkout loaded (not rendered yet).
fn scan_with(
    opts: &ScanOptions,
    cluster: Option<Cluster>,
    dump_problems: Vec<String>,
    mut repo: Repo,
    allow_empty: bool,
) -> Result<ScanResult, ScanError> {
    let kube_version = opts
        .kube_version
        .clone()
        .or_else(|| cluster.as_ref().and_then(Cluster::kube_version));
    let config = Config::load(&opts.path, opts.policy.config.as_deref())?;
    let mut sources = opts.sources.clone();
    let source_warnings = sources.add_config(&config, &opts.path);
    render(&mut repo, &opts.path, kube_version.clone(), &sources);
    repo.settings.apply(opts.settings);
    if !allow_empty
        && repo.manifests.is_empty()
        && repo.units.is_empty()
        && repo.problems.is_empty()
    {
        return Err(ScanError::NothingFound(opts.path.display().to_string()));
    }
    let catalog = rules::data::catalog_with_user_rules(Some(&opts.path), &opts.policy.rule_dirs)?;
    let ids: Vec<&str> = catalog.iter().map(|r| r.meta().id.as_str()).collect();
    config.check_rule_ids(&ids)?;
    let baseline = opts
        .policy
        .baseline
        .as_deref()
        .map(Baseline::load)
        .transpose()?;
    let drift = cluster
        .as_ref()
        .map(|c| compare_all(&repo, c, &opts.compare));
    let coverage = crate::compare::app::coverage(&repo, &opts.compare);
    let mut ctx = Context::new(&repo, cluster.as_ref());
    ctx.drift = drift.as_ref();
    ctx.kube_version = kube_version;
    let findings = rules::run(&catalog, &ctx);
    drop(ctx);
    if let Some(e) = catalog.iter().flat_map(|r| r.take_errors()).next() {
        return Err(e.into());
    }
    let mut findings = findings;
    name_values_origins(&repo, &mut findings);
    let mut findings =
        rules::suppress::apply(findings, &repo, &config, opts.policy.inline_suppressions);
    let baseline = baseline.map(|b| b.compare(&mut findings));
    let units = repo
        .units
        .iter()
        .map(|u| UnitStatus {
            unit: u.clone(),
            status: if repo.rendered_units.contains(&u.dir) {
                "rendered"
            } else {
                "not-rendered"
            },
        })
        .collect();
    let stats = Stats {
        files: repo.files.len(),
        objects: repo.manifests.len(),
        live_objects: cluster.as_ref().map_or(0, Cluster::len),
    };
    Ok(ScanResult {
        rules: catalog.iter().map(|r| r.meta().clone()).collect(),
        repo,
        cluster,
        findings,
        units,
        stats,
        drift,
        dump_problems: dump_problems.into_iter().chain(source_warnings).collect(),
        baseline,
        coverage,
        hidden: None,
    })
}

/// For findings on a field of a rendered chart object: when the field's value came from
/// `.Values`, names the values key (a key, never a value) in the message and in the
/// `valuesPath` property, and adds the line of the values input that set it as a related
/// location; when the field's line was produced by a named template, adds the `include` or
/// `template` calls it went through as related locations.
fn name_values_origins(repo: &Repo, findings: &mut [rules::Finding]) {
    use std::collections::HashMap;
    let mut by_key: HashMap<&crate::model::key::ObjectKey, Vec<usize>> = HashMap::new();
    for (i, m) in repo.manifests.iter().enumerate() {
        if m.rendered.is_some() {
            by_key.entry(&m.key).or_default().push(i);
        }
    }
    if by_key.is_empty() {
        return;
    }
    let mut resolver = crate::render::values_origin::ValuesResolver::new(&repo.root, |path| {
        crate::load::source::read_text(path, DEFAULT_MAX_FILE_SIZE).ok()
    });
    // The same object rendered for several Applications yields one finding per rendering, in
    // manifest order: the n-th finding of a kind goes with the n-th rendering.
    let mut seen: HashMap<(String, crate::model::key::ObjectKey, Option<String>), usize> =
        HashMap::new();
    for f in findings.iter_mut() {
        let Some(key) = &f.object else {
            continue;
        };
        // Drift findings name the object with its namespace defaulted; a rendered object
        // usually has none.
        let unset_ns = crate::model::key::ObjectKey {
            namespace: String::new(),
            ..key.clone()
        };
        let Some(candidates) = by_key.get(key).or_else(|| by_key.get(&unset_ns)) else {
            continue;
        };
        let pointer = f.pointer.clone().unwrap_or_else(|| "/kind".to_string());
        let same_place = |l: &crate::model::object::Location| {
            l.path == f.location.path && l.line == f.location.line && l.col == f.location.col
        };
        let at_location: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&mi| same_place(&repo.manifests[mi].locate(&pointer)))
            .collect();
        let (mi, located) = if at_location.len() > 1 {
            let n = seen
                .entry((f.rule.clone(), key.clone(), f.pointer.clone()))
                .or_insert(0);
            let occurrence = *n;
            *n += 1;
            (at_location[occurrence % at_location.len()], true)
        } else if let Some(&mi) = at_location.first() {
            (mi, true)
        } else if f.pointer.is_some() {
            match candidates
                .iter()
                .copied()
                .find(|&mi| repo.manifests[mi].file.path == f.location.path)
            {
                Some(mi) => (mi, false),
                None => continue,
            }
        } else {
            continue;
        };
        let m = &repo.manifests[mi];
        // A chart outside the checkout: the finding points at the Application's source, and
        // says where in the chart the field is written.
        if let Some(pos) = m
            .rendered
            .as_ref()
            .and_then(|r| r.external_position(m.node.closest_span(&pointer)))
        {
            f.message.push_str(&format!(" (rendered from {pos})"));
        }
        let Some(trace) = m.render_trace(&pointer) else {
            continue;
        };
        if located {
            for (loc, name) in &trace.calls {
                f.related.push(rules::Related {
                    location: loc.clone(),
                    message: format!("the line comes from template `{name}`, called here"),
                });
            }
        }
        let (Some(vp), Some(_)) = (trace.values_path, &f.pointer) else {
            continue;
        };
        f.message.push_str(&format!(
            " (the value comes from `.Values.{vp}` of the chart's values)"
        ));
        if let Some(origin) = m
            .rendered
            .as_ref()
            .and_then(|r| resolver.resolve(&r.chart_dir, &trace.template, &vp, &r.values))
        {
            f.related.push(rules::Related {
                location: origin.location,
                message: format!("`.Values.{vp}` is set here, {}", origin.what),
            });
        }
        f.properties
            .insert("valuesPath".into(), serde_json::Value::String(vp));
    }
}

/// Loads the dumps; a dump that cannot be read completely is an error (exit 2), skipped
/// entries are returned as warnings.
pub fn load_cluster(paths: &[PathBuf]) -> Result<(Option<Cluster>, Vec<String>), ScanError> {
    if paths.is_empty() {
        return Ok((None, Vec::new()));
    }
    let load = crate::load::dump::load_dumps(paths);
    if let Some(first) = load.fatal.first() {
        let more = load.fatal.len() - 1;
        return Err(ScanError::BadDump {
            path: first.path.clone(),
            reason: format!(
                "{}{}",
                first
                    .to_string()
                    .strip_prefix(&format!("{}: ", first.path))
                    .unwrap_or(&first.message),
                if more > 0 {
                    format!(" (and {more} more problems)")
                } else {
                    String::new()
                }
            ),
        });
    }
    let warnings = load.problems.iter().map(ToString::to_string).collect();
    Ok((Some(load.into_cluster()), warnings))
}
