//! File access for a build: a small file-system trait (the real disk, confined to a sandbox
//! root, or an in-memory tree for tests), Go's `filepath.Clean`/`Join`, and Go's
//! `filepath.EvalSymlinks` with its exact error texts, on which kustomize's load
//! restrictions are built.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};

/// What `lstat` says about a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file (or anything that is not a directory or a link).
    File,
    /// A directory.
    Dir,
    /// A symbolic link.
    Symlink,
}

/// Why a read failed.
#[derive(Debug)]
pub enum FsError {
    /// The operating system's error, formatted as Go formats it (`no such file or directory`).
    Io(String),
    /// The path is outside the tree the build may read.
    OutsideSandbox(String),
    /// The file is larger than the build allows.
    TooLarge(u64),
}

/// The files a build reads. Paths are absolute and slash-separated.
pub trait FileSystem: Send + Sync {
    /// `lstat`.
    fn lstat(&self, path: &str) -> Result<FileKind, FsError>;
    /// `readlink`.
    fn read_link(&self, path: &str) -> Result<String, FsError>;
    /// Reads a whole file, refusing more than `limit` bytes.
    fn read(&self, path: &str, limit: u64) -> Result<Vec<u8>, FsError>;
    /// Names in a directory, sorted.
    fn list_dir(&self, path: &str) -> Result<Vec<String>, FsError>;
}

fn go_io_error(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => match e.raw_os_error() {
            Some(20) => "not a directory".into(),
            Some(40) => "too many levels of symbolic links".into(),
            _ => e.to_string(),
        },
    }
}

/// The real file system, confined to `sandbox` (and the directories above it, which may be
/// looked at but not read).
pub struct DiskFs {
    sandbox: Option<String>,
}

impl DiskFs {
    /// Reads anywhere.
    pub fn unrestricted() -> DiskFs {
        DiskFs { sandbox: None }
    }

    /// Reads only inside `root` (which must exist; it is resolved first).
    pub fn sandboxed(root: &Path) -> io::Result<DiskFs> {
        let canon = std::fs::canonicalize(root)?;
        Ok(DiskFs {
            sandbox: Some(canon.to_string_lossy().into_owned()),
        })
    }

    fn check(&self, path: &str, read: bool) -> Result<(), FsError> {
        let Some(sb) = &self.sandbox else {
            return Ok(());
        };
        if is_within(path, sb) {
            return Ok(());
        }
        if !read && is_within(sb, path) {
            // An ancestor of the sandbox: lstat only, while resolving paths.
            return Ok(());
        }
        Err(FsError::OutsideSandbox(sb.clone()))
    }
}

/// Whether `path` equals `dir` or lies below it.
pub fn is_within(path: &str, dir: &str) -> bool {
    if dir == "/" || path == dir {
        return true;
    }
    path.starts_with(dir) && path.as_bytes().get(dir.len()) == Some(&b'/')
}

impl FileSystem for DiskFs {
    fn lstat(&self, path: &str) -> Result<FileKind, FsError> {
        self.check(path, false)?;
        let m = std::fs::symlink_metadata(path).map_err(|e| FsError::Io(go_io_error(&e)))?;
        let t = m.file_type();
        Ok(if t.is_symlink() {
            FileKind::Symlink
        } else if t.is_dir() {
            FileKind::Dir
        } else {
            FileKind::File
        })
    }

    fn read_link(&self, path: &str) -> Result<String, FsError> {
        self.check(path, false)?;
        let t = std::fs::read_link(path).map_err(|e| FsError::Io(go_io_error(&e)))?;
        Ok(t.to_string_lossy().into_owned())
    }

    fn read(&self, path: &str, limit: u64) -> Result<Vec<u8>, FsError> {
        use std::io::Read;
        // Resolve every link first, so that the sandbox check sees the real location.
        let real = std::fs::canonicalize(path).map_err(|e| FsError::Io(go_io_error(&e)))?;
        let real = real.to_string_lossy();
        self.check(&real, true)?;
        let f = std::fs::File::open(&*real).map_err(|e| FsError::Io(go_io_error(&e)))?;
        let meta = f.metadata().map_err(|e| FsError::Io(go_io_error(&e)))?;
        if meta.is_dir() {
            return Err(FsError::Io("is a directory".into()));
        }
        if meta.len() > limit {
            return Err(FsError::TooLarge(meta.len()));
        }
        let mut buf = Vec::with_capacity(meta.len() as usize);
        f.take(limit + 1)
            .read_to_end(&mut buf)
            .map_err(|e| FsError::Io(go_io_error(&e)))?;
        if buf.len() as u64 > limit {
            return Err(FsError::TooLarge(buf.len() as u64));
        }
        Ok(buf)
    }

    fn list_dir(&self, path: &str) -> Result<Vec<String>, FsError> {
        let real = std::fs::canonicalize(path).map_err(|e| FsError::Io(go_io_error(&e)))?;
        let real = real.to_string_lossy();
        self.check(&real, true)?;
        let mut out = Vec::new();
        for e in std::fs::read_dir(&*real).map_err(|e| FsError::Io(go_io_error(&e)))? {
            let e = e.map_err(|e| FsError::Io(go_io_error(&e)))?;
            out.push(e.file_name().to_string_lossy().into_owned());
        }
        out.sort();
        Ok(out)
    }
}

/// An in-memory tree (tests, and builds of generated content).
#[derive(Default, Clone)]
pub struct MemFs {
    files: BTreeMap<String, Vec<u8>>,
    dirs: BTreeSet<String>,
    links: BTreeMap<String, String>,
}

impl MemFs {
    /// An empty tree (with `/`).
    pub fn new() -> MemFs {
        let mut m = MemFs::default();
        m.dirs.insert("/".into());
        m
    }

    fn add_parents(&mut self, path: &str) {
        let mut p = parent(path);
        loop {
            self.dirs.insert(p.clone());
            if p == "/" {
                break;
            }
            p = parent(&p);
        }
    }

    /// Adds a file (and its directories).
    pub fn add_file(&mut self, path: &str, content: impl Into<Vec<u8>>) {
        let path = clean(path);
        self.add_parents(&path);
        self.files.insert(path, content.into());
    }

    /// Adds a directory.
    pub fn add_dir(&mut self, path: &str) {
        let path = clean(path);
        self.add_parents(&path);
        self.dirs.insert(path);
    }

    /// Adds a symbolic link.
    pub fn add_link(&mut self, path: &str, target: &str) {
        let path = clean(path);
        self.add_parents(&path);
        self.links.insert(path, target.to_string());
    }
}

impl FileSystem for MemFs {
    fn lstat(&self, path: &str) -> Result<FileKind, FsError> {
        if self.links.contains_key(path) {
            Ok(FileKind::Symlink)
        } else if self.dirs.contains(path) {
            Ok(FileKind::Dir)
        } else if self.files.contains_key(path) {
            Ok(FileKind::File)
        } else {
            Err(FsError::Io("no such file or directory".into()))
        }
    }

    fn read_link(&self, path: &str) -> Result<String, FsError> {
        self.links
            .get(path)
            .cloned()
            .ok_or_else(|| FsError::Io("invalid argument".into()))
    }

    fn read(&self, path: &str, limit: u64) -> Result<Vec<u8>, FsError> {
        let real = eval_symlinks(self, path).map_err(FsError::Io)?;
        match self.files.get(&real) {
            Some(b) if b.len() as u64 > limit => Err(FsError::TooLarge(b.len() as u64)),
            Some(b) => Ok(b.clone()),
            None if self.dirs.contains(&real) => Err(FsError::Io("is a directory".into())),
            None => Err(FsError::Io("no such file or directory".into())),
        }
    }

    fn list_dir(&self, path: &str) -> Result<Vec<String>, FsError> {
        let prefix = if path == "/" {
            "/".to_string()
        } else {
            format!("{path}/")
        };
        let mut out: BTreeSet<String> = BTreeSet::new();
        for k in self
            .files
            .keys()
            .chain(self.dirs.iter())
            .chain(self.links.keys())
        {
            if let Some(rest) = k.strip_prefix(&prefix) {
                if !rest.is_empty() {
                    out.insert(rest.split('/').next().unwrap_or("").to_string());
                }
            }
        }
        Ok(out.into_iter().collect())
    }
}

/// Go `filepath.Clean` for slash paths.
pub fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let rooted = path.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| *l != "..") {
                    out.pop();
                } else if !rooted {
                    out.push("..");
                }
            }
            p => out.push(p),
        }
    }
    let joined = out.join("/");
    if rooted {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".into()
    } else {
        joined
    }
}

/// Go `filepath.Join(dir, rel)`.
pub fn join(dir: &str, rel: &str) -> String {
    if rel.is_empty() {
        return clean(dir);
    }
    if dir.is_empty() {
        return clean(rel);
    }
    clean(&format!("{dir}/{rel}"))
}

/// Go `filepath.Dir`.
pub fn parent(path: &str) -> String {
    match path.rfind('/') {
        Some(0) => "/".into(),
        Some(i) => clean(&path[..i]),
        None => ".".into(),
    }
}

/// Go `filepath.Base`.
pub fn base(path: &str) -> &str {
    let p = path.trim_end_matches('/');
    if p.is_empty() {
        return "/";
    }
    match p.rfind('/') {
        Some(i) => &p[i + 1..],
        None => p,
    }
}

/// Go `filepath.Abs` against a working directory.
pub fn abs(cwd: &str, path: &str) -> String {
    if path.starts_with('/') {
        clean(path)
    } else {
        join(cwd, path)
    }
}

fn fs_err_text(e: FsError, op: &str, path: &str) -> String {
    match e {
        FsError::Io(m) => format!("{op} {path}: {m}"),
        FsError::OutsideSandbox(sb) => {
            format!("{op} {path}: outside the analysed tree '{sb}' (not read)")
        }
        FsError::TooLarge(n) => format!("{op} {path}: file too large ({n} bytes)"),
    }
}

/// Go `filepath.EvalSymlinks` on an absolute path; errors read like Go's
/// (`lstat /a/b: no such file or directory`).
pub fn eval_symlinks(fs: &dyn FileSystem, path: &str) -> Result<String, String> {
    let mut path = path.to_string();
    let mut dest = String::from("/");
    let mut links = 0;
    let mut start = 1usize;
    let mut end;
    while start < path.len() {
        let b = path.as_bytes();
        while start < b.len() && b[start] == b'/' {
            start += 1;
        }
        end = start;
        while end < b.len() && b[end] != b'/' {
            end += 1;
        }
        if end == start {
            break;
        }
        let comp = path[start..end].to_string();
        if comp == "." {
            start = end;
            continue;
        }
        if comp == ".." {
            match dest.rfind('/') {
                Some(r) if dest[r + 1..] != *".." => {
                    dest.truncate(if r == 0 { 1 } else { r });
                }
                _ => {
                    if dest.len() > 1 {
                        dest.push('/');
                    }
                    dest.push_str("..");
                }
            }
            start = end;
            continue;
        }
        if !dest.ends_with('/') {
            dest.push('/');
        }
        dest.push_str(&comp);
        let kind = fs
            .lstat(&dest)
            .map_err(|e| fs_err_text(e, "lstat", &dest))?;
        if kind != FileKind::Symlink {
            if kind != FileKind::Dir && end < path.len() {
                return Err("not a directory".into());
            }
            start = end;
            continue;
        }
        links += 1;
        if links > 255 {
            return Err("EvalSymlinks: too many links".into());
        }
        let link = fs
            .read_link(&dest)
            .map_err(|e| fs_err_text(e, "readlink", &dest))?;
        path = format!("{link}{}", &path[end..]);
        if link.starts_with('/') {
            dest = "/".into();
            start = 1;
        } else {
            match dest.rfind('/') {
                Some(0) | None => dest = "/".into(),
                Some(r) => dest.truncate(r),
            }
            start = 0;
        }
    }
    Ok(clean(&dest))
}

/// Whether `path` (symlinks followed) is a directory.
pub fn is_dir(fs: &dyn FileSystem, path: &str) -> bool {
    match eval_symlinks(fs, path) {
        Ok(real) => fs.lstat(&real).is_ok_and(|k| k == FileKind::Dir),
        Err(_) => false,
    }
}

/// Current directory as a string.
pub fn cwd() -> String {
    std::env::current_dir()
        .unwrap_or_else(|_| PathBuf::from("/"))
        .to_string_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_like_go() {
        assert_eq!(clean("/a/b/../c/./d/"), "/a/c/d");
        assert_eq!(clean("a/../../b"), "../b");
        assert_eq!(clean("/../a"), "/a");
        assert_eq!(join("/a/b", "../c"), "/a/c");
    }

    #[test]
    fn eval_symlinks_like_go() {
        let mut fs = MemFs::new();
        fs.add_file("/r/a.yaml", "x");
        fs.add_link("/r/l.yaml", "a.yaml");
        fs.add_link("/r/out", "/etc");
        assert_eq!(eval_symlinks(&fs, "/r/l.yaml").unwrap(), "/r/a.yaml");
        assert_eq!(
            eval_symlinks(&fs, "/r/nope/x.yaml").unwrap_err(),
            "lstat /r/nope: no such file or directory"
        );
        assert_eq!(
            eval_symlinks(&fs, "/r/out/passwd").unwrap_err(),
            "lstat /etc: no such file or directory"
        );
        fs.add_link("/r/loop", "loop");
        assert!(eval_symlinks(&fs, "/r/loop").is_err());
    }
}
