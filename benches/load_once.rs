//! Loads a checkout and/or cluster dumps once and prints what it took, for whole-process
//! measurements (peak RSS under `/usr/bin/time -v`); `scripts/bench-load` drives it.
//!
//! `load_once [--repo DIR] [--cluster PATH]...` prints one JSON line:
//! `{"files":…,"yaml_bytes":…,"yaml_s":…,"objects":…,"dump_bytes":…,"dump_s":…}`.

use std::path::PathBuf;
use std::time::Instant;

use driftlens::load::discover::{discover, parse_files};
use driftlens::load::dump::load_dumps;
use driftlens::load::source::DEFAULT_MAX_FILE_SIZE;

// The same allocator as the driftlens binary, so the figures match the real process.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut repo: Option<PathBuf> = None;
    let mut dumps: Vec<PathBuf> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--repo" => repo = args.next().map(PathBuf::from),
            "--cluster" => dumps.extend(args.next().map(PathBuf::from)),
            // `cargo bench` passes `--bench`.
            _ => {}
        }
    }
    let mut out = serde_json::Map::new();
    if let Some(repo) = repo {
        let t = Instant::now();
        let found = discover(&repo);
        let parsed = parse_files(&repo, &found.files, DEFAULT_MAX_FILE_SIZE);
        let secs = t.elapsed().as_secs_f64();
        let bytes: usize = parsed
            .iter()
            .filter_map(|p| p.as_ref().ok())
            .map(|f| f.file.text.len())
            .sum();
        let docs: usize = parsed
            .iter()
            .filter_map(|p| p.as_ref().ok())
            .map(|f| f.docs.len())
            .sum();
        let errors = parsed
            .iter()
            .filter(|p| p.as_ref().map_or(true, |f| f.error.is_some()))
            .count();
        out.insert("files".into(), parsed.len().into());
        out.insert("documents".into(), docs.into());
        out.insert("yaml_errors".into(), errors.into());
        out.insert("yaml_bytes".into(), bytes.into());
        out.insert("yaml_s".into(), secs.into());
    }
    if !dumps.is_empty() {
        let bytes: u64 = dumps
            .iter()
            .filter_map(|d| std::fs::metadata(d).ok())
            .map(|m| m.len())
            .sum();
        let t = Instant::now();
        let load = load_dumps(&dumps);
        let secs = t.elapsed().as_secs_f64();
        out.insert("objects".into(), load.objects.len().into());
        out.insert("dump_problems".into(), load.problems.len().into());
        out.insert("dump_fatal".into(), load.fatal.len().into());
        out.insert("dump_bytes".into(), bytes.into());
        out.insert("dump_s".into(), secs.into());
        let t = Instant::now();
        let cluster = load.into_cluster();
        out.insert("cluster_index_s".into(), t.elapsed().as_secs_f64().into());
        out.insert("cluster_objects".into(), cluster.len().into());
    }
    println!("{}", serde_json::Value::Object(out));
}
