//! `up`: load → lock → observe → images → plan → networks and volumes → run;
//! then, as asked, wait for the containers to be ready, or follow their output
//! until they all stop (and stop them when cancelled).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use envctl_executor::{Engine, LogEvent, LogSink, ensure_resources, follow, observe, wait_ready};
use envctl_parser::Project;
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
    /// `--attach-dependencies`: follow the named services' dependencies too.
    pub attach_dependencies: bool,
    /// `--abort-on-container-exit`: once a followed container stops, stop them all.
    pub abort_on_container_exit: bool,
    /// `--exit-code-from SERVICE` (implies `abort_on_container_exit`): the outcome
    /// carries that service's container's exit code.
    pub exit_code_from: Option<String>,
    /// Attached: cancelled while the containers are being stopped after
    /// `shutdown` (a second Ctrl-C), the stop becomes a kill, as 1.29.2's.
    pub force: CancellationToken,
}

/// What `up` did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum UpOutcome {
    /// `dry_run`: the plan, not carried out.
    DryRun(Plan),
    /// Carried out (and followed, when asked, until every container stopped).
    Done,
    /// `abort_on_container_exit`: a container stopped and the others were stopped
    /// after it; the exit code 1.29.2 exits with (that container's when it is not
    /// 0, or the `exit_code_from` service's).
    Aborted { exit_code: i64 },
}

/// Brings the project up.
pub async fn up(
    target: &Target,
    request: &UpRequest,
    events: &dyn Events,
    shutdown: &CancellationToken,
) -> Result<UpOutcome, OpsError> {
    let abort = request.abort_on_container_exit || request.exit_code_from.is_some();
    if abort && !request.attach {
        return Err(OpsError::invalid(
            "--abort-on-container-exit and -d cannot be combined.",
        ));
    }
    if request.attach_dependencies && !request.attach {
        return Err(OpsError::invalid(
            "--attach-dependencies and -d cannot be combined.",
        ));
    }
    if let Some(service) = &request.exit_code_from
        && !request.options.services.is_empty()
        && !request
            .options
            .services
            .iter()
            .any(|name| name.as_str() == service)
    {
        return Err(OpsError::invalid(format!(
            "No service named \"{service}\" was found in your compose file."
        )));
    }
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
    attach(target, &opened, request, since, events, shutdown).await
}

/// Follows the output of the services' containers (the named ones, else all) as
/// 1.29.2 does, until they have all stopped; when `shutdown` fires, stops them
/// (dependents first) and is [`OpsError::Interrupted`]. With
/// `abort_on_container_exit`, the first container to stop stops them all.
async fn attach(
    target: &Target,
    opened: &Opened,
    request: &UpRequest,
    since: i64,
    events: &dyn Events,
    shutdown: &CancellationToken,
) -> Result<UpOutcome, OpsError> {
    let options = &request.options;
    let project = &opened.project;
    let engine = &opened.engine;
    let services = &options.services;
    let graph = DependencyGraph::new(project)?;
    let selected = if services.is_empty() {
        graph.order()
    } else if request.attach_dependencies {
        graph.with_dependencies(services)?
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
    let printed = events.attached(project, &containers);
    let references: Vec<ContainerRef> = containers
        .into_iter()
        .map(|(container, _)| container)
        .collect();
    let abort = request.abort_on_container_exit || request.exit_code_from.is_some();
    let stop_following = shutdown.child_token();
    // The first container to stop, with its exit code (with `abort`).
    let first_exit: Arc<Mutex<Option<(String, i64)>>> = Arc::new(Mutex::new(None));
    let sink: LogSink = {
        let stop_following = stop_following.clone();
        let first_exit = Arc::clone(&first_exit);
        Arc::new(move |event: LogEvent| {
            let exited = match &event {
                LogEvent::Exited {
                    container,
                    exit_code,
                } => Some((container.clone(), *exit_code)),
                _ => None,
            };
            printed(event);
            if let Some(exited) = exited
                && abort
            {
                if let Ok(mut first) = first_exit.lock()
                    && first.is_none()
                {
                    *first = Some(exited);
                }
                stop_following.cancel();
            }
        })
    };
    events.cancellable();
    let followed = follow(engine, &references, since, sink, stop_following.clone()).await;
    let first = first_exit.lock().ok().and_then(|first| first.clone());
    if !shutdown.is_cancelled() && first.is_none() {
        followed?;
        return Ok(UpOutcome::Done);
    }
    if shutdown.is_cancelled() {
        events.status("Gracefully stopping... (press Ctrl+C again to force)");
    } else {
        events.status("Aborting on container exit...");
    }
    let lock = session::lock(target, project, events).await?;
    let observed = observe(engine, project).await?;
    let plan = plan_stop(project, &observed, services, options.timeout)?;
    let stopping = Opened {
        project: project.clone(),
        engine: engine.clone(),
        observed,
        lock,
    };
    // The cancellation that got here is spent: the stop itself is not cancelled,
    // but `force` turns it into a kill.
    let not_again = CancellationToken::new();
    let stopped = tokio::select! {
        result = session::execute(target, &stopping, &plan, events, &not_again) => Some(result),
        () = request.force.cancelled() => None,
    };
    drop(stopping);
    if let Some(result) = stopped {
        result?;
    } else {
        events.status("Killing...");
        let names: Vec<String> = services.iter().map(ToString::to_string).collect();
        let kill = crate::lifecycle::ContainerOperation::Kill {
            signal: "SIGKILL".to_owned(),
        };
        crate::lifecycle::act(target, &kill, &names, events).await?;
    }
    if shutdown.is_cancelled() {
        return Err(OpsError::Interrupted);
    }
    let exit_code = match &request.exit_code_from {
        Some(service) => service_exit_code(engine, project, service).await?,
        None => first.map_or(0, |(_, code)| code),
    };
    Ok(UpOutcome::Aborted { exit_code })
}

/// The exit code of `service`'s first container (by number), as 1.29.2's
/// `compute_service_exit_code`; 0 without one.
async fn service_exit_code(
    engine: &Engine,
    project: &Project,
    service: &str,
) -> Result<i64, OpsError> {
    let observed = observe(engine, project).await?;
    let mut containers = observed.service_containers(service);
    containers.sort_by_key(|container| container.number);
    let Some(container) = containers.first() else {
        return Ok(0);
    };
    Ok(engine
        .inspect_container(&container.id)
        .await?
        .map_or(0, |details| details.exit_code))
}

fn seconds_since_epoch() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(0))
}
