//! Masking of Secret values in diff output (Argo CD's `HideSecretData`, §2.6).
//!
//! For a core `Secret`, every `data` value in the predicted and live documents (and in their
//! last-applied annotations) is replaced by a run of `+`: per key, each distinct value gets
//! its own mask (`++++++++`, then 12, 16, … characters) in the order predicted, live,
//! predicted last-applied, live last-applied. Equal values get equal masks, so "differs" stays
//! visible without revealing anything. A `stringData` left over by normalization (only when it
//! is not a map) and an unparseable last-applied annotation are masked whole.

use driftlens_merge::LAST_APPLIED;
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

/// Masks the Secret values of a predicted and a live document in place; returns `false`
/// (and changes nothing) when neither is a core Secret. Values are masked consistently across
/// both documents and their last-applied annotations.
pub fn mask_documents(predicted: &mut Value, live: &mut Value) -> bool {
    if !is_secret(predicted) && !is_secret(live) {
        return false;
    }
    let mut masks = Masks::default();
    masks.mask_doc(predicted);
    masks.mask_doc(live);
    mask_last_applied(predicted, &mut masks);
    mask_last_applied(live, &mut masks);
    true
}

/// Whether a JSON pointer into a Secret leads to (or into) a value that is masked.
pub fn is_sensitive_pointer(pointer: &str) -> bool {
    pointer == "/data"
        || pointer.starts_with("/data/")
        || pointer.starts_with("/stringData")
        || pointer == LAST_APPLIED_POINTER
}

/// The value at `pointer` of a masked document, or a whole mask when it has none there.
pub fn masked_value(doc: &Value, pointer: &str) -> Value {
    doc.pointer(pointer)
        .cloned()
        .unwrap_or(Value::String(WHOLE.into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn masks_are_per_key_and_value_and_leave_other_kinds_alone() {
        let mut predicted = json!({"apiVersion": "v1", "kind": "Secret",
            "data": {"a": "b25l", "b": "dHdv"}});
        let mut live = json!({"apiVersion": "v1", "kind": "Secret",
            "data": {"a": "b25l", "b": "b3RoZXI="}, "stringData": "x"});
        assert!(mask_documents(&mut predicted, &mut live));
        assert_eq!(predicted["data"], json!({"a": "++++++++", "b": "++++++++"}));
        assert_eq!(live["data"], json!({"a": "++++++++", "b": "++++++++++++"}));
        assert_eq!(live["stringData"], json!("++++++++"));
        assert!(is_sensitive_pointer("/data/a") && !is_sensitive_pointer("/metadata/name"));
        assert_eq!(masked_value(&live, "/data/b"), json!("++++++++++++"));
        assert_eq!(masked_value(&live, "/data/gone"), json!("++++++++"));
        let mut cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "1"}});
        let mut cm2 = cm.clone();
        assert!(!mask_documents(&mut cm, &mut cm2));
        assert_eq!(cm["data"]["a"], json!("1"));
    }
}
