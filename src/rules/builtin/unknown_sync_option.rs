//! `unknown-sync-option`: a sync option or compare option that Argo CD does not know, with a
//! value it does not accept, or in a place where it has no effect. Argo CD matches options as
//! exact strings and silently ignores the rest. Documentation: `rules/unknown-sync-option.md`.

use serde_json::Value;

use crate::load::yaml::escape_pointer_token;
use crate::model::object::{csv, Manifest};
use crate::rules::{Context, Finding, RuleMeta};

/// Where an option is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// `spec.syncPolicy.syncOptions` of an Application (or ApplicationSet template).
    App,
    /// The `argocd.argoproj.io/sync-options` annotation of a resource.
    Annotation,
}

struct Known {
    key: &'static str,
    values: &'static [&'static str],
    app: bool,
    annotation: bool,
}

const TF: &[&str] = &["true", "false"];

/// Sync options Argo CD 3.x reads (gitops-engine `sync/common/types.go`, `controller/sync.go`).
const SYNC_OPTIONS: &[Known] = &[
    Known {
        key: "Prune",
        values: &["false", "confirm", "true"],
        app: true,
        annotation: true,
    },
    Known {
        key: "Delete",
        values: &["false", "confirm", "true"],
        app: true,
        annotation: true,
    },
    Known {
        key: "Validate",
        values: TF,
        app: true,
        annotation: true,
    },
    Known {
        key: "SkipDryRunOnMissingResource",
        values: TF,
        app: true,
        annotation: true,
    },
    Known {
        key: "PruneLast",
        values: TF,
        app: true,
        annotation: true,
    },
    Known {
        key: "Replace",
        values: TF,
        app: true,
        annotation: true,
    },
    Known {
        key: "Force",
        values: TF,
        app: false,
        annotation: true,
    },
    Known {
        key: "ServerSideApply",
        values: TF,
        app: true,
        annotation: true,
    },
    Known {
        key: "ApplyOutOfSyncOnly",
        values: TF,
        app: true,
        annotation: false,
    },
    Known {
        key: "CreateNamespace",
        values: TF,
        app: true,
        annotation: false,
    },
    Known {
        key: "PrunePropagationPolicy",
        values: &["foreground", "background", "orphan"],
        app: true,
        annotation: false,
    },
    Known {
        key: "RespectIgnoreDifferences",
        values: TF,
        app: true,
        annotation: false,
    },
    Known {
        key: "FailOnSharedResource",
        values: TF,
        app: true,
        annotation: false,
    },
    Known {
        key: "ClientSideApplyMigration",
        values: TF,
        app: true,
        annotation: false,
    },
];

/// Compare options (`argocd.argoproj.io/compare-options`).
const COMPARE_OPTIONS: &[&str] = &[
    "IgnoreExtraneous",
    "ServerSideDiff=true",
    "ServerSideDiff=false",
    "IncludeMutationWebhook=true",
    "IncludeMutationWebhook=false",
];

fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(!ca.eq_ignore_ascii_case(cb));
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

fn nearest<'a>(input: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let input_key = input.split('=').next().unwrap_or(input);
    candidates
        .map(|c| (levenshtein(input_key, c.split('=').next().unwrap_or(c)), c))
        .filter(|(d, c)| *d <= 3.max(c.len() / 4))
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

/// Checks one sync option; returns the problem in words, or `None` when it is valid here.
pub fn check_sync_option(option: &str, place: Place) -> Option<String> {
    if option == "SkipHooks=true" || option.starts_with("SkipHooks") {
        return Some(format!(
            "`{option}` is not an Argo CD sync option and is silently ignored: hooks are skipped \
             only by the `apply` sync strategy (`argocd app sync --strategy apply`) or by syncing \
             selected resources"
        ));
    }
    if option.trim() != option {
        return Some(format!(
            "`{option}` has surrounding spaces; Argo CD compares sync options as exact strings, \
             so it is ignored; write `{}`",
            option.trim()
        ));
    }
    let (key, value) = match option.split_once('=') {
        Some((k, v)) => (k, Some(v)),
        None => (option, None),
    };
    let Some(known) = SYNC_OPTIONS.iter().find(|k| k.key == key) else {
        let hint = nearest(option, SYNC_OPTIONS.iter().map(|k| k.key))
            .and_then(|k| SYNC_OPTIONS.iter().find(|x| x.key == k))
            .map(|k| {
                let v = value
                    .filter(|v| k.values.contains(v))
                    .unwrap_or(k.values[0]);
                format!("; did you mean `{}={}`?", k.key, v)
            })
            .unwrap_or_else(|| {
                "; see https://argo-cd.readthedocs.io/en/stable/user-guide/sync-options/"
                    .to_string()
            });
        return Some(format!(
            "`{option}` is not an Argo CD sync option and is silently ignored{hint}"
        ));
    };
    let Some(value) = value.filter(|v| known.values.contains(v)) else {
        let valid: Vec<String> = known
            .values
            .iter()
            .map(|v| format!("`{}={v}`", known.key))
            .collect();
        return Some(format!(
            "`{option}` has no effect: Argo CD accepts {}",
            valid.join(", ")
        ));
    };
    let _ = value;
    match place {
        Place::Annotation if !known.annotation => Some(format!(
            "`{option}` only works in the Application's spec.syncPolicy.syncOptions, not in the \
             `argocd.argoproj.io/sync-options` annotation, where it is ignored"
        )),
        Place::App if !known.app => Some(format!(
            "`{option}` is only read from a resource's `argocd.argoproj.io/sync-options` \
             annotation; for a whole Application, use the sync strategy's `force`"
        )),
        _ => None,
    }
}

/// Checks one compare option.
pub fn check_compare_option(option: &str) -> Option<String> {
    if COMPARE_OPTIONS.contains(&option) {
        return None;
    }
    let hint = nearest(option, COMPARE_OPTIONS.iter().copied())
        .map(|c| format!("; did you mean `{c}`?"))
        .unwrap_or_default();
    Some(format!(
        "`{option}` is not an Argo CD compare option and is silently ignored{hint}"
    ))
}

fn annotation_pointer(name: &str) -> String {
    format!("/metadata/annotations/{}", escape_pointer_token(name))
}

fn check_app_options(meta: &RuleMeta, m: &Manifest, base: &str, out: &mut Vec<Finding>) {
    let pointer = format!("{base}/syncPolicy/syncOptions");
    let Some(Value::Array(items)) = m.obj.pointer(&pointer) else {
        return;
    };
    for (i, item) in items.iter().enumerate() {
        let item_pointer = format!("{pointer}/{i}");
        let problem = match item.as_str() {
            Some(s) => check_sync_option(s, Place::App),
            None => Some("sync options must be strings such as `CreateNamespace=true`".to_string()),
        };
        if let Some(msg) = problem {
            out.push(
                Finding::new(meta, msg, m.locate(&item_pointer))
                    .with_object(&m.key)
                    .with_pointer(item_pointer),
            );
        }
    }
}

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for app in &ctx.repo.apps {
        check_app_options(meta, ctx.repo.manifest(app.manifest), "/spec", out);
    }
    for set in &ctx.repo.appsets {
        check_app_options(
            meta,
            ctx.repo.manifest(set.manifest),
            "/spec/template/spec",
            out,
        );
    }
    for m in &ctx.repo.manifests {
        for (name, sync) in [
            ("argocd.argoproj.io/sync-options", true),
            ("argocd.argoproj.io/compare-options", false),
        ] {
            let Some(value) = m.annotation(name) else {
                continue;
            };
            let pointer = annotation_pointer(name);
            for opt in csv(value) {
                let problem = if sync {
                    check_sync_option(opt, Place::Annotation)
                } else {
                    check_compare_option(opt)
                };
                if let Some(msg) = problem {
                    out.push(
                        Finding::new(meta, msg, m.locate(&pointer))
                            .with_object(&m.key)
                            .with_pointer(format!("{pointer}#{opt}")),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_judged_like_argo_cd() {
        assert!(check_sync_option("CreateNamespace=true", Place::App).is_none());
        assert!(check_sync_option("Prune=confirm", Place::Annotation).is_none());
        assert!(check_sync_option("PrunePropagationPolicy=orphan", Place::App).is_none());
        let skip = check_sync_option("SkipHooks=true", Place::App).unwrap_or_default();
        assert!(skip.contains("apply"), "{skip}");
        let typo = check_sync_option("CreateNamspace=true", Place::App).unwrap_or_default();
        assert!(
            typo.contains("did you mean `CreateNamespace=true`"),
            "{typo}"
        );
        let case = check_sync_option("prune=false", Place::App).unwrap_or_default();
        assert!(case.contains("`Prune=false`"), "{case}");
        assert!(check_sync_option("Prune=no", Place::App).is_some());
        assert!(check_sync_option(" Prune=false", Place::App).is_some());
        assert!(check_sync_option("CreateNamespace=true", Place::Annotation).is_some());
        assert!(check_sync_option("Force=true", Place::App).is_some());
        assert!(check_sync_option("Force=true", Place::Annotation).is_none());
        assert!(check_compare_option("IgnoreExtraneous").is_none());
        assert!(check_compare_option("IgnoreExtranous")
            .unwrap_or_default()
            .contains("did you mean `IgnoreExtraneous`"));
    }
}
