//! Configuring the transformers of a kustomization: the built-in ones in kustomize's fixed
//! order (`configureBuiltinTransformers`), then `transformers:` entries (built-in plugin
//! configs, inline or from files/kustomizations; anything else is not run).

use std::collections::BTreeMap;

use crate::builtins::namespace::NamespaceConfig;
use crate::builtins::patch::{PatchCfg, PatchJsonCfg, PatchSmCfg};
use crate::builtins::replacement::Replacement;
use crate::config::{merge_all, merge_one, TransformerConfig};
use crate::error::{Error, ErrorKind, Result};
use crate::jsondec::Decoder;
use crate::resmap::ResMap;
use crate::resource::Resource;
use crate::target::{Build, Origin, Target};
use crate::types::{decode_field_spec, FieldSpec, Image, Patch, Replica};
use crate::yaml::node::Loc;
use crate::yaml::value::Value;

/// A configured transformer.
pub enum Tx {
    /// `patchesStrategicMerge`.
    PatchSm(PatchSmCfg),
    /// One `patches` entry.
    Patch(Box<PatchCfg>),
    /// `namespace`.
    Namespace(NamespaceConfig, Loc),
    /// `namePrefix`.
    Prefix(String, Vec<FieldSpec>, Loc),
    /// `nameSuffix`.
    Suffix(String, Vec<FieldSpec>, Loc),
    /// `PrefixSuffixTransformer`.
    PrefixSuffix(String, String, Vec<FieldSpec>, Loc),
    /// One `labels` entry or `commonLabels`.
    Labels(BTreeMap<String, String>, Vec<FieldSpec>, Loc),
    /// `commonAnnotations`.
    Annotations(BTreeMap<String, String>, Vec<FieldSpec>, Loc),
    /// One `patchesJson6902` entry.
    PatchJson(PatchJsonCfg),
    /// One `replicas` entry.
    Replicas(Replica, Vec<FieldSpec>, Loc),
    /// One `images` entry.
    Image(Image, Vec<FieldSpec>, Loc),
    /// `replacements`.
    Replacements(Vec<Replacement>),
}

impl Tx {
    /// Runs the transformer.
    pub fn apply(&self, b: &mut Build, m: &mut ResMap) -> Result<()> {
        match self {
            Tx::PatchSm(c) => c.apply(b, m),
            Tx::Patch(c) => c.apply(b, m),
            Tx::Namespace(c, l) => crate::builtins::namespace::apply(b, m, c, *l),
            Tx::Prefix(p, fs, l) => crate::builtins::prefix_suffix::apply(b, m, p, fs, false, *l),
            Tx::Suffix(s, fs, l) => crate::builtins::prefix_suffix::apply(b, m, s, fs, true, *l),
            Tx::PrefixSuffix(p, s, fs, l) => {
                crate::builtins::prefix_suffix::apply(b, m, p, fs, false, *l)?;
                crate::builtins::prefix_suffix::apply(b, m, s, fs, true, *l)
            }
            Tx::Labels(l, fs, loc) => crate::builtins::labels::apply_map(b, m, l, fs, *loc),
            Tx::Annotations(a, fs, loc) => crate::builtins::labels::apply_map(b, m, a, fs, *loc),
            Tx::PatchJson(c) => c.apply(b, m),
            Tx::Replicas(r, fs, l) => crate::builtins::replicas::apply(b, m, r, fs, *l),
            Tx::Image(i, fs, l) => crate::builtins::images::apply(b, m, i, fs, *l),
            Tx::Replacements(r) => crate::builtins::replacement::apply(b, m, r),
        }
    }
}

/// Where a kustomization field's value is written.
pub fn field_loc(kt: &Target, field: &str) -> Loc {
    kt.node
        .as_ref()
        .and_then(|n| n.field(field))
        .map(|n| n.loc)
        .unwrap_or(Loc {
            file: kt.file,
            line: 0,
            col: 0,
        })
}

/// Where the `i`-th entry of a kustomization list field is written.
pub fn entry_loc(kt: &Target, field: &str, i: usize) -> Loc {
    kt.node
        .as_ref()
        .and_then(|n| n.field(field))
        .and_then(|n| n.items())
        .and_then(|items| items.get(i))
        .map(|n| n.loc)
        .unwrap_or_else(|| field_loc(kt, field))
}

/// The origin kustomize records for a built-in configured by a kustomization field.
pub fn builtin_origin(kt: &Target, kind: &str) -> Option<Origin> {
    kt.origin.as_ref().map(|o| Origin {
        repo: o.repo.clone(),
        git_ref: o.git_ref.clone(),
        configured_in: crate::fs::join(&o.path, &kt.file_name),
        configured_by: Some(("builtin".into(), kind.into(), String::new(), String::new())),
        ..Origin::default()
    })
}

/// Fails unless a plugin configuration names a built-in (`apiVersion: builtin`): external
/// plugins are programs, which the engine does not run.
pub fn require_builtin(cfg: &Resource) -> Result<()> {
    let gvk = cfg.gvk();
    if gvk.group.is_empty() && gvk.version == "builtin" {
        return Ok(());
    }
    Err(Error {
        message: format!(
            "external plugins disabled; unable to load external plugin '{}'",
            cfg.org_id().gvk.kind
        ),
        kind: ErrorKind::NotAnalysed,
        at: None,
    })
}

/// Configures the built-in transformers then `transformers:`.
pub fn configure(
    b: &mut Build,
    kt: &mut Target,
    tc: &TransformerConfig,
) -> Result<Vec<(Option<Origin>, Tx)>> {
    let mut out: Vec<(Option<Origin>, Tx)> = Vec::new();
    let k = kt.k.clone();
    if !k.patches_strategic_merge.is_empty() {
        let c = crate::builtins::patch::configure_psm(b, kt, &k.patches_strategic_merge)?;
        out.push((
            builtin_origin(kt, "PatchStrategicMergeTransformer"),
            Tx::PatchSm(c),
        ));
    }
    for (i, p) in k.patches.iter().enumerate() {
        let loc = entry_loc(kt, "patches", i);
        let c = crate::builtins::patch::configure_patch(b, kt, p, loc).map_err(|e| {
            let kp = b.files[kt.file as usize].clone();
            e.at_if_unset(&kp, loc.line)
        })?;
        out.push((
            builtin_origin(kt, "PatchTransformer"),
            Tx::Patch(Box::new(c)),
        ));
    }
    if !k.namespace.is_empty() {
        out.push((
            builtin_origin(kt, "NamespaceTransformer"),
            Tx::Namespace(
                NamespaceConfig {
                    namespace: k.namespace.clone(),
                    specs: tc.namespace.clone(),
                    unset_only: false,
                    role_binding_subjects: "defaultOnly".into(),
                },
                field_loc(kt, "namespace"),
            ),
        ));
    }
    if !k.name_prefix.is_empty() {
        out.push((
            builtin_origin(kt, "PrefixTransformer"),
            Tx::Prefix(
                k.name_prefix.clone(),
                tc.name_prefix.clone(),
                field_loc(kt, "namePrefix"),
            ),
        ));
    }
    if !k.name_suffix.is_empty() {
        out.push((
            builtin_origin(kt, "SuffixTransformer"),
            Tx::Suffix(
                k.name_suffix.clone(),
                tc.name_suffix.clone(),
                field_loc(kt, "nameSuffix"),
            ),
        ));
    }
    if !k.labels.is_empty() || !k.common_labels.is_empty() {
        for (i, l) in k.labels.iter().enumerate() {
            let mut fss = l.field_specs.clone();
            merge_all(&mut fss, &tc.labels)
                .map_err(|e| Error::new(format!("failed to merge labels: {e}")))?;
            if l.include_selectors {
                merge_all(&mut fss, &tc.common_labels)
                    .map_err(|e| Error::new(format!("failed to merge labels: {e}")))?;
            } else {
                if l.include_templates {
                    merge_all(&mut fss, &tc.template_labels).map_err(|e| {
                        Error::new(format!("failed to merge template fieldSpec: {e}"))
                    })?;
                }
                merge_one(
                    &mut fss,
                    FieldSpec {
                        path: "metadata/labels".into(),
                        create: true,
                        ..FieldSpec::default()
                    },
                )
                .map_err(|e| Error::new(format!("failed to merge labels: {e}")))?;
            }
            out.push((
                builtin_origin(kt, "LabelTransformer"),
                Tx::Labels(l.pairs.clone(), fss, entry_loc(kt, "labels", i)),
            ));
        }
        out.push((
            builtin_origin(kt, "LabelTransformer"),
            Tx::Labels(
                k.common_labels.clone(),
                tc.common_labels.clone(),
                field_loc(kt, "commonLabels"),
            ),
        ));
    }
    if !k.common_annotations.is_empty() {
        out.push((
            builtin_origin(kt, "AnnotationsTransformer"),
            Tx::Annotations(
                k.common_annotations.clone(),
                tc.common_annotations.clone(),
                field_loc(kt, "commonAnnotations"),
            ),
        ));
    }
    for (i, p) in k.patches_json6902.iter().enumerate() {
        let loc = entry_loc(kt, "patchesJson6902", i);
        let c = crate::builtins::patch::configure_pj(b, kt, p, loc)?;
        out.push((
            builtin_origin(kt, "PatchJson6902Transformer"),
            Tx::PatchJson(c),
        ));
    }
    for (i, r) in k.replicas.iter().enumerate() {
        out.push((
            builtin_origin(kt, "ReplicaCountTransformer"),
            Tx::Replicas(r.clone(), tc.replicas.clone(), entry_loc(kt, "replicas", i)),
        ));
    }
    for (i, img) in k.images.iter().enumerate() {
        out.push((
            builtin_origin(kt, "ImageTagTransformer"),
            Tx::Image(img.clone(), tc.images.clone(), entry_loc(kt, "images", i)),
        ));
    }
    if !k.replacements.is_empty() {
        let r = crate::builtins::replacement::configure(b, kt, &k.replacements)?;
        out.push((
            builtin_origin(kt, "ReplacementTransformer"),
            Tx::Replacements(r),
        ));
    }
    if !k.transformers.is_empty() {
        out.extend(configure_external(b, kt, &k.transformers)?);
    }
    Ok(out)
}

/// Plugin config resources for `generators:` / `transformers:` / `validators:` entries:
/// inline YAML first, then files and kustomization directories.
pub fn plugin_configs(
    b: &mut Build,
    kt: &Target,
    entries: &[String],
) -> Result<Vec<(Option<Origin>, Resource)>> {
    let mut out = Vec::new();
    let mut paths = Vec::new();
    for e in entries {
        match crate::reader::resources_from_bytes(e.as_bytes(), kt.file) {
            Ok(rs) => {
                for mut r in rs {
                    if let Some(o) = &kt.origin {
                        let mut a = r.annotations();
                        a.insert(
                            crate::resource::ORIGIN.to_string(),
                            o.append(&kt.file_name).to_yaml(),
                        );
                        r.set_annotations(&a);
                    }
                    out.push((plugin_origin(&r), r));
                }
            }
            Err(_) => paths.push(e.clone()),
        }
    }
    if !paths.is_empty() {
        let mut sub = Target {
            k: kt.k.clone(),
            file_name: kt.file_name.clone(),
            file: kt.file,
            node: kt.node.clone(),
            ldr: kt.ldr.clone(),
            origin: kt.origin.clone(),
        };
        let ra = b.accumulate_resource_paths(&mut sub, &paths)?;
        for r in ra.resmap.into_list() {
            out.push((plugin_origin(&r), r));
        }
    }
    Ok(out)
}

/// `OriginFromCustomPlugin`: where a plugin config came from, as the origin of what it makes.
pub fn plugin_origin(cfg: &Resource) -> Option<Origin> {
    let text = cfg.node.get_annotation(crate::resource::ORIGIN)?;
    let o = Origin::from_yaml(&text);
    Some(Origin {
        repo: o.repo,
        git_ref: o.git_ref,
        configured_in: o.path,
        configured_by: Some((
            cfg.node.get_api_version().to_string(),
            cfg.node.get_kind().to_string(),
            cfg.name().to_string(),
            cfg.namespace().to_string(),
        )),
        ..Origin::default()
    })
}

fn lenient_field_specs(d: &mut Decoder, v: Option<&Value>) -> Option<Vec<FieldSpec>> {
    match v {
        None | Some(Value::Null) => None,
        Some(v) => d.list(v, "types.FsSlice", decode_field_spec),
    }
}

fn get<'a>(v: &'a Value, k: &str) -> Option<&'a Value> {
    match v {
        Value::Map(p) => p
            .iter()
            .find(|(x, _)| x == k)
            .or_else(|| p.iter().find(|(x, _)| x.eq_ignore_ascii_case(k)))
            .map(|(_, v)| v),
        _ => None,
    }
}

fn string_map(d: &mut Decoder, v: Option<&Value>) -> BTreeMap<String, String> {
    match v {
        None => BTreeMap::new(),
        Some(v) => d.string_map(v).unwrap_or_default(),
    }
}

fn string(d: &mut Decoder, v: Option<&Value>) -> String {
    v.map(|v| d.string(v)).unwrap_or_default()
}

/// Configures `transformers:` (and `validators:`) entries.
pub fn configure_external(
    b: &mut Build,
    kt: &Target,
    entries: &[String],
) -> Result<Vec<(Option<Origin>, Tx)>> {
    let configs = plugin_configs(b, kt, entries)?;
    let mut out = Vec::new();
    for (origin, cfg) in configs {
        let gvk = cfg.gvk();
        let id = cfg.org_id();
        require_builtin(&cfg)?;
        let v = crate::yaml::value::decode_resource(&cfg.node).map_err(|e| Error::new(e.0))?;
        let loc = cfg.node.loc;
        let mut d = Decoder::lenient();
        let fail = |msg: String| Error::new(format!("plugin {id} fails configuration: {msg}"));
        let tx = match gvk.kind.as_str() {
            "AnnotationsTransformer" => {
                let a = string_map(&mut d, get(&v, "annotations"));
                let fs = lenient_field_specs(&mut d, get(&v, "fieldSpecs")).unwrap_or_default();
                Tx::Annotations(a, fs, loc)
            }
            "LabelTransformer" => {
                let l = string_map(&mut d, get(&v, "labels"));
                let fs = lenient_field_specs(&mut d, get(&v, "fieldSpecs")).unwrap_or_default();
                Tx::Labels(l, fs, loc)
            }
            "NamespaceTransformer" => {
                let ns = cfg.namespace().to_string();
                let fs = lenient_field_specs(&mut d, get(&v, "fieldSpecs")).unwrap_or_default();
                let unset_only = get(&v, "unsetOnly").map(|x| d.boolean(x)).unwrap_or(false);
                let mut mode = string(&mut d, get(&v, "setRoleBindingSubjects"));
                match mode.as_str() {
                    "" => mode = "defaultOnly".into(),
                    "defaultOnly" | "allServiceAccounts" | "none" => {}
                    other => {
                        return Err(fail(format!(
                            "invalid value \"{other}\" for setRoleBindingSubjects: must be one of \"defaultOnly\", \"none\" or \"allServiceAccounts\""
                        )))
                    }
                }
                Tx::Namespace(
                    NamespaceConfig {
                        namespace: ns,
                        specs: fs,
                        unset_only,
                        role_binding_subjects: mode,
                    },
                    loc,
                )
            }
            "PrefixTransformer" | "SuffixTransformer" | "PrefixSuffixTransformer" => {
                let p = string(&mut d, get(&v, "prefix"));
                let s = string(&mut d, get(&v, "suffix"));
                let Some(fs) = lenient_field_specs(&mut d, get(&v, "fieldSpecs")) else {
                    return Err(fail("fieldSpecs is not expected to be nil".into()));
                };
                match gvk.kind.as_str() {
                    "PrefixTransformer" => Tx::Prefix(p, fs, loc),
                    "SuffixTransformer" => Tx::Suffix(s, fs, loc),
                    _ => Tx::PrefixSuffix(p, s, fs, loc),
                }
            }
            "ReplicaCountTransformer" => {
                let mut rep = Replica::default();
                if let Some(r) = get(&v, "replica") {
                    rep.name = string(&mut d, get(r, "name"));
                    rep.count = get(r, "count").map(|c| d.int(c, "int64")).unwrap_or(0);
                }
                let fs = lenient_field_specs(&mut d, get(&v, "fieldSpecs")).unwrap_or_default();
                Tx::Replicas(rep, fs, loc)
            }
            "ImageTagTransformer" => {
                let mut img = Image::default();
                if let Some(i) = get(&v, "imageTag") {
                    img.name = string(&mut d, get(i, "name"));
                    img.new_name = string(&mut d, get(i, "newName"));
                    img.new_tag = string(&mut d, get(i, "newTag"));
                    img.digest = string(&mut d, get(i, "digest"));
                    img.tag_suffix = string(&mut d, get(i, "tagSuffix"));
                }
                let fs = lenient_field_specs(&mut d, get(&v, "fieldSpecs")).unwrap_or_default();
                Tx::Image(img, fs, loc)
            }
            "PatchTransformer" => {
                let p = Patch {
                    path: string(&mut d, get(&v, "path")),
                    patch: string(&mut d, get(&v, "patch")),
                    target: get(&v, "target")
                        .and_then(|t| crate::types::decode_selector(&mut d, t)),
                    options: get(&v, "options").and_then(|o| d.bool_map(o)),
                };
                let c = crate::builtins::patch::configure_patch(b, kt, &p, loc)
                    .map_err(|e| fail(strip_trouble(&e.message)))?;
                Tx::Patch(Box::new(c))
            }
            "PatchJson6902Transformer" => {
                let p = Patch {
                    path: string(&mut d, get(&v, "path")),
                    patch: string(&mut d, get(&v, "jsonOp")),
                    target: get(&v, "target")
                        .and_then(|t| crate::types::decode_selector(&mut d, t)),
                    options: None,
                };
                let c = crate::builtins::patch::configure_pj(b, kt, &p, loc)
                    .map_err(|e| fail(strip_trouble(&e.message)))?;
                Tx::PatchJson(c)
            }
            "PatchStrategicMergeTransformer" => {
                let mut entries: Vec<String> = get(&v, "paths")
                    .and_then(|p| d.strings(p))
                    .unwrap_or_default();
                let inline = string(&mut d, get(&v, "patches"));
                if entries.is_empty() && inline.is_empty() {
                    return Err(fail("empty file path and empty patch content".into()));
                }
                if !inline.is_empty() {
                    entries.push(inline);
                }
                let c = crate::builtins::patch::configure_psm(b, kt, &entries)
                    .map_err(|e| fail(strip_trouble(&e.message)))?;
                Tx::PatchSm(c)
            }
            "ReplacementTransformer" => {
                let list: Vec<crate::types::ReplacementField> = get(&v, "replacements")
                    .and_then(|r| {
                        d.list(r, "[]types.ReplacementField", |d, v| {
                            crate::types::decode_replacement(d, v, true)
                        })
                    })
                    .unwrap_or_default();
                let r = crate::builtins::replacement::configure(b, kt, &list)
                    .map_err(|e| fail(e.message))?;
                Tx::Replacements(r)
            }
            "HashTransformer" | "ValueAddTransformer" => {
                return Err(Error::not_analysed(format!(
                    "plugin {id}: {} is not supported",
                    gvk.kind
                )))
            }
            _ => {
                return Err(Error::new(format!("unable to load builtin {}", gvk)));
            }
        };
        if let Some(e) = d.error {
            return Err(fail(e));
        }
        out.push((origin, tx));
    }
    Ok(out)
}

fn strip_trouble(msg: &str) -> String {
    match msg.find("`: ") {
        Some(i) if msg.starts_with("trouble configuring builtin") => msg[i + 3..].to_string(),
        _ => msg.to_string(),
    }
}
