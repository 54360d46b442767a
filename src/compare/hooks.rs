//! Hooks and ignored objects (semantics §1.3): which rendered objects Argo CD keeps out of the
//! compared set.

use crate::model::object::{csv, Annotated};

/// The Argo CD hook annotation.
pub const ARGO_HOOK: &str = "argocd.argoproj.io/hook";
/// The Helm hook annotation.
pub const HELM_HOOK: &str = "helm.sh/hook";

/// Sync-phase hook types Argo CD knows.
pub const SYNC_HOOK_TYPES: &[&str] = &["PreSync", "Sync", "PostSync", "SyncFail", "Skip"];

/// What role an object plays in a sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HookRole {
    /// An ordinary resource: compared, counted in the sync status.
    Resource,
    /// A sync-phase hook (PreSync, Sync, PostSync, SyncFail): not compared.
    Hook,
    /// `Skip`: paired with live but without status, never synced.
    Skip,
    /// A hook annotation without a known type (Helm `test`, a typo): dropped.
    Ignored,
    /// A PreDelete/PostDelete hook only: dropped from the desired set.
    DeleteHook,
}

fn argo_types<M: Annotated + ?Sized>(obj: &M) -> Option<Vec<&str>> {
    obj.annotation(ARGO_HOOK).map(|v| {
        let mut t: Vec<&str> = csv(v).collect();
        t.dedup();
        t
    })
}

/// `hook.Types`: valid Argo types, or (only when there are none) mapped Helm types.
fn types<M: Annotated + ?Sized>(obj: &M) -> Vec<&'static str> {
    if let Some(argo) = argo_types(obj) {
        return SYNC_HOOK_TYPES
            .iter()
            .copied()
            .filter(|t| argo.contains(t))
            .collect();
    }
    let mut out = Vec::new();
    if let Some(h) = obj.annotation(HELM_HOOK) {
        for t in csv(h) {
            let mapped = match t {
                "pre-install" | "pre-upgrade" => "PreSync",
                "post-install" | "post-upgrade" => "PostSync",
                _ => continue,
            };
            if !out.contains(&mapped) {
                out.push(mapped);
            }
        }
    }
    out
}

/// `hook.IsHook`: an Argo CD hook annotation (unless it only says `Skip`), or a Helm hook
/// annotation other than `crd-install`.
pub fn is_hook<M: Annotated + ?Sized>(obj: &M) -> bool {
    if let Some(argo) = argo_types(obj) {
        return !(argo.len() == 1 && argo[0] == "Skip");
    }
    obj.annotation(HELM_HOOK)
        .is_some_and(|h| h.trim() != "crd-install")
}

fn is_delete_hook<M: Annotated + ?Sized>(obj: &M) -> bool {
    let argo = obj
        .annotation(ARGO_HOOK)
        .is_some_and(|v| csv(v).any(|t| t == "PreDelete" || t == "PostDelete"));
    let helm = obj
        .annotation(HELM_HOOK)
        .is_some_and(|v| csv(v).any(|t| t == "pre-delete" || t == "post-delete"));
    argo || helm
}

/// Classifies a rendered (desired) object.
pub fn role<M: Annotated + ?Sized>(obj: &M) -> HookRole {
    let t = types(obj);
    if is_delete_hook(obj) && t.iter().all(|x| *x == "Skip") {
        return HookRole::DeleteHook;
    }
    if !is_hook(obj) {
        if t.contains(&"Skip") {
            return HookRole::Skip;
        }
        return HookRole::Resource;
    }
    if t.is_empty() {
        return HookRole::Ignored;
    }
    if t == ["Skip"] {
        return HookRole::Skip;
    }
    HookRole::Hook
}

/// Whether a live object is a hook (left over from an earlier sync): it gets no status.
pub fn is_live_hook<M: Annotated + ?Sized>(obj: &M) -> bool {
    is_hook(obj) || is_delete_hook(obj)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use serde_json::Value;

    fn obj(ann: Value) -> Value {
        json!({"metadata": {"annotations": ann}})
    }

    #[test]
    fn roles_follow_argo_cd() {
        assert_eq!(role(&json!({})), HookRole::Resource);
        assert_eq!(role(&obj(json!({ARGO_HOOK: "PreSync"}))), HookRole::Hook);
        assert_eq!(role(&obj(json!({ARGO_HOOK: "Skip"}))), HookRole::Skip);
        assert_eq!(role(&obj(json!({ARGO_HOOK: "Foo"}))), HookRole::Ignored);
        assert_eq!(role(&obj(json!({HELM_HOOK: "test"}))), HookRole::Ignored);
        assert_eq!(
            role(&obj(json!({HELM_HOOK: "pre-install,pre-upgrade"}))),
            HookRole::Hook
        );
        assert_eq!(
            role(&obj(json!({HELM_HOOK: "crd-install"}))),
            HookRole::Resource
        );
        assert_eq!(
            role(&obj(json!({HELM_HOOK: "post-delete"}))),
            HookRole::DeleteHook
        );
        assert_eq!(
            role(&obj(json!({ARGO_HOOK: "PreDelete"}))),
            HookRole::DeleteHook
        );
        assert_eq!(
            role(&obj(json!({ARGO_HOOK: "PreDelete,PreSync"}))),
            HookRole::Hook
        );
        // The Argo annotation wins over Helm's.
        assert_eq!(
            role(&obj(json!({ARGO_HOOK: "Sync", HELM_HOOK: "test"}))),
            HookRole::Hook
        );
        assert!(is_live_hook(&obj(json!({HELM_HOOK: "test"}))));
    }
}
