//! Resources and their ids (`resource.Resource`, `resid.ResId`), with kustomize's build
//! annotations (`internal.config.kubernetes.io/*`) kept inside the object as kustomize keeps
//! them, so that every transformer sees exactly what kustomize's sees.

use std::collections::BTreeMap;
use std::fmt;

use crate::openapi;
use crate::types::Gvk;
use crate::yaml::node::Node;

/// `internal.config.kubernetes.io/previousKinds`.
pub const PREVIOUS_KINDS: &str = "internal.config.kubernetes.io/previousKinds";
/// `internal.config.kubernetes.io/previousNames`.
pub const PREVIOUS_NAMES: &str = "internal.config.kubernetes.io/previousNames";
/// `internal.config.kubernetes.io/prefixes`.
pub const PREFIXES: &str = "internal.config.kubernetes.io/prefixes";
/// `internal.config.kubernetes.io/suffixes`.
pub const SUFFIXES: &str = "internal.config.kubernetes.io/suffixes";
/// `internal.config.kubernetes.io/previousNamespaces`.
pub const PREVIOUS_NAMESPACES: &str = "internal.config.kubernetes.io/previousNamespaces";
/// `internal.config.kubernetes.io/refBy`.
pub const REF_BY: &str = "internal.config.kubernetes.io/refBy";
/// `internal.config.kubernetes.io/generatorBehavior`.
pub const GEN_BEHAVIOR: &str = "internal.config.kubernetes.io/generatorBehavior";
/// `internal.config.kubernetes.io/needsHashSuffix`.
pub const NEEDS_HASH: &str = "internal.config.kubernetes.io/needsHashSuffix";
/// `internal.config.kubernetes.io/allowNameChange`.
pub const ALLOW_NAME_CHANGE: &str = "internal.config.kubernetes.io/allowNameChange";
/// `internal.config.kubernetes.io/allowKindChange`.
pub const ALLOW_KIND_CHANGE: &str = "internal.config.kubernetes.io/allowKindChange";
/// `config.kubernetes.io/origin`.
pub const ORIGIN: &str = "config.kubernetes.io/origin";
/// `alpha.config.kubernetes.io/transformations`.
pub const TRANSFORMATIONS: &str = "alpha.config.kubernetes.io/transformations";

/// The annotations `RemoveBuildAnnotations` drops (kustomize's `BuildAnnotations`).
pub const BUILD_ANNOTATIONS: &[&str] = &[
    PREVIOUS_KINDS,
    PREVIOUS_NAMES,
    PREFIXES,
    SUFFIXES,
    PREVIOUS_NAMESPACES,
    ALLOW_NAME_CHANGE,
    ALLOW_KIND_CHANGE,
    REF_BY,
    GEN_BEHAVIOR,
    NEEDS_HASH,
    "config.kubernetes.io/path",
    "config.kubernetes.io/index",
    "internal.config.kubernetes.io/seqindent",
    "config.kubernetes.io/id",
    "internal.config.kubernetes.io/annotations-migration-resource-id",
    "internal.config.kubernetes.io/path",
    "internal.config.kubernetes.io/index",
    "internal.config.kubernetes.io/id",
];

/// `_non_namespaceable_`.
pub const TOTALLY_NOT_A_NAMESPACE: &str = "_non_namespaceable_";

impl Gvk {
    /// A GVK.
    pub fn new(group: &str, version: &str, kind: &str) -> Gvk {
        Gvk {
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
        }
    }

    /// From an apiVersion and kind.
    pub fn from_api_version(api_version: &str, kind: &str) -> Gvk {
        let (g, v) = parse_group_version(api_version);
        Gvk::new(g, v, kind)
    }

    /// `group/version` or `version`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// kyaml `IsCertainlyClusterScoped` for this exact apiVersion/kind.
    pub fn is_cluster_scoped(&self) -> bool {
        openapi::is_certainly_cluster_scoped(&self.api_version(), &self.kind)
    }

    /// `Gvk.IsSelected`: every non-empty selector field equals ours.
    pub fn is_selected(&self, sel: &Gvk) -> bool {
        (sel.group.is_empty() || self.group == sel.group)
            && (sel.version.is_empty() || self.version == sel.version)
            && (sel.kind.is_empty() || self.kind == sel.kind)
    }

    /// `stableSortString`: `group_version_kind` with `~G`/`~V`/`~K` for empty parts.
    pub fn stable_sort_string(&self) -> String {
        let g = if self.group.is_empty() {
            "~G"
        } else {
            &self.group
        };
        let v = if self.version.is_empty() {
            "~V"
        } else {
            &self.version
        };
        let k = if self.kind.is_empty() {
            "~K"
        } else {
            &self.kind
        };
        format!("{g}_{v}_{k}")
    }

    /// `Gvk.IsLessThan` (legacy kind order, then the stable sort string).
    pub fn is_less_than(&self, o: &Gvk) -> bool {
        let (i, j) = (type_order(&self.kind), type_order(&o.kind));
        if i != j {
            return i < j;
        }
        self.stable_sort_string() < o.stable_sort_string()
    }
}

impl fmt::Display for Gvk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let g = if self.group.is_empty() {
            "[noGrp]"
        } else {
            &self.group
        };
        let v = if self.version.is_empty() {
            "[noVer]"
        } else {
            &self.version
        };
        let k = if self.kind.is_empty() {
            "[noKind]"
        } else {
            &self.kind
        };
        write!(f, "{k}.{v}.{g}")
    }
}

/// The kinds kustomize's legacy order puts first, in that order (`orderFirst`).
pub const LEGACY_FIRST: &[&str] = &[
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
];

/// The kinds kustomize's legacy order puts last, in that order (`orderLast`).
pub const LEGACY_LAST: &[&str] = &[
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// kustomize's legacy kind order (`orderFirst` negative, `orderLast` positive).
pub fn type_order(kind: &str) -> i32 {
    if let Some(i) = LEGACY_FIRST.iter().position(|k| *k == kind) {
        return i as i32 - LEGACY_FIRST.len() as i32;
    }
    match LEGACY_LAST.iter().position(|k| *k == kind) {
        Some(i) => i as i32 + 1,
        None => 0,
    }
}

/// `resid.ParseGroupVersion`.
pub fn parse_group_version(av: &str) -> (&str, &str) {
    match av.find('/') {
        Some(i) => (&av[..i], &av[i + 1..]),
        None => ("", av),
    }
}

/// A resource id (`resid.ResId`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ResId {
    /// GVK.
    pub gvk: Gvk,
    /// Name.
    pub name: String,
    /// Namespace as written.
    pub namespace: String,
}

impl ResId {
    /// An id.
    pub fn new(gvk: Gvk, name: &str, namespace: &str) -> ResId {
        ResId {
            gvk,
            name: name.into(),
            namespace: namespace.into(),
        }
    }

    /// `EffectiveNamespace`: `_non_namespaceable_` for cluster-scoped kinds, `default` for
    /// empty.
    pub fn effective_namespace(&self) -> &str {
        if self.gvk.is_cluster_scoped() {
            return TOTALLY_NOT_A_NAMESPACE;
        }
        if self.namespace.is_empty() || self.namespace == "default" {
            return "default";
        }
        &self.namespace
    }

    /// `IsNsEquals`.
    pub fn is_ns_equals(&self, o: &ResId) -> bool {
        self.effective_namespace() == o.effective_namespace()
    }

    /// `GvknEquals`.
    pub fn gvkn_equals(&self, o: &ResId) -> bool {
        self.name == o.name && self.gvk == o.gvk
    }

    /// `Equals`.
    pub fn equals(&self, o: &ResId) -> bool {
        self.is_ns_equals(o) && self.gvkn_equals(o)
    }

    /// `IsSelectedBy`.
    pub fn is_selected_by(&self, sel: &ResId) -> bool {
        (sel.name.is_empty() || sel.name == self.name)
            && (sel.namespace.is_empty() || sel.is_ns_equals(self))
            && self.gvk.is_selected(&sel.gvk)
    }

    /// `resid.FromString`.
    pub fn from_string(s: &str) -> ResId {
        let (g, rest) = s.split_once('/').unwrap_or((s, ""));
        let vals: Vec<&str> = g.split('.').collect();
        let gvk = if vals.len() < 3 {
            Gvk::new("[noGrp]", "[noVer]", "[noKind]")
        } else {
            let k = if vals[0] == "[noKind]" { "" } else { vals[0] };
            let v = if vals[1] == "[noVer]" { "" } else { vals[1] };
            let g = vals[2..].join(".");
            let g = if g == "[noGrp]" { String::new() } else { g };
            Gvk::new(&g, v, k)
        };
        let parts: Vec<&str> = rest.split('.').collect();
        let last = parts.len() - 1;
        let ns = if parts[last] == "[noNs]" {
            ""
        } else {
            parts[last]
        };
        let nm = parts[..last].join(".");
        let nm = if nm == "[noName]" { String::new() } else { nm };
        ResId::new(gvk, &nm, ns)
    }
}

impl fmt::Display for ResId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = if self.namespace.is_empty() {
            "[noNs]"
        } else {
            &self.namespace
        };
        let nm = if self.name.is_empty() {
            "[noName]"
        } else {
            &self.name
        };
        write!(f, "{}/{nm}.{ns}", self.gvk)
    }
}

/// Where a resource came from, for reports and source maps.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Provenance {
    /// File index (0 = generated).
    pub file: u32,
    /// Document index in the file.
    pub doc: u32,
}

/// A resource (`resource.Resource`).
#[derive(Clone, Debug)]
pub struct Resource {
    /// The object.
    pub node: Node,
    /// Vars bound to this resource.
    pub ref_var_names: Vec<String>,
    /// Where it came from.
    pub provenance: Provenance,
}

impl Resource {
    /// A resource around a node.
    pub fn new(node: Node) -> Resource {
        Resource {
            node,
            ref_var_names: Vec::new(),
            provenance: Provenance::default(),
        }
    }

    /// `GetGvk`.
    pub fn gvk(&self) -> Gvk {
        Gvk::from_api_version(self.node.get_api_version(), self.node.get_kind())
    }

    /// `SetGvk`.
    pub fn set_gvk(&mut self, gvk: &Gvk) {
        self.node.set_kind(&gvk.kind);
        self.node.set_api_version(&gvk.api_version());
    }

    /// `GetName`.
    pub fn name(&self) -> &str {
        self.node.get_name()
    }

    /// `GetNamespace`.
    pub fn namespace(&self) -> &str {
        self.node.get_namespace()
    }

    /// `CurId`.
    pub fn cur_id(&self) -> ResId {
        ResId::new(self.gvk(), self.name(), self.namespace())
    }

    /// `PrevIds` from the build annotations.
    pub fn prev_ids(&self) -> Result<Vec<ResId>, String> {
        let a =
            self.node
                .get_annotations_only(&[PREVIOUS_NAMES, PREVIOUS_NAMESPACES, PREVIOUS_KINDS]);
        let Some(names) = a.get(PREVIOUS_NAMES) else {
            return Ok(Vec::new());
        };
        let empty = String::new();
        let names: Vec<&str> = names.split(',').collect();
        let ns: Vec<&str> = a
            .get(PREVIOUS_NAMESPACES)
            .unwrap_or(&empty)
            .split(',')
            .collect();
        let kinds: Vec<&str> = a.get(PREVIOUS_KINDS).unwrap_or(&empty).split(',').collect();
        if names.len() != ns.len() || names.len() != kinds.len() {
            return Err(
                "number of previous names, number of previous namespaces, number of \
                        previous kinds not equal"
                    .into(),
            );
        }
        let (g, v) = parse_group_version(self.node.get_api_version());
        Ok(names
            .iter()
            .zip(ns.iter())
            .zip(kinds.iter())
            .map(|((n, ns), k)| ResId::new(Gvk::new(g, v, k), n, ns))
            .collect())
    }

    /// `OrgId`.
    pub fn org_id(&self) -> ResId {
        match self.prev_ids() {
            Ok(ids) if !ids.is_empty() => ids[0].clone(),
            _ => self.cur_id(),
        }
    }

    /// Previous ids, then the current one (`GetMatchingResourcesByAnyId`'s order).
    pub fn all_ids(&self) -> Vec<ResId> {
        let mut v = self.prev_ids().unwrap_or_default();
        v.push(self.cur_id());
        v
    }

    /// `GetAnnotations`.
    pub fn annotations(&self) -> BTreeMap<String, String> {
        self.node.get_annotations()
    }

    /// `SetAnnotations`.
    pub fn set_annotations(&mut self, m: &BTreeMap<String, String>) {
        self.node.set_annotations(m);
    }

    fn csv_annotation(&self, name: &str) -> Option<Vec<String>> {
        let a = self.node.get_annotation(name)?;
        Some(a.split(',').map(str::to_string).collect())
    }

    fn append_csv_annotation(&mut self, name: &str, value: &str) {
        if value.is_empty() {
            return;
        }
        let mut cur = self.csv_annotation(name).unwrap_or_default();
        cur.push(value.to_string());
        self.node.set_annotation(name, &cur.join(","));
    }

    /// `AddNamePrefix`.
    pub fn add_name_prefix(&mut self, p: &str) {
        self.append_csv_annotation(PREFIXES, p);
    }

    /// `AddNameSuffix`.
    pub fn add_name_suffix(&mut self, s: &str) {
        self.append_csv_annotation(SUFFIXES, s);
    }

    /// `GetNamePrefixes`.
    pub fn name_prefixes(&self) -> Vec<String> {
        self.csv_annotation(PREFIXES).unwrap_or_default()
    }

    /// `GetNameSuffixes`.
    pub fn name_suffixes(&self) -> Vec<String> {
        self.csv_annotation(SUFFIXES).unwrap_or_default()
    }

    /// `StorePreviousId`.
    pub fn store_previous_id(&mut self) {
        let id = self.cur_id();
        let ens = id.effective_namespace().to_string();
        self.set_previous_id(&ens, &id.name, &id.gvk.kind);
    }

    /// `setPreviousId`.
    pub fn set_previous_id(&mut self, ns: &str, n: &str, k: &str) {
        self.append_csv_annotation(PREVIOUS_NAMES, n);
        self.append_csv_annotation(PREVIOUS_NAMESPACES, ns);
        self.append_csv_annotation(PREVIOUS_KINDS, k);
    }

    fn is_enabled(&self, key: &str) -> bool {
        self.node.get_annotation(key).as_deref() == Some("enabled")
    }

    fn enable(&mut self, key: &str) {
        let mut a = self.annotations();
        a.insert(key.to_string(), "enabled".to_string());
        self.set_annotations(&a);
    }

    /// `AllowNameChange`.
    pub fn allow_name_change(&mut self) {
        self.enable(ALLOW_NAME_CHANGE);
    }

    /// `NameChangeAllowed`.
    pub fn name_change_allowed(&self) -> bool {
        self.is_enabled(ALLOW_NAME_CHANGE)
    }

    /// `AllowKindChange`.
    pub fn allow_kind_change(&mut self) {
        self.enable(ALLOW_KIND_CHANGE);
    }

    /// `KindChangeAllowed`.
    pub fn kind_change_allowed(&self) -> bool {
        self.is_enabled(ALLOW_KIND_CHANGE)
    }

    /// `NeedHashSuffix`.
    pub fn needs_hash_suffix(&self) -> bool {
        self.is_enabled(NEEDS_HASH)
    }

    /// `EnableHashSuffix`.
    pub fn enable_hash_suffix(&mut self) {
        self.enable(NEEDS_HASH);
    }

    /// `Behavior`: create (default), merge, replace, or unspecified for unknown text.
    pub fn behavior(&self) -> String {
        self.node.get_annotation(GEN_BEHAVIOR).unwrap_or_default()
    }

    /// `SetBehavior`.
    pub fn set_behavior(&mut self, b: &str) {
        let mut a = self.annotations();
        a.insert(GEN_BEHAVIOR.to_string(), b.to_string());
        self.set_annotations(&a);
    }

    /// `GetRefBy`.
    pub fn ref_by(&self) -> Vec<ResId> {
        self.csv_annotation(REF_BY)
            .unwrap_or_default()
            .iter()
            .map(|s| ResId::from_string(s))
            .collect()
    }

    /// `AppendRefBy`.
    pub fn append_ref_by(&mut self, id: &ResId) {
        self.append_csv_annotation(REF_BY, &id.to_string());
    }

    /// `CopyMergeMetaDataFieldsFrom`: labels and annotations merged (ours win, build
    /// annotations from `other`), name and namespace taken from `other`.
    pub fn copy_merge_meta_data_fields_from(&mut self, other: &Resource) {
        let mut labels = other.node.get_labels();
        labels.extend(self.node.get_labels());
        self.node.set_labels(&labels);
        let ra = self.annotations();
        let enable_hash = ra.contains_key(NEEDS_HASH);
        let oa = other.annotations();
        let mut merged = oa.clone();
        merged.extend(ra);
        for b in BUILD_ANNOTATIONS {
            match oa.get(*b) {
                Some(v) => {
                    merged.insert(b.to_string(), v.clone());
                }
                None => {
                    merged.remove(*b);
                }
            }
        }
        if !enable_hash {
            merged.remove(NEEDS_HASH);
        }
        self.set_annotations(&merged);
        let name = other.name().to_string();
        self.node.set_name(&name);
        let ns = other.namespace().to_string();
        self.node.set_namespace(&ns);
        self.ref_var_names = other.ref_var_names.clone();
    }

    /// `RemoveBuildAnnotations`.
    pub fn remove_build_annotations(&mut self) {
        let mut a = self.annotations();
        if a.is_empty() {
            return;
        }
        for b in BUILD_ANNOTATIONS {
            a.remove(*b);
        }
        self.set_annotations(&a);
    }

    /// `SetOrigin(nil)` / `ClearTransformations`: drop one annotation by rewriting the map.
    pub fn remove_annotation_rewrite(&mut self, key: &str) {
        let mut a = self.annotations();
        a.remove(key);
        self.set_annotations(&a);
    }
}
