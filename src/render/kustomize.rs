//! Kustomize in the application: the [`driftlens_kustomize`] engine with local copies for
//! remote targets ([`RepoMap`]), and the drop-in `driftlens kustomize build DIR`
//! ([`BuildArgs`]).

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use driftlens_kustomize::fs::DiskFs;
use driftlens_kustomize::helm_engine::InProcessHelm;
use driftlens_kustomize::{BuildOptions, ErrorKind, LoadRestrictor, Remote, Reorder, RepoSpec};

/// Local copies of remote repositories (`--repo URL=PATH`), for remote bases and resources.
#[derive(Debug, Default, Clone)]
pub struct RepoMap {
    entries: Vec<(String, String)>,
}

/// A repository URL reduced to `host/path` (no scheme, user, `.git` or trailing slash), so
/// `https://github.com/o/r.git`, `git@github.com:o/r` and `github.com/o/r` compare equal.
fn repo_key(url: &str) -> String {
    let mut s = url.trim();
    for p in ["https://", "http://", "ssh://", "git::", "file://"] {
        s = s.strip_prefix(p).unwrap_or(s);
    }
    let s = match s.split_once('@') {
        Some((_, rest)) if !rest.contains('@') => rest,
        _ => s,
    };
    let s = s.replacen(':', "/", 1);
    let s = s.trim_end_matches('/');
    s.strip_suffix(".git")
        .unwrap_or(s)
        .to_ascii_lowercase()
        .to_string()
}

impl RepoMap {
    /// Parses `URL=PATH` entries.
    pub fn parse(entries: &[String]) -> Result<RepoMap, String> {
        let mut out = RepoMap::default();
        for e in entries {
            let Some((url, path)) = e.split_once('=') else {
                return Err(format!("--repo {e}: expected URL=PATH"));
            };
            let p = std::path::absolute(path)
                .map_err(|err| format!("--repo {e}: {err}"))?
                .to_string_lossy()
                .into_owned();
            out.entries.push((url.to_string(), p));
        }
        Ok(out)
    }
}

impl Remote for RepoMap {
    fn repo_dir(&self, spec: &RepoSpec) -> Option<String> {
        let want = repo_key(&spec.clone_spec());
        self.entries
            .iter()
            .find(|(url, _)| repo_key(url) == want)
            .map(|(_, p)| p.clone())
    }

    fn file(&self, url: &str) -> Option<String> {
        self.entries.iter().find_map(|(prefix, dir)| {
            let rest = url.strip_prefix(prefix.trim_end_matches('/'))?;
            let rest = rest.strip_prefix('/')?;
            Some(format!("{}/{rest}", dir.trim_end_matches('/')))
        })
    }
}

/// The Git work tree holding `dir` (the nearest ancestor with `.git`), if any.
pub fn enclosing_checkout(dir: &Path) -> Option<PathBuf> {
    let abs = dir.canonicalize().ok()?;
    abs.ancestors()
        .find(|a| a.join(".git").exists())
        .map(Path::to_path_buf)
}

/// `driftlens kustomize …`.
#[derive(Debug, Args)]
pub struct KustomizeArgs {
    #[command(subcommand)]
    command: KustomizeCommand,
}

#[derive(Debug, Subcommand)]
enum KustomizeCommand {
    /// Build a kustomization like `kustomize build` (kustomize v5.6, as in kubectl 1.33):
    /// the same output bytes, in-process.
    Build(BuildArgs),
}

impl KustomizeArgs {
    /// Runs the subcommand; returns the exit code.
    pub fn run(&self) -> i32 {
        match &self.command {
            KustomizeCommand::Build(b) => b.run(),
        }
    }
}

/// `driftlens kustomize build DIR`, with kustomize's flags.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The kustomization directory (or a remote target mapped with --repo).
    #[arg(default_value = ".")]
    pub dir: String,
    /// Inflate `helmCharts:` (with the in-process Helm engine).
    #[arg(long)]
    pub enable_helm: bool,
    /// Accepted for compatibility; charts are rendered in-process, no helm binary is run.
    #[arg(long, value_name = "PATH")]
    pub helm_command: Option<String>,
    /// Kubernetes version for the charts' `.Capabilities.KubeVersion`.
    #[arg(long, value_name = "V")]
    pub helm_kube_version: Option<String>,
    /// Extra API versions for the charts' `.Capabilities.APIVersions`.
    #[arg(long, value_name = "V", value_delimiter = ',')]
    pub helm_api_versions: Vec<String>,
    /// `LoadRestrictionsRootOnly` (files only under each kustomization's directory) or
    /// `LoadRestrictionsNone`.
    #[arg(
        long = "load-restrictor",
        alias = "load_restrictor",
        value_name = "R",
        default_value = "LoadRestrictionsRootOnly"
    )]
    pub load_restrictor: String,
    /// Output order: `legacy` (kind order) or `none` (input order); default: the
    /// kustomization's `sortOptions`, else legacy.
    #[arg(long, value_name = "ORDER")]
    pub reorder: Option<String>,
    /// Add the `app.kubernetes.io/managed-by: kustomize-(devel)` label (also when
    /// KUSTOMIZE_ENABLE_MANAGEDBY_LABEL is set).
    #[arg(long)]
    pub enable_managedby_label: bool,
    /// Accepted for compatibility; exec and container functions are never run.
    #[arg(long)]
    pub enable_alpha_plugins: bool,
    /// A local copy of a remote repository used by the build: `URL=PATH` (repeatable).
    #[arg(long = "repo", value_name = "URL=PATH")]
    pub repos: Vec<String>,
    /// Write the output to this file instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

impl BuildArgs {
    fn options(&self) -> Result<BuildOptions, String> {
        let load_restrictor = match self.load_restrictor.as_str() {
            "LoadRestrictionsRootOnly" => LoadRestrictor::RootOnly,
            "LoadRestrictionsNone" => LoadRestrictor::None,
            other => {
                return Err(format!(
                    "illegal flag value --load-restrictor {other}; legal values: \
                     [LoadRestrictionsNone LoadRestrictionsRootOnly]"
                ))
            }
        };
        let reorder = match self.reorder.as_deref() {
            None => Reorder::Unspecified,
            Some("legacy") => Reorder::Legacy,
            Some("none") => Reorder::None,
            Some(other) => {
                return Err(format!(
                    "illegal flag value --reorder {other}; legal values: [legacy none]"
                ))
            }
        };
        let env_label = std::env::var("KUSTOMIZE_ENABLE_MANAGEDBY_LABEL")
            .is_ok_and(|v| !v.is_empty() && v != "false" && v != "off");
        Ok(BuildOptions {
            load_restrictor,
            enable_helm: self.enable_helm,
            helm_kube_version: self.helm_kube_version.clone().unwrap_or_default(),
            helm_api_versions: self.helm_api_versions.clone(),
            managed_by_label: self.enable_managedby_label || env_label,
            reorder,
            ..BuildOptions::default()
        })
    }

    /// Builds and prints; returns the exit code (0 built, 1 build error, 2 usage error).
    pub fn run(&self) -> i32 {
        let opts = match self.options() {
            Ok(o) => o,
            Err(e) => {
                eprintln!("Error: {e}");
                return 2;
            }
        };
        let repos = match RepoMap::parse(&self.repos) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("Error: {e}");
                return 2;
            }
        };
        let sandbox = enclosing_checkout(Path::new(&self.dir));
        let fs = match &sandbox {
            Some(root) => match DiskFs::sandboxed(root) {
                Ok(f) => f,
                Err(e) => {
                    eprintln!("Error: {}: {e}", root.display());
                    return 2;
                }
            },
            None => DiskFs::unrestricted(),
        };
        let helm = InProcessHelm { root: sandbox };
        let (result, warnings) = driftlens_kustomize::build_with_warnings(
            &fs,
            &self.dir,
            &opts,
            Some(&repos),
            Some(&helm),
        );
        let mut stderr = std::io::stderr().lock();
        for w in &warnings {
            let _ = writeln!(stderr, "{w}");
        }
        let text = match result.and_then(|out| out.to_yaml()) {
            Ok(t) => t,
            Err(e) => {
                let _ = writeln!(stderr, "Error: {}", e.message);
                // kustomize's own errors keep kustomize's text; ours say where and why.
                if e.kind != ErrorKind::Build {
                    if let Some(at) = e.at.as_ref().filter(|a| a.line > 0) {
                        let _ = writeln!(stderr, "  at {}:{}", at.path, at.line);
                    }
                }
                if e.kind == ErrorKind::NotAnalysed {
                    let _ = writeln!(
                        stderr,
                        "  (driftlens runs no programs and does not reach the network)"
                    );
                }
                return 1;
            }
        };
        let written = match &self.output {
            Some(p) => std::fs::write(p, &text).map_err(|e| format!("{}: {e}", p.display())),
            None => {
                let mut out = std::io::stdout().lock();
                match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
                    Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.to_string()),
                    _ => Ok(()),
                }
            }
        };
        match written {
            Ok(()) => 0,
            Err(e) => {
                let _ = writeln!(stderr, "Error: {e}");
                1
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_keys() {
        for u in [
            "https://github.com/Org/Repo.git",
            "git@github.com:org/repo",
            "github.com/org/repo/",
            "ssh://git@github.com/org/repo.git",
        ] {
            assert_eq!(repo_key(u), "github.com/org/repo", "{u}");
        }
    }
}
