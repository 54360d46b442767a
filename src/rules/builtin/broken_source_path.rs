//! `broken-source-path`: an Application source path or Helm value file that does not exist in
//! this checkout, and (as notes) manifests that no Application deploys. Documentation:
//! `rules/broken-source-path.md`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::model::argocd::{
    file_in_source, normalize_source_path, DirectoryFilter, DirectorySource,
};
use crate::model::object::Manifest;
use crate::rules::{Context, Finding, RuleMeta, Severity};

/// A repository URL as it identifies a checkout ([`crate::sources::url::repo_key`]).
pub fn normalize_repo(url: &str) -> String {
    crate::sources::url::repo_key(url)
}

/// Whether a directory (normalized, `.` for the root) exists as far as the checkout shows:
/// it holds a file that was read, it is or holds a chart/Kustomize directory, or it lies inside
/// one (whose files are not listed).
fn dir_exists(ctx: &Context<'_>, dir: &str) -> bool {
    if dir == "." {
        return true;
    }
    let prefix = format!("{dir}/");
    ctx.repo.files.iter().any(|f| f.path.starts_with(&prefix))
        || ctx.repo.units.iter().any(|u| {
            u.dir == dir || u.dir.starts_with(&prefix) || dir.starts_with(&format!("{}/", u.dir))
        })
        || ctx.repo.root.join(dir).is_dir()
}

/// Resolves `base/rel` lexically (`..` and `.`); `None` when it leaves the checkout.
fn join(base: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = if rel.starts_with('/') || base == "." {
        Vec::new()
    } else {
        base.split('/').collect()
    };
    for p in rel.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            x => parts.push(x),
        }
    }
    Some(parts.join("/"))
}

struct Src<'a> {
    ptr: String,
    value: &'a Value,
}

fn sources(m: &Manifest) -> Vec<Src<'_>> {
    match m.obj.pointer("/spec/sources") {
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .enumerate()
            .map(|(i, v)| Src {
                ptr: format!("/spec/sources/{i}"),
                value: v,
            })
            .collect(),
        _ => m
            .obj
            .pointer("/spec/source")
            .map(|v| Src {
                ptr: "/spec/source".into(),
                value: v,
            })
            .into_iter()
            .collect(),
    }
}

fn str_of<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

/// The (normalized) repository URLs that are this checkout, as the source resolution decided
/// ([`crate::sources`]: the checkout's remotes, `--repo-url`, or the URLs whose paths exist
/// here); for a checkout that was not rendered, those for which at least one Application source
/// has a path that exists here.
pub fn local_repos(ctx: &Context<'_>) -> BTreeSet<String> {
    if !ctx.repo.apps.is_empty() && ctx.repo.app_sources.len() == ctx.repo.apps.len() {
        return ctx
            .repo
            .checkout
            .urls
            .iter()
            .map(|u| normalize_repo(u))
            .collect();
    }
    let mut local: BTreeSet<String> = BTreeSet::new();
    for app in &ctx.repo.apps {
        for s in sources(ctx.repo.manifest(app.manifest)) {
            let path = str_of(s.value, "path");
            if s.value.get("chart").is_none()
                && !path.is_empty()
                && dir_exists(ctx, &normalize_source_path(path))
            {
                local.insert(normalize_repo(str_of(s.value, "repoURL")));
            }
        }
    }
    local
}

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    let local = local_repos(ctx);
    for app in &ctx.repo.apps {
        let m = ctx.repo.manifest(app.manifest);
        let srcs = sources(m);
        let refs: BTreeMap<&str, &str> = srcs
            .iter()
            .filter_map(|s| {
                let r = s.value.get("ref").and_then(Value::as_str)?;
                Some((r, str_of(s.value, "repoURL")))
            })
            .collect();
        for s in &srcs {
            let repo = normalize_repo(str_of(s.value, "repoURL"));
            if s.value.get("chart").is_some() {
                continue;
            }
            let path = str_of(s.value, "path");
            let is_local = local.contains(&repo);
            if is_local && !path.is_empty() && !path.contains("{{") {
                let dir = normalize_source_path(path);
                if !dir_exists(ctx, &dir) {
                    let ptr = format!("{}/path", s.ptr);
                    out.push(
                        Finding::new(
                            meta,
                            format!(
                                "Application `{}` deploys path `{path}` of this repository, but \
                                 the checkout has no directory `{dir}`: Argo CD fails to \
                                 generate manifests (`app path does not exist`) and the \
                                 Application stays Unknown. Fix the path (it is relative to the \
                                 repository root)",
                                app.value.metadata.name
                            ),
                            m.locate(&ptr),
                        )
                        .with_object(&m.key)
                        .with_pointer(ptr),
                    );
                    continue;
                }
            }
            let Some(helm) = s.value.get("helm") else {
                continue;
            };
            if helm
                .get("ignoreMissingValueFiles")
                .and_then(Value::as_bool)
                .unwrap_or(false)
            {
                continue;
            }
            let Some(Value::Array(files)) = helm.get("valueFiles") else {
                continue;
            };
            for (i, f) in files.iter().enumerate() {
                let Some(f) = f.as_str() else { continue };
                if f.contains("://") || f.contains(['*', '?', '[']) || f.contains("$ARGOCD") {
                    continue;
                }
                let resolved = if let Some(rest) = f.strip_prefix('$') {
                    let (name, rel) = rest.split_once('/').unwrap_or((rest, ""));
                    match refs.get(name) {
                        Some(r) if local.contains(&normalize_repo(r)) => join(".", rel),
                        Some(_) => continue,
                        None => {
                            let ptr = format!("{}/helm/valueFiles/{i}", s.ptr);
                            out.push(
                                Finding::new(
                                    meta,
                                    format!(
                                        "value file `{f}` refers to `${name}`, but no source of \
                                         Application `{}` has `ref: {name}`: Helm fails to render. \
                                         Add `ref: {name}` to the source that holds the file",
                                        app.value.metadata.name
                                    ),
                                    m.locate(&ptr),
                                )
                                .with_object(&m.key)
                                .with_pointer(ptr),
                            );
                            continue;
                        }
                    }
                } else if is_local && !path.is_empty() {
                    join(&normalize_source_path(path), f)
                } else {
                    continue;
                };
                let exists = resolved
                    .as_deref()
                    .is_some_and(|r| ctx.repo.root.join(r).is_file());
                if !exists {
                    let ptr = format!("{}/helm/valueFiles/{i}", s.ptr);
                    out.push(
                        Finding::new(
                            meta,
                            format!(
                                "value file `{f}` of Application `{}` does not exist in the \
                                 checkout (looked for `{}`): `helm template` fails and the \
                                 Application stays Unknown with a ComparisonError. Fix the path \
                                 (relative to the chart directory, `/…` from the repository \
                                 root, `$<ref>/…` from a `ref` source), or set \
                                 `ignoreMissingValueFiles: true` if it is optional",
                                app.value.metadata.name,
                                resolved.as_deref().unwrap_or("outside the checkout")
                            ),
                            m.locate(&ptr),
                        )
                        .with_object(&m.key)
                        .with_pointer(ptr),
                    );
                }
            }
        }
    }
    // Manifests no Application deploys, when Applications deploy from this checkout.
    if local.is_empty() {
        return;
    }
    // Plain directory sources of this checkout with `include`/`exclude` patterns: a file under
    // such a path that no Application deploys was left out by the patterns.
    struct Filtered<'a> {
        app: &'a str,
        manifest: usize,
        pointer: String,
        dir: String,
        recurse: bool,
        include_only: DirectoryFilter,
    }
    let mut filtered: Vec<Filtered<'_>> = Vec::new();
    for app in &ctx.repo.apps {
        let multi = !app.value.spec.sources.is_empty();
        for (si, s) in app.value.spec.all_sources().into_iter().enumerate() {
            let (Some(path), Some(d)) = (s.path.as_deref(), s.directory.as_ref()) else {
                continue;
            };
            if s.chart.is_some()
                || (d.include.trim().is_empty() && d.exclude.trim().is_empty())
                || !local.contains(&normalize_repo(&s.repo_url))
            {
                continue;
            }
            let dir = normalize_source_path(path);
            let include = DirectorySource {
                recurse: d.recurse,
                include: d.include.clone(),
                exclude: String::new(),
                jsonnet: None,
            };
            filtered.push(Filtered {
                app: &app.value.metadata.name,
                manifest: app.manifest,
                pointer: if multi {
                    format!("/spec/sources/{si}/directory")
                } else {
                    "/spec/source/directory".to_string()
                },
                include_only: DirectoryFilter::new(&dir, Some(&include)),
                dir,
                recurse: d.recurse,
            });
        }
    }
    let mut by_file: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, m) in ctx.repo.manifests.iter().enumerate() {
        let argo = m.key.group == "argoproj.io"
            && matches!(
                m.key.kind.as_str(),
                "Application" | "ApplicationSet" | "AppProject"
            );
        if argo || ctx.repo.settings_manifest == Some(i) || ctx.deployers.contains_key(&i) {
            continue;
        }
        by_file.entry(m.file.path.as_str()).or_default().push(i);
    }
    for (path, idx) in by_file {
        let m = ctx.repo.manifest(idx[0]);
        let what = if idx.len() == 1 {
            format!("{} `{}` is", m.key.kind, m.key.name)
        } else {
            format!("the {} objects of `{path}` are", idx.len())
        };
        let them = if idx.len() == 1 { "it" } else { "them" };
        let left_out = filtered
            .iter()
            .find(|s| file_in_source(path, &s.dir, s.recurse));
        let mut f = match left_out {
            Some(s) => {
                let pattern = if s.include_only.contains(path) {
                    "exclude"
                } else {
                    "include"
                };
                Finding::new(
                    meta,
                    format!(
                        "{what} under the source path `{}` of Application `{}`, but its \
                         `directory.{pattern}` pattern leaves {them} out, so Argo CD never \
                         applies {them}. Change the pattern if the file should be deployed, or \
                         move or delete the file if it is unused",
                        s.dir, s.app
                    ),
                    m.locate_kind(),
                )
                .with_related(
                    ctx.repo.manifest(s.manifest).locate(&s.pointer),
                    format!("the `directory` options of Application `{}`", s.app),
                )
            }
            None => Finding::new(
                meta,
                format!(
                    "{what} not under the source path of any Application in this checkout, so \
                     Argo CD never applies {them}. Move the file under an Application's path, \
                     point an Application at its directory, or delete it if it is unused (files \
                     referenced from a kustomization elsewhere are fine)"
                ),
                m.locate_kind(),
            ),
        }
        .with_object(&m.key);
        f.severity = Severity::Note;
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins() {
        assert_eq!(
            join("charts/web", "values-prod.yaml").as_deref(),
            Some("charts/web/values-prod.yaml")
        );
        assert_eq!(
            join("charts/web", "../common/v.yaml").as_deref(),
            Some("charts/common/v.yaml")
        );
        assert_eq!(
            join("charts/web", "/envs/prod.yaml").as_deref(),
            Some("envs/prod.yaml")
        );
        assert_eq!(join(".", "../x.yaml"), None);
    }
}
