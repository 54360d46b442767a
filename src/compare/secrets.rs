//! Masking of Secret values in diff output (Argo CD's `HideSecretData`, §2.6).
//!
//! For a core `Secret`, every `data` value in the predicted and live documents (and in their
//! last-applied annotations) is replaced by a run of `+`: per key, each distinct value gets
//! its own mask (`++++++++`, then 12, 16, … characters) in the order predicted, live,
//! predicted last-applied, live last-applied. Equal values get equal masks, so "differs" stays
//! visible without revealing anything. A `stringData` left over by normalization (only when it
//! is not a map) and an unparseable last-applied annotation are masked whole.

use super::diff::{DiffResult, LAST_APPLIED};
use serde_json::Value;
use std::collections::BTreeMap;

const WHOLE: &str = "++++++++";
const LAST_APPLIED_POINTER: &str =
    "/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration";

/// Whether a document is a core Secret.
pub fn is_secret(v: &Value) -> bool {
    v.get("apiVersion").and_then(Value::as_str) == Some("v1")
        && v.get("kind").and_then(Value::as_str) == Some("Secret")
}

#[derive(Default)]
struct Masks {
    per_key: BTreeMap<String, Vec<Value>>,
}

impl Masks {
    fn mask(&mut self, key: &str, value: &Value) -> Value {
        let seen = self.per_key.entry(key.to_string()).or_default();
        let idx = match seen.iter().position(|v| v == value) {
            Some(i) => i,
            None => {
                seen.push(value.clone());
                seen.len() - 1
            }
        };
        Value::String("+".repeat(8 + 4 * idx.min(1000)))
    }

    fn mask_doc(&mut self, doc: &mut Value) {
        let Some(obj) = doc.as_object_mut() else {
            return;
        };
        if let Some(Value::Object(data)) = obj.get_mut("data") {
            for (k, v) in data.iter_mut() {
                *v = self.mask(k, v);
            }
        }
        if let Some(sd) = obj.get_mut("stringData") {
            *sd = Value::String(WHOLE.to_string());
        }
    }
}

fn last_applied_of(doc: &Value) -> Option<&str> {
    doc.pointer("/metadata/annotations")?
        .get(LAST_APPLIED)?
        .as_str()
}

fn mask_last_applied(doc: &mut Value, masks: &mut Masks) {
    let Some(text) = last_applied_of(doc) else {
        return;
    };
    let masked = match serde_json::from_str::<Value>(text) {
        Ok(mut la @ Value::Object(_)) => {
            masks.mask_doc(&mut la);
            la.to_string()
        }
        _ => WHOLE.to_string(),
    };
    if let Some(a) = doc
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    {
        a.insert(LAST_APPLIED.to_string(), Value::String(masked));
    }
}

/// Masks the Secret values of a diff result in place (no-op for other kinds).
pub fn hide_secret_data(result: &mut DiffResult) {
    if !is_secret(&result.predicted_live) && !is_secret(&result.normalized_live) {
        return;
    }
    let mut masks = Masks::default();
    masks.mask_doc(&mut result.predicted_live);
    masks.mask_doc(&mut result.normalized_live);
    mask_last_applied(&mut result.predicted_live, &mut masks);
    mask_last_applied(&mut result.normalized_live, &mut masks);
    // Each difference takes its value from the masked documents.
    for d in &mut result.differences {
        let sensitive = d.pointer == "/data"
            || d.pointer.starts_with("/data/")
            || d.pointer.starts_with("/stringData")
            || d.pointer == LAST_APPLIED_POINTER;
        if !sensitive {
            continue;
        }
        let from = |doc: &Value| doc.pointer(&d.pointer).cloned();
        if d.desired.is_some() {
            d.desired = Some(from(&result.predicted_live).unwrap_or(Value::String(WHOLE.into())));
        }
        if d.live.is_some() {
            d.live = Some(from(&result.normalized_live).unwrap_or(Value::String(WHOLE.into())));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::diff::{diff, DiffSettings};
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_values_are_masked_consistently() {
        let desired = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "data": {"same": "c2FtZQ==", "changed": "bmV3", "added": "YWRk"}});
        let live = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s",
                "annotations": {LAST_APPLIED: "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"s\"},\"data\":{\"same\":\"c2FtZQ==\",\"changed\":\"b2xk\",\"added\":\"YWRk\"}}"}},
            "data": {"same": "c2FtZQ==", "changed": "b2xk"}});
        let raw = DiffSettings {
            mask_secrets: false,
            ..Default::default()
        };
        let mut r = diff(&desired, &live, &raw).expect("diff");
        assert!(r.modified);
        assert!(format!("{r:?}").contains("bmV3"));
        hide_secret_data(&mut r);
        // The default settings mask too.
        let default = diff(&desired, &live, &DiffSettings::default()).expect("diff");
        assert_eq!(default, r);
        let text = format!("{:?}", r);
        for secret in ["c2FtZQ==", "bmV3", "b2xk", "YWRk"] {
            assert!(!text.contains(secret), "{secret} leaked");
        }
        assert_eq!(r.predicted_live["data"]["same"], json!("++++++++"));
        assert_eq!(r.normalized_live["data"]["same"], json!("++++++++"));
        assert_eq!(r.predicted_live["data"]["changed"], json!("++++++++"));
        assert_eq!(r.normalized_live["data"]["changed"], json!("++++++++++++"));
        let changed = r
            .differences
            .iter()
            .find(|d| d.pointer == "/data/changed")
            .expect("changed key differs");
        assert_ne!(changed.desired, changed.live);
    }

    #[test]
    fn other_kinds_are_untouched() {
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "1"}});
        let mut r = diff(&cm, &cm, &DiffSettings::default()).expect("diff");
        hide_secret_data(&mut r);
        assert_eq!(r.predicted_live["data"]["a"], json!("1"));
    }
}
