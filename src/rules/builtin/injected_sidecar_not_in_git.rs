//! `injected-sidecar-not-in-git`: the live pod template of a workload holds containers, init
//! containers or volumes that an injector added (Istio, Linkerd, Vault agent, Datadog) and Git
//! does not have. Needs `--cluster`. Documentation: `rules/injected-sidecar-not-in-git.md`.

use serde_json::{json, Value};

use crate::compare::cause::owner_of;
use crate::rules::{Context, Finding, RuleMeta, Severity};

/// The injector behind a container or volume name, if it is a known signature.
fn injector(list: &str, name: &str) -> Option<&'static str> {
    let n = name.to_ascii_lowercase();
    let containers: &[(&str, &str)] = &[
        ("istio-proxy", "Istio"),
        ("istio-init", "Istio"),
        ("istio-validation", "Istio"),
        ("linkerd-proxy", "Linkerd"),
        ("linkerd-init", "Linkerd"),
        ("linkerd-network-validator", "Linkerd"),
        ("vault-agent", "Vault agent"),
        ("vault-agent-init", "Vault agent"),
    ];
    if list != "volumes" {
        if let Some((_, who)) = containers.iter().find(|(c, _)| *c == n) {
            return Some(who);
        }
        return n.starts_with("datadog-").then_some("Datadog");
    }
    let volumes: &[(&str, &str)] = &[
        ("istio-", "Istio"),
        ("istiod-", "Istio"),
        ("workload-socket", "Istio"),
        ("credential-socket", "Istio"),
        ("workload-certs", "Istio"),
        ("linkerd-", "Linkerd"),
        ("vault-", "Vault agent"),
        ("home-init", "Vault agent"),
        ("home-sidecar", "Vault agent"),
        ("datadog", "Datadog"),
        ("dd-", "Datadog"),
    ];
    volumes
        .iter()
        .find(|(p, _)| n.starts_with(p))
        .map(|(_, who)| *who)
}

fn names(v: Option<&Value>) -> Vec<&str> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|i| i.get("name").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default()
}

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    if ctx.cluster.is_none() {
        return;
    }
    for (mi, m) in ctx.repo.manifests.iter().enumerate() {
        let Some(spec) = super::podspec::pod_spec_pointer(m) else {
            continue;
        };
        if spec == "/spec" {
            continue; // bare Pods are mutated at admission by design
        }
        let Some(live) = ctx.live_of(mi) else {
            continue;
        };
        // The live object without what ignore rules remove, computed only for a workload
        // that has an injected item Git lacks.
        let mut kept: Option<std::borrow::Cow<'_, Value>> = None;
        let ssa = ctx.server_side_mode(mi) == Some("ServerSideApply=true");
        let mut items: Vec<String> = Vec::new();
        let mut whos: Vec<&str> = Vec::new();
        let mut jq: Vec<String> = Vec::new();
        let mut warn_reasons: Vec<String> = Vec::new();
        let mut first_pointer: Option<String> = None;
        for list in ["initContainers", "containers", "volumes"] {
            let lp = format!("{spec}/{list}");
            let git = names(m.obj.pointer(&lp));
            let Some(Value::Array(live_items)) = live.obj().pointer(&lp) else {
                continue;
            };
            let mut injected_names: Vec<&str> = Vec::new();
            for (i, item) in live_items.iter().enumerate() {
                let Some(name) = item.get("name").and_then(Value::as_str) else {
                    continue;
                };
                let Some(who) = injector(list, name) else {
                    continue;
                };
                if git.contains(&name) {
                    continue;
                }
                let kept = kept.get_or_insert_with(|| ctx.without_ignored(mi, live.obj()));
                if !names(kept.pointer(&lp)).contains(&name) {
                    continue;
                }
                let pointer = format!("{lp}/{i}");
                first_pointer.get_or_insert_with(|| pointer.clone());
                let what = match list {
                    "initContainers" => "init container",
                    "containers" => "container",
                    _ => "volume",
                };
                items.push(format!("{what} `{name}`"));
                if !whos.contains(&who) {
                    whos.push(who);
                }
                injected_names.push(name);
                if ctx.drift_reports(mi, &pointer) {
                    warn_reasons.push(format!("the predicted diff reports {what} `{name}`"));
                } else if ssa
                    && owner_of(live.obj(), &pointer)
                        .is_some_and(|o| o.manager == "argocd-controller")
                {
                    warn_reasons.push(format!(
                        "{what} `{name}` is owned by Argo CD's field manager, so a \
                         `ServerSideApply=true` sync removes it"
                    ));
                }
            }
            if !injected_names.is_empty() {
                let cond = injected_names
                    .iter()
                    .map(|n| format!(".name == \"{n}\""))
                    .collect::<Vec<_>>()
                    .join(" or ");
                let path = lp.trim_start_matches('/').replace('/', ".");
                jq.push(format!(".{path}[]? | select({cond})"));
            }
        }
        if items.is_empty() {
            continue;
        }
        let suggestion = json!({
            "group": m.key.group,
            "kind": m.key.kind,
            "name": m.key.name,
            "jqPathExpressions": jq,
        });
        let status = if warn_reasons.is_empty() {
            "Argo CD's default legacy diff merges these lists by name and keeps items only the \
             live object has, so this is not a difference today; it becomes one with \
             `ServerSideApply=true` or server-side diff when the injected fields end up owned by \
             Argo CD's field manager (a webhook that mutates Argo CD's own apply), unless \
             server-side diff runs with `IncludeMutationWebhook=true` or an ignore rule removes \
             them"
                .to_string()
        } else {
            format!(
                "{}, so the Application is OutOfSync",
                warn_reasons.join("; ")
            )
        };
        let message = format!(
            "{} `{}`: the live pod template has {} injected by {} that Git does not have: \
             {status}. To keep them out of the comparison add to the Application's \
             ignoreDifferences `{{group: {}, kind: {}, name: {}, jqPathExpressions: [{}]}}`, or \
             use `ServerSideDiff=true,IncludeMutationWebhook=true` in its compare-options",
            m.key.kind,
            m.key.name,
            items.join(", "),
            whos.join(", "),
            m.key.group,
            m.key.kind,
            m.key.name,
            jq.iter()
                .map(|e| format!("'{e}'"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut f = Finding::new(
            meta,
            message,
            super::podspec::locate_or_kind(m, &format!("{spec}/containers")),
        )
        .with_object(&m.key)
        .with_property("suggestedIgnoreDifferences", suggestion);
        if let Some(p) = first_pointer {
            f = f.with_pointer(p);
        }
        if warn_reasons.is_empty() {
            f.severity = Severity::Note;
        }
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::injector;

    #[test]
    fn injector_signatures() {
        assert_eq!(injector("containers", "istio-proxy"), Some("Istio"));
        assert_eq!(injector("initContainers", "linkerd-init"), Some("Linkerd"));
        assert_eq!(
            injector("initContainers", "datadog-lib-java-init"),
            Some("Datadog")
        );
        assert_eq!(injector("volumes", "istio-envoy"), Some("Istio"));
        assert_eq!(injector("containers", "app"), None);
        assert_eq!(injector("volumes", "config"), None);
        // Container names are not volume prefixes.
        assert_eq!(injector("containers", "istio-envoy"), None);
    }
}
