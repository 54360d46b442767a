//! The OpenAPI knowledge kustomize uses: which kinds are cluster-scoped (kyaml's precomputed
//! table for Kubernetes 1.21.2) and, for strategic-merge patches, the list merge strategies
//! and keys of the built-in 1.21.2 schema or of a custom schema from `openapi: {path: …}`.
//!
//! The built-in schema is a generated subset (`k8s_1_21_2.txt`, made by
//! `scripts/gen-kustomize-openapi` from the schema kustomize embeds), parsed on first use.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::yaml::node::{Data, Node};

/// Exact apiVersion/kind pairs kyaml knows to be cluster-scoped (its precomputed table; every
/// other pair counts as namespaced).
const CLUSTER_SCOPED: &[(&str, &str)] = &[
    (
        "admissionregistration.k8s.io/v1",
        "MutatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io/v1",
        "ValidatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io/v1beta1",
        "MutatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io/v1beta1",
        "ValidatingWebhookConfiguration",
    ),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
    ("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition"),
    ("apiregistration.k8s.io/v1", "APIService"),
    ("apiregistration.k8s.io/v1beta1", "APIService"),
    ("certificates.k8s.io/v1", "CertificateSigningRequest"),
    ("certificates.k8s.io/v1beta1", "CertificateSigningRequest"),
    ("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema"),
    (
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "PriorityLevelConfiguration",
    ),
    ("networking.k8s.io/v1", "IngressClass"),
    ("networking.k8s.io/v1beta1", "IngressClass"),
    ("node.k8s.io/v1", "RuntimeClass"),
    ("node.k8s.io/v1beta1", "RuntimeClass"),
    ("policy/v1beta1", "PodSecurityPolicy"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("rbac.authorization.k8s.io/v1beta1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1beta1", "ClusterRoleBinding"),
    ("scheduling.k8s.io/v1", "PriorityClass"),
    ("scheduling.k8s.io/v1beta1", "PriorityClass"),
    ("storage.k8s.io/v1", "CSIDriver"),
    ("storage.k8s.io/v1", "CSINode"),
    ("storage.k8s.io/v1", "StorageClass"),
    ("storage.k8s.io/v1", "VolumeAttachment"),
    ("storage.k8s.io/v1beta1", "CSIDriver"),
    ("storage.k8s.io/v1beta1", "CSINode"),
    ("storage.k8s.io/v1beta1", "StorageClass"),
    ("storage.k8s.io/v1beta1", "VolumeAttachment"),
    ("v1", "ComponentStatus"),
    ("v1", "Namespace"),
    ("v1", "Node"),
    ("v1", "NodeProxyOptions"),
    ("v1", "PersistentVolume"),
];

/// Namespaced pairs of kyaml's precomputed table.
const NAMESPACED: &[(&str, &str)] = &[
    ("apps/v1", "ControllerRevision"),
    ("apps/v1", "DaemonSet"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "ReplicaSet"),
    ("apps/v1", "StatefulSet"),
    ("autoscaling/v1", "HorizontalPodAutoscaler"),
    ("autoscaling/v1", "Scale"),
    ("autoscaling/v2beta1", "HorizontalPodAutoscaler"),
    ("autoscaling/v2beta2", "HorizontalPodAutoscaler"),
    ("batch/v1", "CronJob"),
    ("batch/v1", "Job"),
    ("batch/v1beta1", "CronJob"),
    ("coordination.k8s.io/v1", "Lease"),
    ("coordination.k8s.io/v1beta1", "Lease"),
    ("discovery.k8s.io/v1", "EndpointSlice"),
    ("discovery.k8s.io/v1beta1", "EndpointSlice"),
    ("events.k8s.io/v1", "Event"),
    ("events.k8s.io/v1beta1", "Event"),
    ("extensions/v1beta1", "Ingress"),
    ("networking.k8s.io/v1", "Ingress"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("networking.k8s.io/v1beta1", "Ingress"),
    ("policy/v1", "PodDisruptionBudget"),
    ("policy/v1beta1", "PodDisruptionBudget"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("rbac.authorization.k8s.io/v1beta1", "Role"),
    ("rbac.authorization.k8s.io/v1beta1", "RoleBinding"),
    ("storage.k8s.io/v1beta1", "CSIStorageCapacity"),
    ("v1", "ConfigMap"),
    ("v1", "Endpoints"),
    ("v1", "Event"),
    ("v1", "LimitRange"),
    ("v1", "PersistentVolumeClaim"),
    ("v1", "Pod"),
    ("v1", "PodAttachOptions"),
    ("v1", "PodExecOptions"),
    ("v1", "PodPortForwardOptions"),
    ("v1", "PodProxyOptions"),
    ("v1", "PodTemplate"),
    ("v1", "ReplicationController"),
    ("v1", "ResourceQuota"),
    ("v1", "Secret"),
    ("v1", "Service"),
    ("v1", "ServiceAccount"),
    ("v1", "ServiceProxyOptions"),
];

/// Whether kyaml's precomputed scope table knows this apiVersion/kind.
pub fn is_precomputed(api_version: &str, kind: &str) -> bool {
    is_certainly_cluster_scoped(api_version, kind)
        || NAMESPACED
            .iter()
            .any(|(a, k)| *a == api_version && *k == kind)
}

/// kyaml `IsCertainlyClusterScoped` with the default schema.
pub fn is_certainly_cluster_scoped(api_version: &str, kind: &str) -> bool {
    CLUSTER_SCOPED
        .iter()
        .any(|(a, k)| *a == api_version && *k == kind)
}

/// What a schema node is.
#[derive(Clone, Debug)]
enum Target {
    /// `$ref` to a definition (index).
    Ref(usize),
    /// `$ref` to a definition by name, resolved when looked up (a custom schema may refer to
    /// definitions of the built-in one).
    RefName(String),
    /// `type: array` with items.
    Array(Box<SNode>),
    /// An object whose values follow a schema (`additionalProperties`).
    Map(Box<SNode>),
    /// Anything else.
    Other,
}

#[derive(Clone, Debug)]
struct SNode {
    target: Target,
    strategy: Option<String>,
    merge_key: Option<String>,
    list_keys: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default)]
struct SDef {
    types: Vec<String>,
    props: Vec<(String, SNode)>,
    addl: Option<SNode>,
}

/// A parsed schema: definitions and which one serves each apiVersion/kind.
#[derive(Debug, Default, Clone)]
pub struct Schema {
    defs: Vec<SDef>,
    by_type: HashMap<(String, String), usize>,
    names: HashMap<String, usize>,
}

/// A resolved schema position (kyaml `ResourceSchema`).
#[derive(Clone, Copy)]
pub struct At<'a> {
    s: &'a Schema,
    k: AtKind<'a>,
}

#[derive(Clone, Copy)]
enum AtKind<'a> {
    Def(usize),
    Node(&'a SNode),
}

impl Schema {
    /// The built-in Kubernetes 1.21.2 schema.
    pub fn builtin() -> &'static Schema {
        static S: OnceLock<Schema> = OnceLock::new();
        S.get_or_init(|| parse_table(include_str!("k8s_1_21_2.txt")))
    }

    /// A custom schema with the built-in definitions added after it (kyaml parses the
    /// built-in schema too when it was already needed before the custom one was set; the
    /// built-in entries then win for types and names both define).
    pub fn with_builtin(&self) -> Schema {
        let b = Schema::builtin();
        let off = self.defs.len();
        let mut out = self.clone();
        for d in &b.defs {
            let mut d = d.clone();
            for (_, n) in d.props.iter_mut() {
                shift(n, off);
            }
            if let Some(a) = d.addl.as_mut() {
                shift(a, off);
            }
            out.defs.push(d);
        }
        for (k, v) in &b.by_type {
            out.by_type.insert(k.clone(), v + off);
        }
        for (k, v) in &b.names {
            out.names.insert(k.clone(), v + off);
        }
        out
    }

    /// `SchemaForResourceType`.
    pub fn for_type(&self, api_version: &str, kind: &str) -> Option<At<'_>> {
        let i = *self
            .by_type
            .get(&(api_version.to_string(), kind.to_string()))?;
        Some(At {
            s: self,
            k: AtKind::Def(i),
        })
    }

    /// A custom schema from an OpenAPI v2 document (`definitions` with
    /// `x-kubernetes-group-version-kind`), as `openapi: {path: …}` gives it.
    pub fn from_document(doc: &Node) -> Result<Schema, String> {
        let defs = doc
            .field("definitions")
            .ok_or_else(|| "invalid schema file: no definitions".to_string())?;
        let pairs = defs.pairs().cloned().unwrap_or_default();
        let mut s = Schema::default();
        let mut names: HashMap<String, usize> = HashMap::new();
        for (i, p) in pairs.iter().enumerate() {
            names.insert(p.key.value().to_string(), i);
            s.defs.push(SDef::default());
        }
        s.names = names.clone();
        for (i, p) in pairs.iter().enumerate() {
            let def = def_from_node(&p.value, &names, &mut s);
            s.defs[i] = def;
            if let Some(Data::Seq(items)) = p
                .value
                .field("x-kubernetes-group-version-kind")
                .map(|n| &n.data)
            {
                for it in items {
                    let g = it.field("group").map(|n| n.value()).unwrap_or("");
                    let v = it.field("version").map(|n| n.value()).unwrap_or("");
                    let k = it.field("kind").map(|n| n.value()).unwrap_or("");
                    let av = if g.is_empty() {
                        v.to_string()
                    } else {
                        format!("{g}/{v}")
                    };
                    s.by_type.insert((av, k.to_string()), i);
                }
            }
        }
        Ok(s)
    }
}

fn def_from_node(n: &Node, names: &HashMap<String, usize>, s: &mut Schema) -> SDef {
    let mut d = SDef {
        types: types_of(n),
        ..SDef::default()
    };
    if let Some(props) = n.field("properties").and_then(|p| p.pairs()) {
        for p in props {
            d.props.push((
                p.key.value().to_string(),
                snode_from_node(&p.value, names, s),
            ));
        }
    }
    if let Some(a) = n.field("additionalProperties") {
        if a.pairs().is_some() {
            d.addl = Some(snode_from_node(a, names, s));
        }
    }
    d
}

fn types_of(n: &Node) -> Vec<String> {
    match n.field("type").map(|t| &t.data) {
        Some(Data::Scalar(t)) => vec![t.clone()],
        Some(Data::Seq(items)) => items.iter().map(|i| i.value().to_string()).collect(),
        _ => Vec::new(),
    }
}

fn snode_from_node(n: &Node, names: &HashMap<String, usize>, s: &mut Schema) -> SNode {
    let ext = |k: &str| n.field(k).map(|v| v.value().to_string());
    let list_keys = n
        .field("x-kubernetes-list-map-keys")
        .and_then(|v| v.items())
        .map(|items| items.iter().map(|i| i.value().to_string()).collect());
    let target = if let Some(r) = n.field("$ref") {
        let name = r.value().rsplit('/').next().unwrap_or("");
        match names.get(name) {
            Some(i) => Target::Ref(*i),
            None => Target::RefName(name.to_string()),
        }
    } else if types_of(n) == ["array"] {
        match n.field("items") {
            Some(items) if items.pairs().is_some() => {
                Target::Array(Box::new(snode_from_node(items, names, s)))
            }
            _ => Target::Array(Box::new(SNode {
                target: Target::Other,
                strategy: None,
                merge_key: None,
                list_keys: None,
            })),
        }
    } else if n.field("properties").is_some() {
        let d = def_from_node(n, names, s);
        s.defs.push(d);
        Target::Ref(s.defs.len() - 1)
    } else if let Some(a) = n
        .field("additionalProperties")
        .filter(|a| a.pairs().is_some())
    {
        Target::Map(Box::new(snode_from_node(a, names, s)))
    } else {
        Target::Other
    };
    SNode {
        target,
        strategy: ext("x-kubernetes-patch-strategy"),
        merge_key: ext("x-kubernetes-patch-merge-key"),
        list_keys,
    }
}

fn shift(n: &mut SNode, off: usize) {
    match &mut n.target {
        Target::Ref(i) => *i += off,
        Target::Array(x) | Target::Map(x) => shift(x, off),
        _ => {}
    }
}

fn parse_table(text: &str) -> Schema {
    // First pass: definition names → indices.
    let mut names: HashMap<&str, usize> = HashMap::new();
    let mut count = 0;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("D ") {
            let name = rest.split(' ').next().unwrap_or("");
            names.insert(name, count);
            count += 1;
        }
    }
    let mut s = Schema {
        defs: vec![SDef::default(); count],
        by_type: HashMap::new(),
        names: names.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
    };
    let mut cur = 0usize;
    let mut started = false;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("D ") {
            let mut parts = rest.split(' ');
            let name = parts.next().unwrap_or("");
            cur = names[name];
            started = true;
            for gvk in parts {
                if let Some((av, kind)) = gvk.rsplit_once('/') {
                    s.by_type.insert((av.to_string(), kind.to_string()), cur);
                }
            }
        } else if !started {
            continue;
        } else if let Some(rest) = line.strip_prefix("T ") {
            s.defs[cur].types = rest
                .split(',')
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect();
        } else if let Some(rest) = line.strip_prefix("P ") {
            if let Some((name, spec)) = rest.split_once(' ') {
                let n = parse_spec(spec, &names);
                s.defs[cur].props.push((name.to_string(), n));
            }
        } else if let Some(rest) = line.strip_prefix("A ") {
            s.defs[cur].addl = Some(parse_spec(rest, &names));
        }
    }
    s
}

fn parse_spec(spec: &str, names: &HashMap<&str, usize>) -> SNode {
    let mut parts = spec.split(';');
    let tok = parts.next().unwrap_or("p");
    let mut n = SNode {
        target: parse_target(tok, names),
        strategy: None,
        merge_key: None,
        list_keys: None,
    };
    for p in parts {
        if let Some(v) = p.strip_prefix("ps=") {
            n.strategy = Some(v.to_string());
        } else if let Some(v) = p.strip_prefix("mk=") {
            n.merge_key = Some(v.to_string());
        } else if let Some(v) = p.strip_prefix("lk=") {
            n.list_keys = Some(v.split(',').map(str::to_string).collect());
        }
    }
    n
}

fn parse_target(tok: &str, names: &HashMap<&str, usize>) -> Target {
    if let Some(r) = tok.strip_prefix("r:") {
        return names
            .get(r)
            .map(|i| Target::Ref(*i))
            .unwrap_or(Target::Other);
    }
    if let Some(r) = tok.strip_prefix("a:") {
        return Target::Array(Box::new(SNode {
            target: parse_target(r, names),
            strategy: None,
            merge_key: None,
            list_keys: None,
        }));
    }
    if let Some(r) = tok.strip_prefix("m:") {
        return Target::Map(Box::new(SNode {
            target: parse_target(r, names),
            strategy: None,
            merge_key: None,
            list_keys: None,
        }));
    }
    Target::Other
}

fn resolve<'a>(s: &'a Schema, n: &'a SNode) -> At<'a> {
    match &n.target {
        Target::Ref(i) => At {
            s,
            k: AtKind::Def(*i),
        },
        Target::RefName(name) => match s.names.get(name) {
            Some(i) => At {
                s,
                k: AtKind::Def(*i),
            },
            None => At {
                s,
                k: AtKind::Node(n),
            },
        },
        _ => At {
            s,
            k: AtKind::Node(n),
        },
    }
}

impl<'a> At<'a> {
    /// `Field(name)`: the property's schema (refs followed), or the additional-properties
    /// schema.
    pub fn field(&self, name: &str) -> Option<At<'a>> {
        let s = self.s;
        match self.k {
            AtKind::Def(i) => {
                let d = &s.defs[i];
                if let Some((_, n)) = d.props.iter().find(|(k, _)| k == name) {
                    return Some(resolve(s, n));
                }
                d.addl.as_ref().map(|a| resolve(s, a))
            }
            AtKind::Node(n) => match &n.target {
                Target::Map(a) => Some(resolve(s, a)),
                _ => None,
            },
        }
    }

    /// `Elements()`: the item schema of an array.
    pub fn elements(&self) -> Option<At<'a>> {
        match self.k {
            AtKind::Def(_) => None,
            AtKind::Node(n) => match &n.target {
                Target::Array(items) => Some(resolve(self.s, items)),
                _ => None,
            },
        }
    }

    fn ext(&self) -> Option<&'a SNode> {
        match self.k {
            AtKind::Def(_) => None,
            AtKind::Node(n) => Some(n),
        }
    }

    /// `PatchStrategyAndKeyList`.
    pub fn patch_strategy_and_keys(&self) -> (String, Vec<String>) {
        let Some(n) = self.ext() else {
            return (String::new(), Vec::new());
        };
        let Some(ps) = &n.strategy else {
            return (String::new(), Vec::new());
        };
        if let Some(lk) = &n.list_keys {
            return (ps.clone(), lk.clone());
        }
        match &n.merge_key {
            Some(mk) => (ps.clone(), vec![mk.clone()]),
            None => (ps.clone(), Vec::new()),
        }
    }

    /// Whether the list merges by key (`x-kubernetes-patch-strategy` contains `merge`).
    pub fn is_associative(&self) -> bool {
        self.ext()
            .and_then(|n| n.strategy.as_deref())
            .is_some_and(|s| s.split(',').any(|x| x == "merge"))
    }
}
