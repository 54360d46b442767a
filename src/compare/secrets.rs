//! Masking of secret values in diff output (Argo CD's `HideSecretData`, §2.6, applied to every
//! value of the masking policy, [`crate::model::sensitive`]).
//!
//! Every secret value of the predicted and live documents (and of their last-applied
//! annotations) is replaced by a run of `+`: per pointer, each distinct value gets its own mask
//! (`++++++++`, then 12, 16, … characters) in the order predicted, live, predicted
//! last-applied, live last-applied. Equal values get equal masks, so "differs" stays visible
//! without revealing anything. For a Secret this is Argo CD's masking of `data` (per key);
//! the policy extends it to any kind named `Secret`, SealedSecrets, and credentials in pod
//! templates and ConfigMaps. An unparseable last-applied annotation is masked whole.

use crate::model::sensitive::{last_applied_pointer, overlaps, sensitive_pointers, MASK};
use driftlens_merge::LAST_APPLIED;
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Default)]
struct Masks {
    per_pointer: BTreeMap<String, Vec<Value>>,
}

impl Masks {
    fn mask(&mut self, pointer: &str, value: &Value) -> Value {
        let seen = self.per_pointer.entry(pointer.to_string()).or_default();
        let idx = match seen.iter().position(|v| v == value) {
            Some(i) => i,
            None => {
                seen.push(value.clone());
                seen.len() - 1
            }
        };
        Value::String("+".repeat(8 + 4 * idx.min(1000)))
    }

    fn mask_doc(&mut self, doc: &mut Value, pointers: &[String]) {
        let la = last_applied_pointer();
        for p in pointers.iter().filter(|p| **p != la) {
            if let Some(v) = doc.pointer_mut(p) {
                *v = self.mask(p, v);
            }
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
            let inner = sensitive_pointers(&la);
            masks.mask_doc(&mut la, &inner);
            // A last-applied inside the last-applied is not worth keeping.
            if let Some(v) = la.pointer_mut(&last_applied_pointer()) {
                *v = Value::String(MASK.to_string());
            }
            la.to_string()
        }
        _ => MASK.to_string(),
    };
    if let Some(a) = doc
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    {
        a.insert(LAST_APPLIED.to_string(), Value::String(masked));
    }
}

/// Masks the secret values of a predicted and a live document in place, consistently across
/// both documents and their last-applied annotations; returns the masked pointers (empty, and
/// nothing changed, when neither document holds a secret value).
pub fn mask_documents(predicted: &mut Value, live: &mut Value) -> Vec<String> {
    let mut pointers = sensitive_pointers(predicted);
    pointers.extend(sensitive_pointers(live));
    pointers.sort();
    pointers.dedup();
    if pointers.is_empty() {
        return pointers;
    }
    let mut masks = Masks::default();
    masks.mask_doc(predicted, &pointers);
    masks.mask_doc(live, &pointers);
    if pointers.contains(&last_applied_pointer()) {
        mask_last_applied(predicted, &mut masks);
        mask_last_applied(live, &mut masks);
    }
    pointers
}

/// Whether a JSON pointer leads to, into or above one of the masked `pointers`.
pub fn is_sensitive_pointer(pointers: &[String], pointer: &str) -> bool {
    pointers.iter().any(|p| overlaps(p, pointer))
}

/// The value at `pointer` of a masked document, or a whole mask when it has none there.
pub fn masked_value(doc: &Value, pointer: &str) -> Value {
    doc.pointer(pointer)
        .cloned()
        .unwrap_or(Value::String(MASK.into()))
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
        let masked = mask_documents(&mut predicted, &mut live);
        assert!(!masked.is_empty());
        assert_eq!(predicted["data"], json!({"a": "++++++++", "b": "++++++++"}));
        assert_eq!(live["data"], json!({"a": "++++++++", "b": "++++++++++++"}));
        assert_eq!(live["stringData"], json!("++++++++"));
        assert!(is_sensitive_pointer(&masked, "/data/a"));
        assert!(is_sensitive_pointer(&masked, "/data"));
        assert!(!is_sensitive_pointer(&masked, "/metadata/name"));
        assert_eq!(masked_value(&live, "/data/b"), json!("++++++++++++"));
        assert_eq!(masked_value(&live, "/data/gone"), json!("++++++++"));
        let mut cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "1"}});
        let mut cm2 = cm.clone();
        assert!(mask_documents(&mut cm, &mut cm2).is_empty());
        assert_eq!(cm["data"]["a"], json!("1"));
    }

    #[test]
    fn any_spelling_of_secret_and_credentials_are_masked() {
        for api in ["v2", "/v1", "example.com/v1"] {
            let mut a = json!({"apiVersion": api, "kind": "Secret", "data": {"k": "c2VjcmV0"}});
            let mut b = a.clone();
            assert!(!mask_documents(&mut a, &mut b).is_empty(), "{api}");
            assert_eq!(a["data"]["k"], json!("++++++++"), "{api}");
        }
        let mut d = json!({"kind": "Deployment", "spec": {"template": {"spec": {"containers": [
            {"name": "a", "env": [{"name": "DB_PASSWORD", "value": "hunter2-git"}]}]}}}});
        let mut l = json!({"kind": "Deployment", "spec": {"template": {"spec": {"containers": [
            {"name": "a", "env": [{"name": "DB_PASSWORD", "value": "hunter2-live"}]}]}}}});
        let masked = mask_documents(&mut d, &mut l);
        let p = "/spec/template/spec/containers/0/env/0/value";
        assert!(is_sensitive_pointer(&masked, p));
        assert_eq!(d.pointer(p), Some(&json!("++++++++")));
        assert_eq!(l.pointer(p), Some(&json!("++++++++++++")));
    }
}
