//! The image phase of `up` and `run`, and `pull` and `build`: what the planner (or
//! the request) chose is carried out by the executor; missing images stop the
//! operation before its first container.

use std::sync::Arc;

use envctl_executor::image::{BuildRequest, BuildSource, build_request};
use envctl_executor::{Engine, ExecutorError, ImageJob, build_images, observe, pull_images};
use envctl_parser::{Project, ServiceName};
use envctl_planner::{ImageOptions, Observed, UpOptions, image_reference, plan_images};
use indexmap::IndexMap;
use tokio_util::sync::CancellationToken;

use crate::error::OpsError;
use crate::events::Events;
use crate::target::Target;

/// Flags that change every build of a run (`envctl build`'s).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildFlags {
    pub no_cache: bool,
    pub pull: bool,
    /// `--build-arg KEY=VALUE`, resolved by the front end.
    pub build_args: Vec<(String, String)>,
    pub force_rm: bool,
    pub no_rm: bool,
}

/// Makes the selected services' images present, as planned by `plan_images`;
/// returns `observed` with their ids (observed again when anything was pulled or
/// built). With `dry_run`, says what would be done and assumes it done.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn ensure_images(
    target: &Target,
    engine: &Engine,
    project: &Project,
    mut observed: Observed,
    options: &UpOptions,
    images: ImageOptions,
    dry_run: bool,
    events: &dyn Events,
    shutdown: &CancellationToken,
) -> Result<Observed, OpsError> {
    let plan = plan_images(project, &observed, options, images)?;
    if plan.is_empty() {
        return Ok(observed);
    }
    if dry_run {
        for line in plan.to_string().lines() {
            events.status(line);
        }
        plan.assume_done(&mut observed);
        return Ok(observed);
    }
    let builds = plan
        .build
        .iter()
        .map(|build| build_target(project, &build.service, &BuildFlags::default()))
        .collect::<Result<Vec<_>, _>>()?;
    let pulls: IndexMap<String, Vec<String>> = plan
        .pull
        .iter()
        .map(|(image, services)| {
            (
                image.clone(),
                services.iter().map(ToString::to_string).collect(),
            )
        })
        .collect();
    let mut errors = pull(target, engine, &pulls, target.parallel_limit, events).await;
    if errors.is_empty() {
        // A signal lets the build in flight finish and starts no other.
        events.cancellable();
        errors = build(engine, builds, 1, events, shutdown).await;
    }
    if !errors.is_empty() {
        return Err(OpsError::Images { errors });
    }
    for build in plan.build.iter().filter(|build| build.missing) {
        events.warning(&format!(
            "image for service `{}` was built because it did not already exist; to rebuild it, use `envctl build` or `envctl up --build`",
            build.service
        ));
    }
    Ok(observe(engine, project).await?)
}

/// Pulls `targets` (image → services), `parallel` at a time.
pub(crate) async fn pull(
    target: &Target,
    engine: &Engine,
    targets: &IndexMap<String, Vec<String>>,
    parallel: usize,
    events: &dyn Events,
) -> Vec<ExecutorError> {
    let labels: Vec<String> = targets
        .values()
        .map(|services| services.join(","))
        .collect();
    let reporter = events.images(ImageJob::Pull, &labels);
    pull_images(engine, targets, docker_config(target), parallel, &reporter).await
}

/// Builds `targets` (service, request), `parallel` at a time.
pub(crate) async fn build(
    engine: &Engine,
    targets: Vec<(String, BuildRequest)>,
    parallel: usize,
    events: &dyn Events,
    shutdown: &CancellationToken,
) -> Vec<ExecutorError> {
    let labels: Vec<String> = targets.iter().map(|(name, _)| name.clone()).collect();
    let reporter = events.images(ImageJob::Build, &labels);
    build_images(engine, targets, parallel, &reporter, shutdown).await
}

/// The docker CLI's `config.json` (`$DOCKER_CONFIG/config.json`, else
/// `~/.docker/config.json`, from the environment passed in), if it can be read.
fn docker_config(target: &Target) -> Option<Arc<str>> {
    let environment = &target.load.environment;
    let path = if let Some(dir) = environment
        .get("DOCKER_CONFIG")
        .filter(|dir| !dir.is_empty())
    {
        std::path::Path::new(dir).join("config.json")
    } else {
        let home = environment.get("HOME").filter(|home| !home.is_empty())?;
        std::path::Path::new(home).join(".docker/config.json")
    };
    std::fs::read_to_string(path).ok().map(Arc::from)
}

/// The images to pull for `selected`: those of services without `build`, minus
/// images another selected service builds (1.29.2's `Project.pull`), each once,
/// with the services that use it.
pub(crate) fn pull_targets(
    project: &Project,
    selected: &[ServiceName],
) -> IndexMap<String, Vec<String>> {
    let services: Vec<_> = selected
        .iter()
        .filter_map(|name| project.services.get(name.as_str()))
        .collect();
    let built: Vec<String> = services
        .iter()
        .filter(|service| service.build.is_some())
        .map(|service| image_reference(project, service))
        .collect();
    let mut targets: IndexMap<String, Vec<String>> = IndexMap::new();
    for service in services.iter().filter(|service| service.build.is_none()) {
        let image = image_reference(project, service);
        if built.contains(&image) {
            continue;
        }
        targets
            .entry(image)
            .or_default()
            .push(service.name.to_string());
    }
    targets
}

/// The build request for `name` (which has `build`), with the run's flags.
pub(crate) fn build_target(
    project: &Project,
    name: &ServiceName,
    flags: &BuildFlags,
) -> Result<(String, BuildRequest), OpsError> {
    let service = project
        .services
        .get(name.as_str())
        .ok_or_else(|| OpsError::invalid(format!("no such service: `{name}`")))?;
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
        Some(BuildSource::Remote(url)) => Err(OpsError::Executor(ExecutorError::Build {
            service: name.to_string(),
            image,
            reason: format!("a remote build context (`{url}`) is not supported yet"),
        })),
        None => Err(OpsError::invalid(format!(
            "service `{name}` has no `build`"
        ))),
    }
}
