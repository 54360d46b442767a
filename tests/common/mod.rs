//! Helpers shared by the end-to-end tests: paths of fixtures and running the binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub mod git;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A path as the `&str` an argument list needs.
pub fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// Runs `driftlens` without colours and returns (exit code, stdout, stderr).
pub fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("driftlens")
        .expect("binary")
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Writes a file under `root`, creating its directories (for repositories built in a test).
pub fn write(root: &Path, path: &str, text: &str) {
    let f = root.join(path);
    std::fs::create_dir_all(f.parent().expect("parent")).expect("mkdir");
    std::fs::write(f, text).expect("write");
}

/// A file of `testdata/dumps`.
pub fn dump_fixture(rel: &str) -> PathBuf {
    root().join("testdata/dumps").join(rel)
}

/// Every problem of a dump load, as the command line would print them.
pub fn dump_messages(l: &driftlens::load::dump::DumpLoad) -> String {
    l.problems
        .iter()
        .chain(&l.fatal)
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}
