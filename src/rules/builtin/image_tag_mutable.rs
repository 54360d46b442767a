//! `image-tag-mutable`: a container image without a tag or with `:latest`, and no digest.
//! Documentation: `rules/image-tag-mutable.md`.

use serde_json::Value;

use super::image_ref::{is_placeholder, parse};
use super::podspec::pods;
use crate::rules::{Context, Finding, RuleMeta};

/// Whether an image is reported by this rule (so `image-without-digest` leaves it alone).
pub fn is_mutable(image: &str) -> bool {
    let r = parse(image);
    r.digest.is_none() && matches!(r.tag, None | Some("latest"))
}

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for pod in pods(ctx) {
        let m = pod.manifest;
        for c in pod.containers() {
            let Some(image) = c.value.get("image").and_then(Value::as_str) else {
                continue;
            };
            if is_placeholder(image) || !is_mutable(image) {
                continue;
            }
            let what = if parse(image).tag.is_none() {
                "has no tag, which means `:latest`"
            } else {
                "uses the `:latest` tag"
            };
            let pointer = format!("{}/image", c.pointer);
            let message = format!(
                "Image `{image}` of {} in {} {what}: the running version depends on when each \
                 node pulled it, Git does not say what runs, and a rollback redeploys the same \
                 tag. Pin a version tag, ideally with its digest (`name:1.2.3@sha256:…`)",
                c.describe(),
                pod.describe()
            );
            out.push(
                Finding::new(meta, message, m.locate(&pointer))
                    .with_object(&m.key)
                    .with_pointer(pointer),
            );
        }
    }
}
