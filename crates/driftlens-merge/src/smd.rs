//! Structured-merge diff approximation (`ServerSideApply=true`, §2.4).
//!
//! Config is applied over live the way server-side apply with manager `argocd-controller`
//! would: config values win; maps merge; lists follow their schema list type (`map` lists
//! merge per key, `set` lists union, others are atomic). A live field missing from config is
//! removed only when live's `managedFields` say the `argocd-controller` Apply manager owns it
//! (Argo CD applied it before and it has since been deleted from Git).

use crate::managedfields::{self, Loc};
use crate::patchmeta::{FieldMeta, Shape, TypeTable};
use serde_json::{Map, Value};

/// The field manager Argo CD applies with.
pub const MANAGER: &str = "argocd-controller";

/// Locations in `live` owned by the `argocd-controller` Apply manager.
pub fn owned_locations(live: &Value) -> Vec<Vec<Loc>> {
    managedfields::owned_paths(live, MANAGER, Some("Apply"), true)
        .iter()
        .filter_map(|p| managedfields::resolve(live, p))
        .collect()
}

struct Ctx<'a> {
    t: Option<&'a TypeTable>,
    owned: &'a [Vec<Loc>],
}

impl Ctx<'_> {
    fn owned_exact(&self, path: &[Loc]) -> bool {
        self.owned.iter().any(|o| o.as_slice() == path)
    }
    fn owned_under(&self, path: &[Loc]) -> bool {
        self.owned
            .iter()
            .any(|o| o.len() > path.len() && o.starts_with(path))
    }
}

/// Predicted live object; `root` is the kind's schema node (`None`: lists atomic).
pub fn predict(
    t: Option<&TypeTable>,
    root: Option<&Value>,
    config: &Value,
    live: &Value,
    owned: &[Vec<Loc>],
) -> Value {
    let ctx = Ctx { t, owned };
    let mut path = Vec::new();
    merge(&ctx, root, &FieldMeta::default(), config, live, &mut path)
}

fn merge(
    ctx: &Ctx<'_>,
    node: Option<&Value>,
    meta: &FieldMeta,
    config: &Value,
    live: &Value,
    path: &mut Vec<Loc>,
) -> Value {
    if config == live {
        return live.clone();
    }
    match (config, live) {
        (Value::Object(c), Value::Object(l)) => {
            let shape = match (ctx.t, node) {
                (Some(t), Some(n)) => Some(t.shape(n)),
                _ => None,
            };
            let mut out = Map::new();
            for (k, lv) in l {
                if c.contains_key(k) {
                    continue;
                }
                path.push(Loc::Key(k.clone()));
                if let Some(v) = keep_unowned(ctx, lv, path) {
                    out.insert(k.clone(), v);
                }
                path.pop();
            }
            for (k, cv) in c {
                let (child, child_meta) = match (ctx.t, shape) {
                    (Some(t), Some(Shape::Struct(s))) => match t.field(s, k) {
                        Some(f) => (Some(f), t.meta(f)),
                        None => (None, FieldMeta::default()),
                    },
                    (Some(_), Some(Shape::Map(v))) => (Some(v), FieldMeta::default()),
                    _ => (None, FieldMeta::default()),
                };
                path.push(Loc::Key(k.clone()));
                let nv = match l.get(k) {
                    Some(lv) => merge(ctx, child, &child_meta, cv, lv, path),
                    None => cv.clone(),
                };
                path.pop();
                out.insert(k.clone(), nv);
            }
            Value::Object(out)
        }
        (Value::Array(c), Value::Array(l)) => {
            let items = match (ctx.t, node) {
                (Some(t), Some(n)) => match t.shape(n) {
                    Shape::List(i) => Some(i),
                    _ => None,
                },
                _ => None,
            };
            let mut keys = meta.list_map_keys.clone();
            if keys.is_empty() {
                if let Some(k) = &meta.merge_key {
                    keys.push(k.clone());
                }
            }
            // Without an explicit list type, a merge-strategy list is associative: keyed by its
            // merge key, or a set of scalars.
            let implicit_set =
                meta.list_type.is_none() && keys.is_empty() && meta.has_strategy("merge");
            match meta.list_type.as_deref() {
                Some("map") if !keys.is_empty() => merge_map_list(ctx, items, &keys, c, l, path),
                _ if implicit_set || meta.list_type.as_deref() == Some("set") => {
                    let mut out = c.clone();
                    for (i, lv) in l.iter().enumerate() {
                        path.push(Loc::Index(i));
                        if !c.contains(lv) && !ctx.owned_exact(path) {
                            out.push(lv.clone());
                        }
                        path.pop();
                    }
                    Value::Array(out)
                }
                _ if meta.list_type.is_none() && !keys.is_empty() && meta.has_strategy("merge") => {
                    merge_map_list(ctx, items, &keys, c, l, path)
                }
                _ => config.clone(),
            }
        }
        _ => config.clone(),
    }
}

fn keep_unowned(ctx: &Ctx<'_>, v: &Value, path: &mut Vec<Loc>) -> Option<Value> {
    if ctx.owned_exact(path) {
        return None;
    }
    if !ctx.owned_under(path) {
        return Some(v.clone());
    }
    match v {
        Value::Object(o) => {
            let mut out = Map::new();
            for (k, cv) in o {
                path.push(Loc::Key(k.clone()));
                if let Some(nv) = keep_unowned(ctx, cv, path) {
                    out.insert(k.clone(), nv);
                }
                path.pop();
            }
            if out.is_empty() {
                None
            } else {
                Some(Value::Object(out))
            }
        }
        Value::Array(a) => {
            let mut out = Vec::new();
            for (i, cv) in a.iter().enumerate() {
                path.push(Loc::Index(i));
                if let Some(nv) = keep_unowned(ctx, cv, path) {
                    out.push(nv);
                }
                path.pop();
            }
            if out.is_empty() {
                None
            } else {
                Some(Value::Array(out))
            }
        }
        _ => Some(v.clone()),
    }
}

/// Key of a list-map item. A missing `protocol` key field counts as its API default `TCP`
/// (Service and container ports are keyed by port and protocol), as the API server defaults
/// the applied object before merging.
fn key_of(item: &Value, keys: &[String]) -> Vec<Value> {
    keys.iter()
        .map(|k| match item.get(k) {
            Some(v) => v.clone(),
            None if k == "protocol" => Value::String("TCP".to_string()),
            None => Value::Null,
        })
        .collect()
}

fn merge_map_list(
    ctx: &Ctx<'_>,
    items: Option<&Value>,
    keys: &[String],
    config: &[Value],
    live: &[Value],
    path: &mut Vec<Loc>,
) -> Value {
    let live_keys: Vec<Vec<Value>> = live.iter().map(|l| key_of(l, keys)).collect();
    let config_keys: Vec<Vec<Value>> = config.iter().map(|c| key_of(c, keys)).collect();
    // Config items, merged over their live counterparts.
    let mut merged: Vec<Value> = Vec::with_capacity(config.len());
    for (ci, cv) in config.iter().enumerate() {
        let nv = match live_keys.iter().position(|k| *k == config_keys[ci]) {
            Some(li) => {
                path.push(Loc::Index(li));
                let v = merge(ctx, items, &FieldMeta::default(), cv, &live[li], path);
                path.pop();
                v
            }
            None => cv.clone(),
        };
        merged.push(nv);
    }
    // Live-only items that survive keep their position relative to the config items.
    let mut out = Vec::with_capacity(config.len() + live.len());
    let mut merged = merged.into_iter();
    let mut emitted = 0;
    let mut needed = 0;
    for (li, lv) in live.iter().enumerate() {
        if let Some(ci) = config_keys.iter().position(|k| *k == live_keys[li]) {
            needed = needed.max(ci + 1);
            continue;
        }
        while emitted < needed {
            if let Some(m) = merged.next() {
                out.push(m);
            }
            emitted += 1;
        }
        path.push(Loc::Index(li));
        if let Some(v) = keep_unowned(ctx, lv, path) {
            out.push(v);
        }
        path.pop();
    }
    out.extend(merged);
    Value::Array(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finalizers_are_a_set() {
        let live = json!({
            "metadata": {"finalizers": ["a", "b", "c"], "managedFields": [
                {"manager": "argocd-controller", "operation": "Apply",
                 "fieldsV1": {"f:metadata": {"f:finalizers": {"v:\"a\"": {}, "v:\"b\"": {}}}}}]}
        });
        let config = json!({"metadata": {"finalizers": ["a"]}});
        let owned = owned_locations(&live);
        let t = crate::patchmeta::table();
        let root = t.and_then(|t| t.root("v1", "ConfigMap"));
        let got = predict(t, root, &config, &live, &owned);
        // b was applied by Argo CD and is gone from Git; c belongs to someone else.
        assert_eq!(got["metadata"]["finalizers"], json!(["a", "c"]));
    }

    #[test]
    fn only_argocd_owned_fields_are_removed() {
        let live = json!({
            "metadata": {"managedFields": [
                {"manager": "argocd-controller", "operation": "Apply",
                 "fieldsV1": {"f:spec": {"f:type": {}, "f:ports": {"k:{\"port\":81,\"protocol\":\"TCP\"}": {".": {}, "f:port": {}}}}}},
                {"manager": "kubectl", "operation": "Update", "fieldsV1": {"f:spec": {"f:extra": {}}}}]},
            "spec": {"type": "NodePort", "extra": 1, "ports": [{"port": 80, "protocol": "TCP"}, {"port": 81, "protocol": "TCP"}]}
        });
        let config = json!({"spec": {"ports": [{"port": 80, "protocol": "TCP"}]}});
        let owned = owned_locations(&live);
        let t = crate::patchmeta::table();
        let root = t.and_then(|t| t.root("v1", "Service"));
        let got = predict(t, root, &config, &live, &owned);
        assert_eq!(
            got["spec"],
            json!({"extra": 1, "ports": [{"port": 80, "protocol": "TCP"}]})
        );
    }
}
