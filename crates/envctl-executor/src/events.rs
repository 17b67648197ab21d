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

/// An event of a container found by label, of any project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelledEvent {
    /// `create`, `start`, `die`, `health_status: healthy`, `destroy`, ….
    pub action: String,
    /// The container's id.
    pub id: String,
    /// Its compose project (empty when it has none).
    pub project: String,
}

/// Sends each event of a container carrying `label` (`key` or `key=value`) to
/// `sink` from now on; `connected` is called once the engine has answered (the
/// events after it are all seen). Ends at `shutdown` (then `Ok`) or when the
/// engine ends the stream.
pub async fn stream_labelled_events(
    engine: &Engine,
    label: &str,
    connected: &(dyn Fn() + Send + Sync),
    sink: &(dyn Fn(LabelledEvent) + Send + Sync),
    shutdown: &CancellationToken,
) -> Result<(), ExecutorError> {
    let filters = HashMap::from([("type", vec!["container"]), ("label", vec![label])]);
    let options = EventsOptionsBuilder::default().filters(&filters).build();
    let mut stream = engine.client.events(Some(options)).peekable();
    // The engine sends the response's headers at once; the first poll of the
    // stream waits for them (and for nothing else when no event comes).
    let first = tokio::select! {
        () = shutdown.cancelled() => return Ok(()),
        first = tokio::time::timeout(
            std::time::Duration::from_millis(500),
            std::pin::Pin::new(&mut stream).peek(),
        ) => first,
    };
    if let Ok(Some(Err(_))) = first
        && let Some(Err(source)) = stream.next().await
    {
        return Err(engine.request_failed(Operation::Events, label)(source));
    }
    connected();
    loop {
        let message = tokio::select! {
            () = shutdown.cancelled() => return Ok(()),
            message = stream.next() => message,
        };
        let message = match message {
            None => return Ok(()),
            Some(Err(source)) => {
                return Err(engine.request_failed(Operation::Events, label)(source));
            }
            Some(Ok(message)) => message,
        };
        if message.typ != Some(EventMessageTypeEnum::CONTAINER) {
            continue;
        }
        let Some(actor) = message.actor else { continue };
        let project = actor
            .attributes
            .as_ref()
            .and_then(|attributes| attributes.get(labels::PROJECT))
            .cloned()
            .unwrap_or_default();
        sink(LabelledEvent {
            action: message.action.unwrap_or_default(),
            id: actor.id.unwrap_or_default(),
            project,
        });
    }
}
