//! The plan's resources: networks and named volumes made before the first step of
//! `up` and removed after the last step of `down`, and the networks a new
//! container joins before it starts.
//!
//! As 1.29.2 (`Network.ensure`, `ProjectVolumes.initialize`, `ProjectNetworks.remove`):
//! an existing network or volume is used as it is while it is what the file says
//! (`envctl_planner::drift`); an external one must exist and is never made, compared
//! or removed; volumes are removed only with `down -v`.

use envctl_parser::Project;
use envctl_planner::{Change, Drift, ResourceChanged, Resources, network_drift, volume_drift};
use indexmap::IndexMap;

use crate::docker::Engine;
use crate::error::{ExecutorError, Operation};
use crate::labels;
use crate::spec::ContainerSpec;

pub const NETWORK_LABEL: &str = "com.docker.compose.network";
pub const VOLUME_LABEL: &str = "com.docker.compose.volume";

/// Where the resource steps report what they do (1.29.2's own lines:
/// `Creating network "app_default" with the default driver`).
pub type ResourceReport<'a> = &'a (dyn Fn(ResourceEvent) + Sync);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceEvent {
    /// A line of progress.
    Status(String),
    /// Something that changes nothing (a resource already gone).
    Warning(String),
}

/// Makes every network and volume of `resources` that does not exist yet. One
/// that exists is used as it is when it is still what the file says (the
/// planner's [`network_drift`], [`volume_drift`]): a changed label is a warning,
/// any other change stops here, before a container is touched. External ones are
/// only required to exist.
pub async fn ensure_resources(
    engine: &Engine,
    project: &Project,
    resources: &Resources,
    report: ResourceReport<'_>,
) -> Result<(), ExecutorError> {
    for network in &resources.networks {
        let existing = engine
            .inspect_network(&network.name)
            .await
            .map_err(engine.request_failed(Operation::InspectNetwork, &network.name))?;
        if let Some(existing) = existing {
            if !network.external {
                accept(network_drift(network, &existing), report, |change| {
                    ResourceChanged::network(project, network, change)
                })?;
            }
            continue;
        }
        if network.external {
            return Err(ExecutorError::ExternalMissing {
                kind: "network",
                name: network.name.clone(),
            });
        }
        let driver = network.driver.as_ref().map_or_else(
            || "the default driver".to_owned(),
            |driver| format!("driver \"{driver}\""),
        );
        report(ResourceEvent::Status(format!(
            "Creating network \"{}\" with {driver}",
            network.name
        )));
        let labels = compose_labels(
            &network.labels,
            &project.name,
            NETWORK_LABEL,
            &network.label,
        );
        engine
            .create_network(network, &labels)
            .await
            .map_err(engine.request_failed(Operation::CreateNetwork, &network.name))?;
    }
    for volume in &resources.volumes {
        let existing = engine
            .inspect_volume(&volume.name)
            .await
            .map_err(engine.request_failed(Operation::InspectVolume, &volume.name))?;
        if let Some(existing) = existing {
            if !volume.external {
                // As Compose v2: a volume made by hand or by another tool is used,
                // with a word; `down -v` will keep it.
                if !is_the_projects(&existing.labels, &project.name) {
                    report(ResourceEvent::Warning(format!(
                        "volume `{}` already exists but was not created by this project: use `external: true` to use an existing volume (`down -v` keeps it)",
                        volume.name
                    )));
                    continue;
                }
                accept(volume_drift(volume, &existing), report, |change| {
                    ResourceChanged::volume(project, volume, change)
                })?;
            }
            continue;
        }
        if volume.external {
            return Err(ExecutorError::ExternalMissing {
                kind: "volume",
                name: volume.name.clone(),
            });
        }
        report(ResourceEvent::Status(format!(
            "Creating volume \"{}\" with {} driver",
            volume.name,
            volume.driver.as_deref().unwrap_or("default")
        )));
        let labels = compose_labels(&volume.labels, &project.name, VOLUME_LABEL, &volume.label);
        engine
            .create_volume(volume, &labels)
            .await
            .map_err(engine.request_failed(Operation::CreateVolume, &volume.name))?;
    }
    Ok(())
}

/// An existing resource is used when nothing but labels changed (those are
/// reported); any other change is the error `changed` makes of it.
fn accept(
    drift: Drift,
    report: ResourceReport<'_>,
    changed: impl FnOnce(Change) -> ResourceChanged,
) -> Result<(), ExecutorError> {
    if let Some(change) = drift.change {
        return Err(Box::new(changed(change)).into());
    }
    for warning in drift.warnings {
        report(ResourceEvent::Warning(warning));
    }
    Ok(())
}

/// Removes the project's networks, and its volumes when `resources.remove_volumes`;
/// never an external one. Every failure is returned; the rest are still tried.
pub async fn remove_resources(
    engine: &Engine,
    resources: &Resources,
    report: ResourceReport<'_>,
) -> Result<(), Vec<ExecutorError>> {
    let mut errors = Vec::new();
    for network in resources
        .networks
        .iter()
        .filter(|network| !network.external)
    {
        report(ResourceEvent::Status(format!(
            "Removing network {}",
            network.name
        )));
        match engine.remove_network(&network.name).await {
            Ok(true) => {}
            Ok(false) => report(ResourceEvent::Warning(format!(
                "network `{}` not found",
                network.name
            ))),
            Err(source) => errors.push(engine
                .request_failed(Operation::RemoveNetwork, &network.name)(
                source
            )),
        }
    }
    if resources.remove_volumes {
        for volume in resources.volumes.iter().filter(|volume| !volume.external) {
            // Only a volume carrying the project's label is removed: one that was
            // there before (`name:` naming a volume made by hand) holds someone's data.
            match engine.inspect_volume(&volume.name).await {
                Ok(Some(existing)) if !is_the_projects(&existing.labels, &resources.project) => {
                    report(ResourceEvent::Warning(format!(
                        "volume `{}` kept: it does not carry the label `{}={}`, so this project did not create it",
                        volume.name,
                        labels::PROJECT,
                        resources.project
                    )));
                    continue;
                }
                Ok(_) => {}
                Err(source) => {
                    errors.push(engine
                        .request_failed(Operation::InspectVolume, &volume.name)(
                        source
                    ));
                    continue;
                }
            }
            report(ResourceEvent::Status(format!(
                "Removing volume {}",
                volume.name
            )));
            match engine.remove_volume(&volume.name).await {
                Ok(true) => {}
                Ok(false) => report(ResourceEvent::Warning(format!(
                    "volume `{}` not found",
                    volume.name
                ))),
                Err(source) => {
                    errors
                        .push(engine.request_failed(Operation::RemoveVolume, &volume.name)(source));
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Joins a just-created container to its networks as 1.29.2 does when it starts
/// one (`connect_container_to_networks`): the primary network, joined by the
/// create request, is left and joined again with the container's short id among
/// the aliases; the others are joined the same way.
pub(crate) async fn connect_networks(
    engine: &Engine,
    service: &str,
    id: &str,
    spec: &ContainerSpec,
) -> Result<(), ExecutorError> {
    join_networks(engine, service, id, spec, true).await
}

/// [`connect_networks`]; without `aliases` (a one-off container without
/// `--use-aliases`), the container joins without any.
pub async fn join_networks(
    engine: &Engine,
    service: &str,
    id: &str,
    spec: &ContainerSpec,
    aliases: bool,
) -> Result<(), ExecutorError> {
    let short_id: String = id.chars().take(12).collect();
    for (index, endpoint) in spec.networks.iter().enumerate() {
        let failed = |operation| {
            let container = spec.name.clone();
            move |source| ExecutorError::Step {
                service: service.to_owned(),
                operation,
                container,
                source,
            }
        };
        if index == 0 {
            engine
                .disconnect_network(id, &endpoint.network)
                .await
                .map_err(failed(Operation::DisconnectNetwork))?;
        }
        let mut endpoint = endpoint.clone();
        if !aliases {
            endpoint.aliases.clear();
        } else if !endpoint.aliases.contains(&short_id) {
            endpoint.aliases.insert(1, short_id.clone());
        }
        engine
            .connect_network(id, &endpoint)
            .await
            .map_err(failed(Operation::ConnectNetwork))?;
    }
    Ok(())
}

/// Whether a volume's labels say `project` made it.
fn is_the_projects(volume_labels: &IndexMap<String, String>, project: &str) -> bool {
    volume_labels
        .get(labels::PROJECT)
        .is_some_and(|name| name == project)
}

/// The user's labels, then the compose ones (which win).
fn compose_labels(
    user: &IndexMap<String, String>,
    project: &str,
    kind_label: &str,
    name: &str,
) -> IndexMap<String, String> {
    let mut labels = user.clone();
    labels.insert(labels::PROJECT.to_owned(), project.to_owned());
    labels.insert(kind_label.to_owned(), name.to_owned());
    labels.insert(
        labels::VERSION.to_owned(),
        labels::COMPOSE_VERSION.to_owned(),
    );
    labels
}
