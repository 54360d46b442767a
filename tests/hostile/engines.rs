//! Class 4: crashes and hangs, per engine. Every engine that runs code from the checkout — jq
//! (ignore rules and data-rule conditions), Lua health checks, Go templates (Helm) — works under
//! a budget of depth, steps, time and memory that the data cannot switch off; exceeding it is
//! an error at the expression, never an abort, a stack overflow or a run past the harness's
//! bounds.

use serde_json::Value;

use crate::harness::{p, run, write};

fn findings(out: &str) -> Vec<Value> {
    let v: Value = serde_json::from_str(out).expect("JSON report");
    v["findings"].as_array().cloned().unwrap_or_default()
}

const CM: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: shop\ndata:\n  v: x\n";

/// jq: deep values, exponential work without values, generators and huge allocations in data
/// rules are `rule-error` findings at the rule's condition line.
#[test]
fn jq_budgets_hold() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    write(&repo, "cm.yaml", CM);
    let conditions = [
        "reduce range(100000) as $i (.; [.]) | length > 0",
        "(\"[\" * 100000) | fromjson | length > 0",
        "(reduce range(10000) as $i (.; {a: .})) | walk(.) | length > 0",
        "[recurse([.])] | length > 0",
        "\"x\" * 1e12 | length > 0",
        "[range(1e9)] | length > 0",
        "[.[]?] | until(length > 1e9; . + .) | true",
        "def f(x): x | x; f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(.)))))))))))))))))))))))))))))) | true",
        "\"a\" * 1e9 | length > 0",
        "[limit(1e9; repeat(.))] | length > 0",
    ];
    for (i, c) in conditions.iter().enumerate() {
        write(
            &repo,
            &format!(".driftlens/rules/r{i}.yaml"),
            &format!(
                "id: r{i}\nseverity: note\ncategory: reliability\nsummary: s\ncondition: {}\nmessage: m\n",
                serde_json::to_string(c).unwrap_or_default()
            ),
        );
    }
    let o = run(&["scan", p(&repo), "--format", "json", "--fail-on", "never"]);
    o.expect(0);
    let f = findings(&o.stdout);
    for (i, condition) in conditions.iter().enumerate() {
        let file = format!(".driftlens/rules/r{i}.yaml");
        assert!(
            f.iter()
                .any(|f| f["rule"] == "rule-error" && f["file"] == file && f["line"] == 5),
            "{condition}: no rule-error at its condition\n{}",
            o.stdout
        );
    }
}

fn lua_fixture(dir: &std::path::Path, script: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let repo = dir.join("repo");
    write(
        &repo,
        "apps/shop.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: shop\n  namespace: argocd\n\
         spec:\n  project: default\n  destination:\n    namespace: shop\n    server: https://kubernetes.default.svc\n  \
         source:\n    repoURL: https://example.com/r.git\n    path: shop\n",
    );
    write(&repo, "shop/cm.yaml", CM);
    write(
        &repo,
        "argocd/argocd-cm.yaml",
        &format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\n  namespace: argocd\ndata:\n  \
             resource.customizations.useOpenLibs.ConfigMap: \"true\"\n  \
             resource.customizations.health.ConfigMap: {}\n",
            serde_json::to_string(script).unwrap_or_default()
        ),
    );
    let dump = dir.join("dump.json");
    std::fs::write(
        &dump,
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"shop","annotations":{"argocd.argoproj.io/tracking-id":"shop:/ConfigMap:shop/c"}},"data":{"v":"x"}}"#,
    )
    .expect("dump");
    (repo, dump)
}

/// Lua: loops in `xpcall` handlers, pathological patterns and huge strings in C functions
/// stop within the script's budget; the health is Unknown with the reason.
#[test]
fn lua_budgets_hold() {
    let scripts = [
        ("while true do end", "budget"),
        (
            "xpcall(function() while true do end end, function(e) while true do end end) return {status='Healthy'}",
            "budget",
        ),
        (
            "local function h(e) return xpcall(function() while true do end end, h) end \
             xpcall(function() while true do end end, h) return {status='Healthy'}",
            "budget",
        ),
        (
            "while true do pcall(function() while true do end end) end",
            "budget",
        ),
        (
            "local ok = pcall(string.find, ('a'):rep(30), ('a?'):rep(30) .. ('a'):rep(30)) \
             return {status='Healthy', message=tostring(ok)}",
            "deadline",
        ),
        (
            "local s = ('a'):rep(100000) for w in s:gmatch('a-a-a-b') do end return {status='Healthy'}",
            "deadline",
        ),
        (
            "local s = ('a'):rep(16777216) for i = 1, 100 do s:gsub('a', 'b') end return {status='Healthy'}",
            "deadline",
        ),
        ("local s = ('x'):rep(1e10) return {status='Healthy'}", "longer than"),
        (
            "error(setmetatable({}, {__tostring = function() while true do end end}))",
            "budget",
        ),
        (
            "local co = coroutine.wrap(function() while true do end end) co() return {status='Healthy'}",
            "budget",
        ),
    ];
    for (script, reason) in scripts {
        let dir = tempfile::tempdir().expect("tempdir");
        let (repo, dump) = lua_fixture(dir.path(), script);
        let o = run(&["app", "shop", p(&repo), "--cluster", p(&dump)]);
        o.expect(0);
        // On a loaded machine the time budget may run out before the instruction budget.
        assert!(
            o.stdout.contains("Unknown")
                && (o.stdout.contains(reason) || o.stdout.contains("deadline exceeded")),
            "{script}: {}",
            o.all_output()
        );
    }
}

/// Go templates: huge printf widths, growing strings, lists and shared dicts, expensive
/// functions in loops and runaway includes are render errors at the template's line.
#[test]
fn template_budgets_hold() {
    let templates = [
        ("x: {{ printf \"%.100000000f\" 1.5 | len }}", None),
        ("x: {{ printf \"%*d\" 1000000000 1 | len }}", None),
        ("x: {{ indent 1000000000 \"a\" | len }}", Some("too large")),
        (
            "{{ $s := \"ab\" }}{{ range until 40 }}{{ $s = print $s $s }}{{ end }}x: {{ len $s }}",
            Some("too large"),
        ),
        (
            "{{ $l := list 1 }}{{ range until 40 }}{{ $l = concat $l $l }}{{ end }}x: {{ len $l }}",
            Some("too large"),
        ),
        (
            "{{ $d := dict \"a\" \"b\" }}{{ range until 40 }}{{ $d = dict \"l\" $d \"r\" $d }}{{ end }}x: {{ toJson $d | len }}",
            Some("too large"),
        ),
        (
            "{{ $d := dict \"a\" \"b\" }}{{ range until 40 }}{{ $d = dict \"l\" $d \"r\" $d }}{{ end }}x: {{ deepCopy $d | len }}",
            Some("too large"),
        ),
        (
            "{{ $d := dict \"a\" \"b\" }}{{ range until 40 }}{{ $d = dict \"l\" $d \"r\" $d }}{{ end }}x: {{ toToml $d | len }}",
            Some("too large"),
        ),
        (
            "{{ $s := repeat 10000000 \"a\" }}{{ $l := list }}{{ range until 100 }}{{ $l = append $l (print $s \"b\") }}{{ end }}x: {{ len $l }}",
            Some("too much data"),
        ),
        (
            "x: {{ replace \"a\" (repeat 1000000 \"b\") (repeat 1000000 \"a\") | len }}",
            Some("too large"),
        ),
        (
            "{{ define \"f\" }}{{ include \"f\" . }}{{ end }}x: {{ include \"f\" . }}",
            Some("nested reference"),
        ),
        (
            "x: {{ range until 100 }}{{ genPrivateKey \"rsa\" | len }}{{ end }}",
            Some("limit exceeded"),
        ),
    ];
    for (template, error) in templates {
        let dir = tempfile::tempdir().expect("tempdir");
        let chart = dir.path().join("chart");
        write(
            &chart,
            "Chart.yaml",
            "apiVersion: v2\nname: c\nversion: 1.0.0\n",
        );
        write(&chart, "templates/t.yaml", template);
        let o = run(&["render", p(&chart)]);
        o.bounded();
        match error {
            None => assert_eq!(o.code, Some(0), "{template}: {}", o.stderr),
            Some(e) => {
                assert_eq!(o.code, Some(1), "{template}: {}", o.all_output());
                assert!(
                    o.stderr.contains("templates/t.yaml:1") && o.stderr.contains(e),
                    "{template}: {}",
                    o.stderr
                );
            }
        }
    }
}
