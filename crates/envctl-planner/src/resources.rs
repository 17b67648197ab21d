//! The project's networks and named volumes (v2/v3 files), and how each service
//! attaches to them: the pre-step of `up` and the post-step of `down`.
//!
//! 1.29.2 (`network.py`, `volume.py`, `project.py`): a v2/v3 project uses
//! networking. Every network some service names (a service without `networks` and
//! without `network_mode` names `default`) is made before any container, as
//! `<project>_<key>` unless it has a `name`; `external` ones must exist and are never
//! made or removed. Every top-level volume is made as `<project>_<key>` (the project
//! without leading `-`/`_`) unless it has a `name`. `down` removes the networks,
//! and the volumes only with `-v`; external ones never. v1 projects have none of this.

use std::fmt;

use envctl_parser::{Format, Project, Service};
use indexmap::IndexMap;

/// A network of the project, as the engine is to have it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkResource {
    /// The key in the file (`com.docker.compose.network` is the name 1.29.2 gave
    /// it: `name:` when set, else this key).
    pub key: String,
    /// The engine's name: `<project>_<key>`, or `name:` as written.
    pub name: String,
    /// The `com.docker.compose.network` label.
    pub label: String,
    pub external: bool,
    pub driver: Option<String>,
    pub driver_opts: IndexMap<String, String>,
    /// The user's labels (the compose labels are the executor's to add).
    pub labels: IndexMap<String, String>,
    pub internal: Option<bool>,
    pub enable_ipv6: Option<bool>,
    pub ipam: Option<envctl_parser::Ipam>,
}

/// A named volume of the project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeResource {
    pub key: String,
    /// The engine's name: `<project>_<key>`, or `name:` as written.
    pub name: String,
    /// The `com.docker.compose.volume` label.
    pub label: String,
    pub external: bool,
    pub driver: Option<String>,
    pub driver_opts: IndexMap<String, String>,
    pub labels: IndexMap<String, String>,
}

/// What `up` makes before any container and `down` removes after the last one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources {
    /// The project's name: a volume is the project's only when it carries it as
    /// its `com.docker.compose.project` label.
    pub project: String,
    /// In the order services first name them.
    pub networks: Vec<NetworkResource>,
    /// In file order.
    pub volumes: Vec<VolumeResource>,
    /// `down`: remove the (non-external) volumes too (`-v`).
    pub remove_volumes: bool,
}

impl Resources {
    pub fn is_empty(&self) -> bool {
        self.networks.is_empty() && self.volumes.is_empty()
    }
}

/// One network a container joins (1.29.2 `_get_aliases`, `connect_container_to_networks`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The network's engine name.
    pub network: String,
    /// The service name, then the `aliases` as written (the executor adds the
    /// container's short id once it exists, as 1.29.2 does when it starts it).
    pub aliases: Vec<String>,
    pub ipv4_address: Option<String>,
    pub ipv6_address: Option<String>,
}

/// True for the formats that have project networks (v2, v3, the Compose Spec).
pub fn uses_networking(project: &Project) -> bool {
    !matches!(project.format, Format::V1)
}

/// The networks and volumes of `project` (empty for v1).
pub fn project_resources(project: &Project) -> Resources {
    if !uses_networking(project) {
        return Resources::default();
    }
    let mut networks: IndexMap<String, NetworkResource> = IndexMap::new();
    for service in project.services.values() {
        for key in network_keys(service) {
            if networks.contains_key(&key) {
                continue;
            }
            let definition = project.networks.get(&key).cloned().unwrap_or_default();
            let label = definition.name.clone().unwrap_or_else(|| key.clone());
            let resource = NetworkResource {
                name: network_name(project, &key),
                key: key.clone(),
                label,
                external: definition.external,
                driver: definition.driver,
                driver_opts: definition.driver_opts,
                labels: definition.labels,
                internal: definition.internal,
                enable_ipv6: definition.enable_ipv6,
                ipam: definition.ipam,
            };
            networks.insert(key, resource);
        }
    }
    let volumes = project
        .volumes
        .iter()
        .map(|(key, definition)| VolumeResource {
            key: key.clone(),
            name: volume_name(project, key).unwrap_or_else(|| key.clone()),
            label: definition.name.clone().unwrap_or_else(|| key.clone()),
            external: definition.external,
            driver: definition.driver.clone(),
            driver_opts: definition.driver_opts.clone(),
            labels: definition.labels.clone(),
        })
        .collect();
    Resources {
        project: project.name.clone(),
        networks: networks.into_values().collect(),
        volumes,
        remove_volumes: false,
    }
}

/// The network keys a service joins: its `networks`, `default` without them, none
/// with a `network_mode` (1.29.2 `get_network_defs_for_service`).
fn network_keys(service: &Service) -> Vec<String> {
    if service.network_mode.is_some() {
        return Vec::new();
    }
    if service.networks.is_empty() {
        return vec!["default".to_owned()];
    }
    service.networks.keys().cloned().collect()
}

/// The engine name of network `key`.
pub fn network_name(project: &Project, key: &str) -> String {
    match project
        .networks
        .get(key)
        .and_then(|network| network.name.clone())
    {
        Some(name) => name,
        None => format!("{}_{key}", project.name),
    }
}

/// The engine name of the top-level volume `key`, `None` when the project does not
/// declare it (a v1 named volume is used as written).
pub fn volume_name(project: &Project, key: &str) -> Option<String> {
    let definition = project.volumes.get(key)?;
    Some(match &definition.name {
        Some(name) => name.clone(),
        None => format!("{}_{key}", project.container_prefix()),
    })
}

/// The networks a container of `service` joins, the primary one first: sorted by
/// engine name, then by `priority`, highest first (1.29.2 `get_networks`,
/// `prioritized_networks`). Empty for v1 and with a `network_mode`.
pub fn service_attachments(project: &Project, service: &Service) -> Vec<Attachment> {
    if !uses_networking(project) {
        return Vec::new();
    }
    let mut attachments: Vec<(i64, Attachment)> = network_keys(service)
        .into_iter()
        .map(|key| {
            let config = service.networks.get(&key).cloned().unwrap_or_default();
            let mut aliases = vec![service.name.to_string()];
            for alias in &config.aliases {
                if !aliases.contains(alias) {
                    aliases.push(alias.clone());
                }
            }
            let attachment = Attachment {
                network: network_name(project, &key),
                aliases,
                ipv4_address: config.ipv4_address,
                ipv6_address: config.ipv6_address,
            };
            (config.priority.unwrap_or(0), attachment)
        })
        .collect();
    attachments.sort_by(|(_, left), (_, right)| left.network.cmp(&right.network));
    attachments.sort_by(|(left, _), (right, _)| right.cmp(left));
    attachments
        .into_iter()
        .map(|(_, attachment)| attachment)
        .collect()
}

impl fmt::Display for Resources {
    /// `network <name>, ensure` / `volume <name>, ensure (external)`, one a line.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        for network in &self.networks {
            let external = if network.external { " (external)" } else { "" };
            writeln!(formatter, "network {}, ensure{external}", network.name)?;
        }
        for volume in &self.volumes {
            let external = if volume.external { " (external)" } else { "" };
            writeln!(formatter, "volume {}, ensure{external}", volume.name)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(text: &str) -> Project {
        let mut project = envctl_parser::parse_str("docker-compose.yml", text).expect("loads");
        project.name = "app".to_owned();
        project
    }

    #[test]
    fn v1_has_no_resources() {
        let project = project("web: {image: busybox}\n");
        assert!(project_resources(&project).is_empty());
        assert!(service_attachments(&project, &project.services["web"]).is_empty());
    }

    #[test]
    fn default_and_custom_networks_volumes_and_attachments() {
        let project = project(
            r#"
version: "2.4"
services:
  web:
    image: busybox
    networks:
      front: {aliases: [www], ipv4_address: 10.5.0.5}
      back: {}
  db:
    image: busybox
  solo:
    image: busybox
    network_mode: host
networks:
  front: {driver: bridge}
  back: {name: custom-back}
  unused: {}
volumes:
  data: {}
  shared: {external: true}
"#,
        );
        let resources = project_resources(&project);
        let names: Vec<&str> = resources.networks.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["custom-back", "app_front", "app_default"]);
        assert_eq!(resources.networks[0].label, "custom-back");
        let volumes: Vec<(&str, bool)> = resources
            .volumes
            .iter()
            .map(|v| (v.name.as_str(), v.external))
            .collect();
        assert_eq!(volumes, [("app_data", false), ("shared", true)]);

        let web = service_attachments(&project, &project.services["web"]);
        let order: Vec<&str> = web.iter().map(|a| a.network.as_str()).collect();
        assert_eq!(order, ["app_front", "custom-back"]);
        assert_eq!(web[0].aliases, ["web", "www"]);
        assert_eq!(web[0].ipv4_address.as_deref(), Some("10.5.0.5"));
        let db = service_attachments(&project, &project.services["db"]);
        assert_eq!(db[0].network, "app_default");
        assert!(service_attachments(&project, &project.services["solo"]).is_empty());
    }
}
