//! Rule metadata, read from the front matter of the rule documents in `rules/`.

use std::str::FromStr;

use serde::Serialize;

use crate::load::yaml;

pub use crate::severity::Severity;

/// What a rule is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// Configuration that makes Argo CD report drift or fight other controllers.
    DriftRisk,
    /// Credentials and attack surface.
    Security,
    /// Availability and operability.
    Reliability,
    /// Argo CD configuration mistakes.
    ArgocdConfig,
}

impl Category {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::DriftRisk => "drift-risk",
            Category::Security => "security",
            Category::Reliability => "reliability",
            Category::ArgocdConfig => "argocd-config",
        }
    }
}

impl FromStr for Category {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "drift-risk" => Ok(Category::DriftRisk),
            "security" => Ok(Category::Security),
            "reliability" => Ok(Category::Reliability),
            "argocd-config" => Ok(Category::ArgocdConfig),
            _ => Err(format!(
                "unknown category `{s}`; use drift-risk, security, reliability or argocd-config"
            )),
        }
    }
}

/// Where a rule is defined.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleOrigin {
    /// Part of driftlens (a module under `rules::builtin` or a data rule in `rules/`).
    #[default]
    Builtin,
    /// A user's data rule (`--rules DIR` or `.driftlens/rules/`).
    User,
}

/// A rule's identity and documentation.
#[derive(Debug, Clone, Serialize)]
pub struct RuleMeta {
    /// Stable kebab-case id.
    pub id: String,
    /// Category.
    pub category: Category,
    /// Default severity.
    pub severity: Severity,
    /// One-line summary.
    pub summary: String,
    /// The full documentation (Markdown, without the front matter).
    pub doc: String,
    /// Where the documentation lives in the repository (`rules/<id>.md`); for user rules, the
    /// rule file.
    pub doc_path: String,
    /// Built-in or user-defined.
    pub origin: RuleOrigin,
}

impl RuleMeta {
    /// Parses a rule document: YAML front matter between `---` lines, then Markdown.
    pub fn parse(doc_path: &str, text: &str) -> Result<RuleMeta, String> {
        let rest = text
            .strip_prefix("---\n")
            .ok_or_else(|| format!("{doc_path}: must start with a `---` front matter block"))?;
        let (front, body) = rest
            .split_once("\n---\n")
            .ok_or_else(|| format!("{doc_path}: the front matter is not closed with `---`"))?;
        let (docs, err) = yaml::parse_stream(front);
        if let Some(e) = err {
            return Err(format!("{doc_path}:{}: {}", e.at.line + 1, e.message));
        }
        let fm = docs
            .into_iter()
            .find_map(|d| d.root)
            .map(|n| n.to_json())
            .unwrap_or_default();
        let field = |name: &str| -> Result<String, String> {
            fm.get(name)
                .and_then(|v| v.as_str())
                .map(str::to_string)
                .ok_or_else(|| format!("{doc_path}: front matter needs a string `{name}`"))
        };
        Ok(RuleMeta {
            id: field("id")?,
            category: field("category")?.parse()?,
            severity: field("severity")?.parse()?,
            summary: field("summary")?,
            doc: body.trim_start_matches('\n').to_string(),
            doc_path: doc_path.to_string(),
            origin: RuleOrigin::Builtin,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_is_required_and_parsed() {
        let m = RuleMeta::parse(
            "rules/x.md",
            "---\nid: x\ncategory: security\nseverity: note\nsummary: S\n---\n# X\n",
        )
        .expect("parses");
        assert_eq!(m.id, "x");
        assert_eq!(m.severity, Severity::Note);
        assert_eq!(m.doc, "# X\n");
        assert!(RuleMeta::parse("rules/y.md", "# no front matter").is_err());
        assert!(RuleMeta::parse(
            "rules/z.md",
            "---\nid: z\ncategory: nope\nseverity: note\nsummary: S\n---\n"
        )
        .is_err());
        assert!(Severity::Error > Severity::Warning && Severity::Warning > Severity::Note);
    }
}
