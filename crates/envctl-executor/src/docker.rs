//! The Docker Engine, through bollard: the only module that names bollard types.
//!
//! One [`Engine`] (one client) serves a whole run. Its methods take and return
//! envctl's own types (`ContainerSpec` in, `ContainerDetails` out), so that bollard's
//! API, which changes between releases, stays behind this file. Every mutating call
//! is idempotent in the way a re-run needs: 304 (already started or stopped) is
//! success, and 404 on stop or remove means the container is already gone.

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::time::Instant;

use bollard::Docker;
use bollard::container::LogOutput;
use bollard::models::{
    ContainerCreateBody, ContainerInspectResponse, ContainerSummaryStateEnum, DeviceMapping,
    HealthConfig, HostConfig, HostConfigLogConfig, Mount, MountType, NetworkingConfig,
    PortBinding as EnginePortBinding, ResourcesUlimits, RestartPolicy, RestartPolicyNameEnum,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, InspectContainerOptions, ListContainersOptionsBuilder,
    LogsOptionsBuilder, RemoveContainerOptionsBuilder, RenameContainerOptionsBuilder,
    StopContainerOptionsBuilder,
};
use envctl_planner::{ContainerState, ObservedMount};
use futures::stream::{BoxStream, StreamExt as _};
use tracing::Instrument as _;

use crate::error::{ConnectionProblem, ExecutorError, Operation};

/// The engine client's own error; no caller outside this module names it.
pub(crate) type Bollard = bollard::errors::Error;

/// The engine's answer to a request (or why none came), kept as the `#[source]` of
/// envctl's errors. It wraps the engine client's error, which stays in this module:
/// bollard's API changes between releases, and no other crate may depend on it.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct EngineError(pub(crate) Bollard);

impl From<Bollard> for EngineError {
    fn from(error: Bollard) -> Self {
        Self(error)
    }
}

impl EngineError {
    /// An error the engine wrote into a pull's or a build's stream.
    pub(crate) fn stream(message: impl Into<String>) -> Self {
        Self(Bollard::DockerStreamError {
            error: message.into(),
        })
    }

    /// The engine's own message: what a failed pull or build wrote, else the
    /// error's text.
    pub fn message(&self) -> String {
        match &self.0 {
            Bollard::DockerStreamError { error } => error.clone(),
            other => other.to_string(),
        }
    }
}
use crate::spec::ContainerSpec;

pub use crate::endpoint::{DEFAULT_HOST, EngineAddress};
use crate::endpoint::{Endpoint, TlsFlags};

mod access;
mod ping;
mod pool;
mod system;
mod tls;

pub use inspect::{ImageDetails, ProcessList};
pub use system::EngineVersion;
mod attach;
mod exec;
mod health;
mod image;
mod inspect;
mod lifecycle;
mod network;
mod swarm;
mod volume;

pub use swarm::{SwarmNode, SwarmService, SwarmTask};
pub use volume::LabelledVolume;

pub use health::ContainerChange;
mod logs;
mod pump;
pub use image::BuildFailure;

/// A container as the engine reports it, in envctl's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerDetails {
    pub id: String,
    /// Without the leading `/`.
    pub name: String,
    pub labels: HashMap<String, String>,
    pub state: ContainerState,
    pub exit_code: i64,
    /// `State.Health.Status`, when the image has a health check.
    pub health: Option<String>,
    /// Seconds since the epoch.
    pub created: i64,
    pub mounts: Vec<ObservedMount>,
    /// `HostConfig.Links` is set and not empty.
    pub has_links: bool,
    /// `Config.Entrypoint` followed by `Config.Cmd`.
    pub command: Vec<String>,
    /// `NetworkSettings.Ports`: `80/tcp` → `(host ip, host port)`s, sorted by key.
    pub ports: Vec<(String, Vec<(String, String)>)>,
    /// `Config.Env`.
    pub env: Vec<String>,
    /// `HostConfig.VolumesFrom`.
    pub volumes_from: Vec<String>,
    /// `HostConfig.Links` as the engine stores them (`/linked:/linker/alias`).
    pub links: Vec<String>,
    /// The id of the image the container was created from (`sha256:…`).
    pub image: String,
}

/// The connection to one Docker Engine.
#[derive(Debug, Clone)]
pub struct Engine {
    pub(crate) client: Docker,
    endpoint: Endpoint,
}

impl Engine {
    /// Connects to the engine `DOCKER_HOST`, `DOCKER_TLS_VERIFY` and
    /// `DOCKER_CERT_PATH` name (or the default socket) and negotiates the API
    /// version.
    pub async fn connect_from_env() -> Result<Self, ExecutorError> {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let endpoint = crate::endpoint::resolve(
            None,
            &TlsFlags::default(),
            &|name| std::env::var(name).ok(),
            home.as_deref(),
        )?;
        Self::connect_to(&endpoint).await
    }

    /// Connects to a plain address (no TLS).
    pub async fn connect(address: &EngineAddress) -> Result<Self, ExecutorError> {
        Self::connect_to(&Endpoint::plain(address.clone())).await
    }

    /// Connects and negotiates the API version (the engine's, when it is older than
    /// the client's: Docker 20.10 speaks 1.41). Certificate files are read here, so
    /// a missing one fails before any request.
    ///
    /// Over `tcp://` (plain or TLS) one keep-alive connection is reused across
    /// requests (more only while requests run in parallel); see `docker/pool.rs`.
    pub async fn connect_to(endpoint: &Endpoint) -> Result<Self, ExecutorError> {
        let connect_error = |source: EngineError| match tls::explain(endpoint, &source.0) {
            Some((problem, advice)) => ExecutorError::Tls {
                endpoint: endpoint.quoted(),
                problem,
                advice,
                source: Box::new(source),
            },
            None if connection_problem(&source) == Some(ConnectionProblem::PermissionDenied) => {
                ExecutorError::PermissionDenied {
                    address: endpoint.quoted(),
                    advice: access::permission_advice(endpoint),
                    source,
                }
            }
            None if connection_problem(&source) == Some(ConnectionProblem::TimedOut) => {
                ExecutorError::Timeout {
                    address: endpoint.quoted(),
                    seconds: endpoint.timeout,
                    source,
                }
            }
            None => ExecutorError::Connect {
                address: endpoint.quoted(),
                advice: ExecutorError::connect_advice(endpoint, connection_problem(&source)),
                source,
            },
        };
        let (client, negotiated) = match &endpoint.address {
            EngineAddress::Unix(path) => {
                // The version from a ping, when the engine answers one (`docker/ping.rs`).
                let pinged = timed("ping", &endpoint.to_string(), async {
                    ping::unix_api_version(path).await.ok_or("no API-Version")
                })
                .await
                .ok();
                // The engine's version when it is older than the client's.
                let version = match pinged {
                    Some(version) if version < *bollard::API_DEFAULT_VERSION => version,
                    _ => *bollard::API_DEFAULT_VERSION,
                };
                let client = Docker::connect_with_unix(
                    &path.display().to_string(),
                    endpoint.timeout,
                    &version,
                )
                .map_err(|error| connect_error(error.into()))?;
                (client, pinged.is_some())
            }
            EngineAddress::Tcp(address) => {
                (tls::tcp_client(endpoint, address, endpoint.timeout)?, false)
            }
        };
        let client = if negotiated {
            client
        } else {
            traced("version", &endpoint.to_string(), client.negotiate_version())
                .await
                .map_err(connect_error)?
        };
        Ok(Self {
            client,
            endpoint: endpoint.clone(),
        })
    }

    /// How many read-only requests (inspects) to have in flight at once. Over
    /// the Unix socket a connection costs nothing, so as many as there are. Over
    /// TCP every request in flight needs a connection of its own (HTTP/1.1), and a
    /// new TLS connection costs a handshake: `ps` of 30 containers through a TLS
    /// relay took 1.6 s with 30 connections; a few connections reused cost a few
    /// round trips instead.
    pub fn read_parallelism(&self) -> usize {
        match self.endpoint.address {
            EngineAddress::Unix(_) => 64,
            EngineAddress::Tcp(_) => 8,
        }
    }

    pub fn address(&self) -> &EngineAddress {
        &self.endpoint.address
    }

    /// The address, TLS and machine name: what envctl shows as the engine.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The negotiated API version, `1.41`.
    pub fn api_version(&self) -> String {
        let version = self.client.client_version();
        format!("{}.{}", version.major_version, version.minor_version)
    }

    /// The error of a request about `subject` made outside a step: the connection
    /// lost (naming this engine), or the engine's refusal.
    pub(crate) fn request_failed<E: Into<EngineError>>(
        &self,
        operation: Operation,
        subject: &str,
    ) -> impl FnOnce(E) -> ExecutorError + use<E> {
        let subject = subject.to_owned();
        let address = self.endpoint.quoted();
        move |source| {
            let source: EngineError = source.into();
            match connection_problem(&source) {
                Some(problem) => ExecutorError::EngineConnectionLost {
                    operation,
                    subject,
                    address,
                    problem,
                    source: Box::new(source),
                },
                None => ExecutorError::Engine {
                    operation,
                    subject,
                    source,
                },
            }
        }
    }

    /// Ids of every container (all states) carrying `label` (`key=value`).
    pub async fn list_containers(&self, label: &str) -> Result<Vec<String>, ExecutorError> {
        let filters = HashMap::from([("label", vec![label])]);
        let options = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&filters)
            .build();
        let summaries = traced("list", label, self.client.list_containers(Some(options)))
            .await
            .map_err(self.request_failed(Operation::List, label))?;
        Ok(summaries
            .into_iter()
            .filter(|summary| summary.state != Some(ContainerSummaryStateEnum::REMOVING))
            .filter_map(|summary| summary.id)
            .collect())
    }

    /// `None` when the container is gone (it may vanish between list and inspect).
    pub async fn inspect_container(
        &self,
        id: &str,
    ) -> Result<Option<ContainerDetails>, ExecutorError> {
        let request = self
            .client
            .inspect_container(id, None::<InspectContainerOptions>);
        match traced("inspect", id, request).await {
            Ok(response) => Ok(Some(details(response))),
            Err(error) if status(&error) == Some(404) => Ok(None),
            Err(source) => Err(self.request_failed(Operation::Inspect, id)(source)),
        }
    }

    /// The local image id of `reference`, `None` when there is no such image.
    pub async fn image_id(&self, reference: &str) -> Result<Option<String>, ExecutorError> {
        match traced(
            "inspect_image",
            reference,
            self.client.inspect_image(reference),
        )
        .await
        {
            Ok(image) => Ok(image.id),
            // 400: an invalid reference, which names no image (the planner refuses it
            // with its place in the file).
            Err(error) if matches!(status(&error), Some(404 | 400)) => Ok(None),
            Err(source) => Err(self.request_failed(Operation::InspectImage, reference)(
                source,
            )),
        }
    }

    /// Creates the container; returns its id.
    pub async fn create_container(&self, spec: &ContainerSpec) -> Result<String, EngineError> {
        let options = CreateContainerOptionsBuilder::default()
            .name(&spec.name)
            .build();
        let body = create_body(spec);
        let response = match &spec.mac_address {
            None => {
                let request = self.client.create_container(Some(options), body);
                traced("create", &spec.name, request).await?
            }
            Some(mac_address) => {
                // The client's request type has no `MacAddress` (newer APIs moved it
                // to the endpoint), but API 1.41 reads it from the top level, as
                // docker-py sends it: the same body, with the field added.
                let mut value = serde_json::to_value(&body).map_err(Bollard::from)?;
                if let Some(object) = value.as_object_mut() {
                    object.insert(
                        "MacAddress".to_owned(),
                        serde_json::Value::String(mac_address.clone()),
                    );
                }
                let text = serde_json::to_string(&value).map_err(Bollard::from)?;
                let client = self
                    .client
                    .clone()
                    .with_request_modifier(move |mut request| {
                        if request.uri().path().ends_with("/containers/create") {
                            *request.body_mut() = bollard::body_full(text.clone().into());
                        }
                        request
                    });
                traced(
                    "create",
                    &spec.name,
                    client.create_container(Some(options), body),
                )
                .await?
            }
        };
        Ok(response.id)
    }

    /// Removes (untags) an image, as `docker rmi` without force: `Ok(false)` when
    /// there is no such image.
    pub async fn remove_image(&self, reference: &str) -> Result<bool, EngineError> {
        match self
            .client
            .remove_image(
                reference,
                None::<bollard::query_parameters::RemoveImageOptions>,
                None,
            )
            .await
            .map_err(EngineError::from)
        {
            Ok(_) => Ok(true),
            Err(error) if status(&error) == Some(404) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Already running is success.
    pub async fn start_container(&self, id: &str) -> Result<(), EngineError> {
        traced("start", id, self.client.start_container(id, None)).await
    }

    /// Already stopped or gone is success.
    pub async fn stop_container(&self, id: &str, timeout: u64) -> Result<(), EngineError> {
        let seconds = i32::try_from(timeout).unwrap_or(i32::MAX);
        let options = StopContainerOptionsBuilder::default().t(seconds).build();
        ignore_not_found(traced("stop", id, self.client.stop_container(id, Some(options))).await)
    }

    pub async fn rename_container(&self, id: &str, new_name: &str) -> Result<(), EngineError> {
        let options = RenameContainerOptionsBuilder::default()
            .name(new_name)
            .build();
        traced("rename", id, self.client.rename_container(id, options)).await
    }

    /// Removes the container (`volumes`: its anonymous volumes too). Gone already is
    /// success.
    pub async fn remove_container(
        &self,
        id: &str,
        volumes: bool,
        force: bool,
    ) -> Result<(), EngineError> {
        let options = RemoveContainerOptionsBuilder::default()
            .v(volumes)
            .force(force)
            .build();
        ignore_not_found(
            traced(
                "remove",
                id,
                self.client.remove_container(id, Some(options)),
            )
            .await,
        )
    }
}

impl Engine {
    /// The container's output (stdout and stderr, as the engine sends it) from
    /// `since` (seconds since the epoch) on, following it until the container stops.
    pub fn follow_logs(
        &self,
        id: &str,
        since: i64,
    ) -> BoxStream<'static, Result<Vec<u8>, EngineError>> {
        let options = LogsOptionsBuilder::default()
            .follow(true)
            .stdout(true)
            .stderr(true)
            .since(i32::try_from(since).unwrap_or(0))
            .tail("all")
            .build();
        self.client
            .logs(id, Some(options))
            .map(|chunk| {
                chunk.map_err(EngineError::from).map(|output| match output {
                    LogOutput::StdOut { message }
                    | LogOutput::StdErr { message }
                    | LogOutput::StdIn { message }
                    | LogOutput::Console { message } => message.to_vec(),
                })
            })
            .boxed()
    }
}

/// One engine request, in a `debug` span `engine{call, subject}`, followed by a
/// `debug` event `engine call` with the microseconds it took: `ENVCTL_LOG=
/// envctl_executor=debug` shows where a run's time goes (`envctl-bench --trace`
/// sums these up).
async fn traced<T, E: Into<EngineError>>(
    call: &'static str,
    subject: &str,
    request: impl Future<Output = Result<T, E>>,
) -> Result<T, EngineError> {
    timed(call, subject, request).await.map_err(Into::into)
}

/// [`traced`], keeping the request's own error.
async fn timed<T, E>(
    call: &'static str,
    subject: &str,
    request: impl Future<Output = Result<T, E>>,
) -> Result<T, E> {
    let started = Instant::now();
    let result = request
        .instrument(tracing::debug_span!("engine", call, subject))
        .await;
    let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    tracing::debug!(call, subject, micros, ok = result.is_ok(), "engine call");
    result
}

/// The engine refused a create because the name is taken (409).
pub fn is_conflict(error: &EngineError) -> bool {
    status(error) == Some(409)
}

/// What went wrong with the connection itself, when that is why `error` happened
/// (the engine never answered): refused, closed or reset under way, no socket, or a
/// socket this user may not use. `None` when the engine answered, even with an
/// error, and for anything less certain (a timeout is a slow engine, not a lost one).
pub(crate) fn connection_problem(error: &EngineError) -> Option<ConnectionProblem> {
    // bollard's `IOError` and `HyperResponseError` are `#[error(transparent)]`: their
    // `source()` skips the wrapped error, so look at it first.
    let mut cause: Option<&(dyn std::error::Error + 'static)> = match &error.0 {
        Bollard::SocketNotFoundError(_) => return Some(ConnectionProblem::NoSocket),
        Bollard::RequestTimeoutError => return Some(ConnectionProblem::TimedOut),
        Bollard::IOError { err } => Some(err),
        Bollard::HyperResponseError { err } => Some(err),
        other => Some(other),
    };
    while let Some(current) = cause {
        if let Some(io) = current.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind;
            return match io.kind() {
                ErrorKind::PermissionDenied => Some(ConnectionProblem::PermissionDenied),
                ErrorKind::ConnectionRefused => Some(ConnectionProblem::Refused),
                ErrorKind::NotFound => Some(ConnectionProblem::NoSocket),
                ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted
                | ErrorKind::BrokenPipe
                | ErrorKind::UnexpectedEof
                | ErrorKind::NotConnected => Some(ConnectionProblem::Closed),
                _ => None,
            };
        }
        if let Some(hyper) = current.downcast_ref::<hyper::Error>()
            && (hyper.is_incomplete_message() || hyper.is_closed() || hyper.is_canceled())
        {
            return Some(ConnectionProblem::Closed);
        }
        cause = current.source();
    }
    None
}

/// An engine's map (labels, options) in key order, so that what is compared or
/// reported of it does not depend on hash order.
fn sorted(map: Option<HashMap<String, String>>) -> indexmap::IndexMap<String, String> {
    let mut entries: Vec<(String, String)> = map.unwrap_or_default().into_iter().collect();
    entries.sort();
    entries.into_iter().collect()
}

/// The HTTP status of an engine error, if the engine answered at all.
fn status(error: &EngineError) -> Option<u16> {
    match &error.0 {
        Bollard::DockerResponseServerError { status_code, .. } => Some(*status_code),
        _ => None,
    }
}

fn ignore_not_found(result: Result<(), EngineError>) -> Result<(), EngineError> {
    match result {
        Err(error) if status(&error) == Some(404) => Ok(()),
        other => other,
    }
}

fn details(response: ContainerInspectResponse) -> ContainerDetails {
    let state = response.state.unwrap_or_default();
    let config = response.config.unwrap_or_default();
    let host_config = response.host_config.unwrap_or_default();
    let container_state = if state.restarting == Some(true) {
        ContainerState::Restarting
    } else if state.paused == Some(true) {
        ContainerState::Paused
    } else if state.running == Some(true) {
        ContainerState::Running
    } else if state.dead == Some(true) {
        ContainerState::Dead
    } else {
        match state.status.map(|status| status.to_string()).as_deref() {
            Some("created") => ContainerState::Created,
            Some("removing") => ContainerState::Removing,
            _ => ContainerState::Exited,
        }
    };
    let mut ports: Vec<(String, Vec<(String, String)>)> = response
        .network_settings
        .and_then(|settings| settings.ports)
        .unwrap_or_default()
        .into_iter()
        .map(|(port, bindings)| {
            let bindings = bindings
                .unwrap_or_default()
                .into_iter()
                .map(|binding| {
                    (
                        binding.host_ip.unwrap_or_default(),
                        binding.host_port.unwrap_or_default(),
                    )
                })
                .collect();
            (port, bindings)
        })
        .collect();
    ports.sort();
    let links = host_config.links.unwrap_or_default();
    ContainerDetails {
        id: response.id.unwrap_or_default(),
        name: response
            .name
            .unwrap_or_default()
            .trim_start_matches('/')
            .to_owned(),
        labels: config.labels.unwrap_or_default(),
        state: container_state,
        exit_code: state.exit_code.unwrap_or_default(),
        health: state
            .health
            .and_then(|health| health.status)
            .map(|status| status.to_string())
            .filter(|status| !status.is_empty() && status != "none"),
        created: response.created.as_deref().map_or(0, parse_rfc3339_seconds),
        mounts: response
            .mounts
            .unwrap_or_default()
            .into_iter()
            .map(|mount| ObservedMount {
                kind: mount.typ.unwrap_or_default(),
                name: mount.name.filter(|name| !name.is_empty()),
                destination: mount.destination.unwrap_or_default(),
            })
            .collect(),
        has_links: !links.is_empty(),
        command: config
            .entrypoint
            .unwrap_or_default()
            .into_iter()
            .chain(config.cmd.unwrap_or_default())
            .collect(),
        ports,
        env: config.env.unwrap_or_default(),
        volumes_from: host_config.volumes_from.unwrap_or_default(),
        links,
        image: response.image.unwrap_or_default(),
    }
}

/// Seconds since the epoch of an RFC 3339 time (`2026-11-22T01:48:09.123Z`); only
/// the order matters (the oldest duplicate is kept), so sub-seconds are dropped.
fn parse_rfc3339_seconds(text: &str) -> i64 {
    let number = |range: std::ops::Range<usize>| -> i64 {
        text.get(range)
            .and_then(|digits| digits.parse().ok())
            .unwrap_or(0)
    };
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    let (hour, minute, second) = (number(11..13), number(14..16), number(17..19));
    // Days from the civil date (Howard Hinnant's algorithm).
    let shifted_year = if month <= 2 { year - 1 } else { year };
    let era = shifted_year.div_euclid(400);
    let year_of_era = shifted_year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    days * 86_400 + hour * 3_600 + minute * 60 + second
}

fn some_vec(values: &[String]) -> Option<Vec<String>> {
    (!values.is_empty()).then(|| values.to_vec())
}

fn create_body(spec: &ContainerSpec) -> ContainerCreateBody {
    let host = &spec.host;
    let host_config = HostConfig {
        // docker-py sends these three even when empty, and the engine keeps `[]`/`{}`.
        binds: Some(host.binds.clone()),
        mounts: (!host.mounts.is_empty()).then(|| {
            host.mounts
                .iter()
                .map(|mount| Mount {
                    typ: Some(match mount.kind.as_str() {
                        "bind" => MountType::BIND,
                        "tmpfs" => MountType::TMPFS,
                        _ => MountType::VOLUME,
                    }),
                    source: mount.source.clone(),
                    target: Some(mount.target.clone()),
                    read_only: mount.read_only.then_some(true),
                    ..Mount::default()
                })
                .collect()
        }),
        links: some_vec(&host.links),
        volumes_from: Some(host.volumes_from.clone()),
        network_mode: host.network_mode.clone(),
        port_bindings: Some(
            host.port_bindings
                .iter()
                .map(|(port, bindings)| {
                    let bindings = bindings
                        .iter()
                        .map(|binding| EnginePortBinding {
                            host_ip: Some(binding.host_ip.clone()),
                            host_port: Some(binding.host_port.clone()),
                        })
                        .collect();
                    (port.clone(), Some(bindings))
                })
                .collect(),
        ),
        restart_policy: host.restart.as_ref().map(|restart| RestartPolicy {
            name: Some(match restart.name.as_str() {
                "always" => RestartPolicyNameEnum::ALWAYS,
                "unless-stopped" => RestartPolicyNameEnum::UNLESS_STOPPED,
                "on-failure" => RestartPolicyNameEnum::ON_FAILURE,
                "no" => RestartPolicyNameEnum::NO,
                _ => RestartPolicyNameEnum::EMPTY,
            }),
            maximum_retry_count: restart.maximum_retry_count,
        }),
        privileged: host.privileged.then_some(true),
        dns: some_vec(&host.dns),
        dns_search: some_vec(&host.dns_search),
        cap_add: some_vec(&host.cap_add),
        cap_drop: some_vec(&host.cap_drop),
        extra_hosts: some_vec(&host.extra_hosts),
        readonly_rootfs: host.read_only,
        pid_mode: host.pid_mode.clone(),
        ipc_mode: host.ipc_mode.clone(),
        security_opt: some_vec(&host.security_opt),
        ulimits: (!host.ulimits.is_empty()).then(|| {
            host.ulimits
                .iter()
                .map(|ulimit| ResourcesUlimits {
                    name: Some(ulimit.name.clone()),
                    soft: Some(ulimit.soft),
                    hard: Some(ulimit.hard),
                })
                .collect()
        }),
        init: host.extra.init,
        sysctls: (!host.extra.sysctls.is_empty())
            .then(|| host.extra.sysctls.clone().into_iter().collect()),
        tmpfs: (!host.extra.tmpfs.is_empty())
            .then(|| host.extra.tmpfs.clone().into_iter().collect()),
        userns_mode: host.extra.userns_mode.clone(),
        pids_limit: host.extra.pids_limit,
        oom_score_adj: host.extra.oom_score_adj,
        oom_kill_disable: host.extra.oom_kill_disable,
        group_add: some_vec(&host.extra.group_add),
        dns_options: some_vec(&host.extra.dns_opt),
        nano_cpus: host.extra.nano_cpus,
        memory_reservation: host.memory_reservation,
        cpu_period: host.extra.cpu_period,
        cpu_realtime_period: host.extra.cpu_rt_period,
        cpu_realtime_runtime: host.extra.cpu_rt_runtime,
        cpu_count: host.extra.cpu_count,
        cpu_percent: host.extra.cpu_percent,
        runtime: host.extra.runtime.clone(),
        device_cgroup_rules: some_vec(&host.extra.device_cgroup_rules),
        storage_opt: (!host.extra.storage_opt.is_empty())
            .then(|| host.extra.storage_opt.clone().into_iter().collect()),
        memory: host.memory,
        memory_swap: host.memory_swap,
        memory_swappiness: host.memory_swappiness,
        shm_size: host.shm_size,
        cpu_shares: host.cpu_shares,
        cpu_quota: host.cpu_quota,
        cpuset_cpus: host.cpuset_cpus.clone(),
        devices: (!host.devices.is_empty()).then(|| {
            host.devices
                .iter()
                .map(|device| DeviceMapping {
                    path_on_host: Some(device.path_on_host.clone()),
                    path_in_container: Some(device.path_in_container.clone()),
                    cgroup_permissions: Some(device.cgroup_permissions.clone()),
                })
                .collect()
        }),
        log_config: host
            .log_config
            .as_ref()
            .map(|log_config| HostConfigLogConfig {
                typ: Some(log_config.driver.clone()),
                config: Some(log_config.options.clone().into_iter().collect()),
            }),
        cgroup_parent: host.cgroup_parent.clone(),
        volume_driver: host.volume_driver.clone(),
        ..HostConfig::default()
    };
    ContainerCreateBody {
        image: Some(spec.image.clone()),
        cmd: spec.command.clone(),
        entrypoint: spec.entrypoint.clone(),
        env: some_vec(&spec.env),
        labels: Some(spec.labels.clone().into_iter().collect()),
        exposed_ports: some_vec(&spec.exposed_ports),
        volumes: some_vec(&spec.volumes),
        hostname: spec.hostname.clone(),
        domainname: spec.domainname.clone(),
        user: spec.user.clone(),
        working_dir: spec.working_dir.clone(),
        tty: spec.tty,
        open_stdin: spec.stdin_open,
        stop_signal: spec.stop_signal.clone(),
        healthcheck: spec.healthcheck.as_ref().map(|check| HealthConfig {
            test: check.test.clone(),
            interval: check.interval,
            timeout: check.timeout,
            retries: check.retries,
            start_period: check.start_period,
            start_interval: None,
        }),
        networking_config: spec.networks.first().map(|primary| NetworkingConfig {
            endpoints_config: Some(network::endpoints_config(primary)),
        }),
        host_config: Some(host_config),
        ..ContainerCreateBody::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_engine_addresses() {
        assert_eq!(
            EngineAddress::parse("unix:///var/run/docker.sock").expect("should succeed"),
            EngineAddress::Unix(PathBuf::from("/var/run/docker.sock"))
        );
        assert_eq!(
            EngineAddress::parse("tcp://10.0.0.1:2375").expect("should succeed"),
            EngineAddress::Tcp("10.0.0.1:2375".to_owned())
        );
        assert!(EngineAddress::parse("ssh://host").is_err());
    }

    #[test]
    fn rfc3339_times_order_correctly() {
        assert_eq!(parse_rfc3339_seconds("1970-01-01T00:00:00Z"), 0);
        assert_eq!(
            parse_rfc3339_seconds("2026-11-22T01:48:09.123456789Z"),
            1_795_312_089
        );
    }
}
