//! The value model of the template engine: Go's `interface{}` as seen by Helm templates.
//!
//! Maps have reference semantics (`Rc<RefCell<…>>`) because Sprig's `set`, `merge` and
//! friends mutate maps in place and templates rely on it. Lists are immutable and shared.
//! Integers remember whether Go would type them `int` (template literals, `len`) or `int64`
//! (Sprig arithmetic, `--set` values); values-file numbers are `float64`.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// A map as seen by templates: `map[string]interface {}` with sorted keys.
pub type Map = BTreeMap<String, Value>;

/// Shared, mutable map.
pub type MapRef = Rc<RefCell<Map>>;

/// A template value.
#[derive(Clone, Debug, Default)]
pub enum Value {
    /// Go's nil interface (missing key, YAML `null`, the `nil` literal).
    #[default]
    Nil,
    /// `bool`.
    Bool(bool),
    /// Go `int` (template literals, results of `len`).
    Int(i64),
    /// Go `int64` (Sprig arithmetic, `--set` integers).
    Int64(i64),
    /// `float64` (numbers from values files, JSON and YAML).
    Float(f64),
    /// `string`.
    Str(Rc<str>),
    /// `[]interface {}`.
    List(Rc<Vec<Value>>),
    /// `map[string]interface {}`.
    Map(MapRef),
    /// A built-in Helm object with methods (`.Files`, `.Capabilities.APIVersions`, …).
    Object(Rc<Object>),
}

/// Most bytes a value may print to (`{{ . }}`, `toYaml`, `toJson`, `printf "%v"`): values share
/// their parts, so a dict doubled 40 times is small in memory but prints to terabytes.
pub const MAX_PRINTED: u64 = 64 << 20;

impl Value {
    /// About how many bytes the value prints to, or `None` once that is more than `limit`. The
    /// walk stops there too, so shared parts cannot make it explode.
    pub fn printed_size_within(&self, limit: u64) -> Option<u64> {
        let mut total: u64 = 0;
        let mut todo: Vec<Value> = vec![self.clone()];
        while let Some(v) = todo.pop() {
            total += match &v {
                Value::Str(s) => s.len() as u64 + 2,
                Value::List(l) => {
                    todo.extend(l.iter().cloned());
                    2 + l.len() as u64
                }
                Value::Map(m) => {
                    let m = m.borrow();
                    let mut n = 2;
                    for (k, v) in m.iter() {
                        n += k.len() as u64 + 4;
                        todo.push(v.clone());
                    }
                    n
                }
                _ => 8,
            };
            if total > limit {
                return None;
            }
        }
        Some(total)
    }
}

/// A chart's files for `.Files`, shared (not copied) by every context that sees them.
pub type FileMap = std::sync::Arc<BTreeMap<String, Vec<u8>>>;

/// Built-in Helm objects that have methods or a custom string form.
#[derive(Debug)]
pub enum Object {
    /// `.Files` or the result of `.Files.Glob`: path → content, sorted.
    Files(FileMap),
    /// `.Capabilities.APIVersions`.
    ApiVersions(Vec<String>),
    /// `.Capabilities.KubeVersion`.
    KubeVersion {
        /// `v1.35.0`.
        version: String,
        /// `1`.
        major: String,
        /// `35`.
        minor: String,
    },
    /// A point in time (`now`), seconds since the Unix epoch, UTC.
    Time(i64),
    /// Bytes from a chart file: a Go `string` that is not valid UTF-8 (`.Files.Get`), or
    /// a `[]byte` (`.Files.GetBytes`). Functions that work on bytes (`b64enc`,
    /// `sha256sum`, `len`, `toString`, `quote`) see `data`; the others see `text`, its
    /// UTF-8 reading with U+FFFD for each invalid sequence.
    Bytes {
        /// The file's bytes.
        data: Vec<u8>,
        /// `data` read as UTF-8.
        text: String,
        /// A Go `[]byte` rather than a `string`.
        slice: bool,
    },
}

impl Value {
    /// A Go string holding `data`: a plain string when it is UTF-8, else bytes.
    pub fn from_bytes(data: &[u8]) -> Value {
        match std::str::from_utf8(data) {
            Ok(s) => Value::str(s),
            Err(_) => Value::Object(Rc::new(Object::Bytes {
                data: data.to_vec(),
                text: String::from_utf8_lossy(data).into_owned(),
                slice: false,
            })),
        }
    }

    /// A Go `[]byte` holding `data`.
    pub fn byte_slice(data: &[u8]) -> Value {
        Value::Object(Rc::new(Object::Bytes {
            data: data.to_vec(),
            text: String::from_utf8_lossy(data).into_owned(),
            slice: true,
        }))
    }

    /// The bytes of a string or bytes value.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Str(s) => Some(s.as_bytes()),
            Value::Object(o) => match &**o {
                Object::Bytes { data, .. } => Some(data),
                _ => None,
            },
            _ => None,
        }
    }
}

impl Value {
    /// A string value.
    pub fn str(s: impl AsRef<str>) -> Value {
        Value::Str(Rc::from(s.as_ref()))
    }

    /// A new map value.
    pub fn map(m: Map) -> Value {
        Value::Map(Rc::new(RefCell::new(m)))
    }

    /// A new list value.
    pub fn list(v: Vec<Value>) -> Value {
        Value::List(Rc::new(v))
    }

    /// Whether this is nil.
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    /// Go's `type` name as printed by `typeOf` and `%T`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "<nil>",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Int64(_) => "int64",
            Value::Float(_) => "float64",
            Value::Str(_) => "string",
            Value::List(_) => "[]interface {}",
            Value::Map(_) => "map[string]interface {}",
            Value::Object(o) => match **o {
                Object::Files(_) => "engine.files",
                Object::ApiVersions(_) => "common.VersionSet",
                Object::KubeVersion { .. } => "*common.KubeVersion",
                Object::Time(_) => "time.Time",
                Object::Bytes { slice: true, .. } => "[]uint8",
                Object::Bytes { slice: false, .. } => "string",
            },
        }
    }

    /// Go's `reflect.Kind` name as printed by `kindOf`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Nil => "invalid",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Int64(_) => "int64",
            Value::Float(_) => "float64",
            Value::Str(_) => "string",
            Value::List(_) => "slice",
            Value::Map(_) => "map",
            Value::Object(o) => match **o {
                Object::Files(_) => "map",
                Object::ApiVersions(_) => "slice",
                Object::KubeVersion { .. } => "ptr",
                Object::Time(_) => "struct",
                Object::Bytes { slice: true, .. } => "slice",
                Object::Bytes { slice: false, .. } => "string",
            },
        }
    }

    /// Go template truthiness (`if`, `with`, `and`, `or`, `not`).
    pub fn truthy(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) | Value::Int64(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Map(m) => !m.borrow().is_empty(),
            Value::Object(o) => match &**o {
                Object::Files(f) => !f.is_empty(),
                Object::ApiVersions(v) => !v.is_empty(),
                Object::KubeVersion { .. } | Object::Time(_) => true,
                Object::Bytes { data, .. } => !data.is_empty(),
            },
        }
    }

    /// Sprig's notion of "empty" (`default`, `empty`, `coalesce`, `compact`).
    pub fn is_empty(&self) -> bool {
        !self.truthy()
    }

    /// The string inside, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// An integer of either Go integer type.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) | Value::Int64(i) => Some(*i),
            _ => None,
        }
    }

    /// Deep copy (maps and lists are copied, not shared). Depth-limited.
    pub fn deep_copy(&self) -> Result<Value, String> {
        let mut left = MAX_COPY;
        self.deep_copy_at(0, &mut left)
    }

    fn deep_copy_at(&self, depth: usize, left: &mut u64) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err("value nested too deeply (cycle?)".into());
        }
        spend(left, self)?;
        Ok(match self {
            Value::List(l) => Value::list(
                l.iter()
                    .map(|v| v.deep_copy_at(depth + 1, left))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Map(m) => {
                let mut out = Map::new();
                for (k, v) in m.borrow().iter() {
                    out.insert(k.clone(), v.deep_copy_at(depth + 1, left)?);
                }
                Value::map(out)
            }
            other => other.clone(),
        })
    }

    /// Converts to JSON (numbers keep their Go type: ints stay integers).
    pub fn to_json(&self) -> Result<serde_json::Value, String> {
        let mut left = MAX_COPY;
        self.to_json_at(0, &mut left)
    }

    fn to_json_at(&self, depth: usize, left: &mut u64) -> Result<serde_json::Value, String> {
        use serde_json::Value as J;
        if depth > MAX_DEPTH {
            return Err("json: unsupported value: encountered a cycle".into());
        }
        spend(left, self)?;
        Ok(match self {
            Value::Nil => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) | Value::Int64(i) => J::from(*i),
            Value::Float(f) => {
                if !f.is_finite() {
                    // Go's `%v` of the three non-finite floats.
                    let v = if f.is_nan() {
                        "NaN"
                    } else if *f > 0.0 {
                        "+Inf"
                    } else {
                        "-Inf"
                    };
                    return Err(format!("json: unsupported value: {v}"));
                }
                serde_json::Number::from_f64(*f).map_or(J::Null, J::Number)
            }
            Value::Str(s) => J::String(s.to_string()),
            Value::List(l) => J::Array(
                l.iter()
                    .map(|v| v.to_json_at(depth + 1, left))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Map(m) => {
                let mut o = serde_json::Map::new();
                for (k, v) in m.borrow().iter() {
                    o.insert(k.clone(), v.to_json_at(depth + 1, left)?);
                }
                J::Object(o)
            }
            Value::Object(o) => match &**o {
                Object::Files(f) => {
                    let mut o = serde_json::Map::new();
                    for (k, v) in f.iter() {
                        o.insert(k.clone(), J::Array(v.iter().map(|b| J::from(*b)).collect()));
                    }
                    J::Object(o)
                }
                Object::ApiVersions(v) => J::Array(v.iter().map(|s| J::from(s.as_str())).collect()),
                Object::KubeVersion {
                    version,
                    major,
                    minor,
                } => serde_json::json!({"Version": version, "Major": major, "Minor": minor}),
                Object::Time(t) => {
                    J::String(crate::time::format_time(*t, "2006-01-02T15:04:05Z07:00"))
                }
                Object::Bytes {
                    data, slice: true, ..
                } => {
                    use base64::Engine as _;
                    J::String(base64::engine::general_purpose::STANDARD.encode(data))
                }
                Object::Bytes { text, .. } => J::String(text.clone()),
            },
        })
    }

    /// Converts from JSON the way `encoding/json` decodes into `interface{}`:
    /// every number becomes `float64`.
    pub fn from_json(j: &serde_json::Value) -> Value {
        use serde_json::Value as J;
        match j {
            J::Null => Value::Nil,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => Value::Float(n.as_f64().unwrap_or(0.0)),
            J::String(s) => Value::str(s),
            J::Array(a) => Value::list(a.iter().map(Value::from_json).collect()),
            J::Object(o) => Value::map(
                o.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }
}

/// Depth limit for recursive walks over values (printing, copying, encoding).
pub const MAX_DEPTH: usize = 100;

/// Most bytes a deep copy or a conversion to JSON builds: a value made of shared parts
/// (`dict "l" $d "r" $d`, doubled 40 times) is small in memory but enormous copied out.
const MAX_COPY: u64 = 32 << 20;

/// Counts the bytes `v` itself adds to a copy against `left`.
fn spend(left: &mut u64, v: &Value) -> Result<(), String> {
    let size = match v {
        Value::Str(s) => s.len() as u64 + 16,
        Value::List(l) => l.len() as u64 * 16 + 16,
        Value::Map(m) => m.borrow().len() as u64 * 48 + 16,
        _ => 16,
    };
    *left = left.checked_sub(size).ok_or_else(|| {
        format!(
            "the value is too large to copy (more than {} MiB)",
            MAX_COPY >> 20
        )
    })?;
    Ok(())
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::str(s)
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(Rc::from(s))
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
