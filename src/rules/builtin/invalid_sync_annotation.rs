//! `invalid-sync-annotation`: Argo CD and Helm sync annotations with values Argo CD does not
//! understand — a non-integer sync wave or hook weight, an unknown hook type or delete policy,
//! a delete policy on an object that is not a hook — and `Validate=false`. Argo CD never
//! reports these: waves fall back to 0, unknown hooks drop the object from the sync.
//! Documentation: `rules/invalid-sync-annotation.md`.

use serde_json::Value;

use crate::load::yaml::escape_pointer_token;
use crate::model::object::{csv, Manifest};
use crate::rules::{Context, Finding, RuleMeta, Severity};

const WAVE: &str = "argocd.argoproj.io/sync-wave";
const HOOK: &str = "argocd.argoproj.io/hook";
const HOOK_DELETE: &str = "argocd.argoproj.io/hook-delete-policy";
const SYNC_OPTIONS: &str = "argocd.argoproj.io/sync-options";
const HELM_HOOK: &str = "helm.sh/hook";
const HELM_WEIGHT: &str = "helm.sh/hook-weight";
const HELM_DELETE: &str = "helm.sh/hook-delete-policy";

/// Argo CD hook types (sync phases, `Skip`, and the controller's deletion hooks).
pub const ARGO_HOOKS: &[&str] = &[
    "PreSync",
    "Sync",
    "PostSync",
    "SyncFail",
    "Skip",
    "PreDelete",
    "PostDelete",
];
/// Argo CD hook delete policies.
pub const ARGO_DELETE: &[&str] = &["HookSucceeded", "HookFailed", "BeforeHookCreation"];
/// Helm hook types.
pub const HELM_HOOKS: &[&str] = &[
    "pre-install",
    "post-install",
    "pre-delete",
    "post-delete",
    "pre-upgrade",
    "post-upgrade",
    "pre-rollback",
    "post-rollback",
    "test",
    "test-success",
    "test-failure",
    "crd-install",
];
/// Helm hook delete policies.
pub const HELM_DELETE_POLICIES: &[&str] =
    &["hook-succeeded", "hook-failed", "before-hook-creation"];

/// Whether Go's `strconv.Atoi` accepts the text (optional sign, ASCII digits, fits in i64).
pub fn go_atoi(s: &str) -> bool {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) && s.parse::<i64>().is_ok()
}

fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The valid value that differs only in case or punctuation, or by at most two letters.
fn nearest<'a>(value: &str, valid: &[&'a str]) -> Option<&'a str> {
    let v = squash(value);
    valid
        .iter()
        .copied()
        .map(|c| (distance(&squash(c), &v), c))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn pointer(name: &str) -> String {
    format!("/metadata/annotations/{}", escape_pointer_token(name))
}

fn push(
    meta: &RuleMeta,
    m: &Manifest,
    name: &str,
    item: &str,
    msg: String,
    out: &mut Vec<Finding>,
) {
    let p = pointer(name);
    out.push(
        Finding::new(meta, msg, m.locate(&p))
            .with_object(&m.key)
            .with_pointer(format!("{p}#{item}")),
    );
}

fn check_list(
    meta: &RuleMeta,
    m: &Manifest,
    name: &str,
    valid: &[&str],
    consequence: &str,
    out: &mut Vec<Finding>,
) {
    let Some(value) = m.annotation(name) else {
        return;
    };
    for item in csv(value) {
        if valid.contains(&item) {
            continue;
        }
        let hint = match nearest(item, valid) {
            Some(v) => format!("write `{v}` (values are exact and case-sensitive)"),
            None => format!("valid values are {}", valid.join(", ")),
        };
        push(
            meta,
            m,
            name,
            item,
            format!("`{name}: {value}`: `{item}` is not a valid value, {consequence}; {hint}"),
            out,
        );
    }
}

fn check_manifest(meta: &RuleMeta, m: &Manifest, out: &mut Vec<Finding>) {
    // Annotation values must be strings; a YAML number or boolean makes the object invalid.
    if let Some(Value::Object(ann)) = m.obj.get("metadata").and_then(|md| md.get("annotations")) {
        for name in [
            WAVE,
            HOOK,
            HOOK_DELETE,
            SYNC_OPTIONS,
            HELM_HOOK,
            HELM_WEIGHT,
            HELM_DELETE,
        ] {
            if let Some(v) = ann.get(name).filter(|v| !v.is_string()) {
                push(
                    meta,
                    m,
                    name,
                    "",
                    format!(
                        "annotation `{name}` is {v}, not a string: Kubernetes rejects the object \
                         (annotation values are strings); quote it: `{name}: \"{}\"`",
                        v.to_string().trim_matches('"')
                    ),
                    out,
                );
            }
        }
    }
    for (name, what) in [(WAVE, "sync wave"), (HELM_WEIGHT, "hook weight")] {
        if let Some(v) = m.annotation(name) {
            if !go_atoi(v) {
                push(
                    meta,
                    m,
                    name,
                    v,
                    format!(
                        "`{name}: \"{v}\"` is not an integer, so Argo CD silently uses {what} 0 and \
                         the object is applied out of the intended order; write an integer such \
                         as `\"-1\"` or `\"5\"`"
                    ),
                    out,
                );
            }
        }
    }
    let argo_hook = m.annotation(HOOK);
    let argo_types: Vec<&str> = argo_hook
        .into_iter()
        .flat_map(csv)
        .filter(|t| ARGO_HOOKS.contains(t))
        .collect();
    let helm_hook = m.annotation(HELM_HOOK);
    // Helm types Argo CD maps to a phase; used only when the Argo CD annotation has no valid type.
    let helm_mapped = helm_hook.into_iter().flat_map(csv).any(|t| {
        matches!(
            t,
            "pre-install"
                | "pre-upgrade"
                | "post-install"
                | "post-upgrade"
                | "pre-delete"
                | "post-delete"
        )
    });
    let dropped = "it is dropped from the sync and never applied";
    let consequence = if argo_hook.is_some() && argo_types.is_empty() && !helm_mapped {
        format!(
            "and with no valid type left Argo CD treats the object as a hook of no phase: \
             {dropped}"
        )
    } else if argo_hook.is_some() && argo_types.is_empty() {
        "and with no valid type left Argo CD falls back to the `helm.sh/hook` annotation"
            .to_string()
    } else {
        "so Argo CD ignores it".to_string()
    };
    check_list(meta, m, HOOK, ARGO_HOOKS, &consequence, out);
    let delete_consequence = |name: &str, valid: &[&str]| {
        if m.annotation(name)
            .into_iter()
            .flat_map(csv)
            .any(|p| valid.contains(&p))
        {
            "so it is ignored"
        } else {
            "so it is ignored and the hook gets the default policy (before-hook-creation)"
        }
    };
    check_list(
        meta,
        m,
        HOOK_DELETE,
        ARGO_DELETE,
        delete_consequence(HOOK_DELETE, ARGO_DELETE),
        out,
    );
    // Argo CD reads `helm.sh/hook` only when its own annotation has no valid type.
    if argo_types.is_empty() {
        let consequence = if helm_hook.is_some() && !helm_mapped {
            format!(
                "and with no type Argo CD can map to a phase it treats the object as a hook of \
                 no phase: {dropped}"
            )
        } else {
            "so it is ignored".to_string()
        };
        check_list(meta, m, HELM_HOOK, HELM_HOOKS, &consequence, out);
    }
    check_list(
        meta,
        m,
        HELM_DELETE,
        HELM_DELETE_POLICIES,
        delete_consequence(HELM_DELETE, HELM_DELETE_POLICIES),
        out,
    );
    // A delete policy only matters on a hook.
    let is_hook = match argo_hook {
        Some(_) => !argo_types.iter().all(|t| *t == "Skip") || argo_types.is_empty(),
        None => helm_hook.is_some_and(|h| h.trim() != "crd-install"),
    };
    if !is_hook {
        for name in [HOOK_DELETE, HELM_DELETE] {
            if m.annotation(name).is_some() {
                push(
                    meta,
                    m,
                    name,
                    "not-a-hook",
                    format!(
                        "`{name}` has no effect: {} `{}` is not a hook. Add \
                         `argocd.argoproj.io/hook: PreSync` (or the phase it belongs to), or \
                         remove the annotation",
                        m.key.kind, m.key.name
                    ),
                    out,
                );
            }
        }
    }
    if let Some(v) = m.annotation(SYNC_OPTIONS) {
        if csv(v).any(|o| o == "Validate=false") {
            let mut f = Finding::new(
                meta,
                format!(
                    "`Validate=false` switches off schema validation when {} `{}` is applied: \
                     misspelt or misplaced fields are dropped without an error. Fix the field \
                     that fails validation instead, then remove the option",
                    m.key.kind, m.key.name
                ),
                m.locate(&pointer(SYNC_OPTIONS)),
            )
            .with_object(&m.key)
            .with_pointer(format!("{}#Validate=false", pointer(SYNC_OPTIONS)));
            f.severity = Severity::Note;
            out.push(f);
        }
    }
}

fn check_app_validate(meta: &RuleMeta, m: &Manifest, base: &str, out: &mut Vec<Finding>) {
    let p = format!("{base}/syncPolicy/syncOptions");
    let Some(Value::Array(items)) = m.obj.pointer(&p) else {
        return;
    };
    for (i, item) in items.iter().enumerate() {
        if item.as_str() == Some("Validate=false") {
            let ptr = format!("{p}/{i}");
            let mut f = Finding::new(
                meta,
                format!(
                    "`Validate=false` switches off schema validation for every object {} `{}` \
                     applies: misspelt or misplaced fields are dropped without an error. Fix the \
                     objects that fail validation (or set the option on those objects only), \
                     then remove it",
                    m.key.kind, m.key.name
                ),
                m.locate(&ptr),
            )
            .with_object(&m.key)
            .with_pointer(ptr);
            f.severity = Severity::Note;
            out.push(f);
        }
    }
}

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for m in &ctx.repo.manifests {
        check_manifest(meta, m, out);
    }
    for app in &ctx.repo.apps {
        check_app_validate(meta, ctx.repo.manifest(app.manifest), "/spec", out);
    }
    for set in &ctx.repo.appsets {
        check_app_validate(
            meta,
            ctx.repo.manifest(set.manifest),
            "/spec/template/spec",
            out,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoi_and_nearest() {
        for ok in ["0", "-1", "+5", "42"] {
            assert!(go_atoi(ok), "{ok}");
        }
        for bad in ["", "1.5", " 1", "one", "-", "1e3"] {
            assert!(!go_atoi(bad), "{bad}");
        }
        assert_eq!(nearest("presync", ARGO_HOOKS), Some("PreSync"));
        assert_eq!(
            nearest("hook_succeeded", HELM_DELETE_POLICIES),
            Some("hook-succeeded")
        );
        assert_eq!(nearest("Foo", ARGO_HOOKS), None);
        assert_eq!(nearest("post-instal", HELM_HOOKS), Some("post-install"));
    }
}
