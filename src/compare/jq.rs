//! jq path expressions of ignore rules, run with jaq using Argo CD's `del(<expr>)` semantics.
//!
//! Argo CD compiles each `jqPathExpressions` entry as `del(<expr>)` (plain text
//! concatenation), requires exactly one output, skips the expression on any runtime error and
//! abandons it after a timeout (default 1 s). jaq has no built-in timeout, so evaluation runs
//! on a helper thread and the result is abandoned when the deadline passes.
//!
//! jaq can neither be cancelled nor bounded in recursion depth, so a runaway program would keep
//! a core busy (or overflow the stack and abort the process). Expressions that can run
//! unboundedly on finite input — user `def`initions and the generators `repeat`, `while`,
//! `until`, `range`, `recurse(f)`, `limit`-free `infinite`, `input(s)` — are therefore not
//! evaluated; they are reported as skipped ([`JqSkip::Unsupported`]). Real ignore rules are
//! path expressions (`.a.b`, `[]`, `select(...)`) and are unaffected.

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{data, unwrap_valr, Compiler, Ctx, Vars};
use jaq_json::Val;
use serde::Deserialize as _;
use serde_json::Value;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

/// Worker threads abandoned past their deadline and still running.
static ABANDONED: AtomicUsize = AtomicUsize::new(0);

/// With this many abandoned workers still running, further expressions are skipped as timed
/// out instead of starting more threads; this bounds the CPU held by slow programs.
const MAX_ABANDONED: usize = 8;

/// Longest jq expression accepted.
const MAX_EXPR_LEN: usize = 4096;
/// Deepest bracket nesting accepted in a jq expression.
const MAX_EXPR_NESTING: usize = 64;

const RUNNING: u8 = 0;
const DONE: u8 = 1;
const GAVE_UP: u8 = 2;

type JqFilter = jaq_core::Filter<data::JustLut<Val>>;

/// A compiled `del(<expr>)` program; cheap to clone and shareable across threads.
#[derive(Clone)]
pub struct JqPath {
    source: String,
    filter: Arc<JqFilter>,
    unsupported: Option<&'static str>,
}

/// Identifiers that can make a program run without bound on finite input.
const UNBOUNDED: &[&str] = &[
    "def", "repeat", "while", "until", "range", "infinite", "input", "inputs",
];

/// The first construct of `expr` that may not terminate, ignoring string literals.
fn unbounded_construct(expr: &str) -> Option<&'static str> {
    let chars: Vec<char> = expr.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let prev_is_field = start > 0 && matches!(chars[start - 1], '.' | '$');
            if prev_is_field {
                continue;
            }
            if let Some(w) = UNBOUNDED.iter().find(|w| **w == word) {
                return Some(w);
            }
            if word == "recurse" {
                let mut j = i;
                while j < chars.len() && chars[j].is_whitespace() {
                    j += 1;
                }
                if chars.get(j) == Some(&'(') {
                    return Some("recurse");
                }
            }
            continue;
        }
        i += 1;
    }
    None
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
    /// Runtime error (e.g. iterating over null). The message is not kept: it may quote values
    /// of the object, which can be secret.
    Error,
    /// The expression uses a construct that may not terminate (see the module doc).
    Unsupported(&'static str),
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
        // jaq's parser recurses per nesting level; bound the input so a pathological rule
        // cannot overflow the stack.
        if expr.len() > MAX_EXPR_LEN {
            return Err(format!(
                "jq expression longer than {MAX_EXPR_LEN} characters is not supported"
            ));
        }
        let mut depth = 0usize;
        for c in expr.chars() {
            match c {
                '(' | '[' | '{' => {
                    depth += 1;
                    if depth > MAX_EXPR_NESTING {
                        return Err(format!(
                            "jq expression nested deeper than {MAX_EXPR_NESTING} levels is not supported"
                        ));
                    }
                }
                ')' | ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
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
            unsupported: unbounded_construct(expr),
        })
    }

    /// The expression as written in the rule.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Runs the program on `input` with a deadline.
    pub fn apply(&self, input: &Value, timeout: Duration) -> Result<Value, JqSkip> {
        if let Some(what) = self.unsupported {
            return Err(JqSkip::Unsupported(what));
        }
        let val = Val::deserialize(input).map_err(|_| JqSkip::Error)?;
        if ABANDONED.load(Ordering::SeqCst) >= MAX_ABANDONED {
            return Err(JqSkip::Timeout);
        }
        let filter = Arc::clone(&self.filter);
        let (tx, rx) = mpsc::channel();
        let state = Arc::new(AtomicU8::new(RUNNING));
        let worker_state = Arc::clone(&state);
        let spawned = std::thread::Builder::new()
            .name("driftlens-jq".to_string())
            .spawn(move || {
                let _ = tx.send(run(&filter, val));
                if worker_state.swap(DONE, Ordering::SeqCst) == GAVE_UP {
                    ABANDONED.fetch_sub(1, Ordering::SeqCst);
                }
            });
        if spawned.is_err() {
            return Err(JqSkip::Error);
        }
        match rx.recv_timeout(timeout) {
            Ok(r) => r,
            Err(_) => {
                // Count the worker as abandoned unless it finished meanwhile; the increment
                // comes first so the worker's decrement can never precede it.
                ABANDONED.fetch_add(1, Ordering::SeqCst);
                if state
                    .compare_exchange(RUNNING, GAVE_UP, Ordering::SeqCst, Ordering::SeqCst)
                    .is_err()
                {
                    ABANDONED.fetch_sub(1, Ordering::SeqCst);
                }
                Err(JqSkip::Timeout)
            }
        }
    }
}

fn run(filter: &JqFilter, input: Val) -> Result<Value, JqSkip> {
    let ctx = Ctx::<data::JustLut<Val>>::new(&filter.lut, Vars::new([]));
    let mut outputs = filter.id.run((ctx, input)).map(unwrap_valr);
    let first = match outputs.next() {
        None => return Err(JqSkip::NoOutput),
        Some(Err(_)) => return Err(JqSkip::Error),
        Some(Ok(v)) => v,
    };
    if outputs.next().is_some() {
        return Err(JqSkip::MultipleOutputs);
    }
    serde_json::from_str(&first.to_string()).map_err(|_| JqSkip::Error)
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
    fn common_ignore_expressions() {
        let obj = json!({
            "metadata": {"annotations": {"foo.bar/baz": "1", "keep": "2"}},
            "data": {"tls.crt": "x", "ca.crt": "y"},
            "webhooks": [{"name": "a", "clientConfig": {"caBundle": "c", "url": "u"}},
                         {"name": "b", "clientConfig": {"caBundle": "d"}}],
            "spec": {"rules": [{"host": "x", "http": {"paths": [{"backend": 1, "path": "/"}]}},
                               {"host": "y"}]}
        });
        let cases = [
            (
                ".metadata.annotations.\"foo.bar/baz\"",
                "/metadata/annotations",
                json!({"keep": "2"}),
            ),
            (".data[\"tls.crt\"]", "/data", json!({"ca.crt": "y"})),
            (
                ".webhooks[]?.clientConfig.caBundle",
                "/webhooks",
                json!([{"name": "a", "clientConfig": {"url": "u"}}, {"name": "b", "clientConfig": {}}]),
            ),
            (
                ".spec.rules[] | select(.host == \"x\") | .http.paths[0].backend",
                "/spec/rules/0/http/paths/0",
                json!({"path": "/"}),
            ),
        ];
        for (expr, pointer, want) in cases {
            let p = JqPath::compile(expr).expect("compiles");
            let got = p.apply(&obj, T).unwrap_or_else(|e| panic!("{expr}: {e:?}"));
            assert_eq!(got.pointer(pointer), Some(&want), "{expr}");
        }
    }

    #[test]
    fn errors_and_output_counts_skip() {
        let p = JqPath::compile(".spec.x[]").expect("compiles");
        assert!(matches!(
            p.apply(&json!({"spec": {}}), T),
            Err(JqSkip::Error)
        ));
        let p = JqPath::compile(".a), (.b").expect("injected program still compiles");
        assert_eq!(
            p.apply(&json!({"a": 1, "b": 2}), T),
            Err(JqSkip::MultipleOutputs)
        );
        let p = JqPath::compile(".a) | empty | (.").expect("compiles");
        assert_eq!(p.apply(&json!({"a": 1}), T), Err(JqSkip::NoOutput));
        assert!(JqPath::compile(".spec[").is_err());
        assert!(
            JqPath::compile(&format!("{}.a{}", "(".repeat(10_000), ")".repeat(10_000))).is_err()
        );
        assert!(JqPath::compile(&".a".repeat(5000)).is_err());
        assert!(JqPath::compile("nosuchfunction").is_err());
    }

    #[test]
    fn unbounded_constructs_are_not_run() {
        for e in [
            ".a) | last(repeat(1)) | (.",
            "def f: [f]; f",
            ".a | recurse(.)",
            ".x) | [range(1e12)] | (.",
        ] {
            let p = JqPath::compile(e).expect("compiles");
            assert!(
                matches!(p.apply(&json!({"a": 1}), T), Err(JqSkip::Unsupported(_))),
                "{e}"
            );
        }
        for e in [
            ".metadata.labels.range",
            ".spec.containers[] | select(.name == \"repeat until def\")",
            "..|.x?",
        ] {
            let p = JqPath::compile(e).expect("compiles");
            assert!(
                !matches!(p.apply(&json!({"a": 1}), T), Err(JqSkip::Unsupported(_))),
                "{e}"
            );
        }
    }

    #[test]
    fn slow_programs_time_out() {
        // Bounded but slow (10^7 steps in constant memory).
        let p = JqPath::compile(".a) | [[.[]?] | length] | (.").expect("compiles");
        assert!(p.apply(&json!({"a": 1}), T).is_ok());
        let p = JqPath::compile(
            ".a) | (reduce ((1,1,1,1,1,1,1,1,1,1) as $x | (1,1,1,1,1,1,1,1,1,1) as $y | (1,1,1,1,1,1,1,1,1,1) as $z | (1,1,1,1,1,1,1,1,1,1) as $w | (1,1,1,1,1,1,1,1,1,1) as $v | (1,1,1,1,1,1,1,1,1,1) as $u | (1,1,1,1,1,1,1,1,1,1)) as $q (0; . + 1)) as $n | (.",
        )
        .expect("compiles");
        assert_eq!(
            p.apply(&json!({"a": 1}), Duration::from_millis(50)),
            Err(JqSkip::Timeout)
        );
    }
}
