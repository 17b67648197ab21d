//! `events`: the engine's events for the project's containers, as they happen,
//! until cancelled.

use envctl_executor::stream_events;
use tokio_util::sync::CancellationToken;

use crate::error::OpsError;
use crate::events::Events;
use crate::session;
use crate::target::Target;

/// Sends each event of the containers of `services` (all when empty; one-off
/// containers never) to [`Events::container_event`] until `shutdown` (then
/// [`OpsError::Interrupted`]) or the engine ends the stream.
pub async fn events(
    target: &Target,
    services: &[String],
    events: &dyn Events,
    shutdown: &CancellationToken,
) -> Result<(), OpsError> {
    let project = session::load_project(target, events)?;
    if !services.is_empty() {
        envctl_planner::DependencyGraph::new(&project)?.only(&session::service_names(services))?;
    }
    let engine = session::connect(target).await?;
    events.cancellable();
    let sink = |event| events.container_event(&event);
    stream_events(&engine, &project.name, services, &sink, shutdown).await?;
    if shutdown.is_cancelled() {
        return Err(OpsError::Interrupted);
    }
    Ok(())
}
