//! Helm `valueFiles` as Argo CD resolves them, across the sources of an Application.

use std::path::{Path, PathBuf};

use super::model::Place;
use super::resolve::lexical_dir;
use crate::model::argocd::ApplicationSource;
use crate::model::repo::Repo;

/// The files of a Helm source's `valueFiles`, in order, as Argo CD resolves them: relative to
/// the chart directory, `/…` from the root of the source's repository, `$ref/…` from the
/// repository of the source with that `ref`, `$ARGOCD_APP_*` variables substituted, globs
/// expanded (lexical order). A file that does not exist is kept (Helm then fails) unless
/// `ignoreMissingValueFiles` is set. An entry that leaves its repository, or that is a URL, is
/// an error.
pub fn value_files(
    repo: &Repo,
    ai: usize,
    si: usize,
    chart_dir: &Path,
    repo_root: &Path,
) -> Result<Vec<PathBuf>, String> {
    let app = &repo.apps[ai].value;
    let specs = app.spec.all_sources();
    let Some(src) = specs.get(si) else {
        return Ok(Vec::new());
    };
    let Some(helm) = &src.helm else {
        return Ok(Vec::new());
    };
    let infos = repo
        .app_sources
        .get(ai)
        .map(|a| a.sources.as_slice())
        .unwrap_or(&[]);
    let chart_rel = chart_dir
        .strip_prefix(repo_root)
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_default();
    let mut out = Vec::new();
    for raw in &helm.value_files {
        let f = substitute_app_vars(raw, app, src);
        if f.contains("://") {
            return Err(format!(
                "value file `{raw}` is a URL, which driftlens does not fetch"
            ));
        }
        let (root, rel) = if let Some(rest) = f.strip_prefix('$') {
            let (name, rel) = rest.split_once('/').unwrap_or((rest, ""));
            let Some(r) = infos.iter().find(|s| s.ref_name.as_deref() == Some(name)) else {
                return Err(format!(
                    "value file `{raw}` refers to `${name}`, but no source has `ref: {name}`"
                ));
            };
            let base = match &r.place {
                Some(Place::Checkout { .. }) => repo.root.clone(),
                Some(Place::Mapped { root_abs, .. }) => root_abs.clone(),
                Some(Place::Chart { .. }) => {
                    return Err(format!(
                        "value file `{raw}`: the source with `ref: {name}` is a chart, not a \
                         repository"
                    ))
                }
                None => {
                    return Err(format!(
                        "value file `{raw}`: the source with `ref: {name}` is not here"
                    ))
                }
            };
            (base, rel.to_string())
        } else if let Some(abs) = f.strip_prefix('/') {
            (repo_root.to_path_buf(), abs.to_string())
        } else {
            (repo_root.to_path_buf(), format!("{chart_rel}/{f}"))
        };
        let Some(rel) = lexical_dir(&rel) else {
            return Err(format!("value file `{raw}` leaves its repository"));
        };
        if rel.contains(['*', '?', '[']) {
            let mut matches = glob_files(&root, &rel);
            matches.sort();
            out.extend(matches);
            continue;
        }
        let p = root.join(&rel);
        if helm.ignore_missing_value_files && !p.is_file() {
            continue;
        }
        out.push(p);
    }
    Ok(out)
}

/// Argo CD's `$ARGOCD_APP_*` build environment in a value file name.
fn substitute_app_vars(
    f: &str,
    app: &crate::model::argocd::Application,
    src: &ApplicationSource,
) -> String {
    if !f.contains("$ARGOCD_APP_") && !f.contains("${ARGOCD_APP_") {
        return f.to_string();
    }
    let vars = [
        ("ARGOCD_APP_NAME", app.metadata.name.as_str()),
        (
            "ARGOCD_APP_NAMESPACE",
            app.spec.destination.namespace.as_str(),
        ),
        ("ARGOCD_APP_SOURCE_REPO_URL", src.repo_url.as_str()),
        ("ARGOCD_APP_SOURCE_PATH", src.path.as_deref().unwrap_or("")),
        (
            "ARGOCD_APP_SOURCE_TARGET_REVISION",
            src.target_revision.as_str(),
        ),
    ];
    let mut out = f.to_string();
    for (k, v) in vars {
        out = out
            .replace(&format!("${{{k}}}"), v)
            .replace(&format!("${k}"), v);
    }
    out
}

/// Files under `root` whose path relative to it matches the glob `pattern` (`**` crosses
/// directories).
fn glob_files(root: &Path, pattern: &str) -> Vec<PathBuf> {
    let Ok(glob) = globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
    else {
        return Vec::new();
    };
    let m = glob.compile_matcher();
    ignore::WalkBuilder::new(root)
        .max_depth(Some(64))
        .hidden(false)
        .git_ignore(false)
        .require_git(false)
        .build()
        .flatten()
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        .filter_map(|e| {
            let rel = e
                .path()
                .strip_prefix(root)
                .ok()?
                .to_string_lossy()
                .replace('\\', "/");
            m.is_match(&rel).then(|| e.path().to_path_buf())
        })
        .collect()
}
