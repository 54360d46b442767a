//! `secret-managed-by-controller`: a plain `Secret` in Git that a secret controller also
//! writes — its live counterpart is owned by an `ExternalSecret` or `SealedSecret`, or a
//! generator in Git or in the dump produces a Secret of the same name. Documentation:
//! `rules/secret-managed-by-controller.md`. Never prints Secret values.

use serde_json::{json, Value};

use crate::model::object::Location;
use crate::rules::{Context, Finding, RuleMeta};

/// A resource that makes a controller write a Secret.
struct Generator {
    kind: String,
    name: String,
    namespace: String,
    /// The Secret it writes.
    target: String,
    /// ESO `creationPolicy` (`Owner` when unset).
    policy: String,
    /// The Secret keys it writes, when known (ESO `spec.data[].secretKey` without `dataFrom`
    /// or a template).
    keys: Option<Vec<String>>,
    /// Where it is written in Git, when it is.
    location: Option<Location>,
}

/// Whether objects of this group and kind write a Secret (see [`generator`]).
fn is_generator(group: &str, kind: &str) -> bool {
    matches!(
        (group, kind),
        ("external-secrets.io", "ExternalSecret")
            | ("bitnami.com", "SealedSecret")
            | (
                "secrets.hashicorp.com",
                "VaultStaticSecret" | "VaultDynamicSecret" | "VaultPKISecret"
            )
    )
}

fn generator(group: &str, kind: &str, obj: &Value) -> Option<(String, String)> {
    let name = obj.pointer("/metadata/name").and_then(Value::as_str)?;
    let s = |p: &str| {
        obj.pointer(p)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    match (group, kind) {
        ("external-secrets.io", "ExternalSecret") => Some((
            s("/spec/target/name").unwrap_or(name).to_string(),
            s("/spec/target/creationPolicy")
                .unwrap_or("Owner")
                .to_string(),
        )),
        ("bitnami.com", "SealedSecret") => Some((
            s("/spec/template/metadata/name")
                .unwrap_or(name)
                .to_string(),
            "Owner".into(),
        )),
        (
            "secrets.hashicorp.com",
            "VaultStaticSecret" | "VaultDynamicSecret" | "VaultPKISecret",
        ) => Some((s("/spec/destination/name")?.to_string(), "Owner".into())),
        _ => None,
    }
}

fn eso_keys(obj: &Value) -> Option<Vec<String>> {
    if obj.pointer("/spec/dataFrom").is_some() || obj.pointer("/spec/target/template").is_some() {
        return None;
    }
    Some(
        obj.pointer("/spec/data")?
            .as_array()?
            .iter()
            .filter_map(|d| d.get("secretKey")?.as_str().map(str::to_string))
            .collect(),
    )
}

fn same_ns(a: &str, b: &str) -> bool {
    a.is_empty() || b.is_empty() || a == b
}

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    let ns_of = |mi: usize| -> String {
        let m = &ctx.repo.manifests[mi];
        ctx.apps_of(mi)
            .next()
            .map(|a| ctx.effective_key(m, a).namespace)
            .unwrap_or_else(|| m.key.namespace.clone())
    };
    let mut gens: Vec<Generator> = Vec::new();
    for (mi, m) in ctx.repo.manifests.iter().enumerate() {
        if let Some((target, policy)) = generator(&m.key.group, &m.key.kind, &m.obj) {
            gens.push(Generator {
                kind: m.key.kind.clone(),
                name: m.key.name.clone(),
                namespace: ns_of(mi),
                target,
                policy,
                keys: eso_keys(&m.obj),
                location: Some(m.locate_kind()),
            });
        }
    }
    // Filter by kind first: only the generators of the dump are parsed.
    let live_generators = ctx
        .cluster
        .iter()
        .flat_map(|c| c.objects.iter())
        .filter(|o| is_generator(&o.key.group, &o.key.kind));
    for o in live_generators {
        if let Some((target, policy)) = generator(&o.key.group, &o.key.kind, o.obj()) {
            let known = gens.iter().any(|g| {
                g.kind == o.key.kind
                    && g.name == o.key.name
                    && same_ns(&g.namespace, &o.key.namespace)
            });
            if !known {
                gens.push(Generator {
                    kind: o.key.kind.clone(),
                    name: o.key.name.clone(),
                    namespace: o.key.namespace.clone(),
                    target,
                    policy,
                    keys: eso_keys(o.obj()),
                    location: None,
                });
            }
        }
    }
    for (mi, m) in ctx.repo.manifests.iter().enumerate() {
        if !(m.key.group.is_empty() && m.key.kind == "Secret") {
            continue;
        }
        let ns = ns_of(mi);
        let owner = ctx.live_of(mi).and_then(|l| {
            l.owner_references().iter().find_map(|r| {
                let kind = r.kind()?;
                let name = r.name()?;
                matches!(kind, "ExternalSecret" | "SealedSecret")
                    .then(|| (kind.to_string(), name.to_string()))
            })
        });
        let git_keys: Vec<&str> = ["data", "stringData"]
            .iter()
            .filter_map(|f| m.obj.get(*f)?.as_object())
            .flat_map(|o| o.keys().map(String::as_str))
            .collect();
        // Keys both write, for Merge writers (names only, never values).
        let mut shared: Vec<String> = Vec::new();
        let writers: Vec<&Generator> = gens
            .iter()
            .filter(|g| g.target == m.key.name && same_ns(&g.namespace, &ns))
            .filter(|g| g.policy != "None")
            .filter(|g| {
                if g.policy != "Merge" {
                    return true;
                }
                match &g.keys {
                    None => true,
                    Some(keys) => {
                        let both: Vec<String> = keys
                            .iter()
                            .filter(|k| git_keys.contains(&k.as_str()))
                            .cloned()
                            .collect();
                        shared.extend(both.iter().cloned());
                        !both.is_empty()
                    }
                }
            })
            .collect();
        shared.sort();
        shared.dedup();
        if owner.is_none() && writers.is_empty() {
            continue;
        }
        let mut who: Vec<String> = Vec::new();
        if let Some((k, n)) = &owner {
            who.push(format!("the live Secret is owned by {k} `{n}`"));
        }
        for g in &writers {
            if owner
                .as_ref()
                .is_some_and(|(k, n)| k == &g.kind && n == &g.name)
            {
                continue;
            }
            who.push(format!(
                "{} `{}`{} writes a Secret of this name",
                g.kind,
                g.name,
                if g.location.is_some() {
                    " in Git"
                } else {
                    " in the cluster"
                }
            ));
        }
        let merge_only = owner.is_none() && writers.iter().all(|g| g.policy == "Merge");
        let mut f = Finding::new(
            meta,
            if merge_only {
                format!(
                    "Secret `{}` is in Git and {}, with `creationPolicy: Merge`: the controller \
                     writes its keys into this Secret, and {} also set in Git, so Argo CD and the \
                     controller rewrite them in turn. Keep only the keys the controller does not \
                     write in Git",
                    m.key.name,
                    who.join("; "),
                    if shared.is_empty() {
                        "its keys (from `dataFrom` or a template) may be".to_string()
                    } else {
                        format!(
                            "{} {}",
                            shared
                                .iter()
                                .map(|k| format!("`{k}`"))
                                .collect::<Vec<_>>()
                                .join(", "),
                            if shared.len() == 1 { "is" } else { "are" }
                        )
                    }
                )
            } else {
                format!(
                    "Secret `{}` is in Git and {}: two writers fight over it — Argo CD applies \
                     the Git data, the controller writes its own back, and the Secret flips \
                     between them (or the controller refuses to take it over). Remove the plain \
                     Secret from Git and let the controller own it",
                    m.key.name,
                    who.join("; ")
                )
            },
            m.locate("/metadata/name"),
        )
        .with_object(&m.key)
        .with_property(
            "writers",
            json!(writers
                .iter()
                .map(|g| format!("{}/{}", g.kind, g.name))
                .collect::<Vec<_>>()),
        );
        if merge_only {
            f.severity = crate::rules::Severity::Warning;
        }
        for g in &writers {
            if let Some(l) = &g.location {
                f = f.with_related(
                    l.clone(),
                    format!("{} `{}` writes Secret `{}`", g.kind, g.name, g.target),
                );
            }
        }
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generators_and_their_targets() {
        let es = json!({"metadata": {"name": "db"}, "spec": {"target": {"name": "creds", "creationPolicy": "Merge"}}});
        assert_eq!(
            generator("external-secrets.io", "ExternalSecret", &es),
            Some(("creds".into(), "Merge".into()))
        );
        let ss = json!({"metadata": {"name": "tok"}, "spec": {"template": {"metadata": {}}}});
        assert_eq!(
            generator("bitnami.com", "SealedSecret", &ss),
            Some(("tok".into(), "Owner".into()))
        );
        assert_eq!(generator("", "Secret", &ss), None);
        let with_from = json!({"spec": {"dataFrom": [{}], "data": [{"secretKey": "a"}]}});
        assert_eq!(eso_keys(&with_from), None);
        let plain = json!({"spec": {"data": [{"secretKey": "a"}]}});
        assert_eq!(eso_keys(&plain), Some(vec!["a".to_string()]));
    }
}
