//! Shared helper of the PodDisruptionBudget rules: replicated workloads, their effective
//! minimum replica count and the PDBs that cover them. Not a rule.

use serde_json::Value;

use super::index::Index;
use super::podspec::{pods, selector_matches, Pod};
use crate::model::object::Manifest;
use crate::rules::Context;

/// A Deployment, StatefulSet or Rollout with the number of pods it keeps at least.
pub struct Replicated<'a> {
    /// The workload.
    pub pod: Pod<'a>,
    /// `spec.replicas` (default 1), or the autoscaler's minimum when one scales it.
    pub min_replicas: i64,
    /// The autoscaler that sets the minimum, if any.
    pub autoscaler: Option<&'a Manifest>,
}

/// The long-running replicated workloads of the checkout.
pub fn replicated<'a>(ctx: &Context<'a>, index: &Index<'a>) -> Vec<Replicated<'a>> {
    pods(ctx)
        .into_iter()
        .filter(|p| {
            matches!(
                (p.manifest.key.group.as_str(), p.manifest.key.kind.as_str()),
                ("apps", "Deployment" | "StatefulSet") | ("argoproj.io", "Rollout")
            )
        })
        .map(|pod| {
            let autoscaler = index.autoscaler_of(pod.manifest);
            let min_replicas = match autoscaler {
                Some(a) if a.key.kind == "ScaledObject" => a
                    .obj
                    .pointer("/spec/minReplicaCount")
                    .and_then(Value::as_i64)
                    .unwrap_or(0),
                Some(a) => a
                    .obj
                    .pointer("/spec/minReplicas")
                    .and_then(Value::as_i64)
                    .unwrap_or(1),
                None => pod
                    .manifest
                    .obj
                    .pointer("/spec/replicas")
                    .and_then(Value::as_i64)
                    .unwrap_or(1),
            };
            Replicated {
                pod,
                min_replicas,
                autoscaler,
            }
        })
        .collect()
}

/// Whether a manifest is a PodDisruptionBudget.
pub fn is_pdb(m: &Manifest) -> bool {
    m.key.group == "policy" && m.key.kind == "PodDisruptionBudget"
}

/// The PDBs of the checkout that select a workload's pods.
pub fn pdbs_of<'a>(index: &Index<'a>, w: &Replicated<'_>) -> Vec<&'a Manifest> {
    index
        .in_namespace(
            w.pod.manifest,
            "policy",
            "PodDisruptionBudget",
            &w.pod.manifest.key.namespace,
        )
        .into_iter()
        .filter(|m| selector_matches(m.obj.pointer("/spec/selector"), w.pod.labels()))
        .collect()
}
