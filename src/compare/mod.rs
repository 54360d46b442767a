//! Compare: desired (Git) against live (cluster dump) with Argo CD's semantics.
//!
//! Normalization, ignoreDifferences, the legacy / structured-merge diff modes, sync status,
//! drift causes, health assessment and sync windows live here. Everything in this stage works
//! on parsed values; it never reads files and never formats output.

pub mod quantity;
pub mod patchmeta;
pub mod normalize;
pub mod jq;
pub mod defaults;
pub mod diff;
pub mod ignore;
pub mod jsonmerge;
pub mod managedfields;
pub mod smd;
pub mod smp;
#[cfg(test)]
mod conformance_tests;
