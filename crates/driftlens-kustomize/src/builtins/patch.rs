//! `PatchTransformer` (`patches:`), `PatchStrategicMergeTransformer`
//! (`patchesStrategicMerge:`) and `PatchJson6902Transformer` (`patchesJson6902:`).

use std::collections::BTreeMap;

use crate::builtins::jsonpatch::{self, Op};
use crate::error::{Error, Result};
use crate::merge2::Merger;
use crate::resmap::ResMap;
use crate::resource::{ResId, Resource};
use crate::target::{go_quote, Build, Target};
use crate::types::{Patch, Selector};
use crate::yaml::node::{Loc, Node};
use crate::yaml::value::{decode_resource, Value};

/// What a `patches` entry turned out to be.
#[derive(Clone, Debug)]
pub enum PatchBody {
    /// Strategic-merge documents.
    Sm(Vec<Resource>),
    /// JSON 6902 operations.
    Json(Vec<Op>),
}

/// A configured `PatchTransformer`.
#[derive(Clone, Debug)]
pub struct PatchCfg {
    /// The body.
    pub body: PatchBody,
    /// Target selector.
    pub target: Option<Selector>,
    /// `[patch: "…"]` / `[path: "…"]`.
    pub source: String,
    /// Where the entry is.
    pub loc: Loc,
}

/// Go's YAML of a selector as part of a plugin config (omitempty fields).
pub fn selector_value(s: &Selector) -> Value {
    let mut m = Vec::new();
    let mut put = |k: &str, v: &str| {
        if !v.is_empty() {
            m.push((k.to_string(), Value::Str(v.to_string())));
        }
    };
    put("group", &s.gvk.group);
    put("version", &s.gvk.version);
    put("kind", &s.gvk.kind);
    put("name", &s.name);
    put("namespace", &s.namespace);
    put("annotationSelector", &s.annotation_selector);
    put("labelSelector", &s.label_selector);
    Value::Map(m)
}

fn patch_config_yaml(p: &Patch) -> String {
    let mut m = Vec::new();
    if !p.path.is_empty() {
        m.push(("path".to_string(), Value::Str(p.path.clone())));
    }
    if !p.patch.is_empty() {
        m.push(("patch".to_string(), Value::Str(p.patch.clone())));
    }
    if let Some(t) = &p.target {
        m.push(("target".to_string(), selector_value(t)));
    }
    if let Some(o) = &p.options {
        if !o.is_empty() {
            m.push((
                "options".to_string(),
                Value::Map(
                    o.iter()
                        .map(|(k, v)| (k.clone(), Value::Bool(*v)))
                        .collect(),
                ),
            ));
        }
    }
    if m.is_empty() {
        return "{}\n".into();
    }
    crate::yaml::emit::to_yaml(&Value::Map(m))
}

/// `jsonPatchFromBytes`.
pub fn json_patch_from_text(text: &str) -> std::result::Result<Vec<Op>, String> {
    if text.is_empty() {
        return Err("empty json patch operations".into());
    }
    let v = crate::jsondec::yaml_to_json(text)?;
    jsonpatch::decode(&v)
}

/// Configures one `patches` entry (`PatchTransformerPlugin.Config`).
pub fn configure_patch(b: &mut Build, kt: &Target, p: &Patch, loc: Loc) -> Result<PatchCfg> {
    let wrap = |msg: String| -> Error {
        Error::new(format!(
            "trouble configuring builtin PatchTransformer with config: `\n{}`: {msg}",
            patch_config_yaml(p)
        ))
    };
    let patch = p.patch.trim().to_string();
    let (text, source, file) = match (patch.is_empty(), p.path.is_empty()) {
        (true, true) => {
            return Err(wrap(format!(
                "must specify one of patch and path in\n{}",
                patch_config_yaml(p)
            )))
        }
        (false, false) => {
            return Err(wrap(format!(
                "patch and path can't be set at the same time\n{}",
                patch_config_yaml(p)
            )))
        }
        (false, true) => {
            let src = format!("[patch: {}]", go_quote(&patch));
            (patch, src, loc.file)
        }
        (true, false) => {
            let (bytes, real) = b.load(&kt.ldr, &p.path).map_err(|e| {
                let kind = e.kind;
                let mut w = wrap(format!(
                    "failed to get the patch file from path({}): {}",
                    p.path, e.message
                ));
                w.kind = kind;
                w
            })?;
            let file = b.file_index(&real);
            (
                String::from_utf8_lossy(&bytes).into_owned(),
                format!("[path: {}]", go_quote(&p.path)),
                file,
            )
        }
    };
    let sm = crate::reader::resources_from_bytes(text.as_bytes(), file);
    let js = json_patch_from_text(&text);
    let body = match (sm, js) {
        (Ok(_), Ok(_)) => {
            return Err(wrap(format!(
                "illegally qualifies as both an SM and JSON patch: {source}"
            )))
        }
        (Err(_), Err(_)) => {
            return Err(wrap(format!(
                "unable to parse SM or JSON patch from {source}"
            )))
        }
        (Ok(mut sm), Err(_)) => {
            let opts = p.options.clone().unwrap_or_default();
            for r in sm.iter_mut() {
                if opts.get("allowNameChange").copied().unwrap_or(false) {
                    r.allow_name_change();
                }
                if opts.get("allowKindChange").copied().unwrap_or(false) {
                    r.allow_kind_change();
                }
            }
            PatchBody::Sm(sm)
        }
        (Err(_), Ok(ops)) => PatchBody::Json(ops),
    };
    Ok(PatchCfg {
        body,
        target: p.target.clone(),
        source,
        loc,
    })
}

/// `Resource.ApplySmPatch`: merges, then restores name/kind (unless allowed to change) and
/// always the namespace. Returns false when the patch deleted the resource.
pub fn apply_sm_to(b: &mut Build, res: &mut Resource, patch: &Resource) -> Result<bool> {
    let n = res.name().to_string();
    let ns = res.namespace().to_string();
    let k = res.node.get_kind().to_string();
    let name_ok = patch.name_change_allowed();
    let kind_ok = patch.kind_change_allowed();
    if name_ok || kind_ok {
        res.store_previous_id();
    }
    let schema = b.schema();
    let mut merger = Merger::new(schema, true);
    let dest = std::mem::replace(&mut res.node, Node::null());
    let out = merger.merge(patch.node.clone(), dest.clone());
    let work = merger.work;
    b.charge(work)?;
    let (merged, kept) = out.map_err(Error::new)?;
    match merged {
        None => {
            res.node = Node::null();
            return Ok(false);
        }
        Some(m) => {
            // kyaml keeps only changes made to the resource's own node.
            res.node = if kept { m } else { dest };
        }
    }
    if res.node.is_nil_or_empty() {
        return Ok(false);
    }
    if !kind_ok {
        res.node.set_kind(&k);
    }
    if !name_ok {
        res.node.set_name(&n);
    }
    res.node.set_namespace(&ns);
    Ok(true)
}

/// `ResMap.ApplySmPatch` for the resources whose current ids are in `selected`.
pub fn apply_sm_to_set(
    b: &mut Build,
    m: &mut ResMap,
    selected: &[ResId],
    patch: &Resource,
) -> Result<()> {
    for i in 0..m.list().len() {
        let cur = m.list()[i].cur_id();
        if !selected.contains(&cur) {
            continue;
        }
        let mut copy = patch.clone();
        copy.copy_merge_meta_data_fields_from(patch);
        let gvk = m.list()[i].gvk();
        copy.set_gvk(&gvk);
        let pk = patch.node.get_kind().to_string();
        copy.node.set_kind(&pk);
        apply_sm_to(b, &mut m.list_mut()[i], &copy)?;
    }
    let list = std::mem::take(m.list_mut());
    for r in list {
        if !r.node.is_nil_or_empty() {
            m.append(r)?;
        }
    }
    Ok(())
}

/// Applies a JSON patch to one resource (node → JSON → patch → node).
pub fn apply_json_to(b: &mut Build, res: &mut Resource, ops: &[Op], loc: Loc) -> Result<()> {
    let internal: BTreeMap<String, String> = res
        .annotations()
        .into_iter()
        .filter(|(k, _)| k.starts_with("internal.config.kubernetes.io/"))
        .collect();
    let mut doc = decode_resource(&res.node).map_err(|e| Error::new(e.0))?;
    b.charge(res.node.count() as u64)?;
    jsonpatch::apply(ops, &mut doc).map_err(Error::new)?;
    let doc = jsonpatch::floatify(doc);
    let mut node = crate::reader::value_to_node_v3(&doc, loc);
    crate::reader::copy_locs_if_same(&res.node, &mut node);
    res.node = node;
    let mut a = res.annotations();
    for (k, v) in internal {
        a.insert(k, v);
    }
    res.set_annotations(&a);
    Ok(())
}

impl PatchCfg {
    /// `PatchTransformerPlugin.Transform`.
    pub fn apply(&self, b: &mut Build, m: &mut ResMap) -> Result<()> {
        match &self.body {
            PatchBody::Sm(patches) => {
                if let Some(t) = &self.target {
                    if patches.len() > 1 {
                        return Err(Error::new(format!(
                            "Multiple Strategic-Merge Patches in one `patches` entry is not allowed to set `patches.target` field: {}",
                            self.source
                        )));
                    }
                    let Some(patch) = patches.first() else {
                        return Ok(());
                    };
                    let sel = m.select(t)?;
                    let ids: Vec<ResId> = sel.iter().map(|i| m.list()[*i].cur_id()).collect();
                    return apply_sm_to_set(b, m, &ids, patch);
                }
                let mut deleted = false;
                for patch in patches {
                    if deleted {
                        return Err(Error::new(
                            "panic: runtime error: invalid memory address or nil pointer dereference",
                        ));
                    }
                    let id = patch.org_id();
                    let idx = m.get_by_id(&id).map_err(|e| {
                        Error::new(format!(
                            "no resource matches strategic merge patch {}: {}",
                            go_quote(&id.to_string()),
                            e.message
                        ))
                    })?;
                    if !apply_sm_to(b, &mut m.list_mut()[idx], patch)? {
                        deleted = true;
                    }
                }
                Ok(())
            }
            PatchBody::Json(ops) => {
                let Some(t) = &self.target else {
                    return Err(Error::new(format!(
                        "must specify a target for JSON patch {}",
                        self.source
                    )));
                };
                let sel = m.select(t)?;
                for i in sel {
                    m.list_mut()[i].store_previous_id();
                    apply_json_to(b, &mut m.list_mut()[i], ops, self.loc)?;
                }
                Ok(())
            }
        }
    }
}

/// A configured `PatchStrategicMergeTransformer`.
#[derive(Clone, Debug)]
pub struct PatchSmCfg {
    /// The patches, in order.
    pub patches: Vec<Resource>,
}

/// `PatchStrategicMergeTransformerPlugin.Config` for `patchesStrategicMerge`.
pub fn configure_psm(b: &mut Build, kt: &Target, entries: &[String]) -> Result<PatchSmCfg> {
    let mut patches = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let loc_file = kt.file;
        match crate::reader::resources_from_bytes(e.as_bytes(), loc_file) {
            Ok(p) => patches.extend(p),
            Err(_) => {
                let cfg = crate::yaml::emit::to_yaml(&Value::Map(vec![(
                    "paths".into(),
                    Value::Seq(entries.iter().map(|e| Value::Str(e.clone())).collect()),
                )]));
                let (bytes, real) = b.load(&kt.ldr, e).map_err(|err| {
                    let err = Error {
                        message: format!(
                            "trouble configuring builtin PatchStrategicMergeTransformer with config: `\n{cfg}`: {}",
                            err.message
                        ),
                        ..err
                    };
                    let line = kt
                        .node
                        .as_ref()
                        .and_then(|n| n.field("patchesStrategicMerge"))
                        .and_then(|f| f.items())
                        .and_then(|it| it.get(i))
                        .map(|n| n.loc.line)
                        .unwrap_or(0);
                    let kp = b.files[kt.file as usize].clone();
                    err.at_if_unset(&kp, line)
                })?;
                let file = b.file_index(&real);
                let p = crate::reader::resources_from_bytes(&bytes, file).map_err(|mut err| {
                    if err.message.starts_with("MalformedYAMLError") {
                        err.message = format!("{} in File: {e}", err.message);
                    }
                    err
                })?;
                patches.extend(p);
            }
        }
    }
    if patches.is_empty() {
        return Err(Error::new(format!(
            "trouble configuring builtin PatchStrategicMergeTransformer with config: `\n{}`: patch appears to be empty; files=[{}], Patch=",
            crate::yaml::emit::to_yaml(&Value::Map(vec![(
                "paths".into(),
                Value::Seq(entries.iter().map(|e| Value::Str(e.clone())).collect())
            )])),
            entries.join(" ")
        )));
    }
    Ok(PatchSmCfg { patches })
}

impl PatchSmCfg {
    /// `PatchStrategicMergeTransformerPlugin.Transform`.
    pub fn apply(&self, b: &mut Build, m: &mut ResMap) -> Result<()> {
        for patch in &self.patches {
            let idx = m.get_by_id(&patch.org_id())?;
            let id = m.list()[idx].cur_id();
            apply_sm_to_set(b, m, &[id], patch)?;
        }
        Ok(())
    }
}

/// A configured `PatchJson6902Transformer`.
#[derive(Clone, Debug)]
pub struct PatchJsonCfg {
    /// Target.
    pub target: Selector,
    /// Operations.
    pub ops: Vec<Op>,
    /// Where.
    pub loc: Loc,
}

/// `PatchJson6902TransformerPlugin.Config`.
pub fn configure_pj(b: &mut Build, kt: &Target, p: &Patch, loc: Loc) -> Result<PatchJsonCfg> {
    let cfg_yaml = {
        let mut m = Vec::new();
        if let Some(t) = &p.target {
            m.push(("target".to_string(), selector_value(t)));
        }
        if !p.path.is_empty() {
            m.push(("path".to_string(), Value::Str(p.path.clone())));
        }
        if !p.patch.is_empty() {
            m.push(("jsonOp".to_string(), Value::Str(p.patch.clone())));
        }
        crate::yaml::emit::to_yaml(&Value::Map(m))
    };
    let wrap = |msg: String| -> Error {
        Error::new(format!(
            "trouble configuring builtin PatchJson6902Transformer with config: `\n{cfg_yaml}`: {msg}"
        ))
    };
    let target = p.target.clone().unwrap_or_default();
    if target.name.is_empty() {
        return Err(wrap("must specify the target name".into()));
    }
    if p.path.is_empty() && p.patch.is_empty() {
        return Err(wrap("empty file path and empty jsonOp".into()));
    }
    let mut text = p.patch.clone();
    if !p.path.is_empty() {
        if !p.patch.is_empty() {
            return Err(wrap("must specify a file path or jsonOp, not both".into()));
        }
        let (bytes, _) = b.load(&kt.ldr, &p.path).map_err(|e| {
            let kind = e.kind;
            let mut w = wrap(e.message);
            w.kind = kind;
            w
        })?;
        text = String::from_utf8_lossy(&bytes).into_owned();
        if text.is_empty() {
            return Err(wrap(format!(
                "patch file '{}' empty seems to be empty",
                p.path
            )));
        }
    }
    let v = crate::jsondec::yaml_to_json(&text).map_err(wrap)?;
    let ops = jsonpatch::decode(&v).map_err(|e| wrap(format!("decoding {text}: {e}")))?;
    if ops.is_empty() {
        return Err(wrap(format!(
            "patch appears to be empty; file={}, JsonOp={text}",
            p.path
        )));
    }
    Ok(PatchJsonCfg { target, ops, loc })
}

impl PatchJsonCfg {
    /// `PatchJson6902TransformerPlugin.Transform`.
    pub fn apply(&self, b: &mut Build, m: &mut ResMap) -> Result<()> {
        let sel = m.select(&self.target)?;
        for i in sel {
            apply_json_to(b, &mut m.list_mut()[i], &self.ops, self.loc)?;
        }
        Ok(())
    }
}
