//! `ignore-differences-malformed`: an `ignoreDifferences` entry that can never work as written:
//! a JSON pointer without its leading `/` or with an unescaped `/` inside a key, a jq path
//! expression that does not compile, a `group` holding an API version, or a `kind` that is not
//! spelt like a Kind. Documentation: `rules/ignore-differences-malformed.md`.

use crate::rules::context::{ignore_sites, IgnoreOrigin, IgnoreSite};
use crate::rules::{Context, Finding, RuleMeta};

/// Whether a string holds an ApplicationSet template expression (judged after rendering only).
fn templated(s: &str) -> bool {
    s.contains("{{")
}

/// Compiles `del(<expr>)` as Argo CD does; returns the reason when it does not compile.
pub fn jq_compile_error(expr: &str) -> Option<String> {
    let code = format!("del({expr})");
    crate::jq::Program::compile(&code, &[])
        .err()
        .and_then(|e| match e {
            crate::jq::CompileError::Syntax(_) => Some("it is not valid jq syntax".to_string()),
            crate::jq::CompileError::Undefined(names) => {
                let names: Vec<String> = names.iter().map(|(_, n)| format!("`{n}`")).collect();
                Some(format!("it uses undefined {}", names.join(", ")))
            }
            crate::jq::CompileError::TooLarge(m) => Some(m),
            // Valid jq that driftlens does not evaluate: the comparison reports it.
            crate::jq::CompileError::Recursive(_) => None,
        })
}

/// Checks one JSON pointer; returns the problem and the corrected pointer when known.
pub fn check_pointer(p: &str) -> Option<(String, Option<String>)> {
    if p.is_empty() {
        return Some((
            "an empty JSON pointer means the whole object, which Argo CD cannot remove".into(),
            None,
        ));
    }
    if !p.starts_with('/') {
        let fixed = if p.starts_with('.') {
            p.replace('.', "/")
        } else {
            format!("/{p}")
        };
        return Some((
            "a JSON pointer must start with `/`; this one never matches and Argo CD skips it \
             silently"
                .into(),
            Some(fixed),
        ));
    }
    let mut chars = p.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '~' && !matches!(chars.peek(), Some('0' | '1')) {
            return Some((
                "`~` in a JSON pointer must be written `~0` (and `/` inside a key `~1`)".into(),
                None,
            ));
        }
    }
    // A key with `/` (annotation and label keys such as `example.com/owner`) must be escaped.
    let segs: Vec<&str> = p[1..].split('/').collect();
    for (i, s) in segs.iter().enumerate() {
        if matches!(*s, "annotations" | "labels") && segs.len() > i + 2 && segs[i + 1].contains('.')
        {
            let key = segs[i + 1..].join("~1");
            let fixed = format!("/{}/{}", segs[..=i].join("/"), key);
            return Some((
                format!(
                    "the key `{}` contains `/`, which separates pointer segments; escape it as \
                     `~1`, otherwise the pointer names a nested field that does not exist and \
                     Argo CD skips it silently",
                    segs[i + 1..].join("/")
                ),
                Some(fixed),
            ));
        }
    }
    None
}

/// Whether a group is really an API version (`apps/v1`, `v1`, `networking.k8s.io/v1beta1`).
fn group_has_version(g: &str) -> Option<String> {
    let is_version = |v: &str| {
        let Some(rest) = v.strip_prefix('v') else {
            return false;
        };
        let digits = rest.trim_start_matches(|c: char| c.is_ascii_digit());
        digits.len() < rest.len()
            && (digits.is_empty()
                || ["alpha", "beta"].iter().any(|p| {
                    digits
                        .strip_prefix(p)
                        .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
                }))
    };
    if is_version(g) {
        return Some(String::new());
    }
    match g.rsplit_once('/') {
        Some((grp, v)) if is_version(v) => Some(grp.to_string()),
        _ => None,
    }
}

fn check_site(meta: &RuleMeta, ctx: &Context<'_>, site: &IgnoreSite, out: &mut Vec<Finding>) {
    let m = ctx.repo.manifest(site.manifest);
    let at = |field: &str| {
        if site.structured {
            format!("{}/{field}", site.pointer)
        } else {
            site.pointer.clone()
        }
    };
    let mut push = |pointer: String, message: String| {
        out.push(
            Finding::new(meta, message, m.locate(&pointer))
                .with_object(&m.key)
                .with_pointer(pointer),
        );
    };
    let r = &site.rule;
    if site.origin != IgnoreOrigin::Settings && !templated(&r.group) {
        if let Some(fixed) = group_has_version(&r.group) {
            let fix = if fixed.is_empty() {
                "`group: \"\"` (the core group is empty)".to_string()
            } else {
                format!("`group: {fixed}`")
            };
            push(
                at("group"),
                format!(
                    "`group: {}` holds an API version, but Argo CD matches the group alone, so \
                     this ignore rule never matches and the drift it should hide stays; write {fix}",
                    r.group
                ),
            );
        }
    }
    let kind_bad = r
        .kind
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase())
        && !templated(&r.kind);
    if kind_bad {
        let mut fixed: String = r.kind.clone();
        if let Some(first) = fixed.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        let plural = fixed.ends_with('s') && !fixed.ends_with("ss");
        let hint = if plural {
            format!(
                "the singular Kind as in the manifest's `kind:` (e.g. `{}`)",
                &fixed[..fixed.len() - 1]
            )
        } else {
            format!("`{fixed}`")
        };
        push(
            at("kind"),
            format!(
                "kind `{}` is not a Kind: Argo CD compares kinds case-sensitively (`Deployment`, \
                 not `deployment` or `deployments`), so this ignore rule never matches; write {hint}",
                r.kind
            ),
        );
    }
    for (j, p) in r.json_pointers.iter().enumerate() {
        if templated(p) {
            continue;
        }
        if let Some((problem, fixed)) = check_pointer(p) {
            let fix = fixed.map(|f| format!("; write `{f}`")).unwrap_or_default();
            push(
                at(&format!("jsonPointers/{j}")),
                format!("jsonPointer `{p}`: {problem}{fix}"),
            );
        }
    }
    for (j, e) in r.jq_path_expressions.iter().enumerate() {
        if templated(e) {
            continue;
        }
        let whom = if site.origin == IgnoreOrigin::Settings {
            "every Application that deploys this kind"
        } else {
            "the whole Application"
        };
        let message = if e.trim_start().starts_with('/') {
            format!(
                "jqPathExpression `{e}` is a JSON pointer, not a jq path: `del({e})` does not compile and Argo CD fails to compare {whom} (ComparisonError); move it to `jsonPointers` or write `{}`",
                e.trim().replace('/', ".")
            )
        } else if let Some(problem) = jq_compile_error(e) {
            format!(
                "jqPathExpression `{e}` does not compile as `del({e})`: {problem}; Argo CD then fails to compare {whom} (ComparisonError). Fix the expression (check it with `jq 'del({e})'`)"
            )
        } else {
            continue;
        };
        push(at(&format!("jqPathExpressions/{j}")), message);
    }
}

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for site in ignore_sites(ctx.repo) {
        check_site(meta, ctx, &site, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_jq_and_groups() {
        assert!(check_pointer("/spec/replicas").is_none());
        assert!(check_pointer("/metadata/annotations/example.com~1owner").is_none());
        let (_, f) = check_pointer("spec/replicas").expect("no slash");
        assert_eq!(f.as_deref(), Some("/spec/replicas"));
        let (_, f) = check_pointer(".spec.replicas").expect("dots");
        assert_eq!(f.as_deref(), Some("/spec/replicas"));
        let (_, f) =
            check_pointer("/metadata/annotations/example.com/owner").expect("unescaped slash");
        assert_eq!(
            f.as_deref(),
            Some("/metadata/annotations/example.com~1owner")
        );
        assert!(check_pointer("/a~2b").is_some());
        assert!(jq_compile_error(".spec.replicas").is_none());
        assert!(jq_compile_error(
            ".spec.template.spec.initContainers[] | select(.name == \"istio-init\")"
        )
        .is_none());
        assert!(jq_compile_error(".spec.replicas[").is_some());
        assert!(jq_compile_error(".spec | nosuchfn").is_some());
        assert_eq!(group_has_version("apps/v1").as_deref(), Some("apps"));
        assert_eq!(group_has_version("v1").as_deref(), Some(""));
        assert_eq!(
            group_has_version("networking.k8s.io/v1beta1").as_deref(),
            Some("networking.k8s.io")
        );
        assert!(group_has_version("apps").is_none());
        assert!(group_has_version("*").is_none());
        assert!(group_has_version("vault.banzaicloud.com").is_none());
    }
}
