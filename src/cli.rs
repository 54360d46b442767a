//! Command-line front end: parses arguments and wires the pipeline stages together.
//!
//! Exit codes: 0 nothing at or above `--fail-on`; 1 findings at or above it; 2 usage errors, an
//! unreadable path or dump, or nothing to scan.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::compare::app::{compare_all, CompareOptions, DriftReport};
use crate::model::cluster::Cluster;
use crate::model::repo::Repo;
use crate::report::{self, Format, Style};
use crate::rules::{self, Category, Severity};
use crate::scan::{scan, ScanOptions};

/// Offline Argo CD drift prediction and GitOps linting from a Git checkout and cluster dumps.
#[derive(Debug, Parser)]
#[command(name = "driftlens", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scan a checkout (and optional cluster dumps) and report findings.
    Scan(ScanArgs),
    /// Predict each Application's sync status from the checkout and a cluster dump.
    Apps(AppsArgs),
    /// Show what differs between Git and the cluster, per resource, like `argocd app diff`.
    Diff(DiffArgs),
    /// Show one Application like `argocd app get`: sync, health, sync windows, history,
    /// resource tree and events, from the checkout and a dump.
    App(AppArgs),
    /// Render a Helm chart in-process, like `helm template` (no helm binary needed).
    Render(crate::render::helm::args::RenderArgs),
    /// `helm template RELEASE CHART …` with helm's own command line, for drop-in use.
    Template(crate::render::helm::args::TemplateArgs),
    /// What a change does to every Application, from two Git revisions: per-Application
    /// manifest diffs, objects pruned, renderings that broke, and only the new findings.
    Review(ReviewArgs),
    /// `kustomize build DIR` with kustomize's command line, for drop-in use (in-process,
    /// byte for byte like kustomize v5.6).
    Kustomize(crate::render::kustomize::KustomizeArgs),
    /// List every Application's sources: where each resolved, or why it is not analysed and
    /// what would fetch it (`--missing --format script | sh` vendors what is missing).
    Sources(SourcesArgs),
    /// List the rules.
    Rules(RulesArgs),
    /// Show the full documentation of a rule.
    Explain {
        /// Rule id, e.g. hpa-replicas-not-ignored.
        rule: String,
        /// Also look in this directory of data rules (repeatable); `.driftlens/rules/` of the
        /// current directory is always read.
        #[arg(long = "rules", value_name = "DIR")]
        rule_dirs: Vec<PathBuf>,
    },
}

/// The threshold for a failing exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOn {
    Error,
    Warning,
    Note,
    Never,
}

impl FailOn {
    fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Note => Some(Severity::Note),
            FailOn::Never => None,
        }
    }
}

/// `application.resourceTrackingMethod` on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TrackingArg {
    Annotation,
    Label,
    #[value(name = "annotation+label")]
    AnnotationAndLabel,
}

/// `ignoreResourceStatusField` on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum StatusIgnoreArg {
    All,
    Crd,
    None,
}

/// Argo CD settings that depend on its version or deployment.
#[derive(Debug, Clone, clap::Args)]
struct SettingsArgs {
    /// How Argo CD tracks resources (default: argocd-cm's `application.resourceTrackingMethod`,
    /// else `annotation` as in Argo CD 3.x; Argo CD 2.x defaulted to `label`).
    #[arg(long, value_enum)]
    tracking_method: Option<TrackingArg>,
    /// Which objects get `/status` ignored (default: argocd-cm's
    /// `resource.compareoptions`, else `all` as in Argo CD 3.x; 2.x defaulted to `crd`).
    #[arg(long, value_enum)]
    status_ignore: Option<StatusIgnoreArg>,
}

impl SettingsArgs {
    fn overrides(&self) -> crate::model::settings::SettingsOverrides {
        use crate::model::settings::{StatusIgnore, TrackingMethod};
        crate::model::settings::SettingsOverrides {
            tracking_method: self.tracking_method.map(|t| match t {
                TrackingArg::Annotation => TrackingMethod::Annotation,
                TrackingArg::Label => TrackingMethod::Label,
                TrackingArg::AnnotationAndLabel => TrackingMethod::AnnotationAndLabel,
            }),
            status_ignore: self.status_ignore.map(|s| match s {
                StatusIgnoreArg::All => StatusIgnore::All,
                StatusIgnoreArg::Crd => StatusIgnore::Crd,
                StatusIgnoreArg::None => StatusIgnore::None,
            }),
        }
    }
}

/// `URL=PATH` of `--repo` (the last `=` separates them: URLs may hold `=`, paths rarely do).
fn parse_repo_mapping(s: &str) -> Result<(String, PathBuf), String> {
    match s.rsplit_once('=') {
        Some((url, path)) if !url.trim().is_empty() && !path.trim().is_empty() => {
            Ok((url.trim().to_string(), PathBuf::from(path.trim())))
        }
        _ => Err(format!(
            "`{s}`: expected URL=PATH, e.g. https://github.com/org/config.git=../config"
        )),
    }
}

/// Where the sources of Applications are, besides the checkout.
#[derive(Debug, Clone, clap::Args)]
struct SourceArgs {
    /// The URL of the scanned checkout: only sources with this `repoURL` are taken from it
    /// (default: the remotes of its Git config; without any, every URL whose paths exist
    /// here).
    #[arg(long, value_name = "URL")]
    repo_url: Option<String>,
    /// A folder of charts as `helm pull` writes them (`NAME-VERSION.tgz`, untarred `NAME/`,
    /// `index.yaml`), for sources and dependencies from Helm and OCI repositories; repeatable.
    /// Also `charts:` in `.driftlens.yaml`.
    #[arg(long = "charts", value_name = "DIR")]
    charts: Vec<PathBuf>,
    /// A checkout of another repository, for the sources that name its URL (compared whatever
    /// the protocol, case or `.git` suffix): `--repo https://github.com/org/config.git=../config`;
    /// repeatable; `URL=.` names the scanned checkout itself. Also `repos:` in `.driftlens.yaml`.
    #[arg(long = "repo", value_name = "URL=PATH", value_parser = parse_repo_mapping)]
    repos: Vec<(String, PathBuf)>,
    /// Do not search Helm's own cache (`$HELM_CACHE_HOME/repository`), so that the scan
    /// depends only on the checkout and the folders given.
    #[arg(long)]
    no_helm_cache: bool,
}

impl SourceArgs {
    /// The options of the command line; with `config`, also the folders of the checkout's
    /// `.driftlens.yaml` (`scan` adds those itself, with its `--config`).
    fn options(
        &self,
        root: &std::path::Path,
        config: bool,
    ) -> Result<crate::sources::SourceOptions, i32> {
        for c in &self.charts {
            if !c.is_dir() {
                diag!(
                    "error: --charts {}: not a folder; pass a folder of charts (`helm pull` \
                     archives or untarred charts)",
                    c.display()
                );
                return Err(2);
            }
        }
        for (url, path) in &self.repos {
            if !path.is_dir() {
                diag!(
                    "error: --repo {url}={}: not a folder; pass the root of a checkout of that \
                     repository",
                    path.display()
                );
                return Err(2);
            }
        }
        let mut opts = crate::sources::SourceOptions {
            repo_url: self.repo_url.clone(),
            charts: self.charts.clone(),
            repos: self.repos.clone(),
            helm_cache: if self.no_helm_cache {
                None
            } else {
                crate::sources::charts::HelmCache::from_env()
            },
            stand_in: None,
        };
        if config {
            let cfg = crate::config::Config::load(root, None).map_err(|e| {
                diag!("error: {e}");
                2
            })?;
            for w in opts.add_config(&cfg, root) {
                diag!("warning: {w}");
            }
        }
        Ok(opts)
    }
}

#[derive(Debug, clap::Args)]
struct ScanArgs {
    /// Root of the Git checkout to scan.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// A cluster dump: `kubectl get … -o json|yaml` output, a single object, or a folder of
    /// such files. May be repeated.
    #[arg(long = "cluster", value_name = "FILE_OR_DIR")]
    clusters: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Write the report to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit with 1 when a finding has this severity or a higher one.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    fail_on: FailOn,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<usize>,
    /// Largest file read from the checkout, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = crate::load::source::DEFAULT_MAX_FILE_SIZE)]
    max_file_size: u64,
    /// Kubernetes version of the target cluster (e.g. v1.31.0), for API deprecation checks;
    /// by default taken from a Node in the dump.
    #[arg(long, value_name = "VERSION")]
    kube_version: Option<String>,
    #[command(flatten)]
    settings: SettingsArgs,
    #[command(flatten)]
    sources: SourceArgs,
    /// Policy file (default: `.driftlens.yaml` at the scan root, if present).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// A directory of data rules (`*.yaml`); repeatable. `.driftlens/rules/` at the scan root
    /// is always read.
    #[arg(long = "rules", value_name = "DIR")]
    rule_dirs: Vec<PathBuf>,
    /// A previous JSON or SARIF report: findings already in it are `unchanged` and do not fail
    /// the build; fixed ones are listed as `absent`.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Ignore `ignore-check.driftlens.io/*` annotations (for audits); suppressions in the
    /// config file still apply.
    #[arg(long)]
    no_inline_suppressions: bool,
    /// Show only findings of this severity or a higher one (error, warning, note); the others
    /// are counted, and do not fail the run.
    #[arg(long, value_name = "SEVERITY", value_parser = |s: &str| s.parse::<Severity>())]
    severity: Option<Severity>,
    /// Show only the findings of this rule; repeatable.
    #[arg(long = "rule", value_name = "ID")]
    only_rules: Vec<String>,
    /// Do not show the findings of this rule; repeatable.
    #[arg(long = "skip-rule", value_name = "ID")]
    skip_rules: Vec<String>,
    /// Show only findings of this category (drift-risk, security, reliability, argocd-config).
    #[arg(long, value_name = "CATEGORY", value_parser = |s: &str| s.parse::<Category>())]
    category: Option<Category>,
}

#[derive(Debug, clap::Args)]
struct ReviewArgs {
    /// A directory of the repository's working tree (the repository is found upwards).
    #[arg(default_value = ".")]
    path: PathBuf,
    /// The base revision: anything Git accepts (a branch, tag, `HEAD~1`, `origin/main`, an
    /// id). It is read from the local repository; nothing is fetched (in CI, fetch it first).
    #[arg(long, value_name = "REV")]
    base: String,
    /// The head revision (default: the working tree as it is).
    #[arg(long, value_name = "REV")]
    head: Option<String>,
    /// Compare with the merge base of `--base` and the head (what a pull request shows).
    #[arg(long)]
    merge_base: bool,
    /// A cluster dump, for what a sync of each changed Application would do and which drift
    /// the change resolves; may be repeated.
    #[arg(long = "cluster", value_name = "FILE_OR_DIR")]
    clusters: Vec<PathBuf>,
    /// Output format (`markdown`: a pull-request comment of at most 65,536 characters).
    #[arg(long, value_enum, default_value_t = crate::report::review::ReviewFormat::Human)]
    format: crate::report::review::ReviewFormat,
    /// Write the report to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit with 1 when a new finding has this severity or a higher one (any Application
    /// change exits with 1 too).
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    fail_on: FailOn,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<usize>,
    /// Largest file read from each revision, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = crate::load::source::DEFAULT_MAX_FILE_SIZE)]
    max_file_size: u64,
    /// Kubernetes version of the target cluster, for API deprecation checks and
    /// `.Capabilities`; by default taken from a Node in the dump.
    #[arg(long, value_name = "VERSION")]
    kube_version: Option<String>,
    #[command(flatten)]
    settings: SettingsArgs,
    #[command(flatten)]
    sources: SourceArgs,
    /// Policy file (default: each revision's own `.driftlens.yaml`).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// A directory of data rules (`*.yaml`); repeatable. Each revision's `.driftlens/rules/`
    /// is always read.
    #[arg(long = "rules", value_name = "DIR")]
    rule_dirs: Vec<PathBuf>,
    /// Ignore `ignore-check.driftlens.io/*` annotations; suppressions in the config file still
    /// apply.
    #[arg(long)]
    no_inline_suppressions: bool,
}

/// What `apps` and `diff` compare.
#[derive(Debug, clap::Args)]
struct CompareArgs {
    /// Root of the Git checkout.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// A cluster dump (file or folder); may be repeated. Required by `diff` and `app`; `apps`
    /// without one lists each Application's desired state and sources.
    #[arg(long = "cluster", value_name = "FILE_OR_DIR")]
    clusters: Vec<PathBuf>,
    #[command(flatten)]
    sources: SourceArgs,
    /// Destination namespace of the implicit Application used when the checkout has none.
    #[arg(long, value_name = "NS", default_value = "default")]
    namespace: String,
    #[command(flatten)]
    settings: SettingsArgs,
}

#[derive(Debug, clap::Args)]
struct AppsArgs {
    #[command(flatten)]
    common: CompareArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = RulesFormat::Table)]
    format: RulesFormat,
}

#[derive(Debug, clap::Args)]
struct AppArgs {
    /// The Application's name.
    name: String,
    #[command(flatten)]
    common: CompareArgs,
    /// Evaluate sync windows at this time (RFC 3339, e.g. 2026-11-25T09:00:00Z); default: the
    /// newest timestamp found in the dump.
    #[arg(long, value_name = "TIME")]
    at: Option<String>,
    /// A folder laid out like Argo CD's `resource_customizations/<group>/<Kind>/health.lua`
    /// with extra Lua health checks.
    #[arg(long, value_name = "DIR")]
    lua_health: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct DiffArgs {
    #[command(flatten)]
    common: CompareArgs,
    /// Only this Application.
    #[arg(long, value_name = "NAME")]
    app: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SourcesFormat {
    Table,
    Json,
    Script,
}

#[derive(Debug, clap::Args)]
struct SourcesArgs {
    /// Root of the Git checkout.
    #[arg(default_value = ".")]
    path: PathBuf,
    #[command(flatten)]
    sources: SourceArgs,
    /// Output format (`script`: a shell script fetching what is missing).
    #[arg(long, value_enum, default_value_t = SourcesFormat::Table)]
    format: SourcesFormat,
    /// Only the Applications (and charts) with a source that is not analysed.
    #[arg(long)]
    missing: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum RulesFormat {
    Table,
    Json,
}

#[derive(Debug, clap::Args)]
struct RulesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = RulesFormat::Table)]
    format: RulesFormat,
    /// Only rules of this category (drift-risk, security, reliability, argocd-config).
    #[arg(long, value_parser = |s: &str| s.parse::<Category>())]
    category: Option<Category>,
    /// Only rules with this default severity (error, warning, note).
    #[arg(long, value_parser = |s: &str| s.parse::<Severity>())]
    severity: Option<Severity>,
    /// Also list the data rules of this directory (repeatable); `.driftlens/rules/` of the
    /// current directory is always read.
    #[arg(long = "rules", value_name = "DIR")]
    rule_dirs: Vec<PathBuf>,
}

/// Prints a diagnostic on standard error, scrubbed of known secret values
/// ([`crate::report::scrub`]).
macro_rules! diag {
    ($($arg:tt)*) => {{
        let text = format!($($arg)*);
        let _ = writeln!(std::io::stderr(), "{}", crate::report::scrub::scrub(&text));
    }};
}
use diag;

/// Writes a report to `output` or standard output, scrubbed of known secret values.
fn write_out(output: Option<&PathBuf>, text: &str) -> Result<(), String> {
    let text = crate::report::scrub::scrub(text);
    let text: &str = &text;
    match output {
        Some(p) => std::fs::write(p, text).map_err(|e| {
            format!(
                "cannot write {}: {e}; check the directory exists",
                p.display()
            )
        }),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|_| stdout.flush())
                .or_else(|e| {
                    // A closed pipe (e.g. `| head`) is not an error worth reporting.
                    if e.kind() == std::io::ErrorKind::BrokenPipe {
                        Ok(())
                    } else {
                        Err(e)
                    }
                })
                .map_err(|e| format!("cannot write to standard output: {e}"))
        }
    }
}

/// Whether `v` is a Kubernetes version (`v1.31`, `1.31.4`, `v1.32.0-rc.1+k3s1`).
fn is_kube_version(v: &str) -> bool {
    let v = v.strip_prefix('v').unwrap_or(v);
    let core = v.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<&str> = core.split('.').collect();
    (2..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 9 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Checks `--kube-version` and starts `--jobs` worker threads; the exit code 2 on error.
fn check_run_options(kube_version: Option<&str>, jobs: Option<usize>) -> Result<(), i32> {
    if let Some(v) = kube_version {
        if !is_kube_version(v) {
            diag!(
                "error: --kube-version {v:?} is not a Kubernetes version; write it like v1.31 or \
                 1.31.4"
            );
            return Err(2);
        }
    }
    if let Some(n) = jobs {
        if n == 0 {
            diag!("error: --jobs must be at least 1");
            return Err(2);
        }
        if let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
        {
            diag!("error: cannot start {n} worker threads: {e}");
            return Err(2);
        }
    }
    Ok(())
}

/// Whether output to standard output gets colours.
fn color_for(output: Option<&PathBuf>) -> bool {
    output.is_none()
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn run_scan(args: ScanArgs) -> i32 {
    if let Err(code) = check_run_options(args.kube_version.as_deref(), args.jobs) {
        return code;
    }
    let opts = ScanOptions {
        path: args.path.clone(),
        clusters: args.clusters.clone(),
        max_file_size: args.max_file_size,
        kube_version: args.kube_version.clone(),
        compare: Default::default(),
        settings: args.settings.overrides(),
        sources: match args.sources.options(&args.path, false) {
            Ok(o) => o,
            Err(code) => return code,
        },
        policy: crate::config::PolicyOptions {
            config: args.config.clone(),
            rule_dirs: args.rule_dirs.clone(),
            inline_suppressions: !args.no_inline_suppressions,
            baseline: args.baseline.clone(),
        },
    };
    let mut result = match scan(&opts) {
        Ok(r) => r,
        Err(e) => {
            diag!("error: {e}");
            return 2;
        }
    };
    let filter = report::filter::Filter {
        min_severity: args.severity,
        rules: args.only_rules.clone(),
        skip_rules: args.skip_rules.clone(),
        category: args.category,
    };
    if let Err(e) = filter.check_rules(&result.rules) {
        diag!("error: {e}");
        return 2;
    }
    result.hidden = filter.apply(&mut result.findings);
    report::scrub::install(report::scrub::Scrubber::from_model(
        &result.repo,
        result.cluster.as_ref(),
    ));
    for w in &result.dump_problems {
        diag!("warning: {w}");
    }
    if let Some(h) = &result.hidden {
        diag!("note: {}", h.line());
    }
    let color = color_for(args.output.as_ref());
    let text = report::render(args.format, &result, Style { color });
    if let Err(e) = write_out(args.output.as_ref(), &text) {
        diag!("error: {e}");
        return 2;
    }
    let failing = args.fail_on.threshold().is_some_and(|t| {
        result
            .findings
            .iter()
            .any(|f| f.is_active() && f.severity >= t)
    });
    // The process ends here: freeing the model and the dumps object by object would cost a
    // noticeable part of a large scan (the operating system takes the memory back at once).
    std::mem::forget(result);
    std::mem::forget(text);
    i32::from(failing)
}

fn run_review(args: ReviewArgs) -> i32 {
    if let Err(code) = check_run_options(args.kube_version.as_deref(), args.jobs) {
        return code;
    }
    let opts = crate::review::ReviewOptions {
        scan: ScanOptions {
            path: args.path.clone(),
            clusters: args.clusters.clone(),
            max_file_size: args.max_file_size,
            kube_version: args.kube_version.clone(),
            compare: Default::default(),
            settings: args.settings.overrides(),
            sources: match args.sources.options(&args.path, false) {
                Ok(o) => o,
                Err(code) => return code,
            },
            policy: crate::config::PolicyOptions {
                config: args.config.clone(),
                rule_dirs: args.rule_dirs.clone(),
                inline_suppressions: !args.no_inline_suppressions,
                baseline: None,
            },
        },
        base: args.base.clone(),
        head: args.head.clone(),
        merge_base: args.merge_base,
        budget: crate::load::revision::TreeBudget::DEFAULT,
    };
    let review = match crate::review::review(&opts) {
        Ok(r) => r,
        Err(e) => {
            diag!("error: {e}");
            return 2;
        }
    };
    report::scrub::install(report::scrub::Scrubber::from_models(
        &[&review.base_scan.repo, &review.head_scan.repo],
        review.head_scan.cluster.as_ref(),
    ));
    for w in &review.warnings {
        diag!("warning: {w}");
    }
    let style = Style {
        color: color_for(args.output.as_ref()),
    };
    let text = report::review::render(args.format, &review, style);
    if let Err(e) = write_out(args.output.as_ref(), &text) {
        diag!("error: {e}");
        return 2;
    }
    let failing = args
        .fail_on
        .threshold()
        .is_some_and(|t| review.new_findings().any(|f| f.severity >= t));
    i32::from(failing || review.changed_apps().next().is_some())
}

/// Loads the checkout and the dumps and compares them; errors are printed (exit 2).
fn load_and_compare(args: &CompareArgs) -> Result<(Repo, Cluster, DriftReport), i32> {
    if args.clusters.is_empty() {
        diag!(
            "error: the following required arguments were not provided:\n  --cluster \
             <FILE_OR_DIR>\n\nA dump is `kubectl get … -o json` output (a file or a folder)."
        );
        return Err(2);
    }
    let (cluster, warnings) = match crate::scan::load_cluster(&args.clusters) {
        Ok((Some(c), warnings)) => (c, warnings),
        Ok((None, _)) => return Err(2),
        Err(e) => {
            diag!("error: {e}");
            return Err(2);
        }
    };
    let mut repo = crate::scan::load_and_render(
        &args.path,
        crate::load::source::DEFAULT_MAX_FILE_SIZE,
        cluster.kube_version(),
        &args.sources.options(&args.path, true)?,
    )
    .map_err(|e| {
        diag!("error: {e}");
        2
    })?;
    report::scrub::install(report::scrub::Scrubber::from_model(&repo, Some(&cluster)));
    for w in warnings {
        diag!("warning: {w}");
    }
    repo.settings.apply(args.settings.overrides());
    let opts = CompareOptions {
        implicit_namespace: args.namespace.clone(),
        ..Default::default()
    };
    let report = compare_all(&repo, &cluster, &opts);
    Ok((repo, cluster, report))
}

fn run_diff(args: DiffArgs) -> i32 {
    let (repo, cluster, report) = match load_and_compare(&args.common) {
        Ok(x) => x,
        Err(code) => return code,
    };
    if let Some(name) = &args.app {
        if !report.apps.iter().any(|a| &a.name == name) {
            diag!("error: no Application `{name}` in the checkout; `driftlens apps` lists them");
            return 2;
        }
    }
    let one_sided = |ai: usize, r: &crate::compare::app::ResourceResult| {
        let a = &report.apps[ai];
        let app = a.app.map(|i| &repo.apps[i].value);
        let settings = crate::compare::engine::app_diff_settings(app, &repo.settings).ok()?;
        let live = r.live.map(|i| cluster.objects[i].obj());
        crate::compare::engine::compare_one_sided(r.desired_obj.as_ref(), live, &settings)
            .ok()
            .flatten()
    };
    let diffs = report::diff::render(&report, args.app.as_deref(), one_sided);
    let mut text = String::new();
    for d in &diffs {
        text.push_str(&d.header);
        text.push('\n');
        text.push_str(&d.body);
        text.push('\n');
    }
    if let Err(e) = write_out(None, &text) {
        diag!("error: {e}");
        return 2;
    }
    // An Application that could not be compared has no diff to show: say so, never exit 0.
    let mut unknown = 0;
    for a in &report.apps {
        if args.app.as_deref().is_some_and(|n| n != a.name)
            || a.status != crate::compare::app::SyncStatus::Unknown
        {
            continue;
        }
        unknown += 1;
        let why: Vec<String> = a
            .conditions
            .iter()
            .map(|c| format!("{}: {}", c.kind, c.message))
            .collect();
        // The conditions of an Application whose sources are not analysed already hold why.
        let why = if why.is_empty() {
            a.not_analysed.iter().cloned().collect()
        } else {
            why
        };
        diag!(
            "error: Application `{}` cannot be compared, so its diff is unknown: {}",
            a.name,
            if why.is_empty() {
                "no reason recorded".to_string()
            } else {
                why.join("; ")
            }
        );
    }
    i32::from(!diffs.is_empty() || unknown > 0)
}

fn run_app(args: AppArgs) -> i32 {
    let at = match args.at.as_deref().map(str::parse::<jiff::Timestamp>) {
        None => None,
        Some(Ok(t)) => Some(t),
        Some(Err(e)) => {
            diag!("error: --at: {e}; use RFC 3339 such as 2026-11-25T09:00:00Z");
            return 2;
        }
    };
    let (repo, cluster, report) = match load_and_compare(&args.common) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let mut overrides = crate::compare::health::HealthOverrides::from_settings(&repo.settings);
    if let Some(dir) = &args.lua_health {
        if let Err(e) = overrides.add_directory(dir) {
            diag!("error: --lua-health: {e}");
            return 2;
        }
    }
    let Some(view) =
        crate::compare::appview::app_view(&repo, &cluster, &report, &args.name, &overrides, at)
    else {
        diag!(
            "error: no Application `{}` in the checkout; `driftlens apps` lists them",
            args.name
        );
        return 2;
    };
    let color = std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    match write_out(None, &report::appview::render(&view, color)) {
        Ok(()) => 0,
        Err(e) => {
            diag!("error: {e}");
            2
        }
    }
}

fn run_apps(args: AppsArgs) -> i32 {
    if args.common.clusters.is_empty() {
        return run_apps_without_dump(&args);
    }
    let (_, _, report) = match load_and_compare(&args.common) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let text = match args.format {
        RulesFormat::Table => report::apps::render_table(&report),
        RulesFormat::Json => report::apps::render_json(&report),
    };
    if let Err(e) = write_out(None, &text) {
        diag!("error: {e}");
        return 2;
    }
    i32::from(
        report
            .apps
            .iter()
            .any(|a| a.status != crate::compare::app::SyncStatus::Synced),
    )
}

/// Loads and renders a checkout for the commands that need no dump (`sources`, `apps`
/// without `--cluster`), with its `.driftlens.yaml` folders; errors are printed (exit 2).
fn load_without_dump(path: &std::path::Path, sources: &SourceArgs) -> Result<Repo, i32> {
    let options = sources.options(path, true)?;
    let repo = crate::scan::load_and_render(
        path,
        crate::load::source::DEFAULT_MAX_FILE_SIZE,
        None,
        &options,
    )
    .map_err(|e| {
        diag!("error: {e}");
        2
    })?;
    report::scrub::install(report::scrub::Scrubber::from_model(&repo, None));
    Ok(repo)
}

/// `apps` without a dump: the desired state of each Application, not its sync status. Exits 1
/// when one is not known.
fn run_apps_without_dump(args: &AppsArgs) -> i32 {
    let c = &args.common;
    let mut repo = match load_without_dump(&c.path, &c.sources) {
        Ok(r) => r,
        Err(code) => return code,
    };
    repo.settings.apply(c.settings.overrides());
    let opts = CompareOptions {
        implicit_namespace: c.namespace.clone(),
        ..Default::default()
    };
    let predictions = crate::compare::app::predict_all(&repo, &opts);
    let coverage = crate::compare::app::coverage(&repo, &opts);
    let text = match args.format {
        RulesFormat::Table => report::apps::render_predictions_table(&predictions, &coverage),
        RulesFormat::Json => report::apps::render_predictions_json(&predictions, &coverage),
    };
    if let Err(e) = write_out(None, &text) {
        diag!("error: {e}");
        return 2;
    }
    i32::from(predictions.iter().any(|p| p.objects.is_none()))
}

fn run_sources(args: SourcesArgs) -> i32 {
    let repo = match load_without_dump(&args.path, &args.sources) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let coverage = crate::compare::app::coverage(&repo, &CompareOptions::default());
    let sel = if args.missing {
        report::sources::Selection::Missing
    } else {
        report::sources::Selection::All
    };
    let text = match args.format {
        SourcesFormat::Table => report::sources::render_table(&repo, &coverage, sel),
        SourcesFormat::Json => report::sources::render_json(&repo, &coverage, sel),
        SourcesFormat::Script => {
            report::sources::render_script(&repo, &args.path.display().to_string())
        }
    };
    match write_out(None, &text) {
        Ok(()) => 0,
        Err(e) => {
            diag!("error: {e}");
            2
        }
    }
}

/// The catalog with the user rules of `dirs` and of `.driftlens/rules/` in the current
/// directory, or the exit code 2 after printing why not.
fn catalog_for(dirs: &[PathBuf]) -> Result<Vec<Box<dyn rules::Rule>>, i32> {
    rules::data::catalog_with_user_rules(Some(std::path::Path::new(".")), dirs).map_err(|e| {
        diag!("error: {e}");
        2
    })
}

fn run_rules(args: RulesArgs) -> i32 {
    let catalog = match catalog_for(&args.rule_dirs) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let selected: Vec<_> = catalog
        .iter()
        .map(|r| r.meta())
        .filter(|m| args.category.is_none_or(|c| m.category == c))
        .filter(|m| args.severity.is_none_or(|s| m.severity == s))
        .collect();
    let text = match args.format {
        RulesFormat::Json => {
            let list: Vec<serde_json::Value> = selected
                .iter()
                .map(|m| {
                    serde_json::json!({
                        "id": m.id,
                        "category": m.category,
                        "severity": m.severity,
                        "summary": m.summary,
                        "doc": m.doc_path,
                        "origin": m.origin,
                    })
                })
                .collect();
            let mut s = serde_json::to_string_pretty(&list).unwrap_or_default();
            s.push('\n');
            s
        }
        RulesFormat::Table => {
            let w = selected
                .iter()
                .map(|m| m.id.len())
                .max()
                .unwrap_or(2)
                .max(2);
            let mut s = format!(
                "{:<w$}  {:<8}  {:<13}  SUMMARY\n",
                "ID", "SEVERITY", "CATEGORY"
            );
            for m in &selected {
                s.push_str(&format!(
                    "{:<w$}  {:<8}  {:<13}  {}\n",
                    m.id,
                    m.severity.as_str(),
                    m.category.as_str(),
                    m.summary
                ));
            }
            s
        }
    };
    match write_out(None, &text) {
        Ok(()) => 0,
        Err(e) => {
            diag!("error: {e}");
            2
        }
    }
}

fn run_explain(id: &str, dirs: &[PathBuf]) -> i32 {
    let catalog = match catalog_for(dirs) {
        Ok(c) => c,
        Err(code) => return code,
    };
    match catalog.iter().find(|r| r.meta().id == id) {
        Some(r) => {
            let m = r.meta();
            let origin = match m.origin {
                rules::RuleOrigin::Builtin => String::new(),
                rules::RuleOrigin::User => format!(", defined in {}", m.doc_path),
            };
            let text = format!(
                "{} ({}, default severity {}{origin})\n\n{}",
                m.id,
                m.category.as_str(),
                m.severity,
                m.doc
            );
            match write_out(None, &text) {
                Ok(()) => 0,
                Err(e) => {
                    diag!("error: {e}");
                    2
                }
            }
        }
        None => {
            diag!("error: no rule `{id}`; `driftlens rules` lists them");
            2
        }
    }
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    // A panic message may quote a value: it goes through the scrubber like any output.
    std::panic::set_hook(Box::new(|info| {
        let text = format!("driftlens: internal error: {info}");
        let _ = writeln!(std::io::stderr(), "{}", report::scrub::scrub(&text));
    }));
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match cli.command {
        Command::Scan(args) => run_scan(args),
        Command::Apps(args) => run_apps(args),
        Command::Render(args) => args.run(),
        Command::Template(args) => args.run(),
        Command::Kustomize(args) => args.run(),
        Command::Diff(args) => run_diff(args),
        Command::App(args) => run_app(args),
        Command::Review(args) => run_review(args),
        Command::Sources(args) => run_sources(args),
        Command::Rules(args) => run_rules(args),
        Command::Explain { rule, rule_dirs } => run_explain(&rule, &rule_dirs),
    }
}
