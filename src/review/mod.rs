//! `driftlens review`: what a change does to every Application, from two revisions of a Git
//! repository, offline.
//!
//! Both revisions are read from the local repository's object database
//! ([`crate::load::revision`]): the base always, the head too when one is named (otherwise the
//! head is the working tree as it is). Each is scanned exactly as `driftlens scan` scans a
//! checkout ([`crate::scan::scan_loaded`]: the same loading, rendering, sources, model, rules
//! and policy, with one cluster dump shared by both), and the review compares the results:
//!
//! - per Application, matched by name (generated ones too): added, removed, changed, broken
//!   (its desired state could be built at base, not at head) or fixed; for changed ones the
//!   diff of every object of its desired state ([`objects`]), with what a sync would prune;
//! - findings by fingerprint: new at head, unchanged, and resolved (in the base only), as a
//!   baseline comparison of the head scan with the base scan;
//! - the lines of head files the change touched ([`lines`]), for annotations;
//! - with a dump, what a sync of each changed Application would do to the live objects and
//!   which current drift the change resolves or leaves ([`live`]).
//!
//! This module returns data and never prints; `report::review` renders it.

pub mod lines;
pub mod live;
mod objects;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::load::revision::{Commit, Materialised, Repository, RevisionError, TreeBudget};
use crate::model::object::Location;
use crate::report::baseline::{Baseline, BaselineEntry};
use crate::rules::{BaselineState, Finding};
use crate::scan::{load_cluster, scan_loaded, ScanError, ScanOptions, ScanResult};
use crate::sources::git::{GitInfo, Head};
use crate::sources::StandIn;

pub use objects::{AppChange, AppError, Change, ObjectChange, ObjectChangeKind};

/// What to review.
#[derive(Debug, Clone)]
pub struct ReviewOptions {
    /// How each revision is scanned; `scan.path` is the directory reviewed (in a working tree)
    /// and `scan.clusters` the dumps for the live view.
    pub scan: ScanOptions,
    /// The base revision (anything Git accepts).
    pub base: String,
    /// The head revision; `None` for the working tree.
    pub head: Option<String>,
    /// Review against the merge base of `base` and the head (`git diff base...head`).
    pub merge_base: bool,
    /// What writing one revision may take.
    pub budget: TreeBudget,
}

impl ReviewOptions {
    /// Options for reviewing the working tree at `path` against `base`.
    pub fn new(path: impl Into<PathBuf>, base: impl Into<String>) -> Self {
        ReviewOptions {
            scan: ScanOptions::new(path),
            base: base.into(),
            head: None,
            merge_base: false,
            budget: TreeBudget::DEFAULT,
        }
    }
}

/// Why a review could not run (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// A revision could not be read.
    #[error("{0}")]
    Revision(#[from] RevisionError),
    /// A revision could not be scanned (or the dumps could not be read).
    #[error("{what}: {error}")]
    Scan {
        /// Which revision (or `cluster dump`).
        what: String,
        /// Why.
        error: ScanError,
    },
}

/// One of the two revisions.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Side {
    /// The revision as given (`origin/main`), `merge-base(…)`, or `working tree`.
    pub revision: String,
    /// The commit, unless it is the working tree.
    pub commit: Option<String>,
    /// For people: `origin/main (1a2b3c4d5e6f)`, `the working tree (main at 1a2b3c4d5e6f)`.
    pub describe: String,
    /// The reviewed directory does not exist in this revision.
    pub missing: bool,
    /// Submodules of this revision, left empty (as a clone without submodules has them).
    pub submodules: Vec<String>,
}

/// The findings of the head compared with those of the base, by fingerprint.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FindingChanges {
    /// Indexes into the head scan's findings of those not at base (suppressed ones included).
    pub new: Vec<usize>,
    /// Head findings already at base.
    pub unchanged: usize,
    /// Base findings no longer found at head.
    pub resolved: Vec<BaselineEntry>,
}

/// Counts for the summary.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    /// Applications at base.
    pub base_applications: usize,
    /// Applications at head.
    pub head_applications: usize,
    /// Added Applications.
    pub added: usize,
    /// Removed Applications.
    pub removed: usize,
    /// Changed Applications.
    pub changed: usize,
    /// Applications whose desired state could be built at base but not at head (or whose
    /// error changed).
    pub broken: usize,
    /// Applications whose desired state can be built again.
    pub fixed: usize,
    /// Applications the change does not touch.
    pub unchanged: usize,
    /// Applications whose desired state is not known at head (for any reason).
    pub not_analysed: usize,
    /// Objects added, removed and modified, over every Application.
    pub objects_added: usize,
    /// Objects removed.
    pub objects_removed: usize,
    /// Objects modified.
    pub objects_modified: usize,
}

/// The review.
#[derive(Debug)]
pub struct Review {
    /// The base revision.
    pub base: Side,
    /// The head revision.
    pub head: Side,
    /// The reviewed directory relative to the repository root (`/`-separated, empty for the
    /// root): report paths are relative to the reviewed directory, annotations need this.
    pub prefix: String,
    /// Every Application of either revision, sorted by name; unchanged ones only count in the
    /// totals.
    pub apps: Vec<AppChange>,
    /// Counts.
    pub totals: Totals,
    /// Findings: new, unchanged, resolved.
    pub findings: FindingChanges,
    /// The base scan.
    pub base_scan: ScanResult,
    /// The head scan; its findings carry `baselineState` against the base, and
    /// `baseline.absent` holds the resolved ones.
    pub head_scan: ScanResult,
    /// For each file a new finding points at (or relates to): the lines of the head the
    /// change touched; absent for files the change did not modify.
    pub touched: BTreeMap<String, lines::Touched>,
    /// Whether a dump was given (the live view of each changed Application is filled).
    pub live: bool,
    /// Warnings for standard error (skipped dump entries, missing config folders).
    pub warnings: Vec<String>,
}

impl Review {
    /// The changed Applications (anything but unchanged).
    pub fn changed_apps(&self) -> impl Iterator<Item = &AppChange> {
        self.apps.iter().filter(|a| a.change != Change::Unchanged)
    }

    /// The new findings that count (not suppressed).
    pub fn new_findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .new
            .iter()
            .map(|&i| &self.head_scan.findings[i])
            .filter(|f| f.suppressed.is_none())
    }

    /// Whether the change changes anything: an Application or a new finding.
    pub fn has_changes(&self) -> bool {
        self.changed_apps().next().is_some() || self.new_findings().next().is_some()
    }
}

/// Runs the review.
pub fn review(opts: &ReviewOptions) -> Result<Review, ReviewError> {
    let git = Repository::open(&opts.scan.path)?;
    let head_commit = opts.head.as_deref().map(|h| git.resolve(h)).transpose()?;
    let mut base_commit = git.resolve(&opts.base)?;
    if opts.merge_base {
        let other = match &head_commit {
            Some(c) => c.clone(),
            None => git.head().ok_or_else(|| {
                RevisionError(
                    "--merge-base: HEAD has no commit yet; commit first or name --head".into(),
                )
            })?,
        };
        base_commit = git.merge_base(&base_commit, &other)?;
    }
    let base_tree = git.materialise(&base_commit, opts.budget)?;
    let head_tree = head_commit
        .as_ref()
        .map(|c| git.materialise(c, opts.budget))
        .transpose()?;
    let info = crate::sources::git::read(&opts.scan.path);
    let stand_in = |c: &Commit| StandIn {
        location: opts.scan.path.clone(),
        git: GitInfo {
            remotes: info.remotes.clone(),
            head: Some(Head {
                branch: None,
                commit: Some(c.id.clone()),
            }),
        },
    };
    let base = side(&base_commit, &base_tree);
    let head = match (&head_commit, &head_tree) {
        (Some(c), Some(t)) => side(c, t),
        _ => Side {
            revision: "working tree".into(),
            commit: None,
            describe: match info.head.as_ref().and_then(Head::describe) {
                Some(h) => format!("the working tree ({h})"),
                None => "the working tree".into(),
            },
            missing: false,
            submodules: Vec::new(),
        },
    };

    let (cluster, dump_problems) =
        load_cluster(&opts.scan.clusters).map_err(|error| ReviewError::Scan {
            what: "cluster dump".into(),
            error,
        })?;
    let live = cluster.is_some();
    let mut base_opts = opts.scan.clone();
    base_opts.path = base_tree.root().to_path_buf();
    base_opts.sources.stand_in = Some(stand_in(&base_commit));
    base_opts.policy.baseline = None;
    let mut base_scan = scan_loaded(&base_opts, cluster, dump_problems, true).map_err(|error| {
        ReviewError::Scan {
            what: format!("base {}", base.describe),
            error,
        }
    })?;
    let cluster = base_scan.cluster.take();
    let mut head_opts = opts.scan.clone();
    head_opts.policy.baseline = None;
    if let (Some(c), Some(t)) = (&head_commit, &head_tree) {
        head_opts.path = t.root().to_path_buf();
        head_opts.sources.stand_in = Some(stand_in(c));
    }
    let mut head_scan =
        scan_loaded(&head_opts, cluster, Vec::new(), true).map_err(|error| ReviewError::Scan {
            what: format!("head {}", head.describe),
            error,
        })?;
    if is_empty(&base_scan) && is_empty(&head_scan) {
        return Err(ReviewError::Scan {
            what: format!("{} and {}", base.describe, head.describe),
            error: ScanError::NothingFound(opts.scan.path.display().to_string()),
        });
    }
    // Messages name files of the private directories by their place in the checkout.
    let private: Vec<(PathBuf, String)> = [Some(&base_tree), head_tree.as_ref()]
        .into_iter()
        .flatten()
        .map(|t| (t.root().to_path_buf(), opts.scan.path.display().to_string()))
        .collect();
    for s in [&mut base_scan, &mut head_scan] {
        for f in &mut s.findings {
            f.message = unprivate(&f.message, &private);
            for r in &mut f.related {
                r.message = unprivate(&r.message, &private);
            }
        }
        for p in &mut s.repo.problems {
            p.message = unprivate(&p.message, &private);
        }
    }

    let findings = compare_findings(&base, &base_scan, &mut head_scan);
    let compare = opts.scan.compare.clone();
    let mut apps = objects::compare_apps(&base_scan, &head_scan, &compare);
    for a in &mut apps {
        for e in a.head_errors.iter_mut().chain(a.base_errors.iter_mut()) {
            e.message = unprivate(&e.message, &private);
        }
        if let Some(r) = &mut a.not_analysed {
            *r = unprivate(r, &private);
        }
    }
    attribute_findings(&mut apps, &head_scan, &findings);
    if live {
        live::fill(&mut apps, &base_scan, &head_scan);
    }
    let head_root = head_tree
        .as_ref()
        .map_or(opts.scan.path.as_path(), Materialised::root);
    let touched = touched_lines(&head_scan, &findings, base_tree.root(), head_root);
    let totals = totals(&apps, &base_scan, &head_scan);
    let mut warnings: Vec<String> = base_scan
        .dump_problems
        .iter()
        .chain(&head_scan.dump_problems)
        .map(|w| unprivate(w, &private))
        .collect();
    warnings.sort();
    warnings.dedup();
    for (s, t) in [(&base, Some(&base_tree)), (&head, head_tree.as_ref())] {
        let Some(t) = t else { continue };
        for m in &t.submodules {
            warnings.push(format!(
                "{}: submodule {m} is not read (it is left empty, as a clone without \
                 submodules has it)",
                s.describe
            ));
        }
    }
    Ok(Review {
        base,
        head,
        prefix: git.prefix().to_string(),
        apps,
        totals,
        findings,
        base_scan,
        head_scan,
        touched,
        live,
        warnings,
    })
}

fn side(c: &Commit, t: &Materialised) -> Side {
    Side {
        revision: c.spec.clone(),
        commit: Some(c.id.clone()),
        describe: format!("{} ({})", c.spec, c.short()),
        missing: t.missing,
        submodules: t.submodules.clone(),
    }
}

fn is_empty(s: &ScanResult) -> bool {
    s.repo.manifests.is_empty() && s.repo.units.is_empty() && s.repo.problems.is_empty()
}

/// `text` with the private directories' paths replaced by the reviewed directory's.
fn unprivate(text: &str, private: &[(PathBuf, String)]) -> String {
    let mut out = text.to_string();
    for (dir, shown) in private {
        let d = dir.display().to_string();
        if out.contains(&d) {
            out = out.replace(&d, shown);
        }
    }
    out
}

/// Sets each head finding's baseline state against the base findings (the head scan's
/// `baseline` then lists the resolved ones), and sorts them into new and unchanged.
fn compare_findings(base: &Side, base_scan: &ScanResult, head: &mut ScanResult) -> FindingChanges {
    let baseline = Baseline {
        file: base.describe.clone(),
        entries: base_scan
            .findings
            .iter()
            .map(|f| BaselineEntry {
                rule: f.rule.clone(),
                fingerprint: f.fingerprint.clone(),
                message: f.message.clone(),
                file: f.location.path.clone(),
                line: u64::from(f.location.line),
                severity: f.severity.as_str().to_string(),
            })
            .collect(),
    };
    let outcome = baseline.compare(&mut head.findings);
    let new: Vec<usize> = head
        .findings
        .iter()
        .enumerate()
        .filter(|(_, f)| f.baseline_state == Some(BaselineState::New))
        .map(|(i, _)| i)
        .collect();
    let changes = FindingChanges {
        unchanged: head.findings.len() - new.len(),
        new,
        resolved: outcome.absent.clone(),
    };
    head.baseline = Some(outcome);
    changes
}

/// Counts each Application's new findings: drift findings name their Application, the others
/// belong to the Applications whose desired state holds the object.
fn attribute_findings(apps: &mut [AppChange], head: &ScanResult, findings: &FindingChanges) {
    let mut by_object: HashMap<(&str, &crate::model::key::ObjectKey), BTreeSet<&str>> =
        HashMap::new();
    for a in apps.iter() {
        for &mi in &a.head_manifests {
            let m = head.repo.manifest(mi);
            by_object
                .entry((m.file.path.as_str(), &m.key))
                .or_default()
                .insert(a.name.as_str());
        }
    }
    let mut counts: HashMap<String, usize> = HashMap::new();
    for f in findings
        .new
        .iter()
        .map(|&i| &head.findings[i])
        .filter(|f| f.suppressed.is_none())
    {
        let names: Vec<String> = match f.properties.get("application") {
            Some(serde_json::Value::String(a)) => vec![a.clone()],
            _ => f
                .object
                .as_ref()
                .and_then(|k| by_object.get(&(f.location.path.as_str(), k)))
                .map(|s| s.iter().map(|n| n.to_string()).collect())
                .unwrap_or_default(),
        };
        for n in names {
            *counts.entry(n).or_default() += 1;
        }
    }
    for a in apps.iter_mut() {
        a.new_findings = counts.get(&a.name).copied().unwrap_or(0);
    }
}

/// The lines of the head that the change touched, for every file a new finding points at or
/// relates to.
fn touched_lines(
    head: &ScanResult,
    findings: &FindingChanges,
    base_root: &Path,
    head_root: &Path,
) -> BTreeMap<String, lines::Touched> {
    let mut paths: BTreeSet<&str> = BTreeSet::new();
    for &i in &findings.new {
        let f = &head.findings[i];
        paths.insert(f.location.path.as_str());
        for r in &f.related {
            paths.insert(r.location.path.as_str());
        }
    }
    let base_files = lines::Tree::new(base_root);
    let head_files = lines::Tree::new(head_root);
    paths
        .into_iter()
        .filter_map(|p| {
            let t = lines::touched(base_files.read(p).as_deref(), head_files.read(p)?.as_str());
            t.map(|t| (p.to_string(), t))
        })
        .collect()
}

fn totals(apps: &[AppChange], base: &ScanResult, head: &ScanResult) -> Totals {
    let mut t = Totals {
        base_applications: base.repo.apps.len(),
        head_applications: head.repo.apps.len(),
        ..Totals::default()
    };
    for a in apps {
        match a.change {
            Change::Added => t.added += 1,
            Change::Removed => t.removed += 1,
            Change::Changed => t.changed += 1,
            Change::Broken => t.broken += 1,
            Change::Fixed => t.fixed += 1,
            Change::Unchanged => t.unchanged += 1,
        }
        if a.change != Change::Removed && a.not_analysed.is_some() {
            t.not_analysed += 1;
        }
        t.objects_added += a.added;
        t.objects_removed += a.removed;
        t.objects_modified += a.modified;
    }
    t
}

/// Where an Application is written (its `kind:` line), at head or else at base.
pub fn app_location(scan: &ScanResult, app: Option<usize>) -> Option<Location> {
    let ai = app?;
    let a = scan.repo.apps.get(ai)?;
    Some(scan.repo.manifest(a.manifest).locate_kind())
}
