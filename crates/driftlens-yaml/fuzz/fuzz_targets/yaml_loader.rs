//! Fuzzes the located YAML loader: `parse_stream`, `to_json` and pointer lookups.
//!
//! Beyond "no panic, no stack overflow, no runaway memory", it checks that spans stay inside the
//! text and that every JSON pointer into `to_json`'s output leads to a node whose own JSON is
//! the same value (the tree and its JSON agree).
#![no_main]

use driftlens_yaml::{escape_pointer_token, parse_stream_with, Limits, Node, Span};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    // A smaller node budget than the default keeps each run fast; the code paths are the same.
    let limits = Limits {
        max_nodes: 200_000,
        ..Limits::default()
    };
    let (docs, err) = parse_stream_with(src, limits);
    if let Some(e) = &err {
        assert!(e.at.offset <= src.len(), "error offset outside the text");
        assert!(e.at.line >= 1);
    }
    for doc in &docs {
        let Some(root) = &doc.root else { continue };
        let json = root.to_json();
        let _ = serde_json::to_string(&json);
        check_pointers(src, root, &json);
    }
});

fn check_span(src: &str, sp: Span) {
    assert!(sp.start.offset <= sp.end.offset, "span ends before it starts");
    assert!(sp.end.offset <= src.len(), "span outside the text");
}

/// Walks the JSON (iteratively) and checks a bounded number of pointers against the tree.
fn check_pointers(src: &str, root: &Node, json: &Value) {
    let mut todo: Vec<(String, &Value)> = vec![(String::new(), json)];
    let mut checked = 0;
    while let Some((ptr, v)) = todo.pop() {
        checked += 1;
        if checked > 2_000 {
            break;
        }
        let Some((node, at)) = root.pointer_entry(&ptr) else {
            panic!("pointer {ptr:?} of to_json() is missing from the tree");
        };
        check_span(src, node.span);
        check_span(src, at);
        let _ = root.closest_span(&format!("{ptr}/missing/0"));
        match v {
            Value::Object(m) => {
                for (k, child) in m {
                    todo.push((format!("{ptr}/{}", escape_pointer_token(k)), child));
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    todo.push((format!("{ptr}/{i}"), child));
                }
            }
            _ => assert_eq!(&node.to_json(), v, "tree and JSON disagree at {ptr:?}"),
        }
    }
}
