//! Chart folders: the charts driftlens may use for Application sources of Helm and OCI
//! repositories, and for chart dependencies, without a connection.
//!
//! A chart folder (`--charts DIR`, `charts:` in `.driftlens.yaml`) holds charts the way `helm
//! pull` writes them: `NAME-VERSION.tgz` archives and untarred `NAME/` folders (the version is
//! read from `Chart.yaml`), in any sub-folder. Helm's own cache (`$HELM_CACHE_HOME/repository`)
//! is a chart folder too; its `NAME-index.yaml` files, with the repository URLs of Helm's
//! `repositories.yaml`, tell which repository each archive came from and which versions that
//! repository had when it was last updated.
//!
//! A chart is chosen the way Argo CD and Helm choose one: a `targetRevision` that is a version
//! pins it (exactly, then by semantic equality); anything else is a constraint (`6.5.*`,
//! `>=6.0.0 <7.0.0`, `^1.2`) and the highest matching version wins, prereleases only when the
//! constraint names one (Masterminds/semver rules, [`crate::render::gotmpl::funcs::semver`]).
//! When an index of the Application's repository is known, the version is chosen among the
//! versions it lists, as Argo CD would choose it from the live index; otherwise among the
//! versions the folders hold, and the source says so.
//!
//! Budgets: folders are walked at most [`MAX_DEPTH`] deep and [`MAX_ENTRIES`] entries in all;
//! an archive's `Chart.yaml` is read from its first [`MAX_ARCHIVE_SCAN`] bytes.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::Serialize;
use serde_json::Value;

use super::url::repo_key;
use crate::render::gotmpl::funcs::semver;

/// Deepest folder level walked below a chart folder.
pub const MAX_DEPTH: usize = 8;
/// Most directory entries looked at in all chart folders.
pub const MAX_ENTRIES: usize = 200_000;
/// Most bytes of an archive decompressed to find its `Chart.yaml`.
pub const MAX_ARCHIVE_SCAN: u64 = 64 << 20;
/// Largest `index.yaml` or `Chart.yaml`/`Chart.lock` read.
pub const MAX_META_FILE: u64 = 256 << 20;

/// Where a chart was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChartOrigin {
    /// A folder given with `--charts` or in `.driftlens.yaml`.
    Folder,
    /// Helm's repository cache.
    HelmCache,
}

/// Helm's cache and the configuration that names its repositories.
#[derive(Debug, Clone, Default)]
pub struct HelmCache {
    /// `$HELM_CACHE_HOME/repository` (or `$HELM_REPOSITORY_CACHE`).
    pub repository_cache: PathBuf,
    /// `$HELM_CONFIG_HOME/repositories.yaml` (or `$HELM_REPOSITORY_CONFIG`).
    pub repositories: Option<PathBuf>,
}

impl HelmCache {
    /// Helm's cache as Helm finds it from the environment (`HELM_REPOSITORY_CACHE`,
    /// `HELM_CACHE_HOME`, `XDG_CACHE_HOME`, `HOME`), when that folder exists.
    pub fn from_env() -> Option<HelmCache> {
        let env = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let home = env("HOME");
        let cache_home = env("HELM_CACHE_HOME").or_else(|| {
            env("XDG_CACHE_HOME")
                .or_else(|| home.as_ref().map(|h| h.join(".cache")))
                .map(|c| c.join("helm"))
        });
        let repository_cache =
            env("HELM_REPOSITORY_CACHE").or_else(|| cache_home.map(|c| c.join("repository")))?;
        if !repository_cache.is_dir() {
            return None;
        }
        let config_home = env("HELM_CONFIG_HOME").or_else(|| {
            env("XDG_CONFIG_HOME")
                .or_else(|| home.as_ref().map(|h| h.join(".config")))
                .map(|c| c.join("helm"))
        });
        let repositories = env("HELM_REPOSITORY_CONFIG")
            .or_else(|| config_home.map(|c| c.join("repositories.yaml")))
            .filter(|p| p.is_file());
        Some(HelmCache {
            repository_cache,
            repositories,
        })
    }
}

/// A chart found in a chart folder.
#[derive(Debug, Clone)]
pub struct Entry {
    /// `name` (from `Chart.yaml`, or the archive's file name).
    pub name: String,
    /// `version`.
    pub version: String,
    /// The archive or directory.
    pub path: PathBuf,
    /// Which kind of folder it is in.
    pub origin: ChartOrigin,
    /// Keys ([`repo_key`]) of the repositories an index says it came from (empty: unknown).
    pub repos: Vec<String>,
    /// Whether name and version were read from `Chart.yaml` (not guessed from a file name).
    checked: bool,
}

/// A Helm repository index found in a folder.
#[derive(Debug)]
struct RepoIndex {
    /// The repository it indexes, when known (Helm's cache).
    repo: Option<String>,
    file: PathBuf,
    /// chart name → versions, parsed on first use.
    charts: OnceLock<BTreeMap<String, Vec<String>>>,
}

impl RepoIndex {
    fn charts(&self) -> &BTreeMap<String, Vec<String>> {
        self.charts.get_or_init(|| read_index(&self.file))
    }
}

/// Every chart of the chart folders.
#[derive(Debug, Default)]
pub struct ChartIndex {
    entries: Vec<Entry>,
    indexes: Vec<RepoIndex>,
    /// Repository names of Helm's `repositories.yaml` → URL.
    named_repos: BTreeMap<String, String>,
    /// Folders that could not be read, with the reason.
    pub problems: Vec<String>,
}

/// A chart chosen for a source or dependency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The archive or directory.
    pub path: PathBuf,
    /// The version chosen.
    pub version: String,
    /// Where it was found.
    pub origin: ChartOrigin,
    /// How the version was chosen, when that needs saying (a range resolved among the cached
    /// versions only).
    pub note: Option<String>,
}

/// Why no chart was chosen, and the version to fetch when one is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Miss {
    /// What is missing.
    pub reason: String,
    /// The exact version an index says to fetch.
    pub version: Option<String>,
}

impl ChartIndex {
    /// Indexes the chart folders (in order) and Helm's cache.
    pub fn build(folders: &[PathBuf], helm: Option<&HelmCache>) -> ChartIndex {
        let mut idx = ChartIndex::default();
        let mut budget = MAX_ENTRIES;
        for f in folders {
            if !f.is_dir() {
                idx.problems.push(format!(
                    "chart folder {}: not a directory; pass a folder of charts (`helm pull` \
                     archives or untarred charts)",
                    f.display()
                ));
                continue;
            }
            idx.walk(f, ChartOrigin::Folder, 0, &mut budget);
        }
        if let Some(h) = helm {
            if let Some(cfg) = &h.repositories {
                idx.named_repos = read_repositories(cfg);
            }
            idx.walk(&h.repository_cache, ChartOrigin::HelmCache, 0, &mut budget);
            // `NAME-index.yaml` of Helm's cache indexes the repository named NAME.
            for ri in idx.indexes.iter_mut() {
                if ri.repo.is_some() || !ri.file.starts_with(&h.repository_cache) {
                    continue;
                }
                let file = ri
                    .file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                if let Some(name) = file.strip_suffix("-index.yaml") {
                    ri.repo = idx.named_repos.get(name).map(|u| repo_key(u));
                }
            }
        }
        if budget == 0 {
            idx.problems.push(format!(
                "chart folders: more than {MAX_ENTRIES} entries; the rest was not looked at"
            ));
        }
        idx.attribute_archives();
        idx
    }

    /// Whether no chart was found at all.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn walk(&mut self, dir: &Path, origin: ChartOrigin, depth: usize, budget: &mut usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let Ok(rd) = std::fs::read_dir(dir) else {
            self.problems
                .push(format!("chart folder {}: cannot be read", dir.display()));
            return;
        };
        let mut entries: Vec<_> = rd.filter_map(Result::ok).collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            if *budget == 0 {
                return;
            }
            *budget -= 1;
            let path = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            let found = if meta.is_dir() {
                if !path.join("Chart.yaml").is_file() {
                    if !name.starts_with('.') {
                        self.walk(&path, origin, depth + 1, budget);
                    }
                    continue;
                }
                chart_yaml_of_dir(&path).map(|nv| (nv, true))
            } else if let Some(stem) = name
                .strip_suffix(".tgz")
                .or_else(|| name.strip_suffix(".tar.gz"))
            {
                // Name and version from the file name, checked against `Chart.yaml` when the
                // archive is chosen; read now only when the name does not say.
                split_name_version(stem)
                    .map(|nv| (nv, false))
                    .or_else(|| chart_yaml_of_archive(&path).map(|nv| (nv, true)))
            } else {
                None
            };
            if let Some(((name, version), checked)) = found {
                self.entries.push(Entry {
                    name,
                    version,
                    path,
                    origin,
                    repos: Vec::new(),
                    checked,
                });
            } else if name == "index.yaml" || name.ends_with("-index.yaml") {
                self.indexes.push(RepoIndex {
                    repo: None,
                    file: path,
                    charts: OnceLock::new(),
                });
            }
        }
    }

    /// Archives of Helm's cache belong to the repository whose cached index lists them.
    fn attribute_archives(&mut self) {
        for ri in &self.indexes {
            let Some(repo) = &ri.repo else { continue };
            let dir = ri.file.parent().map(Path::to_path_buf);
            for e in self.entries.iter_mut() {
                if e.path.parent().map(Path::to_path_buf) != dir {
                    continue;
                }
                let listed = ri
                    .charts()
                    .get(&e.name)
                    .is_some_and(|vs| vs.iter().any(|v| v == &e.version));
                if listed && !e.repos.contains(repo) {
                    e.repos.push(repo.clone());
                }
            }
        }
    }

    /// The URL Helm's `repositories.yaml` gives a repository name (`@bitnami`).
    pub fn named_repo(&self, name: &str) -> Option<&str> {
        self.named_repos.get(name).map(String::as_str)
    }

    /// Chooses chart `name` of the repository `repo_url` (`None`: any repository) for
    /// `revision`.
    pub fn find(&self, repo_url: Option<&str>, name: &str, revision: &str) -> Result<Hit, Miss> {
        let key = repo_url.map(repo_key);
        let candidates: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|e| e.name == name)
            .filter(|e| match &key {
                Some(k) => e.repos.is_empty() || e.repos.contains(k),
                None => true,
            })
            .collect();
        let index = key.as_ref().and_then(|k| {
            self.indexes
                .iter()
                .find(|ri| ri.repo.as_ref() == Some(k) && ri.charts().contains_key(name))
        });
        let want = if revision.trim().is_empty() {
            "*"
        } else {
            revision.trim()
        };
        if let Some(ri) = index {
            let listed: Vec<&str> = ri
                .charts()
                .get(name)
                .map(|v| v.iter().map(String::as_str).collect())
                .unwrap_or_default();
            let Some(v) = select_version(want, &listed) else {
                return Err(Miss {
                    reason: format!(
                        "the cached index of the repository ({}) lists no version of `{name}` \
                         matching `{want}`",
                        ri.file.display()
                    ),
                    version: None,
                });
            };
            return match candidates.iter().find(|e| same_version(&e.version, v)) {
                Some(e) => self.hit(e, None),
                None => Err(Miss {
                    reason: format!(
                        "the cached index of the repository says `{want}` is version `{v}`, \
                         which no chart folder holds"
                    ),
                    version: Some(v.to_string()),
                }),
            };
        }
        let versions: Vec<&str> = candidates.iter().map(|e| e.version.as_str()).collect();
        match select_version(want, &versions) {
            Some(v) => {
                let e = candidates
                    .iter()
                    .find(|e| e.version == v)
                    .copied()
                    .expect("a selected version is a candidate's");
                let note = (!is_pin(want)).then(|| {
                    format!(
                        "`{want}` resolved to `{v}` among the versions in the chart folders; the \
                         repository may hold a newer match"
                    )
                });
                self.hit(e, note)
            }
            None if candidates.is_empty() => Err(Miss {
                reason: format!(
                    "no chart folder (--charts) holds `{name}`{}",
                    if self.entries.is_empty() {
                        String::new()
                    } else {
                        " in any version".to_string()
                    }
                ),
                version: None,
            }),
            None => {
                let mut found: Vec<&str> = versions.clone();
                found.sort_by(|a, b| cmp_versions(b, a));
                found.dedup();
                found.truncate(8);
                Err(Miss {
                    reason: format!(
                        "the chart folders hold `{name}` {}, none matching `{want}`",
                        found.join(", ")
                    ),
                    version: None,
                })
            }
        }
    }

    /// Checks an entry whose name and version come from its file name against its
    /// `Chart.yaml`.
    fn hit(&self, e: &Entry, note: Option<String>) -> Result<Hit, Miss> {
        if !e.checked {
            match chart_yaml_of_archive(&e.path) {
                Some((n, v)) if n == e.name && same_version(&v, &e.version) => {}
                Some((n, v)) => {
                    return Err(Miss {
                        reason: format!(
                            "{} holds chart `{n}` version `{v}`, not what its name says",
                            e.path.display()
                        ),
                        version: None,
                    })
                }
                None => {
                    return Err(Miss {
                        reason: format!(
                            "{} is not a chart archive (no readable Chart.yaml)",
                            e.path.display()
                        ),
                        version: None,
                    })
                }
            }
        }
        Ok(Hit {
            path: e.path.clone(),
            version: e.version.clone(),
            origin: e.origin,
            note,
        })
    }
}

/// Whether a revision pins a version (rather than a range).
fn is_pin(rev: &str) -> bool {
    semver::parse_version(rev).is_some()
}

fn same_version(a: &str, b: &str) -> bool {
    a == b
        || match (semver::parse_version(a), semver::parse_version(b)) {
            (Some(x), Some(y)) => semver::compare(&x, &y).is_eq() && x.meta == y.meta,
            _ => false,
        }
}

fn cmp_versions(a: &str, b: &str) -> std::cmp::Ordering {
    match (semver::parse_version(a), semver::parse_version(b)) {
        (Some(x), Some(y)) => semver::compare(&x, &y),
        (Some(_), None) => std::cmp::Ordering::Greater,
        (None, Some(_)) => std::cmp::Ordering::Less,
        (None, None) => a.cmp(b),
    }
}

/// Chooses among `versions` the one `revision` names, as Argo CD and Helm do: the same string,
/// else `revision` as a constraint, the highest match winning (prereleases only when the
/// constraint has one); a revision that is not a constraint matches only the same string.
pub fn select_version<'a>(revision: &str, versions: &[&'a str]) -> Option<&'a str> {
    // The same string first, as Helm's repository index does; a version Helm does not find
    // is then a constraint (`v1.2.3` → 1.2.3, `1.2` → the highest 1.2.x).
    if let Some(v) = versions.iter().find(|v| **v == revision) {
        return Some(v);
    }
    let mut best: Option<(&'a str, semver::Version)> = None;
    for v in versions {
        let Some(parsed) = semver::parse_version(v) else {
            continue;
        };
        match semver::constraint_matches(revision, &parsed) {
            Ok(true) => {
                if best
                    .as_ref()
                    .is_none_or(|(_, b)| semver::compare(&parsed, b).is_gt())
                {
                    best = Some((v, parsed));
                }
            }
            Ok(false) => {}
            Err(_) => return versions.iter().find(|v| **v == revision).copied(),
        }
    }
    best.map(|(v, _)| v)
}

/// `redis-17.0.0` → (`redis`, `17.0.0`); `cert-manager-v1.14.2` → (`cert-manager`, `v1.14.2`):
/// the first `-` after which a version follows.
pub fn split_name_version(stem: &str) -> Option<(String, String)> {
    for (i, _) in stem.match_indices('-') {
        let (name, version) = (&stem[..i], &stem[i + 1..]);
        if !name.is_empty()
            && version.starts_with(|c: char| c.is_ascii_digit() || c == 'v')
            && semver::parse_version(version).is_some()
        {
            return Some((name.to_string(), version.to_string()));
        }
    }
    None
}

fn read_limited(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.len() > MAX_META_FILE {
        return None;
    }
    std::fs::read_to_string(path).ok()
}

fn name_version(text: &str) -> Option<(String, String)> {
    let v = crate::load::yaml::parse_value(text).ok()?;
    let name = v.get("name")?.as_str()?.to_string();
    let version = match v.get("version")? {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    Some((name, version))
}

fn chart_yaml_of_dir(dir: &Path) -> Option<(String, String)> {
    name_version(&read_limited(&dir.join("Chart.yaml"))?)
}

/// The name and version of a chart archive's top-level `Chart.yaml`.
pub fn chart_yaml_of_archive(path: &Path) -> Option<(String, String)> {
    let file = std::fs::File::open(path).ok()?;
    let gz = flate2::read::GzDecoder::new(file);
    let mut ar = tar::Archive::new(gz.take(MAX_ARCHIVE_SCAN));
    for ent in ar.entries().ok()? {
        let mut ent = ent.ok()?;
        let p = ent.path().ok()?.to_string_lossy().replace('\\', "/");
        let mut parts = p.split('/');
        let (_, rest) = (parts.next(), parts.collect::<Vec<_>>().join("/"));
        if rest == "Chart.yaml" {
            let mut text = String::new();
            ent.by_ref().take(1 << 20).read_to_string(&mut text).ok()?;
            return name_version(&text);
        }
    }
    None
}

/// The `entries` of a Helm repository index: chart name → versions.
fn read_index(path: &Path) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    let Some(text) = read_limited(path) else {
        return out;
    };
    let Ok(v) = crate::load::yaml::parse_value(&text) else {
        return out;
    };
    let Some(Value::Object(entries)) = v.get("entries") else {
        return out;
    };
    for (name, list) in entries {
        let Value::Array(items) = list else { continue };
        let versions: Vec<String> = items
            .iter()
            .filter_map(|i| match i.get("version")? {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect();
        out.insert(name.clone(), versions);
    }
    out
}

/// Helm's `repositories.yaml`: repository name → URL.
fn read_repositories(path: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Some(text) = read_limited(path) else {
        return out;
    };
    let Ok(v) = crate::load::yaml::parse_value(&text) else {
        return out;
    };
    if let Some(Value::Array(repos)) = v.get("repositories") {
        for r in repos {
            if let (Some(n), Some(u)) = (
                r.get("name").and_then(Value::as_str),
                r.get("url").and_then(Value::as_str),
            ) {
                out.insert(n.to_string(), u.to_string());
            }
        }
    }
    out
}

/// The versions `Chart.lock` (or `requirements.lock`) pins, by dependency name.
pub fn locked_versions(chart_dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for f in ["Chart.lock", "requirements.lock"] {
        let Some(text) = read_limited(&chart_dir.join(f)) else {
            continue;
        };
        let Ok(v) = crate::load::yaml::parse_value(&text) else {
            continue;
        };
        if let Some(Value::Array(deps)) = v.get("dependencies") {
            for d in deps {
                let name = d.get("name").and_then(Value::as_str);
                let version = match d.get("version") {
                    Some(Value::String(s)) => Some(s.clone()),
                    Some(Value::Number(n)) => Some(n.to_string()),
                    _ => None,
                };
                if let (Some(n), Some(v)) = (name, version) {
                    out.insert(n.to_string(), v);
                }
            }
        }
        break;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_chosen_like_argo_cd() {
        let vs = [
            "6.4.0",
            "6.5.0",
            "6.5.3",
            "6.5.10",
            "7.0.0",
            "7.1.0-rc.1",
            "1.2.0",
            "1.2.7",
        ];
        assert_eq!(select_version("6.5.3", &vs), Some("6.5.3"));
        assert_eq!(select_version("v6.5.3", &vs), Some("6.5.3"));
        assert_eq!(select_version("6.5.*", &vs), Some("6.5.10"));
        assert_eq!(select_version(">=6.0.0 <7.0.0", &vs), Some("6.5.10"));
        assert_eq!(select_version("^6.4", &vs), Some("6.5.10"));
        assert_eq!(select_version("~6.4.0", &vs), Some("6.4.0"));
        assert_eq!(
            select_version("*", &vs),
            Some("7.0.0"),
            "no prerelease unless asked"
        );
        assert_eq!(select_version(">=7.1.0-0", &vs), Some("7.1.0-rc.1"));
        assert_eq!(
            select_version("1.2", &vs),
            Some("1.2.7"),
            "a short version is a range"
        );
        assert_eq!(select_version("8.0.0", &vs), None);
        assert_eq!(
            select_version("latest", &["latest", "1.0.0"]),
            Some("latest")
        );
    }

    #[test]
    fn archive_names() {
        assert_eq!(
            split_name_version("redis-17.0.0"),
            Some(("redis".into(), "17.0.0".into()))
        );
        assert_eq!(
            split_name_version("cert-manager-v1.14.2"),
            Some(("cert-manager".into(), "v1.14.2".into()))
        );
        assert_eq!(
            split_name_version("app-1.0.0-rc.1"),
            Some(("app".into(), "1.0.0-rc.1".into()))
        );
        assert_eq!(split_name_version("chart"), None);
    }
}
