//! `floating-target-revision`: an Application source that follows a moving reference — `HEAD`,
//! an empty revision, a branch — or a Helm chart version range, so what gets deployed changes
//! without a commit to the GitOps repository. Documentation: `rules/floating-target-revision.md`.

use std::collections::BTreeSet;

use serde_json::Value;

use super::broken_source_path::{local_repos, normalize_repo};

use crate::model::object::Manifest;
use crate::rules::{Context, Finding, RuleMeta};

/// Branch names that are floating by convention.
const BRANCHES: &[&str] = &[
    "main",
    "master",
    "develop",
    "development",
    "dev",
    "trunk",
    "staging",
    "stable",
    "latest",
];

/// Whether a revision is a full commit SHA.
fn is_sha(r: &str) -> bool {
    r.len() == 40 && r.chars().all(|c| c.is_ascii_hexdigit())
}

/// Why a Git revision floats, or `None` when it is pinned or not known to float (tags and other
/// names are taken as pinned: only names that are branches by convention are reported).
pub fn git_revision_floats(r: &str) -> Option<&'static str> {
    let r = r.trim();
    if r.is_empty() {
        return Some("an empty `targetRevision` means `HEAD`, the default branch");
    }
    if r == "HEAD" {
        return Some("`HEAD` is the default branch");
    }
    if is_sha(r) || r.starts_with("refs/tags/") {
        return None;
    }
    if r.starts_with("refs/heads/") {
        return Some("it names a branch");
    }
    let lower = r.to_ascii_lowercase();
    let first = lower.split('/').next().unwrap_or("");
    if BRANCHES.contains(&lower.as_str())
        || matches!(
            first,
            "feature" | "feat" | "fix" | "bugfix" | "hotfix" | "release" | "releases"
        ) && lower.contains('/')
    {
        return Some("it names a branch");
    }
    None
}

/// Why a Helm chart version floats (a range or empty), or `None` when it is exact.
pub fn chart_version_floats(v: &str) -> Option<&'static str> {
    let v = v.trim();
    if v.is_empty() {
        return Some("an empty chart version means the newest chart in the repository");
    }
    if v == "*" || v.eq_ignore_ascii_case("latest") {
        return Some("it takes the newest chart in the repository");
    }
    let is_range = v.starts_with(['^', '~', '>', '<', '='])
        || v.contains("||")
        || v.contains(" - ")
        || v.contains(',')
        || v.split(['.', '-', '+'])
            .any(|p| p == "x" || p == "X" || p == "*");
    if is_range {
        return Some("it is a version range, resolved to the newest matching chart at each sync");
    }
    // `1.2` or `1` are ranges for Helm (missing parts are wildcards).
    let core = v.trim_start_matches('v');
    let core = core.split(['-', '+']).next().unwrap_or(core);
    if core.split('.').count() < 3
        && core
            .split('.')
            .all(|p| p.chars().all(|c| c.is_ascii_digit()))
    {
        return Some("a partial version is a range for Helm (`1.2` means `1.2.x`)");
    }
    None
}

fn check_sources(
    meta: &RuleMeta,
    m: &Manifest,
    base: &str,
    local: &BTreeSet<String>,
    out: &mut Vec<Finding>,
) {
    let mut sources: Vec<(String, &Value)> = Vec::new();
    match m.obj.pointer(&format!("{base}/sources")) {
        Some(Value::Array(items)) if !items.is_empty() => {
            for (i, s) in items.iter().enumerate() {
                sources.push((format!("{base}/sources/{i}"), s));
            }
        }
        _ => {
            if let Some(s) = m.obj.pointer(&format!("{base}/source")) {
                sources.push((format!("{base}/source"), s));
            }
        }
    }
    for (ptr, s) in sources {
        let rev = s
            .get("targetRevision")
            .and_then(Value::as_str)
            .unwrap_or("");
        let repo = s.get("repoURL").and_then(Value::as_str).unwrap_or("");
        if rev.contains("{{") || repo.is_empty() {
            continue;
        }
        let chart = s.get("chart").and_then(Value::as_str);
        let (why, fix) = match chart {
            Some(c) => match chart_version_floats(rev) {
                Some(w) => {
                    let base = rev.trim_start_matches(['^', '~', '>', '<', '=', 'v', ' ']);
                    let example = if chart_version_floats(base).is_none() {
                        base
                    } else {
                        "1.4.2"
                    };
                    (
                        w,
                        format!(
                            "pin chart `{c}` to an exact version such as \
                             `targetRevision: {example}`"
                        ),
                    )
                }
                None => continue,
            },
            // This checkout's own repository: the commit under review is the change.
            None if local.contains(&normalize_repo(repo)) => continue,
            None => match git_revision_floats(rev) {
                Some(w) => (
                    w,
                    "pin a release tag (`v1.4.2`) or a commit SHA, and promote changes by \
                     updating it in a reviewed commit"
                        .to_string(),
                ),
                None => continue,
            },
        };
        let pointer = format!("{ptr}/targetRevision");
        let shown = if rev.is_empty() {
            "without a `targetRevision`".to_string()
        } else {
            format!("at `{rev}`")
        };
        out.push(
            Finding::new(
                meta,
                format!(
                    "{} `{}` deploys `{repo}` {shown}, which moves: {why}. What runs in the \
                     cluster changes without a commit here, and drift predicted today may not \
                     match tomorrow; {fix}",
                    m.key.kind, m.key.name
                ),
                m.locate(&pointer),
            )
            .with_object(&m.key)
            .with_pointer(pointer),
        );
    }
}

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    let local = local_repos(ctx);
    for app in &ctx.repo.apps {
        check_sources(meta, ctx.repo.manifest(app.manifest), "/spec", &local, out);
    }
    for set in &ctx.repo.appsets {
        check_sources(
            meta,
            ctx.repo.manifest(set.manifest),
            "/spec/template/spec",
            &local,
            out,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revisions_and_chart_versions() {
        assert!(git_revision_floats("").is_some());
        assert!(git_revision_floats("HEAD").is_some());
        assert!(git_revision_floats("main").is_some());
        assert!(git_revision_floats("refs/heads/prod").is_some());
        assert!(git_revision_floats("release/1.2").is_some());
        assert!(git_revision_floats("v1.2.3").is_none());
        assert!(git_revision_floats("0123456789abcdef0123456789abcdef01234567").is_none());
        assert!(git_revision_floats("prod-2024-01").is_none());
        assert!(chart_version_floats("1.2.3").is_none());
        assert!(chart_version_floats("v1.2.3-rc.1").is_none());
        for r in [
            "", "*", "^1.2", "~1.2.0", ">=1.0.0", "1.x", "1.2.*", "1.2", ">1, <2",
        ] {
            assert!(chart_version_floats(r).is_some(), "{r}");
        }
    }
}
