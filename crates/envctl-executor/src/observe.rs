//! The engine's state of a project, as the planner's plain [`Observed`].
//!
//! Containers are found by the `com.docker.compose.project` label only, never by
//! name, in every state; the image ids are those of the images the services use
//! (`image_reference`), which feed the config hash.

use envctl_parser::{ModeRef, Project};
use envctl_planner::{Observed, ObservedContainer, image_reference};
use futures::stream::{self, StreamExt as _, TryStreamExt as _};
use indexmap::IndexMap;

use crate::docker::{ContainerDetails, Engine};
use crate::error::ExecutorError;
use crate::labels;

/// Every container labelled with `project_name`, inspected, sorted by name.
pub async fn project_containers(
    engine: &Engine,
    project_name: &str,
) -> Result<Vec<ContainerDetails>, ExecutorError> {
    let ids = engine
        .list_containers(&labels::project_filter(project_name))
        .await?;
    let inspected: Vec<Option<ContainerDetails>> = stream::iter(&ids)
        .map(|id| engine.inspect_container(id))
        .buffered(engine.read_parallelism())
        .try_collect()
        .await?;
    let mut containers: Vec<ContainerDetails> = inspected.into_iter().flatten().collect();
    containers.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(containers)
}

/// What the engine holds for `project`: its containers and its services' images.
pub async fn observe(engine: &Engine, project: &Project) -> Result<Observed, ExecutorError> {
    let containers = project_containers(engine, &project.name)
        .await?
        .into_iter()
        .filter_map(observed_container)
        .collect();
    let mut references: Vec<String> = project
        .services
        .values()
        .map(|service| image_reference(project, service))
        .collect();
    references.dedup();
    let ids: Vec<Option<String>> = stream::iter(&references)
        .map(|reference| engine.image_id(reference))
        .buffered(engine.read_parallelism())
        .try_collect()
        .await?;
    let images: IndexMap<String, String> = references
        .into_iter()
        .zip(ids)
        .filter_map(|(reference, id)| Some((reference, id?)))
        .collect();
    Ok(Observed {
        containers,
        images,
        container_ids: referenced_container_ids(engine, project).await?,
    })
}

/// The full ids of the containers outside the project that services share a network
/// stack or IPC namespace with (`net: container:x`, `ipc: container:x`): 1.29.2
/// hashes the id. A container that does not exist is left out.
async fn referenced_container_ids(
    engine: &Engine,
    project: &Project,
) -> Result<IndexMap<String, String>, ExecutorError> {
    let mut names: Vec<&str> = Vec::new();
    for service in project.services.values() {
        for mode in [&service.network_mode, &service.ipc] {
            if let Some(ModeRef::Container(name)) = mode
                && !names.contains(&name.as_str())
            {
                names.push(name);
            }
        }
    }
    let inspected: Vec<Option<ContainerDetails>> = stream::iter(&names)
        .map(|name| engine.inspect_container(name))
        .buffered(engine.read_parallelism())
        .try_collect()
        .await?;
    Ok(names
        .into_iter()
        .zip(inspected)
        .filter_map(|(name, details)| Some((name.to_owned(), details?.id)))
        .collect())
}

/// `None` for a container without a service label (not one of ours to manage).
pub fn observed_container(details: ContainerDetails) -> Option<ObservedContainer> {
    let service = details.labels.get(labels::SERVICE)?.clone();
    Some(ObservedContainer {
        number: details
            .labels
            .get(labels::CONTAINER_NUMBER)
            .and_then(|number| number.parse().ok()),
        oneoff: labels::is_oneoff(details.labels.get(labels::ONEOFF).map(String::as_str)),
        config_hash: details.labels.get(labels::CONFIG_HASH).cloned(),
        config_digest: details.labels.get(labels::CONFIG_DIGEST).cloned(),
        state: details.state,
        created: details.created,
        has_links: details.has_links,
        mounts: details.mounts,
        id: details.id,
        name: details.name,
        service,
    })
}
