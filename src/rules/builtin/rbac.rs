//! Shared helper of the RBAC rules: the policy rules of Roles and ClusterRoles with their
//! pointers. Not a rule.

use serde_json::Value;

use crate::model::object::Manifest;
use crate::rules::Context;

/// Whether a manifest is a Role or ClusterRole.
pub fn is_role(m: &Manifest) -> bool {
    m.key.group == "rbac.authorization.k8s.io"
        && matches!(m.key.kind.as_str(), "Role" | "ClusterRole")
}

/// One entry of a role's `rules`.
pub struct PolicyRule<'a> {
    /// The role.
    pub manifest: &'a Manifest,
    /// Pointer of the entry (`/rules/0`).
    pub pointer: String,
    /// `apiGroups`.
    pub api_groups: Vec<&'a str>,
    /// `resources`.
    pub resources: Vec<&'a str>,
    /// `verbs`.
    pub verbs: Vec<&'a str>,
    /// `resourceNames`.
    pub resource_names: Vec<&'a str>,
}

fn strings(v: Option<&Value>) -> Vec<&str> {
    match v {
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The policy rules of every Role and ClusterRole in the checkout. Aggregated ClusterRoles
/// (whose `rules` the controller fills in) and `system:` roles are skipped.
pub fn policy_rules<'a>(ctx: &Context<'a>) -> Vec<PolicyRule<'a>> {
    let mut out = Vec::new();
    for m in ctx.repo.manifests.iter().filter(|m| is_role(m)) {
        if m.obj.get("aggregationRule").is_some_and(|a| !a.is_null())
            || m.key.name.starts_with("system:")
        {
            continue;
        }
        let Some(Value::Array(rules)) = m.obj.get("rules") else {
            continue;
        };
        for (i, r) in rules.iter().enumerate() {
            out.push(PolicyRule {
                manifest: m,
                pointer: format!("/rules/{i}"),
                api_groups: strings(r.get("apiGroups")),
                resources: strings(r.get("resources")),
                verbs: strings(r.get("verbs")),
                resource_names: strings(r.get("resourceNames")),
            });
        }
    }
    out
}

impl PolicyRule<'_> {
    /// `ClusterRole `name``.
    pub fn describe(&self) -> String {
        format!("{} `{}`", self.manifest.key.kind, self.manifest.key.name)
    }
}
