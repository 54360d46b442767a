//! Applications matched by name across the two revisions, and the diff of their desired
//! states object by object.
//!
//! Each object is compared as Argo CD would apply it (namespace defaulted, tracking metadata
//! injected) and shown normalized like `argocd app diff` shows it: Argo CD's normalization of
//! the Application's diff settings (ignored fields and `status` removed, known types
//! canonicalized), keys sorted, as YAML. Secret values are masked for both revisions at once
//! ([`crate::compare::secrets::mask_documents`]): equal values get equal masks and different
//! ones different masks, so that a Secret changed is visible and no value is.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::Value;
use similar::TextDiff;

use crate::compare::app::{desired_all, AppDesired, CompareOptions, DesiredObject};
use crate::compare::diff::{diff_optional, DiffSettings};
use crate::compare::engine::app_diff_settings;
use crate::compare::secrets::mask_documents;
use crate::model::argocd::Application;
use crate::model::key::ObjectKey;
use crate::model::object::{csv, Location};
use crate::report::yaml::to_yaml;
use crate::scan::ScanResult;
use crate::sources::SourceStatus;

/// What the change does to an Application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    /// Only at head.
    Added,
    /// Only at base.
    Removed,
    /// Its desired state (or the Application itself) differs.
    Changed,
    /// Its desired state could be built at base and cannot at head, or the reason it cannot
    /// changed.
    Broken,
    /// Its desired state could not be built at base and can at head.
    Fixed,
    /// Nothing differs.
    Unchanged,
}

impl Change {
    /// `added`, `removed`, `changed`, `broken`, `fixed`, `unchanged`.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Removed => "removed",
            Change::Changed => "changed",
            Change::Broken => "broken",
            Change::Fixed => "fixed",
            Change::Unchanged => "unchanged",
        }
    }
}

/// What the change does to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ObjectChangeKind {
    /// Only at head: a sync creates it.
    Added,
    /// Only at base: a sync prunes it (see [`ObjectChange::prune`]).
    Removed,
    /// In both, different.
    Modified,
}

impl ObjectChangeKind {
    /// `added`, `removed`, `modified`.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectChangeKind::Added => "added",
            ObjectChangeKind::Removed => "removed",
            ObjectChangeKind::Modified => "modified",
        }
    }
}

/// One object the change adds, removes or modifies.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectChange {
    /// Identity (namespace defaulted).
    pub key: ObjectKey,
    /// Added, removed or modified.
    pub change: ObjectChangeKind,
    /// Unified diff of the normalized YAML, base against head (Secret values masked).
    pub diff: String,
    /// Lines of the diff.
    pub diff_lines: usize,
    /// Values were masked in the diff (a Secret, a credential).
    pub masked: bool,
    /// It differs only in fields Argo CD ignores when comparing (`ignoreDifferences`,
    /// `status`, an equivalent spelling): the diff then shows the manifests as written.
    pub ignored_fields_only: bool,
    /// A sync hook (or `Skip`): run at sync time, never pruned.
    pub hook: bool,
    /// For a removed object: what a sync does about it.
    pub prune: Option<String>,
    /// Where it is written (at head; at base for a removed object).
    pub location: Option<Location>,
}

/// A reason an Application's desired state cannot be built, at its place when known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppError {
    /// What is wrong.
    pub message: String,
    /// Where (the template line, the file that does not parse).
    pub location: Option<Location>,
}

/// What the change does to one Application.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppChange {
    /// Its name.
    pub name: String,
    /// What changed.
    pub change: Change,
    /// Where the Application is written (head, else base); `None` for the implicit app.
    pub location: Option<Location>,
    /// Desired objects at base, when known.
    pub base_objects: Option<usize>,
    /// Desired objects at head, when known.
    pub head_objects: Option<usize>,
    /// The objects that differ, sorted by key.
    pub objects: Vec<ObjectChange>,
    /// Objects added.
    pub added: usize,
    /// Objects removed.
    pub removed: usize,
    /// Objects modified.
    pub modified: usize,
    /// The diff of the Application resource itself (its sync policy, sources, destination),
    /// when it changed.
    pub application_diff: Option<String>,
    /// Why its desired state is not known at head.
    pub not_analysed: Option<String>,
    /// At head: a source failed to build (a chart that does not render, a file that does not
    /// parse), rather than being out of reach.
    pub failed: bool,
    /// The errors at head, with their places.
    pub head_errors: Vec<AppError>,
    /// The errors at base, with their places.
    pub base_errors: Vec<AppError>,
    /// For a removed Application: what deleting it does to its objects.
    pub deletion: Option<String>,
    /// New findings on its objects.
    pub new_findings: usize,
    /// With a dump: what a sync would do to the live objects.
    pub live: Option<super::live::LiveChange>,
    /// Indexes into the head scan's manifests of its desired objects.
    #[serde(skip)]
    pub head_manifests: Vec<usize>,
}

/// One revision's view of an Application.
struct Version<'a> {
    scan: &'a ScanResult,
    desired: AppDesired,
}

impl Version<'_> {
    fn app(&self) -> Option<&Application> {
        self.desired.app.map(|i| &self.scan.repo.apps[i].value)
    }

    fn app_obj(&self) -> Option<&Value> {
        let i = self.desired.app?;
        Some(&self.scan.repo.manifest(self.scan.repo.apps[i].manifest).obj)
    }

    fn failed(&self) -> bool {
        self.desired.not_analysed.is_some()
            && self
                .desired
                .sources
                .iter()
                .any(|s| s.status == SourceStatus::Failed)
    }

    fn settings(&self) -> DiffSettings {
        let mut s = app_diff_settings(self.app(), &self.scan.repo.settings)
            .map(|s| s.settings)
            .unwrap_or_default();
        s.mask_secrets = false;
        s
    }

    /// The errors behind an unknown desired state, at the lines the checkout's problems name.
    fn errors(&self) -> Vec<AppError> {
        let Some(reason) = &self.desired.not_analysed else {
            return Vec::new();
        };
        let mut text = reason.clone();
        for c in &self.desired.conditions {
            text.push('\n');
            text.push_str(&c.message);
        }
        let mut out: Vec<AppError> = self
            .scan
            .repo
            .problems
            .iter()
            .filter(|p| text.contains(&format!("{}:{}", p.location.path, p.location.line)))
            .map(|p| AppError {
                message: p.message.clone(),
                location: Some(p.location.clone()),
            })
            .collect();
        out.dedup();
        if out.is_empty() {
            out.push(AppError {
                message: reason.clone(),
                location: None,
            });
        }
        out
    }
}

/// Pairs the Applications of both revisions by name (in order, for names given twice) and
/// compares each pair.
pub(crate) fn compare_apps(
    base: &ScanResult,
    head: &ScanResult,
    opts: &CompareOptions,
) -> Vec<AppChange> {
    let mut base_by_name: BTreeMap<String, Vec<AppDesired>> = BTreeMap::new();
    for d in desired_all(&base.repo, opts) {
        base_by_name.entry(d.name.clone()).or_default().push(d);
    }
    let mut head_by_name: BTreeMap<String, Vec<AppDesired>> = BTreeMap::new();
    for d in desired_all(&head.repo, opts) {
        head_by_name.entry(d.name.clone()).or_default().push(d);
    }
    let names: std::collections::BTreeSet<String> = base_by_name
        .keys()
        .chain(head_by_name.keys())
        .cloned()
        .collect();
    let mut pairs = Vec::new();
    for n in names {
        let b = base_by_name.remove(&n).unwrap_or_default();
        let h = head_by_name.remove(&n).unwrap_or_default();
        let len = b.len().max(h.len());
        let (mut b, mut h) = (b.into_iter(), h.into_iter());
        for _ in 0..len {
            pairs.push((
                b.next().map(|desired| Version {
                    scan: base,
                    desired,
                }),
                h.next().map(|desired| Version {
                    scan: head,
                    desired,
                }),
            ));
        }
    }
    use rayon::prelude::*;
    pairs
        .into_par_iter()
        .map(|(b, h)| compare_app(b.as_ref(), h.as_ref()))
        .collect()
}

fn compare_app(base: Option<&Version<'_>>, head: Option<&Version<'_>>) -> AppChange {
    let any = head.or(base).map(|v| &v.desired);
    let name = any.map(|d| d.name.clone()).unwrap_or_default();
    let location = head
        .and_then(|v| super::app_location(v.scan, v.desired.app))
        .or_else(|| base.and_then(|v| super::app_location(v.scan, v.desired.app)));
    let mut out = AppChange {
        name,
        change: Change::Unchanged,
        location,
        base_objects: base.and_then(|v| v.desired.objects.as_ref().map(Vec::len)),
        head_objects: head.and_then(|v| v.desired.objects.as_ref().map(Vec::len)),
        objects: Vec::new(),
        added: 0,
        removed: 0,
        modified: 0,
        application_diff: None,
        not_analysed: head.and_then(|v| v.desired.not_analysed.clone()),
        failed: head.is_some_and(Version::failed),
        head_errors: head.map(Version::errors).unwrap_or_default(),
        base_errors: base.map(Version::errors).unwrap_or_default(),
        deletion: None,
        new_findings: 0,
        live: None,
        head_manifests: head
            .and_then(|v| v.desired.objects.as_ref())
            .map(|o| o.iter().map(|d| d.manifest).collect())
            .unwrap_or_default(),
    };
    let empty: Vec<DesiredObject> = Vec::new();
    fn objects_of<'v>(
        v: Option<&'v Version<'_>>,
        empty: &'v [DesiredObject],
    ) -> Option<&'v [DesiredObject]> {
        v.map_or(Some(empty), |v| v.desired.objects.as_deref())
    }
    out.change = match (base, head) {
        (None, Some(_)) => Change::Added,
        (Some(b), None) => {
            out.deletion = Some(deletion(b));
            Change::Removed
        }
        (Some(b), Some(h)) => match (&b.desired.objects, &h.desired.objects) {
            (_, None) => {
                let same = b.desired.objects.is_none()
                    && b.desired.not_analysed == h.desired.not_analysed
                    && out.base_errors == out.head_errors;
                if same {
                    Change::Unchanged
                } else {
                    Change::Broken
                }
            }
            (None, Some(_)) => Change::Fixed,
            (Some(_), Some(_)) => Change::Unchanged,
        },
        (None, None) => Change::Unchanged,
    };
    // Objects are compared when both sides are known (an added or removed Application
    // counts as an empty side).
    if matches!(
        out.change,
        Change::Added | Change::Removed | Change::Unchanged
    ) {
        if let (Some(b), Some(h)) = (objects_of(base, &empty), objects_of(head, &empty)) {
            out.objects = diff_objects(base, head, b, h);
        }
    }
    if let (Some(b), Some(h)) = (base, head) {
        out.application_diff = application_diff(b, h);
    }
    for o in &out.objects {
        match o.change {
            ObjectChangeKind::Added => out.added += 1,
            ObjectChangeKind::Removed => out.removed += 1,
            ObjectChangeKind::Modified => out.modified += 1,
        }
    }
    if out.change == Change::Unchanged
        && (!out.objects.is_empty() || out.application_diff.is_some())
    {
        out.change = Change::Changed;
    }
    out
}

/// The normalized, unmasked document of a desired object.
fn normalized(obj: &Value, settings: &DiffSettings) -> Value {
    match diff_optional(Some(obj), None, settings) {
        Ok(Some(r)) => r.predicted_live,
        _ => obj.clone(),
    }
}

/// A unified diff of two documents, masked together.
fn masked_diff(mut base: Value, mut head: Value) -> (String, bool) {
    let masked = !mask_documents(&mut head, &mut base).is_empty();
    let text = |v: &Value| {
        if v.is_null() {
            String::new()
        } else {
            to_yaml(v)
        }
    };
    let diff = TextDiff::from_lines(text(&base), text(&head))
        .unified_diff()
        .context_radius(3)
        .header("base", "head")
        .to_string();
    (diff, masked)
}

fn diff_objects(
    base: Option<&Version<'_>>,
    head: Option<&Version<'_>>,
    b: &[DesiredObject],
    h: &[DesiredObject],
) -> Vec<ObjectChange> {
    let b_settings = base.map(Version::settings).unwrap_or_default();
    let h_settings = head.map(Version::settings).unwrap_or_default();
    let b_map: HashMap<&ObjectKey, &DesiredObject> = b.iter().map(|d| (&d.key, d)).collect();
    let h_map: HashMap<&ObjectKey, &DesiredObject> = h.iter().map(|d| (&d.key, d)).collect();
    let mut keys: Vec<&ObjectKey> = b_map.keys().chain(h_map.keys()).copied().collect();
    keys.sort();
    keys.dedup();
    let mut out = Vec::new();
    for key in keys {
        let (bo, ho) = (b_map.get(key), h_map.get(key));
        if let (Some(bo), Some(ho)) = (bo, ho) {
            if bo.obj == ho.obj {
                continue;
            }
        }
        let b_norm = bo.map_or(Value::Null, |d| normalized(&d.obj, &b_settings));
        let h_norm = ho.map_or(Value::Null, |d| normalized(&d.obj, &h_settings));
        let ignored_fields_only = bo.is_some() && ho.is_some() && b_norm == h_norm;
        let (diff, masked) = if ignored_fields_only {
            masked_diff(
                bo.map_or(Value::Null, |d| d.obj.clone()),
                ho.map_or(Value::Null, |d| d.obj.clone()),
            )
        } else {
            masked_diff(b_norm, h_norm)
        };
        let change = match (bo, ho) {
            (None, _) => ObjectChangeKind::Added,
            (_, None) => ObjectChangeKind::Removed,
            _ => ObjectChangeKind::Modified,
        };
        let hook = ho.or(bo).is_some_and(|d| d.hook);
        let prune = match (bo, change) {
            (Some(d), ObjectChangeKind::Removed) => Some(prune_outcome(d, base, head)),
            _ => None,
        };
        let location = match (ho, bo) {
            (Some(d), _) => head.map(|v| v.scan.repo.manifest(d.manifest).locate_kind()),
            (None, Some(d)) => base.map(|v| v.scan.repo.manifest(d.manifest).locate_kind()),
            _ => None,
        };
        out.push(ObjectChange {
            key: key.clone(),
            change,
            diff_lines: diff.lines().count(),
            diff,
            masked,
            ignored_fields_only,
            hook,
            prune,
            location,
        });
    }
    out
}

/// What a sync does about an object that left the desired state.
fn prune_outcome(
    d: &DesiredObject,
    base: Option<&Version<'_>>,
    head: Option<&Version<'_>>,
) -> String {
    let option = |key: &str| -> Option<String> {
        let prefix = format!("{key}=");
        let on_object = d
            .obj
            .pointer("/metadata/annotations/argocd.argoproj.io~1sync-options")
            .and_then(Value::as_str)
            .and_then(|v| {
                csv(v)
                    .find_map(|o| o.strip_prefix(prefix.as_str()))
                    .map(str::to_string)
            });
        on_object.or_else(|| {
            head.or(base)?
                .app()?
                .spec
                .sync_options()
                .iter()
                .find_map(|o| o.strip_prefix(prefix.as_str()))
                .map(str::to_string)
        })
    };
    if d.hook {
        return "a hook: it is not pruned (its delete policy applies)".into();
    }
    let Some(app) = head.and_then(Version::app) else {
        // The implicit app, or the Application is gone too: see its deletion.
        return "no longer in Git".into();
    };
    match option("Prune").as_deref() {
        Some("false") => {
            return "kept: Prune=false, it stays in the cluster and the Application shows it \
                    as requiring pruning"
                .into()
        }
        Some("confirm") => {
            return "pruned once someone confirms it (Prune=confirm)".into();
        }
        _ => {}
    }
    match app.spec.automated() {
        Some(a) if a.prune => "pruned by the next automated sync".into(),
        Some(_) => "not pruned by automated syncs (prune: false): it stays in the cluster, \
                    requiring pruning, until a sync with prune"
            .into(),
        None => "pruned by a manual sync with prune; until then it requires pruning".into(),
    }
}

/// What deleting a removed Application does to its objects.
fn deletion(v: &Version<'_>) -> String {
    let n = v.desired.objects.as_ref().map_or(0, Vec::len);
    let cascade = v
        .app_obj()
        .and_then(|o| o.pointer("/metadata/finalizers"))
        .and_then(Value::as_array)
        .is_some_and(|f| {
            f.iter().filter_map(Value::as_str).any(|s| {
                s == "resources-finalizer.argocd.argoproj.io"
                    || s.starts_with("resources-finalizer.argocd.argoproj.io/")
            })
        });
    if v.desired.app.is_none() {
        format!("its {n} objects are no longer in Git")
    } else if cascade {
        format!(
            "when the Application is deleted, Argo CD deletes its {n} objects \
             (resources-finalizer)"
        )
    } else {
        format!(
            "when the Application is deleted, its {n} objects stay in the cluster, unmanaged \
             (no resources-finalizer)"
        )
    }
}

/// The diff of the Application resource itself, when it changed.
fn application_diff(base: &Version<'_>, head: &Version<'_>) -> Option<String> {
    let (b, h) = (base.app_obj()?, head.app_obj()?);
    if b == h {
        return None;
    }
    Some(masked_diff(b.clone(), h.clone()).0)
}
