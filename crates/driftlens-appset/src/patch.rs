//! `templatePatch`: a rendered YAML or JSON document applied to a generated Application as a
//! Kubernetes strategic merge patch over the Application type.
//!
//! Maps merge key by key, `null` deletes, `$patch: replace|delete` act on a map. Lists of the
//! Application type have no patch strategy and are replaced whole, except
//! `metadata.finalizers`, which merges (a union, with the patch's items first). Raw JSON
//! fields (`helm.valuesObject`) have no fields for the patch to look up: a key present on
//! both sides fails as it does in Kubernetes.

use serde_json::{Map, Value as J};

use crate::schema::{self, Ty, APPLICATION};

/// Applies a rendered patch to a canonical Application; errors carry the controller's
/// wording.
pub fn apply(app: &J, patch_text: &str) -> Result<J, String> {
    let trimmed = patch_text.trim();
    let patch: J = if trimmed.starts_with('{') {
        serde_json::from_str(trimmed).map_err(|e| {
            format!(
                "invalid templatePatch {}: {e}",
                driftlens_gotmpl::fmt::go_quote(trimmed)
            )
        })?
    } else {
        let v = driftlens_gotmpl::yaml::load(patch_text).map_err(|e| {
            format!(
                "error while converting template to json {}: {}",
                driftlens_gotmpl::fmt::go_quote(patch_text),
                e.0
            )
        })?;
        v.to_json()
            .map_err(|e| format!("error while converting template to json: {e}"))?
    };
    let patch_json = serde_json::to_string(&patch).unwrap_or_default();
    if let Err(e) = schema::decode(&APPLICATION, &patch, "", &mut Vec::new()) {
        return Err(format!(
            "invalid templatePatch {}: {e}",
            driftlens_gotmpl::fmt::go_quote(&patch_json)
        ));
    }
    let J::Object(patch_map) = patch else {
        // `null` or an empty document patches nothing.
        return Ok(app.clone());
    };
    let original = app.as_object().cloned().unwrap_or_default();
    let merged = merge_map(original, patch_map, &APPLICATION).map_err(|e| {
        format!(
            "error while applying templatePatch template to json {}: {e}",
            driftlens_gotmpl::fmt::go_quote(&patch_json)
        )
    })?;
    let mut dropped = Vec::new();
    let mut out = schema::decode(&APPLICATION, &J::Object(merged), "", &mut dropped)
        .map_err(|e| format!("error while unmarhsalling patched application: {e}"))?;
    // The patch may not change the project.
    if let (Some(spec), Some(project)) = (out.get_mut("spec"), app.pointer("/spec/project")) {
        if let Some(s) = spec.as_object_mut() {
            s.insert("project".into(), project.clone());
        }
    }
    Ok(out)
}

/// What a key of a value of type `ty` is: its type and whether its list merges.
enum Lookup {
    Field(Ty, bool),
    NoField(&'static str),
}

fn lookup(ty: &Ty, key: &str) -> Lookup {
    match ty {
        Ty::Ptr(inner) => lookup(inner, key),
        Ty::Struct(fields) => match fields.iter().find(|f| f.name == key) {
            Some(f) => Lookup::Field(f.ty, f.merge),
            None => Lookup::NoField("struct"),
        },
        Ty::Map(inner) => Lookup::Field(**inner, false),
        Ty::Slice(inner) => lookup(inner, key),
        Ty::Raw => Lookup::NoField("RawExtension"),
        Ty::IntOrString => Lookup::NoField("IntOrString"),
        Ty::PluginParam => Lookup::Field(Ty::Raw, false),
        _ => Lookup::NoField("value"),
    }
}

fn same_kind(a: &J, b: &J) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

fn merge_map(
    mut original: Map<String, J>,
    patch: Map<String, J>,
    ty: &Ty,
) -> Result<Map<String, J>, String> {
    match patch.get("$patch").and_then(J::as_str) {
        Some("replace") => {
            let mut p = patch;
            p.remove("$patch");
            return Ok(p);
        }
        Some("delete") => return Ok(Map::new()),
        Some(other) => return Err(format!("unknown patch type: {other} in map: {patch:?}")),
        None => {}
    }
    for (k, pv) in patch {
        if pv.is_null() {
            original.remove(&k);
            continue;
        }
        let Some(ov) = original.get(&k) else {
            original.insert(k, pv);
            continue;
        };
        if !same_kind(ov, &pv) {
            original.insert(k, pv);
            continue;
        }
        let (field_ty, merge) = match lookup(ty, &k) {
            Lookup::Field(t, m) => (t, m),
            Lookup::NoField(type_name) => {
                return Err(format!(
                    "unable to find api field in struct {type_name} for the json field {}",
                    driftlens_gotmpl::fmt::go_quote(&k)
                ))
            }
        };
        let merged = match (ov.clone(), pv) {
            (J::Object(o), J::Object(p)) => J::Object(merge_map(o, p, &field_ty)?),
            (J::Array(o), J::Array(p)) if merge => J::Array(merge_primitive_list(o, p)),
            (_, p) => p,
        };
        original.insert(k, merged);
    }
    Ok(original)
}

/// A merging list of scalars, as `mergeSlice` orders it: the union (de-duplicated the way
/// Go does it), then the patch's items and the original's others interleaved by their order
/// in the original.
fn merge_primitive_list(original: Vec<J>, patch: Vec<J>) -> Vec<J> {
    if original.is_empty() && patch.is_empty() {
        return original;
    }
    let mut both: Vec<J> = original
        .iter()
        .cloned()
        .chain(patch.iter().cloned())
        .collect();
    // deduplicateScalars: a later duplicate is replaced by the last element.
    let mut length = both.len() as isize - 1;
    let mut i = 0isize;
    while i < length {
        let mut j = i + 1;
        while j <= length {
            if both[i as usize] == both[j as usize] {
                both[j as usize] = both[length as usize].clone();
                both.truncate(length as usize);
                length -= 1;
                j -= 1;
            }
            j += 1;
        }
        i += 1;
    }
    let index = |list: &[J], v: &J| list.iter().position(|x| x == v);
    let mut patch_items: Vec<J> = both.iter().filter(|v| patch.contains(v)).cloned().collect();
    let mut server_only: Vec<J> = both
        .iter()
        .filter(|v| !patch.contains(v))
        .cloned()
        .collect();
    patch_items.sort_by_key(|v| index(&patch, v));
    server_only.sort_by_key(|v| index(&original, v));
    let (left, right) = (server_only, patch_items);
    let mut out = Vec::with_capacity(left.len() + right.len());
    let (mut i, mut j) = (0, 0);
    while i < left.len() || j < right.len() {
        if i >= left.len() {
            out.push(right[j].clone());
            j += 1;
        } else if j >= right.len() {
            out.push(left[i].clone());
            i += 1;
        } else {
            let less = match (index(&original, &left[i]), index(&original, &right[j])) {
                (Some(l), Some(r)) => l < r,
                _ => false,
            };
            if less {
                out.push(left[i].clone());
                i += 1;
            } else {
                out.push(right[j].clone());
                j += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn app() -> J {
        schema::decode(
            &APPLICATION,
            &json!({"metadata": {"name": "a", "finalizers": ["resources-finalizer.argocd.argoproj.io"],
                                 "annotations": {"x": "1"}},
                    "spec": {"project": "p", "source": {"repoURL": "r", "helm": {"valueFiles": ["a.yaml"]}},
                             "syncPolicy": {"syncOptions": ["A=1"]}}}),
            "",
            &mut Vec::new(),
        )
        .unwrap()
    }

    #[test]
    fn patch_merges_maps_and_replaces_lists() {
        let out = apply(
            &app(),
            "metadata:\n  annotations:\n    z: '2'\n  finalizers: [foo]\nspec:\n  project: other\n  source:\n    helm:\n      valueFiles: [b.yaml]\n  syncPolicy:\n    automated:\n      prune: true\n",
        )
        .unwrap();
        assert_eq!(
            out,
            json!({"metadata": {"name": "a", "annotations": {"x": "1", "z": "2"},
                                "finalizers": ["foo", "resources-finalizer.argocd.argoproj.io"]},
                   "spec": {"project": "p", "destination": {},
                            "source": {"repoURL": "r", "helm": {"valueFiles": ["b.yaml"]}},
                            "syncPolicy": {"syncOptions": ["A=1"], "automated": {"prune": true}}}})
        );
    }

    #[test]
    fn null_and_directives() {
        let out = apply(&app(), r#"{"spec": {"syncPolicy": null}}"#).unwrap();
        assert!(out.pointer("/spec/syncPolicy").is_none());
        let out = apply(&app(), "spec:\n").unwrap();
        assert_eq!(out["spec"], json!({"destination": {}, "project": "p"}));
        assert!(apply(&app(), "spec: {project: 3}")
            .unwrap_err()
            .starts_with("invalid templatePatch"));
    }
}
