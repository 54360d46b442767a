//! What a checkout's own Git metadata says about it: its remote URLs (so that Applications
//! naming this repository by URL resolve without flags) and the commit that is checked out
//! (so that reports can say which revision was analysed).
//!
//! Only `.git` directly under the checkout is read, never a parent's; a `.git` file (a worktree
//! or a submodule) is followed to the directory it names when that looks like a Git directory.
//! Every file is read with a small size limit and parsed leniently: metadata that cannot be read
//! only means that no remote or revision is known.

use std::path::{Path, PathBuf};

/// Largest Git metadata file read (config, HEAD, packed-refs).
const MAX_META_BYTES: u64 = 4 << 20;

/// The checked-out revision.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Head {
    /// The branch, when HEAD is a symbolic ref (`main`).
    pub branch: Option<String>,
    /// The commit id, when it could be resolved.
    pub commit: Option<String>,
}

impl Head {
    /// `main at 1a2b3c4d5e6f`, `1a2b3c4d5e6f (detached)`, `main`.
    pub fn describe(&self) -> Option<String> {
        let short = self.commit.as_deref().map(|c| &c[..c.len().min(12)]);
        match (&self.branch, short) {
            (Some(b), Some(c)) => Some(format!("{b} at {c}")),
            (Some(b), None) => Some(b.clone()),
            (None, Some(c)) => Some(format!("{c} (detached)")),
            (None, None) => None,
        }
    }
}

/// Git facts about a checkout.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GitInfo {
    /// `(remote name, url)` from the config, in file order.
    pub remotes: Vec<(String, String)>,
    /// HEAD, when the checkout is a Git repository.
    pub head: Option<Head>,
}

fn read_small(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_META_BYTES {
        return None;
    }
    std::fs::read_to_string(path).ok()
}

/// The Git directory and the common directory (where `config` and shared refs live) of a
/// checkout.
fn git_dirs(root: &Path) -> Option<(PathBuf, PathBuf)> {
    let dot = root.join(".git");
    let meta = std::fs::symlink_metadata(&dot).ok()?;
    let git_dir = if meta.is_dir() {
        dot
    } else if meta.is_file() {
        let text = read_small(&dot)?;
        let target = text.lines().find_map(|l| l.strip_prefix("gitdir:"))?.trim();
        let p = Path::new(target);
        let p = if p.is_absolute() {
            p.to_path_buf()
        } else {
            root.join(p)
        };
        if !p.join("HEAD").is_file() {
            return None;
        }
        p
    } else {
        return None;
    };
    let common = match read_small(&git_dir.join("commondir")) {
        Some(t) if !t.trim().is_empty() => {
            let p = Path::new(t.trim());
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                git_dir.join(p)
            }
        }
        _ => git_dir.clone(),
    };
    Some((git_dir, common))
}

/// Reads the remotes and HEAD of the checkout at `root`.
pub fn read(root: &Path) -> GitInfo {
    let Some((git_dir, common)) = git_dirs(root) else {
        return GitInfo::default();
    };
    let remotes = read_small(&common.join("config"))
        .map(|t| parse_remotes(&t))
        .unwrap_or_default();
    let head = read_small(&git_dir.join("HEAD")).map(|t| {
        let t = t.trim();
        match t.strip_prefix("ref:") {
            Some(r) => {
                let r = r.trim();
                Head {
                    branch: Some(r.strip_prefix("refs/heads/").unwrap_or(r).to_string()),
                    commit: resolve_ref(&git_dir, &common, r),
                }
            }
            None => Head {
                branch: None,
                commit: is_commit(t).then(|| t.to_string()),
            },
        }
    });
    GitInfo { remotes, head }
}

fn is_commit(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn resolve_ref(git_dir: &Path, common: &Path, name: &str) -> Option<String> {
    if name.contains("..") || name.starts_with('/') {
        return None;
    }
    for dir in [git_dir, common] {
        if let Some(t) = read_small(&dir.join(name)) {
            let t = t.trim();
            if is_commit(t) {
                return Some(t.to_string());
            }
        }
    }
    let packed = read_small(&common.join("packed-refs"))?;
    packed.lines().find_map(|l| {
        let (id, r) = l.split_once(' ')?;
        (r.trim() == name && is_commit(id)).then(|| id.to_string())
    })
}

/// The `url` of every `[remote "name"]` section of a Git config.
pub fn parse_remotes(config: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut remote: Option<String> = None;
    for line in config.lines() {
        let l = line.trim();
        if l.starts_with('[') {
            remote = l
                .strip_prefix('[')
                .and_then(|s| s.split_once(']'))
                .and_then(|(s, _)| {
                    let (section, sub) = s.split_once(char::is_whitespace)?;
                    section
                        .eq_ignore_ascii_case("remote")
                        .then(|| sub.trim().trim_matches('"').to_string())
                });
            continue;
        }
        let Some(name) = &remote else { continue };
        let Some((k, v)) = l.split_once('=') else {
            continue;
        };
        if k.trim().eq_ignore_ascii_case("url") {
            let v = v.trim().trim_matches('"').to_string();
            if !v.is_empty() {
                out.push((name.clone(), v));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remotes_of_a_config() {
        let cfg = "[core]\n\trepositoryformatversion = 0\n\turl = not-a-remote\n\
                   [remote \"origin\"]\n\turl = git@github.com:org/repo.git\n\
                   \tfetch = +refs/heads/*:refs/remotes/origin/*\n\
                   [branch \"main\"]\n\tremote = origin\n\
                   [remote \"upstream\"]\n\turl = https://github.com/up/repo\n";
        assert_eq!(
            parse_remotes(cfg),
            vec![
                (
                    "origin".to_string(),
                    "git@github.com:org/repo.git".to_string()
                ),
                (
                    "upstream".to_string(),
                    "https://github.com/up/repo".to_string()
                ),
            ]
        );
    }

    #[test]
    fn head_and_remotes_of_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        let git = dir.path().join(".git");
        std::fs::create_dir_all(git.join("refs/heads")).unwrap();
        std::fs::write(git.join("HEAD"), "ref: refs/heads/main\n").unwrap();
        let id = "0123456789abcdef0123456789abcdef01234567";
        std::fs::write(
            git.join("packed-refs"),
            format!("# pack\n{id} refs/heads/main\n"),
        )
        .unwrap();
        std::fs::write(
            git.join("config"),
            "[remote \"origin\"]\n  url = https://example.com/a/b.git\n",
        )
        .unwrap();
        let info = read(dir.path());
        assert_eq!(info.remotes.len(), 1);
        let head = info.head.unwrap();
        assert_eq!(head.branch.as_deref(), Some("main"));
        assert_eq!(head.commit.as_deref(), Some(id));
        assert_eq!(head.describe().unwrap(), "main at 0123456789ab");
        // No .git: nothing known.
        assert_eq!(read(&dir.path().join("nowhere")), GitInfo::default());
    }
}
