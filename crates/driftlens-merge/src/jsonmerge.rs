//! Legacy diff for custom resources (kinds outside the client-go scheme): Kubernetes' three-way
//! JSON merge patch with Argo CD's positional pruning of live against `orig` (§2.3(b)).
//!
//! Live is first pruned to the map keys present in `orig` (lists walked by index; extra live
//! elements kept); the patch carries config's changes relative to the pruned live plus
//! deletions of keys that `orig` has and config does not. The predicted object is that patch
//! applied to the *unpruned* live. Lists are atomic.

use serde_json::{Map, Value};

/// Keeps only the map keys of `live` that exist in `orig`, recursively; lists by index.
pub fn remove_map_fields(orig: &Value, live: &Value) -> Value {
    match (orig, live) {
        (Value::Object(o), Value::Object(l)) => {
            let mut out = Map::new();
            for (k, lv) in l {
                if let Some(ov) = o.get(k) {
                    out.insert(k.clone(), remove_map_fields(ov, lv));
                }
            }
            Value::Object(out)
        }
        (Value::Array(o), Value::Array(l)) => Value::Array(
            l.iter()
                .enumerate()
                .map(|(i, lv)| match o.get(i) {
                    Some(ov) => remove_map_fields(ov, lv),
                    None => lv.clone(),
                })
                .collect(),
        ),
        _ => live.clone(),
    }
}

/// Predicted live object for a custom resource.
pub fn predict(orig: &Value, config: &Value, live: &Value) -> Value {
    let pruned = remove_map_fields(orig, live);
    let patch = three_way_patch(Some(orig), config, &pruned);
    match patch {
        Some(p) => apply_merge_patch(live, &p),
        None => live.clone(),
    }
}

/// The merge patch turning `current` into `config`, without deletions except those of keys
/// `orig` has and config lacks (`null`). `None` when there is nothing to change.
fn three_way_patch(orig: Option<&Value>, config: &Value, current: &Value) -> Option<Value> {
    match (config, current) {
        (Value::Object(c), Value::Object(cur)) => {
            let o = orig.and_then(Value::as_object);
            let mut patch = Map::new();
            for (k, cv) in c {
                match cur.get(k) {
                    None => {
                        patch.insert(k.clone(), cv.clone());
                    }
                    Some(lv) if lv == cv => {}
                    Some(lv) if cv.is_object() && lv.is_object() => {
                        if let Some(p) = three_way_patch(o.and_then(|o| o.get(k)), cv, lv) {
                            patch.insert(k.clone(), p);
                        }
                    }
                    Some(_) => {
                        patch.insert(k.clone(), cv.clone());
                    }
                }
            }
            if let Some(o) = o {
                for k in o.keys() {
                    if !c.contains_key(k) {
                        patch.insert(k.clone(), Value::Null);
                    }
                }
            }
            if patch.is_empty() {
                None
            } else {
                Some(Value::Object(patch))
            }
        }
        _ if config == current => None,
        _ => Some(config.clone()),
    }
}

/// RFC 7386 merge patch.
fn apply_merge_patch(target: &Value, patch: &Value) -> Value {
    let Value::Object(p) = patch else {
        return patch.clone();
    };
    let mut out = match target {
        Value::Object(t) => t.clone(),
        _ => Map::new(),
    };
    for (k, pv) in p {
        if pv.is_null() {
            out.remove(k);
        } else {
            let nv = match out.get(k) {
                Some(tv) => apply_merge_patch(tv, pv),
                None => apply_merge_patch(&Value::Null, pv),
            };
            out.insert(k.clone(), nv);
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn live_only_keys_ignored_lists_atomic() {
        let config = json!({"spec": {"a": 1, "list": [{"x": 1}]}});
        let live =
            json!({"spec": {"a": 1, "extra": true, "list": [{"x": 1, "y": 2}]}, "status": {}});
        assert_eq!(predict(&config, &config, &live), live);
        let live2 = json!({"spec": {"a": 1, "list": [{"x": 1}, {"x": 2}]}});
        assert_eq!(
            predict(&config, &config, &live2)["spec"]["list"],
            json!([{"x": 1}])
        );
    }

    #[test]
    fn key_removed_from_config_is_deleted() {
        let orig = json!({"spec": {"a": 1, "b": 2}});
        let config = json!({"spec": {"a": 1}});
        let live = json!({"spec": {"a": 1, "b": 2, "c": 3}});
        assert_eq!(
            predict(&orig, &config, &live),
            json!({"spec": {"a": 1, "c": 3}})
        );
    }
}
