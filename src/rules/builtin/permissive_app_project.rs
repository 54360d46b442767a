//! `permissive-app-project`: an Application in the `default` project, or an AppProject that
//! allows every source repository, every destination or every cluster-scoped kind.
//! Documentation: `rules/permissive-app-project.md`.

use serde_json::Value;

use crate::model::object::Manifest;
use crate::rules::{Context, Finding, RuleMeta};

fn check_app(meta: &RuleMeta, m: &Manifest, base: &str, out: &mut Vec<Finding>) {
    let pointer = format!("{base}/project");
    let project = m
        .obj
        .pointer(&pointer)
        .and_then(Value::as_str)
        .unwrap_or("");
    if project.contains("{{") || !(project.is_empty() || project == "default") {
        return;
    }
    let what = if project.is_empty() {
        "has no `project`, so it belongs to the `default` project"
    } else {
        "uses the `default` project"
    };
    out.push(
        Finding::new(
            meta,
            format!(
                "{} `{}` {what}, which allows any source repository, any destination and any \
                 kind unless someone restricted it; one Application can then deploy anything \
                 anywhere. Create an AppProject for the team with only the repositories, \
                 destinations and kinds it needs, and set `project: <name>`",
                m.key.kind, m.key.name
            ),
            m.locate(&pointer),
        )
        .with_object(&m.key)
        .with_pointer(pointer),
    );
}

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for app in &ctx.repo.apps {
        check_app(meta, ctx.repo.manifest(app.manifest), "/spec", out);
    }
    for set in &ctx.repo.appsets {
        check_app(
            meta,
            ctx.repo.manifest(set.manifest),
            "/spec/template/spec",
            out,
        );
    }
    for p in &ctx.repo.projects {
        let m = ctx.repo.manifest(p.manifest);
        let spec = &p.value.spec;
        let mut push = |pointer: String, message: String| {
            out.push(
                Finding::new(meta, message, m.locate(&pointer))
                    .with_object(&m.key)
                    .with_pointer(pointer),
            );
        };
        let name = &p.value.metadata.name;
        for (i, r) in spec.source_repos.iter().enumerate() {
            if r == "*" {
                push(
                    format!("/spec/sourceRepos/{i}"),
                    format!(
                        "AppProject `{name}` allows every source repository (`'*'`): any Git or \
                         Helm repository can be deployed through it. List the repositories \
                         (globs such as `https://git.example.com/team-a/*` are fine)"
                    ),
                );
            }
        }
        for (i, d) in spec.destinations.iter().enumerate() {
            let any_cluster = d.server == "*" || d.name == "*";
            if any_cluster && d.namespace == "*" {
                push(
                    format!(
                        "/spec/destinations/{i}/{}",
                        if d.server == "*" { "server" } else { "name" }
                    ),
                    format!(
                        "AppProject `{name}` allows every namespace of every cluster \
                         (`{}: '*'`, `namespace: '*'`), including `kube-system` and the Argo CD \
                         namespace. List the clusters and namespaces the project deploys to",
                        if d.server == "*" { "server" } else { "name" }
                    ),
                );
            }
        }
        for (i, gk) in spec.cluster_resource_whitelist.iter().enumerate() {
            if gk.group == "*" && gk.kind == "*" {
                push(
                    format!("/spec/clusterResourceWhitelist/{i}/group"),
                    format!(
                        "AppProject `{name}` allows every cluster-scoped kind (`group: '*'`, \
                         `kind: '*'`): its Applications can create ClusterRoles, \
                         ClusterRoleBindings, webhooks and CRDs, which is cluster admin. List \
                         only the kinds needed (e.g. `{{group: '', kind: Namespace}}`)"
                    ),
                );
            }
        }
    }
}
