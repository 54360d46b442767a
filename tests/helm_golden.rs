//! Byte-for-byte comparison of driftlens's Helm renderer with goldens produced by the
//! real `helm template` (v4.1.4); see `testdata/helm-golden/README.md`.

use std::path::Path;

use clap::Parser;
use driftlens::render::helm::args::{render_output, TemplateArgs};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: TemplateArgs,
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn helm_goldens_match_byte_for_byte() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::env::set_current_dir(root).expect("cd to the crate root");
    let mut dirs: Vec<_> = std::fs::read_dir(root.join("testdata/helm-golden"))
        .expect("golden folder")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("args").exists())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 20,
        "expected the golden cases, found {}",
        dirs.len()
    );
    let mut failures = Vec::new();
    for dir in &dirs {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let args = read(&dir.join("args"));
        let argv = std::iter::once("helm-template").chain(args.split_whitespace());
        let cli = Cli::try_parse_from(argv).unwrap_or_else(|e| panic!("{name}: bad args: {e}"));
        let (out, err, rc) = render_output(&cli.args.chart, &cli.args.options());
        let want_out = read(&dir.join("stdout"));
        let want_rc: i32 = read(&dir.join("rc")).trim().parse().expect("rc");
        if out != want_out {
            let line = out.lines().zip(want_out.lines()).position(|(a, b)| a != b);
            failures.push(format!(
                "{name}: stdout differs (first differing line {line:?})"
            ));
        }
        if rc != want_rc {
            failures.push(format!("{name}: exit code {rc}, helm {want_rc}: {err}"));
        }
        let prefix = dir.join("stderr.prefix");
        if prefix.exists() {
            let p = read(&prefix);
            if !err.starts_with(&p) {
                failures.push(format!("{name}: stderr {err:?} does not start with {p:?}"));
            }
        } else {
            let want_err = read(&dir.join("stderr"));
            if err != want_err {
                failures.push(format!(
                    "{name}: stderr differs:\n  driftlens: {err:?}\n  helm:      {want_err:?}"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n")
    );
}
