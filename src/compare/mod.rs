//! Compare: desired (Git) against live (cluster dump) with Argo CD's semantics.
//!
//! Normalization, ignoreDifferences, the legacy / structured-merge diff modes, sync status,
//! drift causes, health assessment and sync windows live here. Everything in this stage works
//! on parsed values; it never reads files and never formats output.

pub mod cron;
pub mod health;
pub mod syncwindow;
