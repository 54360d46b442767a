//! The `.driftlens.yaml` policy file: which rules run, at which severity, where, and which
//! findings are suppressed with a reviewed reason.
//!
//! ```yaml
//! rules:                       # rule id: off | on | error | warning | note
//!   secret-mutable: off
//!   hpa-replicas-not-ignored: error
//! exclude:                     # findings in these files are dropped (globs, `/`-separated)
//!   - "vendor/**"
//! overrides:                   # later entries win over earlier ones and over `rules`
//!   - paths: ["legacy/**"]
//!     rules: {secret-plaintext-in-git: warning}
//! suppressions:                # findings kept but not counted, with a mandatory reason
//!   - rule: secret-mutable     # a rule id, or "*" for every rule
//!     paths: ["apps/legacy/**"]
//!     reason: "rotated by the vault operator, tracked in OPS-123"
//! charts:                      # chart folders, like --charts (inside the checkout)
//!   - .driftlens/charts
//! repos:                       # checkouts of other repositories, like --repo URL=PATH
//!   https://github.com/org/app-config.git: .driftlens/repos/app-config
//! ```
//!
//! Unquoted `off`/`on` are YAML 1.1 booleans (the way Kubernetes reads YAML); both spellings are
//! accepted. The file is read with the located YAML loader, so every error names the file and
//! line to fix, and any error makes the scan exit with 2.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};

use crate::load::yaml::{self, Node, NodeValue};
use crate::severity::Severity;

/// The file name looked up at the scan root.
pub const FILE_NAME: &str = ".driftlens.yaml";

/// An error in a policy input (config file, user rule, baseline), with the file and line to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {message}", file, line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct PolicyError {
    /// The file, as given or relative to the scan root.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<u32>,
    /// What is wrong and what to do.
    pub message: String,
}

impl PolicyError {
    /// An error at a line of a file.
    pub fn at(file: &str, line: u32, message: impl Into<String>) -> Self {
        PolicyError {
            file: file.to_string(),
            line: Some(line.max(1)),
            message: message.into(),
        }
    }

    /// An error about a whole file.
    pub fn file(file: &str, message: impl Into<String>) -> Self {
        PolicyError {
            file: file.to_string(),
            line: None,
            message: message.into(),
        }
    }
}

/// What `.driftlens.yaml` says about one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleSetting {
    /// The rule does not report.
    Off,
    /// The rule reports at its default severity.
    On,
    /// The rule reports at this severity.
    Severity(Severity),
}

/// Rule settings with the line each was written on.
#[derive(Debug, Clone, Default)]
pub struct RuleSettings(pub BTreeMap<String, (RuleSetting, u32)>);

/// A set of path globs.
#[derive(Debug, Clone)]
pub struct Paths {
    /// The globs as written.
    pub patterns: Vec<String>,
    set: GlobSet,
}

impl Paths {
    /// Whether a repository-relative path matches one of the globs.
    pub fn matches(&self, path: &str) -> bool {
        self.set.is_match(path)
    }
}

impl Default for Paths {
    fn default() -> Self {
        Paths {
            patterns: Vec::new(),
            set: GlobSet::empty(),
        }
    }
}

/// Rule settings for some paths.
#[derive(Debug, Clone)]
pub struct Override {
    /// Where the override applies.
    pub paths: Paths,
    /// The settings.
    pub rules: RuleSettings,
}

/// A suppression written in the config file (SARIF `external`).
#[derive(Debug, Clone)]
pub struct ConfigSuppression {
    /// The rule id, or `*`.
    pub rule: String,
    /// Where it applies (every path when empty).
    pub paths: Paths,
    /// The justification.
    pub reason: String,
    /// Line of the entry.
    pub line: u32,
}

/// The parsed `.driftlens.yaml`.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Where it was read from (empty for the default configuration).
    pub file: String,
    /// Global rule settings.
    pub rules: RuleSettings,
    /// Paths whose findings are dropped.
    pub exclude: Paths,
    /// Per-path rule settings.
    pub overrides: Vec<Override>,
    /// Suppressions with reasons.
    pub suppressions: Vec<ConfigSuppression>,
    /// Chart folders (`charts:`), relative to the scan root, inside the checkout.
    pub charts: Vec<String>,
    /// Checkouts of other repositories (`repos:`): URL → folder relative to the scan root,
    /// inside the checkout.
    pub repos: Vec<(String, String)>,
}

/// What the policy layer needs from the command line.
#[derive(Debug, Clone)]
pub struct PolicyOptions {
    /// `--config FILE`; otherwise `.driftlens.yaml` at the scan root, if present.
    pub config: Option<PathBuf>,
    /// `--rules DIR` (repeatable); `.driftlens/rules/` at the scan root is always read.
    pub rule_dirs: Vec<PathBuf>,
    /// `false` with `--no-inline-suppressions`: annotations do not suppress.
    pub inline_suppressions: bool,
    /// `--baseline FILE`: a previous JSON or SARIF report of driftlens.
    pub baseline: Option<PathBuf>,
}

impl Default for PolicyOptions {
    fn default() -> Self {
        PolicyOptions {
            config: None,
            rule_dirs: Vec::new(),
            inline_suppressions: true,
            baseline: None,
        }
    }
}

fn line_of(n: &Node) -> u32 {
    n.span.start.line.max(1)
}

fn kind_name(n: &Node) -> &'static str {
    match n.value {
        NodeValue::Null => "nothing",
        NodeValue::Bool(_) => "a boolean",
        NodeValue::Int(_) | NodeValue::Uint(_) | NodeValue::Float(_) => "a number",
        NodeValue::Str(_) => "a string",
        NodeValue::Seq(_) => "a list",
        NodeValue::Map(_) => "a mapping",
    }
}

/// Compiles path globs: `*` stays within a directory, `**` crosses directories.
pub fn compile_paths(file: &str, node: &Node) -> Result<Paths, PolicyError> {
    let items: Vec<&Node> = match &node.value {
        NodeValue::Seq(items) => items.iter().collect(),
        NodeValue::Str(_) => vec![node],
        _ => {
            return Err(PolicyError::at(
                file,
                line_of(node),
                format!(
                    "expected a list of path globs, found {}; write e.g. [\"legacy/**\"]",
                    kind_name(node)
                ),
            ))
        }
    };
    let mut builder = GlobSetBuilder::new();
    let mut patterns = Vec::new();
    for item in items {
        let Some(p) = item.as_str() else {
            return Err(PolicyError::at(
                file,
                line_of(item),
                format!("a path glob must be a string, found {}", kind_name(item)),
            ));
        };
        let glob: Glob = GlobBuilder::new(p.trim_start_matches("./"))
            .literal_separator(true)
            .build()
            .map_err(|e| {
                PolicyError::at(file, line_of(item), format!("invalid glob `{p}`: {e}"))
            })?;
        builder.add(glob);
        patterns.push(p.to_string());
    }
    let set = builder
        .build()
        .map_err(|e| PolicyError::at(file, line_of(node), format!("invalid globs: {e}")))?;
    Ok(Paths { patterns, set })
}

fn rule_settings(file: &str, node: &Node) -> Result<RuleSettings, PolicyError> {
    let entries = node.entries().ok_or_else(|| {
        PolicyError::at(
            file,
            line_of(node),
            format!(
                "`rules` must map rule ids to off, on, error, warning or note; found {}",
                kind_name(node)
            ),
        )
    })?;
    let mut out = BTreeMap::new();
    for e in entries {
        let setting = match &e.value.value {
            NodeValue::Bool(false) => RuleSetting::Off,
            NodeValue::Bool(true) => RuleSetting::On,
            NodeValue::Str(s) if s == "off" => RuleSetting::Off,
            NodeValue::Str(s) if s == "on" => RuleSetting::On,
            NodeValue::Str(s) => RuleSetting::Severity(s.parse().map_err(|_| {
                PolicyError::at(
                    file,
                    line_of(&e.value),
                    format!("`{}: {s}`: use off, on, error, warning or note", e.key),
                )
            })?),
            _ => {
                return Err(PolicyError::at(
                    file,
                    e.key_span.start.line,
                    format!(
                        "`{}` must be off, on, error, warning or note; found {}",
                        e.key,
                        kind_name(&e.value)
                    ),
                ))
            }
        };
        out.insert(e.key.clone(), (setting, e.key_span.start.line.max(1)));
    }
    Ok(RuleSettings(out))
}

fn check_fields(file: &str, node: &Node, what: &str, allowed: &[&str]) -> Result<(), PolicyError> {
    let entries = node.entries().ok_or_else(|| {
        PolicyError::at(
            file,
            line_of(node),
            format!("{what} must be a mapping, found {}", kind_name(node)),
        )
    })?;
    for e in entries {
        if !allowed.contains(&e.key.as_str()) {
            return Err(PolicyError::at(
                file,
                e.key_span.start.line,
                format!(
                    "unknown field `{}` in {what}; allowed: {}",
                    e.key,
                    allowed.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// A folder named in the config: a relative path that stays inside the checkout (folders
/// elsewhere are given on the command line, so that a checkout never makes driftlens read
/// outside of it).
fn inside_checkout(file: &str, node: &Node, what: &str) -> Result<String, PolicyError> {
    let Some(p) = node.as_str().filter(|p| !p.trim().is_empty()) else {
        return Err(PolicyError::at(
            file,
            line_of(node),
            format!("{what} must be a folder path, found {}", kind_name(node)),
        ));
    };
    let escapes =
        p.starts_with('/') || p.contains('\\') || crate::sources::lexical_dir(p).is_none();
    if escapes {
        return Err(PolicyError::at(
            file,
            line_of(node),
            format!(
                "{what} `{p}` is not inside the checkout; give folders elsewhere on the command \
                 line (--charts, --repo)"
            ),
        ));
    }
    Ok(crate::sources::lexical_dir(p).unwrap_or_default())
}

impl Config {
    /// Parses a config file's text; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Config, PolicyError> {
        let (docs, err) = yaml::parse_stream(text);
        if let Some(e) = err {
            return Err(PolicyError::at(file, e.at.line, e.message));
        }
        let mut roots = docs.into_iter().filter_map(|d| d.root);
        let Some(root) = roots.next() else {
            return Ok(Config {
                file: file.to_string(),
                ..Config::default()
            });
        };
        if let Some(extra) = roots.next() {
            return Err(PolicyError::at(
                file,
                line_of(&extra),
                "the config holds one YAML document; remove the extra `---` document",
            ));
        }
        check_fields(
            file,
            &root,
            "the config",
            &[
                "rules",
                "exclude",
                "overrides",
                "suppressions",
                "charts",
                "repos",
            ],
        )?;
        let mut cfg = Config {
            file: file.to_string(),
            ..Config::default()
        };
        if let Some(n) = root.get("rules") {
            cfg.rules = rule_settings(file, n)?;
        }
        if let Some(n) = root.get("exclude") {
            cfg.exclude = compile_paths(file, n)?;
        }
        if let Some(n) = root.get("overrides") {
            let items = n
                .items()
                .ok_or_else(|| PolicyError::at(file, line_of(n), "`overrides` must be a list"))?;
            for item in items {
                check_fields(file, item, "an override", &["paths", "rules"])?;
                let paths = item.get("paths").ok_or_else(|| {
                    PolicyError::at(file, line_of(item), "an override needs `paths`")
                })?;
                let rules = item.get("rules").ok_or_else(|| {
                    PolicyError::at(file, line_of(item), "an override needs `rules`")
                })?;
                cfg.overrides.push(Override {
                    paths: compile_paths(file, paths)?,
                    rules: rule_settings(file, rules)?,
                });
            }
        }
        if let Some(n) = root.get("charts") {
            let items: Vec<&Node> = match &n.value {
                NodeValue::Seq(items) => items.iter().collect(),
                NodeValue::Str(_) => vec![n],
                _ => {
                    return Err(PolicyError::at(
                        file,
                        line_of(n),
                        "`charts` must be a list of folders, e.g. [\".driftlens/charts\"]",
                    ))
                }
            };
            for item in items {
                cfg.charts
                    .push(inside_checkout(file, item, "a chart folder")?);
            }
        }
        if let Some(n) = root.get("repos") {
            let entries = n.entries().ok_or_else(|| {
                PolicyError::at(
                    file,
                    line_of(n),
                    "`repos` must map repository URLs to checkouts, e.g. \
                     {https://github.com/org/app.git: .driftlens/repos/app}",
                )
            })?;
            for e in entries {
                let dir = inside_checkout(file, &e.value, "a checkout")?;
                cfg.repos.push((e.key.clone(), dir));
            }
        }
        if let Some(n) = root.get("suppressions") {
            let items = n.items().ok_or_else(|| {
                PolicyError::at(file, line_of(n), "`suppressions` must be a list")
            })?;
            for item in items {
                check_fields(file, item, "a suppression", &["rule", "paths", "reason"])?;
                let rule = item
                    .get("rule")
                    .and_then(Node::as_str)
                    .ok_or_else(|| {
                        PolicyError::at(
                            file,
                            line_of(item),
                            "a suppression needs `rule`: a rule id or \"*\"",
                        )
                    })?
                    .to_string();
                let reason = item
                    .get("reason")
                    .and_then(Node::as_str)
                    .map(str::trim)
                    .unwrap_or("");
                if reason.is_empty() {
                    return Err(PolicyError::at(
                        file,
                        line_of(item),
                        format!(
                            "the suppression of `{rule}` needs a non-empty `reason`: say why the \
                             finding is accepted, and who reviewed it"
                        ),
                    ));
                }
                let paths = match item.get("paths") {
                    Some(p) => compile_paths(file, p)?,
                    None => Paths::default(),
                };
                cfg.suppressions.push(ConfigSuppression {
                    rule,
                    paths,
                    reason: reason.to_string(),
                    line: line_of(item),
                });
            }
        }
        Ok(cfg)
    }

    /// Loads `--config FILE`, or `.driftlens.yaml` at `root` when it exists, or the default.
    pub fn load(root: &Path, explicit: Option<&Path>) -> Result<Config, PolicyError> {
        let (path, shown) = match explicit {
            Some(p) => (p.to_path_buf(), p.display().to_string()),
            None => {
                let p = root.join(FILE_NAME);
                if !p.is_file() {
                    return Ok(Config::default());
                }
                (p, FILE_NAME.to_string())
            }
        };
        let text = std::fs::read_to_string(&path).map_err(|e| {
            PolicyError::file(
                &shown,
                format!("cannot read the config: {e}; check the path given to --config"),
            )
        })?;
        Config::parse(&shown, &text)
    }

    /// Rejects rule ids that no rule has, so a typo does not silently keep a rule on.
    pub fn check_rule_ids(&self, known: &[&str]) -> Result<(), PolicyError> {
        let check = |settings: &RuleSettings| -> Result<(), PolicyError> {
            for (id, (_, line)) in &settings.0 {
                if !known.contains(&id.as_str()) {
                    return Err(PolicyError::at(
                        &self.file,
                        *line,
                        format!("no rule `{id}`; `driftlens rules` lists them"),
                    ));
                }
            }
            Ok(())
        };
        check(&self.rules)?;
        for o in &self.overrides {
            check(&o.rules)?;
        }
        for s in &self.suppressions {
            if s.rule != "*" && !known.contains(&s.rule.as_str()) {
                return Err(PolicyError::at(
                    &self.file,
                    s.line,
                    format!("no rule `{}`; `driftlens rules` lists them", s.rule),
                ));
            }
        }
        Ok(())
    }

    /// The effective setting of a rule for a file: the last matching override, else the global
    /// setting, else on.
    pub fn setting(&self, rule: &str, path: &str) -> RuleSetting {
        let mut s = self.rules.0.get(rule).map_or(RuleSetting::On, |(s, _)| *s);
        for o in &self.overrides {
            if o.paths.matches(path) {
                if let Some((os, _)) = o.rules.0.get(rule) {
                    s = *os;
                }
            }
        }
        s
    }

    /// The reason of the first config suppression that covers a finding.
    pub fn suppression(&self, rule: &str, path: &str) -> Option<&ConfigSuppression> {
        self.suppressions.iter().find(|s| {
            (s.rule == "*" || s.rule == rule)
                && (s.paths.patterns.is_empty() || s.paths.matches(path))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_settings_overrides_and_suppressions() {
        let cfg = Config::parse(
            "c.yaml",
            "rules:\n  a: off\n  b: error\n  c: \"on\"\nexclude: [\"vendor/**\"]\noverrides:\n  - paths: [\"legacy/**\"]\n    rules: {a: warning}\nsuppressions:\n  - rule: b\n    paths: [\"x/*.yaml\"]\n    reason: ok\n",
        )
        .expect("parses");
        assert_eq!(cfg.setting("a", "apps/x.yaml"), RuleSetting::Off);
        assert_eq!(
            cfg.setting("a", "legacy/deep/x.yaml"),
            RuleSetting::Severity(Severity::Warning)
        );
        assert_eq!(cfg.setting("c", "x"), RuleSetting::On);
        assert!(cfg.exclude.matches("vendor/a/b.yaml"));
        assert!(cfg.suppression("b", "x/y.yaml").is_some());
        assert!(cfg.suppression("b", "x/z/y.yaml").is_none());
        assert!(cfg.check_rule_ids(&["a", "b", "c"]).is_ok());
        let e = cfg.check_rule_ids(&["a", "c"]).expect_err("unknown id");
        assert_eq!(e.line, Some(3));
    }

    #[test]
    fn errors_name_the_line() {
        let e = Config::parse("c.yaml", "rules:\n  a: loud\n").expect_err("bad");
        assert_eq!(
            e.to_string(),
            "c.yaml:2: `a: loud`: use off, on, error, warning or note"
        );
        let e = Config::parse("c.yaml", "rules: {}\nexclud: []\n").expect_err("bad");
        assert_eq!(e.line, Some(2));
        let e = Config::parse("c.yaml", "suppressions:\n  - rule: a\n    reason: \"  \"\n")
            .expect_err("bad");
        assert_eq!(e.line, Some(2));
    }
}
