//! Hostile input: every case must end in a clear error that names the line, quickly, without a
//! panic, a stack overflow or unbounded memory.

use std::time::{Duration, Instant};

use driftlens_yaml::{parse_stream, YamlError};

/// Generous bounds: they catch exponential or quadratic blow-ups (minutes to hours on these
/// inputs), not slow or loaded machines; speed targets live in the benchmarks.
const FAST: Duration = Duration::from_secs(60);

fn parse_err(src: &str) -> YamlError {
    let t = Instant::now();
    let (_, err) = parse_stream(src);
    assert!(t.elapsed() < FAST, "took {:?}", t.elapsed());
    err.expect("hostile input must be rejected")
}
#[test]
fn alias_expansion_bomb() {
    let mut s =
        String::from("apiVersion: v1\nkind: ConfigMap\ndata:\n  a0: &a0 [x,x,x,x,x,x,x,x,x]\n");
    for i in 1..10 {
        let p = i - 1;
        s.push_str(&format!(
            "  a{i}: &a{i} [*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p}]\n"
        ));
    }
    let e = parse_err(&s);
    assert!(e.message.contains("alias"), "{}", e.message);
    // The expansion crosses the budget on one of the alias lines.
    assert!((5..=13).contains(&e.at.line), "{e:?}");
}

#[test]
fn alias_bomb_through_mapping_merges() {
    let mut s = String::from("l0: &l0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8}\n");
    for i in 1..12 {
        let p = i - 1;
        s.push_str(&format!(
            "l{i}: &l{i} {{a: *l{p}, b: *l{p}, c: *l{p}, d: *l{p}, e: *l{p}, f: *l{p}, g: *l{p}, h: *l{p}}}\n"
        ));
    }
    let e = parse_err(&s);
    assert!(e.message.contains("alias"), "{}", e.message);
}

#[test]
fn deep_block_nesting_10000() {
    // One item per line, each indented one step further.
    let mut s = String::new();
    for i in 0..10_000 {
        s.push_str(&" ".repeat(i));
        s.push_str("- \n");
    }
    let e = parse_err(&s);
    assert!(
        e.message.contains("nesting") || e.message.contains("deep"),
        "{}",
        e.message
    );
    assert!(e.at.line > 100 && e.at.line < 300, "{e:?}");

    let mut s = String::new();
    for i in 0..10_000 {
        s.push_str(&" ".repeat(i));
        s.push_str("k:\n");
    }
    let e = parse_err(&s);
    assert!(e.at.line > 100 && e.at.line < 300, "{e:?}");

    let e = parse_err(&"- ".repeat(10_000));
    assert_eq!(e.at.line, 1);
}

#[test]
fn deep_flow_nesting_10000() {
    let e = parse_err(&format!("a: {}", "[".repeat(10_000)));
    assert_eq!(e.at.line, 1, "{e:?}");
    let e = parse_err(&format!(
        "a: {}1{}",
        "{b: ".repeat(10_000),
        "}".repeat(10_000)
    ));
    assert_eq!(e.at.line, 1, "{e:?}");
    // Spread over lines, the error names a later line.
    let e = parse_err(&format!("a:\n{}", "[\n".repeat(10_000)));
    assert!(e.at.line > 100, "{e:?}");
}

#[test]
fn long_single_line_within_the_limit_parses_in_bounded_time() {
    // 16 MiB on one line: a plain scalar, then a quoted one; both are linear to scan.
    let body = "a".repeat(16 << 20);
    let t = Instant::now();
    let (docs, err) = parse_stream(&format!("data: {body}\n"));
    assert!(err.is_none(), "{err:?}");
    assert_eq!(docs.len(), 1);
    let (_, err) = parse_stream(&format!("data: \"{body}"));
    let err = err.expect("unterminated quote");
    assert_eq!(err.at.line, 1);
    assert!(t.elapsed() < FAST, "took {:?}", t.elapsed());
}

#[test]
fn control_characters_and_odd_bytes_give_errors_not_panics() {
    for src in [
        "a: \u{7}bell\n",
        "\u{feff}\u{feff}a: 1\n",
        "a: 'unterminated\n",
        "a: |\n\tb\n",
        "? a\n? b\n",
        "a: !!binary ZZZ\n",
        "a: !<tag:yaml.org,2002:int> x\n",
        "&a [*a]\n",
        "*unknown\n",
        "%YAML 1.1\n%YAML 1.1\n---\na\n",
        "---\n...\n...\n---",
        "a:\n- b\n c: d\n",
        "[a, b]: c\n",
        "{[a]: b}\n",
    ] {
        let t = Instant::now();
        let (_, err) = parse_stream(src);
        assert!(t.elapsed() < FAST);
        if let Some(e) = err {
            assert!(e.at.line >= 1, "{src:?}: {e:?}");
            assert!(!e.message.is_empty());
        }
    }
}

#[test]
fn many_documents_stay_linear() {
    let src = "---\na: 1\n".repeat(30_000);
    let t = Instant::now();
    let (docs, err) = parse_stream(&src);
    assert!(err.is_none());
    assert_eq!(docs.len(), 30_000);
    assert!(t.elapsed() < FAST, "took {:?}", t.elapsed());
}
