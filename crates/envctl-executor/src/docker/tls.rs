//! The client for `tcp://` engines, plain or TLS: the connection pool of
//! `docker/pool.rs` handed to bollard as a custom transport, with a rustls
//! configuration that verifies exactly what the [`Endpoint`] asks for.
//!
//! Why not `Docker::connect_with_http` / `connect_with_ssl` (bollard 0.21.1): both
//! build their hyper client with `pool_max_idle_per_host(0)`, a new TCP connection
//! (and TLS handshake) for every request; `connect_with_ssl` also trusts the
//! system's root CAs next to `ca.pem` (weaker than `DOCKER_TLS_VERIFY` asks),
//! cannot skip only the host name check or only the CA check, and reads the client
//! key at handshake time, dropping its errors (a missing `key.pem` becomes "no
//! client certificate"). See docs/remote-engines.md.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use bollard::{API_DEFAULT_VERSION, BollardRequest, Docker};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_rustls::TlsConnector;

use super::pool::Pool;
use crate::endpoint::{ClientCertificate, Endpoint, TlsSettings, Verification};
use crate::error::ExecutorError;

/// A bollard client for `tcp://{address}`, with TLS when `endpoint.tls` is set.
pub(super) fn tcp_client(
    endpoint: &Endpoint,
    address: &str,
    timeout: u64,
) -> Result<Docker, ExecutorError> {
    let connect_error = |source: super::Bollard| ExecutorError::Connect {
        address: endpoint.quoted(),
        advice: ExecutorError::connect_advice(endpoint, None),
        source: source.into(),
    };
    let (scheme, tls) = match &endpoint.tls {
        None => ("http", None),
        Some(tls) => {
            let config = client_config(endpoint, tls)?;
            let host = endpoint
                .server_name()
                .unwrap_or("localhost")
                .trim_start_matches('[')
                .trim_end_matches(']');
            let name = ServerName::try_from(host.to_owned()).map_err(|_| {
                ExecutorError::UnsupportedAddress {
                    address: endpoint.address.to_string(),
                    reason: format!("`{host}` is not a host name TLS can check"),
                }
            })?;
            ("https", Some((TlsConnector::from(Arc::new(config)), name)))
        }
    };
    let pool = Arc::new(Pool::new(address, tls).map_err(connect_error)?);
    Docker::connect_with_custom_transport(
        move |request: BollardRequest| Arc::clone(&pool).send(request),
        Some(format!("{scheme}://{address}")),
        timeout,
        API_DEFAULT_VERSION,
    )
    .map_err(connect_error)
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The rustls configuration: the CA (and only it) as root, the verification the
/// endpoint asks for, the client certificate.
fn client_config(endpoint: &Endpoint, tls: &TlsSettings) -> Result<ClientConfig, ExecutorError> {
    let provider = provider();
    let algorithms = provider.signature_verification_algorithms;
    let verifier: Arc<dyn ServerCertVerifier> = match (&tls.verification, &tls.ca_cert) {
        (Verification::None, _) | (_, None) => Arc::new(AnyCertificate { algorithms }),
        (verification, Some(ca_path)) => {
            let mut roots = RootCertStore::empty();
            for certificate in certificates(endpoint, "CA certificate", ca_path)? {
                roots
                    .add(certificate)
                    .map_err(|error| ExecutorError::TlsFile {
                        endpoint: endpoint.quoted(),
                        what: "CA certificate",
                        path: ca_path.clone(),
                        problem: lowercase(&error.to_string()),
                    })?;
            }
            let webpki =
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()
                    .map_err(|error| ExecutorError::TlsFile {
                        endpoint: endpoint.quoted(),
                        what: "CA certificate",
                        path: ca_path.clone(),
                        problem: lowercase(&error.to_string()),
                    })?;
            if *verification == Verification::CaOnly {
                Arc::new(AnyName { inner: webpki })
            } else {
                webpki
            }
        }
    };
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| ExecutorError::UnsupportedAddress {
            address: endpoint.address.to_string(),
            reason: format!("cannot set up TLS: {}", lowercase(&error.to_string())),
        })?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let pair = match &tls.client {
        ClientCertificate::Required { cert, key } => Some((cert, key)),
        ClientCertificate::IfPresent { cert, key } => {
            (cert.is_file() && key.is_file()).then_some((cert, key))
        }
    };
    let mut config = match pair {
        None => builder.with_no_client_auth(),
        Some((cert_path, key_path)) => {
            let chain = certificates(endpoint, "client certificate", cert_path)?;
            let key = private_key(endpoint, key_path)?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|error| ExecutorError::TlsFile {
                    endpoint: endpoint.quoted(),
                    what: "client key",
                    path: key_path.clone(),
                    problem: format!(
                        "it does not fit the client certificate `{}`: {}",
                        cert_path.display(),
                        lowercase(&error.to_string())
                    ),
                })?
        }
    };
    // No session resumption, as the docker CLI and docker-py: TLS front ends that
    // check client certificates without a session id context (OpenSSL's default,
    // `socat`, older `stunnel`) abort resumed handshakes. The pool keeps the
    // connections, so there is little to resume anyway.
    config.resumption = rustls::client::Resumption::disabled();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

fn read(endpoint: &Endpoint, what: &'static str, path: &Path) -> Result<Vec<u8>, ExecutorError> {
    std::fs::read(path).map_err(|error| ExecutorError::TlsFile {
        endpoint: endpoint.quoted(),
        what,
        path: path.to_path_buf(),
        problem: io_problem(&error),
    })
}

fn io_problem(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => lowercase(&error.to_string()),
    }
}

fn certificates(
    endpoint: &Endpoint,
    what: &'static str,
    path: &Path,
) -> Result<Vec<CertificateDer<'static>>, ExecutorError> {
    let bytes = read(endpoint, what, path)?;
    let problem = |problem: String| ExecutorError::TlsFile {
        endpoint: endpoint.quoted(),
        what,
        path: path.to_path_buf(),
        problem,
    };
    let certificates = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| problem(format!("not a PEM certificate: {error}")))?;
    if certificates.is_empty() {
        return Err(problem("it holds no PEM certificate".to_owned()));
    }
    Ok(certificates)
}

fn private_key(endpoint: &Endpoint, path: &Path) -> Result<PrivateKeyDer<'static>, ExecutorError> {
    let bytes = read(endpoint, "client key", path)?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|error| ExecutorError::TlsFile {
        endpoint: endpoint.quoted(),
        what: "client key",
        path: path.to_path_buf(),
        problem: match error {
            rustls::pki_types::pem::Error::NoItemsFound => "it holds no PEM private key".to_owned(),
            error => format!("not a PEM private key: {error}"),
        },
    })
}

fn lowercase(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `--skip-hostname-check`: the CA check of `inner`, without the name check.
#[derive(Debug)]
struct AnyName {
    inner: Arc<WebPkiServerVerifier>,
}

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// `--tls` without `--tlsverify`: encrypted, any certificate accepted (the
/// handshake signatures are still checked), as the docker CLI does.
struct AnyCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

impl fmt::Debug for AnyCertificate {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("AnyCertificate")
    }
}

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// When connecting failed inside TLS, what went wrong and what to try.
pub(super) fn explain(
    endpoint: &Endpoint,
    error: &(dyn std::error::Error + 'static),
) -> Option<(String, String)> {
    let tls = endpoint.tls.as_ref()?;
    let ca = tls.ca_cert.as_ref().map_or_else(
        || "the CA".to_owned(),
        |path| format!("`{}`", path.display()),
    );
    let host = endpoint.server_name().unwrap_or("the engine");
    let client = match &tls.client {
        ClientCertificate::Required { cert, key } | ClientCertificate::IfPresent { cert, key } => {
            format!("`{}` and `{}`", cert.display(), key.display())
        }
    };
    let found = find_rustls_error(error)?;
    Some(match found {
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => (
            format!("the engine's certificate is not issued for `{host}`"),
            format!(
                "connect by a name or address the certificate lists, or pass `--skip-hostname-check` to check only that {ca} signed it"
            ),
        ),
        rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer | CertificateError::BadSignature,
        ) => (
            format!("the engine's certificate is not signed by the CA in {ca}"),
            "`DOCKER_CERT_PATH` or `--tlscacert` must name the CA of this engine; for docker-machine, run `eval $(docker-machine env NAME)` (or `docker-machine regenerate-certs NAME`)".to_owned(),
        ),
        rustls::Error::InvalidCertificate(
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. },
        ) => (
            "the engine's certificate has expired or is not valid yet".to_owned(),
            "check the clocks here and on the engine, or renew the engine's certificate (`docker-machine regenerate-certs NAME`)".to_owned(),
        ),
        rustls::Error::AlertReceived(alert) => (
            format!("the engine refused the handshake (TLS alert `{alert:?}`)"),
            format!(
                "the engine wants a client certificate signed by its CA: check {client} (`DOCKER_CERT_PATH`, `--tlscert`, `--tlskey`)"
            ),
        ),
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => (
            "the engine did not answer in TLS".to_owned(),
            "is this the engine's TLS port? an engine without TLS listens on 2375: then unset `DOCKER_TLS_VERIFY` and `DOCKER_CERT_PATH`".to_owned(),
        ),
        other => (
            lowercase(&other.to_string()),
            format!("check {ca} and {client}; for docker-machine, run `eval $(docker-machine env NAME)`"),
        ),
    })
}

/// The rustls error anywhere in `error`'s chain (through `io::Error`s, whose
/// `source()` skips the error they wrap).
fn find_rustls_error<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a rustls::Error> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(found) = error.downcast_ref::<rustls::Error>() {
            return Some(found);
        }
        // bollard's `IOError` is `transparent`: its `source()` is the io::Error's,
        // which skips the error the io::Error wraps.
        let io = match error.downcast_ref::<bollard::errors::Error>() {
            Some(bollard::errors::Error::IOError { err }) => Some(err),
            _ => error.downcast_ref::<std::io::Error>(),
        };
        if let Some(io) = io
            && let Some(inner) = io.get_ref()
            && let Some(found) = find_rustls_error(inner)
        {
            return Some(found);
        }
        current = error.source();
    }
    None
}
