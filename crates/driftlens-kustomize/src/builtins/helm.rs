//! `helmCharts:` (HelmChartInflationGenerator): kustomize's preparation of a `helm template`
//! run — chart home, values file, `valuesInline` merged the way kustomize merges it,
//! additional values files under the load restrictions — handed to the caller's
//! [`HelmRenderer`](crate::HelmRenderer), whose output is read like any resource file.

use crate::error::{Error, Result};
use crate::jsondec::Decoder;
use crate::merge2::Merger;
use crate::resource::Resource;
use crate::target::{Build, Target};
use crate::types::{helm_chart_field, HelmChart, HelmGlobals, HELM_CHART_FIELDS};
use crate::yaml::node::Loc;
use crate::yaml::parse::{parse_first, ReadOptions};
use crate::yaml::resolve::Version;
use crate::yaml::value::Value;
use crate::{HelmRequest, Location};

/// The plugin config YAML kustomize prints in configuration errors.
pub fn config_yaml(h: &HelmChart, g: &HelmGlobals) -> String {
    let mut m: Vec<(String, Value)> = Vec::new();
    let mut s = |k: &str, v: &str| {
        if !v.is_empty() {
            m.push((k.to_string(), Value::Str(v.to_string())));
        }
    };
    s("chartHome", &g.chart_home);
    s("configHome", &g.config_home);
    s("name", &h.name);
    s("version", &h.version);
    s("repo", &h.repo);
    s("releaseName", &h.release_name);
    s("namespace", &h.namespace);
    s("valuesFile", &h.values_file);
    s("valuesMerge", &h.values_merge);
    s("kubeVersion", &h.kube_version);
    s("nameTemplate", &h.name_template);
    let strings = |v: &[String]| Value::Seq(v.iter().map(|s| Value::Str(s.clone())).collect());
    if !h.additional_values_files.is_empty() {
        m.push((
            "additionalValuesFiles".into(),
            strings(&h.additional_values_files),
        ));
    }
    if !h.api_versions.is_empty() {
        m.push(("apiVersions".into(), strings(&h.api_versions)));
    }
    if let Some(v) = &h.values_inline {
        m.push(("valuesInline".into(), v.clone()));
    }
    for (k, b) in [
        ("includeCRDs", h.include_crds),
        ("skipHooks", h.skip_hooks),
        ("skipTests", h.skip_tests),
        ("debug", h.debug),
    ] {
        if b {
            m.push((k.into(), Value::Bool(true)));
        }
    }
    if m.is_empty() {
        return "{}\n".into();
    }
    crate::yaml::emit::to_yaml(&Value::Map(m))
}

/// Decodes a `HelmChartInflationGenerator` plugin config (its fields are those of
/// `HelmGlobals` and `HelmChart`, side by side).
pub fn decode_plugin(d: &mut Decoder, v: &Value) -> (HelmChart, HelmGlobals) {
    let mut h = HelmChart::default();
    let mut g = HelmGlobals::default();
    let mut names: Vec<&'static str> = vec!["chartHome", "configHome"];
    names.extend_from_slice(HELM_CHART_FIELDS);
    d.object(
        v,
        "HelmChartInflationGeneratorPlugin",
        "builtins.HelmChartInflationGeneratorPlugin",
        &names,
        |d, name, v| match name {
            "chartHome" => g.chart_home = d.string(v),
            "configHome" => g.config_home = d.string(v),
            _ => helm_chart_field(d, &mut h, name, v),
        },
    );
    (h, g)
}

/// A configured chart (kustomize's plugin after `Config`).
#[derive(Clone, Debug)]
pub struct HelmRun {
    /// The chart entry, with the command line's Helm settings applied.
    pub chart: HelmChart,
    /// The chart home, absolute (with `NAME-VERSION` appended for a versioned remote chart).
    pub abs_home: String,
    /// The values file (the chart's `values.yaml` unless `valuesFile` says otherwise).
    pub values_file: String,
    /// `additionalValuesFiles`, as (absolute path, content).
    pub additional: Vec<(String, String)>,
    /// `valuesMerge` (default `override`).
    pub merge: &'static str,
}

/// kustomize's `Config` of the generator: command-line settings, defaults and argument checks
/// (the additional values files are read here, under the load restrictions).
pub fn configure(b: &mut Build, kt: &Target, h: &HelmChart, g: &HelmGlobals) -> Result<HelmRun> {
    let mut h = h.clone();
    // Command-line settings take precedence over the kustomization's.
    if !b.opts.helm_kube_version.is_empty() {
        h.kube_version = b.opts.helm_kube_version.clone();
    }
    if !b.opts.helm_api_versions.is_empty() {
        h.api_versions = b.opts.helm_api_versions.clone();
    }
    if h.name.is_empty() {
        return Err(Error::new("chart name cannot be empty"));
    }
    let root = kt.ldr.root.clone();
    let chart_home = if g.chart_home.is_empty() {
        "charts"
    } else {
        g.chart_home.as_str()
    };
    let mut abs_home = if chart_home.starts_with('/') {
        crate::fs::clean(chart_home)
    } else {
        crate::fs::join(&root, chart_home)
    };
    if !h.version.is_empty() && !h.repo.is_empty() {
        abs_home = crate::fs::join(&abs_home, &format!("{}-{}", h.name, h.version));
    }
    let values_file = if h.values_file.is_empty() {
        crate::fs::join(&crate::fs::join(&abs_home, &h.name), "values.yaml")
    } else {
        h.values_file.clone()
    };
    let mut additional = Vec::new();
    for file in &h.additional_values_files {
        let (bytes, _) = b
            .load(&kt.ldr, file)
            .map_err(|e| e.prefix("could not load additionalValuesFile"))?;
        additional.push((
            crate::fs::join(&root, file),
            String::from_utf8_lossy(&bytes).into_owned(),
        ));
    }
    let merge = match h.values_merge.as_str() {
        "" | "override" => "override",
        "merge" => "merge",
        "replace" => "replace",
        _ => {
            return Err(Error::new(
                "valuesMerge must be one of [merge override replace]",
            ))
        }
    };
    Ok(HelmRun {
        chart: h,
        abs_home,
        values_file,
        additional,
        merge,
    })
}

/// kustomize's `Generate`: finds the chart, prepares the values, has the caller's Helm engine
/// render it and reads the output.
pub fn generate(b: &mut Build, kt: &Target, run: &HelmRun, loc: Loc) -> Result<Vec<Resource>> {
    let h = &run.chart;
    let Some(renderer) = b.helm else {
        return Err(Error::not_analysed(format!(
            "helm chart '{}' is not rendered: this build has no Helm engine",
            h.name
        )));
    };
    let mut chart_dir = crate::fs::join(&run.abs_home, &h.name);
    let mut values_file = run.values_file.clone();
    let mut pulled = false;
    if !crate::fs::is_dir(b.fs, &chart_dir) {
        if h.repo.is_empty() {
            // kustomize prints the path it found, which is empty when there is none.
            return Err(Error::new(
                "no repo specified for pull, no chart found at ''",
            ));
        }
        let Some(dir) = renderer.pulled_chart(&h.repo, &h.name, &h.version) else {
            return Err(Error::not_analysed(format!(
                "helm chart '{}'{} from {} is not on disk and is not pulled (no local copy \
                 of the chart repository)",
                h.name,
                if h.version.is_empty() {
                    String::new()
                } else {
                    format!(" version {}", h.version)
                },
                h.repo
            )));
        };
        if h.values_file.is_empty() {
            values_file = crate::fs::join(&dir, "values.yaml");
        }
        chart_dir = dir;
        pulled = true;
    }
    if h.release_name.is_empty() && h.name_template.is_empty() {
        return Err(Error::not_analysed(format!(
            "helm chart '{}' has no releaseName: kustomize runs `helm template \
             --generate-name`, whose release name is random; set releaseName",
            h.name
        )));
    }
    // The values of a pulled chart are read from the caller's copy, outside the kustomization.
    let read_values = |b: &mut Build, path: &str| -> Result<Vec<u8>> {
        if pulled && h.values_file.is_empty() {
            let limit = b.opts.limits.max_file_bytes;
            b.fs.read(path, limit)
                .map_err(|_| Error::new(format!("open {path}: no such file or directory")))
        } else {
            b.load(&kt.ldr, path).map(|(bytes, _)| bytes)
        }
    };
    let values_text = match &h.values_inline {
        Some(Value::Map(m)) if !m.is_empty() && run.merge == "replace" => {
            crate::yaml::emit::to_yaml(&Value::Map(m.clone()))
        }
        Some(Value::Map(m)) if !m.is_empty() => {
            let bytes = read_values(b, &values_file)?;
            merged_values(b, &bytes, Value::Map(m.clone()), run.merge)?
        }
        _ => String::from_utf8_lossy(&read_values(b, &values_file)?).into_owned(),
    };
    let mut values = vec![(values_file, values_text)];
    values.extend(run.additional.iter().cloned());
    let req = HelmRequest {
        chart_name: h.name.clone(),
        chart_version: h.version.clone(),
        repo: h.repo.clone(),
        chart_dir,
        release_name: h.release_name.clone(),
        namespace: h.namespace.clone(),
        name_template: h.name_template.clone(),
        values,
        api_versions: h.api_versions.clone(),
        kube_version: h.kube_version.clone(),
        include_crds: h.include_crds,
        skip_tests: h.skip_tests,
        skip_hooks: h.skip_hooks,
        configured_at: b.files.get(loc.file as usize).map(|path| Location {
            path: path.clone(),
            line: loc.line,
        }),
    };
    let text = renderer.render(&req)?;
    let file = b.file_index(&format!("{} (helm template)", req.chart_dir));
    crate::reader::resources_from_bytes(text.as_bytes(), file)
        .map_err(|e| e.prefix("could not parse bytes into resource map"))
}

/// The values file kustomize writes when `valuesInline` is set: with `override` the inline
/// values win over the chart's values file, with `merge` the file's values win (kyaml
/// `merge2`: maps merged, lists replaced).
fn merged_values(b: &mut Build, bytes: &[u8], inline: Value, merge: &str) -> Result<String> {
    let text = String::from_utf8_lossy(bytes);
    let chart_values = parse_first(
        &text,
        ReadOptions {
            version: Version::V3,
            file: 0,
        },
        0,
    )
    .map_err(|e| Error::new(e.message).prefix("could not parse values file into rnode"))?
    .unwrap_or_else(crate::yaml::Node::null);
    let inline_values = crate::reader::value_to_node_v3(&inline, Loc::default());
    let (out, work) = {
        let mut merger = Merger::new(b.schema(), false);
        let out = if merge == "override" {
            merger.merge(inline_values, chart_values)
        } else {
            merger.merge(chart_values, inline_values)
        };
        (out, merger.work)
    };
    b.charge(work)?;
    let (merged, _) = out.map_err(|e| Error::new(e).prefix("could not merge values"))?;
    let merged = merged.unwrap_or_else(crate::yaml::Node::null);
    let v = crate::yaml::value::decode_any(&merged)
        .map_err(|e| Error::new(e.0).prefix("could not parse merged values into map"))?;
    Ok(crate::yaml::emit::to_yaml(&v))
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use crate::fs::MemFs;
    use crate::{build, BuildOptions, Error, HelmRenderer, HelmRequest};

    /// Records the request and answers with a fixed ConfigMap.
    struct Fake(Mutex<Vec<HelmRequest>>);

    impl HelmRenderer for Fake {
        fn render(&self, req: &HelmRequest) -> Result<String, Error> {
            self.0.lock().unwrap().push(req.clone());
            Ok(format!(
                "---\n# Source: x/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {}-cm\n",
                req.release_name
            ))
        }

        fn pulled_chart(&self, repo: &str, name: &str, version: &str) -> Option<String> {
            (repo == "oci://registry.example.com/charts" && name == "db" && version == "2.0.0")
                .then(|| "/cache/db-2.0.0".to_string())
        }
    }

    fn fs(kust: &str) -> MemFs {
        let mut fs = MemFs::new();
        fs.add_file("/app/kustomization.yaml", kust);
        fs.add_file("/app/charts/web/Chart.yaml", "name: web\nversion: 1.0.0\n");
        fs.add_file(
            "/app/charts/web/values.yaml",
            "image:\n  tag: v1\n  name: web\nports: [80]\n",
        );
        fs.add_file("/app/extra.yaml", "replicas: 2\n");
        fs.add_file("/outside.yaml", "replicas: 9\n");
        fs.add_file("/cache/db-2.0.0/values.yaml", "size: 1\n");
        fs
    }

    fn helm_opts() -> BuildOptions {
        BuildOptions {
            enable_helm: true,
            ..BuildOptions::default()
        }
    }

    fn run(kust: &str) -> (Result<String, Error>, Vec<HelmRequest>) {
        let fake = Fake(Mutex::new(Vec::new()));
        let r = build(&fs(kust), "/app", &helm_opts(), None, Some(&fake)).and_then(|o| o.to_yaml());
        (r, fake.0.into_inner().unwrap())
    }

    #[test]
    fn request_like_kustomize() {
        let (out, reqs) = run(
            "helmCharts:\n- name: web\n  releaseName: rel\n  namespace: ns\n  includeCRDs: true\n  \
             additionalValuesFiles: [extra.yaml]\nnamePrefix: p-\n",
        );
        assert_eq!(
            out.unwrap(),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: p-rel-cm\n"
        );
        let r = &reqs[0];
        assert_eq!(r.chart_dir, "/app/charts/web");
        assert_eq!(
            (r.release_name.as_str(), r.namespace.as_str()),
            ("rel", "ns")
        );
        assert!(r.include_crds);
        assert_eq!(r.values[0].0, "/app/charts/web/values.yaml");
        assert!(r.values[0].1.starts_with("image:\n  tag: v1"));
        assert_eq!(
            r.values[1],
            ("/app/extra.yaml".to_string(), "replicas: 2\n".to_string())
        );
    }

    #[test]
    fn inline_values_merge_as_kustomize_does() {
        let chart = "helmCharts:\n- name: web\n  releaseName: rel\n  valuesInline:\n    image:\n      tag: v2\n    ports: [8080]\n";
        let (_, reqs) = run(chart);
        assert_eq!(
            reqs[0].values[0].1,
            "image:\n  name: web\n  tag: v2\nports:\n- 8080\n"
        );
        let (_, reqs) = run(&format!("{chart}  valuesMerge: merge\n"));
        assert_eq!(
            reqs[0].values[0].1,
            "image:\n  name: web\n  tag: v1\nports:\n- 80\n"
        );
        let (_, reqs) = run(&format!("{chart}  valuesMerge: replace\n"));
        assert_eq!(reqs[0].values[0].1, "image:\n  tag: v2\nports:\n- 8080\n");
        let (err, _) = run(&format!("{chart}  valuesMerge: deep\n"));
        assert!(err
            .unwrap_err()
            .message
            .ends_with("`: valuesMerge must be one of [merge override replace]"));
    }

    #[test]
    fn refusals() {
        let (err, _) = run(
            "helmCharts:\n- name: web\n  releaseName: rel\n  additionalValuesFiles: [../outside.yaml]\n",
        );
        let e = err.unwrap_err();
        assert!(
            e.message.contains(
                "could not load additionalValuesFile: security; file '/outside.yaml' is not in or below '/app'"
            ),
            "{}",
            e.message
        );
        let (err, _) = run("helmCharts:\n- name: nochart\n  releaseName: rel\n");
        assert_eq!(
            err.unwrap_err().message,
            "no repo specified for pull, no chart found at ''"
        );
        let (err, _) = run("helmCharts:\n- name: web\n");
        let e = err.unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::NotAnalysed);
        assert!(e.message.contains("releaseName"), "{}", e.message);
        let e = build(
            &fs("helmCharts:\n- name: web\n  releaseName: r\n"),
            "/app",
            &helm_opts(),
            None,
            None,
        )
        .err()
        .unwrap();
        assert_eq!(e.kind, crate::ErrorKind::NotAnalysed);
        let (err, reqs) = run(
            "helmCharts:\n- name: redis\n  repo: https://charts.example.com\n  version: 1.2.3\n  releaseName: r\n",
        );
        let e = err.unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::NotAnalysed);
        assert!(
            e.message
                .contains("'redis' version 1.2.3 from https://charts.example.com"),
            "{}",
            e.message
        );
        assert!(reqs.is_empty());
        let (out, reqs) = run(
            "helmCharts:\n- name: db\n  repo: oci://registry.example.com/charts\n  version: 2.0.0\n  releaseName: r\n",
        );
        out.unwrap();
        assert_eq!(reqs[0].chart_dir, "/cache/db-2.0.0");
        assert_eq!(
            reqs[0].values[0],
            (
                "/cache/db-2.0.0/values.yaml".to_string(),
                "size: 1\n".to_string()
            )
        );
    }
}
