//! `kustomize edit`, as Argo CD runs it before `kustomize build` when an Application sets
//! `spec.source.kustomize`: the edits change the top kustomization (a copy of it: the files
//! on disk are never written), in Argo CD's fixed order — name prefix, name suffix, images,
//! replicas, labels, annotations, namespace, patches, components.

use std::collections::BTreeMap;

use crate::types::{Image, Kustomization, Label, Patch, Replica};
use crate::Error;

/// The edits of one Application (`spec.source.kustomize`), already envsubst'ed.
#[derive(Clone, Debug, Default)]
pub struct Edits {
    /// `edit set nameprefix`.
    pub name_prefix: Option<String>,
    /// `edit set namesuffix`.
    pub name_suffix: Option<String>,
    /// `edit set image` arguments (`name=newName:tag`, `name:tag`, `name@digest`).
    pub images: Vec<String>,
    /// `edit set replicas` arguments (`name=count`).
    pub replicas: Vec<String>,
    /// `edit add label` pairs, in Argo CD's (sorted) order.
    pub labels: Vec<(String, String)>,
    /// `--force` for labels (`forceCommonLabels`).
    pub force_labels: bool,
    /// `--without-selector` (`labelWithoutSelector`).
    pub without_selector: bool,
    /// `--include-templates` (`labelIncludeTemplates`).
    pub include_templates: bool,
    /// `edit add annotation` pairs.
    pub annotations: Vec<(String, String)>,
    /// `--force` for annotations (`forceCommonAnnotations`).
    pub force_annotations: bool,
    /// `edit set namespace`.
    pub namespace: Option<String>,
    /// Patches appended to `patches`.
    pub patches: Vec<Patch>,
    /// `edit add component` paths (already glob-expanded).
    pub components: Vec<String>,
}

const IMAGE_FORMS: &str = "invalid format of image, use one of the following options:
- <image>=<newimage>:<newtag>
- <image>=<newimage>@<digest>
- <image>=<newimage>
- <image>:<newtag>
- <image>@<digest>";

/// `name:tag` with a tag of `[a-zA-Z0-9._-]*`.
fn split_tag(s: &str) -> Option<(&str, &str)> {
    let (name, tag) = s.rsplit_once(':')?;
    tag.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '*'))
        .then_some((name, tag))
}

/// `(name, tag, digest)` of `image[:tag][@digest]`; a bare name only when `bare` is allowed.
fn parse_overwrite(arg: &str, bare: bool) -> Result<(String, String, String), Error> {
    if let Some((before, digest)) = arg.split_once('@') {
        return Ok(match split_tag(before) {
            Some((n, t)) => (n.to_string(), t.to_string(), digest.to_string()),
            None => (before.to_string(), String::new(), digest.to_string()),
        });
    }
    if let Some((n, t)) = split_tag(arg) {
        return Ok((n.to_string(), t.to_string(), String::new()));
    }
    if bare && !arg.is_empty() {
        return Ok((arg.to_string(), String::new(), String::new()));
    }
    Err(Error::new(IMAGE_FORMS))
}

/// One `edit set image` argument.
pub fn parse_image(arg: &str) -> Result<Image, Error> {
    let parts: Vec<&str> = arg.split('=').collect();
    if parts.len() == 2 {
        let (new_name, new_tag, digest) = parse_overwrite(parts[1], true)?;
        return Ok(Image {
            name: parts[0].to_string(),
            new_name,
            new_tag,
            digest,
            ..Image::default()
        });
    }
    let (name, new_tag, digest) = parse_overwrite(arg, false)?;
    Ok(Image {
        name,
        new_tag,
        digest,
        ..Image::default()
    })
}

/// Applies the edits to the top kustomization.
pub fn apply(k: &mut Kustomization, e: &Edits) -> Result<(), Error> {
    if let Some(p) = &e.name_prefix {
        k.name_prefix = p.clone();
    }
    if let Some(s) = &e.name_suffix {
        k.name_suffix = s.clone();
    }
    if !e.images.is_empty() {
        let mut set: BTreeMap<String, Image> = BTreeMap::new();
        for arg in &e.images {
            let mut img = parse_image(arg)?;
            // `*` keeps what the kustomization had.
            if let Some(old) = k.images.iter().find(|i| i.name == img.name) {
                if img.new_name == "*" {
                    img.new_name = old.new_name.clone();
                }
                if img.new_tag == "*" {
                    img.new_tag = old.new_tag.clone();
                }
                if img.digest == "*" {
                    img.digest = old.digest.clone();
                }
            }
            set.insert(img.name.clone(), img);
        }
        for old in &k.images {
            set.entry(old.name.clone()).or_insert_with(|| old.clone());
        }
        k.images = set.into_values().collect();
    }
    if !e.replicas.is_empty() {
        let mut set: BTreeMap<String, Replica> = BTreeMap::new();
        for arg in &e.replicas {
            let (name, count) = arg.split_once('=').ok_or_else(|| {
                Error::new(format!(
                    "invalid format of replica, use the following option: <name>=<count>, \
                     got {arg}"
                ))
            })?;
            let count: i64 = count.parse().map_err(|_| {
                Error::new(format!(
                    "expected integer value for count. Received: {count}"
                ))
            })?;
            set.insert(
                name.to_string(),
                Replica {
                    name: name.to_string(),
                    count,
                },
            );
        }
        for old in &k.replicas {
            set.entry(old.name.clone()).or_insert_with(|| old.clone());
        }
        k.replicas = set.into_values().collect();
    }
    if !e.labels.is_empty() {
        add_labels(k, e)?;
    }
    for (key, value) in &e.annotations {
        if k.common_annotations.contains_key(key) && !e.force_annotations {
            return Err(Error::new(format!(
                "annotation {key} already in kustomization file. Use --force to override."
            )));
        }
        k.common_annotations.insert(key.clone(), value.clone());
    }
    if let Some(ns) = &e.namespace {
        k.namespace = ns.clone();
    }
    k.patches.extend(e.patches.iter().cloned());
    for c in &e.components {
        if !k.components.contains(c) {
            k.components.push(c.clone());
        }
    }
    Ok(())
}

fn already(key: &str) -> Error {
    Error::new(format!(
        "label {key} already in kustomization file. Use --force to override."
    ))
}

/// `edit add label`: into `commonLabels`, or with `--without-selector` into a `labels` entry
/// without selectors (kustomize v5.6 fails for a second label of a new entry unless forced).
fn add_labels(k: &mut Kustomization, e: &Edits) -> Result<(), Error> {
    if e.include_templates && !e.without_selector {
        return Err(Error::new(
            "--without-selector flag must be specified for --include-templates to work",
        ));
    }
    if !e.without_selector {
        for (key, value) in &e.labels {
            if k.common_labels.contains_key(key) && !e.force_labels {
                return Err(already(key));
            }
            k.common_labels.insert(key.clone(), value.clone());
        }
        return Ok(());
    }
    let found = k.labels.iter().position(|l| {
        !l.include_selectors
            && l.include_templates == e.include_templates
            && l.field_specs.is_empty()
    });
    let i = match found {
        Some(i) => i,
        None => {
            if e.labels.len() >= 2 && !e.force_labels {
                return Err(already(&e.labels[1].0));
            }
            k.labels.push(Label {
                include_templates: e.include_templates,
                ..Label::default()
            });
            k.labels.len() - 1
        }
    };
    for (key, value) in &e.labels {
        if found.is_some() && k.labels[i].pairs.contains_key(key) && !e.force_labels {
            return Err(already(key));
        }
        k.labels[i].pairs.insert(key.clone(), value.clone());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_parse_like_kustomize_edit_set_image() {
        let i = parse_image("postgres=eu.gcr.io/p/postgres:latest").expect("ok");
        assert_eq!(
            (i.name.as_str(), i.new_name.as_str(), i.new_tag.as_str()),
            ("postgres", "eu.gcr.io/p/postgres", "latest")
        );
        let i = parse_image("node:8.15.0").expect("ok");
        assert_eq!((i.name.as_str(), i.new_tag.as_str()), ("node", "8.15.0"));
        let i = parse_image("alpine@sha256:abc").expect("ok");
        assert_eq!(
            (i.name.as_str(), i.digest.as_str()),
            ("alpine", "sha256:abc")
        );
        let i = parse_image("mysql=mariadb").expect("ok");
        assert_eq!((i.name.as_str(), i.new_name.as_str()), ("mysql", "mariadb"));
        let i = parse_image("registry:5000/app").map(|_| ());
        assert!(i.is_err());
        assert!(parse_image("nginx").is_err());
    }

    #[test]
    fn edits_replace_and_sort_and_refuse_existing_labels() {
        let mut k = Kustomization {
            images: vec![Image {
                name: "b".into(),
                new_tag: "1".into(),
                digest: "sha256:x".into(),
                ..Image::default()
            }],
            common_labels: [("team".to_string(), "a".to_string())].into(),
            ..Kustomization::default()
        };
        let e = Edits {
            name_prefix: Some("p-".into()),
            images: vec!["b:*".into(), "a:2".into()],
            replicas: vec!["web=3".into()],
            labels: vec![("env".into(), "prod".into())],
            ..Edits::default()
        };
        apply(&mut k, &e).expect("applies");
        assert_eq!(k.name_prefix, "p-");
        let names: Vec<(&str, &str, &str)> = k
            .images
            .iter()
            .map(|i| (i.name.as_str(), i.new_tag.as_str(), i.digest.as_str()))
            .collect();
        // `b` is replaced whole: its tag kept through `*`, its digest lost.
        assert_eq!(names, vec![("a", "2", ""), ("b", "1", "")]);
        assert_eq!(k.replicas[0].count, 3);
        assert_eq!(k.common_labels["env"], "prod");
        let again = Edits {
            labels: vec![("team".into(), "b".into())],
            ..Edits::default()
        };
        let err = apply(&mut k, &again).expect_err("refused");
        assert_eq!(
            err.message,
            "label team already in kustomization file. Use --force to override."
        );
        let bad = Edits {
            replicas: vec!["web=three".into()],
            ..Edits::default()
        };
        assert_eq!(
            apply(&mut k, &bad).expect_err("refused").message,
            "expected integer value for count. Received: three"
        );
    }
}
