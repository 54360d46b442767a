//! Compare: desired (Git) against live (cluster dump) with Argo CD's semantics.
//!
//! Normalization, ignoreDifferences, the legacy / structured-merge diff modes, sync status,
//! drift causes, health assessment and sync windows live here. Everything in this stage works
//! on parsed values; it never reads files and never formats output.
//!
//! ## Diff engine
//!
//! [`diff()`](fn@diff) compares one desired object with its live counterpart:
//!
//! ```text
//! desired, live ─ tracking normalization ─ managedFieldsManagers ─ remarshal (built-in kinds)
//!   ─ kind rules (Secret, roles, Endpoints) ─ /status + ignoreDifferences + knownTypeFields
//!   ─ mode: structured-merge (ServerSideApply=true) | legacy 3-way / 2-way strategic merge
//!           (built-in kinds, then scheme defaults) | JSON merge (custom resources)
//!   ─ predicted live vs normalized live → DiffResult
//! ```
//!
//! Modules: [`normalize`] and [`quantity`] / [`duration`] (typed round-trip), [`ignore`] and
//! [`jq`] (ignore rules), [`engine`] (the diff settings of an Application),
//! [`secrets`] (masking Secret values in results), [`defaults`] (scheme defaulting),
//! [`mod@diff`] (entry point and result). The merge semantics underneath are the
//! `driftlens-merge` engine: [`managedfields`] (`fieldsV1`), [`patchmeta`] (the Kubernetes
//! type table generated from the OpenAPI document and the Go types), [`smp`], [`jsonmerge`],
//! [`smd`] (the three predictions).

pub mod app;
pub mod appview;
pub mod cause;
#[cfg(test)]
mod conformance_tests;
pub mod defaults;
pub mod diff;
pub mod duration;
pub mod engine;
pub mod hooks;
pub mod ignore;
pub mod jq;
pub mod normalize;
pub mod quantity;
#[cfg(test)]
mod robustness_tests;
pub mod secrets;
pub mod tracking;

pub use driftlens_merge::{jsonmerge, managedfields, patchmeta, smd, smp};

pub use diff::{diff, diff_optional, DiffError, DiffMode, DiffResult, DiffSettings, FieldDiff};
pub use ignore::{CompiledIgnoreRule, IgnoreRule, KnownTypeField};
pub use normalize::StatusIgnore;

pub mod cron;
pub mod health;
pub mod syncwindow;
