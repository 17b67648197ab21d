//! `down`: stop dependents first, then remove; the project's networks and volumes
//! after the containers; with `remove_images`, the services' images last.

use envctl_executor::{RemovalEvent, RunError, remove_images, remove_resources};
use envctl_planner::{DownOptions, Plan, image_removals, plan_down};
use tokio_util::sync::CancellationToken;

use crate::error::OpsError;
use crate::events::Events;
use crate::session;
use crate::target::Target;

/// `--rmi`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoveImages {
    /// Every service's image.
    All,
    /// Only the images `build` named (services without `image`).
    Local,
}

/// What `down` is asked.
#[derive(Debug, Clone, Default)]
pub struct DownRequest {
    /// `-v`, `--remove-orphans`, `COMPOSE_IGNORE_ORPHANS`, `-t`.
    pub options: DownOptions,
    pub remove_images: Option<RemoveImages>,
    pub dry_run: bool,
}

/// What `down` did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum DownOutcome {
    DryRun(Plan),
    Done,
}

/// Brings the project down.
pub async fn down(
    target: &Target,
    request: &DownRequest,
    events: &dyn Events,
    shutdown: &CancellationToken,
) -> Result<DownOutcome, OpsError> {
    let opened = session::open_locked(target, events, request.dry_run).await?;
    let plan = plan_down(&opened.project, &opened.observed, &request.options)?;
    if request.dry_run {
        return Ok(DownOutcome::DryRun(plan));
    }
    session::execute(target, &opened, &plan, events, shutdown).await?;
    if shutdown.is_cancelled() {
        return Err(OpsError::Interrupted);
    }
    let report = |event| crate::resources::report(events, event);
    remove_resources(&opened.engine, &plan.resources, &report)
        .await
        .map_err(|errors| OpsError::Run(RunError { errors, skipped: 0 }))?;
    if let Some(images) = request.remove_images {
        let images = image_removals(&opened.project, images == RemoveImages::Local);
        let report = |event| match event {
            RemovalEvent::Removing { image } => events.status(&format!("Removing image {image}")),
            RemovalEvent::NotFound { image } => {
                events.warning(&format!("image `{image}` not found"));
            }
            RemovalEvent::Failed { service, message } => events.status(&format!(
                "error: failed to remove image for service `{service}`: {message}"
            )),
            _ => {}
        };
        remove_images(&opened.engine, &images, &report).await;
    }
    Ok(DownOutcome::Done)
}
