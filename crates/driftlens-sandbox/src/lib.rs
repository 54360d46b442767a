//! # driftlens-sandbox
//!
//! What the engines of driftlens may do with code and files taken from a checkout, which is
//! written by whoever opens a pull request:
//!
//! - [`limits`]: the budgets every engine that runs checkout code works under — nesting depth,
//!   work steps, wall-clock time and memory ([`Limits`]) — and the accounting of one
//!   evaluation ([`Meter`]). jq, Lua health checks, Go templates, and the Kustomize and
//!   ApplicationSet engines use the same types, so one command-line option scales them all.
//! - [`root`]: the checkout root ([`CheckoutRoot`]): a path is read only when it resolves,
//!   symbolic links followed, to a place inside the checkout.
//!
//! Exceeding a budget or leaving the checkout is an error of the expression or file concerned,
//! reported at its place; it never ends the process.

pub mod limits;
pub mod root;

pub use limits::{Exceeded, Limits, Meter};
pub use root::{CheckoutRoot, Escape};
