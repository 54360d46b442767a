//! [`Resolver`]: decides, for every source of every Application, its kind and where its files
//! are, or why it is not analysed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::model::*;
use super::{git, url, SourceOptions};
use crate::load::discover::UnitKind;
use crate::model::argocd::ApplicationSource;
use crate::model::repo::Repo;

/// Decides where every source comes from.
#[derive(Debug)]
pub struct Resolver {
    root: PathBuf,
    git: git::GitInfo,
    /// Repository keys of the checkout (from `--repo-url` or the remotes); empty in
    /// `PathsExist` mode, where [`Resolver::refresh`] fills `guessed`.
    own: BTreeSet<String>,
    own_urls: OwnUrls,
    guessed: BTreeSet<String>,
    /// The chart folders and Helm's cache.
    pub charts: super::charts::ChartIndex,
    /// Checkouts of other repositories (`--repo URL=PATH`).
    mapped: Vec<Mapped>,
}

/// Where a repository's files are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RepoLoc {
    Checkout,
    Mapped(usize),
    Elsewhere,
}

/// A checkout of another repository, mapped to its URL with `--repo URL=PATH`.
#[derive(Debug)]
pub struct Mapped {
    /// The URL as given.
    pub url: String,
    key: String,
    /// The checkout's directory.
    pub abs: PathBuf,
    /// Its path as given.
    pub display: String,
    /// Its root in the model's paths: relative to the scan root (`../config`), so that
    /// findings name its files where they are.
    pub prefix: String,
    git: git::GitInfo,
    discovery: std::sync::OnceLock<crate::load::discover::Discovery>,
}

impl Mapped {
    /// The model path of a directory of this checkout.
    pub fn model_path(&self, dir: &str) -> String {
        if dir == "." {
            self.prefix.clone()
        } else if self.prefix == "." {
            dir.to_string()
        } else {
            format!("{}/{dir}", self.prefix)
        }
    }

    /// Its files and units, walked once.
    pub fn discovery(&self) -> &crate::load::discover::Discovery {
        self.discovery
            .get_or_init(|| crate::load::discover::discover(&self.abs))
    }

    /// Its charts and Kustomize directories (relative to its root).
    pub fn units(&self) -> &[crate::load::discover::Unit] {
        &self.discovery().units
    }

    fn revision(&self, target: &str) -> String {
        revision_text(
            &format!("the checkout {}", self.display),
            self.git.head.as_ref(),
            target,
        )
    }
}

/// `the checkout as it is (main at 1a2b3c4d5e6f)`, and whether that is the `targetRevision`
/// Argo CD would check out: the same branch or commit, or `HEAD`; anything else (a tag,
/// another branch) is named as not checked out, since driftlens does not read Git history.
fn revision_text(what: &str, head: Option<&git::Head>, target: &str) -> String {
    let mut s = match head.and_then(git::Head::describe) {
        Some(h) => format!("{what} as it is ({h})"),
        None => format!("{what} as it is"),
    };
    let t = target.trim();
    let same = t.is_empty()
        || t == "HEAD"
        || head.is_some_and(|h| {
            h.branch.as_deref() == Some(t)
                || (t.len() >= 7 && h.commit.as_deref().is_some_and(|c| c.starts_with(t)))
        });
    if !same {
        s.push_str(&format!("; targetRevision `{t}` is not checked out"));
    }
    s
}

/// Whether a `repoURL` is a template placeholder (`<GITOPS_REPO_URL>`, `${repoUrl}`,
/// `{{ .url }}`) rather than a URL.
fn is_placeholder(url: &str) -> bool {
    let u = url.trim();
    u.is_empty()
        || u.contains("{{")
        || u.contains("${")
        || u.contains("$(")
        || (u.contains('<') && u.contains('>'))
}

/// `to` relative to `from` when they share an ancestor (`../config`), else `to` itself.
fn relative_to(from: &Path, to: &Path) -> String {
    let a: Vec<_> = from.components().collect();
    let b: Vec<_> = to.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    if common == 0 {
        return to.to_string_lossy().into_owned();
    }
    let mut parts: Vec<String> = vec!["..".to_string(); a.len() - common];
    parts.extend(
        b[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

impl Resolver {
    /// A resolver for the checkout at `root`.
    pub fn new(root: &Path, opts: &SourceOptions) -> Self {
        let git = match &opts.stand_in {
            Some(s) => s.git.clone(),
            None => git::read(root),
        };
        let (mut own, own_urls) = if let Some(u) = &opts.repo_url {
            ([url::repo_key(u)].into_iter().collect(), OwnUrls::Flag)
        } else if !git.remotes.is_empty() {
            (
                git.remotes.iter().map(|(_, u)| url::repo_key(u)).collect(),
                OwnUrls::Remotes,
            )
        } else {
            (BTreeSet::new(), OwnUrls::PathsExist)
        };
        let location = opts
            .stand_in
            .as_ref()
            .map_or(root, |s| s.location.as_path());
        let canonical_root = location
            .canonicalize()
            .unwrap_or_else(|_| location.to_path_buf());
        let mut mapped: Vec<Mapped> = Vec::new();
        for (u, path) in &opts.repos {
            let abs = path.canonicalize().unwrap_or_else(|_| path.clone());
            let key = url::repo_key(u);
            if abs == canonical_root {
                // `--repo URL=.`: the scanned checkout itself.
                own.insert(key);
                continue;
            }
            if mapped.iter().any(|m| m.key == key) {
                continue;
            }
            mapped.push(Mapped {
                url: u.clone(),
                key,
                prefix: relative_to(&canonical_root, &abs),
                display: path.display().to_string(),
                git: git::read(&abs),
                abs,
                discovery: std::sync::OnceLock::new(),
            });
        }
        Resolver {
            root: root.to_path_buf(),
            git,
            own,
            own_urls,
            guessed: BTreeSet::new(),
            charts: super::charts::ChartIndex::build(&opts.charts, opts.helm_cache.as_ref()),
            mapped,
        }
    }

    /// Re-evaluates which URLs are taken as this checkout when no remote is known: every URL
    /// one of whose (non-chart) sources names a directory that exists here, or whose `ref`
    /// source is used by a `$ref/…` value file that exists here.
    pub fn refresh(&mut self, repo: &Repo) {
        if self.own_urls != OwnUrls::PathsExist {
            return;
        }
        for a in &repo.apps {
            let sources = a.value.spec.all_sources();
            let multi = !a.value.spec.sources.is_empty();
            for s in &sources {
                let key = url::repo_key(&s.repo_url);
                if key.is_empty() || self.guessed.contains(&key) || s.chart.is_some() {
                    continue;
                }
                let path = s.path.as_deref().unwrap_or("");
                // The root (`.`) exists in every checkout: it tells nothing.
                let names_here = !(multi && path.is_empty())
                    && lexical_dir(path).is_some_and(|d| d != "." && self.root.join(&d).is_dir());
                let lends_here = s.ref_.as_deref().is_some_and(|r| {
                    sources.iter().any(|o| {
                        o.helm.iter().flat_map(|h| &h.value_files).any(|f| {
                            f.strip_prefix(&format!("${r}/"))
                                .and_then(lexical_dir)
                                .is_some_and(|p| self.root.join(p).is_file())
                        })
                    })
                });
                if names_here || lends_here {
                    self.guessed.insert(key);
                }
            }
        }
    }

    /// Whether `repo_url` is the scanned checkout.
    pub fn is_checkout(&self, repo_url: &str) -> bool {
        self.locate_repo(repo_url) == RepoLoc::Checkout
    }

    /// What is known about the checkout.
    pub fn facts(&self, repo: &Repo) -> CheckoutFacts {
        let mut urls: Vec<String> = match self.own_urls {
            OwnUrls::Remotes => self.git.remotes.iter().map(|(_, u)| u.clone()).collect(),
            _ => repo
                .apps
                .iter()
                .flat_map(|a| a.value.spec.all_sources())
                .map(|s| s.repo_url.clone())
                .filter(|u| self.is_checkout(u))
                .collect(),
        };
        if self.own_urls == OwnUrls::Flag {
            urls = self.own.iter().cloned().collect();
        }
        urls.sort();
        urls.dedup();
        CheckoutFacts {
            remotes: self.git.remotes.clone(),
            head: self.git.head.as_ref().and_then(git::Head::describe),
            own_urls: self.own_urls,
            urls,
        }
    }

    /// The revision analysed for a source in this checkout.
    fn checkout_revision(&self, target: &str) -> String {
        revision_text("the checkout", self.git.head.as_ref(), target)
    }

    /// Resolves every source of the Application at `ai` of `repo.apps`.
    pub fn resolve_app(&self, repo: &Repo, ai: usize) -> AppSources {
        let a = &repo.apps[ai];
        let m = repo.manifest(a.manifest);
        let origin = match &m.rendered {
            Some(r) if r.kustomize => AppOrigin::Kustomization {
                dir: r.chart_dir.clone(),
                app: r.app.map(|i| repo.apps[i].value.metadata.name.clone()),
            },
            Some(r) => AppOrigin::Chart {
                chart: r.chart_dir.clone(),
                app: r.app.map(|i| repo.apps[i].value.metadata.name.clone()),
            },
            None => AppOrigin::File {
                path: m.file.path.clone(),
            },
        };
        let spec = &a.value.spec;
        let multi = !spec.sources.is_empty();
        let mut sources: Vec<SourceInfo> = spec
            .all_sources()
            .into_iter()
            .enumerate()
            .map(|(i, s)| self.resolve_source(repo, i, multi, s))
            .collect();
        link_refs(&mut sources, &spec.all_sources());
        AppSources {
            app: ai,
            origin,
            sources,
        }
    }

    fn resolve_source(
        &self,
        repo: &Repo,
        index: usize,
        multi: bool,
        src: &ApplicationSource,
    ) -> SourceInfo {
        let mut info = SourceInfo::new(index, multi, src);
        if let Some(chart) = info.chart.clone() {
            info.blame = format!("{}/chart", info.pointer);
            let version = Some(src.target_revision.clone()).filter(|v| !v.is_empty());
            let oci = url::is_oci(&src.repo_url);
            info.kind = if oci {
                SourceKind::HelmOci
            } else {
                SourceKind::HelmRepository
            };
            match self
                .charts
                .find(Some(&src.repo_url), &chart, &src.target_revision)
            {
                Ok(hit) => {
                    info.place = Some(Place::Chart {
                        file: hit.path.display().to_string(),
                        version: hit.version.clone(),
                        origin: hit.origin,
                    });
                    info.revision = Some(match hit.note {
                        Some(n) => format!("version {} ({n})", hit.version),
                        None => format!("version {}", hit.version),
                    });
                }
                Err(miss) => {
                    let version = miss.version.or(version);
                    let fix = if oci {
                        Fix::HelmPullOci {
                            reference: format!("{}/{chart}", url::oci_reference(&src.repo_url)),
                            version,
                        }
                    } else {
                        Fix::HelmPull {
                            repo_url: src.repo_url.clone(),
                            chart,
                            version,
                        }
                    };
                    info.not_analysed(miss.reason, vec![fix]);
                }
            }
            return info;
        }
        let path = src.path.as_deref().unwrap_or("");
        let ref_only = multi && path.is_empty();
        if ref_only {
            info.kind = SourceKind::Ref;
        }
        let here = self.locate_repo(&src.repo_url);
        if src.repo_url.trim().starts_with("oci://") && here == RepoLoc::Elsewhere {
            info.kind = SourceKind::Oci;
            info.not_analysed(
                format!(
                    "OCI artifacts are not pulled; driftlens reads only files that are here \
                     (extract it to a folder and pass --repo {}=FOLDER)",
                    src.repo_url
                ),
                Vec::new(),
            );
            return info;
        }
        let (base, revision) = match here {
            RepoLoc::Elsewhere if is_placeholder(&src.repo_url) => {
                if !ref_only {
                    info.kind = SourceKind::GitPath;
                }
                info.not_analysed(
                    format!(
                        "`{}` is a placeholder, not a repository URL: this Application is a \
                         template that something else fills in",
                        src.repo_url
                    ),
                    Vec::new(),
                );
                return info;
            }
            RepoLoc::Elsewhere => {
                if !ref_only {
                    info.kind = SourceKind::GitPath;
                }
                info.not_analysed(
                    self.not_here_reason(&src.repo_url),
                    vec![Fix::GitClone {
                        url: src.repo_url.clone(),
                        revision: src.target_revision.clone(),
                    }],
                );
                return info;
            }
            RepoLoc::Checkout => (None, self.checkout_revision(&src.target_revision)),
            RepoLoc::Mapped(mi) => (
                Some(&self.mapped[mi]),
                self.mapped[mi].revision(&src.target_revision),
            ),
        };
        info.revision = Some(revision);
        let place_of = |dir: &str| match base {
            None => Place::Checkout {
                path: dir.to_string(),
            },
            Some(m) => Place::Mapped {
                checkout: m.display.clone(),
                path: dir.to_string(),
                model: m.model_path(dir),
                model_root: m.prefix.clone(),
                root_abs: m.abs.clone(),
            },
        };
        if ref_only {
            info.place = Some(place_of("."));
            return info;
        }
        info.blame = format!("{}/path", info.pointer);
        let Some(dir) = lexical_dir(path) else {
            info.not_analysed(
                format!("path `{path}` leaves the repository; Argo CD refuses it"),
                Vec::new(),
            );
            return info;
        };
        let abs = match base {
            None => self.root.join(&dir),
            Some(m) => m.abs.join(&dir),
        };
        if !abs.is_dir() {
            match base {
                None => {
                    info.not_analysed(
                        format!("this checkout has no directory `{dir}`"),
                        Vec::new(),
                    );
                    info.reported_elsewhere = true;
                }
                Some(m) => info.not_analysed(
                    format!("the checkout {} has no directory `{dir}`", m.display),
                    Vec::new(),
                ),
            }
            return info;
        }
        info.place = Some(place_of(&dir));
        let unit = match base {
            None => repo.units.iter().find(|u| u.dir == dir).map(|u| u.kind),
            Some(m) => m.units().iter().find(|u| u.dir == dir).map(|u| u.kind),
        };
        if let Some(plugin) = &src.plugin {
            info.kind = SourceKind::Plugin;
            let name = plugin
                .get("name")
                .and_then(serde_json::Value::as_str)
                .filter(|n| !n.is_empty())
                .map(|n| format!(" `{n}`"))
                .unwrap_or_default();
            info.not_analysed(
                format!(
                    "the config management plugin{name} runs programs of its own, which \
                     driftlens does not"
                ),
                Vec::new(),
            );
        } else if (src.kustomize.is_some() || unit == Some(UnitKind::Kustomize))
            && repo.settings.kustomize_enabled
        {
            info.kind = SourceKind::Kustomize;
        } else if unit == Some(UnitKind::Helm) {
            info.kind = SourceKind::HelmChart;
        } else if src.directory.as_ref().is_some_and(|d| d.jsonnet.is_some())
            || has_jsonnet(&abs, src.directory.as_ref().is_some_and(|d| d.recurse))
        {
            info.kind = SourceKind::Jsonnet;
            info.not_analysed("Jsonnet files are not evaluated by driftlens", Vec::new());
        }
        info
    }

    /// Where a repository's files are.
    fn locate_repo(&self, repo_url: &str) -> RepoLoc {
        let key = url::repo_key(repo_url);
        if key.is_empty() {
            return RepoLoc::Elsewhere;
        }
        if let Some(i) = self.mapped.iter().position(|m| m.key == key) {
            return RepoLoc::Mapped(i);
        }
        if self.own.contains(&key) || self.guessed.contains(&key) {
            return RepoLoc::Checkout;
        }
        RepoLoc::Elsewhere
    }

    /// The mapped checkouts.
    pub fn mapped(&self) -> &[Mapped] {
        &self.mapped
    }

    fn not_here_reason(&self, repo_url: &str) -> String {
        let what = match self.own_urls {
            OwnUrls::Flag => "it is not the --repo-url of this checkout".to_string(),
            OwnUrls::Remotes => format!(
                "it is not a remote of this checkout ({})",
                self.git
                    .remotes
                    .iter()
                    .map(|(n, u)| format!("{n} = {u}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            OwnUrls::PathsExist => {
                "none of the paths its sources name exists in this checkout".to_string()
            }
        };
        format!(
            "repository `{repo_url}` is not here: {what}, and no --repo maps it to a checkout \
             (if it is this checkout, pass --repo {repo_url}=.)"
        )
    }
}

/// A `$ref` value file whose `ref` source is not analysed makes the Helm source that reads it
/// not analysed too, pointing at the value file.
fn link_refs(sources: &mut [SourceInfo], specs: &[&ApplicationSource]) {
    for i in 0..sources.len() {
        let Some(helm) = specs[i].helm.as_ref() else {
            continue;
        };
        if sources[i].status != SourceStatus::Analysed {
            continue;
        }
        for (fi, f) in helm.value_files.iter().enumerate() {
            let Some(rest) = f.strip_prefix('$') else {
                continue;
            };
            let name = rest.split('/').next().unwrap_or("");
            let Some(r) = sources
                .iter()
                .position(|s| s.ref_name.as_deref() == Some(name))
            else {
                // Reported by broken-source-path (a `$ref` no source defines).
                continue;
            };
            if sources[r].status == SourceStatus::Analysed {
                continue;
            }
            let (fix, why) = (
                sources[r].fixes.clone(),
                sources[r].reason.clone().unwrap_or_default(),
            );
            let blame = format!("{}/helm/valueFiles/{fi}", sources[i].pointer);
            let s = &mut sources[i];
            s.not_analysed(
                format!("its value file `{f}` comes from the source with `ref: {name}`, and {why}"),
                fix,
            );
            s.blame = blame;
            break;
        }
    }
}

/// `path` as a directory relative to the repository root (`.` for the root), or `None` when
/// it leaves the repository.
pub fn lexical_dir(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            x => parts.push(x),
        }
    }
    Some(if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    })
}

/// Whether a directory holds `*.jsonnet` files (in sub-directories too with `recurse`).
fn has_jsonnet(dir: &Path, recurse: bool) -> bool {
    let walker = ignore::WalkBuilder::new(dir)
        .max_depth(if recurse { Some(64) } else { Some(1) })
        .hidden(true)
        .git_ignore(true)
        .require_git(false)
        .build();
    walker.flatten().any(|e| {
        e.file_type().is_some_and(|t| t.is_file())
            && e.path().extension().is_some_and(|x| x == "jsonnet")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_revision_analysed_is_named() {
        let head = git::Head {
            branch: Some("main".into()),
            commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
        };
        let at = |t| revision_text("the checkout", Some(&head), t);
        assert_eq!(at("main"), "the checkout as it is (main at 0123456789ab)");
        assert_eq!(at("HEAD"), at("main"));
        assert_eq!(at("0123456"), at("main"));
        assert_eq!(
            at("v1.2"),
            "the checkout as it is (main at 0123456789ab); targetRevision `v1.2` is not checked out"
        );
        assert_eq!(
            revision_text("the checkout", None, "main"),
            "the checkout as it is; targetRevision `main` is not checked out"
        );
    }

    #[test]
    fn lexical_dirs() {
        assert_eq!(lexical_dir("a/../b/./c/"), Some("b/c".into()));
        assert_eq!(lexical_dir("../x"), None);
        assert_eq!(lexical_dir(""), Some(".".into()));
    }
}
