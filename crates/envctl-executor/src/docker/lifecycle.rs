//! Kill, pause, unpause and restart one container.

use bollard::query_parameters::{KillContainerOptionsBuilder, RestartContainerOptionsBuilder};

use super::{Engine, EngineError, ignore_not_found};

impl Engine {
    /// Sends `signal` (`SIGKILL`, `KILL`, `9`, …). Gone already is success.
    pub async fn kill_container(&self, id: &str, signal: &str) -> Result<(), EngineError> {
        let options = KillContainerOptionsBuilder::default()
            .signal(signal)
            .build();
        ignore_not_found(
            self.client
                .kill_container(id, Some(options))
                .await
                .map_err(EngineError::from),
        )
    }

    pub async fn pause_container(&self, id: &str) -> Result<(), EngineError> {
        self.client
            .pause_container(id)
            .await
            .map_err(EngineError::from)
    }

    pub async fn unpause_container(&self, id: &str) -> Result<(), EngineError> {
        self.client
            .unpause_container(id)
            .await
            .map_err(EngineError::from)
    }

    /// Stops (SIGTERM, SIGKILL after `timeout` seconds) and starts again; a stopped
    /// container is started.
    pub async fn restart_container(&self, id: &str, timeout: u64) -> Result<(), EngineError> {
        let seconds = i32::try_from(timeout).unwrap_or(i32::MAX);
        let options = RestartContainerOptionsBuilder::default().t(seconds).build();
        self.client
            .restart_container(id, Some(options))
            .await
            .map_err(EngineError::from)
    }
}
