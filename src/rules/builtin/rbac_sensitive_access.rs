//! `rbac-sensitive-access`: a Role or ClusterRole that can read Secrets, exec into or create
//! pods, or escalate, bind or impersonate. Documentation: `rules/rbac-sensitive-access.md`.

use super::rbac::policy_rules;
use crate::rules::{Context, Finding, RuleMeta};

/// (resource, sensitive verbs, what it allows, core group only).
const SENSITIVE: &[(&str, &[&str], &str)] = &[
    (
        "secrets",
        &["get", "list", "watch"],
        "read every Secret in its scope, including ServiceAccount tokens and TLS keys",
    ),
    (
        "pods/exec",
        &["create", "get"],
        "run commands in any pod, and so use that pod's ServiceAccount and Secrets",
    ),
    (
        "pods/attach",
        &["create", "get"],
        "attach to any pod's processes",
    ),
    (
        "pods",
        &["create"],
        "create pods that mount any Secret or run as any ServiceAccount of the namespace",
    ),
    (
        "nodes/proxy",
        &["get", "create"],
        "call the kubelet API, which runs commands in every pod of a node",
    ),
    (
        "serviceaccounts/token",
        &["create"],
        "mint tokens for any ServiceAccount",
    ),
];

/// Verbs that are escalation on their own, whatever the resource.
const ESCALATION: &[(&str, &str)] = &[
    ("escalate", "grant permissions it does not hold"),
    ("bind", "bind roles with permissions it does not hold"),
    (
        "impersonate",
        "act as other users, groups or ServiceAccounts",
    ),
];

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for r in policy_rules(ctx) {
        let m = r.manifest;
        let core = r.api_groups.iter().any(|g| g.is_empty() || *g == "*");
        let all_verbs = r.verbs.contains(&"*");
        // A grant limited to named objects is a deliberate, narrow one.
        if core && r.resource_names.is_empty() {
            for (i, res) in r.resources.iter().enumerate() {
                let Some((_, verbs, what)) = SENSITIVE.iter().find(|(s, _, _)| s == res) else {
                    continue;
                };
                let granted: Vec<&str> = if all_verbs {
                    vec!["*"]
                } else {
                    verbs
                        .iter()
                        .copied()
                        .filter(|v| r.verbs.contains(v))
                        .collect()
                };
                if granted.is_empty() {
                    continue;
                }
                let pointer = format!("{}/resources/{i}", r.pointer);
                let message = format!(
                    "{} grants `{}` on `{res}`: whoever holds it can {what}. Narrow it with \
                     `resourceNames`, or move the task to a controller that needs no such access",
                    r.describe(),
                    granted.join(", ")
                );
                out.push(
                    Finding::new(meta, message, m.locate(&pointer))
                        .with_object(&m.key)
                        .with_pointer(pointer),
                );
            }
        }
        for (i, verb) in r.verbs.iter().enumerate() {
            let Some((_, what)) = ESCALATION.iter().find(|(v, _)| v == verb) else {
                continue;
            };
            let pointer = format!("{}/verbs/{i}", r.pointer);
            let message = format!(
                "{} grants the verb `{verb}`: whoever holds it can {what}, a direct path to \
                 cluster-admin. Remove it, or limit it with `resourceNames`",
                r.describe()
            );
            out.push(
                Finding::new(meta, message, m.locate(&pointer))
                    .with_object(&m.key)
                    .with_pointer(pointer),
            );
        }
    }
}
