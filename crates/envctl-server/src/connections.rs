//! The server's own connection loop, for a TCP port (with or without TLS) and a
//! unix socket alike: hyper's HTTP/1 server, driven by an accept loop of ours
//! rather than `axum::serve`, which bounds neither how long a connection may sit
//! idle nor how many may be open.
//!
//! - **Idle** ([`Connections::idle_timeout`]): hyper's `header_read_timeout`, with
//!   a Tokio timer, runs whenever a connection waits for a request's headers:
//!   from the accept (after the TLS handshake), and again after each response. A
//!   client that sends nothing, or half a request's headers, or stays silent after
//!   an answer, is closed then. The timer does not run while a response is being
//!   written, so a followed log or the events stream is never cut by it.
//! - **Open connections** ([`Connections::max_connections`]): a permit is taken
//!   before each accept and held until the connection closes (its TLS handshake
//!   included), so past the bound a new connection waits in the listen queue of
//!   the system until one closes; none is accepted only to be dropped.
//!
//! Shutdown is graceful, as `axum::serve`'s is: the loop stops accepting, each
//! connection finishes the request under way (the streams end on the server's
//! shutdown) and closes, and the loop returns once every one has. To hyper a
//! connection part-way through its headers is under way too: it is closed at the
//! idle bound at the latest.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

/// The bounds on the server's connections (`--idle-timeout`, `--max-connections`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connections {
    /// The longest a connection may wait for a request's headers: a silent new
    /// connection, a request whose headers stop half-way, an idle keep-alive one.
    pub idle_timeout: Duration,
    /// Connections open at once; past it, new ones wait to be accepted.
    pub max_connections: u32,
}

impl Default for Connections {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(30),
            max_connections: 1024,
        }
    }
}

/// What the loop accepts on.
pub(crate) enum Incoming {
    /// A TCP port; with TLS, the acceptor and the handshake's time limit.
    Tcp {
        listener: TcpListener,
        tls: Option<(TlsAcceptor, Duration)>,
    },
    Unix(UnixListener),
}

/// Serves `router` on `incoming` until `shutdown`, then waits for every connection
/// to close.
pub(crate) async fn serve(
    incoming: Incoming,
    router: Router,
    connections: Connections,
    shutdown: CancellationToken,
) {
    let max_connections = connections.max_connections.max(1);
    let permits = Arc::new(Semaphore::new(max_connections as usize));
    loop {
        let permit = tokio::select! {
            () = shutdown.cancelled() => break,
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let connection = Connection {
            router: router.clone(),
            idle_timeout: connections.idle_timeout,
            shutdown: shutdown.clone(),
        };
        let accepted = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = accept(&incoming) => accepted,
        };
        match accepted {
            Ok(Accepted::Tcp(stream)) => {
                let _ = stream.set_nodelay(true);
                if let Incoming::Tcp {
                    tls: Some((acceptor, handshake_timeout)),
                    ..
                } = &incoming
                {
                    let acceptor = acceptor.clone();
                    let handshake_timeout = *handshake_timeout;
                    tokio::spawn(async move {
                        let _permit = permit;
                        // A failed, timed-out or interrupted handshake just closes
                        // the connection.
                        let handshake = tokio::time::timeout(
                            handshake_timeout,
                            crate::tls::handshake(acceptor, stream),
                        );
                        let established = tokio::select! {
                            () = connection.shutdown.cancelled() => return,
                            established = handshake => established,
                        };
                        if let Ok(Some(stream)) = established {
                            connection.serve(stream).await;
                        }
                    });
                } else {
                    tokio::spawn(async move {
                        let _permit = permit;
                        connection.serve(stream).await;
                    });
                }
            }
            Ok(Accepted::Unix(stream)) => {
                tokio::spawn(async move {
                    let _permit = permit;
                    connection.serve(stream).await;
                });
            }
            // A connection reset before it was accepted is that connection's
            // problem; anything else (out of file descriptors) is waited out, as
            // axum does.
            Err(error) => {
                if !matches!(
                    error.kind(),
                    std::io::ErrorKind::ConnectionRefused
                        | std::io::ErrorKind::ConnectionAborted
                        | std::io::ErrorKind::ConnectionReset
                ) {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }
    // Every connection holds a permit until it closes.
    let _ = permits.acquire_many(max_connections).await;
}

enum Accepted {
    Tcp(tokio::net::TcpStream),
    Unix(tokio::net::UnixStream),
}

async fn accept(incoming: &Incoming) -> std::io::Result<Accepted> {
    match incoming {
        Incoming::Tcp { listener, .. } => Ok(Accepted::Tcp(listener.accept().await?.0)),
        Incoming::Unix(listener) => Ok(Accepted::Unix(listener.accept().await?.0)),
    }
}

/// What one connection is served with.
struct Connection {
    router: Router,
    idle_timeout: Duration,
    shutdown: CancellationToken,
}

impl Connection {
    /// HTTP/1.1 on `stream` until either side closes it, the idle bound passes, or
    /// the server shuts down (then the request under way is finished first).
    async fn serve<S>(self, stream: S)
    where
        S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    {
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(self.idle_timeout);
        let served =
            builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(self.router));
        tokio::pin!(served);
        tokio::select! {
            // An error is the client's (a bad request, a reset, the idle bound):
            // the connection is closed either way.
            _ = served.as_mut() => {}
            () = self.shutdown.cancelled() => {
                served.as_mut().graceful_shutdown();
                let _ = served.await;
            }
        }
    }
}
