//! Lua health scripts: where they come from, which one applies, and a sandboxed runner.
//!
//! Sources ([`HealthOverrides`]):
//! - argocd-cm `data` ([`HealthOverrides::from_argocd_cm`]): the split keys
//!   `resource.customizations.health.<group>_<kind>` and
//!   `resource.customizations.useOpenLibs.<group>_<kind>`, and the combined
//!   `resource.customizations` YAML map (`<group>/<kind>: {health.lua: …,
//!   health.lua.useOpenLibs: …}`). Keys may be globs (`*.crossplane.io/*`, `all` = `*/*`).
//! - a directory laid out like Argo CD's `resource_customizations/<group>/<Kind>/health.lua`
//!   ([`HealthOverrides::add_directory`]); a directory name containing `_` is a wildcard.
//!
//! Selection ([`HealthOverrides::script_for`]) follows Argo CD: the exact argocd-cm key
//! (`group/Kind`, core kinds just `Kind`), then the first argocd-cm glob key that matches
//! (Argo CD walks a Go map, so overlapping globs are unordered there; here the keys are tried in
//! sorted order, which is deterministic), then the exact directory script, then the wildcard
//! directories in sorted order. Directory scripts run with open libraries like Argo CD's
//! built-in scripts.
//!
//! Runner ([`LuaEngine`]): Lua 5.1 (vendored), `obj` and `actionParams` as globals, JSON null
//! as nil. Without `useOpenLibs` a script sees the base functions, `table` and `require("os")`
//! (only `os.time`/`os.date`): no `string`, `math`, `io`. With `useOpenLibs` it also gets
//! `string`, `math`, `coroutine` and a global `os` limited to `time`, `date`, `clock`,
//! `difftime`. Unlike Argo CD (whose open mode also exposes `io`, the full `os` and `debug`),
//! driftlens never gives scripts file, process or environment access, and `print` is silent.
//! Each run has a 1 s wall-clock limit (Argo CD's timeout), an instruction budget and a memory
//! limit. The return value follows Argo CD: nil or an empty/array table → empty health; a table
//! is read like Go's JSON decoding into `{status, message}`; a status outside the six codes →
//! Unknown "Lua returned an invalid health status"; any other type → error.

use super::{HealthError, HealthStatus, HealthStatusCode};
use globset::{Glob, GlobMatcher};
use mlua::{Function, HookTriggers, Lua, LuaOptions, LuaSerdeExt, StdLib, Table, VmState};
use serde_json::Value;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use crate::model::settings::ArgoSettings;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Wall-clock limit of one script run (Argo CD uses a 1 s context timeout).
pub const TIME_LIMIT: Duration = Duration::from_secs(1);
/// Instruction budget of one script run.
pub const INSTRUCTION_BUDGET: u64 = 50_000_000;
/// Memory limit of one Lua state (the converted object counts against it).
pub const MEMORY_LIMIT: usize = 128 * 1024 * 1024;
const HOOK_EVERY: u32 = 1000;

/// Where a script was configured, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptOrigin {
    /// An argocd-cm override; the value is the override key (`group/Kind` or a glob).
    ConfigMap(String),
    /// A `health.lua` file in a customizations directory; the value is its path.
    Directory(String),
}

/// A health script and how to run it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LuaScript {
    /// The Lua source.
    pub source: Arc<str>,
    /// Whether the script runs with the open libraries (`string`, `math`, …).
    pub use_open_libs: bool,
    /// Where it came from.
    pub origin: ScriptOrigin,
}

#[derive(Debug, Clone, Default)]
struct CmOverride {
    health_lua: String,
    use_open_libs: bool,
}

/// The Lua health scripts configured for a run (argocd-cm overrides and customization
/// directories). Cheap to share across threads.
#[derive(Debug, Clone, Default)]
pub struct HealthOverrides {
    cm: BTreeMap<String, CmOverride>,
    /// Prepared scripts of `cm` entries with a non-empty script, by key.
    cm_scripts: BTreeMap<String, Arc<LuaScript>>,
    /// Every such key as a glob, in key order.
    cm_globs: Vec<(String, Option<GlobMatcher>)>,
    dir_exact: BTreeMap<String, Arc<LuaScript>>,
    dir_wild: Vec<(String, Arc<LuaScript>)>,
}

const CUSTOMIZATIONS_KEY: &str = "resource.customizations";

impl HealthOverrides {
    /// No scripts: only built-in Go checks apply.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the health customizations of argocd-cm `data` (combined `resource.customizations`
    /// and split `resource.customizations.health.<group>_<kind>` / `useOpenLibs` keys). Errors
    /// are the ones that make Argo CD reject its resource overrides (a bad split key, a
    /// non-boolean `useOpenLibs`, an unparsable `resource.customizations`).
    pub fn from_argocd_cm(data: &BTreeMap<String, String>) -> Result<Self, HealthError> {
        let settings = ArgoSettings::from_config_map_data(data);
        if let Some(p) = settings
            .problems
            .iter()
            .find(|p| p.key.starts_with(CUSTOMIZATIONS_KEY))
        {
            return Err(HealthError::Settings(p.message.clone()));
        }
        Ok(Self::from_settings(&settings))
    }

    /// The health scripts of already parsed Argo CD settings.
    pub fn from_settings(settings: &ArgoSettings) -> Self {
        let mut out = HealthOverrides::default();
        for (key, o) in &settings.overrides {
            if let Some(lua) = &o.health_lua {
                out.cm.insert(
                    key.clone(),
                    CmOverride {
                        health_lua: lua.clone(),
                        use_open_libs: o.use_open_libs,
                    },
                );
            }
        }
        out.rebuild_cm_index();
        out
    }

    /// Adds (or replaces) one argocd-cm style override; `key` is `group/Kind`, `Kind` for the
    /// core group, or a glob.
    pub fn insert_cm_script(&mut self, key: &str, source: &str, use_open_libs: bool) {
        self.cm.insert(
            key.to_string(),
            CmOverride {
                health_lua: source.to_string(),
                use_open_libs,
            },
        );
        self.rebuild_cm_index();
    }

    /// Builds overrides from a customizations directory only.
    pub fn from_dir(dir: &Path) -> Result<Self, HealthError> {
        let mut out = HealthOverrides::default();
        out.add_directory(dir)?;
        Ok(out)
    }

    /// Adds every `health.lua` under `dir` laid out as `<group>/<Kind>/health.lua` (or
    /// `<Kind>/health.lua` for the core group). Directory names containing `_` are wildcards.
    pub fn add_directory(&mut self, dir: &Path) -> Result<(), HealthError> {
        let io = |p: &Path, e: std::io::Error| {
            HealthError::Settings(format!("cannot read {}: {e}", p.display()))
        };
        let mut found: Vec<(String, std::path::PathBuf)> = Vec::new();
        let mut groups: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| io(dir, e))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        groups.sort();
        for g in groups {
            let gname = file_name(&g);
            let script = g.join("health.lua");
            if script.is_file() {
                found.push((gname.clone(), script));
            }
            let mut kinds: Vec<_> = std::fs::read_dir(&g)
                .map_err(|e| io(&g, e))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect();
            kinds.sort();
            for k in kinds {
                let script = k.join("health.lua");
                if script.is_file() {
                    found.push((format!("{gname}/{}", file_name(&k)), script));
                }
            }
        }
        for (key, path) in found {
            let source = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
            let script = Arc::new(LuaScript {
                source: source.into(),
                use_open_libs: true,
                origin: ScriptOrigin::Directory(path.display().to_string()),
            });
            if key.contains('_') {
                self.dir_wild.retain(|(k, _)| *k != key);
                self.dir_wild.push((key, script));
            } else {
                self.dir_exact.insert(key, script);
            }
        }
        self.dir_wild.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(())
    }

    /// Adds one directory-style script under `group/Kind` (`_` as wildcard), as if read from a
    /// customizations directory.
    pub fn insert_dir_script(&mut self, key: &str, source: &str) {
        let script = Arc::new(LuaScript {
            source: source.into(),
            use_open_libs: true,
            origin: ScriptOrigin::Directory(format!("{key}/health.lua")),
        });
        if key.contains('_') {
            self.dir_wild.retain(|(k, _)| k != key);
            self.dir_wild.push((key.to_string(), script));
            self.dir_wild.sort_by(|a, b| a.0.cmp(&b.0));
        } else {
            self.dir_exact.insert(key.to_string(), script);
        }
    }

    /// True when no script is configured.
    pub fn is_empty(&self) -> bool {
        self.cm.values().all(|o| o.health_lua.is_empty())
            && self.dir_exact.is_empty()
            && self.dir_wild.is_empty()
    }

    /// The script Argo CD would run for `group`/`kind`, if any (see the module doc for the
    /// order).
    pub fn script_for(&self, group: &str, kind: &str) -> Option<Arc<LuaScript>> {
        let key = if group.is_empty() {
            kind.to_string()
        } else {
            format!("{group}/{kind}")
        };
        if let Some(s) = self.cm_scripts.get(&key) {
            return Some(s.clone());
        }
        for (pattern, matcher) in &self.cm_globs {
            if matcher.as_ref().is_some_and(|m| m.is_match(&key)) {
                if let Some(s) = self.cm_scripts.get(pattern) {
                    return Some(s.clone());
                }
            }
        }
        if let Some(s) = self.dir_exact.get(&key) {
            return Some(s.clone());
        }
        self.dir_wild
            .iter()
            .find(|(pattern, _)| underscore_path_match(pattern, &key))
            .map(|(_, s)| s.clone())
    }

    /// The directory script stored under exactly `key` (`group/Kind`, or a wildcard
    /// directory key such as `_.crossplane.io/_`), without any matching.
    pub fn script_for_key(&self, key: &str) -> Option<Arc<LuaScript>> {
        self.dir_exact.get(key).cloned().or_else(|| {
            self.dir_wild
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, s)| s.clone())
        })
    }

    fn rebuild_cm_index(&mut self) {
        self.cm_scripts = self
            .cm
            .iter()
            .filter(|(_, o)| !o.health_lua.is_empty())
            .map(|(k, o)| {
                let script = LuaScript {
                    source: o.health_lua.as_str().into(),
                    use_open_libs: o.use_open_libs,
                    origin: ScriptOrigin::ConfigMap(k.clone()),
                };
                (k.clone(), Arc::new(script))
            })
            .collect();
        self.cm_globs = self
            .cm_scripts
            .keys()
            .map(|k| (k.clone(), argo_glob(k)))
            .collect();
    }
}

/// Argo CD's `util/glob.Match` (gobwas glob without separators: `*` also matches `/`).
/// An invalid pattern matches nothing.
pub(crate) fn argo_glob(pattern: &str) -> Option<GlobMatcher> {
    globset::GlobBuilder::new(pattern)
        .literal_separator(false)
        .backslash_escape(true)
        .build()
        .ok()
        .map(|g: Glob| g.compile_matcher())
}

/// doublestar path matching of a directory key whose `_` act as `*` (a `*` never crosses `/`).
fn underscore_path_match(pattern: &str, key: &str) -> bool {
    let p: Vec<&str> = pattern.split('/').collect();
    let k: Vec<&str> = key.split('/').collect();
    p.len() == k.len()
        && p.iter()
            .zip(&k)
            .all(|(p, k)| segment_match(p.as_bytes(), k.as_bytes()))
}

fn segment_match(p: &[u8], s: &[u8]) -> bool {
    // Iterative wildcard match with backtracking over the last `_`.
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && p[pi] == b'_' {
            star = Some((pi, si));
            pi += 1;
        } else if pi < p.len() && p[pi] == s[si] {
            pi += 1;
            si += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == b'_')
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Runner

struct Budget {
    deadline: Instant,
    remaining: u64,
}

struct Sandbox {
    lua: Lua,
    /// Globals every run starts from (copied into a fresh environment per run).
    template: Table,
    /// Library tables copied per run so that scripts cannot leak state between runs.
    libs: Vec<(String, Table)>,
    /// Whether this state runs scripts with open libraries.
    open: bool,
    compiled: HashMap<Arc<str>, Function>,
}

/// A reusable Lua runner. `Lua` is not `Send`: keep one engine per thread (for example
/// with rayon's `map_init`, or through [`super::resource_health`], which uses a
/// thread-local engine).
#[derive(Default)]
pub struct LuaEngine {
    restricted: Option<Sandbox>,
    open: Option<Sandbox>,
}

impl std::fmt::Debug for LuaEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LuaEngine")
            .field("restricted", &self.restricted.is_some())
            .field("open", &self.open.is_some())
            .finish()
    }
}

thread_local! {
    static ENGINE: RefCell<LuaEngine> = RefCell::new(LuaEngine::default());
}

/// Runs `f` with this thread's engine (a fresh one if the thread's engine is busy).
pub(crate) fn with_thread_engine<R>(f: impl FnOnce(&mut LuaEngine) -> R) -> R {
    ENGINE.with(|cell| match cell.try_borrow_mut() {
        Ok(mut engine) => f(&mut engine),
        Err(_) => f(&mut LuaEngine::default()),
    })
}

/// Whether an error means the run's budget is spent (time, instructions, memory): such an
/// error is raised again by `pcall`/`xpcall` instead of being handed to the script.
fn budget_spent(lua: &Lua, e: &mlua::Error) -> bool {
    if matches!(e, mlua::Error::MemoryError(_)) {
        return true;
    }
    lua.app_data_ref::<Budget>()
        .is_some_and(|b| b.remaining == 0 || Instant::now() > b.deadline)
}

fn lua_err(e: mlua::Error) -> HealthError {
    HealthError::Lua(lua_message(&e))
}

/// The innermost message of a Lua error, without Rust-side decoration or traceback.
fn lua_message(e: &mlua::Error) -> String {
    match e {
        mlua::Error::CallbackError { cause, .. } => lua_message(cause),
        // Argo CD drops the stack trace of run-time errors.
        mlua::Error::RuntimeError(m) => m
            .split_once("\nstack traceback:")
            .map_or(m.as_str(), |(head, _)| head)
            .to_string(),
        mlua::Error::SyntaxError { message, .. } => message.clone(),
        mlua::Error::MemoryError(_) => "not enough memory".to_string(),
        mlua::Error::ExternalError(e) => e.to_string(),
        mlua::Error::WithContext { cause, .. } => lua_message(cause),
        other => other.to_string(),
    }
}

impl Sandbox {
    fn new(open: bool) -> mlua::Result<Sandbox> {
        let mut libs = StdLib::TABLE | StdLib::OS;
        if open {
            libs |= StdLib::STRING | StdLib::MATH;
        }
        let lua = Lua::new_with(libs, LuaOptions::default())?;
        lua.set_memory_limit(MEMORY_LIMIT)?;
        // The count hook bounds pure-Lua loops; the call hook also checks the deadline before
        // every function call, so loops around slow library calls stop in time too. A global
        // hook also runs in coroutines the script creates (a per-thread hook would not).
        lua.set_global_hook(
            HookTriggers::new()
                .every_nth_instruction(HOOK_EVERY)
                .on_calls(),
            |lua, debug| {
                if let Some(mut b) = lua.app_data_mut::<Budget>() {
                    if Instant::now() > b.deadline {
                        return Err(mlua::Error::runtime("context deadline exceeded"));
                    }
                    if debug.event() == mlua::debug::DebugEvent::Count {
                        b.remaining = b.remaining.saturating_sub(u64::from(HOOK_EVERY));
                    }
                    if b.remaining == 0 {
                        return Err(mlua::Error::runtime(
                            "Lua script exceeded its instruction budget",
                        ));
                    }
                }
                Ok(VmState::Continue)
            },
        )?;
        let g = lua.globals();
        let template = lua.create_table()?;
        const BASE: [&str; 20] = [
            "assert",
            "error",
            "ipairs",
            "next",
            "pairs",
            "pcall",
            "rawequal",
            "rawget",
            "rawset",
            "select",
            "setmetatable",
            "getmetatable",
            "tonumber",
            "tostring",
            "type",
            "unpack",
            "xpcall",
            "_VERSION",
            "gcinfo",
            "collectgarbage",
        ];
        for name in BASE {
            if name == "gcinfo" || name == "collectgarbage" {
                continue;
            }
            let v: mlua::Value = g.raw_get(name)?;
            template.raw_set(name, v)?;
        }
        // pcall and xpcall must not swallow a budget that ran out: the hook raises it as a Lua
        // error, and Lua runs an xpcall handler with hooks off, so a handler that loops would
        // never stop. These run the call protected from Rust and raise again once the budget
        // is spent (the handler, if any, runs after the hook, with hooks on).
        template.raw_set(
            "pcall",
            lua.create_function(|lua, (f, args): (mlua::Function, mlua::MultiValue)| {
                match f.call::<mlua::MultiValue>(args) {
                    Ok(values) => {
                        let mut out = mlua::MultiValue::new();
                        out.push_back(mlua::Value::Boolean(true));
                        out.extend(values);
                        Ok(out)
                    }
                    Err(e) => {
                        if budget_spent(lua, &e) {
                            return Err(e);
                        }
                        let msg = lua.create_string(lua_message(&e))?;
                        Ok(mlua::MultiValue::from_iter([
                            mlua::Value::Boolean(false),
                            mlua::Value::String(msg),
                        ]))
                    }
                }
            })?,
        )?;
        template.raw_set(
            "xpcall",
            lua.create_function(|lua, (f, handler): (mlua::Function, mlua::Function)| {
                match f.call::<mlua::MultiValue>(()) {
                    Ok(values) => {
                        let mut out = mlua::MultiValue::new();
                        out.push_back(mlua::Value::Boolean(true));
                        out.extend(values);
                        Ok(out)
                    }
                    Err(e) => {
                        if budget_spent(lua, &e) {
                            return Err(e);
                        }
                        let handled = handler.call::<mlua::Value>(lua_message(&e))?;
                        Ok(mlua::MultiValue::from_iter([
                            mlua::Value::Boolean(false),
                            handled,
                        ]))
                    }
                }
            })?,
        )?;
        template.raw_set(
            "print",
            lua.create_function(|_, _: mlua::MultiValue| Ok(()))?,
        )?;

        // The safe os: time and date (plus clock and difftime in open mode).
        let real_os: Table = g.raw_get("os")?;
        let safe_os = lua.create_table()?;
        let os_funcs: &[&str] = if open {
            &["time", "date", "clock", "difftime"]
        } else {
            &["time", "date"]
        };
        for name in os_funcs {
            let f: mlua::Value = real_os.raw_get(*name)?;
            safe_os.raw_set(*name, f)?;
        }
        let table_lib: Table = g.raw_get("table")?;
        let mut lib_tables = vec![("table".to_string(), table_lib.clone())];
        if open {
            lib_tables.push(("os".to_string(), safe_os.clone()));
            for name in ["string", "math", "coroutine"] {
                let t: Table = g.raw_get(name)?;
                if name == "string" {
                    t.raw_set("dump", mlua::Value::Nil)?;
                    // Lua's pattern functions run in C where no hook can stop them.
                    super::lua_strings::install(&lua, &t, |lua| {
                        lua.app_data_ref::<Budget>().map(|b| b.deadline)
                    })?;
                }
                lib_tables.push((name.to_string(), t));
            }
        } else {
            // Argo CD registers the safe os functions into the `table` module as well.
            for name in ["time", "date"] {
                let f: mlua::Value = safe_os.raw_get(name)?;
                table_lib.raw_set(name, f)?;
            }
        }
        if open {
            // Scripts must not reach the shared string library through the string metatable.
            lua.load("local mt = getmetatable('') if mt then mt.__metatable = false end")
                .exec()?;
        }
        // Remove everything else from the real globals so that no function can reach it.
        for name in [
            "io",
            "debug",
            "package",
            "dofile",
            "loadfile",
            "load",
            "loadstring",
            "require",
            "module",
            "getfenv",
            "setfenv",
            "newproxy",
        ] {
            g.raw_set(name, mlua::Value::Nil)?;
        }
        g.raw_set("os", safe_os.clone())?;

        if !open {
            // Reachable only through `require("os")`.
            lib_tables.push(("os".to_string(), safe_os));
        }
        Ok(Sandbox {
            lua,
            template,
            libs: lib_tables,
            open,
            compiled: HashMap::new(),
        })
    }

    fn environment(&self) -> mlua::Result<Table> {
        let env = self.lua.create_table()?;
        for pair in self.template.pairs::<mlua::Value, mlua::Value>() {
            let (k, v) = pair?;
            env.raw_set(k, v)?;
        }
        // `require` only knows the modules of this mode, and returns this run's copies.
        let modules = self.lua.create_table()?;
        for (name, lib) in &self.libs {
            let copy = self.lua.create_table()?;
            for pair in lib.pairs::<mlua::Value, mlua::Value>() {
                let (k, v) = pair?;
                copy.raw_set(k, v)?;
            }
            if self.open || name != "os" {
                env.raw_set(name.as_str(), copy.clone())?;
            }
            modules.raw_set(name.as_str(), copy)?;
        }
        let require = self.lua.create_function(move |_, name: String| {
            match modules.raw_get::<Option<Table>>(name.as_str())? {
                Some(t) => Ok(t),
                None => Err(mlua::Error::runtime(format!("module {name} not found"))),
            }
        })?;
        env.raw_set("require", require)?;
        env.raw_set("_G", env.clone())?;
        Ok(env)
    }

    fn function(&mut self, source: &Arc<str>) -> mlua::Result<Function> {
        if let Some(f) = self.compiled.get(source) {
            return Ok(f.clone());
        }
        let compile = |src: &str| self.lua.load(src).set_name("=<string>").into_function();
        let f = match compile(source) {
            Ok(f) => f,
            // gopher-lua accepts `goto continue`; Lua 5.1 needs the idiom rewritten.
            Err(e) => match super::lua_compat::rewrite_goto_continue(source) {
                Some(rewritten) => compile(&rewritten).map_err(|_| e)?,
                None => return Err(e),
            },
        };
        if self.compiled.len() > 1024 {
            self.compiled.clear();
        }
        self.compiled.insert(source.clone(), f.clone());
        Ok(f)
    }

    fn run(&mut self, obj: &Value, source: &Arc<str>) -> Result<mlua::Value, HealthError> {
        let f = self.function(source).map_err(lua_err)?;
        let env = self.environment().map_err(lua_err)?;
        let opts = mlua::serde::SerializeOptions::new()
            .serialize_none_to_null(false)
            .serialize_unit_to_null(false)
            .set_array_metatable(false);
        // Scripts come from the checkout: they see secret values masked, like every output.
        let obj = crate::model::sensitive::masked(obj);
        let lua_obj = self.lua.to_value_with(&*obj, opts).map_err(lua_err)?;
        env.raw_set("obj", lua_obj).map_err(lua_err)?;
        env.raw_set("actionParams", self.lua.create_table().map_err(lua_err)?)
            .map_err(lua_err)?;
        f.set_environment(env).map_err(lua_err)?;
        self.lua.set_app_data(Budget {
            deadline: Instant::now() + TIME_LIMIT,
            remaining: INSTRUCTION_BUDGET,
        });
        let result = f.call::<mlua::MultiValue>(());
        self.lua.remove_app_data::<Budget>();
        let values = result.map_err(lua_err)?;
        // Argo CD reads the top of the stack: the last returned value, or nil.
        Ok(values.into_iter().last().unwrap_or(mlua::Value::Nil))
    }

    fn collect_if_needed(&self) {
        if self.lua.used_memory() > MEMORY_LIMIT / 4 {
            // A failed collection only means memory stays high; the next run's limit still holds.
            let _ = self.lua.gc_collect();
        }
    }
}

impl LuaEngine {
    /// A new engine; Lua states are created on first use.
    pub fn new() -> Self {
        Self::default()
    }

    fn sandbox(&mut self, open: bool) -> Result<&mut Sandbox, HealthError> {
        let slot = if open {
            &mut self.open
        } else {
            &mut self.restricted
        };
        if slot.is_none() {
            *slot = Some(Sandbox::new(open).map_err(lua_err)?);
        }
        slot.as_mut()
            .ok_or_else(|| HealthError::Lua("Lua state unavailable".into()))
    }

    /// Runs a health script against `obj` with Argo CD's return-value rules.
    pub fn run_health(
        &mut self,
        obj: &Value,
        script: &LuaScript,
    ) -> Result<HealthStatus, HealthError> {
        let sandbox = self.sandbox(script.use_open_libs)?;
        let result = sandbox.run(obj, &script.source);
        let health = match result {
            Ok(v) => health_from_lua(&v),
            Err(e) => Err(e),
        };
        sandbox.collect_if_needed();
        if matches!(&health, Err(HealthError::Lua(m)) if m == "not enough memory") {
            // Start from a clean state after a memory blow-up.
            if script.use_open_libs {
                self.open = None;
            } else {
                self.restricted = None;
            }
        }
        health
    }
}

/// Argo CD's handling of the script's return value (`ExecuteHealthLua`).
fn health_from_lua(v: &mlua::Value) -> Result<HealthStatus, HealthError> {
    match v {
        mlua::Value::Nil => Ok(HealthStatus::default()),
        mlua::Value::Table(t) => {
            let json = encode_like_gopher_json(&mlua::Value::Table(t.clone()), 0)
                .map_err(HealthError::Lua)?;
            let Value::Object(map) = json else {
                // An empty or array-like table decodes with a type error → empty health.
                return Ok(HealthStatus::default());
            };
            // Go's encoding/json: keys in sorted order, exact or case-insensitive field
            // match, the last match wins; a value of the wrong type → type error → empty.
            let mut status: Option<&str> = None;
            let mut message: Option<&str> = None;
            for (k, v) in &map {
                let field = if k.eq_ignore_ascii_case("status") {
                    &mut status
                } else if k.eq_ignore_ascii_case("message") {
                    &mut message
                } else {
                    continue;
                };
                match v {
                    Value::String(s) => *field = Some(s),
                    Value::Null => {}
                    _ => return Ok(HealthStatus::default()),
                }
            }
            match HealthStatusCode::parse(status.unwrap_or("")) {
                Some(code) => Ok(HealthStatus::new(code, message.unwrap_or(""))),
                None => Ok(HealthStatus::new(
                    HealthStatusCode::Unknown,
                    "Lua returned an invalid health status",
                )),
            }
        }
        other => Err(HealthError::Lua(format!(
            "expect table output from Lua script, not {}",
            lua_type_name(other)
        ))),
    }
}

fn lua_type_name(v: &mlua::Value) -> &'static str {
    match v {
        mlua::Value::Nil => "nil",
        mlua::Value::Boolean(_) => "boolean",
        mlua::Value::Integer(_) | mlua::Value::Number(_) => "number",
        mlua::Value::String(_) => "string",
        mlua::Value::Table(_) => "table",
        mlua::Value::Function(_) => "function",
        mlua::Value::Thread(_) => "thread",
        _ => "userdata",
    }
}

/// Encodes a Lua value the way gopher-json does: an empty table or a table with keys 1..n is
/// an array, a non-empty table with only string keys is an object, anything else is an error.
fn encode_like_gopher_json(v: &mlua::Value, depth: usize) -> Result<Value, String> {
    if depth > 100 {
        return Err("cannot encode recursively nested tables to JSON".into());
    }
    match v {
        mlua::Value::Nil => Ok(Value::Null),
        mlua::Value::Boolean(b) => Ok(Value::Bool(*b)),
        mlua::Value::Integer(i) => Ok(Value::from(*i)),
        mlua::Value::Number(n) => serde_json::Number::from_f64(*n)
            .map(Value::Number)
            .ok_or_else(|| format!("json: unsupported value: {n}")),
        mlua::Value::String(s) => Ok(Value::String(s.to_string_lossy())),
        mlua::Value::Table(t) => {
            let mut strings = serde_json::Map::new();
            let mut numbers: BTreeMap<i64, Value> = BTreeMap::new();
            let mut n_keys = 0usize;
            for pair in t.pairs::<mlua::Value, mlua::Value>() {
                let (k, val) = pair.map_err(|e| lua_message(&e))?;
                n_keys += 1;
                let enc = encode_like_gopher_json(&val, depth + 1)?;
                match k {
                    mlua::Value::String(s) => {
                        strings.insert(s.to_string_lossy(), enc);
                    }
                    mlua::Value::Integer(i) => {
                        numbers.insert(i, enc);
                    }
                    mlua::Value::Number(f) if f.fract() == 0.0 && f.abs() < 9e15 => {
                        numbers.insert(f as i64, enc);
                    }
                    _ => return Err("cannot encode mixed or invalid key types".into()),
                }
            }
            if n_keys == 0 {
                return Ok(Value::Array(Vec::new()));
            }
            if strings.len() == n_keys {
                return Ok(Value::Object(strings));
            }
            if numbers.len() == n_keys && numbers.keys().copied().eq(1..=(n_keys as i64)) {
                return Ok(Value::Array(numbers.into_values().collect()));
            }
            Err("cannot encode mixed or invalid key types".into())
        }
        other => Err(format!("cannot encode {} to JSON", lua_type_name(other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cm(script: &str, open: bool) -> LuaScript {
        LuaScript {
            source: script.into(),
            use_open_libs: open,
            origin: ScriptOrigin::ConfigMap("test".into()),
        }
    }

    #[test]
    fn wildcard_dir_matching() {
        assert!(underscore_path_match(
            "_.crossplane.io/_",
            "pkg.crossplane.io/Provider"
        ));
        assert!(!underscore_path_match("_.crossplane.io/_", "Pod"));
        assert!(!underscore_path_match(
            "_.crossplane.io/_",
            "a/b.crossplane.io/X"
        ));
        assert!(underscore_path_match(
            "_.upbound.io/_",
            "s3.aws.upbound.io/Bucket"
        ));
    }

    #[test]
    fn argocd_glob_crosses_slashes() {
        let m = argo_glob("*.crossplane.io/*");
        assert!(m.is_some_and(|m| m.is_match("pkg.crossplane.io/Provider")));
        let m = argo_glob("*/*");
        assert!(m.is_some_and(|m| m.is_match("apps/Deployment")));
    }

    #[test]
    fn return_value_rules() {
        let mut e = LuaEngine::new();
        let obj = json!({"status": null});
        let run = |e: &mut LuaEngine, s: &str| e.run_health(&obj, &cm(s, false));
        assert_eq!(run(&mut e, "return nil"), Ok(HealthStatus::default()));
        assert_eq!(run(&mut e, "local x = 1"), Ok(HealthStatus::default()));
        assert_eq!(run(&mut e, "return {}"), Ok(HealthStatus::default()));
        assert_eq!(
            run(&mut e, "return {status='Bogus'}"),
            Ok(HealthStatus::new(
                HealthStatusCode::Unknown,
                "Lua returned an invalid health status"
            ))
        );
        assert_eq!(
            run(&mut e, "return {message='x'}"),
            Ok(HealthStatus::new(
                HealthStatusCode::Unknown,
                "Lua returned an invalid health status"
            ))
        );
        assert_eq!(
            run(&mut e, "return 'Healthy'"),
            Err(HealthError::Lua(
                "expect table output from Lua script, not string".into()
            ))
        );
        assert_eq!(
            run(
                &mut e,
                "hs = {} if obj.status ~= nil then hs.status = 'Healthy' end return hs"
            ),
            Ok(HealthStatus::default())
        );
        assert_eq!(
            run(&mut e, "return {status='Degraded', message='m'}"),
            Ok(HealthStatus::new(HealthStatusCode::Degraded, "m"))
        );
        assert_eq!(
            run(&mut e, "return {Status='Healthy'}"),
            Ok(HealthStatus::status(HealthStatusCode::Healthy))
        );
    }

    #[test]
    fn globals_do_not_leak_between_runs() {
        let mut e = LuaEngine::new();
        let obj = json!({});
        let s1 = cm(
            "leaked = 'Degraded'; table.x = 1; return {status='Healthy'}",
            false,
        );
        let s2 = cm(
            "return {status = leaked or (table.x and 'Suspended') or 'Healthy'}",
            false,
        );
        assert!(e.run_health(&obj, &s1).is_ok());
        assert_eq!(
            e.run_health(&obj, &s2),
            Ok(HealthStatus::status(HealthStatusCode::Healthy))
        );
    }
}
