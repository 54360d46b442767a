//! Fuzzes cluster dump parsing (JSON index + parallel check, lazy objects, YAML fallback), under
//! a `.json` name (held to JSON) and a `.yaml` name (content decides).
#![no_main]

use driftlens::load::dump::parse_dump;
use driftlens::model::object::LiveHead;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for label in ["fuzz.json", "fuzz.yaml"] {
        let load = parse_dump(label, data.to_vec());
        for o in &load.objects {
            assert!(!o.key.kind.is_empty() && !o.key.name.is_empty());
            assert!(!o.api_version.is_empty());
            assert_eq!(o.source, 0);
            // A lazy object's text was checked when loaded: it parses, to the object.
            if let Some(text) = o.json_text() {
                assert!(serde_json::from_str::<serde_json::Value>(text).is_ok());
            }
            assert!(o.obj().is_object());
            // The head read when loading is the head of the parsed object.
            assert!(o.head() == &LiveHead::of_object(o.obj()));
        }
        for p in load.problems.iter().chain(&load.fatal) {
            assert!(!p.message.is_empty());
            assert!(p.line.is_none_or(|l| l >= 1));
        }
    }
});
