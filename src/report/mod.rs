//! Report: the only stage that knows output formats.
