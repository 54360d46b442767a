//! `helmCharts:` (HelmChartInflationGenerator), rendered by the caller's Helm engine.

use crate::error::{Error, Result};
use crate::jsondec::Decoder;
use crate::resource::Resource;
use crate::target::{Build, Target};
use crate::types::{HelmChart, HelmGlobals};
use crate::yaml::node::Loc;
use crate::yaml::value::Value;

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
    if !h.additional_values_files.is_empty() {
        m.push((
            "additionalValuesFiles".into(),
            Value::Seq(
                h.additional_values_files
                    .iter()
                    .map(|v| Value::Str(v.clone()))
                    .collect(),
            ),
        ));
    }
    if !h.api_versions.is_empty() {
        m.push((
            "apiVersions".into(),
            Value::Seq(
                h.api_versions
                    .iter()
                    .map(|v| Value::Str(v.clone()))
                    .collect(),
            ),
        ));
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

/// Decodes a `HelmChartInflationGenerator` plugin config.
pub fn decode_plugin(d: &mut Decoder, v: &Value) -> (HelmChart, HelmGlobals) {
    let _ = (d, v);
    (HelmChart::default(), HelmGlobals::default())
}

/// Inflates one chart.
pub fn generate(
    _b: &mut Build,
    _kt: &Target,
    _h: &HelmChart,
    _g: &HelmGlobals,
    _loc: Loc,
) -> Result<Vec<Resource>> {
    Err(Error::not_analysed("helmCharts are not rendered yet"))
}
