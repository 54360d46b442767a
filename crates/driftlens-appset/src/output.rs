//! Generated Applications as `argocd appset generate -o yaml` prints them: a list (a single
//! object for one Application, `null` for none), keys sorted, every number through
//! `float64`, `metadata.namespace`, `metadata.creationTimestamp` and `status` left out,
//! go-yaml v2's quoting and folding.

use serde_json::Value as J;

use crate::Generated;

/// One Application as the command prints it (before YAML).
pub fn oracle_object(app: &J) -> J {
    let mut app = app.clone();
    if let Some(o) = app.as_object_mut() {
        o.remove("status");
        if let Some(m) = o.get_mut("metadata").and_then(J::as_object_mut) {
            m.remove("namespace");
            m.remove("creationTimestamp");
        }
    }
    app
}

/// The YAML that `argocd appset generate -o yaml` prints for these Applications.
pub fn oracle_yaml(apps: &[Generated]) -> String {
    let doc = match apps {
        [] => J::Null,
        [one] => oracle_object(&one.application),
        many => J::Array(many.iter().map(|a| oracle_object(&a.application)).collect()),
    };
    let value = driftlens_gotmpl::Value::from_json(&doc);
    let mut text = driftlens_gotmpl::yaml::to_yaml(&value).unwrap_or_else(|_| "null".into());
    text.push('\n');
    text
}

/// The JSON that `argocd appset generate -o json` prints (two-space indent).
pub fn oracle_json(apps: &[Generated]) -> String {
    let doc = match apps {
        [] => J::Null,
        [one] => oracle_object(&one.application),
        many => J::Array(many.iter().map(|a| oracle_object(&a.application)).collect()),
    };
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}
