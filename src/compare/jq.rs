//! jq path expressions of ignore rules, run with jaq using Argo CD's `del(<expr>)` semantics.
//!
//! Argo CD compiles each `jqPathExpressions` entry as `del(<expr>)` (plain text
//! concatenation), requires exactly one output, skips the expression on any runtime error and
//! abandons it after a timeout (default 1 s). jaq has no built-in timeout, so evaluation runs
//! on a helper thread and the result is abandoned when the deadline passes.

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{data, unwrap_valr, Compiler, Ctx, Vars};
use jaq_json::Val;
use serde::Deserialize as _;
use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

/// Worker threads still running (including abandoned ones past their deadline).
static RUNNING: AtomicUsize = AtomicUsize::new(0);

/// Above this many running workers, further expressions are skipped as timed out instead of
/// starting more threads; this bounds the CPU held by abandoned runaway programs.
const MAX_RUNNING: usize = 16;

type JqFilter = jaq_core::Filter<data::JustLut<Val>>;

/// A compiled `del(<expr>)` program; cheap to clone and shareable across threads.
#[derive(Clone)]
pub struct JqPath {
    source: String,
    filter: Arc<JqFilter>,
}

impl std::fmt::Debug for JqPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JqPath")
            .field("source", &self.source)
            .finish()
    }
}

/// Why a jq expression did not produce a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JqSkip {
    /// Runtime error (e.g. iterating over null).
    Error(String),
    /// No output ("JQ patch did not return any data").
    NoOutput,
    /// More than one output ("JQ patch returned multiple objects").
    MultipleOutputs,
    /// The deadline passed.
    Timeout,
}

impl JqPath {
    /// Compiles `del(<expr>)`; a parse or compile error is returned as text.
    pub fn compile(expr: &str) -> Result<Self, String> {
        let code = format!("del({expr})");
        let defs = jaq_core::defs()
            .chain(jaq_std::defs())
            .chain(jaq_json::defs());
        let funs = jaq_core::funs()
            .chain(jaq_std::funs())
            .chain(jaq_json::funs());
        let loader = Loader::new(defs);
        let arena = Arena::default();
        let modules = loader
            .load(
                &arena,
                File {
                    code: code.as_str(),
                    path: (),
                },
            )
            .map_err(|errs| {
                format!(
                    "cannot parse jq expression {expr:?}: {} error(s)",
                    errs.len()
                )
            })?;
        let filter = Compiler::default()
            .with_funs(funs)
            .compile(modules)
            .map_err(|errs| {
                let names: Vec<String> = errs
                    .iter()
                    .flat_map(|(_, es)| es.iter().map(|(name, _)| name.to_string()))
                    .collect();
                format!(
                    "cannot compile jq expression {expr:?}: undefined {}",
                    names.join(", ")
                )
            })?;
        Ok(JqPath {
            source: expr.to_string(),
            filter: Arc::new(filter),
        })
    }

    /// The expression as written in the rule.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Runs the program on `input` with a deadline.
    pub fn apply(&self, input: &Value, timeout: Duration) -> Result<Value, JqSkip> {
        let val = Val::deserialize(input).map_err(|e| JqSkip::Error(e.to_string()))?;
        let filter = Arc::clone(&self.filter);
        let (tx, rx) = mpsc::channel();
        if RUNNING.fetch_add(1, Ordering::SeqCst) >= MAX_RUNNING {
            RUNNING.fetch_sub(1, Ordering::SeqCst);
            return Err(JqSkip::Timeout);
        }
        let spawned = std::thread::Builder::new()
            .name("driftlens-jq".to_string())
            .spawn(move || {
                let _ = tx.send(run(&filter, val));
                RUNNING.fetch_sub(1, Ordering::SeqCst);
            });
        if spawned.is_err() {
            RUNNING.fetch_sub(1, Ordering::SeqCst);
            return Err(JqSkip::Error("cannot start jq worker thread".to_string()));
        }
        match rx.recv_timeout(timeout) {
            Ok(r) => r,
            Err(_) => Err(JqSkip::Timeout),
        }
    }
}

fn run(filter: &JqFilter, input: Val) -> Result<Value, JqSkip> {
    let ctx = Ctx::<data::JustLut<Val>>::new(&filter.lut, Vars::new([]));
    let mut outputs = filter.id.run((ctx, input)).map(unwrap_valr);
    let first = match outputs.next() {
        None => return Err(JqSkip::NoOutput),
        Some(Err(e)) => return Err(JqSkip::Error(e.to_string())),
        Some(Ok(v)) => v,
    };
    if outputs.next().is_some() {
        return Err(JqSkip::MultipleOutputs);
    }
    serde_json::from_str(&first.to_string()).map_err(|e| JqSkip::Error(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const T: Duration = Duration::from_secs(5);

    #[test]
    fn deletes_the_path() {
        let p = JqPath::compile(".spec.replicas").expect("compiles");
        let got = p.apply(&json!({"spec": {"replicas": 3, "x": 1}}), T);
        assert_eq!(got, Ok(json!({"spec": {"x": 1}})));
    }

    #[test]
    fn select_on_list_items() {
        let p = JqPath::compile(
            ".spec.template.spec.initContainers[] | select(.name == \"istio-init\")",
        )
        .expect("compiles");
        let input = json!({"spec": {"template": {"spec": {"initContainers": [
            {"name": "istio-init"}, {"name": "migrate"}, {"name": "istio-init"}]}}}});
        let got = p.apply(&input, T);
        assert_eq!(
            got,
            Ok(json!({"spec": {"template": {"spec": {"initContainers": [{"name": "migrate"}]}}}}))
        );
    }

    #[test]
    fn errors_and_output_counts_skip() {
        let p = JqPath::compile(".spec.x[]").expect("compiles");
        assert!(matches!(
            p.apply(&json!({"spec": {}}), T),
            Err(JqSkip::Error(_))
        ));
        let p = JqPath::compile(".a), (.b").expect("injected program still compiles");
        assert_eq!(
            p.apply(&json!({"a": 1, "b": 2}), T),
            Err(JqSkip::MultipleOutputs)
        );
        let p = JqPath::compile(".a) | empty | (.").expect("compiles");
        assert_eq!(p.apply(&json!({"a": 1}), T), Err(JqSkip::NoOutput));
        assert!(JqPath::compile(".spec[").is_err());
        assert!(JqPath::compile("nosuchfunction").is_err());
    }

    #[test]
    fn runaway_programs_time_out() {
        let p = JqPath::compile(".a) | last(repeat(1)) | (.").expect("compiles");
        assert_eq!(
            p.apply(&json!({"a": 1}), Duration::from_millis(50)),
            Err(JqSkip::Timeout)
        );
    }
}
