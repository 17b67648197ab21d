//! How the server is set up: where it listens, its templates, tokens and limits.
//! The front end (`envctl serve`) fills a [`ServerConfig`]; nothing here reads the
//! process environment.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use envctl_ops::EngineTarget;
use indexmap::IndexMap;

use crate::error::ServerError;
use crate::tokens::Tokens;

/// Where the server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listen {
    Tcp(SocketAddr),
    /// A unix socket, made with mode 0600.
    Unix(PathBuf),
}

impl Listen {
    /// `HOST:PORT` or `unix:PATH`. Whether the address may be served is
    /// [`Listen::check_exposure`]'s question.
    pub fn parse(text: &str) -> Result<Self, ServerError> {
        if let Some(path) = text.strip_prefix("unix:") {
            if path.is_empty() {
                return Err(ServerError::Listen(text.to_owned()));
            }
            return Ok(Self::Unix(PathBuf::from(path)));
        }
        let address: SocketAddr = text
            .parse()
            .or_else(|_| {
                // `localhost:8080`.
                text.strip_prefix("localhost:")
                    .and_then(|port| port.parse::<u16>().ok())
                    .map(|port| SocketAddr::from(([127, 0, 0, 1], port)))
                    .ok_or(())
            })
            .map_err(|()| ServerError::Listen(text.to_owned()))?;
        Ok(Self::Tcp(address))
    }

    /// An API that runs containers is root on its host: any address but a unix
    /// socket or a loopback one is served only with TLS, and a unix socket never
    /// with TLS (its mode is what guards it; a client would not expect TLS there).
    pub fn check_exposure(&self, tls: bool) -> Result<(), ServerError> {
        match self {
            Self::Unix(path) if tls => {
                Err(ServerError::UnixTls(format!("unix:{}", path.display())))
            }
            Self::Tcp(address) if !tls && !address.ip().is_loopback() => {
                Err(ServerError::NotLoopback(address.to_string()))
            }
            _ => Ok(()),
        }
    }

    /// The address as a client names it: `https://…` with TLS.
    pub fn url(&self, tls: bool) -> String {
        match self {
            Self::Tcp(address) if tls => format!("https://{address}"),
            _ => self.to_string(),
        }
    }
}

impl std::fmt::Display for Listen {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Tcp(address) => write!(formatter, "http://{address}"),
            Self::Unix(path) => write!(formatter, "unix:{}", path.display()),
        }
    }
}

/// Default limits given to a service that sets none.
#[derive(Debug, Clone)]
pub struct Limits {
    /// `mem_limit` (`512m`).
    pub memory: String,
    /// `cpus` (`1.0`).
    pub cpus: String,
    /// `pids_limit`.
    pub pids: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            memory: "512m".to_owned(),
            cpus: "1.0".to_owned(),
            pids: 512,
        }
    }
}

/// Where audit lines go: one JSON object per change.
pub type Audit = Arc<dyn Fn(&serde_json::Value) + Send + Sync>;

/// Everything the server is started with.
#[derive(Clone)]
pub struct ServerConfig {
    pub listen: Listen,
    /// TLS on the listening port (a TCP address only).
    pub tls: Option<crate::tls::TlsSettings>,
    pub templates: IndexMap<String, Template>,
    pub tokens: Tokens,
    pub allow_inline: bool,
    pub allow_run: bool,
    pub allow_build: bool,
    /// The host address published ports are bound to (`127.0.0.1`).
    pub publish_address: String,
    /// The engine, as the front end resolved it.
    pub engine: EngineTarget,
    /// Where project locks and the inline files' (empty) directory live.
    pub state_directory: PathBuf,
    /// Environments changed at once.
    pub parallel: usize,
    /// The engine requests of one operation at once (`COMPOSE_PARALLEL_LIMIT`).
    pub engine_parallel: usize,
    /// A `PUT` without `ttl`.
    pub default_ttl: Duration,
    /// The longest `ttl` anyone may ask for.
    pub max_ttl: Duration,
    pub limits: Limits,
    pub max_body: usize,
    pub request_timeout: Duration,
    /// The idle bound and the bound on open connections.
    pub connections: crate::connections::Connections,
    /// How often the reaper looks for expired environments.
    pub reap_interval: Duration,
    /// Capabilities `cap_add` may name.
    pub capabilities: Vec<String>,
    pub audit: Audit,
    /// Queue mode: also consume requests from this queue.
    pub queue: Option<crate::queue::QueueConfig>,
}

/// A compose project on the server that environments are made from.
#[derive(Debug, Clone)]
pub struct Template {
    pub name: String,
    pub directory: PathBuf,
    pub file: PathBuf,
    /// The directory's `envctl-serve.allow` file says `read-only-binds`: bind
    /// mounts of the template's own files, read-only, are allowed.
    pub read_only_binds: bool,
}

/// The file names a template's compose file may have, in the order looked for.
const COMPOSE_FILES: &[&str] = &[
    "docker-compose.yml",
    "docker-compose.yaml",
    "compose.yml",
    "compose.yaml",
];

/// Each sub-directory of `directory` holding a compose file, by name.
pub fn discover_templates(directory: &Path) -> Result<IndexMap<String, Template>, ServerError> {
    let problem = |message: String| ServerError::Templates {
        path: directory.to_path_buf(),
        message,
    };
    let entries = std::fs::read_dir(directory).map_err(|error| problem(error.to_string()))?;
    let mut templates = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|error| problem(error.to_string()))?;
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
            continue;
        };
        let Some(file) = COMPOSE_FILES
            .iter()
            .map(|file| path.join(file))
            .find(|file| file.is_file())
        else {
            continue;
        };
        let read_only_binds = std::fs::read_to_string(path.join("envctl-serve.allow"))
            .is_ok_and(|text| text.lines().any(|line| line.trim() == "read-only-binds"));
        let directory = path
            .canonicalize()
            .map_err(|error| problem(error.to_string()))?;
        templates.push(Template {
            name: name.to_owned(),
            file: directory.join(file.file_name().unwrap_or_default()),
            directory,
            read_only_binds,
        });
    }
    templates.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(templates
        .into_iter()
        .map(|template| (template.name.clone(), template))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses() {
        assert_eq!(
            Listen::parse("unix:/run/envctl.sock").expect("unix"),
            Listen::Unix(PathBuf::from("/run/envctl.sock"))
        );
        for loopback in ["127.0.0.1:0", "[::1]:8080", "localhost:8080"] {
            let listen = Listen::parse(loopback).expect(loopback);
            assert!(matches!(listen, Listen::Tcp(_)), "{loopback}");
            assert!(listen.check_exposure(false).is_ok(), "{loopback}");
            assert!(listen.check_exposure(true).is_ok(), "{loopback}");
        }
        for exposed in ["0.0.0.0:8080", "192.168.1.2:80", "[::]:80"] {
            let listen = Listen::parse(exposed).expect(exposed);
            assert!(
                matches!(
                    listen.check_exposure(false),
                    Err(ServerError::NotLoopback(_))
                ),
                "{exposed}"
            );
            assert!(listen.check_exposure(true).is_ok(), "{exposed}");
            assert!(listen.url(true).starts_with("https://"), "{exposed}");
        }
        let unix = Listen::parse("unix:/run/envctl.sock").expect("unix");
        assert!(unix.check_exposure(false).is_ok());
        assert!(matches!(
            unix.check_exposure(true),
            Err(ServerError::UnixTls(_))
        ));
        for invalid in ["unix:", "example.com:80", "8080", ""] {
            assert!(
                matches!(Listen::parse(invalid), Err(ServerError::Listen(_))),
                "{invalid}"
            );
        }
    }
}
