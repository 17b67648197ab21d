//! `Service` → `ContainerSpec`: what to ask the engine for, engine-neutral.
//!
//! This is 1.29.2's `_get_container_create_options` and `_get_container_host_config`
//! (`compose/service.py` L863-1074, `compose/project.py` L247-262 for links,
//! `compose/config/types.py` L30-44 for `volumes_from`): names, labels,
//! environment, ports, volumes and every option of the model. References to other
//! services' containers (links, `volumes_from`, `service:` namespaces) are resolved
//! through a [`ContainerLookup`] when the step runs, not when the plan is made,
//! because the containers they name may be created by earlier steps of the same run.
//!
//! `docker.rs` turns a `ContainerSpec` into the engine's request body; another
//! target (Swarm, later) can turn the same value into its own.

use envctl_parser::{
    Command, HostSettings, ModeRef, Project, SecretSource, Service, VolumesFromSource,
};
use envctl_planner::{image_reference, service_attachments, uses_networking, volume_name};
use indexmap::{IndexMap, IndexSet};

use crate::error::ExecutorError;
use crate::labels;
use crate::shlex;

/// A container of the project as a reference target: what links, `volumes_from` and
/// `service:` modes need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedContainer {
    pub id: String,
    pub name: String,
    pub number: Option<u32>,
    pub running: bool,
}

/// The containers a service has at this point of the run, lowest number first.
pub trait ContainerLookup {
    fn containers_of(&self, service: &str) -> Vec<ResolvedContainer>;

    /// The id of a container outside the project named in `volumes_from`,
    /// `net: container:…`, `pid` or `ipc`: 1.29.2 sends its id (`service.py`
    /// `build_volume_from`, `ContainerNetworkMode.mode`). `None` leaves the name,
    /// for the engine to resolve or reject with its own message.
    fn container_id(&self, _name: &str) -> Option<String> {
        None
    }
}

/// The container names outside the project that a service refers to.
pub fn referenced_containers(service: &Service) -> Vec<String> {
    let mut names: IndexSet<String> = service
        .volumes_from
        .iter()
        .filter_map(|volumes_from| match &volumes_from.source {
            VolumesFromSource::Container(name) => Some(name.clone()),
            VolumesFromSource::Service(_) => None,
        })
        .collect();
    for mode in [&service.network_mode, &service.pid, &service.ipc]
        .into_iter()
        .flatten()
    {
        if let ModeRef::Container(name) = mode {
            names.insert(name.clone());
        }
    }
    names.into_iter().collect()
}

/// The container to create, as the engine-neutral description.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerSpec {
    pub name: String,
    pub image: String,
    pub command: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    /// `KEY=value`, or a bare `KEY` to unset it.
    pub env: Vec<String>,
    pub labels: IndexMap<String, String>,
    /// `80/tcp`, in order, without duplicates.
    pub exposed_ports: Vec<String>,
    /// Container paths of every volume.
    pub volumes: Vec<String>,
    pub hostname: Option<String>,
    pub domainname: Option<String>,
    pub user: Option<String>,
    pub working_dir: Option<String>,
    pub tty: Option<bool>,
    pub stdin_open: Option<bool>,
    pub stop_signal: Option<String>,
    /// `Config.MacAddress` (API 1.41; later engines also read it per endpoint).
    pub mac_address: Option<String>,
    /// `Config.Healthcheck`.
    pub healthcheck: Option<HealthSpec>,
    /// The networks to join (v2/v3), the primary one first: it is named in the
    /// create request, the others are connected before the container starts.
    pub networks: Vec<NetworkEndpoint>,
    pub host: HostSpec,
}

/// One network a container joins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkEndpoint {
    /// The network's engine name.
    pub network: String,
    pub aliases: Vec<String>,
    pub ipv4_address: Option<String>,
    pub ipv6_address: Option<String>,
    /// `container name:alias`, as `HostConfig.Links` (sent on connect, as 1.29.2).
    pub links: Vec<String>,
}

/// `healthcheck:` (durations in nanoseconds).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HealthSpec {
    pub test: Option<Vec<String>>,
    pub interval: Option<i64>,
    pub timeout: Option<i64>,
    pub retries: Option<i64>,
    pub start_period: Option<i64>,
}

/// One `HostConfig.Mounts` entry (the long syntax of `volumes`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MountSpec {
    /// `volume`, `bind` or `tmpfs`.
    pub kind: String,
    pub source: Option<String>,
    pub target: String,
    pub read_only: bool,
}

/// What the engine calls `HostConfig`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostSpec {
    pub mounts: Vec<MountSpec>,
    /// `source:target:mode`.
    pub binds: Vec<String>,
    /// `container name:alias`, sorted.
    pub links: Vec<String>,
    /// `container id or name:mode`.
    pub volumes_from: Vec<String>,
    pub network_mode: Option<String>,
    /// `80/tcp` → bindings, in file order.
    pub port_bindings: IndexMap<String, Vec<PortBinding>>,
    pub restart: Option<Restart>,
    pub privileged: bool,
    pub dns: Vec<String>,
    pub dns_search: Vec<String>,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    /// `host:ip`, sorted by host (docker-py `format_extra_hosts`).
    pub extra_hosts: Vec<String>,
    pub read_only: Option<bool>,
    pub pid_mode: Option<String>,
    pub ipc_mode: Option<String>,
    pub security_opt: Vec<String>,
    pub ulimits: Vec<Ulimit>,
    pub memory: Option<i64>,
    pub memory_swap: Option<i64>,
    pub memory_swappiness: Option<i64>,
    pub shm_size: Option<i64>,
    pub cpu_shares: Option<i64>,
    pub cpu_quota: Option<i64>,
    pub cpuset_cpus: Option<String>,
    pub devices: Vec<Device>,
    pub log_config: Option<LogConfig>,
    pub cgroup_parent: Option<String>,
    pub volume_driver: Option<String>,
    pub memory_reservation: Option<i64>,
    /// The v2/v3 host settings, as the parser typed them (`Service::host`).
    pub extra: HostSettings,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortBinding {
    /// Empty for every interface.
    pub host_ip: String,
    /// Empty for an ephemeral port; may be a range.
    pub host_port: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restart {
    pub name: String,
    pub maximum_retry_count: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ulimit {
    pub name: String,
    pub soft: i64,
    pub hard: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub path_on_host: String,
    pub path_in_container: String,
    pub cgroup_permissions: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    pub driver: String,
    pub options: IndexMap<String, String>,
}

/// Which container to build, beyond the service itself.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub number: u32,
    pub name: &'a str,
    pub config_hash: &'a str,
    /// The `io.envctl.config-digest` label; empty for none.
    pub config_digest: &'a str,
    /// `(volume name, container path)` carried over from the replaced container.
    pub keep_volumes: &'a [(String, String)],
    /// The replaced container's id, when recreating.
    pub previous_id: Option<&'a str>,
}

/// The create request for one container of `service`, and any warnings.
pub fn container_spec(
    project: &Project,
    service: &Service,
    target: Target<'_>,
    lookup: &dyn ContainerLookup,
) -> Result<(ContainerSpec, Vec<String>), ExecutorError> {
    let service_name = service.name.as_str();
    let mut warnings = not_applied(service);
    let split = |command: &Option<Command>, key: &'static str| {
        command
            .as_ref()
            .map(|command| match command {
                Command::Exec(words) => Ok(words.clone()),
                Command::Shell(text) => {
                    shlex::split(text).map_err(|error| ExecutorError::InvalidCommand {
                        service: service_name.to_owned(),
                        key,
                        message: error.to_string(),
                    })
                }
            })
            .transpose()
    };

    let mut env: Vec<String> = service
        .environment
        .iter()
        .map(|(key, value)| match value {
            Some(value) => format!("{key}={value}"),
            None => key.clone(),
        })
        .collect();

    // Volumes: every container path; binds keyed by container path so that carried
    // volumes replace configured ones (1.29.2 `merge_volume_bindings`).
    let mut volumes = IndexSet::new();
    let mut binds: IndexMap<String, String> = IndexMap::new();
    for volume in &service.volumes {
        volumes.insert(volume.target.clone());
        if let Some(source) = &volume.source {
            let mode = volume.mode.as_deref().unwrap_or("rw");
            // A top-level volume is mounted by its engine name (1.29.2
            // `ProjectVolumes.namespace_spec`).
            let source = if volume.is_bind() {
                source.clone()
            } else {
                volume_name(project, source).unwrap_or_else(|| source.clone())
            };
            binds.insert(
                volume.target.clone(),
                format!("{source}:{}:{mode}", volume.target),
            );
        }
    }
    for (volume_name, path) in target.keep_volumes {
        binds.insert(path.clone(), format!("{volume_name}:{path}:rw"));
    }
    if let (false, Some(previous_id)) = (target.keep_volumes.is_empty(), target.previous_id) {
        env.push(format!("affinity:container=={previous_id}"));
    }

    let mut exposed_ports = IndexSet::new();
    let mut port_bindings: IndexMap<String, Vec<PortBinding>> = IndexMap::new();
    for port in &service.ports {
        let key = format!("{}/{}", port.target, port.protocol);
        exposed_ports.insert(key.clone());
        port_bindings.entry(key).or_default().push(PortBinding {
            host_ip: port.host_ip.clone().unwrap_or_default(),
            host_port: port.published.clone().unwrap_or_default(),
        });
    }
    for expose in &service.expose {
        exposed_ports.extend(expand_expose(expose));
    }

    let links = links(project, service, lookup);
    let networks: Vec<NetworkEndpoint> = service_attachments(project, service)
        .into_iter()
        .map(|attachment| NetworkEndpoint {
            network: attachment.network,
            aliases: attachment.aliases,
            ipv4_address: attachment.ipv4_address,
            ipv6_address: attachment.ipv6_address,
            links: links.clone(),
        })
        .collect();
    let default_mode = match networks.first() {
        Some(primary) => primary.network.clone(),
        None if uses_networking(project) => "none".to_owned(),
        None => "default".to_owned(),
    };
    let mut mounts: Vec<MountSpec> = service
        .mounts
        .iter()
        .map(|mount| MountSpec {
            kind: mount.kind.clone(),
            source: mount
                .source
                .as_ref()
                .map(|source| match mount.kind.as_str() {
                    "volume" => volume_name(project, source).unwrap_or_else(|| source.clone()),
                    _ => source.clone(),
                }),
            target: mount.target.clone(),
            read_only: mount.read_only,
        })
        .collect();
    mounts.extend(secret_mounts(service));
    let host = HostSpec {
        mounts,
        binds: binds.into_values().collect(),
        links,
        volumes_from: volumes_from(service, lookup)?,
        network_mode: Some(match &service.network_mode {
            None => default_mode,
            Some(mode) => match mode_ref(mode, "net", service, lookup, &mut warnings) {
                Some(mode) => mode,
                None => default_mode,
            },
        }),
        port_bindings,
        restart: service.restart.as_ref().map(|restart| Restart {
            name: restart.name.clone(),
            maximum_retry_count: restart.maximum_retry_count,
        }),
        privileged: service.privileged.unwrap_or(false),
        dns: service.dns.clone(),
        dns_search: service.dns_search.clone(),
        cap_add: service.cap_add.clone(),
        cap_drop: service.cap_drop.clone(),
        extra_hosts: extra_hosts(service),
        read_only: service.read_only,
        pid_mode: service
            .pid
            .as_ref()
            .and_then(|mode| mode_ref(mode, "pid", service, lookup, &mut warnings)),
        ipc_mode: service
            .ipc
            .as_ref()
            .and_then(|mode| mode_ref(mode, "ipc", service, lookup, &mut warnings)),
        security_opt: service.security_opt.clone(),
        ulimits: service
            .ulimits
            .iter()
            .map(|(name, limit)| Ulimit {
                name: name.clone(),
                soft: limit.soft,
                hard: limit.hard,
            })
            .collect(),
        memory: service.mem_limit,
        memory_swap: service.memswap_limit,
        memory_swappiness: service.mem_swappiness,
        shm_size: service.shm_size,
        cpu_shares: service.cpu_shares,
        cpu_quota: service.cpu_quota,
        cpuset_cpus: service.cpuset.clone(),
        devices: service
            .devices
            .iter()
            .map(|device| parse_device(device))
            .collect(),
        log_config: service.logging.as_ref().map(|logging| LogConfig {
            driver: logging.driver.clone().unwrap_or_default(),
            options: logging.options.clone(),
        }),
        cgroup_parent: service.cgroup_parent.clone(),
        volume_driver: service.volume_driver.clone(),
        memory_reservation: service.mem_reservation,
        extra: service.host.clone(),
    };

    let spec = ContainerSpec {
        name: target.name.to_owned(),
        image: image_reference(project, service),
        command: split(&service.command, "command")?,
        entrypoint: split(&service.entrypoint, "entrypoint")?,
        env,
        labels: labels::container_labels(
            project,
            service_name,
            target.number,
            target.config_hash,
            target.config_digest,
            &service.labels,
        ),
        exposed_ports: exposed_ports.into_iter().collect(),
        volumes: volumes.into_iter().collect(),
        hostname: service.hostname.clone(),
        domainname: service.domainname.clone(),
        user: service.user.clone(),
        working_dir: service.working_dir.clone(),
        tty: service.tty,
        stdin_open: service.stdin_open,
        stop_signal: service.stop_signal.clone(),
        mac_address: service.mac_address.clone(),
        healthcheck: service.healthcheck.as_ref().map(|check| HealthSpec {
            test: check.test.clone(),
            interval: check.interval,
            timeout: check.timeout,
            retries: check.retries,
            start_period: check.start_period,
        }),
        networks,
        host,
    };
    Ok((spec, warnings))
}

/// The secrets, after the long-syntax volumes (1.29.2 `get_secret_volumes`): each
/// one read from a file bind-mounted read-only at its path under `/run/secrets`.
/// External ones are not mounted (the parser warned); one with no file is sent
/// without a source, for the engine to refuse, as 1.29.2 does (the planner refuses
/// such a plan before it gets here).
fn secret_mounts(service: &Service) -> impl Iterator<Item = MountSpec> + '_ {
    service.secrets.iter().filter_map(|secret| {
        let source = match &secret.definition {
            SecretSource::File { path, .. } => Some(path.display().to_string()),
            SecretSource::NoFile => None,
            SecretSource::External | SecretSource::Undefined => return None,
        };
        Some(MountSpec {
            kind: "bind".to_owned(),
            source,
            target: secret.container_path(),
            read_only: true,
        })
    })
}

/// `HostConfig.Links` (1.29.2 `_get_links`, docker-py `normalize_links`): for every
/// running container of every linked service, the alias (or service name), the full
/// container name and `<service>_<N>`; then `external_links`. One entry per alias,
/// the last container wins; sorted.
fn links(project: &Project, service: &Service, lookup: &dyn ContainerLookup) -> Vec<String> {
    let mut by_alias: IndexMap<String, String> = IndexMap::new();
    for link in &service.links {
        let target = link.target.as_str();
        for container in lookup
            .containers_of(target)
            .into_iter()
            .filter(|container| container.running)
        {
            let alias = link.alias.clone().unwrap_or_else(|| target.to_owned());
            by_alias.insert(alias, container.name.clone());
            by_alias.insert(container.name.clone(), container.name.clone());
            by_alias.insert(
                name_without_project(&project.name, target, &container),
                container.name.clone(),
            );
        }
    }
    for external in &service.external_links {
        let (container, alias) = external.split_once(':').unwrap_or((external, external));
        by_alias.insert(alias.to_owned(), container.to_owned());
    }
    let mut pairs: Vec<(String, String)> = by_alias
        .into_iter()
        .map(|(alias, container)| (container, alias))
        .collect();
    pairs.sort();
    pairs
        .into_iter()
        .map(|(container, alias)| format!("{container}:{alias}"))
        .collect()
}

/// `HostConfig.ExtraHosts`: a list is sent as written, in file order; a mapping
/// as `host:ip` sorted by host (docker-py `create_host_config` formats only dicts).
/// A merge (`extends`, several files) makes a mapping of either form (1.29.2
/// `merge_mapping('extra_hosts', parse_extra_hosts)`).
fn extra_hosts(service: &Service) -> Vec<String> {
    if let Some(listed) = &service.host.extra_hosts_listed {
        return listed.clone();
    }
    let mut hosts: Vec<String> = service
        .extra_hosts
        .iter()
        .map(|(host, ip)| format!("{host}:{ip}"))
        .collect();
    hosts.sort();
    hosts
}

/// 1.29.2 `Container.name_without_project`: `<service>_<N>` for containers named
/// after the project, else the full name.
fn name_without_project(project: &str, service: &str, container: &ResolvedContainer) -> String {
    match container.number {
        Some(number) if container.name.starts_with(&format!("{project}_{service}")) => {
            format!("{service}_{number}")
        }
        _ => container.name.clone(),
    }
}

/// `HostConfig.VolumesFrom`: the first container (in any state) of a source service,
/// or the named container.
fn volumes_from(
    service: &Service,
    lookup: &dyn ContainerLookup,
) -> Result<Vec<String>, ExecutorError> {
    service
        .volumes_from
        .iter()
        .map(|volumes_from| match &volumes_from.source {
            VolumesFromSource::Service(source) => lookup
                .containers_of(source.as_str())
                .first()
                .map(|container| format!("{}:{}", container.id, volumes_from.mode))
                .ok_or_else(|| ExecutorError::Unresolved {
                    service: service.name.to_string(),
                    reference: "volumes_from",
                    target: source.to_string(),
                }),
            VolumesFromSource::Container(name) => Ok(format!(
                "{}:{}",
                lookup.container_id(name).unwrap_or_else(|| name.clone()),
                volumes_from.mode
            )),
        })
        .collect()
}

/// `net`/`pid`/`ipc`: `service:x` becomes `container:<id>` of x's first running
/// container; with none, 1.29.2 warns and leaves the mode unset.
fn mode_ref(
    mode: &ModeRef,
    key: &str,
    service: &Service,
    lookup: &dyn ContainerLookup,
    warnings: &mut Vec<String>,
) -> Option<String> {
    match mode {
        ModeRef::Mode(mode) => Some(mode.clone()),
        ModeRef::Container(name) => Some(format!(
            "container:{}",
            lookup.container_id(name).unwrap_or_else(|| name.clone())
        )),
        ModeRef::Service(source) => {
            let running = lookup
                .containers_of(source.as_str())
                .into_iter()
                .find(|container| container.running);
            if running.is_none() {
                warnings.push(format!(
                    "service `{}`: `{key}` reuses the namespace of service `{source}`, which is not running",
                    service.name
                ));
            }
            running.map(|container| format!("container:{}", container.id))
        }
    }
}

/// One warning per key the service sets that envctl does not apply yet
/// (`HostSettings::not_applied`), and one for the `deploy` keys that 1.29.2
/// ignores too (it warns the same way).
fn not_applied(service: &Service) -> Vec<String> {
    let mut warnings: Vec<String> = service
        .host
        .not_applied
        .iter()
        .map(|key| {
            format!(
                "service `{}`: `{key}` is not applied by envctl yet; the container is created without it",
                service.name
            )
        })
        .collect();
    if !service.ignored_deploy_keys.is_empty() {
        warnings.push(format!(
            "service `{}`: these `deploy` keys apply to a swarm only and are ignored: {}",
            service.name,
            service
                .ignored_deploy_keys
                .iter()
                .map(|key| format!("`{key}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    warnings
}

/// `80`, `80/udp`, `8000-8002/tcp` → one `port/proto` per port (docker-py
/// `split_port`).
fn expand_expose(expose: &str) -> Vec<String> {
    let (ports, protocol) = expose.split_once('/').unwrap_or((expose, "tcp"));
    if let Some((start, end)) = ports.split_once('-')
        && let (Ok(start), Ok(end)) = (start.parse::<u32>(), end.parse::<u32>())
    {
        return (start..=end)
            .map(|port| format!("{port}/{protocol}"))
            .collect();
    }
    vec![format!("{ports}/{protocol}")]
}

/// `host[:container[:permissions]]` (docker-py `parse_devices`).
fn parse_device(device: &str) -> Device {
    let mut parts = device.splitn(3, ':');
    let path_on_host = parts.next().unwrap_or_default().to_owned();
    let path_in_container = parts
        .next()
        .map_or_else(|| path_on_host.clone(), ToOwned::to_owned);
    let cgroup_permissions = parts.next().unwrap_or("rwm").to_owned();
    Device {
        path_on_host,
        path_in_container,
        cgroup_permissions,
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use envctl_parser::{
        FileId, Format, Link, Port, ServiceName, ServiceSecret, SourceMap, Span, Volume,
        VolumesFrom,
    };

    use super::*;

    struct Fixed(IndexMap<&'static str, Vec<ResolvedContainer>>);

    impl ContainerLookup for Fixed {
        fn containers_of(&self, service: &str) -> Vec<ResolvedContainer> {
            self.0.get(service).cloned().unwrap_or_default()
        }
    }

    fn service(name: &str) -> Service {
        let mut service = Service::new(ServiceName::new(name), Span::new(FileId(0), 0, 0));
        service.image = Some("envctl-test/busybox:latest".to_owned());
        service
    }

    fn project(services: Vec<Service>) -> Project {
        Project {
            name: "demo".to_owned(),
            working_dir: PathBuf::from("/srv/demo"),
            config_files: vec![PathBuf::from("/srv/demo/docker-compose.yml")],
            env_file: None,
            format: Format::V1,
            services: services
                .into_iter()
                .map(|service| (service.name.clone(), service))
                .collect(),
            networks: IndexMap::new(),
            volumes: IndexMap::new(),
            secrets: IndexMap::new(),
            configs: IndexMap::new(),
            sources: SourceMap::default(),
            warnings: Vec::new(),
        }
    }

    fn db_container() -> ResolvedContainer {
        ResolvedContainer {
            id: "dbid".to_owned(),
            name: "demo_db_1".to_owned(),
            number: Some(1),
            running: true,
        }
    }

    fn target(keep: &[(String, String)]) -> Target<'_> {
        Target {
            number: 1,
            name: "demo_web_1",
            config_hash: "hash",
            config_digest: "",
            keep_volumes: keep,
            previous_id: Some("oldid"),
        }
    }

    #[test]
    fn links_name_alias_full_name_and_short_name_sorted() {
        let mut web = service("web");
        web.links.push(Link {
            target: ServiceName::new("db"),
            alias: Some("database".to_owned()),
        });
        web.external_links.push("other_thing:thing".to_owned());
        let project = project(vec![service("db"), web]);
        let lookup = Fixed(IndexMap::from([("db", vec![db_container()])]));
        let (spec, _) = container_spec(&project, &project.services[1], target(&[]), &lookup)
            .expect("should succeed");
        assert_eq!(
            spec.host.links,
            [
                "demo_db_1:database",
                "demo_db_1:db_1",
                "demo_db_1:demo_db_1",
                "other_thing:thing"
            ]
        );
        assert_eq!(spec.host.network_mode.as_deref(), Some("default"));
    }

    #[test]
    fn volumes_binds_and_carried_volumes() {
        let mut web = service("web");
        web.volumes = vec![
            Volume {
                source: None,
                target: "/data".to_owned(),
                mode: None,
            },
            Volume {
                source: Some("/host".to_owned()),
                target: "/etc/conf".to_owned(),
                mode: Some("ro".to_owned()),
            },
        ];
        web.volumes_from.push(VolumesFrom {
            source: VolumesFromSource::Service(ServiceName::new("db")),
            mode: "rw".to_owned(),
        });
        let project = project(vec![service("db"), web]);
        let lookup = Fixed(IndexMap::from([("db", vec![db_container()])]));
        let keep = [("abc123".to_owned(), "/data".to_owned())];
        let (spec, _) = container_spec(&project, &project.services[1], target(&keep), &lookup)
            .expect("should succeed");
        assert_eq!(spec.volumes, ["/data", "/etc/conf"]);
        assert_eq!(spec.host.binds, ["/host:/etc/conf:ro", "abc123:/data:rw"]);
        assert_eq!(spec.host.volumes_from, ["dbid:rw"]);
        assert_eq!(spec.env, ["affinity:container==oldid"]);
    }

    /// As 1.29.2's `get_secret_volumes` with API >= 1.30: read-only bind `Mounts`
    /// after the long-syntax volumes, not `Binds` nor `Config.Volumes`.
    #[test]
    fn secrets_are_read_only_bind_mounts_after_the_long_syntax_volumes() {
        let mut web = service("web");
        web.mounts.push(envctl_parser::Mount {
            kind: "tmpfs".to_owned(),
            source: None,
            target: "/cache".to_owned(),
            read_only: false,
        });
        let secret = |source: &str, target: Option<&str>, definition| ServiceSecret {
            source: source.to_owned(),
            target: target.map(str::to_owned),
            uid: None,
            gid: None,
            mode: None,
            definition,
            span: Span::new(FileId(0), 0, 0),
        };
        let file = |path: &str| SecretSource::File {
            path: PathBuf::from(path),
            present: true,
        };
        web.secrets = vec![
            secret("token", None, file("/srv/demo/token.txt")),
            secret("conf", Some("app.conf"), file("/srv/demo/app.conf")),
            secret("outside", None, SecretSource::External),
            secret("key", Some("/etc/key"), file("/srv/demo/key")),
        ];
        let project = project(vec![web]);
        let lookup = Fixed(IndexMap::new());
        let (spec, _) = container_spec(&project, &project.services[0], target(&[]), &lookup)
            .expect("should succeed");
        let mount = |source: &str, target: &str| MountSpec {
            kind: "bind".to_owned(),
            source: Some(source.to_owned()),
            target: target.to_owned(),
            read_only: true,
        };
        assert_eq!(
            spec.host.mounts[1..],
            [
                mount("/srv/demo/token.txt", "/run/secrets/token"),
                mount("/srv/demo/app.conf", "/run/secrets/app.conf"),
                mount("/srv/demo/key", "/etc/key"),
            ]
        );
        assert_eq!(spec.host.mounts[0].target, "/cache");
        assert!(spec.host.binds.is_empty() && spec.volumes.is_empty());
    }

    #[test]
    fn keys_not_applied_yet_are_named_in_a_warning_not_dropped_silently() {
        let mut web = service("web");
        web.host.not_applied = vec!["blkio_config".to_owned(), "stop_grace_period".to_owned()];
        web.ignored_deploy_keys = vec!["labels".to_owned(), "restart_policy.delay".to_owned()];
        let project = project(vec![web]);
        let (_, warnings) = container_spec(
            &project,
            &project.services[0],
            target(&[]),
            &Fixed(IndexMap::new()),
        )
        .expect("should succeed");
        assert_eq!(
            warnings,
            [
                "service `web`: `blkio_config` is not applied by envctl yet; the container is created without it",
                "service `web`: `stop_grace_period` is not applied by envctl yet; the container is created without it",
                "service `web`: these `deploy` keys apply to a swarm only and are ignored: `labels`, `restart_policy.delay`",
            ]
        );
    }

    #[test]
    fn volumes_from_a_service_without_containers_is_an_error() {
        let mut web = service("web");
        web.volumes_from.push(VolumesFrom {
            source: VolumesFromSource::Service(ServiceName::new("db")),
            mode: "ro".to_owned(),
        });
        let project = project(vec![service("db"), web]);
        let error = container_spec(
            &project,
            &project.services[1],
            target(&[]),
            &Fixed(IndexMap::new()),
        )
        .expect_err("should fail");
        assert_eq!(
            error.to_string(),
            "service `web`: volumes_from `db` has no container"
        );
    }

    #[test]
    fn ports_expose_command_env_and_labels() {
        let mut web = service("web");
        web.ports = vec![
            Port {
                target: 80,
                published: Some("8080".to_owned()),
                host_ip: Some("127.0.0.1".to_owned()),
                protocol: "tcp".to_owned(),
            },
            Port {
                target: 53,
                published: None,
                host_ip: None,
                protocol: "udp".to_owned(),
            },
        ];
        web.expose = vec!["80".to_owned(), "9000-9001/udp".to_owned()];
        web.command = Some(Command::Shell("sh -c 'sleep 1'".to_owned()));
        web.environment.insert("A".to_owned(), Some("1".to_owned()));
        web.environment.insert("B".to_owned(), None);
        web.extra_hosts.insert("z".to_owned(), "1.1.1.1".to_owned());
        web.extra_hosts.insert("a".to_owned(), "2.2.2.2".to_owned());
        web.devices.push("/dev/fuse".to_owned());
        let project = project(vec![web]);
        let (spec, _) = container_spec(
            &project,
            &project.services[0],
            target(&[]),
            &Fixed(IndexMap::new()),
        )
        .expect("should succeed");
        assert_eq!(
            spec.exposed_ports,
            ["80/tcp", "53/udp", "9000/udp", "9001/udp"]
        );
        assert_eq!(
            spec.host.port_bindings["80/tcp"],
            [PortBinding {
                host_ip: "127.0.0.1".to_owned(),
                host_port: "8080".to_owned()
            }]
        );
        assert_eq!(spec.host.port_bindings["53/udp"][0].host_port, "");
        assert_eq!(
            spec.command.as_deref(),
            Some(&["sh".to_owned(), "-c".to_owned(), "sleep 1".to_owned()][..])
        );
        assert_eq!(spec.env, ["A=1", "B"]);
        assert_eq!(spec.host.extra_hosts, ["a:2.2.2.2", "z:1.1.1.1"]);
        assert_eq!(spec.host.devices[0].path_in_container, "/dev/fuse");
        assert_eq!(spec.host.devices[0].cgroup_permissions, "rwm");
        assert_eq!(spec.labels["com.docker.compose.container-number"], "1");
        assert_eq!(spec.image, "envctl-test/busybox:latest");
    }

    #[test]
    fn service_network_mode_uses_the_running_container_id() {
        let mut web = service("web");
        web.network_mode = Some(ModeRef::Service(ServiceName::new("db")));
        let project = project(vec![service("db"), web]);
        let lookup = Fixed(IndexMap::from([("db", vec![db_container()])]));
        let (spec, warnings) = container_spec(&project, &project.services[1], target(&[]), &lookup)
            .expect("should succeed");
        assert_eq!(spec.host.network_mode.as_deref(), Some("container:dbid"));
        assert!(warnings.is_empty());
    }

    #[test]
    fn extra_hosts_as_a_list_keep_file_order_and_mac_address_is_passed() {
        let mut web = service("web");
        web.extra_hosts.insert("z".to_owned(), "1.1.1.1".to_owned());
        web.extra_hosts.insert("a".to_owned(), "2.2.2.2".to_owned());
        web.host.extra_hosts_listed = Some(vec!["z:1.1.1.1".to_owned(), "a:2.2.2.2".to_owned()]);
        web.mac_address = Some("02:42:ac:11:65:43".to_owned());
        let project = project(vec![web]);
        let (spec, _) = container_spec(
            &project,
            &project.services[0],
            target(&[]),
            &Fixed(IndexMap::new()),
        )
        .expect("should succeed");
        assert_eq!(spec.host.extra_hosts, ["z:1.1.1.1", "a:2.2.2.2"]);
        assert_eq!(spec.mac_address.as_deref(), Some("02:42:ac:11:65:43"));
    }

    #[test]
    fn external_containers_are_sent_by_id() {
        struct WithExternal;
        impl ContainerLookup for WithExternal {
            fn containers_of(&self, _service: &str) -> Vec<ResolvedContainer> {
                Vec::new()
            }
            fn container_id(&self, name: &str) -> Option<String> {
                (name == "ext").then(|| "extid".to_owned())
            }
        }
        let mut web = service("web");
        web.volumes_from.push(VolumesFrom {
            source: VolumesFromSource::Container("ext".to_owned()),
            mode: "ro".to_owned(),
        });
        web.network_mode = Some(ModeRef::Container("ext".to_owned()));
        web.pid = Some(ModeRef::Container("gone".to_owned()));
        let project = project(vec![web]);
        assert_eq!(referenced_containers(&project.services[0]), ["ext", "gone"]);
        let (spec, _) = container_spec(&project, &project.services[0], target(&[]), &WithExternal)
            .expect("should succeed");
        assert_eq!(spec.host.volumes_from, ["extid:ro"]);
        assert_eq!(spec.host.network_mode.as_deref(), Some("container:extid"));
        // Unknown to the lookup: the name, for the engine to resolve or reject.
        assert_eq!(spec.host.pid_mode.as_deref(), Some("container:gone"));
    }
}
