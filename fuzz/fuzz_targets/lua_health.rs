//! Fuzzes the Lua health runner: the input is a health script (run with and without the open
//! libraries) on a fixed object. Any script must end with a health status or an error within
//! the runner's budget (1 s, instructions, memory) — never a panic, an abort or a hang.
#![no_main]

use std::time::{Duration, Instant};

use driftlens::compare::health::{LuaEngine, LuaScript, ScriptOrigin};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let obj = serde_json::json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "s"}, "data": {"password": "c2VjcmV0"},
        "status": {"conditions": [{"type": "Ready", "status": "True"}]}});
    for open in [false, true] {
        let script = LuaScript {
            source: src.into(),
            use_open_libs: open,
            origin: ScriptOrigin::ConfigMap("fuzz".into()),
        };
        let started = Instant::now();
        let _ = LuaEngine::new().run_health(&obj, &script);
        assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    }
});
