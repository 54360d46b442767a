//! Where a `.Values` key of a rendered chart was set: the chart's `values.yaml` (or a parent
//! chart's, for a subchart), a value file of the Application, its inline values, or one of its
//! Helm parameters.
//!
//! The render itself reads values with Helm's semantics ([`crate::values`]); this module
//! only reads the same inputs again with the located YAML loader ([`driftlens_yaml`]) to find
//! the line of a key, so positions never change what a chart renders. The input that set a key
//! is the one of highest precedence that holds it with a non-null value: parameters, then
//! inline values, then value files (last first), then chart defaults (the parent chart's before
//! the subchart's own).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use driftlens_yaml::{parse_stream, Location, Node, NodeValue, Span};

/// One user-supplied values input of a render, as written in the checkout.
#[derive(Debug, Clone)]
pub enum ValuesInput {
    /// A Helm parameter (`--set`-style) of the Application: its name and where it is written.
    Parameter {
        /// The key it sets (`image.tag`, `a.b[0]`).
        name: String,
        /// The parameter entry in the Application.
        location: Location,
    },
    /// The Application's inline values (`valuesObject` or `values`).
    Inline {
        /// The values: a mapping located in the Application's file (`valuesObject`), or the
        /// text of `values`, whose keys are located at `location`.
        values: InlineValues,
        /// The `values`/`valuesObject` field of the Application.
        location: Location,
    },
    /// A value file (`valueFiles`), by absolute path.
    File(PathBuf),
}

/// Inline values of an Application.
#[derive(Debug, Clone)]
pub enum InlineValues {
    /// `valuesObject`: the node in the Application's file, and that file's path.
    Object(Node, String),
    /// `values`: YAML text inside a string.
    Text(String),
}

/// The values inputs of one render, for [`ValuesResolver::resolve`].
#[derive(Debug, Clone, Default)]
pub struct ValuesInputs {
    /// User inputs, highest precedence first.
    pub user: Vec<ValuesInput>,
    /// The Application the chart was rendered for (for messages).
    pub app: Option<String>,
}

/// Where a values key was set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValuesOrigin {
    /// The place.
    pub location: Location,
    /// What kind of input it is, as the end of a sentence ("in the chart's default values",
    /// "by a Helm parameter of Application `x`").
    pub what: String,
}

/// The span of the key (or list item) at `path` (`a.b`, `ports[0].port`, keys with dots
/// matched whole) below `node`, when it holds a non-null value.
pub fn find_key(node: &Node, path: &str) -> Option<Span> {
    find(node, path, 0)
}

fn find(node: &Node, rest: &str, depth: usize) -> Option<Span> {
    if depth > 200 {
        return None;
    }
    match &node.value {
        NodeValue::Map(entries) => {
            for e in entries.iter().rev() {
                let Some(after) = rest.strip_prefix(e.key.as_str()) else {
                    continue;
                };
                if after.is_empty() {
                    if matches!(e.value.value, NodeValue::Null) {
                        continue;
                    }
                    return Some(e.key_span);
                }
                let next = if let Some(a) = after.strip_prefix('.') {
                    a
                } else if after.starts_with('[') {
                    after
                } else {
                    continue;
                };
                if let Some(s) = find(&e.value, next, depth + 1) {
                    return Some(s);
                }
            }
            None
        }
        NodeValue::Seq(items) => {
            let r = rest.strip_prefix('[')?;
            let close = r.find(']')?;
            let i: usize = r[..close].parse().ok()?;
            let item = items.get(i)?;
            let after = &r[close + 1..];
            if after.is_empty() {
                return (!matches!(item.value, NodeValue::Null)).then_some(item.span);
            }
            find(item, after.strip_prefix('.').unwrap_or(after), depth + 1)
        }
        _ => None,
    }
}

/// Whether a `--set`-style key (`a.b`, `a\.b`, `list[0]`) sets `path` or a parent of it.
fn param_sets(name: &str, path: &str) -> bool {
    let name = name.replace("\\.", ".");
    let name = name.trim();
    path == name
        || path
            .strip_prefix(name)
            .is_some_and(|r| r.starts_with('.') || r.starts_with('['))
}

/// The subchart names a template belongs to, outermost first (`c/charts/db/templates/x.yaml`
/// → `["db"]`), from its parse name.
fn subchart_chain(template: &str) -> Vec<String> {
    let chart_part = template.split("/templates/").next().unwrap_or("");
    chart_part
        .split("/charts/")
        .skip(1)
        .map(str::to_string)
        .collect()
}

/// `path` with `.` and `..` components resolved lexically (value files are named relative to
/// the chart: `../../envs/prod.yaml`).
pub fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                let can_pop = matches!(out.components().next_back(), Some(Component::Normal(_)));
                if can_pop {
                    out.pop();
                } else if !matches!(
                    out.components().next_back(),
                    Some(Component::RootDir | Component::Prefix(_))
                ) {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Resolves values keys to the places that set them, reading each values file once.
pub struct ValuesResolver<'a> {
    root: &'a Path,
    /// Reads a values or `Chart.yaml` file; `None` when it cannot be read.
    read: ReadText,
    /// `root`, normalized.
    norm_root: PathBuf,
    files: HashMap<PathBuf, Option<Node>>,
    texts: HashMap<String, Option<Node>>,
    /// Repo-relative paths of files, `None` outside the checkout.
    paths: HashMap<PathBuf, Option<String>>,
}

/// How a [`ValuesResolver`] reads a file: the caller's own bounded reader, so the file-size
/// budget stays the caller's.
pub type ReadText = fn(&Path) -> Option<String>;

impl<'a> ValuesResolver<'a> {
    /// A resolver for a checkout rooted at `root` that reads files with `read`.
    pub fn new(root: &'a Path, read: ReadText) -> Self {
        ValuesResolver {
            root,
            read,
            norm_root: normalize(root),
            files: HashMap::new(),
            texts: HashMap::new(),
            paths: HashMap::new(),
        }
    }

    fn file(&mut self, abs: &Path) -> Option<&Node> {
        if !self.files.contains_key(abs) {
            let node = (self.read)(abs).and_then(|text| {
                let (docs, _) = parse_stream(&text);
                docs.into_iter().next().and_then(|d| d.root)
            });
            self.files.insert(abs.to_path_buf(), node);
        }
        self.files.get(abs).and_then(Option::as_ref)
    }

    fn text(&mut self, text: &str) -> Option<&Node> {
        if !self.texts.contains_key(text) {
            let (docs, _) = parse_stream(text);
            let node = docs.into_iter().next().and_then(|d| d.root);
            self.texts.insert(text.to_string(), node);
        }
        self.texts.get(text).and_then(Option::as_ref)
    }

    /// The `name` in the `Chart.yaml` of the chart at `dir`.
    fn chart_name(&mut self, dir: &Path) -> Option<String> {
        self.file(&dir.join("Chart.yaml"))?
            .get("name")?
            .as_str()
            .map(str::to_string)
    }

    /// The directory of the subchart that a chart at `parent` renders as `name`: the name of a
    /// dependency or its `alias`. Subcharts live in `charts/` under any directory name, so a
    /// dependency is found by the `name` in its `Chart.yaml` (as Helm loads them); aliases are
    /// read from the parent's `Chart.yaml` (or `requirements.yaml`).
    fn subchart_dir(&mut self, parent: &Path, name: &str) -> Option<PathBuf> {
        let mut chart = name.to_string();
        for deps_file in ["Chart.yaml", "requirements.yaml"] {
            let aliased = self
                .file(&parent.join(deps_file))
                .and_then(|n| n.get("dependencies"))
                .and_then(Node::items)
                .and_then(|deps| {
                    deps.iter().find_map(|d| {
                        (d.get("alias")?.as_str()? == name)
                            .then(|| d.get("name")?.as_str().map(str::to_string))?
                    })
                });
            if let Some(a) = aliased {
                chart = a;
                break;
            }
        }
        let charts = parent.join("charts");
        let same = charts.join(&chart);
        if self.chart_name(&same).as_deref() == Some(chart.as_str()) {
            return Some(same);
        }
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(&charts)
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        dirs.into_iter()
            .find(|d| self.chart_name(d).as_deref() == Some(chart.as_str()))
    }

    /// The repo-relative path of a file inside the checkout.
    fn in_checkout(&mut self, abs: &Path) -> Option<String> {
        if let Some(p) = self.paths.get(abs) {
            return p.clone();
        }
        let norm = normalize(abs);
        let rel = norm.strip_prefix(&self.norm_root).ok().map(|rel| {
            let s = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            if s.is_empty() {
                ".".to_string()
            } else {
                s
            }
        });
        self.paths.insert(abs.to_path_buf(), rel.clone());
        rel
    }

    /// Where the key `values_path` read by `template` (a parse name such as
    /// `chart/templates/x.yaml`) was set, for a chart at `chart_dir` (repo-relative) rendered
    /// with `inputs`.
    pub fn resolve(
        &mut self,
        chart_dir: &str,
        template: &str,
        values_path: &str,
        inputs: &ValuesInputs,
    ) -> Option<ValuesOrigin> {
        let subs = subchart_chain(template);
        let global = values_path == "global" || values_path.starts_with("global.");
        // The key as the root chart's values see it.
        let at_level = |level: usize| -> String {
            if global {
                return values_path.to_string();
            }
            let mut p = subs[level..].join(".");
            if !p.is_empty() {
                p.push('.');
            }
            p.push_str(values_path);
            p
        };
        let root_path = at_level(0);
        let app = inputs.app.as_deref().unwrap_or("");
        for input in &inputs.user {
            match input {
                ValuesInput::Parameter { name, location } if param_sets(name, &root_path) => {
                    return Some(ValuesOrigin {
                        location: location.clone(),
                        what: format!("by a Helm parameter of Application `{app}`"),
                    });
                }
                ValuesInput::Parameter { .. } => {}
                ValuesInput::Inline { values, location } => {
                    let found = match values {
                        InlineValues::Object(node, path) => {
                            find_key(node, &root_path).map(|s| Location::new(path, s))
                        }
                        InlineValues::Text(t) => self
                            .text(t)
                            .and_then(|n| find_key(n, &root_path))
                            .map(|_| location.clone()),
                    };
                    if let Some(location) = found {
                        return Some(ValuesOrigin {
                            location,
                            what: format!("in the inline Helm values of Application `{app}`"),
                        });
                    }
                }
                ValuesInput::File(abs) => {
                    let Some(path) = self.in_checkout(abs) else {
                        continue;
                    };
                    if let Some(span) = self.file(abs).and_then(|n| find_key(n, &root_path)) {
                        return Some(ValuesOrigin {
                            location: Location::new(&path, span),
                            what: format!("in a value file of Application `{app}`"),
                        });
                    }
                }
            }
        }
        // Chart defaults: the root chart's values.yaml, then each subchart's own.
        let mut dir = if chart_dir == "." {
            self.root.to_path_buf()
        } else {
            self.root.join(chart_dir)
        };
        for level in 0..=subs.len() {
            if level > 0 {
                // A subchart packed as `.tgz` has no values file in the checkout to point at.
                let Some(sub) = self.subchart_dir(&dir, &subs[level - 1]) else {
                    break;
                };
                dir = sub;
            }
            let abs = dir.join("values.yaml");
            let Some(path) = self.in_checkout(&abs) else {
                continue;
            };
            let key = at_level(level);
            if let Some(span) = self.file(&abs).and_then(|n| find_key(n, &key)) {
                return Some(ValuesOrigin {
                    location: Location::new(&path, span),
                    what: "in the chart's default values".to_string(),
                });
            }
            if global {
                continue;
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, path: &str, text: &str) {
        let f = root.join(path);
        std::fs::create_dir_all(f.parent().expect("parent")).expect("mkdir");
        std::fs::write(f, text).expect("write");
    }

    fn root(text: &str) -> Node {
        parse_stream(text)
            .0
            .into_iter()
            .next()
            .and_then(|d| d.root)
            .unwrap_or(Node {
                span: Span::default(),
                value: NodeValue::Null,
            })
    }

    #[test]
    fn keys_lists_and_dotted_keys_are_found() {
        let n = root("a:\n  b: 1\nports:\n- port: 80\nann:\n  x.io/y: z\nnul: null\n");
        let line = |p: &str| find_key(&n, p).map(|s| s.start.line);
        assert_eq!(line("a.b"), Some(2));
        assert_eq!(line("a"), Some(1));
        assert_eq!(line("ports[0].port"), Some(4));
        assert_eq!(line("ports[0]"), Some(4));
        assert_eq!(line("ann.x.io/y"), Some(6));
        assert_eq!(line("nul"), None);
        assert_eq!(line("a.c"), None);
        assert_eq!(line("ports[3]"), None);
    }

    #[test]
    fn paths_are_normalized_lexically() {
        let n = |p: &str| normalize(Path::new(p)).display().to_string();
        assert_eq!(n("r/charts/x/../../envs/v.yaml"), "r/envs/v.yaml");
        assert_eq!(n("./r/./a"), "r/a");
        assert_eq!(n("../../a/.."), "../..");
        assert_eq!(n("/../a"), "/a");
    }

    #[test]
    fn user_inputs_win_over_parent_defaults_over_subchart_defaults() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let w = |p: &str, t: &str| write(root, p, t);
        w("c/values.yaml", "db:\n  port: 1\nglobal:\n  region: eu\n");
        w("c/charts/db/Chart.yaml", "name: db\nversion: 1.0.0\n");
        w("c/charts/db/values.yaml", "port: 2\nuser: app\n");
        w("envs/prod.yaml", "db:\n  user: prod\n");
        let inputs = ValuesInputs {
            user: vec![ValuesInput::File(root.join("c/../envs/prod.yaml"))],
            app: Some("a".into()),
        };
        let mut r = ValuesResolver::new(root, |p| std::fs::read_to_string(p).ok());
        let at = |r: &mut ValuesResolver, vp: &str| {
            r.resolve("c", "c/charts/db/templates/x.yaml", vp, &inputs)
                .map(|o| format!("{}:{}", o.location.path, o.location.line))
        };
        assert_eq!(at(&mut r, "port").as_deref(), Some("c/values.yaml:2"));
        assert_eq!(at(&mut r, "user").as_deref(), Some("envs/prod.yaml:2"));
        assert_eq!(
            at(&mut r, "global.region").as_deref(),
            Some("c/values.yaml:4")
        );
        assert_eq!(at(&mut r, "nope"), None);
        w("c/charts/db/values.yaml", "port: 2\nonly: here\n");
        let mut r = ValuesResolver::new(root, |p| std::fs::read_to_string(p).ok());
        assert_eq!(
            at(&mut r, "only").as_deref(),
            Some("c/charts/db/values.yaml:2")
        );
    }

    #[test]
    fn aliased_subcharts_and_directories_named_otherwise_are_found() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let w = |p: &str, t: &str| write(root, p, t);
        w(
            "c/Chart.yaml",
            "apiVersion: v2\nname: c\nversion: 1.0.0\ndependencies:\n- name: worker\n  \
             version: 1.x\n  alias: mailer\n- name: cache\n  version: 2.x\n",
        );
        w("c/values.yaml", "mailer:\n  replicas: 3\n");
        w(
            "c/charts/worker/Chart.yaml",
            "name: worker\nversion: 1.2.0\n",
        );
        w(
            "c/charts/worker/values.yaml",
            "image: worker:1\nreplicas: 1\n",
        );
        // The directory carries the version; the chart is found by its name.
        w(
            "c/charts/cache-2.0.1/Chart.yaml",
            "name: cache\nversion: 2.0.1\n",
        );
        w("c/charts/cache-2.0.1/values.yaml", "\nsize: 1Gi\n");
        let inputs = ValuesInputs::default();
        let mut r = ValuesResolver::new(root, |p| std::fs::read_to_string(p).ok());
        let mut at = |template: &str, vp: &str| {
            r.resolve("c", template, vp, &inputs)
                .map(|o| format!("{}:{}", o.location.path, o.location.line))
        };
        let mailer = "c/charts/mailer/templates/deploy.yaml";
        assert_eq!(
            at(mailer, "image").as_deref(),
            Some("c/charts/worker/values.yaml:1")
        );
        assert_eq!(at(mailer, "replicas").as_deref(), Some("c/values.yaml:2"));
        assert_eq!(
            at("c/charts/cache/templates/x.yaml", "size").as_deref(),
            Some("c/charts/cache-2.0.1/values.yaml:2")
        );
        assert_eq!(at("c/charts/missing/templates/x.yaml", "size"), None);
    }

    #[test]
    fn parameters_and_subcharts() {
        assert!(param_sets("image.tag", "image.tag"));
        assert!(param_sets("list[0]", "list[0].x"));
        assert!(!param_sets("image", "imageTag"));
        assert_eq!(subchart_chain("c/templates/x.yaml"), Vec::<String>::new());
        assert_eq!(
            subchart_chain("c/charts/db/charts/x/templates/a/b.yaml"),
            vec!["db".to_string(), "x".to_string()]
        );
    }
}
