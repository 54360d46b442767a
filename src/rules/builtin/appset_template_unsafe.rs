//! `appset-template-unsafe`: an ApplicationSet with `goTemplate: true` but without
//! `missingkey=error` in `goTemplateOptions`, so a missing parameter renders as `<no value>`
//! instead of failing; and (as notes) generators whose parameters cannot be known offline.
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

fn walk_generators(
    meta: &RuleMeta,
    m: &Manifest,
    base: &str,
    items: &[Value],
    out: &mut Vec<Finding>,
) {
    for (i, g) in items.iter().enumerate() {
        let Some(obj) = g.as_object() else { continue };
        for (kind, v) in obj {
            let ptr = format!("{base}/{i}/{kind}");
            if matches!(kind.as_str(), "matrix" | "merge") {
                if let Some(Value::Array(inner)) = v.get("generators") {
                    walk_generators(meta, m, &format!("{ptr}/generators"), inner, out);
                }
                continue;
            }
            let Some((_, source)) = REMOTE.iter().find(|(k, _)| k == kind) else {
                continue;
            };
            let mut f = Finding::new(
                meta,
                format!(
                    "the `{kind}` generator of ApplicationSet `{}` takes its parameters from \
                     {source}, which driftlens cannot read offline: the Applications it \
                     generates are not checked. Check them in the cluster (`argocd appset \
                     generate`), or use a `list` or `git` generator where the set is known",
                    m.key.name
                ),
                m.locate(&ptr),
            )
            .with_object(&m.key)
            .with_pointer(ptr);
            f.severity = Severity::Note;
            out.push(f);
        }
    }
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
            walk_generators(meta, m, "/spec/generators", items, out);
        }
    }
}
