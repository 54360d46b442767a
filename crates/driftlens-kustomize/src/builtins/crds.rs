//! `crds:`: OpenAPI definitions whose property extensions add field specs.

use crate::config::TransformerConfig;
use crate::error::Result;
use crate::target::{Build, Target};

/// `LoadConfigFromCRDs`.
pub fn load_config_from_crds(_b: &mut Build, _kt: &Target) -> Result<TransformerConfig> {
    Ok(TransformerConfig::default())
}
