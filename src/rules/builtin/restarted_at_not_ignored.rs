//! `restarted-at-not-ignored`: a workload whose live pod template carries the restart
//! annotation of `kubectl rollout restart` (or Argo Rollouts') that Git does not have, with no
//! ignore rule for it. Needs `--cluster`. Documentation: `rules/restarted-at-not-ignored.md`.

use serde_json::json;

use crate::compare::cause::owner_of;
use crate::load::yaml::escape_pointer_token;
use crate::rules::{Context, Finding, RuleMeta, Severity};

const ANNOTATIONS: &[&str] = &[
    "kubectl.kubernetes.io/restartedAt",
    "rollout.argoproj.io/restartedAt",
];

fn is_workload(group: &str, kind: &str) -> bool {
    matches!(
        (group, kind),
        (
            "apps",
            "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet"
        ) | ("argoproj.io", "Rollout")
    )
}

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    if ctx.cluster.is_none() {
        return;
    }
    for (mi, m) in ctx.repo.manifests.iter().enumerate() {
        if !is_workload(&m.key.group, &m.key.kind) {
            continue;
        }
        let Some(live) = ctx.live_of(mi) else {
            continue;
        };
        for name in ANNOTATIONS {
            let pointer = format!(
                "/spec/template/metadata/annotations/{}",
                escape_pointer_token(name)
            );
            let Some(value) = live.obj().pointer(&pointer).and_then(|v| v.as_str()) else {
                continue;
            };
            if m.obj.pointer(&pointer).is_some() {
                // Git sets it: any difference is a plain modification (drift-modified).
                continue;
            }
            if ctx.ignored_pointers(mi, live.obj(), std::slice::from_ref(&pointer))[0] {
                continue;
            }
            let owner = owner_of(live.obj(), &pointer);
            let by = owner
                .as_ref()
                .map(|o| format!(" by `{}` ({})", o.manager, o.operation))
                .unwrap_or_default();
            let reported = ctx.drift_reports(mi, &pointer);
            let ssa = ctx.server_side_mode(mi) == Some("ServerSideApply=true");
            let argo_owned = owner
                .as_ref()
                .is_some_and(|o| o.manager == "argocd-controller" && o.operation == "Apply");
            let (severity, consequence) = if reported {
                (
                    Severity::Warning,
                    "the predicted diff reports it, so the Application is OutOfSync and a \
                     (self-heal) sync removes it, which restarts the pods once more"
                        .to_string(),
                )
            } else if ctx.uses_replace(mi) {
                (
                    Severity::Warning,
                    "the object is synced with `Replace=true`, which drops the annotation on \
                     every sync and so restarts the pods again"
                        .to_string(),
                )
            } else if ssa && argo_owned {
                (
                    Severity::Warning,
                    "with `ServerSideApply=true` Argo CD's own field manager owns it, so the next \
                     sync removes it and restarts the pods again"
                        .to_string(),
                )
            } else {
                (
                    Severity::Note,
                    "Argo CD does not report it today: the legacy diff and server-side apply \
                     keep fields only the live object has (it is not in last-applied and Argo \
                     CD does not own it); it becomes a difference with `Replace=true` or once \
                     Argo CD's field manager owns it"
                        .to_string(),
                )
            };
            let suggestion = json!({
                "group": m.key.group,
                "kind": m.key.kind,
                "name": m.key.name,
                "jsonPointers": [pointer],
            });
            let message = format!(
                "{} `{}` was restarted (live `{name}: {value}`, set{by}) and Git does not have \
                 the annotation: {consequence}. To keep restarts out of the comparison, add to \
                 the Application's ignoreDifferences `{{group: {}, kind: {}, name: {}, \
                 jsonPointers: [{pointer}]}}`",
                m.key.kind, m.key.name, m.key.group, m.key.kind, m.key.name
            );
            let mut f = Finding::new(
                meta,
                message,
                super::podspec::locate_or_kind(m, "/spec/template/metadata"),
            )
            .with_object(&m.key)
            .with_pointer(pointer.clone())
            .with_property("suggestedIgnoreDifferences", suggestion);
            f.severity = severity;
            out.push(f);
        }
    }
}
