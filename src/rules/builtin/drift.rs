//! Shared helpers of the drift rules (`drift-modified`, `drift-missing`, `drift-extraneous`):
//! mapping a pointer of the predicted live document back to the line in Git, and describing
//! values without ever revealing Secret data.

use serde_json::Value;

use crate::compare::app::{AppResult, ResourceResult};
use crate::load::yaml::{escape_pointer_token, unescape_pointer_token, NodeValue};
use crate::model::object::{Location, Manifest};
use crate::rules::Context;

/// Keys that identify list items (the strategic-merge keys of the common built-in lists).
const ITEM_KEYS: &[&str] = &[
    "name",
    "containerPort",
    "mountPath",
    "port",
    "devicePath",
    "ip",
];

/// Translates a pointer into the predicted live document into a pointer into the Git document:
/// list indices are matched by the items' merge keys, because the predicted list may hold
/// live-only items (an injected sidecar) that shift the indices.
pub fn git_pointer(m: &Manifest, predicted: &Value, pointer: &str) -> String {
    let Some(rest) = pointer.strip_prefix('/') else {
        return pointer.to_string();
    };
    let mut out = String::new();
    let mut pv = Some(predicted);
    let mut node = Some(&m.node);
    for raw in rest.split('/') {
        let token = unescape_pointer_token(raw);
        let mut seg = token.to_string();
        if let (Some(Value::Array(items)), Ok(i)) = (pv, token.parse::<usize>()) {
            if let (Some(item), Some(NodeValue::Seq(git_items))) =
                (items.get(i), node.map(|n| &n.value))
            {
                let found = ITEM_KEYS.iter().find_map(|k| {
                    let want = item.get(*k)?;
                    git_items
                        .iter()
                        .position(|g| g.get(k).map(|n| n.to_json()).as_ref() == Some(want))
                });
                if let Some(gi) = found {
                    seg = gi.to_string();
                }
            }
        }
        pv = pv.and_then(|v| match v {
            Value::Object(o) => o.get(token.as_ref()),
            Value::Array(a) => token.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        });
        node = node.and_then(|n| match &n.value {
            NodeValue::Map(_) => n.get(&seg),
            NodeValue::Seq(items) => seg.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        });
        out.push('/');
        out.push_str(&escape_pointer_token(&seg));
    }
    out
}

/// Where a finding about the field at `pointer` (of the predicted document) goes in Git: the
/// field itself, its closest written parent, or the `kind:` line when nothing of it is written.
pub fn locate(m: &Manifest, predicted: &Value, pointer: &str) -> Location {
    let mut gp = git_pointer(m, predicted, pointer);
    // Argo CD folds a Secret's `stringData` into `data`; point at what Git actually writes.
    if m.key.group.is_empty() && m.key.kind == "Secret" && m.node.pointer(&gp).is_none() {
        if let Some(rest) = gp.strip_prefix("/data") {
            let alt = format!("/stringData{rest}");
            if m.node.pointer(&alt).is_some() {
                gp = alt;
            }
        }
    }
    let span = m.node.closest_span(&gp);
    if span == m.node.span {
        m.locate_kind()
    } else {
        m.location_of(span)
    }
}

/// Whether a resource holds secret values by kind (its values are never described).
pub fn is_secret(r: &ResourceResult) -> bool {
    crate::model::sensitive::is_secret_kind(&r.key.kind)
}

/// Whether a value is a mask of the masking policy (a run of `+`).
pub fn is_mask(v: Option<&Value>) -> bool {
    v.and_then(Value::as_str)
        .is_some_and(|s| s.len() >= 8 && s.bytes().all(|b| b == b'+'))
}

/// A short rendering of a value for a message, or `None` when it is too long to be useful.
pub fn short(v: Option<&Value>) -> String {
    match v {
        None => "absent".into(),
        Some(Value::String(s)) if s.chars().count() <= 60 && !s.contains('\n') => format!("`{s}`"),
        Some(v @ (Value::Number(_) | Value::Bool(_) | Value::Null)) => format!("`{v}`"),
        Some(other) => {
            let t = other.to_string();
            if t.chars().count() <= 60 {
                format!("`{t}`")
            } else {
                "a different value".into()
            }
        }
    }
}

/// The Application (manifest index) behind an app result, if it is a real Application.
pub fn app_manifest<'a>(ctx: &'a Context<'_>, app: &AppResult) -> Option<&'a Manifest> {
    let i = app.app?;
    Some(ctx.repo.manifest(ctx.repo.apps.get(i)?.manifest))
}

/// `(app, resource)` pairs of every Application in the drift report, in report order.
pub fn resources<'a>(
    ctx: &'a Context<'_>,
) -> impl Iterator<Item = (&'a AppResult, &'a ResourceResult)> + 'a {
    ctx.drift
        .into_iter()
        .flat_map(|d| d.apps.iter())
        .flat_map(|a| a.resources.iter().map(move |r| (a, r)))
}
