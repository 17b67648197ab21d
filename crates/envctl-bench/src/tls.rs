//! `--tls`: the engine behind a TLS endpoint, as a docker-machine host presents it,
//! so that envctl can be timed over TLS beside the local socket (issue #7: `up -d`
//! of 30 services over TLS within 1.3× of the same over the socket).
//!
//! `openssl` makes a CA, a server certificate for `127.0.0.1` and a client
//! certificate in the docker-machine layout (`ca.pem`, `cert.pem`, `key.pem`);
//! `socat` listens on a free loopback port with TLS, demands the client
//! certificate, and relays each connection to the engine's Unix socket. envctl
//! then runs with `DOCKER_HOST=tcp://127.0.0.1:PORT`, `DOCKER_TLS_VERIFY=1` and
//! `DOCKER_CERT_PATH`. The relay costs a process per connection and a copy of
//! every byte, which a remote engine's own TLS listener does not: the ratio is an
//! upper bound of what TLS itself costs envctl.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::BenchError;

/// The engine's socket, which the relay forwards to.
const ENGINE_SOCKET: &str = "/var/run/docker.sock";

/// A running TLS relay in front of the engine; killed when dropped.
pub struct TlsEndpoint {
    child: Child,
    port: u16,
    cert_path: PathBuf,
}

impl TlsEndpoint {
    /// Makes the certificates in `dir` and starts the relay.
    pub fn start(dir: &Path) -> Result<Self, BenchError> {
        std::fs::create_dir_all(dir).map_err(|source| BenchError::Io {
            action: format!("create {}", dir.display()),
            source,
        })?;
        make_pki(dir)?;
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map_err(|source| BenchError::Io {
                action: "find a free loopback port".to_owned(),
                source,
            })?
            .port();
        let listen = format!(
            "OPENSSL-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork,cert={},key={},cafile={},verify=1",
            dir.join("server.pem").display(),
            dir.join("server-key.pem").display(),
            dir.join("ca.pem").display(),
        );
        let child = Command::new("socat")
            .args([listen, format!("UNIX-CONNECT:{ENGINE_SOCKET}")])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|source| BenchError::Io {
                action: "start socat (install Debian's `socat`)".to_owned(),
                source,
            })?;
        let mut endpoint = Self {
            child,
            port,
            cert_path: dir.to_owned(),
        };
        endpoint.wait_until_listening()?;
        Ok(endpoint)
    }

    fn wait_until_listening(&mut self) -> Result<(), BenchError> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(BenchError::Setup(format!(
                    "the TLS relay (socat) exited with {status}"
                )));
            }
            if Instant::now() > deadline {
                return Err(BenchError::Setup(format!(
                    "the TLS relay (socat) does not listen on 127.0.0.1:{}",
                    self.port
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
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
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
