use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::*;

fn small() -> Limits {
    Limits {
        depth: 256,
        steps: 2_000_000,
        time: Duration::from_secs(5),
        memory: 32 << 20,
    }
}

fn run_with(code: &str, input: Value, limits: Limits) -> Result<Vec<Value>, RunError> {
    let p = Program::compile(code, &[]).unwrap_or_else(|e| panic!("{code}: {e}"));
    let input = Jv::from_json(&input, 512).expect("input");
    p.outputs(input, vec![], limits, 100)
        .map(|v| v.iter().map(Jv::to_serde).collect())
}

fn run(code: &str, input: Value) -> Result<Vec<Value>, RunError> {
    run_with(code, input, small())
}

fn one(code: &str, input: Value) -> Value {
    let out = run(code, input).unwrap_or_else(|e| panic!("{code}: {e}"));
    assert_eq!(out.len(), 1, "{code}: {out:?}");
    out.into_iter().next().unwrap_or_default()
}

#[test]
fn jq_semantics() {
    let obj = json!({"a": {"b": [1, 2, 3]}, "s": "Hello, World", "n": null});
    let cases: Vec<(&str, Value)> = vec![
        (".a.b[1]", json!(2)),
        (".a.b | map(. * 2)", json!([2, 4, 6])),
        ("del(.a.b[0]) | .a.b", json!([2, 3])),
        (".a.b | add", json!(6)),
        ("[.a.b[] | select(. > 1)]", json!([2, 3])),
        ("reduce .a.b[] as $x (0; . + $x)", json!(6)),
        (".s | test(\"world\"; \"i\")", json!(true)),
        (".s | ascii_downcase", json!("hello, world")),
        (".s | sub(\"o\"; \"0\")", json!("Hell0, World")),
        (".s | gsub(\"o\"; \"0\")", json!("Hell0, W0rld")),
        (".s | [match(\"o\"; \"g\").offset]", json!([4, 8])),
        (".s | capture(\"(?<first>\\\\w+), (?<second>\\\\w+)\")", json!({"first": "Hello", "second": "World"})),
        (".s | split(\", \")", json!(["Hello", "World"])),
        (".s | [splits(\"[, ]+\")]", json!(["Hello", "World"])),
        ("keys", json!(["a", "n", "s"])),
        ("to_entries | length", json!(3)),
        ("has(\"a\")", json!(true)),
        (".a | contains({b: [2]})", json!(true)),
        (".a | tojson", json!("{\"b\":[1,2,3]}")),
        ("\"[1,{\\\"x\\\":2}]\" | fromjson", json!([1, {"x": 2}])),
        (".s | length", json!(12)),
        ("[paths] | length", json!(7)),
        ("[.. | numbers]", json!([1, 2, 3])),
        (".n // \"default\"", json!("default")),
        ("[range(0; 10; 3)]", json!([0, 3, 6, 9])),
        ("[limit(3; repeat(1))]", json!([1, 1, 1])),
        ("walk(if type == \"number\" then . + 1 else . end) | .a.b", json!([2, 3, 4])),
        ("def f(x): x * 2; f(.a.b[2])", json!(6)),
        ("0 | [recurse(if . < 3 then . + 1 else empty end)]", json!([0, 1, 2, 3])),
        ("[.a.b[] | tostring] | join(\"-\")", json!("1-2-3")),
        ("\"x\" * 3", json!("xxx")),
        ("{a: 1} * {a: {b: 2}}", json!({"a": {"b": 2}})),
        (".a.b | indices(2)", json!([1])),
        (".s | indices(\"o\")", json!([4, 8])),
        ("[.a.b[] as $x | $x] | sort | reverse", json!([3, 2, 1])),
        ("getpath([\"a\", \"b\", 0])", json!(1)),
        ("setpath([\"x\", 1]; 5) | .x", json!([null, 5])),
        ("[to_entries[] | .key]", json!(["a", "n", "s"])),
        ("with_entries(select(.key == \"n\"))", json!({"n": null})),
        ("1 / 3 * 3 | floor", json!(1)),
        ("[1, 2] - [2]", json!([1])),
        ("\"a-b\" | ltrimstr(\"a\")", json!("-b")),
        ("@base64 \"\\(.s)\"", json!("SGVsbG8sIFdvcmxk")),
        ("\"SGVsbG8=\" | @base64d", json!("Hello")),
        ("[.a.b[] | . as $x | try error(\"e\\($x)\") catch .]", json!(["e1", "e2", "e3"])),
        ("[label $out | foreach .a.b[] as $x (0; . + $x; if . > 2 then ., break $out else empty end)]", json!([3])),
        ("[.a.b | .[1:]]", json!([[2, 3]])),
        (".a.b | .[1:] = [9]", json!([1, 9])),
        ("isnan", json!(false)),
        ("nan | isnan", json!(true)),
        ("now | type", json!("number")),
        ("0 | todate", json!("1970-01-01T00:00:00Z")),
    ];
    for (code, want) in cases {
        assert_eq!(one(code, obj.clone()), want, "{code}");
    }
}

#[test]
fn no_process_control() {
    // `halt` and friends are errors of the expression, never an exit.
    for code in [
        "halt",
        "halt(3)",
        "halt_error",
        "halt_error(1)",
        "\"bye\" | halt_error",
        "{} | halt_error(0)",
        ".a | halt",
        "[halt]",
        "try halt catch 1 | halt",
    ] {
        match run(code, json!({"a": 1})) {
            Err(RunError::Failed(m)) => assert!(m.contains("halt"), "{code}: {m}"),
            other => panic!("{code}: {other:?}"),
        }
    }
    // A `try` sees the error like any other.
    assert_eq!(
        one("try halt catch \"caught\"", json!(null)),
        json!("caught")
    );
    assert_eq!(
        one("try halt_error(1) catch \"caught\"", json!(null)),
        json!("caught")
    );
}

#[test]
fn no_environment_input_or_files() {
    std::env::set_var("DRIFTLENS_JQ_CANARY", "c4n4ry-s3cret");
    assert_eq!(one("env", json!(null)), json!({}));
    assert_eq!(one("$ENV", json!(null)), json!({}));
    assert_eq!(one("env.HOME", json!(null)), json!(null));
    assert_eq!(one("$ENV.PATH", json!(null)), json!(null));
    assert_eq!(one("[inputs]", json!(null)), json!([]));
    assert!(matches!(
        run("input", json!(null)),
        Err(RunError::Failed(_))
    ));
    assert_eq!(one("input_filename", json!(null)), json!(null));
    assert_eq!(one("get_search_list", json!(null)), json!([]));
    // Debug output goes nowhere, and the value passes through.
    assert_eq!(one("debug | stderr | debug(\"m\")", json!(1)), json!(1));
    for code in [
        "include \"/etc/passwd\"; .",
        "import \"/etc/passwd\" as p; .",
        "import \"/etc/hosts\" as $h; $h",
        "$__loc__",
        "$__prog_args",
    ] {
        assert!(Program::compile(code, &[]).is_err(), "{code}");
    }
    // The local time zone is not read: localtime is UTC.
    assert_eq!(
        one("0 | localtime | mktime", json!(null)),
        one("0 | gmtime | mktime", json!(null))
    );
}

/// Runs `code` with small budgets (runaways hit them quickly, even in a debug build).
fn exceeded(code: &str, input: Value) -> Exceeded {
    let started = Instant::now();
    let r = run_with(
        code,
        input,
        Limits {
            steps: 200_000,
            memory: 8 << 20,
            ..small()
        },
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{code} took {:?}",
        started.elapsed()
    );
    match r {
        Err(RunError::Exceeded(e)) => e,
        other => panic!("{code}: {other:?}"),
    }
}

#[test]
fn deep_values_are_refused() {
    for code in [
        "reduce range(100000) as $i (.; [.])",
        "reduce range(100000) as $i (.; {a: .})",
        "[limit(100000; recurse([.]))] | length",
        "last(recurse([.]))",
        "reduce range(100000) as $i (.; .a = .)",
        "reduce range(1000) as $i ([]; [.]) | walk(.)",
        "reduce range(1000) as $i ([]; [.]) | tojson",
        "setpath([range(100000) | \"a\"]; 1)",
        "[range(100000) | \"a\"] as $p | {} | getpath($p) = 1",
    ] {
        let e = exceeded(code, json!(null));
        assert!(
            matches!(
                e,
                Exceeded::Depth(_) | Exceeded::Steps(_) | Exceeded::Memory(_)
            ),
            "{code}: {e:?}"
        );
    }
    // fromjson refuses deep text with an error of its own (serde_json's nesting limit).
    for code in [
        "(\"[\" * 100000) | fromjson",
        "(\"[\" * 100000) + (\"]\" * 100000) | fromjson",
    ] {
        assert!(
            matches!(
                run(code, json!(null)),
                Err(RunError::Failed(_)) | Err(RunError::Exceeded(_))
            ),
            "{code}"
        );
    }
}

#[test]
fn runaway_recursion_is_stopped() {
    for code in [
        "def f: f; f",
        "def f: 1 + f; f",
        "def f: [f]; f",
        "def f: f | f; f",
        "def f(g): f(g | g); f(.)",
        "def f: (., f); [f]",
        "def f: def g: f; g; f",
        "def f: reduce (1,1) as $x (.; f); f",
        "def g: 1; def f: g | [\"\\(f)\"]; f",
        "def f($x): f($x + 1); f(0)",
    ] {
        let e = Program::compile(code, &[]).expect_err(code);
        assert!(matches!(e, CompileError::Recursive(_)), "{code}: {e}");
    }
    // Not recursion: a definition that only shares a name with a filter argument's caller.
    assert!(Program::compile("def f: 1; def g: f; g", &[]).is_ok());
    for code in [
        "[recurse(. + 1)]",
        "last(range(1e12))",
        "[repeat(1)]",
        "last(repeat(.))",
        "first(repeat(empty))",
        "until(false; .)",
        "[while(true; .)]",
        "reduce range(1e12) as $x (0; .)",
        "last(limit(1e12; repeat(1)))",
        "[range(1e9)] | length",
        "[recurse([.])] | length",
    ] {
        let e = exceeded(code, json!(0));
        assert!(
            matches!(
                e,
                Exceeded::Depth(_) | Exceeded::Steps(_) | Exceeded::Memory(_) | Exceeded::Time(_)
            ),
            "{code}: {e:?}"
        );
    }
}

#[test]
fn huge_allocations_are_refused_before_they_happen() {
    for code in [
        "\"x\" * 1e12",
        "\"x\" * 1e300",
        "\"xxxxxxxx\" * 100000000",
        "[] | .[1e15] = 1",
        "[] | .[1000000000] = 1",
        "null | setpath([1e18]; 1)",
        "reduce range(40) as $i (\"xx\"; . + .)",
        "reduce range(40) as $i ([1]; . + .)",
        "reduce range(40) as $i ({a: 1}; {a: ., b: .}) | tojson",
        "[range(1e8)] | tostring",
    ] {
        let e = exceeded(code, json!(null));
        assert!(
            matches!(e, Exceeded::Memory(_) | Exceeded::Steps(_)),
            "{code}: {e:?}"
        );
    }
}

#[test]
fn budgets_cannot_be_caught() {
    for code in [
        "try (\"x\" * 1e12) catch \"caught\"",
        "try (reduce range(100000) as $i (.; [.])) catch \"caught\"",
        "[repeat(try (\"x\" * 1e12) catch 1)]",
        "(\"x\" * 1e12)?",
        "label $l | (\"x\" * 1e12) // break $l",
    ] {
        assert!(
            matches!(run(code, json!(null)), Err(RunError::Exceeded(_))),
            "{code}"
        );
    }
}

#[test]
fn time_budget() {
    let limits = Limits {
        time: Duration::from_millis(100),
        steps: u64::MAX,
        ..small()
    };
    let started = Instant::now();
    let r = run_with("last(range(1e15))", json!(null), limits);
    assert_eq!(r, Err(RunError::Exceeded(Exceeded::Time(limits.time))));
    assert!(started.elapsed() < Duration::from_secs(2));
    // Sorting a large array looks at the clock too.
    let r = run_with(
        "[range(3000000) | -.] | sort | length",
        json!(null),
        Limits {
            memory: 1 << 30,
            ..limits
        },
    );
    assert!(matches!(r, Err(RunError::Exceeded(_))), "{r:?}");
}

/// Work that copies no value (closure arguments passed down and evaluated twice per level)
/// still meets the budget: every copy of the evaluation context counts.
#[test]
fn work_without_values_is_counted() {
    let nested = format!("{}.{}", "f(".repeat(40), ")".repeat(40));
    let code = format!("def f(x): x | x; {nested}");
    let started = Instant::now();
    let r = run_with(
        &code,
        json!(null),
        Limits {
            steps: u64::MAX,
            time: Duration::from_millis(200),
            ..small()
        },
    );
    assert!(
        matches!(r, Err(RunError::Exceeded(Exceeded::Time(_)))),
        "{r:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    let r = run(&code, json!(null));
    assert!(
        matches!(r, Err(RunError::Exceeded(Exceeded::Steps(_)))),
        "{r:?}"
    );
    // Small programs of the same shape still run.
    assert_eq!(one("def f(x): x | x; f(f(. + 1))", json!(1)), json!(5));
}

#[test]
fn regexes_are_bounded() {
    let r = run("test(\"(a{1000}){1000}\")", json!("aaa"));
    assert!(matches!(r, Err(RunError::Failed(_))), "{r:?}");
    assert_eq!(
        one(
            "test(\"(a+)+$\")",
            json!("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab")
        ),
        json!(false)
    );
    assert!(matches!(
        run("test(\"a\"; \"q\")", json!("a")),
        Err(RunError::Failed(_))
    ));
    // Groups of a repetition that start before an earlier group.
    assert_eq!(
        one("[match(\"(?:(a)c|(b))+\").captures[].offset]", json!("bac")),
        json!([1, 0])
    );
}

#[test]
fn errors_quote_values_briefly() {
    let long = "s3cr3t".repeat(100);
    let Err(RunError::Failed(m)) = run(".[]", json!(long)) else {
        panic!("iterating a string fails");
    };
    assert!(m.len() < 200, "{m}");
}

#[test]
fn compile_errors_explain() {
    for (code, want) in [
        (".a[", "expected"),
        ("nosuch", "undefined"),
        ("$nosuch", "undefined"),
        (&"(".repeat(100), "nests"),
        (&".a".repeat(10_000), "longer"),
        ("import \"a\" as $a; $a", "not available"),
    ] {
        let e = Program::compile(code, &[]).expect_err(code).to_string();
        assert!(e.contains(want), "{code}: {e}");
    }
}

#[test]
fn globals_are_passed() {
    let p = Program::compile("$x + $y", &["$x", "$y"]).expect("compiles");
    let out = p
        .outputs(Jv::Null, vec![Jv::Int(1), Jv::Int(2)], small(), 10)
        .expect("runs");
    assert_eq!(out, vec![Jv::Int(3)]);
}

#[test]
fn parallel_evaluations_share_values() {
    let p = Program::compile("[.[] | . * 2] | add", &[]).expect("compiles");
    let input = Jv::from_json(&json!((0..1000).collect::<Vec<_>>()), 10).expect("input");
    std::thread::scope(|s| {
        for _ in 0..4 {
            let (p, input) = (p.clone(), input.clone());
            s.spawn(move || {
                let out = p.outputs(input, vec![], small(), 1).expect("runs");
                assert_eq!(out, vec![Jv::Int(999_000)]);
            });
        }
    });
}
