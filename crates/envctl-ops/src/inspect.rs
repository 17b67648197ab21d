//! The operations that only read: `ps`, `port`, `top`, `images`. They find the
//! project's containers by label, and return them for the front end to show.

use envctl_executor::{ContainerDetails, Engine, ProcessList, labels, project_containers};
use envctl_parser::{Project, ServiceName};
use envctl_planner::{ContainerState, DependencyGraph, image_reference};

use crate::error::OpsError;
use crate::events::Events;
use crate::session::{self, check_services};
use crate::target::{EngineTarget, Target};

/// The project's services in dependency order (`ps --services`).
pub fn services(target: &Target, events: &dyn Events) -> Result<Vec<ServiceName>, OpsError> {
    let project = session::load_project(target, events)?;
    Ok(DependencyGraph::new(&project)?.order())
}

/// `ps --services --filter KEY=VAL...`: the services (in dependency order) that
/// pass every filter, as 1.29.2's `filter_services`: `status=running|stopped|
/// paused|restarting` (some container of the service, not one-off, is in that
/// state; a paused container is running too, as in 1.29.2), `source=image|build`
/// (the service has `image`, or `build`).
pub async fn filtered_services(
    target: &Target,
    filters: &[(String, String)],
    events: &dyn Events,
) -> Result<Vec<ServiceName>, OpsError> {
    let project = session::load_project(target, events)?;
    let order = DependencyGraph::new(&project)?.order();
    for (key, value) in filters {
        match (key.as_str(), value.as_str()) {
            ("status", "running" | "stopped" | "paused" | "restarting")
            | ("source", "image" | "build") => {}
            ("status", state) => {
                return Err(OpsError::invalid(format!("Invalid state: {state}")));
            }
            ("source", source) => {
                return Err(OpsError::invalid(format!(
                    "Invalid value for source filter: {source}"
                )));
            }
            (other, _) => return Err(OpsError::invalid(format!("Invalid filter: {other}"))),
        }
    }
    let containers = if filters.iter().any(|(key, _)| key == "status") {
        let engine = session::connect(target).await?;
        project_containers(&engine, &project.name).await?
    } else {
        Vec::new()
    };
    let passes = |name: &ServiceName, key: &str, value: &str| -> bool {
        let Some(service) = project.service(name.as_str()) else {
            return false;
        };
        if key == "source" {
            return if value == "image" {
                service.image.is_some()
            } else {
                service.build.is_some()
            };
        }
        containers
            .iter()
            .filter(|container| {
                container.labels.get(labels::SERVICE).map(String::as_str) == Some(name.as_str())
                    && !labels::is_oneoff(container.labels.get(labels::ONEOFF).map(String::as_str))
            })
            .any(|container| match value {
                "running" => container.state.is_running(),
                "stopped" => !container.state.is_running(),
                "paused" => container.state == ContainerState::Paused,
                _ => container.state == ContainerState::Restarting,
            })
    };
    Ok(order
        .into_iter()
        .filter(|name| filters.iter().all(|(key, value)| passes(name, key, value)))
        .collect())
}

/// The dependency graph of the services, rendered (`graph`). Like `config`, it reads
/// the file without making the project: a service's undefined network does not
/// stop it.
pub fn graph(
    target: &Target,
    format: envctl_planner::GraphFormat,
    events: &dyn Events,
) -> Result<String, OpsError> {
    let project = session::read_project(target, events)?;
    Ok(DependencyGraph::new(&project)?.render(format, &project.name))
}

/// What `ps` is asked.
#[derive(Debug, Clone, Default)]
pub struct PsRequest {
    /// Only these services' containers; all when empty.
    pub services: Vec<String>,
    /// `-a`: stopped one-off containers too.
    pub all: bool,
}

/// The project's containers, by name: one-off ones only while they run, unless
/// `all`.
pub async fn ps(
    target: &Target,
    request: &PsRequest,
    events: &dyn Events,
) -> Result<Vec<ContainerDetails>, OpsError> {
    let project = session::load_project(target, events)?;
    check_services(&project, &request.services)?;
    let engine = session::connect(target).await?;
    Ok(project_containers(&engine, &project.name)
        .await?
        .into_iter()
        .filter(|container| {
            let service = container.labels.get(labels::SERVICE);
            request.services.is_empty()
                || service.is_some_and(|service| request.services.contains(service))
        })
        .filter(|container| request.all || !is_oneoff(container) || container.state.is_running())
        .collect())
}

/// What `port` is asked.
#[derive(Debug, Clone)]
pub struct PortRequest {
    pub service: String,
    pub private_port: u16,
    /// `tcp` or `udp`.
    pub protocol: String,
    /// The container number.
    pub index: u32,
}

/// The `host_ip:host_port` of the first binding of `private_port/protocol` on the
/// service's running container number `index`; `None` when that port is not
/// published.
pub async fn port(
    target: &Target,
    request: &PortRequest,
    events: &dyn Events,
) -> Result<Option<String>, OpsError> {
    let project = session::load_project(target, events)?;
    check_services(&project, std::slice::from_ref(&request.service))?;
    let engine = session::connect(target).await?;
    let index = request.index.to_string();
    let container = project_containers(&engine, &project.name)
        .await?
        .into_iter()
        .filter(|container| container.state.is_running() && !is_oneoff(container))
        .find(|container| {
            label(container, labels::SERVICE) == request.service
                && label(container, labels::CONTAINER_NUMBER) == index
        })
        .ok_or_else(|| {
            OpsError::invalid(format!(
                "no container found for `{}_{}`",
                request.service, request.index
            ))
        })?;
    let key = format!("{}/{}", request.private_port, request.protocol);
    Ok(container
        .ports
        .iter()
        .find(|(private, _)| *private == key)
        .and_then(|(_, bindings)| bindings.first())
        .map(|(ip, port)| format!("{ip}:{port}")))
}

/// For each running container of `services` (all when empty; one-off ones
/// included), by name: its name and its processes.
pub async fn top(
    target: &Target,
    services: &[String],
    events: &dyn Events,
) -> Result<Vec<(String, ProcessList)>, OpsError> {
    let project = session::load_project(target, events)?;
    check_services(&project, services)?;
    let engine = session::connect(target).await?;
    let containers = selected(&engine, &project, services, |container| {
        container.state.is_running()
    })
    .await?;
    let mut tops = Vec::with_capacity(containers.len());
    for container in containers {
        let processes = engine.top(&container.id).await?;
        tops.push((container.name, processes));
    }
    Ok(tops)
}

/// One row of `images`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageRow {
    pub container: String,
    /// `<none>` when the image has no tag.
    pub repository: String,
    pub tag: String,
    /// The image's id, without `sha256:`.
    pub id: String,
    /// Bytes.
    pub size: i64,
}

/// What `images` found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Images {
    /// `-q`: the image ids, each once, without `sha256:`.
    Ids(Vec<String>),
    Rows(Vec<ImageRow>),
}

/// The image of each of the project's containers of `services` (all when empty;
/// stopped ones included, one-off ones while they run), by container name. The
/// tag shown is the one the service's image has (as the planner names it), else
/// the image's first.
pub async fn images(
    target: &Target,
    services: &[String],
    quiet: bool,
    events: &dyn Events,
) -> Result<Images, OpsError> {
    let project = session::load_project(target, events)?;
    check_services(&project, services)?;
    let engine = session::connect(target).await?;
    let containers = selected(&engine, &project, services, |container| {
        !is_oneoff(container) || container.state.is_running()
    })
    .await?;
    if quiet {
        let mut seen = std::collections::HashSet::new();
        let mut ids = Vec::new();
        for container in &containers {
            let id = container.image.trim_start_matches("sha256:");
            if seen.insert(id.to_owned()) {
                ids.push(id.to_owned());
            }
        }
        return Ok(Images::Ids(ids));
    }
    let mut rows = Vec::with_capacity(containers.len());
    for container in containers {
        let details = engine
            .image_details(&container.image)
            .await?
            .unwrap_or_default();
        let service_image = project
            .service(label(&container, labels::SERVICE))
            .map(|service| with_default_tag(&image_reference(&project, service)))
            .unwrap_or_default();
        let reference = details
            .repo_tags
            .iter()
            .find(|tag| **tag == service_image)
            .or_else(|| details.repo_tags.first());
        let (repository, tag) = reference
            .and_then(|reference| reference.rsplit_once(':'))
            .unwrap_or(("<none>", "<none>"));
        rows.push(ImageRow {
            container: container.name.clone(),
            repository: repository.to_owned(),
            tag: tag.to_owned(),
            id: details.id.trim_start_matches("sha256:").to_owned(),
            size: details.size,
        });
    }
    Ok(Images::Rows(rows))
}

/// The project's containers of the named services (all when none is named) that
/// `keep` accepts, sorted by name.
async fn selected(
    engine: &Engine,
    project: &Project,
    services: &[String],
    keep: impl Fn(&ContainerDetails) -> bool,
) -> Result<Vec<ContainerDetails>, OpsError> {
    let mut containers: Vec<ContainerDetails> = project_containers(engine, &project.name)
        .await?
        .into_iter()
        .filter(|container| {
            services.is_empty()
                || services
                    .iter()
                    .any(|name| name == label(container, labels::SERVICE))
        })
        .filter(|container| keep(container))
        .collect();
    containers.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(containers)
}

fn label<'a>(container: &'a ContainerDetails, key: &str) -> &'a str {
    container.labels.get(key).map_or("", String::as_str)
}

fn is_oneoff(container: &ContainerDetails) -> bool {
    labels::is_oneoff(container.labels.get(labels::ONEOFF).map(String::as_str))
}

/// `busybox` → `busybox:latest`; a registry port is not a tag.
fn with_default_tag(name: &str) -> String {
    let last = name.rsplit('/').next().unwrap_or(name);
    if last.contains(':') {
        name.to_owned()
    } else {
        format!("{name}:latest")
    }
}

/// Every container, of any project, carrying `label` (`key` or `key=value`),
/// inspected and sorted by name: how a front end that labels the projects it makes
/// (`envctl serve`) finds them again, with no list of its own.
pub async fn labelled_containers(
    engine: &EngineTarget,
    label: &str,
) -> Result<Vec<ContainerDetails>, OpsError> {
    let engine = Engine::connect_to(&engine.endpoint()?).await?;
    let mut containers = Vec::new();
    for id in engine.list_containers(label).await? {
        // A container may vanish between the list and its inspection.
        if let Some(details) = engine.inspect_container(&id).await? {
            containers.push(details);
        }
    }
    containers.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(containers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_is_added_only_where_there_is_none() {
        assert_eq!(with_default_tag("busybox"), "busybox:latest");
        assert_eq!(with_default_tag("busybox:1"), "busybox:1");
        assert_eq!(
            with_default_tag("localhost:5000/app"),
            "localhost:5000/app:latest"
        );
    }
}
