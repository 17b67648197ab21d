//! The day-to-day operations on existing containers: `stop`, `start`, `rm`, and
//! `restart`, `kill`, `pause`, `unpause`. The planner's `lifecycle.rs` chooses the
//! containers and their order; the executor carries that out.

use envctl_executor::{ContainerAction, apply, observe};
use envctl_planner::{
    ContainerCommand, Op, plan_rm, plan_rm_stop, plan_start, plan_stop, select_containers,
};
use tokio_util::sync::CancellationToken;

use crate::error::OpsError;
use crate::events::Events;
use crate::session::{self, Opened, service_names};
use crate::target::Target;

/// Stops the running containers of `services` (all when empty), a service's after
/// those of the services that depend on it; one-off containers are left alone.
pub async fn stop(
    target: &Target,
    services: &[String],
    timeout: Option<u64>,
    events: &dyn Events,
    shutdown: &CancellationToken,
) -> Result<(), OpsError> {
    let opened = session::open_locked(target, events, false).await?;
    let services = service_names(services);
    let plan = plan_stop(&opened.project, &opened.observed, &services, timeout)?;
    session::execute(target, &opened, &plan, events, shutdown).await
}

/// What `start` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StartOutcome {
    Started,
    /// No service had a container to start (1.29.2: `No containers to start`).
    NothingToStart,
}

/// Starts the existing containers of `services` (all when empty) in dependency
/// order; never creates one.
pub async fn start(
    target: &Target,
    services: &[String],
    events: &dyn Events,
    shutdown: &CancellationToken,
) -> Result<StartOutcome, OpsError> {
    let opened = session::open_locked(target, events, false).await?;
    let services = service_names(services);
    let start = plan_start(&opened.project, &opened.observed, &services)?;
    let progress = events.starting(&start);
    session::execute_with(target, &opened, &start.plan, events, progress, shutdown).await?;
    Ok(if start.nothing_to_start() {
        StartOutcome::NothingToStart
    } else {
        StartOutcome::Started
    })
}

/// `restart`, `kill`, `pause`, `unpause`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContainerOperation {
    Restart { timeout: u64 },
    Kill { signal: String },
    Pause,
    Unpause,
}

/// What an action did: the number of containers it acted on (none: there was
/// nothing to act on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Acted {
    pub containers: usize,
}

/// Acts on every container of `services` (all when empty) that the operation can
/// act on, in parallel (`restart`: a service at a time, dependencies first).
pub async fn act(
    target: &Target,
    operation: &ContainerOperation,
    services: &[String],
    events: &dyn Events,
) -> Result<Acted, OpsError> {
    let (selection, action) = match operation {
        ContainerOperation::Kill { signal } => (
            ContainerCommand::Kill,
            ContainerAction::Kill {
                signal: signal.clone(),
            },
        ),
        ContainerOperation::Pause => (ContainerCommand::Pause, ContainerAction::Pause),
        ContainerOperation::Unpause => (ContainerCommand::Unpause, ContainerAction::Unpause),
        ContainerOperation::Restart { timeout } => (
            ContainerCommand::Restart,
            ContainerAction::Restart { timeout: *timeout },
        ),
    };
    let opened = session::open_locked(target, events, false).await?;
    let services = service_names(services);
    let targets = select_containers(&opened.project, &opened.observed, &services, selection)?;
    if targets.is_empty() {
        return Ok(Acted { containers: 0 });
    }
    let progress = events.actions(&action, &targets);
    apply(
        &opened.engine,
        &targets,
        &action,
        target.parallel_limit,
        progress,
    )
    .await?;
    Ok(Acted {
        containers: targets.len(),
    })
}

/// Tells the front end which containers are about to be removed, and asks whether
/// to go on (a front end that never asks returns `true`).
pub type Confirm = Box<dyn FnOnce(&[String]) -> bool + Send>;

/// What `rm` is asked.
pub struct RmRequest {
    pub services: Vec<String>,
    /// `-s`: stop the running containers first.
    pub stop: bool,
    /// `-v`: their anonymous volumes too.
    pub volumes: bool,
    pub confirm: Confirm,
}

/// What `rm` did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RmOutcome {
    /// There was no stopped container.
    NothingToRemove,
    /// The front end said no.
    Declined,
    /// These containers were removed.
    Removed(Vec<String>),
}

/// Removes the stopped containers of `services` (all when empty), one-off ones
/// included.
pub async fn rm(
    target: &Target,
    request: RmRequest,
    events: &dyn Events,
    shutdown: &CancellationToken,
) -> Result<RmOutcome, OpsError> {
    // Locked, but cancellable only once the steps start: a front end's question
    // keeps the signal's default action.
    let project = session::load_project(target, events)?;
    let lock = session::lock(target, &project, events).await?;
    let engine = session::connect(target).await?;
    let observed = observe(&engine, &project).await?;
    let mut opened = Opened {
        project,
        engine,
        observed,
        lock,
    };
    let services = service_names(&request.services);
    if request.stop {
        let plan = plan_rm_stop(&opened.project, &opened.observed, &services, None)?;
        session::execute(target, &opened, &plan, events, shutdown).await?;
        opened.observed = observe(&opened.engine, &opened.project).await?;
    }
    let plan = plan_rm(
        &opened.project,
        &opened.observed,
        &services,
        request.volumes,
    )?;
    if plan.steps.is_empty() {
        return Ok(RmOutcome::NothingToRemove);
    }
    let names: Vec<String> = plan
        .steps
        .iter()
        .filter_map(|step| match &step.op {
            Op::Remove { container, .. } => Some(container.name.clone()),
            _ => None,
        })
        .collect();
    if !(request.confirm)(&names) {
        return Ok(RmOutcome::Declined);
    }
    if shutdown.is_cancelled() {
        return Err(OpsError::Interrupted);
    }
    session::execute(target, &opened, &plan, events, shutdown).await?;
    Ok(RmOutcome::Removed(names))
}
