//! `rbac-cluster-admin-binding`: a ClusterRoleBinding or RoleBinding to the `cluster-admin`
//! ClusterRole. Documentation: `rules/rbac-cluster-admin-binding.md`.

use serde_json::Value;

use crate::rules::{Context, Finding, RuleMeta};

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for m in &ctx.repo.manifests {
        if m.key.group != "rbac.authorization.k8s.io"
            || !matches!(m.key.kind.as_str(), "ClusterRoleBinding" | "RoleBinding")
        {
            continue;
        }
        let kind = m.obj.pointer("/roleRef/kind").and_then(Value::as_str);
        let name = m.obj.pointer("/roleRef/name").and_then(Value::as_str);
        if kind != Some("ClusterRole") || name != Some("cluster-admin") {
            continue;
        }
        let subjects: Vec<String> = match m.obj.get("subjects") {
            Some(Value::Array(s)) => s
                .iter()
                .map(|s| {
                    format!(
                        "{} `{}`",
                        s.get("kind").and_then(Value::as_str).unwrap_or("subject"),
                        s.get("name").and_then(Value::as_str).unwrap_or("")
                    )
                })
                .collect(),
            _ => Vec::new(),
        };
        let who = if subjects.is_empty() {
            "its subjects".to_string()
        } else {
            subjects.join(", ")
        };
        let scope = if m.key.kind == "ClusterRoleBinding" {
            "full control of the whole cluster"
        } else {
            "full control of the namespace, including its Secrets and RBAC"
        };
        let message = format!(
            "{} `{}` binds `cluster-admin` to {who}: {scope}, so a leaked token or a compromised \
             pod of that identity owns it. Bind a role with only the permissions needed",
            m.key.kind, m.key.name
        );
        out.push(
            Finding::new(meta, message, m.locate("/roleRef/name"))
                .with_object(&m.key)
                .with_pointer("/roleRef/name"),
        );
    }
}
