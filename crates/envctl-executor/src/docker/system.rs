//! What the engine says about itself (`GET /version`, `GET /info`), for
//! `envctl version` and `envctl info`.

use super::Engine;
use crate::error::{ExecutorError, Operation};

/// The engine's version and system, in envctl's terms. Fields the engine leaves
/// out are empty strings / zero.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EngineVersion {
    /// `20.10.24`.
    pub version: String,
    /// The newest API version the engine speaks, `1.41`.
    pub api_version: String,
    /// The oldest, `1.12`.
    pub min_api_version: String,
    pub os: String,
    pub arch: String,
    pub kernel_version: String,
    pub git_commit: String,
    pub go_version: String,
    /// From `GET /info`: the engine host's name, operating system, CPUs, memory,
    /// storage driver and container counts.
    pub name: String,
    pub operating_system: String,
    pub cpus: i64,
    pub memory_bytes: i64,
    pub storage_driver: String,
    pub containers: i64,
    pub containers_running: i64,
    pub images: i64,
}

impl Engine {
    /// `GET /version`, and with `with_info` also `GET /info`.
    pub async fn engine_version(&self, with_info: bool) -> Result<EngineVersion, ExecutorError> {
        let subject = || self.endpoint.address.to_string();
        let version = self
            .client
            .version()
            .await
            .map_err(self.request_failed(Operation::Version, &subject()))?;
        let mut result = EngineVersion {
            version: version.version.unwrap_or_default(),
            api_version: version.api_version.unwrap_or_default(),
            min_api_version: version.min_api_version.unwrap_or_default(),
            os: version.os.unwrap_or_default(),
            arch: version.arch.unwrap_or_default(),
            kernel_version: version.kernel_version.unwrap_or_default(),
            git_commit: version.git_commit.unwrap_or_default(),
            go_version: version.go_version.unwrap_or_default(),
            ..EngineVersion::default()
        };
        if with_info {
            let info = self
                .client
                .info()
                .await
                .map_err(self.request_failed(Operation::Info, &subject()))?;
            result.name = info.name.unwrap_or_default();
            result.operating_system = info.operating_system.unwrap_or_default();
            result.cpus = info.ncpu.unwrap_or_default();
            result.memory_bytes = info.mem_total.unwrap_or_default();
            result.storage_driver = info.driver.unwrap_or_default();
            result.containers = info.containers.unwrap_or_default();
            result.containers_running = info.containers_running.unwrap_or_default();
            result.images = info.images.unwrap_or_default();
        }
        Ok(result)
    }
}
