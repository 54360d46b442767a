//! Data rules: checks written as YAML (policy as code), evaluated with jq (jaq) and minijinja.
//!
//! A rule file holds one rule per YAML document:
//!
//! ```yaml
//! id: team-label-required            # kebab-case, unique across all rules
//! severity: warning                  # error | warning | note
//! category: reliability              # drift-risk | security | reliability | argocd-config
//! summary: Workloads must carry a team label
//! match:                             # all optional; every given criterion must hold
//!   apiVersion: ["apps/v1"]          # globs on apiVersion as written (string or list)
//!   kind: ["Deployment", "StatefulSet"]
//!   namespaces: ["shop-*"]           # globs on metadata.namespace
//!   labels: {tier: backend}          # metadata.labels that must be present (values are globs)
//!   annotations: {example.com/owner: "*"}   # the same for metadata.annotations
//! condition: '.metadata.labels.team == null'   # jq; fires when an output is `true`
//! message: "{{ kind }} `{{ name }}` has no team label"   # minijinja, strict undefined
//! pointer: /metadata/labels          # where to point (when written); default: the `kind:` line
//! doc: |                             # Markdown shown by `driftlens explain`
//!   # team-label-required
//! ```
//!
//! The jq `condition` runs once per matching object (the object is the input `.`) and sees two
//! variables: `$index`, the repository's objects grouped by kind (`$index.HorizontalPodAutoscaler`
//! is a list of HPA objects, empty kinds are absent), and `$apps`, the Argo CD Application
//! objects whose source path holds the object's file. It is compiled once per rule and runs in
//! the sandboxed [`crate::jq`] engine: each object gets the budget [`Limits::JQ`] (1 s, steps,
//! memory, nesting) and at most [`MAX_OUTPUTS`] outputs are read.
//!
//! The `message` template sees `object` (the whole object), `apiVersion`, `kind`, `name`,
//! `namespace` (empty when unset), `file` and `apps` (names of the deploying Applications);
//! a reference to an undefined value is an error, and rendering is fuel-limited.
//!
//! A rule that cannot be loaded — invalid YAML, a missing or unknown field, jq that does not
//! compile, a template that does not parse — names the rule file and line and makes the scan
//! exit with 2. A condition or template that fails on an object (a jq error, `halt`, a budget
//! that runs out) is a `rule-error` finding at the rule's line instead: the rest of the scan
//! and the rule's results on the other objects are still reported.
//!
//! Built-in data rules live in `rules/<id>.yaml` next to their `rules/<id>.md` document, and are
//! part of the binary. User rules are read from `--rules DIR` and `.driftlens/rules/` at the
//! scan root (`*.yaml` and `*.yml`, sorted by path).

use std::ops::ControlFlow;
use std::path::Path;

use minijinja::value::Serde;
use minijinja::{Environment, UndefinedBehavior};
use rayon::prelude::*;
use serde_json::{json, Value};

use super::context::glob_match;
use super::meta::{RuleMeta, RuleOrigin};
use super::{Context, Finding, Rule};
use crate::config::PolicyError;
use crate::jq::{Jv, Program, RunError};
use crate::limits::Limits;
use crate::load::yaml::{self, Node, NodeValue};
use crate::model::object::meta_str;

/// Outputs of a condition read per object; the rule fires if one of them is `true`.
pub const MAX_OUTPUTS: usize = 1000;
/// Fuel of a message template (minijinja instructions).
pub const TEMPLATE_FUEL: u64 = 50_000;

/// The fields a rule file may have.
const FIELDS: &[&str] = &[
    "id",
    "severity",
    "category",
    "summary",
    "match",
    "condition",
    "message",
    "pointer",
    "doc",
];

/// Which objects a rule looks at.
#[derive(Debug, Clone, Default)]
struct Matcher {
    api_versions: Vec<String>,
    kinds: Vec<String>,
    namespaces: Vec<String>,
    labels: Vec<(String, String)>,
    annotations: Vec<(String, String)>,
}

impl Matcher {
    fn matches(&self, m: &crate::model::object::Manifest) -> bool {
        let any = |globs: &[String], text: &str| {
            globs.is_empty() || globs.iter().any(|g| glob_match(g, text))
        };
        any(&self.api_versions, &m.api_version)
            && any(&self.kinds, &m.key.kind)
            && any(&self.namespaces, &m.key.namespace)
            && self
                .labels
                .iter()
                .all(|(k, v)| meta_entry_matches(&m.obj, "labels", k, v))
            && self
                .annotations
                .iter()
                .all(|(k, v)| meta_entry_matches(&m.obj, "annotations", k, v))
    }
}

/// Whether `metadata.<field>[key]` is set and its value matches the glob `pattern` (a value
/// that is not a string, which the API server would refuse, is matched as its JSON text).
fn meta_entry_matches(obj: &Value, field: &str, key: &str, pattern: &str) -> bool {
    match obj
        .get("metadata")
        .and_then(|m| m.get(field))
        .and_then(|f| f.get(key))
    {
        Some(Value::String(s)) => glob_match(pattern, s),
        Some(other) => glob_match(pattern, &other.to_string()),
        None => false,
    }
}

/// A rule defined by a YAML file.
pub struct DataRule {
    meta: RuleMeta,
    /// The rule file, for errors.
    file: String,
    id_line: u32,
    matcher: Matcher,
    condition: Program,
    condition_line: u32,
    /// The condition reads `$index` / `$apps`: only then are they built (both cost a copy of
    /// the objects they hold).
    uses_index: bool,
    uses_apps: bool,
    env: Environment<'static>,
    message_line: u32,
    pointer: Option<String>,
}

impl std::fmt::Debug for DataRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataRule")
            .field("id", &self.meta.id)
            .field("file", &self.file)
            .finish()
    }
}

fn line_of(n: &Node) -> u32 {
    n.span.start.line.max(1)
}

fn string_list(file: &str, n: &Node, what: &str) -> Result<Vec<String>, PolicyError> {
    let one = |n: &Node| {
        n.as_str().map(str::to_string).ok_or_else(|| {
            PolicyError::at(file, line_of(n), format!("`{what}` takes strings (globs)"))
        })
    };
    match &n.value {
        NodeValue::Seq(items) => items.iter().map(one).collect(),
        _ => Ok(vec![one(n)?]),
    }
}

/// `match.labels` / `match.annotations`: names to value globs (a null value matches any).
fn string_map(
    file: &str,
    n: &Node,
    field: &str,
    what: &str,
) -> Result<Vec<(String, String)>, PolicyError> {
    let entries = n.entries().ok_or_else(|| {
        PolicyError::at(
            file,
            line_of(n),
            format!("`match.{field}` must map {what} names to values (globs)"),
        )
    })?;
    Ok(entries
        .iter()
        .map(|l| {
            let v = match &l.value.value {
                NodeValue::Str(s) => s.clone(),
                NodeValue::Null => "*".to_string(),
                _ => l.value.to_json().to_string(),
            };
            (l.key.clone(), v)
        })
        .collect())
}

fn parse_matcher(file: &str, n: &Node) -> Result<Matcher, PolicyError> {
    let entries = n.entries().ok_or_else(|| {
        PolicyError::at(
            file,
            line_of(n),
            "`match` must be a mapping of apiVersion, kind, namespaces, labels and annotations",
        )
    })?;
    let mut m = Matcher::default();
    for e in entries {
        match e.key.as_str() {
            "apiVersion" => m.api_versions = string_list(file, &e.value, "apiVersion")?,
            "kind" => m.kinds = string_list(file, &e.value, "kind")?,
            "namespaces" => m.namespaces = string_list(file, &e.value, "namespaces")?,
            "labels" => m.labels = string_map(file, &e.value, "labels", "label")?,
            "annotations" => {
                m.annotations = string_map(file, &e.value, "annotations", "annotation")?
            }
            other => {
                return Err(PolicyError::at(
                    file,
                    e.key_span.start.line,
                    format!(
                        "unknown field `{other}` in `match`; allowed: apiVersion, kind, \
                         namespaces, labels, annotations"
                    ),
                ))
            }
        }
    }
    Ok(m)
}

/// The variables data-rule conditions see.
const GLOBALS: &[&str] = &["$index", "$apps"];

/// An object as a jq value (`null` when it is nested too deeply for jq).
pub(super) fn to_val(v: &Value) -> Jv {
    Jv::from_json(v, Limits::JQ.depth).unwrap_or(Jv::Null)
}

impl DataRule {
    /// Parses the rules of one file. `doc_path` is how the rule's documentation is referred to
    /// (the rule file for user rules, `rules/<id>.md` for built-in ones).
    pub fn parse_file(
        file: &str,
        text: &str,
        origin: RuleOrigin,
    ) -> Result<Vec<DataRule>, PolicyError> {
        let (docs, err) = yaml::parse_stream(text);
        if let Some(e) = err {
            return Err(PolicyError::at(file, e.at.line, e.message));
        }
        docs.into_iter()
            .filter_map(|d| d.root)
            .map(|root| DataRule::parse_node(file, &root, origin))
            .collect()
    }

    fn parse_node(file: &str, root: &Node, origin: RuleOrigin) -> Result<DataRule, PolicyError> {
        let entries = root
            .entries()
            .ok_or_else(|| PolicyError::at(file, line_of(root), "a rule must be a YAML mapping"))?;
        for e in entries {
            if !FIELDS.contains(&e.key.as_str()) {
                return Err(PolicyError::at(
                    file,
                    e.key_span.start.line,
                    format!(
                        "unknown field `{}` in a rule; allowed: {}",
                        e.key,
                        FIELDS.join(", ")
                    ),
                ));
            }
        }
        let string = |name: &str| -> Result<(String, u32), PolicyError> {
            match root.entry(name) {
                Some(e) => e
                    .value
                    .as_str()
                    .map(|s| (s.to_string(), line_of(&e.value)))
                    .ok_or_else(|| {
                        PolicyError::at(
                            file,
                            e.key_span.start.line,
                            format!("`{name}` must be a string"),
                        )
                    }),
                None => Err(PolicyError::at(
                    file,
                    line_of(root),
                    format!("the rule needs `{name}`"),
                )),
            }
        };
        let (id, id_line) = string("id")?;
        let valid_id = !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid_id {
            return Err(PolicyError::at(
                file,
                id_line,
                format!("rule id `{id}` must be kebab-case (a-z, 0-9, -)"),
            ));
        }
        let (severity, l) = string("severity")?;
        let severity = severity.parse().map_err(|e| PolicyError::at(file, l, e))?;
        let (category, l) = string("category")?;
        let category = category.parse().map_err(|e| PolicyError::at(file, l, e))?;
        let (summary, _) = string("summary")?;
        let (condition, condition_line) = string("condition")?;
        let (message, message_line) = string("message")?;
        let pointer = match root.get("pointer") {
            Some(n) => {
                let p = n.as_str().unwrap_or("");
                if !p.starts_with('/') {
                    return Err(PolicyError::at(
                        file,
                        line_of(n),
                        "`pointer` must be a JSON pointer such as /spec/replicas",
                    ));
                }
                Some(p.to_string())
            }
            None => None,
        };
        let doc = match root.get("doc") {
            Some(n) => n
                .as_str()
                .ok_or_else(|| PolicyError::at(file, line_of(n), "`doc` must be Markdown text"))?
                .to_string(),
            None => format!("# {id}\n\n{summary}\n"),
        };
        let matcher = match root.get("match") {
            Some(n) => parse_matcher(file, n)?,
            None => Matcher::default(),
        };
        let filter = Program::compile(&condition, GLOBALS).map_err(|e| {
            PolicyError::at(
                file,
                condition_line,
                format!("the jq `condition` does not compile: {e}"),
            )
        })?;
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_fuel(Some(TEMPLATE_FUEL));
        env.add_template_owned("message", message).map_err(|e| {
            PolicyError::at(
                file,
                message_line + e.line().map_or(0, |l| (l as u32).saturating_sub(1)),
                format!(
                    "the `message` template does not parse: {}",
                    e.detail().unwrap_or("syntax error")
                ),
            )
        })?;
        let doc_path = match origin {
            RuleOrigin::Builtin => format!("rules/{id}.md"),
            RuleOrigin::User => file.to_string(),
        };
        Ok(DataRule {
            meta: RuleMeta {
                id,
                category,
                severity,
                summary,
                doc,
                doc_path,
                origin,
            },
            file: file.to_string(),
            id_line,
            matcher,
            condition: filter,
            condition_line,
            uses_index: condition.contains("$index"),
            uses_apps: condition.contains("$apps"),
            env,
            message_line,
            pointer,
        })
    }

    /// Replaces the documentation (built-in rules keep theirs in `rules/<id>.md`).
    pub fn with_doc(mut self, doc: String) -> Self {
        self.meta.doc = doc;
        self
    }

    /// Runs the condition on each input (in parallel), each object under [`Limits::JQ`].
    fn evaluate(&self, inputs: Vec<(Jv, Jv)>, index: Jv) -> Vec<Result<bool, String>> {
        inputs
            .into_par_iter()
            .map(|(obj, apps)| run_condition(&self.condition, &index, obj, apps))
            .collect()
    }

    /// Reports that the rule's `what` (at `line`) failed on `failures` objects, the first
    /// being the manifest `first` (a `rule-error` finding at the rule's line, related to the
    /// object).
    fn report_failure(&self, ctx: &Context<'_>, failure: Failure<'_>, out: &mut Vec<Finding>) {
        let Failure {
            line,
            first,
            failures,
            what,
            error,
        } = failure;
        let Some(meta) = super::builtin::rule_error::meta() else {
            return;
        };
        let m = &ctx.repo.manifests[first];
        let at = m.locate_kind();
        let others = match failures {
            0 | 1 => String::new(),
            n => format!(
                " (and on {} other object{})",
                n - 1,
                if n == 2 { "" } else { "s" }
            ),
        };
        let mut location = crate::model::object::Location::file_start(&self.file);
        location.line = line.max(1);
        location.end_line = location.line;
        out.push(
            Finding::new(
                meta,
                format!(
                    "rule `{}`: the {what} fails on {} `{}` ({}:{}){others}, so the rule did not \
                     check it: {error}",
                    self.meta.id, m.key.kind, m.key.name, at.path, at.line
                ),
                location,
            )
            .with_related(
                at,
                format!("rule `{}` could not check this object", self.meta.id),
            )
            .with_property("failedRule", Value::String(self.meta.id.clone())),
        );
    }
}

/// A part of a rule that failed on objects.
struct Failure<'a> {
    /// The rule line of that part.
    line: u32,
    /// The manifest it failed on first.
    first: usize,
    /// On how many objects it failed.
    failures: usize,
    /// `jq `condition`` or `` `message` template ``.
    what: &'a str,
    /// Why.
    error: &'a str,
}

/// Whether the condition yields `true` for one object.
fn run_condition(program: &Program, index: &Jv, obj: Jv, apps: Jv) -> Result<bool, String> {
    let mut fired = false;
    let mut outputs = 0usize;
    let r = program.run(obj, vec![index.clone(), apps], Limits::JQ, |out| {
        outputs += 1;
        if matches!(out, Jv::Bool(true)) {
            fired = true;
            return ControlFlow::Break(());
        }
        if outputs >= MAX_OUTPUTS {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    match r {
        Ok(()) => Ok(fired),
        Err(RunError::Exceeded(e)) => Err(format!(
            "it exceeded its budget ({e}); simplify it (avoid unbounded `repeat`, `range` or \
             `recurse`)"
        )),
        Err(e) => Err(e.to_string()),
    }
}

/// Builds `$index`: the repository's objects grouped by kind.
fn index_of(ctx: &Context<'_>) -> Jv {
    let values: Vec<Jv> = (0..ctx.repo.manifests.len())
        .into_par_iter()
        .map(|i| ctx.jq_value(i).clone())
        .collect();
    let mut by_kind: std::collections::BTreeMap<&str, Vec<Jv>> = Default::default();
    for (m, v) in ctx.repo.manifests.iter().zip(values) {
        by_kind.entry(m.key.kind.as_str()).or_default().push(v);
    }
    let mut index = crate::jq::Map::new();
    for (kind, objects) in by_kind {
        index.insert(std::sync::Arc::from(kind), Jv::array(objects));
    }
    Jv::object(index)
}

impl Rule for DataRule {
    fn meta(&self) -> &RuleMeta {
        &self.meta
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let selected: Vec<usize> = ctx
            .repo
            .manifests
            .iter()
            .enumerate()
            .filter(|(_, m)| self.matcher.matches(m))
            .map(|(i, _)| i)
            .collect();
        if selected.is_empty() {
            return;
        }
        let apps_of = |i: usize| -> Vec<&crate::model::object::Manifest> {
            ctx.deployers
                .get(&i)
                .into_iter()
                .flatten()
                .map(|&a| &ctx.repo.manifests[ctx.repo.apps[a].manifest])
                .collect()
        };
        let no_apps = to_val(&Value::Array(Vec::new()));
        let inputs = selected
            .par_iter()
            .map(|&i| {
                let apps = if self.uses_apps {
                    let apps: Vec<_> = apps_of(i)
                        .iter()
                        .map(|m| crate::model::sensitive::masked(&m.obj))
                        .collect();
                    to_val(&json!(apps))
                } else {
                    no_apps.clone()
                };
                (ctx.jq_value(i).clone(), apps)
            })
            .collect();
        let index = if self.uses_index {
            index_of(ctx)
        } else {
            Jv::Null
        };
        let results = self.evaluate(inputs, index);
        let failed: Vec<(usize, &String)> = selected
            .iter()
            .zip(&results)
            .filter_map(|(&i, r)| r.as_ref().err().map(|e| (i, e)))
            .collect();
        if let Some((first, e)) = failed.first() {
            let failure = Failure {
                line: self.condition_line,
                first: *first,
                failures: failed.len(),
                what: "jq `condition`",
                error: e,
            };
            self.report_failure(ctx, failure, out);
        }
        let fired = results.iter().map(|r| matches!(r, Ok(true)));
        let Ok(template) = self.env.get_template("message") else {
            return;
        };
        let mut template_failures: Vec<(usize, u32, String)> = Vec::new();
        for (&i, _) in selected.iter().zip(fired).filter(|(_, f)| *f) {
            let m = &ctx.repo.manifests[i];
            let apps: Vec<&str> = apps_of(i).iter().map(|a| a.key.name.as_str()).collect();
            let vars = json!({
                "object": crate::model::sensitive::masked(&m.obj),
                "apiVersion": m.api_version,
                "kind": m.key.kind,
                "name": m.key.name,
                "namespace": meta_str(&m.obj, "namespace"),
                "file": m.file.path,
                "apps": apps,
            });
            let message = match template.render(Serde(&vars)) {
                Ok(s) => s.trim().to_string(),
                Err(e) => {
                    template_failures.push((
                        i,
                        self.message_line + e.line().map_or(0, |l| l.saturating_sub(1) as u32),
                        e.detail().map_or_else(|| e.to_string(), str::to_string),
                    ));
                    continue;
                }
            };
            let (location, pointer) = match &self.pointer {
                Some(p) if m.node.pointer(p).is_some() => (m.locate(p), p.clone()),
                _ => (m.locate_kind(), "/kind".to_string()),
            };
            out.push(
                Finding::new(&self.meta, message, location)
                    .with_object(&m.key)
                    .with_pointer(pointer),
            );
        }
        if let Some((first, line, e)) = template_failures.first() {
            let failure = Failure {
                line: *line,
                first: *first,
                failures: template_failures.len(),
                what: "`message` template",
                error: e,
            };
            self.report_failure(ctx, failure, out);
        }
    }
}

/// `(rule file, rule text, doc text)` of the built-in data rules.
const BUILTIN: &[(&str, &str, &str)] = &[
    (
        "rules/secret-mutable.yaml",
        include_str!("../../rules/secret-mutable.yaml"),
        include_str!("../../rules/secret-mutable.md"),
    ),
    (
        "rules/sync-window-annotation.yaml",
        include_str!("../../rules/sync-window-annotation.yaml"),
        include_str!("../../rules/sync-window-annotation.md"),
    ),
];

/// The built-in data rules, with their documentation from `rules/<id>.md`. They are part of
/// the binary; a defect is caught by the unit tests, so it is reported and skipped here.
pub fn builtin() -> Vec<DataRule> {
    let mut out = Vec::new();
    for (file, text, doc) in BUILTIN {
        let meta = match RuleMeta::parse(&file.replace(".yaml", ".md"), doc) {
            Ok(m) => m,
            Err(e) => {
                eprintln!("driftlens: internal error in built-in rule document {e}");
                continue;
            }
        };
        match DataRule::parse_file(file, text, RuleOrigin::Builtin) {
            Ok(rules) => out.extend(rules.into_iter().map(|r| r.with_doc(meta.doc.clone()))),
            Err(e) => eprintln!("driftlens: internal error in built-in rule {e}"),
        }
    }
    out
}

/// Loads the user rules of the given directories (`*.yaml`, `*.yml`, sorted by path).
pub fn load_dirs(dirs: &[(std::path::PathBuf, String)]) -> Result<Vec<DataRule>, PolicyError> {
    let mut out = Vec::new();
    for (dir, shown) in dirs {
        let entries = std::fs::read_dir(dir).map_err(|e| {
            PolicyError::file(
                shown,
                format!("cannot read the rules directory: {e}; check the path given to --rules"),
            )
        })?;
        let mut files: Vec<_> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
            .collect();
        files.sort();
        for path in files {
            let name = Path::new(shown)
                .join(path.file_name().unwrap_or_default())
                .display()
                .to_string();
            let text = std::fs::read_to_string(&path)
                .map_err(|e| PolicyError::file(&name, format!("cannot read the rule file: {e}")))?;
            out.extend(DataRule::parse_file(&name, &text, RuleOrigin::User)?);
        }
    }
    Ok(out)
}

/// The built-in catalog plus the user rules of `.driftlens/rules/` under `root` (when given
/// and present) and of `dirs`. A user rule may not reuse an existing id.
pub fn catalog_with_user_rules(
    root: Option<&Path>,
    dirs: &[std::path::PathBuf],
) -> Result<Vec<Box<dyn Rule>>, PolicyError> {
    let mut sources: Vec<(std::path::PathBuf, String)> = Vec::new();
    if let Some(root) = root {
        let d = root.join(USER_RULES_DIR);
        if d.is_dir() {
            sources.push((d, USER_RULES_DIR.to_string()));
        }
    }
    sources.extend(dirs.iter().map(|d| (d.clone(), d.display().to_string())));
    let mut catalog = super::builtin::catalog();
    for rule in load_dirs(&sources)? {
        if let Some(other) = catalog.iter().find(|r| r.meta().id == rule.meta.id) {
            return Err(PolicyError::at(
                &rule.file,
                rule.id_line,
                format!(
                    "rule id `{}` is already taken by {}; choose another id",
                    rule.meta.id,
                    other.meta().doc_path
                ),
            ));
        }
        catalog.push(Box::new(rule));
    }
    catalog.sort_by(|a, b| a.meta().id.cmp(&b.meta().id));
    Ok(catalog)
}

/// Where user rules are looked up at the scan root.
pub const USER_RULES_DIR: &str = ".driftlens/rules";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_data_rules_agree_with_their_documents() {
        let rules = builtin();
        assert_eq!(rules.len(), BUILTIN.len());
        for ((_, _, doc), rule) in BUILTIN.iter().zip(&rules) {
            let meta = RuleMeta::parse("rules/x.md", doc).expect("doc parses");
            assert_eq!(meta.id, rule.meta.id);
            assert_eq!(meta.severity, rule.meta.severity);
            assert_eq!(meta.category, rule.meta.category);
            assert_eq!(meta.summary, rule.meta.summary);
            assert_eq!(rule.meta.doc_path, format!("rules/{}.md", meta.id));
            for section in [
                "## What it checks",
                "## Why it matters",
                "## Example",
                "## Suppress",
            ] {
                assert!(
                    rule.meta.doc.contains(section),
                    "{} lacks `{section}`",
                    meta.id
                );
            }
        }
    }

    #[test]
    fn conditions_keep_each_result_with_its_object() {
        let rule = DataRule::parse_file(
            "r.yaml",
            "id: x\nseverity: note\ncategory: security\nsummary: s\nmessage: m\n\
             condition: '.n % 7 == 3'\n",
            RuleOrigin::User,
        )
        .expect("rule")
        .remove(0);
        let n = 5 * 512 + 17;
        let inputs: Vec<(Jv, Jv)> = (0..n)
            .map(|i| (to_val(&json!({ "n": i })), Jv::Null))
            .collect();
        let fired: Vec<bool> = rule
            .evaluate(inputs, Jv::Null)
            .into_iter()
            .map(|r| r.expect("evaluates"))
            .collect();
        let want: Vec<bool> = (0..n).map(|i| i % 7 == 3).collect();
        assert_eq!(fired, want);

        // Each failing object has its error.
        let rule = DataRule::parse_file(
            "r.yaml",
            concat!(
                "id: x\nseverity: note\ncategory: security\nsummary: s\nmessage: m\n",
                r#"condition: 'if .n >= 1000 then error("at " + (.n | tostring)) else false end'"#,
                "\n"
            ),
            RuleOrigin::User,
        )
        .expect("rule")
        .remove(0);
        let inputs: Vec<(Jv, Jv)> = (0..n)
            .map(|i| (to_val(&json!({ "n": i })), Jv::Null))
            .collect();
        let results = rule.evaluate(inputs, Jv::Null);
        let first = results.iter().position(Result::is_err).expect("fails");
        assert_eq!(first, 1000);
        let e = results[first].as_ref().expect_err("fails");
        assert!(e.contains("at 1000"), "{e}");
        assert_eq!(results.iter().filter(|r| r.is_err()).count(), n - 1000);
    }

    #[test]
    fn rule_errors_name_the_line() {
        let base = "id: x\nseverity: note\ncategory: security\nsummary: s\nmessage: m\n";
        let e = DataRule::parse_file(
            "r.yaml",
            &format!("{base}condition: '.a |'\n"),
            RuleOrigin::User,
        )
        .expect_err("jq");
        assert_eq!(e.line, Some(6), "{e}");
        assert!(e.message.contains("does not compile"), "{e}");
        let e = DataRule::parse_file(
            "r.yaml",
            &format!("{base}condition: '$nope'\n"),
            RuleOrigin::User,
        )
        .expect_err("var");
        assert!(e.message.contains("undefined variable"), "{e}");
        let e = DataRule::parse_file(
            "r.yaml",
            &format!("{base}condition: 'true'\nwhen: x\n"),
            RuleOrigin::User,
        )
        .expect_err("field");
        assert_eq!(e.line, Some(7));
        let e = DataRule::parse_file(
            "r.yaml",
            "id: x\nseverity: note\ncategory: security\nsummary: s\ncondition: 'true'\nmessage: '{{ a'\n",
            RuleOrigin::User,
        )
        .expect_err("template");
        assert_eq!(e.line, Some(6));
        assert!(DataRule::parse_file(
            "r.yaml",
            &format!("{base}condition: '$index | length > 0 and ($apps | length) >= 0'\n"),
            RuleOrigin::User
        )
        .is_ok());
    }
}
