//! Every way talking to the engine can fail.
//!
//! Each error names what envctl was doing (the service, the operation, the
//! container) and keeps the engine's own answer as its `#[source]`, so that the CLI
//! can print both.

use std::fmt;

use miette::Diagnostic;
use thiserror::Error;

pub use crate::docker::EngineError;

/// What envctl asked the engine to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operation {
    List,
    Inspect,
    InspectImage,
    Create,
    Start,
    Stop,
    Rename,
    Remove,
    Logs,
    Version,
    Info,
    Kill,
    Pause,
    Unpause,
    Restart,
    Events,
    Exec,
    Top,
    CreateNetwork,
    RemoveNetwork,
    ConnectNetwork,
    DisconnectNetwork,
    InspectNetwork,
    CreateVolume,
    RemoveVolume,
    InspectVolume,
    Wait,
}

impl fmt::Display for Operation {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            Self::List => "list containers",
            Self::Inspect => "inspect container",
            Self::InspectImage => "inspect image",
            Self::Create => "create container",
            Self::Start => "start container",
            Self::Stop => "stop container",
            Self::Rename => "rename container",
            Self::Remove => "remove container",
            Self::Logs => "follow the output of container",
            Self::Version => "report the version of",
            Self::Info => "describe",
            Self::Kill => "kill container",
            Self::Pause => "pause container",
            Self::Unpause => "unpause container",
            Self::Restart => "restart container",
            Self::Events => "watch the events of project",
            Self::Exec => "run a command in container",
            Self::Top => "list the processes of container",
            Self::CreateNetwork => "create network",
            Self::RemoveNetwork => "remove network",
            Self::ConnectNetwork => "connect a container to network",
            Self::DisconnectNetwork => "disconnect a container from network",
            Self::InspectNetwork => "inspect network",
            Self::CreateVolume => "create volume",
            Self::RemoveVolume => "remove volume",
            Self::InspectVolume => "inspect volume",
            Self::Wait => "wait for container",
        })
    }
}

/// How the connection to the engine failed, when the engine never answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionProblem {
    /// Closed or reset while a request was under way: the engine stopped, restarted
    /// or crashed (or a proxy in between did).
    Closed,
    /// Nothing listens at the address any more.
    Refused,
    /// No socket at the path.
    NoSocket,
    /// The socket exists, and this user may not use it.
    PermissionDenied,
    /// The connection was taken and no answer came within `COMPOSE_HTTP_TIMEOUT`.
    TimedOut,
}

impl fmt::Display for ConnectionProblem {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            Self::Closed => "the connection was closed",
            Self::Refused => "connection refused",
            Self::NoSocket => "no such socket",
            Self::PermissionDenied => "permission denied",
            Self::TimedOut => {
                "no answer within `COMPOSE_HTTP_TIMEOUT` (60 seconds unless set; raise it for a slow engine)"
            }
        })
    }
}

#[derive(Debug, Error, Diagnostic)]
#[non_exhaustive]
pub enum ExecutorError {
    /// No engine answers at `address` (or it is not an engine).
    #[error("Couldn't connect to Docker daemon at {address} - is it running?")]
    #[diagnostic(code(envctl::engine_unreachable))]
    Connect {
        /// The engine as `Endpoint::quoted` names it.
        address: String,
        /// What to try ([`ExecutorError::connect_advice`]).
        #[help]
        advice: &'static str,
        #[source]
        source: EngineError,
    },

    /// The engine took the connection and did not answer in time.
    #[error(
        "the Docker Engine at {address} did not answer within {seconds} seconds (`COMPOSE_HTTP_TIMEOUT`)"
    )]
    #[diagnostic(
        code(envctl::engine_timeout),
        help(
            "the engine may be hung or overloaded; once `docker info` answers, run the command again, or set `COMPOSE_HTTP_TIMEOUT` higher for a slow engine"
        )
    )]
    Timeout {
        address: String,
        seconds: u64,
        #[source]
        source: EngineError,
    },

    /// The engine's socket is there, and this user may not connect to it.
    #[error("permission denied while connecting to the Docker Engine at {address}")]
    #[diagnostic(code(envctl::engine_permission_denied))]
    PermissionDenied {
        address: String,
        /// Who may use the socket, and how to be one of them.
        #[help]
        advice: String,
        #[source]
        source: EngineError,
    },

    /// The connection to the engine was lost while a step of the plan was under
    /// way, or refused for a later one: the engine stopped, restarted or crashed.
    /// Whether the request in flight was carried out is unknown.
    #[error(
        "service `{service}`: lost the connection to the Docker Engine at {address} while trying to {operation} `{container}`: {problem}"
    )]
    #[diagnostic(
        code(envctl::connection_lost),
        help(
            "the engine may have stopped or restarted; once `docker info` answers, run the command again: it carries on from what the engine holds"
        )
    )]
    ConnectionLost {
        service: String,
        operation: Operation,
        container: String,
        address: String,
        problem: ConnectionProblem,
        #[source]
        source: Box<EngineError>,
    },

    /// As [`ExecutorError::ConnectionLost`], outside a step: while reading or
    /// watching the project's state, or making its networks and volumes.
    #[error(
        "lost the connection to the Docker Engine at {address} while trying to {operation} `{subject}`: {problem}"
    )]
    #[diagnostic(
        code(envctl::connection_lost),
        help(
            "the engine may have stopped or restarted; once `docker info` answers, run the command again"
        )
    )]
    EngineConnectionLost {
        operation: Operation,
        subject: String,
        address: String,
        problem: ConnectionProblem,
        #[source]
        source: Box<EngineError>,
    },

    /// `DOCKER_HOST` / `-H` is not an address envctl can use.
    #[error("unsupported engine address `{address}`: {reason}")]
    #[diagnostic(
        code(envctl::engine_address),
        help(
            "use `unix:///path/to/docker.sock`, `tcp://host:port` or `host:port` (with TLS: `DOCKER_TLS_VERIFY=1` and `DOCKER_CERT_PATH`, or `--tlsverify`)"
        )
    )]
    UnsupportedAddress { address: String, reason: String },

    /// A certificate or key file TLS needs cannot be read or holds nothing usable.
    #[error("cannot use the {what} `{path}` for {endpoint}: {problem}")]
    #[diagnostic(
        code(envctl::tls_file),
        help(
            "`DOCKER_CERT_PATH` (default `~/.docker`) must hold `ca.pem`, `cert.pem` and `key.pem`, or name them with `--tlscacert`, `--tlscert`, `--tlskey`; for docker-machine, run `eval $(docker-machine env NAME)`"
        )
    )]
    TlsFile {
        endpoint: String,
        /// `CA certificate`, `client certificate`, `client key`.
        what: &'static str,
        path: std::path::PathBuf,
        problem: String,
    },

    /// The TLS handshake with the engine failed: the certificates do not fit.
    #[error("TLS with the Docker Engine at {endpoint} failed: {problem}")]
    #[diagnostic(code(envctl::tls_refused))]
    Tls {
        endpoint: String,
        problem: String,
        #[help]
        advice: String,
        #[source]
        source: Box<EngineError>,
    },

    /// The engine refused a request made while reading the project's state.
    #[error("the engine failed to {operation} `{subject}`")]
    #[diagnostic(code(envctl::engine))]
    Engine {
        operation: Operation,
        subject: String,
        #[source]
        source: EngineError,
    },

    /// The swarm manager refused a request of `stack` (or it is no manager).
    #[error("the swarm manager failed to {action} `{subject}`")]
    #[diagnostic(code(envctl::swarm))]
    Swarm {
        action: &'static str,
        subject: String,
        #[source]
        source: EngineError,
    },

    /// The engine refused a step of the plan.
    #[error("service `{service}`: failed to {operation} `{container}`")]
    #[diagnostic(code(envctl::step_failed))]
    Step {
        service: String,
        operation: Operation,
        container: String,
        #[source]
        source: EngineError,
    },

    /// A step needs a container of another service, and there is none.
    #[error("service `{service}`: {reference} `{target}` has no container")]
    #[diagnostic(
        code(envctl::unresolved_reference),
        help("create `{target}` first, e.g. run `envctl up` without `--no-deps`")
    )]
    Unresolved {
        service: String,
        /// `links`, `volumes_from`, `net`, `pid`, `ipc`.
        reference: &'static str,
        target: String,
    },

    /// The service sets an option this engine API cannot take.
    #[error("service `{service}`: `{option}` is not supported yet")]
    #[diagnostic(code(envctl::unsupported_option))]
    Unsupported {
        service: String,
        option: &'static str,
    },

    /// A `command`/`entrypoint` string cannot be split into words.
    #[error("service `{service}`: cannot split `{key}`: {message}")]
    #[diagnostic(code(envctl::invalid_command))]
    InvalidCommand {
        service: String,
        key: &'static str,
        message: String,
    },

    /// The task carrying a step out panicked (a bug in envctl).
    #[error("service `{service}`: the step for `{container}` panicked")]
    #[diagnostic(
        code(envctl::step_panicked),
        help("this is a bug in envctl; please report it with the output of `--verbose`")
    )]
    Panicked { service: String, container: String },

    /// The engine could not pull a service's image.
    #[error("service `{service}`: failed to pull image `{image}`")]
    #[diagnostic(
        code(envctl::pull_failed),
        help("check the image's name, the registry, and `docker login` for a private one")
    )]
    Pull {
        service: String,
        image: String,
        #[source]
        source: EngineError,
    },

    /// A service's image could not be built.
    #[error("service `{service}`: failed to build image `{image}`: {reason}")]
    #[diagnostic(code(envctl::build_failed))]
    Build {
        service: String,
        image: String,
        reason: String,
    },

    /// A network or volume marked `external` does not exist.
    #[error("{kind} `{name}` is declared as external, but could not be found")]
    #[diagnostic(
        code(envctl::external_missing),
        help("create it first with `docker {kind} create {name}`, then run the command again")
    )]
    ExternalMissing {
        /// `network` or `volume`.
        kind: &'static str,
        name: String,
    },

    /// An existing network or volume is no longer what the file says.
    #[error(transparent)]
    #[diagnostic(transparent)]
    ResourceChanged(#[from] Box<envctl_planner::ResourceChanged>),

    /// A `depends_on` condition cannot be met (1.29.2's `for web  …` first).
    #[error("for {service}  dependency `{dependency}` {problem}")]
    #[diagnostic(code(envctl::dependency_failed))]
    DependencyFailed {
        service: String,
        dependency: String,
        /// `is unhealthy (container `x`)`, `exited with code 1 (container `x`)`, …
        problem: String,
        #[help]
        advice: Option<String>,
    },

    /// `up --wait`: a container did not become running (and healthy).
    #[error("service `{service}`: container `{container}` {problem}")]
    #[diagnostic(code(envctl::wait_failed))]
    WaitFailed {
        service: String,
        container: String,
        problem: String,
    },

    /// Interrupted before the step could run.
    #[error("service `{service}`: interrupted before `{container}` was handled")]
    #[diagnostic(code(envctl::interrupted))]
    Interrupted { service: String, container: String },
}

impl ExecutorError {
    /// What to try when the engine at `endpoint` could not be reached: a plain
    /// `tcp://` connection that the other side closed without an answer is most
    /// likely an engine that speaks TLS (docker-machine's port 2376). See: #16
    pub(crate) fn connect_advice(
        endpoint: &crate::endpoint::Endpoint,
        problem: Option<ConnectionProblem>,
    ) -> &'static str {
        let plain_tcp = matches!(endpoint.address, crate::endpoint::EngineAddress::Tcp(_))
            && endpoint.tls.is_none();
        if plain_tcp && problem == Some(ConnectionProblem::Closed) {
            "the engine closed the connection without answering: it may want TLS; set `DOCKER_TLS_VERIFY=1` and `DOCKER_CERT_PATH` (for docker-machine, `eval $(docker-machine env NAME)`), or pass `--tlsverify`"
        } else {
            "is the engine running? is DOCKER_HOST right? for docker-machine, run `eval $(docker-machine env NAME)`"
        }
    }

    /// The engine could not be reached, or refused a request outside a plan step:
    /// the CLI's exit code 3. (A malformed address is the invocation's problem.)
    pub fn is_engine_failure(&self) -> bool {
        matches!(
            self,
            Self::Connect { .. }
                | Self::Timeout { .. }
                | Self::PermissionDenied { .. }
                | Self::Engine { .. }
                | Self::Tls { .. }
                | Self::ConnectionLost { .. }
                | Self::EngineConnectionLost { .. }
        )
    }

    /// A step failed because the connection to the engine at `address` was lost
    /// (or refused): that step as [`ExecutorError::ConnectionLost`]; anything else
    /// as it is.
    pub(crate) fn or_connection_lost(self, address: &str) -> Self {
        match self {
            Self::Step {
                service,
                operation,
                container,
                source,
            } => match crate::docker::connection_problem(&source) {
                Some(problem) => Self::ConnectionLost {
                    service,
                    operation,
                    container,
                    address: address.to_owned(),
                    problem,
                    source: Box::new(source),
                },
                None => Self::Step {
                    service,
                    operation,
                    container,
                    source,
                },
            },
            other => other,
        }
    }
}

impl RunError {
    /// Some step lost the connection to the engine: the run stopped half-way for a
    /// reason outside the project (the CLI's exit code 3).
    pub fn lost_connection(&self) -> bool {
        self.errors.iter().any(|error| {
            matches!(
                error,
                ExecutorError::ConnectionLost { .. } | ExecutorError::EngineConnectionLost { .. }
            )
        })
    }
}

/// Some steps of a plan failed; the others ran (see `run`'s failure policy).
#[derive(Debug, Error, Diagnostic)]
#[error("encountered errors while bringing the project to the planned state ({} failed, {} skipped)", errors.len(), skipped)]
#[diagnostic(code(envctl::run_failed))]
pub struct RunError {
    #[related]
    pub errors: Vec<ExecutorError>,
    /// Steps not run because a step they wait for failed.
    pub skipped: usize,
}
