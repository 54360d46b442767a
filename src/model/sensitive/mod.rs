//! The one masking policy: which values of an object are secret.
//!
//! Every place that shows, hands on or compares object values uses it — source snippets, diffs,
//! finding messages, the objects given to Lua health scripts and to rules written as data, and
//! the last-line scrubber of everything written. A value is secret when it is:
//!
//! - a `data` or `stringData` value of any object whose parsed `kind` is `Secret` (the core
//!   kind, a `v2` or `/v1` spelling, or a custom resource of that name: identity, not spelling,
//!   decides, and over-masking is cheap);
//! - a `spec.encryptedData` or `spec.template.data`/`stringData` value of a `SealedSecret`;
//! - the `kubectl.kubernetes.io/last-applied-configuration` annotation of those, or of any
//!   object whose annotation holds such a kind;
//! - a literal credential in an environment variable of a pod template (a credential-like name
//!   with a literal value, [`names`]);
//! - a credential-like `data` value of a `ConfigMap` ([`content`]).

pub mod content;
pub mod names;

use std::borrow::Cow;

use serde_json::Value;

use crate::load::yaml::escape_pointer_token;

/// What a secret value is replaced by (Argo CD's mask).
pub const MASK: &str = "++++++++";

/// The annotation kubectl writes with the whole applied object.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Kinds whose values are secret, whatever their group or version.
pub fn is_secret_kind(kind: &str) -> bool {
    matches!(kind, "Secret" | "SealedSecret")
}

fn kind_of(obj: &Value) -> &str {
    obj.get("kind").and_then(Value::as_str).unwrap_or("")
}

/// Whether `obj` is an object whose values are secret ([`is_secret_kind`]).
pub fn is_secret_object(obj: &Value) -> bool {
    is_secret_kind(kind_of(obj))
}

/// The pointers of the entries of the map at `at` (or of `at` itself when it is another value).
fn entries(obj: &Value, at: &str, out: &mut Vec<String>) {
    match obj.pointer(at) {
        Some(Value::Object(m)) => {
            out.extend(
                m.keys()
                    .map(|k| format!("{at}/{}", escape_pointer_token(k))),
            );
        }
        Some(Value::Null) | None => {}
        Some(_) => out.push(at.to_string()),
    }
}

/// Where workloads keep their pod spec: over-approximated by shape, whatever the kind.
const POD_SPECS: &[&str] = &[
    "/spec",
    "/spec/template/spec",
    "/spec/jobTemplate/spec/template/spec",
    "/template/spec",
];

/// Pointers of the environment values of pod templates that hold a literal credential.
pub fn env_credential_pointers(obj: &Value, out: &mut Vec<String>) {
    for spec in POD_SPECS {
        let Some(Value::Object(pod)) = obj.pointer(spec) else {
            continue;
        };
        for list in ["containers", "initContainers", "ephemeralContainers"] {
            let Some(Value::Array(containers)) = pod.get(list) else {
                continue;
            };
            for (ci, c) in containers.iter().enumerate() {
                let Some(Value::Array(env)) = c.get("env") else {
                    continue;
                };
                for (ei, e) in env.iter().enumerate() {
                    let name = e.get("name").and_then(Value::as_str).unwrap_or("");
                    let value = e.get("value").and_then(Value::as_str).unwrap_or("");
                    if names::is_sensitive_name(name) && names::is_literal_value(value) {
                        out.push(format!("{spec}/{list}/{ci}/env/{ei}/value"));
                    }
                }
            }
        }
    }
}

/// Pointers of the `data` values of a ConfigMap that look like credentials.
pub fn configmap_credential_pointers(obj: &Value, out: &mut Vec<String>) {
    if kind_of(obj) != "ConfigMap" {
        return;
    }
    let Some(Value::Object(data)) = obj.get("data") else {
        return;
    };
    for (key, value) in data {
        let Some(value) = value.as_str() else {
            continue;
        };
        if content::secret_content(value).is_some()
            || (!value.contains('\n')
                && names::is_sensitive_name(key)
                && names::is_literal_value(value))
            || (value.contains('\n') && content::sensitive_line(value).is_some())
        {
            out.push(format!("/data/{}", escape_pointer_token(key)));
        }
    }
}

/// The pointer of the last-applied annotation.
pub fn last_applied_pointer() -> String {
    format!(
        "/metadata/annotations/{}",
        escape_pointer_token(LAST_APPLIED)
    )
}

/// The pointers of every secret value of `obj`, by the policy of this module.
pub fn sensitive_pointers(obj: &Value) -> Vec<String> {
    let mut out = Vec::new();
    match kind_of(obj) {
        "Secret" => {
            entries(obj, "/data", &mut out);
            entries(obj, "/stringData", &mut out);
        }
        "SealedSecret" => {
            entries(obj, "/spec/encryptedData", &mut out);
            entries(obj, "/spec/template/data", &mut out);
            entries(obj, "/spec/template/stringData", &mut out);
        }
        _ => {}
    }
    let la = last_applied_pointer();
    if let Some(text) = obj.pointer(&la).and_then(Value::as_str) {
        // The applied object holds the same values: any secret in it hides it all.
        let secret = is_secret_object(obj)
            || match serde_json::from_str::<Value>(text) {
                Ok(v) => !sensitive_pointers(&v).is_empty(),
                Err(_) => text.contains("Secret"),
            };
        if secret {
            out.push(la);
        }
    }
    env_credential_pointers(obj, &mut out);
    configmap_credential_pointers(obj, &mut out);
    out.sort();
    out.dedup();
    out
}

/// Whether `pointer` is a secret value of `obj`, or inside one, or holds one.
pub fn is_sensitive_pointer(obj: &Value, pointer: &str) -> bool {
    sensitive_pointers(obj).iter().any(|p| overlaps(p, pointer))
}

/// Whether one pointer is the other or an ancestor of it.
pub fn overlaps(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    long == short || long.starts_with(&format!("{short}/")) || short.is_empty()
}

/// `obj` with every secret value replaced by [`MASK`] (borrowed when there is none).
pub fn masked(obj: &Value) -> Cow<'_, Value> {
    let pointers = sensitive_pointers(obj);
    if pointers.is_empty() {
        return Cow::Borrowed(obj);
    }
    let mut out = obj.clone();
    for p in pointers {
        if let Some(v) = out.pointer_mut(&p) {
            *v = Value::String(MASK.to_string());
        }
    }
    Cow::Owned(out)
}

/// Appends the secret strings of `obj` (for the scrubber): each secret value as written and
/// in the other encoding (a `data` value decoded from base64, a `stringData` value encoded),
/// and the secrets inside its last-applied annotation.
pub fn secret_strings(obj: &Value, out: &mut Vec<Vec<u8>>) {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    for p in sensitive_pointers(obj) {
        let Some(v) = obj.pointer(&p) else {
            continue;
        };
        if p == last_applied_pointer() {
            if let Some(inner) = v
                .as_str()
                .and_then(|t| serde_json::from_str::<Value>(t).ok())
            {
                secret_strings(&inner, out);
            }
            continue;
        }
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Null => continue,
            other => other.to_string(),
        };
        let encoded = p.starts_with("/data/") && kind_of(obj) == "Secret"
            || p.starts_with("/spec/template/data/")
            || p.starts_with("/spec/encryptedData/");
        if encoded {
            if let Ok(plain) = b64.decode(text.trim()) {
                out.push(plain);
            }
        } else {
            out.push(b64.encode(text.as_bytes()).into_bytes());
        }
        out.push(text.into_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn identity_not_spelling_decides() {
        for api in ["v1", "v2", "/v1", "example.com/v1", ""] {
            let s = json!({"apiVersion": api, "kind": "Secret", "data": {"a": "eA=="},
                "stringData": {"b": "x"}});
            assert_eq!(
                sensitive_pointers(&s),
                vec!["/data/a", "/stringData/b"],
                "{api}"
            );
        }
        let sealed = json!({"kind": "SealedSecret", "spec": {"encryptedData": {"a": "zz"},
            "template": {"data": {"b": "y"}}}});
        assert_eq!(
            sensitive_pointers(&sealed),
            vec!["/spec/encryptedData/a", "/spec/template/data/b"]
        );
        let cm = json!({"kind": "ConfigMap", "data": {"mode": "fast", "db_password": "hunter2x"}});
        assert_eq!(sensitive_pointers(&cm), vec!["/data/db_password"]);
    }

    #[test]
    fn credentials_in_pod_templates_and_last_applied() {
        let d = json!({"kind": "Deployment", "metadata": {"annotations": {
                LAST_APPLIED: "{\"kind\":\"Deployment\",\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"env\":[{\"name\":\"API_TOKEN\",\"value\":\"t0ken-value\"}]}]}}}}"}},
            "spec": {"template": {"spec": {"containers": [{"name": "a", "env": [
                {"name": "API_TOKEN", "value": "t0ken-value"},
                {"name": "MODE", "value": "fast"}]}]}}}});
        assert_eq!(
            sensitive_pointers(&d),
            vec![
                "/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration",
                "/spec/template/spec/containers/0/env/0/value"
            ]
        );
        let m = masked(&d);
        assert_eq!(
            m.pointer("/spec/template/spec/containers/0/env/0/value"),
            Some(&json!(MASK))
        );
        assert_eq!(
            m.pointer("/spec/template/spec/containers/0/env/1/value"),
            Some(&json!("fast"))
        );
        let plain = json!({"kind": "Deployment", "spec": {}});
        assert!(matches!(masked(&plain), Cow::Borrowed(_)));
        assert!(is_sensitive_pointer(
            &d,
            "/spec/template/spec/containers/0/env/0"
        ));
        assert!(is_sensitive_pointer(
            &d,
            "/spec/template/spec/containers/0/env/0/value"
        ));
        assert!(!is_sensitive_pointer(
            &d,
            "/spec/template/spec/containers/0/env/1/value"
        ));
    }

    #[test]
    fn secret_strings_cover_both_encodings() {
        let s = json!({"kind": "Secret", "data": {"a": "c2VjcmV0LXZhbHVl"},
            "stringData": {"b": "plain-value"}});
        let mut out = Vec::new();
        secret_strings(&s, &mut out);
        let text: Vec<String> = out
            .iter()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect();
        for want in [
            "c2VjcmV0LXZhbHVl",
            "secret-value",
            "plain-value",
            "cGxhaW4tdmFsdWU=",
        ] {
            assert!(text.iter().any(|t| t == want), "{want}: {text:?}");
        }
    }
}
