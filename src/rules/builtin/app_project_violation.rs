//! `app-project-violation`: an Application that its AppProject does not permit — a source
//! repository outside `sourceRepos`, a destination outside `destinations`, or a kind it deploys
//! that the project's resource allow/deny lists refuse — and Applications whose project is not
//! in the checkout. Argo CD refuses such syncs at runtime. Documentation:
//! `rules/app-project-violation.md`.

use serde_json::Value;

use crate::model::argocd::{AppProject, Application, Destination, GroupKind};
use crate::model::object::Manifest;
use crate::rules::context::{glob_match, glob_match_sep};
use crate::rules::{Context, Finding, RuleMeta, Severity};

const IN_CLUSTER_SERVER: &str = "https://kubernetes.default.svc";
const IN_CLUSTER_NAME: &str = "in-cluster";

/// Argo CD's glob with `!` negation: a `!pattern` matches what `pattern` does not.
fn neg_match(pattern: &str, text: &str, sep: Option<char>) -> bool {
    let (negated, p) = match pattern.strip_prefix('!') {
        Some(p) => (true, p),
        None => (false, pattern),
    };
    let m = match sep {
        _ if p == "*" && !negated => true,
        Some(s) => glob_match_sep(p, text, s),
        None => glob_match(p, text),
    };
    m != negated
}

/// A repository URL as Argo CD compares them (lower case, no trailing `/` or `.git`).
fn normalize_repo(url: &str) -> String {
    let u = url.trim().to_ascii_lowercase();
    let u = u.trim_end_matches('/');
    u.strip_suffix(".git").unwrap_or(u).to_string()
}

/// `AppProject.IsSourcePermitted`.
pub fn source_permitted(project: &AppProject, repo_url: &str) -> bool {
    let src = normalize_repo(repo_url);
    let mut any = false;
    for pattern in &project.spec.source_repos {
        let deny = pattern.starts_with('!');
        let p = if deny {
            format!("!{}", normalize_repo(&pattern[1..]))
        } else {
            normalize_repo(pattern)
        };
        if neg_match(&p, &src, Some('/')) {
            any = true;
        } else if deny {
            return false;
        }
    }
    any
}

/// `AppProject.IsDestinationPermitted`; `None` when it cannot be decided offline (the app names
/// a cluster by name and the project by server, or the other way round).
pub fn destination_permitted(
    project: &AppProject,
    dst: &Destination,
    namespace: &str,
) -> Option<bool> {
    let server = if dst.server.is_empty() && dst.name == IN_CLUSTER_NAME {
        IN_CLUSTER_SERVER
    } else {
        dst.server.as_str()
    };
    let name = if dst.name.is_empty() && dst.server == IN_CLUSTER_SERVER {
        IN_CLUSTER_NAME
    } else {
        dst.name.as_str()
    };
    let mut any = false;
    let mut undecided = false;
    for item in &project.spec.destinations {
        let server_matched = !server.is_empty() && neg_match(&item.server, server, None);
        let name_matched = !name.is_empty() && neg_match(&item.name, name, None);
        let ns_matched = neg_match(&item.namespace, namespace, None);
        if (server_matched || name_matched) && ns_matched {
            any = true;
        } else if (!server_matched && item.server.starts_with('!') && !server.is_empty())
            || (!name_matched && item.name.starts_with('!') && !name.is_empty())
            || (!ns_matched && item.namespace.starts_with('!'))
        {
            return Some(false);
        } else if ns_matched
            && ((server.is_empty() && !item.server.is_empty())
                || (name.is_empty() && !item.name.is_empty()))
        {
            undecided = true;
        }
    }
    if any {
        Some(true)
    } else if undecided {
        None
    } else {
        Some(false)
    }
}

fn in_list(gk: (&str, &str), list: &[GroupKind]) -> bool {
    list.iter()
        .any(|e| glob_match(&e.group, gk.0) && glob_match(&e.kind, gk.1))
}

/// `AppProject.IsGroupKindPermitted`; `raw` is the project's JSON (a namespaced whitelist that
/// is absent allows everything, an empty one nothing).
pub fn kind_permitted(
    project: &AppProject,
    raw: &Value,
    group: &str,
    kind: &str,
    namespaced: bool,
) -> bool {
    let s = &project.spec;
    if namespaced {
        let white = raw
            .pointer("/spec/namespaceResourceWhitelist")
            .is_none_or(Value::is_null)
            || (!s.namespace_resource_whitelist.is_empty()
                && in_list((group, kind), &s.namespace_resource_whitelist));
        white && !in_list((group, kind), &s.namespace_resource_blacklist)
    } else {
        in_list((group, kind), &s.cluster_resource_whitelist)
            && !in_list((group, kind), &s.cluster_resource_blacklist)
    }
}

fn source_pointers(m: &Manifest) -> Vec<String> {
    match m.obj.pointer("/spec/sources") {
        Some(Value::Array(items)) if !items.is_empty() => (0..items.len())
            .map(|i| format!("/spec/sources/{i}"))
            .collect(),
        _ => vec!["/spec/source".to_string()],
    }
}

fn check_app(
    meta: &RuleMeta,
    ctx: &Context<'_>,
    ai: usize,
    app: &Application,
    am: &Manifest,
    out: &mut Vec<Finding>,
) {
    let name = if app.spec.project.is_empty() {
        "default"
    } else {
        app.spec.project.as_str()
    };
    let Some(project) = ctx
        .repo
        .projects
        .iter()
        .find(|p| p.value.metadata.name == name)
    else {
        if name != "default" {
            let mut f = Finding::new(
                meta,
                format!(
                    "Application `{}` uses AppProject `{name}`, which is not in this checkout, so \
                     its source, destination and kinds cannot be checked against it. If the \
                     project lives in another repository this is fine; otherwise a misspelt \
                     project makes Argo CD refuse every sync (`application references project \
                     {name} which does not exist`)",
                    app.metadata.name
                ),
                am.locate("/spec/project"),
            )
            .with_object(&am.key)
            .with_pointer("/spec/project");
            f.severity = Severity::Note;
            out.push(f);
        }
        return;
    };
    let pm = ctx.repo.manifest(project.manifest);
    let p = &project.value;
    let app_name = &app.metadata.name;
    let mut push = |loc_ptr: String, related_ptr: &str, related: &str, message: String| {
        out.push(
            Finding::new(meta, message, am.locate(&loc_ptr))
                .with_object(&am.key)
                .with_pointer(loc_ptr)
                .with_related(pm.locate(related_ptr), related.to_string()),
        );
    };
    for (src, ptr) in app.spec.all_sources().into_iter().zip(source_pointers(am)) {
        if src.repo_url.is_empty() || source_permitted(p, &src.repo_url) {
            continue;
        }
        push(
            format!("{ptr}/repoURL"),
            "/spec/sourceRepos",
            "the project's allowed source repositories",
            format!(
                "AppProject `{name}` does not allow the source repository `{}` of Application \
                 `{app_name}`: Argo CD refuses to sync it (`application repo {} is not permitted \
                 in project '{name}'`). Add the repository (or a glob such as `{}/*`) to the \
                 project's `sourceRepos`, or use the right project",
                src.repo_url,
                src.repo_url,
                src.repo_url
                    .trim_end_matches('/')
                    .rsplit_once('/')
                    .map_or(src.repo_url.as_str(), |(b, _)| b)
            ),
        );
    }
    let dst = &app.spec.destination;
    if destination_permitted(p, dst, &dst.namespace) == Some(false) {
        let cluster = if dst.server.is_empty() {
            format!("name: {}", dst.name)
        } else {
            format!("server: {}", dst.server)
        };
        push(
            "/spec/destination".to_string(),
            "/spec/destinations",
            "the project's allowed destinations",
            format!(
                "AppProject `{name}` does not allow Application `{app_name}` to deploy to \
                 `{cluster}`, namespace `{}`: Argo CD refuses to sync it. Add `{{{cluster}, \
                 namespace: {}}}` to the project's `destinations`, or change the destination",
                dst.namespace,
                if dst.namespace.is_empty() {
                    "''"
                } else {
                    dst.namespace.as_str()
                }
            ),
        );
    }
    for (&mi, apps) in ctx.deployers.iter() {
        if !apps.contains(&ai) {
            continue;
        }
        let m = ctx.repo.manifest(mi);
        let namespaced = !ctx.is_cluster_scoped(&m.key.group, &m.key.kind);
        if !kind_permitted(p, &pm.obj, &m.key.group, &m.key.kind, namespaced) {
            let (white, black, black_list) = if namespaced {
                (
                    "namespaceResourceWhitelist",
                    "namespaceResourceBlacklist",
                    &p.spec.namespace_resource_blacklist,
                )
            } else {
                (
                    "clusterResourceWhitelist",
                    "clusterResourceBlacklist",
                    &p.spec.cluster_resource_blacklist,
                )
            };
            let gk = (m.key.group.as_str(), m.key.kind.as_str());
            let (why, fix, list) = if in_list(gk, black_list) {
                (
                    format!("its `{black}` denies it"),
                    format!("remove the matching entry from `{black}`"),
                    black,
                )
            } else {
                (
                    format!("it is not in its `{white}`"),
                    format!(
                        "add `{{group: '{}', kind: {}}}` to `{white}`",
                        m.key.group, m.key.kind
                    ),
                    white,
                )
            };
            out.push(
                Finding::new(
                    meta,
                    format!(
                        "Application `{app_name}` deploys {} `{}`, but AppProject `{name}` does not \
                         permit the {} kind `{}` ({why}): the sync fails with `resource {}:{} is \
                         not permitted in project {name}`. In the project, {fix}, or deploy the \
                         object from another project",
                        m.key.kind,
                        m.key.name,
                        if namespaced { "namespaced" } else { "cluster-scoped" },
                        m.key.group_kind(),
                        m.key.group,
                        m.key.kind,
                    ),
                    m.locate_kind(),
                )
                .with_object(&m.key)
                .with_related(
                    pm.locate(&format!("/spec/{list}")),
                    "the project's resource list",
                )
                .with_related(am.locate("/spec/project"), format!("Application `{app_name}`")),
            );
        } else if namespaced
            && !m.key.namespace.is_empty()
            && m.key.namespace != dst.namespace
            && destination_permitted(p, dst, &m.key.namespace) == Some(false)
        {
            out.push(
                Finding::new(
                    meta,
                    format!(
                        "{} `{}` is deployed by Application `{app_name}` into namespace `{}`, \
                         which AppProject `{name}` does not allow on this cluster: the sync \
                         fails. Add the namespace to the project's `destinations`, or drop \
                         `metadata.namespace` so the object goes to `{}`",
                        m.key.kind, m.key.name, m.key.namespace, dst.namespace
                    ),
                    m.locate("/metadata/namespace"),
                )
                .with_object(&m.key)
                .with_pointer("/metadata/namespace")
                .with_related(
                    pm.locate("/spec/destinations"),
                    "the project's allowed destinations",
                ),
            );
        }
    }
}

/// Checks the literal (untemplated) source repositories and destination of an ApplicationSet
/// template against its project.
fn check_appset(meta: &RuleMeta, ctx: &Context<'_>, m: &Manifest, out: &mut Vec<Finding>) {
    let base = "/spec/template/spec";
    let Some(spec) = m.obj.pointer(base) else {
        return;
    };
    let templated = |v: &Value| v.as_str().is_some_and(|s| s.contains("{{"));
    let project = spec.get("project").cloned().unwrap_or(Value::Null);
    if templated(&project) {
        return;
    }
    let name = project
        .as_str()
        .filter(|s| !s.is_empty())
        .unwrap_or("default");
    let Some(p) = ctx
        .repo
        .projects
        .iter()
        .find(|p| p.value.metadata.name == name)
    else {
        return;
    };
    let pm = ctx.repo.manifest(p.manifest);
    let set = &m.key.name;
    let mut sources: Vec<(String, &Value)> = Vec::new();
    match spec.get("sources") {
        Some(Value::Array(items)) if !items.is_empty() => {
            for (i, s) in items.iter().enumerate() {
                sources.push((format!("{base}/sources/{i}"), s));
            }
        }
        _ => {
            if let Some(s) = spec.get("source") {
                sources.push((format!("{base}/source"), s));
            }
        }
    }
    for (ptr, s) in sources {
        let Some(url) = s
            .get("repoURL")
            .filter(|v| !templated(v))
            .and_then(Value::as_str)
        else {
            continue;
        };
        if url.is_empty() || source_permitted(&p.value, url) {
            continue;
        }
        let ptr = format!("{ptr}/repoURL");
        out.push(
            Finding::new(
                meta,
                format!(
                    "AppProject `{name}` does not allow the source repository `{url}` of the \
                     Applications ApplicationSet `{set}` generates: every one of them is refused \
                     at sync time. Add the repository to the project's `sourceRepos`, or use the \
                     right project"
                ),
                m.locate(&ptr),
            )
            .with_object(&m.key)
            .with_pointer(ptr)
            .with_related(
                pm.locate("/spec/sourceRepos"),
                "the project's allowed source repositories",
            ),
        );
    }
    let Some(dst_json) = spec.get("destination") else {
        return;
    };
    if ["server", "name", "namespace"]
        .iter()
        .any(|k| dst_json.get(*k).is_some_and(templated))
    {
        return;
    }
    let Ok(dst) = crate::model::argocd::from_json::<Destination>(dst_json) else {
        return;
    };
    if destination_permitted(&p.value, &dst, &dst.namespace) == Some(false) {
        let cluster = if dst.server.is_empty() {
            format!("name: {}", dst.name)
        } else {
            format!("server: {}", dst.server)
        };
        let ptr = format!("{base}/destination");
        out.push(
            Finding::new(
                meta,
                format!(
                    "AppProject `{name}` does not allow the destination `{cluster}`, namespace `{}` of \
                     the Applications ApplicationSet `{set}` generates: every one of them is \
                     refused at sync time. Add it to the project's `destinations`, or change the \
                     template",
                    dst.namespace
                ),
                m.locate(&ptr),
            )
            .with_object(&m.key)
            .with_pointer(ptr)
            .with_related(
                pm.locate("/spec/destinations"),
                "the project's allowed destinations",
            ),
        );
    }
}

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for set in &ctx.repo.appsets {
        check_appset(meta, ctx, ctx.repo.manifest(set.manifest), out);
    }
    for (ai, app) in ctx.repo.apps.iter().enumerate() {
        check_app(
            meta,
            ctx,
            ai,
            &app.value,
            ctx.repo.manifest(app.manifest),
            out,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(json: serde_json::Value) -> AppProject {
        crate::model::argocd::from_json(&json).expect("project")
    }

    #[test]
    fn sources_destinations_and_kinds() {
        let p = project(serde_json::json!({"spec": {
            "sourceRepos": ["https://git.example.com/team/*", "!https://git.example.com/team/secret"],
            "destinations": [{"server": "https://kubernetes.default.svc", "namespace": "team-*"}],
            "clusterResourceWhitelist": [{"group": "", "kind": "Namespace"}],
            "namespaceResourceBlacklist": [{"group": "", "kind": "ResourceQuota"}]
        }}));
        assert!(source_permitted(&p, "https://git.example.com/team/app.git"));
        assert!(!source_permitted(&p, "https://git.example.com/team/secret"));
        // As in Argo CD, a deny pattern that does not match counts as a match.
        assert!(source_permitted(&p, "https://git.example.com/other/app"));
        let strict = project(
            serde_json::json!({"spec": {"sourceRepos": ["https://git.example.com/team/*"]}}),
        );
        assert!(!source_permitted(
            &strict,
            "https://git.example.com/other/app"
        ));
        assert!(!source_permitted(
            &strict,
            "https://git.example.com/team/a/b"
        ));
        let d = |server: &str, name: &str| Destination {
            server: server.into(),
            name: name.into(),
            namespace: String::new(),
        };
        assert_eq!(
            destination_permitted(&p, &d("https://kubernetes.default.svc", ""), "team-a"),
            Some(true)
        );
        assert_eq!(
            destination_permitted(&p, &d("", "in-cluster"), "team-a"),
            Some(true)
        );
        assert_eq!(destination_permitted(&p, &d("", "prod"), "team-a"), None);
        assert_eq!(
            destination_permitted(&p, &d("https://kubernetes.default.svc", ""), "kube-system"),
            Some(false)
        );
        let raw = serde_json::json!({"spec": {}});
        assert!(kind_permitted(&p, &raw, "", "Namespace", false));
        assert!(!kind_permitted(
            &p,
            &raw,
            "rbac.authorization.k8s.io",
            "ClusterRole",
            false
        ));
        assert!(kind_permitted(&p, &raw, "apps", "Deployment", true));
        assert!(!kind_permitted(&p, &raw, "", "ResourceQuota", true));
    }
}
