//! `secret-plaintext-in-git`: a core `Secret` with `data` or `stringData` values committed in
//! Git. SealedSecrets and ExternalSecrets are other kinds and never match; SOPS-encrypted files
//! are recognised by their `sops` metadata or `ENC[…]` values. The values are never printed.
//! Documentation: `rules/secret-plaintext-in-git.md`.

use serde_json::{json, Value};

use crate::model::object::Manifest;
use crate::rules::{Context, Finding, RuleMeta};

/// Whether a manifest is a core `Secret`.
pub fn is_secret(m: &Manifest) -> bool {
    m.key.group.is_empty() && m.key.kind == "Secret"
}

fn is_sops(obj: &Value) -> bool {
    obj.get("sops").is_some()
}

/// The keys of `data` and `stringData` that hold a non-empty, non-encrypted value.
fn plaintext_keys(obj: &Value) -> Vec<String> {
    let mut keys = std::collections::BTreeSet::new();
    for field in ["data", "stringData"] {
        if let Some(Value::Object(map)) = obj.get(field) {
            for (k, v) in map {
                let plain = match v {
                    Value::String(s) => !s.is_empty() && !s.starts_with("ENC["),
                    Value::Null => false,
                    _ => true,
                };
                if plain {
                    keys.insert(k.clone());
                }
            }
        }
    }
    keys.into_iter().collect()
}

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for m in ctx.repo.manifests.iter().filter(|m| is_secret(m)) {
        if is_sops(&m.obj) {
            continue;
        }
        let keys = plaintext_keys(&m.obj);
        if keys.is_empty() {
            continue;
        }
        let field = if m.node.pointer("/data").is_some() {
            "/data"
        } else {
            "/stringData"
        };
        let shown: Vec<String> = keys.iter().take(10).map(|k| format!("`{k}`")).collect();
        let more = if keys.len() > 10 {
            format!(" and {} more", keys.len() - 10)
        } else {
            String::new()
        };
        let message = format!(
            "Secret `{}` commits plaintext values for {} {}{} to Git (values not shown); anyone \
             with read access to the repository can read them. Encrypt it (SealedSecret, SOPS) or \
             reference an external store (ExternalSecret), and rotate the exposed credentials",
            m.key.name,
            if keys.len() == 1 { "key" } else { "keys" },
            shown.join(", "),
            more
        );
        out.push(
            Finding::new(meta, message, m.locate(field))
                .with_object(&m.key)
                .with_pointer(field)
                .with_property("keys", json!(keys)),
        );
    }
}
