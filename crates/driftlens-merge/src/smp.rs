//! Legacy diff for built-in kinds: the outcome of Kubernetes' three-way strategic merge patch
//! (`CreateThreeWayMergePatch(orig, config, live)` applied to live), computed directly.
//!
//! * Config values replace live values; maps merge recursively.
//! * A key present in `orig` (last-applied, or config itself in 2-way mode) but missing from
//!   config is deleted; live-only keys are kept.
//! * Lists with a patch merge key merge per key: live-only items stay at their relative
//!   position, items dropped from `orig` are deleted, and the result follows config's order
//!   (so a pure reordering is a difference). Scalar lists with strategy `merge` keep live-only
//!   values. Other lists are atomic and replaced by config's.
//! * `retainKeys` drops live-only keys of a changed map; `replace` replaces the whole value.

use crate::patchmeta::{FieldMeta, Shape, TypeTable};
use serde_json::{Map, Value};

/// Predicted live object for a built-in kind; `root` is the kind's schema node.
pub fn predict(
    t: &TypeTable,
    root: &Value,
    orig: Option<&Value>,
    config: &Value,
    live: &Value,
) -> Value {
    merge_value(t, Some(root), &FieldMeta::default(), orig, config, live)
}

fn merge_value(
    t: &TypeTable,
    node: Option<&Value>,
    meta: &FieldMeta,
    orig: Option<&Value>,
    config: &Value,
    live: &Value,
) -> Value {
    if config == live {
        return live.clone();
    }
    if meta.has_strategy("replace") {
        return config.clone();
    }
    match (config, live) {
        (Value::Object(c), Value::Object(l)) => {
            let o = orig.and_then(Value::as_object);
            Value::Object(merge_map(t, node, meta, o, c, l))
        }
        (Value::Array(c), Value::Array(l)) => {
            let items = node.and_then(|n| match t.shape(n) {
                Shape::List(i) => Some(i),
                _ => None,
            });
            let o = orig.and_then(Value::as_array);
            if meta.has_strategy("merge") {
                match &meta.merge_key {
                    Some(key) => merge_keyed(t, items, meta, key, o, c, l)
                        .map(Value::Array)
                        .unwrap_or_else(|| config.clone()),
                    None => Value::Array(merge_scalars(o, c, l)),
                }
            } else {
                config.clone()
            }
        }
        _ => config.clone(),
    }
}

fn merge_map(
    t: &TypeTable,
    node: Option<&Value>,
    meta: &FieldMeta,
    orig: Option<&Map<String, Value>>,
    config: &Map<String, Value>,
    live: &Map<String, Value>,
) -> Map<String, Value> {
    let shape = node.map(|n| t.shape(n));
    let mut out = live.clone();
    if let Some(o) = orig {
        for k in o.keys() {
            if !config.contains_key(k) {
                out.remove(k);
            }
        }
    }
    for (k, cv) in config {
        if cv.is_null() {
            // A null in config deletes the field, unless live holds the same null.
            if !live.get(k).is_some_and(Value::is_null) {
                out.remove(k);
            }
            continue;
        }
        let (child, child_meta) = match shape {
            Some(Shape::Struct(s)) => match t.field(s, k) {
                Some(f) => (Some(f), t.meta(f)),
                None => (None, FieldMeta::default()),
            },
            Some(Shape::Map(v)) => (Some(v), FieldMeta::default()),
            _ => (None, FieldMeta::default()),
        };
        let nv = match live.get(k) {
            None => cv.clone(),
            Some(lv) => merge_value(t, child, &child_meta, orig.and_then(|o| o.get(k)), cv, lv),
        };
        out.insert(k.clone(), nv);
    }
    if meta.has_strategy("retainKeys") && &out != live {
        out.retain(|k, _| config.contains_key(k));
    }
    out
}

fn item_key<'a>(item: &'a Value, key: &str) -> Option<&'a Value> {
    item.as_object()?.get(key)
}

/// Merge-keyed list; `None` when an item lacks the key (then the list is replaced).
fn merge_keyed(
    t: &TypeTable,
    items: Option<&Value>,
    list_meta: &FieldMeta,
    key: &str,
    orig: Option<&Vec<Value>>,
    config: &[Value],
    live: &[Value],
) -> Option<Vec<Value>> {
    let find = |list: &[Value], k: &Value| list.iter().position(|i| item_key(i, key) == Some(k));
    // `retainKeys` on a list (e.g. `volumes`) applies to each changed item.
    let item_meta = FieldMeta {
        strategies: if list_meta.has_strategy("retainKeys") {
            vec!["retainKeys".to_string()]
        } else {
            Vec::new()
        },
        ..FieldMeta::default()
    };
    let mut merged: Vec<Value> = Vec::with_capacity(config.len() + live.len());
    for ci in config {
        let k = item_key(ci, key)?;
        let nv = match find(live, k) {
            Some(li) => {
                let o = orig.and_then(|o| find(o, k).map(|i| &o[i]));
                merge_value(t, items, &item_meta, o, ci, &live[li])
            }
            None => ci.clone(),
        };
        merged.push(nv);
    }
    // Live-only items that orig does not delete, in live order.
    let mut server_only: Vec<(usize, Value)> = Vec::new();
    for (i, li) in live.iter().enumerate() {
        let lk = item_key(li, key)?;
        let in_config = find(config, lk).is_some();
        let deleted = orig.is_some_and(|o| find(o, lk).is_some());
        if !in_config && !deleted {
            server_only.push((i, li.clone()));
        }
    }
    let patch: Vec<(Option<usize>, Value)> = config
        .iter()
        .zip(merged)
        .map(|(c, m)| (item_key(c, key).and_then(|k| find(live, k)), m))
        .collect();
    Some(merge_sorted(server_only, patch))
}

/// Kubernetes' `mergeSortedSlice`: interleaves the live-only items (`left`, in live order)
/// with the patched items (`right`, in config order). A left item goes first only when both
/// items exist in live and the left one comes earlier there; items new to live never wait.
fn merge_sorted(left: Vec<(usize, Value)>, right: Vec<(Option<usize>, Value)>) -> Vec<Value> {
    let mut out = Vec::with_capacity(left.len() + right.len());
    let mut left = left.into_iter().peekable();
    let mut right = right.into_iter().peekable();
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some((li, _)), Some((ri, _))) => matches!(ri, Some(ri) if li < ri),
        };
        let next = if take_left {
            left.next().map(|(_, v)| v)
        } else {
            right.next().map(|(_, v)| v)
        };
        if let Some(v) = next {
            out.push(v);
        }
    }
    out
}

fn merge_scalars(orig: Option<&Vec<Value>>, config: &[Value], live: &[Value]) -> Vec<Value> {
    let server_only: Vec<(usize, Value)> = live
        .iter()
        .enumerate()
        .filter(|(_, lv)| !config.contains(lv) && !orig.is_some_and(|o| o.contains(lv)))
        .map(|(i, lv)| (i, lv.clone()))
        .collect();
    let patch: Vec<(Option<usize>, Value)> = config
        .iter()
        .map(|c| (live.iter().position(|l| l == c), c.clone()))
        .collect();
    merge_sorted(server_only, patch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patchmeta::table;
    use serde_json::json;

    fn deploy(containers: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"template": {"spec": {"containers": containers}}}})
    }

    fn run(orig: Option<&Value>, config: &Value, live: &Value) -> Value {
        let t = table().expect("table");
        let root = t.root("apps/v1", "Deployment").expect("root");
        predict(t, root, orig, config, live)
    }

    #[test]
    fn injected_sidecar_is_kept() {
        let config = deploy(json!([{"name": "app", "image": "a"}]));
        let live =
            deploy(json!([{"name": "istio-proxy", "image": "p"}, {"name": "app", "image": "a"}]));
        assert_eq!(run(Some(&config), &config, &live), live);
    }

    #[test]
    fn live_only_items_interleave_like_kubernetes() {
        let names = |v: &Value| -> Vec<String> {
            v["spec"]["template"]["spec"]["containers"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|c| c["name"].as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let c = |n: &[&str]| deploy(Value::Array(n.iter().map(|n| json!({"name": n})).collect()));
        // live [a, b, c], config [c, a]: b goes before c (it precedes c in live).
        let got = run(None, &c(&["c", "a"]), &c(&["a", "b", "c"]));
        assert_eq!(names(&got), vec!["b", "c", "a"]);
        // New items are placed without waiting for server-only ones.
        let got = run(None, &c(&["n", "a"]), &c(&["s", "a"]));
        assert_eq!(names(&got), vec!["n", "s", "a"]);
    }

    #[test]
    fn scalar_merge_lists_keep_live_only_values() {
        let t = table().expect("table");
        let root = t.root("v1", "ConfigMap").expect("root");
        let obj = |f: Value| json!({"metadata": {"finalizers": f}});
        let got = predict(t, root, None, &obj(json!(["a"])), &obj(json!(["x", "a"])));
        assert_eq!(got, obj(json!(["x", "a"])));
        let orig = obj(json!(["a", "x"]));
        let got = predict(
            t,
            root,
            Some(&orig),
            &obj(json!(["a"])),
            &obj(json!(["x", "a"])),
        );
        assert_eq!(got, obj(json!(["a"])));
    }

    #[test]
    fn reordered_env_follows_config_order() {
        let config = deploy(
            json!([{"name": "app", "env": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}]}]),
        );
        let live = deploy(
            json!([{"name": "app", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}]),
        );
        let got = run(Some(&config), &config, &live);
        assert_eq!(got, config);
    }

    #[test]
    fn removed_from_config_but_in_orig_is_deleted() {
        let orig = deploy(json!([{"name": "app", "args": ["x"]}, {"name": "old"}]));
        let config = deploy(json!([{"name": "app", "args": ["x"]}]));
        let live =
            deploy(json!([{"name": "app", "args": ["x"]}, {"name": "old"}, {"name": "injected"}]));
        let got = run(Some(&orig), &config, &live);
        assert_eq!(
            got,
            deploy(json!([{"name": "app", "args": ["x"]}, {"name": "injected"}]))
        );
    }

    #[test]
    fn volume_source_switch_drops_the_old_source() {
        let vols = |v: Value| json!({"spec": {"template": {"spec": {"containers": [{"name": "app"}], "volumes": v}}}});
        let config = vols(json!([{"name": "data", "emptyDir": {}}]));
        let live = vols(json!([{"name": "data", "hostPath": {"path": "/x"}}]));
        assert_eq!(run(Some(&config), &config, &live), config);
    }

    #[test]
    fn atomic_lists_are_replaced_and_retain_keys() {
        let config = json!({"spec": {"strategy": {"type": "Recreate"},
            "template": {"spec": {"containers": [{"name": "app", "args": ["a"]}]}}}});
        let live = json!({"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}},
            "template": {"spec": {"containers": [{"name": "app", "args": ["a", "b"]}]}}}});
        let got = run(Some(&config), &config, &live);
        assert_eq!(got, config);
    }
}
