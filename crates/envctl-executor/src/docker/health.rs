//! What `depends_on` conditions and `up --wait` watch: a container's health and
//! exit, from the engine's own events and `wait` endpoint (no polling).

use std::collections::HashMap;

use bollard::query_parameters::{EventsOptionsBuilder, WaitContainerOptionsBuilder};
use futures::stream::{BoxStream, StreamExt as _};

use super::{Bollard, Engine, EngineError};

/// A change of a container that a wait cares about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContainerChange {
    /// `health_status: healthy` / `unhealthy` / `starting`.
    Health(String),
    /// The container stopped (`die`).
    Died,
}

impl Engine {
    /// The container's health changes and its death, from now on. Subscribe before
    /// reading the current state, so that nothing happens unseen in between.
    pub fn container_changes(
        &self,
        id: &str,
    ) -> BoxStream<'static, Result<ContainerChange, EngineError>> {
        let filters = HashMap::from([
            ("type", vec!["container"]),
            ("container", vec![id]),
            ("event", vec!["health_status", "die"]),
        ]);
        let options = EventsOptionsBuilder::default().filters(&filters).build();
        self.client
            .events(Some(options))
            .filter_map(|event| async move {
                match event {
                    Ok(message) => {
                        let action = message.action.unwrap_or_default();
                        if action == "die" {
                            Some(Ok(ContainerChange::Died))
                        } else {
                            action
                                .strip_prefix("health_status")
                                .map(|status| status.trim_start_matches(':').trim().to_owned())
                                .map(|status| Ok(ContainerChange::Health(status)))
                        }
                    }
                    Err(error) => Some(Err(error.into())),
                }
            })
            .boxed()
    }

    /// Waits until the container is not running; its exit code.
    pub async fn wait_exit(&self, id: &str) -> Result<i64, EngineError> {
        let options = WaitContainerOptionsBuilder::default()
            .condition("not-running")
            .build();
        let mut stream = self.client.wait_container(id, Some(options));
        match stream.next().await {
            Some(Ok(response)) => Ok(response.status_code),
            // A non-zero exit arrives as an error carrying the code.
            Some(Err(Bollard::DockerContainerWaitError { code, .. })) => Ok(code),
            Some(Err(error)) => Err(error.into()),
            None => Ok(0),
        }
    }
}
