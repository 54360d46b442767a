//! Sync status per Application, computed offline (semantics §1.1): the desired set from Git, the
//! live set from the dump, pairing, diffing and the status rules.
//!
//! For every Application whose source is a directory of this checkout, the desired set is the
//! objects under its path (directory `recurse`, `include`, `exclude`), with namespaces defaulted,
//! tracking metadata injected, excluded kinds and hooks removed and duplicates collapsed (last
//! wins). The live set is every dumped object tracked by the Application's instance without
//! ownerReferences, plus the live object of each desired key; objects the AppProject does not
//! permit are dropped. A repository without Applications is compared as one implicit app.

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;

use super::cause::{self, Cause, Evidence};
use super::engine::{app_diff_settings, compare_pair, AppDiffSettings, PairDiff};
use super::hooks::{self, HookRole};
use super::tracking;
use crate::glob::glob_match;
use crate::model::argocd::DirectoryFilter;
use crate::model::argocd::{AppProject, Application};
use crate::model::cluster::Cluster;
use crate::model::key::{is_builtin_cluster_scoped, ObjectKey};
use crate::model::object::{csv, Annotated, LiveObject};
use crate::model::repo::Repo;
use crate::model::settings::{ArgoSettings, FilteredResource};

/// Options that Argo CD takes from its own deployment rather than from Git.
#[derive(Debug, Clone)]
pub struct CompareOptions {
    /// Namespace of the Argo CD control plane (Applications elsewhere get `<ns>_<name>`
    /// instance names).
    pub control_plane_namespace: String,
    /// Destination namespace of the implicit app used when the repository has no Application.
    pub implicit_namespace: String,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            control_plane_namespace: "argocd".into(),
            implicit_namespace: "default".into(),
        }
    }
}

/// Argo CD's sync status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum SyncStatus {
    /// Live matches Git.
    Synced,
    /// Live differs from Git.
    OutOfSync,
    /// The desired state could not be produced.
    Unknown,
}

/// Why a resource has its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// Desired and live are equal after normalization.
    InSync,
    /// Fields differ.
    Modified,
    /// In Git, not in the cluster.
    Missing,
    /// In the cluster (tracked by the app), not in Git: requires pruning.
    Extraneous,
    /// A hook (desired or live): not compared.
    Hook,
    /// `argocd.argoproj.io/hook: Skip`.
    Skipped,
    /// The live object's tracking id names another object.
    NotSelfReferenced,
    /// A live object the Application tracks, whose desired state is not known (a source was
    /// not analysed): its status is Unknown, as in Argo CD when manifests cannot be generated,
    /// and it is never taken for extraneous.
    NotAnalysed,
}

/// One resource of an Application.
#[derive(Debug, Clone, Serialize)]
pub struct ResourceResult {
    /// Identity (namespace defaulted).
    pub key: ObjectKey,
    /// Status; `None` for resources Argo CD gives no status (hooks, skipped, not
    /// self-referenced).
    pub status: Option<SyncStatus>,
    /// Why.
    pub reason: Reason,
    /// Index into `Repo::manifests` of the desired object.
    #[serde(skip)]
    pub manifest: Option<usize>,
    /// Index into `Cluster::objects` of the live object.
    #[serde(skip)]
    pub live: Option<usize>,
    /// The comparison, when both sides exist.
    pub diff: Option<PairDiff>,
    /// Target missing, live present and self-referenced.
    pub requires_pruning: bool,
    /// `Prune=false` on the object or the app (the resource stays OutOfSync).
    pub prune_disabled: bool,
    /// Live object carries `IgnoreExtraneous`: OutOfSync but does not flip the app.
    pub ignore_extraneous: bool,
    /// `Delete=confirm`/`Prune=confirm`.
    pub requires_deletion_confirmation: bool,
    /// The live object is tracked by another Application (its instance name).
    pub shared_with: Option<String>,
    /// The likely cause of each differing field, by JSON pointer.
    pub causes: Vec<(String, Cause)>,
    /// Why the pair could not be compared.
    pub error: Option<String>,
    /// The desired object as Argo CD would apply it (namespace defaulted, tracking injected),
    /// kept only for missing resources, which have nothing else to show.
    #[serde(skip)]
    pub desired_obj: Option<Value>,
}

/// A condition like those Argo CD puts on an Application.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Condition {
    /// `RepeatedResourceWarning`, `ExcludedResourceWarning`, `SharedResourceWarning`,
    /// `ComparisonError`, `InvalidSpecError`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Message.
    pub message: String,
}

/// The comparison of one Application.
#[derive(Debug, Clone, Serialize)]
pub struct AppResult {
    /// Application name (`(checkout)` for the implicit app).
    pub name: String,
    /// Index into `Repo::apps`; `None` for the implicit app.
    #[serde(skip)]
    pub app: Option<usize>,
    /// Instance name used for tracking.
    pub instance: String,
    /// Destination namespace.
    pub namespace: String,
    /// App status.
    pub status: SyncStatus,
    /// Resources, sorted by key.
    pub resources: Vec<ResourceResult>,
    /// Conditions, sorted.
    pub conditions: Vec<Condition>,
    /// Sources: where each came from, or why it is not analysed.
    pub sources: Vec<crate::sources::SourceInfo>,
    /// Why the desired state is unknown, when a source is not analysed or failed (the
    /// Application is then Unknown and its resources are not compared).
    pub not_analysed: Option<String>,
}

/// Everything the compare stage found.
#[derive(Debug, Default, Serialize)]
pub struct DriftReport {
    /// One entry per Application (or the implicit app), sorted by name.
    pub apps: Vec<AppResult>,
}

const CORE_EXCLUDED: &[(&str, &str)] = &[
    ("events.k8s.io", "*"),
    ("metrics.k8s.io", "*"),
    ("", "Event"),
    ("coordination.k8s.io", "Lease"),
];

fn filter_matches(f: &FilteredResource, key: &ObjectKey) -> bool {
    (f.api_groups.is_empty() || f.api_groups.iter().any(|g| glob_match(g, &key.group)))
        && (f.kinds.is_empty() || f.kinds.iter().any(|k| k == "*" || k == &key.kind))
}

/// `resource.exclusions`/`inclusions` plus Argo CD's always-excluded kinds.
pub fn is_excluded(key: &ObjectKey, settings: &ArgoSettings) -> bool {
    if CORE_EXCLUDED
        .iter()
        .any(|(g, k)| *g == key.group && (*k == "*" || *k == key.kind))
    {
        return true;
    }
    if settings.exclusions.iter().any(|f| filter_matches(f, key)) {
        return true;
    }
    !settings.inclusions.is_empty() && !settings.inclusions.iter().any(|f| filter_matches(f, key))
}

/// Which kinds are cluster-scoped: the built-in table plus CRDs (`spec.scope`) from Git and the
/// dump.
#[derive(Debug, Default)]
pub struct Scopes {
    crds: HashMap<(String, String), bool>,
}

impl Scopes {
    /// Collects CRD scopes.
    pub fn new(repo: &Repo, cluster: Option<&Cluster>) -> Self {
        let mut crds = HashMap::new();
        let mut add = |obj: &Value| {
            let spec = obj.get("spec");
            let group = spec.and_then(|s| s.get("group")).and_then(Value::as_str);
            let kind = spec
                .and_then(|s| s.get("names"))
                .and_then(|n| n.get("kind"))
                .and_then(Value::as_str);
            let scope = spec.and_then(|s| s.get("scope")).and_then(Value::as_str);
            if let (Some(g), Some(k)) = (group, kind) {
                crds.insert((g.to_string(), k.to_string()), scope == Some("Cluster"));
            }
        };
        let is_crd = |k: &ObjectKey| {
            k.group == "apiextensions.k8s.io" && k.kind == "CustomResourceDefinition"
        };
        for m in repo.manifests.iter().filter(|m| is_crd(&m.key)) {
            add(&m.obj);
        }
        if let Some(c) = cluster {
            for o in c.objects.iter().filter(|o| is_crd(&o.key)) {
                add(o.obj());
            }
        }
        Scopes { crds }
    }

    /// Whether the kind is cluster-scoped (unknown kinds are namespaced).
    pub fn is_cluster_scoped(&self, group: &str, kind: &str) -> bool {
        if let Some(&c) = self.crds.get(&(group.to_string(), kind.to_string())) {
            return c;
        }
        is_builtin_cluster_scoped(group, kind)
    }
}

fn project_permits(project: Option<&AppProject>, key: &ObjectKey, cluster_scoped: bool) -> bool {
    let Some(p) = project else { return true };
    let gk_match = |list: &[crate::model::argocd::GroupKind]| {
        list.iter()
            .any(|gk| glob_match(&gk.group, &key.group) && glob_match(&gk.kind, &key.kind))
    };
    if cluster_scoped {
        gk_match(&p.spec.cluster_resource_whitelist)
            && !gk_match(&p.spec.cluster_resource_blacklist)
    } else {
        (p.spec.namespace_resource_whitelist.is_empty()
            || gk_match(&p.spec.namespace_resource_whitelist))
            && !gk_match(&p.spec.namespace_resource_blacklist)
    }
}

struct Desired {
    manifest: usize,
    key: ObjectKey,
    tracking_ns: String,
    obj: Value,
    role: HookRole,
}

struct AppInput<'a> {
    name: String,
    app_index: Option<usize>,
    app: Option<&'a Application>,
    instance: String,
    namespace: String,
    project: Option<&'a AppProject>,
    /// The resolved sources (`None` for the implicit app, or when the checkout was not
    /// rendered: then nothing is known and the app is not analysed).
    sources: Option<&'a crate::sources::AppSources>,
}

/// Computes the drift report for every Application of the checkout.
pub fn compare_all(repo: &Repo, cluster: &Cluster, opts: &CompareOptions) -> DriftReport {
    let scopes = Scopes::new(repo, Some(cluster));
    let evidence = EvidenceIndex::new(repo, cluster);
    let projects = projects_by_name(repo);
    let inputs = app_inputs(repo, opts, &projects);
    let mut apps: Vec<AppResult> = inputs
        .par_iter()
        .map(|input| compare_app(repo, cluster, &scopes, &evidence, input))
        .collect();
    apps.sort_by(|a, b| a.name.cmp(&b.name).then(a.app.cmp(&b.app)));
    DriftReport { apps }
}

fn projects_by_name(repo: &Repo) -> HashMap<&str, &AppProject> {
    repo.projects
        .iter()
        .map(|p| (p.value.metadata.name.as_str(), &p.value))
        .collect()
}

/// One input per Application (or the implicit app when the checkout has none).
fn app_inputs<'a>(
    repo: &'a Repo,
    opts: &CompareOptions,
    projects: &HashMap<&str, &'a AppProject>,
) -> Vec<AppInput<'a>> {
    let mut inputs: Vec<AppInput<'_>> = Vec::new();
    if repo.apps.is_empty() {
        inputs.push(AppInput {
            name: "(checkout)".into(),
            app_index: None,
            app: None,
            instance: String::new(),
            namespace: opts.implicit_namespace.clone(),
            project: None,
            sources: None,
        });
    }
    for (i, a) in repo.apps.iter().enumerate() {
        let app = &a.value;
        let project_name = if app.spec.project.is_empty() {
            "default"
        } else {
            app.spec.project.as_str()
        };
        inputs.push(AppInput {
            name: app.metadata.name.clone(),
            app_index: Some(i),
            app: Some(app),
            instance: tracking::instance_name(
                &app.metadata.name,
                &app.metadata.namespace,
                &opts.control_plane_namespace,
            ),
            namespace: app.spec.destination.namespace.clone(),
            project: projects.get(project_name).copied(),
            sources: repo.sources_of(i),
        });
    }
    inputs
}

/// How much of the checkout's Applications driftlens could build.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Coverage {
    /// Applications of the checkout (0 when it has none: then the checkout is analysed as one
    /// implicit app).
    pub applications: usize,
    /// Applications whose every source was built.
    pub analysed: usize,
    /// Applications with a source not analysed or failed.
    pub not_analysed: usize,
    /// Desired objects of the analysed Applications (of the implicit app when there is none).
    pub objects: usize,
    /// Charts no Application uses that could not be rendered (a dependency is missing).
    pub charts_not_analysed: usize,
    /// Kustomize directories of the checkout that were not built: their objects, Applications
    /// included, are not analysed.
    pub kustomize_not_built: usize,
}

impl Coverage {
    /// `analysed N of M Applications (K objects); L not analysed: see source-not-analysed`.
    pub fn line(&self) -> String {
        let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
        let charts = plural(self.charts_not_analysed, "chart");
        if self.applications == 0 {
            let mut s = format!(
                "no Argo CD Application: the checkout is analysed as one implicit app ({})",
                plural(self.objects, "object")
            );
            if self.charts_not_analysed > 0 {
                s.push_str(&format!("; {charts} not analysed: see source-not-analysed"));
            }
            s.push_str(&self.kustomize_part());
            return s;
        }
        let mut s = format!(
            "analysed {} of {} ({})",
            self.analysed,
            plural(self.applications, "Application"),
            plural(self.objects, "object")
        );
        match (self.not_analysed, self.charts_not_analysed) {
            (0, 0) => {}
            (n, 0) => s.push_str(&format!("; {n} not analysed: see source-not-analysed")),
            (0, _) => s.push_str(&format!(
                "; {charts} no Application uses not analysed: see source-not-analysed"
            )),
            (n, _) => s.push_str(&format!(
                "; {n} not analysed: see source-not-analysed (and {charts} no Application uses)"
            )),
        }
        s.push_str(&self.kustomize_part());
        s
    }

    /// `; K Kustomize directories not built…`, or nothing.
    fn kustomize_part(&self) -> String {
        match self.kustomize_not_built {
            0 => String::new(),
            1 => "; 1 Kustomize directory not built: its objects (Applications included) are \
                  not analysed"
                .to_string(),
            n => format!(
                "; {n} Kustomize directories not built: their objects (Applications included) \
                 are not analysed"
            ),
        }
    }
}

/// What driftlens can say about an Application without a dump: whether its desired state is
/// known, and how many objects it holds.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Prediction {
    /// Application name (`(checkout)` for the implicit app).
    pub name: String,
    /// Index into `Repo::apps`; `None` for the implicit app.
    #[serde(skip)]
    pub app: Option<usize>,
    /// Desired objects (namespaces defaulted, hooks and excluded kinds left out, duplicates
    /// collapsed); `None` when the desired state is not known.
    pub objects: Option<usize>,
    /// Why the desired state is not known.
    pub not_analysed: Option<String>,
    /// Where each source came from.
    pub sources: Vec<crate::sources::SourceInfo>,
}

/// The desired state of every Application (or of the implicit app), without a dump, sorted by
/// name.
pub fn predict_all(repo: &Repo, opts: &CompareOptions) -> Vec<Prediction> {
    desired_all(repo, opts)
        .into_iter()
        .map(|d| Prediction {
            name: d.name,
            app: d.app,
            // Hooks are run at a sync, not kept in sync: they are not counted.
            objects: d
                .objects
                .as_ref()
                .map(|o| o.iter().filter(|x| !x.hook).count()),
            not_analysed: d.not_analysed,
            sources: d.sources,
        })
        .collect()
}

/// One object of an Application's desired state.
#[derive(Debug, Clone)]
pub struct DesiredObject {
    /// Identity (namespace defaulted).
    pub key: ObjectKey,
    /// Index into `Repo::manifests`.
    pub manifest: usize,
    /// The object as Argo CD would apply it: namespace defaulted, tracking metadata injected.
    pub obj: Value,
    /// A sync hook (run at sync time, not kept in sync) or `Skip`: never synced or pruned.
    pub hook: bool,
}

/// An Application's desired state, as the drift engine builds it.
#[derive(Debug, Clone)]
pub struct AppDesired {
    /// Application name (`(checkout)` for the implicit app).
    pub name: String,
    /// Index into `Repo::apps`; `None` for the implicit app.
    pub app: Option<usize>,
    /// The desired objects (excluded kinds, delete hooks and unknown hooks left out, duplicates
    /// collapsed), sorted by key; `None` when the desired state is not known.
    pub objects: Option<Vec<DesiredObject>>,
    /// Why the desired state is not known.
    pub not_analysed: Option<String>,
    /// What Argo CD would put on the Application (repeated resources, excluded kinds, the
    /// files of its sources that cannot be used with their lines).
    pub conditions: Vec<Condition>,
    /// Where each source came from.
    pub sources: Vec<crate::sources::SourceInfo>,
}

/// The desired objects of every Application (or of the implicit app), without a dump, sorted
/// by name.
pub fn desired_all(repo: &Repo, opts: &CompareOptions) -> Vec<AppDesired> {
    let scopes = Scopes::new(repo, None);
    let projects = projects_by_name(repo);
    let inputs = app_inputs(repo, opts, &projects);
    let mut out: Vec<AppDesired> = inputs
        .par_iter()
        .map(|input| {
            let reason = match (input.app, input.sources) {
                (None, _) => None,
                (Some(_), Some(s)) => s.unknown_reason(),
                (Some(_), None) => Some("its sources were not resolved".to_string()),
            };
            let mut conditions = Vec::new();
            let objects = if reason.is_none() {
                let mut broken = false;
                let desired = desired_set(repo, input, &scopes, &mut conditions, &mut broken);
                // The implicit app's objects are counted even when a file of the checkout does
                // not parse (that file is reported on its own).
                (!broken || input.app.is_none()).then(|| {
                    let mut objects: Vec<DesiredObject> = desired
                        .into_iter()
                        .map(|d| DesiredObject {
                            key: d.key,
                            manifest: d.manifest,
                            obj: d.obj,
                            hook: d.role != HookRole::Resource,
                        })
                        .collect();
                    objects.sort_by(|a, b| a.key.cmp(&b.key));
                    objects
                })
            } else {
                None
            };
            conditions.sort();
            conditions.dedup();
            AppDesired {
                name: input.name.clone(),
                app: input.app_index,
                not_analysed: reason.or_else(|| {
                    objects
                        .is_none()
                        .then(|| "a file of its sources cannot be used".to_string())
                }),
                objects,
                conditions,
                sources: input.sources.map(|s| s.sources.clone()).unwrap_or_default(),
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name).then(a.app.cmp(&b.app)));
    out
}

/// Counts the Applications whose desired state driftlens could build, and their objects (as
/// the drift engine would compare them: namespaces defaulted, hooks and excluded kinds left
/// out, duplicates collapsed). Needs no dump.
pub fn coverage(repo: &Repo, opts: &CompareOptions) -> Coverage {
    let predictions = predict_all(repo, opts);
    let applications = repo.apps.len();
    let analysed = if applications == 0 {
        0
    } else {
        predictions.iter().filter(|p| p.objects.is_some()).count()
    };
    Coverage {
        applications,
        analysed,
        not_analysed: applications - analysed,
        objects: predictions.iter().filter_map(|p| p.objects).sum(),
        charts_not_analysed: repo.unit_failures.len(),
        kustomize_not_built: repo
            .units
            .iter()
            .filter(|u| {
                u.kind == crate::load::discover::UnitKind::Kustomize
                    && !repo.rendered_units.contains(&u.dir)
            })
            .count(),
    }
}

fn desired_set(
    repo: &Repo,
    input: &AppInput<'_>,
    scopes: &Scopes,
    conditions: &mut Vec<Condition>,
    broken: &mut bool,
) -> Vec<Desired> {
    let settings = &repo.settings;
    let mut out: Vec<Desired> = Vec::new();
    // (which files, the source index when it is a rendered chart)
    let sources: Vec<(DirectoryFilter, Option<usize>)> = match (input.app, input.sources) {
        (None, _) => vec![(DirectoryFilter::everything_under("."), None)],
        (Some(app), Some(resolved)) => {
            let specs = app.spec.all_sources();
            resolved
                .sources
                .iter()
                .filter_map(|info| {
                    let place = info.place.as_ref()?;
                    match info.kind {
                        crate::sources::SourceKind::Directory => Some((
                            DirectoryFilter::new(
                                place.dir(),
                                specs.get(info.index).and_then(|s| s.directory.as_ref()),
                            ),
                            None,
                        )),
                        crate::sources::SourceKind::HelmChart
                        | crate::sources::SourceKind::HelmRepository
                        | crate::sources::SourceKind::HelmOci
                        | crate::sources::SourceKind::Kustomize => Some((
                            DirectoryFilter::everything_under(place.dir()),
                            Some(info.index),
                        )),
                        _ => None,
                    }
                })
                .collect()
        }
        (Some(_), None) => Vec::new(),
    };
    for (filter, rendered_src) in &sources {
        let in_source = |path: &str| filter.contains(path);
        for p in &repo.problems {
            if in_source(&p.location.path) {
                *broken = true;
                conditions.push(Condition {
                    kind: "ComparisonError".into(),
                    message: format!("{}:{}: {}", p.location.path, p.location.line, p.message),
                });
            }
        }
        for (mi, m) in repo.manifests.iter().enumerate() {
            let included = match (&m.rendered, rendered_src) {
                // Objects of a chart rendered for this source of this Application.
                (Some(r), Some(si)) => r.app == input.app_index && r.source == *si,
                // The implicit app takes the charts rendered with their defaults.
                (Some(_), None) => input.app.is_none() && in_source(&m.file.path),
                (None, Some(_)) => false,
                (None, None) => in_source(&m.file.path),
            };
            if !included {
                continue;
            }
            let cluster_scoped = scopes.is_cluster_scoped(&m.key.group, &m.key.kind);
            let mut key = m.key.clone();
            let mut obj = m.obj.clone();
            if cluster_scoped {
                if !key.namespace.is_empty() {
                    key.namespace.clear();
                    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
                        meta.remove("namespace");
                    }
                }
            } else if key.namespace.is_empty() {
                key.namespace = input.namespace.clone();
                if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
                    meta.insert("namespace".into(), Value::String(input.namespace.clone()));
                }
            }
            if !cluster_scoped && key.namespace.is_empty() {
                conditions.push(Condition {
                    kind: "InvalidSpecError".into(),
                    message: format!(
                        "Namespace for {} {}/{} is missing.",
                        key.name, m.api_version, key.kind
                    ),
                });
            }
            if crate::model::object::meta_str(&m.obj, "name").is_empty() {
                // generateName objects get a synthetic key, as Argo CD gives them.
                let gen = crate::model::object::meta_str(&m.obj, "generateName");
                key.name = format!("{gen}{mi}");
            }
            let tracking_ns = if key.namespace.is_empty() {
                input.namespace.clone()
            } else {
                key.namespace.clone()
            };
            if input.app.is_some() {
                tracking::inject(&mut obj, &key, &tracking_ns, &input.instance, settings);
            }
            if is_excluded(&key, settings) {
                conditions.push(Condition {
                    kind: "ExcludedResourceWarning".into(),
                    message: format!("Resource {key} is excluded in the settings"),
                });
                continue;
            }
            let role = hooks::role(&obj);
            if matches!(role, HookRole::Ignored | HookRole::DeleteHook) {
                continue;
            }
            out.push(Desired {
                manifest: mi,
                key,
                tracking_ns,
                obj,
                role,
            });
        }
    }
    // De-duplicate by key: the last occurrence wins.
    let mut counts: BTreeMap<ObjectKey, usize> = BTreeMap::new();
    for d in &out {
        *counts.entry(d.key.clone()).or_default() += 1;
    }
    for (k, n) in &counts {
        if *n > 1 {
            conditions.push(Condition {
                kind: "RepeatedResourceWarning".into(),
                message: format!(
                    "Resource {}/{}/{}/{} appeared {n} times among application resources.",
                    k.group, k.kind, k.namespace, k.name
                ),
            });
        }
    }
    let mut last: HashMap<ObjectKey, usize> = HashMap::new();
    for (i, d) in out.iter().enumerate() {
        last.insert(d.key.clone(), i);
    }
    out.into_iter()
        .enumerate()
        .filter(|(i, d)| last.get(&d.key) == Some(i))
        .map(|(_, d)| d)
        .collect()
}

fn sync_option<M: Annotated + ?Sized>(
    obj: &M,
    app: Option<&Application>,
    key: &str,
) -> Option<String> {
    let prefix = format!("{key}=");
    if let Some(v) = obj.annotation("argocd.argoproj.io/sync-options") {
        if let Some(o) = csv(v).find_map(|o| o.strip_prefix(prefix.as_str())) {
            return Some(o.to_string());
        }
    }
    app?.spec
        .sync_options()
        .iter()
        .find_map(|o| o.strip_prefix(prefix.as_str()))
        .map(str::to_string)
}

fn compare_app(
    repo: &Repo,
    cluster: &Cluster,
    scopes: &Scopes,
    evidence: &EvidenceIndex<'_>,
    input: &AppInput<'_>,
) -> AppResult {
    let settings = &repo.settings;
    let mut conditions = Vec::new();
    let mut broken = false;
    let not_analysed = match (input.app, input.sources) {
        (None, _) => None,
        (Some(_), Some(s)) => s.unknown_reason(),
        (Some(_), None) => Some("its sources were not resolved".to_string()),
    };
    if let Some(reason) = &not_analysed {
        // Nothing is known of what the Application deploys: no resource is compared, so no
        // live object is taken for extraneous (or pruned). The live objects it tracks are
        // listed with status Unknown, as Argo CD lists them when manifests cannot be generated.
        let mut resources: Vec<ResourceResult> = cluster
            .objects
            .iter()
            .enumerate()
            .filter(|(_, o)| {
                tracking::owner_instance(o.head(), settings).as_deref()
                    == Some(input.instance.as_str())
                    && o.owner_references().is_empty()
                    && !is_excluded(&o.key, settings)
                    && project_permits(
                        input.project,
                        &o.key,
                        scopes.is_cluster_scoped(&o.key.group, &o.key.kind),
                    )
            })
            .map(|(i, o)| ResourceResult {
                status: Some(SyncStatus::Unknown),
                reason: Reason::NotAnalysed,
                ..ResourceResult::new(o.key.clone(), None, Some(i))
            })
            .collect();
        resources.sort_by(|a, b| a.key.cmp(&b.key));
        return AppResult {
            name: input.name.clone(),
            app: input.app_index,
            instance: input.instance.clone(),
            namespace: input.namespace.clone(),
            status: SyncStatus::Unknown,
            resources,
            conditions: vec![Condition {
                kind: "ComparisonError".into(),
                message: format!("the desired state is not known: {reason}"),
            }],
            sources: input.sources.map(|s| s.sources.clone()).unwrap_or_default(),
            not_analysed,
        };
    }
    let mut source_broken = false;
    let desired = desired_set(repo, input, scopes, &mut conditions, &mut source_broken);
    let diff_settings = match app_diff_settings(input.app, settings) {
        Ok(s) => Some(s),
        Err(e) => {
            broken = true;
            conditions.push(Condition {
                kind: "ComparisonError".into(),
                message: format!("ignoreDifferences cannot be used: {e}"),
            });
            None
        }
    };
    // Live set: tracked by this instance and without ownerReferences, plus key matches.
    let desired_keys: HashMap<&ObjectKey, usize> = desired
        .iter()
        .enumerate()
        .map(|(i, d)| (&d.key, i))
        .collect();
    let mut live_idx: Vec<usize> = Vec::new();
    if input.app.is_some() {
        // Every live object is looked at: read their heads only, not the whole objects.
        for (i, o) in cluster.objects.iter().enumerate() {
            let owned = tracking::owner_instance(o.head(), settings).as_deref()
                == Some(input.instance.as_str());
            let has_owner = !o.owner_references().is_empty();
            if owned && !has_owner && !desired_keys.contains_key(&o.key) {
                live_idx.push(i);
            }
        }
    }
    let mut resources: Vec<ResourceResult> = Vec::new();
    let app_prune_disabled = input
        .app
        .is_some_and(|a| a.spec.has_sync_option("Prune=false"));
    // Pairs with a desired object.
    let paired: Vec<ResourceResult> = desired
        .par_iter()
        .map(|d| {
            let live = cluster.index_of(&d.key).map(|i| (i, &cluster.objects[i]));
            resource_for_desired(d, live, input, settings, diff_settings.as_ref())
        })
        .collect();
    for r in &paired {
        if let Some(e) = &r.error {
            broken = true;
            conditions.push(Condition {
                kind: "ComparisonError".into(),
                message: format!("{}: {e}", r.key),
            });
        }
    }
    resources.extend(paired);
    for i in live_idx {
        let o: &LiveObject = &cluster.objects[i];
        let cluster_scoped = scopes.is_cluster_scoped(&o.key.group, &o.key.kind);
        if !project_permits(input.project, &o.key, cluster_scoped) || is_excluded(&o.key, settings)
        {
            continue;
        }
        let tracking_ns = if o.key.namespace.is_empty() {
            input.namespace.as_str()
        } else {
            o.key.namespace.as_str()
        };
        // Extraneous objects are not compared: their heads tell all that is needed.
        let head = o.head();
        let self_ref = tracking::is_self_referenced(head, &o.key, tracking_ns, settings);
        let is_hook = hooks::is_live_hook(head);
        let (status, reason) = if is_hook {
            (None, Reason::Hook)
        } else if !self_ref {
            (None, Reason::NotSelfReferenced)
        } else {
            (Some(SyncStatus::OutOfSync), Reason::Extraneous)
        };
        let ignore_extraneous = head
            .annotation("argocd.argoproj.io/compare-options")
            .is_some_and(|v| csv(v).any(|x| x == "IgnoreExtraneous"));
        let prune = sync_option(head, input.app, "Prune");
        resources.push(ResourceResult {
            key: o.key.clone(),
            status,
            reason,
            manifest: None,
            live: Some(i),
            diff: None,
            requires_pruning: !is_hook && self_ref,
            prune_disabled: app_prune_disabled || prune.as_deref() == Some("false"),
            ignore_extraneous,
            requires_deletion_confirmation: prune.as_deref() == Some("confirm")
                || sync_option(head, input.app, "Delete").as_deref() == Some("confirm"),
            shared_with: None,
            causes: Vec::new(),
            error: None,
            desired_obj: None,
        });
    }
    resources.sort_by(|a, b| a.key.cmp(&b.key));
    let self_heal = input
        .app
        .and_then(|a| a.spec.automated())
        .is_some_and(|a| a.self_heal);
    let respects = input
        .app
        .is_some_and(|a| a.spec.has_sync_option("RespectIgnoreDifferences=true"));
    for r in &mut resources {
        let (Some(diff), Some(li)) = (&r.diff, r.live) else {
            continue;
        };
        let live = cluster.objects[li].obj();
        let ev = Evidence {
            autoscalers: evidence.autoscalers_of(&r.key),
            crd_schema: evidence.crd_schema(&cluster.objects[li]),
            self_heal,
            respects_ignore: respects,
        };
        r.causes = diff
            .differences
            .iter()
            .map(|d| {
                (
                    d.pointer.clone(),
                    cause::explain(&r.key, live, &d.pointer, &ev),
                )
            })
            .collect();
    }
    for r in &resources {
        if let Some(other) = &r.shared_with {
            conditions.push(Condition {
                kind: "SharedResourceWarning".into(),
                message: format!(
                    "{}/{} is part of applications {} and {}",
                    r.key.kind, r.key.name, input.name, other
                ),
            });
        }
    }
    if source_broken {
        // A source could not be built (a file that does not parse): Argo CD cannot generate
        // manifests, so nothing is compared.
        resources.clear();
    }
    let status = if broken || source_broken {
        SyncStatus::Unknown
    } else if resources.iter().any(|r| {
        r.status == Some(SyncStatus::OutOfSync)
            && !(r.reason == Reason::Extraneous && r.ignore_extraneous)
    }) {
        SyncStatus::OutOfSync
    } else {
        SyncStatus::Synced
    };
    conditions.sort();
    conditions.dedup();
    AppResult {
        name: input.name.clone(),
        app: input.app_index,
        instance: input.instance.clone(),
        namespace: input.namespace.clone(),
        status,
        resources,
        conditions,
        sources: input.sources.map(|s| s.sources.clone()).unwrap_or_default(),
        not_analysed,
    }
}

impl ResourceResult {
    /// A resource with this identity, desired object and live object, and nothing else known
    /// yet: no status, no difference, no sync option.
    fn new(key: ObjectKey, manifest: Option<usize>, live: Option<usize>) -> ResourceResult {
        ResourceResult {
            key,
            status: None,
            reason: Reason::InSync,
            manifest,
            live,
            diff: None,
            requires_pruning: false,
            prune_disabled: false,
            ignore_extraneous: false,
            requires_deletion_confirmation: false,
            shared_with: None,
            causes: Vec::new(),
            error: None,
            desired_obj: None,
        }
    }
}

fn resource_for_desired(
    d: &Desired,
    live: Option<(usize, &LiveObject)>,
    input: &AppInput<'_>,
    settings: &ArgoSettings,
    diff_settings: Option<&AppDiffSettings>,
) -> ResourceResult {
    let mut r = ResourceResult::new(d.key.clone(), Some(d.manifest), live.map(|(i, _)| i));
    let prune = sync_option(&d.obj, input.app, "Prune");
    r.prune_disabled = prune.as_deref() == Some("false");
    r.requires_deletion_confirmation = prune.as_deref() == Some("confirm")
        || sync_option(&d.obj, input.app, "Delete").as_deref() == Some("confirm");
    match d.role {
        HookRole::Hook | HookRole::Ignored | HookRole::DeleteHook => {
            r.reason = Reason::Hook;
            return r;
        }
        HookRole::Skip => {
            r.reason = Reason::Skipped;
            return r;
        }
        HookRole::Resource => {}
    }
    let Some((_, l)) = live else {
        r.status = Some(SyncStatus::OutOfSync);
        r.reason = Reason::Missing;
        r.desired_obj = Some(d.obj.clone());
        return r;
    };
    if input.app.is_some() {
        if let Some(owner) = tracking::owner_instance(l.head(), settings) {
            if owner != input.instance {
                r.shared_with = Some(owner);
            }
        }
        if !tracking::is_self_referenced(l.head(), &d.key, &d.tracking_ns, settings) {
            r.reason = Reason::NotSelfReferenced;
            return r;
        }
    }
    let Some(diff_settings) = diff_settings else {
        return r;
    };
    let diff = match compare_pair(&d.obj, l.obj(), diff_settings) {
        Ok(d) => d,
        Err(e) => {
            r.error = Some(e);
            return r;
        }
    };
    if diff.modified {
        r.status = Some(SyncStatus::OutOfSync);
        r.reason = Reason::Modified;
    } else {
        r.status = Some(SyncStatus::Synced);
    }
    r.diff = Some(diff);
    r
}

/// Lookups for the cause analysis, built once per scan.
pub struct EvidenceIndex<'a> {
    /// (namespace, kind, name) of a workload → autoscalers (kind, name) targeting it.
    autoscalers: HashMap<(String, String, String), Vec<(String, String)>>,
    /// (group, kind) → CRD object from the dump.
    crds: HashMap<(String, String), &'a Value>,
}

impl<'a> EvidenceIndex<'a> {
    /// Indexes autoscalers from Git and the dump, and CRDs from the dump.
    pub fn new(repo: &'a Repo, cluster: &'a Cluster) -> Self {
        let mut autoscalers: HashMap<(String, String, String), Vec<(String, String)>> =
            HashMap::new();
        let is_scaler = |key: &ObjectKey| {
            matches!(
                (key.group.as_str(), key.kind.as_str()),
                ("autoscaling", "HorizontalPodAutoscaler") | ("keda.sh", "ScaledObject")
            )
        };
        let mut add = |key: &ObjectKey, obj: &Value| {
            let Some(r) = obj.pointer("/spec/scaleTargetRef") else {
                return;
            };
            let Some(name) = r.get("name").and_then(Value::as_str) else {
                return;
            };
            let kind = r
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or("Deployment");
            let v = autoscalers
                .entry((key.namespace.clone(), kind.to_string(), name.to_string()))
                .or_default();
            let entry = (key.kind.clone(), key.name.clone());
            if !v.contains(&entry) {
                v.push(entry);
            }
        };
        // Filter by kind first: only autoscalers of the dump are parsed.
        for o in cluster.objects.iter().filter(|o| is_scaler(&o.key)) {
            add(&o.key, o.obj());
        }
        for m in repo.manifests.iter().filter(|m| is_scaler(&m.key)) {
            add(&m.key, &m.obj);
        }
        let mut crds = HashMap::new();
        for o in cluster.objects.iter().filter(|o| {
            o.key.group == "apiextensions.k8s.io" && o.key.kind == "CustomResourceDefinition"
        }) {
            let obj = o.obj();
            let group = obj.pointer("/spec/group").and_then(Value::as_str);
            let kind = obj.pointer("/spec/names/kind").and_then(Value::as_str);
            if let (Some(g), Some(k)) = (group, kind) {
                crds.insert((g.to_string(), k.to_string()), obj);
            }
        }
        EvidenceIndex { autoscalers, crds }
    }

    /// Autoscalers targeting the object (namespace-less Git autoscalers match any namespace).
    pub fn autoscalers_of(&self, key: &ObjectKey) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for ns in [key.namespace.as_str(), ""] {
            if let Some(v) =
                self.autoscalers
                    .get(&(ns.to_string(), key.kind.clone(), key.name.clone()))
            {
                for e in v {
                    if !out.contains(e) {
                        out.push(e.clone());
                    }
                }
            }
        }
        out
    }

    /// The `openAPIV3Schema` of the CRD version the live object is served at.
    pub fn crd_schema(&self, live: &LiveObject) -> Option<&'a Value> {
        let crd = self
            .crds
            .get(&(live.key.group.clone(), live.key.kind.clone()))?;
        let version = crate::model::key::version_of(&live.api_version);
        crd.pointer("/spec/versions")?
            .as_array()?
            .iter()
            .find(|v| v.get("name").and_then(Value::as_str) == Some(version))?
            .pointer("/schema/openAPIV3Schema")
    }
}
