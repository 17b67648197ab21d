//! `--tls`: the engine behind a TLS endpoint, as a docker-machine host presents it,
//! so that envctl can be timed over TLS beside the local socket (issue #7: `up -d`
//! of 30 services over TLS within 1.3× of the same over the socket).
//!
//! `openssl` makes a CA, a server certificate for `127.0.0.1` and a client
//! certificate in the docker-machine layout (`ca.pem`, `cert.pem`, `key.pem`).
//! The bench then listens on a free loopback port with TLS itself (rustls, in
//! process, as the engine's own Go TLS listener is), demands the client
//! certificate, and relays each connection to the engine's Unix socket. envctl runs
//! with `DOCKER_HOST=tcp://127.0.0.1:PORT`, `DOCKER_TLS_VERIFY=1` and
//! `DOCKER_CERT_PATH`.
//!
//! An earlier version used `socat` as the relay: it forks a process and sets up
//! OpenSSL for every connection, about 50–100 ms each on this machine, so that the
//! figure measured socat rather than TLS (`ps` of 30 containers: 0.2–2 s).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use tokio::net::{TcpListener, UnixStream};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::error::BenchError;

/// The engine's socket, which the relay forwards to.
const ENGINE_SOCKET: &str = "/var/run/docker.sock";

/// A running TLS relay in front of the engine; stopped when dropped.
pub struct TlsEndpoint {
    relay: JoinHandle<()>,
    port: u16,
    cert_path: PathBuf,
}

impl TlsEndpoint {
    /// Makes the certificates in `dir` and starts the relay.
    pub async fn start(dir: &Path) -> Result<Self, BenchError> {
        std::fs::create_dir_all(dir).map_err(|source| BenchError::Io {
            action: format!("create {}", dir.display()),
            source,
        })?;
        make_pki(dir)?;
        let acceptor = TlsAcceptor::from(Arc::new(server_config(dir)?));
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|source| BenchError::Io {
                action: "listen on a loopback port".to_owned(),
                source,
            })?;
        let port = listener
            .local_addr()
            .map_err(|source| BenchError::Io {
                action: "read the relay's port".to_owned(),
                source,
            })?
            .port();
        let relay = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    // A client that fails the handshake is simply dropped.
                    let Ok(mut tls) = acceptor.accept(stream).await else {
                        return;
                    };
                    let Ok(mut engine) = UnixStream::connect(ENGINE_SOCKET).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut engine).await;
                });
            }
        });
        Ok(Self {
            relay,
            port,
            cert_path: dir.to_owned(),
        })
    }

    /// What `eval $(docker-machine env)` would set for this endpoint.
    pub fn environment(&self) -> Vec<(String, String)> {
        vec![
            (
                "DOCKER_HOST".to_owned(),
                format!("tcp://127.0.0.1:{}", self.port),
            ),
            ("DOCKER_TLS_VERIFY".to_owned(), "1".to_owned()),
            (
                "DOCKER_CERT_PATH".to_owned(),
                self.cert_path.display().to_string(),
            ),
        ]
    }
}

impl Drop for TlsEndpoint {
    fn drop(&mut self) {
        self.relay.abort();
    }
}

/// The server's side: its certificate, and client certificates from the CA only.
fn server_config(dir: &Path) -> Result<ServerConfig, BenchError> {
    let setup = |what: &str, error: &dyn std::fmt::Display| {
        BenchError::Setup(format!("the TLS relay: {what}: {error}"))
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    for certificate in CertificateDer::pem_file_iter(dir.join("ca.pem"))
        .map_err(|error| setup("read ca.pem", &error))?
    {
        let certificate = certificate.map_err(|error| setup("read ca.pem", &error))?;
        roots
            .add(certificate)
            .map_err(|error| setup("trust ca.pem", &error))?;
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|error| setup("client verifier", &error))?;
    let chain = CertificateDer::pem_file_iter(dir.join("server.pem"))
        .map_err(|error| setup("read server.pem", &error))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| setup("read server.pem", &error))?;
    let key = PrivateKeyDer::from_pem_file(dir.join("server-key.pem"))
        .map_err(|error| setup("read server-key.pem", &error))?;
    ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| setup("protocol versions", &error))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|error| setup("server certificate", &error))
}

fn openssl(dir: &Path, args: &[&str]) -> Result<(), BenchError> {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|source| BenchError::Io {
            action: "run openssl (install Debian's `openssl`)".to_owned(),
            source,
        })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(BenchError::Command {
            command: format!("openssl {}", args.join(" ")),
            directory: dir.to_owned(),
            status: output.status.to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }
}

/// `ca.pem`; `server.pem` for `127.0.0.1`; `cert.pem`/`key.pem` for the client.
fn make_pki(dir: &Path) -> Result<(), BenchError> {
    let curve = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(curve);
    ca.extend([
        "-days",
        "2",
        "-subj",
        "/CN=envctl-bench-ca",
        "-keyout",
        "ca-key.pem",
        "-out",
        "ca.pem",
    ]);
    openssl(dir, &ca)?;
    for (name, key, extensions) in [
        (
            "server",
            "server-key.pem",
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
        ),
        ("cert", "key.pem", "extendedKeyUsage=clientAuth\n"),
    ] {
        let extension_file = format!("{name}.ext");
        std::fs::write(dir.join(&extension_file), extensions).map_err(|source| BenchError::Io {
            action: format!("write {extension_file}"),
            source,
        })?;
        let csr = format!("{name}.csr");
        let subject = format!("/CN=envctl-bench-{name}");
        let mut request = vec!["req"];
        request.extend(curve);
        request.extend(["-subj", &subject, "-keyout", key, "-out", &csr]);
        openssl(dir, &request)?;
        let certificate = format!("{name}.pem");
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca-key.pem",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                &extension_file,
                "-out",
                &certificate,
            ],
        )?;
    }
    Ok(())
}
