//! The resolved `Project`: what every later stage reads.
//!
//! By the time a `Project` exists, every compose-file mechanism is gone: files are
//! merged, `extends` is resolved, variables are interpolated, `env_file`s are folded
//! into `environment`, relative paths are absolute, and every reference from one
//! service to another (`links`, `volumes_from`, `net: container:<service>`, …) is a
//! [`Dependency`] that names an existing service. The planner and the executor never
//! see YAML, files or `extends`.
//!
//! Services keep file order (`IndexMap`): every tie that docker-compose 1.29.2 breaks
//! by Python's hash order, envctl breaks by this order.

use std::borrow::Borrow;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use indexmap::IndexMap;
use serde::Serialize;

use crate::error::ParseWarning;
use crate::excerpt::Excerpt;

/// The name of a service, as written in the compose file.
///
/// Shared, not copied: the graph, every plan step and every dependency hold the
/// name, so a clone is a reference count (planning 5,000 services cloned it
/// tens of thousands of times).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceName(Arc<str>);

impl Serialize for ServiceName {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl ServiceName {
    pub fn new(name: impl Into<String>) -> Self {
        Self(Arc::from(name.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ServiceName {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl Borrow<str> for ServiceName {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<&str> for ServiceName {
    fn from(name: &str) -> Self {
        Self(Arc::from(name))
    }
}

/// Index of a file in the project's [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// Where something was written: a byte range in one source file.
///
/// Spans survive every loader phase, so that an error found late (an unknown link
/// target, a dependency cycle found by the planner) can still point at the line that
/// caused it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: FileId,
    /// Byte offset into the file's text.
    pub offset: usize,
    /// Length in bytes.
    pub len: usize,
}

impl Span {
    pub fn new(file: FileId, offset: usize, len: usize) -> Self {
        Self { file, offset, len }
    }

    pub fn to_source_span(self) -> miette::SourceSpan {
        (self.offset, self.len).into()
    }
}

/// One file the project was read from, with its full text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as it is shown to users (as given, or as discovered).
    pub path: PathBuf,
    pub text: Arc<str>,
    /// Where each line starts, made on the first excerpt (so that a thousand problems
    /// in a large file do not each count its lines).
    line_starts: std::sync::OnceLock<Arc<[usize]>>,
}

impl SourceFile {
    /// The byte offset of the start of every line.
    pub fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(
                    self.text
                        .bytes()
                        .enumerate()
                        .filter(|&(_, byte)| byte == b'\n')
                        .map(|(index, _)| index + 1),
                )
                .collect()
        })
    }
}

/// Every file read while loading a project, so that any [`Span`] can be rendered.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn add(&mut self, path: PathBuf, text: Arc<str>) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).expect("fewer than 2^32 files"));
        self.files.push(SourceFile {
            path,
            text,
            line_starts: std::sync::OnceLock::new(),
        });
        id
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// `file:line:column` of `span`, for messages printed without an excerpt.
    pub fn location(&self, span: Span) -> String {
        self.get(span.file).map_or_else(String::new, |file| {
            let starts = file.line_starts();
            let line = starts.partition_point(|&start| start <= span.offset).max(1);
            let column = file
                .text
                .get(starts[line - 1]..span.offset)
                .map_or(1, |prefix| prefix.chars().count() + 1);
            format!("{}:{line}:{column}", file.path.display())
        })
    }

    /// The lines of `span`'s file around it, as a miette source named by the file's
    /// path, and the span's place in them (bounded: see [`Excerpt`]).
    pub fn excerpt(&self, span: Span) -> Option<(Excerpt, miette::SourceSpan)> {
        let file = self.get(span.file)?;
        Some(Excerpt::new(
            file.path.display().to_string(),
            &file.text,
            file.line_starts(),
            span.offset,
            span.len,
        ))
    }
}

/// Which compose format the project's files are written in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Format {
    /// No `version:` key: services at the top level.
    V1,
    /// `version: "2.x"` / `"3.x"`, or the unversioned Compose Spec; the literal string.
    Spec { version: Option<String> },
}

/// The fully resolved environment: one per `envctl` invocation.
#[derive(Debug, Clone, Serialize)]
pub struct Project {
    /// Normalised as 1.29.2 does: lower case, only `[-_a-z0-9]` kept.
    pub name: String,
    /// The project directory: relative paths were resolved against it.
    pub working_dir: PathBuf,
    /// The compose files, in merge order (normalised absolute paths; empty for stdin).
    pub config_files: Vec<PathBuf>,
    /// `--env-file`, when one was given (it becomes a container label).
    pub env_file: Option<PathBuf>,
    pub format: Format,
    /// In file order (first file first, then services added by later files).
    pub services: IndexMap<ServiceName, Service>,
    /// v2/v3 top-level `networks`, in file order (empty for v1).
    pub networks: IndexMap<String, NetworkDef>,
    /// v2/v3 top-level `volumes`, in file order (empty for v1).
    pub volumes: IndexMap<String, VolumeDef>,
    /// v2/v3 top-level `secrets` (empty for v1).
    pub secrets: IndexMap<String, SecretDef>,
    /// v3.3+ top-level `configs`, read as `secrets` are (only `stack deploy`
    /// deploys them; 1.29.2 drops them).
    #[serde(skip)]
    pub configs: IndexMap<String, SecretDef>,
    #[serde(skip)]
    pub sources: SourceMap,
    #[serde(skip)]
    pub warnings: Vec<ParseWarning>,
}

/// A setting the engine would refuse, where it was written (see [`Service::refusals`]).
/// The reason never holds the value (it may be interpolated from `.env`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `service.key`, or `service.key[index]`.
    pub path: String,
    pub reason: String,
    pub span: Span,
}

impl Project {
    /// `file:line:column` of `span`, for messages printed without an excerpt.
    pub fn location(&self, span: Span) -> String {
        self.sources
            .get(span.file)
            .map_or_else(String::new, |file| {
                let starts = file.line_starts();
                let line = starts.partition_point(|&start| start <= span.offset).max(1);
                let column = file
                    .text
                    .get(starts[line - 1]..span.offset)
                    .map_or(1, |prefix| prefix.chars().count() + 1);
                format!("{}:{line}:{column}", file.path.display())
            })
    }

    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.get(name)
    }

    /// Where the service was declared (its key in the file).
    pub fn span_of(&self, name: &str) -> Option<Span> {
        self.services.get(name).map(|service| service.span)
    }

    /// The prefix of container and built-image names: the project name without leading
    /// `-` and `_` (1.29.2 `service.py` L1493).
    pub fn container_prefix(&self) -> &str {
        self.name.trim_start_matches(['-', '_'])
    }
}

/// One service, resolved.
///
/// The typed fields are what the planner and executor read. `options` is the same
/// service as docker-compose 1.29.2's finalized service dictionary (JSON values, its
/// key names, its normal forms): `envctl config` prints it and the config hash is
/// computed from it, so that both agree with 1.29.2 byte for byte.
#[derive(Debug, Clone, Serialize)]
pub struct Service {
    pub name: ServiceName,
    /// The service's key in the file that declared it.
    #[serde(skip)]
    pub span: Span,
    pub options: serde_json::Map<String, serde_json::Value>,

    pub image: Option<String>,
    pub build: Option<Build>,
    pub container_name: Option<String>,
    pub command: Option<Command>,
    pub entrypoint: Option<Command>,
    /// `env_file`s folded in, bare keys resolved; `None` is sent as a bare `KEY` (unset).
    pub environment: IndexMap<String, Option<String>>,
    pub labels: IndexMap<String, String>,
    /// One entry per container port (ranges expanded).
    pub ports: Vec<Port>,
    /// As written, stringified: `"80"`, `"8000-8010/udp"`.
    pub expose: Vec<String>,
    pub links: Vec<Link>,
    /// `container[:alias]`, not dependencies.
    pub external_links: Vec<String>,
    pub volumes: Vec<Volume>,
    pub volumes_from: Vec<VolumesFrom>,
    /// `net` (v1) or `network_mode`.
    pub network_mode: Option<ModeRef>,
    pub pid: Option<ModeRef>,
    pub ipc: Option<ModeRef>,
    pub dns: Vec<String>,
    pub dns_search: Vec<String>,
    /// `host -> ip`, in file order.
    pub extra_hosts: IndexMap<String, String>,
    pub hostname: Option<String>,
    pub domainname: Option<String>,
    pub user: Option<String>,
    pub working_dir: Option<String>,
    pub mac_address: Option<String>,
    pub cgroup_parent: Option<String>,
    pub privileged: Option<bool>,
    pub read_only: Option<bool>,
    pub tty: Option<bool>,
    pub stdin_open: Option<bool>,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    /// `host[:container[:permissions]]`.
    pub devices: Vec<String>,
    pub security_opt: Vec<String>,
    pub ulimits: IndexMap<String, Ulimit>,
    /// Bytes.
    pub mem_limit: Option<i64>,
    /// Bytes.
    pub memswap_limit: Option<i64>,
    /// Bytes (v2+).
    pub mem_reservation: Option<i64>,
    pub mem_swappiness: Option<i64>,
    /// Bytes.
    pub shm_size: Option<i64>,
    pub cpu_shares: Option<i64>,
    /// Microseconds.
    pub cpu_quota: Option<i64>,
    pub cpuset: Option<String>,
    pub restart: Option<RestartPolicy>,
    pub stop_signal: Option<String>,
    pub logging: Option<Logging>,
    pub volume_driver: Option<String>,
    /// `networks:` as written (v2/v3), by network key; empty when not given.
    pub networks: IndexMap<String, ServiceNetwork>,
    pub healthcheck: Option<Healthcheck>,
    /// The long syntax of `volumes` (v3: `type`, `source`, `target`), sent as
    /// `HostConfig.Mounts` as 1.29.2 does.
    pub mounts: Vec<Mount>,
    /// `depends_on` with its conditions (the list form is `service_started`).
    pub depends_on: IndexMap<ServiceName, DependsOnCondition>,
    pub profiles: Vec<String>,
    /// `secrets:` in order (sorted by source after a merge, as 1.29.2), each
    /// resolved against the top-level `secrets`.
    pub secrets: Vec<ServiceSecret>,
    /// How many containers `up` makes without `--scale`: `scale`, or v3's
    /// `deploy.replicas` (1.29.2 `get_service_scale`); `None` is one.
    pub scale: Option<u32>,
    /// Settings the engine would refuse (`mem_limit: 64x`, `ports: ["99999:80"]`,
    /// `restart: sometimes`): 1.29.2's `config` passes them, so `config` warns; the
    /// planner refuses them before anything is created (`up`, `run`, `--dry-run`).
    #[serde(skip)]
    pub refusals: Vec<Refusal>,
    /// `options` as 1.29.2 hands them to the container (`Project.from_config`): v3's
    /// `deploy` turned into `restart`, `mem_limit`, `cpus` and `mem_reservation`,
    /// `credential_spec` into `security_opt`, `configs` dropped. `None` when that
    /// changes nothing (then they are `options`); see [`Service::container_options`].
    #[serde(skip)]
    pub translated_options: Option<serde_json::Map<String, serde_json::Value>>,
    /// The `deploy` keys 1.29.2 ignores (`labels`, `update_config`,
    /// `restart_policy.delay`, …), for a warning at `up`.
    #[serde(skip)]
    pub ignored_deploy_keys: Vec<String>,
    /// The v2/v3 host settings the container is made with, typed (see
    /// [`HostSettings`]): the executor reads these, never `options`.
    #[serde(skip)]
    pub host: HostSettings,

    /// Every edge to another service of the project, with the span that made it.
    #[serde(skip)]
    pub dependencies: Vec<Dependency>,
}

impl Service {
    /// A service with only a name and image, every option unset: the base that tests
    /// and the loader fill in.
    pub fn new(name: ServiceName, span: Span) -> Self {
        Self {
            name,
            span,
            options: serde_json::Map::new(),
            image: None,
            build: None,
            container_name: None,
            command: None,
            entrypoint: None,
            environment: IndexMap::new(),
            labels: IndexMap::new(),
            ports: Vec::new(),
            expose: Vec::new(),
            links: Vec::new(),
            external_links: Vec::new(),
            volumes: Vec::new(),
            volumes_from: Vec::new(),
            network_mode: None,
            pid: None,
            ipc: None,
            dns: Vec::new(),
            dns_search: Vec::new(),
            extra_hosts: IndexMap::new(),
            hostname: None,
            domainname: None,
            user: None,
            working_dir: None,
            mac_address: None,
            cgroup_parent: None,
            privileged: None,
            read_only: None,
            tty: None,
            stdin_open: None,
            cap_add: Vec::new(),
            cap_drop: Vec::new(),
            devices: Vec::new(),
            security_opt: Vec::new(),
            ulimits: IndexMap::new(),
            mem_limit: None,
            memswap_limit: None,
            mem_reservation: None,
            mem_swappiness: None,
            shm_size: None,
            cpu_shares: None,
            cpu_quota: None,
            cpuset: None,
            restart: None,
            stop_signal: None,
            logging: None,
            volume_driver: None,
            networks: IndexMap::new(),
            healthcheck: None,
            mounts: Vec::new(),
            depends_on: IndexMap::new(),
            profiles: Vec::new(),
            secrets: Vec::new(),
            scale: None,
            translated_options: None,
            refusals: Vec::new(),
            ignored_deploy_keys: Vec::new(),
            host: HostSettings::default(),
            dependencies: Vec::new(),
        }
    }

    /// The options the container is made from and the config hash covers:
    /// `options` with v3's `deploy` translated (see `translated_options`).
    pub fn container_options(&self) -> &serde_json::Map<String, serde_json::Value> {
        self.translated_options.as_ref().unwrap_or(&self.options)
    }
}

/// The v2/v3 container settings envctl hands to the engine as they are written
/// (`init`, `sysctls`, `tmpfs`, `pids_limit`, `cpus`, …), each read once by the
/// finalizer from the checked file (after v3's `deploy` is translated: its
/// `resources.limits.cpus` is `nano_cpus`). The schema checked their types and
/// shapes and `engine_values` the values the engine would refuse, each with its
/// location; nothing downstream reads these settings from `Service::options`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostSettings {
    /// `init: true/false`; any other value (an init binary's path) turns it on.
    pub init: Option<bool>,
    /// Name → value, every value as text.
    pub sysctls: IndexMap<String, String>,
    /// Path → mount options (docker-py `convert_tmpfs_mounts`).
    pub tmpfs: IndexMap<String, String>,
    pub userns_mode: Option<String>,
    pub pids_limit: Option<i64>,
    pub oom_score_adj: Option<i64>,
    pub oom_kill_disable: Option<bool>,
    pub group_add: Vec<String>,
    pub dns_opt: Vec<String>,
    /// `cpus` (or `deploy.resources.limits.cpus`) × 10⁹.
    pub nano_cpus: Option<i64>,
    /// Microseconds.
    pub cpu_period: Option<i64>,
    pub cpu_rt_period: Option<i64>,
    pub cpu_rt_runtime: Option<i64>,
    pub cpu_count: Option<i64>,
    pub cpu_percent: Option<i64>,
    pub runtime: Option<String>,
    pub device_cgroup_rules: Vec<String>,
    /// Name → value, every value as text.
    pub storage_opt: IndexMap<String, String>,
    /// `extra_hosts` written as a list in one file: its items in file order, as the
    /// engine gets them (docker-py formats only a mapping). `None` for a mapping
    /// (also after a merge): then `Service::extra_hosts`, sorted by host.
    pub extra_hosts_listed: Option<Vec<String>>,
    /// Keys of the v2/v3 formats the service sets that envctl does not apply yet
    /// (`blkio_config`, `isolation`, `stop_grace_period`): `up` warns.
    pub not_applied: Vec<String>,
}

/// `build:`; in v1 only a context path or URL (and the separate `dockerfile` key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Build {
    /// An absolute path, or a URL kept as written.
    pub context: String,
    pub dockerfile: Option<String>,
    pub args: IndexMap<String, Option<String>>,
    pub target: Option<String>,
}

/// `command` / `entrypoint`: a string is split as a shell would (docker-py
/// `split_command`); a list is passed as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Command {
    Shell(String),
    Exec(Vec<String>),
}

/// One container port of `ports`, after range expansion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Port {
    pub target: u16,
    /// A host port or host port range (`"8080"`, `"9000-9010"`); `None` for an
    /// ephemeral host port.
    pub published: Option<String>,
    pub host_ip: Option<String>,
    /// `tcp`, `udp` or `sctp`.
    pub protocol: String,
}

/// `links: [service[:alias]]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    pub target: ServiceName,
    pub alias: Option<String>,
}

/// One entry of `volumes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Volume {
    /// Absolute host path, named volume, or `None` for an anonymous volume.
    pub source: Option<String>,
    pub target: String,
    /// `rw`, `ro`, `z`, … as written; `None` when not given.
    pub mode: Option<String>,
}

impl Volume {
    /// A host path (absolute after loading) rather than a named volume.
    pub fn is_bind(&self) -> bool {
        self.source
            .as_deref()
            .is_some_and(|source| source.starts_with('/') || source.starts_with('~'))
    }
}

/// One entry of `volumes_from`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VolumesFrom {
    pub source: VolumesFromSource,
    /// `rw` (default) or `ro`.
    pub mode: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum VolumesFromSource {
    Service(ServiceName),
    Container(String),
}

/// `net`/`network_mode`, `pid`, `ipc`: either another service's namespace, a named
/// container's, or a plain mode (`host`, `bridge`, `none`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ModeRef {
    Service(ServiceName),
    Container(String),
    Mode(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Ulimit {
    pub soft: i64,
    pub hard: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestartPolicy {
    /// `no`, `always`, `on-failure`, `unless-stopped`.
    pub name: String,
    pub maximum_retry_count: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Logging {
    pub driver: Option<String>,
    pub options: IndexMap<String, String>,
}

/// An edge from one service to another, with the text that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    pub target: ServiceName,
    pub kind: DependencyKind,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DependencyKind {
    Link,
    VolumesFrom,
    NetworkMode,
    Pid,
    Ipc,
    DependsOn,
}

impl DependencyKind {
    /// The compose key that makes this kind of edge, for messages.
    pub fn key(self) -> &'static str {
        match self {
            Self::Link => "links",
            Self::VolumesFrom => "volumes_from",
            Self::NetworkMode => "net",
            Self::Pid => "pid",
            Self::Ipc => "ipc",
            Self::DependsOn => "depends_on",
        }
    }
}

/// One entry of the top-level `networks` (v2/v3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NetworkDef {
    /// `name:` (or `external: {name}`): used as it is; `None` means
    /// `<project>_<key>`.
    pub name: Option<String>,
    pub driver: Option<String>,
    pub driver_opts: IndexMap<String, String>,
    pub labels: IndexMap<String, String>,
    pub external: bool,
    pub internal: Option<bool>,
    /// `attachable:` (v3.2+): standalone containers may join a swarm network.
    pub attachable: Option<bool>,
    pub enable_ipv6: Option<bool>,
    pub ipam: Option<Ipam>,
    /// Its key in the file that defined it last, for messages about it.
    #[serde(skip)]
    pub span: Option<Span>,
}

/// `ipam:` of a network.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Ipam {
    pub driver: Option<String>,
    pub config: Vec<IpamPool>,
    pub options: IndexMap<String, String>,
}

/// One entry of `ipam.config`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IpamPool {
    pub subnet: Option<String>,
    pub ip_range: Option<String>,
    pub gateway: Option<String>,
    pub aux_addresses: IndexMap<String, String>,
}

/// One entry of the top-level `volumes` (v2/v3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VolumeDef {
    /// `name:` (or `external: {name}`): used as it is; `None` means
    /// `<project>_<key>`.
    pub name: Option<String>,
    pub driver: Option<String>,
    pub driver_opts: IndexMap<String, String>,
    pub labels: IndexMap<String, String>,
    pub external: bool,
    /// Its key in the file that defined it last, for messages about it.
    #[serde(skip)]
    pub span: Option<Span>,
}

/// One long-syntax entry of a service's `volumes`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Mount {
    /// `volume`, `bind` or `tmpfs`.
    pub kind: String,
    /// A volume key (as written) or an absolute host path; `None` for `tmpfs` and
    /// an anonymous volume.
    pub source: Option<String>,
    pub target: String,
    pub read_only: bool,
}

/// One entry of a service's `networks`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ServiceNetwork {
    pub aliases: Vec<String>,
    pub ipv4_address: Option<String>,
    pub ipv6_address: Option<String>,
    pub priority: Option<i64>,
}

/// `healthcheck:` as the engine takes it (durations in nanoseconds).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Healthcheck {
    /// `["CMD", …]`, `["CMD-SHELL", "…"]` or `["NONE"]` (`disable: true`).
    pub test: Option<Vec<String>>,
    pub interval: Option<i64>,
    pub timeout: Option<i64>,
    pub start_period: Option<i64>,
    pub retries: Option<i64>,
}

/// When a `depends_on` dependency counts as ready.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
pub enum DependsOnCondition {
    /// `service_started` (and the list form).
    #[default]
    Started,
    /// `service_healthy`: its healthcheck reports `healthy`.
    Healthy,
    /// `service_completed_successfully`: it exited with code 0.
    CompletedSuccessfully,
}

impl DependsOnCondition {
    /// The compose spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Started => "service_started",
            Self::Healthy => "service_healthy",
            Self::CompletedSuccessfully => "service_completed_successfully",
        }
    }
}

/// One entry of the top-level `secrets` (v2/v3), or of `configs` (v3.3+).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SecretDef {
    /// `file:`, absolute (resolved against the project directory, `~` expanded).
    pub file: Option<PathBuf>,
    /// `name:` (or `external: {name}`; an external secret is named after its key).
    pub name: Option<String>,
    pub external: bool,
    /// `labels:` (a mapping or a `KEY=value` list).
    pub labels: IndexMap<String, String>,
    /// `template_driver:` (v3.8), e.g. `golang`: the engine renders the data as a
    /// template when it mounts it.
    pub template_driver: Option<String>,
}

/// One entry of a service's `secrets`: 1.29.2's `ServiceSecret` (`source target
/// uid gid mode name`; `name` is never allowed in a service's list, so it is always
/// null), plus what its top-level definition makes of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceSecret {
    /// The key of the top-level definition.
    pub source: String,
    /// As written; see [`ServiceSecret::container_path`].
    pub target: Option<String>,
    pub uid: Option<String>,
    pub gid: Option<String>,
    /// As written (YAML 1.1: `0440` is octal, 288).
    pub mode: Option<serde_json::Number>,
    pub definition: SecretSource,
    /// The list item (or its `source`), for messages.
    #[serde(skip)]
    pub span: Span,
}

/// Where 1.29.2 mounts secrets in a container (`const.SECRETS_PATH`).
pub const SECRETS_PATH: &str = "/run/secrets";

impl ServiceSecret {
    /// The path in the container (1.29.2 `get_secret_volumes`): `target` when it is
    /// absolute, else under `/run/secrets/`; `/run/secrets/<source>` without one.
    pub fn container_path(&self) -> String {
        match &self.target {
            None => format!("{SECRETS_PATH}/{}", self.source),
            Some(target) if target.starts_with('/') => target.clone(),
            Some(target) => format!("{SECRETS_PATH}/{target}"),
        }
    }

    /// The fields 1.29.2 warns about and ignores outside a swarm, when set (its
    /// test is Python truth: an empty string or a mode of 0 is not set).
    pub fn unsupported_fields(&self) -> Vec<&'static str> {
        let mut fields = Vec::new();
        if self.uid.as_deref().is_some_and(|uid| !uid.is_empty()) {
            fields.push("uid");
        }
        if self.gid.as_deref().is_some_and(|gid| !gid.is_empty()) {
            fields.push("gid");
        }
        if self
            .mode
            .as_ref()
            .is_some_and(|mode| mode.as_f64() != Some(0.0))
        {
            fields.push("mode");
        }
        fields
    }
}

/// What the top-level definition of a service's secret says (1.29.2 `get_secrets`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum SecretSource {
    /// `file:`, absolute: bind-mounted read-only. `present` says whether anything
    /// was at that path when the project was loaded (a directory counts: the engine
    /// mounts it; a missing path the engine refuses).
    File { path: PathBuf, present: bool },
    /// `external`: only a swarm has it; 1.29.2 neither mounts nor hashes it.
    External,
    /// Defined with neither `file` nor `external` (only `name`, `labels`, …):
    /// 1.29.2 hashes a null file and the engine refuses the mount.
    NoFile,
    /// Not defined at the top level, or defined empty (`{}`), which 1.29.2 takes
    /// for undefined: an error for every command but `config`
    /// ([`check_secrets`](crate::check_secrets)).
    Undefined,
}
