//! Command-line front end: parses arguments and wires the pipeline stages together.

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    0
}
