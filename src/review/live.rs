//! With a cluster dump: what a sync of each changed Application would do to the live objects
//! at head, and which of the current drift the change resolves, leaves or introduces.
//!
//! Both revisions are compared with the same dump by the drift engine
//! ([`crate::compare::app::compare_all`], run by each scan). "Current drift" is what the base
//! revision reports OutOfSync; a resource the head reports Synced is resolved by the change,
//! one OutOfSync in both is left, one OutOfSync only at head is introduced (a sync will
//! change the live object).

use std::collections::BTreeMap;

use serde::Serialize;

use super::objects::{AppChange, Change};
use crate::compare::app::{AppResult, Reason, ResourceResult, SyncStatus};
use crate::model::key::ObjectKey;
use crate::scan::ScanResult;

/// What a sync at head does to one live object.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncEffect {
    /// The object.
    pub key: ObjectKey,
    /// `update`, `create`, `prune`, `keep` (requires pruning but is not pruned).
    pub action: &'static str,
    /// For `update`: the fields that change (JSON pointers; values are not shown).
    pub fields: Vec<String>,
}

/// The live view of one Application.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveChange {
    /// Sync status predicted at base (the current state).
    pub base_status: Option<SyncStatus>,
    /// Sync status predicted at head.
    pub head_status: Option<SyncStatus>,
    /// What a sync at head would do.
    pub sync: Vec<SyncEffect>,
    /// OutOfSync at base, Synced at head.
    pub resolved: Vec<ObjectKey>,
    /// OutOfSync at base and at head.
    pub left: Vec<ObjectKey>,
    /// Synced (or absent) at base, OutOfSync at head.
    pub introduced: Vec<ObjectKey>,
    /// Why the head cannot be compared with the dump, when it cannot.
    pub unknown: Option<String>,
}

fn out_of_sync(r: &ResourceResult) -> bool {
    r.status == Some(SyncStatus::OutOfSync)
}

fn effect(r: &ResourceResult) -> Option<SyncEffect> {
    let (action, fields) = match r.reason {
        Reason::Modified => (
            "update",
            r.diff
                .as_ref()
                .map(|d| d.differences.iter().map(|f| f.pointer.clone()).collect())
                .unwrap_or_default(),
        ),
        Reason::Missing => ("create", Vec::new()),
        Reason::Extraneous if r.requires_pruning && !r.prune_disabled => ("prune", Vec::new()),
        Reason::Extraneous if r.requires_pruning => ("keep", Vec::new()),
        _ => return None,
    };
    Some(SyncEffect {
        key: r.key.clone(),
        action,
        fields,
    })
}

fn by_name(scan: &ScanResult) -> BTreeMap<&str, &AppResult> {
    scan.drift
        .iter()
        .flat_map(|d| &d.apps)
        .map(|a| (a.name.as_str(), a))
        .collect()
}

/// Fills [`AppChange::live`] for every changed Application present at head.
pub(crate) fn fill(apps: &mut [AppChange], base: &ScanResult, head: &ScanResult) {
    let (b, h) = (by_name(base), by_name(head));
    for a in apps.iter_mut() {
        if matches!(a.change, Change::Unchanged | Change::Removed) {
            continue;
        }
        let Some(ha) = h.get(a.name.as_str()) else {
            continue;
        };
        let ba = b.get(a.name.as_str());
        let base_oos: BTreeMap<&ObjectKey, &ResourceResult> = ba
            .map(|x| {
                x.resources
                    .iter()
                    .filter(|r| out_of_sync(r))
                    .map(|r| (&r.key, r))
                    .collect()
            })
            .unwrap_or_default();
        let head_res: BTreeMap<&ObjectKey, &ResourceResult> =
            ha.resources.iter().map(|r| (&r.key, r)).collect();
        let mut live = LiveChange {
            base_status: ba.map(|x| x.status),
            head_status: Some(ha.status),
            sync: ha.resources.iter().filter_map(effect).collect(),
            resolved: Vec::new(),
            left: Vec::new(),
            introduced: Vec::new(),
            unknown: (ha.status == SyncStatus::Unknown).then(|| {
                ha.conditions
                    .iter()
                    .map(|c| format!("{}: {}", c.kind, c.message))
                    .chain(ha.not_analysed.clone())
                    .collect::<Vec<_>>()
                    .join("; ")
            }),
        };
        if live.unknown.is_none() {
            for k in base_oos.keys() {
                match head_res.get(k) {
                    Some(r) if out_of_sync(r) => live.left.push((*k).clone()),
                    _ => live.resolved.push((*k).clone()),
                }
            }
            for (k, r) in &head_res {
                if out_of_sync(r) && !base_oos.contains_key(k) {
                    live.introduced.push((*k).clone());
                }
            }
        }
        a.live = Some(live);
    }
}
