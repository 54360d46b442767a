//! `rule-error`: a rule written as data fails on an object. The findings are made by the data
//! rules themselves ([`crate::rules::data`]), which need this rule's metadata; this module only
//! gives them that. Documentation: `rules/rule-error.md`.

use std::sync::LazyLock;

use crate::rules::{Context, Finding, RuleMeta};

static META: LazyLock<Option<RuleMeta>> = LazyLock::new(|| {
    RuleMeta::parse(
        "rules/rule-error.md",
        include_str!("../../../rules/rule-error.md"),
    )
    .ok()
});

/// The rule's metadata, for the data rules that report their failures.
pub fn meta() -> Option<&'static RuleMeta> {
    META.as_ref()
}

/// Runs the rule: nothing to do, the data rules report their own failures.
pub fn check(_meta: &RuleMeta, _ctx: &Context<'_>, _out: &mut Vec<Finding>) {}
