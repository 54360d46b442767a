//! Fuzzes the three merge predictions (strategic merge patch, JSON merge patch, structured
//! merge) and the `managedFields` reader with three JSON documents: last-applied, config, live.
//!
//! Input: three JSON texts separated by NUL bytes, the first byte picking a built-in kind.
//! Beyond "no panic, no stack overflow", it checks properties every merge must keep:
//! merging a config into a live object equal to it changes nothing, and every prediction is
//! deterministic.
#![no_main]

use driftlens_merge::{jsonmerge, managedfields, patchmeta, smd, smp, MAX_DEPTH};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const KINDS: &[(&str, &str)] = &[
    ("apps/v1", "Deployment"),
    ("v1", "Pod"),
    ("v1", "Service"),
    ("v1", "ConfigMap"),
    ("apps/v1", "StatefulSet"),
    ("networking.k8s.io/v1", "Ingress"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("batch/v1", "CronJob"),
];

fn depth(v: &Value) -> usize {
    // Iterative, so that the check itself cannot overflow.
    let mut max = 0;
    let mut stack = vec![(v, 1usize)];
    while let Some((v, d)) = stack.pop() {
        max = max.max(d);
        match v {
            Value::Array(a) => stack.extend(a.iter().map(|x| (x, d + 1))),
            Value::Object(m) => stack.extend(m.values().map(|x| (x, d + 1))),
            _ => {}
        }
    }
    max
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let docs: Vec<Value> = rest
        .split(|b| *b == 0)
        .take(3)
        .filter_map(|d| serde_json::from_slice(d).ok())
        .collect();
    if docs.len() != 3 || docs.iter().any(|d| depth(d) > MAX_DEPTH) {
        return;
    }
    let (orig, config, live) = (&docs[0], &docs[1], &docs[2]);
    let table = patchmeta::table().expect("the embedded type table parses");
    let (api, kind) = KINDS[pick as usize % KINDS.len()];
    let root = table.root(api, kind);

    if let Some(root) = root {
        let a = smp::predict(table, root, Some(orig), config, live);
        let b = smp::predict(table, root, Some(orig), config, live);
        assert_eq!(a, b, "strategic merge is not deterministic");
        assert_eq!(
            smp::predict(table, root, Some(orig), live, live),
            *live,
            "a config equal to live must leave live unchanged"
        );
        let _ = smp::predict(table, root, None, config, live);
    }

    let j = jsonmerge::predict(orig, config, live);
    assert_eq!(j, jsonmerge::predict(orig, config, live));
    let _ = jsonmerge::remove_map_fields(orig, live);

    let _ = managedfields::has_managed_fields(live);
    let owned = smd::owned_locations(live);
    let s = smd::predict(Some(table), root, config, live, &owned);
    assert_eq!(s, smd::predict(Some(table), root, config, live, &owned));
    let _ = smd::predict(None, None, config, live, &owned);
    let mut copy = live.clone();
    managedfields::remove_all(&mut copy, owned);
});
