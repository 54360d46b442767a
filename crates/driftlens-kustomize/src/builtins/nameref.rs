//! Name reference fixing (`nameReferenceTransformer` / `nameref.Filter`): once, at the top,
//! after hashing. For every referrer field of the `nameReference` configuration, the value is
//! matched against the objects whose **previous** names equal it, narrowed by kind, roleRef,
//! namespace and prefix/suffix history, and replaced with the object's current name (and
//! namespace, for map-valued references).

use crate::config::NameBackRef;
use crate::error::{Error, Result};
use crate::fieldspec::{self, Create};
use crate::resource::{ResId, Resource};
use crate::target::{Accumulator, Build};
use crate::types::{FieldSpec, Gvk};
use crate::yaml::node::{Data, Kind, Node, Tag};
use crate::yaml::value::{decode_any, Value};

/// `ResAccumulator.FixBackReferences`.
pub fn fix_back_references(b: &mut Build, ra: &mut Accumulator) -> Result<()> {
    let backrefs = ra.tconfig.name_reference.clone();
    let list = ra.resmap.list_mut();
    let org_ids: Vec<ResId> = list.iter().map(|r| r.org_id()).collect();
    // determineFilters: per referrer, the (field spec, target kind) pairs, in config order.
    let mut filters: Vec<Vec<(FieldSpec, Gvk)>> = vec![Vec::new(); list.len()];
    for br in &backrefs {
        let NameBackRef { gvk, referrers } = br;
        for spec in referrers {
            for (i, id) in org_ids.iter().enumerate() {
                if id.gvk.is_selected(&spec.gvk) {
                    filters[i].push((spec.clone(), gvk.clone()));
                }
            }
        }
    }
    // Snapshot of candidate facts (names, ids, prefixes) — the filters change only referrer
    // fields and refBy annotations, which do not affect candidate selection.
    let snaps: Vec<Snap> = list.iter().map(Snap::of).collect();
    let mut ref_by: Vec<Vec<ResId>> = vec![Vec::new(); list.len()];
    for i in 0..list.len() {
        if filters[i].is_empty() {
            continue;
        }
        let subset = subset_for(&list[i], &snaps)?;
        let referrer = snaps[i].clone();
        for (spec, target) in filters[i].clone() {
            b.charge(subset.len() as u64 + 1)?;
            let mut fs = spec.clone();
            fs.gvk = referrer.gvk.clone();
            let ctx = Ctx {
                referrer: &referrer,
                referrer_node: &list[i].node.clone(),
                spec: &fs,
                target: &target,
                subset: &subset,
                snaps: &snaps,
            };
            let mut hits: Vec<usize> = Vec::new();
            let mut set =
                |n: &mut Node| -> std::result::Result<(), String> { set_value(&ctx, n, &mut hits) };
            let none = Tag::None;
            fieldspec::apply(
                &mut list[i].node,
                &fs,
                Create {
                    kind: None,
                    tag: &none,
                },
                &mut set,
            )
            .map_err(|e| {
                Error::new(e).prefix(format!(
                    "updating name reference in '{}' field of '{}'",
                    spec.path, referrer.cur
                ))
            })?;
            for h in hits {
                ref_by[h].push(referrer.cur.clone());
            }
        }
    }
    for (i, refs) in ref_by.into_iter().enumerate() {
        for id in refs {
            list[i].append_ref_by(&id);
        }
    }
    Ok(())
}

#[derive(Clone)]
struct Snap {
    cur: ResId,
    gvk: Gvk,
    prev: Vec<ResId>,
    prefixes: Vec<String>,
    suffixes: Vec<String>,
    name: String,
    namespace: String,
    kind: String,
}

impl Snap {
    fn of(r: &Resource) -> Snap {
        Snap {
            cur: r.cur_id(),
            gvk: r.gvk(),
            prev: r.prev_ids().unwrap_or_default(),
            prefixes: r.name_prefixes(),
            suffixes: r.name_suffixes(),
            name: r.name().to_string(),
            namespace: r.namespace().to_string(),
            kind: r.node.get_kind().to_string(),
        }
    }
}

/// `SubsetThatCouldBeReferencedByResource`.
fn subset_for(referrer: &Resource, snaps: &[Snap]) -> Result<Vec<usize>> {
    let rid = referrer.cur_id();
    if rid.gvk.is_cluster_scoped() {
        return Ok((0..snaps.len()).collect());
    }
    let mut rb_ns: Vec<String> = Vec::new();
    if referrer.node.get_kind() == "RoleBinding" {
        if let Some(Ok(Value::Seq(subjects))) = referrer.node.field("subjects").map(decode_any) {
            for s in subjects {
                if let Value::Map(m) = s {
                    let get = |k: &str| m.iter().find(|(x, _)| x == k).map(|(_, v)| v);
                    if let (Some(ns), Some(kind)) = (get("namespace"), get("kind")) {
                        if matches!(kind, Value::Str(k) if k == "ServiceAccount") {
                            match ns {
                                Value::Str(n) => rb_ns.push(n.clone()),
                                _ => {
                                    return Err(Error::new(format!(
                                        "Invalid Input: namespace is blank for resource \"{rid}\"\n"
                                    )))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    for (i, s) in snaps.iter().enumerate() {
        if s.cur.gvk.is_cluster_scoped() || s.cur.is_ns_equals(&rid) || rb_ns.contains(&s.namespace)
        {
            out.push(i);
        }
    }
    Ok(out)
}

struct Ctx<'a> {
    referrer: &'a Snap,
    referrer_node: &'a Node,
    spec: &'a FieldSpec,
    target: &'a Gvk,
    subset: &'a [usize],
    snaps: &'a [Snap],
}

fn same_ending(a: &[String], b: &[String]) -> bool {
    let (short, long) = if a.len() > b.len() { (b, a) } else { (a, b) };
    let diff = long.len() - short.len();
    if short.is_empty() {
        return diff == 0;
    }
    (0..short.len()).rev().all(|i| long[i + diff] == short[i])
}

fn prefix_suffix_equals(a: &Snap, b: &Snap, allow_empty: bool) -> bool {
    if allow_empty {
        let pe = a.prefixes.is_empty() || b.prefixes.is_empty();
        let se = a.suffixes.is_empty() || b.suffixes.is_empty();
        (pe || same_ending(&a.prefixes, &b.prefixes))
            && (se || same_ending(&a.suffixes, &b.suffixes))
    } else {
        same_ending(&a.prefixes, &b.prefixes) && same_ending(&a.suffixes, &b.suffixes)
    }
}

fn role_ref_gvk(n: &Node) -> Option<Gvk> {
    let rr = n.field("roleRef")?;
    let g = rr.field("apiGroup")?;
    let k = rr.field("kind")?;
    Some(Gvk::new(g.value(), "", k.value()))
}

fn select_referral(
    ctx: &Ctx,
    old_name: &str,
    candidates: Vec<usize>,
    with_namespace: bool,
) -> std::result::Result<Option<usize>, String> {
    let s = ctx.snaps;
    let mut c: Vec<usize> = candidates
        .into_iter()
        .filter(|i| s[*i].prev.iter().any(|id| id.name == old_name))
        .filter(|i| s[*i].prev.iter().any(|id| id.gvk.is_selected(ctx.target)))
        .collect();
    if ctx.spec.path.ends_with("roleRef/name") {
        if let Some(g) = role_ref_gvk(ctx.referrer_node) {
            c.retain(|i| s[*i].prev.iter().any(|id| id.gvk.is_selected(&g)));
        }
    }
    if !ctx.referrer.cur.gvk.is_cluster_scoped() {
        c.retain(|i| {
            s[*i].cur.gvk.is_cluster_scoped()
                || s[*i].kind == "ServiceAccount"
                || ctx.referrer.cur.is_ns_equals(&s[*i].cur)
        });
    }
    if c.len() == 1 {
        return Ok(Some(c[0]));
    }
    c.retain(|i| prefix_suffix_equals(&s[*i], ctx.referrer, true));
    if c.len() > 1 {
        c.retain(|i| prefix_suffix_equals(&s[*i], ctx.referrer, false));
    }
    if c.len() == 1 {
        return Ok(Some(c[0]));
    }
    if c.is_empty() {
        return Ok(None);
    }
    let first = &s[c[0]];
    let identical = c.iter().all(|i| {
        s[*i].name == first.name && (!with_namespace || s[*i].namespace == first.namespace)
    });
    if identical {
        return Ok(Some(c[0]));
    }
    let ids: Vec<String> = c.iter().map(|i| s[*i].cur.to_string()).collect();
    Err(format!(
        "found multiple possible referrals: {}\n\n**** Too many possible referral targets to referrer:\n...",
        ids.join(", ")
    ))
}

fn set_scalar(ctx: &Ctx, n: &mut Node, hits: &mut Vec<usize>) -> std::result::Result<(), String> {
    let old = n.value().to_string();
    let Some(r) = select_referral(ctx, &old, ctx.subset.to_vec(), false)? else {
        return Ok(());
    };
    hits.push(r);
    let name = ctx.snaps[r].name.clone();
    if name == old {
        return Ok(());
    }
    fieldspec::set_scalar(n, Node::scalar(name))
}

fn set_mapping(ctx: &Ctx, n: &mut Node, hits: &mut Vec<usize>) -> std::result::Result<(), String> {
    let Some(name_node) = n.field("name") else {
        return Err("path config error; no 'name' field in node".into());
    };
    let old = name_node.value().to_string();
    let candidates: Vec<usize> = match n.field("namespace") {
        None => ctx.subset.to_vec(),
        Some(nsn) => {
            let ns = nsn.value().to_string();
            let by_org: Vec<usize> = ctx
                .subset
                .iter()
                .copied()
                .filter(|i| {
                    let s = &ctx.snaps[*i];
                    let org = s.prev.first().unwrap_or(&s.cur);
                    let e = org.effective_namespace();
                    e != crate::resource::TOTALLY_NOT_A_NAMESPACE && e == ns
                })
                .collect();
            if !by_org.is_empty() {
                by_org
            } else {
                ctx.subset
                    .iter()
                    .copied()
                    .filter(|i| {
                        let e = ctx.snaps[*i].cur.effective_namespace();
                        e != crate::resource::TOTALLY_NOT_A_NAMESPACE && e == ns
                    })
                    .collect()
            }
        }
    };
    let Some(r) = select_referral(ctx, &old, candidates, true)? else {
        return Ok(());
    };
    hits.push(r);
    let (name, ns) = (ctx.snaps[r].name.clone(), ctx.snaps[r].namespace.clone());
    if name == old && ns.is_empty() {
        return Ok(());
    }
    n.set_field("name", Node::scalar(name));
    if ns.is_empty() {
        return Ok(());
    }
    n.set_field("namespace", Node::scalar(ns));
    Ok(())
}

fn set_value(ctx: &Ctx, n: &mut Node, hits: &mut Vec<usize>) -> std::result::Result<(), String> {
    if n.is_null() {
        return Ok(());
    }
    match n.kind() {
        Kind::Scalar => set_scalar(ctx, n, hits),
        Kind::Map => set_mapping(ctx, n, hits),
        Kind::Seq => {
            if let Data::Seq(items) = &mut n.data {
                for it in items.iter_mut() {
                    if it.is_null() {
                        continue;
                    }
                    match it.kind() {
                        Kind::Scalar => set_scalar(ctx, it, hits)?,
                        Kind::Map => set_mapping(ctx, it, hits)?,
                        Kind::Seq => {
                            return Err(
                                "node is expected to be either a string or a map of string".into()
                            )
                        }
                    }
                }
            }
            Ok(())
        }
    }
}
