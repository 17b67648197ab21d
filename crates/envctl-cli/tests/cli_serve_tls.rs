//! `envctl serve --tls-cert --tls-key [--tls-client-ca]` on an address that is not
//! a loopback one: the test makes a network namespace of its own with a veth pair
//! (`10.213.79.1` and `.2`, seen by nothing else), a throw-away CA and server
//! certificate (`openssl`), runs the real `envctl serve` in the namespace and talks
//! to it with `curl` from the namespace. The engine is reached on its unix socket,
//! which a network namespace does not hide. Needs root, iproute2, util-linux
//! (`nsenter`), `openssl` and `curl`.

#![cfg(feature = "docker-tests")]
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const ADDRESS: &str = "10.213.79.1";
const PEER: &str = "10.213.79.2";
const PORT: u16 = 8443;
const TOKEN: &str = "0123456789abcdef0123";

fn run(program: &str, arguments: &[&str]) -> Output {
    Command::new(program)
        .args(arguments)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|error| panic!("{program} runs: {error}"))
}

fn ok(program: &str, arguments: &[&str]) {
    let output = run(program, arguments);
    assert!(
        output.status.success(),
        "{program} {arguments:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A network namespace with a veth pair inside it, removed on drop (with any
/// process still in it).
struct Namespace {
    name: String,
}

impl Namespace {
    fn new(tag: &str) -> Self {
        let name = format!("envctl-tls-{}-{tag}", std::process::id());
        let _ = run("ip", &["netns", "del", &name]);
        ok("ip", &["netns", "add", &name]);
        let namespace = Self { name };
        namespace.ok(&["ip", "link", "set", "lo", "up"]);
        namespace.ok(&[
            "ip", "link", "add", "etls0", "type", "veth", "peer", "name", "etls1",
        ]);
        namespace.ok(&[
            "ip",
            "addr",
            "add",
            &format!("{ADDRESS}/30"),
            "dev",
            "etls0",
        ]);
        namespace.ok(&["ip", "addr", "add", &format!("{PEER}/30"), "dev", "etls1"]);
        namespace.ok(&["ip", "link", "set", "etls0", "up"]);
        namespace.ok(&["ip", "link", "set", "etls1", "up"]);
        namespace
    }

    fn net(&self) -> String {
        format!("--net=/run/netns/{}", self.name)
    }

    fn command(&self, arguments: &[&str]) -> Command {
        let mut command = Command::new("nsenter");
        command.arg(self.net()).args(arguments).stdin(Stdio::null());
        command
    }

    fn ok(&self, arguments: &[&str]) {
        let output = self.command(arguments).output().expect("nsenter runs");
        assert!(
            output.status.success(),
            "{arguments:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// `curl` in the namespace: its exit code and what it printed.
    fn curl(&self, arguments: &[&str]) -> (i32, String) {
        let output = self
            .command(&["curl", "-sS", "--max-time", "10"])
            .args(arguments)
            .output()
            .expect("curl runs");
        (
            output.status.code().unwrap_or(-1),
            format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        )
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = run("ip", &["netns", "del", &self.name]);
    }
}

/// A throw-away CA, a server certificate for [`ADDRESS`] and a client certificate,
/// all signed by it.
fn certificates(directory: &Path) {
    let path = |name: &str| directory.join(name).display().to_string();
    let key = |name: &str| {
        ok(
            "openssl",
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-out",
                &path(name),
            ],
        );
    };
    key("ca.key");
    ok(
        "openssl",
        &[
            "req",
            "-x509",
            "-new",
            "-key",
            &path("ca.key"),
            "-out",
            &path("ca.pem"),
            "-days",
            "1",
            "-subj",
            "/CN=envctl test CA",
        ],
    );
    for (name, extensions) in [
        (
            "server",
            format!("subjectAltName=IP:{ADDRESS}\nextendedKeyUsage=serverAuth\n"),
        ),
        ("client", "extendedKeyUsage=clientAuth\n".to_owned()),
    ] {
        key(&format!("{name}.key"));
        ok(
            "openssl",
            &[
                "req",
                "-new",
                "-key",
                &path(&format!("{name}.key")),
                "-out",
                &path(&format!("{name}.csr")),
                "-subj",
                &format!("/CN={name}"),
            ],
        );
        std::fs::write(directory.join(format!("{name}.ext")), extensions).unwrap();
        ok(
            "openssl",
            &[
                "x509",
                "-req",
                "-in",
                &path(&format!("{name}.csr")),
                "-CA",
                &path("ca.pem"),
                "-CAkey",
                &path("ca.key"),
                "-CAcreateserial",
                "-days",
                "1",
                "-out",
                &path(&format!("{name}.pem")),
                "-extfile",
                &path(&format!("{name}.ext")),
            ],
        );
    }
}

fn setup() -> tempfile::TempDir {
    let directory = tempfile::tempdir().unwrap();
    let root = directory.path();
    std::fs::create_dir_all(root.join("templates/web")).unwrap();
    std::fs::write(
        root.join("templates/web/docker-compose.yml"),
        "version: '2'\nservices:\n  web:\n    image: envctl-test/busybox\n",
    )
    .unwrap();
    std::fs::write(root.join("tokens"), format!("{TOKEN} ci read,write\n")).unwrap();
    certificates(root);
    directory
}

fn serve_arguments(root: &Path, listen: &str, extra: &[String]) -> Vec<String> {
    let path = |name: &str| root.join(name).display().to_string();
    let mut arguments = vec![
        env!("CARGO_BIN_EXE_envctl").to_owned(),
        "serve".to_owned(),
        "--listen".to_owned(),
        listen.to_owned(),
        "--templates".to_owned(),
        path("templates"),
        "--tokens".to_owned(),
        path("tokens"),
        "--state-directory".to_owned(),
        path("state"),
    ];
    arguments.extend(extra.iter().cloned());
    arguments
}

fn tls_flags(root: &Path) -> Vec<String> {
    vec![
        "--tls-cert".to_owned(),
        root.join("server.pem").display().to_string(),
        "--tls-key".to_owned(),
        root.join("server.key").display().to_string(),
    ]
}

/// A running `envctl serve` in the namespace, killed on drop.
struct Serve {
    child: Child,
}

impl Serve {
    fn start(namespace: &Namespace, arguments: &[String]) -> Self {
        let arguments: Vec<&str> = arguments.iter().map(String::as_str).collect();
        let mut child = namespace
            .command(&arguments)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("envctl serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(
            line.trim(),
            format!("envctl serve: listening on https://{ADDRESS}:{PORT}"),
        );
        Self { child }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starting `arguments` fails at once: its exit code and standard error.
fn refused(namespace: &Namespace, arguments: &[String]) -> (Option<i32>, String) {
    let arguments: Vec<&str> = arguments.iter().map(String::as_str).collect();
    let output = namespace.command(&arguments).output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn url(path: &str) -> String {
    format!("https://{ADDRESS}:{PORT}{path}")
}

#[test]
fn serves_https_on_a_non_loopback_address_and_refuses_it_without_tls() {
    let directory = setup();
    let root = directory.path();
    let namespace = Namespace::new("https");
    let listen = format!("{ADDRESS}:{PORT}");
    let ca = root.join("ca.pem").display().to_string();

    // Without TLS, the address is refused, clearly, before anything is bound.
    let (code, stderr) = refused(&namespace, &serve_arguments(root, &listen, &[]));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("refusing to listen on `{listen}`"))
            && stderr.contains("--tls-cert"),
        "{stderr}"
    );
    // TLS on a unix socket is refused too.
    let socket = format!("unix:{}", root.join("serve.sock").display());
    let (code, stderr) = refused(
        &namespace,
        &serve_arguments(root, &socket, &tls_flags(root)),
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("refusing to serve TLS on the unix socket"),
        "{stderr}"
    );
    // A key file that holds no key is named, and its contents are not shown.
    let mut flags = tls_flags(root);
    flags[3] = ca.clone();
    let (code, stderr) = refused(&namespace, &serve_arguments(root, &listen, &flags));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("`{ca}`: it holds no PEM private key")),
        "{stderr}"
    );

    let _serve = Serve::start(
        &namespace,
        &serve_arguments(
            root,
            &listen,
            &[
                tls_flags(root),
                vec![
                    "--tls-handshake-timeout".to_owned(),
                    "1s".to_owned(),
                    "--idle-timeout".to_owned(),
                    "2s".to_owned(),
                ],
            ]
            .concat(),
        ),
    );
    // With the CA: the health check, and a listing with the token (the engine
    // answers through its unix socket).
    let (code, output) = namespace.curl(&["--cacert", &ca, &url("/healthz")]);
    assert_eq!((code, output.as_str()), (0, r#"{"status":"ok"}"#));
    let authorization = format!("Authorization: Bearer {TOKEN}");
    let (code, output) = namespace.curl(&[
        "--cacert",
        &ca,
        "-H",
        &authorization,
        &url("/v1/environments"),
    ]);
    assert_eq!(code, 0, "{output}");
    assert!(output.starts_with(r#"{"environments":["#), "{output}");
    // The token is still needed over TLS.
    let (code, output) = namespace.curl(&[
        "--cacert",
        &ca,
        "-w",
        "%{http_code}",
        &url("/v1/environments"),
    ]);
    assert_eq!(code, 0, "{output}");
    assert!(output.ends_with("401"), "{output}");
    // Without the CA, curl does not trust the server (60: certificate problem).
    let (code, output) = namespace.curl(&[&url("/healthz")]);
    assert_eq!(code, 60, "{output}");
    // Plain HTTP to the TLS port gets no HTTP answer.
    let (code, output) = namespace.curl(&[&format!("http://{ADDRESS}:{PORT}/healthz")]);
    assert_ne!(code, 0, "{output}");
    assert!(!output.contains("status"), "{output}");
    // A client that connects and says nothing is closed after the handshake
    // timeout (1 s here), not held.
    let started = Instant::now();
    let output = namespace
        .command(&[
            "timeout",
            "20",
            "bash",
            "-c",
            &format!("exec 3<>/dev/tcp/{ADDRESS}/{PORT}; cat <&3"),
        ])
        .output()
        .unwrap();
    let held = started.elapsed();
    assert!(output.status.success(), "{output:?}");
    assert!(
        held >= Duration::from_millis(900) && held < Duration::from_secs(8),
        "a silent client was held {held:?}"
    );
    // Nor one that finishes the handshake and then sends no request (Python's
    // ssl: it prints `verified` once the handshake is done, then waits for the
    // server to close).
    let script = format!(
        "import socket, ssl\n\
         context = ssl.create_default_context(cafile='{ca}')\n\
         connection = context.wrap_socket(socket.create_connection(('{ADDRESS}', {PORT})), server_hostname='{ADDRESS}')\n\
         print('verified', flush=True)\n\
         try:\n    print('read', len(connection.recv(1)))\n\
         except (ssl.SSLError, OSError) as error:\n    print('closed', error)\n"
    );
    let started = Instant::now();
    let output = namespace
        .command(&["timeout", "20", "python3", "-c", &script])
        .output()
        .unwrap();
    let held = started.elapsed();
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && printed.starts_with("verified\n"),
        "{output:?}"
    );
    assert!(
        held >= Duration::from_millis(900) && held < Duration::from_secs(8),
        "a client silent after its handshake was held {held:?}: {printed}"
    );
    // Nor one idle after an answer: closed after `--idle-timeout` (2 s here).
    // See: #21
    let script = format!(
        "import socket, ssl, time\n\
         context = ssl.create_default_context(cafile='{ca}')\n\
         connection = context.wrap_socket(socket.create_connection(('{ADDRESS}', {PORT})), server_hostname='{ADDRESS}')\n\
         connection.sendall(b'GET /healthz HTTP/1.1\\r\\nHost: envctl\\r\\n\\r\\n')\n\
         answer = b''\n\
         while not answer.endswith(b'{{\"status\":\"ok\"}}'):\n    chunk = connection.recv(4096)\n    assert chunk, answer\n    answer += chunk\n\
         started = time.monotonic()\n\
         try:\n    print('read', len(connection.recv(1)))\n\
         except (ssl.SSLError, OSError) as error:\n    print('closed', error)\n\
         print('answered, then held', time.monotonic() - started)\n"
    );
    let output = namespace
        .command(&["timeout", "20", "python3", "-c", &script])
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&output.stdout);
    let held: f64 = printed
        .lines()
        .find_map(|line| line.strip_prefix("answered, then held "))
        .and_then(|seconds| seconds.parse().ok())
        .unwrap_or_else(|| panic!("{output:?}"));
    assert!(
        (1.8..8.0).contains(&held),
        "a client idle after its answer was held {held} s: {printed}"
    );
}

#[test]
fn asks_for_a_client_certificate_signed_by_the_client_ca() {
    let directory = setup();
    let root = directory.path();
    let namespace = Namespace::new("client");
    let path = |name: &str| root.join(name).display().to_string();
    let mut flags = tls_flags(root);
    flags.extend(["--tls-client-ca".to_owned(), path("ca.pem")]);
    let _serve = Serve::start(
        &namespace,
        &serve_arguments(root, &format!("{ADDRESS}:{PORT}"), &flags),
    );
    let ca = path("ca.pem");
    let (code, output) = namespace.curl(&["--cacert", &ca, &url("/healthz")]);
    assert_ne!(code, 0, "without a client certificate: {output}");
    assert!(!output.contains("status"), "{output}");
    // A certificate the CA did not sign (self-signed, with the client's key) is
    // refused.
    ok(
        "openssl",
        &[
            "req",
            "-x509",
            "-new",
            "-key",
            &path("client.key"),
            "-out",
            &path("stranger.pem"),
            "-days",
            "1",
            "-subj",
            "/CN=stranger",
        ],
    );
    let (code, output) = namespace.curl(&[
        "--cacert",
        &ca,
        "--cert",
        &path("stranger.pem"),
        "--key",
        &path("client.key"),
        &url("/healthz"),
    ]);
    assert_ne!(code, 0, "a certificate the CA did not sign: {output}");
    assert!(!output.contains("status"), "{output}");
    let (code, output) = namespace.curl(&[
        "--cacert",
        &ca,
        "--cert",
        &path("client.pem"),
        "--key",
        &path("client.key"),
        &url("/healthz"),
    ]);
    assert_eq!((code, output.as_str()), (0, r#"{"status":"ok"}"#));
}
