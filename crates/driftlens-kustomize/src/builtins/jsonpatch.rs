//! JSON 6902 patches as kustomize applies them: evanphx/json-patch v4.12 on the object's JSON
//! (`replace` of a missing object key adds it, negative array indices count from the end),
//! then the object is rebuilt from the JSON (numbers become float64, as `json.Unmarshal` into
//! `interface{}` makes them).

use crate::yaml::value::Value;

/// One operation.
#[derive(Clone, Debug)]
pub struct Op {
    /// The operation's fields as decoded.
    pub fields: Vec<(String, Value)>,
}

impl Op {
    fn get(&self, k: &str) -> Option<&Value> {
        self.fields.iter().find(|(x, _)| x == k).map(|(_, v)| v)
    }
    fn kind(&self) -> String {
        match self.get("op") {
            Some(Value::Str(s)) => s.clone(),
            _ => "unknown".into(),
        }
    }
    fn path(&self) -> Result<String, String> {
        match self.get("path") {
            Some(Value::Str(s)) => Ok(s.clone()),
            Some(Value::Null) | None => Err("operation missing path field: missing value".into()),
            Some(_) => Err("json: cannot unmarshal into Go value of type string".into()),
        }
    }
    fn from(&self) -> Result<String, String> {
        match self.get("from") {
            Some(Value::Str(s)) => Ok(s.clone()),
            Some(Value::Null) | None => Err("operation, missing from field: missing value".into()),
            Some(_) => Err("json: cannot unmarshal into Go value of type string".into()),
        }
    }
    /// `op.value()`: `None` when the field is absent.
    fn value(&self) -> Option<Value> {
        self.get("value").cloned()
    }
}

/// `jsonpatch.DecodePatch` of an already-decoded JSON value (an array of objects).
pub fn decode(v: &Value) -> Result<Vec<Op>, String> {
    match v {
        Value::Seq(items) => {
            let mut ops = Vec::new();
            for it in items {
                match it {
                    Value::Map(p) => ops.push(Op { fields: p.clone() }),
                    Value::Null => ops.push(Op { fields: Vec::new() }),
                    _ => {
                        return Err(
                            "json: cannot unmarshal into Go value of type jsonpatch.Operation"
                                .into(),
                        )
                    }
                }
            }
            Ok(ops)
        }
        Value::Null => Ok(Vec::new()),
        _ => Err("json: cannot unmarshal object into Go value of type jsonpatch.Patch".into()),
    }
}

fn decode_key(k: &str) -> String {
    k.replace("~1", "/").replace("~0", "~")
}

fn atoi(s: &str) -> Result<i64, String> {
    let b = s.strip_prefix(['+', '-']).unwrap_or(s);
    if b.is_empty() || !b.bytes().all(|c| c.is_ascii_digit()) {
        return Err(format!("strconv.Atoi: parsing \"{s}\": invalid syntax"));
    }
    s.parse::<i64>()
        .map_err(|_| format!("strconv.Atoi: parsing \"{s}\": value out of range"))
}

/// Finds the container of `path` (all but the last token) and the last token.
fn find_object<'a>(doc: &'a mut Value, path: &str) -> Option<(&'a mut Value, String)> {
    let split: Vec<&str> = path.split('/').collect();
    if split.len() < 2 {
        return None;
    }
    let parts = &split[1..split.len() - 1];
    let key = decode_key(split[split.len() - 1]);
    let mut cur = doc;
    for part in parts {
        let k = decode_key(part);
        let next = match cur {
            Value::Map(m) => m.iter_mut().find(|(x, _)| *x == k).map(|(_, v)| v),
            Value::Seq(items) => {
                let mut idx = atoi(&k).ok()?;
                if idx < 0 {
                    if idx < -(items.len() as i64) {
                        return None;
                    }
                    idx += items.len() as i64;
                }
                items.get_mut(idx as usize)
            }
            _ => None,
        }?;
        if matches!(next, Value::Null) {
            return None;
        }
        if !matches!(next, Value::Map(_) | Value::Seq(_)) {
            return None;
        }
        cur = next;
    }
    Some((cur, key))
}

fn invalid_index(i: i64) -> String {
    format!("Unable to access invalid index: {i}: invalid index referenced")
}

fn con_get(con: &Value, key: &str) -> Result<Option<Value>, String> {
    match con {
        Value::Map(m) => Ok(m.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())),
        Value::Seq(items) => {
            let mut idx = atoi(key)?;
            if idx < 0 {
                if idx < -(items.len() as i64) {
                    return Err(invalid_index(idx));
                }
                idx += items.len() as i64;
            }
            if idx >= items.len() as i64 {
                return Err(invalid_index(idx));
            }
            Ok(Some(items[idx as usize].clone()))
        }
        _ => Ok(None),
    }
}

fn con_set(con: &mut Value, key: &str, val: Value) -> Result<(), String> {
    match con {
        Value::Map(m) => {
            match m.iter_mut().find(|(k, _)| k == key) {
                Some(slot) => slot.1 = val,
                None => m.push((key.to_string(), val)),
            }
            Ok(())
        }
        Value::Seq(items) => {
            let mut idx = atoi(key)?;
            if idx < 0 {
                if idx < -(items.len() as i64) {
                    return Err(invalid_index(idx));
                }
                idx += items.len() as i64;
            }
            let i = idx as usize;
            if i >= items.len() {
                return Err("runtime error: index out of range".into());
            }
            items[i] = val;
            Ok(())
        }
        _ => Err("invalid state detected".into()),
    }
}

fn con_add(con: &mut Value, key: &str, val: Value) -> Result<(), String> {
    match con {
        Value::Map(_) => con_set(con, key, val),
        Value::Seq(items) => {
            if key == "-" {
                items.push(val);
                return Ok(());
            }
            let mut idx = atoi(key)
                .map_err(|e| format!("value was not a proper array index: '{key}': {e}"))?;
            let sz = items.len() as i64 + 1;
            if idx >= sz {
                return Err(invalid_index(idx));
            }
            if idx < 0 {
                if idx < -sz {
                    return Err(invalid_index(idx));
                }
                idx += sz;
            }
            items.insert(idx as usize, val);
            Ok(())
        }
        _ => Err("invalid state detected".into()),
    }
}

fn con_remove(con: &mut Value, key: &str) -> Result<(), String> {
    match con {
        Value::Map(m) => match m.iter().position(|(k, _)| k == key) {
            Some(i) => {
                m.remove(i);
                Ok(())
            }
            None => Err(format!(
                "Unable to remove nonexistent key: {key}: missing value"
            )),
        },
        Value::Seq(items) => {
            let mut idx = atoi(key)?;
            if idx >= items.len() as i64 {
                return Err(invalid_index(idx));
            }
            if idx < 0 {
                if idx < -(items.len() as i64) {
                    return Err(invalid_index(idx));
                }
                idx += items.len() as i64;
            }
            items.remove(idx as usize);
            Ok(())
        }
        _ => Err("invalid state detected".into()),
    }
}

fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| {
                    y.iter()
                        .find(|(k2, _)| k2 == k)
                        .is_some_and(|(_, v2)| json_equal(v, v2))
                })
        }
        (Value::Seq(x), Value::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(a, b)| json_equal(a, b))
        }
        (Value::Map(_), _) | (_, Value::Map(_)) | (Value::Seq(_), _) | (_, Value::Seq(_)) => false,
        _ => crate::yaml::value::to_json(a).ok() == crate::yaml::value::to_json(b).ok(),
    }
}

/// `Patch.Apply`.
pub fn apply(ops: &[Op], doc: &mut Value) -> Result<(), String> {
    for op in ops {
        match op.kind().as_str() {
            "add" => {
                let path = op.path().map_err(|_| {
                    "add operation failed to decode path: missing value".to_string()
                })?;
                let Some((con, key)) = find_object(doc, &path) else {
                    return Err(format!(
                        "add operation does not apply: doc is missing path: \"{path}\": missing value"
                    ));
                };
                con_add(con, &key, op.value().unwrap_or(Value::Null))
                    .map_err(|e| format!("error in add for path: '{path}': {e}"))?;
            }
            "remove" => {
                let path = op.path().map_err(|_| {
                    "remove operation failed to decode path: missing value".to_string()
                })?;
                let Some((con, key)) = find_object(doc, &path) else {
                    return Err(format!(
                        "remove operation does not apply: doc is missing path: \"{path}\": missing value"
                    ));
                };
                con_remove(con, &key)
                    .map_err(|e| format!("error in remove for path: '{path}': {e}"))?;
            }
            "replace" => {
                let path = op
                    .path()
                    .map_err(|e| format!("replace operation failed to decode path: {e}"))?;
                if path.is_empty() {
                    match op.value() {
                        Some(v @ Value::Map(_)) | Some(v @ Value::Seq(_)) => *doc = v,
                        _ => return Err("replace operation value must be object or array".into()),
                    }
                    continue;
                }
                let Some((con, key)) = find_object(doc, &path) else {
                    return Err(format!(
                        "replace operation does not apply: doc is missing path: {path}: missing value"
                    ));
                };
                if con_get(con, &key).is_err() {
                    return Err(format!(
                        "replace operation does not apply: doc is missing key: {path}: missing value"
                    ));
                }
                con_set(con, &key, op.value().unwrap_or(Value::Null))
                    .map_err(|e| format!("error in remove for path: '{path}': {e}"))?;
            }
            "move" => {
                let from = op
                    .from()
                    .map_err(|e| format!("move operation failed to decode from: {e}"))?;
                let Some((con, key)) = find_object(doc, &from) else {
                    return Err(format!(
                        "move operation does not apply: doc is missing from path: {from}: missing value"
                    ));
                };
                let val = con_get(con, &key)
                    .map_err(|e| format!("error in move for path: '{key}': {e}"))?
                    .unwrap_or(Value::Null);
                con_remove(con, &key)
                    .map_err(|e| format!("error in move for path: '{key}': {e}"))?;
                let path = op
                    .path()
                    .map_err(|e| format!("move operation failed to decode path: {e}"))?;
                let Some((con, key)) = find_object(doc, &path) else {
                    return Err(format!(
                        "move operation does not apply: doc is missing destination path: {path}: missing value"
                    ));
                };
                con_add(con, &key, val)
                    .map_err(|e| format!("error in move for path: '{path}': {e}"))?;
            }
            "copy" => {
                let from = op
                    .from()
                    .map_err(|e| format!("copy operation failed to decode from: {e}"))?;
                let Some((con, key)) = find_object(doc, &from) else {
                    return Err(format!(
                        "copy operation does not apply: doc is missing from path: {from}: missing value"
                    ));
                };
                let val = con_get(con, &key)
                    .map_err(|e| format!("error in copy for from: '{from}': {e}"))?
                    .unwrap_or(Value::Null);
                let path = op.path().map_err(|_| {
                    "copy operation failed to decode path: missing value".to_string()
                })?;
                let Some((con, key)) = find_object(doc, &path) else {
                    return Err(format!(
                        "copy operation does not apply: doc is missing destination path: {path}: missing value"
                    ));
                };
                con_add(con, &key, val)
                    .map_err(|e| format!("error while adding value during copy: {e}"))?;
            }
            "test" => {
                let path = op
                    .path()
                    .map_err(|e| format!("test operation failed to decode path: {e}"))?;
                if path.is_empty() {
                    if op.value().is_some_and(|v| json_equal(doc, &v)) {
                        continue;
                    }
                    return Err(format!("testing value {path} failed: test failed"));
                }
                let Some((con, key)) = find_object(doc, &path) else {
                    return Err(format!(
                        "test operation does not apply: is missing path: {path}: missing value"
                    ));
                };
                let val = con_get(con, &key)
                    .map_err(|e| format!("error in test for path: '{path}': {e}"))?;
                match (val, op.value()) {
                    (None, None) => {}
                    (None, Some(_)) | (Some(_), None) => {
                        return Err(format!("testing value {path} failed: test failed"))
                    }
                    (Some(a), Some(b)) => {
                        if !json_equal(&a, &b) {
                            return Err(format!("testing value {path} failed: test failed"));
                        }
                    }
                }
            }
            k => return Err(format!("Unexpected kind: {k}")),
        }
    }
    Ok(())
}

/// Numbers as `json.Unmarshal` into `interface{}` leaves them: float64.
pub fn floatify(v: Value) -> Value {
    match v {
        Value::Int(i) => Value::Float(i as f64),
        Value::Uint(u) => Value::Float(u as f64),
        Value::Seq(items) => Value::Seq(items.into_iter().map(floatify).collect()),
        Value::Map(p) => Value::Map(p.into_iter().map(|(k, v)| (k, floatify(v))).collect()),
        o => o,
    }
}
