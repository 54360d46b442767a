//! `NamespaceTransformer`: `metadata.namespace` on every object that is not certainly
//! cluster-scoped, the namespace-valued field specs, and (Cluster)RoleBinding subjects named
//! `default` (or every ServiceAccount subject, per `setRoleBindingSubjects`).

use crate::error::{Error, Result};
use crate::fieldspec::{self, Create};
use crate::resmap::ResMap;
use crate::target::Build;
use crate::types::{FieldSpec, Gvk};
use crate::yaml::node::{Kind, Loc, Node, Tag};

/// The transformer's settings.
#[derive(Clone, Debug, Default)]
pub struct NamespaceConfig {
    /// Namespace.
    pub namespace: String,
    /// Field specs.
    pub specs: Vec<FieldSpec>,
    /// Only fill empty namespaces.
    pub unset_only: bool,
    /// `defaultOnly` | `allServiceAccounts` | `none`.
    pub role_binding_subjects: String,
}

fn set_ns(
    n: &mut Node,
    ns: &str,
    unset_only: bool,
    origin: Loc,
) -> std::result::Result<(), String> {
    if unset_only && !n.is_nil_or_empty() && n.kind() == Kind::Scalar && !n.value().is_empty() {
        return Ok(());
    }
    fieldspec::set_scalar(n, Node::tagged(Tag::Str, ns).at(origin))
}

fn apply_one(b: &mut Build, node: &mut Node, c: &NamespaceConfig, origin: Loc) -> Result<()> {
    let api_version = node.get_api_version().to_string();
    let mut specs: Vec<FieldSpec> = c
        .specs
        .iter()
        .filter(|f| {
            f.path != "metadata/namespace" && (api_version == "v1" || f.path != "metadata/name")
        })
        .cloned()
        .collect();
    let gvk = Gvk::from_api_version(&api_version, node.get_kind());
    let ns = c.namespace.as_str();
    if !gvk.is_cluster_scoped() {
        let fs = FieldSpec {
            path: "metadata/namespace".into(),
            create: true,
            ..FieldSpec::default()
        };
        let none = Tag::None;
        let mut set = |n: &mut Node| set_ns(n, ns, c.unset_only, origin);
        fieldspec::apply(
            node,
            &fs,
            Create {
                kind: Some(Kind::Scalar),
                tag: &none,
            },
            &mut set,
        )
        .map_err(Error::new)?;
    }
    let is_rb = gvk.kind == "RoleBinding" || gvk.kind == "ClusterRoleBinding";
    if is_rb {
        specs.retain(|f| {
            !((f.gvk.kind == "RoleBinding" || f.gvk.kind == "ClusterRoleBinding")
                && f.path == "subjects/namespace")
        });
        let mode = c.role_binding_subjects.as_str();
        if mode != "none" {
            if let Some(subjects) = node.field_mut("subjects") {
                if let Some(items) = subjects.items_mut() {
                    for s in items.iter_mut() {
                        let hit = match mode {
                            "allServiceAccounts" => s
                                .field("kind")
                                .is_some_and(|k| k.value() == "ServiceAccount"),
                            _ => s.field("name").is_some_and(|k| k.value() == "default"),
                        };
                        if !hit {
                            continue;
                        }
                        if let Some(f) = s.lookup_create("namespace", Kind::Scalar) {
                            set_ns(f, ns, c.unset_only, origin).map_err(Error::new)?;
                        }
                    }
                }
            }
        }
    }
    let tag = Tag::Str;
    for fs in &specs {
        b.charge(1)?;
        let mut set = |n: &mut Node| set_ns(n, ns, c.unset_only, origin);
        fieldspec::apply(
            node,
            fs,
            Create {
                kind: Some(Kind::Scalar),
                tag: &tag,
            },
            &mut set,
        )
        .map_err(|e| Error::new(e).prefix("namespace transformation failed"))?;
    }
    Ok(())
}

/// Applies the namespace transformer.
pub fn apply(b: &mut Build, m: &mut ResMap, c: &NamespaceConfig, origin: Loc) -> Result<()> {
    if c.namespace.is_empty() {
        return Ok(());
    }
    // How many resources hold each current id, kept up to date as they are transformed, so
    // that the uniqueness check after each one is not a scan of all of them.
    let mut counts: std::collections::HashMap<crate::resmap::IdKey, usize> =
        std::collections::HashMap::new();
    for r in m.list() {
        *counts
            .entry(crate::resmap::id_key(&r.cur_id()))
            .or_default() += 1;
    }
    for i in 0..m.list().len() {
        if m.list()[i].node.is_nil_or_empty() {
            continue;
        }
        let before = crate::resmap::id_key(&m.list()[i].cur_id());
        m.list_mut()[i].store_previous_id();
        apply_one(b, &mut m.list_mut()[i].node, c, origin)?;
        let id = m.list()[i].cur_id();
        let key = crate::resmap::id_key(&id);
        if let Some(n) = counts.get_mut(&before) {
            *n = n.saturating_sub(1);
        }
        let n = counts.entry(key).or_default();
        *n += 1;
        if *n == 1 {
            continue;
        }
        let matches = m.by_current_id(|x| id.equals(x));
        if matches.len() != 1 {
            let objs: Vec<String> = matches
                .iter()
                .map(|j| crate::builtins::resource_text(&m.list()[*j]))
                .collect();
            return Err(Error::new(format!(
                "namespace transformation produces ID conflict: [{}]",
                objs.join(" ")
            )));
        }
    }
    Ok(())
}
