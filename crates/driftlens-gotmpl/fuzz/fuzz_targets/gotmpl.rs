//! Fuzzes the Go-template engine: any input must parse or fail, and execute or fail,
//! within the work budget, without panicking. Run with `cargo fuzz run gotmpl -s none`
//! (stable toolchains need `-s none`).
#![no_main]

use driftlens_gotmpl::{ExecState, Limits};
use driftlens_gotmpl::TemplateSet;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut set = TemplateSet::new();
    if set.add("fuzz.yaml", text).is_err() {
        return;
    }
    let dot = driftlens_gotmpl::yaml::load("Values: {a: {b: [1, 2]}, s: x}").unwrap_or_default();
    let limits = Limits { max_steps: 100_000, max_depth: 50, max_output: 1 << 20, ..Limits::default() };
    let mut state = ExecState::new(limits, 0);
    let _ = set.execute("fuzz.yaml", dot, &mut state);
});
