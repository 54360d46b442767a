//! Revisions of a Git repository as checkouts, read from its object database.
//!
//! `driftlens review` analyses two revisions of a repository. Each is read with `gix` from the
//! local object database — never by checking out, stashing or fetching: the working tree, the
//! index, `HEAD` and the refs are not written — and its tree (under the scanned directory) is
//! written into a private temporary directory that the rest of the pipeline reads like any
//! checkout. Symbolic links are written as symbolic links, so the checkout root
//! ([`super::root`]) confines them exactly as it confines the working tree's; nothing is ever
//! written through one.
//!
//! A revision's tree is untrusted input like a checkout, and writing it works under budgets the
//! data cannot change ([`TreeBudget`]): entries, bytes (checked from the object header before a
//! blob is read), depth, and the length of link targets. A tree entry that Git would refuse to
//! check out (`..`, `.git`, a name with `/` or NUL) or a name that appears twice is an error
//! naming its path. Submodules are written as empty directories, as a clone without
//! `--recurse-submodules` leaves them, and listed.

use std::io::Write;
use std::path::{Path, PathBuf};

use gix::bstr::ByteSlice;
use gix::object::tree::EntryKind;

/// Why a revision could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RevisionError(pub String);

fn err(s: impl Into<String>) -> RevisionError {
    RevisionError(s.into())
}

/// What writing one revision's tree may take. The defaults hold any real configuration
/// repository (the largest public GitOps repositories have tens of thousands of files).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeBudget {
    /// Files, directories and links.
    pub entries: usize,
    /// Bytes of file content.
    pub bytes: u64,
    /// Directory nesting.
    pub depth: usize,
    /// Bytes of one link target.
    pub link_target: usize,
}

impl TreeBudget {
    /// 500,000 entries, 2 GiB, 256 levels, 4 KiB link targets.
    pub const DEFAULT: TreeBudget = TreeBudget {
        entries: 500_000,
        bytes: 2 << 30,
        depth: 256,
        link_target: 4096,
    };
}

/// A commit named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    /// The revision as given (`origin/main`, `HEAD~1`), or how it was derived.
    pub spec: String,
    /// The full commit id.
    pub id: String,
}

impl Commit {
    /// The first 12 hex digits of the id.
    pub fn short(&self) -> &str {
        &self.id[..self.id.len().min(12)]
    }
}

/// A local Git repository, opened for reading.
pub struct Repository {
    repo: gix::Repository,
    /// The working tree's root.
    workdir: PathBuf,
    /// The scanned directory relative to the working tree's root, `/`-separated (empty for
    /// the root itself).
    prefix: String,
}

impl std::fmt::Debug for Repository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repository")
            .field("workdir", &self.workdir)
            .field("prefix", &self.prefix)
            .finish()
    }
}

/// A revision's tree written to a private directory; removed when dropped.
#[derive(Debug)]
pub struct Materialised {
    dir: tempfile::TempDir,
    root: PathBuf,
    /// Files written (links included).
    pub files: usize,
    /// Bytes of content written.
    pub bytes: u64,
    /// The scanned directory does not exist in this revision (the directory is empty).
    pub missing: bool,
    /// Submodules left empty, by path.
    pub submodules: Vec<String>,
}

impl Materialised {
    /// The directory that stands for the checkout.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The private directory everything was written under.
    pub fn private_dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Repository {
    /// Opens the repository that holds `path` (searching upwards, as Git does). `path` must be
    /// in its working tree.
    pub fn open(path: &Path) -> Result<Repository, RevisionError> {
        let abs = path.canonicalize().map_err(|e| {
            err(format!(
                "{}: {e}; pass a directory of a Git working tree",
                path.display()
            ))
        })?;
        let mut repo = gix::discover(&abs).map_err(|e| {
            err(format!(
                "{}: not in a Git repository ({e}); review compares two revisions of a \
                 repository, pass a directory of its working tree",
                path.display()
            ))
        })?;
        repo.object_cache_size_if_unset(16 << 20);
        let workdir = repo
            .workdir()
            .ok_or_else(|| {
                err(format!(
                    "{}: the repository is bare; review needs a working tree (the head \
                     defaults to it)",
                    path.display()
                ))
            })?
            .to_path_buf();
        let workdir = workdir.canonicalize().unwrap_or(workdir);
        let rel = abs.strip_prefix(&workdir).map_err(|_| {
            err(format!(
                "{}: not inside the working tree {} of its repository",
                path.display(),
                workdir.display()
            ))
        })?;
        let prefix = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        if prefix.split('/').any(|c| c == ".git") {
            return Err(err(format!(
                "{}: inside the .git directory; pass a directory of the working tree",
                path.display()
            )));
        }
        Ok(Repository {
            repo,
            workdir,
            prefix,
        })
    }

    /// The working tree's root.
    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// The scanned directory relative to the working tree's root (empty for the root).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Resolves a revision as Git does (`main`, `v1.2`, `HEAD~1`, `origin/main`, an id) to a
    /// commit.
    pub fn resolve(&self, spec: &str) -> Result<Commit, RevisionError> {
        let id = self.repo.rev_parse_single(spec).map_err(|e| {
            err(format!(
                "revision `{spec}`: {e}; name a branch, tag or commit of the local repository \
                 (in CI, fetch the base first: `git fetch origin main` or `fetch-depth: 0`)"
            ))
        })?;
        let commit = id
            .object()
            .and_then(|o| o.peel_to_commit())
            .map_err(|e| err(format!("revision `{spec}` is not a commit: {e}")))?;
        Ok(Commit {
            spec: spec.to_string(),
            id: commit.id.to_string(),
        })
    }

    /// The commit `HEAD` points at, when it has one.
    pub fn head(&self) -> Option<Commit> {
        let id = self.repo.head_id().ok()?;
        Some(Commit {
            spec: "HEAD".into(),
            id: id.to_string(),
        })
    }

    /// The branch `HEAD` names, when it is one (`main`).
    pub fn head_branch(&self) -> Option<String> {
        let name = self.repo.head_name().ok()??;
        Some(name.shorten().to_string())
    }

    /// The best common ancestor of two commits (`git merge-base a b`).
    pub fn merge_base(&self, a: &Commit, b: &Commit) -> Result<Commit, RevisionError> {
        let parse = |c: &Commit| {
            gix::ObjectId::from_hex(c.id.as_bytes())
                .map_err(|e| err(format!("commit id {}: {e}", c.id)))
        };
        let base = self
            .repo
            .merge_base(parse(a)?, parse(b)?)
            .map_err(|e| err(format!("merge base of {} and {}: {e}", a.spec, b.spec)))?
            .ok_or_else(|| {
                err(format!(
                    "{} and {} have no common ancestor (in CI, fetch the whole history with \
                     `fetch-depth: 0`, or drop --merge-base)",
                    a.spec, b.spec
                ))
            })?;
        Ok(Commit {
            spec: format!("merge-base({}, {})", a.spec, b.spec),
            id: base.to_string(),
        })
    }

    /// Writes the scanned directory of `commit` into a new private temporary directory, under
    /// a directory named like the scanned one.
    pub fn materialise(
        &self,
        commit: &Commit,
        budget: TreeBudget,
    ) -> Result<Materialised, RevisionError> {
        let dir = tempfile::Builder::new()
            .prefix("driftlens-review-")
            .tempdir()
            .map_err(|e| err(format!("cannot create a temporary directory: {e}")))?;
        let name = self
            .prefix
            .rsplit('/')
            .next()
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .or_else(|| {
                self.workdir
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
            })
            .unwrap_or_else(|| "checkout".into());
        let root = dir.path().join(name);
        std::fs::create_dir(&root)
            .map_err(|e| err(format!("cannot create {}: {e}", root.display())))?;
        let mut out = Materialised {
            root,
            dir,
            files: 0,
            bytes: 0,
            missing: false,
            submodules: Vec::new(),
        };
        let id = gix::ObjectId::from_hex(commit.id.as_bytes())
            .map_err(|e| err(format!("commit id {}: {e}", commit.id)))?;
        let what = format!("revision {} ({})", commit.spec, commit.short());
        let tree = self
            .repo
            .find_commit(id)
            .and_then(|c| c.tree())
            .map_err(|e| err(format!("{what}: cannot read its tree: {e}")))?;
        let start = if self.prefix.is_empty() {
            Some(tree.id)
        } else {
            match tree
                .lookup_entry_by_path(Path::new(&self.prefix))
                .map_err(|e| err(format!("{what}: {}: {e}", self.prefix)))?
            {
                Some(e) if e.mode().is_tree() => Some(e.object_id()),
                _ => None,
            }
        };
        match start {
            Some(tree_id) => {
                let mut w = Writer {
                    repo: &self.repo,
                    budget,
                    what: &what,
                    entries: 0,
                    out: &mut out,
                };
                let root = w.out.root.clone();
                w.write_tree(tree_id, &root, "", 0)?;
            }
            None => out.missing = true,
        }
        Ok(out)
    }
}

struct Writer<'a> {
    repo: &'a gix::Repository,
    budget: TreeBudget,
    what: &'a str,
    entries: usize,
    out: &'a mut Materialised,
}

/// Whether Git would check out an entry of this name.
fn valid_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name != b"."
        && name != b".."
        && !name.eq_ignore_ascii_case(b".git")
        && !name.contains(&b'/')
        && !name.contains(&0)
}

impl Writer<'_> {
    fn fail(&self, path: &str, why: impl std::fmt::Display) -> RevisionError {
        err(format!("{}: {path}: {why}", self.what))
    }

    fn write_tree(
        &mut self,
        id: gix::ObjectId,
        dir: &Path,
        rel: &str,
        depth: usize,
    ) -> Result<(), RevisionError> {
        if depth > self.budget.depth {
            return Err(self.fail(
                rel,
                format!(
                    "directories nested more than {} deep; driftlens stops there",
                    self.budget.depth
                ),
            ));
        }
        let tree = self
            .repo
            .find_tree(id)
            .map_err(|e| self.fail(rel, format!("cannot read the tree: {e}")))?;
        let mut subtrees = Vec::new();
        for entry in tree.iter() {
            let entry = entry.map_err(|e| self.fail(rel, format!("corrupt tree: {e}")))?;
            let name = entry.filename().as_bytes();
            let shown = String::from_utf8_lossy(name);
            let path = if rel.is_empty() {
                shown.to_string()
            } else {
                format!("{rel}/{shown}")
            };
            if !valid_name(name) {
                return Err(self.fail(
                    &path,
                    "not a valid path in a working tree (Git refuses to check it out)",
                ));
            }
            self.entries += 1;
            if self.entries > self.budget.entries {
                return Err(self.fail(
                    &path,
                    format!(
                        "the tree has more than {} entries; review the directory that holds \
                         the manifests instead",
                        self.budget.entries
                    ),
                ));
            }
            let Ok(os_name) = name.to_os_str() else {
                return Err(self.fail(&path, "the name is not valid on this system"));
            };
            let target = dir.join(os_name);
            match entry.kind() {
                EntryKind::Tree => {
                    std::fs::create_dir(&target).map_err(|e| self.fail(&path, e))?;
                    subtrees.push((entry.object_id(), target, path));
                }
                EntryKind::Blob | EntryKind::BlobExecutable => {
                    let data = self.read_blob(entry.object_id(), &path, None)?;
                    // `create_new` refuses an existing path, link or not: nothing is written
                    // through a link, and a name that appears twice is an error.
                    let mut f = std::fs::OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .open(&target)
                        .map_err(|e| self.fail(&path, e))?;
                    f.write_all(&data).map_err(|e| self.fail(&path, e))?;
                    self.out.files += 1;
                }
                EntryKind::Link => {
                    let data =
                        self.read_blob(entry.object_id(), &path, Some(self.budget.link_target))?;
                    self.write_link(&data, &target, &path)?;
                    self.out.files += 1;
                }
                EntryKind::Commit => {
                    std::fs::create_dir(&target).map_err(|e| self.fail(&path, e))?;
                    self.out.submodules.push(path);
                }
            }
        }
        for (id, target, path) in subtrees {
            self.write_tree(id, &target, &path, depth + 1)?;
        }
        Ok(())
    }

    /// Reads a blob after checking its size against the budget (`limit` for link targets).
    fn read_blob(
        &mut self,
        id: gix::ObjectId,
        path: &str,
        limit: Option<usize>,
    ) -> Result<Vec<u8>, RevisionError> {
        let header = self
            .repo
            .find_header(id)
            .map_err(|e| self.fail(path, format!("cannot read the file: {e}")))?;
        let size = header.size();
        if let Some(max) = limit {
            if size > max as u64 {
                return Err(self.fail(
                    path,
                    format!("a symbolic link whose target is longer than {max} bytes"),
                ));
            }
        }
        if self.out.bytes + size > self.budget.bytes {
            return Err(self.fail(
                path,
                format!(
                    "the revision's files add up to more than {} MiB; review the directory \
                     that holds the manifests instead",
                    self.budget.bytes >> 20
                ),
            ));
        }
        self.out.bytes += size;
        let blob = self
            .repo
            .find_blob(id)
            .map_err(|e| self.fail(path, format!("cannot read the file: {e}")))?;
        Ok(blob.data.clone())
    }

    #[cfg(unix)]
    fn write_link(&self, data: &[u8], target: &Path, path: &str) -> Result<(), RevisionError> {
        use std::os::unix::ffi::OsStrExt;
        if data.is_empty() || data.contains(&0) {
            return Err(self.fail(path, "a symbolic link with an empty or invalid target"));
        }
        std::os::unix::fs::symlink(std::ffi::OsStr::from_bytes(data), target)
            .map_err(|e| self.fail(path, e))
    }

    #[cfg(not(unix))]
    fn write_link(&self, data: &[u8], target: &Path, path: &str) -> Result<(), RevisionError> {
        // Where links cannot be made, a link is a file holding its target, as Git writes it
        // with `core.symlinks=false`.
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(target)
            .and_then(|mut f| f.write_all(data))
            .map_err(|e| self.fail(path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gix::objs::tree::{Entry, EntryKind as Kind};

    /// A repository in a temporary folder whose commits are built from objects directly, so
    /// that trees Git itself would never check out can be tried.
    struct Fixture {
        dir: tempfile::TempDir,
        git: gix::Repository,
    }

    enum Node<'a> {
        File(&'a [u8]),
        Link(&'a str),
        Dir(Vec<(&'a str, Node<'a>)>),
        Submodule,
    }

    impl Fixture {
        fn new() -> Fixture {
            let dir = tempfile::tempdir().unwrap();
            let git = gix::init(dir.path().join("repo")).unwrap();
            Fixture { dir, git }
        }

        fn workdir(&self) -> PathBuf {
            self.dir.path().join("repo")
        }

        fn tree(&self, entries: &[(&str, Node<'_>)]) -> gix::ObjectId {
            let mut out: Vec<Entry> = entries
                .iter()
                .map(|(name, node)| {
                    let (mode, oid) = match node {
                        Node::File(b) => (Kind::Blob, self.git.write_blob(b).unwrap().detach()),
                        Node::Link(t) => (
                            Kind::Link,
                            self.git.write_blob(t.as_bytes()).unwrap().detach(),
                        ),
                        Node::Dir(sub) => (Kind::Tree, self.tree(sub)),
                        // Any id: a submodule's commit is not in this repository.
                        Node::Submodule => {
                            (Kind::Commit, self.git.write_blob(b"x").unwrap().detach())
                        }
                    };
                    Entry {
                        mode: mode.into(),
                        filename: (*name).into(),
                        oid,
                    }
                })
                .collect();
            out.sort();
            self.git
                .write_object(gix::objs::Tree { entries: out })
                .unwrap()
                .detach()
        }

        fn commit(&self, entries: &[(&str, Node<'_>)]) -> Commit {
            let tree = self.tree(entries);
            let sig = gix::actor::SignatureRef {
                name: "t".into(),
                email: "t@example.com".into(),
                time: "1765000000 +0000",
            };
            let id = self
                .git
                .commit_as(
                    sig,
                    sig,
                    "HEAD",
                    "m",
                    tree,
                    std::iter::empty::<gix::ObjectId>(),
                )
                .unwrap();
            Commit {
                spec: "HEAD".into(),
                id: id.to_string(),
            }
        }

        fn open(&self, sub: &str) -> Repository {
            let p = self.workdir().join(sub);
            std::fs::create_dir_all(&p).unwrap();
            Repository::open(&p).unwrap()
        }
    }

    #[test]
    fn files_directories_and_links_are_written_and_links_stay_links() {
        let f = Fixture::new();
        let c = f.commit(&[
            ("a.yaml", Node::File(b"kind: ConfigMap\n")),
            (
                "deploy",
                Node::Dir(vec![
                    ("b.yaml", Node::File(b"b\n")),
                    ("out.yaml", Node::Link("/etc/passwd")),
                    ("up.yaml", Node::Link("../../../../secret.yaml")),
                ]),
            ),
            ("vendor", Node::Submodule),
        ]);
        let repo = f.open("");
        assert_eq!(repo.resolve("HEAD").unwrap().id, c.id);
        let m = repo.materialise(&c, TreeBudget::DEFAULT).unwrap();
        let root = m.root();
        assert_eq!(
            std::fs::read(root.join("a.yaml")).unwrap(),
            b"kind: ConfigMap\n"
        );
        assert_eq!(std::fs::read(root.join("deploy/b.yaml")).unwrap(), b"b\n");
        // Links are links (the loader's checkout root confines them), never followed here.
        for (link, target) in [
            ("deploy/out.yaml", "/etc/passwd"),
            ("deploy/up.yaml", "../../../../secret.yaml"),
        ] {
            let meta = std::fs::symlink_metadata(root.join(link)).unwrap();
            assert!(meta.file_type().is_symlink(), "{link}");
            assert_eq!(
                std::fs::read_link(root.join(link)).unwrap(),
                Path::new(target)
            );
        }
        assert!(root.join("vendor").is_dir());
        assert_eq!(m.submodules, vec!["vendor".to_string()]);
        assert_eq!(m.files, 4);
        assert!(!m.missing);
        // The private directory goes away with the value.
        let private = m.private_dir().to_path_buf();
        drop(m);
        assert!(!private.exists());
    }

    #[test]
    fn a_subdirectory_is_written_alone_and_may_be_missing() {
        let f = Fixture::new();
        let c = f.commit(&[
            ("top.yaml", Node::File(b"t\n")),
            ("deploy", Node::Dir(vec![("b.yaml", Node::File(b"b\n"))])),
        ]);
        let repo = f.open("deploy");
        assert_eq!(repo.prefix(), "deploy");
        let m = repo.materialise(&c, TreeBudget::DEFAULT).unwrap();
        assert!(m.root().ends_with("deploy"));
        assert!(m.root().join("b.yaml").is_file());
        assert!(!m.root().join("top.yaml").exists());
        let other = f.open("later");
        let m = other.materialise(&c, TreeBudget::DEFAULT).unwrap();
        assert!(m.missing);
        assert_eq!(std::fs::read_dir(m.root()).unwrap().count(), 0);
    }

    #[test]
    fn names_git_refuses_are_errors_naming_the_path() {
        for bad in ["..", ".git", ".GIT", "."] {
            let f = Fixture::new();
            let c = f.commit(&[(
                "deploy",
                Node::Dir(vec![(bad, Node::Dir(vec![("x.yaml", Node::File(b"x\n"))]))]),
            )]);
            let e = f
                .open("")
                .materialise(&c, TreeBudget::DEFAULT)
                .unwrap_err()
                .to_string();
            assert!(
                e.contains(&format!("deploy/{bad}")) && e.contains("refuses"),
                "{bad}: {e}"
            );
        }
        // A name given twice.
        let f = Fixture::new();
        let c = f.commit(&[("a", Node::File(b"1")), ("a", Node::File(b"2"))]);
        assert!(f.open("").materialise(&c, TreeBudget::DEFAULT).is_err());
    }

    #[test]
    fn budgets_hold_whatever_the_tree() {
        let f = Fixture::new();
        let big = vec![b'x'; 4096];
        let c = f.commit(&[
            ("a", Node::File(&big)),
            ("b", Node::File(&big)),
            (
                "c",
                Node::Dir(vec![("d", Node::Dir(vec![("e", Node::File(b"e"))]))]),
            ),
            (
                "l",
                Node::Link("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
            ),
        ]);
        let repo = f.open("");
        let with = |b: TreeBudget| repo.materialise(&c, b).map(|_| ()).map_err(|e| e.0);
        assert_eq!(with(TreeBudget::DEFAULT), Ok(()));
        let e = with(TreeBudget {
            entries: 3,
            ..TreeBudget::DEFAULT
        })
        .unwrap_err();
        assert!(e.contains("more than 3 entries"), "{e}");
        let e = with(TreeBudget {
            bytes: 6000,
            ..TreeBudget::DEFAULT
        })
        .unwrap_err();
        assert!(
            e.contains(": b:") && e.contains("add up to more than"),
            "{e}"
        );
        let e = with(TreeBudget {
            depth: 1,
            ..TreeBudget::DEFAULT
        })
        .unwrap_err();
        assert!(
            e.contains("c/d") && e.contains("nested more than 1 deep"),
            "{e}"
        );
        let e = with(TreeBudget {
            link_target: 10,
            ..TreeBudget::DEFAULT
        })
        .unwrap_err();
        assert!(
            e.contains(": l:") && e.contains("longer than 10 bytes"),
            "{e}"
        );
    }

    #[test]
    fn revisions_resolve_as_git_names_them() {
        let f = Fixture::new();
        let first = f.commit(&[("a", Node::File(b"1"))]);
        let repo = f.open("");
        assert!(repo.resolve("HEAD~1").is_err());
        let e = repo.resolve("nope").unwrap_err().0;
        assert!(e.contains("`nope`") && e.contains("fetch"), "{e}");
        assert_eq!(repo.head().unwrap().id, first.id);
        assert!(repo.head_branch().is_some());
        assert_eq!(repo.merge_base(&first, &first).unwrap().id, first.id);
    }
}
