//! The phases every operation shares: load, lock, connect, observe, carry a plan
//! out.

use envctl_executor::{Engine, ProjectLock, RunOptions, observe, run};
use envctl_parser::{Project, ServiceName, load};
use envctl_planner::{DependencyGraph, Observed, Plan};
use tokio_util::sync::CancellationToken;

use crate::error::OpsError;
use crate::events::Events;
use crate::target::Target;

/// Loads the project; the parser's warnings go to `events`. As 1.29.2 when it
/// makes the project (every command but `config`), a service's network must be
/// defined.
pub(crate) fn load_project(target: &Target, events: &dyn Events) -> Result<Project, OpsError> {
    let project = read_project(target, events)?;
    envctl_planner::check_networks(&project)?;
    Ok(project)
}

/// Loads the project without making it, as `config` reads it: for `graph`, which
/// only shows the file (the undefined-network check is 1.29.2's `Project`'s).
pub(crate) fn read_project(target: &Target, events: &dyn Events) -> Result<Project, OpsError> {
    let project = load(&target.load)?;
    using_files(&project, events);
    for warning in &project.warnings {
        events.warning(&warning.to_string());
    }
    Ok(project)
}

/// `Using configuration files: …`, a debug line as in 1.29.2 (`--log-level debug`).
pub(crate) fn using_files(project: &Project, events: &dyn Events) {
    let files: Vec<String> = project
        .config_files
        .iter()
        .map(|file| file.display().to_string())
        .collect();
    events.debug(&format!("Using configuration files: {}", files.join(",")));
}

/// One engine connection for the whole operation.
pub(crate) async fn connect(target: &Target) -> Result<Engine, OpsError> {
    Ok(Engine::connect_to(&target.engine.endpoint()?).await?)
}

/// Takes the project's lock, saying so while another envctl holds it. A lock that
/// cannot be taken (the directory is not safe, the file a symbolic link, …) is an
/// error that says why: a mutating command never runs unlocked (#19).
pub(crate) async fn lock(
    target: &Target,
    project: &Project,
    events: &dyn Events,
) -> Result<Option<ProjectLock>, OpsError> {
    let endpoint = target.engine.endpoint()?;
    let Some(directory) = &target.lock_directory else {
        return Ok(None);
    };
    let waiting = || events.waiting_for_lock(&project.name);
    match ProjectLock::acquire(directory, &endpoint, &project.name, waiting).await {
        Ok(lock) => Ok(Some(lock)),
        Err(error) => Err(OpsError::invalid(format!(
            "cannot lock project `{}` in `{}`: {error}",
            project.name,
            directory.display()
        ))),
    }
}

/// What a command that only reads starts from: the project, the engine, what it
/// holds.
pub(crate) struct Opened {
    pub project: Project,
    pub engine: Engine,
    pub observed: Observed,
    pub lock: Option<ProjectLock>,
}

/// Loads, connects and observes.
pub(crate) async fn open(target: &Target, events: &dyn Events) -> Result<Opened, OpsError> {
    let project = load_project(target, events)?;
    let engine = connect(target).await?;
    let observed = observe(&engine, &project).await?;
    Ok(Opened {
        project,
        engine,
        observed,
        lock: None,
    })
}

/// What a command that changes the project's containers starts from: the project
/// lock (none with `dry_run`, which changes nothing), then cancellable, then
/// connect and observe, so that what it observes stays true until it is done.
pub(crate) async fn open_locked(
    target: &Target,
    events: &dyn Events,
    dry_run: bool,
) -> Result<Opened, OpsError> {
    let project = load_project(target, events)?;
    let lock = if dry_run {
        None
    } else {
        let lock = lock(target, &project, events).await?;
        events.cancellable();
        lock
    };
    let engine = connect(target).await?;
    let observed = observe(&engine, &project).await?;
    Ok(Opened {
        project,
        engine,
        observed,
        lock,
    })
}

/// Carries `plan` out with `events`' progress; once `shutdown` is cancelled no new
/// step starts, and the operation is [`OpsError::Interrupted`].
pub(crate) async fn execute(
    target: &Target,
    opened: &Opened,
    plan: &Plan,
    events: &dyn Events,
    shutdown: &CancellationToken,
) -> Result<(), OpsError> {
    let progress = events.progress(plan);
    execute_with(target, opened, plan, events, progress, shutdown).await
}

/// [`execute`] with a progress sink of the caller's.
pub(crate) async fn execute_with(
    target: &Target,
    opened: &Opened,
    plan: &Plan,
    events: &dyn Events,
    progress: envctl_executor::Progress,
    shutdown: &CancellationToken,
) -> Result<(), OpsError> {
    events.cancellable();
    for warning in &plan.warnings {
        events.warning(warning);
    }
    // A signal that came while observing or building: start nothing.
    if shutdown.is_cancelled() {
        return Err(OpsError::Interrupted);
    }
    // Steps in flight finish (a step is a few engine requests, a recreate's stop
    // timeout at most); what was in flight when the front end gave up is at worst
    // a labelled container not yet started or a recreate half done, which the next
    // `up` finishes (docs/executor.md).
    let options = RunOptions {
        parallel_limit: target.parallel_limit,
    };
    let result = run(
        &opened.engine,
        &opened.project,
        &opened.observed,
        plan,
        &options,
        progress,
        shutdown.clone(),
    )
    .await;
    if shutdown.is_cancelled() {
        return Err(OpsError::Interrupted);
    }
    Ok(result?)
}

/// The `SERVICE` arguments as the planner's names.
pub(crate) fn service_names(names: &[String]) -> Vec<ServiceName> {
    names
        .iter()
        .map(|name| ServiceName::new(name.as_str()))
        .collect()
}

/// The named services (every service when none is named) in dependency order;
/// with `with_dependencies`, also what they need (`pull --include-deps`).
pub(crate) fn selected_services(
    project: &Project,
    names: &[String],
    with_dependencies: bool,
) -> Result<Vec<ServiceName>, OpsError> {
    let graph = DependencyGraph::new(project)?;
    let names = service_names(names);
    Ok(if names.is_empty() {
        graph.order()
    } else if with_dependencies {
        graph.with_dependencies(&names)?
    } else {
        graph.only(&names)?
    })
}

/// An unknown service among `names`, as 1.29.2 refuses it.
pub(crate) fn check_services(project: &Project, names: &[String]) -> Result<(), OpsError> {
    match names
        .iter()
        .find(|name| !project.services.contains_key(name.as_str()))
    {
        Some(unknown) => Err(OpsError::invalid(format!("no such service: `{unknown}`"))),
        None => Ok(()),
    }
}
