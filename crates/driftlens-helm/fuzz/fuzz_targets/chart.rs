//! Fuzzes the Helm layer above the template engine: chart archives (`.tgz` reading with its
//! size caps) and whole charts built from fuzzed files (values coalescing, `values.schema.json`
//! validation, template execution, output splitting into manifests).
//!
//! Input: the first byte picks the mode. Mode 0 hands the rest to the archive reader. Any other
//! mode splits the rest at NUL bytes into `values.yaml`, `templates/a.yaml`,
//! `templates/_helpers.tpl` and `values.schema.json`. Any input must load or fail and render or
//! fail, within the budgets, without panicking; a render is deterministic (fixed seed).
#![no_main]

use driftlens_helm::{chart, format_like_helm_template, render_loaded, HelmOptions};
use libfuzzer_sys::fuzz_target;

const CHART_YAML: &[u8] = b"apiVersion: v2\nname: fuzz\nversion: 0.1.0\n";

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode == 0 {
        chart::reset_decompression_budget();
        let _ = chart::read_archive(rest, "fuzz.tgz");
        return;
    }
    let names = [
        "values.yaml",
        "templates/a.yaml",
        "templates/_helpers.tpl",
        "values.schema.json",
    ];
    let mut files = vec![("Chart.yaml".to_string(), CHART_YAML.to_vec())];
    for (name, part) in names.iter().zip(rest.split(|b| *b == 0)) {
        files.push((name.to_string(), part.to_vec()));
    }
    let opts = HelmOptions {
        release_name: "fuzz".into(),
        seed: Some(1),
        ..HelmOptions::default()
    };
    let render = || {
        let chart = chart::from_files(files.clone(), "fuzz").ok()?;
        render_loaded(chart, &opts).ok().map(|r| format_like_helm_template(&r))
    };
    let first = render();
    if first.is_some() {
        assert_eq!(first, render(), "a render with a fixed seed is deterministic");
    }
});
