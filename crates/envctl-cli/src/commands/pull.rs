//! `envctl pull`: every image of the selected services that have no `build`, in
//! parallel (1.29.2's default), with a bar per image on a terminal.

use std::sync::Arc;

use envctl_executor::image::registry_auth;
use envctl_executor::{Engine, ExecutorError};
use envctl_parser::{Project, ServiceName};
use envctl_planner::image_reference;
use indexmap::IndexMap;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::args::PullArgs;
use crate::image_progress::{ImageProgress, Job};
use crate::invocation::Invocation;
use crate::report::{Failure, print_warning};

pub async fn run(invocation: &Invocation, args: PullArgs) -> Result<(), Failure> {
    let project = invocation.load_project(true)?;
    let selected = super::selected_services(&project, &args.services, args.include_deps)?;
    let targets = pull_targets(&project, &selected);
    let engine = invocation.connect().await?;
    let parallel = if args.no_parallel {
        1
    } else {
        invocation.parallel_limit()?
    };
    let errors = pull_images(
        &engine,
        &invocation.environment,
        targets,
        parallel,
        args.quiet,
    )
    .await;
    if errors.is_empty() {
        return Ok(());
    }
    if args.ignore_pull_failures {
        for error in errors {
            print_warning(&format!("{:?}", miette::Report::new(error)));
        }
        return Ok(());
    }
    for error in errors {
        eprintln!("{:?}", miette::Report::new(error));
    }
    // The one command this hint fits: `up` and `run` cannot go on without the
    // image, and `--ignore-pull-failures` was not given. See: #16
    eprintln!("help: `envctl pull --ignore-pull-failures` pulls the other images and exits 0");
    Err(Failure::exit(1))
}

/// The docker CLI's `config.json`: `$DOCKER_CONFIG/config.json`, else
/// `~/.docker/config.json`.
fn docker_config_file(environment: &IndexMap<String, String>) -> Option<std::path::PathBuf> {
    if let Some(dir) = environment
        .get("DOCKER_CONFIG")
        .filter(|dir| !dir.is_empty())
    {
        return Some(std::path::Path::new(dir).join("config.json"));
    }
    let home = environment.get("HOME").filter(|home| !home.is_empty())?;
    Some(std::path::Path::new(home).join(".docker/config.json"))
}

/// Prints each error; exit 1.
pub(super) fn report_errors(errors: Vec<ExecutorError>) -> Result<(), Failure> {
    let mut errors = errors.into_iter();
    let last = errors.next_back();
    for error in errors {
        eprintln!("{:?}", miette::Report::new(error));
    }
    match last {
        Some(error) => Err(Failure::from(error)),
        None => Ok(()),
    }
}

/// The images to pull for `selected`: those of services without `build`, minus
/// images another selected service builds (1.29.2's `Project.pull`), each once,
/// with the services that use it.
pub(super) fn pull_targets(
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

/// Pulls `targets` (image → services), `parallel` at a time; returns the
/// failures, each naming its service and image.
pub(super) async fn pull_images(
    engine: &Engine,
    environment: &IndexMap<String, String>,
    targets: IndexMap<String, Vec<String>>,
    parallel: usize,
    quiet: bool,
) -> Vec<ExecutorError> {
    let progress = ImageProgress::new(quiet);
    let width = targets
        .values()
        .map(|services| services.join(",").len())
        .max()
        .unwrap_or(0);
    let permits = Arc::new(Semaphore::new(parallel.max(1)));
    let docker_config: Option<Arc<str>> = docker_config_file(environment)
        .and_then(|path| std::fs::read_to_string(path).ok())
        .map(Arc::from);
    let mut tasks = JoinSet::new();
    for (image, services) in targets {
        let docker_config = docker_config.clone();
        let label = services.join(",");
        let view = progress.start(Job::Pull, &label, &image, width);
        let engine = engine.clone();
        let permits = Arc::clone(&permits);
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let auth = docker_config
                .as_deref()
                .and_then(|config| registry_auth(config, &image));
            let result = engine.pull_image(&image, auth.as_ref(), &view.sink).await;
            view.finish(result.is_ok());
            result.map_err(|source| ExecutorError::Pull {
                service: label,
                image,
                source,
            })
        });
    }
    let mut errors = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        if let Ok(Err(error)) = joined {
            errors.push(error);
        }
    }
    errors
}
