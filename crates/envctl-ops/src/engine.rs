//! `version` and `info`: which engine, and what it says about itself.

use envctl_executor::{Endpoint, Engine, EngineVersion};

use crate::error::OpsError;
use crate::target::EngineTarget;

/// The engine as it answered.
#[derive(Debug, Clone)]
pub struct EngineReport {
    pub endpoint: Endpoint,
    /// The API version negotiated with it.
    pub api_version: String,
    /// Its versions and, when asked, a few facts about its host.
    pub version: EngineVersion,
}

/// Connects and asks the engine for its version (and, with `with_info`, its
/// host's facts).
pub async fn engine(target: &EngineTarget, with_info: bool) -> Result<EngineReport, OpsError> {
    let engine = Engine::connect_to(&target.endpoint()?).await?;
    let version = engine.engine_version(with_info).await?;
    Ok(EngineReport {
        endpoint: engine.endpoint().clone(),
        api_version: engine.api_version(),
        version,
    })
}
