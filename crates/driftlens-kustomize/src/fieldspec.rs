//! Field specs (`fieldspec.Filter`): walk a `/`-separated path (`\/` escapes a slash, `x[]`
//! marks a sequence, sequences are traversed implicitly), creating missing maps when asked,
//! and apply a setter at the end; plus kyaml's scalar setters.

use crate::resource::parse_group_version;
use crate::types::FieldSpec;
use crate::yaml::node::{Data, Kind, Node, Tag};

/// kyaml `utils.PathSplitter`.
pub fn path_split(path: &str, delim: char) -> Vec<String> {
    let mut ps: Vec<&str> = path.split(delim).collect();
    if ps.len() > 1 && ps[0].is_empty() {
        ps.remove(0);
    }
    let mut res: Vec<String> = vec![ps[0].to_string()];
    for p in &ps[1..] {
        let last = res.len() - 1;
        if res[last].ends_with('\\') {
            let t = res[last].trim_end_matches('\\').to_string();
            res[last] = format!("{t}{delim}{p}");
        } else {
            res.push(p.to_string());
        }
    }
    res
}

/// Whether a field spec applies to an object (`isMatchGVK`).
pub fn matches_gvk(fs: &FieldSpec, obj: &Node) -> bool {
    if !fs.gvk.kind.is_empty() && fs.gvk.kind != obj.get_kind() {
        return false;
    }
    let (g, v) = parse_group_version(obj.get_api_version());
    if !fs.gvk.group.is_empty() && fs.gvk.group != g {
        return false;
    }
    if !fs.gvk.version.is_empty() && fs.gvk.version != v {
        return false;
    }
    true
}

/// What to create at the end of a path when `create` is set.
#[derive(Clone, Copy)]
pub struct Create<'a> {
    /// Kind of the created leaf (`None` = never create).
    pub kind: Option<Kind>,
    /// Tag given to a null leaf turned into `kind`.
    pub tag: &'a Tag,
}

/// A setter called on each matched node.
pub type SetFn<'a> = dyn FnMut(&mut Node) -> Result<(), String> + 'a;

/// `fieldspec.Filter.Filter`: applies `set` at `fs.path` in `obj` if its GVK matches.
/// Errors carry kustomize's `considering field '…' of object …` prefix.
pub fn apply(
    obj: &mut Node,
    fs: &FieldSpec,
    create: Create,
    set: &mut SetFn,
) -> Result<(), String> {
    if !matches_gvk(fs, obj) {
        return Ok(());
    }
    let path = path_split(&fs.path, '/');
    let id = {
        let (g, v) = parse_group_version(obj.get_api_version());
        let gvk = crate::types::Gvk::new(g, v, obj.get_kind());
        crate::resource::ResId::new(gvk, obj.get_name(), obj.get_namespace())
    };
    filter(obj, &path, fs.create, create, set)
        .map_err(|e| format!("considering field '{}' of object {id}: {e}", fs.path))
}

fn filter(
    obj: &mut Node,
    path: &[String],
    fs_create: bool,
    create: Create,
    set: &mut SetFn,
) -> Result<(), String> {
    if path.is_empty() {
        return set(obj);
    }
    if obj.is_null() {
        return Ok(());
    }
    match obj.kind() {
        Kind::Seq => {
            if let Data::Seq(items) = &mut obj.data {
                for it in items.iter_mut() {
                    filter(it, path, fs_create, create, set).map_err(|e| {
                        format!("visit traversal on path: [{}]: {e}", path.join(" "))
                    })?;
                }
            }
            Ok(())
        }
        Kind::Map => handle_map(obj, path, fs_create, create, set),
        Kind::Scalar => Err("expected sequence or mapping node".into()),
    }
}

fn handle_map(
    obj: &mut Node,
    path: &[String],
    fs_create: bool,
    create: Create,
    set: &mut SetFn,
) -> Result<(), String> {
    let (name, is_seq) = match path[0].strip_suffix("[]") {
        Some(n) => (n.to_string(), true),
        None => (path[0].clone(), false),
    };
    if name.is_empty() {
        return Err("cannot set or create an empty field name".into());
    }
    let (field, kind, tag): (Option<&mut Node>, Option<Kind>, Tag) =
        if !fs_create || create.kind.is_none() || is_seq {
            let kind = if is_seq { Some(Kind::Seq) } else { None };
            (obj.field_mut(&name), kind, Tag::None)
        } else if path.len() <= 1 {
            let k = create.kind.unwrap_or(Kind::Map);
            (obj.lookup_create(&name, k), Some(k), create.tag.clone())
        } else {
            (
                obj.lookup_create(&name, Kind::Map),
                Some(Kind::Map),
                Tag::Map,
            )
        };
    let Some(field) = field else {
        return Ok(());
    };
    if field.is_null() {
        if let Some(k) = kind {
            field.tag = tag;
            field.data = match k {
                Kind::Map => Data::Map(Vec::new()),
                Kind::Seq => Data::Seq(Vec::new()),
                Kind::Scalar => Data::Scalar(String::new()),
            };
        }
    }
    filter(field, &path[1..], fs_create, create, set)
}

/// kyaml `FieldSetter{Name: "", Value}` on a scalar: the node takes the new value, keeping its
/// own style.
pub fn set_scalar(node: &mut Node, mut value: Node) -> Result<(), String> {
    if node.kind() != Kind::Scalar && !node.is_null() {
        return Err(format!(
            "wrong Node Kind for  expected: ScalarNode was {}: value: {{{}}}",
            kind_name(node.kind()),
            short_value(node)
        ));
    }
    if value.is_null() {
        return Ok(());
    }
    value.style = node.style;
    if value.loc == crate::yaml::node::Loc::NONE {
        value.loc = node.loc;
    }
    *node = value;
    Ok(())
}

/// `filtersutil.SetEntry(name, value, tag)`: `FieldSetter{Name: name}` with a scalar of that
/// tag (name "" sets the node itself).
pub fn set_entry(node: &mut Node, name: &str, value: &str, tag: Tag) -> Result<(), String> {
    let v = Node::tagged(tag, value);
    if name.is_empty() {
        return set_scalar(node, v);
    }
    if node.kind() != Kind::Map && !node.is_null() {
        return Err(format!(
            "wrong Node Kind for  expected: MappingNode was {}: value: {{{}}}",
            kind_name(node.kind()),
            short_value(node)
        ));
    }
    node.set_field(name, v);
    Ok(())
}

/// Go's name of a node kind in kyaml errors.
pub fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Scalar => "ScalarNode",
        Kind::Map => "MappingNode",
        Kind::Seq => "SequenceNode",
    }
}

fn short_value(n: &Node) -> String {
    n.value().to_string()
}
