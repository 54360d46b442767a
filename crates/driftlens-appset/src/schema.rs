//! The Application types as the controller holds them: Go structs decoded with
//! `encoding/json`.
//!
//! The controller never works on the YAML of a template: it decodes it into
//! `ApplicationSetTemplate`, walks the typed value and marshals the result. Which fields exist,
//! which are pointers (absent vs. present-but-empty), which are `omitempty` and which are raw
//! JSON decide what a generated Application looks like. [`Ty`] describes those Go types; a
//! value is held as its *canonical JSON*: what `json.Marshal` of the decoded value prints.
//! Unknown fields vanish (the API server prunes them), empty `omitempty` fields are left out,
//! and non-`omitempty` ones are always there (`project: ""`, `destination: {}`).
//!
//! Operations on canonical values follow the Go code they stand for: [`decode`]
//! (`json.Unmarshal` + `json.Marshal`), [`walk_strings`] (the controller's reflection walk that
//! renders every string), [`merge_fill`] (`mergo.Merge` without override, for generator
//! template overrides) and emptiness as `encoding/json` and mergo judge it.

use serde_json::{Map, Value as J};

/// A Go type of the Application API, as far as JSON shows it.
#[derive(Debug, Clone, Copy)]
pub enum Ty {
    /// `string`.
    Str,
    /// `bool`.
    Bool,
    /// `int64` (or any integer).
    Int,
    /// A pointer: `null` when nil.
    Ptr(&'static Ty),
    /// A struct with these fields.
    Struct(&'static [Field]),
    /// A slice: `null` when nil.
    Slice(&'static Ty),
    /// `map[string]T`: `null` when nil.
    Map(&'static Ty),
    /// Raw JSON (`runtime.RawExtension`, `apiextensionsv1.JSON`): any value.
    Raw,
    /// `intstr.IntOrString`: a number or a string.
    IntOrString,
    /// `ApplicationSourcePluginParameter`, which has its own marshaller.
    PluginParam,
}

/// When a struct field is left out of the JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Omit {
    /// Always written.
    Never,
    /// `omitempty`: left out when `""`, `false`, `0`, a nil pointer, or an empty slice or map.
    Empty,
    /// `omitzero` on a struct: left out when every field is zero.
    Zero,
}

/// A struct field: JSON name, type, omission rule and merge strategy.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// JSON name.
    pub name: &'static str,
    /// Go type.
    pub ty: Ty,
    /// When the field is left out.
    pub omit: Omit,
    /// `patchStrategy:"merge"` (strategic merge patches union such lists).
    pub merge: bool,
}

const fn f(name: &'static str, ty: Ty) -> Field {
    Field {
        name,
        ty,
        omit: Omit::Empty,
        merge: false,
    }
}

const fn req(name: &'static str, ty: Ty) -> Field {
    Field {
        name,
        ty,
        omit: Omit::Never,
        merge: false,
    }
}

const STR: Ty = Ty::Str;
const BOOL: Ty = Ty::Bool;
const STRS: Ty = Ty::Slice(&STR);
const STR_MAP: Ty = Ty::Map(&STR);
const BOOL_PTR: Ty = Ty::Ptr(&BOOL);
const INT_PTR: Ty = Ty::Ptr(&Ty::Int);

/// `metav1.ObjectMeta`, the fields a generated Application can have.
pub const OBJECT_META: Ty = Ty::Struct(&[
    f("name", STR),
    f("generateName", STR),
    f("namespace", STR),
    f("labels", STR_MAP),
    f("annotations", STR_MAP),
    Field {
        name: "finalizers",
        ty: STRS,
        omit: Omit::Empty,
        merge: true,
    },
]);

/// `ApplicationSetTemplateMeta`.
pub const TEMPLATE_META: Ty = Ty::Struct(&[
    f("name", STR),
    f("namespace", STR),
    f("labels", STR_MAP),
    f("annotations", STR_MAP),
    f("finalizers", STRS),
]);

const HELM_PARAMETER: Ty = Ty::Struct(&[f("name", STR), f("value", STR), f("forceString", BOOL)]);
const HELM_FILE_PARAMETER: Ty = Ty::Struct(&[f("name", STR), f("path", STR)]);
const HELM: Ty = Ty::Struct(&[
    f("valueFiles", STRS),
    f("parameters", Ty::Slice(&HELM_PARAMETER)),
    f("releaseName", STR),
    f("values", STR),
    f("fileParameters", Ty::Slice(&HELM_FILE_PARAMETER)),
    f("version", STR),
    f("passCredentials", BOOL),
    f("ignoreMissingValueFiles", BOOL),
    f("skipCrds", BOOL),
    f("valuesObject", Ty::Ptr(&Ty::Raw)),
    f("namespace", STR),
    f("kubeVersion", STR),
    f("apiVersions", STRS),
    f("skipTests", BOOL),
    f("skipSchemaValidation", BOOL),
]);
const KUSTOMIZE_REPLICA: Ty = Ty::Struct(&[req("name", STR), req("count", Ty::IntOrString)]);
const KUSTOMIZE_SELECTOR: Ty = Ty::Struct(&[
    f("group", STR),
    f("version", STR),
    f("kind", STR),
    f("name", STR),
    f("namespace", STR),
    f("annotationSelector", STR),
    f("labelSelector", STR),
]);
const KUSTOMIZE_PATCH: Ty = Ty::Struct(&[
    f("path", STR),
    f("patch", STR),
    f("target", Ty::Ptr(&KUSTOMIZE_SELECTOR)),
    f("options", Ty::Map(&BOOL)),
]);
const KUSTOMIZE: Ty = Ty::Struct(&[
    f("namePrefix", STR),
    f("nameSuffix", STR),
    f("images", STRS),
    f("commonLabels", STR_MAP),
    f("version", STR),
    f("commonAnnotations", STR_MAP),
    f("forceCommonLabels", BOOL),
    f("forceCommonAnnotations", BOOL),
    f("namespace", STR),
    f("commonAnnotationsEnvsubst", BOOL),
    f("replicas", Ty::Slice(&KUSTOMIZE_REPLICA)),
    f("patches", Ty::Slice(&KUSTOMIZE_PATCH)),
    f("components", STRS),
    f("ignoreMissingComponents", BOOL),
    f("labelWithoutSelector", BOOL),
    f("kubeVersion", STR),
    f("apiVersions", STRS),
    f("labelIncludeTemplates", BOOL),
]);
const JSONNET_VAR: Ty = Ty::Struct(&[req("name", STR), req("value", STR), f("code", BOOL)]);
const JSONNET: Ty = Ty::Struct(&[
    f("extVars", Ty::Slice(&JSONNET_VAR)),
    f("tlas", Ty::Slice(&JSONNET_VAR)),
    f("libs", STRS),
]);
const DIRECTORY: Ty = Ty::Struct(&[
    f("recurse", BOOL),
    Field {
        name: "jsonnet",
        ty: JSONNET,
        omit: Omit::Zero,
        merge: false,
    },
    f("exclude", STR),
    f("include", STR),
]);
const ENV_ENTRY: Ty = Ty::Struct(&[req("name", STR), req("value", STR)]);
const PLUGIN: Ty = Ty::Struct(&[
    f("name", STR),
    f("env", Ty::Slice(&ENV_ENTRY)),
    f("parameters", Ty::Slice(&Ty::PluginParam)),
]);
/// `ApplicationSource`.
pub const SOURCE: Ty = Ty::Struct(&[
    req("repoURL", STR),
    f("path", STR),
    f("targetRevision", STR),
    f("helm", Ty::Ptr(&HELM)),
    f("kustomize", Ty::Ptr(&KUSTOMIZE)),
    f("directory", Ty::Ptr(&DIRECTORY)),
    f("plugin", Ty::Ptr(&PLUGIN)),
    f("chart", STR),
    f("ref", STR),
    f("name", STR),
    f("tagPrefix", STR),
]);
const DESTINATION: Ty = Ty::Struct(&[f("server", STR), f("namespace", STR), f("name", STR)]);
const AUTOMATED: Ty = Ty::Struct(&[
    f("prune", BOOL_PTR),
    f("selfHeal", BOOL_PTR),
    f("allowEmpty", BOOL_PTR),
    f("enabled", BOOL_PTR),
]);
const BACKOFF: Ty = Ty::Struct(&[
    f("duration", STR),
    f("factor", INT_PTR),
    f("maxDuration", STR),
]);
const RETRY: Ty = Ty::Struct(&[
    f("limit", Ty::Int),
    f("backoff", Ty::Ptr(&BACKOFF)),
    f("refresh", BOOL),
]);
const MANAGED_NAMESPACE_METADATA: Ty =
    Ty::Struct(&[f("labels", STR_MAP), f("annotations", STR_MAP)]);
const SYNC_POLICY: Ty = Ty::Struct(&[
    f("automated", Ty::Ptr(&AUTOMATED)),
    f("syncOptions", STRS),
    f("retry", Ty::Ptr(&RETRY)),
    f(
        "managedNamespaceMetadata",
        Ty::Ptr(&MANAGED_NAMESPACE_METADATA),
    ),
]);
const IGNORE_DIFFERENCE: Ty = Ty::Struct(&[
    f("group", STR),
    req("kind", STR),
    f("name", STR),
    f("namespace", STR),
    f("jsonPointers", STRS),
    f("jqPathExpressions", STRS),
    f("managedFieldsManagers", STRS),
]);
const INFO: Ty = Ty::Struct(&[req("name", STR), req("value", STR)]);
const DRY_SOURCE: Ty = Ty::Struct(&[
    req("repoURL", STR),
    req("targetRevision", STR),
    req("path", STR),
    f("helm", Ty::Ptr(&HELM)),
    f("kustomize", Ty::Ptr(&KUSTOMIZE)),
    f("directory", Ty::Ptr(&DIRECTORY)),
    f("plugin", Ty::Ptr(&PLUGIN)),
]);
const SYNC_SOURCE: Ty = Ty::Struct(&[
    req("targetBranch", STR),
    req("path", STR),
    f("repoURL", STR),
]);
const HYDRATE_TO: Ty = Ty::Struct(&[req("targetBranch", STR)]);
const SOURCE_HYDRATOR: Ty = Ty::Struct(&[
    req("drySource", DRY_SOURCE),
    req("syncSource", SYNC_SOURCE),
    f("hydrateTo", Ty::Ptr(&HYDRATE_TO)),
]);
/// `ApplicationSpec`.
pub const SPEC: Ty = Ty::Struct(&[
    f("source", Ty::Ptr(&SOURCE)),
    req("destination", DESTINATION),
    req("project", STR),
    f("syncPolicy", Ty::Ptr(&SYNC_POLICY)),
    f("ignoreDifferences", Ty::Slice(&IGNORE_DIFFERENCE)),
    f("info", Ty::Slice(&INFO)),
    f("revisionHistoryLimit", INT_PTR),
    f("sources", Ty::Slice(&SOURCE)),
    f("sourceHydrator", Ty::Ptr(&SOURCE_HYDRATOR)),
]);
/// `ApplicationSetTemplate`.
pub const TEMPLATE: Ty = Ty::Struct(&[req("metadata", TEMPLATE_META), req("spec", SPEC)]);
/// `Application` (type meta, metadata and spec; status and operation are never generated).
pub const APPLICATION: Ty = Ty::Struct(&[
    f("apiVersion", STR),
    f("kind", STR),
    req("metadata", OBJECT_META),
    req("spec", SPEC),
]);

/// Why a value does not decode into its Go type (what `json.Unmarshal` refuses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// Dotted path of the field.
    pub path: String,
    /// What was expected and found.
    pub message: String,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

fn kind_of(v: &J) -> &'static str {
    match v {
        J::Null => "null",
        J::Bool(_) => "a boolean",
        J::Number(_) => "a number",
        J::String(_) => "a string",
        J::Array(_) => "a list",
        J::Object(_) => "a mapping",
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// Decodes `v` into `ty` and returns its canonical JSON; fields the type does not have are
/// dropped and their paths pushed on `dropped`.
pub fn decode(ty: &Ty, v: &J, path: &str, dropped: &mut Vec<String>) -> Result<J, DecodeError> {
    let wrong = |want: &str| DecodeError {
        path: path.to_string(),
        message: format!("expected {want}, found {}", kind_of(v)),
    };
    Ok(match ty {
        Ty::Str => match v {
            J::String(_) => v.clone(),
            J::Null => J::String(String::new()),
            _ => return Err(wrong("a string")),
        },
        Ty::Bool => match v {
            J::Bool(_) => v.clone(),
            J::Null => J::Bool(false),
            _ => return Err(wrong("a boolean")),
        },
        Ty::Int => match v {
            J::Number(n) if n.is_i64() || n.is_u64() => v.clone(),
            J::Number(n) => match n.as_f64() {
                Some(x) if x.fract() == 0.0 && x.abs() < 9.2e18 => J::from(x as i64),
                _ => return Err(wrong("an integer")),
            },
            J::Null => J::from(0),
            _ => return Err(wrong("an integer")),
        },
        Ty::Ptr(inner) => match v {
            J::Null => J::Null,
            _ => decode(inner, v, path, dropped)?,
        },
        Ty::Struct(fields) => {
            let empty = Map::new();
            let obj = match v {
                J::Object(o) => o,
                J::Null => &empty,
                _ => return Err(wrong("a mapping")),
            };
            for k in obj.keys() {
                if !fields.iter().any(|f| f.name == k) {
                    dropped.push(join(path, k));
                }
            }
            let mut out = Map::new();
            for field in fields.iter() {
                let fv = obj.get(field.name).unwrap_or(&J::Null);
                let d = decode(&field.ty, fv, &join(path, field.name), dropped)?;
                put_field(&mut out, field, d);
            }
            J::Object(out)
        }
        Ty::Slice(inner) => match v {
            J::Null => J::Null,
            J::Array(items) => J::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, e)| decode(inner, e, &format!("{path}[{i}]"), dropped))
                    .collect::<Result<_, _>>()?,
            ),
            _ => return Err(wrong("a list")),
        },
        Ty::Map(inner) => match v {
            J::Null => J::Null,
            J::Object(o) => {
                let mut out = Map::new();
                for (k, e) in o {
                    out.insert(k.clone(), decode(inner, e, &join(path, k), dropped)?);
                }
                J::Object(out)
            }
            _ => return Err(wrong("a mapping")),
        },
        Ty::Raw => v.clone(),
        Ty::IntOrString => match v {
            J::String(_) => v.clone(),
            J::Null => J::from(0),
            J::Number(n) => match n.as_i64() {
                Some(i) if i32::try_from(i).is_ok() => v.clone(),
                _ => return Err(wrong("a 32-bit integer or a string")),
            },
            _ => return Err(wrong("an integer or a string")),
        },
        Ty::PluginParam => {
            let empty = Map::new();
            let obj = match v {
                J::Object(o) => o,
                J::Null => &empty,
                _ => return Err(wrong("a mapping")),
            };
            let mut out = Map::new();
            out.insert(
                "name".into(),
                decode(
                    &STR,
                    obj.get("name").unwrap_or(&J::Null),
                    &join(path, "name"),
                    dropped,
                )?,
            );
            if let Some(s) = obj.get("string").filter(|s| !s.is_null()) {
                out.insert(
                    "string".into(),
                    decode(&STR, s, &join(path, "string"), dropped)?,
                );
            }
            // Present, even as null, allocates the optional map or array: `{}` / `[]`.
            if let Some(m) = obj.get("map") {
                let d = decode(&STR_MAP, m, &join(path, "map"), dropped)?;
                out.insert(
                    "map".into(),
                    if d.is_null() {
                        J::Object(Map::new())
                    } else {
                        d
                    },
                );
            }
            if let Some(a) = obj.get("array") {
                let d = decode(&STRS, a, &join(path, "array"), dropped)?;
                out.insert(
                    "array".into(),
                    if d.is_null() { J::Array(Vec::new()) } else { d },
                );
            }
            for k in obj.keys() {
                if !matches!(k.as_str(), "name" | "string" | "map" | "array") {
                    dropped.push(join(path, k));
                }
            }
            J::Object(out)
        }
    })
}

/// Puts a decoded field value into a struct's canonical object unless the field's omission
/// rule leaves it out.
fn put_field(out: &mut Map<String, J>, field: &Field, v: J) {
    let omit = match field.omit {
        Omit::Never => false,
        Omit::Empty => json_empty(&field.ty, &v),
        Omit::Zero => is_zero(&field.ty, &v),
    };
    if !omit {
        out.insert(field.name.to_string(), v);
    }
}

/// The canonical zero value of a type (what a non-`omitempty` field shows when unset).
pub fn zero(ty: &Ty) -> J {
    match ty {
        Ty::Str => J::String(String::new()),
        Ty::Bool => J::Bool(false),
        Ty::Int | Ty::IntOrString => J::from(0),
        Ty::Struct(fields) => {
            let mut out = Map::new();
            for field in fields.iter() {
                put_field(&mut out, field, zero(&field.ty));
            }
            J::Object(out)
        }
        Ty::PluginParam => serde_json::json!({"name": ""}),
        Ty::Ptr(_) | Ty::Slice(_) | Ty::Map(_) | Ty::Raw => J::Null,
    }
}

/// `encoding/json`'s emptiness for `omitempty`: structs are never empty, pointers only when
/// nil.
pub fn json_empty(ty: &Ty, v: &J) -> bool {
    match (ty, v) {
        (_, J::Null) => !matches!(ty, Ty::Struct(_) | Ty::PluginParam | Ty::IntOrString),
        (Ty::Str, J::String(s)) => s.is_empty(),
        (Ty::Bool, J::Bool(b)) => !b,
        (Ty::Int, J::Number(n)) => n.as_f64() == Some(0.0),
        (Ty::Slice(_), J::Array(a)) => a.is_empty(),
        (Ty::Map(_), J::Object(o)) => o.is_empty(),
        _ => false,
    }
}

/// mergo's emptiness: like `encoding/json`'s, but a pointer is empty when what it points to
/// is.
pub fn mergo_empty(ty: &Ty, v: &J) -> bool {
    match (ty, v) {
        (Ty::Ptr(_), J::Null) => true,
        (Ty::Ptr(inner), v) => mergo_empty(inner, v),
        _ => json_empty(ty, v),
    }
}

/// Whether a struct value is Go's zero value (for `omitzero`).
fn is_zero(ty: &Ty, v: &J) -> bool {
    match (ty, v) {
        (Ty::Struct(fields), J::Object(o)) => fields.iter().all(|f| match o.get(f.name) {
            None => true,
            Some(fv) => is_zero(&f.ty, fv),
        }),
        (Ty::Struct(_), J::Null) => true,
        (Ty::Slice(_) | Ty::Map(_) | Ty::Ptr(_) | Ty::Raw, J::Null) => true,
        (Ty::Slice(_) | Ty::Map(_), _) => false,
        _ => json_empty(ty, v),
    }
}

/// A struct field's value in a canonical object (its zero when left out).
pub fn field_value(obj: &Map<String, J>, field: &Field) -> J {
    obj.get(field.name)
        .cloned()
        .unwrap_or_else(|| zero(&field.ty))
}

/// Re-canonicalizes a value of `ty` (after edits): omission rules applied again.
pub fn canonical(ty: &Ty, v: &J) -> J {
    let mut dropped = Vec::new();
    decode(ty, v, "", &mut dropped).unwrap_or_else(|_| v.clone())
}

/// Renders every string of a value the way the controller's reflection walk does: string
/// fields, `*string`, list items, map values **and map keys**; raw JSON is decoded, walked
/// (members that are `null` dropped, numbers become `float64`) and encoded again. Integers
/// and booleans are copied. Keys that render to the same text collapse (the later wins).
pub fn walk_strings(
    ty: &Ty,
    v: &J,
    render: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Result<J, String> {
    Ok(match (ty, v) {
        (_, J::Null) => J::Null,
        (Ty::Str, J::String(s)) => J::String(render(s)?),
        (Ty::Ptr(inner), _) => walk_strings(inner, v, render)?,
        (Ty::Struct(fields), J::Object(o)) => {
            let mut out = Map::new();
            for field in fields.iter() {
                if let Some(fv) = o.get(field.name) {
                    let w = walk_strings(&field.ty, fv, render)?;
                    put_field(&mut out, field, w);
                }
            }
            J::Object(out)
        }
        (Ty::Slice(inner), J::Array(items)) => J::Array(
            items
                .iter()
                .map(|e| walk_strings(inner, e, render))
                .collect::<Result<_, _>>()?,
        ),
        (Ty::Map(inner), J::Object(o)) => {
            let mut out = Map::new();
            for (k, e) in o {
                let w = walk_strings(inner, e, render)?;
                out.insert(render(k)?, w);
            }
            J::Object(out)
        }
        (Ty::Raw, _) => walk_raw(v, render)?,
        (Ty::IntOrString, J::String(s)) => J::String(render(s)?),
        (Ty::PluginParam, J::Object(o)) => {
            let mut out = Map::new();
            for (k, e) in o {
                let w = match k.as_str() {
                    "map" => walk_strings(&STR_MAP, e, render)?,
                    "array" => walk_strings(&STRS, e, render)?,
                    _ => walk_strings(&STR, e, render)?,
                };
                out.insert(k.clone(), w);
            }
            J::Object(out)
        }
        _ => v.clone(),
    })
}

/// The walk over raw JSON (decoded into `interface{}`): strings rendered, map keys rendered,
/// `null` members of maps dropped, numbers as `float64`.
pub fn walk_raw(
    v: &J,
    render: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Result<J, String> {
    Ok(match v {
        J::String(s) => J::String(render(s)?),
        J::Number(n) => go_number(n.as_f64().unwrap_or(0.0)),
        J::Array(items) => J::Array(
            items
                .iter()
                .map(|e| walk_raw(e, render))
                .collect::<Result<_, _>>()?,
        ),
        J::Object(o) => {
            let mut out = Map::new();
            for (k, e) in o {
                if e.is_null() {
                    continue;
                }
                let w = walk_raw(e, render)?;
                out.insert(render(k)?, w);
            }
            J::Object(out)
        }
        other => other.clone(),
    })
}

/// A `float64` as `encoding/json` writes it, as a JSON number: whole numbers below 1e21 are
/// integers.
pub fn go_number(x: f64) -> J {
    if x.fract() == 0.0 && x.abs() < 9.2e18 {
        J::from(x as i64)
    } else {
        serde_json::Number::from_f64(x).map_or(J::Null, J::Number)
    }
}

/// `mergo.Merge(dst, src)` without override, for a generator's template override (`dst`)
/// and the ApplicationSet's template (`src`): empty fields of `dst` are filled from `src`;
/// structs and non-nil pointers field by field; maps gain the keys they lack (or whose value
/// is empty); slices are taken whole when `dst`'s is empty.
pub fn merge_fill(ty: &Ty, dst: &J, src: &J) -> J {
    match ty {
        Ty::Ptr(inner) => {
            if src.is_null() {
                dst.clone()
            } else if dst.is_null() {
                src.clone()
            } else {
                merge_fill(inner, dst, src)
            }
        }
        Ty::Struct(fields) => {
            let (Some(d), Some(s)) = (dst.as_object(), src.as_object()) else {
                return if dst.is_null() {
                    src.clone()
                } else {
                    dst.clone()
                };
            };
            let mut out = Map::new();
            for field in fields.iter() {
                let merged = merge_fill(&field.ty, &field_value(d, field), &field_value(s, field));
                put_field(&mut out, field, merged);
            }
            J::Object(out)
        }
        Ty::Map(inner) => {
            let Some(s) = src.as_object() else {
                return dst.clone();
            };
            let mut out = dst.as_object().cloned().unwrap_or_default();
            for (k, sv) in s {
                let fill = match out.get(k) {
                    None => true,
                    Some(dv) => mergo_empty(inner, dv),
                };
                if fill {
                    out.insert(k.clone(), sv.clone());
                }
            }
            J::Object(out)
        }
        Ty::Raw | Ty::IntOrString | Ty::PluginParam => {
            if dst.is_null() {
                src.clone()
            } else {
                dst.clone()
            }
        }
        Ty::Slice(_) | Ty::Str | Ty::Bool | Ty::Int => {
            if mergo_empty(ty, dst) && !mergo_empty(ty, src) {
                src.clone()
            } else {
                dst.clone()
            }
        }
    }
}

/// The field of a struct type by JSON name.
pub fn field<'a>(ty: &'a Ty, name: &str) -> Option<&'a Field> {
    match ty {
        Ty::Struct(fields) => fields.iter().find(|f| f.name == name),
        Ty::Ptr(inner) => field(inner, name),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dec(ty: &Ty, v: J) -> J {
        decode(ty, &v, "", &mut Vec::new()).expect("decodes")
    }

    #[test]
    fn canonical_form_is_what_go_marshals() {
        let spec = dec(
            &SPEC,
            json!({"source": {"repoURL": "r", "path": "", "helm": {}}, "bogus": 1,
                   "syncPolicy": {"automated": {"prune": false}}}),
        );
        assert_eq!(
            spec,
            json!({"source": {"repoURL": "r", "helm": {}}, "destination": {}, "project": "",
                   "syncPolicy": {"automated": {"prune": false}}})
        );
        let mut dropped = Vec::new();
        decode(
            &SPEC,
            &json!({"bogus": 1, "source": {"x": 2}}),
            "spec",
            &mut dropped,
        )
        .unwrap();
        assert_eq!(dropped, vec!["spec.bogus", "spec.source.x"]);
        let e = decode(&SPEC, &json!({"project": 3}), "spec", &mut Vec::new()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "spec.project: expected a string, found a number"
        );
        // omitzero: a directory without jsonnet options has no `jsonnet` key.
        assert_eq!(
            dec(
                &Ty::Ptr(&DIRECTORY),
                json!({"recurse": true, "jsonnet": {}})
            ),
            json!({"recurse": true})
        );
        // A plugin parameter's map and array show as soon as they are present.
        assert_eq!(
            dec(&Ty::PluginParam, json!({"map": null, "array": null})),
            json!({"name": "", "map": {}, "array": []})
        );
    }

    #[test]
    fn mergo_fills_only_what_is_empty() {
        let over = dec(
            &TEMPLATE,
            json!({"metadata": {"name": "over", "labels": {"a": "1", "b": ""}},
                   "spec": {"destination": {"server": "s"},
                            "syncPolicy": {"automated": {"prune": false}}}}),
        );
        let base = dec(
            &TEMPLATE,
            json!({"metadata": {"name": "base", "labels": {"b": "2", "c": "3"}},
                   "spec": {"project": "p", "destination": {"name": "n"},
                            "syncPolicy": {"automated": {"prune": true, "selfHeal": true}}}}),
        );
        assert_eq!(
            merge_fill(&TEMPLATE, &over, &base),
            json!({"metadata": {"name": "over", "labels": {"a": "1", "b": "2", "c": "3"}},
                   "spec": {"project": "p", "destination": {"server": "s", "name": "n"},
                            "syncPolicy": {"automated": {"prune": true, "selfHeal": true}}}})
        );
    }

    #[test]
    fn the_walk_renders_keys_and_raw_json() {
        let v = dec(
            &SPEC,
            json!({"project": "{{p}}", "source": {"repoURL": "u", "helm": {
                "valuesObject": {"{{k}}": "{{v}}", "n": 1.0, "gone": null, "l": [null, 2.5]}}}}),
        );
        let out = walk_strings(&SPEC, &v, &mut |s: &str| {
            Ok(s.replace("{{p}}", "P")
                .replace("{{k}}", "K")
                .replace("{{v}}", "V"))
        })
        .unwrap();
        assert_eq!(
            out,
            json!({"project": "P", "destination": {}, "source": {"repoURL": "u", "helm": {
                "valuesObject": {"K": "V", "n": 1, "l": [null, 2.5]}}}})
        );
    }
}
