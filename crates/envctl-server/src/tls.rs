//! TLS on the server's own port (`--tls-cert`, `--tls-key`, `--tls-client-ca`):
//! rustls with the `ring` provider, as the executor's engine client uses, so no
//! other TLS stack is built.
//!
//! Each handshake happens in its connection's task, off the accept loop
//! (`connections.rs`), bounded by [`TlsSettings::handshake_timeout`], which also
//! covers the first bytes of the first request: a client that connects and says
//! nothing, before the handshake or after it, holds its connection no longer than
//! that, nor stops others from being accepted. Only connections that finished
//! their handshake and started a request reach HTTP ([`handshake`]); handshakes
//! under way count against `--max-connections` like any connection.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ServerConfig as RustlsConfig, WebPkiClientVerifier};
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::error::ServerError;

/// The server's certificate and key, and the CA its clients' certificates must
/// be signed by, when it asks for them. All PEM files.
#[derive(Debug, Clone)]
pub struct TlsSettings {
    pub certificate: PathBuf,
    pub key: PathBuf,
    /// Clients must present a certificate signed by this CA.
    pub client_ca: Option<PathBuf>,
    /// The longest a handshake may take (`10s`).
    pub handshake_timeout: Duration,
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn tls_error(path: &Path, message: impl Into<String>) -> ServerError {
    ServerError::Tls {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

fn read(path: &Path) -> Result<Vec<u8>, ServerError> {
    std::fs::read(path).map_err(|source| ServerError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, ServerError> {
    let bytes = read(path)?;
    let certificates = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| tls_error(path, format!("not a PEM certificate: {error}")))?;
    if certificates.is_empty() {
        return Err(tls_error(path, "it holds no PEM certificate"));
    }
    Ok(certificates)
}

fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, ServerError> {
    let bytes = read(path)?;
    // The error never quotes the file: it is a secret.
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|error| match error {
        rustls::pki_types::pem::Error::NoItemsFound => {
            tls_error(path, "it holds no PEM private key")
        }
        _ => tls_error(path, "not a PEM private key"),
    })
}

impl TlsSettings {
    /// Reads the files and makes the acceptor; every problem names its file.
    pub fn acceptor(&self) -> Result<TlsAcceptor, ServerError> {
        let chain = certificates(&self.certificate)?;
        let key = private_key(&self.key)?;
        let builder = RustlsConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|error| tls_error(&self.certificate, error.to_string()))?;
        let builder = match &self.client_ca {
            None => builder.with_no_client_auth(),
            Some(path) => {
                let mut roots = RootCertStore::empty();
                for certificate in certificates(path)? {
                    roots.add(certificate).map_err(|error| {
                        tls_error(path, format!("not a CA certificate: {error}"))
                    })?;
                }
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
                        .build()
                        .map_err(|error| tls_error(path, error.to_string()))?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut config = builder.with_single_cert(chain, key).map_err(|error| {
            tls_error(
                &self.key,
                format!("the key does not go with the certificate: {error}"),
            )
        })?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(TlsAcceptor::from(Arc::new(config)))
    }
}

/// A connection whose handshake finished and whose first request has begun (its
/// first bytes are in the buffer).
pub type Connection = BufReader<TlsStream<TcpStream>>;

/// The handshake, then the first bytes of a request; `None` when either fails or
/// the client says nothing. The caller bounds it in time.
pub(crate) async fn handshake(acceptor: TlsAcceptor, stream: TcpStream) -> Option<Connection> {
    let mut connection = BufReader::new(acceptor.accept(stream).await.ok()?);
    let first = connection.fill_buf().await.ok()?;
    (!first.is_empty()).then_some(connection)
}
