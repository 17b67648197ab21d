//! What every operation is about: the project (its files, name and environment,
//! as the front end resolved them) and the engine to reach.

use std::path::PathBuf;

use envctl_executor::{Endpoint, ExecutorError, TlsFlags, endpoint};
use envctl_parser::LoadOptions;
use indexmap::IndexMap;

/// The project and the engine an operation acts on. Nothing here is read from the
/// process: the front end passes the environment in (`load.environment`,
/// `engine.settings`), so that two callers in one process can target two projects.
#[derive(Debug, Clone)]
pub struct Target {
    /// The files, the project name and directory, `.env`, the environment.
    pub load: LoadOptions,
    pub engine: EngineTarget,
    /// How many engine requests at once (`COMPOSE_PARALLEL_LIMIT`, checked by the
    /// front end).
    pub parallel_limit: usize,
    /// Where the project's lock file is made; `None`: no lock is taken.
    pub lock_directory: Option<PathBuf>,
}

/// Which engine, and how securely: the inputs of
/// [`envctl_executor::endpoint::resolve`].
#[derive(Debug, Clone, Default)]
pub struct EngineTarget {
    /// `-H`.
    pub host: Option<String>,
    pub tls: TlsFlags,
    /// `DOCKER_HOST`, `DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH`, `DOCKER_MACHINE_NAME`:
    /// the environment passed in, over `.env`.
    pub settings: IndexMap<String, String>,
    /// The user's home (for `~/.docker`).
    pub home: Option<PathBuf>,
}

impl EngineTarget {
    /// The engine's endpoint.
    pub fn endpoint(&self) -> Result<Endpoint, ExecutorError> {
        endpoint::resolve(
            self.host.as_deref(),
            &self.tls,
            &|name| self.settings.get(name).cloned(),
            self.home.as_deref(),
        )
    }
}
