//! `sync-window-invalid`: AppProject sync windows Argo CD cannot evaluate (bad cron, duration,
//! time zone, kind), that block everything (deny windows always active for every app), or that
//! match none of the checkout's Applications. Documentation: `rules/sync-window-invalid.md`.

use serde_json::json;

use crate::compare::syncwindow::{AppTarget, SyncWindows};
use crate::rules::{Context, Finding, RuleMeta};

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for p in &ctx.repo.projects {
        let m = ctx.repo.manifest(p.manifest);
        let (windows, mut problems) = SyncWindows::from_project(&m.obj);
        if windows.windows().is_empty() {
            continue;
        }
        problems.extend(windows.problems());
        // Windows that match none of this project's Applications in the checkout (only when
        // the checkout holds some, or the finding would be noise).
        let apps: Vec<AppTarget<'_>> = ctx
            .repo
            .apps
            .iter()
            .filter(|a| {
                let project = if a.value.spec.project.is_empty() {
                    "default"
                } else {
                    a.value.spec.project.as_str()
                };
                project == p.value.metadata.name
            })
            .map(|a| AppTarget::from_application(&ctx.repo.manifest(a.manifest).obj))
            .collect();
        let mut unmatched = Vec::new();
        if !apps.is_empty() {
            unmatched = windows.unmatched(&apps);
            // A window without selectors is already reported as matching nothing.
            unmatched.retain(|i| {
                !problems
                    .iter()
                    .any(|p| p.index == *i && p.field == "selectors")
            });
        }
        for prob in problems {
            let base = format!("/spec/syncWindows/{}", prob.index);
            let pointer = if prob.field == "window" || prob.field == "selectors" {
                base.clone()
            } else {
                format!("{base}/{}", prob.field)
            };
            out.push(
                Finding::new(
                    meta,
                    format!(
                        "sync window {} of AppProject `{}`: {}",
                        prob.index, p.value.metadata.name, prob.message
                    ),
                    m.locate(&pointer),
                )
                .with_object(&m.key)
                .with_pointer(format!("{pointer}#{}", prob.field))
                .with_property("window", json!(prob.index)),
            );
        }
        for index in unmatched {
            let pointer = format!("/spec/syncWindows/{index}");
            out.push(
                Finding::new(
                    meta,
                    format!(
                        "sync window {index} of AppProject `{}` matches none of the project's {} \
                         Application{} in this checkout; check its applications, namespaces and \
                         clusters globs (a typo makes the window silently do nothing)",
                        p.value.metadata.name,
                        apps.len(),
                        if apps.len() == 1 { "" } else { "s" }
                    ),
                    m.locate(&pointer),
                )
                .with_object(&m.key)
                .with_pointer(format!("{pointer}#unmatched"))
                .with_property("window", json!(index)),
            );
        }
    }
}
