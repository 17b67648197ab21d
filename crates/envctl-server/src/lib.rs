//! `envctl serve`: whole environments on demand, over HTTP, from the same compose
//! files and the same operations as the command line (envctl-ops' `up`, `down`,
//! `logs`, `run`, called as library functions; never the engine directly).
//!
//! An environment is the compose project of the same name; the server keeps no
//! database, its facts are labels on the project's containers
//! ([`environments::labels`]). A file is checked by [`policy`] before anything is
//! made; tokens ([`tokens`]) carry scopes and quotas; a reaper brings expired
//! environments down. The interface is described in `src/openapi.json`, served at
//! `/v1/openapi.json`; docs/serve.md is the user's guide.

pub mod api;
pub mod config;
pub mod connections;
pub mod environments;
pub mod error;
pub mod policy;
pub mod queue;
pub mod quota;
pub mod spec;
mod stream;
pub mod tls;
pub mod tokens;
mod v1;

use std::sync::Arc;

pub use config::{Audit, Limits, Listen, ServerConfig, Template, discover_templates};
pub use connections::Connections;
pub use environments::Server;
pub use error::{ApiError, Problem, ServerError};
pub use tls::TlsSettings;
pub use tokens::Tokens;

/// Binds the listening address, then serves until `shutdown` fires: the API, and
/// the reaper (which first reaps what expired while no server ran). A unix socket
/// is made with mode 0600 (a stale one is replaced). An address that is neither a
/// unix socket nor a loopback one is refused without TLS, and a unix socket with it.
/// Connections are bounded in idle time and number ([`Connections`]).
pub async fn serve(
    config: ServerConfig,
    shutdown: tokio_util::sync::CancellationToken,
    ready: impl FnOnce(&Listen),
) -> Result<(), ServerError> {
    if config.tokens.is_empty() {
        return Err(ServerError::NoTokens {
            path: std::path::PathBuf::from("--tokens"),
        });
    }
    config.listen.check_exposure(config.tls.is_some())?;
    // The certificate and key are read before anything else starts.
    let acceptor = config
        .tls
        .as_ref()
        .map(|tls| Ok::<_, ServerError>((tls.acceptor()?, tls.handshake_timeout)))
        .transpose()?;
    for directory in [
        config.state_directory.join("locks"),
        config.state_directory.join("inline"),
    ] {
        std::fs::create_dir_all(&directory).map_err(|source| ServerError::Read {
            path: directory.clone(),
            source,
        })?;
    }
    let listen = config.listen.clone();
    let server = Server::new(config);
    let router = api::router(Arc::clone(&server));
    let reaper = tokio::spawn(Arc::clone(&server).reap());
    {
        let server = Arc::clone(&server);
        tokio::spawn(async move {
            shutdown.cancelled().await;
            server.shutdown.cancel();
        });
    }
    // Queue mode: a consumer that cannot connect, or loses its connection, stops
    // the server with its error.
    let queue = server.config.queue.clone().map(|queue| {
        let server = Arc::clone(&server);
        tokio::spawn(async move {
            let result = queue::consume(Arc::clone(&server), queue).await;
            if result.is_err() {
                server.shutdown.cancel();
            }
            result
        })
    });
    let connections = server.config.connections;
    let incoming = match &listen {
        Listen::Tcp(address) => {
            let listener = tokio::net::TcpListener::bind(address)
                .await
                .map_err(|source| ServerError::Bind {
                    address: address.to_string(),
                    source,
                })?;
            ready(&Listen::Tcp(
                listener.local_addr().map_err(ServerError::Serve)?,
            ));
            connections::Incoming::Tcp {
                listener,
                tls: acceptor,
            }
        }
        Listen::Unix(path) => {
            let bind_error = |source| ServerError::Bind {
                address: format!("unix:{}", path.display()),
                source,
            };
            if std::fs::symlink_metadata(path).is_ok_and(|metadata| {
                use std::os::unix::fs::FileTypeExt;
                metadata.file_type().is_socket()
            }) {
                std::fs::remove_file(path).map_err(bind_error)?;
            }
            let listener = tokio::net::UnixListener::bind(path).map_err(bind_error)?;
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                    .map_err(bind_error)?;
            }
            ready(&listen);
            connections::Incoming::Unix(listener)
        }
    };
    connections::serve(incoming, router, connections, server.shutdown.clone()).await;
    if let Listen::Unix(path) = &listen {
        let _ = std::fs::remove_file(path);
    }
    server.shutdown.cancel();
    let _ = reaper.await;
    if let Some(queue) = queue
        && let Ok(Err(error)) = queue.await
    {
        return Err(error);
    }
    Ok(())
}
