//! `image-without-digest`: a container image pinned by tag only, without `@sha256:…`. Images
//! without a tag or with `:latest` are reported by `image-tag-mutable` instead. Documentation:
//! `rules/image-without-digest.md`.

use serde_json::Value;

use super::image_ref::{is_placeholder, parse};
use super::image_tag_mutable::is_mutable;
use super::podspec::pods;
use crate::rules::{Context, Finding, RuleMeta};

/// Runs the rule.
pub fn check(meta: &RuleMeta, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for pod in pods(ctx) {
        let m = pod.manifest;
        for c in pod.containers() {
            let Some(image) = c.value.get("image").and_then(Value::as_str) else {
                continue;
            };
            if is_placeholder(image) || is_mutable(image) || parse(image).digest.is_some() {
                continue;
            }
            let pointer = format!("{}/image", c.pointer);
            let message = format!(
                "Image `{image}` of {} in {} is pinned by tag only: a tag can be pushed again, \
                 so the same Git commit can run different code. Add the digest \
                 (`{image}@sha256:…`), e.g. with an image updater or Kustomize `images:`",
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
