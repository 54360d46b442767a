//! `rbac-wildcard`: a Role or ClusterRole rule with `*` in `apiGroups`, `resources` or `verbs`.
//! Documentation: `rules/rbac-wildcard.md`.

use super::rbac::policy_rules;
use crate::rules::{Context, Finding, RuleMeta};

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for r in policy_rules(ctx) {
        let m = r.manifest;
        for (field, values, what) in [
            (
                "apiGroups",
                &r.api_groups,
                "every API group, including CRDs installed later",
            ),
            (
                "resources",
                &r.resources,
                "every resource, including Secrets and subresources such as `pods/exec`",
            ),
            (
                "verbs",
                &r.verbs,
                "every verb, including `escalate`, `bind` and `impersonate`",
            ),
        ] {
            let Some(i) = values.iter().position(|v| *v == "*") else {
                continue;
            };
            let pointer = format!("{}/{field}/{i}", r.pointer);
            let message = format!(
                "{} grants `*` in `{field}`, which means {what}: the grant grows silently with \
                 the cluster and is a path to cluster-admin. List the {field} it needs \
                 explicitly",
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
