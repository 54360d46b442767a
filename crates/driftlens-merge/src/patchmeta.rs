//! Kubernetes type metadata generated from the OpenAPI v2 document.
//!
//! `data/k8s-types.json` is produced by `scripts/gen-patch-meta.py` from the Kubernetes
//! OpenAPI v2 protobuf, completed with facts from the Kubernetes Go types (`omitempty`,
//! `omitzero`, pointer fields, and fields added after the document's version); provenance is
//! inside the file. It gives, for every built-in API type, the field types (to emulate Argo
//! CD's typed round-trip), the strategic-merge-patch merge keys and strategies, and the
//! structured-merge list types. The table is parsed once.

use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::OnceLock;

const TABLE: &str = include_str!("data/k8s-types.json");

const QUANTITY: &str = "io.k8s.apimachinery.pkg.api.resource.Quantity";
const INT_OR_STRING: &str = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";

/// The parsed type table.
#[derive(Debug)]
pub struct TypeTable {
    types: Map<String, Value>,
    gvks: HashMap<String, String>,
    group_kinds: HashMap<String, String>,
}

/// What a schema node describes, after following references.
#[derive(Debug, Clone, Copy)]
pub enum Shape<'a> {
    /// A struct with named properties.
    Struct(&'a Value),
    /// A map with values of one type.
    Map(&'a Value),
    /// A list with items of one type.
    List(&'a Value),
    /// A JSON string.
    String,
    /// A JSON integer.
    Integer,
    /// Any JSON number.
    Number,
    /// A JSON boolean.
    Boolean,
    /// A `resource.Quantity` (string or number, canonicalized).
    Quantity,
    /// An `intstr.IntOrString` (integer or string, JSON type preserved).
    IntOrString,
    /// Anything (raw extensions, free-form objects).
    Any,
}

/// Patch metadata of one field: merge key, patch strategy, list type and list-map keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldMeta {
    /// `x-kubernetes-patch-merge-key`.
    pub merge_key: Option<String>,
    /// `x-kubernetes-patch-strategy` split on `,` (e.g. `merge`, `retainKeys`, `replace`).
    pub strategies: Vec<String>,
    /// `x-kubernetes-list-type` (`atomic`, `set`, `map`).
    pub list_type: Option<String>,
    /// `x-kubernetes-list-map-keys`.
    pub list_map_keys: Vec<String>,
}

impl FieldMeta {
    /// Whether the strategy list contains `name`.
    pub fn has_strategy(&self, name: &str) -> bool {
        self.strategies.iter().any(|s| s == name)
    }
}

/// The shared type table, or `None` if the embedded data failed to parse (then every kind is
/// treated as unknown, i.e. compared raw with JSON-merge semantics).
pub fn table() -> Option<&'static TypeTable> {
    static TABLE_CELL: OnceLock<Option<TypeTable>> = OnceLock::new();
    TABLE_CELL.get_or_init(load).as_ref()
}

fn load() -> Option<TypeTable> {
    let root: Value = serde_json::from_str(TABLE).ok()?;
    let types = root.get("types")?.as_object()?.clone();
    let mut gvks = HashMap::new();
    let mut group_kinds: HashMap<String, String> = HashMap::new();
    for (key, def) in root.get("gvks")?.as_object()? {
        let Some(def) = def.as_str() else { continue };
        gvks.insert(key.clone(), def.to_string());
        let mut parts = key.rsplitn(3, '/');
        let kind = parts.next().unwrap_or_default();
        let version = parts.next().unwrap_or_default();
        let group = parts.next().unwrap_or_default();
        let gk = format!("{group}/{kind}");
        // Prefer the stable version when several serve the same kind.
        let stable = version == "v1";
        if stable || !group_kinds.contains_key(&gk) {
            group_kinds.insert(gk, def.to_string());
        }
    }
    Some(TypeTable {
        types,
        gvks,
        group_kinds,
    })
}

/// Splits `apiVersion` into (group, version); the core group is "".
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.rsplit_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    }
}

impl TypeTable {
    /// Root schema of a built-in kind (a kind of the client-go scheme), or `None` for custom
    /// resources. Versions missing from the document (e.g. `apps/v1beta1`) fall back to the
    /// same group and kind in another version; `extensions` falls back to `apps` and
    /// `networking.k8s.io`.
    pub fn root(&self, api_version: &str, kind: &str) -> Option<&Value> {
        let (group, version) = split_api_version(api_version);
        let def = self
            .gvks
            .get(&format!("{group}/{version}/{kind}"))
            .or_else(|| self.group_kinds.get(&format!("{group}/{kind}")))
            .or_else(|| {
                if group == "extensions" {
                    self.group_kinds
                        .get(&format!("apps/{kind}"))
                        .or_else(|| self.group_kinds.get(&format!("networking.k8s.io/{kind}")))
                        .or_else(|| self.group_kinds.get(&format!("policy/{kind}")))
                } else {
                    None
                }
            })?;
        self.types.get(def)
    }

    /// Whether the kind is a built-in kind.
    pub fn is_builtin(&self, api_version: &str, kind: &str) -> bool {
        self.root(api_version, kind).is_some()
    }

    /// Follows `ref` links.
    pub fn resolve<'a>(&'a self, mut node: &'a Value) -> &'a Value {
        for _ in 0..16 {
            match node.get("ref").and_then(Value::as_str) {
                Some(r) if r == QUANTITY || r == INT_OR_STRING => return node,
                Some(r) => match self.types.get(r) {
                    Some(n) => node = n,
                    None => return &Value::Null,
                },
                None => return node,
            }
        }
        node
    }

    /// The shape of a schema node.
    pub fn shape<'a>(&'a self, node: &'a Value) -> Shape<'a> {
        if let Some(r) = node.get("ref").and_then(Value::as_str) {
            if r == QUANTITY {
                return Shape::Quantity;
            }
            if r == INT_OR_STRING {
                return Shape::IntOrString;
            }
        }
        let node = self.resolve(node);
        if node.get("f").and_then(Value::as_str) == Some("int-or-string") {
            return Shape::IntOrString;
        }
        if node.get("p").is_some() {
            return Shape::Struct(node);
        }
        match node.get("t").and_then(Value::as_str) {
            Some("array") => match node.get("i") {
                Some(items) => Shape::List(items),
                None => Shape::Any,
            },
            Some("object") => match node.get("a") {
                Some(v) => Shape::Map(v),
                None => Shape::Any,
            },
            Some("string") => Shape::String,
            Some("integer") => Shape::Integer,
            Some("number") => Shape::Number,
            Some("boolean") => Shape::Boolean,
            _ => Shape::Any,
        }
    }

    /// The schema node of field `name` of a struct node (already resolved).
    pub fn field<'a>(&'a self, struct_node: &'a Value, name: &str) -> Option<&'a Value> {
        self.resolve(struct_node).get("p")?.get(name)
    }

    /// Whether field `name` is listed as required in the struct node.
    pub fn is_required(&self, struct_node: &Value, name: &str) -> bool {
        self.resolve(struct_node)
            .get("r")
            .and_then(Value::as_array)
            .is_some_and(|r| r.iter().any(|x| x.as_str() == Some(name)))
    }

    /// Patch metadata of a field node.
    pub fn meta(&self, field_node: &Value) -> FieldMeta {
        let str_of = |k: &str| {
            field_node
                .get(k)
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        FieldMeta {
            merge_key: str_of("mk"),
            strategies: str_of("ps")
                .map(|s| s.split(',').map(|x| x.trim().to_string()).collect())
                .unwrap_or_default(),
            list_type: str_of("lt"),
            list_map_keys: field_node
                .get("lk")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_merge_keys_of_pod_spec() {
        let t = table().expect("embedded table parses");
        let dep = t.root("apps/v1", "Deployment").expect("Deployment known");
        let spec = t.field(dep, "spec").expect("spec");
        let template = t.field(spec, "template").expect("template");
        let pod_spec = t.field(template, "spec").expect("pod spec");
        let containers = t.field(pod_spec, "containers").expect("containers");
        let meta = t.meta(containers);
        assert_eq!(meta.merge_key.as_deref(), Some("name"));
        assert!(meta.has_strategy("merge"));
        let Shape::List(item) = t.shape(containers) else {
            panic!("containers is a list")
        };
        let ports = t.field(item, "ports").expect("ports");
        assert_eq!(
            t.meta(ports).list_map_keys,
            vec!["containerPort", "protocol"]
        );
        let resources = t.field(item, "resources").expect("resources");
        let limits = t.field(resources, "limits").expect("limits");
        let Shape::Map(v) = t.shape(limits) else {
            panic!("limits is a map")
        };
        assert!(matches!(t.shape(v), Shape::Quantity));
    }

    #[test]
    fn custom_resources_and_old_versions() {
        let t = table().expect("embedded table parses");
        assert!(!t.is_builtin("bitnami.com/v1alpha1", "SealedSecret"));
        assert!(!t.is_builtin("apiextensions.k8s.io/v1", "CustomResourceDefinition"));
        assert!(t.is_builtin("apps/v1beta1", "StatefulSet"));
        assert!(t.is_builtin("v1", "ConfigMap"));
        assert!(t.is_builtin("extensions/v1beta1", "Ingress"));
    }
}
