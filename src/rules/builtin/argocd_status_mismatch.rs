//! `argocd-status-mismatch`: the dump holds Argo CD's own verdict (`status.sync` and
//! `status.resources[]` of the Application objects) and it disagrees with what driftlens
//! predicts from Git and the same dump. Documentation: `rules/argocd-status-mismatch.md`.

use serde_json::{json, Value};

use super::drift::app_manifest;
use crate::compare::app::{Reason, SyncStatus};
use crate::model::key::ObjectKey;
use crate::rules::{Context, Finding, RuleMeta};

fn status_str(s: Option<SyncStatus>) -> &'static str {
    match s {
        Some(SyncStatus::Synced) => "Synced",
        Some(SyncStatus::OutOfSync) => "OutOfSync",
        Some(SyncStatus::Unknown) => "Unknown",
        None => "no status",
    }
}

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    let (Some(drift), Some(cluster)) = (ctx.drift, ctx.cluster) else {
        return;
    };
    for app in &drift.apps {
        let Some(m) = app_manifest(ctx, app) else {
            continue;
        };
        let key = ObjectKey {
            group: "argoproj.io".into(),
            kind: "Application".into(),
            namespace: m.key.namespace.clone(),
            name: m.key.name.clone(),
        };
        let Some(live) = cluster.get(&key) else {
            continue;
        };
        let Some(argo_status) = live
            .obj()
            .pointer("/status/sync/status")
            .and_then(Value::as_str)
        else {
            continue;
        };
        let ours = status_str(Some(app.status));
        let mut disagreements: Vec<String> = Vec::new();
        let mut details: Vec<Value> = Vec::new();
        if argo_status != ours && app.status != SyncStatus::Unknown {
            disagreements.push(format!(
                "the Application: Argo CD says {argo_status}, driftlens predicts {ours}"
            ));
        }
        let argo_resources = live
            .obj()
            .pointer("/status/resources")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        for ar in argo_resources {
            let s = |k: &str| ar.get(k).and_then(Value::as_str).unwrap_or("");
            let rkey = ObjectKey {
                group: s("group").into(),
                kind: s("kind").into(),
                namespace: s("namespace").into(),
                name: s("name").into(),
            };
            let Some(argo) = ar.get("status").and_then(Value::as_str) else {
                continue;
            };
            let mine = app.resources.iter().find(|r| r.key == rkey);
            let predicted = status_str(mine.and_then(|r| r.status));
            if predicted != argo && app.status != SyncStatus::Unknown {
                let why = match mine {
                    None => " (driftlens does not count it as a resource of this Application)".to_string(),
                    Some(r) => match &r.diff {
                        Some(d) if !d.differences.is_empty() => format!(
                            " (driftlens sees differences at {})",
                            d.differences.iter().take(3).map(|f| f.pointer.as_str()).collect::<Vec<_>>().join(", ")
                        ),
                        _ => match r.reason {
                            Reason::InSync => " (driftlens finds it equal to Git)".to_string(),
                            Reason::Missing => " (driftlens finds it missing)".to_string(),
                            Reason::Extraneous => " (driftlens finds it extraneous)".to_string(),
                            _ => " (driftlens gives it no status: hook, skipped or not self-referenced)".to_string(),
                        },
                    },
                };
                disagreements.push(format!(
                    "{rkey}: Argo CD says {argo}, driftlens predicts {predicted}{why}"
                ));
                details.push(
                    json!({"resource": rkey.to_string(), "argocd": argo, "driftlens": predicted}),
                );
            }
        }
        if disagreements.is_empty() {
            continue;
        }
        let shown: Vec<&String> = disagreements.iter().take(5).collect();
        let more = disagreements.len().saturating_sub(5);
        let message =
            format!(
            "Argo CD's recorded status of Application `{}` disagrees with driftlens's prediction \
             from Git and the dump: {}{}. Check whether the dump is older or newer than Argo CD's \
             last reconciliation (`status.reconciledAt`), a setting Argo CD uses that the checkout \
             does not hold (argocd-cm, controller flags such as server-side diff), or a gap in \
             driftlens",
            app.name,
            shown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("; "),
            if more > 0 { format!("; and {more} more") } else { String::new() }
        );
        out.push(
            Finding::new(meta, message, m.locate_kind())
                .with_object(&m.key)
                .with_pointer("/status")
                .with_property("application", json!(app.name))
                .with_property("argocdStatus", json!(argo_status))
                .with_property("predictedStatus", json!(ours))
                .with_property("resources", Value::Array(details)),
        );
    }
}
