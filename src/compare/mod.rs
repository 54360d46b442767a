//! Compare: desired (Git) against live (cluster dump) with Argo CD's semantics.
//!
//! Normalization, ignoreDifferences, the legacy / structured-merge diff modes, sync status,
//! drift causes, health assessment and sync windows live here. Everything in this stage works
//! on parsed values; it never reads files and never formats output.

#[cfg(test)]
mod conformance_tests;
pub mod defaults;
pub mod diff;
pub mod duration;
pub mod ignore;
pub mod jq;
pub mod jsonmerge;
pub mod managedfields;
pub mod normalize;
pub mod patchmeta;
pub mod quantity;
pub mod smd;
pub mod smp;
