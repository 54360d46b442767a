//! The git generator: directories (Go `path.Match` over every directory of the repository)
//! and files (JSON/YAML files selected like `git ls-files`, or with doublestar globs when the
//! controller's new globbing is on).

use std::collections::{BTreeMap, BTreeSet};

use driftlens_gotmpl::value::Map;
use driftlens_gotmpl::Value;
use serde_json::Value as J;

use super::{append_values, str_field, values_of};
use crate::glob;
use crate::names::normalize;
use crate::params::{format_v, Origin, ParamSet};
use crate::{Cx, Failure, NotExpanded, RepoError, Repository};

/// Go's `path.Dir` for a clean relative path.
fn dir(p: &str) -> &str {
    match p.rfind('/') {
        Some(i) => &p[..i],
        None => ".",
    }
}

/// Go's `path.Base`.
fn base(p: &str) -> &str {
    let p = p.trim_end_matches('/');
    if p.is_empty() {
        return "/";
    }
    match p.rfind('/') {
        Some(i) => &p[i + 1..],
        None => p,
    }
}

/// Every directory of a repository with files, as the repo server's `filepath.WalkDir`
/// lists them: relative, in lexical pre-order, without the root and (unless
/// `include_hidden`) without directories whose name starts with `.` and what is under them.
pub fn directories(files: &[String], include_hidden: bool) -> Vec<String> {
    let mut set: BTreeSet<Vec<&str>> = BTreeSet::new();
    for f in files {
        let parts: Vec<&str> = f.split('/').collect();
        for n in 1..parts.len() {
            let d = &parts[..n];
            if !include_hidden && d.iter().any(|s| s.starts_with('.')) {
                break;
            }
            set.insert(d.to_vec());
        }
    }
    // Component-wise order is the walk's pre-order (`a`, `a/b`, `a-c`).
    set.into_iter().map(|d| d.join("/")).collect()
}

fn repository<'a>(
    gen: &J,
    pointer: &str,
    cx: &'a Cx,
    directories: bool,
) -> Result<&'a dyn Repository, Failure> {
    let url = str_field(gen, "repoURL");
    let revision = str_field(gen, "revision");
    cx.inputs.repository(url, revision).map_err(|e| match e {
        RepoError::Unavailable(reason) => Failure::NotExpanded(NotExpanded {
            pointer: pointer.to_string(),
            kind: "git".into(),
            reason,
        }),
        RepoError::Failed(msg) if directories => cx.error(
            pointer,
            format!("error generating params from git: error getting directories from repo: {msg}"),
        ),
        RepoError::Failed(msg) => {
            cx.error(pointer, format!("error generating params from git: {msg}"))
        }
    })
}

/// The git generator's parameter sets.
pub fn generate(gen: &J, pointer: &str, cx: &Cx) -> Result<Vec<ParamSet>, Failure> {
    let items = |key: &str| -> Vec<(String, bool)> {
        match gen.get(key) {
            Some(J::Array(a)) => a
                .iter()
                .map(|i| {
                    (
                        str_field(i, "path").to_string(),
                        i.get("exclude").and_then(J::as_bool).unwrap_or(false),
                    )
                })
                .collect(),
            _ => Vec::new(),
        }
    };
    let directories = items("directories");
    let files = items("files");
    if directories.is_empty() && files.is_empty() {
        return Err(cx.error(
            pointer,
            "error generating params from git: ApplicationSet is empty".into(),
        ));
    }
    // A literal project must exist (the controller reads its source integrity settings).
    let project = &cx.template_project;
    if !project.contains("{{") && cx.inputs.project_exists(project) == Some(false) {
        return Err(cx.error(
            pointer,
            format!(
                "error generating params from git: error getting project {project}: appprojects.argoproj.io {} not found",
                driftlens_gotmpl::fmt::go_quote(project)
            ),
        ));
    }
    let repo = repository(gen, pointer, cx, !directories.is_empty())?;
    let r = if !directories.is_empty() {
        from_directories(gen, pointer, cx, repo, &directories)
    } else {
        from_files(gen, pointer, cx, repo, &files)
    };
    r.map_err(|f| match f {
        Failure::Error(mut e) if !e.limit => {
            e.message = format!("error generating params from git: {}", e.message);
            Failure::Error(e)
        }
        other => other,
    })
}

fn path_params(a: &str, prefix: &str, go: bool, p: &mut Map) {
    if go {
        let mut path = Map::new();
        path.insert("path".into(), Value::from(a));
        path.insert("basename".into(), Value::from(base(a)));
        path.insert("basenameNormalized".into(), Value::from(normalize(base(a))));
        path.insert(
            "segments".into(),
            Value::list(a.split('/').map(Value::from).collect()),
        );
        insert_path(p, prefix, path);
    } else {
        let name = flat_name(prefix);
        p.insert(name.clone(), Value::from(a));
        p.insert(format!("{name}.basename"), Value::from(base(a)));
        p.insert(
            format!("{name}.basenameNormalized"),
            Value::from(normalize(base(a))),
        );
        for (k, v) in a.split('/').enumerate() {
            if !v.is_empty() {
                p.insert(format!("{name}[{k}]"), Value::from(v));
            }
        }
    }
}

fn flat_name(prefix: &str) -> String {
    if prefix.is_empty() {
        "path".into()
    } else {
        format!("{prefix}.path")
    }
}

fn insert_path(p: &mut Map, prefix: &str, path: Map) {
    if prefix.is_empty() {
        p.insert("path".into(), Value::map(path));
    } else {
        let mut wrapper = Map::new();
        wrapper.insert("path".into(), Value::map(path));
        p.insert(prefix.to_string(), Value::map(wrapper));
    }
}

fn from_directories(
    gen: &J,
    pointer: &str,
    cx: &Cx,
    repo: &dyn Repository,
    items: &[(String, bool)],
) -> Result<Vec<ParamSet>, Failure> {
    let all = repo.directories(cx.opts.include_hidden_directories);
    let url = str_field(gen, "repoURL");
    let prefix = str_field(gen, "pathParamPrefix");
    let values = values_of(gen);
    let go = cx.render.go();
    let mut out = Vec::new();
    for d in &all {
        let mut include = false;
        let mut exclude = false;
        for (pattern, ex) in items {
            // A malformed pattern is logged and skipped by the controller.
            if let Ok(true) = glob::path_match(pattern, d) {
                if *ex {
                    exclude = true;
                } else {
                    include = true;
                }
            }
        }
        if !include || exclude {
            continue;
        }
        cx.count(pointer, 1)?;
        let mut p = Map::new();
        path_params(d, prefix, go, &mut p);
        append_values(&values, &mut p, &cx.render).map_err(|e| {
            cx.error(
                pointer,
                format!(
                    "error generating params from apps: failed to append templated values: {e}"
                ),
            )
        })?;
        let set = ParamSet::new(
            p,
            Origin::Directory {
                repo_url: url.to_string(),
                path: d.clone(),
            },
        );
        cx.charge(pointer, set.size())?;
        out.push(set);
    }
    Ok(out)
}

/// The files of `repo` a git files generator's pattern selects.
pub fn matching_files<R: Repository + ?Sized>(
    repo: &R,
    pattern: &str,
    new_globbing: bool,
) -> Result<Vec<String>, String> {
    if new_globbing {
        let mut out: Vec<String> = repo
            .files()
            .iter()
            .filter(|f| glob::doublestar_match(pattern, f))
            .cloned()
            .collect();
        // doublestar also returns directories, which the repo server then fails to read.
        if let Some(d) = directories(repo.files(), true)
            .into_iter()
            .find(|d| glob::doublestar_match(pattern, d))
        {
            return Err(format!("unable to read files: read {d}: is a directory"));
        }
        out.sort();
        Ok(out)
    } else {
        Ok(repo
            .files()
            .iter()
            .filter(|f| glob::pathspec_match(pattern, f))
            .cloned()
            .collect())
    }
}

fn from_files(
    gen: &J,
    pointer: &str,
    cx: &Cx,
    repo: &dyn Repository,
    items: &[(String, bool)],
) -> Result<Vec<ParamSet>, Failure> {
    let url = str_field(gen, "repoURL");
    let mut selected: BTreeSet<String> = BTreeSet::new();
    for (pattern, _) in items.iter().filter(|(_, ex)| !ex) {
        let files = repo
            .matching_files(pattern, cx.opts.new_git_file_globbing)
            .map_err(|e| cx.error(pointer, e))?;
        selected.extend(files);
        if selected.len() > cx.opts.limits.files {
            return Err(cx.limit(
                pointer,
                format!(
                    "the git files generator selects more than {} files of {url}; narrow its `files` patterns",
                    cx.opts.limits.files
                ),
            ));
        }
    }
    for (pattern, _) in items.iter().filter(|(_, ex)| *ex) {
        let files = repo
            .matching_files(pattern, cx.opts.new_git_file_globbing)
            .map_err(|e| cx.error(pointer, e))?;
        for f in files {
            selected.remove(&f);
        }
    }
    let prefix = str_field(gen, "pathParamPrefix");
    let values = values_of(gen);
    let go = cx.render.go();
    let mut out = Vec::new();
    for file in &selected {
        cx.check_time(pointer)?;
        let bytes = repo.read(file).map_err(|e| cx.error(pointer, e))?;
        cx.charge(pointer, bytes.len())?;
        let objects = parse_file(&bytes).map_err(|e| {
            cx.error(
                pointer,
                format!("unable to process file '{file}' from repository '{url}': unable to parse file: {e}"),
            )
        })?;
        for object in objects {
            cx.count(pointer, 1)?;
            let mut p = Map::new();
            if go {
                p.extend(object);
                let d = dir(file);
                let mut path = Map::new();
                path.insert("path".into(), Value::from(d));
                path.insert("basename".into(), Value::from(base(d)));
                path.insert("filename".into(), Value::from(base(file)));
                path.insert("basenameNormalized".into(), Value::from(normalize(base(d))));
                path.insert(
                    "filenameNormalized".into(),
                    Value::from(normalize(base(file))),
                );
                path.insert(
                    "segments".into(),
                    Value::list(d.split('/').map(Value::from).collect()),
                );
                insert_path(&mut p, prefix, path);
            } else {
                let mut flat = BTreeMap::new();
                flatten_object(&mut flat, &object, "", 0);
                for (k, v) in flat {
                    p.insert(k, Value::from(v));
                }
                let name = flat_name(prefix);
                let d = dir(file);
                p.insert(name.clone(), Value::from(d));
                p.insert(format!("{name}.basename"), Value::from(base(d)));
                p.insert(format!("{name}.filename"), Value::from(base(file)));
                p.insert(
                    format!("{name}.basenameNormalized"),
                    Value::from(normalize(base(d))),
                );
                p.insert(
                    format!("{name}.filenameNormalized"),
                    Value::from(normalize(base(file))),
                );
                for (k, v) in d.split('/').enumerate() {
                    if !v.is_empty() {
                        p.insert(format!("{name}[{k}]"), Value::from(v));
                    }
                }
            }
            append_values(&values, &mut p, &cx.render).map_err(|e| {
                cx.error(
                    pointer,
                    format!(
                        "unable to process file '{file}' from repository '{url}': failed to append templated values: {e}"
                    ),
                )
            })?;
            let set = ParamSet::new(
                p,
                Origin::File {
                    repo_url: url.to_string(),
                    path: file.clone(),
                },
            );
            cx.charge(pointer, set.size())?;
            out.push(set);
        }
    }
    Ok(out)
}

/// jeremywohl/flatten (DotStyle) of a file's object: nested keys dotted, list items by index,
/// leaves printed with `%v`.
fn flatten_object(out: &mut BTreeMap<String, String>, m: &Map, prefix: &str, depth: usize) {
    for (k, v) in m {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        flatten_leaf(out, v, key, depth);
    }
}

fn flatten_leaf(out: &mut BTreeMap<String, String>, v: &Value, key: String, depth: usize) {
    if depth > 100 {
        return;
    }
    match v {
        Value::Map(inner) => flatten_object(out, &inner.borrow(), &key, depth + 1),
        Value::List(items) => {
            for (i, e) in items.iter().enumerate() {
                flatten_leaf(out, e, format!("{key}.{i}"), depth + 1);
            }
        }
        other => {
            out.insert(key, format_v(other));
        }
    }
}

/// A parameter file: one object (an empty file is one empty object) or a list of objects.
pub fn parse_file(bytes: &[u8]) -> Result<Vec<Map>, String> {
    let text = String::from_utf8_lossy(bytes);
    match driftlens_gotmpl::yaml::load(&text) {
        Ok(Value::Map(m)) => Ok(vec![m.borrow().clone()]),
        Ok(Value::Nil) => Ok(vec![Map::new()]),
        Ok(Value::List(items)) => items
            .iter()
            .map(|i| match i {
                Value::Map(m) => Ok(m.borrow().clone()),
                Value::Nil => Ok(Map::new()),
                other => Err(format!(
                    "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                    crate::params::json_kind(other)
                )),
            })
            .collect(),
        Ok(other) => Err(format!(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type []map[string]interface {{}}",
            crate::params::json_kind(&other)
        )),
        Err(e) => Err(e.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walk_order() {
        let files: Vec<String> = ["a/b/x", "a-c/y", "a/z", ".hidden/q", "b/.keep", "top"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(directories(&files, false), vec!["a", "a/b", "a-c", "b"]);
        assert_eq!(
            directories(&files, true),
            vec![".hidden", "a", "a/b", "a-c", "b"]
        );
    }

    #[test]
    fn go_path_helpers() {
        assert_eq!(dir("f.yaml"), ".");
        assert_eq!(base("."), ".");
        assert_eq!(dir("a/b/c.json"), "a/b");
        assert_eq!(base("a/b"), "b");
    }
}
