//! The standing hostile-input suite: a checkout (and a dump) is written by whoever opens the
//! pull request, so each module here plays one class of attack against the real binary, run
//! under a memory limit and a wall-clock limit ([`harness`]), and asserts the exit code, that
//! the run stayed bounded in CPU time and peak memory, and what it printed.
//!
//! | module | class |
//! |---|---|
//! | [`process_control`] | 1. jq, templates and scripts cannot end the process |
//! | [`secrets`] | 2. no Secret value in any output of any command and format (`review` of two revisions too) |
//! | [`escape`] | 3. nothing outside the checkout is read |
//! | [`engines`] | 4. every engine (jq, Lua, Go templates) stays within its budgets |
//! | [`unbounded`] | 5. costs stay linear or capped |
//! | [`exit_codes`] | 6. no silent acceptance, no wrong exit code |
//! | [`kustomize`] | kustomizations: cycles, reads outside the checkout, size, nesting |

mod harness;

#[path = "../common/git.rs"]
mod git;

mod engines;
mod escape;
mod exit_codes;
mod kustomize;
mod process_control;
mod secrets;
mod unbounded;
