//! `ignore-differences-dead-or-broad`: an Application `ignoreDifferences` entry that matches no
//! object the Application deploys, or an entry for every kind that ignores a whole top-level
//! field (`/spec`, `/data`, `/metadata`…). Documentation:
//! `rules/ignore-differences-dead-or-broad.md`.

use crate::model::argocd::IgnoreDifference;
use crate::rules::context::{ignore_rule_matches, ignore_sites, IgnoreOrigin, IgnoreSite};
use crate::rules::{Context, Finding, RuleMeta};

const BROAD_POINTERS: &[&str] = &["", "/", "/spec", "/data", "/stringData", "/metadata"];
const BROAD_JQ: &[&str] = &[".", ".spec", ".data", ".stringData", ".metadata"];

/// The whole-object or top-level fields an entry ignores, if it is broad.
fn broad_fields(r: &IgnoreDifference) -> Vec<String> {
    let mut out: Vec<String> = r
        .json_pointers
        .iter()
        .filter(|p| BROAD_POINTERS.contains(&p.trim_end_matches('/')) || p.as_str() == "/")
        .map(|p| format!("`{p}`"))
        .collect();
    out.extend(
        r.jq_path_expressions
            .iter()
            .filter(|e| BROAD_JQ.contains(&e.trim()))
            .map(|e| format!("`{e}`")),
    );
    out
}

fn check_site(meta: &RuleMeta, ctx: &Context<'_>, site: &IgnoreSite, out: &mut Vec<Finding>) {
    let m = ctx.repo.manifest(site.manifest);
    let r = &site.rule;
    let templated = |s: &str| s.contains("{{");
    if templated(&r.group) || templated(&r.kind) {
        return;
    }
    let broad = broad_fields(r);
    let at = if site.structured {
        format!("{}/kind", site.pointer)
    } else {
        site.pointer.clone()
    };
    if (r.kind.contains('*') || r.group.contains('*')) && r.name.is_empty() && !broad.is_empty() {
        let scope = if r.group == "*" && r.kind == "*" {
            "every kind of every group".to_string()
        } else {
            format!("every object of kind `{}` in group `{}`", r.kind, r.group)
        };
        let ptr = at.clone();
        out.push(
            Finding::new(
                meta,
                format!(
                    "this ignore rule applies to {scope} and ignores {} — all drift in those \
                     fields, including changed Secret data, RBAC rules or images, is hidden and \
                     never synced back. Name the `group`, `kind` (and `name`) it is meant for and \
                     the exact field, e.g. `jsonPointers: [/spec/replicas]`",
                    broad.join(", ")
                ),
                m.locate(&ptr),
            )
            .with_object(&m.key)
            .with_pointer(ptr),
        );
    }
    let IgnoreOrigin::App(ai) = site.origin else {
        return;
    };
    if r.group.contains('/') || r.kind.starts_with(|c: char| c.is_ascii_lowercase()) {
        return; // malformed: reported by ignore-differences-malformed
    }
    if !ctx.app_sources_known(ai) {
        return;
    }
    let app = &ctx.repo.apps[ai].value;
    let deployed: Vec<usize> = ctx
        .deployers
        .iter()
        .filter(|(_, apps)| apps.contains(&ai))
        .map(|(&mi, _)| mi)
        .collect();
    if deployed.is_empty() {
        return;
    }
    let matched = deployed.iter().any(|&mi| {
        let key = ctx.effective_key(ctx.repo.manifest(mi), app);
        ignore_rule_matches(r, &key)
    });
    if matched {
        return;
    }
    let mut same_kind: Vec<String> = deployed
        .iter()
        .map(|&mi| ctx.repo.manifest(mi))
        .filter(|d| crate::rules::context::glob_match(&r.kind, &d.key.kind))
        .map(|d| {
            let k = ctx.effective_key(d, app);
            let g = if k.group.is_empty() { "\"\"" } else { &k.group };
            format!(
                "group `{g}`, namespace `{}`, name `{}`",
                k.namespace, k.name
            )
        })
        .collect();
    same_kind.sort();
    same_kind.dedup();
    let hint = if same_kind.is_empty() {
        format!("the Application deploys no `{}`", r.kind)
    } else {
        format!(
            "its `{}` objects have {}",
            r.kind,
            same_kind
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join("; ")
        )
    };
    let group = if r.group.is_empty() {
        "\"\"".to_string()
    } else {
        r.group.clone()
    };
    let mut want = vec![format!("group `{group}`"), format!("kind `{}`", r.kind)];
    if !r.namespace.is_empty() {
        want.push(format!("namespace `{}`", r.namespace));
    }
    if !r.name.is_empty() {
        want.push(format!("name `{}`", r.name));
    }
    out.push(
        Finding::new(
            meta,
            format!(
                "this ignore rule ({}) matches none of the {} objects Application `{}` deploys \
                 ({hint}), so it ignores nothing: a typo keeps the drift it was written for, a \
                 leftover hides drift once a matching object appears. Fix the match (an empty \
                 `group` means the core group) or delete the entry",
                want.join(", "),
                deployed.len(),
                app.metadata.name
            ),
            m.locate(&at),
        )
        .with_object(&m.key)
        .with_pointer(at.clone()),
    );
}

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for site in ignore_sites(ctx.repo) {
        check_site(meta, ctx, &site, out);
    }
}
