//! `appset-git-generator-no-match`: a git generator's `directories` or `files` pattern that
//! selects nothing in the repository it reads (this checkout or a `--repo` checkout).
//! Documentation: `rules/appset-git-generator-no-match.md`.

use serde_json::json;

use crate::rules::{Context, Finding, RuleMeta};

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for e in &ctx.repo.appset_expansions {
        let m = ctx.repo.manifest(e.manifest);
        for u in &e.unmatched {
            let what = if u.kind == "files" {
                "no file"
            } else {
                "no directory"
            };
            out.push(
                Finding::new(
                    meta,
                    format!(
                        "the git generator of ApplicationSet `{}` selects `{}` {}, but {what} \
                         of `{}` matches: this pattern generates no Application. Check the \
                         pattern against the repository (directories: Go `path.Match`, where \
                         `*` stops at `/` and `**` is `*`; files: git pathspecs, where `*` \
                         crosses `/`)",
                        e.name, u.pattern, u.kind, u.repo_url
                    ),
                    m.locate(&u.pointer),
                )
                .with_object(&m.key)
                .with_pointer(u.pointer.clone())
                .with_property("applicationSet", json!(e.name))
                .with_property("pattern", json!(u.pattern)),
            );
        }
    }
}
