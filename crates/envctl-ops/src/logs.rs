//! `logs`: the output of the services' containers (stopped ones too, not one-off);
//! with `follow`, containers that start later are followed too.

use envctl_executor::{LogSource, LogsOptions, stream_logs};
use envctl_planner::{ContainerCommand, select_containers};
use tokio_util::sync::CancellationToken;

use crate::error::OpsError;
use crate::events::Events;
use crate::session::{self, service_names};
use crate::target::Target;

/// Streams the logs of `services` (all when empty) to [`Events::logs`]' sink until
/// they end (or, with `follow`, until `shutdown`, then [`OpsError::Interrupted`]).
pub async fn logs(
    target: &Target,
    services: &[String],
    options: LogsOptions,
    events: &dyn Events,
    shutdown: &CancellationToken,
) -> Result<(), OpsError> {
    let opened = session::open(target, events).await?;
    let names = service_names(services);
    let selected = select_containers(
        &opened.project,
        &opened.observed,
        &names,
        ContainerCommand::Logs,
    )?;
    let sources: Vec<LogSource> = selected
        .into_iter()
        .map(|(service, container)| LogSource {
            service: service.to_string(),
            container,
        })
        .collect();
    let sink = events.logs(&opened.project, &sources);
    events.cancellable();
    let result = stream_logs(
        &opened.engine,
        &opened.project.name,
        services,
        &sources,
        options,
        sink,
        shutdown.clone(),
    )
    .await;
    if shutdown.is_cancelled() {
        return Err(OpsError::Interrupted);
    }
    Ok(result?)
}
