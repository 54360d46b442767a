//! `ReplicaCountTransformer`: `spec/replicas` (created, `!!int`) on the objects named like
//! the entry (current or previous name) whose kind a field spec selects.

use crate::error::{Error, Result};
use crate::fieldspec::{self, Create};
use crate::resmap::ResMap;
use crate::target::Build;
use crate::types::{FieldSpec, Replica};
use crate::yaml::node::{Kind, Loc, Node, Tag};

/// Applies one `replicas` entry.
pub fn apply(
    b: &mut Build,
    m: &mut ResMap,
    rep: &Replica,
    specs: &[FieldSpec],
    origin: Loc,
) -> Result<()> {
    let mut found = false;
    let tag = Tag::Int;
    for fs in specs {
        let hits = m.by_any_id(|id| id.name == rep.name && id.gvk.is_selected(&fs.gvk));
        if hits.is_empty() {
            continue;
        }
        found = true;
        for i in hits {
            b.charge(1)?;
            let mut set = |n: &mut Node| -> std::result::Result<(), String> {
                fieldspec::set_scalar(n, Node::tagged(Tag::Int, rep.count.to_string()).at(origin))
            };
            fieldspec::apply(
                &mut m.list_mut()[i].node,
                fs,
                Create {
                    kind: Some(Kind::Scalar),
                    tag: &tag,
                },
                &mut set,
            )
            .map_err(Error::new)?;
        }
    }
    if !found {
        let gvks: Vec<String> = specs.iter().map(|f| f.gvk.to_string()).collect();
        return Err(Error::new(format!(
            "resource with name {} does not match a config with the following GVK [{}]",
            rep.name,
            gvks.join(" ")
        )));
    }
    Ok(())
}
