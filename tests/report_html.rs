//! The audit reports: the HTML report is one self-contained, escaped file that a real browser
//! renders with the expected counts (headless Chromium; skipped with a message when it is not
//! installed), and the Markdown report has the same summaries.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;
use common::{p, root, run};

fn demo() -> PathBuf {
    root().join("testdata/demo/repo")
}

/// The Chromium binary: `$DRIFTLENS_CHROMIUM`, else `chromium` or `chromium-browser` on PATH.
fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("DRIFTLENS_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|d| ["chromium", "chromium-browser"].map(|n| d.join(n)))
        .find(|c| c.is_file())
}

/// Runs headless Chromium with `extra` arguments on `url`; returns stdout. Killed after 90 s.
fn headless(bin: &Path, profile: &Path, extra: &[&str], url: &str) -> String {
    let mut child = Process::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    reader.join().expect("reader")
}

/// The text of the element with `id` in an HTML document (`<b id="count-error">1</b>` → "1").
fn text_of(html: &str, id: &str) -> Option<String> {
    let start = html.find(&format!("id=\"{id}\""))?;
    let rest = &html[start..];
    let open = rest.find('>')? + 1;
    let close = rest[open..].find('<')?;
    Some(rest[open..open + close].trim().to_string())
}

fn demo_html(dir: &Path) -> (PathBuf, Value) {
    let html = dir.join("report.html");
    let dump = root().join("testdata/demo/cluster/dump.json");
    let (code, _, err) = run(&[
        "scan",
        p(&demo()),
        "--cluster",
        p(&dump),
        "--format",
        "html",
        "--output",
        p(&html),
    ]);
    assert_eq!(code, 1, "{err}");
    let (_, json, _) = run(&[
        "scan",
        p(&demo()),
        "--cluster",
        p(&dump),
        "--format",
        "json",
    ]);
    (html, serde_json::from_str(&json).expect("JSON"))
}

#[test]
fn html_report_is_self_contained_and_counts_match_the_json_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (html, json) = demo_html(dir.path());
    let text = std::fs::read_to_string(&html).expect("written");
    assert!(text.starts_with("<!DOCTYPE html>"));
    for banned in [
        "<script", "<link", "src=", "url(", "@import", "http://", "https://",
    ] {
        assert!(
            !text.contains(banned),
            "external or active content `{banned}`"
        );
    }
    let s = &json["summary"];
    let n = |k: &str| s[k].as_u64().unwrap_or(u64::MAX).to_string();
    assert_eq!(text_of(&text, "count-error"), Some(n("error")));
    assert_eq!(text_of(&text, "count-warning"), Some(n("warning")));
    assert_eq!(text_of(&text, "count-total"), Some(n("findings")));
    assert_eq!(
        text.matches("<section class=\"finding").count() as u64,
        s["findings"].as_u64().unwrap_or(0)
    );
    assert!(
        text.contains("data-app=\"shop\""),
        "per-Application summary"
    );
    assert!(
        text.contains("data-rule=\"hpa-replicas-not-ignored\""),
        "per-rule summary"
    );
    assert!(text.contains("Suggested <code>ignoreDifferences</code>"));
    // Every related place of every finding is listed.
    let related: usize = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["related"].as_array().map_or(0, Vec::len))
        .sum();
    assert!(related > 0, "the demo has findings with related places");
    assert_eq!(text.matches("<p class=\"meta related\">").count(), related);
    // (The template escapes `/` in paths as `&#x2f;`.)
    assert!(text.contains(
        "See also <code>apps&#x2f;shop&#x2f;frontend-hpa.yaml:6:3</code>: HorizontalPodAutoscaler"
    ));
    // The Secret's snippet is masked.
    assert!(text.contains("password: ****"), "masked snippet");
}

#[test]
fn html_report_renders_in_headless_chromium() {
    let Some(bin) = chromium() else {
        eprintln!(
            "SKIPPED html_report_renders_in_headless_chromium: no chromium on PATH (install the \
             Debian package `chromium`, or set DRIFTLENS_CHROMIUM)"
        );
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let (html, json) = demo_html(dir.path());
    let url = format!("file://{}", html.display());
    let profile = tempfile::tempdir().expect("profile");
    let shot = dir.path().join("report.png");
    headless(
        &bin,
        profile.path(),
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,2000",
        ],
        &url,
    );
    let png = std::fs::read(&shot).expect("chromium wrote the screenshot");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let width = u32::from_be_bytes([png[16], png[17], png[18], png[19]]);
    let height = u32::from_be_bytes([png[20], png[21], png[22], png[23]]);
    assert_eq!((width, height), (1280, 2000), "screenshot size");
    assert!(
        png.len() > 20_000,
        "a {} byte screenshot is too small to show the report",
        png.len()
    );
    let dom = headless(&bin, profile.path(), &["--dump-dom"], &url);
    assert!(dom.contains("driftlens audit report"), "DOM: {dom}");
    let s = &json["summary"];
    let n = |k: &str| s[k].as_u64().unwrap_or(u64::MAX).to_string();
    let active = s["findings"].as_u64().unwrap_or(0) - s["suppressed"].as_u64().unwrap_or(0);
    assert_eq!(text_of(&dom, "count-active"), Some(active.to_string()));
    assert_eq!(text_of(&dom, "count-error"), Some(n("error")));
    assert_eq!(text_of(&dom, "count-warning"), Some(n("warning")));
    assert_eq!(text_of(&dom, "count-note"), Some(n("note")));
    assert_eq!(text_of(&dom, "count-suppressed"), Some("0".to_string()));
    assert_eq!(
        dom.matches("<section class=\"finding").count() as u64,
        s["findings"].as_u64().unwrap_or(0)
    );
}

#[test]
fn reports_escape_user_text_and_show_suppressions_with_reasons() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("s.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  annotations:\n    \
         ignore-check.driftlens.io/secret-mutable: \"<script>alert(1)</script> | & ok\"\n\
         immutable: false\ntype: Opaque\n",
    )
    .expect("write");
    let (_, html, _) = run(&["scan", p(dir.path()), "--format", "html"]);
    assert!(!html.contains("<script>alert(1)"), "unescaped user text");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
        "{html}"
    );
    assert_eq!(text_of(&html, "count-suppressed"), Some("1".to_string()));
    assert!(html.contains("Suppressed (inSource)"));
    let (_, md, _) = run(&["scan", p(dir.path()), "--format", "markdown"]);
    // Raw text appears only in the fenced source snippet, which Markdown shows literally.
    assert!(
        md.lines()
            .filter(|l| l.contains("<script>"))
            .all(|l| l.starts_with("> ") || l.starts_with("  ")),
        "{md}"
    );
    assert!(
        md.contains("- Suppressed (inSource): &lt;script&gt;"),
        "{md}"
    );
    assert!(
        md.contains("| inSource | &lt;script&gt;alert(1)&lt;/script&gt; \\| &amp; ok |"),
        "{md}"
    );
}

#[test]
fn markdown_report_summarises_per_application_and_rule() {
    let (code, md, _) = run(&["scan", p(&demo()), "--format", "markdown"]);
    assert_eq!(code, 1);
    assert!(md.starts_with("# driftlens audit report\n"));
    // The demo's one error (the plaintext Secret) belongs to Application `shop`.
    assert!(md.lines().any(|l| l.starts_with("| shop | 1 | ")), "{md}");
    assert!(
        md.lines().any(|l| l.starts_with("| payments | 0 | ")),
        "{md}"
    );
    assert!(
        md.contains("| `secret-plaintext-in-git` | error | security | 1 | 0 | 0 | 0 | 1 |"),
        "{md}"
    );
    assert!(
        md.contains(">  9 |   replicas: 2"),
        "snippet with the finding's line: {md}"
    );
    assert!(md.contains("Suggested `ignoreDifferences`"), "{md}");
    // Related places: the HPA next to the workload it scales, the values file behind a
    // rendered value.
    assert!(
        md.contains(
            "- See also `apps/shop/frontend-hpa.yaml:6:3`: HorizontalPodAutoscaler `frontend` \
             targets this workload"
        ),
        "{md}"
    );
    assert!(
        md.contains("- See also `charts/reports/values.yaml:1:1`: `.Values.replicaCount` is set"),
        "{md}"
    );
    let suppress = root().join("testdata/policy/suppress");
    let (code, md, _) = run(&["scan", p(&suppress), "--format", "markdown"]);
    assert_eq!(code, 0);
    assert!(
        md.contains("legacy test credentials, rotated monthly (SEC-42)"),
        "{md}"
    );
    assert!(md.contains("| external |"), "{md}");
}
