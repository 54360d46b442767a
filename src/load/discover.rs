//! Repository discovery: which files of a checkout hold manifests, and which directories are
//! Helm charts or Kustomize directories.
//!
//! The walk uses the `ignore` crate, so `.gitignore`d files (absent from the clone Argo CD sees),
//! hidden entries and `.git` are skipped. Files under a chart belong to it and are never read
//! as plain manifests (values files and templates are not Kubernetes objects); files under a
//! Kustomize directory are set apart, and read as plain manifests only when no kustomization
//! uses them (patches are not Kubernetes objects, resources are built). Symbolic links are followed while they stay inside the checkout
//! ([`super::root`]); the others are listed in [`Discovery::escapes`] and not followed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use ignore::WalkBuilder;
use rayon::prelude::*;
use serde::Serialize;

use super::source::{read_text, FileError, SourceFile};
use super::yaml::{parse_stream, Document, YamlError};

/// What kind of rendering unit a directory is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UnitKind {
    /// A directory with `Chart.yaml`.
    Helm,
    /// A directory with `kustomization.yaml`, `kustomization.yml` or `Kustomization`.
    Kustomize,
}

/// A directory that must be rendered before its objects are known.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Unit {
    /// Chart or Kustomize.
    pub kind: UnitKind,
    /// Directory relative to the scan root (`.` for the root itself).
    pub dir: String,
}

/// The result of walking a checkout.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Manifest candidates (`*.yaml`, `*.yml`, `*.json` outside units), sorted.
    pub files: Vec<PathBuf>,
    /// Candidates inside Kustomize directories (kustomization files excluded), sorted: plain
    /// manifests only when no kustomization reads them ([`crate::render::kustomize`]).
    pub kustomize_files: Vec<PathBuf>,
    /// Charts (outermost only) and Kustomize directories (all of them), sorted.
    pub units: Vec<Unit>,
    /// Paths that could not be walked, with the reason.
    pub walk_errors: Vec<(String, String)>,
    /// Symbolic links that were not followed because they lead outside the checkout (or do not
    /// resolve), with the reason.
    pub escapes: Vec<(String, String)>,
}

/// Whether a file name looks like a manifest.
pub fn is_manifest_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".json")
}

/// Turns a path under `root` into the `/`-separated relative form reports use.
pub fn rel_path(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let s = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    if s.is_empty() {
        ".".to_string()
    } else {
        s
    }
}

/// The path an error of the walk is about.
fn error_path(e: &ignore::Error) -> Option<PathBuf> {
    match e {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::Loop { child, .. } => Some(child.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Partial(errs) => errs.iter().find_map(error_path),
        _ => None,
    }
}

/// Walks `root` and classifies what it finds.
pub fn discover(root: &Path) -> Discovery {
    let mut all_files: Vec<PathBuf> = Vec::new();
    let mut unit_dirs: BTreeSet<(PathBuf, UnitKind)> = BTreeSet::new();
    let mut walk_errors = Vec::new();
    let escapes = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let checkout = match super::root::CheckoutRoot::new(root) {
        Ok(c) => std::sync::Arc::new(c),
        Err(e) => {
            return Discovery {
                walk_errors: vec![(".".to_string(), e.to_string())],
                ..Discovery::default()
            }
        }
    };
    let walker = WalkBuilder::new(root)
        .hidden(true)
        .git_ignore(true)
        .git_global(false)
        .git_exclude(true)
        .require_git(false)
        .follow_links(true)
        .filter_entry({
            let (checkout, escapes) = (checkout.clone(), escapes.clone());
            let root = root.to_path_buf();
            move |e| {
                if !e.path_is_symlink() {
                    return true;
                }
                match checkout.check(e.path()) {
                    Ok(_) => true,
                    Err(why) => {
                        if let Ok(mut v) = escapes.lock() {
                            v.push((rel_path(&root, e.path()), why.to_string()));
                        }
                        false
                    }
                }
            }
        })
        .sort_by_file_name(|a, b| a.cmp(b))
        .build();
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let at = error_path(&e);
                // A link to an ancestor outside the checkout (`/`) shows up as a loop, a
                // dangling one as an error: both are links that are not followed.
                if let Some(p) = &at {
                    if let Err(why) = checkout.check_link(p) {
                        if let Ok(mut v) = escapes.lock() {
                            v.push((rel_path(root, p), why.to_string()));
                        }
                        continue;
                    }
                }
                let path = at.map_or_else(|| ".".to_string(), |p| rel_path(root, &p));
                walk_errors.push((path, e.to_string()));
                continue;
            }
        };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let name = entry.file_name().to_string_lossy();
        let parent = entry.path().parent().unwrap_or(root).to_path_buf();
        match name.as_ref() {
            "Chart.yaml" => {
                unit_dirs.insert((parent, UnitKind::Helm));
            }
            "kustomization.yaml" | "kustomization.yml" | "Kustomization" => {
                unit_dirs.insert((parent, UnitKind::Kustomize));
            }
            _ => {}
        }
        if is_manifest_name(&name) {
            all_files.push(entry.into_path());
        }
    }
    // A directory with both Chart.yaml and kustomization.yaml is a chart.
    let charts: BTreeSet<&PathBuf> = unit_dirs
        .iter()
        .filter(|(_, k)| *k == UnitKind::Helm)
        .map(|(d, _)| d)
        .collect();
    // Outermost charts only: a subchart, or a kustomization inside a chart, belongs to the
    // chart. Kustomizations nest (an overlay holds its bases, a repository root its
    // subfolders): every one of them is a unit, and none hides the others.
    let mut units: Vec<(PathBuf, UnitKind)> = Vec::new();
    for (dir, kind) in &unit_dirs {
        let in_chart = charts.iter().any(|d| dir.starts_with(d) && &dir != d);
        if in_chart || (*kind == UnitKind::Kustomize && charts.contains(dir)) {
            continue;
        }
        units.push((dir.clone(), *kind));
    }
    let in_chart = |f: &Path| {
        units
            .iter()
            .any(|(d, k)| *k == UnitKind::Helm && f.starts_with(d))
    };
    let in_kustomization = |f: &Path| {
        units
            .iter()
            .any(|(d, k)| *k == UnitKind::Kustomize && f.starts_with(d))
    };
    let mut files = Vec::new();
    let mut kustomize_files = Vec::new();
    for f in all_files {
        if in_chart(&f) || is_kustomization_file(&f) {
            continue;
        }
        if in_kustomization(&f) {
            kustomize_files.push(f);
        } else {
            files.push(f);
        }
    }
    let mut units: Vec<Unit> = units
        .into_iter()
        .map(|(dir, kind)| Unit {
            kind,
            dir: rel_path(root, &dir),
        })
        .collect();
    units.sort();
    let mut escapes = escapes.lock().map(|v| v.clone()).unwrap_or_default();
    escapes.sort();
    Discovery {
        files,
        kustomize_files,
        units,
        walk_errors,
        escapes,
    }
}

/// Whether a file is a kustomization file (never a manifest).
pub fn is_kustomization_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| KUSTOMIZATION_FILES.contains(&n))
}

/// The names of a kustomization file.
pub const KUSTOMIZATION_FILES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// One file read and parsed.
#[derive(Debug)]
pub struct ParsedFile {
    /// The file.
    pub file: std::sync::Arc<SourceFile>,
    /// Its documents (up to a syntax error).
    pub docs: Vec<Document>,
    /// The syntax error that stopped parsing, if any.
    pub error: Option<YamlError>,
}

/// Reads and parses files in parallel. The result keeps the order of `paths`.
pub fn parse_files(
    root: &Path,
    paths: &[PathBuf],
    max_file_size: u64,
) -> Vec<Result<ParsedFile, (String, FileError)>> {
    paths
        .par_iter()
        .map(|p| {
            let rel = rel_path(root, p);
            let text = read_text(p, max_file_size).map_err(|e| (rel.clone(), e))?;
            let (docs, error) = parse_stream(&text);
            Ok(ParsedFile {
                file: std::sync::Arc::new(SourceFile {
                    path: rel,
                    abs: p.clone(),
                    text: text.into(),
                }),
                docs,
                error,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_hide_their_files_kustomizations_set_theirs_apart_and_gitignore_is_honoured() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let w = |p: &str, s: &str| {
            let p = root.join(p);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, s).expect("write");
        };
        w("apps/web/deploy.yaml", "kind: Deployment\n");
        w("charts/api/Chart.yaml", "name: api\n");
        w("charts/api/values.yaml", "a: 1\n");
        w("charts/api/templates/d.yaml", "x\n");
        w("charts/api/charts/sub/Chart.yaml", "name: sub\n");
        w("overlays/prod/kustomization.yaml", "resources: []\n");
        w("overlays/prod/patch.yaml", "spec: {}\n");
        w("overlays/prod/base/kustomization.yml", "resources: []\n");
        w("charts/api/kustomization.yaml", "resources: []\n");
        w(
            "charts/api/templates/k/kustomization.yaml",
            "resources: []\n",
        );
        w("vendor/x.yaml", "kind: X\n");
        w(".gitignore", "vendor/\n");
        w(".github/workflows/ci.yml", "on: push\n");
        w("README.md", "# hi\n");
        let d = discover(root);
        let files: Vec<String> = d.files.iter().map(|f| rel_path(root, f)).collect();
        assert_eq!(files, vec!["apps/web/deploy.yaml"]);
        assert!(d.escapes.is_empty());
        assert_eq!(
            d.units,
            vec![
                Unit {
                    kind: UnitKind::Helm,
                    dir: "charts/api".into()
                },
                Unit {
                    kind: UnitKind::Kustomize,
                    dir: "overlays/prod".into()
                },
                Unit {
                    kind: UnitKind::Kustomize,
                    dir: "overlays/prod/base".into()
                },
            ]
        );
        let set_apart: Vec<String> = d
            .kustomize_files
            .iter()
            .map(|f| rel_path(root, f))
            .collect();
        assert_eq!(set_apart, vec!["overlays/prod/patch.yaml"]);
    }

    #[cfg(unix)]
    #[test]
    fn links_inside_are_followed_and_links_outside_are_reported() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("repo");
        let w = |p: &Path, s: &str| {
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, s).expect("write");
        };
        w(&root.join("base/cm.yaml"), "kind: ConfigMap\n");
        w(&dir.path().join("elsewhere/secret.yaml"), "kind: Secret\n");
        let ln = |target: &Path, link: &str| {
            std::os::unix::fs::symlink(target, root.join(link)).expect("symlink");
        };
        ln(&root.join("base"), "linked-dir");
        ln(&root.join("base/cm.yaml"), "linked.yaml");
        ln(Path::new("/"), "slash");
        ln(Path::new("/etc"), "etc");
        ln(&dir.path().join("elsewhere"), "outside");
        ln(&dir.path().join("elsewhere/secret.yaml"), "outside.yaml");
        ln(&root.join("missing.yaml"), "dangling.yaml");
        let d = discover(&root);
        let files: Vec<String> = d.files.iter().map(|f| rel_path(&root, f)).collect();
        assert_eq!(
            files,
            vec!["base/cm.yaml", "linked-dir/cm.yaml", "linked.yaml"]
        );
        let escaped: Vec<&str> = d.escapes.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            escaped,
            vec!["dangling.yaml", "etc", "outside", "outside.yaml", "slash"]
        );
        assert!(d
            .escapes
            .iter()
            .all(|(_, why)| why.contains("outside the checkout")
                || why.contains("cannot be resolved")));
    }
}
