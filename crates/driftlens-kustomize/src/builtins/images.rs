//! `ImageTagTransformer`: two passes per `images` entry, a legacy walk over every
//! `containers`/`initContainers` list at any depth, then the `images` field specs.

use regex::Regex;

use crate::error::{Error, Result};
use crate::fieldspec::{self, Create};
use crate::resmap::ResMap;
use crate::target::Build;
use crate::types::{FieldSpec, Image};
use crate::yaml::node::{Data, Loc, Node, Tag};

/// `image.Split`.
pub fn split(image: &str) -> (String, String, String) {
    let (search, slash) = match image.find('/') {
        Some(i) if i > 0 => (&image[i..], i),
        _ => (image, 0),
    };
    let id = search.find('@');
    let ic = search.find(':');
    match (id, ic) {
        (None, None) => (image.to_string(), String::new(), String::new()),
        (Some(d), c) if c.is_none_or(|c| d < c) => {
            let d = d + slash;
            (
                image[..d].to_string(),
                String::new(),
                image[d + 1..].to_string(),
            )
        }
        (Some(d), Some(c)) => {
            let (d, c) = (d + slash, c + slash);
            (
                image[..c].to_string(),
                image[c + 1..d].to_string(),
                image[d + 1..].to_string(),
            )
        }
        (None, Some(c)) => {
            let c = c + slash;
            (
                image[..c].to_string(),
                image[c + 1..].to_string(),
                String::new(),
            )
        }
        _ => (image.to_string(), String::new(), String::new()),
    }
}

struct Updater<'a> {
    img: &'a Image,
    re: Option<Regex>,
    origin: Loc,
}

impl Updater<'_> {
    fn update(&self, n: &mut Node) -> std::result::Result<(), String> {
        if n.kind() != crate::yaml::node::Kind::Scalar && !n.is_null() {
            return Err(format!(
                "wrong node kind: expected ScalarNode but got {}",
                fieldspec::kind_name(n.kind())
            ));
        }
        let value = n.value().to_string();
        // kustomize ignores the regexp compile error and then dereferences a nil pattern.
        let Some(re) = &self.re else {
            return Err(
                "panic: runtime error: invalid memory address or nil pointer dereference".into(),
            );
        };
        if !re.is_match(&value) {
            return Ok(());
        }
        let (mut name, mut tag, mut digest) = split(&value);
        let i = self.img;
        if !i.new_name.is_empty() {
            name = i.new_name.clone();
        }
        if !i.new_tag.is_empty() && !i.digest.is_empty() {
            tag = i.new_tag.clone();
            digest = i.digest.clone();
        } else if !i.new_tag.is_empty() {
            tag = i.new_tag.clone();
            digest = String::new();
        } else if !i.digest.is_empty() {
            tag = String::new();
            digest = i.digest.clone();
        } else if !i.tag_suffix.is_empty() {
            tag.push_str(&i.tag_suffix);
            digest = String::new();
        }
        if !tag.is_empty() {
            name = format!("{name}:{tag}");
        }
        if !digest.is_empty() {
            name = format!("{name}@{digest}");
        }
        fieldspec::set_scalar(n, Node::scalar(name).at(self.origin))
    }
}

fn legacy_walk(n: &mut Node, u: &Updater) -> std::result::Result<(), String> {
    match &mut n.data {
        Data::Map(pairs) => {
            // VisitFields: each distinct field once, first occurrence.
            let mut seen: Vec<String> = Vec::new();
            for pair in pairs.iter_mut() {
                let k = pair.key.value().to_string();
                if seen.contains(&k) {
                    continue;
                }
                seen.push(k.clone());
                legacy_walk(&mut pair.value, u)?;
                if k == "containers" || k == "initContainers" {
                    if let Data::Seq(items) = &mut pair.value.data {
                        for it in items.iter_mut() {
                            if let Some(img) = it.field_mut("image") {
                                u.update(img)?;
                            }
                        }
                    }
                }
            }
            Ok(())
        }
        Data::Seq(items) => {
            for it in items.iter_mut() {
                legacy_walk(it, u)?;
            }
            Ok(())
        }
        Data::Scalar(_) => Ok(()),
    }
}

/// Applies one `images` entry.
pub fn apply(
    b: &mut Build,
    m: &mut ResMap,
    img: &Image,
    specs: &[FieldSpec],
    origin: Loc,
) -> Result<()> {
    let re = Regex::new(&format!(
        "^{}(:[a-zA-Z0-9_.{{}}-]*)?(@sha256:[a-zA-Z0-9_.{{}}-]*)?$",
        img.name
    ))
    .ok();
    let u = Updater { img, re, origin };
    for r in m.list_mut().iter_mut() {
        if r.node.get_kind() == "CustomResourceDefinition" {
            continue;
        }
        b.charge(r.node.count() as u64 / 8 + 1)?;
        legacy_walk(&mut r.node, &u).map_err(Error::new)?;
    }
    let none = Tag::None;
    for r in m.list_mut().iter_mut() {
        if r.node.get_kind() == "CustomResourceDefinition" {
            continue;
        }
        for fs in specs {
            let mut set = |n: &mut Node| u.update(n);
            fieldspec::apply(
                &mut r.node,
                fs,
                Create {
                    kind: None,
                    tag: &none,
                },
                &mut set,
            )
            .map_err(Error::new)?;
        }
    }
    Ok(())
}
