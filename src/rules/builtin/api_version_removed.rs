//! `api-version-removed`: an object written with an API version that the cluster's Kubernetes
//! version no longer serves (or will stop serving). Documentation:
//! `rules/api-version-removed.md`.

use crate::model::cluster::version_tuple;
use crate::rules::{Context, Finding, RuleMeta, Severity};

/// A removed API: (apiVersion, kinds (empty = every kind), removed in 1.x, replacement, note).
type Removal = (
    &'static str,
    &'static [&'static str],
    u64,
    &'static str,
    &'static str,
);

/// The removals of the built-in APIs, from the Kubernetes deprecation guide.
const REMOVALS: &[Removal] = &[
    (
        "extensions/v1beta1",
        &["Deployment", "DaemonSet", "ReplicaSet"],
        16,
        "apps/v1",
        "`spec.selector` becomes required",
    ),
    (
        "extensions/v1beta1",
        &["NetworkPolicy"],
        16,
        "networking.k8s.io/v1",
        "",
    ),
    (
        "extensions/v1beta1",
        &["PodSecurityPolicy"],
        16,
        "policy/v1beta1",
        "",
    ),
    (
        "apps/v1beta1",
        &[],
        16,
        "apps/v1",
        "`spec.selector` becomes required",
    ),
    (
        "apps/v1beta2",
        &[],
        16,
        "apps/v1",
        "`spec.selector` becomes required",
    ),
    (
        "extensions/v1beta1",
        &["Ingress"],
        22,
        "networking.k8s.io/v1",
        "backends become `service.name` and `service.port`, and `pathType` is required",
    ),
    (
        "networking.k8s.io/v1beta1",
        &["Ingress", "IngressClass"],
        22,
        "networking.k8s.io/v1",
        "backends become `service.name` and `service.port`, and `pathType` is required",
    ),
    (
        "rbac.authorization.k8s.io/v1beta1",
        &[],
        22,
        "rbac.authorization.k8s.io/v1",
        "",
    ),
    (
        "rbac.authorization.k8s.io/v1alpha1",
        &[],
        22,
        "rbac.authorization.k8s.io/v1",
        "",
    ),
    (
        "apiextensions.k8s.io/v1beta1",
        &[],
        22,
        "apiextensions.k8s.io/v1",
        "every version needs a structural `schema`",
    ),
    (
        "admissionregistration.k8s.io/v1beta1",
        &[],
        22,
        "admissionregistration.k8s.io/v1",
        "`sideEffects` and `admissionReviewVersions` become required",
    ),
    (
        "apiregistration.k8s.io/v1beta1",
        &[],
        22,
        "apiregistration.k8s.io/v1",
        "",
    ),
    (
        "scheduling.k8s.io/v1beta1",
        &[],
        22,
        "scheduling.k8s.io/v1",
        "",
    ),
    (
        "certificates.k8s.io/v1beta1",
        &[],
        22,
        "certificates.k8s.io/v1",
        "`signerName` becomes required",
    ),
    (
        "coordination.k8s.io/v1beta1",
        &[],
        22,
        "coordination.k8s.io/v1",
        "",
    ),
    (
        "storage.k8s.io/v1beta1",
        &["CSIDriver", "CSINode", "StorageClass", "VolumeAttachment"],
        22,
        "storage.k8s.io/v1",
        "",
    ),
    ("batch/v1beta1", &["CronJob"], 25, "batch/v1", ""),
    (
        "discovery.k8s.io/v1beta1",
        &["EndpointSlice"],
        25,
        "discovery.k8s.io/v1",
        "",
    ),
    (
        "events.k8s.io/v1beta1",
        &["Event"],
        25,
        "events.k8s.io/v1",
        "",
    ),
    (
        "autoscaling/v2beta1",
        &["HorizontalPodAutoscaler"],
        25,
        "autoscaling/v2",
        "metric targets move under `target`",
    ),
    (
        "policy/v1beta1",
        &["PodDisruptionBudget"],
        25,
        "policy/v1",
        "an empty `spec.selector` now selects every pod of the namespace",
    ),
    (
        "policy/v1beta1",
        &["PodSecurityPolicy"],
        25,
        "Pod Security admission labels on the namespace",
        "PodSecurityPolicy has no replacement API",
    ),
    (
        "node.k8s.io/v1beta1",
        &["RuntimeClass"],
        25,
        "node.k8s.io/v1",
        "",
    ),
    (
        "autoscaling/v2beta2",
        &["HorizontalPodAutoscaler"],
        26,
        "autoscaling/v2",
        "",
    ),
    (
        "flowcontrol.apiserver.k8s.io/v1beta1",
        &[],
        26,
        "flowcontrol.apiserver.k8s.io/v1",
        "",
    ),
    (
        "storage.k8s.io/v1beta1",
        &["CSIStorageCapacity"],
        27,
        "storage.k8s.io/v1",
        "",
    ),
    (
        "flowcontrol.apiserver.k8s.io/v1beta2",
        &[],
        29,
        "flowcontrol.apiserver.k8s.io/v1",
        "",
    ),
    (
        "flowcontrol.apiserver.k8s.io/v1beta3",
        &[],
        32,
        "flowcontrol.apiserver.k8s.io/v1",
        "",
    ),
];

/// Without a cluster version, removals up to this minor version are certain: no Kubernetes
/// version that still serves them is supported upstream or by the major providers.
pub const ASSUMED_MINOR: u64 = 25;

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    let cluster = ctx.kube_version.as_deref().map(version_tuple);
    for m in &ctx.repo.manifests {
        let Some((api, _, removed, replacement, note)) =
            REMOVALS.iter().find(|(api, kinds, ..)| {
                *api == m.api_version && (kinds.is_empty() || kinds.contains(&m.key.kind.as_str()))
            })
        else {
            continue;
        };
        let kind = &m.key.kind;
        let note = if note.is_empty() {
            String::new()
        } else {
            format!(" ({note})")
        };
        let (severity, situation) = match (cluster, &ctx.kube_version) {
            (Some((1, minor, _)), Some(v)) if minor >= *removed => (
                Severity::Error,
                format!(
                    "was removed in Kubernetes 1.{removed} and the cluster runs {v}: the API \
                     server does not serve it, so the sync fails"
                ),
            ),
            (Some(_), Some(v)) => (
                Severity::Note,
                format!(
                    "is removed in Kubernetes 1.{removed}; the cluster runs {v}, so the sync \
                     will fail after that upgrade"
                ),
            ),
            _ if *removed <= ASSUMED_MINOR => (
                Severity::Error,
                format!(
                    "was removed in Kubernetes 1.{removed}, older than any supported version: \
                     the API server does not serve it, so the sync fails"
                ),
            ),
            _ => (
                Severity::Warning,
                format!(
                    "was removed in Kubernetes 1.{removed}: on that version or later the sync \
                     fails (give `--kube-version` or a dump with Nodes to know for sure)"
                ),
            ),
        };
        let replacement = if replacement.contains(' ') {
            (*replacement).to_string()
        } else {
            format!("`{replacement}`")
        };
        let message = format!(
            "`apiVersion: {api}` of {kind} `{}` {situation}. Use {replacement}{note}",
            m.key.name
        );
        let mut f = Finding::new(meta, message, m.locate("/apiVersion"))
            .with_object(&m.key)
            .with_pointer("/apiVersion");
        f.severity = severity;
        out.push(f);
    }
}
