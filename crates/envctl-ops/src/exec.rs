//! `exec` and `run`: a command in a service's running container, and a one-off
//! container of a service. Both carry the caller's input and output through and
//! return the command's exit code; the front end decides what it means.

use std::collections::hash_map::RandomState;
use std::fmt::Write as _;
use std::hash::{BuildHasher as _, Hasher as _};

use envctl_executor::{
    ExecInput, ExecRequest, ExecutorError, OneOff, OneOffIo, Operation, ensure_resources, observe,
    oneoff_spec, run_oneoff, wait_oneoff_dependencies,
};
use envctl_parser::ServiceName;
use envctl_planner::{
    ContainerState, ImageOptions, UpOptions, check_refusals, check_secret_files, oneoff_name,
    plan_run_deps, project_resources,
};
use tokio::io::AsyncWrite;
use tokio_util::sync::CancellationToken;

use crate::error::OpsError;
use crate::events::Events;
use crate::session::{self, Opened};
use crate::target::Target;

/// The caller's side of an attached command.
pub struct Io<O, E> {
    /// Its standard input (`None`: none).
    pub input: ExecInput,
    /// `(rows, columns)` of the caller's terminal, for a TTY.
    pub terminal_size: Option<(u16, u16)>,
    pub stdout: O,
    pub stderr: E,
}

/// What `exec` is asked.
#[derive(Debug, Clone, Default)]
pub struct ExecOperation {
    pub service: String,
    /// The container number (`--index`).
    pub index: u32,
    pub request: ExecRequest,
}

/// Runs a command in the service's running container number `index`; returns its
/// exit code (`None` when detached).
pub async fn exec<O, E>(
    target: &Target,
    operation: &ExecOperation,
    io: Io<O, E>,
    events: &dyn Events,
) -> Result<Option<i64>, OpsError>
where
    O: AsyncWrite + Unpin,
    E: AsyncWrite + Unpin,
{
    let opened = session::open(target, events).await?;
    let service = &operation.service;
    if !opened.project.services.contains_key(service.as_str()) {
        return Err(OpsError::invalid(format!("no such service: `{service}`")));
    }
    let container = opened
        .observed
        .service_containers(service)
        .into_iter()
        .find(|container| container.number == Some(operation.index))
        .ok_or_else(|| {
            OpsError::invalid(format!(
                "no container found for `{service}_{}`",
                operation.index
            ))
        })?;
    if !matches!(container.state, ContainerState::Running) {
        return Err(OpsError::invalid(format!(
            "container `{}` is not running",
            container.name
        )));
    }
    events.attaching();
    opened
        .engine
        .exec(
            &container.id,
            &operation.request,
            io.input,
            io.terminal_size,
            io.stdout,
            io.stderr,
        )
        .await
        .map_err(|source| {
            OpsError::Executor(ExecutorError::Step {
                service: service.clone(),
                operation: Operation::Exec,
                container: container.name.clone(),
                source,
            })
        })
}

/// What `run` is asked.
#[derive(Debug, Clone, Default)]
pub struct RunRequest {
    pub service: String,
    /// `--name`; else `<project>_<service>_run_<slug>`.
    pub name: Option<String>,
    /// The command line's overrides (`name` and `slug` are chosen here).
    pub oneoff: OneOff,
    /// `--no-deps`: do not bring the dependencies up.
    pub no_deps: bool,
    /// `-d`.
    pub detach: bool,
    /// `--rm`.
    pub remove: bool,
}

/// What `run` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOutcome {
    /// The one-off container's name.
    pub name: String,
    /// Its exit code; `None` when detached.
    pub exit_code: Option<i64>,
}

/// Runs a one-off container of the service: its images pulled or built when
/// missing, its dependencies brought up first unless `no_deps` (never recreated),
/// then the container attached to `io` (or started, detached).
pub async fn run<O, E>(
    target: &Target,
    request: &RunRequest,
    io: Io<O, E>,
    events: &dyn Events,
    shutdown: &CancellationToken,
) -> Result<RunOutcome, OpsError>
where
    O: AsyncWrite + Unpin,
    E: AsyncWrite + Unpin,
{
    if request.remove && request.detach {
        return Err(OpsError::invalid("`--rm` and `-d` cannot be combined"));
    }
    if request.oneoff.service_ports && !request.oneoff.ports.is_empty() {
        return Err(OpsError::invalid(
            "`--service-ports` and `-p`/`--publish` cannot be combined",
        ));
    }
    // The lock covers the dependencies only: the one-off's own name is unique, and
    // it may run for hours. Cancellable only while a dependency step runs.
    let project = session::load_project(target, events)?;
    let lock = session::lock(target, &project, events).await?;
    let engine = session::connect(target).await?;
    let observed = observe(&engine, &project).await?;
    let name = ServiceName::new(request.service.as_str());
    let Some(service) = project.services.get(&name).cloned() else {
        return Err(OpsError::invalid(format!(
            "no such service: `{}`",
            request.service
        )));
    };
    // A one-off with a setting the engine would refuse, or whose secrets have no
    // file, fails before its dependencies start.
    check_refusals(&project, &service)?;
    check_secret_files(&service)?;
    // As 1.29.2's `project.up` for the one-off: the images of the service and,
    // unless `no_deps`, of its dependencies are pulled or built when missing,
    // before anything is created.
    let image_options = UpOptions {
        services: vec![name.clone()],
        no_deps: request.no_deps,
        ..UpOptions::default()
    };
    let observed = crate::images::ensure_images(
        target,
        &engine,
        &project,
        observed,
        &image_options,
        ImageOptions::default(),
        false,
        events,
        shutdown,
    )
    .await?;
    let resources = project_resources(&project);
    let report = |event| crate::resources::report(events, event);
    ensure_resources(&engine, &project, &resources, &report).await?;
    let mut opened = Opened {
        project,
        engine,
        observed,
        lock,
    };
    if !request.no_deps {
        let plan = plan_run_deps(&opened.project, &opened.observed, &name)?;
        if !plan.steps.is_empty() {
            session::execute(target, &opened, &plan, events, shutdown).await?;
        }
        opened.observed = observe(&opened.engine, &opened.project).await?;
        wait_oneoff_dependencies(&opened.engine, &service, &opened.observed).await?;
    }
    drop(opened.lock.take());
    let slug = slug();
    let oneoff = OneOff {
        name: request
            .name
            .clone()
            .unwrap_or_else(|| oneoff_name(&opened.project, &name, &slug)),
        slug,
        env: request
            .oneoff
            .env
            .iter()
            .map(|entry| match target.load.environment.get(entry) {
                // `-e KEY`: the value from the caller's environment, as 1.29.2.
                Some(value) if !entry.contains('=') => format!("{entry}={value}"),
                _ => entry.clone(),
            })
            .collect(),
        ..request.oneoff.clone()
    };
    let (spec, warnings) = oneoff_spec(&opened.project, &service, &opened.observed, &oneoff)?;
    for warning in &warnings {
        events.warning(warning);
    }
    if !request.detach {
        events.attaching();
    }
    let running = run_oneoff(
        &opened.engine,
        name.as_str(),
        &spec,
        OneOffIo {
            detach: request.detach,
            remove: request.remove,
            input: io.input,
            terminal_size: io.terminal_size,
            aliases: request.oneoff.use_aliases,
            stdout: io.stdout,
            stderr: io.stderr,
        },
    );
    // Attached, a signal stops the one-off (and `--rm` removes it), as 1.29.2.
    if !request.detach {
        events.cancellable();
    }
    let exit_code = tokio::select! {
        result = running => result?,
        () = shutdown.cancelled(), if !request.detach => {
            let _ = opened.engine.stop_container(&spec.name, STOP_TIMEOUT).await;
            if request.remove {
                let _ = opened.engine.remove_container(&spec.name, true, true).await;
            }
            return Err(OpsError::Interrupted);
        }
    };
    Ok(RunOutcome {
        name: oneoff.name,
        exit_code,
    })
}

/// Seconds a one-off is given to stop after a signal, before the engine kills it.
const STOP_TIMEOUT: u64 = 10;

/// 63 random hex digits, drawn again while the first 12 are all digits (1.29.2
/// `generate_random_id`, so that the short name never looks like a number).
fn slug() -> String {
    loop {
        let mut slug = String::with_capacity(64);
        for _ in 0..4 {
            let mut hasher = RandomState::new().build_hasher();
            hasher.write_u128(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |elapsed| elapsed.as_nanos()),
            );
            let _ = write!(slug, "{:016x}", hasher.finish());
        }
        // `hex(getrandbits(256))[2:-1]` drops the last digit: 63 of them.
        slug.truncate(63);
        if !slug[..12].bytes().all(|byte| byte.is_ascii_digit()) {
            return slug;
        }
    }
}
