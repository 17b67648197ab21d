//! The connection pool for `tcp://` engines (plain or TLS): HTTP/1.1 keep-alive
//! connections, each reused for request after request.
//!
//! Why not hyper-util's pooled client: it puts a connection back into its pool
//! from a task of its own, a moment after the response body ends, and a request
//! sent in that moment (the next one of a sequence, nearly always) opens a second
//! connection and TLS handshake. Measured through the TLS proxy of
//! `tests/cli_tls.rs`, a sequential `up -d` then took two connections, a parallel
//! one of 10 services 12 to 15. Here a request that finds every pooled connection
//! busy first waits a moment ([`GRACE`]) for one of them to be ready, and only then
//! connects: the same runs take 1 and 10 (one per request in flight).

use std::future::poll_fn;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Poll;
use std::time::Duration;

use bollard::BollardRequest;
use bollard::errors::Error as EngineError;
use hyper::body::Incoming;
use hyper::client::conn::http1;
use hyper::header::{HOST, HeaderValue};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// How long a request waits for a busy pooled connection to come free before it
/// opens a new one. A connection is busy between a response's headers and the end
/// of its body; for anything but a stream (logs) that is well under this, and a
/// request waits only as long as it takes (it is woken when one comes free).
const GRACE: Duration = Duration::from_millis(50);

/// How long opening a TCP connection may take before the engine counts as
/// unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// The body type bollard sends (it does not export its name).
trait BodyOf {
    type Body;
}

impl<B> BodyOf for Request<B> {
    type Body = B;
}

type Body = <BollardRequest as BodyOf>::Body;

/// The engine's `host:port`, with TLS when set.
pub(super) struct Pool {
    authority: String,
    host_header: HeaderValue,
    tls: Option<(TlsConnector, ServerName<'static>)>,
    connections: Mutex<Vec<http1::SendRequest<Body>>>,
}

impl Pool {
    pub(super) fn new(
        authority: &str,
        tls: Option<(TlsConnector, ServerName<'static>)>,
    ) -> Result<Self, EngineError> {
        let host_header = HeaderValue::from_str(authority).map_err(hyper::http::Error::from)?;
        Ok(Self {
            authority: authority.to_owned(),
            host_header,
            tls,
            connections: Mutex::new(Vec::new()),
        })
    }

    /// Sends `request` on a pooled connection (or a new one), and puts the
    /// connection back as soon as the response's headers are in.
    pub(super) async fn send(
        self: Arc<Self>,
        request: BollardRequest,
    ) -> Result<Response<Incoming>, EngineError> {
        let request = self.origin_form(request)?;
        let (mut sender, driver) = self.checkout().await?;
        let error = match sender.try_send_request(request).await {
            Ok(response) => {
                self.lock().push(sender);
                return Ok(response);
            }
            Err(error) => error,
        };
        if let Some(driver) = driver {
            return Err(why_unsent(driver, error).await);
        }
        // A pooled connection the engine closed while it was idle gives the
        // request back unsent: once more, on a new connection.
        let mut error = error;
        let Some(unsent) = error.take_message() else {
            return Err(error.into_error().into());
        };
        let (mut sender, driver) = self.connect().await?;
        match sender.try_send_request(unsent).await {
            Ok(response) => {
                self.lock().push(sender);
                Ok(response)
            }
            Err(error) => Err(why_unsent(driver, error).await),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<http1::SendRequest<Body>>> {
        self.connections
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `https://host:port/v1.41/…` → `/v1.41/…` with `Host: host:port`.
    fn origin_form(&self, request: BollardRequest) -> Result<BollardRequest, EngineError> {
        let (mut parts, body) = request.into_parts();
        let path = parts
            .uri
            .path_and_query()
            .map_or("/", hyper::http::uri::PathAndQuery::as_str)
            .to_owned();
        parts.uri = path.parse().map_err(hyper::http::Error::from)?;
        parts.headers.insert(HOST, self.host_header.clone());
        Ok(Request::from_parts(parts, body))
    }

    /// A ready pooled connection, else one that comes free within [`GRACE`], else a
    /// new one (with its driver).
    async fn checkout(&self) -> Result<(http1::SendRequest<Body>, Option<Driver>), EngineError> {
        let waited = tokio::time::timeout(
            GRACE,
            poll_fn(|context| {
                let mut connections = self.lock();
                connections.retain(|sender| !sender.is_closed());
                if connections.is_empty() {
                    return Poll::Ready(None);
                }
                for index in 0..connections.len() {
                    if let Poll::Ready(Ok(())) = connections[index].poll_ready(context) {
                        return Poll::Ready(Some(connections.swap_remove(index)));
                    }
                }
                Poll::Pending
            }),
        )
        .await;
        if let Ok(Some(sender)) = waited {
            return Ok((sender, None));
        }
        let (sender, driver) = self.connect().await?;
        Ok((sender, Some(driver)))
    }

    /// A new connection (TCP, TLS when set, HTTP/1.1), its driver spawned.
    async fn connect(&self) -> Result<(http1::SendRequest<Body>, Driver), EngineError> {
        let tcp = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&self.authority))
            .await
            .map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!(
                        "no answer from {} within {CONNECT_TIMEOUT:?}",
                        self.authority
                    ),
                )
            })??;
        tcp.set_nodelay(true)?;
        match &self.tls {
            None => {
                let (sender, connection) = http1::handshake(TokioIo::new(tcp)).await?;
                Ok((sender, tokio::spawn(connection.with_upgrades())))
            }
            Some((connector, name)) => {
                let stream = connector.connect(name.clone(), tcp).await?;
                let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
                Ok((sender, tokio::spawn(connection.with_upgrades())))
            }
        }
    }
}

/// The task that drives one connection; it ends with the connection, with the
/// reason it failed.
type Driver = tokio::task::JoinHandle<Result<(), hyper::Error>>;

/// Why a new connection did not take its first request. When the request was
/// canceled (the connection died first: with TLS 1.3 an engine refuses a client
/// certificate only after the handshake), the connection's own error says why (a
/// TLS alert, a reset); the request's only that it was canceled.
async fn why_unsent(
    driver: Driver,
    error: hyper::client::conn::TrySendError<BollardRequest>,
) -> EngineError {
    if error.error().is_canceled()
        && let Ok(Ok(Err(connection_error))) =
            tokio::time::timeout(Duration::from_secs(5), driver).await
    {
        return connection_error.into();
    }
    error.into_error().into()
}
