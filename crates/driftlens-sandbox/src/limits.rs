//! Budgets of the engines that run code taken from a checkout: jq (ignore rules and data rules),
//! Lua (health checks), Go templates (Helm) and the engines to come (Kustomize,
//! ApplicationSet generators).
//!
//! Code in a checkout is written by whoever opens a pull request, so every engine runs it under
//! a [`Limits`]: nesting depth, work steps, wall-clock time and memory. The data cannot raise or
//! switch off a limit; only the command line can (see the README's security model). Exceeding
//! one is an [`Exceeded`] error that the caller reports at the expression's file and line; it
//! never ends the process.
//!
//! A [`Meter`] does the accounting of one evaluation: engines call [`Meter::step`] and
//! [`Meter::alloc`] as they work and [`Meter::enter`] for each level of nesting. The meter
//! checks the clock every [`CLOCK_EVERY`] steps, so a check costs a few instructions.

use std::fmt;
use std::time::{Duration, Instant};

/// How many steps pass between two looks at the clock.
pub const CLOCK_EVERY: u64 = 1024;

/// The budget of one evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest nesting: of values built (jq), of calls (Lua, templates).
    pub depth: usize,
    /// Work units: value operations (jq), VM instructions (Lua), nodes evaluated (templates).
    pub steps: u64,
    /// Wall-clock time.
    pub time: Duration,
    /// Bytes the evaluation may allocate for its values, counted as they are built.
    pub memory: usize,
}

impl Limits {
    /// The limits of jq expressions: `jqPathExpressions` and data-rule conditions, per object
    /// (Argo CD's jq timeout is 1 s).
    pub const JQ: Limits = Limits {
        depth: 512,
        steps: 20_000_000,
        time: Duration::from_secs(1),
        memory: 256 << 20,
    };
}

/// Which budget ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exceeded {
    /// Nesting deeper than the limit (or the native stack nearly exhausted).
    Depth(usize),
    /// More work steps than the limit.
    Steps(u64),
    /// More wall-clock time than the limit.
    Time(Duration),
    /// More memory than the limit, in bytes.
    Memory(usize),
}

impl fmt::Display for Exceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exceeded::Depth(n) => write!(f, "nesting deeper than {n} levels"),
            Exceeded::Steps(n) => write!(f, "more than {n} steps of work"),
            Exceeded::Time(t) => write!(f, "more than {} ms", t.as_millis()),
            Exceeded::Memory(n) => write!(f, "more than {} of memory", human_bytes(*n)),
        }
    }
}

impl std::error::Error for Exceeded {}

/// `256 MiB`, `64 KiB`, `12 bytes`.
pub fn human_bytes(n: usize) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n.is_multiple_of(1 << 10) {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}

/// The accounting of one evaluation under [`Limits`].
#[derive(Debug, Clone)]
pub struct Meter {
    limits: Limits,
    deadline: Instant,
    steps_left: u64,
    memory_left: usize,
    until_clock: u64,
    depth: usize,
}

impl Meter {
    /// Starts the clock.
    pub fn new(limits: Limits) -> Meter {
        Meter {
            limits,
            deadline: Instant::now() + limits.time,
            steps_left: limits.steps,
            memory_left: limits.memory,
            until_clock: CLOCK_EVERY,
            depth: 0,
        }
    }

    /// The limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Counts `n` steps of work; looks at the clock every [`CLOCK_EVERY`] steps.
    #[inline]
    pub fn step(&mut self, n: u64) -> Result<(), Exceeded> {
        if self.steps_left < n {
            self.steps_left = 0;
            return Err(Exceeded::Steps(self.limits.steps));
        }
        self.steps_left -= n;
        if self.until_clock <= n {
            self.until_clock = CLOCK_EVERY;
            self.check_clock()?;
        } else {
            self.until_clock -= n;
        }
        Ok(())
    }

    /// Fails once the deadline has passed.
    pub fn check_clock(&self) -> Result<(), Exceeded> {
        if Instant::now() > self.deadline {
            Err(Exceeded::Time(self.limits.time))
        } else {
            Ok(())
        }
    }

    /// Counts `bytes` of memory about to be allocated (before allocating it).
    #[inline]
    pub fn alloc(&mut self, bytes: usize) -> Result<(), Exceeded> {
        if self.memory_left < bytes {
            self.memory_left = 0;
            return Err(Exceeded::Memory(self.limits.memory));
        }
        self.memory_left -= bytes;
        Ok(())
    }

    /// Checks that a value of nesting `depth` may be built.
    #[inline]
    pub fn check_depth(&self, depth: usize) -> Result<(), Exceeded> {
        if depth > self.limits.depth {
            Err(Exceeded::Depth(self.limits.depth))
        } else {
            Ok(())
        }
    }

    /// Enters one level of nesting (a call); pair with [`Meter::leave`].
    pub fn enter(&mut self) -> Result<(), Exceeded> {
        self.depth += 1;
        self.check_depth(self.depth)
    }

    /// Leaves one level of nesting.
    pub fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Steps used so far.
    pub fn steps_used(&self) -> u64 {
        self.limits.steps - self.steps_left
    }

    /// Bytes counted so far.
    pub fn memory_used(&self) -> usize {
        self.limits.memory - self.memory_left
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_run_out() {
        let mut m = Meter::new(Limits {
            steps: 10,
            ..Limits::JQ
        });
        assert!(m.step(4).is_ok());
        assert!(m.step(6).is_ok());
        assert_eq!(m.step(1), Err(Exceeded::Steps(10)));
    }

    #[test]
    fn memory_is_counted_before_allocating() {
        let mut m = Meter::new(Limits {
            memory: 100,
            ..Limits::JQ
        });
        assert!(m.alloc(60).is_ok());
        assert_eq!(m.alloc(41), Err(Exceeded::Memory(100)));
        assert_eq!(m.memory_used(), 100);
    }

    #[test]
    fn the_clock_is_read_while_stepping() {
        let mut m = Meter::new(Limits {
            time: Duration::from_millis(0),
            ..Limits::JQ
        });
        std::thread::sleep(Duration::from_millis(2));
        let mut r = Ok(());
        for _ in 0..=CLOCK_EVERY {
            r = m.step(1);
            if r.is_err() {
                break;
            }
        }
        assert_eq!(r, Err(Exceeded::Time(Duration::from_millis(0))));
    }

    #[test]
    fn depth_is_bounded() {
        let mut m = Meter::new(Limits {
            depth: 2,
            ..Limits::JQ
        });
        assert!(m.enter().is_ok());
        assert!(m.enter().is_ok());
        assert_eq!(m.enter(), Err(Exceeded::Depth(2)));
        m.leave();
        m.leave();
        m.leave();
        assert!(m.enter().is_ok());
    }

    #[test]
    fn messages() {
        assert_eq!(
            Exceeded::Memory(256 << 20).to_string(),
            "more than 256 MiB of memory"
        );
        assert_eq!(
            Exceeded::Time(Duration::from_secs(1)).to_string(),
            "more than 1000 ms"
        );
    }
}
