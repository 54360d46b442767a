//! Live objects of JSON dumps are lazy: held as their text in the dump, checked when loaded,
//! parsed on first use. These tests hold the lazy objects to what an eager parse gives.

use std::path::Path;

use driftlens::load::dump::{load_dumps, parse_dump};
use driftlens::model::object::{Annotated, LiveHead, LiveObject};
use serde_json::{json, Value};

mod common;
use common::{dump_fixture as fixture, dump_messages};

/// A `kubectl get -o json` List of `items`, pretty-printed as kubectl does.
fn list(items: &[Value]) -> String {
    serde_json::to_string_pretty(&json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": items,
        "metadata": {"resourceVersion": ""},
    }))
    .expect("serializes")
}

fn pod(i: usize) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": format!("web-{i:04}"),
            "namespace": if i.is_multiple_of(2) { "shop" } else { "kube-system" },
            "labels": {"app": "web", "pod-template-hash": "5d8f"},
            "annotations": {"checksum/config": "abc", "tracking": format!("t{i}")},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                 "name": "web-5d8f", "uid": "u-1", "controller": true}],
            "managedFields": [{"manager": "kubelet", "operation": "Update",
                               "fieldsV1": {"f:status": {"f:phase": {}}}}],
        },
        "spec": {"containers": [{"name": "web", "image": "nginx:1.27",
                                 "resources": {"limits": {"cpu": 0.5, "memory": "1Gi"}}}]},
        "status": {"phase": "Running", "startTime": "2026-03-01T10:00:00Z",
                   "restartCount": i, "ratio": -1.25e-3, "big": 18446744073709551615u64,
                   "escaped": "caf\u{e9} \"quoted\" \\ \t tab"},
    })
}

#[test]
fn json_objects_are_lazy_and_parse_to_the_eager_value() {
    for f in [
        "list.json",
        "typed-list.json",
        "single.json",
        "concatenated.json",
    ] {
        let l = load_dumps(&[fixture(f)]);
        assert!(
            l.problems.is_empty() && l.fatal.is_empty(),
            "{}",
            dump_messages(&l)
        );
        assert!(!l.objects.is_empty(), "{f}");
        for o in &l.objects {
            assert!(!o.is_parsed(), "{f}: {:?}", o.key);
            let text = o.json_text().expect("a JSON object keeps its text");
            let mut eager: Value = serde_json::from_str(text).expect("the text parses");
            if f == "typed-list.json" {
                // Items of a typed list get the list's kind and apiVersion.
                eager["kind"] = json!("Deployment");
                eager["apiVersion"] = json!("apps/v1");
            }
            assert_eq!(o.head(), &LiveHead::of_object(&eager), "{f}: {:?}", o.key);
            assert!(!o.is_parsed(), "reading the head parses nothing");
            assert_eq!(o.obj(), &eager, "{f}: {:?}", o.key);
            assert!(o.is_parsed());
        }
    }
}

#[test]
fn the_head_has_labels_annotations_and_owners() {
    let l = parse_dump("pods.json", list(&[pod(1)]).into_bytes());
    assert!(l.fatal.is_empty(), "{}", dump_messages(&l));
    let o = &l.objects[0];
    assert_eq!(o.label("app"), Some("web"));
    assert_eq!(o.label("pod-template-hash"), Some("5d8f"));
    assert_eq!(o.label("missing"), None);
    assert_eq!(o.annotation("tracking"), Some("t1"));
    assert_eq!(o.annotation("app"), None);
    let owners = o.owner_references();
    assert_eq!(owners.len(), 1);
    assert_eq!(
        (owners[0].kind(), owners[0].name(), owners[0].uid()),
        (Some("ReplicaSet"), Some("web-5d8f"), Some("u-1"))
    );
    assert_eq!(o.uid(), "");
    assert!(!o.is_parsed());
    // The whole object still has everything, numbers and escapes included.
    assert_eq!(o.obj(), &pod(1));
    assert!(o.obj().pointer("/metadata/managedFields/0").is_some());
}

#[test]
fn heads_read_odd_metadata_as_a_value_would() {
    // Duplicate keys (the last wins), non-string values, metadata that is not a map.
    let texts = [
        r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","labels":{"x":"1","x":2},"annotations":{"n":3,"s":"t"}}}"#,
        r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","labels":{"x":"1"}},"metadata":{"name":"a","uid":"u"}}"#,
        r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","ownerReferences":[1,{"kind":"K","uid":7}],"uid":5}}"#,
        r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","labels":[1,2],"annotations":null,"managedFields":[[[]]]}}"#,
    ];
    for text in texts {
        let l = parse_dump("odd.json", text.as_bytes().to_vec());
        assert!(
            l.fatal.is_empty() && l.problems.is_empty(),
            "{}",
            dump_messages(&l)
        );
        let o = &l.objects[0];
        assert!(!o.is_parsed(), "{text}");
        let eager: Value = serde_json::from_str(text).expect("parses");
        assert_eq!(o.head(), &LiveHead::of_object(&eager), "{text}");
        assert_eq!(o.obj(), &eager, "{text}");
    }
}

#[test]
fn strings_are_read_without_parsing() {
    let l = parse_dump("pods.json", list(&[pod(3)]).into_bytes());
    let o = &l.objects[0];
    let mut lazy = Vec::new();
    o.for_each_string(&mut |s| lazy.push(s.to_string()));
    assert!(!o.is_parsed());
    let mut eager = Vec::new();
    let parsed = LiveObject::new(o.key.clone(), o.api_version.clone(), pod(3), 0);
    parsed.for_each_string(&mut |s| eager.push(s.to_string()));
    lazy.sort();
    eager.sort();
    assert_eq!(lazy, eager);
    assert!(lazy.iter().any(|s| s == "2026-03-01T10:00:00Z"));
    assert!(
        !lazy.iter().any(|s| s == "startTime"),
        "keys are not values"
    );
}

#[test]
fn a_malformed_object_in_a_valid_dump_is_a_located_fatal_problem() {
    // Each text is well-formed JSON, so the index reads it; the object itself cannot be
    // built (a number out of range, a lone surrogate, nesting beyond the parser's limit).
    let cases = [
        ("\"replicas\": 1e400", "out of range"),
        ("\"password\": \"s3cr3t\\ud800\"", "hex escape"),
        (
            &format!("\"deep\": {}1{}", "[".repeat(200), "]".repeat(200)),
            "recursion limit",
        ),
    ];
    for (field, what) in cases {
        let text = format!(
            "{{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"items\": [\n    \
             {{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {{\"name\": \"a\"}}}},\n    \
             {{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {{\"name\": \"b\"}},\n      \
             \"data\": {{{field}}}}},\n    \
             {{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {{\"name\": \"c\"}}}}\n  ]\n}}\n"
        );
        assert!(
            serde_json::from_str::<serde::de::IgnoredAny>(&text).is_ok(),
            "{what}: the dump is syntactically valid"
        );
        let l = parse_dump("cluster.json", text.into_bytes());
        assert!(l.is_fatal(), "{what}");
        assert_eq!(l.fatal.len(), 1, "{what}: {}", dump_messages(&l));
        let p = &l.fatal[0];
        assert_eq!(p.path, "cluster.json");
        // The problem is on the line of the bad field, with a column.
        assert_eq!(p.line, Some(7), "{what}: {p}");
        assert!(p.col.is_some_and(|c| c > 1), "{what}: {p}");
        assert!(p.message.contains("invalid JSON"), "{what}: {p}");
        assert!(p.message.contains(what), "{what}: {p}");
        assert!(p.message.contains("cannot be read"), "{what}: {p}");
        assert!(!p.to_string().contains("s3cr3t"), "{p}");
        // The other objects are loaded (and lazy).
        let names: Vec<&str> = l.objects.iter().map(|o| o.key.name.as_str()).collect();
        assert_eq!(names, ["a", "c"], "{what}");
        assert!(l.objects.iter().all(|o| o.json_text().is_some()));
    }
}

#[test]
fn objects_serde_json_reads_specially_are_held_parsed() {
    // serde_json gives an object whose first key is its private raw-value marker a meaning of
    // its own; such objects are parsed when loaded, exactly as serde_json reads them.
    let inner = r#"{"$serde_json::private::RawValue": "{\"x\": 1}"}"#;
    let text = format!(
        r#"{{"kind": "List", "items": [{{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {{"name": "a"}}, "data": {inner}}}]}}"#
    );
    let l = parse_dump("odd.json", text.into_bytes());
    assert!(l.fatal.is_empty(), "{}", dump_messages(&l));
    let o = &l.objects[0];
    assert!(o.is_parsed() && o.json_text().is_none());
    let eager: Value = serde_json::from_str(&format!(
        r#"{{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {{"name": "a"}}, "data": {inner}}}"#
    ))
    .expect("parses");
    assert_eq!(o.obj(), &eager);
}

#[test]
fn loading_is_deterministic_whatever_the_thread_count() {
    let items: Vec<Value> = (0..500)
        .map(|i| {
            if i % 97 == 13 {
                json!({"kind": "Pod", "metadata": {"name": format!("x{i}")}})
            } else {
                pod(i)
            }
        })
        .collect();
    let text = list(&items);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        pool.install(|| {
            let l = parse_dump("pods.json", text.clone().into_bytes());
            let objects: Vec<(String, LiveHead, Value)> = l
                .objects
                .iter()
                .map(|o| (o.key.to_string(), o.head().clone(), o.obj().clone()))
                .collect();
            (objects, dump_messages(&l))
        })
    };
    let one = run(1);
    assert_eq!(one.0.len(), 494);
    assert_eq!(one.1.lines().count(), 6, "{}", one.1);
    for threads in [2, 4] {
        assert_eq!(run(threads), one, "{threads} threads");
    }
}

#[test]
fn debug_output_never_shows_the_content() {
    let text = r#"{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}, "data": {"password": "c3VwZXItc2VjcmV0"}}"#;
    let l = parse_dump("secret.json", text.as_bytes().to_vec());
    let o = &l.objects[0];
    let _ = o.obj();
    let shown = format!("{o:?} {:?}", l.objects);
    assert!(shown.contains("Secret"), "{shown}");
    assert!(!shown.contains("c3VwZXItc2VjcmV0"), "{shown}");
}

#[test]
fn yaml_dumps_are_held_parsed() {
    let l = load_dumps(&[fixture("list.yaml")]);
    assert!(l.fatal.is_empty(), "{}", dump_messages(&l));
    for o in &l.objects {
        assert!(o.is_parsed() && o.json_text().is_none());
        assert_eq!(o.head(), &LiveHead::of_object(o.obj()));
    }
}

#[test]
fn a_scan_parses_only_the_live_objects_it_uses() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/demo");
    let mut opts = driftlens::scan::ScanOptions::new(demo.join("repo"));
    opts.clusters = vec![demo.join("cluster/dump.json")];
    let result = driftlens::scan::scan(&opts).expect("the demo scans");
    let cluster = result.cluster.expect("a cluster");
    let unparsed: Vec<String> = cluster
        .objects
        .iter()
        .filter(|o| !o.is_parsed())
        .map(|o| o.key.kind.clone())
        .collect();
    // Pods, ReplicaSets and Events are no Application's resources and no rule reads them
    // beyond their metadata.
    for kind in ["Pod", "ReplicaSet", "Event"] {
        assert!(unparsed.iter().any(|k| k == kind), "{unparsed:?}");
    }
}
