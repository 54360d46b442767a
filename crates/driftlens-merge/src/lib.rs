//! Kubernetes' merge semantics over JSON values: what `kubectl apply` and server-side apply
//! make of an object, computed offline.
//!
//! - [`patchmeta`]: the type table of every built-in Kubernetes API type (field types,
//!   strategic-merge-patch merge keys and strategies, structured-merge list types), generated
//!   from the OpenAPI document and the Go types and embedded in the crate.
//! - [`smp`]: the outcome of a three-way strategic merge patch (built-in kinds).
//! - [`jsonmerge`]: the outcome of a three-way JSON merge patch (custom resources).
//! - [`smd`]: a structured-merge (server-side apply) approximation driven by `managedFields`.
//! - [`managedfields`]: `metadata.managedFields` (`fieldsV1`) parsing and path resolution.
//!
//! What it is not: no diff, normalization or ignore rules (those are Argo CD's semantics and
//! live with the drift engine of the application), no YAML and no I/O: values in, values
//! out. Inputs deeper than [`MAX_DEPTH`] are the caller's to reject before merging.
//!
//! ```
//! use driftlens_merge::{patchmeta, smp};
//! use serde_json::json;
//!
//! let table = patchmeta::table().expect("the embedded type table parses");
//! let root = table.root("apps/v1", "Deployment").expect("a built-in kind");
//! let last_applied = json!({"spec": {"template": {"spec": {"containers": [
//!     {"name": "app", "image": "app:1"}]}}}});
//! let config = json!({"spec": {"template": {"spec": {"containers": [
//!     {"name": "app", "image": "app:2"}]}}}});
//! // The cluster added a sidecar; containers merge by `name`, so it stays.
//! let live = json!({"spec": {"template": {"spec": {"containers": [
//!     {"name": "app", "image": "app:1"}, {"name": "proxy", "image": "envoy"}]}}}});
//! let merged = smp::predict(table, root, Some(&last_applied), &config, &live);
//! assert_eq!(
//!     merged["spec"]["template"]["spec"]["containers"],
//!     json!([{"name": "app", "image": "app:2"}, {"name": "proxy", "image": "envoy"}])
//! );
//! ```

#![warn(missing_docs)]

pub mod jsonmerge;
pub mod managedfields;
pub mod patchmeta;
pub mod smd;
pub mod smp;

/// Deepest nesting of an input document that callers accept; the recursive merges below
/// rely on it.
pub const MAX_DEPTH: usize = 128;

/// Annotation kubectl and Argo CD write with the last applied configuration (the "original"
/// of a three-way merge).
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
