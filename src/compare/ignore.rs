//! ignoreDifferences (§3): rule matching, JSON pointers, jq path expressions,
//! `managedFieldsManagers` and `knownTypeFields`.
//!
//! Matching follows Argo CD: `group` and `kind` are globs without separators (`*` matches
//! anything; an empty group matches only the core group), `name` and `namespace` are exact and
//! empty means any. Rules are compiled once ([`CompiledIgnoreRule::compile`]) and are `Sync`,
//! so one set of rules can be shared by parallel diffs.

use super::jq::{JqPath, JqSkip};
use super::managedfields::{self, FieldSeg, Loc};
use super::normalize;
use super::patchmeta::{split_api_version, table};
use super::quantity;
use crate::limits::Limits;
use globset::{GlobBuilder, GlobMatcher};
use serde_json::Value;

/// One ignoreDifferences entry (Application `spec.ignoreDifferences[]` or an argocd-cm
/// resource override; the system-wide `*/*` override is `group: "*", kind: "*"`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IgnoreRule {
    /// API group glob; empty = core group only.
    pub group: String,
    /// Kind glob.
    pub kind: String,
    /// Exact name; empty = any.
    pub name: String,
    /// Exact namespace; empty = any.
    pub namespace: String,
    /// RFC 6901 pointers to remove.
    pub json_pointers: Vec<String>,
    /// jq path expressions, run as `del(<expr>)`.
    pub jq_path_expressions: Vec<String>,
    /// Managers whose differing owned fields are ignored.
    pub managed_fields_managers: Vec<String>,
}

/// Errors building a rule (Argo CD fails the app comparison in that case).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// A group or kind glob does not parse.
    #[error("invalid glob {pattern:?} in ignoreDifferences rule: {reason}")]
    Glob {
        /// The pattern.
        pattern: String,
        /// Why it failed.
        reason: String,
    },
    /// A jq expression does not parse or compile.
    #[error("{0}")]
    Jq(String),
}

/// Glob over a group or kind (empty pattern = exactly empty).
#[derive(Debug, Clone)]
enum NameGlob {
    Empty,
    Glob(GlobMatcher),
}

impl NameGlob {
    fn new(pattern: &str) -> Result<Self, RuleError> {
        if pattern.is_empty() {
            return Ok(NameGlob::Empty);
        }
        let glob = GlobBuilder::new(pattern)
            .literal_separator(false)
            .backslash_escape(true)
            .build()
            .map_err(|e| RuleError::Glob {
                pattern: pattern.to_string(),
                reason: e.kind().to_string(),
            })?;
        Ok(NameGlob::Glob(glob.compile_matcher()))
    }

    fn matches(&self, text: &str) -> bool {
        match self {
            NameGlob::Empty => text.is_empty(),
            NameGlob::Glob(g) => g.is_match(text),
        }
    }
}

/// A rule ready to apply: globs and jq programs compiled.
#[derive(Debug, Clone)]
pub struct CompiledIgnoreRule {
    rule: IgnoreRule,
    group: NameGlob,
    kind: NameGlob,
    jq: Vec<JqPath>,
}

impl CompiledIgnoreRule {
    /// Compiles globs and jq expressions.
    pub fn compile(rule: IgnoreRule) -> Result<Self, RuleError> {
        let group = NameGlob::new(&rule.group)?;
        let kind = NameGlob::new(&rule.kind)?;
        let jq = rule
            .jq_path_expressions
            .iter()
            .map(|e| JqPath::compile(e).map_err(RuleError::Jq))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CompiledIgnoreRule {
            rule,
            group,
            kind,
            jq,
        })
    }

    /// The rule as written.
    pub fn rule(&self) -> &IgnoreRule {
        &self.rule
    }

    /// Whether the rule applies to an object with this group, kind, name and namespace.
    pub fn matches(&self, group: &str, kind: &str, name: &str, namespace: &str) -> bool {
        self.group.matches(group)
            && self.kind.matches(kind)
            && (self.rule.name.is_empty() || self.rule.name == name)
            && (self.rule.namespace.is_empty() || self.rule.namespace == namespace)
    }

    /// Whether the rule applies to `obj`.
    pub fn matches_object(&self, obj: &Value) -> bool {
        let id = ObjectId::of(obj);
        self.matches(&id.group, &id.kind, &id.name, &id.namespace)
    }
}

/// Group, kind, name and namespace of an object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectId {
    /// API group ("" = core).
    pub group: String,
    /// Kind.
    pub kind: String,
    /// metadata.name.
    pub name: String,
    /// metadata.namespace.
    pub namespace: String,
}

impl ObjectId {
    /// Reads the identity of an object (missing parts are empty).
    pub fn of(obj: &Value) -> Self {
        let s = |p: &str| {
            obj.pointer(p)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let api_version = s("/apiVersion");
        ObjectId {
            group: split_api_version(&api_version).0.to_string(),
            kind: s("/kind"),
            name: s("/metadata/name"),
            namespace: s("/metadata/namespace"),
        }
    }
}

/// A JSON pointer that does not address an existing value (Argo CD skips that pointer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("JSON pointer does not address an existing value")]
pub struct PointerMissing;

/// Removes the value at an RFC 6901 pointer; a missing path (or the empty pointer) is an
/// error that the caller skips.
pub fn remove_pointer(doc: &mut Value, pointer: &str) -> Result<(), PointerMissing> {
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(PointerMissing);
    };
    let tokens: Vec<String> = rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect();
    let Some((last, parents)) = tokens.split_last() else {
        return Err(PointerMissing);
    };
    let mut cur = doc;
    for t in parents {
        cur = match cur {
            Value::Object(o) => o.get_mut(t).ok_or(PointerMissing)?,
            Value::Array(a) => a.get_mut(parse_index(t)?).ok_or(PointerMissing)?,
            _ => return Err(PointerMissing),
        };
    }
    match cur {
        Value::Object(o) => o.remove(last).map(|_| ()).ok_or(PointerMissing),
        Value::Array(a) => {
            let i = parse_index(last)?;
            if i < a.len() {
                a.remove(i);
                Ok(())
            } else {
                Err(PointerMissing)
            }
        }
        _ => Err(PointerMissing),
    }
}

fn parse_index(t: &str) -> Result<usize, PointerMissing> {
    if t.is_empty() || (t.len() > 1 && t.starts_with('0')) || !t.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(PointerMissing);
    }
    t.parse().map_err(|_| PointerMissing)
}

/// Applies the JSON-pointer and jq parts of every matching rule to `obj` (in rule order:
/// pointers, then jq expressions). Failing pointers and expressions are skipped as in Argo CD;
/// skipped jq expressions are described in the returned warnings (never quoting object
/// values). A jq expression that exceeds its budget is an error: its outcome in Argo CD cannot
/// be predicted.
pub fn apply_rules(
    obj: &mut Value,
    rules: &[CompiledIgnoreRule],
    jq_limits: &Limits,
) -> Result<Vec<String>, String> {
    let mut warnings = Vec::new();
    let id = ObjectId::of(obj);
    for r in rules {
        if !r.matches(&id.group, &id.kind, &id.name, &id.namespace) {
            continue;
        }
        for p in &r.rule.json_pointers {
            let _ = remove_pointer(obj, p);
        }
        for jq in &r.jq {
            match jq.apply(obj, jq_limits) {
                Ok(v) => *obj = v,
                Err(JqSkip::Exceeded(e)) => {
                    return Err(format!(
                        "jqPathExpression {:?} could not be evaluated for {}/{} {}: it exceeded \
                         driftlens's budget ({e}), so whether Argo CD applies it is unknown; \
                         simplify the expression",
                        jq.source(),
                        id.group,
                        id.kind,
                        id.name
                    ))
                }
                Err(skip) => warnings.push(format!(
                    "jqPathExpression {:?} skipped for {}/{} {}: {}",
                    jq.source(),
                    id.group,
                    id.kind,
                    id.name,
                    describe(&skip)
                )),
            }
        }
    }
    Ok(warnings)
}

fn describe(skip: &JqSkip) -> String {
    match skip {
        JqSkip::Error => "evaluation error".to_string(),
        JqSkip::NoOutput => "JQ patch did not return any data".to_string(),
        JqSkip::MultipleOutputs => "JQ patch returned multiple objects".to_string(),
        JqSkip::Exceeded(e) => format!("exceeded its budget ({e})"),
    }
}

/// The `managedFieldsManagers` step: for each listed manager, leaf fields it owns in live
/// that exist in both objects with different values (the "modified" set of a structured
/// comparison; added or removed fields are not in it) are removed from both, and from
/// last-applied when given.
pub fn apply_managed_fields(
    desired: &mut Value,
    live: &mut Value,
    last_applied: Option<&mut Value>,
    rules: &[CompiledIgnoreRule],
) {
    // Argo CD looks the rules up with the desired object's identity.
    let id = ObjectId::of(desired);
    let mut managers: Vec<&str> = Vec::new();
    for r in rules {
        if r.matches(&id.group, &id.kind, &id.name, &id.namespace) {
            managers.extend(r.rule.managed_fields_managers.iter().map(String::as_str));
        }
    }
    if managers.is_empty() {
        return;
    }
    let mut paths: Vec<Vec<FieldSeg>> = Vec::new();
    for m in managers {
        paths.extend(managedfields::owned_paths(live, m, None, false));
    }
    let mut live_locs: Vec<Vec<Loc>> = Vec::new();
    let mut desired_locs: Vec<Vec<Loc>> = Vec::new();
    let mut orig_paths: Vec<&[FieldSeg]> = Vec::new();
    for p in &paths {
        let (Some(ll), Some(dl)) = (
            managedfields::resolve(live, p),
            managedfields::resolve(desired, p),
        ) else {
            continue;
        };
        let (Some(lv), Some(dv)) = (
            managedfields::get(live, &ll),
            managedfields::get(desired, &dl),
        ) else {
            continue;
        };
        if lv != dv {
            live_locs.push(ll);
            desired_locs.push(dl);
            orig_paths.push(p);
        }
    }
    if let Some(orig) = last_applied {
        let locs: Vec<Vec<Loc>> = orig_paths
            .iter()
            .filter_map(|p| managedfields::resolve(orig, p))
            .collect();
        managedfields::remove_all(orig, locs);
    }
    managedfields::remove_all(live, live_locs);
    managedfields::remove_all(desired, desired_locs);
}

/// A `knownTypeFields` entry of a resource override.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownTypeField {
    /// API group of the kind (exact).
    pub group: String,
    /// Kind (exact).
    pub kind: String,
    /// Dot path; lists along the path are traversed element-wise.
    pub field: String,
    /// Type name: `core/Quantity`, `meta/v1/Duration` or `core/v1/<Type>` (e.g.
    /// `core/v1/PodSpec`).
    pub type_name: String,
}

impl KnownTypeField {
    /// The entries Argo CD registers itself (`argoproj.io/Rollout spec.template.spec`).
    pub fn builtin() -> Vec<KnownTypeField> {
        vec![KnownTypeField {
            group: "argoproj.io".to_string(),
            kind: "Rollout".to_string(),
            field: "spec.template.spec".to_string(),
            type_name: "core/v1/PodSpec".to_string(),
        }]
    }
}

/// Re-marshals the configured fields through their type; unknown types are ignored.
pub fn apply_known_types(obj: &mut Value, fields: &[KnownTypeField]) {
    let id = ObjectId::of(obj);
    for f in fields {
        if f.group != id.group || f.kind != id.kind {
            continue;
        }
        let path: Vec<&str> = f.field.split('.').filter(|s| !s.is_empty()).collect();
        visit_path(
            obj,
            &path,
            &|v: &mut Value| convert_known(v, &f.type_name),
            0,
        );
    }
}

fn visit_path(v: &mut Value, path: &[&str], f: &dyn Fn(&mut Value), depth: usize) {
    if depth > driftlens_merge::MAX_DEPTH {
        return;
    }
    if let Value::Array(items) = v {
        for item in items {
            visit_path(item, path, f, depth + 1);
        }
        return;
    }
    match path.split_first() {
        None => f(v),
        Some((head, rest)) => {
            if let Some(child) = v.as_object_mut().and_then(|o| o.get_mut(*head)) {
                visit_path(child, rest, f, depth + 1);
            }
        }
    }
}

/// Types of `diffing_known_types.txt` that are not definitions of the OpenAPI document the
/// type table comes from, mapped to the closest definition that accepts the same fields.
const KNOWN_TYPE_ALIASES: &[(&str, &str)] = &[
    ("VolumeSource", "Volume"),
    ("ProbeHandler", "Probe"),
    ("PersistentVolumeSource", "PersistentVolumeSpec"),
    ("VolumeResourceRequirements", "ResourceRequirements"),
];

/// Schema node of a known type name, if driftlens can re-marshal it.
fn known_type_node(type_name: &str) -> Option<Value> {
    let name = type_name.strip_prefix("core/v1/")?;
    if name == "ResourceList" {
        return Some(serde_json::json!({
            "t": "object",
            "a": {"ref": "io.k8s.apimachinery.pkg.api.resource.Quantity"}
        }));
    }
    let name = KNOWN_TYPE_ALIASES
        .iter()
        .find(|(from, _)| *from == name)
        .map_or(name, |(_, to)| *to);
    let def = format!("io.k8s.api.core.v1.{name}");
    table()?
        .resolve(&serde_json::json!({ "ref": def }))
        .is_object()
        .then(|| serde_json::json!({ "ref": def }))
}

impl KnownTypeField {
    /// Whether driftlens can re-marshal this type (`core/Quantity`, `meta/v1/Duration` and the
    /// `core/v1` types present in the type table). Argo CD ignores unknown types with a
    /// warning; unsupported ones are likewise left alone.
    pub fn is_supported(&self) -> bool {
        matches!(
            self.type_name.as_str(),
            "core/Quantity" | "meta/v1/Duration"
        ) || known_type_node(&self.type_name).is_some()
    }
}

fn convert_known(v: &mut Value, type_name: &str) {
    if type_name == "core/Quantity" {
        *v = quantity::canonicalize_value(v);
        return;
    }
    if type_name == "meta/v1/Duration" {
        if let Some(c) = v.as_str().and_then(super::duration::canonicalize) {
            *v = Value::String(c);
        }
        return;
    }
    let (Some(t), Some(node)) = (table(), known_type_node(type_name)) else {
        return;
    };
    if let Some(nv) = normalize::walk(t, &node, v, false) {
        *v = nv;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(group: &str, kind: &str) -> IgnoreRule {
        IgnoreRule {
            group: group.into(),
            kind: kind.into(),
            ..Default::default()
        }
    }

    #[test]
    fn glob_matching_follows_argo() {
        let r = CompiledIgnoreRule::compile(rule("", "ConfigMap")).expect("compiles");
        assert!(r.matches("", "ConfigMap", "a", "b"));
        assert!(!r.matches("apps", "ConfigMap", "a", "b"));
        let r = CompiledIgnoreRule::compile(rule("*", "*")).expect("compiles");
        assert!(r.matches("", "Secret", "", ""));
        assert!(r.matches("apps.example/x", "Any", "", ""));
        let r = CompiledIgnoreRule::compile(rule("*.crossplane.io", "*")).expect("compiles");
        assert!(r.matches("aws.crossplane.io", "Bucket", "", ""));
        assert!(!r.matches("apps", "Bucket", "", ""));
        let mut named = rule("apps", "Deployment");
        named.name = "web".into();
        named.namespace = "prod".into();
        let r = CompiledIgnoreRule::compile(named).expect("compiles");
        assert!(r.matches("apps", "Deployment", "web", "prod"));
        assert!(!r.matches("apps", "Deployment", "web2", "prod"));
        assert!(!r.matches("apps", "Deployment", "web", "dev"));
    }

    #[test]
    fn pointer_removal_with_escapes_and_missing_paths() {
        let mut doc = json!({"metadata": {"annotations": {"a/b": "1", "c~d": "2", "e": "3"}},
            "list": [1, 2, 3]});
        assert!(remove_pointer(&mut doc, "/metadata/annotations/a~1b").is_ok());
        assert!(remove_pointer(&mut doc, "/metadata/annotations/c~0d").is_ok());
        assert!(remove_pointer(&mut doc, "/metadata/missing/x").is_err());
        assert!(remove_pointer(&mut doc, "/list/01").is_err());
        assert!(remove_pointer(&mut doc, "/list/1").is_ok());
        assert_eq!(
            doc,
            json!({"metadata": {"annotations": {"e": "3"}}, "list": [1, 3]})
        );
    }

    #[test]
    fn rules_apply_pointers_then_jq_and_skip_failures() {
        let mut r = rule("apps", "Deployment");
        r.json_pointers = vec!["/nope".into(), "/spec/replicas".into()];
        r.jq_path_expressions = vec![".spec.missing[]".into(), ".spec.paused".into()];
        let rules = vec![CompiledIgnoreRule::compile(r).expect("compiles")];
        let mut obj = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "spec": {"replicas": 1, "paused": true, "x": 1}});
        let warnings = apply_rules(&mut obj, &rules, &Limits::JQ).expect("within budget");
        assert_eq!(obj["spec"], json!({"x": 1}));
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains(".spec.missing[]"));
        let mut cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "spec": {"replicas": 1}});
        apply_rules(&mut cm, &rules, &Limits::JQ).expect("within budget");
        assert_eq!(cm["spec"], json!({"replicas": 1}));
    }

    #[test]
    fn argo_known_type_names_are_supported() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/conformance/argocd/diff/known-types/diffing_known_types.txt"
        );
        let text = std::fs::read_to_string(path).expect("known types list");
        let names: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let supported = |n: &str| {
            KnownTypeField {
                group: String::new(),
                kind: String::new(),
                field: String::new(),
                type_name: n.to_string(),
            }
            .is_supported()
        };
        let missing: Vec<&&str> = names.iter().filter(|n| !supported(n)).collect();
        // The type table comes from Kubernetes 1.24; types added later are not re-marshalled.
        assert!(missing.len() <= 50, "{missing:?}");
        for common in [
            "core/v1/PodSpec",
            "core/v1/Container",
            "core/v1/ResourceList",
            "core/v1/ResourceRequirements",
            "core/v1/VolumeSource",
            "core/v1/ProbeHandler",
            "core/v1/EnvVar",
        ] {
            assert!(supported(common), "{common}");
        }
        assert!(supported("core/Quantity") && supported("meta/v1/Duration"));
        assert!(!supported("core/v1/NoSuchType") && !supported("apps/v1/Deployment"));
    }

    #[test]
    fn bad_jq_fails_compilation() {
        let mut r = rule("apps", "Deployment");
        r.jq_path_expressions = vec![".spec[".into()];
        assert!(CompiledIgnoreRule::compile(r).is_err());
    }

    #[test]
    fn known_type_fields_canonicalize() {
        let fields = vec![
            KnownTypeField {
                group: "example.com".into(),
                kind: "Thing".into(),
                field: "spec.items.size".into(),
                type_name: "core/Quantity".into(),
            },
            KnownTypeField {
                group: "example.com".into(),
                kind: "Thing".into(),
                field: "spec.pod".into(),
                type_name: "core/v1/PodSpec".into(),
            },
            KnownTypeField {
                group: "example.com".into(),
                kind: "Thing".into(),
                field: "spec.ttl".into(),
                type_name: "meta/v1/Duration".into(),
            },
        ];
        let mut obj = json!({"apiVersion": "example.com/v1", "kind": "Thing", "spec": {
            "items": [{"size": "1000m"}, {"size": 0.5}], "ttl": "8760h",
            "pod": {"containers": [{"name": "a", "resources": {"limits": {"memory": "1024Mi"}}}], "volumes": []}}});
        apply_known_types(&mut obj, &fields);
        assert_eq!(
            obj["spec"]["items"],
            json!([{"size": "1"}, {"size": "500m"}])
        );
        assert_eq!(
            obj["spec"]["pod"],
            json!({"containers": [{"name": "a", "resources": {"limits": {"memory": "1Gi"}}}]})
        );
    }
}
