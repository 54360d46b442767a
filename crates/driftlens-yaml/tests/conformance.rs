//! The YAML loader against a real kubectl: `testdata/tricky-scalars.kubectl.json` is
//! kubectl's reading of `testdata/tricky-scalars.yaml` (see the README next to them).

use std::path::Path;

use driftlens_yaml::{parse_stream, Node};
use serde_json::Value;

fn testdata(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(rel)
}

fn golden() -> Value {
    let text = std::fs::read_to_string(testdata("tricky-scalars.kubectl.json")).expect("golden");
    let mut v: Value = serde_json::from_str(&text).expect("golden is JSON");
    // kubectl added this annotation to make `annotate --local` print the object.
    let meta = v
        .get_mut("metadata")
        .and_then(Value::as_object_mut)
        .expect("metadata");
    if let Some(Value::Object(ann)) = meta.get_mut("annotations") {
        ann.remove("probe");
        if ann.is_empty() {
            meta.remove("annotations");
        }
    }
    v
}

fn load(text: &str) -> Value {
    let (docs, err) = parse_stream(text);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(docs.len(), 1);
    docs[0]
        .root
        .as_ref()
        .map(Node::to_json)
        .expect("one object")
}

/// Compares field by field, so a failure names the first differing pointer.
fn assert_same(ours: &Value, kubectl: &Value, at: &str) {
    match (ours, kubectl) {
        (Value::Object(a), Value::Object(b)) => {
            let ka: Vec<&String> = a.keys().collect();
            let kb: Vec<&String> = b.keys().collect();
            assert_eq!(ka, kb, "keys differ at {at}");
            for (k, v) in a {
                assert_same(v, &b[k], &format!("{at}/{k}"));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "lengths differ at {at}");
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                assert_same(x, y, &format!("{at}/{i}"));
            }
        }
        _ => assert_eq!(ours, kubectl, "values differ at {at}"),
    }
}

#[test]
fn tricky_scalars_match_kubectl() {
    let text = std::fs::read_to_string(testdata("tricky-scalars.yaml")).expect("fixture");
    assert_same(&load(&text), &golden(), "");
}

#[test]
fn crlf_variant_matches_kubectl() {
    let text = std::fs::read_to_string(testdata("tricky-scalars.yaml")).expect("fixture");
    let crlf = text.replace('\n', "\r\n");
    assert_same(&load(&crlf), &golden(), "");
}

#[test]
fn bom_variant_matches_kubectl() {
    let text = std::fs::read_to_string(testdata("tricky-scalars.yaml")).expect("fixture");
    let bom = format!("\u{feff}{text}");
    assert_same(&load(&bom), &golden(), "");
}

#[test]
fn spans_point_into_the_fixture() {
    let text = std::fs::read_to_string(testdata("tricky-scalars.yaml")).expect("fixture");
    let (docs, _) = parse_stream(&text);
    let root = docs[0].root.as_ref().expect("root");
    let (v, key) = root
        .pointer_entry("/spec/integers/octal")
        .expect("octal is there");
    assert_eq!(&text[v.span.start.offset..v.span.end.offset], "0755");
    assert_eq!(
        &text[key.start.offset..key.end.offset],
        "octal",
        "the key span covers the key"
    );
    let emoji = root.pointer("/spec/unicode/emoji").expect("emoji");
    assert_eq!(
        &text[emoji.span.start.offset..emoji.span.end.offset],
        "🚀 launch"
    );
}
