//! Fuzzes the sandboxed jq engine: the first line of the input is a jq program, the rest a JSON
//! input. Compiling and running any program on any input must end, under small budgets, with
//! outputs, a jq error or an exceeded budget — never a panic inside jaq (reported as
//! `RunError::Internal`), an abort, a stack overflow or runaway memory. Also runs the program as
//! an ignore rule's `del(...)`.
#![no_main]

use std::time::Duration;

use driftlens::compare::jq::JqPath;
use driftlens::jq::{Jv, Program, RunError};
use driftlens::limits::Limits;
use libfuzzer_sys::fuzz_target;

const LIMITS: Limits = Limits {
    depth: 128,
    steps: 200_000,
    time: Duration::from_millis(200),
    memory: 16 << 20,
};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (code, input) = text.split_once('\n').unwrap_or((text, "null"));
    let input: serde_json::Value = serde_json::from_str(input).unwrap_or(serde_json::Value::Null);
    let Some(jv) = Jv::from_json(&input, LIMITS.depth) else {
        return;
    };
    if let Ok(p) = Program::compile(code, &["$index", "$apps"]) {
        match p.outputs(jv, vec![Jv::Null, Jv::Null], LIMITS, 100) {
            Ok(outs) => {
                for o in outs {
                    let _ = o.to_serde();
                }
            }
            Err(RunError::Internal(m)) => panic!("jaq panicked: {m}"),
            Err(_) => {}
        }
    }
    if let Ok(p) = JqPath::compile(code) {
        let _ = p.apply(&input, &LIMITS);
    }
});
