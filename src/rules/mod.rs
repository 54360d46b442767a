//! Rules: the catalog of checks and the findings they produce.
