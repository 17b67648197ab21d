//! Environments: each is the compose project of the same name, made and changed by
//! envctl-ops' `up` and `down`. There is no database: the server's own facts
//! (owner, template, spec hash, created time, the resolved file) are labels on the
//! project's containers (`io.envctl.serve.*`), and the one that changes without
//! the file, the expiry, is a label of a "lease": an empty volume of the project,
//! never mounted, replaced (a new one made, then the old removed) by `PATCH`. So a
//! restarted server lists, serves and reaps what it made before.
//!
//! `GET`s are answered from a snapshot of the engine, kept current by its events:
//! every event of a labelled container (and each change the server makes) marks
//! it stale, and the next read refreshes it, once for all the readers waiting
//! ([`Server::list`]). Decisions (`PUT`, `PATCH`, `DELETE`) read the engine itself.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::http::StatusCode;
use envctl_ops::types::ContainerDetails;
use envctl_ops::{DownRequest, OpsError, Silent, Target, UpRequest};
use envctl_parser::LoadOptions;
use envctl_planner::{DownOptions, UpOptions};
use indexmap::IndexMap;
use serde::Serialize;
use serde_yaml::Value as Yaml;
use sha2::{Digest, Sha256};
use tokio::sync::{Semaphore, broadcast};
use tokio_util::sync::CancellationToken;

use crate::config::ServerConfig;
use crate::error::{ApiError, Problem, problems_of};
use crate::policy::{self, Policy};
use crate::spec::{EnvironmentSpec, parse_duration};
use crate::tokens::Token;

/// The labels this server puts on every container it makes.
pub mod labels {
    /// The namespace (`?label=` filters may name it).
    pub const PREFIX: &str = "io.envctl.serve.";
    /// The token's name that made it.
    pub const OWNER: &str = "io.envctl.serve.owner";
    /// The template's name, or `inline`.
    pub const TEMPLATE: &str = "io.envctl.serve.template";
    pub const SPEC_HASH: &str = "io.envctl.serve.spec-hash";
    /// Seconds since the epoch.
    pub const CREATED: &str = "io.envctl.serve.created";
    /// Seconds since the epoch: on the lease volume (containers made before
    /// leases carry it too).
    pub const EXPIRES: &str = "io.envctl.serve.expires";
    /// On a lease volume: the environment's name.
    pub const LEASE: &str = "io.envctl.serve.lease";
    /// On a lease volume: its order among the environment's leases (nanoseconds
    /// since the epoch); the highest holds.
    pub const LEASE_SERIAL: &str = "io.envctl.serve.lease-serial";
    /// Comma-separated.
    pub const PROFILES: &str = "io.envctl.serve.profiles";
    /// The resolved compose file the environment was made from (what `down` reads).
    pub const DOCUMENT: &str = "io.envctl.serve.document";
    /// The compose project label.
    pub const PROJECT: &str = "com.docker.compose.project";
    pub const SERVICE: &str = "com.docker.compose.service";
    pub const ONEOFF: &str = "com.docker.compose.oneoff";
}

/// An environment's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Creating,
    Running,
    Degraded,
    Failed,
    Deleting,
}

/// A published port.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Endpoint {
    pub service: String,
    /// The container port and protocol (`80/tcp`).
    pub target: String,
    pub host: String,
    pub port: u16,
    /// `http://host:port/` for a TCP port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// One service of an environment.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceView {
    pub running: usize,
    pub desired: usize,
    /// Each container's health (`healthy`, `starting`, `unhealthy`), when it has a check.
    pub health: Vec<String>,
    /// The exit codes of its stopped containers.
    pub exit_codes: Vec<i64>,
}

/// What `GET /v1/environments/{name}` answers.
#[derive(Debug, Clone, Serialize)]
pub struct EnvironmentView {
    pub name: String,
    pub state: State,
    pub owner: String,
    pub template: String,
    pub spec_hash: String,
    /// RFC 3339, UTC.
    pub created: String,
    pub expires: String,
    pub services: BTreeMap<String, ServiceView>,
    pub endpoints: Vec<Endpoint>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip)]
    pub expires_at: u64,
    #[serde(skip)]
    pub document: String,
    #[serde(skip)]
    pub labels: HashMap<String, String>,
}

/// An operation under way on an environment, for `GET` while it runs.
#[derive(Debug, Clone)]
struct Busy {
    state: State,
    view: EnvironmentView,
}

/// A state change, for `GET /v1/events` and the audit log.
#[derive(Debug, Clone, Serialize)]
pub struct ServerEvent {
    /// `created`, `updated`, `ready`, `failed`, `deleting`, `deleted`, `reaped`, `extended`.
    pub event: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<State>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub time: String,
}

/// The environments as the engine last showed them, and when.
struct Snapshot {
    /// The value of [`Server::generation`] when the reading began.
    generation: u64,
    taken: Instant,
    views: Arc<BTreeMap<String, EnvironmentView>>,
}

/// The longest a snapshot serves, even with no event (a missed event heals).
const SNAPSHOT_MAX_AGE: Duration = Duration::from_secs(10);

/// An environment's lease: the volume that holds its expiry.
#[derive(Debug, Clone)]
struct Lease {
    volume: String,
    serial: u128,
    expires: u64,
}

/// The server's shared state.
pub struct Server {
    pub config: ServerConfig,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    permits: Semaphore,
    busy: Mutex<HashMap<String, Busy>>,
    failures: Mutex<HashMap<String, (EnvironmentView, String)>>,
    quota: crate::quota::QuotaLock,
    pub events: broadcast::Sender<ServerEvent>,
    pub shutdown: CancellationToken,
    /// Bumped by every change seen (an engine event, the server's own change).
    generation: AtomicU64,
    /// Whether the engine's event stream is open (else every read refreshes).
    watching: AtomicBool,
    snapshot: Mutex<Option<Snapshot>>,
    /// Held by the one reading the engine for the snapshot.
    refresh: tokio::sync::Mutex<()>,
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// Seconds since the epoch as RFC 3339 (UTC), without a date library.
pub fn rfc3339(seconds: u64) -> String {
    let days = seconds / 86_400;
    let rest = seconds % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = i64::try_from(days).unwrap_or(0) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// `$` doubled, so that interpolation gives the text back.
fn escape_dollars(text: &str) -> String {
    text.replace('$', "$$")
}

/// What a `PUT` did.
pub struct Applied {
    pub status: StatusCode,
    pub view: EnvironmentView,
}

impl Server {
    pub fn new(config: ServerConfig) -> Arc<Self> {
        let (events, _) = broadcast::channel(1024);
        Arc::new(Self {
            permits: Semaphore::new(config.parallel.max(1)),
            config,
            locks: Mutex::new(HashMap::new()),
            busy: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
            quota: crate::quota::QuotaLock::default(),
            events,
            shutdown: CancellationToken::new(),
            generation: AtomicU64::new(0),
            watching: AtomicBool::new(false),
            snapshot: Mutex::new(None),
            refresh: tokio::sync::Mutex::new(()),
        })
    }

    /// Marks the snapshot stale: the next read asks the engine.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// Follows the engine's events of the server's containers, marking the
    /// snapshot stale at each, until the server stops; reconnects when the stream
    /// ends (and serves no snapshot meanwhile).
    pub async fn watch(self: Arc<Self>) {
        loop {
            let server = Arc::clone(&self);
            let result = detached(move || async move {
                let connected = || {
                    server.watching.store(true, Ordering::SeqCst);
                    server.invalidate();
                };
                let sink = |event: envctl_ops::types::LabelledEvent| {
                    // A health check's exec changes nothing a GET shows.
                    if !event.action.starts_with("exec_") {
                        server.invalidate();
                    }
                };
                envctl_ops::labelled_events(
                    &server.config.engine,
                    labels::OWNER,
                    &connected,
                    &sink,
                    &server.shutdown,
                )
                .await
            })
            .await;
            self.watching.store(false, Ordering::SeqCst);
            // An engine that ends the stream or cannot be reached: try again.
            drop(result);
            tokio::select! {
                () = self.shutdown.cancelled() => return,
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }

    /// The snapshot if it is at least `wanted` and young enough.
    fn snapshot_at(&self, wanted: u64) -> Option<Arc<BTreeMap<String, EnvironmentView>>> {
        let snapshot = self
            .snapshot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        snapshot
            .as_ref()
            .filter(|snapshot| {
                snapshot.generation >= wanted && snapshot.taken.elapsed() < SNAPSHOT_MAX_AGE
            })
            .map(|snapshot| Arc::clone(&snapshot.views))
    }

    /// The environments as the engine shows them (without the operations under
    /// way): the snapshot, or a new one read by one caller for all that wait.
    async fn engine_views(&self) -> Result<Arc<BTreeMap<String, EnvironmentView>>, ApiError> {
        // With no event stream, each read wants the engine as it is now (but
        // readers that come together still share one reading).
        let wanted = if self.watching.load(Ordering::SeqCst) {
            self.generation.load(Ordering::SeqCst)
        } else {
            self.generation.fetch_add(1, Ordering::SeqCst) + 1
        };
        if let Some(views) = self.snapshot_at(wanted) {
            return Ok(views);
        }
        let _flight = self.refresh.lock().await;
        if let Some(views) = self.snapshot_at(wanted) {
            return Ok(views);
        }
        let generation = self.generation.load(Ordering::SeqCst);
        let views = Arc::new(self.read_engine(labels::OWNER).await?);
        *self
            .snapshot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Snapshot {
            generation,
            taken: Instant::now(),
            views: Arc::clone(&views),
        });
        Ok(views)
    }

    /// Every lease, by environment, newest first.
    async fn leases(&self) -> Result<HashMap<String, Vec<Lease>>, ApiError> {
        let volumes = envctl_ops::labelled_volumes(&self.config.engine, labels::LEASE)
            .await
            .map_err(|error| ApiError::internal(format!("the engine: {error}")))?;
        let mut leases: HashMap<String, Vec<Lease>> = HashMap::new();
        for volume in volumes {
            let Some(name) = volume.labels.get(labels::LEASE) else {
                continue;
            };
            let expires = volume
                .labels
                .get(labels::EXPIRES)
                .and_then(|expires| expires.parse().ok())
                .unwrap_or(0);
            let serial = volume
                .labels
                .get(labels::LEASE_SERIAL)
                .and_then(|serial| serial.parse().ok())
                .unwrap_or(0);
            leases.entry(name.clone()).or_default().push(Lease {
                volume: volume.name,
                serial,
                expires,
            });
        }
        for list in leases.values_mut() {
            list.sort_by_key(|lease| std::cmp::Reverse(lease.serial));
        }
        Ok(leases)
    }

    /// Gives `name` the expiry `expires`: a new lease, then the old ones removed
    /// (a server stopped in between leaves two; the newest holds).
    async fn write_lease(&self, name: &str, expires: u64) -> Result<(), ApiError> {
        let old: Vec<String> = self
            .leases()
            .await?
            .remove(name)
            .unwrap_or_default()
            .into_iter()
            .map(|lease| lease.volume)
            .collect();
        let serial = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos());
        let volume = format!("{name}_envctl-lease-{serial}");
        let volume_labels: IndexMap<String, String> = [
            (labels::PROJECT, name.to_owned()),
            (labels::LEASE, name.to_owned()),
            (labels::LEASE_SERIAL, serial.to_string()),
            (labels::EXPIRES, expires.to_string()),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect();
        let engine = &self.config.engine;
        envctl_ops::create_labelled_volume(engine, &volume, &volume_labels)
            .await
            .map_err(|error| ApiError::internal(format!("the lease of `{name}`: {error}")))?;
        self.invalidate();
        envctl_ops::remove_labelled_volumes(engine, &old)
            .await
            .map_err(|error| ApiError::internal(format!("the old lease of `{name}`: {error}")))
    }

    /// Removes every lease of `name`.
    async fn remove_leases(&self, name: &str) -> Result<(), String> {
        let volumes: Vec<String> = self
            .leases()
            .await
            .map_err(|error| error.message)?
            .remove(name)
            .unwrap_or_default()
            .into_iter()
            .map(|lease| lease.volume)
            .collect();
        self.invalidate();
        envctl_ops::remove_labelled_volumes(&self.config.engine, &volumes)
            .await
            .map_err(|error| format!("the lease of `{name}`: {error}"))
    }

    /// Says `event` on the events stream and in the audit log.
    pub fn announce(
        &self,
        event: &str,
        name: &str,
        state: Option<State>,
        by: Option<&str>,
        message: Option<String>,
    ) {
        let event = ServerEvent {
            event: event.to_owned(),
            name: name.to_owned(),
            state,
            by: by.map(ToOwned::to_owned),
            message,
            time: rfc3339(now()),
        };
        if let Ok(value) = serde_json::to_value(&event) {
            (self.config.audit)(&value);
        }
        let _ = self.events.send(event);
    }

    fn lock_of(&self, name: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self
            .locks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(locks.entry(name.to_owned()).or_default())
    }

    fn set_busy(&self, name: &str, busy: Option<Busy>) {
        let mut map = self
            .busy
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match busy {
            Some(busy) => {
                map.insert(name.to_owned(), busy);
            }
            None => {
                map.remove(name);
            }
        }
    }

    fn set_failure(&self, name: &str, failure: Option<(EnvironmentView, String)>) {
        let mut map = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match failure {
            Some(failure) => {
                map.insert(name.to_owned(), failure);
            }
            None => {
                map.remove(name);
            }
        }
    }

    /// The target of an operation on `name`, from `document` (the resolved file,
    /// fed as standard input) in `directory`.
    fn target(
        &self,
        name: &str,
        document: Option<String>,
        directory: PathBuf,
        environment: IndexMap<String, String>,
    ) -> Target {
        Target {
            load: LoadOptions {
                files: vec![PathBuf::from(if document.is_some() {
                    "-"
                } else {
                    "docker-compose.yml"
                })],
                project_name: Some(name.to_owned()),
                project_directory: Some(directory.clone()),
                env_file: None,
                environment,
                cwd: directory,
                interpolate: true,
                stdin: document,
                ..LoadOptions::default()
            },
            engine: self.config.engine.clone(),
            parallel_limit: self.config.engine_parallel,
            lock_directory: Some(self.config.state_directory.join("locks")),
        }
    }

    fn inline_directory(&self) -> PathBuf {
        self.config.state_directory.join("inline")
    }

    /// Every environment this server made, from the snapshot.
    pub async fn list(&self) -> Result<Vec<EnvironmentView>, ApiError> {
        let mut views = (*self.engine_views().await?).clone();
        self.overlay(&mut views);
        Ok(views.into_values().collect())
    }

    /// One environment, from the snapshot.
    pub async fn get(&self, name: &str) -> Result<Option<EnvironmentView>, ApiError> {
        let mut views: BTreeMap<String, EnvironmentView> = self
            .engine_views()
            .await?
            .get(name)
            .map(|view| (name.to_owned(), view.clone()))
            .into_iter()
            .collect();
        self.overlay(&mut views);
        Ok(views.remove(name))
    }

    /// One environment, from the engine itself (what a change decides on).
    async fn get_fresh(&self, name: &str) -> Result<Option<EnvironmentView>, ApiError> {
        // Only this project's containers: one environment's read does not read all.
        let label = format!("{}={name}", labels::PROJECT);
        let mut views = self.read_engine(&label).await?;
        self.overlay(&mut views);
        Ok(views.remove(name))
    }

    /// The environments among the containers carrying `label`, with their leases.
    async fn read_engine(
        &self,
        label: &str,
    ) -> Result<BTreeMap<String, EnvironmentView>, ApiError> {
        let containers = envctl_ops::labelled_containers(&self.config.engine, label)
            .await
            .map_err(|error| ApiError::internal(format!("the engine: {error}")))?;
        let leases = self.leases().await?;
        let containers = containers
            .into_iter()
            .filter(|container| container.labels.contains_key(labels::OWNER));
        let mut by_project: BTreeMap<String, Vec<ContainerDetails>> = BTreeMap::new();
        for container in containers {
            if let Some(project) = container.labels.get(labels::PROJECT) {
                by_project
                    .entry(project.clone())
                    .or_default()
                    .push(container);
            }
        }
        Ok(by_project
            .into_iter()
            .filter_map(|(name, containers)| {
                let lease = leases.get(&name).and_then(|leases| leases.first());
                view_of(
                    &name,
                    &containers,
                    &self.config.publish_address,
                    lease.map(|lease| lease.expires),
                    &|document, template| self.one_shots(&name, document, template),
                )
            })
            .map(|view| (view.name.clone(), view))
            .collect())
    }

    /// The services of the environment's file that may be done rather than running
    /// (`up --wait`'s rule, [`envctl_planner::may_complete`]); `None` when the file
    /// does not load.
    fn one_shots(
        &self,
        name: &str,
        document: &str,
        template: &str,
    ) -> Option<std::collections::HashSet<String>> {
        let directory = self.config.templates.get(template).map_or_else(
            || self.inline_directory(),
            |template| template.directory.clone(),
        );
        let target = self.target(name, Some(document.to_owned()), directory, IndexMap::new());
        let project = envctl_parser::load(&target.load).ok()?;
        Some(
            project
                .services
                .keys()
                .filter(|service| envctl_planner::may_complete(&project, service.as_str()))
                .map(|service| service.as_str().to_owned())
                .collect(),
        )
    }

    /// The operations under way and the last failures, over the engine's views.
    fn overlay(&self, views: &mut BTreeMap<String, EnvironmentView>) {
        for (name, (view, message)) in self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
        {
            let view = views.entry(name.clone()).or_insert_with(|| view.clone());
            view.state = State::Failed;
            view.error = Some(message.clone());
        }
        for (name, busy) in self
            .busy
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
        {
            let view = views
                .entry(name.clone())
                .or_insert_with(|| busy.view.clone());
            view.state = busy.state;
        }
    }

    /// Loads, checks and resolves `spec` into the file `up` will read.
    fn resolve(&self, name: &str, spec: &EnvironmentSpec) -> Result<Resolved, ApiError> {
        let (policy, directory, file, stdin, template_name) = match (&spec.template, &spec.compose)
        {
            (Some(_), Some(_)) | (None, None) => {
                return Err(ApiError::bad_request(
                    "give exactly one of `template` and `compose`",
                ));
            }
            (Some(template), None) => {
                let Some(found) = self.config.templates.get(template) else {
                    return Err(ApiError::refused(
                        format!("no template named `{template}`"),
                        vec![Problem::new(format!(
                            "the templates are: {}",
                            self.config
                                .templates
                                .keys()
                                .cloned()
                                .collect::<Vec<_>>()
                                .join(", ")
                        ))],
                    ));
                };
                (
                    Policy {
                        base: Some(found.directory.clone()),
                        read_only_binds: found.read_only_binds,
                        build: self.config.allow_build,
                        capabilities: self.config.capabilities.clone(),
                    },
                    found.directory.clone(),
                    found.file.clone(),
                    None,
                    template.clone(),
                )
            }
            (None, Some(compose)) => {
                if !self.config.allow_inline {
                    return Err(ApiError::new(
                        StatusCode::FORBIDDEN,
                        "inline_disabled",
                        "this server takes no inline compose file (start it with --allow-inline)",
                    ));
                }
                (
                    Policy {
                        base: None,
                        read_only_binds: false,
                        build: false,
                        capabilities: self.config.capabilities.clone(),
                    },
                    self.inline_directory(),
                    PathBuf::from("-"),
                    Some(compose.clone()),
                    "inline".to_owned(),
                )
            }
        };
        let main_text = match &stdin {
            Some(text) => text.clone(),
            None => std::fs::read_to_string(&file)
                .map_err(|error| ApiError::internal(format!("the template's file: {error}")))?,
        };
        let shown = if stdin.is_some() {
            "<stdin>".to_owned()
        } else {
            file.display().to_string()
        };
        let problems = policy::prescan(&policy, (&shown, &main_text));
        if !problems.is_empty() {
            return Err(ApiError::refused("the compose file is refused", problems));
        }
        let load = LoadOptions {
            files: vec![file],
            project_name: Some(name.to_owned()),
            project_directory: Some(directory.clone()),
            env_file: None,
            environment: spec.env.clone(),
            cwd: directory.clone(),
            interpolate: true,
            stdin: stdin.clone(),
            ..LoadOptions::default()
        };
        let project = envctl_parser::load(&load).map_err(|error| {
            ApiError::refused("the compose file is invalid", problems_of(&error))
        })?;
        let problems = policy::check(&policy, &project);
        if !problems.is_empty() {
            return Err(ApiError::refused("the compose file is refused", problems));
        }
        for profile in &spec.profiles {
            if !project
                .services
                .values()
                .any(|service| service.profiles.contains(profile))
            {
                return Err(ApiError::refused(
                    format!("no service has the profile `{profile}`"),
                    Vec::new(),
                ));
            }
        }
        let document =
            envctl_parser::to_compose_yaml_with(&project, &envctl_parser::RenderOptions::default());
        // The resolved form of a v1 file is not a v1 file: written back as one, so
        // that `up` and `down` load the same project (no project network, v1 names).
        let document = if project.format == envctl_parser::Format::V1 {
            crate::v1::v1_file(&document)
                .map_err(|error| ApiError::internal(format!("the resolved v1 file: {error}")))?
        } else {
            document
        };
        let mut hasher = Sha256::new();
        hasher.update(template_name.as_bytes());
        hasher.update([0]);
        hasher.update(document.as_bytes());
        hasher.update([0]);
        hasher.update(spec.profiles.join(",").as_bytes());
        let spec_hash = format!("{:x}", hasher.finalize());
        let containers = project
            .services
            .values()
            .filter(|service| {
                service.profiles.is_empty()
                    || service
                        .profiles
                        .iter()
                        .any(|profile| spec.profiles.contains(profile))
            })
            .map(|service| service.scale.unwrap_or(1) as usize)
            .sum();
        Ok(Resolved {
            document,
            directory,
            template: template_name,
            spec_hash,
            containers,
        })
    }

    /// `PUT`: creates, leaves alone, or converges.
    pub async fn apply(
        self: &Arc<Self>,
        name: &str,
        spec: EnvironmentSpec,
        token: &Token,
    ) -> Result<Applied, ApiError> {
        let ttl = match &spec.ttl {
            Some(ttl) => Some(self.check_ttl(ttl, token)?),
            None => None,
        };
        let resolved = self.resolve(name, &spec)?;
        let lock = self.lock_of(name);
        let guard = Arc::clone(&lock).lock_owned().await;
        let existing = self.get_fresh(name).await?;
        // Held until the new environment's placeholder is listed (`set_busy`).
        let quota_guard = if token.quota.environments.is_some() || token.quota.containers.is_some()
        {
            Some(self.quota.lock().await)
        } else {
            None
        };
        if let Some(existing) = &existing {
            if existing.owner != token.name {
                return Err(forbidden_owner(name));
            }
            // The same spec on a running environment changes nothing; on one that is
            // not (a server killed part-way, a container gone), `up` converges it.
            if existing.spec_hash == resolved.spec_hash && existing.state == State::Running {
                return Ok(Applied {
                    status: StatusCode::OK,
                    view: existing.clone(),
                });
            }
        }
        self.check_quota(token, name, &resolved).await?;
        let created = existing
            .as_ref()
            .and_then(|view| view.labels.get(labels::CREATED)?.parse().ok())
            .unwrap_or_else(now);
        let expires = match (ttl, &existing) {
            (Some(ttl), _) => now() + ttl.as_secs(),
            (None, Some(existing)) => existing.expires_at,
            (None, None) => now() + self.config.default_ttl.as_secs(),
        };
        let facts = Facts {
            owner: token.name.clone(),
            template: resolved.template.clone(),
            spec_hash: resolved.spec_hash.clone(),
            created,
            expires,
            profiles: spec.profiles.join(","),
        };
        let final_document = self.finish_document(&resolved.document, &facts)?;
        if existing
            .as_ref()
            .is_none_or(|existing| existing.expires_at != expires)
        {
            self.write_lease(name, expires).await?;
        }
        let status = if existing.is_some() {
            StatusCode::OK
        } else {
            StatusCode::CREATED
        };
        let view = placeholder_view(name, &facts, &resolved.document);
        self.set_failure(name, None);
        self.set_busy(
            name,
            Some(Busy {
                state: State::Creating,
                view: view.clone(),
            }),
        );
        drop(quota_guard);
        self.announce(
            if existing.is_some() {
                "updated"
            } else {
                "created"
            },
            name,
            Some(State::Creating),
            Some(&token.name),
            None,
        );
        let server = Arc::clone(self);
        let name_owned = name.to_owned();
        let profiles = spec.profiles.clone();
        let wait = spec.wait;
        let is_new = existing.is_none();
        let work = async move {
            let _guard = guard;
            let result = server
                .run_up(
                    &name_owned,
                    final_document,
                    resolved.directory,
                    profiles,
                    wait,
                    is_new,
                )
                .await;
            server.invalidate();
            server.set_busy(&name_owned, None);
            match &result {
                Ok(()) => server.announce(
                    "ready",
                    &name_owned,
                    Some(State::Running),
                    Some(&facts.owner),
                    None,
                ),
                Err(message) => {
                    server.set_failure(
                        &name_owned,
                        Some((
                            placeholder_view(&name_owned, &facts, &resolved.document),
                            message.clone(),
                        )),
                    );
                    server.announce(
                        "failed",
                        &name_owned,
                        Some(State::Failed),
                        Some(&facts.owner),
                        Some(message.clone()),
                    );
                }
            }
            result
        };
        if wait {
            match work.await {
                Ok(()) => {
                    let view = self.get(name).await?.unwrap_or(view);
                    Ok(Applied { status, view })
                }
                Err(message) => Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "failed",
                    message,
                )),
            }
        } else {
            tokio::spawn(work);
            Ok(Applied {
                status,
                view: self.get(name).await?.unwrap_or(view),
            })
        }
    }

    async fn run_up(
        &self,
        name: &str,
        document: String,
        directory: PathBuf,
        profiles: Vec<String>,
        wait: bool,
        is_new: bool,
    ) -> Result<(), String> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|error| error.to_string())?;
        let target = self.target(
            name,
            Some(document.clone()),
            directory.clone(),
            IndexMap::new(),
        );
        let request = UpRequest {
            options: UpOptions {
                profiles,
                remove_orphans: true,
                ..UpOptions::default()
            },
            wait,
            ..UpRequest::default()
        };
        let shutdown = self.shutdown.clone();
        let result = detached(move || async move {
            envctl_ops::up(&target, &request, &Silent, &shutdown)
                .await
                .map(|_| ())
        })
        .await;
        match result {
            Ok(()) => Ok(()),
            Err(error) => {
                let message = describe(&error);
                if is_new {
                    // Nothing half-made stays behind a failed creation.
                    let _ = self.run_down(name, document, directory).await;
                }
                Err(message)
            }
        }
    }

    async fn run_down(
        &self,
        name: &str,
        document: String,
        directory: PathBuf,
    ) -> Result<(), String> {
        let target = self.target(name, Some(document), directory, IndexMap::new());
        let request = DownRequest {
            options: DownOptions {
                remove_volumes: true,
                remove_orphans: true,
                ..DownOptions::default()
            },
            ..DownRequest::default()
        };
        detached(move || async move {
            envctl_ops::down(&target, &request, &Silent, &CancellationToken::new())
                .await
                .map(|_| ())
        })
        .await
        .map_err(|error| describe(&error))?;
        self.remove_leases(name).await
    }

    /// `DELETE` (and the reaper): brings the environment down with its volumes.
    pub async fn delete(
        self: &Arc<Self>,
        name: &str,
        by: Option<&Token>,
        event: &'static str,
        wait: bool,
    ) -> Result<bool, ApiError> {
        let Some(view) = self.get_fresh(name).await? else {
            self.set_failure(name, None);
            return Ok(false);
        };
        if let Some(token) = by
            && view.owner != token.name
        {
            return Err(forbidden_owner(name));
        }
        if view.state == State::Deleting {
            return Ok(true);
        }
        self.set_busy(
            name,
            Some(Busy {
                state: State::Deleting,
                view: view.clone(),
            }),
        );
        self.announce(
            "deleting",
            name,
            Some(State::Deleting),
            by.map(|token| token.name.as_str()),
            None,
        );
        let server = Arc::clone(self);
        let by_name = by.map(|token| token.name.clone());
        let name = name.to_owned();
        let work = async move {
            server
                .finish_delete(&name, &view, by_name.as_deref(), event)
                .await;
        };
        if wait {
            work.await;
        } else {
            tokio::spawn(work);
        }
        Ok(true)
    }

    async fn finish_delete(
        &self,
        name: &str,
        view: &EnvironmentView,
        by: Option<&str>,
        event: &str,
    ) {
        let lock = self.lock_of(name);
        let _guard = lock.lock().await;
        let permit = self.permits.acquire().await;
        // The current file: another request may have changed it meanwhile.
        let document = match self.get_fresh(name).await {
            Ok(Some(current)) if !current.document.is_empty() => current.document,
            _ => view.document.clone(),
        };
        let directory = self.directory_of(view);
        let result = self.run_down(name, document, directory).await;
        drop(permit);
        self.invalidate();
        self.set_busy(name, None);
        self.set_failure(name, None);
        match result {
            Ok(()) => self.announce(event, name, None, by, None),
            Err(message) => self.announce("failed", name, Some(State::Failed), by, Some(message)),
        }
    }

    /// `PATCH {ttl}`: a new expiry, from now: a new lease; the containers are
    /// not touched.
    pub async fn extend(
        self: &Arc<Self>,
        name: &str,
        ttl: &str,
        token: &Token,
    ) -> Result<EnvironmentView, ApiError> {
        let ttl = self.check_ttl(ttl, token)?;
        let lock = self.lock_of(name);
        let _guard = lock.lock().await;
        let Some(view) = self.get_fresh(name).await? else {
            return Err(ApiError::not_found(name));
        };
        if view.owner != token.name {
            return Err(forbidden_owner(name));
        }
        if matches!(view.state, State::Deleting | State::Creating) {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "busy",
                format!("`{name}` is being changed; try again"),
            ));
        }
        let expires = now() + ttl.as_secs();
        self.write_lease(name, expires).await.inspect_err(|error| {
            // The audit line of a failed PATCH; the environment itself is as it was.
            self.announce(
                "failed",
                name,
                None,
                Some(&token.name),
                Some(error.message.clone()),
            );
        })?;
        self.announce(
            "extended",
            name,
            None,
            Some(&token.name),
            Some(rfc3339(expires)),
        );
        self.get_fresh(name)
            .await?
            .ok_or_else(|| ApiError::not_found(name))
    }

    /// The target of a read or a one-off on the environment `view` shows.
    pub fn target_of(&self, view: &EnvironmentView) -> Target {
        self.target(
            &view.name,
            Some(view.document.clone()),
            self.directory_of(view),
            IndexMap::new(),
        )
    }

    fn directory_of(&self, view: &EnvironmentView) -> PathBuf {
        self.config.templates.get(&view.template).map_or_else(
            || self.inline_directory(),
            |template| template.directory.clone(),
        )
    }

    fn check_ttl(&self, ttl: &str, token: &Token) -> Result<Duration, ApiError> {
        let duration = parse_duration(ttl).ok_or_else(|| {
            ApiError::bad_request(format!(
                "invalid `ttl` `{ttl}`: expected a number and a unit, `90s`, `10m`, `2h` or `1d`"
            ))
        })?;
        let longest = token
            .quota
            .ttl
            .map_or(self.config.max_ttl, |quota| quota.min(self.config.max_ttl));
        if duration > longest {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "quota",
                format!(
                    "`ttl` {ttl} is longer than this token may ask for ({}s)",
                    longest.as_secs()
                ),
            ));
        }
        Ok(duration)
    }

    /// The token's quotas on `name` made or changed from `resolved` (`quota.rs`).
    async fn check_quota(
        &self,
        token: &Token,
        name: &str,
        resolved: &Resolved,
    ) -> Result<(), ApiError> {
        if token.quota.environments.is_none() && token.quota.containers.is_none() {
            return Ok(());
        }
        let mine: Vec<EnvironmentView> = self
            .list()
            .await?
            .into_iter()
            .filter(|view| view.owner == token.name)
            .collect();
        crate::quota::check(&token.quota, &mine, name, resolved.containers)
    }

    /// The resolved file with the server's labels, default limits, and published
    /// ports bound to the configured address.
    fn finish_document(&self, document: &str, facts: &Facts) -> Result<String, ApiError> {
        let mut root: Yaml = serde_yaml::from_str(document)
            .map_err(|error| ApiError::internal(format!("the resolved file: {error}")))?;
        let version = root
            .get("version")
            .and_then(Yaml::as_str)
            .map(ToOwned::to_owned);
        let mut server_labels = serde_yaml::Mapping::new();
        for (key, value) in [
            (labels::OWNER, facts.owner.clone()),
            (labels::TEMPLATE, facts.template.clone()),
            (labels::SPEC_HASH, facts.spec_hash.clone()),
            (labels::CREATED, facts.created.to_string()),
            (labels::PROFILES, facts.profiles.clone()),
            (labels::DOCUMENT, escape_dollars(document)),
        ] {
            server_labels.insert(Yaml::from(key), Yaml::from(value));
        }
        let limits = &self.config.limits;
        let minor = version
            .as_deref()
            .and_then(|version| version.strip_prefix("2."))
            .and_then(|minor| minor.parse::<u32>().ok());
        let services = match root.get_mut("services") {
            Some(services) => services,
            None => &mut root,
        };
        let Some(services) = services.as_mapping_mut() else {
            return Ok(document.to_owned());
        };
        for (_, service) in services.iter_mut() {
            let Some(service) = service.as_mapping_mut() else {
                continue;
            };
            let labels_entry = service
                .entry(Yaml::from("labels"))
                .or_insert_with(|| Yaml::Mapping(serde_yaml::Mapping::new()));
            if let Some(mapping) = labels_entry.as_mapping_mut() {
                for (key, value) in &server_labels {
                    mapping.insert(key.clone(), value.clone());
                }
            }
            match version.as_deref() {
                Some(version) if version.starts_with('3') => {
                    let deploy = service
                        .entry(Yaml::from("deploy"))
                        .or_insert_with(|| Yaml::Mapping(serde_yaml::Mapping::new()));
                    if let Some(deploy) = deploy.as_mapping_mut() {
                        let resources = deploy
                            .entry(Yaml::from("resources"))
                            .or_insert_with(|| Yaml::Mapping(serde_yaml::Mapping::new()));
                        if let Some(resources) = resources.as_mapping_mut() {
                            let limits_entry = resources
                                .entry(Yaml::from("limits"))
                                .or_insert_with(|| Yaml::Mapping(serde_yaml::Mapping::new()));
                            if let Some(mapping) = limits_entry.as_mapping_mut() {
                                mapping
                                    .entry(Yaml::from("memory"))
                                    .or_insert_with(|| Yaml::from(limits.memory.clone()));
                                mapping
                                    .entry(Yaml::from("cpus"))
                                    .or_insert_with(|| Yaml::from(limits.cpus.clone()));
                            }
                        }
                    }
                }
                _ => {
                    service
                        .entry(Yaml::from("mem_limit"))
                        .or_insert_with(|| Yaml::from(limits.memory.clone()));
                    if minor.is_some_and(|minor| minor >= 1) {
                        service
                            .entry(Yaml::from("pids_limit"))
                            .or_insert_with(|| Yaml::from(limits.pids));
                    }
                    if minor.is_some_and(|minor| minor >= 2) {
                        service
                            .entry(Yaml::from("cpus"))
                            .or_insert_with(|| Yaml::from(limits.cpus.clone()));
                    }
                }
            }
            if let Some(ports) = service.get_mut("ports").and_then(Yaml::as_sequence_mut) {
                for port in ports.iter_mut() {
                    let rewritten = match port {
                        Yaml::String(text) => {
                            Some(format!("{}::{text}", self.config.publish_address))
                        }
                        Yaml::Number(number) => {
                            Some(format!("{}::{number}", self.config.publish_address))
                        }
                        Yaml::Mapping(mapping) => {
                            let target = mapping.get("target").map(|target| match target {
                                Yaml::Number(number) => number.to_string(),
                                Yaml::String(text) => text.clone(),
                                _ => String::new(),
                            });
                            let protocol = mapping
                                .get("protocol")
                                .and_then(Yaml::as_str)
                                .unwrap_or("tcp");
                            target.map(|target| {
                                format!("{}::{target}/{protocol}", self.config.publish_address)
                            })
                        }
                        _ => None,
                    };
                    if let Some(rewritten) = rewritten {
                        *port = Yaml::from(rewritten);
                    }
                }
            }
        }
        serde_yaml::to_string(&root)
            .map_err(|error| ApiError::internal(format!("the resolved file: {error}")))
    }

    /// The reaper: brings down every environment past its expiry, now and then
    /// every `reap_interval`, until the server stops.
    /// It starts the watcher of the engine's events ([`Server::watch`]) too.
    pub async fn reap(self: Arc<Self>) {
        tokio::spawn(Arc::clone(&self).watch());
        loop {
            if let Ok(views) = self.list().await {
                let now = now();
                for view in &views {
                    if view.expires_at != 0
                        && view.expires_at <= now
                        && view.state != State::Deleting
                    {
                        let _ = self.delete(&view.name, None, "reaped", false).await;
                    }
                }
                // A lease left by an environment that went another way (`docker
                // rm`, `envctl down`), a minute past its expiry.
                if let Ok(leases) = self.leases().await {
                    let orphans: Vec<String> = leases
                        .into_iter()
                        .filter(|(name, _)| !views.iter().any(|view| &view.name == name))
                        .flat_map(|(_, leases)| leases)
                        .filter(|lease| lease.expires + 60 <= now)
                        .map(|lease| lease.volume)
                        .collect();
                    let _ =
                        envctl_ops::remove_labelled_volumes(&self.config.engine, &orphans).await;
                }
            }
            tokio::select! {
                () = self.shutdown.cancelled() => return,
                () = tokio::time::sleep(self.config.reap_interval) => {}
            }
        }
    }
}

/// Runs an operation on a thread of its own (in the same runtime): the
/// operations' futures are not `Send` (the executor's streams borrow across
/// awaits), and a server spawns them from tasks that must be.
pub async fn detached<F, Fut, T>(make: F) -> T
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = T>,
    T: Send + 'static,
{
    let handle = tokio::runtime::Handle::current();
    match tokio::task::spawn_blocking(move || handle.block_on(make())).await {
        Ok(value) => value,
        Err(error) => std::panic::resume_unwind(error.into_panic()),
    }
}

struct Resolved {
    document: String,
    directory: PathBuf,
    template: String,
    spec_hash: String,
    containers: usize,
}

struct Facts {
    owner: String,
    template: String,
    spec_hash: String,
    created: u64,
    expires: u64,
    profiles: String,
}

fn forbidden_owner(name: &str) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "not_owner",
        format!("the environment `{name}` belongs to another token"),
    )
}

/// An operation's error as one line (every problem of a run, joined).
fn describe(error: &OpsError) -> String {
    let problems = problems_of(error);
    if problems.len() <= 1 {
        return error.to_string();
    }
    problems
        .into_iter()
        .map(|problem| problem.message)
        .collect::<Vec<_>>()
        .join("; ")
}

fn placeholder_view(name: &str, facts: &Facts, document: &str) -> EnvironmentView {
    let mut labels = HashMap::new();
    labels.insert(labels::CREATED.to_owned(), facts.created.to_string());
    labels.insert(labels::PROFILES.to_owned(), facts.profiles.clone());
    EnvironmentView {
        name: name.to_owned(),
        state: State::Creating,
        owner: facts.owner.clone(),
        template: facts.template.clone(),
        spec_hash: facts.spec_hash.clone(),
        created: rfc3339(facts.created),
        expires: rfc3339(facts.expires),
        services: desired_services(document, &facts.profiles),
        endpoints: Vec::new(),
        error: None,
        expires_at: facts.expires,
        document: document.to_owned(),
        labels,
    }
}

/// Each service of the resolved file the profiles enable, with its desired count.
fn desired_services(document: &str, profiles: &str) -> BTreeMap<String, ServiceView> {
    let enabled: Vec<&str> = profiles
        .split(',')
        .filter(|profile| !profile.is_empty())
        .collect();
    let Ok(root) = serde_yaml::from_str::<Yaml>(document) else {
        return BTreeMap::new();
    };
    let services = root.get("services").unwrap_or(&root);
    let Some(services) = services.as_mapping() else {
        return BTreeMap::new();
    };
    services
        .iter()
        .filter_map(|(name, service)| {
            let name = name.as_str()?;
            if name == "version" {
                return None;
            }
            let service_profiles: Vec<&str> = service
                .get("profiles")
                .and_then(Yaml::as_sequence)
                .map(|items| items.iter().filter_map(Yaml::as_str).collect())
                .unwrap_or_default();
            if !service_profiles.is_empty()
                && !service_profiles
                    .iter()
                    .any(|profile| enabled.contains(profile))
            {
                return None;
            }
            let desired = service
                .get("scale")
                .or_else(|| {
                    service
                        .get("deploy")
                        .and_then(|deploy| deploy.get("replicas"))
                })
                .and_then(Yaml::as_u64)
                .map_or(1, |scale| usize::try_from(scale).unwrap_or(1));
            Some((
                name.to_owned(),
                ServiceView {
                    running: 0,
                    desired,
                    health: Vec::new(),
                    exit_codes: Vec::new(),
                },
            ))
        })
        .collect()
}

/// An environment as its containers tell it.
fn view_of(
    name: &str,
    containers: &[ContainerDetails],
    publish_address: &str,
    lease_expires: Option<u64>,
    one_shots: &dyn Fn(&str, &str) -> Option<std::collections::HashSet<String>>,
) -> Option<EnvironmentView> {
    let containers: Vec<&ContainerDetails> = containers
        .iter()
        .filter(|container| {
            container
                .labels
                .get(labels::ONEOFF)
                .is_none_or(|oneoff| oneoff != "True")
        })
        .collect();
    // The newest container carries the newest facts (a converge recreates them).
    let newest = containers
        .iter()
        .max_by_key(|container| container.created)?;
    let facts = &newest.labels;
    let created: u64 = facts.get(labels::CREATED)?.parse().ok()?;
    // The lease, else (a container made before leases) the container's label.
    let expires: u64 = lease_expires.or_else(|| facts.get(labels::EXPIRES)?.parse().ok())?;
    let profiles = facts.get(labels::PROFILES).cloned().unwrap_or_default();
    let document = facts.get(labels::DOCUMENT).cloned().unwrap_or_default();
    let mut services = desired_services(&document, &profiles);
    let mut endpoints = Vec::new();
    let mut unhealthy = false;
    let mut starting = false;
    for container in &containers {
        let Some(service) = container.labels.get(labels::SERVICE) else {
            continue;
        };
        let entry = services.entry(service.clone()).or_insert(ServiceView {
            running: 0,
            desired: 0,
            health: Vec::new(),
            exit_codes: Vec::new(),
        });
        if container.state.is_running() {
            entry.running += 1;
        } else {
            entry.exit_codes.push(container.exit_code);
        }
        if let Some(health) = &container.health {
            unhealthy |= health == "unhealthy";
            starting |= health == "starting";
            entry.health.push(health.clone());
        }
        for (target, bindings) in &container.ports {
            for (host, port) in bindings {
                let Ok(port) = port.parse::<u16>() else {
                    continue;
                };
                let host = if host.is_empty() || host == "0.0.0.0" || host == "::" {
                    publish_address.to_owned()
                } else {
                    host.clone()
                };
                let shown_host = if host.contains(':') {
                    format!("[{host}]")
                } else {
                    host.clone()
                };
                endpoints.push(Endpoint {
                    service: service.clone(),
                    target: target.clone(),
                    url: target
                        .ends_with("/tcp")
                        .then(|| format!("http://{shown_host}:{port}/")),
                    host,
                    port,
                });
            }
        }
    }
    endpoints
        .sort_by(|a, b| (&a.service, &a.target, &a.host).cmp(&(&b.service, &b.target, &b.host)));
    endpoints.dedup();
    // A one-shot whose containers all exited 0 has done its work (a data or job
    // container): the rule of `up --wait`.
    let template = facts.get(labels::TEMPLATE).cloned().unwrap_or_default();
    let one_shots = one_shots(&document, &template);
    let complete = |(service_name, service): (&String, &ServiceView)| {
        service.running >= service.desired
            || (service.running == 0
                && !service.exit_codes.is_empty()
                && service.exit_codes.iter().all(|code| *code == 0)
                && one_shots
                    .as_ref()
                    .is_none_or(|one_shots| one_shots.contains(service_name)))
    };
    let state = if starting {
        State::Creating
    } else if services.iter().all(complete) && !unhealthy {
        State::Running
    } else if services.values().all(|service| service.running == 0) {
        State::Failed
    } else {
        State::Degraded
    };
    Some(EnvironmentView {
        name: name.to_owned(),
        state,
        owner: facts.get(labels::OWNER).cloned().unwrap_or_default(),
        template: facts.get(labels::TEMPLATE).cloned().unwrap_or_default(),
        spec_hash: facts.get(labels::SPEC_HASH).cloned().unwrap_or_default(),
        created: rfc3339(created),
        expires: rfc3339(expires),
        services,
        endpoints,
        error: None,
        expires_at: expires,
        document,
        labels: facts.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_796_303_999), "2026-12-03T13:19:59Z");
    }

    fn container(
        service: &str,
        running: bool,
        exit_code: i64,
        expires: Option<&str>,
    ) -> ContainerDetails {
        let document =
            "version: '2.4'\nservices:\n  web: {image: a}\n  db: {image: a, restart: always}\n";
        let mut labels: HashMap<String, String> = [
            (labels::PROJECT, "env"),
            (labels::SERVICE, service),
            (labels::OWNER, "writer"),
            (labels::TEMPLATE, "web"),
            (labels::CREATED, "100"),
            (labels::DOCUMENT, document),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .collect();
        if let Some(expires) = expires {
            labels.insert(labels::EXPIRES.to_owned(), expires.to_owned());
        }
        ContainerDetails {
            id: format!("{service}-id"),
            name: format!("env_{service}_1"),
            labels,
            state: if running {
                envctl_planner::ContainerState::Running
            } else {
                envctl_planner::ContainerState::Exited
            },
            exit_code,
            health: None,
            created: 1,
            mounts: Vec::new(),
            has_links: false,
            command: Vec::new(),
            ports: Vec::new(),
            env: Vec::new(),
            volumes_from: Vec::new(),
            links: Vec::new(),
            image: String::new(),
        }
    }

    /// The file's one-shots, as `Server::one_shots` gives them (the signature
    /// `view_of` takes).
    #[allow(clippy::unnecessary_wraps)]
    fn web_is_a_one_shot(_: &str, _: &str) -> Option<std::collections::HashSet<String>> {
        Some(["web".to_owned()].into_iter().collect())
    }

    #[test]
    fn the_lease_holds_the_expiry_and_a_container_label_is_the_fallback() {
        let labelled = [container("web", true, 0, Some("500"))];
        let view = view_of("env", &labelled, "127.0.0.1", Some(900), &web_is_a_one_shot).unwrap();
        assert_eq!(view.expires_at, 900);
        let view = view_of("env", &labelled, "127.0.0.1", None, &web_is_a_one_shot).unwrap();
        assert_eq!(view.expires_at, 500);
        let unlabelled = [container("web", true, 0, None)];
        assert!(view_of("env", &unlabelled, "127.0.0.1", None, &web_is_a_one_shot).is_none());
    }

    #[test]
    fn only_a_one_shot_that_exited_0_is_complete() {
        let state = |containers: &[ContainerDetails]| {
            view_of(
                "env",
                containers,
                "127.0.0.1",
                Some(900),
                &web_is_a_one_shot,
            )
            .unwrap()
            .state
        };
        let cases = [
            ((true, 0), (true, 0), State::Running),
            ((false, 0), (true, 0), State::Running),
            ((false, 1), (true, 0), State::Degraded),
            ((true, 0), (false, 0), State::Degraded),
            ((false, 0), (false, 0), State::Failed),
        ];
        for ((web_running, web_code), (db_running, db_code), expected) in cases {
            let containers = [
                container("web", web_running, web_code, None),
                container("db", db_running, db_code, None),
            ];
            assert_eq!(
                state(&containers),
                expected,
                "web {web_running} {web_code}, db {db_running} {db_code}"
            );
        }
    }

    #[test]
    fn desired_counts_follow_profiles_and_scale() {
        let document = "services:\n  web:\n    image: a\n    scale: 2\n  debug:\n    image: a\n    profiles: [debug]\nversion: '2.4'\n";
        let services = desired_services(document, "");
        assert_eq!(services.keys().collect::<Vec<_>>(), ["web"]);
        assert_eq!(services["web"].desired, 2);
        assert_eq!(desired_services(document, "debug").len(), 2);
    }
}
