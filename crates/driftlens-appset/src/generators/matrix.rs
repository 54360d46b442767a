//! The matrix generator: every parameter set of the first child combined with every set the
//! second child yields for it (the second child is rendered with the first one's
//! parameters).

use driftlens_gotmpl::value::Map;
use driftlens_gotmpl::Value;
use serde_json::Value as J;

use super::{transform, Level};
use crate::params::{format_v, ParamSet};
use crate::schema::{self, TEMPLATE};
use crate::{Cx, Failure};

/// The children of a matrix or merge and the level they sit at.
pub fn children<'a>(
    gen: &'a J,
    pointer: &str,
    cx: &Cx,
    level: Level,
) -> Result<(&'a [J], Level), Failure> {
    let kids: &[J] = match gen.get("generators") {
        Some(J::Array(a)) => a,
        Some(J::Null) | None => &[],
        Some(_) => {
            return Err(cx.error(
                &format!("{pointer}/generators"),
                "`generators` must be a list".into(),
            ))
        }
    };
    let child_level = match level {
        Level::Top => Level::Nested,
        _ => Level::Terminal,
    };
    Ok((kids, child_level))
}

/// The parameter sets of one child (`getParams`).
pub fn child_params(
    child: &J,
    pointer: &str,
    cx: &Cx,
    gen_params: Option<&ParamSet>,
    level: Level,
) -> Result<Vec<ParamSet>, Failure> {
    let empty = schema::zero(&TEMPLATE);
    let mut t = transform(child, pointer, &empty, cx, gen_params, level)
        .map_err(|f| f.wrap("child generator returned an error on parameter generation: "))?;
    match t.len() {
        0 => Err(cx.error(pointer, "child generator generated no parameters".into())),
        1 => Ok(t.remove(0).params),
        _ => Err(cx.error(
            pointer,
            "found more than one generator in matrix.Generators".into(),
        )),
    }
}

/// mergo's `Merge(dst, src, WithOverride)` of two parameter maps: `src` wins every leaf
/// (also with `false`, `""` or null); maps present on both sides merge recursively.
pub fn merge_override(dst: &mut Map, src: &Map, depth: usize) {
    for (k, sv) in src {
        let merged = match (dst.get(k), sv) {
            (Some(Value::Map(dm)), Value::Map(sm)) if depth < 100 && !dm.borrow().is_empty() => {
                let mut inner = dm.borrow().clone();
                merge_override(&mut inner, &sm.borrow(), depth + 1);
                Value::map(inner)
            }
            _ => sv.clone(),
        };
        dst.insert(k.clone(), merged);
    }
}

/// The matrix generator's parameter sets.
pub fn generate(gen: &J, pointer: &str, cx: &Cx, level: Level) -> Result<Vec<ParamSet>, Failure> {
    let (kids, child_level) = children(gen, pointer, cx, level)?;
    if kids.len() < 2 {
        return Err(cx.error(
            pointer,
            "found less than two generators, Matrix support only two".into(),
        ));
    }
    if kids.len() > 2 {
        return Err(cx.error(
            pointer,
            "found more than two generators, Matrix support only two".into(),
        ));
    }
    let p0 = format!("{pointer}/generators/0");
    let p1 = format!("{pointer}/generators/1");
    let g0 = child_params(&kids[0], &p0, cx, None, child_level).map_err(|f| {
        f.wrap("error failed to get params for first generator in matrix generator: ")
    })?;
    let mut out = Vec::new();
    for a in &g0 {
        let g1 = child_params(&kids[1], &p1, cx, Some(a), child_level).map_err(|f| {
            f.wrap("failed to get params for second generator in the matrix generator: ")
        })?;
        for b in g1 {
            cx.count(pointer, 1)?;
            let values = if cx.render.go() {
                let mut tmp = b.values.clone();
                merge_override(&mut tmp, &a.values, 0);
                tmp
            } else {
                combine_string_maps(&a.values, &b.values).map_err(|e| {
                    cx.error(
                        pointer,
                        format!("failed to combine string maps with merging params for the matrix generator: {e}"),
                    )
                })?
            };
            let mut origins = a.origins.clone();
            origins.extend(b.origins);
            let set = ParamSet { values, origins };
            cx.charge(pointer, set.size())?;
            out.push(set);
        }
    }
    Ok(out)
}

/// `CombineStringMaps`: both sides printed with `%v`; a key on both sides with different
/// values is an error.
pub fn combine_string_maps(a: &Map, b: &Map) -> Result<Map, String> {
    let mut res: Map = a
        .iter()
        .map(|(k, v)| (k.clone(), Value::from(format_v(v))))
        .collect();
    for (k, v) in b {
        let v = format_v(v);
        if let Some(current) = res.get(k) {
            let current = format_v(current);
            if current != v {
                return Err(format!(
                    "found duplicate key {k} with different value, a: {current} ,b: {v}"
                ));
            }
        }
        res.insert(k.clone(), Value::from(v));
    }
    Ok(res)
}
