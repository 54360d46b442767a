//! The checkout root: what may be read from a checkout.
//!
//! A checkout may contain symbolic links, and an Application may name files by path
//! (`valueFiles`, `fileParameters`). Like Argo CD, which refuses out-of-bounds symlinks, driftlens
//! reads a path only when it resolves — symbolic links followed — to a place inside the
//! checkout root; a link to `/etc`, `/proc/self/environ` or `/` is reported at its own path and
//! not followed, and `../` cannot climb out either. In-repository links are followed.

use std::path::{Component, Path, PathBuf};

/// The resolved root of a checkout.
#[derive(Debug, Clone)]
pub struct CheckoutRoot {
    resolved: PathBuf,
}

/// Why a path may not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Escape {
    /// The path (through a symbolic link or `..`) leads outside the checkout.
    #[error(
        "it leads outside the checkout{}; driftlens only follows symbolic links and paths that \
         stay inside the checkout (Argo CD refuses out-of-bounds links too)",
        .0.as_ref().map(|t| format!(" (to {t})")).unwrap_or_default()
    )]
    Outside(Option<String>),
    /// The path cannot be resolved (a dangling link, a loop, a permission problem).
    #[error("it cannot be resolved: {0}")]
    Unresolvable(String),
}

impl CheckoutRoot {
    /// The root at `path` (resolved once).
    pub fn new(path: &Path) -> std::io::Result<CheckoutRoot> {
        Ok(CheckoutRoot {
            resolved: path.canonicalize()?,
        })
    }

    /// The resolved root directory.
    pub fn path(&self) -> &Path {
        &self.resolved
    }

    /// Whether `path` (absolute or relative to the current directory) resolves to a place
    /// inside the root; returns the resolved path.
    pub fn check(&self, path: &Path) -> Result<PathBuf, Escape> {
        match path.canonicalize() {
            Ok(p) if p.starts_with(&self.resolved) => Ok(p),
            Ok(p) => Err(Escape::Outside(Some(p.display().to_string()))),
            Err(e) => {
                // A path that does not exist: judge it lexically, and report it as missing.
                if lexically_inside(&self.resolved, path) {
                    Err(Escape::Unresolvable(e.to_string()))
                } else {
                    Err(Escape::Outside(None))
                }
            }
        }
    }

    /// Whether `path` is a symbolic link that leads outside the root (or cannot be resolved).
    pub fn check_link(&self, path: &Path) -> Result<(), Escape> {
        let is_link = path
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink());
        if is_link {
            self.check(path).map(|_| ())
        } else {
            Ok(())
        }
    }

    /// `rel` (a path written in the checkout, e.g. a `valueFiles` entry) resolved against
    /// `base`, or against the root when it is absolute (as Argo CD does), then checked.
    pub fn join(&self, base: &Path, rel: &str) -> Result<PathBuf, Escape> {
        let p = Path::new(rel);
        let joined = if p.is_absolute() {
            let stripped: PathBuf = p
                .components()
                .filter(|c| !matches!(c, Component::RootDir | Component::Prefix(_)))
                .collect();
            self.resolved.join(stripped)
        } else {
            base.join(p)
        };
        if !lexically_inside(&self.resolved, &absolute(&joined)) {
            return Err(Escape::Outside(None));
        }
        Ok(joined)
    }
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    }
}

/// Whether `path` stays under `root`, resolving it component by component: symbolic links of
/// the parts that exist are followed, `..` of the parts that do not is applied lexically.
fn lexically_inside(root: &Path, path: &Path) -> bool {
    let mut out = PathBuf::new();
    for c in absolute(path).components() {
        match c {
            Component::Prefix(_) | Component::RootDir => out.push(c.as_os_str()),
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(name) => {
                out.push(name);
                if let Ok(real) = out.canonicalize() {
                    out = real;
                }
            }
        }
    }
    out.starts_with(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn links_and_dot_dots_stay_inside() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("repo");
        std::fs::create_dir_all(root.join("apps")).expect("mkdir");
        std::fs::write(root.join("apps/a.yaml"), "x").expect("write");
        std::fs::write(dir.path().join("outside.txt"), "secret").expect("write");
        std::os::unix::fs::symlink(root.join("apps/a.yaml"), root.join("in.yaml")).expect("ln");
        std::os::unix::fs::symlink("/", root.join("slash")).expect("ln");
        std::os::unix::fs::symlink(dir.path().join("outside.txt"), root.join("out.txt"))
            .expect("ln");
        std::os::unix::fs::symlink(root.join("nowhere"), root.join("dangling")).expect("ln");
        let r = CheckoutRoot::new(&root).expect("root");
        assert!(r.check(&root.join("in.yaml")).is_ok());
        assert!(r.check_link(&root.join("in.yaml")).is_ok());
        assert!(r.check_link(&root.join("apps/a.yaml")).is_ok());
        assert!(matches!(
            r.check(&root.join("slash")),
            Err(Escape::Outside(Some(_)))
        ));
        assert!(r.check_link(&root.join("out.txt")).is_err());
        assert!(matches!(
            r.check(&root.join("dangling")),
            Err(Escape::Unresolvable(_))
        ));
        let base = root.join("apps");
        assert!(r.join(&base, "a.yaml").is_ok());
        assert!(r.join(&base, "../in.yaml").is_ok());
        assert_eq!(
            r.join(&base, "/apps/a.yaml").expect("absolute = root"),
            r.path().join("apps/a.yaml")
        );
        assert!(r.join(&base, "../../outside.txt").is_err());
        assert!(r.join(&base, "/../../etc/passwd").is_err());
        assert!(r.join(&base, "missing/../../../x").is_err());
        // Through a link to `/`, `..` does not help either.
        assert!(r.check(&root.join("slash/etc/passwd")).is_err());
    }
}
