//! The [`HelmRenderer`] of driftlens: `helmCharts:` rendered by the in-process Helm engine
//! ([`driftlens_helm`]) as `helm template` would render them for kustomize.

use std::path::PathBuf;

use driftlens_gotmpl::{ExecState, Limits, TemplateSet, Value};
use driftlens_helm::values::{merge_maps, parse_values};
use driftlens_helm::{format_like_helm_template, render_chart, HelmOptions};

use crate::{Error, HelmRenderer, HelmRequest};

/// Renders charts with the in-process Helm engine. With a `root`, a chart (its directory and
/// every file in it, links followed) must be inside that directory: the checkout, for a scan.
#[derive(Clone, Debug, Default)]
pub struct InProcessHelm {
    /// The directory charts must stay in.
    pub root: Option<PathBuf>,
}

/// Helm's `--name-template`: a Go template with Sprig's functions, executed without data.
fn template_name(text: &str) -> Result<String, Error> {
    let mut set = TemplateSet::new();
    set.add("name-template", text)
        .map_err(|e| Error::new(e.go_message()))?;
    let mut state = ExecState::new(Limits::default(), 0);
    let (out, _) = set
        .execute("name-template", Value::Nil, &mut state)
        .map_err(|e| Error::new(e.go_message()))?;
    if !state.nondet.is_empty() {
        return Err(Error::not_analysed(format!(
            "nameTemplate '{text}' draws a random release name; set releaseName"
        )));
    }
    Ok(out)
}

/// Whether a rendered hook document is a test hook (`helm.sh/hook: test`, or Helm 2's
/// `test-success`), which `helm template --skip-tests` leaves out.
fn is_test_hook(text: &str) -> bool {
    let Ok(Some(doc)) = crate::yaml::parse::parse_single_document(text) else {
        return false;
    };
    let hooks = doc
        .path(&["metadata", "annotations", "helm.sh/hook"])
        .map(|n| n.value().to_string())
        .unwrap_or_default();
    hooks
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .any(|h| h == "test" || h == "test-success")
}

impl HelmRenderer for InProcessHelm {
    fn render(&self, req: &HelmRequest) -> Result<String, Error> {
        let release_name = if req.name_template.is_empty() {
            req.release_name.clone()
        } else if !req.release_name.is_empty() {
            return Err(Error::new(
                "helm template: cannot set --name-template and also specify a name",
            ));
        } else {
            template_name(&req.name_template)?
        };
        // The `-f` files in order, merged as Helm merges them, handed over as one values text.
        let mut values = driftlens_gotmpl::value::Map::new();
        for (path, text) in &req.values {
            let m = parse_values(text, path).map_err(|e| Error::new(e.0))?;
            merge_maps(&mut values, &m);
        }
        let json = Value::map(values).to_json().map_err(Error::new)?;
        let opts = HelmOptions {
            release_name,
            namespace: req.namespace.clone(),
            values_yaml: Some(json.to_string()),
            include_crds: req.include_crds,
            kube_version: (!req.kube_version.is_empty()).then(|| req.kube_version.clone()),
            api_versions: req.api_versions.clone(),
            // Deterministic output; a chart drawing random values is flagged by the caller.
            seed: Some(0),
            root: self.root.clone(),
            ..HelmOptions::default()
        };
        let mut rendered =
            render_chart(std::path::Path::new(&req.chart_dir), &opts).map_err(|e| {
                Error::new(format!(
                    "helm template of chart '{}' failed: {e}",
                    req.chart_name
                ))
            })?;
        if req.skip_hooks {
            rendered.docs.retain(|d| !d.is_hook);
        } else if req.skip_tests {
            rendered
                .docs
                .retain(|d| !(d.is_hook && is_test_hook(&d.text)));
        }
        Ok(format_like_helm_template(&rendered))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_hooks() {
        assert!(is_test_hook(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  annotations:\n    helm.sh/hook: pre-install, Test\n"
        ));
        assert!(!is_test_hook(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  annotations:\n    helm.sh/hook: pre-install\n"
        ));
    }

    #[test]
    fn name_templates() {
        assert_eq!(template_name("{{ \"a\" | upper }}-x").unwrap(), "A-x");
        assert_eq!(
            template_name("{{ randAlpha 5 }}").unwrap_err().kind,
            crate::ErrorKind::NotAnalysed
        );
    }
}
