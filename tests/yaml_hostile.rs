//! Hostile files and dumps as the application reads them (size and encoding checks, dump
//! nesting); the YAML engine's own hostile cases are in crates/driftlens-yaml/tests/hostile.rs.
//! Every case must end in a clear error that names the line, quickly, without a
//! panic, a stack overflow or unbounded memory.

use std::time::{Duration, Instant};

use driftlens::load::dump::parse_dump;
use driftlens::load::source::{read_text, FileError, DEFAULT_MAX_FILE_SIZE};

/// Generous bounds: they catch exponential or quadratic blow-ups (minutes to hours on these
/// inputs), not slow or loaded machines; speed targets live in the benchmarks.
const FAST: Duration = Duration::from_secs(60);

#[test]
fn hundred_megabyte_single_line_is_refused_before_reading() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("huge.yaml");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
        f.write_all(b"data: ").expect("write");
        let chunk = vec![b'a'; 1 << 20];
        for _ in 0..100 {
            f.write_all(&chunk).expect("write");
        }
        f.write_all(b"\n").expect("write");
    }
    let t = Instant::now();
    let err = read_text(&path, DEFAULT_MAX_FILE_SIZE).expect_err("above the limit");
    assert!(t.elapsed() < FAST);
    assert!(matches!(err, FileError::TooLarge { .. }), "{err}");
    assert!(err.to_string().contains("--max-file-size"), "{err}");
}

#[test]
fn invalid_utf8_and_binary_files_name_the_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("latin1.yaml");
    std::fs::write(
        &p,
        b"apiVersion: v1\nkind: ConfigMap\ndata:\n  name: caf\xe9\n",
    )
    .expect("w");
    let e = read_text(&p, DEFAULT_MAX_FILE_SIZE).expect_err("not UTF-8");
    assert_eq!(e, FileError::InvalidUtf8 { line: 4, col: 12 });
    assert!(e.to_string().contains("line 4"), "{e}");

    let p = dir.path().join("image.yaml");
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend(std::iter::repeat_n(0u8, 4096));
    std::fs::write(&p, &png).expect("w");
    let e = read_text(&p, DEFAULT_MAX_FILE_SIZE).expect_err("binary");
    // The header's `\r\n` and `\n` put the first NUL byte on line 3.
    assert_eq!(e, FileError::Binary { line: 3 });
    assert!(e.to_string().contains("binary"), "{e}");
}

#[test]
fn deeply_nested_json_in_a_dump() {
    for deep in [
        format!(
            "{{\"kind\":\"List\",\"items\":[{{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{{\"name\":\"x\"}},\"data\":\n{}1{}}}]}}",
            "[".repeat(10_000),
            "]".repeat(10_000)
        ),
        format!(
            "{{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{{\"name\":\"x\"}},\"data\":{}1{}}}",
            "{\"a\":".repeat(100_000),
            "}".repeat(100_000)
        ),
        "[".repeat(1_000_000),
    ] {
        let t = Instant::now();
        let l = parse_dump("deep.json", deep.into_bytes());
        assert!(t.elapsed() < FAST);
        assert!(l.is_fatal(), "{:?}", l.problems);
        let f = &l.fatal[0];
        assert!(f.line.is_some() && f.col.is_some(), "{f}");
        assert!(f.message.contains("JSON"), "{f}");
    }
}

#[test]
fn deeply_nested_yaml_in_a_dump() {
    let deep = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata: {}\n",
        "[".repeat(10_000)
    );
    let l = parse_dump("deep.yaml", deep.into_bytes());
    assert!(l.is_fatal());
    assert_eq!(l.fatal[0].line, Some(5), "{}", l.fatal[0]);
}
