//! Transformer configuration (`builtinconfig.TransformerConfig`): the field specs each
//! built-in transformer uses, from kustomize's defaults (`default_fieldspecs.yaml`) merged
//! with `configurations:` files and CRD-derived specs.

use std::sync::OnceLock;

use crate::jsondec::{yaml_to_json, Decoder};
use crate::types::{decode_field_spec, FieldSpec, Gvk};
use crate::yaml::value::Value;

/// Referrers of one kind (`NameBackReferences`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NameBackRef {
    /// The referred-to kind.
    pub gvk: Gvk,
    /// Fields that hold its name.
    pub referrers: Vec<FieldSpec>,
}

/// `TransformerConfig`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TransformerConfig {
    /// `namePrefix`.
    pub name_prefix: Vec<FieldSpec>,
    /// `nameSuffix`.
    pub name_suffix: Vec<FieldSpec>,
    /// `namespace`.
    pub namespace: Vec<FieldSpec>,
    /// `commonLabels`.
    pub common_labels: Vec<FieldSpec>,
    /// `labels`.
    pub labels: Vec<FieldSpec>,
    /// `templateLabels`.
    pub template_labels: Vec<FieldSpec>,
    /// `commonAnnotations`.
    pub common_annotations: Vec<FieldSpec>,
    /// `nameReference`.
    pub name_reference: Vec<NameBackRef>,
    /// `varReference`.
    pub var_reference: Vec<FieldSpec>,
    /// `images`.
    pub images: Vec<FieldSpec>,
    /// `replicas`.
    pub replicas: Vec<FieldSpec>,
}

/// `FieldSpec.effectivelyEquals`: `existing`'s GVK is selected by `new`'s, same path.
fn effectively_equals(existing: &FieldSpec, new: &FieldSpec) -> bool {
    existing.gvk.is_selected(&new.gvk) && existing.path == new.path
}

/// `FsSlice.MergeOne`.
pub fn merge_one(s: &mut Vec<FieldSpec>, x: FieldSpec) -> Result<(), String> {
    if let Some(i) = s.iter().position(|y| effectively_equals(y, &x)) {
        if s[i].create != x.create {
            return Err("conflicting fieldspecs".into());
        }
        return Ok(());
    }
    s.push(x);
    Ok(())
}

/// `FsSlice.MergeAll`.
pub fn merge_all(s: &mut Vec<FieldSpec>, xs: &[FieldSpec]) -> Result<(), String> {
    for x in xs {
        merge_one(s, x.clone())?;
    }
    Ok(())
}

fn sort_specs(s: &mut [FieldSpec]) {
    s.sort_by(|a, b| cmp_gvk(&a.gvk, &b.gvk));
}

fn cmp_gvk(a: &Gvk, b: &Gvk) -> std::cmp::Ordering {
    if a.is_less_than(b) {
        std::cmp::Ordering::Less
    } else if b.is_less_than(a) {
        std::cmp::Ordering::Greater
    } else {
        std::cmp::Ordering::Equal
    }
}

impl TransformerConfig {
    /// kustomize's default configuration.
    pub fn default_config() -> TransformerConfig {
        static D: OnceLock<TransformerConfig> = OnceLock::new();
        D.get_or_init(|| {
            TransformerConfig::from_yaml(include_str!("default_fieldspecs.yaml"))
                .unwrap_or_default()
        })
        .clone()
    }

    /// `makeTransformerConfigFromBytes` (strict YAML, then sorted).
    pub fn from_yaml(text: &str) -> Result<TransformerConfig, String> {
        let v = yaml_to_json(text)?;
        let mut d = Decoder::new();
        let mut t = TransformerConfig::default();
        let list = |d: &mut Decoder, v: &Value| -> Vec<FieldSpec> {
            d.list(v, "types.FsSlice", decode_field_spec)
                .unwrap_or_default()
        };
        d.object(
            &v,
            "TransformerConfig",
            "builtinconfig.TransformerConfig",
            &[
                "namePrefix",
                "nameSuffix",
                "namespace",
                "commonLabels",
                "labels",
                "templateLabels",
                "commonAnnotations",
                "nameReference",
                "varReference",
                "images",
                "replicas",
            ],
            |d, name, v| match name {
                "namePrefix" => t.name_prefix = list(d, v),
                "nameSuffix" => t.name_suffix = list(d, v),
                "namespace" => t.namespace = list(d, v),
                "commonLabels" => t.common_labels = list(d, v),
                "labels" => t.labels = list(d, v),
                "templateLabels" => t.template_labels = list(d, v),
                "commonAnnotations" => t.common_annotations = list(d, v),
                "varReference" => t.var_reference = list(d, v),
                "images" => t.images = list(d, v),
                "replicas" => t.replicas = list(d, v),
                "nameReference" => {
                    t.name_reference = d
                        .list(v, "builtinconfig.nbrSlice", |d, v| {
                            let mut n = NameBackRef::default();
                            d.object(
                                v,
                                "NameBackReferences",
                                "builtinconfig.NameBackReferences",
                                &["group", "version", "kind", "fieldSpecs"],
                                |d, name, v| match name {
                                    "group" => n.gvk.group = d.string(v),
                                    "version" => n.gvk.version = d.string(v),
                                    "kind" => n.gvk.kind = d.string(v),
                                    _ => {
                                        n.referrers = d
                                            .list(v, "types.FsSlice", decode_field_spec)
                                            .unwrap_or_default()
                                    }
                                },
                            );
                            n
                        })
                        .unwrap_or_default()
                }
                _ => {}
            },
        );
        if let Some(e) = d.error {
            return Err(e);
        }
        t.sort_fields();
        Ok(t)
    }

    fn sort_fields(&mut self) {
        sort_specs(&mut self.name_prefix);
        sort_specs(&mut self.name_suffix);
        sort_specs(&mut self.namespace);
        sort_specs(&mut self.common_labels);
        sort_specs(&mut self.labels);
        sort_specs(&mut self.template_labels);
        sort_specs(&mut self.common_annotations);
        self.name_reference.sort_by(|a, b| cmp_gvk(&a.gvk, &b.gvk));
        sort_specs(&mut self.var_reference);
        sort_specs(&mut self.images);
        sort_specs(&mut self.replicas);
    }

    /// `TransformerConfig.Merge`.
    pub fn merge(&self, input: &TransformerConfig) -> Result<TransformerConfig, String> {
        let mut m = self.clone();
        let w = |r: Result<(), String>, what: &str| {
            r.map_err(|e| format!("failed to merge {what} fieldSpec: {e}"))
        };
        w(
            merge_all(&mut m.name_prefix, &input.name_prefix),
            "NamePrefix",
        )?;
        w(
            merge_all(&mut m.name_suffix, &input.name_suffix),
            "NameSuffix",
        )?;
        w(merge_all(&mut m.namespace, &input.namespace), "NameSpace")?;
        w(
            merge_all(&mut m.common_annotations, &input.common_annotations),
            "CommonAnnotations",
        )?;
        w(
            merge_all(&mut m.common_labels, &input.common_labels),
            "CommonLabels",
        )?;
        w(merge_all(&mut m.labels, &input.labels), "Labels")?;
        w(
            merge_all(&mut m.template_labels, &input.template_labels),
            "TemplateLabels",
        )?;
        w(
            merge_all(&mut m.var_reference, &input.var_reference),
            "VarReference",
        )?;
        for nbr in &input.name_reference {
            let mut found = false;
            for c in m.name_reference.iter_mut() {
                if c.gvk == nbr.gvk {
                    w(merge_all(&mut c.referrers, &nbr.referrers), "NameReference")?;
                    found = true;
                }
            }
            if !found {
                m.name_reference.push(nbr.clone());
            }
        }
        w(merge_all(&mut m.images, &input.images), "Images")?;
        w(merge_all(&mut m.replicas, &input.replicas), "Replicas")?;
        m.sort_fields();
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_loads() {
        let c = TransformerConfig::default_config();
        assert_eq!(c.name_prefix.len(), 1);
        assert!(c.common_labels.len() > 20);
        assert!(c.name_reference.iter().any(|n| n.gvk.kind == "ConfigMap"));
        assert!(c.images.len() == 4);
    }
}
