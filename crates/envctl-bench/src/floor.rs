//! The engine floor: the least any tool could take for the same containers.
//!
//! A minimal client with no files to read, no state to observe and no plan to
//! make: one bollard client (created once, outside the timed span), the
//! containers the tools would create (same names, image, labels, links with
//! docker-compose's three aliases, `volumes_from`), each created and started as
//! soon as the containers it depends on are started, with no limit on
//! parallelism. `down` is the mirror: each container is stopped as soon as every
//! container depending on it is stopped, and removed as soon as it is stopped.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, RemoveContainerOptionsBuilder, StopContainerOptionsBuilder,
};
use futures::future::{BoxFuture, FutureExt as _, Shared, join_all};

use crate::error::BenchError;
use crate::generate::{BENCH_LABEL, ProjectDef};

/// docker-compose's default stop timeout; the image exits at once on SIGTERM.
const STOP_TIMEOUT_SECONDS: i32 = 10;

/// A step's outcome, cloneable so that several dependents can wait for it.
type StepResult = Result<(), String>;
type StepFuture<'a> = Shared<BoxFuture<'a, StepResult>>;

/// Creates and starts the project's containers; returns the wall time.
pub async fn up(
    docker: &Docker,
    definition: &ProjectDef,
    project: &str,
) -> Result<Duration, BenchError> {
    let started = Instant::now();
    let mut steps: Vec<StepFuture<'_>> = Vec::with_capacity(definition.size());
    for index in 0..definition.size() {
        let dependencies: Vec<StepFuture<'_>> = definition.services[index]
            .dependencies()
            .map(|dependency| steps[dependency].clone())
            .collect();
        let step = async move {
            for result in join_all(dependencies).await {
                result?;
            }
            let name = container_name(project, definition, index);
            let options = CreateContainerOptionsBuilder::default().name(&name).build();
            docker
                .create_container(Some(options), create_body(definition, project, index))
                .await
                .map_err(|error| format!("create `{name}`: {error}"))?;
            docker
                .start_container(&name, None)
                .await
                .map_err(|error| format!("start `{name}`: {error}"))
        };
        steps.push(step.boxed().shared());
    }
    finish(join_all(steps).await, "start the floor's containers")?;
    Ok(started.elapsed())
}

/// Stops the project's containers, dependents first, and removes each as soon as
/// it is stopped; returns the wall time.
pub async fn down(
    docker: &Docker,
    definition: &ProjectDef,
    project: &str,
) -> Result<Duration, BenchError> {
    let mut dependents: HashMap<usize, Vec<usize>> = HashMap::new();
    for (index, service) in definition.services.iter().enumerate() {
        for dependency in service.dependencies() {
            dependents.entry(dependency).or_default().push(index);
        }
    }
    let started = Instant::now();
    // Dependents come later in the file, so walking backwards builds them first.
    let mut stops: HashMap<usize, StepFuture<'_>> = HashMap::new();
    let mut removals = Vec::with_capacity(definition.size());
    for index in (0..definition.size()).rev() {
        let waits: Vec<StepFuture<'_>> = dependents
            .get(&index)
            .into_iter()
            .flatten()
            .filter_map(|dependent| stops.get(dependent).cloned())
            .collect();
        let name = container_name(project, definition, index);
        let stop = {
            let name = name.clone();
            async move {
                for result in join_all(waits).await {
                    result?;
                }
                let options = StopContainerOptionsBuilder::default()
                    .t(STOP_TIMEOUT_SECONDS)
                    .build();
                docker
                    .stop_container(&name, Some(options))
                    .await
                    .map_err(|error| format!("stop `{name}`: {error}"))
            }
            .boxed()
            .shared()
        };
        stops.insert(index, stop.clone());
        removals.push(async move {
            stop.await?;
            let options = RemoveContainerOptionsBuilder::default().v(true).build();
            docker
                .remove_container(&name, Some(options))
                .await
                .map_err(|error| format!("remove `{name}`: {error}"))
        });
    }
    finish(join_all(removals).await, "remove the floor's containers")?;
    Ok(started.elapsed())
}

fn finish(results: Vec<StepResult>, action: &str) -> Result<(), BenchError> {
    let errors: Vec<String> = results.into_iter().filter_map(Result::err).collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(BenchError::Setup(format!(
            "the floor client could not {action}: {}",
            errors.join("; ")
        )))
    }
}

/// `<project>_<service>_1`, as docker-compose 1.29.2 names the first container.
fn container_name(project: &str, definition: &ProjectDef, index: usize) -> String {
    format!("{project}_{}_1", definition.services[index].name)
}

/// What docker-compose 1.29.2 sends for the service, minus what only it needs
/// (the config-hash and version labels).
fn create_body(definition: &ProjectDef, project: &str, index: usize) -> ContainerCreateBody {
    let service = &definition.services[index];
    let mut links = Vec::new();
    for &link in &service.links {
        let linked = &definition.services[link].name;
        let target = container_name(project, definition, link);
        // 1.29.2 `_get_links`: the service name, the container name, and the
        // name without the project.
        links.push(format!("{target}:{linked}"));
        links.push(format!("{target}:{target}"));
        links.push(format!("{target}:{linked}_1"));
    }
    let volumes_from = service.volumes_from.map(|source| {
        vec![format!(
            "{}:rw",
            container_name(project, definition, source)
        )]
    });
    let labels = HashMap::from([
        (BENCH_LABEL.to_owned(), "1".to_owned()),
        ("com.docker.compose.project".to_owned(), project.to_owned()),
        (
            "com.docker.compose.service".to_owned(),
            service.name.clone(),
        ),
        (
            "com.docker.compose.container-number".to_owned(),
            "1".to_owned(),
        ),
        ("com.docker.compose.oneoff".to_owned(), "False".to_owned()),
    ]);
    ContainerCreateBody {
        image: Some(service.image().to_owned()),
        env: Some(vec!["ENVCTL_BENCH=1".to_owned()]),
        labels: Some(labels),
        host_config: Some(HostConfig {
            links: (!links.is_empty()).then_some(links),
            volumes_from,
            ..HostConfig::default()
        }),
        ..ContainerCreateBody::default()
    }
}
