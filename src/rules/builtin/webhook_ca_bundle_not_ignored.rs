//! `webhook-ca-bundle-not-ignored`: a Mutating/ValidatingWebhookConfiguration whose
//! `caBundle` (or `failurePolicy`) is written at runtime by an injector — cert-manager's
//! cainjector, istiod, a chart's patch job — while no ignore rule covers it. Documentation:
//! `rules/webhook-ca-bundle-not-ignored.md`.

use serde_json::{json, Value};

use crate::model::object::Location;
use crate::rules::{Context, Finding, RuleMeta, Severity};

const INJECT_ANNOTATIONS: &[&str] = &[
    "cert-manager.io/inject-ca-from",
    "cert-manager.io/inject-ca-from-secret",
    "cert-manager.io/inject-apiserver-ca",
];

fn webhooks(v: &Value) -> &[Value] {
    v.get("webhooks")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn name_of(w: &Value) -> &str {
    w.get("name").and_then(Value::as_str).unwrap_or("")
}

fn non_empty(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (mi, m) in ctx.repo.manifests.iter().enumerate() {
        if m.key.group != "admissionregistration.k8s.io"
            || !matches!(
                m.key.kind.as_str(),
                "MutatingWebhookConfiguration" | "ValidatingWebhookConfiguration"
            )
        {
            continue;
        }
        let git_hooks = webhooks(&m.obj);
        if git_hooks.is_empty() {
            continue;
        }
        let injector = INJECT_ANNOTATIONS
            .iter()
            .find_map(|a| m.annotation(a).map(|v| format!("`{a}: {v}`")));
        let live = ctx.live_of(mi);
        let live_hooks = live.map(|l| webhooks(l.obj())).unwrap_or(&[]);
        // The object the ignore rules are tried on: live, or Git with every caBundle filled.
        let probe = match live {
            Some(l) => l.obj().clone(),
            None => {
                let mut p = m.obj.clone();
                if let Some(Value::Array(hs)) = p.get_mut("webhooks") {
                    for h in hs.iter_mut() {
                        if let Some(o) = h.as_object_mut() {
                            let cc = o.entry("clientConfig").or_insert_with(|| json!({}));
                            if let Some(c) = cc.as_object_mut() {
                                c.entry("caBundle").or_insert_with(|| json!("Cg=="));
                            }
                        }
                    }
                }
                p
            }
        };
        let replace = ctx.uses_replace(mi);
        let mut warn = false;
        let mut reasons: Vec<String> = Vec::new();
        let mut location: Option<Location> = None;
        let mut pointer: Option<String> = None;
        let mut failure_policy = false;
        for (i, gh) in git_hooks.iter().enumerate() {
            let name = name_of(gh);
            let li = live_hooks.iter().position(|l| name_of(l) == name);
            let lh = li.map(|j| &live_hooks[j]);
            let probe_index = if live.is_some() { li } else { Some(i) };
            let ca_ptr = |j: usize| format!("/webhooks/{j}/clientConfig/caBundle");
            let fp_ptr = |j: usize| format!("/webhooks/{j}/failurePolicy");
            let git_ca = non_empty(gh.pointer("/clientConfig/caBundle"));
            let live_ca = lh.and_then(|l| non_empty(l.pointer("/clientConfig/caBundle")));
            let ca_ignored =
                probe_index.is_some_and(|j| ctx.ignored_pointers(mi, &probe, &[ca_ptr(j)])[0]);
            let mut here = |p: String, why: String, w: bool| {
                if location.is_none() || (w && !warn) {
                    let client = format!("/webhooks/{i}/clientConfig");
                    location = Some(if m.node.pointer(&p).is_some() {
                        m.locate(&p)
                    } else if m.node.pointer(&client).is_some() {
                        m.locate(&client)
                    } else {
                        m.locate(&format!("/webhooks/{i}"))
                    });
                    pointer = Some(p);
                }
                warn |= w;
                reasons.push(why);
            };
            if !ca_ignored {
                let ca_git_ptr = ca_ptr(i);
                let diff_reported = li.is_some_and(|j| ctx.drift_reports(mi, &ca_ptr(j)));
                let injected = injector.is_some() || (live_ca.is_some() && live_ca != git_ca);
                if diff_reported {
                    here(
                        ca_git_ptr,
                        format!("webhook `{name}`: the predicted diff reports `caBundle`"),
                        true,
                    );
                } else if let (Some(g), Some(l)) = (git_ca, live_ca) {
                    if g != l {
                        here(
                            ca_git_ptr,
                            format!(
                                "webhook `{name}`: `caBundle` in Git differs from the injected \
                                 live value, so the Application stays OutOfSync and every sync \
                                 writes the stale bundle back"
                            ),
                            true,
                        );
                    }
                } else if git_ca.is_some() && injector.is_some() && live.is_none() {
                    here(
                        ca_git_ptr,
                        format!(
                            "webhook `{name}`: Git sets a `caBundle` that the injector replaces, \
                             a permanent difference"
                        ),
                        true,
                    );
                } else if injected && replace {
                    here(
                        ca_git_ptr,
                        format!(
                            "webhook `{name}`: `Replace=true` replaces the object on every sync \
                             and drops the injected `caBundle`, so calls to the webhook fail \
                             until it is injected again"
                        ),
                        true,
                    );
                } else if injected {
                    here(
                        ca_git_ptr,
                        format!(
                            "webhook `{name}`: the `caBundle` is injected at runtime and absent \
                             from Git; the default (legacy) diff and server-side apply keep \
                             live-only fields, so it is not reported today, but it is as soon \
                             as Git, last-applied or a `Replace=true` sync carries a value"
                        ),
                        false,
                    );
                }
            }
            // failurePolicy rewritten live (e.g. kube-prometheus-stack's patch job).
            if let (Some(g), Some(l), Some(j)) = (
                gh.get("failurePolicy").and_then(Value::as_str),
                lh.and_then(|l| l.get("failurePolicy"))
                    .and_then(Value::as_str),
                li,
            ) {
                if g != l && !ctx.ignored_pointers(mi, &probe, &[fp_ptr(j)])[0] {
                    failure_policy = true;
                    here(
                        fp_ptr(i),
                        format!(
                            "webhook `{name}`: `failurePolicy` is `{g}` in Git but `{l}` live, \
                             rewritten after the sync"
                        ),
                        true,
                    );
                }
            }
        }
        if reasons.is_empty() {
            continue;
        }
        let mut jq = vec![".webhooks[]?.clientConfig.caBundle".to_string()];
        if failure_policy {
            jq.push(".webhooks[]?.failurePolicy".to_string());
        }
        let suggestion = json!({
            "group": "admissionregistration.k8s.io",
            "kind": m.key.kind,
            "name": m.key.name,
            "jqPathExpressions": jq,
        });
        let message = format!(
            "{} `{}`{}: {}. Add to the Application's ignoreDifferences `{{group: \
             admissionregistration.k8s.io, kind: {}, name: {}, jqPathExpressions: [{}]}}` \
             (with `RespectIgnoreDifferences=true` if it self-heals)",
            m.key.kind,
            m.key.name,
            injector
                .as_ref()
                .map(|a| format!(" (injected: {a})"))
                .unwrap_or_default(),
            reasons.join("; "),
            m.key.kind,
            m.key.name,
            jq.join(", ")
        );
        let mut f = Finding::new(meta, message, location.unwrap_or_else(|| m.locate_kind()))
            .with_object(&m.key)
            .with_property("suggestedIgnoreDifferences", suggestion);
        if let Some(p) = pointer {
            f = f.with_pointer(p);
        }
        if !warn {
            f.severity = Severity::Note;
        }
        out.push(f);
    }
}
