//! Rendering: turns chart sources into Kubernetes manifests.
//!
//! Helm charts are rendered in-process by an engine of our own (no helm binary); every
//! rendered byte can be traced back to the template line that produced it. Kustomize
//! directories are built in-process by the `driftlens-kustomize` engine ([`kustomize`] holds
//! its command-line front end).
//!
//! - [`gotmpl`]: the Go `text/template` engine with Sprig and Helm functions (the
//!   `driftlens-gotmpl` crate).
//! - [`yaml`]: YAML loading and `toYaml` output with go-yaml v2 semantics (in `driftlens-gotmpl`).
//! - [`helm`]: charts, values, the render pipeline and `helm template` output (the
//!   `driftlens-helm` crate), with [`values_origin`]: where a `.Values` key was set.

/// Helm charts (the `driftlens-helm` engine) and the command-line front ends of its renderer.
pub mod helm {
    pub use driftlens_helm::*;

    pub mod args;
}
pub mod integrate;
pub mod kustomize;
pub mod kustomized;

pub use driftlens_gotmpl as gotmpl;
pub use driftlens_gotmpl::yaml;
pub use driftlens_helm::values_origin;
