//! Class 2: no byte of a Secret value, plain or base64, in any output of any subcommand and
//! format, `--output` files and standard error included. The checkout and the dump plant one
//! canary in every way found to leak one: a kind written with an escape in a file that fails
//! to parse, Secrets spelt `v2` and `/v1` (and a custom kind named Secret), a SealedSecret
//! template, a Lua health script that returns or raises a live Secret's value, rules written
//! as data that print an object's metadata or fail quoting a value, environment variables and
//! ConfigMap keys that drift, a YAML alias and a Helm template that copy a value elsewhere.

use std::path::{Path, PathBuf};

use crate::harness::{p, run, run_in, write, Outcome, SCAN_FORMATS};

const CANARY: &str = "CANARY-5e1fd0c4-hostile";

fn b64(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// Every form of the canary that must never be printed.
fn needles() -> Vec<String> {
    vec![
        CANARY.to_string(),
        b64(CANARY),
        "5e1fd0c4".to_string(),
        b64(&format!("{CANARY}-git")),
        b64(&format!("{CANARY}-live")),
        b64(&format!("{CANARY}-kl")),
        b64(&format!("{CANARY}-ke")),
        b64(&format!("{CANARY}-kf\n")),
        b64(&format!("{CANARY}-kf")),
    ]
}

#[track_caller]
fn assert_clean(what: &str, o: &Outcome) {
    o.bounded();
    let all = o.all_output();
    for n in needles() {
        assert!(!all.contains(&n), "{what}: `{n}` printed:\n{all}");
    }
}

const APP: &str = "apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: shop
  namespace: argocd
spec:
  project: default
  destination:
    namespace: shop
    server: https://kubernetes.default.svc
  source:
    repoURL: https://example.com/r.git
    path: shop
";

fn fixture(dir: &Path) -> (PathBuf, PathBuf) {
    let repo = dir.join("repo");
    let c = CANARY;
    write(&repo, "apps/shop.yaml", APP);
    // A Secret whose kind is written with an escape, in a file that fails to parse later.
    write(
        &repo,
        "misc/broken.yaml",
        &format!(
            "apiVersion: v1\nkind: \"Secr\\x65t\"\nmetadata:\n  name: escaped\n  namespace: shop\n\
             stringData:\n  token: {c}-escaped\n---\napiVersion: v1\nkind: \"Secr\\u0065t\"\n\
             metadata: {{name: broken}}\nstringData:\n  token: [{c}-broken\n"
        ),
    );
    // Secrets under other spellings of the same identity, and a custom kind named Secret.
    write(
        &repo,
        "shop/secrets.yaml",
        &format!(
            "apiVersion: v2\nkind: Secret\nmetadata:\n  name: v2\n  namespace: shop\ndata:\n  \
             password: {}\n---\napiVersion: /v1\nkind: Secret\nmetadata:\n  name: slash\n  \
             namespace: shop\nstringData:\n  password: {c}-git\n---\napiVersion: vault.example.com/v1\n\
             kind: Secret\nmetadata:\n  name: custom\n  namespace: shop\ndata:\n  key: {c}-custom\n\
             ---\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: sealed\n  \
             namespace: shop\nspec:\n  encryptedData:\n    a: AgBy{c}\n  template:\n    data:\n      \
             plain: {c}-sealed\n",
            b64(&format!("{c}-git"))
        ),
    );
    // A YAML alias copies a Secret value into a ConfigMap of the same List.
    write(
        &repo,
        "shop/list.yaml",
        &format!(
            "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Secret\n    metadata:\n      \
             name: anchored\n      namespace: shop\n    stringData:\n      token: &t {c}-anchored\n  \
             - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: copied\n      \
             namespace: shop\n    data:\n      note: *t\n"
        ),
    );
    // Credentials that drift: an environment variable and a ConfigMap key.
    write(
        &repo,
        "shop/app.yaml",
        &format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  \
             selector:\n    matchLabels: {{app: web}}\n  template:\n    metadata:\n      labels: {{app: web}}\n    \
             spec:\n      containers:\n        - name: web\n          image: nginx:1.27.0\n          env:\n            \
             - name: DB_PASSWORD\n              value: {c}-git\n---\napiVersion: v1\nkind: ConfigMap\n\
             metadata:\n  name: settings\n  namespace: shop\ndata:\n  api_token: {c}-git\n"
        ),
    );
    // A chart whose template copies a values secret into a ConfigMap as well.
    write(
        &repo,
        "charts/creds/Chart.yaml",
        "apiVersion: v2\nname: creds\nversion: 1.0.0\n",
    );
    write(
        &repo,
        "charts/creds/values.yaml",
        &format!("password: {c}-helm\n"),
    );
    write(
        &repo,
        "charts/creds/templates/s.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: helm\nstringData:\n  password: {{ .Values.password }}\n\
         ---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: helm-copy\ndata:\n  \
         copy: {{ .Values.password | quote }}\n",
    );
    // A kustomization generating a Secret from a literal, an env file and a file, deployed by
    // an Application; the env and file sources are YAML-named so that they could be quoted.
    write(
        &repo,
        "apps/kust.yaml",
        &APP.replace(
            "name: shop\n  namespace: argocd",
            "name: kust\n  namespace: argocd",
        )
        .replace("path: shop", "path: kust"),
    );
    write(
        &repo,
        "kust/kustomization.yaml",
        &format!(
            "resources:\n- deploy.yaml\nsecretGenerator:\n- name: gen\n  options:\n    \
             disableNameSuffixHash: true\n  literals:\n  - password={c}-kl\n  envs:\n  - \
             creds.env.yaml\n  files:\n  - key.yaml\nconfigMapGenerator:\n- name: leak\n  \
             literals:\n  - note=plain\n"
        ),
    );
    write(&repo, "kust/creds.env.yaml", &format!("TOKEN={c}-ke\n"));
    write(&repo, "kust/key.yaml", &format!("{c}-kf\n"));
    write(
        &repo,
        "kust/deploy.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: kweb\n  namespace: shop\nspec:\n  \
         selector:\n    matchLabels: {app: kweb}\n  template:\n    metadata:\n      labels: {app: kweb}\n    \
         spec:\n      containers:\n        - name: web\n          image: nginx:1.27.0\n          \
         envFrom:\n            - secretRef: {name: gen}\n",
    );
    // A Lua health check that returns and raises a live Secret's value.
    write(
        &repo,
        "argocd/argocd-cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\n  namespace: argocd\ndata:\n  \
         resource.customizations.health.Secret: |\n    if obj.data ~= nil and obj.data.password ~= nil then\n      \
         return {status = \"Degraded\", message = \"value \" .. obj.data.password}\n    end\n    \
         error(\"no password: \" .. tostring(obj.stringData))\n  \
         resource.customizations.health.apps_Deployment: |\n    \
         error(obj.spec.template.spec.containers[1].env[1].value)\n",
    );
    // Rules written as data that print metadata (last-applied) or fail quoting values.
    write(
        &repo,
        ".driftlens/rules/print.yaml",
        "id: prints-metadata\nseverity: warning\ncategory: security\nsummary: s\n\
         match:\n  kind: [Secret, ConfigMap, Deployment]\ncondition: 'true'\n\
         message: '{{ object.metadata }} {{ object.data }} {{ object.stringData }} {{ object.spec }}'\n",
    );
    write(
        &repo,
        ".driftlens/rules/fail.yaml",
        "id: fails-quoting\nseverity: warning\ncategory: security\nsummary: s\n\
         match:\n  kind: [Secret, ConfigMap]\n\
         condition: 'error((.data // .stringData // {}) | tostring)'\nmessage: m\n",
    );
    let dump = dir.join("dump.json");
    let tracking = |kind: &str, group: &str, name: &str| serde_json::json!({"argocd.argoproj.io/tracking-id": format!("shop:{group}/{kind}:shop/{name}")});
    let mut last_applied = tracking("Secret", "", "v2");
    last_applied["kubectl.kubernetes.io/last-applied-configuration"] = serde_json::json!(format!(
        "{{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"stringData\":{{\"password\":\"{c}-live\"}}}}"
    ));
    let live = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "v2", "namespace": "shop",
            "annotations": last_applied},
         "data": {"password": b64(&format!("{c}-live"))}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "slash", "namespace": "shop",
            "annotations": tracking("Secret", "", "slash")},
         "data": {"password": b64(&format!("{c}-live"))}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "live-only", "namespace": "shop",
            "annotations": tracking("Secret", "", "live-only")},
         "data": {"password": b64(&format!("{c}-live"))}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop",
            "annotations": tracking("Deployment", "apps", "web")},
         "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "nginx:1.27.0",
                "env": [{"name": "DB_PASSWORD", "value": format!("{c}-live")}]}]}}}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "gen", "namespace": "shop",
            "annotations": serde_json::json!({"argocd.argoproj.io/tracking-id": "kust:/Secret:shop/gen"})},
         "data": {"password": b64(&format!("{c}-live")), "TOKEN": b64("other")}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "shop",
            "annotations": tracking("ConfigMap", "", "settings")},
         "data": {"api_token": format!("{c}-live")}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "copied", "namespace": "shop",
            "annotations": tracking("ConfigMap", "", "copied")},
         "data": {"note": "other"}}
    ]});
    std::fs::write(&dump, live.to_string()).expect("dump");
    (repo, dump)
}

#[test]
fn the_canary_appears_in_no_output_of_any_command_or_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (repo, dump) = fixture(dir.path());
    let (r, d) = (p(&repo), p(&dump));
    for format in SCAN_FORMATS {
        for cluster in [true, false] {
            let mut args = vec!["scan", r, "--format", format, "--fail-on", "never"];
            if cluster {
                args.extend(["--cluster", d]);
            }
            let o = run(&args);
            assert_eq!(o.code, Some(0), "{format}: {}", o.stderr);
            assert!(!o.stdout.trim().is_empty(), "{format}: empty report");
            assert_clean(&format!("scan {format} cluster={cluster}"), &o);
        }
        let out = dir.path().join(format!("report.{format}"));
        let o = run(&[
            "scan",
            r,
            "--cluster",
            d,
            "--format",
            format,
            "--output",
            p(&out),
        ]);
        o.bounded();
        let text = std::fs::read_to_string(&out).expect("--output written");
        for n in needles() {
            assert!(!text.contains(&n), "--output {format}: `{n}` written");
        }
        assert_clean(&format!("scan {format} --output"), &o);
    }
    let commands: Vec<Vec<&str>> = vec![
        vec!["apps", r, "--cluster", d],
        vec!["apps", r, "--cluster", d, "--format", "json"],
        vec!["diff", r, "--cluster", d],
        vec!["diff", r, "--cluster", d, "--app", "shop"],
        vec!["app", "shop", r, "--cluster", d],
        vec!["sources", r],
        vec!["sources", r, "--format", "json"],
        vec!["sources", r, "--format", "script"],
    ];
    for args in commands {
        let o = run(&args);
        assert!(matches!(o.code, Some(0 | 1)), "{args:?}: {}", o.stderr);
        assert_clean(&args.join(" "), &o);
    }
    // `review`: the checkout against an empty first commit (every Secret added), then
    // against itself committed with every plain value changed (every Secret modified).
    let g = crate::git::init(&repo);
    let empty = g
        .write_object(gix::objs::Tree { entries: vec![] })
        .expect("tree")
        .detach();
    crate::git::commit_tree(&g, "HEAD", empty, &[]);
    let review = |what: &str| {
        for format in ["human", "markdown", "json", "sarif", "github"] {
            let o = run(&[
                "review",
                r,
                "--base",
                "HEAD",
                "--cluster",
                d,
                "--format",
                format,
            ]);
            assert_eq!(o.code, Some(1), "review {what} {format}: {}", o.stderr);
            assert!(!o.stdout.trim().is_empty(), "review {what} {format}: empty");
            assert_clean(&format!("review {what} {format}"), &o);
        }
    };
    review("added");
    crate::git::commit(&g);
    for f in walk(&repo) {
        if let Ok(text) = std::fs::read_to_string(&f) {
            std::fs::write(&f, text.replace(CANARY, &format!("{CANARY}2"))).expect("write");
        }
    }
    review("modified");
    // `diff` still says what differs in the Secrets, with masks.
    let o = run(&["diff", r, "--cluster", d]);
    assert!(
        o.stdout.contains("++++++++"),
        "{:?} {}\n{}",
        o.code,
        o.stdout,
        o.stderr
    );
    for args in [
        vec!["rules"],
        vec!["rules", "--format", "json"],
        vec!["explain", "prints-metadata"],
    ] {
        let o = run_in(&repo, &args);
        o.expect(0);
        assert_clean(&args.join(" "), &o);
    }
}

/// Every file under `dir`, `.git` aside.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("read_dir") {
        let path = e.expect("entry").path();
        if path.file_name().is_some_and(|n| n == ".git") {
            continue;
        }
        let meta = std::fs::symlink_metadata(&path).expect("stat");
        if meta.is_dir() {
            out.extend(walk(&path));
        } else if meta.is_file() {
            out.push(path);
        }
    }
    out
}
