//! `LabelTransformer` and `AnnotationsTransformer`: each label or annotation (in key order)
//! is set through every field spec, creating missing maps; plus the managed-by label.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::fieldspec::{self, Create};
use crate::resmap::ResMap;
use crate::target::Build;
use crate::types::FieldSpec;
use crate::yaml::node::{Kind, Loc, Tag};

/// Sets `entries` at every field spec of every resource (`labels.Filter` / `annotations.Filter`).
pub fn apply_map(
    b: &mut Build,
    m: &mut ResMap,
    entries: &BTreeMap<String, String>,
    specs: &[FieldSpec],
    origin: Loc,
) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let tag = Tag::Map;
    for r in m.list_mut().iter_mut() {
        b.charge((entries.len() * specs.len()) as u64)?;
        for (k, v) in entries {
            for fs in specs {
                let mut set = |n: &mut crate::yaml::node::Node| -> std::result::Result<(), String> {
                    fieldspec::set_entry(n, k, v, Tag::Str)?;
                    if let Some(val) = n.field_mut(k) {
                        val.loc = origin;
                    }
                    Ok(())
                };
                fieldspec::apply(
                    &mut r.node,
                    fs,
                    Create {
                        kind: Some(Kind::Map),
                        tag: &tag,
                    },
                    &mut set,
                )
                .map_err(Error::new)?;
            }
        }
    }
    Ok(())
}

/// `app.kubernetes.io/managed-by: kustomize-(devel)` on every resource (kubectl's build).
pub fn add_managed_by(m: &mut ResMap) -> Result<()> {
    let mut labels = BTreeMap::new();
    labels.insert(
        "app.kubernetes.io/managed-by".to_string(),
        "kustomize-(devel)".to_string(),
    );
    let fs = FieldSpec {
        path: "metadata/labels".into(),
        create: true,
        ..FieldSpec::default()
    };
    let tag = Tag::Map;
    for r in m.list_mut().iter_mut() {
        for (k, v) in &labels {
            let mut set = |n: &mut crate::yaml::node::Node| fieldspec::set_entry(n, k, v, Tag::Str);
            fieldspec::apply(
                &mut r.node,
                &fs,
                Create {
                    kind: Some(Kind::Map),
                    tag: &tag,
                },
                &mut set,
            )
            .map_err(Error::new)?;
        }
    }
    Ok(())
}
