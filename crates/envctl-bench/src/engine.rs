//! The bench's own view of the engine: checks before a run, the state of a project
//! after each step (so a figure is never taken from a tool that did not do the
//! work), and the clean-up of every project the run created.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, PoisonError};

use bollard::Docker;
use bollard::models::ContainerSummaryStateEnum;
use bollard::query_parameters::{ListContainersOptionsBuilder, RemoveContainerOptionsBuilder};
use futures::future::join_all;

use crate::error::BenchError;
use crate::generate::{BENCH_LABEL, DATA_IMAGE, IMAGE};

/// The label docker-compose 1.29.2 (and envctl) put the project name in.
pub const PROJECT_LABEL: &str = "com.docker.compose.project";

/// One client for the whole run (bench checks and the floor share it).
pub async fn connect() -> Result<Docker, BenchError> {
    let docker = Docker::connect_with_defaults()
        .map_err(|source| BenchError::Engine {
            action: "connect".to_owned(),
            source,
        })?
        .negotiate_version()
        .await
        .map_err(|source| BenchError::Engine {
            action: "negotiate the API version".to_owned(),
            source,
        })?;
    Ok(docker)
}

/// The engine's version, after checking that the bench images exist.
pub async fn preflight(docker: &Docker) -> Result<String, BenchError> {
    let version = docker
        .version()
        .await
        .map_err(|source| BenchError::Engine {
            action: "report its version".to_owned(),
            source,
        })?;
    for image in [IMAGE, DATA_IMAGE] {
        if docker.inspect_image(image).await.is_err() {
            return Err(BenchError::Setup(format!(
                "the image `{image}` is missing\nhelp: run `just images` first"
            )));
        }
    }
    Ok(version.version.unwrap_or_else(|| "unknown".to_owned()))
}

/// A container as the bench checks it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Container {
    pub name: String,
    pub id: String,
    pub running: bool,
}

/// A project's containers, sorted by name.
pub async fn project_state(docker: &Docker, project: &str) -> Result<Vec<Container>, BenchError> {
    let filter = format!("{PROJECT_LABEL}={project}");
    let mut containers = list(docker, &filter).await?;
    containers.sort();
    Ok(containers)
}

async fn list(docker: &Docker, label: &str) -> Result<Vec<Container>, BenchError> {
    let filters = HashMap::from([("label", vec![label])]);
    let options = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    let summaries = docker
        .list_containers(Some(options))
        .await
        .map_err(|source| BenchError::Engine {
            action: format!("list the containers labelled `{label}`"),
            source,
        })?;
    Ok(summaries
        .into_iter()
        .map(|summary| {
            let name = summary
                .names
                .and_then(|names| names.into_iter().next())
                .unwrap_or_default()
                .trim_start_matches('/')
                .to_owned();
            Container {
                name,
                id: summary.id.unwrap_or_default(),
                running: summary.state == Some(ContainerSummaryStateEnum::RUNNING),
            }
        })
        .collect())
}

/// Force-removes every container carrying `label`, with its anonymous volumes.
async fn remove_labelled(docker: &Docker, label: &str) -> Result<usize, BenchError> {
    let containers = list(docker, label).await?;
    let options = RemoveContainerOptionsBuilder::default()
        .force(true)
        .v(true)
        .build();
    let results = join_all(
        containers
            .iter()
            .map(|container| docker.remove_container(&container.id, Some(options.clone()))),
    )
    .await;
    for result in results {
        match result {
            Ok(())
            | Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => {}
            Err(source) => {
                return Err(BenchError::Engine {
                    action: format!("remove a container labelled `{label}`"),
                    source,
                });
            }
        }
    }
    Ok(containers.len())
}

/// Removes what an earlier, killed run left (containers labelled by the bench);
/// returns how many there were.
pub async fn remove_leftovers(docker: &Docker) -> Result<usize, BenchError> {
    remove_labelled(docker, &format!("{BENCH_LABEL}=1")).await
}

/// The projects this run has created, removed by [`Cleanup::sweep`] however the
/// run ends: every tool's project is registered before its first command runs.
#[derive(Debug, Default)]
pub struct Cleanup {
    projects: Mutex<BTreeSet<String>>,
}

impl Cleanup {
    pub fn register(&self, project: &str) {
        self.projects
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(project.to_owned());
    }

    /// Force-removes every container of every registered project; returns how many
    /// were still there.
    pub async fn sweep(&self, docker: &Docker) -> Result<usize, BenchError> {
        let projects: Vec<String> = self
            .projects
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect();
        let mut removed = 0;
        for project in projects {
            removed += remove_labelled(docker, &format!("{PROJECT_LABEL}={project}")).await?;
        }
        Ok(removed)
    }
}
