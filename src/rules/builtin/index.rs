//! Shared helper of the reference rules: objects of the checkout and of the dump by name, built
//! once per scan ([`crate::rules::Context::objects`]) so that lookups stay linear in the size of
//! the repository. Not a rule.

use std::collections::HashMap;

use serde_json::Value;

use super::podspec::same_namespace;
use crate::model::object::{LiveObject, Manifest};
use crate::rules::context::is_autoscaler;
use crate::rules::Context;

type Key<'a> = (&'a str, &'a str, &'a str);

/// Objects by (group, kind, name), and autoscalers and generated Secrets by what they target.
pub struct Index<'a> {
    git: HashMap<Key<'a>, Vec<&'a Manifest>>,
    live: HashMap<Key<'a>, Vec<&'a LiveObject>>,
    scalers: HashMap<(&'a str, &'a str), Vec<&'a Manifest>>,
    generated: HashMap<&'a str, Vec<&'a Manifest>>,
    by_namespace: HashMap<(&'a str, &'a str, &'a str), Vec<&'a Manifest>>,
}

impl<'a> Index<'a> {
    /// Indexes the checkout and the dump of `ctx`.
    pub fn new(ctx: &Context<'a>) -> Self {
        let mut git: HashMap<Key<'a>, Vec<&'a Manifest>> = HashMap::new();
        let mut scalers: HashMap<(&'a str, &'a str), Vec<&'a Manifest>> = HashMap::new();
        let mut generated: HashMap<&'a str, Vec<&'a Manifest>> = HashMap::new();
        let mut by_namespace: HashMap<Key<'a>, Vec<&'a Manifest>> = HashMap::new();
        for m in &ctx.repo.manifests {
            let k = &m.key;
            git.entry((&k.group, &k.kind, &k.name)).or_default().push(m);
            by_namespace
                .entry((&k.group, &k.kind, &k.namespace))
                .or_default()
                .push(m);
            if is_autoscaler(m) {
                let r = m.obj.pointer("/spec/scaleTargetRef");
                let name = r.and_then(|r| r.get("name")).and_then(Value::as_str);
                let default_kind = if k.kind == "ScaledObject" {
                    "Deployment"
                } else {
                    ""
                };
                let kind = r
                    .and_then(|r| r.get("kind"))
                    .and_then(Value::as_str)
                    .unwrap_or(default_kind);
                if let Some(name) = name {
                    scalers.entry((kind, name)).or_default().push(m);
                }
            }
            let target = match (k.group.as_str(), k.kind.as_str()) {
                ("bitnami.com", "SealedSecret") => Some(
                    m.obj
                        .pointer("/spec/template/metadata/name")
                        .and_then(Value::as_str)
                        .unwrap_or(&k.name),
                ),
                ("external-secrets.io", "ExternalSecret") => Some(
                    m.obj
                        .pointer("/spec/target/name")
                        .and_then(Value::as_str)
                        .unwrap_or(&k.name),
                ),
                _ => None,
            };
            if let Some(t) = target {
                generated.entry(t).or_default().push(m);
            }
        }
        let mut live: HashMap<Key<'a>, Vec<&'a LiveObject>> = HashMap::new();
        for o in ctx.cluster.iter().flat_map(|c| c.objects.iter()) {
            live.entry((&o.key.group, &o.key.kind, &o.key.name))
                .or_default()
                .push(o);
        }
        Index {
            git,
            live,
            scalers,
            generated,
            by_namespace,
        }
    }

    /// The manifests with this group, kind and name in a namespace that may be `namespace`,
    /// that `from` can refer to ([`Manifest::same_unit`]).
    pub fn git(
        &self,
        from: &Manifest,
        group: &str,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Vec<&'a Manifest> {
        self.git
            .get(&(group, kind, name))
            .into_iter()
            .flatten()
            .filter(|m| same_namespace(&m.key.namespace, namespace) && from.same_unit(m))
            .copied()
            .collect()
    }

    /// The live objects with this group, kind and name in a namespace that may be `namespace`.
    pub fn live(
        &self,
        group: &str,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Vec<&'a LiveObject> {
        self.live
            .get(&(group, kind, name))
            .into_iter()
            .flatten()
            .filter(|o| same_namespace(&o.key.namespace, namespace))
            .copied()
            .collect()
    }

    /// Whether such an object is in the checkout (where `from` can see it) or in the dump
    /// (unless `from` is a chart rendered with its defaults, whose namespace is not real).
    pub fn exists(
        &self,
        from: &Manifest,
        group: &str,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> bool {
        !self.git(from, group, kind, namespace, name).is_empty()
            || (from.default_render_unit().is_none()
                && !self.live(group, kind, namespace, name).is_empty())
    }

    /// The HPA or ScaledObject that targets a workload, if any.
    pub fn autoscaler_of(&self, w: &Manifest) -> Option<&'a Manifest> {
        self.scalers
            .get(&(w.key.kind.as_str(), w.key.name.as_str()))
            .into_iter()
            .flatten()
            .find(|a| same_namespace(&a.key.namespace, &w.key.namespace) && w.same_unit(a))
            .copied()
    }

    /// Whether a SealedSecret or ExternalSecret of the checkout that `from` can see produces
    /// this Secret.
    pub fn generated_secret(&self, from: &Manifest, namespace: &str, name: &str) -> bool {
        self.generated
            .get(name)
            .into_iter()
            .flatten()
            .any(|m| same_namespace(&m.key.namespace, namespace) && from.same_unit(m))
    }

    /// The manifests of a group and kind in a namespace that may be `namespace` (all of them for
    /// an empty namespace) that `from` can refer to.
    pub fn in_namespace(
        &self,
        from: &Manifest,
        group: &str,
        kind: &str,
        namespace: &str,
    ) -> Vec<&'a Manifest> {
        let mut out = self.in_namespace_any(group, kind, namespace);
        out.retain(|m| from.same_unit(m));
        out
    }

    fn in_namespace_any(&self, group: &str, kind: &str, namespace: &str) -> Vec<&'a Manifest> {
        if namespace.is_empty() {
            return self
                .by_namespace
                .iter()
                .filter(|((g, k, _), _)| *g == group && *k == kind)
                .flat_map(|(_, v)| v.iter().copied())
                .collect();
        }
        let mut out: Vec<&'a Manifest> = Vec::new();
        for ns in [namespace, ""] {
            out.extend(
                self.by_namespace
                    .get(&(group, kind, ns))
                    .into_iter()
                    .flatten()
                    .copied(),
            );
        }
        out
    }
}
