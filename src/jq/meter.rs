//! The budget of the jq evaluation running on this thread.
//!
//! jaq's value operations take no context, so the [`Meter`] of the running evaluation lives in
//! a thread-local. Every operation on a [`super::value::Jv`] — cloning one included, which jaq
//! does at each step of a loop — counts a step, and every value built counts its bytes and
//! its nesting. A budget that runs out unwinds out of jaq with [`Stop`] (without running the
//! panic hook, so nothing is printed) up to [`metered`], which turns it into an error: a jq
//! program cannot catch it with `try`, and nothing of the evaluation is used afterwards.
//!
//! The native stack is watched as well: when less than [`STACK_RED_ZONE`] bytes remain, the
//! evaluation stops as too deep, whatever recursion got it there.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};

use crate::limits::{Exceeded, Limits, Meter};

/// Stack that must remain free while jq runs; below it the evaluation stops.
pub const STACK_RED_ZONE: usize = 256 << 10;
/// Stack an evaluation starts with at least (a new segment is allocated when the thread has
/// less left).
const STACK_MIN: usize = 2 << 20;
/// Size of the segment allocated then.
const STACK_SEGMENT: usize = 8 << 20;

thread_local! {
    static METER: RefCell<Option<Meter>> = const { RefCell::new(None) };
}

/// The payload of the unwinding that stops an evaluation.
#[derive(Debug)]
struct Stop(Exceeded);

/// How an evaluation ended early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Abort {
    /// A budget ran out.
    Exceeded(Exceeded),
    /// jaq panicked (a defect of the interpreter, reported instead of ending the process).
    Panic(String),
}

#[cold]
fn stop(e: Exceeded) -> ! {
    panic::resume_unwind(Box::new(Stop(e)))
}

fn with<R>(f: impl FnOnce(&mut Meter) -> Result<R, Exceeded>) -> Option<R> {
    let r = METER.with(|m| m.borrow_mut().as_mut().map(f));
    match r {
        None => None,
        Some(Ok(v)) => Some(v),
        Some(Err(e)) => stop(e),
    }
}

fn low_stack() -> bool {
    stacker::remaining_stack().is_some_and(|left| left < STACK_RED_ZONE)
}

/// Counts `n` steps of the running evaluation (none outside one).
#[inline]
pub fn step(n: u64) {
    if with(|m| m.step(n)).is_some() && low_stack() {
        let depth = METER.with(|m| m.borrow().as_ref().map_or(0, |m| m.limits().depth));
        stop(Exceeded::Depth(depth));
    }
}

/// Counts `bytes` about to be allocated for a value.
#[inline]
pub fn alloc(bytes: usize) {
    with(|m| m.alloc(bytes));
}

/// Checks the nesting of a value about to be built.
#[inline]
pub fn check_depth(depth: usize) {
    with(|m| m.check_depth(depth));
}

/// The nesting limit of the running evaluation, if any.
pub fn depth_limit() -> Option<usize> {
    METER.with(|m| m.borrow().as_ref().map(|m| m.limits().depth))
}

/// Runs `f` under `limits` on this thread (with enough stack for it) and reports how it ended.
pub fn metered<T>(limits: Limits, f: impl FnOnce() -> T) -> Result<T, Abort> {
    stacker::maybe_grow(STACK_MIN, STACK_SEGMENT, || {
        let previous = METER.with(|m| m.replace(Some(Meter::new(limits))));
        let r = panic::catch_unwind(AssertUnwindSafe(f));
        METER.with(|m| *m.borrow_mut() = previous);
        r.map_err(|payload| match payload.downcast::<Stop>() {
            Ok(stop) => Abort::Exceeded(stop.0),
            Err(other) => Abort::Panic(
                other
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| other.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown".to_string()),
            ),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_an_evaluation_nothing_is_counted() {
        step(u64::MAX);
        alloc(usize::MAX);
        check_depth(usize::MAX);
        assert_eq!(depth_limit(), None);
    }

    #[test]
    fn a_budget_that_runs_out_stops_the_evaluation() {
        let limits = Limits {
            steps: 100,
            ..Limits::JQ
        };
        let r = metered(limits, || loop {
            step(1);
        });
        assert_eq!(r, Err(Abort::Exceeded(Exceeded::Steps(100))));
        // The meter is gone afterwards.
        step(u64::MAX);
        let r = metered(limits, || {
            alloc(usize::MAX);
        });
        assert_eq!(r, Err(Abort::Exceeded(Exceeded::Memory(limits.memory))));
        assert_eq!(metered(limits, || 7), Ok(7));
    }

    #[test]
    fn runaway_recursion_stops_before_the_stack_ends() {
        fn deep(n: u64) -> u64 {
            step(1);
            let pad = [n; 64];
            std::hint::black_box(&pad);
            if n == u64::MAX {
                return 0;
            }
            deep(n + 1) + pad[0]
        }
        let r = metered(Limits::JQ, || deep(0));
        assert_eq!(r, Err(Abort::Exceeded(Exceeded::Depth(Limits::JQ.depth))));
    }
}
