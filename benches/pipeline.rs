//! Stage timings of the whole scan pipeline on generated data (see `scripts/gen-bench-data`):
//! loading the checkout, loading the dump, comparing every Application with the dump (on one
//! thread and on all cores, to show how the comparison scales), and running the rule catalog.
//!
//! `cargo bench --bench pipeline -- --repo DATA/repo --cluster DATA/cluster.json` prints one
//! line per stage with its time and throughput. Without arguments it does nothing (so that
//! `cargo bench` without data still passes).

use std::path::PathBuf;
use std::time::Instant;

use driftlens::compare::app::{compare_all, CompareOptions};
use driftlens::rules::{self, Context};
use driftlens::scan::{load_and_render, load_cluster};

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
            _ => {}
        }
    }
    let Some(repo_dir) = repo else {
        eprintln!("pipeline: pass --repo DIR [--cluster DUMP] (see scripts/gen-bench-data)");
        return;
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let t = Instant::now();
    let repo = match load_and_render(
        &repo_dir,
        driftlens::load::source::DEFAULT_MAX_FILE_SIZE,
        None,
        &Default::default(),
        None,
    ) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("pipeline: {e}");
            return;
        }
    };
    let load_repo = t.elapsed().as_secs_f64();
    println!(
        "load checkout   {:>8.3} s  {:>7} files  {:>9.0} files/s",
        load_repo,
        repo.files.len(),
        repo.files.len() as f64 / load_repo
    );
    let t = Instant::now();
    let cluster = match load_cluster(&dumps) {
        Ok((c, _)) => c,
        Err(e) => {
            eprintln!("pipeline: {e}");
            return;
        }
    };
    if let Some(c) = &cluster {
        let s = t.elapsed().as_secs_f64();
        println!(
            "load dump       {:>8.3} s  {:>7} objects {:>9.0} objects/s",
            s,
            c.len(),
            c.len() as f64 / s
        );
        let desired = repo.manifests.len();
        for threads in [1, cores] {
            let pool = match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
                Ok(p) => p,
                Err(_) => continue,
            };
            let t = Instant::now();
            let report = pool.install(|| compare_all(&repo, c, &CompareOptions::default()));
            let s = t.elapsed().as_secs_f64();
            let pairs: usize = report.apps.iter().map(|a| a.resources.len()).sum();
            println!(
                "compare ({threads} thr) {:>8.3} s  {:>7} desired vs {} live, {} resources  {:>9.0} desired objects/s",
                s,
                desired,
                c.len(),
                pairs,
                desired as f64 / s
            );
        }
    }
    let catalog = rules::builtin::catalog();
    let t = Instant::now();
    let report = cluster
        .as_ref()
        .map(|c| compare_all(&repo, c, &CompareOptions::default()));
    let mut ctx = Context::new(&repo, cluster.as_ref());
    ctx.drift = report.as_ref();
    let compare_and_index = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let findings = rules::run(&catalog, &ctx);
    let s = t.elapsed().as_secs_f64();
    if std::env::var_os("PIPELINE_RULE_TIMES").is_some() {
        let mut times: Vec<(f64, String)> = catalog
            .iter()
            .map(|r| {
                let t = Instant::now();
                let mut out = Vec::new();
                r.check(&ctx, &mut out);
                (t.elapsed().as_secs_f64(), r.meta().id.clone())
            })
            .collect();
        times.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (t, id) in times.iter().take(8) {
            println!("  {t:>8.3} s  {id}");
        }
        let total: f64 = times.iter().map(|t| t.0).sum();
        println!("  {total:>8.3} s  all rules one after the other");
    }
    println!(
        "rules ({} rules) {:>7.3} s  {:>7} findings (index + compare before: {:.3} s; load was {:.3} s)",
        catalog.len(),
        s,
        findings.len(),
        compare_and_index,
        load_repo
    );
}
