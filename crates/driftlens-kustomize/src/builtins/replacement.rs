//! `replacements`: for each entry in order, read the source field (exact id match on current
//! or previous ids, optional delimiter/index), then write it into every selected target's
//! field paths. A scalar target keeps its own tag and style and only takes the text; other
//! targets take the whole node.

use crate::error::{Error, Result};
use crate::resmap::ResMap;
use crate::resource::{ResId, Resource};
use crate::target::{Build, Target};
use crate::types::{FieldOptions, ReplacementField, Selector, SourceSelector, TargetSelector};
use crate::yaml::node::{Kind, Node};
use crate::yaml::value::Value;

/// One replacement.
#[derive(Clone, Debug, Default)]
pub struct Replacement {
    /// Source.
    pub source: Option<SourceSelector>,
    /// Targets.
    pub targets: Option<Vec<TargetSelector>>,
}

fn from_field(f: &ReplacementField) -> Replacement {
    Replacement {
        source: f.source.clone(),
        targets: if f.targets.is_empty() {
            None
        } else {
            Some(f.targets.clone())
        },
    }
}

/// `ReplacementTransformerPlugin.Config`: inline entries and `path:` files (one replacement or
/// a list).
pub fn configure(
    b: &mut Build,
    kt: &Target,
    list: &[ReplacementField],
) -> Result<Vec<Replacement>> {
    let mut out = Vec::new();
    for r in list {
        if !r.path.is_empty() && (r.source.is_some() || !r.targets.is_empty()) {
            return Err(Error::new(
                "cannot specify both path and inline replacement",
            ));
        }
        if r.path.is_empty() {
            out.push(from_field(r));
            continue;
        }
        let (bytes, _) = b.load(&kt.ldr, &r.path)?;
        let v =
            crate::jsondec::yaml_to_json(&String::from_utf8_lossy(&bytes)).map_err(Error::new)?;
        let mut d = crate::jsondec::Decoder::lenient();
        match &v {
            Value::Seq(items) => {
                for it in items {
                    out.push(from_field(&crate::types::decode_replacement(
                        &mut d, it, false,
                    )));
                }
            }
            Value::Map(_) => out.push(from_field(&crate::types::decode_replacement(
                &mut d, &v, false,
            ))),
            other => {
                let kind = match other {
                    Value::Str(_) => "string",
                    Value::Bool(_) => "bool",
                    Value::Null => "invalid",
                    _ => "float64",
                };
                return Err(Error::new(format!(
                    "unsupported replacement type encountered within replacement path: {kind}"
                )));
            }
        }
        if let Some(e) = d.error {
            return Err(Error::new(e));
        }
    }
    Ok(out)
}

fn selector_id(s: &Selector) -> ResId {
    ResId::new(s.gvk.clone(), &s.name, &s.namespace)
}

fn source_id(s: &SourceSelector) -> ResId {
    ResId::new(s.gvk.clone(), &s.name, &s.namespace)
}

/// `SourceSelector.String()`.
fn source_string(s: &SourceSelector) -> String {
    let mut parts = vec![source_id(s).to_string()];
    if !s.field_path.is_empty() {
        parts.push(s.field_path.clone());
    }
    if let Some(o) = &s.options {
        if !o.delimiter.is_empty() || o.create {
            parts.push(format!("{}({}), create={}", o.delimiter, o.index, o.create));
        }
    }
    parts.join(":")
}

fn all_ids(r: &Resource) -> Vec<ResId> {
    // MakeResIds: current first, then previous.
    let mut ids = vec![r.cur_id()];
    ids.extend(r.prev_ids().unwrap_or_default());
    ids
}

fn refined(o: Option<&FieldOptions>, n: &Node) -> std::result::Result<Node, String> {
    let Some(o) = o.filter(|o| !o.delimiter.is_empty()) else {
        return Ok(n.clone());
    };
    if n.kind() != Kind::Scalar {
        return Err("delimiter option can only be used with scalar nodes".into());
    }
    let v = if n.is_null() { "" } else { n.value() };
    let parts: Vec<&str> = v.split(o.delimiter.as_str()).collect();
    if o.index >= parts.len() as i64 || o.index < 0 {
        return Err(format!(
            "options.index {} is out of bounds for value {v}",
            o.index
        ));
    }
    let mut c = n.clone();
    c.data = crate::yaml::node::Data::Scalar(parts[o.index as usize].to_string());
    Ok(c)
}

fn get_replacement(m: &ResMap, r: &Replacement) -> std::result::Result<Node, String> {
    let Some(src) = &r.source else {
        return Err("replacements must specify a source and at least one target".into());
    };
    let sel = source_id(src);
    let mut matches = Vec::new();
    for (i, res) in m.list().iter().enumerate() {
        if all_ids(res).iter().any(|id| id.is_selected_by(&sel)) {
            if !matches.is_empty() {
                return Err(format!(
                    "multiple matches for selector {}",
                    source_string(src)
                ));
            }
            matches.push(i);
        }
    }
    let Some(&i) = matches.first() else {
        return Err(format!("nothing selected by {}", source_string(src)));
    };
    let fp = if src.field_path.is_empty() {
        "metadata.name".to_string()
    } else {
        src.field_path.clone()
    };
    let parts = crate::path::smarter_split(&fp, '.');
    let n = crate::path::lookup(&m.list()[i].node, &parts)
        .map_err(|e| format!("error looking up replacement source: {e}"))?;
    let Some(n) = n.filter(|n| !n.is_nil_or_empty()) else {
        return Err(format!(
            "fieldPath `{fp}` is missing for replacement source {sel}"
        ));
    };
    refined(src.options.as_ref(), n)
}

fn matches_selectors(r: &Resource, s: &Selector) -> Result<bool> {
    let a =
        crate::selector::matches_label_selector(&r.node.get_annotations(), &s.annotation_selector)?;
    let l = crate::selector::matches_label_selector(&r.node.get_labels(), &s.label_selector)?;
    Ok(a && l)
}

fn set_field_value(
    o: Option<&FieldOptions>,
    target: &mut Node,
    value: &Node,
) -> std::result::Result<(), String> {
    let mut value = value.clone();
    if let Some(o) = o.filter(|o| !o.delimiter.is_empty()) {
        if target.kind() != Kind::Scalar {
            return Err("delimiter option can only be used with scalar nodes".into());
        }
        let mut tv: Vec<String> = target
            .value()
            .split(o.delimiter.as_str())
            .map(str::to_string)
            .collect();
        let v = if value.is_null() {
            String::new()
        } else {
            value.value().to_string()
        };
        if o.index < 0 {
            tv.insert(0, v);
        } else if o.index >= tv.len() as i64 {
            tv.push(v);
        } else {
            tv[o.index as usize] = v;
        }
        value.data = crate::yaml::node::Data::Scalar(tv.join(&o.delimiter));
    }
    if target.kind() == Kind::Scalar {
        target.data = crate::yaml::node::Data::Scalar(value.value().to_string());
        target.loc = value.loc;
    } else {
        *target = value;
    }
    Ok(())
}

fn apply_targets(
    b: &mut Build,
    m: &mut ResMap,
    value: &Node,
    targets: &[TargetSelector],
) -> Result<()> {
    for t in targets {
        let Some(sel) = &t.select else {
            return Err(Error::new("target must specify resources to select"));
        };
        let paths = if t.field_paths.is_empty() {
            vec!["metadata.name".to_string()]
        } else {
            t.field_paths.clone()
        };
        let sid = selector_id(sel);
        for i in 0..m.list().len() {
            let ids = all_ids(&m.list()[i]);
            if !matches_selectors(&m.list()[i], sel)? {
                continue;
            }
            let mut rejected = false;
            for rj in &t.reject {
                if rj.annotation_selector.is_empty() && rj.label_selector.is_empty() {
                    continue;
                }
                if matches_selectors(&m.list()[i], rj)? {
                    rejected = true;
                }
            }
            if rejected {
                continue;
            }
            let reject_ids = t.reject.iter().any(|rj| {
                let rid = selector_id(rj);
                rid != ResId::default() && ids.iter().any(|id| id.is_selected_by(&rid))
            });
            if !ids.iter().any(|id| id.is_selected_by(&sid)) || reject_ids {
                continue;
            }
            b.charge(1)?;
            for fp in &paths {
                let create = t
                    .options
                    .as_ref()
                    .filter(|o| o.create)
                    .map(|_| value.kind());
                let parts = crate::path::smarter_split(fp, '.');
                let what = if create.is_some() {
                    format!("unable to find or create field \"{fp}\" in replacement target")
                } else {
                    format!("unable to find field \"{fp}\" in replacement target")
                };
                let opts = t.options.clone();
                let mut set = |n: &mut Node| set_field_value(opts.as_ref(), n, value);
                let count =
                    crate::path::path_match(&mut m.list_mut()[i].node, &parts, create, &mut set)
                        .map_err(|e| Error::new(format!("{what}: {e}")))?;
                if count == 0 {
                    return Err(Error::new(what));
                }
            }
        }
    }
    Ok(())
}

/// Applies the replacements in order.
pub fn apply(b: &mut Build, m: &mut ResMap, list: &[Replacement]) -> Result<()> {
    for r in list {
        let Some(targets) = &r.targets else {
            return Err(Error::new(
                "replacements must specify a source and at least one target",
            ));
        };
        if r.source.is_none() {
            return Err(Error::new(
                "replacements must specify a source and at least one target",
            ));
        }
        let value = get_replacement(m, r).map_err(Error::new)?;
        apply_targets(b, m, &value, targets)?;
    }
    Ok(())
}
