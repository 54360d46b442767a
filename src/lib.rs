//! # driftlens
//!
//! Offline Argo CD drift prediction, drift explanation and GitOps linting.
//!
//! driftlens reads a Git checkout (plain manifests, Helm charts, Argo CD
//! `Application`/`AppProject` objects and the `argocd-cm` ConfigMap) and, optionally,
//! cluster dumps (`kubectl get … -o json|yaml`). It predicts what Argo CD would report,
//! explains the likely cause of each difference and lints for risky patterns, without
//! ever talking to a cluster or the network.
//!
//! The crate is organised as a pipeline; each stage is a module with one job:
//!
//! | stage | owns |
//! |---|---|
//! | [`load`] | every file access: the repository walk, YAML with source positions, cluster dumps |
//! | [`sources`] | where each Application source comes from, or why it is not analysed |
//! | [`render`] | turning Helm charts and kustomizations into manifests |
//! | [`model`] | Kubernetes objects, their identities and the typed Argo CD models |
//! | [`compare`] | desired vs live: normalization, ignore rules, diff modes, status, health |
//! | [`rules`] | the rule catalog: built-in rules, data rules, findings |
//! | [`report`] | every output format: terminal, JSON, SARIF, GitHub, diff |
//!
//! [`civil`] is the calendar arithmetic that sync windows share with the template engine's date
//! functions (`driftlens-gotmpl`).
//!
//! [`jq`] is the sandboxed jq engine of ignore rules and data rules; [`limits`] (from
//! `driftlens-sandbox`) holds the budgets every engine that runs code from a checkout works
//! under.
//!
//! [`config`] reads `.driftlens.yaml` (rule settings, exclusions, suppressions).
//!
//! [`severity`] is the severity scale that configuration, rules and reports share, and
//! [`glob`] the glob matching of Argo CD's patterns that drift comparison and rules share.
//!
//! [`scan`] runs the pipeline for `driftlens scan`; [`review`] runs it on two revisions of a
//! Git repository and compares them (`driftlens review`); [`cli`] is the thin command-line front end that wires the stages together.

pub mod cli;
pub mod compare;
pub mod config;
pub mod glob;
pub mod jq;
/// The budgets of the engines that run checkout code (the `driftlens-sandbox` crate).
pub use driftlens_sandbox::limits;
pub mod load;
pub mod model;
pub mod render;
pub mod report;
pub mod review;
pub mod rules;
pub mod scan;
pub mod severity;
pub mod sources;

pub use driftlens_gotmpl::civil;
