//! `pull` and `build`: the images of the selected services, in parallel or one
//! after the other.

use envctl_executor::ExecutorError;
use tokio_util::sync::CancellationToken;

use crate::error::OpsError;
use crate::events::Events;
use crate::images::{BuildFlags, build_target, pull_targets};
use crate::session::{self, selected_services};
use crate::target::Target;

/// What `pull` is asked.
#[derive(Debug, Clone, Default)]
pub struct PullRequest {
    pub services: Vec<String>,
    /// `--include-deps`.
    pub include_deps: bool,
    /// `--no-parallel`: one at a time.
    pub one_at_a_time: bool,
}

/// Pulls every image of the selected services that have no `build` (minus images
/// another selected service builds). Returns the failures (the front end decides
/// whether they are errors, `--ignore-pull-failures`).
pub async fn pull(
    target: &Target,
    request: &PullRequest,
    events: &dyn Events,
) -> Result<Vec<ExecutorError>, OpsError> {
    let project = session::load_project(target, events)?;
    let selected = selected_services(&project, &request.services, request.include_deps)?;
    let targets = pull_targets(&project, &selected);
    let engine = session::connect(target).await?;
    let parallel = if request.one_at_a_time {
        1
    } else {
        target.parallel_limit
    };
    Ok(crate::images::pull(target, &engine, &targets, parallel, events).await)
}

/// What `build` is asked.
#[derive(Debug, Clone, Default)]
pub struct BuildRequest {
    pub services: Vec<String>,
    pub flags: BuildFlags,
    /// `--parallel`.
    pub parallel: bool,
}

/// Builds the images of the selected services that have `build` (a service with
/// only `image` is skipped, with a status line). Once `shutdown` is cancelled no
/// further build starts, and the operation is [`OpsError::Interrupted`]; failed
/// builds are [`OpsError::Images`].
pub async fn build(
    target: &Target,
    request: &BuildRequest,
    events: &dyn Events,
    shutdown: &CancellationToken,
) -> Result<(), OpsError> {
    let project = session::load_project(target, events)?;
    let selected = selected_services(&project, &request.services, false)?;
    let mut targets = Vec::new();
    for name in &selected {
        let Some(service) = project.services.get(name.as_str()) else {
            continue;
        };
        if service.build.is_none() {
            events.status(&format!("{name} uses an image, skipping"));
            continue;
        }
        targets.push(build_target(&project, name, &request.flags)?);
    }
    // The build in flight finishes when cancelled, and no other starts.
    events.cancellable();
    let engine = session::connect(target).await?;
    let parallel = if request.parallel {
        target.parallel_limit
    } else {
        1
    };
    let errors = crate::images::build(&engine, targets, parallel, events, shutdown).await;
    if shutdown.is_cancelled() {
        return Err(OpsError::Interrupted);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(OpsError::Images { errors })
    }
}
