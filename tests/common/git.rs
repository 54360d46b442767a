//! Git repositories built in a test's temporary folder with `gix` (the library `review` reads
//! revisions with), so that tests need no `git` binary and no committed `.git` folder.

#![allow(dead_code)]

use std::path::Path;

/// Creates a repository whose working tree is `dir`.
pub fn init(dir: &Path) -> gix::Repository {
    gix::init(dir).expect("git init")
}

/// Writes the files under `dir` (`.git` aside; links as links) as a tree object.
pub fn tree(git: &gix::Repository, dir: &Path) -> gix::ObjectId {
    use gix::objs::tree::{Entry, EntryKind};
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").path())
        .collect();
    paths.sort();
    let mut entries = Vec::new();
    for path in paths {
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if name == ".git" {
            continue;
        }
        let meta = std::fs::symlink_metadata(&path).expect("stat");
        let (kind, oid) = if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&path).expect("readlink");
            let bytes = target.to_str().expect("utf-8 link").as_bytes().to_vec();
            (
                EntryKind::Link,
                git.write_blob(bytes).expect("blob").detach(),
            )
        } else if meta.is_dir() {
            (EntryKind::Tree, tree(git, &path))
        } else {
            let bytes = std::fs::read(&path).expect("read");
            (
                EntryKind::Blob,
                git.write_blob(bytes).expect("blob").detach(),
            )
        };
        entries.push(Entry {
            mode: kind.into(),
            filename: name.into(),
            oid,
        });
    }
    entries.sort();
    git.write_object(gix::objs::Tree { entries })
        .expect("tree")
        .detach()
}

/// Commits `tree` on `reference` (`HEAD` moves the current branch) with the given parents.
pub fn commit_tree(
    git: &gix::Repository,
    reference: &str,
    tree: gix::ObjectId,
    parents: &[gix::ObjectId],
) -> gix::ObjectId {
    let sig = gix::actor::SignatureRef {
        name: "Test".into(),
        email: "test@example.com".into(),
        time: "1765000000 +0000",
    };
    git.commit_as(sig, sig, reference, "change", tree, parents.iter().copied())
        .expect("commit")
        .detach()
}

/// Commits the working tree on the current branch, after its current commit if any.
pub fn commit(git: &gix::Repository) -> gix::ObjectId {
    let parents: Vec<gix::ObjectId> = git
        .head_id()
        .ok()
        .map(|id| id.detach())
        .into_iter()
        .collect();
    let root = git.workdir().expect("working tree").to_path_buf();
    let t = tree(git, &root);
    commit_tree(git, "HEAD", t, &parents)
}
