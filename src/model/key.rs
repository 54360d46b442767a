//! Object identity: (group, kind, namespace, name). The API version is not part of it, as in
//! Argo CD (`kube.ResourceKey`), so `extensions/v1beta1` and `networking.k8s.io/v1` Ingresses
//! with the same name are different objects only because their groups differ.

use std::fmt;

use serde::Serialize;

/// The identity of a Kubernetes object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
pub struct ObjectKey {
    /// API group; empty for the core group.
    pub group: String,
    /// Kind, e.g. `Deployment`.
    pub kind: String,
    /// Namespace; empty for cluster-scoped objects (or when not yet defaulted).
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl ObjectKey {
    /// Builds a key from an `apiVersion` string and the other parts.
    pub fn new(api_version: &str, kind: &str, namespace: &str, name: &str) -> Self {
        ObjectKey {
            group: group_of(api_version).to_string(),
            kind: kind.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    }

    /// `group/Kind` (just `Kind` for the core group), as Argo CD writes override keys.
    pub fn group_kind(&self) -> String {
        if self.group.is_empty() {
            self.kind.clone()
        } else {
            format!("{}/{}", self.group, self.kind)
        }
    }
}

impl fmt::Display for ObjectKey {
    /// `group/Kind:namespace/name`, the form Argo CD uses in messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}:", self.group, self.kind)?;
        if !self.namespace.is_empty() {
            write!(f, "{}/", self.namespace)?;
        }
        write!(f, "{}", self.name)
    }
}

/// The group of an `apiVersion` (`apps/v1` → `apps`, `v1` → ``).
pub fn group_of(api_version: &str) -> &str {
    match api_version.rsplit_once('/') {
        Some((g, _)) => g,
        None => "",
    }
}

/// The version of an `apiVersion` (`apps/v1` → `v1`).
pub fn version_of(api_version: &str) -> &str {
    match api_version.rsplit_once('/') {
        Some((_, v)) => v,
        None => api_version,
    }
}

/// Whether a kind of the built-in API is cluster-scoped. Unknown kinds are treated as
/// namespaced, as Argo CD does (`IsNamespacedOrUnknown`), unless a CRD in the dump says
/// otherwise.
pub fn is_builtin_cluster_scoped(group: &str, kind: &str) -> bool {
    matches!(
        (group, kind),
        (
            "",
            "Namespace" | "Node" | "PersistentVolume" | "ComponentStatus"
        ) | (
            "rbac.authorization.k8s.io",
            "ClusterRole" | "ClusterRoleBinding"
        ) | ("apiextensions.k8s.io", "CustomResourceDefinition")
            | ("apiregistration.k8s.io", "APIService")
            | (
                "storage.k8s.io",
                "StorageClass" | "CSIDriver" | "CSINode" | "VolumeAttachment"
            )
            | ("scheduling.k8s.io", "PriorityClass")
            | ("networking.k8s.io", "IngressClass")
            | ("node.k8s.io", "RuntimeClass")
            | ("policy", "PodSecurityPolicy")
            | (
                "admissionregistration.k8s.io",
                "MutatingWebhookConfiguration"
                    | "ValidatingWebhookConfiguration"
                    | "ValidatingAdmissionPolicy"
                    | "ValidatingAdmissionPolicyBinding"
            )
            | ("certificates.k8s.io", "CertificateSigningRequest")
            | ("flowcontrol.apiserver.k8s.io", _)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_and_display() {
        assert_eq!(group_of("apps/v1"), "apps");
        assert_eq!(group_of("v1"), "");
        assert_eq!(version_of("networking.k8s.io/v1"), "v1");
        let k = ObjectKey::new("apps/v1", "Deployment", "web", "api");
        assert_eq!(k.to_string(), "apps/Deployment:web/api");
        assert_eq!(k.group_kind(), "apps/Deployment");
        assert_eq!(
            ObjectKey::new("v1", "Namespace", "", "x").to_string(),
            "/Namespace:x"
        );
        assert!(is_builtin_cluster_scoped(
            "rbac.authorization.k8s.io",
            "ClusterRole"
        ));
        assert!(!is_builtin_cluster_scoped("apps", "Deployment"));
    }
}
