//! `appset-template-unsafe`: an ApplicationSet with `goTemplate: true` but without
//! `missingkey=error` in `goTemplateOptions`, so a missing parameter renders as `<no value>`
//! instead of failing; and (as one note per ApplicationSet) generators whose parameters come
//! from outside the checkout.
//! Documentation: `rules/appset-template-unsafe.md`.

use serde_json::Value;

use crate::model::object::Manifest;
use crate::rules::{Context, Finding, RuleMeta, Severity};

/// Generators whose parameters come from outside the checkout, with where they come from.
const REMOTE: &[(&str, &str)] = &[
    ("clusters", "the cluster Secrets registered in Argo CD"),
    (
        "scmProvider",
        "the repositories of an SCM organisation (GitHub, GitLab, …)",
    ),
    ("pullRequest", "the open pull requests of a repository"),
    (
        "clusterDecisionResource",
        "a custom resource in the Argo CD cluster",
    ),
    ("plugin", "an HTTP plugin service"),
];

/// Every generator of `items` (inside `matrix` and `merge` too) whose parameters come from
/// outside the checkout: (pointer, kind, where from).
fn remote_generators(base: &str, items: &[Value], out: &mut Vec<(String, String, &'static str)>) {
    for (i, g) in items.iter().enumerate() {
        let Some(obj) = g.as_object() else { continue };
        for (kind, v) in obj {
            let ptr = format!("{base}/{i}/{kind}");
            if matches!(kind.as_str(), "matrix" | "merge") {
                if let Some(Value::Array(inner)) = v.get("generators") {
                    remote_generators(&format!("{ptr}/generators"), inner, out);
                }
                continue;
            }
            if let Some((_, source)) = REMOTE.iter().find(|(k, _)| k == kind) {
                out.push((ptr, kind.clone(), source));
            }
        }
    }
}

/// One note per ApplicationSet naming every generator whose parameters come from outside the
/// checkout.
fn offline_note(meta: &RuleMeta, m: &Manifest, items: &[Value], out: &mut Vec<Finding>) {
    let mut remote = Vec::new();
    remote_generators("/spec/generators", items, &mut remote);
    let Some((first, _, _)) = remote.first() else {
        return;
    };
    let parts: Vec<String> = remote
        .iter()
        .map(|(ptr, kind, source)| format!("`{kind}` (line {}) from {source}", m.locate(ptr).line))
        .collect();
    let mut f = Finding::new(
        meta,
        format!(
            "ApplicationSet `{}` takes parameters from outside the checkout: {}. driftlens \
             generates only what the checkout and the dumps hold (cluster Secrets of both plus \
             `in-cluster`; nothing from SCM, pull-request, plugin or cluster-decision \
             services), so the Applications the cluster gets may differ. Check them in the \
             cluster (`argocd appset generate`), or use a `list` or `git` generator where the \
             set is known",
            m.key.name,
            parts.join("; ")
        ),
        m.locate(first),
    )
    .with_object(&m.key)
    .with_pointer(first.clone());
    for (ptr, kind, _) in &remote[1..] {
        f = f.with_related(m.locate(ptr), format!("the `{kind}` generator"));
    }
    f.severity = Severity::Note;
    out.push(f);
}

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for set in &ctx.repo.appsets {
        let m = ctx.repo.manifest(set.manifest);
        let spec = &set.value.spec;
        if spec.go_template
            && !spec
                .go_template_options
                .iter()
                .any(|o| o.trim() == "missingkey=error")
        {
            let other = spec
                .go_template_options
                .iter()
                .find(|o| o.trim().starts_with("missingkey="));
            let now = match other {
                Some(o) => format!("with `{o}`, which renders"),
                None => "without `missingkey=error`, so Go renders".to_string(),
            };
            let pointer = if other.is_some() {
                "/spec/goTemplateOptions"
            } else {
                "/spec/goTemplate"
            };
            out.push(
                Finding::new(
                    meta,
                    format!(
                        "ApplicationSet `{}` uses Go templates {now} a missing or misspelt \
                         parameter as `<no value>`: the Applications get names, paths or \
                         namespaces like `<no value>` instead of an error. Add \
                         `goTemplateOptions: [\"missingkey=error\"]`",
                        m.key.name
                    ),
                    m.locate(pointer),
                )
                .with_object(&m.key)
                .with_pointer(pointer),
            );
        }
        if let Some(Value::Array(items)) = m.obj.pointer("/spec/generators") {
            offline_note(meta, m, items, out);
        }
    }
}
