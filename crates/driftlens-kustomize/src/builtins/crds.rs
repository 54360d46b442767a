//! `crds:` (`LoadConfigFromCRDs`): Go OpenAPI definition files (`{"<type>": {"Schema": …}}`)
//! whose Kubernetes-looking types (with `kind`, `apiVersion`, `metadata` properties) add field
//! specs through property extensions: `x-kubernetes-annotation` (annotations),
//! `x-kubernetes-label-selector` (labels), `x-kubernetes-identity` (name prefix), and
//! `x-kubernetes-object-ref-api-version` + `-kind` (+ `-name-key`) (name references).

use crate::config::{merge_one, NameBackRef, TransformerConfig};
use crate::error::{Error, Result};
use crate::target::{Build, Target};
use crate::types::{FieldSpec, Gvk};
use crate::yaml::node::{Kind, Node};

fn schema_of(def: &Node) -> Option<&Node> {
    def.pairs()?
        .iter()
        .find(|p| p.key.value().eq_ignore_ascii_case("schema"))
        .map(|p| &p.value)
}

fn properties(schema: &Node) -> Vec<(&str, &Node)> {
    match schema.field("properties").and_then(|p| p.pairs()) {
        Some(ps) => {
            let mut v: Vec<(&str, &Node)> = ps.iter().map(|p| (p.key.value(), &p.value)).collect();
            v.sort_by(|a, b| a.0.cmp(b.0));
            v
        }
        None => Vec::new(),
    }
}

fn ext_string<'a>(prop: &'a Node, k: &str) -> Option<&'a str> {
    prop.field(k)
        .filter(|v| v.kind() == Kind::Scalar && !v.is_null())
        .map(|v| v.value())
}

fn make_fs(gvk: &Gvk, path: &[String]) -> FieldSpec {
    FieldSpec {
        gvk: gvk.clone(),
        path: path.join("/"),
        create: false,
    }
}

fn load_into(
    tc: &mut TransformerConfig,
    gvk: &Gvk,
    map: &Node,
    type_name: &str,
    path: Vec<String>,
    depth: usize,
) -> std::result::Result<(), String> {
    if depth > 64 {
        return Ok(());
    }
    let Some(def) = map.field(type_name) else {
        return Ok(());
    };
    let Some(schema) = schema_of(def) else {
        return Ok(());
    };
    for (name, prop) in properties(schema) {
        let mut p = path.clone();
        p.push(name.to_string());
        if ext_string(prop, "x-kubernetes-annotation").is_some() {
            merge_one(&mut tc.common_annotations, make_fs(gvk, &p))?;
        }
        if ext_string(prop, "x-kubernetes-label-selector").is_some() {
            merge_one(&mut tc.common_labels, make_fs(gvk, &p))?;
        }
        if ext_string(prop, "x-kubernetes-identity").is_some() {
            merge_one(&mut tc.name_prefix, make_fs(gvk, &p))?;
        }
        if let (Some(version), Some(kind)) = (
            ext_string(prop, "x-kubernetes-object-ref-api-version"),
            ext_string(prop, "x-kubernetes-object-ref-kind"),
        ) {
            let key = ext_string(prop, "x-kubernetes-object-ref-name-key").unwrap_or("name");
            let mut rp = p.clone();
            rp.push(key.to_string());
            let nbr = NameBackRef {
                gvk: Gvk::new("", version, kind),
                referrers: vec![make_fs(gvk, &rp)],
            };
            let add = TransformerConfig {
                name_reference: vec![nbr],
                ..TransformerConfig::default()
            };
            *tc = tc.merge(&add)?;
        }
        if let Some(r) = prop.field("$ref").filter(|r| !r.value().is_empty()) {
            let r = r.value().to_string();
            load_into(tc, gvk, map, &r, p, depth + 1)?;
        }
    }
    Ok(())
}

/// `LoadConfigFromCRDs`.
pub fn load_config_from_crds(b: &mut Build, kt: &Target) -> Result<TransformerConfig> {
    let mut tc = TransformerConfig::default();
    for path in &kt.k.crds {
        let (bytes, real) = b.load(&kt.ldr, path)?;
        let file = b.file_index(&real);
        let text = String::from_utf8_lossy(&bytes);
        let map = crate::yaml::parse::parse_first(
            &text,
            crate::yaml::parse::ReadOptions {
                version: crate::yaml::resolve::Version::V2,
                file,
            },
            0,
        )
        .map_err(|e| {
            Error::new(format!(
                "unable to parse open API definition from '{path}': {}",
                e.message
            ))
        })?
        .unwrap_or_else(Node::map);
        let mut names: Vec<String> = map
            .pairs()
            .map(|ps| ps.iter().map(|p| p.key.value().to_string()).collect())
            .unwrap_or_default();
        names.sort();
        let mut other = TransformerConfig::default();
        for name in names {
            let Some(schema) = map.field(&name).and_then(schema_of) else {
                continue;
            };
            let props: Vec<&str> = properties(schema).iter().map(|p| p.0).collect();
            if !(props.contains(&"kind")
                && props.contains(&"apiVersion")
                && props.contains(&"metadata"))
            {
                continue;
            }
            let kind = name.rsplit('.').next().unwrap_or("").to_string();
            let gvk = Gvk::new("", "", &kind);
            let mut one = TransformerConfig::default();
            load_into(&mut one, &gvk, &map, &name, Vec::new(), 0).map_err(|e| {
                Error::new(e).prefix(format!("loading CRDs {}", kt.k.crds.join(" ")))
            })?;
            other = other.merge(&one).map_err(Error::new)?;
        }
        tc = tc.merge(&other).map_err(Error::new)?;
    }
    Ok(tc)
}
