//! `pod-default-service-account`: a pod that runs as its namespace's `default` ServiceAccount
//! with the API token mounted. Documentation: `rules/pod-default-service-account.md`.

use serde_json::Value;

use super::podspec::{is_false, pods, same_namespace};
use crate::rules::{Context, Finding, RuleMeta};

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for pod in pods(ctx) {
        let m = pod.manifest;
        let sa = pod
            .field("/serviceAccountName")
            .or_else(|| pod.field("/serviceAccount"))
            .and_then(Value::as_str)
            .unwrap_or("");
        if !(sa.is_empty() || sa == "default") {
            continue;
        }
        if is_false(pod.field("/automountServiceAccountToken")) {
            continue;
        }
        // A `default` ServiceAccount in Git that disables automounting protects every pod.
        let sa_off = ctx.repo.manifests.iter().any(|s| {
            s.key.group.is_empty()
                && s.key.kind == "ServiceAccount"
                && s.key.name == "default"
                && same_namespace(&s.key.namespace, &m.key.namespace)
                && is_false(s.obj.get("automountServiceAccountToken"))
        });
        if sa_off {
            continue;
        }
        let (location, pointer) = if pod.field("/serviceAccountName").is_some() {
            pod.locate("/serviceAccountName")
        } else {
            pod.locate("")
        };
        let how = if sa.is_empty() {
            "sets no `serviceAccountName`, so it runs as the namespace's `default` ServiceAccount"
        } else {
            "runs as the namespace's `default` ServiceAccount"
        };
        let message = format!(
            "{} {how} with its API token mounted: every pod of the namespace shares that \
             identity, and any permission granted to it is granted to all. Give the workload its \
             own ServiceAccount, and set `automountServiceAccountToken: false` if it does not \
             call the Kubernetes API",
            pod.describe()
        );
        out.push(
            Finding::new(meta, message, location)
                .with_object(&m.key)
                .with_pointer(pointer),
        );
    }
}
