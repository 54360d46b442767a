//! End-to-end engine tests: template text + data → output or Go-style error.

use super::eval::{ExecState, Limits, TemplateSet};

fn run_with(tpl: &str, data: &str, limits: Limits) -> String {
    let dot = match crate::yaml::load(data) {
        Ok(v) => v,
        Err(e) => return format!("YAMLERR {e}"),
    };
    let mut set = TemplateSet::new();
    if let Err(e) = set.add("t.yaml", tpl) {
        return format!("ERR {}", e.go_message());
    }
    let mut st = ExecState::new(limits, 1);
    match set.execute("t.yaml", dot, &mut st) {
        Ok((s, _)) => s,
        Err(e) => format!("ERR {}", e.go_message()),
    }
}

fn run(tpl: &str, data: &str) -> String {
    run_with(tpl, data, Limits::default())
}

#[test]
fn actions_and_text() {
    assert_eq!(run("a{{ .x }}b", "x: 1"), "a1b");
    assert_eq!(run("a  {{- .x -}}  b", "x: hi"), "ahib");
    assert_eq!(run("{{ .missing }}", "x: 1"), "<no value>");
    assert_eq!(
        run("{{ .big }} {{ .f }}", "big: 1000000\nf: 1.5"),
        "1e+06 1.5"
    );
    assert_eq!(
        run("{{ 3 }} {{ 1.0 }} {{ 0x10 }} {{ 'a' }}", ""),
        "3 1 16 97"
    );
    assert_eq!(
        run("{{ .m }}", "m: {b: 2, a: [x, y]}"),
        "map[a:[x true] b:2]"
    );
}

#[test]
fn nil_pointer_error_has_position() {
    assert_eq!(
        run("line1\n  {{ .Values.nope.deeper }}", "Values: {}"),
        "ERR template: t.yaml:2:12: executing \"t.yaml\" at <.Values.nope.deeper>: nil pointer evaluating interface {}.deeper"
    );
}

#[test]
fn control_flow() {
    let t = "{{ if .a }}A{{ else if .b }}B{{ else }}C{{ end }}";
    assert_eq!(run(t, "a: 1"), "A");
    assert_eq!(run(t, "b: x"), "B");
    assert_eq!(run(t, "a: 0"), "C");
    assert_eq!(
        run("{{ with .x }}{{ . }}{{ else }}none{{ end }}", "x: ''"),
        "none"
    );
    assert_eq!(run("{{ with $v := .x }}{{ $v }}{{ end }}", "x: q"), "q");
    assert_eq!(
        run(
            "{{ range $i, $v := .l }}{{ $i }}={{ $v }},{{ end }}",
            "l: [a, b]"
        ),
        "0=a,1=b,"
    );
    assert_eq!(
        run(
            "{{ range $k, $v := .m }}{{ $k }}={{ $v }};{{ end }}",
            "m: {z: 1, a: 2}"
        ),
        "a=2;z=1;"
    );
    assert_eq!(
        run("{{ range .l }}x{{ else }}empty{{ end }}", "l: []"),
        "empty"
    );
    assert_eq!(run("{{ range 3 }}{{ . }}{{ end }}", ""), "012");
    assert_eq!(
        run("{{ range .l }}{{ if eq . 2 }}{{ end }}{{ end }}", "l: [1]"),
        "ERR template: t.yaml:1:20: executing \"t.yaml\" at <eq . 2>: error calling eq: incompatible types for comparison: float64 and int"
    );
    assert_eq!(run("{{ range until 6 }}{{ if eq . 2 }}{{ continue }}{{ end }}{{ if eq . 4 }}{{ break }}{{ end }}{{ . }}{{ end }}", ""), "013");
}

#[test]
fn variables_and_scope() {
    assert_eq!(
        run(
            "{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ $y := 3 }}{{ end }}{{ $x }}",
            ""
        ),
        "2"
    );
    assert_eq!(
        run(
            "{{ $x := .a }}{{ with .b }}{{ $.a }}{{ $x }}{{ . }}{{ end }}",
            "a: A\nb: B"
        ),
        "AAB"
    );
    assert!(run("{{ if true }}{{ $y := 3 }}{{ end }}{{ $y }}", "").starts_with("ERR"));
}

#[test]
fn and_or_return_operands_and_short_circuit() {
    assert_eq!(
        run(
            "{{ and 1 0 \"x\" }}|{{ or 0 \"\" \"y\" }}|{{ or 0 false }}",
            ""
        ),
        "0|y|false"
    );
    // The second operand would fail if evaluated.
    assert_eq!(
        run("{{ if and .a .a.b }}yes{{ else }}no{{ end }}", "a: null"),
        "no"
    );
    assert_eq!(run("{{ not 0 }} {{ not \"x\" }}", ""), "true false");
}

#[test]
fn comparisons_follow_go() {
    assert_eq!(
        run(
            "{{ eq 1 1 }} {{ eq \"a\" \"b\" \"a\" }} {{ ne 1 2 }} {{ lt 1 2 }} {{ ge 2.5 2.5 }}",
            ""
        ),
        "true true true true true"
    );
    assert!(run("{{ eq .x 3 }}", "x: 3").contains("incompatible types for comparison"));
    assert_eq!(run("{{ eq .missing \"x\" }}", "a: 1"), "false");
    assert!(run("{{ lt .missing 1 }}", "a: 1").contains("invalid type for comparison"));
    assert_eq!(run("{{ eq (int .x) 3 }}", "x: 3"), "true");
}

#[test]
fn defines_templates_blocks() {
    let t = "{{ define \"a\" }}A{{ . }}{{ end }}{{ template \"a\" 1 }}{{ include \"a\" 2 | upper }}{{ block \"b\" 3 }}B{{ . }}{{ end }}";
    assert_eq!(run(t, ""), "A1A2B3");
    assert!(run("{{ template \"nope\" }}", "").contains("template \"nope\" not defined"));
}

#[test]
fn printf_and_print() {
    assert_eq!(
        run("{{ printf \"%d-%s-%v\" 3 \"x\" .f }}", "f: 8080"),
        "3-x-8080"
    );
    assert_eq!(
        run("{{ printf \"%d\" .f }}", "f: 8080"),
        "%!d(float64=8080)"
    );
    assert_eq!(
        run("{{ print 1 2 \"a\" 3 }}|{{ println \"a\" 1 }}", ""),
        "1 2a3|a 1\n"
    );
    assert_eq!(run("{{ print nil }}", ""), "<nil>");
    assert_eq!(
        run(
            "{{ html \"<a&b>\" }} {{ js \"it's\" }} {{ urlquery \"a b&c\" }}",
            ""
        ),
        "&lt;a&amp;b&gt; it\\'s a+b%26c"
    );
}

#[test]
fn index_len_slice() {
    assert_eq!(run("{{ index .l 1 }} {{ index .m \"k\" }} {{ len .l }} {{ slice .l 1 2 }} {{ len \"abc\" }}", "l: [a, b, c]\nm: {k: v}"), "b v 3 [b] 3");
    assert!(run("{{ index .l 5 }}", "l: [a]").contains("index out of range: 5"));
}

#[test]
fn sprig_common() {
    assert_eq!(
        run(
            "{{ .x | default \"d\" | quote }} {{ 0 | default 5 }} {{ quote .missing }}|",
            "x: ''"
        ),
        "\"d\" 5 |"
    );
    assert_eq!(run("{{ \"a\\nb\" | nindent 2 }}", ""), "\n  a\n  b");
    assert_eq!(
        run(
            "{{ trunc 3 \"abcdef\" }} {{ trunc -2 \"abcdef\" }} {{ trimSuffix \"-\" \"a-\" }}",
            ""
        ),
        "abc ef a"
    );
    assert_eq!(
        run(
            "{{ list 1 2 | toJson }} {{ dict \"b\" 1 \"a\" \"<\" | toJson }}",
            ""
        ),
        "[1,2] {\"a\":\"\\u003c\",\"b\":1}"
    );
    assert_eq!(
        run("{{ toYaml .v }}", "v: {a: [1, 2], b: {c: yes}}"),
        "a:\n- 1\n- 2\nb:\n  c: true"
    );
    assert_eq!(
        run(
            "{{ $d := dict }}{{ $_ := set $d \"k\" 1 }}{{ hasKey $d \"k\" }} {{ keys $d }}",
            ""
        ),
        "true [k]"
    );
    assert_eq!(
        run(
            "{{ semverCompare \">=1.21-0\" \"v1.35.0\" }} {{ ternary \"a\" \"b\" false }}",
            ""
        ),
        "true b"
    );
    assert_eq!(
        run(
            "{{ sha256sum \"x\" | trunc 8 }} {{ b64enc \"hi\" }} {{ b64dec \"aGk=\" }}",
            ""
        ),
        "2d711642 aGk= hi"
    );
    assert_eq!(run("{{ regexReplaceAll \"a(x*)b\" \"-ab-axxb-\" \"${1}W\" }} {{ regexMatch \"^[a-z]+$\" \"abc\" }}", ""), "-W-xxW- true");
    assert_eq!(
        run(
            "{{ typeOf .f }} {{ typeOf 1 }} {{ kindOf .l }} {{ typeOf (add 1 2) }}",
            "f: 1\nl: []"
        ),
        "float64 int slice int64"
    );
    assert_eq!(
        run(
            "{{ merge (dict) .a .b | toJson }} {{ .a | toJson }}",
            "a: {x: 1}\nb: {x: 2, w: 3}"
        ),
        "{\"w\":3,\"x\":1} {\"x\":1}"
    );
    assert_eq!(
        run(
            "{{ mergeOverwrite (dict \"x\" 1) (dict \"x\" 2) | toJson }}",
            ""
        ),
        "{\"x\":2}"
    );
    assert_eq!(
        run(
            "{{ dig \"a\" \"b\" \"def\" .m }} {{ dig \"a\" \"z\" \"def\" .m }}",
            "m: {a: {b: v}}"
        ),
        "v def"
    );
    assert_eq!(
        run("{{ tpl \"{{ .x }}-{{ .z }}\" . }}", "x: 1\nz: 2"),
        "1-2"
    );
}

#[test]
fn fail_and_required() {
    let r = run("x\n {{ fail \"boom\" }}", "");
    assert!(r.contains("t.yaml:2:4") && r.ends_with("boom"), "{r}");
    let r = run("{{ required \"need x\" .x }}", "a: 1");
    assert!(r.ends_with("need x"), "{r}");
    assert_eq!(run("{{ required \"need x\" .x }}", "x: 1"), "1");
}

#[test]
fn budgets_stop_runaways() {
    let lim = Limits {
        max_steps: 200_000,
        ..Limits::default()
    };
    assert!(run_with("{{ range until 100000000 }}x{{ end }}", "", lim).contains("ERR"));
    assert!(run_with(
        "{{ define \"r\" }}{{ include \"r\" . }}{{ end }}{{ include \"r\" . }}",
        "",
        Limits {
            max_depth: 50,
            ..lim
        }
    )
    .contains("nested reference name: r"));
    assert!(run_with(
        "{{ define \"r\" }}{{ template \"r\" . }}{{ end }}{{ template \"r\" . }}",
        "",
        Limits {
            max_depth: 50,
            ..lim
        }
    )
    .contains("ERR"));
}

#[test]
fn parse_errors_name_the_line() {
    let r = run("ok\n{{ if }}", "");
    assert!(r.starts_with("ERR template: t.yaml:2:"), "{r}");
    assert!(run("{{ nosuchfunc 1 }}", "").contains("function \"nosuchfunc\" not defined"));
}

#[test]
fn source_map_points_at_template_lines() {
    let mut set = TemplateSet::new();
    let tpl = "a: 1\nb: {{ .Values.x }}\nc: 3\n";
    assert!(set.add("t.yaml", tpl).is_ok());
    let mut st = ExecState::new(Limits::default(), 0);
    let dot = crate::yaml::load("Values: {x: hello}").unwrap_or_default();
    let (out, map) = set.execute("t.yaml", dot, &mut st).unwrap_or_default();
    assert_eq!(out, "a: 1\nb: hello\nc: 3\n");
    let at = |needle: &str| {
        map.locate(&out, out.find(needle).unwrap_or(0))
            .map(|l| (l.line, l.col, l.values_path))
    };
    assert_eq!(at("hello"), Some((2, 7, Some("x".to_string()))));
    assert_eq!(at("c: 3").map(|l| l.0), Some(3));
    assert_eq!(at("b:").map(|l| (l.0, l.1)), Some((2, 1)));
}

#[test]
fn nil_from_pipeline_or_variable_is_silent() {
    // Go: an invalid value (nil out of a pipeline) yields nothing on field access, while a
    // nil interface reached through a map is a nil-pointer error.
    assert_eq!(
        run(
            "{{ (.a.missing).cpu }}|{{ $x := .a.missing }}{{ $x.cpu }}",
            "a: {}"
        ),
        "<no value>|<no value>"
    );
    assert!(
        run("{{ .a.missing.cpu }}", "a: {}").contains("nil pointer evaluating interface {}.cpu")
    );
}

#[test]
fn random_token_soup_never_panics() {
    // A cheap deterministic fuzzer over template fragments; each input must either
    // render or fail with an error, never panic or loop.
    const FRAGS: &[&str] = &[
        "{{", "}}", "{{-", "-}}", " ", "\n", ".", ".a", ".a.b", "$", "$x", ":=", "=", "|", "(",
        ")", ",", "if", "else", "end", "range", "with", "define", "template", "block", "break",
        "continue", "\"s\"", "`r`", "'c'", "1", "-2", "3.5", "0x1F", "nil", "true", "include",
        "tpl", "printf", "\"%d\"", "index", "len", "and", "or", "not", "eq", "toYaml", "default",
        "list", "dict", "/*", "*/", "text",
    ];
    let mut rng = super::funcs::Rng::new(42);
    let lim = Limits {
        max_steps: 10_000,
        max_depth: 20,
        max_output: 1 << 16,
        ..Limits::default()
    };
    for _ in 0..3000 {
        let n = 1 + rng.below(24) as usize;
        let src: String = (0..n)
            .map(|_| FRAGS[rng.below(FRAGS.len() as u64) as usize])
            .collect::<Vec<_>>()
            .join(if rng.below(2) == 0 { " " } else { "" });
        let _ = run_with(&src, "a: {b: [1, 2]}\nx: 1", lim);
    }
}

#[test]
fn self_referencing_maps_do_not_hang() {
    let t = "{{ $d := dict }}{{ $_ := set $d \"self\" $d }}{{ toYaml $d | len }}|{{ toJson $d }}|{{ $d | len }}|{{ deepCopy $d | len }}";
    let out = run(t, "a: 1");
    assert!(out.starts_with("0|") || out.starts_with("ERR"), "{out}");
    let _ = run(
        "{{ $d := dict }}{{ $_ := set $d \"self\" $d }}{{ $d }}{{ merge $d $d }}{{ eq 1 1 }}",
        "a: 1",
    );
}

#[test]
fn crypto_functions_in_templates() {
    assert_eq!(
        run(
            r#"{{ "plaintext" | encryptAES "secretkey" | decryptAES "secretkey" }}"#,
            ""
        ),
        "plaintext"
    );
    assert_eq!(
        run(r#"{{ encryptAES "k" "" }}|{{ decryptAES "k" "" }}"#, ""),
        "|"
    );
    assert_eq!(
        run(
            r#"{{ b32enc "foobar" }} {{ b32enc "foobar" | b32dec }} {{ b32dec "MZX" }}"#,
            ""
        ),
        "MZXW6YTBOI====== foobar illegal base32 data at input byte 0"
    );
    assert_eq!(
        run(
            r#"{{ derivePassword 1 "pin" "password" "user" "example.com" }}"#,
            ""
        ),
        "6685"
    );
    assert_eq!(
        run(
            r#"{{ derivePassword 1 "nope" "password" "user" "example.com" }}"#,
            ""
        ),
        "cannot find password template nope"
    );
    // Errors carry the call's position, and no key material.
    assert_eq!(
        run("a: 1\nb: {{ genSignedCert \"x\" nil nil 1 (dict \"Cert\" \"junk\") }}", ""),
        "ERR template: t.yaml:2:6: executing \"t.yaml\" at <genSignedCert \"x\" nil nil 1 (dict \"Cert\" \"junk\")>: error calling genSignedCert: unable to decode certificate"
    );
    assert_eq!(
        run(r#"{{ decryptAES "k" "AAAA" }}"#, ""),
        "ERR template: t.yaml:1:3: executing \"t.yaml\" at <decryptAES \"k\" \"AAAA\">: error calling decryptAES: runtime error: slice bounds out of range [:16] with capacity 3"
    );
    // A generated CA is an object with .Cert and .Key.
    let out = run(
        r#"{{ $ca := genCAWithKey "ca" 1 (genPrivateKey "ed25519") }}{{ $ca.Cert | trunc 27 }}|{{ $ca.Key | trunc 27 }}"#,
        "",
    );
    assert_eq!(
        out,
        "-----BEGIN CERTIFICATE-----|-----BEGIN PRIVATE KEY-----"
    );
}

/// Renders `t.yaml` with helpers from `_h.tpl`; returns a lookup from an output needle to
/// (file, line, values path, call sites as `file:line`).
type Where = (String, usize, Option<String>, Vec<String>);

fn mapped(tpl: &str, helpers: &str, data: &str) -> (String, impl Fn(&str) -> Option<Where>) {
    let mut set = TemplateSet::new();
    assert!(set.add("c/templates/_h.tpl", helpers).is_ok());
    assert!(set.add("c/templates/t.yaml", tpl).is_ok());
    let mut st = ExecState::new(Limits::default(), 0);
    let dot = crate::yaml::load(data).unwrap_or_default();
    let (out, map) = set
        .execute("c/templates/t.yaml", dot, &mut st)
        .unwrap_or_else(|e| (format!("ERR {}", e.go_message()), Default::default()));
    let text = out.clone();
    (out, move |needle: &str| {
        let at = text.find(needle)?;
        let l = map.locate(&text, at)?;
        let via = l
            .via
            .as_ref()
            .map(|v| {
                v.chain(8)
                    .iter()
                    .map(|s| format!("{}:{}", s.file, s.line))
                    .collect()
            })
            .unwrap_or_default();
        Some((l.file, l.line, l.values_path, via))
    })
}

fn w(file: &str, line: usize, vp: Option<&str>, via: &[&str]) -> Option<Where> {
    Some((
        file.to_string(),
        line,
        vp.map(str::to_string),
        via.iter().map(|s| s.to_string()).collect(),
    ))
}

#[test]
fn include_output_maps_into_the_helper_through_line_functions() {
    let helpers = "{{- define \"labels\" -}}\napp: {{ .Values.name }}\ntier: web\n{{- end }}\n\
                   {{- define \"outer\" -}}\nouter: 1\n{{ include \"labels\" . }}\n{{- end }}";
    let tpl = "kind: X\nmetadata:\n  labels:\n    {{- include \"labels\" . | nindent 4 }}\n\
               spec:\n  {{- include \"outer\" . | indent 2 | trim | nindent 2 }}\n\
               q: {{ include \"labels\" . | quote }}\n\
               t: {{ tpl \"{{ .Values.name }}\" . }}\n\
               {{ template \"labels\" . }}\n";
    let (out, at) = mapped(tpl, helpers, "Values: {name: api}");
    assert!(
        out.contains("  labels:\n    app: api\n    tier: web\nspec:\n  outer: 1\n    app: api"),
        "{out}"
    );
    let h = "c/templates/_h.tpl";
    assert_eq!(at("    app: api"), w("c/templates/t.yaml", 4, None, &[]));
    assert_eq!(
        at("api\n    tier"),
        w(h, 2, Some("name"), &["c/templates/t.yaml:4"])
    );
    assert_eq!(at("tier: web"), w(h, 3, None, &["c/templates/t.yaml:4"]));
    // Nested includes keep every call site, innermost first.
    assert_eq!(at("outer: 1"), w(h, 6, None, &["c/templates/t.yaml:6"]));
    assert_eq!(
        at("api\n    tier: web\nq"),
        w(
            h,
            2,
            Some("name"),
            &["c/templates/_h.tpl:7", "c/templates/t.yaml:6"]
        )
    );
    // Text that a function rewrote maps to the call site; so does `tpl` output.
    assert_eq!(at("\"app: api"), w("c/templates/t.yaml", 7, None, &[]));
    assert_eq!(at("t: api").map(|w| w.1), Some(8));
    assert_eq!(
        at("api\napp: api").map(|w| (w.0, w.1)),
        Some(("c/templates/t.yaml".to_string(), 8))
    );
    // `template` writes straight into the caller's output, mapped into the helper.
    assert_eq!(
        at("app: api\ntier: web\n"),
        w(h, 2, None, &["c/templates/t.yaml:9"])
    );
}

#[test]
fn values_paths_follow_variables_with_range_and_dicts() {
    let helpers = "{{- define \"port\" -}}\nport: {{ .p.number }}\nname: {{ .n }}\n{{- end }}";
    let tpl = "{{- $r := .Values.replicaCount }}\nreplicas: {{ $r }}\n\
               {{- with .Values.image }}\nimage: {{ .repository }}:{{ $.Values.image.tag }}\n{{- end }}\n\
               {{- range $i, $e := .Values.env }}\n- {{ $e.name }}={{ .value }}\n{{- end }}\n\
               {{- range $k, $v := .Values.annotations }}\n{{ $k }}: {{ $v | quote }}\n{{- end }}\n\
               {{ include \"port\" (dict \"p\" .Values.service \"n\" .Values.svcName) }}\n\
               idx: {{ index .Values.env 1 \"value\" }}\n\
               dflt: {{ .Values.missing | default .Values.replicaCount }}\n\
               res:\n  {{- toYaml .Values.resources | nindent 2 }}\n";
    let data = "Values:\n  replicaCount: 3\n  image: {repository: nginx, tag: '1.0'}\n  \
                env: [{name: A, value: vx}, {name: B, value: vy}]\n  annotations: {team: core}\n  \
                service: {number: 80}\n  svcName: web\n  \
                resources: {limits: {cpu: 100m}, requests: {memory: 1Gi}}\n";
    let (out, at) = mapped(tpl, helpers, data);
    let vp = |needle: &str| at(needle).and_then(|w| w.2);
    assert_eq!(vp("3\nimage").as_deref(), Some("replicaCount"), "{out}");
    assert_eq!(vp("nginx").as_deref(), Some("image.repository"));
    assert_eq!(vp("1.0").as_deref(), Some("image.tag"));
    assert_eq!(vp("A=").as_deref(), Some("env[0].name"));
    assert_eq!(vp("vy\n").as_deref(), Some("env[1].value"), "{out}");
    assert_eq!(vp("\"core\"").as_deref(), Some("annotations.team"));
    assert_eq!(vp("80").as_deref(), Some("service.number"));
    assert_eq!(vp("web").as_deref(), Some("svcName"));
    assert_eq!(
        at("80").map(|w| (w.0, w.1)),
        Some(("c/templates/_h.tpl".to_string(), 2))
    );
    assert_eq!(vp("vy\ndflt").as_deref(), Some("env[1].value"));
    assert_eq!(vp("3\nres").as_deref(), Some("replicaCount"));
    assert_eq!(vp("cpu").as_deref(), Some("resources.limits.cpu"));
    assert_eq!(vp("memory").as_deref(), Some("resources.requests.memory"));
    assert_eq!(vp("requests").as_deref(), Some("resources.requests"));
    assert_eq!(at("cpu").map(|w| w.1), Some(16));
}

#[test]
fn huge_printf_widths_and_precisions_do_not_panic() {
    for verb in ["f", "e", "g", "v", "x", "s", "q", "d"] {
        for spec in [
            ".100000",
            ".65536",
            "65536.65536",
            ".1000000000",
            "1000000000",
        ] {
            let tpl = format!("{{{{ printf \"%{spec}{verb}\" 1.5 }}}}");
            let out = run(&tpl, "{}");
            assert!(out.len() <= (1 << 21) + 64, "{tpl}: {} bytes", out.len());
        }
    }
}

#[test]
fn values_that_print_to_terabytes_are_refused() {
    let grow = "{{- $d := dict \"a\" \"xxxxxxxx\" }}{{- range until 40 }}{{- $d = dict \"l\" $d \"r\" $d }}{{- end }}";
    for print in [
        "{{ $d }}",
        "{{ toYaml $d }}",
        "{{ toJson $d }}",
        "{{ toPrettyJson $d }}",
    ] {
        let out = run(&format!("{grow}{print}"), "{}");
        assert!(
            out.starts_with("ERR") && out.contains("too large"),
            "{print}: {out}"
        );
    }
}
