//! Load-stage throughput: YAML manifests of a checkout (discover + parse) and cluster dumps
//! (JSON index + parallel build, and YAML).
//!
//! `cargo bench --bench load` generates its data in a temporary directory (2,000 manifest files,
//! a 20,000-object JSON dump, a 5,000-object YAML dump). To measure on the full data set of
//! `scripts/gen-bench-data OUT` instead (10,000 manifests, 100,000 objects), run with
//! `DRIFTLENS_BENCH_DATA=OUT cargo bench --bench load`.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use divan::counter::{BytesCount, ItemsCount};
use divan::Bencher;
use driftlens::load::discover::{discover, parse_files};
use driftlens::load::dump::{index_json, load_dumps};
use driftlens::load::source::DEFAULT_MAX_FILE_SIZE;

// The same allocator as the driftlens binary, so the figures match the real process.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    divan::main();
}

struct Data {
    _tmp: Option<tempfile::TempDir>,
    repo: PathBuf,
    repo_files: usize,
    repo_bytes: u64,
    json_dump: PathBuf,
    yaml_dump: Option<PathBuf>,
}

fn data() -> &'static Data {
    static DATA: OnceLock<Data> = OnceLock::new();
    DATA.get_or_init(|| match std::env::var_os("DRIFTLENS_BENCH_DATA") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            let repo = dir.join("repo");
            let (repo_files, repo_bytes) = tree_size(&repo);
            Data {
                _tmp: None,
                repo,
                repo_files,
                repo_bytes,
                json_dump: dir.join("cluster.json"),
                yaml_dump: None,
            }
        }
        None => generate(),
    })
}

fn tree_size(repo: &Path) -> (usize, u64) {
    let d = discover(repo);
    let bytes = d
        .files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    (d.files.len(), bytes)
}

fn deployment(i: usize) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\n  namespace: team-{ns}\n  labels:\n    app.kubernetes.io/name: app-{i}\n    environment: prod\nspec:\n  replicas: {r}\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: app-{i}\n  template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: app-{i}\n    spec:\n      containers:\n      - name: app\n        image: ghcr.io/example/app:1.{i}.0\n        ports:\n        - containerPort: 8080\n          protocol: TCP\n        env:\n        - name: LOG_LEVEL\n          value: info\n        resources:\n          requests:\n            cpu: 100m\n            memory: 128Mi\n          limits:\n            memory: 256Mi\n",
        ns = i % 20,
        r = i % 5 + 1
    )
}

fn service(i: usize) -> String {
    format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: app-{i}\n  namespace: team-{ns}\nspec:\n  selector:\n    app.kubernetes.io/name: app-{i}\n  ports:\n  - name: http\n    port: 80\n    targetPort: 8080\n",
        ns = i % 20
    )
}

fn configmap(i: usize) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-{i}-config\n  namespace: team-{ns}\ndata:\n  TIMEOUT: \"30\"\n  MODE: \"0755\"\n  config.yaml: |\n    server:\n      port: 8080\n      workers: {w}\n",
        ns = i % 20,
        w = i % 16
    )
}

fn generate() -> Data {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let repo = tmp.path().join("repo");
    let mut docs: Vec<String> = Vec::new();
    for i in 0..2_000 {
        let dir = repo.join(format!("apps/team-{}/app-{i}", i % 20));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let (name, text) = match i % 3 {
            0 => ("deployment.yaml", deployment(i)),
            1 => ("service.yaml", service(i)),
            _ => ("configmap.yaml", configmap(i)),
        };
        std::fs::write(dir.join(name), &text).expect("write");
        docs.push(text);
    }
    // The JSON dump: the same objects as a kubectl List, repeated to 20,000 objects with
    // distinct names.
    let mut items: Vec<serde_json::Value> = Vec::with_capacity(20_000);
    for n in 0..20_000 {
        let (ds, _) = driftlens::load::yaml::parse_stream(&docs[n % docs.len()]);
        let mut v = ds[0].root.as_ref().map(|r| r.to_json()).expect("object");
        v["metadata"]["name"] = format!("obj-{n}").into();
        v["metadata"]["uid"] = format!("{n:08x}-0000-4000-8000-000000000000").into();
        v["metadata"]["resourceVersion"] = (100_000 + n).to_string().into();
        v["status"] = serde_json::json!({"observedGeneration": 3, "replicas": 2});
        items.push(v);
    }
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
    let json_dump = tmp.path().join("cluster.json");
    std::fs::write(
        &json_dump,
        serde_json::to_string_pretty(&list).expect("serialise"),
    )
    .expect("write");
    // The YAML dump: multi-document, 5,000 objects.
    let yaml: String = (0..5_000)
        .map(|n| {
            format!(
                "---\n{}",
                docs[n % docs.len()].replace("name: app-", "name: y-app-")
            )
        })
        .collect();
    let yaml_dump = tmp.path().join("cluster.yaml");
    std::fs::write(&yaml_dump, yaml).expect("write");
    let (repo_files, repo_bytes) = tree_size(&repo);
    Data {
        _tmp: Some(tmp),
        repo,
        repo_files,
        repo_bytes,
        json_dump,
        yaml_dump: Some(yaml_dump),
    }
}

/// Walk the checkout and parse every manifest (located YAML trees).
#[divan::bench(sample_count = 10)]
fn yaml_repo(b: Bencher) {
    let d = data();
    b.counter(ItemsCount::new(d.repo_files))
        .counter(BytesCount::new(d.repo_bytes))
        .bench(|| {
            let found = discover(&d.repo);
            let parsed = parse_files(&d.repo, &found.files, DEFAULT_MAX_FILE_SIZE);
            assert!(parsed
                .iter()
                .all(|p| p.as_ref().is_ok_and(|f| f.error.is_none())));
            parsed.len()
        });
}

/// The whole JSON dump path: read, index, build every object in parallel.
#[divan::bench(sample_count = 10)]
fn dump_json(b: Bencher) {
    let d = data();
    let bytes = std::fs::metadata(&d.json_dump).map_or(0, |m| m.len());
    let objects = load_dumps(std::slice::from_ref(&d.json_dump)).objects.len();
    b.counter(ItemsCount::new(objects))
        .counter(BytesCount::new(bytes))
        .bench(|| {
            let l = load_dumps(std::slice::from_ref(&d.json_dump));
            assert!(!l.is_fatal());
            l.objects.len()
        });
}

/// Phase 1 only: the borrowed index over a JSON dump already in memory.
#[divan::bench(sample_count = 10)]
fn dump_json_index_only(b: Bencher) {
    let d = data();
    let text = std::fs::read_to_string(&d.json_dump).expect("dump");
    b.counter(BytesCount::new(text.len())).bench(|| {
        let (index, err) = index_json(&text);
        assert!(err.is_none());
        index.items.len()
    });
}

/// A multi-document YAML dump through the located loader.
#[divan::bench(sample_count = 10)]
fn dump_yaml(b: Bencher) {
    let d = data();
    let Some(yaml) = &d.yaml_dump else { return };
    let bytes = std::fs::metadata(yaml).map_or(0, |m| m.len());
    b.counter(ItemsCount::new(5_000usize))
        .counter(BytesCount::new(bytes))
        .bench(|| load_dumps(std::slice::from_ref(yaml)).objects.len());
}
