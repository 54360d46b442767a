//! The ordered resource list (`resmap.ResMap` / `resWrangler`): append with duplicate-id
//! checks, absorb generated objects by their behavior, lookups by current or any previous id,
//! and selection by target selectors.

use std::collections::HashSet;

use crate::error::{Error, Result};
use crate::resource::{ResId, Resource};
use crate::selector::SelectorRegex;
use crate::types::Selector;

/// An ordered list of resources.
#[derive(Clone, Debug, Default)]
pub struct ResMap {
    /// The resources, in accumulation order.
    items: Vec<Resource>,
    /// The current ids of `items` (for [`ResMap::append`]'s duplicate check), while no
    /// resource was handed out for change since they were computed.
    ids: Option<HashSet<IdKey>>,
}

/// What makes two current ids equal (`ResId.Equals`): kind, name and effective namespace.
pub(crate) type IdKey = (String, String, String, String, String);

/// The key of a current id: two ids are `ResId.Equals` exactly when their keys are equal.
pub(crate) fn id_key(id: &ResId) -> IdKey {
    (
        id.gvk.group.clone(),
        id.gvk.version.clone(),
        id.gvk.kind.clone(),
        id.name.clone(),
        id.effective_namespace().to_string(),
    )
}

/// Go's `%#v` of a `resid.ResId`.
pub fn go_syntax_id(id: &ResId) -> String {
    format!(
        "resid.ResId{{Gvk:resid.Gvk{{Group:{:?}, Version:{:?}, Kind:{:?}, isClusterScoped:{}}}, Name:{:?}, Namespace:{:?}}}",
        id.gvk.group,
        id.gvk.version,
        id.gvk.kind,
        id.gvk.is_cluster_scoped(),
        id.name,
        id.namespace
    )
}

impl ResMap {
    /// Empty.
    pub fn new() -> ResMap {
        ResMap::default()
    }

    /// A map of these resources (without the duplicate check).
    pub fn from_vec(items: Vec<Resource>) -> ResMap {
        ResMap { items, ids: None }
    }

    /// The resources, in order.
    pub fn list(&self) -> &Vec<Resource> {
        &self.items
    }

    /// The resources, to change (their ids are computed again at the next append).
    pub fn list_mut(&mut self) -> &mut Vec<Resource> {
        self.ids = None;
        &mut self.items
    }

    /// The resources, taken out.
    pub fn into_list(self) -> Vec<Resource> {
        self.items
    }

    /// Number of resources.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// `Append`: fails when the current id is already present.
    pub fn append(&mut self, r: Resource) -> Result<()> {
        let id = r.cur_id();
        let items = &self.items;
        let ids = self
            .ids
            .get_or_insert_with(|| items.iter().map(|x| id_key(&x.cur_id())).collect());
        if !ids.insert(id_key(&id)) {
            return Err(Error::new(format!(
                "may not add resource with an already registered id: {id}"
            )));
        }
        self.items.push(r);
        Ok(())
    }

    /// `AppendAll`.
    pub fn append_all(&mut self, other: Vec<Resource>) -> Result<()> {
        for r in other {
            self.append(r)?;
        }
        Ok(())
    }

    /// Indices of resources any of whose ids (previous or current) matches.
    pub fn by_any_id(&self, m: impl Fn(&ResId) -> bool) -> Vec<usize> {
        let mut out = Vec::new();
        for (i, r) in self.items.iter().enumerate() {
            if r.all_ids().iter().any(&m) {
                out.push(i);
            }
        }
        out
    }

    /// Indices of resources whose current id matches.
    pub fn by_current_id(&self, m: impl Fn(&ResId) -> bool) -> Vec<usize> {
        self.items
            .iter()
            .enumerate()
            .filter(|(_, r)| m(&r.cur_id()))
            .map(|(i, _)| i)
            .collect()
    }

    /// `GetById` (for untargeted strategic-merge patches): exactly one resource any of whose
    /// ids equals `id`.
    pub fn get_by_id(&self, id: &ResId) -> Result<usize> {
        let m = self.by_any_id(|x| id.equals(x));
        match m.len() {
            1 => Ok(m[0]),
            0 => Err(Error::new(format!(
                "no matches for Id {id}; failed to find unique target for patch {id}"
            ))),
            _ => Err(Error::new(format!(
                "multiple matches for Id {id}; failed to find unique target for patch {id}"
            ))),
        }
    }

    /// `AbsorbAll`: add generated resources according to their behavior.
    pub fn absorb_all(&mut self, others: Vec<Resource>) -> Result<()> {
        for r in others {
            self.append_replace_or_merge(r)?;
        }
        Ok(())
    }

    fn append_replace_or_merge(&mut self, mut res: Resource) -> Result<()> {
        let id = res.cur_id();
        let matches = self.by_any_id(|x| id.equals(x));
        let behavior = res.behavior();
        match matches.len() {
            0 => match behavior.as_str() {
                "merge" | "replace" => Err(Error::new(format!(
                    "id {} does not exist; cannot merge or replace",
                    go_syntax_id(&id)
                ))),
                _ => self.append(res),
            },
            1 => {
                let idx = matches[0];
                let old = self.items[idx].clone();
                match behavior.as_str() {
                    "replace" => res.copy_merge_meta_data_fields_from(&old),
                    "merge" => {
                        let orig = old.node.get_annotation(crate::resource::ORIGIN);
                        res.copy_merge_meta_data_fields_from(&old);
                        let mut data = old.node.get_data_map();
                        data.extend(res.node.get_data_map());
                        res.node.set_data_map(&data);
                        let mut bin = old.node.get_binary_data_map();
                        bin.extend(res.node.get_binary_data_map());
                        res.node.set_binary_data_map(&bin);
                        if let Some(o) = orig {
                            let mut a = res.annotations();
                            a.insert(crate::resource::ORIGIN.to_string(), o);
                            res.set_annotations(&a);
                        }
                    }
                    _ => {
                        return Err(Error::new(format!(
                            "id {} exists; behavior must be merge or replace",
                            go_syntax_id(&id)
                        )))
                    }
                }
                // Replace by current id (must be unique).
                let cid = res.cur_id();
                let hits = self.by_current_id(|x| cid.equals(x));
                if hits.len() > 1 {
                    return Err(Error::new(format!(
                        "in Replace: id matched {} resources",
                        hits.len()
                    )));
                }
                if hits.is_empty() {
                    return Err(Error::new(format!(
                        "cannot find resource with id {cid} to replace"
                    )));
                }
                if hits[0] != idx {
                    return Err(Error::new("unexpected target index in replacement"));
                }
                self.list_mut()[idx] = res;
                Ok(())
            }
            _ => {
                let ids: Vec<String> = matches
                    .iter()
                    .map(|i| self.items[*i].cur_id().to_string())
                    .collect();
                Err(Error::new(format!(
                    "found multiple objects [{}] that could accept merge of {id}",
                    ids.join(" ")
                )))
            }
        }
    }

    /// `Select`: indices of resources matching a target selector.
    pub fn select(&self, s: &Selector) -> Result<Vec<usize>> {
        let sr = SelectorRegex::new(s)?;
        let mut out = Vec::new();
        for (i, r) in self.items.iter().enumerate() {
            let cur = r.cur_id();
            let org = r.org_id();
            if !sr.match_namespace(org.effective_namespace())
                && !sr.match_namespace(cur.effective_namespace())
            {
                continue;
            }
            if !sr.match_name(&org.name) && !sr.match_name(&cur.name) {
                continue;
            }
            if !sr.match_gvk(&r.gvk()) {
                continue;
            }
            if !crate::selector::matches_label_selector(&r.node.get_labels(), &s.label_selector)? {
                continue;
            }
            if !crate::selector::matches_label_selector(
                &r.node.get_annotations(),
                &s.annotation_selector,
            )? {
                continue;
            }
            out.push(i);
        }
        Ok(out)
    }

    /// `Remove` by current id.
    pub fn remove(&mut self, id: &ResId) -> Result<()> {
        let before = self.items.len();
        self.list_mut().retain(|r| r.cur_id() != *id);
        if self.items.len() != before - 1 {
            return Err(Error::new(format!("id {id} not found in removal")));
        }
        Ok(())
    }
}
