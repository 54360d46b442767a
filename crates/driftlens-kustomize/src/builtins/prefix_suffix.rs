//! `PrefixTransformer`, `SuffixTransformer` (and `PrefixSuffixTransformer`): names get the
//! prefix/suffix through the field specs, except CRDs, APIServices and Namespaces; the old id
//! and the prefix are recorded for reference fixing.

use crate::error::{Error, Result};
use crate::fieldspec::{self, Create};
use crate::resmap::ResMap;
use crate::resource::ResId;
use crate::target::Build;
use crate::types::{FieldSpec, Gvk};
use crate::yaml::node::{Kind, Loc, Node, Tag};

fn should_skip(id: &ResId) -> bool {
    let skip = [
        Gvk::new("", "", "CustomResourceDefinition"),
        Gvk::new("apiregistration.k8s.io", "", "APIService"),
        Gvk::new("", "", "Namespace"),
    ];
    skip.iter().any(|g| id.gvk.is_selected(g))
}

/// Applies a prefix (`suffix == false`) or a suffix.
pub fn apply(
    b: &mut Build,
    m: &mut ResMap,
    affix: &str,
    specs: &[FieldSpec],
    suffix: bool,
    origin: Loc,
) -> Result<()> {
    let tag = Tag::Str;
    for r in m.list_mut().iter_mut() {
        let id = r.org_id();
        if should_skip(&id) {
            continue;
        }
        for fs in specs {
            if !id.gvk.is_selected(&fs.gvk) {
                continue;
            }
            b.charge(1)?;
            if fs.path == "metadata/name" {
                if suffix {
                    r.add_name_suffix(affix);
                } else {
                    r.add_name_prefix(affix);
                }
                if !affix.is_empty() {
                    r.store_previous_id();
                }
            }
            let mut set = |n: &mut Node| -> std::result::Result<(), String> {
                let v = if suffix {
                    format!("{}{affix}", n.value())
                } else {
                    format!("{affix}{}", n.value())
                };
                fieldspec::set_scalar(n, Node::scalar(v).at(origin))
            };
            fieldspec::apply(
                &mut r.node,
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
    Ok(())
}
