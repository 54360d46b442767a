//! Deprecated `vars`: at the top, after name references, `$(NAME)` in the var-reference fields
//! is replaced by the value of the bound resource's field (a string that is exactly `$(NAME)`
//! takes the value's type; `$$` escapes `$`).

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::fieldspec::{self, Create};
use crate::target::{Accumulator, Build};
use crate::types::Var;
use crate::yaml::node::{Data, Kind, Node, Style, Tag};

/// A var's value, as kyaml's `GetFieldValue` returns it.
#[derive(Clone, Debug, PartialEq)]
pub enum VarValue {
    /// string.
    Str(String),
    /// int.
    Int(i64),
    /// float64.
    Float(f64),
    /// bool.
    Bool(bool),
    /// A map or list (not substituted).
    Other,
}

impl VarValue {
    fn go_v(&self) -> String {
        match self {
            VarValue::Str(s) => s.clone(),
            VarValue::Int(i) => i.to_string(),
            VarValue::Float(f) => crate::yaml::value::go_format_g(*f),
            VarValue::Bool(b) => b.to_string(),
            VarValue::Other => String::new(),
        }
    }
}

fn var_v(v: &Var) -> String {
    format!(
        "{{{} {{{} {{{} {} {} false}} {} {}}} {{{}}}}}",
        v.name,
        v.api_version,
        v.gvk.group,
        v.gvk.version,
        v.gvk.kind,
        v.obj_name,
        v.obj_namespace,
        v.field_path
    )
}

/// kyaml `GetFieldValue`.
fn field_value(n: &Node, path: &str) -> std::result::Result<VarValue, String> {
    let parts: Vec<String> = crate::path::smarter_split(path, '.')
        .into_iter()
        .flat_map(|s| {
            if let Some(open) = s.rfind('[') {
                if s.ends_with(']') {
                    let idx = &s[open + 1..s.len() - 1];
                    if !idx.is_empty() && idx.bytes().all(|c| c.is_ascii_digit()) {
                        let mut v = Vec::new();
                        if open > 0 {
                            v.push(s[..open].to_string());
                        }
                        v.push(idx.to_string());
                        return v;
                    }
                }
            }
            vec![s]
        })
        .collect();
    let Some(f) = crate::path::lookup(n, &parts)? else {
        return Err(format!("no field named '{path}'"));
    };
    match f.kind() {
        Kind::Map | Kind::Seq => Ok(VarValue::Other),
        Kind::Scalar => {
            let v = f.value();
            Ok(match f.tag {
                Tag::Str => VarValue::Str(v.to_string()),
                Tag::Int => VarValue::Int(
                    v.parse::<i64>()
                        .map_err(|_| format!("strconv.Atoi: parsing \"{v}\": invalid syntax"))?,
                ),
                Tag::Float => {
                    VarValue::Float(crate::yaml::resolve::go_parse_float(v).ok_or_else(|| {
                        format!("strconv.ParseFloat: parsing \"{v}\": invalid syntax")
                    })?)
                }
                Tag::Bool => VarValue::Bool(match v {
                    "1" | "t" | "T" | "TRUE" | "true" | "True" => true,
                    "0" | "f" | "F" | "FALSE" | "false" | "False" => false,
                    _ => {
                        return Err(format!(
                            "strconv.ParseBool: parsing \"{v}\": invalid syntax"
                        ))
                    }
                }),
                _ => VarValue::Str(v.to_string()),
            })
        }
    }
}

enum Replaced {
    Exact(VarValue),
    Text(String),
}

/// `DoReplacements`.
fn do_replacements(
    input: &str,
    vars: &BTreeMap<String, VarValue>,
    used: &mut Vec<String>,
) -> Replaced {
    let b = input.as_bytes();
    let mut buf = String::new();
    let mut checkpoint = 0;
    let mut cursor = 0;
    while cursor < b.len() {
        if b[cursor] == b'$' && cursor + 1 < b.len() {
            buf.push_str(&input[checkpoint..cursor]);
            let rest = &input[cursor + 1..];
            let rb = rest.as_bytes();
            let (read, is_var, advance) = match rb[0] {
                b'$' => ("$".to_string(), false, 1),
                b'(' => match rest[1..].find(')') {
                    Some(j) => (rest[1..1 + j].to_string(), true, j + 2),
                    None => ("$(".to_string(), false, 1),
                },
                _ => {
                    let ch = rest.chars().next().unwrap_or(' ');
                    (format!("${ch}"), false, ch.len_utf8())
                }
            };
            if is_var {
                let mapped = match vars.get(&read) {
                    Some(v) if *v != VarValue::Other => {
                        used.push(read.clone());
                        Some(v.clone())
                    }
                    _ => None,
                };
                if input == format!("$({read})") {
                    return match mapped {
                        Some(v) => Replaced::Exact(v),
                        None => Replaced::Text(input.to_string()),
                    };
                }
                match mapped {
                    Some(v) => buf.push_str(&v.go_v()),
                    None => buf.push_str(&format!("$({read})")),
                }
            } else {
                buf.push_str(&read);
            }
            cursor += advance;
            checkpoint = cursor + 1;
        }
        cursor += 1;
    }
    if checkpoint <= input.len() {
        buf.push_str(&input[checkpoint.min(input.len())..]);
    }
    Replaced::Text(buf)
}

/// `updateNodeValue`.
fn update_node(n: &mut Node, r: Replaced) {
    let (tag, text) = match r {
        Replaced::Exact(VarValue::Int(i)) => (Tag::Int, i.to_string()),
        Replaced::Exact(VarValue::Bool(b)) => (Tag::Bool, b.to_string()),
        Replaced::Exact(VarValue::Float(f)) => (Tag::Float, crate::yaml::value::go_format_f(f)),
        Replaced::Exact(VarValue::Str(s)) | Replaced::Text(s) => (Tag::Str, s),
        Replaced::Exact(VarValue::Other) => (Tag::Str, String::new()),
    };
    n.style = Style::Plain;
    n.tag = tag;
    n.data = Data::Scalar(text);
}

fn set(
    n: &mut Node,
    vars: &BTreeMap<String, VarValue>,
    used: &mut Vec<String>,
) -> std::result::Result<(), String> {
    if n.is_null() {
        return Ok(());
    }
    match &mut n.data {
        Data::Scalar(s) => {
            if !matches!(n.tag, Tag::None | Tag::Str) {
                return Ok(());
            }
            let r = do_replacements(&s.clone(), vars, used);
            update_node(n, r);
            Ok(())
        }
        Data::Map(pairs) => {
            for p in pairs.iter_mut() {
                if !p.key.is_string_value() {
                    return Err(format!(
                        "invalid map key: value='{}', tag='{}'",
                        p.key.value(),
                        p.key.tag.as_str()
                    ));
                }
                if !p.value.is_string_value() {
                    continue;
                }
                let r = do_replacements(p.value.value(), vars, used);
                update_node(&mut p.value, r);
            }
            Ok(())
        }
        Data::Seq(items) => {
            for it in items.iter_mut() {
                if !it.is_string_value() {
                    return Err("invalid value type expect a string".into());
                }
                let r = do_replacements(it.value(), vars, used);
                update_node(it, r);
            }
            Ok(())
        }
    }
}

/// `ResAccumulator.ResolveVars`.
pub fn resolve_vars(b: &mut Build, ra: &mut Accumulator) -> Result<()> {
    if ra.vars.is_empty() {
        return Ok(());
    }
    let mut values: BTreeMap<String, VarValue> = BTreeMap::new();
    for (name, v) in &ra.vars {
        let mut found = None;
        for r in ra.resmap.list() {
            if r.ref_var_names.iter().any(|n| n == name) {
                let val = field_value(&r.node, &v.field_path).map_err(|_| {
                    Error::new(format!(
                        "field specified in var '{}' not found in corresponding resource",
                        var_v(v)
                    ))
                })?;
                found = Some(val);
                break;
            }
        }
        match found {
            Some(val) => {
                values.insert(name.clone(), val);
            }
            None => {
                return Err(Error::new(format!(
                    "var '{}' cannot be mapped to a field in the set of known resources",
                    var_v(v)
                )))
            }
        }
    }
    let specs = ra.tconfig.var_reference.clone();
    let mut used: Vec<String> = Vec::new();
    let none = Tag::None;
    for r in ra.resmap.list_mut().iter_mut() {
        for fs in &specs {
            b.charge(1)?;
            let mut f = |n: &mut Node| set(n, &values, &mut used);
            fieldspec::apply(
                &mut r.node,
                fs,
                Create {
                    kind: None,
                    tag: &none,
                },
                &mut f,
            )
            .map_err(Error::new)?;
        }
    }
    let unused: Vec<&String> = values.keys().filter(|k| !used.contains(k)).collect();
    if !unused.is_empty() {
        let names: Vec<&str> = unused.iter().map(|s| s.as_str()).collect();
        b.warnings.push(format!(
            "well-defined vars that were never replaced: {}",
            names.join(",")
        ));
    }
    Ok(())
}
