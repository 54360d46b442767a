//! Randomized robustness tests: arbitrary (bounded) documents through every diff mode must
//! not panic, must be deterministic, and an object compared with itself is never modified.

use super::diff::{diff, DiffSettings, LAST_APPLIED};
use super::ignore::{CompiledIgnoreRule, IgnoreRule};
use serde_json::{json, Map, Value};

/// Small deterministic xorshift generator (no external crate needed).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const KEYS: &[&str] = &[
    "spec",
    "template",
    "containers",
    "initContainers",
    "name",
    "image",
    "ports",
    "containerPort",
    "protocol",
    "env",
    "value",
    "metadata",
    "annotations",
    "labels",
    "data",
    "stringData",
    "rules",
    "subsets",
    "volumeClaimTemplates",
    "resources",
    "limits",
    "cpu",
    "memory",
    "replicas",
    "selector",
    "strategy",
    "type",
    "volumes",
    "finalizers",
    "status",
    "port",
    "targetPort",
    "webhooks",
    "aggregationRule",
    "managedFields",
    "creationTimestamp",
];

const KINDS: &[(&str, &str)] = &[
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("v1", "Service"),
    ("v1", "Secret"),
    ("v1", "ConfigMap"),
    ("v1", "Endpoints"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    (
        "admissionregistration.k8s.io/v1",
        "MutatingWebhookConfiguration",
    ),
    ("example.com/v1", "Widget"),
];

fn value(rng: &mut Rng, depth: usize) -> Value {
    let choice = if depth == 0 {
        rng.below(5)
    } else {
        rng.below(8)
    };
    match choice {
        0 => Value::Null,
        1 => json!(rng.below(3) == 0),
        2 => json!(rng.below(2000) as i64 - 5),
        3 => json!(["100m", "0.5", "1Gi", "abc", "", "1e3", "80"][rng.below(7)]),
        4 => json!(rng.below(5) as f64 / 2.0),
        5 | 6 => {
            let mut m = Map::new();
            for _ in 0..rng.below(4) {
                let k = KEYS[rng.below(KEYS.len())];
                m.insert(k.to_string(), value(rng, depth - 1));
            }
            Value::Object(m)
        }
        _ => Value::Array((0..rng.below(4)).map(|_| value(rng, depth - 1)).collect()),
    }
}

fn object(rng: &mut Rng) -> Value {
    let (api_version, kind) = KINDS[rng.below(KINDS.len())];
    let mut obj = match value(rng, 5) {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    obj.insert("apiVersion".into(), json!(api_version));
    obj.insert("kind".into(), json!(kind));
    if rng.below(3) == 0 {
        let meta = obj.entry("metadata").or_insert_with(|| json!({}));
        if let Some(m) = meta.as_object_mut() {
            let la = if rng.below(2) == 0 {
                value(rng, 4).to_string()
            } else {
                "{not json".to_string()
            };
            m.insert("annotations".into(), json!({ LAST_APPLIED: la }));
            if rng.below(2) == 0 {
                m.insert(
                    "managedFields".into(),
                    json!([{"manager": "argocd-controller", "operation": "Apply",
                        "fieldsV1": {"f:spec": {"f:replicas": {}, "f:containers": {"k:{\"name\":\"a\"}": {".": {}}}}}}]),
                );
            }
        }
    }
    Value::Object(obj)
}

#[test]
fn random_documents_never_panic_and_are_deterministic() {
    let rule = CompiledIgnoreRule::compile(IgnoreRule {
        group: "*".into(),
        kind: "*".into(),
        json_pointers: vec!["/spec/replicas".into(), "/metadata/annotations/a~1b".into()],
        jq_path_expressions: vec![".spec.containers[]? | select(.name == \"a\")".into()],
        managed_fields_managers: vec!["argocd-controller".into()],
        ..Default::default()
    })
    .expect("rule compiles");
    let settings = [
        DiffSettings::default(),
        DiffSettings {
            server_side_apply: true,
            ..Default::default()
        },
        DiffSettings {
            ignore_rules: vec![rule],
            ignore_aggregated_roles: true,
            ..Default::default()
        },
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for i in 0..1500 {
        let a = object(&mut rng);
        let mut b = object(&mut rng);
        if rng.below(2) == 0 {
            // Same kind, so the typed paths are exercised on both sides.
            b["apiVersion"] = a["apiVersion"].clone();
            b["kind"] = a["kind"].clone();
        }
        let s = &settings[i % settings.len()];
        let r1 = diff(&a, &b, s);
        let r2 = diff(&a, &b, s);
        assert_eq!(r1, r2, "non-deterministic for {a} / {b}");
        if let Ok(r) = r1 {
            assert_eq!(r.modified, !r.differences.is_empty(), "{a} / {b}");
        }
        let same = diff(&a, &a, s).expect("valid input");
        assert!(
            !same.modified,
            "self-diff modified: {a}: {:?}",
            same.differences
        );
    }
}

#[test]
fn shared_settings_work_across_rayon_threads() {
    use rayon::prelude::*;
    let rule = CompiledIgnoreRule::compile(IgnoreRule {
        group: "apps".into(),
        kind: "Deployment".into(),
        jq_path_expressions: vec![".spec.replicas".into()],
        ..Default::default()
    })
    .expect("rule compiles");
    let settings = DiffSettings {
        ignore_rules: vec![rule],
        ..Default::default()
    };
    let pairs: Vec<(Value, Value)> = (0..64)
        .map(|i| {
            let d = json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": format!("d{i}")},
                "spec": {"replicas": i, "template": {"spec": {"containers": [
                    {"name": "app", "image": format!("app:{}", i % 3)}]}}}});
            let mut l = d.clone();
            l["spec"]["replicas"] = json!(i + 1);
            if i % 2 == 0 {
                l["spec"]["template"]["spec"]["containers"][0]["image"] = json!("app:other");
            }
            (d, l)
        })
        .collect();
    let sequential: Vec<bool> = pairs
        .iter()
        .map(|(d, l)| diff(d, l, &settings).map(|r| r.modified).unwrap_or(true))
        .collect();
    let parallel: Vec<bool> = pairs
        .par_iter()
        .map(|(d, l)| diff(d, l, &settings).map(|r| r.modified).unwrap_or(true))
        .collect();
    assert_eq!(sequential, parallel);
    // Replicas are ignored; only the image change of even pairs is drift.
    let expected: Vec<bool> = (0..64).map(|i| i % 2 == 0).collect();
    assert_eq!(parallel, expected);
}
