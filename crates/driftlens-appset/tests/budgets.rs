//! Hostile ApplicationSets: each one ends in a clear limit error, in bounded time, instead of
//! exhausting the machine.

use driftlens_appset::{
    generate, ClusterSecret, Generation, Inputs, Options, RepoError, Repository,
};
use serde_json::{json, Value as J};

/// A repository of `n` files `apps/NNNNNN/config.json`.
struct ManyFiles {
    files: Vec<String>,
}

impl Repository for ManyFiles {
    fn files(&self) -> &[String] {
        &self.files
    }
    fn read(&self, _path: &str) -> Result<Vec<u8>, String> {
        Ok(b"{\"a\": \"b\"}".to_vec())
    }
}

struct In {
    repo: ManyFiles,
}

impl Inputs for In {
    fn repository(&self, _url: &str, _rev: &str) -> Result<&dyn Repository, RepoError> {
        Ok(&self.repo)
    }
    fn cluster_secrets(&self) -> &[ClusterSecret] {
        &[]
    }
}

fn inputs(n: usize) -> In {
    In {
        repo: ManyFiles {
            files: (0..n).map(|i| format!("apps/{i:06}/config.json")).collect(),
        },
    }
}

fn appset(generators: J, go: bool, name: &str) -> J {
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {"name": "hostile", "namespace": "argocd"},
        "spec": {
            "goTemplate": go,
            "generators": generators,
            "template": {
                "metadata": {"name": name},
                "spec": {"project": "default",
                         "source": {"repoURL": "https://example.com/r.git", "path": "x"},
                         "destination": {"server": "https://kubernetes.default.svc"}}
            }
        }
    })
}

fn first_limit(g: &Generation) -> String {
    let e = g.errors.first().expect("an error");
    assert!(e.limit, "not a limit error: {}", e.message);
    e.message.clone()
}

#[test]
fn a_matrix_of_a_hundred_million_is_refused() {
    let elements: Vec<J> = (0..10_000).map(|i| json!({"a": i.to_string()})).collect();
    let others: Vec<J> = (0..10_000).map(|i| json!({"b": i.to_string()})).collect();
    let set = appset(
        json!([{"matrix": {"generators": [
            {"list": {"elements": elements}},
            {"list": {"elements": others}}
        ]}}]),
        false,
        "x-{{a}}-{{b}}",
    );
    let started = std::time::Instant::now();
    let g = generate(&set, &inputs(0), &Options::default());
    let msg = first_limit(&g);
    assert!(msg.contains("parameter sets"), "{msg}");
    assert!(g.applications.is_empty());
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}

#[test]
fn a_git_files_generator_over_a_hundred_thousand_files_is_refused() {
    let set = appset(
        json!([{"git": {"repoURL": "https://example.com/r.git", "revision": "HEAD",
                         "files": [{"path": "apps/*/config.json"}]}}]),
        false,
        "{{path.basename}}",
    );
    let g = generate(&set, &inputs(100_000), &Options::default());
    let msg = first_limit(&g);
    assert!(msg.contains("more than 10000 files"), "{msg}");
    assert!(g.applications.is_empty());
}

#[test]
fn a_recursing_template_is_refused() {
    let set = appset(
        json!([{"list": {"elements": [{"a": "1"}]}}]),
        true,
        "{{ define \"r\" }}{{ template \"r\" . }}{{ end }}{{ template \"r\" . }}",
    );
    let g = generate(&set, &inputs(0), &Options::default());
    let msg = first_limit(&g);
    assert!(msg.contains("100"), "{msg}");
    assert!(g.applications.is_empty());
}

#[test]
fn a_template_that_loops_for_ever_is_refused() {
    let set = appset(
        json!([{"list": {"elements": [{"a": "1"}]}}]),
        true,
        "{{ range until 100000 }}{{ range until 100000 }}x{{ end }}{{ end }}",
    );
    let g = generate(&set, &inputs(0), &Options::default());
    let msg = first_limit(&g);
    assert!(!msg.is_empty());
    assert!(g.applications.is_empty());
}
