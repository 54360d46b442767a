//! What `argocd app get` shows, computed offline for one Application: predicted sync status,
//! health, the sync-window decision at a point in time, operation state and history from the
//! Application object in the dump, the resource tree (ownerReferences) with per-node health,
//! and the Events of the app's resources.

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;
use serde_json::Value;

use super::app::{AppResult, DriftReport, SyncStatus};
use super::health::aggregate::{application_health, AppIdentity, ManagedResource};
use super::health::{resource_health_or_unknown, HealthOverrides, HealthStatus};
use super::syncwindow::{AppTarget, Decision, SyncWindows};
use crate::model::cluster::Cluster;
use crate::model::key::ObjectKey;
use crate::model::repo::Repo;

/// One node of the resource tree.
#[derive(Debug, Clone)]
pub struct TreeNode {
    /// Identity.
    pub key: ObjectKey,
    /// Health, when the kind has a check.
    pub health: Option<HealthStatus>,
    /// Objects owned by this one (ownerReferences), sorted.
    pub children: Vec<TreeNode>,
}

/// One Event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    /// Last time it was seen (RFC 3339, as written in the dump).
    pub time: String,
    /// `Normal` or `Warning`.
    pub kind: String,
    /// Reason.
    pub reason: String,
    /// `Kind/name` of the involved object.
    pub object: String,
    /// Message.
    pub message: String,
    /// How often it happened.
    pub count: u64,
}

/// One resource row.
#[derive(Debug, Clone)]
pub struct ResourceRow {
    /// Identity.
    pub key: ObjectKey,
    /// Predicted sync status (`None`: no status).
    pub status: Option<SyncStatus>,
    /// Why.
    pub reason: super::app::Reason,
    /// Health as Argo CD records it on the resource.
    pub health: Option<HealthStatus>,
}

/// The sync-window decision.
#[derive(Debug, Clone)]
pub struct WindowView {
    /// Automated syncs.
    pub automated: Decision,
    /// Manual syncs.
    pub manual: Decision,
    /// When the automated decision changes next (within 8 days).
    pub next_change: Option<Timestamp>,
    /// The project's windows that match this app: (index, kind, schedule, duration, active).
    pub windows: Vec<(usize, String, String, String, bool)>,
}

/// A history entry of the Application object.
#[derive(Debug, Clone)]
pub struct HistoryRow {
    /// `id`.
    pub id: i64,
    /// `deployedAt`.
    pub deployed_at: String,
    /// `revision`.
    pub revision: String,
}

/// Everything `driftlens app` prints.
#[derive(Debug, Clone)]
pub struct AppView {
    /// Name.
    pub name: String,
    /// AppProject.
    pub project: String,
    /// Destination server (or name).
    pub server: String,
    /// Destination namespace.
    pub namespace: String,
    /// `repoURL`, `path` or `chart`, `targetRevision` of each source.
    pub sources: Vec<(String, String, String, String)>,
    /// `Automated (Prune)`, `Manual`, …
    pub sync_policy: String,
    /// Predicted sync status.
    pub sync: SyncStatus,
    /// Argo CD's recorded sync status, if the dump has the Application.
    pub argocd_sync: Option<String>,
    /// Aggregated health (status and "Caused by …" message).
    pub health: (String, String),
    /// The time windows are evaluated at, and where it comes from.
    pub at: (Timestamp, &'static str),
    /// Sync windows, when the project has some.
    pub window: Option<WindowView>,
    /// Operation state from the dump: (phase, message, started, finished, revision).
    pub operation: Option<(String, String, String, String, String)>,
    /// History from the dump.
    pub history: Vec<HistoryRow>,
    /// Resources.
    pub resources: Vec<ResourceRow>,
    /// Resource tree of the live objects.
    pub tree: Vec<TreeNode>,
    /// Events, oldest first.
    pub events: Vec<EventRow>,
    /// Conditions (`type: message`).
    pub conditions: Vec<String>,
}

fn looks_like_time(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    if !(20..=35).contains(&b.len()) || !b[0].is_ascii_digit() || b.get(10) != Some(&b'T') {
        return None;
    }
    s.parse::<Timestamp>().ok()
}

/// The newest RFC 3339 timestamp anywhere in the dump (the moment it was taken, roughly).
pub fn newest_timestamp(cluster: &Cluster) -> Option<Timestamp> {
    let mut best: Option<Timestamp> = None;
    for o in &cluster.objects {
        // Read from the dump's text: the objects need not be parsed for this.
        o.for_each_string(&mut |s| {
            if let Some(t) = looks_like_time(s) {
                if best.is_none_or(|b| t > b) {
                    best = Some(t);
                }
            }
        });
    }
    best
}

fn build_tree(
    cluster: &Cluster,
    children_of: &HashMap<&str, Vec<usize>>,
    idx: usize,
    overrides: &HealthOverrides,
    seen: &mut HashSet<usize>,
    depth: usize,
) -> TreeNode {
    let o = &cluster.objects[idx];
    let mut children = Vec::new();
    if depth < 8 {
        let uid = o.uid();
        for &c in children_of.get(uid).into_iter().flatten() {
            if seen.insert(c) {
                children.push(build_tree(
                    cluster,
                    children_of,
                    c,
                    overrides,
                    seen,
                    depth + 1,
                ));
            }
        }
    }
    children.sort_by(|a, b| a.key.cmp(&b.key));
    TreeNode {
        key: o.key.clone(),
        health: resource_health_or_unknown(o.obj(), overrides),
        children,
    }
}

fn collect_keys(n: &TreeNode, out: &mut HashSet<(String, String, String)>) {
    out.insert((
        n.key.kind.clone(),
        n.key.namespace.clone(),
        n.key.name.clone(),
    ));
    for c in &n.children {
        collect_keys(c, out);
    }
}

fn str_at<'a>(v: &'a Value, p: &str) -> &'a str {
    v.pointer(p).and_then(Value::as_str).unwrap_or("")
}

/// The live object of an Application of the checkout, if the dump has it.
fn live_application<'c>(
    repo: &Repo,
    cluster: &'c Cluster,
    result: &AppResult,
) -> Option<&'c crate::model::object::LiveObject> {
    let app = result.app.map(|i| &repo.apps[i])?;
    let m = repo.manifest(app.manifest);
    cluster.get(&ObjectKey {
        group: "argoproj.io".into(),
        kind: "Application".into(),
        namespace: m.key.namespace.clone(),
        name: m.key.name.clone(),
    })
}

/// The health Argo CD would assess for an Application from its compared resources.
pub fn app_health(
    repo: &Repo,
    cluster: &Cluster,
    result: &AppResult,
    overrides: &HealthOverrides,
) -> super::health::aggregate::AppHealth {
    let app = result.app.map(|i| &repo.apps[i]);
    let live_app = live_application(repo, cluster, result);
    let managed: Vec<ManagedResource<'_>> = result
        .resources
        .iter()
        .map(|r| ManagedResource {
            group: &r.key.group,
            kind: &r.key.kind,
            namespace: &r.key.namespace,
            name: &r.key.name,
            target: r.manifest.map(|m| &repo.manifest(m).obj),
            live: r.live.map(|i| cluster.objects[i].obj()),
        })
        .collect();
    let identity = app.map(|a| AppIdentity {
        namespace: &a.value.metadata.namespace,
        name: &a.value.metadata.name,
        uid: live_app.map(|l| l.uid()).filter(|u| !u.is_empty()),
    });
    application_health(&managed, overrides, identity)
}

/// Assembles the view of the Application `name`.
pub fn app_view(
    repo: &Repo,
    cluster: &Cluster,
    report: &DriftReport,
    name: &str,
    overrides: &HealthOverrides,
    at: Option<Timestamp>,
) -> Option<AppView> {
    let result: &AppResult = report.apps.iter().find(|a| a.name == name)?;
    let app = result.app.map(|i| &repo.apps[i]);
    let app_obj = app.map(|a| &repo.manifest(a.manifest).obj);
    let live_app = live_application(repo, cluster, result);
    // Resources with health.
    let health = app_health(repo, cluster, result, overrides);
    let resources: Vec<ResourceRow> = result
        .resources
        .iter()
        .zip(health.resources.iter())
        .map(|(r, h)| ResourceRow {
            key: r.key.clone(),
            status: r.status,
            reason: r.reason,
            health: h.clone(),
        })
        .collect();
    // Resource tree from ownerReferences.
    let mut children_of: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, o) in cluster.objects.iter().enumerate() {
        for uid in o.owner_references().iter().filter_map(|r| r.uid()) {
            children_of.entry(uid).or_default().push(i);
        }
    }
    let mut seen = HashSet::new();
    let tree: Vec<TreeNode> = result
        .resources
        .iter()
        .filter_map(|r| r.live)
        .filter(|i| seen.insert(*i))
        .collect::<Vec<_>>()
        .into_iter()
        .map(|i| build_tree(cluster, &children_of, i, overrides, &mut seen, 0))
        .collect();
    // Events of the tree's objects.
    let mut keys = HashSet::new();
    for n in &tree {
        collect_keys(n, &mut keys);
    }
    let mut events: Vec<EventRow> = cluster
        .objects
        .iter()
        .filter(|o| {
            matches!(
                (o.key.group.as_str(), o.key.kind.as_str()),
                ("", "Event") | ("events.k8s.io", "Event")
            )
        })
        .filter_map(|e| {
            let e = e.obj();
            let inv = e.get("involvedObject").or_else(|| e.get("regarding"))?;
            let k = (
                str_at(inv, "/kind").to_string(),
                str_at(inv, "/namespace").to_string(),
                str_at(inv, "/name").to_string(),
            );
            if !keys.contains(&k) {
                return None;
            }
            let time = [
                "/lastTimestamp",
                "/eventTime",
                "/series/lastObservedTime",
                "/firstTimestamp",
                "/metadata/creationTimestamp",
            ]
            .iter()
            .map(|p| str_at(e, p))
            .find(|s| !s.is_empty())
            .unwrap_or("")
            .to_string();
            Some(EventRow {
                time,
                kind: str_at(e, "/type").to_string(),
                reason: str_at(e, "/reason").to_string(),
                object: format!("{}/{}", k.0, k.2),
                message: e
                    .get("message")
                    .or_else(|| e.get("note"))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                count: e.get("count").and_then(Value::as_u64).unwrap_or(1),
            })
        })
        .collect();
    events.sort_by(|a, b| {
        let ta = a.time.parse::<Timestamp>().ok();
        let tb = b.time.parse::<Timestamp>().ok();
        ta.cmp(&tb)
            .then_with(|| a.object.cmp(&b.object))
            .then_with(|| a.reason.cmp(&b.reason))
    });
    // Sync windows.
    let (at, at_source) = match at {
        Some(t) => (t, "--at"),
        None => match newest_timestamp(cluster) {
            Some(t) => (t, "the newest timestamp in the dump"),
            None => (
                Timestamp::now(),
                "the current time (the dump has no timestamps)",
            ),
        },
    };
    let project_name = app
        .map(|a| a.value.spec.project.as_str())
        .filter(|p| !p.is_empty())
        .unwrap_or("default");
    let project_obj = repo
        .projects
        .iter()
        .find(|p| p.value.metadata.name == project_name)
        .map(|p| &repo.manifest(p.manifest).obj)
        .or_else(|| {
            cluster
                .objects
                .iter()
                .find(|o| {
                    o.key.group == "argoproj.io"
                        && o.key.kind == "AppProject"
                        && o.key.name == project_name
                })
                .map(|o| o.obj())
        });
    let window = match (project_obj, app_obj) {
        (Some(p), Some(a)) => {
            let (windows, _) = SyncWindows::from_project(p);
            let target = AppTarget::from_application(a);
            let matching = windows.matching(&target);
            if matching.is_empty() {
                None
            } else {
                Some(WindowView {
                    automated: windows.can_sync(&target, at, false),
                    manual: windows.can_sync(&target, at, true),
                    next_change: windows.next_change(&target, at, false),
                    windows: matching
                        .iter()
                        .map(|&i| {
                            let w = &windows.windows()[i];
                            (
                                i,
                                w.kind.clone(),
                                w.schedule.clone(),
                                w.duration.clone(),
                                windows.active(i, at).unwrap_or(false),
                            )
                        })
                        .collect(),
                })
            }
        }
        _ => None,
    };
    let operation = live_app.and_then(|l| {
        let op = l.obj().pointer("/status/operationState")?;
        Some((
            str_at(op, "/phase").to_string(),
            str_at(op, "/message").to_string(),
            str_at(op, "/startedAt").to_string(),
            str_at(op, "/finishedAt").to_string(),
            str_at(op, "/operation/sync/revision").to_string(),
        ))
    });
    let history = live_app
        .and_then(|l| l.obj().pointer("/status/history").and_then(Value::as_array))
        .map(|h| {
            h.iter()
                .map(|e| HistoryRow {
                    id: e.get("id").and_then(Value::as_i64).unwrap_or(0),
                    deployed_at: str_at(e, "/deployedAt").to_string(),
                    revision: str_at(e, "/revision").to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    let spec = app.map(|a| &a.value.spec);
    let resolved = &result.sources;
    let sources = spec
        .map(|s| {
            s.all_sources()
                .iter()
                .enumerate()
                .map(|(i, src)| {
                    (
                        src.repo_url.clone(),
                        src.path
                            .clone()
                            .or_else(|| src.chart.clone())
                            .unwrap_or_default(),
                        src.target_revision.clone(),
                        resolved
                            .get(i)
                            .map(crate::sources::SourceInfo::outcome)
                            .unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let sync_policy = match spec.and_then(|s| s.automated()) {
        Some(a) => {
            let mut opts = Vec::new();
            if a.prune {
                opts.push("Prune");
            }
            if a.self_heal {
                opts.push("SelfHeal");
            }
            if opts.is_empty() {
                "Automated".to_string()
            } else {
                format!("Automated ({})", opts.join(", "))
            }
        }
        None => "Manual".to_string(),
    };
    Some(AppView {
        name: result.name.clone(),
        project: project_name.to_string(),
        server: spec
            .map(|s| {
                if s.destination.server.is_empty() {
                    s.destination.name.clone()
                } else {
                    s.destination.server.clone()
                }
            })
            .unwrap_or_default(),
        namespace: result.namespace.clone(),
        sources,
        sync_policy,
        sync: result.status,
        argocd_sync: live_app
            .and_then(|l| l.obj().pointer("/status/sync/status"))
            .and_then(Value::as_str)
            .map(str::to_string),
        health: (health.status.as_str().to_string(), health.message.clone()),
        at: (at, at_source),
        window,
        operation,
        history,
        resources,
        tree,
        events,
        conditions: result
            .conditions
            .iter()
            .map(|c| format!("{}: {}", c.kind, c.message))
            .collect(),
    })
}
