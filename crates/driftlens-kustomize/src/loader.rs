//! kustomize's file loader (`api/internal/loader`): one per kustomization root, files read
//! under the load restrictor (`LoadRestrictionsRootOnly` refuses files whose real location is
//! outside the root), directories opened as new roots (never absolute, never an ancestor of a
//! root already on the chain), remote targets resolved only through the caller's mapping.

use crate::error::{Error, Result};
use crate::fs::{self, FileKind, FileSystem, FsError};

/// kustomize's `--load-restrictor`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LoadRestrictor {
    /// `LoadRestrictionsRootOnly` (the default).
    #[default]
    RootOnly,
    /// `LoadRestrictionsNone`.
    None,
}

/// A remote target as kustomize parses it (`git.RepoSpec`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepoSpec {
    /// As written.
    pub raw: String,
    /// `scheme + user + host`.
    pub host: String,
    /// Repository path on the host.
    pub repo_path: String,
    /// Path inside the repository.
    pub sub_path: String,
    /// `?ref=` / `?version=`.
    pub git_ref: String,
}

impl RepoSpec {
    /// What `git clone` would be given (`host + repoPath`).
    pub fn clone_spec(&self) -> String {
        format!("{}{}", self.host, self.repo_path)
    }
}

/// Where remote targets come from: the caller maps them to local copies (`--repo URL=PATH`).
pub trait Remote: Send + Sync {
    /// A local directory holding the repository of `spec` at its ref, if mapped.
    fn repo_dir(&self, spec: &RepoSpec) -> Option<String>;
    /// A local file for an `http(s)://` resource URL, if mapped.
    fn file(&self, url: &str) -> Option<String>;
}

/// kustomize `git.NewRepoSpecFromURL`: `None` when the text is not a remote target.
pub fn parse_repo_spec(n: &str) -> Option<RepoSpec> {
    if n.starts_with('/') {
        return None;
    }
    let raw = n.to_string();
    let (path_part, query) = match n.split_once('?') {
        Some((a, b)) => (a, b),
        None => (n, ""),
    };
    let mut git_ref = String::new();
    for kv in query.split('&') {
        if let Some(v) = kv.strip_prefix("version=") {
            if git_ref.is_empty() {
                git_ref = v.to_string();
            }
        }
    }
    for kv in query.split('&') {
        if let Some(v) = kv.strip_prefix("ref=") {
            if !v.is_empty() {
                git_ref = v.to_string();
            }
        }
    }
    // extractHost
    let mut s = path_part;
    if s.len() >= 5 && s[..5].eq_ignore_ascii_case("git::") {
        s = &s[5..];
    }
    let mut scheme = "";
    for prefix in ["ssh://", "https://", "http://", "file://"] {
        if s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix) {
            scheme = prefix;
            s = &s[prefix.len()..];
            break;
        }
    }
    let mut username = String::new();
    {
        let b = s.as_bytes();
        if !b.is_empty() && b[0].is_ascii_alphabetic() {
            let mut i = 1;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'-') {
                i += 1;
            }
            if i < b.len() && b[i] == b'@' {
                username = s[..=i].to_string();
                s = &s[i + 1..];
            }
        }
    }
    let lower = s.to_ascii_lowercase();
    let std_github = lower.starts_with("github.com/") || lower.starts_with("github.com:");
    let accept_scp = scheme.is_empty() && (!username.is_empty() || std_github);
    if scheme.is_empty() && !accept_scp {
        return None;
    }
    let (host, rest) = if scheme == "file://" {
        (format!("{scheme}{username}{s}"), String::new())
    } else {
        let mut sep = s.find('/').map(|i| i as isize).unwrap_or(-1);
        if accept_scp {
            if let Some(c) = s.find(':') {
                if sep == -1 || (c > 0 && (c as isize) < sep) {
                    sep = c as isize;
                }
            }
        }
        let (mut h, r) = if sep >= 0 {
            let i = sep as usize;
            (s[..=i].to_string(), s[i + 1..].to_string())
        } else {
            (s.to_string(), String::new())
        };
        let (mut sch, mut user) = (scheme.to_string(), username.clone());
        if std_github {
            if sch.starts_with("ssh://") || !user.is_empty() {
                sch = String::new();
                h = "github.com:".into();
            } else {
                sch = "https://".into();
                user = String::new();
                h = "github.com/".into();
            }
        }
        if h.is_empty() {
            return None;
        }
        (format!("{sch}{user}{h}"), r)
    };
    let path_src = if scheme == "file://" {
        format!("{username}{s}")
    } else {
        rest
    };
    let all = host.starts_with("file://");
    let (repo_path, sub) = if let Some(i) = path_src.find("_git/") {
        let root = &path_src[..i + 5];
        let after: Vec<&str> = path_src[i + 5..].split('/').collect();
        (format!("{root}{}", after[0]), after[1..].join("/"))
    } else if let Some(i) = path_src.find("//") {
        (path_src[..i].to_string(), path_src[i + 2..].to_string())
    } else if let Some(i) = path_src.find(".git") {
        (path_src[..i + 4].to_string(), path_src[i + 4..].to_string())
    } else if all {
        (path_src.clone(), String::new())
    } else {
        let segs: Vec<&str> = path_src.split('/').collect();
        if segs.len() < 2 {
            return None;
        }
        (segs[..2].join("/"), segs[2..].join("/"))
    };
    if repo_path.is_empty() {
        return None;
    }
    let cleaned = fs::clean(sub.trim_start_matches('/'));
    if cleaned.split('/').next() == Some("..") {
        return None;
    }
    Some(RepoSpec {
        raw,
        host: if scheme == "file://" {
            scheme.to_string()
        } else {
            host
        },
        repo_path,
        sub_path: sub.trim_start_matches('/').to_string(),
        git_ref,
    })
}

/// Whether kustomize would fetch this path over HTTP (`IsRemoteFile`).
pub fn is_remote_file(p: &str) -> bool {
    p.starts_with("http://") || p.starts_with("https://")
}

/// A loader rooted at one kustomization directory.
#[derive(Clone, Debug)]
pub struct Loader {
    /// The confirmed (absolute, symlink-free) root.
    pub root: String,
    restrict: LoadRestrictor,
    /// Roots of the referrers, outermost first.
    chain: Vec<String>,
    /// Remote specs on the chain (raw, local clone dir), outermost first.
    repos: Vec<(String, String)>,
}

/// Why `CleanedAbs` failed, with kustomize's text.
fn cleaned_abs(fsys: &dyn FileSystem, path: &str, shown: &str) -> Result<(String, String)> {
    let abs = fs::abs(&fs::cwd(), path);
    let real = fs::eval_symlinks(fsys, &abs)
        .map_err(|e| Error::new(format!("evalsymlink failure on '{shown}' : {e}")))?;
    if matches!(fsys.lstat(&real), Ok(FileKind::Dir)) {
        return Ok((real, String::new()));
    }
    Ok((fs::parent(&real), fs::base(&real).to_string()))
}

/// `filesys.ConfirmDir`.
fn confirm_dir(fsys: &dyn FileSystem, path: &str) -> Result<String> {
    let (d, f) = cleaned_abs(fsys, path, path).map_err(|e| e.prefix("not a valid directory"))?;
    if !f.is_empty() {
        return Err(Error::new(format!("'{path}': file is not directory")));
    }
    Ok(d)
}

/// `ConfirmedDir.HasPrefix`.
fn has_prefix(d: &str, p: &str) -> bool {
    p == "/" || d == p || d.starts_with(&format!("{p}/"))
}

impl Loader {
    /// `NewLoader` at the build's target directory.
    pub fn new_root(
        fsys: &dyn FileSystem,
        target: &str,
        restrict: LoadRestrictor,
        remote: Option<&dyn Remote>,
    ) -> Result<Loader> {
        if let Some(spec) = parse_repo_spec(target) {
            let dir = remote_dir(&spec, remote)?;
            let root = confirm_dir(fsys, &fs::join(&dir, &spec.sub_path))
                .map_err(|e| e.prefix("must build at directory"))?;
            return Ok(Loader {
                root,
                restrict: LoadRestrictor::RootOnly,
                chain: Vec::new(),
                repos: vec![(spec.raw.clone(), dir)],
            });
        }
        let root = confirm_dir(fsys, target).map_err(|e| e.prefix("must build at directory"))?;
        Ok(Loader {
            root,
            restrict,
            chain: Vec::new(),
            repos: Vec::new(),
        })
    }

    /// `FileLoader.New`: a loader for a base or component directory.
    pub fn child(
        &self,
        fsys: &dyn FileSystem,
        path: &str,
        remote: Option<&dyn Remote>,
    ) -> Result<Loader> {
        if path.is_empty() {
            return Err(Error::new("new root cannot be empty"));
        }
        let mut chain = self.chain.clone();
        chain.push(self.root.clone());
        if let Some(spec) = parse_repo_spec(path) {
            for (raw, _) in &self.repos {
                if raw.starts_with(&spec.raw) {
                    return Err(Error::new(format!(
                        "cycle detected: URI '{}' referenced by previous URI '{raw}'",
                        spec.raw
                    )));
                }
            }
            let dir = remote_dir(&spec, remote)?;
            let root = confirm_dir(fsys, &fs::join(&dir, &spec.sub_path))
                .map_err(|e| e.prefix("must build at directory"))?;
            if !has_prefix(&root, &dir) {
                return Err(Error::new(format!(
                    "\"{}\" refers to directory outside of repo \"{dir}\"",
                    fs::join(&dir, &spec.sub_path)
                )));
            }
            let mut repos = self.repos.clone();
            repos.push((spec.raw.clone(), dir));
            return Ok(Loader {
                root,
                restrict: LoadRestrictor::RootOnly,
                chain,
                repos,
            });
        }
        if path.starts_with('/') {
            return Err(Error::new(format!("new root '{path}' cannot be absolute")));
        }
        let root = confirm_dir(fsys, &fs::join(&self.root, path))
            .map_err(|e| e.prefix("must build at directory"))?;
        if let Some((_, clone_dir)) = self.repos.last() {
            if !has_prefix(&root, clone_dir) {
                return Err(Error::new(format!(
                    "security; bases in kustomizations found in cloned git repos must be \
                     within the repo, but base '{root}' is outside '{clone_dir}'"
                )));
            }
        }
        for visited in chain.iter().rev() {
            if has_prefix(visited, &root) {
                return Err(Error::new(format!(
                    "cycle detected: candidate root '{root}' contains visited root '{visited}'"
                )));
            }
        }
        Ok(Loader {
            root,
            restrict: self.restrict,
            chain,
            repos: self.repos.clone(),
        })
    }

    /// How deep this loader is below the build's root.
    pub fn depth(&self) -> usize {
        self.chain.len()
    }

    /// `FileLoader.Load`: reads a file under the load restrictor. Returns the bytes and the
    /// real path read.
    pub fn load(
        &self,
        fsys: &dyn FileSystem,
        path: &str,
        limit: u64,
        remote: Option<&dyn Remote>,
    ) -> Result<(Vec<u8>, String)> {
        if is_remote_file(path) {
            return match remote.and_then(|r| r.file(path)) {
                Some(local) => {
                    let b = read(fsys, &local, limit)?;
                    Ok((b, local))
                }
                None => Err(Error::not_analysed(format!(
                    "remote file '{path}' is not read (no mapping to a local copy; use --repo \
                     URL=PATH)"
                ))),
            };
        }
        let p = if path.starts_with('/') {
            path.to_string()
        } else {
            fs::join(&self.root, path)
        };
        let real = match self.restrict {
            LoadRestrictor::RootOnly => {
                let (d, f) = cleaned_abs(fsys, &p, &p)?;
                if f.is_empty() {
                    return Err(Error::new(format!("'{p}' must resolve to a file")));
                }
                if !has_prefix(&d, &self.root) {
                    return Err(Error::new(format!(
                        "security; file '{p}' is not in or below '{}'",
                        self.root
                    )));
                }
                fs::join(&d, &f)
            }
            LoadRestrictor::None => p,
        };
        let b = read(fsys, &real, limit)?;
        Ok((b, real))
    }
}

fn read(fsys: &dyn FileSystem, path: &str, limit: u64) -> Result<Vec<u8>> {
    fsys.read(path, limit).map_err(|e| match e {
        FsError::Io(m) => Error::new(format!("open {path}: {m}")),
        FsError::OutsideSandbox(sb) => Error::new(format!(
            "security; file '{path}' is outside the analysed tree '{sb}' and is not read"
        )),
        FsError::TooLarge(n) => Error::budget(format!(
            "file '{path}' is {n} bytes, more than the {limit}-byte limit for one file"
        )),
    })
}

fn remote_dir(spec: &RepoSpec, remote: Option<&dyn Remote>) -> Result<String> {
    match remote.and_then(|r| r.repo_dir(spec)) {
        Some(d) => Ok(d),
        None => Err(Error::not_analysed(format!(
            "remote target '{}' is not fetched (no mapping of {} to a local copy; use --repo \
             URL=PATH)",
            spec.raw,
            spec.clone_spec()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::MemFs;

    #[test]
    fn repo_specs_like_kustomize() {
        let s = parse_repo_spec("github.com/org/repo//path/x?ref=v1").unwrap();
        assert_eq!(s.host, "https://github.com/");
        assert_eq!(s.repo_path, "org/repo");
        assert_eq!(s.sub_path, "path/x");
        assert_eq!(s.git_ref, "v1");
        let s = parse_repo_spec("https://example.com/org/repo.git/sub").unwrap();
        assert_eq!(s.repo_path, "org/repo.git");
        assert_eq!(s.sub_path, "sub");
        assert!(parse_repo_spec("../base").is_none());
        assert!(parse_repo_spec("base").is_none());
        assert!(parse_repo_spec("deploy.yaml").is_none());
        let s = parse_repo_spec("git@github.com:org/repo/sub").unwrap();
        assert_eq!(s.host, "git@github.com:");
    }

    #[test]
    fn restrictions() {
        let mut f = MemFs::new();
        f.add_file("/r/k/kustomization.yaml", "x");
        f.add_file("/r/k/a.yaml", "a");
        f.add_file("/r/out.yaml", "o");
        f.add_link("/r/k/link.yaml", "/r/out.yaml");
        let l = Loader::new_root(&f, "/r/k", LoadRestrictor::RootOnly, None).unwrap();
        assert!(l.load(&f, "a.yaml", 1 << 20, None).is_ok());
        assert_eq!(
            l.load(&f, "link.yaml", 1 << 20, None).unwrap_err().message,
            "security; file '/r/k/link.yaml' is not in or below '/r/k'"
        );
        assert_eq!(
            l.load(&f, "nope.yaml", 1 << 20, None).unwrap_err().message,
            "evalsymlink failure on '/r/k/nope.yaml' : lstat /r/k/nope.yaml: no such file or directory"
        );
        assert_eq!(
            l.child(&f, "..", None).unwrap_err().message,
            "cycle detected: candidate root '/r' contains visited root '/r/k'"
        );
    }
}
