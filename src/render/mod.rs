//! Rendering: turns chart sources into Kubernetes manifests.
//!
//! Helm charts are rendered in-process by an engine of our own (no helm binary); every
//! rendered byte can be traced back to the template line that produced it. Kustomize
//! directories are recognised but not rendered yet: they are reported as "not rendered".
//!
//! - [`gotmpl`]: the Go `text/template` engine with Sprig and Helm functions.
//! - [`yaml`]: YAML loading and `toYaml` output with go-yaml v2 semantics.
//! - [`yaml_errors`]: go-yaml's wording and line numbers for YAML syntax errors.
//! - [`helm`]: charts, values, the render pipeline and `helm template` output.

pub mod gotmpl;
pub mod helm;
pub mod integrate;
pub mod values_origin;
pub mod yaml;
pub mod yaml_errors;
