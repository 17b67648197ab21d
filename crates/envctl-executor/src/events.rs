//! `events`: the engine's events for a project's containers (not one-off), as
//! 1.29.2's `Project.events` reads them.

use std::collections::HashMap;

use bollard::models::EventMessageTypeEnum;
use bollard::query_parameters::EventsOptionsBuilder;
use futures::StreamExt as _;
use tokio_util::sync::CancellationToken;

use crate::docker::Engine;
use crate::error::{ExecutorError, Operation};
use crate::labels;

/// One event of a project's container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerEvent {
    /// Nanoseconds since the epoch.
    pub time_nano: i64,
    /// `create`, `start`, `die`, `exec_create: …`.
    pub action: String,
    /// The container's id.
    pub id: String,
    /// The service the container is of.
    pub service: String,
    /// The container's name.
    pub name: String,
    /// The image it was created from.
    pub image: String,
}

/// Sends the events of `project`'s containers (of `services`, all when empty) to
/// `sink` from now on, until `shutdown` (then `Ok`) or the engine ends the stream.
pub async fn stream_events(
    engine: &Engine,
    project: &str,
    services: &[String],
    sink: &(dyn Fn(ContainerEvent) + Send + Sync),
    shutdown: &CancellationToken,
) -> Result<(), ExecutorError> {
    let project_label = labels::project_filter(project);
    let oneoff_label = format!("{}=False", labels::ONEOFF);
    let filters = HashMap::from([
        ("type", vec!["container"]),
        ("label", vec![project_label.as_str(), oneoff_label.as_str()]),
    ]);
    let options = EventsOptionsBuilder::default().filters(&filters).build();
    let mut stream = engine.client.events(Some(options));
    loop {
        let message = tokio::select! {
            () = shutdown.cancelled() => return Ok(()),
            message = stream.next() => message,
        };
        let message = match message {
            None => return Ok(()),
            Some(Err(source)) => {
                return Err(engine.request_failed(Operation::Events, project)(source));
            }
            Some(Ok(message)) => message,
        };
        if message.typ != Some(EventMessageTypeEnum::CONTAINER) {
            continue;
        }
        let Some(actor) = message.actor else { continue };
        let Some(attributes) = actor.attributes else {
            continue;
        };
        let Some(service) = attributes.get(labels::SERVICE) else {
            continue;
        };
        if !services.is_empty() && !services.iter().any(|name| name == service) {
            continue;
        }
        let time_nano = message
            .time_nano
            .or_else(|| message.time.map(|seconds| seconds * 1_000_000_000))
            .unwrap_or(0);
        sink(ContainerEvent {
            time_nano,
            action: message.action.unwrap_or_default(),
            id: actor.id.unwrap_or_default(),
            service: service.clone(),
            name: attributes.get("name").cloned().unwrap_or_default(),
            image: attributes.get("image").cloned().unwrap_or_default(),
        });
    }
}
