//! What the engine holds for a project, as plain data.
//!
//! The executor lists the project's containers (by label only) and turns the engine's
//! answers into these types; the planner never sees an engine type.

use std::collections::HashMap;

use indexmap::IndexMap;

/// A snapshot of the project's containers and of the images its services use.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    /// Every container labelled with the project, one-off ones included.
    pub containers: Vec<ObservedContainer>,
    /// Image reference as written in the file (`busybox`, `envctl-test/busybox:latest`)
    /// to the local image id, for the images that exist locally.
    pub images: IndexMap<String, String>,
    /// Container name as written in the file (`net: container:<name>`,
    /// `ipc: container:<name>`) to the container's full id, for the containers that
    /// exist: 1.29.2 hashes the id, not the name.
    pub container_ids: IndexMap<String, String>,
}

impl Observed {
    /// The service's containers (not one-off), lowest container number first.
    pub fn service_containers<'a>(&'a self, service: &str) -> Vec<&'a ObservedContainer> {
        let mut containers: Vec<_> = self
            .containers
            .iter()
            .filter(|container| !container.oneoff && container.service == service)
            .collect();
        containers.sort_by(|a, b| {
            a.number
                .cmp(&b.number)
                .then_with(|| a.created.cmp(&b.created))
        });
        containers
    }

    /// [`service_containers`](Self::service_containers) of every service at once,
    /// keyed by service name: one pass over the containers, so that planning `n`
    /// services against `n` containers is linear, not quadratic.
    pub fn containers_by_service(&self) -> ServiceContainers<'_> {
        let mut by_service: HashMap<&str, Vec<&ObservedContainer>, foldhash::fast::FixedState> =
            HashMap::default();
        for container in self.containers.iter().filter(|container| !container.oneoff) {
            by_service
                .entry(container.service.as_str())
                .or_default()
                .push(container);
        }
        for containers in by_service.values_mut() {
            containers.sort_by(|a, b| {
                a.number
                    .cmp(&b.number)
                    .then_with(|| a.created.cmp(&b.created))
            });
        }
        ServiceContainers { by_service }
    }

    /// The container 1.29.2's `service.containers()[0]` gives: the service's newest
    /// running container (the engine lists newest first), for `ipc: service:x`.
    pub fn first_running_container<'a>(&'a self, service: &str) -> Option<&'a ObservedContainer> {
        self.containers
            .iter()
            .filter(|container| {
                !container.oneoff && container.service == service && container.state.is_running()
            })
            .max_by(|a, b| a.created.cmp(&b.created).then_with(|| a.id.cmp(&b.id)))
    }
}

/// The project's containers (not one-off) grouped by service; see
/// [`Observed::containers_by_service`].
#[derive(Debug, Clone)]
pub struct ServiceContainers<'a> {
    by_service: HashMap<&'a str, Vec<&'a ObservedContainer>, foldhash::fast::FixedState>,
}

impl<'a> ServiceContainers<'a> {
    /// The service's containers, lowest container number first.
    pub fn of(&self, service: &str) -> &[&'a ObservedContainer] {
        self.by_service.get(service).map_or(&[], Vec::as_slice)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedContainer {
    pub id: String,
    /// Without the leading `/`.
    pub name: String,
    /// The `com.docker.compose.service` label.
    pub service: String,
    /// The `com.docker.compose.container-number` label, when it parses.
    pub number: Option<u32>,
    pub oneoff: bool,
    /// The `com.docker.compose.config-hash` label.
    pub config_hash: Option<String>,
    /// envctl's `io.envctl.config-digest` label (absent on docker-compose's containers).
    pub config_digest: Option<String>,
    pub state: ContainerState,
    /// Creation time, seconds since the epoch: the oldest of two duplicates is kept.
    pub created: i64,
    /// The container was created with `HostConfig.Links`.
    pub has_links: bool,
    pub mounts: Vec<ObservedMount>,
}

impl ObservedContainer {
    /// Named `<first 12 of its id>_<name>`: a recreate renamed it out of the way and
    /// was interrupted before it removed it (`Op::Recreate`).
    pub fn is_renamed_leftover(&self) -> bool {
        let short_id: String = self.id.chars().take(12).collect();
        !short_id.is_empty()
            && self
                .name
                .strip_prefix(short_id.as_str())
                .is_some_and(|rest| rest.starts_with('_'))
    }
}

/// One mount of a container, as the engine reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedMount {
    /// `volume`, `bind`, `tmpfs`, …
    pub kind: String,
    /// The volume's name, for `volume` mounts.
    pub name: Option<String>,
    pub destination: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerState {
    Created,
    Running,
    Paused,
    Restarting,
    Removing,
    Exited,
    Dead,
}

impl ContainerState {
    pub fn is_running(self) -> bool {
        matches!(self, Self::Running | Self::Paused | Self::Restarting)
    }
}
