//! `envctl build`: the images of the selected services that have `build`, one
//! after the other (or `--parallel`), the context sent as a tar stream with
//! `.dockerignore` applied as the engine does.

use std::sync::Arc;

use envctl_executor::docker::BuildFailure;
use envctl_executor::image::{BuildRequest, BuildSource, build_request};
use envctl_executor::{Engine, ExecutorError};
use envctl_parser::{Project, ServiceName};
use envctl_planner::image_reference;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::args::BuildArgs;
use crate::image_progress::{ImageProgress, Job};
use crate::invocation::Invocation;
use crate::report::{Failure, print_status};

/// Flags that change every build of a run.
#[derive(Debug, Clone, Default)]
pub(super) struct BuildFlags {
    pub no_cache: bool,
    pub pull: bool,
    pub build_args: Vec<(String, String)>,
    pub force_rm: bool,
    pub no_rm: bool,
}

pub async fn run(invocation: &Invocation, args: BuildArgs) -> Result<(), Failure> {
    let project = invocation.load_project(true)?;
    let selected = super::selected_services(&project, &args.services, false)?;
    let mut build_args = Vec::new();
    for entry in &args.args {
        match entry.split_once('=') {
            Some((key, value)) => build_args.push((key.to_owned(), value.to_owned())),
            None => {
                // 1.29.2 takes a bare `KEY` from the environment (`.env` included).
                if let Some(value) = invocation.settings().get(entry).cloned() {
                    build_args.push((entry.clone(), value));
                }
            }
        }
    }
    let flags = BuildFlags {
        no_cache: args.no_cache,
        pull: args.pull,
        build_args,
        force_rm: args.force_rm,
        no_rm: args.no_rm,
    };
    let mut targets = Vec::new();
    for name in &selected {
        let Some(service) = project.services.get(name.as_str()) else {
            continue;
        };
        if service.build.is_none() {
            print_status(&format!("{name} uses an image, skipping"));
            continue;
        }
        targets.push(build_target(&project, name, &flags)?);
    }
    // A signal lets the build in flight finish and starts no other (`interrupt.rs`).
    let shutdown = crate::interrupt::shutdown();
    let engine = invocation.connect().await?;
    let parallel = if args.parallel {
        invocation.parallel_limit()?
    } else {
        1
    };
    let errors = build_images(&engine, targets, parallel, args.quiet, &shutdown).await;
    if shutdown.is_cancelled() {
        return Err(Failure::interrupted());
    }
    super::pull::report_errors(errors)
}

/// The request for `name` (which has `build`), with the run's flags.
pub(super) fn build_target(
    project: &Project,
    name: &ServiceName,
    flags: &BuildFlags,
) -> Result<(String, BuildRequest), Failure> {
    let service = project
        .services
        .get(name.as_str())
        .ok_or_else(|| Failure::usage(format!("no such service: `{name}`")))?;
    let image = image_reference(project, service);
    match build_request(service, &image) {
        Some(BuildSource::Request(request)) => {
            let mut request = *request;
            request.no_cache = flags.no_cache;
            request.pull = flags.pull;
            request.force_rm = flags.force_rm;
            request.rm = !flags.no_rm;
            for (key, value) in &flags.build_args {
                request.args.insert(key.clone(), value.clone());
            }
            Ok((name.to_string(), request))
        }
        Some(BuildSource::Remote(url)) => Err(Failure::from(ExecutorError::Build {
            service: name.to_string(),
            image,
            reason: format!("a remote build context (`{url}`) is not supported yet"),
        })),
        None => Err(Failure::usage(format!("service `{name}` has no `build`"))),
    }
}

/// Builds `targets` (service, request), `parallel` at a time (one: in order,
/// each line shown when its build starts); returns the failures in order. Once
/// `shutdown` is cancelled no further build starts.
pub(super) async fn build_images(
    engine: &Engine,
    targets: Vec<(String, BuildRequest)>,
    parallel: usize,
    quiet: bool,
    shutdown: &CancellationToken,
) -> Vec<ExecutorError> {
    let progress = ImageProgress::new(quiet);
    let width = targets
        .iter()
        .map(|(name, _)| name.len())
        .max()
        .unwrap_or(0);
    let mut errors = Vec::new();
    if parallel <= 1 {
        for (service, request) in targets {
            if shutdown.is_cancelled() {
                break;
            }
            let view = progress.start(Job::Build, &service, &request.tag, width);
            let result = engine.build_image(&request, &view.sink).await;
            view.finish(result.is_ok());
            if let Err(failure) = result {
                errors.push(to_error(service, request.tag, failure));
            }
        }
        return errors;
    }
    let permits = Arc::new(Semaphore::new(parallel));
    let mut tasks = JoinSet::new();
    for (index, (service, request)) in targets.into_iter().enumerate() {
        let engine = engine.clone();
        let permits = Arc::clone(&permits);
        let shutdown = shutdown.clone();
        let view = progress.start(Job::Build, &service, &request.tag, width);
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            if shutdown.is_cancelled() {
                view.finish(false);
                return (index, Ok(()));
            }
            let result = engine.build_image(&request, &view.sink).await;
            view.finish(result.is_ok());
            (
                index,
                result
                    .map(|_| ())
                    .map_err(|failure| to_error(service, request.tag, failure)),
            )
        });
    }
    let mut indexed = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        if let Ok((index, Err(error))) = joined {
            indexed.push((index, error));
        }
    }
    indexed.sort_by_key(|(index, _)| *index);
    errors.extend(indexed.into_iter().map(|(_, error)| error));
    errors
}

fn to_error(service: String, image: String, failure: BuildFailure) -> ExecutorError {
    let reason = match failure {
        BuildFailure::Context(error) => match std::error::Error::source(&error) {
            Some(source) => format!("{error}: {source}"),
            None => error.to_string(),
        },
        BuildFailure::Engine(error) => match error {
            envctl_executor::error::EngineError::DockerStreamError { error } => error,
            other => other.to_string(),
        },
    };
    ExecutorError::Build {
        service,
        image,
        reason,
    }
}
