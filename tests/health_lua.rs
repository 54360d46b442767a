//! Lua health scripts: sandbox, limits, return-value rules, script sources and selection.

use driftlens::compare::health::{
    resource_health, resource_health_with, HealthError, HealthOverrides, HealthStatus,
    HealthStatusCode, LuaEngine, LuaScript, ScriptOrigin,
};
use rayon::prelude::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Instant;

fn script(src: &str, open: bool) -> LuaScript {
    LuaScript {
        source: src.into(),
        use_open_libs: open,
        origin: ScriptOrigin::ConfigMap("test".into()),
    }
}

fn run(src: &str, open: bool) -> Result<HealthStatus, HealthError> {
    LuaEngine::new().run_health(&json!({"kind": "X"}), &script(src, open))
}

fn healthy_if(cond: &str) -> String {
    format!("if {cond} then return {{status='Healthy'}} end return {{status='Degraded'}}")
}

fn is_healthy(r: Result<HealthStatus, HealthError>) -> bool {
    r == Ok(HealthStatus::status(HealthStatusCode::Healthy))
}

#[test]
fn restricted_libraries_without_open_libs() {
    for cond in [
        "io == nil",
        "string == nil",
        "math == nil",
        "os == nil",
        "debug == nil",
        "dofile == nil and loadfile == nil and loadstring == nil and load == nil",
        "getfenv == nil and setfenv == nil",
        "require('os').execute == nil",
        "require('os').getenv == nil",
        "type(require('os').time()) == 'number'",
        "type(table.insert) == 'function'",
        "not pcall(require, 'io')",
        "not pcall(require, 'string')",
    ] {
        assert!(is_healthy(run(&healthy_if(cond), false)), "{cond}");
    }
    // Using a missing library is a runtime error → Unknown for the resource.
    assert!(matches!(
        run("return {status = string.upper('healthy')}", false),
        Err(HealthError::Lua(_))
    ));
    assert!(matches!(
        run("os.execute('true') return {}", false),
        Err(HealthError::Lua(_))
    ));
    assert!(matches!(
        run("io.open('/etc/passwd') return {}", false),
        Err(HealthError::Lua(_))
    ));
}

#[test]
fn open_libraries_are_still_sandboxed() {
    for cond in [
        "string.upper('a') == 'A'",
        "math.floor(1.5) == 1",
        "type(os.time()) == 'number' and type(os.date('%Y')) == 'string'",
        "io == nil and debug == nil",
        "os.execute == nil and os.getenv == nil and os.remove == nil and os.exit == nil",
        "require('string') == string",
        "not pcall(require, 'io')",
        "string.dump == nil",
        "('abc'):find('b') == 2",
    ] {
        assert!(is_healthy(run(&healthy_if(cond), true)), "{cond}");
    }
}

#[test]
fn infinite_loop_is_stopped() {
    let start = Instant::now();
    let r = run("while true do end", false);
    assert!(
        matches!(&r, Err(HealthError::Lua(m)) if m.contains("instruction budget") || m.contains("deadline")),
        "{r:?}"
    );
    assert!(start.elapsed().as_secs() < 5);
}

#[test]
fn slow_script_hits_the_time_limit() {
    let start = Instant::now();
    let r = run(
        "local s = string.rep('a', 3000) while true do s:find('.-b') end",
        true,
    );
    assert_eq!(r, Err(HealthError::Lua("context deadline exceeded".into())));
    assert!(start.elapsed().as_secs() < 5);
}

#[test]
fn memory_bomb_is_stopped() {
    let r = run("local s = 'x' while true do s = s .. s end", false);
    assert_eq!(r, Err(HealthError::Lua("not enough memory".into())));
    let r = run(
        "local t = {} local i = 0 while true do i = i + 1 t[i] = {i, i, i} end",
        false,
    );
    assert!(
        matches!(&r, Err(HealthError::Lua(m)) if m == "not enough memory" || m.contains("budget") || m.contains("deadline")),
        "{r:?}"
    );
    // The engine is usable afterwards.
    assert!(is_healthy(run("return {status='Healthy'}", false)));
}

#[test]
fn return_values() {
    assert_eq!(run("return nil", false), Ok(HealthStatus::default()));
    assert_eq!(run("return {}", false), Ok(HealthStatus::default()));
    assert_eq!(run("return {1, 2}", false), Ok(HealthStatus::default()));
    assert_eq!(
        run("return {status = 1}", false),
        Ok(HealthStatus::default())
    );
    assert_eq!(
        run("return {status = 'healthy'}", false),
        Ok(HealthStatus::new(
            HealthStatusCode::Unknown,
            "Lua returned an invalid health status"
        ))
    );
    assert_eq!(
        run("return 42", false),
        Err(HealthError::Lua(
            "expect table output from Lua script, not number".into()
        ))
    );
    assert_eq!(
        run("return true", false),
        Err(HealthError::Lua(
            "expect table output from Lua script, not boolean".into()
        ))
    );
    assert_eq!(
        run("return {status='Suspended', message='paused'}", false),
        Ok(HealthStatus::new(HealthStatusCode::Suspended, "paused"))
    );
    // A syntax error is an error, not a panic.
    assert!(matches!(run("return {", false), Err(HealthError::Lua(_))));
    assert!(matches!(run("error('boom')", false), Err(HealthError::Lua(m)) if m.contains("boom")));
}

#[test]
fn json_null_is_nil() {
    let obj = json!({"apiVersion": "example.com/v1", "kind": "Thing", "status": null,
        "spec": {"list": [1, null, 3]}});
    let s = script(
        "if obj.status == nil and obj.spec.list[1] == 1 and obj.spec.list[3] == 3 then return {status='Healthy'} end return {status='Degraded'}",
        false,
    );
    assert!(is_healthy(LuaEngine::new().run_health(&obj, &s)));
}

fn obj(api_version: &str, kind: &str) -> Value {
    json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": "x", "namespace": "ns"}})
}

#[test]
fn argocd_cm_split_and_combined_keys() {
    let mut data = BTreeMap::new();
    data.insert(
        "resource.customizations.health.cert-manager.io_Certificate".to_string(),
        "return {status='Degraded', message='split'}".to_string(),
    );
    data.insert(
        "resource.customizations.health.ConfigMap".to_string(),
        "return {status='Suspended'}".to_string(),
    );
    data.insert(
        "resource.customizations.useOpenLibs.cert-manager.io_Certificate".to_string(),
        "true".to_string(),
    );
    data.insert(
        "resource.customizations".to_string(),
        r#"
argoproj.io/Application:
  health.lua: |
    hs = {}
    hs.status = "Progressing"
    hs.message = string.format("%s", "combined")
    return hs
  health.lua.useOpenLibs: true
"*.crossplane.io/*":
  health.lua: return {status = "Healthy", message = "wildcard"}
apps/Deployment:
  health.lua: return nil
"#
        .to_string(),
    );
    let o = HealthOverrides::from_argocd_cm(&data).unwrap_or_else(|e| panic!("{e}"));
    let h = |v: Value| resource_health(&v, &o);
    assert_eq!(
        h(obj("cert-manager.io/v1", "Certificate")),
        Ok(Some(HealthStatus::new(HealthStatusCode::Degraded, "split")))
    );
    assert_eq!(
        o.script_for("cert-manager.io", "Certificate")
            .map(|s| s.use_open_libs),
        Some(true)
    );
    assert_eq!(
        h(obj("v1", "ConfigMap")),
        Ok(Some(HealthStatus::status(HealthStatusCode::Suspended)))
    );
    assert_eq!(
        h(obj("argoproj.io/v1alpha1", "Application")),
        Ok(Some(HealthStatus::new(
            HealthStatusCode::Progressing,
            "combined"
        )))
    );
    assert_eq!(
        h(obj("pkg.crossplane.io/v1", "Provider")),
        Ok(Some(HealthStatus::new(
            HealthStatusCode::Healthy,
            "wildcard"
        )))
    );
    // A Lua override returning nil gives empty health and hides the built-in check.
    assert_eq!(
        h(obj("apps/v1", "Deployment")),
        Ok(Some(HealthStatus::default()))
    );
    // No script, no built-in check → no health.
    assert_eq!(h(obj("example.com/v1", "Thing")), Ok(None));

    let mut bad = BTreeMap::new();
    bad.insert(
        "resource.customizations.health.a_b_c".to_string(),
        "return {}".to_string(),
    );
    assert!(matches!(
        HealthOverrides::from_argocd_cm(&bad),
        Err(HealthError::Settings(_))
    ));
    let mut bad = BTreeMap::new();
    bad.insert(
        "resource.customizations.useOpenLibs.apps_Deployment".to_string(),
        "yes".to_string(),
    );
    assert!(matches!(
        HealthOverrides::from_argocd_cm(&bad),
        Err(HealthError::Settings(_))
    ));
}

#[test]
fn selection_order_cm_before_directory_and_exact_before_wildcard() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let write = |rel: &str, src: &str| {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap_or(dir.path())).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(p, src).unwrap_or_else(|e| panic!("{e}"));
    };
    write(
        "example.com/Thing/health.lua",
        "return {status='Healthy', message='dir exact'}",
    );
    write(
        "_.example.com/_/health.lua",
        "return {status='Healthy', message='dir wildcard'}",
    );
    write(
        "a.example.com/_/health.lua",
        "return {status='Healthy', message='dir a'}",
    );
    write(
        "apps/Deployment/health.lua",
        "return {status='Healthy', message=string.lower('DIR')}",
    );
    let mut o = HealthOverrides::from_dir(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let msg = |o: &HealthOverrides, v: Value| match resource_health(&v, o) {
        Ok(Some(h)) => h.message,
        other => format!("{other:?}"),
    };
    assert_eq!(msg(&o, obj("example.com/v1", "Thing")), "dir exact");
    // Sorted wildcard directories: `_.example.com/_` sorts before `a.example.com/_`.
    assert_eq!(msg(&o, obj("a.example.com/v1", "Other")), "dir wildcard");
    assert_eq!(msg(&o, obj("b.example.com/v1", "Other")), "dir wildcard");
    // Directory scripts run with open libraries, and win over built-in checks.
    assert_eq!(msg(&o, obj("apps/v1", "Deployment")), "dir");
    o.insert_cm_script(
        "example.com/Thing",
        "return {status='Degraded', message='cm'}",
        false,
    );
    assert_eq!(msg(&o, obj("example.com/v1", "Thing")), "cm");
    o.insert_cm_script(
        "*.example.com/*",
        "return {status='Degraded', message='cm glob'}",
        false,
    );
    assert_eq!(msg(&o, obj("b.example.com/v1", "Other")), "cm glob");
}

#[test]
fn parallel_assessment_with_rayon() {
    let mut o = HealthOverrides::new();
    o.insert_cm_script(
        "example.com/Thing",
        "if obj.spec.n % 2 == 0 then return {status='Healthy'} end return {status='Degraded', message=tostring(obj.spec.n)}",
        false,
    );
    let objs: Vec<Value> = (0..400)
        .map(|n| json!({"apiVersion": "example.com/v1", "kind": "Thing", "spec": {"n": n}}))
        .collect();
    let a: Vec<_> = objs.par_iter().map(|v| resource_health(v, &o)).collect();
    let b: Vec<_> = objs
        .par_iter()
        .map_init(LuaEngine::new, |e, v| resource_health_with(v, &o, e))
        .collect();
    assert_eq!(a, b);
    for (n, r) in a.iter().enumerate() {
        let want = if n % 2 == 0 {
            HealthStatus::status(HealthStatusCode::Healthy)
        } else {
            HealthStatus::new(HealthStatusCode::Degraded, n.to_string())
        };
        assert_eq!(r, &Ok(Some(want)));
    }
}

#[test]
fn limits_apply_inside_coroutines() {
    let r = run(
        "local co = coroutine.create(function() while true do end end) local ok, err = coroutine.resume(co) error(err)",
        true,
    );
    assert!(
        matches!(&r, Err(HealthError::Lua(m)) if m.contains("instruction budget") || m.contains("deadline")),
        "{r:?}"
    );
}

#[test]
fn error_messages_have_position_and_no_traceback() {
    let r = run("local x = nil\nreturn x.field", false);
    let Err(HealthError::Lua(m)) = r else {
        panic!("expected an error, got {r:?}");
    };
    assert!(m.starts_with("<string>:2:"), "{m}");
    assert!(!m.contains("traceback"), "{m}");
}

#[test]
fn string_metatable_is_protected() {
    assert!(is_healthy(run(
        &healthy_if("getmetatable('') == false"),
        true
    )));
    assert!(is_healthy(run(&healthy_if("('x'):upper() == 'X'"), true)));
}

#[test]
fn runaway_recursion_and_huge_strings_are_errors() {
    assert!(matches!(
        run(
            "local function f() return 1 + f() end return {status = f()}",
            false
        ),
        Err(HealthError::Lua(_))
    ));
    assert!(matches!(
        run("local s = string.rep('x', 2^30) return {}", true),
        Err(HealthError::Lua(_))
    ));
    assert!(matches!(
        run("local t = setmetatable({}, {__index = function(t, k) return t[k] end}) return {status = t.x}", false),
        Err(HealthError::Lua(_))
    ));
}

/// A script cannot catch its own budget: `pcall` and `xpcall` raise it again, and an `xpcall`
/// handler that loops (Lua runs handlers with hooks off) is never reached.
#[test]
fn budgets_escape_neither_pcall_nor_xpcall() {
    for (src, open) in [
        ("xpcall(function() while true do end end, function() while true do end end)", false),
        ("while true do pcall(function() while true do end end) end", false),
        ("local ok = pcall(function() while true do end end) while not ok do end", false),
        ("xpcall(function() local t = {} while true do t[#t+1] = string.rep('x', 1000) end end, function() while true do end end)", true),
        ("local function f() xpcall(function() while true do end end, f) end f()", false),
    ] {
        let started = Instant::now();
        let r = run(src, open);
        assert!(started.elapsed().as_secs() < 10, "{src}: {:?}", started.elapsed());
        assert!(
            matches!(&r, Err(HealthError::Lua(m)) if m.contains("budget") || m.contains("deadline") || m.contains("memory")),
            "{src}: {r:?}"
        );
    }
    // Ordinary errors are still caught.
    assert!(is_healthy(run(
        "local ok, e = pcall(error, 'x') local ok2, h = xpcall(function() error('y') end, function(m) return 'handled ' .. m end) if not ok and not ok2 and h:find('handled') then return {status='Healthy'} end",
        true
    )));
}
