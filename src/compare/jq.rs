//! jq path expressions of ignore rules, run by the sandboxed [`crate::jq`] engine with Argo
//! CD's `del(<expr>)` semantics.
//!
//! Argo CD compiles each `jqPathExpressions` entry as `del(<expr>)` (plain text
//! concatenation), requires exactly one output and skips the expression on any runtime error
//! (gojq's `halt` included) and after its timeout (default 1 s). Runtime errors, no output
//! and several outputs are therefore skipped here too. A budget of driftlens's engine that
//! runs out (time, steps, memory, nesting; [`Limits::JQ`]) is different: whether gojq would
//! have finished in Argo CD cannot be told, so it is reported as [`JqSkip::Exceeded`] and the
//! comparison of that resource becomes a comparison error (status Unknown) instead of a guess.

use std::ops::ControlFlow;

use serde_json::Value;

use crate::jq::{Jv, Program, RunError};
use crate::limits::{Exceeded, Limits};

/// A compiled `del(<expr>)` program; cheap to clone and shareable across threads.
#[derive(Clone)]
pub struct JqPath {
    source: String,
    program: Program,
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
    /// Runtime error (e.g. iterating over null, `halt`). The message is not kept: it may quote
    /// values of the object, which can be secret.
    Error,
    /// No output ("JQ patch did not return any data").
    NoOutput,
    /// More than one output ("JQ patch returned multiple objects").
    MultipleOutputs,
    /// A budget of the engine ran out: the outcome in Argo CD is unknown.
    Exceeded(Exceeded),
}

impl JqPath {
    /// Compiles `del(<expr>)`; a parse or compile error is returned as text.
    pub fn compile(expr: &str) -> Result<Self, String> {
        let code = format!("del({expr})");
        let program = Program::compile(&code, &[])
            .map_err(|e| format!("cannot compile jq expression {expr:?}: {e}"))?;
        Ok(JqPath {
            source: expr.to_string(),
            program,
        })
    }

    /// The expression as written in the rule.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Runs the program on `input` under `limits`.
    pub fn apply(&self, input: &Value, limits: &Limits) -> Result<Value, JqSkip> {
        let Some(val) = Jv::from_json(input, limits.depth) else {
            return Err(JqSkip::Exceeded(Exceeded::Depth(limits.depth)));
        };
        let mut first: Option<Jv> = None;
        let mut several = false;
        let run = self.program.run(val, Vec::new(), *limits, |out| {
            if first.is_some() {
                several = true;
                ControlFlow::Break(())
            } else {
                first = Some(out);
                ControlFlow::Continue(())
            }
        });
        match run {
            Err(RunError::Exceeded(e)) => return Err(JqSkip::Exceeded(e)),
            Err(RunError::Failed(_) | RunError::Internal(_)) => return Err(JqSkip::Error),
            Ok(()) => {}
        }
        if several {
            return Err(JqSkip::MultipleOutputs);
        }
        first.map(|v| v.to_serde()).ok_or(JqSkip::NoOutput)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const T: &Limits = &Limits {
        time: std::time::Duration::from_secs(5),
        steps: 500_000,
        memory: 16 << 20,
        ..Limits::JQ
    };

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
        assert!(JqPath::compile(&".a".repeat(10_000)).is_err());
        assert!(JqPath::compile("nosuchfunction").is_err());
    }

    #[test]
    fn runaway_programs_exceed_their_budget() {
        for e in [
            ".a) | last(repeat(1)) | (.",
            ".a) | [recurse([.])] | (.",
            ".x) | [range(1e12)] | (.",
            ".a) | \"x\" * 1e12 | (.",
            ".a) | halt_error | (.",
        ] {
            let p = JqPath::compile(e).expect("compiles");
            let r = p.apply(&json!({"a": 1}), T);
            if e.contains("halt") {
                // gojq's halt is an error, which Argo CD skips.
                assert_eq!(r, Err(JqSkip::Error), "{e}");
            } else {
                assert!(matches!(r, Err(JqSkip::Exceeded(_))), "{e}: {r:?}");
            }
        }
        for e in [
            ".metadata.labels.range",
            ".spec.containers[] | select(.name == \"repeat until def\")",
            "..|.x?",
        ] {
            let p = JqPath::compile(e).expect("compiles");
            assert!(
                !matches!(p.apply(&json!({"a": 1}), T), Err(JqSkip::Exceeded(_))),
                "{e}"
            );
        }
    }

    #[test]
    fn slow_programs_time_out() {
        // Bounded but slow (10^7 steps in constant memory).
        let p = JqPath::compile(".a) | [[.[]?] | length] | (.").expect("compiles");
        assert!(p.apply(&json!({"a": 1}), T).is_ok());
        let limits = Limits {
            time: std::time::Duration::from_millis(50),
            steps: u64::MAX,
            ..Limits::JQ
        };
        let p = JqPath::compile(
            ".a) | (reduce ((1,1,1,1,1,1,1,1,1,1) as $x | (1,1,1,1,1,1,1,1,1,1) as $y | (1,1,1,1,1,1,1,1,1,1) as $z | (1,1,1,1,1,1,1,1,1,1) as $w | (1,1,1,1,1,1,1,1,1,1) as $v | (1,1,1,1,1,1,1,1,1,1) as $u | (1,1,1,1,1,1,1,1,1,1)) as $q (0; . + 1)) as $n | (.",
        )
        .expect("compiles");
        assert!(matches!(
            p.apply(&json!({"a": 1}), &limits),
            Err(JqSkip::Exceeded(Exceeded::Time(_) | Exceeded::Steps(_)))
        ));
    }
}
