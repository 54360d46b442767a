//! `pdb-blocks-eviction`: a PodDisruptionBudget that allows no disruption of the workload it
//! covers (`minAvailable` at or above its replicas or its autoscaler's minimum,
//! `maxUnavailable: 0`). Documentation: `rules/pdb-blocks-eviction.md`.

use serde_json::Value;

use super::pdb::{pdbs_of, replicated};
use super::podspec::locate_or_kind;
use crate::rules::{Context, Finding, RuleMeta};

/// An int-or-percent value as the number of pods it means for `total` pods, rounding up as the
/// disruption controller does.
fn pods_of(v: &Value, total: i64) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => {
            let pct: i64 = s.strip_suffix('%')?.trim().parse().ok()?;
            Some(pct.saturating_mul(total).saturating_add(99) / 100)
        }
        _ => None,
    }
}

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    let index = ctx.objects();
    for w in replicated(ctx, index) {
        let wm = w.pod.manifest;
        if w.min_replicas < 1 {
            continue;
        }
        for pdb in pdbs_of(index, &w) {
            let min = pdb.obj.pointer("/spec/minAvailable");
            let max = pdb.obj.pointer("/spec/maxUnavailable");
            let (field, why) = if let Some(v) = min {
                match pods_of(v, w.min_replicas) {
                    Some(n) if n >= w.min_replicas => (
                        "/spec/minAvailable",
                        format!(
                            "requires {n} available pods while {} `{}` may run only {}",
                            wm.key.kind, wm.key.name, w.min_replicas
                        ),
                    ),
                    _ => continue,
                }
            } else if let Some(v) = max {
                match pods_of(v, w.min_replicas) {
                    Some(0) => (
                        "/spec/maxUnavailable",
                        format!(
                            "allows no unavailable pod of {} `{}`",
                            wm.key.kind, wm.key.name
                        ),
                    ),
                    _ => continue,
                }
            } else {
                continue;
            };
            let source = match w.autoscaler {
                Some(a) => format!("{} `{}`", a.key.kind, a.key.name),
                None => "its `spec.replicas`".to_string(),
            };
            let message = format!(
                "PodDisruptionBudget `{}` {why}: no pod can ever be evicted, so node drains \
                 (cluster upgrades, autoscaler scale-down) hang until someone deletes the pods \
                 by hand. Use `maxUnavailable: 1`, or a `minAvailable` below the replica \
                 minimum set by {source}",
                pdb.key.name
            );
            let mut f = Finding::new(meta, message, pdb.locate(field))
                .with_object(&pdb.key)
                .with_pointer(field)
                .with_related(
                    locate_or_kind(wm, "/spec/replicas"),
                    format!("{} `{}` whose pods it covers", wm.key.kind, wm.key.name),
                );
            if let Some(a) = w.autoscaler {
                f = f.with_related(
                    a.locate("/spec"),
                    format!("{} `{}` sets the replica minimum", a.key.kind, a.key.name),
                );
            }
            out.push(f);
        }
    }
}
