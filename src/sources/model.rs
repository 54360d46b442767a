//! The source model: kinds of source, where a source resolved, why one is not analysed and the
//! command that would make it analysable.

use serde::Serialize;

use super::url;
use crate::model::argocd::ApplicationSource;

/// Argo CD's kinds of source, as driftlens tells them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// Plain manifests in a directory of a Git repository.
    Directory,
    /// A path of a Git repository that is not here: what it holds is unknown.
    GitPath,
    /// A Helm chart in a directory of a Git repository.
    HelmChart,
    /// A chart of a Helm repository (`chart` with an `http(s)` `repoURL`).
    HelmRepository,
    /// A chart of an OCI registry.
    HelmOci,
    /// An OCI artifact holding manifests (`oci://` `repoURL` without `chart`).
    Oci,
    /// A Kustomize directory.
    Kustomize,
    /// A directory with Jsonnet files.
    Jsonnet,
    /// A config management plugin.
    Plugin,
    /// A multi-source entry without `path` or `chart`: it only lends files to `$ref` value files.
    Ref,
}

impl SourceKind {
    /// How the kind is named in messages and tables.
    pub fn describe(self) -> &'static str {
        match self {
            SourceKind::Directory => "directory",
            SourceKind::GitPath => "Git path",
            SourceKind::HelmChart => "Helm chart in Git",
            SourceKind::HelmRepository => "Helm repository chart",
            SourceKind::HelmOci => "OCI Helm chart",
            SourceKind::Oci => "OCI artifact",
            SourceKind::Kustomize => "Kustomize",
            SourceKind::Jsonnet => "Jsonnet",
            SourceKind::Plugin => "plugin",
            SourceKind::Ref => "ref",
        }
    }
}

/// Where a source's files were found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "in")]
pub enum Place {
    /// In the scanned checkout.
    #[serde(rename = "checkout")]
    Checkout {
        /// Directory relative to the scan root (`.` for the root).
        path: String,
    },
    /// In a checkout of another repository (`--repo URL=PATH`).
    #[serde(rename = "mapped-checkout")]
    Mapped {
        /// The checkout, as given.
        checkout: String,
        /// Directory relative to that checkout's root.
        path: String,
        /// The directory in the model's paths (relative to the scan root).
        #[serde(skip)]
        model: String,
        /// The checkout's root in the model's paths.
        #[serde(skip)]
        model_root: String,
        /// The checkout's root on disk.
        #[serde(skip)]
        root_abs: std::path::PathBuf,
    },
    /// A chart archive or directory of a chart folder or of Helm's cache.
    #[serde(rename = "chart-folder")]
    Chart {
        /// The archive or directory, as found.
        file: String,
        /// The chart's version.
        version: String,
        /// Which kind of folder.
        origin: super::charts::ChartOrigin,
    },
}

impl Place {
    /// The directory in the model's paths (relative to the scan root).
    pub fn dir(&self) -> &str {
        match self {
            Place::Checkout { path } => path,
            Place::Mapped { model, .. } => model,
            Place::Chart { file, .. } => file,
        }
    }

    /// The root of the repository the place is in, in the model's paths (`.` for this
    /// checkout); `None` for a chart folder.
    pub fn repo_root(&self) -> Option<&str> {
        match self {
            Place::Checkout { .. } => Some("."),
            Place::Mapped { model_root, .. } => Some(model_root),
            Place::Chart { .. } => None,
        }
    }

    /// `this checkout, charts/web`, `chart folder, charts/redis-17.0.0.tgz`.
    pub fn describe(&self) -> String {
        match self {
            Place::Checkout { path } => format!("this checkout, {path}"),
            Place::Mapped { checkout, path, .. } => format!("checkout {checkout}, {path}"),
            Place::Chart {
                file,
                origin: super::charts::ChartOrigin::Folder,
                ..
            } => format!("chart folder, {file}"),
            Place::Chart {
                file,
                origin: super::charts::ChartOrigin::HelmCache,
                ..
            } => format!("Helm's cache, {file}"),
        }
    }
}

/// Whether a source was analysed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceStatus {
    /// Its desired objects are known.
    Analysed,
    /// Its files are not available, or driftlens cannot build it: see the reason.
    NotAnalysed,
    /// Its files are here but building it failed (a chart that does not render, a file that
    /// does not parse): reported by `invalid-manifest`.
    Failed,
}

/// A command that would make a source analysable, where the network is allowed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all_fields = "camelCase", tag = "action")]
pub enum Fix {
    /// `helm pull CHART --repo URL --version V -d DIR`.
    #[serde(rename = "helm-pull")]
    HelmPull {
        /// The Helm repository (`repoURL`, as in the sources it is for).
        #[serde(rename = "repoURL")]
        repo_url: String,
        /// The chart.
        chart: String,
        /// The version or constraint (`None`: the latest).
        version: Option<String>,
    },
    /// `helm pull oci://REGISTRY/PATH/CHART --version V -d DIR`.
    #[serde(rename = "helm-pull-oci")]
    HelmPullOci {
        /// `oci://host/path/chart`.
        reference: String,
        /// The version or constraint.
        version: Option<String>,
    },
    /// `helm dependency build DIR` (writes the chart's `charts/`).
    #[serde(rename = "helm-dependency-build")]
    HelmDependencyBuild {
        /// The chart directory, relative to the scan root.
        dir: String,
    },
    /// `git clone URL DIR`, then `--repo URL=DIR`.
    #[serde(rename = "git-clone")]
    GitClone {
        /// The repository.
        url: String,
        /// The revision Argo CD would check out (`targetRevision`).
        revision: String,
    },
}

/// Folder the vendoring commands write charts into, relative to where they run.
pub const DEFAULT_CHARTS_DIR: &str = ".driftlens/charts";
/// Folder the vendoring commands clone repositories into.
pub const DEFAULT_REPOS_DIR: &str = ".driftlens/repos";

impl Fix {
    /// The shell command, writing charts to `charts` and clones to `repos`.
    pub fn command(&self, charts: &str, repos: &str) -> String {
        let version = |v: &Option<String>| match v {
            Some(v) if !v.is_empty() => format!(" --version {}", shell_quote(v)),
            _ => String::new(),
        };
        match self {
            Fix::HelmPull {
                repo_url,
                chart,
                version: v,
            } => format!(
                "helm pull {} --repo {}{} -d {charts}",
                shell_quote(chart),
                shell_quote(repo_url),
                version(v)
            ),
            Fix::HelmPullOci {
                reference,
                version: v,
            } => format!(
                "helm pull {}{} -d {charts}",
                shell_quote(reference),
                version(v)
            ),
            Fix::HelmDependencyBuild { dir } => {
                format!("helm dependency build {}", shell_quote(dir))
            }
            Fix::GitClone { url, revision } => {
                let dir = format!("{repos}/{}", clone_dir_name(url));
                let mut s = format!("git clone {} {dir}", shell_quote(url));
                if !revision.is_empty() && revision != "HEAD" {
                    s.push_str(&format!(
                        " && git -C {dir} checkout {}",
                        shell_quote(revision)
                    ));
                }
                s
            }
        }
    }

    /// The flag the scan needs once the command ran (`--charts DIR`, `--repo URL=DIR`).
    pub fn scan_flag(&self, charts: &str, repos: &str) -> Option<String> {
        match self {
            Fix::HelmPull { .. } | Fix::HelmPullOci { .. } => Some(format!("--charts {charts}")),
            Fix::HelmDependencyBuild { .. } => None,
            Fix::GitClone { url, .. } => Some(format!(
                "--repo {}={repos}/{}",
                shell_quote(url),
                clone_dir_name(url)
            )),
        }
    }
}

/// The folder a clone of `url` goes to: its host and path (`github.com/org/repo`).
pub fn clone_dir_name(url: &str) -> String {
    let key = url::repo_key(url);
    let safe: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let parts: Vec<&str> = safe
        .split('/')
        .filter(|p| !p.is_empty() && *p != "." && *p != "..")
        .collect();
    if parts.is_empty() {
        "repo".to_string()
    } else {
        parts.join("/")
    }
}

/// Quotes a word for a POSIX shell when it needs it.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '-' | '_' | '.' | '/' | ':' | '@' | '=' | '+' | ',')
        })
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// One source of an Application and what became of it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceInfo {
    /// Position in `spec.sources` (0 for `spec.source`).
    pub index: usize,
    /// JSON pointer of the source in the Application (`/spec/source`, `/spec/sources/1`).
    #[serde(skip)]
    pub pointer: String,
    /// JSON pointer of the field a finding about the source points at (`…/chart`, `…/path`,
    /// `…/repoURL`, a `valueFiles` entry).
    #[serde(skip)]
    pub blame: String,
    /// The kind of source.
    pub kind: SourceKind,
    /// `repoURL`.
    #[serde(rename = "repoURL")]
    pub repo_url: String,
    /// `path`, when set.
    pub path: Option<String>,
    /// `chart`, when set.
    pub chart: Option<String>,
    /// `targetRevision`.
    pub target_revision: String,
    /// `ref`, when set.
    #[serde(rename = "ref")]
    pub ref_name: Option<String>,
    /// Analysed or not.
    pub status: SourceStatus,
    /// Where its files are, when found.
    pub place: Option<Place>,
    /// Which revision of its files was analysed.
    pub revision: Option<String>,
    /// Why it is not analysed (or failed).
    pub reason: Option<String>,
    /// What would make it analysable (one command per missing piece).
    pub fixes: Vec<Fix>,
    /// What was not checked while building it (a schema that refers to a URL).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Whether another rule already reports the reason (`broken-source-path` for a path that
    /// does not exist in this checkout), so that `source-not-analysed` does not repeat it.
    #[serde(skip)]
    pub reported_elsewhere: bool,
}

impl SourceInfo {
    pub(crate) fn new(index: usize, multi: bool, src: &ApplicationSource) -> Self {
        let pointer = if multi {
            format!("/spec/sources/{index}")
        } else {
            "/spec/source".to_string()
        };
        SourceInfo {
            index,
            blame: format!("{pointer}/repoURL"),
            pointer,
            kind: SourceKind::Directory,
            repo_url: src.repo_url.clone(),
            path: src.path.clone(),
            chart: src.chart.clone().filter(|c| !c.is_empty()),
            target_revision: src.target_revision.clone(),
            ref_name: src.ref_.clone().filter(|r| !r.is_empty()),
            status: SourceStatus::Analysed,
            place: None,
            revision: None,
            reason: None,
            fixes: Vec::new(),
            notes: Vec::new(),
            reported_elsewhere: false,
        }
    }

    /// Marks the source not analysed.
    pub fn not_analysed(&mut self, reason: impl Into<String>, fixes: Vec<Fix>) {
        self.status = SourceStatus::NotAnalysed;
        self.reason = Some(reason.into());
        self.fixes = fixes;
    }

    /// Marks the source failed (its files are here, building it failed).
    pub fn failed(&mut self, reason: impl Into<String>) {
        self.status = SourceStatus::Failed;
        self.reason = Some(reason.into());
    }

    /// The outcome in one line: `yes: this checkout, charts/web (the checkout as it is)`,
    /// `no: <reason>; run: <command>`, `failed: <reason>`.
    pub fn outcome(&self) -> String {
        match self.status {
            SourceStatus::Analysed => {
                let place = self
                    .place
                    .as_ref()
                    .map(Place::describe)
                    .unwrap_or_else(|| "nothing to build".to_string());
                let mut s = match &self.revision {
                    Some(r) => format!("yes: {place} ({r})"),
                    None => format!("yes: {place}"),
                };
                for n in &self.notes {
                    s.push_str(&format!("; note: {n}"));
                }
                s
            }
            SourceStatus::NotAnalysed => {
                let mut s = format!("no: {}", self.reason.as_deref().unwrap_or("unknown reason"));
                for f in &self.fixes {
                    s.push_str(&format!(
                        "; run: {}",
                        f.command(DEFAULT_CHARTS_DIR, DEFAULT_REPOS_DIR)
                    ));
                }
                s
            }
            SourceStatus::Failed => {
                format!(
                    "failed: {}",
                    self.reason.as_deref().unwrap_or("unknown reason")
                )
            }
        }
    }

    /// What the source is, for messages: ``chart `redis` version `17.0.0` of Helm repository
    /// `https://…` ``, ``Kustomize directory `overlays/prod` of `https://…` (main)``.
    pub fn describe(&self) -> String {
        let rev = if self.target_revision.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.target_revision)
        };
        let version = if self.target_revision.is_empty() {
            String::new()
        } else {
            format!(" version `{}`", self.target_revision)
        };
        let path = self
            .path
            .as_deref()
            .filter(|p| !p.is_empty())
            .unwrap_or(".");
        let url = &self.repo_url;
        match self.kind {
            SourceKind::HelmRepository => format!(
                "chart `{}`{version} of Helm repository `{url}`",
                self.chart.as_deref().unwrap_or("")
            ),
            SourceKind::HelmOci => format!(
                "chart `{}`{version} of OCI registry `{url}`",
                self.chart.as_deref().unwrap_or("")
            ),
            SourceKind::Oci => format!("OCI artifact `{url}`{rev}"),
            SourceKind::Ref => format!(
                "`ref: {}` of `{url}`{rev}",
                self.ref_name.as_deref().unwrap_or("")
            ),
            SourceKind::Directory => format!("directory `{path}` of `{url}`{rev}"),
            SourceKind::GitPath => format!("path `{path}` of `{url}`{rev}"),
            SourceKind::HelmChart => format!("Helm chart `{path}` of `{url}`{rev}"),
            SourceKind::Kustomize => format!("Kustomize directory `{path}` of `{url}`{rev}"),
            SourceKind::Jsonnet => format!("Jsonnet directory `{path}` of `{url}`{rev}"),
            SourceKind::Plugin => format!("plugin directory `{path}` of `{url}`{rev}"),
        }
    }
}

/// Where an Application was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "from")]
pub enum AppOrigin {
    /// A file of the checkout.
    #[serde(rename = "file")]
    File {
        /// The file.
        path: String,
    },
    /// Built by a kustomization (app of apps).
    #[serde(rename = "kustomization")]
    Kustomization {
        /// The kustomization's directory.
        dir: String,
        /// The Application it was built for, if any.
        app: Option<String>,
    },
    /// Rendered by a Helm chart (app of apps).
    #[serde(rename = "chart")]
    Chart {
        /// The chart's directory.
        chart: String,
        /// The Application the chart was rendered for, if any.
        app: Option<String>,
    },
}

/// Every source of one Application.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppSources {
    /// Index into `Repo::apps`.
    #[serde(skip)]
    pub app: usize,
    /// Where the Application was found.
    pub origin: AppOrigin,
    /// Its sources, in order.
    pub sources: Vec<SourceInfo>,
}

impl AppSources {
    /// Whether every source was analysed.
    pub fn analysed(&self) -> bool {
        self.sources
            .iter()
            .all(|s| s.status == SourceStatus::Analysed)
    }

    /// The sources that are not analysed or failed.
    pub fn blocking(&self) -> impl Iterator<Item = &SourceInfo> {
        self.sources
            .iter()
            .filter(|s| s.status != SourceStatus::Analysed)
    }

    /// Why the Application's desired state is unknown: one sentence per source.
    pub fn unknown_reason(&self) -> Option<String> {
        let parts: Vec<String> = self
            .blocking()
            .map(|s| {
                format!(
                    "source {}, {}, {}: {}",
                    s.index + 1,
                    s.describe(),
                    match s.status {
                        SourceStatus::Failed => "failed",
                        _ => "not analysed",
                    },
                    s.reason.as_deref().unwrap_or("unknown reason")
                )
            })
            .collect();
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// How the checkout's own URLs are known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OwnUrls {
    /// `--repo-url`.
    Flag,
    /// The remotes of the checkout's Git config.
    Remotes,
    /// No remote is known: a URL is this checkout when its paths exist here.
    PathsExist,
}

/// What is known about the scanned checkout itself.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckoutFacts {
    /// The Git remotes (`name`, `url`).
    pub remotes: Vec<(String, String)>,
    /// The checked-out revision, described (`main at 1a2b3c4d5e6f`).
    pub head: Option<String>,
    /// How the checkout's URLs were decided.
    pub own_urls: OwnUrls,
    /// The URLs taken as this checkout (as written in the Applications or given).
    pub urls: Vec<String>,
}

impl Default for CheckoutFacts {
    fn default() -> Self {
        CheckoutFacts {
            remotes: Vec::new(),
            head: None,
            own_urls: OwnUrls::PathsExist,
            urls: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands() {
        let pull = Fix::HelmPull {
            repo_url: "https://charts.bitnami.com/bitnami".into(),
            chart: "redis".into(),
            version: Some(">=17.0.0 <18".into()),
        };
        assert_eq!(
            pull.command("c", "r"),
            "helm pull redis --repo https://charts.bitnami.com/bitnami --version '>=17.0.0 <18' -d c"
        );
        let oci = Fix::HelmPullOci {
            reference: "oci://ghcr.io/org/charts/app".into(),
            version: None,
        };
        assert_eq!(
            oci.command("c", "r"),
            "helm pull oci://ghcr.io/org/charts/app -d c"
        );
        let clone = Fix::GitClone {
            url: "git@github.com:Org/Other.git".into(),
            revision: "v1.2".into(),
        };
        assert_eq!(
            clone.command("c", "r"),
            "git clone git@github.com:Org/Other.git r/github.com/org/other \
             && git -C r/github.com/org/other checkout v1.2"
        );
        assert_eq!(
            clone.scan_flag("c", "r").unwrap(),
            "--repo git@github.com:Org/Other.git=r/github.com/org/other"
        );
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
    }
}
