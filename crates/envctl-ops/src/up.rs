//! `up`: load → lock → observe → images → plan → networks and volumes → run;
//! then, as asked, wait for the containers to be ready, or follow their output
//! until they all stop (and stop them when cancelled).

use std::collections::HashMap;

use envctl_executor::{ensure_resources, follow, observe, wait_ready};
use envctl_planner::{
    ContainerRef, DependencyGraph, ImageOptions, Plan, UpOptions, plan_stop, plan_up,
};
use tokio_util::sync::CancellationToken;

use crate::error::OpsError;
use crate::events::Events;
use crate::session::{self, Opened};
use crate::target::Target;

/// What `up` is asked.
#[derive(Debug, Clone, Default)]
pub struct UpRequest {
    /// The planner's options: services, `--no-deps`, recreation, scale, profiles, ….
    pub options: UpOptions,
    /// `--build` and `--no-build`.
    pub images: ImageOptions,
    /// Plan, change nothing.
    pub dry_run: bool,
    /// `--wait`: return once the containers are running (and healthy).
    pub wait: bool,
    /// Without `-d`: follow the containers' output until they all stop.
    pub attach: bool,
}

/// What `up` did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum UpOutcome {
    /// `dry_run`: the plan, not carried out.
    DryRun(Plan),
    /// Carried out (and followed, when asked, until every container stopped).
    Done,
}

/// Brings the project up.
pub async fn up(
    target: &Target,
    request: &UpRequest,
    events: &dyn Events,
    shutdown: &CancellationToken,
) -> Result<UpOutcome, OpsError> {
    if request.images.build && request.images.no_build {
        return Err(OpsError::invalid(
            "`--build` and `--no-build` cannot be combined",
        ));
    }
    let options = &request.options;
    let mut opened = session::open_locked(target, events, request.dry_run).await?;
    opened.observed = crate::images::ensure_images(
        target,
        &opened.engine,
        &opened.project,
        opened.observed,
        options,
        request.images,
        request.dry_run,
        events,
        shutdown,
    )
    .await?;
    let plan = plan_up(&opened.project, &opened.observed, options)?;
    if request.dry_run {
        return Ok(UpOutcome::DryRun(plan));
    }
    let since = seconds_since_epoch();
    let report = |event| crate::resources::report(events, event);
    ensure_resources(&opened.engine, &opened.project, &plan.resources, &report).await?;
    session::execute(target, &opened, &plan, events, shutdown).await?;
    // Waiting and following change nothing: another envctl may act meanwhile
    // (`envctl stop` from a second terminal while this one is attached).
    drop(opened.lock.take());
    if request.wait && !options.no_start {
        let names: Vec<String> = options.services.iter().map(ToString::to_string).collect();
        wait_ready(&opened.engine, &opened.project, &names).await?;
        return Ok(UpOutcome::Done);
    }
    if !request.attach || options.no_start {
        return Ok(UpOutcome::Done);
    }
    attach(target, &opened, options, since, events, shutdown).await?;
    Ok(UpOutcome::Done)
}

/// Follows the output of the services' containers (the named ones, else all) as
/// 1.29.2 does, until they have all stopped; when `shutdown` fires, stops them
/// (dependents first) and is [`OpsError::Interrupted`].
async fn attach(
    target: &Target,
    opened: &Opened,
    options: &UpOptions,
    since: i64,
    events: &dyn Events,
    shutdown: &CancellationToken,
) -> Result<(), OpsError> {
    let project = &opened.project;
    let engine = &opened.engine;
    let services = &options.services;
    let graph = DependencyGraph::new(project)?;
    let selected = if services.is_empty() {
        graph.order()
    } else {
        graph.only(services)?
    };
    let observed = observe(engine, project).await?;
    let mut containers: Vec<(ContainerRef, String)> = Vec::new();
    let mut short_names: HashMap<String, String> = HashMap::new();
    for service in &selected {
        for container in observed.service_containers(service.as_str()) {
            let prefix = format!("{}_{service}", project.name);
            let short = match container.number {
                Some(number) if container.name.starts_with(&prefix) => {
                    format!("{service}_{number}")
                }
                _ => container.name.clone(),
            };
            short_names.insert(container.name.clone(), short.clone());
            containers.push((container.into(), short));
        }
    }
    let sink = events.attached(project, &containers);
    let references: Vec<ContainerRef> = containers
        .into_iter()
        .map(|(container, _)| container)
        .collect();
    events.cancellable();
    let followed = follow(engine, &references, since, sink, shutdown.clone()).await;
    if !shutdown.is_cancelled() {
        return Ok(followed?);
    }
    events.status("Gracefully stopping... (press Ctrl+C again to force)");
    let lock = session::lock(target, project, events).await?;
    let observed = observe(engine, project).await?;
    let plan = plan_stop(project, &observed, services, options.timeout)?;
    let stopping = Opened {
        project: project.clone(),
        engine: engine.clone(),
        observed,
        lock,
    };
    // The cancellation that got here is spent: the stop itself is not cancelled.
    let not_again = CancellationToken::new();
    session::execute(target, &stopping, &plan, events, &not_again).await?;
    Err(OpsError::Interrupted)
}

fn seconds_since_epoch() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(0))
}
