//! Sync windows (placeholder while the module is written).
