//! Load: the only stage that touches the file system.
//!
//! It walks the checkout (honouring `.gitignore`, as Argo CD's clone would), reads YAML with
//! exact source positions for every key, value and list item, and reads cluster dumps
//! (`kubectl get -o json|yaml`, `List`s, folders) quickly, without positions.

pub mod discover;
pub mod dump;
pub mod revision;
/// The checkout root: what may be read from a checkout (the `driftlens-sandbox` crate).
pub use driftlens_sandbox::root;
pub mod source;

/// YAML with exact source positions (the `driftlens-yaml` engine).
pub use driftlens_yaml::located as yaml;
/// Kubernetes' rules for plain YAML scalars.
pub use driftlens_yaml::scalar;
