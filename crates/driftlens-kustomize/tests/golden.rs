//! kustomize's own test suite (converted into `testdata/kustomize-golden/`, expectations
//! recorded from kustomize v5.6) run through the engine: every case must produce kustomize's
//! bytes, or fail with kustomize's error text, unless `golden-differences.txt` lists it with
//! a reason. A listed case that now passes fails the test too, so the list stays current.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use driftlens_kustomize::fs::{DiskFs, MemFs};
use driftlens_kustomize::helm_engine::InProcessHelm;
use driftlens_kustomize::yaml::parse::{parse_first, ReadOptions};
use driftlens_kustomize::yaml::resolve::Version;
use driftlens_kustomize::yaml::Node;
use driftlens_kustomize::{build_with_warnings, BuildOptions, LoadRestrictor};

fn golden_dir() -> PathBuf {
    match std::env::var_os("KUSTOMIZE_GOLDEN") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/kustomize-golden"),
    }
}

fn cases(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.join("case.yaml").is_file() {
            out.push(p);
        } else if p.is_dir() {
            cases(&p, out);
        }
    }
}

fn load_tree(fs: &mut MemFs, root: &Path, dir: &Path) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        let rel = p
            .strip_prefix(root)
            .unwrap_or(&p)
            .to_string_lossy()
            .into_owned();
        let ft = e.file_type().expect("file type");
        if ft.is_symlink() {
            let target = std::fs::read_link(&p).expect("link");
            fs.add_link(&format!("/{rel}"), &target.to_string_lossy());
        } else if ft.is_dir() {
            fs.add_dir(&format!("/{rel}"));
            load_tree(fs, root, &p);
        } else {
            fs.add_file(&format!("/{rel}"), std::fs::read(&p).expect("read"));
        }
    }
}

fn field<'a>(n: &'a Node, path: &[&str]) -> Option<&'a str> {
    n.path(path).map(|v| v.value())
}

/// Runs one case; `Ok(())` when the engine agrees with kustomize v5.6.
fn run_case(case: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(case.join("case.yaml")).map_err(|e| e.to_string())?;
    let spec = parse_first(
        &text,
        ReadOptions {
            version: Version::V2,
            file: 0,
        },
        0,
    )
    .map_err(|e| e.message)?
    .ok_or("empty case.yaml")?;
    let mut fs = MemFs::new();
    load_tree(&mut fs, &case.join("files"), &case.join("files"));
    let mut opts = BuildOptions::default();
    if field(&spec, &["options", "loadRestrictor"]) == Some("LoadRestrictionsNone") {
        opts.load_restrictor = LoadRestrictor::None;
    }
    opts.enable_helm = field(&spec, &["options", "enableHelm"]) == Some("true");
    opts.managed_by_label = field(&spec, &["options", "enableManagedByLabel"]) == Some("true");
    let dir = field(&spec, &["dir"]).unwrap_or(".");
    let dir = if dir == "." {
        "/".to_string()
    } else {
        format!("/{}", dir.trim_start_matches("./"))
    };
    let (result, _) = if opts.enable_helm {
        // Charts are read from disk by the Helm engine: build the case where it is.
        let root = case.join("files");
        let disk = DiskFs::sandboxed(&root).map_err(|e| e.to_string())?;
        let helm = InProcessHelm {
            root: Some(root.clone()),
        };
        let dir = format!("{}{}", root.display(), dir.trim_end_matches('/'));
        build_with_warnings(&disk, &dir, &opts, None, Some(&helm))
    } else {
        build_with_warnings(&fs, &dir, &opts, None, None)
    };
    match field(&spec, &["expect"]) {
        Some("output") => {
            let want = std::fs::read_to_string(case.join("expected.yaml")).unwrap_or_default();
            let out = result.map_err(|e| format!("unexpected error: {e}"))?;
            let got = out
                .to_yaml()
                .map_err(|e| format!("unexpected error: {e}"))?;
            if got == want {
                Ok(())
            } else {
                Err(first_difference(&want, &got))
            }
        }
        Some("error") => {
            let want = std::fs::read_to_string(case.join("expected-error.txt")).unwrap_or_default();
            let got = match result {
                Ok(out) => match out.to_yaml() {
                    Ok(_) => return Err("built, kustomize fails".into()),
                    Err(e) => e.message,
                },
                Err(e) => e.message,
            };
            if got.contains(want.trim_end_matches('\n')) {
                Ok(())
            } else {
                Err(format!(
                    "error text differs:\n  want: {want}\n  got:  {got}"
                ))
            }
        }
        other => Err(format!("unknown expect {other:?}")),
    }
}

fn first_difference(want: &str, got: &str) -> String {
    for (i, (a, b)) in want.lines().zip(got.lines()).enumerate() {
        if a != b {
            return format!("line {}:\n  want: {a}\n  got:  {b}", i + 1);
        }
    }
    format!(
        "lengths differ: want {} lines, got {}",
        want.lines().count(),
        got.lines().count()
    )
}

fn known_differences() -> BTreeMap<String, String> {
    let text = include_str!("golden-differences.txt");
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, reason) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        assert!(
            !reason.trim().is_empty(),
            "{name}: a known difference needs a reason"
        );
        out.insert(name.to_string(), reason.trim().to_string());
    }
    out
}

#[test]
fn kustomize_goldens() {
    let root = golden_dir();
    let mut all = Vec::new();
    cases(&root, &mut all);
    assert!(
        all.len() > 200,
        "expected the kustomize goldens under {}, found {} cases",
        root.display(),
        all.len()
    );
    let known = known_differences();
    let mut pass = 0;
    let mut unexpected = Vec::new();
    let mut stale = Vec::new();
    for case in &all {
        let name = case
            .strip_prefix(&root)
            .unwrap_or(case)
            .to_string_lossy()
            .into_owned();
        let r = std::panic::catch_unwind(|| run_case(case))
            .unwrap_or_else(|_| Err("the engine panicked".into()));
        match (r, known.contains_key(&name)) {
            (Ok(()), false) => pass += 1,
            (Ok(()), true) => stale.push(name),
            (Err(_), true) => {}
            (Err(e), false) => unexpected.push(format!("{name}: {e}")),
        }
    }
    let total = all.len();
    let rate = pass as f64 * 100.0 / total as f64;
    eprintln!("kustomize goldens: {pass}/{total} byte-identical ({rate:.1} %)");
    assert!(
        unexpected.is_empty(),
        "{} cases differ from kustomize v5.6 without a listed reason:\n{}",
        unexpected.len(),
        unexpected.join("\n\n")
    );
    assert!(
        stale.is_empty(),
        "listed as differing but now identical (remove them from golden-differences.txt):\n{}",
        stale.join("\n")
    );
    assert!(rate >= 95.0, "pass rate {rate:.1} % is below 95 %");
}
