//! Live objects: the objects of the cluster dumps.
//!
//! An object of a JSON dump is lazy. It keeps its identity, the byte range of its JSON in the
//! dump's text (one buffer per file, shared by all its objects) and a [`LiveHead`] — the few
//! `metadata` fields that are read for every object (labels, annotations, owner references,
//! uid) — and is parsed the first time [`LiveObject::obj`] is called, then kept. Loading a dump
//! thus costs little more than the dump's own size, and only the objects that are compared, or
//! inspected by a rule for more than their metadata, are ever built. Objects of YAML dumps,
//! and objects built in code, are held parsed.

use std::fmt;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::key::ObjectKey;
use super::object::Annotated;

/// An object read from a cluster dump.
#[derive(Clone)]
pub struct LiveObject {
    /// Identity.
    pub key: ObjectKey,
    /// `apiVersion` as served.
    pub api_version: String,
    /// Index of the dump source it came from (see [`crate::model::cluster::Cluster::sources`]).
    pub source: usize,
    head: LiveHead,
    body: Body,
}

#[derive(Clone)]
enum Body {
    /// Held parsed.
    Parsed(Value),
    /// Held as its JSON text, parsed on first use.
    Raw(Box<RawBody>),
}

#[derive(Clone)]
struct RawBody {
    /// The text of the whole dump file.
    text: Arc<String>,
    /// The object's JSON in `text`.
    range: Range<usize>,
    /// Whether `apiVersion` and `kind` come from the enclosing typed list (`DeploymentList`)
    /// and must be added to the parsed object.
    inherited: bool,
    /// The whole object, once parsed.
    full: OnceLock<Value>,
}

impl LiveObject {
    /// A live object held parsed.
    pub fn new(key: ObjectKey, api_version: String, obj: Value, source: usize) -> Self {
        LiveObject {
            key,
            api_version,
            source,
            head: LiveHead::of_object(&obj),
            body: Body::Parsed(obj),
        }
    }

    /// A live object held as the JSON at `range` of `text`, parsed on first use.
    ///
    /// The caller guarantees that the JSON parses into a [`Value`] (the dump loader checks it
    /// while reading `head`, so that an unreadable object is reported when the dump is loaded
    /// rather than when it is first used), and that `head` is the [`LiveHead`] of that value.
    /// With `inherited`, `apiVersion` (from [`LiveObject::api_version`]) and `kind` (from the
    /// key) are added to the parsed object, as for the items of a typed list that omit them.
    pub fn from_json(
        key: ObjectKey,
        api_version: String,
        source: usize,
        text: Arc<String>,
        range: Range<usize>,
        inherited: bool,
        head: LiveHead,
    ) -> Self {
        LiveObject {
            key,
            api_version,
            source,
            head,
            body: Body::Raw(Box::new(RawBody {
                text,
                range,
                inherited,
                full: OnceLock::new(),
            })),
        }
    }

    /// The whole object. For an object of a JSON dump this parses it on the first call, and
    /// keeps it: read [`LiveObject::head`] when the metadata it holds is enough, and filter by
    /// [`LiveObject::key`] before calling this on many objects.
    pub fn obj(&self) -> &Value {
        match &self.body {
            Body::Parsed(v) => v,
            Body::Raw(raw) => raw
                .full
                .get_or_init(|| raw.parse(&self.key, &self.api_version)),
        }
    }

    /// Changes the object (parsed first if needed); the head follows the change.
    pub fn modify(&mut self, change: impl FnOnce(&mut Value)) {
        let mut obj = match std::mem::replace(&mut self.body, Body::Parsed(Value::Null)) {
            Body::Parsed(v) => v,
            Body::Raw(mut raw) => match raw.full.take() {
                Some(v) => v,
                None => raw.parse(&self.key, &self.api_version),
            },
        };
        change(&mut obj);
        self.head = LiveHead::of_object(&obj);
        self.body = Body::Parsed(obj);
    }

    /// Labels, annotations, owner references and uid, read without parsing the object.
    pub fn head(&self) -> &LiveHead {
        &self.head
    }

    /// `metadata.uid`, or "" (read without parsing the object).
    pub fn uid(&self) -> &str {
        self.head.uid()
    }

    /// `metadata.ownerReferences` (read without parsing the object).
    pub fn owner_references(&self) -> &[OwnerRef] {
        self.head.owner_references()
    }

    /// The object's JSON text as it is in the dump, for lazy objects of JSON dumps.
    pub fn json_text(&self) -> Option<&str> {
        match &self.body {
            Body::Parsed(_) => None,
            Body::Raw(raw) => raw.text.get(raw.range.clone()),
        }
    }

    /// Whether the whole object is held parsed (always for objects of YAML dumps; for objects
    /// of JSON dumps, once [`LiveObject::obj`] has been called).
    pub fn is_parsed(&self) -> bool {
        match &self.body {
            Body::Parsed(_) => true,
            Body::Raw(raw) => raw.full.get().is_some(),
        }
    }

    /// Calls `f` with every string value of the object (not the keys), in no particular order.
    /// An object of a JSON dump that is not parsed yet is read from the dump's text without
    /// being built.
    pub fn for_each_string(&self, f: &mut dyn FnMut(&str)) {
        if let Body::Raw(raw) = &self.body {
            if raw.full.get().is_none() {
                let text = raw.text.get(raw.range.clone()).unwrap_or("");
                let mut de = serde_json::Deserializer::from_str(text);
                // The loader checked that the text parses.
                let _ = Strings(&mut *f).deserialize(&mut de);
                if raw.inherited {
                    f(&self.api_version);
                    f(&self.key.kind);
                }
                return;
            }
        }
        let mut todo: Vec<&Value> = vec![self.obj()];
        while let Some(v) = todo.pop() {
            match v {
                Value::String(s) => f(s),
                Value::Array(a) => todo.extend(a.iter()),
                Value::Object(m) => todo.extend(m.values()),
                _ => {}
            }
        }
    }
}

impl Annotated for LiveObject {
    fn annotation(&self, name: &str) -> Option<&str> {
        self.head.annotation(name)
    }

    fn label(&self, name: &str) -> Option<&str> {
        self.head.label(name)
    }
}

impl RawBody {
    fn parse(&self, key: &ObjectKey, api_version: &str) -> Value {
        let text = self.text.get(self.range.clone()).unwrap_or("");
        // The loader checked that the text parses; should it not, an empty object stands in
        // rather than failing a scan half-way.
        let mut obj = serde_json::from_str::<Value>(text)
            .unwrap_or_else(|_| Value::Object(serde_json::Map::new()));
        if self.inherited {
            if let Value::Object(m) = &mut obj {
                m.insert("apiVersion".into(), Value::String(api_version.to_string()));
                m.insert("kind".into(), Value::String(key.kind.clone()));
            }
        }
        obj
    }
}

impl fmt::Debug for LiveObject {
    /// Identity and state only: the content of a live object may be a Secret's.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LiveObject")
            .field("key", &self.key)
            .field("api_version", &self.api_version)
            .field("source", &self.source)
            .field("parsed", &self.is_parsed())
            .finish_non_exhaustive()
    }
}

/// The `metadata` fields of a live object that are read for every object — by the tracking of
/// Application resources, the hook and sync-option annotations, the resource tree and some
/// rules — kept compactly when the dump is loaded. What is not here is read from
/// [`LiveObject::obj`].
#[derive(Clone, Default, PartialEq)]
pub struct LiveHead {
    /// `metadata.labels`, sorted by name.
    labels: Box<[(Box<str>, Value)]>,
    /// `metadata.annotations` whose values are strings, sorted by name.
    annotations: Box<[(Box<str>, Box<str>)]>,
    /// `metadata.ownerReferences`, one per item of the array.
    owners: Box<[OwnerRef]>,
    /// `metadata.uid`, if a string.
    uid: Option<Box<str>>,
}

/// An item of `metadata.ownerReferences`: the fields that are read of it, each when it is a
/// string.
#[derive(Clone, Default, PartialEq)]
pub struct OwnerRef {
    kind: Option<Box<str>>,
    name: Option<Box<str>>,
    uid: Option<Box<str>>,
}

impl OwnerRef {
    /// `kind`.
    pub fn kind(&self) -> Option<&str> {
        self.kind.as_deref()
    }

    /// `name`.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// `uid`.
    pub fn uid(&self) -> Option<&str> {
        self.uid.as_deref()
    }
}

fn boxed_str(v: Option<&Value>) -> Option<Box<str>> {
    v.and_then(Value::as_str).map(Box::from)
}

impl LiveHead {
    /// The head of a whole object.
    pub fn of_object(obj: &Value) -> Self {
        let meta = obj.get("metadata");
        LiveHead::from_fields(
            meta.and_then(|m| m.get("labels")),
            meta.and_then(|m| m.get("annotations")),
            meta.and_then(|m| m.get("ownerReferences")),
            meta.and_then(|m| m.get("uid")),
        )
    }

    /// The head from the values of `metadata.labels`, `.annotations`, `.ownerReferences` and
    /// `.uid`.
    pub fn from_fields(
        labels: Option<&Value>,
        annotations: Option<&Value>,
        owners: Option<&Value>,
        uid: Option<&Value>,
    ) -> Self {
        // Maps iterate in key order: the lists come out sorted.
        let labels = match labels {
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| (Box::from(k.as_str()), v.clone()))
                .collect(),
            _ => Box::default(),
        };
        let annotations = match annotations {
            Some(Value::Object(m)) => m
                .iter()
                .filter_map(|(k, v)| Some((Box::from(k.as_str()), Box::from(v.as_str()?))))
                .collect(),
            _ => Box::default(),
        };
        let owners = match owners {
            Some(Value::Array(a)) => a
                .iter()
                .map(|r| OwnerRef {
                    kind: boxed_str(r.get("kind")),
                    name: boxed_str(r.get("name")),
                    uid: boxed_str(r.get("uid")),
                })
                .collect(),
            _ => Box::default(),
        };
        LiveHead {
            labels,
            annotations,
            owners,
            uid: boxed_str(uid),
        }
    }

    /// `metadata.labels[name]`, whatever its type.
    pub fn label_value(&self, name: &str) -> Option<&Value> {
        let i = self
            .labels
            .binary_search_by(|(k, _)| k.as_ref().cmp(name))
            .ok()?;
        self.labels.get(i).map(|(_, v)| v)
    }

    /// Whether `metadata.labels` is a non-empty map.
    pub fn has_labels(&self) -> bool {
        !self.labels.is_empty()
    }

    /// `metadata.ownerReferences`.
    pub fn owner_references(&self) -> &[OwnerRef] {
        &self.owners
    }

    /// `metadata.uid`, or "".
    pub fn uid(&self) -> &str {
        self.uid.as_deref().unwrap_or("")
    }
}

impl Annotated for LiveHead {
    fn annotation(&self, name: &str) -> Option<&str> {
        let i = self
            .annotations
            .binary_search_by(|(k, _)| k.as_ref().cmp(name))
            .ok()?;
        self.annotations.get(i).map(|(_, v)| v.as_ref())
    }

    fn label(&self, name: &str) -> Option<&str> {
        self.label_value(name)?.as_str()
    }
}

impl fmt::Debug for LiveHead {
    /// Names only: annotation values may quote a Secret (`last-applied-configuration`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LiveHead")
            .field(
                "labels",
                &self.labels.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field(
                "annotations",
                &self.annotations.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("owner_references", &self.owners.len())
            .field("uid", &self.uid)
            .finish()
    }
}

/// Streams the string values of a JSON text to a callback, building nothing.
struct Strings<'f>(&'f mut dyn FnMut(&str));

impl<'de> DeserializeSeed<'de> for Strings<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strings<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<(), E> {
        (self.0)(s);
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Strings(&mut *self.0))?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key::<IgnoredAny>()?.is_some() {
            map.next_value_seed(Strings(&mut *self.0))?;
        }
        Ok(())
    }
}
