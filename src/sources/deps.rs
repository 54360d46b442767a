//! Chart dependencies that are not in a chart's `charts/` folder, found the way `helm
//! dependency build` would fetch them: the version `Chart.lock` pins (else the `version`
//! constraint, highest match), from the chart folders for `https://` and `oci://`
//! repositories and `@name` repositories of Helm's `repositories.yaml`, and from the checkout
//! for `file://` paths (which must stay inside the repository).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::charts::{locked_versions, ChartIndex};
use super::model::Fix;
use super::resolve::lexical_dir;
use crate::render::helm::chart::Dependency;

/// A dependency the renderer asked for, and what was found.
#[derive(Debug, Clone)]
struct Asked {
    name: String,
    repository: String,
    version: String,
    found: bool,
    why: String,
}

/// Finds the missing dependencies of one chart, and remembers which could not be found.
#[derive(Debug)]
pub struct DependencyFetch<'a> {
    index: &'a ChartIndex,
    chart_dir: PathBuf,
    /// The chart's path relative to the scan root, for commands.
    chart_rel: String,
    repo_root: PathBuf,
    locked: BTreeMap<String, String>,
    asked: Mutex<Vec<Asked>>,
}

impl<'a> DependencyFetch<'a> {
    /// For the chart at `chart_dir` (shown as `chart_rel`), inside the repository at
    /// `repo_root`.
    pub fn new(index: &'a ChartIndex, chart_dir: &Path, chart_rel: &str, repo_root: &Path) -> Self {
        DependencyFetch {
            index,
            chart_dir: chart_dir.to_path_buf(),
            chart_rel: chart_rel.to_string(),
            repo_root: repo_root.to_path_buf(),
            locked: if chart_dir.is_dir() {
                locked_versions(chart_dir)
            } else {
                BTreeMap::new()
            },
            asked: Mutex::new(Vec::new()),
        }
    }

    /// Where the dependency can be loaded from, if anywhere.
    pub fn fetch(&self, d: &Dependency) -> Option<PathBuf> {
        let version = self
            .locked
            .get(&d.name)
            .cloned()
            .unwrap_or_else(|| d.version.clone());
        let repo = d.repository.trim();
        let (found, why) = if let Some(rel) = repo.strip_prefix("file://") {
            self.local(rel)
        } else if repo.is_empty() {
            (
                None,
                "it has no `repository`, so it must be in `charts/`".to_string(),
            )
        } else {
            let url = match repo
                .strip_prefix('@')
                .or_else(|| repo.strip_prefix("alias:"))
            {
                Some(name) => self.index.named_repo(name).map(str::to_string),
                None => Some(repo.to_string()),
            };
            match self.index.find(url.as_deref(), &d.name, &version) {
                Ok(hit) => (Some(hit.path), String::new()),
                Err(miss) => (None, miss.reason),
            }
        };
        if let Ok(mut asked) = self.asked.lock() {
            asked.push(Asked {
                name: d.name.clone(),
                repository: repo.to_string(),
                version,
                found: found.is_some(),
                why,
            });
        }
        found
    }

    fn local(&self, rel: &str) -> (Option<PathBuf>, String) {
        let here = self
            .chart_dir
            .strip_prefix(&self.repo_root)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        let Some(target) = lexical_dir(&format!("{here}/{rel}")) else {
            return (None, format!("`file://{rel}` leaves the repository"));
        };
        let dir = self.repo_root.join(&target);
        if dir.join("Chart.yaml").is_file() {
            (Some(dir), String::new())
        } else {
            (None, format!("`file://{rel}` holds no chart ({target})"))
        }
    }

    /// Why the chart's dependencies are missing, and the commands that would fetch them
    /// (a dependency of a named or unknown repository needs `helm dependency build`).
    pub fn missing(&self) -> (String, Vec<Fix>) {
        let asked = self.asked.lock().map(|a| a.clone()).unwrap_or_default();
        let missing: Vec<&Asked> = asked.iter().filter(|a| !a.found).collect();
        if missing.is_empty() {
            // A dependency of a dependency: only Helm can fetch the whole tree.
            return (
                "a dependency of one of the chart's dependencies is missing".to_string(),
                vec![Fix::HelmDependencyBuild {
                    dir: self.chart_rel.clone(),
                }],
            );
        }
        let mut reasons = Vec::new();
        let mut fixes = Vec::new();
        for a in &missing {
            reasons.push(format!("`{}` {} ({})", a.name, a.version, a.why));
            let repo = a.repository.as_str();
            let version = (!a.version.is_empty()).then(|| a.version.clone());
            let fix = if repo.starts_with("file://") {
                continue;
            } else if repo.starts_with("oci://") {
                Fix::HelmPullOci {
                    reference: format!("{}/{}", repo.trim_end_matches('/'), a.name),
                    version,
                }
            } else if repo.starts_with("http://") || repo.starts_with("https://") {
                Fix::HelmPull {
                    repo_url: repo.to_string(),
                    chart: a.name.clone(),
                    version,
                }
            } else if let Some(url) = repo
                .strip_prefix('@')
                .or_else(|| repo.strip_prefix("alias:"))
                .and_then(|n| self.index.named_repo(n))
            {
                Fix::HelmPull {
                    repo_url: url.to_string(),
                    chart: a.name.clone(),
                    version,
                }
            } else {
                Fix::HelmDependencyBuild {
                    dir: self.chart_rel.clone(),
                }
            };
            if !fixes.contains(&fix) {
                fixes.push(fix);
            }
        }
        (
            format!(
                "dependencies missing from its `charts/` folder and from the chart folders: {}",
                reasons.join("; ")
            ),
            fixes,
        )
    }
}
