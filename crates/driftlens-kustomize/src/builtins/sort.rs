//! Output order (`SortOrderTransformer` / kustomize's `applySortOrder`): the top-level
//! `sortOptions`, else `--reorder`, else legacy. Legacy order ranks kinds (orderFirst
//! negative, orderLast positive, others 0), then compares `group_version_kind` (`~G` for the
//! core group, so core sorts after named groups, except between two Namespaces), then
//! `Kind.version.group|namespace|name` (`~X` for no namespace).

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::resmap::ResMap;
use crate::resource::{ResId, LEGACY_FIRST, LEGACY_LAST};
use crate::target::Build;
use crate::types::{Gvk, SortOptions};
use crate::Reorder;

fn gvk_sort_string(g: &Gvk) -> String {
    g.stable_sort_string()
}

fn id_sort_string(id: &ResId) -> String {
    let ns = if id.namespace.is_empty() {
        "~X"
    } else {
        &id.namespace
    };
    let nm = if id.name.is_empty() { "~N" } else { &id.name };
    format!("{}|{ns}|{nm}", id.gvk)
}

fn less(a: &ResId, b: &ResId, orders: &HashMap<String, i64>) -> bool {
    if a.gvk != b.gvk {
        let i1 = orders.get(&a.gvk.kind).copied().unwrap_or(0);
        let i2 = orders.get(&b.gvk.kind).copied().unwrap_or(0);
        if i1 != i2 {
            return i1 < i2;
        }
        if a.gvk.kind == "Namespace"
            && b.gvk.kind == "Namespace"
            && (a.gvk.group.is_empty() || b.gvk.group.is_empty())
        {
            return gvk_sort_string(&a.gvk) > gvk_sort_string(&b.gvk);
        }
        return gvk_sort_string(&a.gvk) < gvk_sort_string(&b.gvk);
    }
    id_sort_string(a) < id_sort_string(b)
}

/// Sorts by kustomize's legacy order.
pub fn legacy_sort(m: &mut ResMap, first: &[String], last: &[String]) -> Result<()> {
    let mut orders: HashMap<String, i64> = HashMap::new();
    for (i, n) in first.iter().enumerate() {
        orders.insert(n.clone(), i as i64 - first.len() as i64);
    }
    for (i, n) in last.iter().enumerate() {
        orders.insert(n.clone(), 1 + i as i64);
    }
    let list = std::mem::take(m.list_mut());
    let mut keyed: Vec<(ResId, crate::resource::Resource)> =
        list.into_iter().map(|r| (r.cur_id(), r)).collect();
    keyed.sort_by(|a, b| {
        if less(&a.0, &b.0, &orders) {
            std::cmp::Ordering::Less
        } else if less(&b.0, &a.0, &orders) {
            std::cmp::Ordering::Greater
        } else {
            std::cmp::Ordering::Equal
        }
    });
    for (_, r) in keyed {
        m.append(r)
            .map_err(|e| e.prefix("SortOrderTransformer: Failed to append to resources"))?;
    }
    Ok(())
}

/// `Kustomizer.applySortOrder`.
pub fn apply_sort(b: &mut Build, m: &mut ResMap, so: Option<&SortOptions>) -> Result<()> {
    let strs = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    match so {
        Some(so) => {
            if b.opts.reorder != Reorder::Unspecified {
                b.warnings.push(
                    "Warning: Sorting order is set both in 'kustomization.yaml' ('sortOptions') \
                     and in a CLI flag ('--reorder'). Using the kustomization file over the CLI \
                     flag."
                        .into(),
                );
            }
            let order = so.order.as_str();
            if order != "fifo" && order != "legacy" {
                return Err(Error::new(
                    "the field 'sortOptions.order' must be one of [fifo, legacy]",
                ));
            }
            if order == "fifo" && so.legacy.is_some() {
                return Err(Error::new(format!(
                    "the field 'sortOptions.legacySortOptions' is set but the selected sort order is '{order}', not 'legacy'"
                )));
            }
            if order == "legacy" {
                let (first, last) = match &so.legacy {
                    Some((f, l)) => (f.clone(), l.clone()),
                    None => (strs(LEGACY_FIRST), strs(LEGACY_LAST)),
                };
                legacy_sort(m, &first, &last)?;
            }
            Ok(())
        }
        None => match b.opts.reorder {
            Reorder::None => Ok(()),
            _ => legacy_sort(m, &strs(LEGACY_FIRST), &strs(LEGACY_LAST)),
        },
    }
}
