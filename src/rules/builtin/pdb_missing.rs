//! `pdb-missing`: a workload that keeps two or more replicas but has no PodDisruptionBudget.
//! Documentation: `rules/pdb-missing.md`.

use super::pdb::{pdbs_of, replicated};
use super::podspec::locate_or_kind;
use crate::rules::{Context, Finding, RuleMeta};

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    let index = ctx.objects();
    for w in replicated(ctx, index) {
        if w.min_replicas < 2 || !pdbs_of(index, &w).is_empty() {
            continue;
        }
        let m = w.pod.manifest;
        let message = format!(
            "{} `{}` runs {} replicas but no PodDisruptionBudget selects its pods: a node drain \
             (cluster upgrade, autoscaler scale-down) may evict all of them at once. Add a \
             PodDisruptionBudget with `maxUnavailable: 1` and the workload's selector",
            m.key.kind,
            m.key.name,
            if w.autoscaler.is_some() {
                format!("at least {}", w.min_replicas)
            } else {
                w.min_replicas.to_string()
            }
        );
        out.push(
            Finding::new(meta, message, locate_or_kind(m, "/spec/replicas"))
                .with_object(&m.key)
                .with_pointer("/spec/replicas"),
        );
    }
}
