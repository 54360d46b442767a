//! Sources: where each source of each Argo CD Application comes from, or exactly why it is not
//! analysed.
//!
//! Argo CD builds an Application's desired state from its sources: directories of Git
//! repositories (plain manifests, Helm charts, Kustomize, Jsonnet, plugins), charts of Helm and
//! OCI repositories, and `ref` sources that only lend value files to the others. driftlens
//! never opens a connection, so a source is analysed only when its files are here: in the
//! scanned checkout, in a checkout mapped to its URL, or (for charts) in a chart folder.
//!
//! [`Resolver`] decides that for every source ([`SourceInfo`]): its [`SourceKind`], the
//! [`Place`] it resolved to, or the reason it is [`SourceStatus::NotAnalysed`] with the
//! [`Fix`] that would make it analysable. An Application with a source that is not analysed
//! is reported Unknown, never Synced, and its live objects get no drift finding; the
//! `source-not-analysed` rule names each such source and `driftlens sources` lists them all.
//!
//! A repository URL is this checkout when it is one of the checkout's Git remotes
//! ([`git`]), or the URL given with `--repo-url`. A checkout without remotes (an export, a
//! test fixture) falls back to a per-URL judgement: a URL is this checkout when one of its
//! sources names a path that exists here (or a `$ref` value file that does).

pub mod charts;
pub mod deps;
pub mod git;
mod model;
mod resolve;
pub mod url;
mod values;

pub use model::*;
pub use resolve::{lexical_dir, Mapped, Resolver};
pub use values::value_files;

use crate::model::repo::Repo;

/// What the user told driftlens about sources outside the checkout.
#[derive(Debug, Clone, Default)]
pub struct SourceOptions {
    /// The URL of the scanned checkout (`--repo-url`): when set, only sources with this URL are
    /// taken from the checkout.
    pub repo_url: Option<String>,
    /// Chart folders (`--charts`), in order.
    pub charts: Vec<std::path::PathBuf>,
    /// Helm's cache, when it is to be searched.
    pub helm_cache: Option<charts::HelmCache>,
    /// Checkouts of other repositories (`--repo URL=PATH`), in order.
    pub repos: Vec<(String, std::path::PathBuf)>,
    /// Set when the scanned directory holds a revision written elsewhere (`driftlens
    /// review`): where the checkout stands and what Git says about that revision.
    pub stand_in: Option<StandIn>,
}

/// A revision of a repository written into a private directory stands for the working tree:
/// its own files are read from that directory, but paths that leave the checkout (`--repo`,
/// `..` in the `charts:` and `repos:` of `.driftlens.yaml`) resolve from the working tree's
/// location, its files keep the same model paths, and its remotes are the repository's.
#[derive(Debug, Clone, Default)]
pub struct StandIn {
    /// The directory the checkout stands for.
    pub location: std::path::PathBuf,
    /// The repository's remotes and the revision analysed.
    pub git: git::GitInfo,
}

impl SourceOptions {
    /// Adds the chart folders and checkouts named in the checkout's `.driftlens.yaml` (after
    /// those of the command line); returns a warning for each that does not exist.
    pub fn add_config(
        &mut self,
        cfg: &crate::config::Config,
        root: &std::path::Path,
    ) -> Vec<String> {
        let mut warnings = Vec::new();
        // A folder inside the checkout is the revision's own; one outside it is where the
        // checkout stands.
        let place = |p: &str| match &self.stand_in {
            Some(s) if lexical_dir(p).is_none() || std::path::Path::new(p).is_absolute() => {
                s.location.join(p)
            }
            _ => root.join(p),
        };
        for c in &cfg.charts {
            let dir = place(c);
            if dir.is_dir() {
                self.charts.push(dir);
            } else {
                warnings.push(format!(
                    "{}: chart folder `{c}` does not exist; its charts are not used",
                    cfg.file
                ));
            }
        }
        for (url, dir) in &cfg.repos {
            let path = place(dir);
            if path.is_dir() {
                self.repos.push((url.clone(), path));
            } else {
                warnings.push(format!(
                    "{}: the checkout `{dir}` of {url} does not exist; its sources are not \
                     analysed",
                    cfg.file
                ));
            }
        }
        warnings
    }
}

/// Resolves every Application of `repo` not resolved yet (in order), into `repo.app_sources`.
pub fn resolve_new(resolver: &mut Resolver, repo: &mut Repo) {
    if repo.app_sources.len() >= repo.apps.len() {
        return;
    }
    resolver.refresh(repo);
    let start = repo.app_sources.len();
    let new: Vec<AppSources> = (start..repo.apps.len())
        .map(|ai| resolver.resolve_app(repo, ai))
        .collect();
    repo.app_sources.extend(new);
}
