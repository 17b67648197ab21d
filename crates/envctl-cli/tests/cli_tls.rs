//! envctl against the local engine put behind TLS, as a docker-machine VM's engine
//! is: `openssl` makes a CA, a server certificate for `127.0.0.1`/`localhost` and
//! a client certificate; `socat` listens on a free 127.0.0.1 port with TLS that
//! demands the client certificate, and forwards to the engine's socket. The
//! certificates are laid out as docker-machine lays them out
//! (`<dir>/machines/NAME/{ca,cert,key}.pem`) and envctl gets exactly the variables
//! `docker-machine env NAME` prints, or `-H` and the TLS flags.
//!
//! Every test starts and kills its own socat. Negative tests check the message
//! (snapshot), the exit code, and that nothing was created on the engine.

#![cfg(feature = "docker-tests")]

mod support;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{Output, ProjectGuard, Test, project_container_ids, unique_project};

const SERVICES: usize = 10;

/// `SERVICES` services, each a container that exits on SIGTERM.
fn compose_file() -> String {
    use std::fmt::Write as _;
    let mut text = String::from("version: \"2.4\"\nservices:\n");
    for index in 0..SERVICES {
        writeln!(
            text,
            "  s{index}:\n    image: envctl-test/busybox:latest\n    command: sh -c 'echo hello from s{index}; trap \"exit 0\" TERM; sleep 1000 & wait'"
        )
        .expect("writing to a String");
    }
    text
}

/// Runs `openssl` with `args` in `dir`; panics with its stderr when it fails.
fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs (install Debian's `openssl`)");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A CA (`<name>.pem`, `<name>-key.pem`) in `dir`.
fn make_ca(dir: &Path, name: &str) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            &format!("/CN={name}"),
            "-keyout",
            &format!("{name}-key.pem"),
            "-out",
            &format!("{name}.pem"),
        ],
    );
}

/// A key and certificate `<name>.pem`/`<name>-key.pem` signed by the CA `ca`, with
/// the extensions `extensions` (one per line).
fn make_certificate(dir: &Path, ca: &str, name: &str, extensions: &str) {
    std::fs::write(dir.join(format!("{name}.ext")), extensions).expect("write extensions");
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-subj",
            &format!("/CN={name}"),
            "-keyout",
            &format!("{name}-key.pem"),
            "-out",
            &format!("{name}.csr"),
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            &format!("{ca}.pem"),
            "-CAkey",
            &format!("{ca}-key.pem"),
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            &format!("{name}.ext"),
            "-out",
            &format!("{name}.pem"),
        ],
    );
}

/// Every certificate the tests use, in `<test dir>/pki`.
struct Pki {
    dir: PathBuf,
}

impl Pki {
    fn new(test: &Test) -> Self {
        let dir = test.path().join("pki");
        std::fs::create_dir_all(&dir).expect("create the pki directory");
        make_ca(&dir, "ca");
        make_ca(&dir, "other-ca");
        make_certificate(
            &dir,
            "ca",
            "server",
            "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
        );
        make_certificate(
            &dir,
            "ca",
            "elsewhere",
            "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:elsewhere.example\n",
        );
        make_certificate(
            &dir,
            "ca",
            "client",
            "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n",
        );
        Self { dir }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// `<test dir>/machine/machines/<machine>/{ca,cert,key}.pem`, as docker-machine
    /// lays them out, with the CA `ca` (`ca` or `other-ca`); `leave_out` names a file
    /// not to copy.
    fn machine_dir(&self, test: &Test, machine: &str, ca: &str, leave_out: &[&str]) -> PathBuf {
        let dir = test.path().join("machine/machines").join(machine);
        std::fs::create_dir_all(&dir).expect("create the machine directory");
        for (from, to) in [
            (format!("{ca}.pem"), "ca.pem"),
            ("client.pem".to_owned(), "cert.pem"),
            ("client-key.pem".to_owned(), "key.pem"),
        ] {
            if !leave_out.contains(&to) {
                std::fs::copy(self.file(&from), dir.join(to)).expect("copy a certificate");
            }
        }
        dir
    }
}

/// The engine's socket: `DOCKER_HOST` when it is a `unix://` address, else the
/// default.
fn engine_socket() -> String {
    std::env::var("DOCKER_HOST")
        .ok()
        .and_then(|host| host.strip_prefix("unix://").map(ToOwned::to_owned))
        .unwrap_or_else(|| "/var/run/docker.sock".to_owned())
}

/// A socat TLS proxy in front of the engine, killed when dropped. It logs every
/// accepted connection (`-d -d`) to a file, so that tests can count them.
struct TlsProxy {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl TlsProxy {
    /// Serves `server` (`server` or `elsewhere`), demanding a client certificate
    /// signed by the CA.
    fn start(pki: &Pki, server: &str) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let log = pki.dir.join(format!("socat-{port}.log"));
        let listen = format!(
            "OPENSSL-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork,cert={},key={},cafile={},verify=1",
            pki.file(&format!("{server}.pem")).display(),
            pki.file(&format!("{server}-key.pem")).display(),
            pki.file("ca.pem").display(),
        );
        let child = Command::new("socat")
            .args([
                "-d",
                "-d",
                &listen,
                &format!("UNIX-CONNECT:{}", engine_socket()),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("create the socat log"))
            .spawn()
            .expect("socat starts (install Debian's `socat`)");
        let mut proxy = Self { child, port, log };
        proxy.wait_until_listening();
        proxy
    }

    fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("socat exited with {status}: {}", self.log_text());
            }
            assert!(
                Instant::now() < deadline,
                "socat does not listen on {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        // The probe counts as a connection: wait until socat has logged it, so
        // that counts taken from now on are envctl's alone.
        while self.connections() == 0 {
            assert!(
                Instant::now() < deadline,
                "socat does not log its connections"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Connections accepted so far (the readiness probe included).
    fn connections(&self) -> usize {
        self.log_text().matches("accepting connection from").count()
    }

    fn host(&self) -> String {
        format!("tcp://127.0.0.1:{}", self.port)
    }
}

impl Drop for TlsProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A test directory with the compose file and a `home` without `~/.docker`.
fn project_test() -> Test {
    let test = Test::new().file("docker-compose.yml", &compose_file());
    std::fs::create_dir_all(test.path().join("home")).expect("create home");
    // Relative to the test directory (envctl's working directory), so that
    // messages naming files under it are the same on every run.
    test.env("HOME", "home")
}

/// The variables `docker-machine env <machine>` prints.
fn machine_env(test: Test, proxy: &TlsProxy, cert_path: &Path, machine: &str) -> Test {
    test.env("DOCKER_TLS_VERIFY", "1")
        .env("DOCKER_HOST", &proxy.host())
        .env("DOCKER_CERT_PATH", &cert_path.display().to_string())
        .env("DOCKER_MACHINE_NAME", machine)
}

/// `path` relative to the test directory (envctl's working directory): the
/// snapshots of messages naming it are then the same on every run.
fn relative(test: &Test, path: &Path) -> PathBuf {
    path.strip_prefix(test.path())
        .expect("under the test directory")
        .to_path_buf()
}

fn assert_success(output: &Output, what: &str) {
    assert_eq!(output.code, Some(0), "{what}: {}", output.render());
}

/// Runs `envctl -p <project> <args>`.
fn envctl(test: &Test, project: &str, args: &[&str]) -> Output {
    let mut full = vec!["-p", project];
    full.extend(args);
    test.envctl(&full)
}

/// `up -d` (counting the proxy's connections), `ps`, `down -v`, over `test`'s
/// TLS settings; returns the connections `up -d` opened.
fn up_ps_down(test: &Test, project: &str, proxy: &TlsProxy, extra: &[&str]) -> usize {
    let with = |args: &[&str]| {
        let mut full: Vec<&str> = extra.to_vec();
        full.extend(args);
        envctl(test, project, &full)
    };
    let before = proxy.connections();
    let output = with(&["up", "-d"]);
    assert_success(&output, "up -d");
    let during_up = proxy.connections() - before;
    assert_eq!(project_container_ids(project).len(), SERVICES);

    let output = with(&["ps"]);
    assert_success(&output, "ps");
    for index in 0..SERVICES {
        assert!(
            output.stdout.contains(&format!("{project}_s{index}_1")),
            "{}",
            output.render()
        );
    }
    assert_eq!(
        output.stdout.matches(" Up ").count(),
        SERVICES,
        "{}",
        output.render()
    );

    // `logs` and `run --rm` over the same connection settings (See: #7).
    let output = with(&["logs", "--no-color", "s0"]);
    assert_success(&output, "logs");
    assert!(
        output.stdout.contains("hello from s0"),
        "{}",
        output.render()
    );
    let output = with(&["run", "--rm", "-T", "s1", "echo", "run over tls"]);
    assert_success(&output, "run --rm");
    assert!(
        output.stdout.contains("run over tls"),
        "{}",
        output.render()
    );
    assert_eq!(
        project_container_ids(project).len(),
        SERVICES,
        "`run --rm` leaves no one-off container behind"
    );
    let output = with(&["exec", "-T", "s2", "sh", "-c", "echo exec over tls; exit 3"]);
    assert_eq!(
        output.code,
        Some(3),
        "exec passes the exit code: {}",
        output.render()
    );
    assert!(
        output.stdout.contains("exec over tls"),
        "{}",
        output.render()
    );

    let output = with(&["down", "-v"]);
    assert_success(&output, "down -v");
    assert!(project_container_ids(project).is_empty());
    during_up
}

#[test]
fn docker_machine_env_runs_up_ps_logs_run_down_over_tls() {
    let test = project_test();
    let pki = Pki::new(&test);
    let proxy = TlsProxy::start(&pki, "server");
    let cert_path = pki.machine_dir(&test, "dev", "ca", &[]);
    let test = machine_env(test, &proxy, &cert_path, "dev");
    let project = unique_project("tlsmachine");
    let _guard = ProjectGuard::new(&project);

    let connections = up_ps_down(&test, &project, &proxy, &[]);
    // Requests run in parallel (the ten creates at once), and each connection is
    // kept alive for the next: one connection per request in flight, against more
    // than 30 requests (without keep-alive, one per request).
    eprintln!("up -d of {SERVICES} services over TLS: {connections} connection(s)");
    assert!(
        (1..=SERVICES).contains(&connections),
        "{connections} connections for an `up -d` of {SERVICES} services: {}",
        proxy.log_text()
    );

    let output = envctl(&test, &project, &["version"]);
    assert_success(&output, "version");
    let engine_line = format!("Engine: {} over TLS (machine dev)", proxy.host());
    assert!(output.stdout.contains(&engine_line), "{}", output.render());
    assert!(
        output.stdout.contains(" API version:  1."),
        "{}",
        output.render()
    );

    let output = envctl(&test, &project, &["info"]);
    assert_success(&output, "info");
    assert!(output.stdout.contains(&engine_line), "{}", output.render());
    assert!(
        output.stdout.contains("host name checked"),
        "{}",
        output.render()
    );
}

#[test]
fn one_connection_serves_a_whole_up_when_requests_do_not_overlap() {
    let test = project_test();
    let pki = Pki::new(&test);
    let proxy = TlsProxy::start(&pki, "server");
    let cert_path = pki.machine_dir(&test, "dev", "ca", &[]);
    let test = machine_env(test, &proxy, &cert_path, "dev").env("COMPOSE_PARALLEL_LIMIT", "1");
    let project = unique_project("tlsone");
    let _guard = ProjectGuard::new(&project);

    let before = proxy.connections();
    let output = envctl(&test, &project, &["up", "-d"]);
    assert_success(&output, "up -d");
    assert_eq!(project_container_ids(&project).len(), SERVICES);
    // Dozens of requests, one at a time: one connection, one TLS handshake.
    let connections = proxy.connections() - before;
    eprintln!(
        "up -d of {SERVICES} services over TLS, one request at a time: {connections} connection(s)"
    );
    assert_eq!(
        connections,
        1,
        "TLS connections for one `up -d`: {}",
        proxy.log_text()
    );
    let output = envctl(&test, &project, &["down", "-v"]);
    assert_success(&output, "down -v");
}

#[test]
fn host_flag_and_tls_flags_run_up_ps_logs_run_down() {
    let test = project_test();
    let pki = Pki::new(&test);
    let proxy = TlsProxy::start(&pki, "server");
    let project = unique_project("tlsflags");
    let _guard = ProjectGuard::new(&project);
    let host = format!("tcp://localhost:{}", proxy.port);
    let (ca, cert, key) = (
        pki.file("ca.pem").display().to_string(),
        pki.file("client.pem").display().to_string(),
        pki.file("client-key.pem").display().to_string(),
    );
    let flags = [
        "-H",
        host.as_str(),
        "--tlsverify",
        "--tlscacert",
        ca.as_str(),
        "--tlscert",
        cert.as_str(),
        "--tlskey",
        key.as_str(),
    ];
    up_ps_down(&test, &project, &proxy, &flags);
}

/// Runs `up -d` expecting a failure; checks that nothing was created and returns
/// the output with the port and directory hidden, for a snapshot.
fn refused(
    test: &Test,
    proxy: &TlsProxy,
    project: &str,
    extra: &[&str],
) -> (Output, insta::Settings) {
    let mut args: Vec<&str> = extra.to_vec();
    args.extend(["up", "-d"]);
    let output = envctl(test, project, &args);
    assert_ne!(output.code, Some(0), "{}", output.render());
    assert!(
        project_container_ids(project).is_empty(),
        "nothing may be created: {}",
        output.render()
    );
    let mut settings = support::settings(test);
    settings.add_filter(&format!(":{}\\b", proxy.port), ":[PORT]");
    (output, settings)
}

/// A refusal by a `docker-machine env` setting: the proxy's certificate names
/// `server_name`, the machine's directory (given relative, as a user may) holds
/// `ca`'s files but `leave_out`, and `up -d` is refused with nothing created.
struct MachineRefusal {
    test: Test,
    proxy: TlsProxy,
    project: String,
    output: Output,
    settings: insta::Settings,
    /// How many connections reached the proxy before the refused `up -d`.
    connections_before: usize,
    _guard: ProjectGuard,
}

impl MachineRefusal {
    fn run(server_name: &str, ca: &str, leave_out: &[&str], prefix: &str) -> Self {
        let test = project_test();
        let pki = Pki::new(&test);
        let proxy = TlsProxy::start(&pki, server_name);
        let cert_path = pki.machine_dir(&test, "dev", ca, leave_out);
        let cert_path = relative(&test, &cert_path);
        let test = machine_env(test, &proxy, &cert_path, "dev");
        let project = unique_project(prefix);
        let guard = ProjectGuard::new(&project);
        let connections_before = proxy.connections();
        let (output, settings) = refused(&test, &proxy, &project, &[]);
        assert_eq!(output.code, Some(1), "{}", output.render());
        Self {
            test,
            proxy,
            project,
            output,
            settings,
            connections_before,
            _guard: guard,
        }
    }

    /// The refusal came before any connection: a file was missing.
    fn assert_no_connection(&self) {
        assert_eq!(
            self.proxy.connections(),
            self.connections_before,
            "no connection without the files"
        );
    }
}

#[test]
fn a_server_certificate_from_another_ca_is_refused() {
    let refusal = MachineRefusal::run("server", "other-ca", &[], "tlswrongca");
    let output = &refusal.output;
    refusal
        .settings
        .bind(|| insta::assert_snapshot!(output.render()));
}

#[test]
fn an_engine_demanding_a_client_certificate_refuses_a_client_without_one() {
    let test = project_test();
    let pki = Pki::new(&test);
    let proxy = TlsProxy::start(&pki, "server");
    let project = unique_project("tlsnoclient");
    let _guard = ProjectGuard::new(&project);
    // `--tls` alone: encrypted, and `~/.docker` (here empty) has no client
    // certificate to send.
    let host = proxy.host();
    let (output, mut settings) = refused(&test, &proxy, &project, &["-H", &host, "--tls"]);
    assert_eq!(output.code, Some(1), "{}", output.render());
    // The alert reaches envctl either as the first request's error (then hyper
    // adds this line) or as the connection's: the same message otherwise.
    settings.add_filter(r"  ├─▶ operation was canceled\n", "");
    settings.bind(|| insta::assert_snapshot!(output.render()));
}

#[test]
fn a_server_certificate_for_another_name_is_refused_unless_skip_hostname_check() {
    let refusal = MachineRefusal::run("elsewhere", "ca", &[], "tlsname");
    let output = &refusal.output;
    refusal
        .settings
        .bind(|| insta::assert_snapshot!(output.render()));

    // The CA still signed it: `--skip-hostname-check` lets it through.
    let output = envctl(
        &refusal.test,
        &refusal.project,
        &["--skip-hostname-check", "ps"],
    );
    assert_success(&output, "ps --skip-hostname-check");
}

#[test]
fn a_missing_cert_pem_is_named() {
    let refusal = MachineRefusal::run("server", "ca", &["cert.pem"], "tlsnocert");
    refusal.assert_no_connection();
    let output = &refusal.output;
    refusal
        .settings
        .bind(|| insta::assert_snapshot!(output.render()));
}

#[test]
fn a_cert_path_without_key_pem_is_named() {
    let refusal = MachineRefusal::run("server", "ca", &["key.pem"], "tlsnokey");
    refusal.assert_no_connection();
    let output = &refusal.output;
    refusal
        .settings
        .bind(|| insta::assert_snapshot!(output.render()));
}

#[test]
fn plain_http_to_a_tls_port_says_what_to_try() {
    let test = project_test();
    let pki = Pki::new(&test);
    let proxy = TlsProxy::start(&pki, "server");
    let project = unique_project("tlsplain");
    let _guard = ProjectGuard::new(&project);
    let host = proxy.host();
    let (output, _settings) = refused(&test, &proxy, &project, &["-H", &host]);
    assert_eq!(output.code, Some(1), "{}", output.render());
    // The engine's TLS port closes a plain connection without an answer: the help
    // says TLS, not "is the engine running?" (See: #16).
    assert!(
        output.stderr.contains(&format!("`{host}`"))
            && output.stderr.contains("it may want TLS")
            && output.stderr.contains("--tlsverify")
            && !output.stderr.contains("is the engine running"),
        "{}",
        output.render()
    );
}
