//! `envctl serve --idle-timeout --max-connections` from the outside, with raw
//! sockets: a connection that sends nothing, half a request's headers, or stays
//! idle after an answer is closed after the idle bound, on a TCP port and on a
//! unix socket (TLS: `cli_serve_tls.rs`); past the connection bound a new
//! connection waits until one closes; a body that stops half-way is answered
//! `408` after `--request-timeout`; and with the engine, a followed log and the
//! events stream stay open through quiet spells longer than the idle bound.
//! See: #21

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "0123456789abcdef0123";

fn setup() -> tempfile::TempDir {
    let directory = tempfile::tempdir().unwrap();
    let root = directory.path();
    std::fs::create_dir_all(root.join("templates/talker")).unwrap();
    // Says `first`, is quiet for six seconds (longer than the idle bound the
    // tests use), then says `second`; exits on SIGTERM.
    std::fs::write(
        root.join("templates/talker/docker-compose.yml"),
        "version: '2'\nservices:\n  talker:\n    image: envctl-test/busybox\n    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; echo first; sleep 6; echo second; sleep 100000 & wait\"]\n",
    )
    .unwrap();
    std::fs::write(root.join("tokens"), format!("{TOKEN} ci read,write\n")).unwrap();
    directory
}

/// A running `envctl serve`, killed on drop; `address` is what it printed.
struct Serve {
    child: Child,
    address: String,
}

impl Serve {
    fn start(root: &Path, listen: &str, extra: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_envctl"))
            .arg("serve")
            .args(["--listen", listen])
            .arg("--templates")
            .arg(root.join("templates"))
            .arg("--tokens")
            .arg(root.join("tokens"))
            .arg("--state-directory")
            .arg(root.join("state"))
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(root.join("serve.log")).unwrap())
            .spawn()
            .expect("envctl serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let address = line
            .trim()
            .strip_prefix("envctl serve: listening on ")
            .unwrap_or_else(|| panic!("{line}"))
            .to_owned();
        Self { child, address }
    }

    /// A TCP connection to it.
    fn connect(&self) -> std::net::TcpStream {
        let address = self.address.strip_prefix("http://").unwrap();
        std::net::TcpStream::connect(address).unwrap()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn request(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: envctl\r\nAuthorization: Bearer {TOKEN}\r\n\r\n")
}

/// Reads until the server closes the connection (or 20 s pass): what was read and
/// how long it took, `None` if it was still open after 20 s.
fn until_closed(stream: &mut impl Read) -> (String, Option<Duration>) {
    let started = Instant::now();
    let mut read = Vec::new();
    let mut buffer = [0; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => {
                return (
                    String::from_utf8_lossy(&read).into_owned(),
                    Some(started.elapsed()),
                );
            }
            Ok(count) => read.extend_from_slice(&buffer[..count]),
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            // A reset is a close too.
            Err(error) if error.kind() == ErrorKind::ConnectionReset => {
                return (
                    String::from_utf8_lossy(&read).into_owned(),
                    Some(started.elapsed()),
                );
            }
            Err(_) => return (String::from_utf8_lossy(&read).into_owned(), None),
        }
    }
}

/// Reads until `text` has been read (or `limit` passes): everything read.
fn until_seen(stream: &mut impl Read, text: &str, limit: Duration) -> String {
    let deadline = Instant::now() + limit;
    let mut read = Vec::new();
    let mut buffer = [0; 4096];
    while !String::from_utf8_lossy(&read).contains(text) {
        assert!(
            Instant::now() < deadline,
            "`{text}` not read within {limit:?}: {}",
            String::from_utf8_lossy(&read)
        );
        match stream.read(&mut buffer) {
            Ok(0) => panic!(
                "closed before `{text}` was read: {}",
                String::from_utf8_lossy(&read)
            ),
            Ok(count) => read.extend_from_slice(&buffer[..count]),
            Err(error)
                if matches!(
                    error.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) => {}
            Err(error) => panic!("{error}: {}", String::from_utf8_lossy(&read)),
        }
    }
    String::from_utf8_lossy(&read).into_owned()
}

/// Closed after the idle bound (1 s), not before and not much after.
fn assert_closed_after_the_bound(case: &str, (read, held): (String, Option<Duration>)) {
    let held = held.unwrap_or_else(|| panic!("{case}: still open after 20 s: {read}"));
    assert!(
        held >= Duration::from_millis(900) && held < Duration::from_secs(6),
        "{case}: closed after {held:?}: {read}"
    );
}

#[test]
fn a_connection_silent_half_sent_or_idle_after_an_answer_is_closed_after_the_idle_timeout() {
    let directory = setup();
    let root = directory.path();
    let serve = Serve::start(root, "127.0.0.1:0", &["--idle-timeout", "1s"]);
    let timeout = Some(Duration::from_secs(20));

    let mut silent = serve.connect();
    silent.set_read_timeout(timeout).unwrap();
    let closed = until_closed(&mut silent);
    assert_eq!(closed.0, "", "a silent connection is answered nothing");
    assert_closed_after_the_bound("silent", closed);

    let mut half = serve.connect();
    half.set_read_timeout(timeout).unwrap();
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: envctl\r\nX-Half: ")
        .unwrap();
    let closed = until_closed(&mut half);
    assert!(!closed.0.contains("200 OK"), "{}", closed.0);
    assert_closed_after_the_bound("half a request's headers", closed);

    // Keep-alive still works within the bound: a second request half a second
    // after the first answer is answered on the same connection, and the
    // connection is closed a bound after that answer.
    let mut idle = serve.connect();
    idle.set_read_timeout(timeout).unwrap();
    idle.write_all(request("/healthz").as_bytes()).unwrap();
    until_seen(&mut idle, r#"{"status":"ok"}"#, Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(500));
    idle.write_all(request("/healthz").as_bytes()).unwrap();
    until_seen(&mut idle, r#"{"status":"ok"}"#, Duration::from_secs(10));
    assert_closed_after_the_bound("idle after an answer", until_closed(&mut idle));
    drop(serve);

    // The same on a unix socket.
    let socket = root.join("serve.sock");
    let _serve = Serve::start(
        root,
        &format!("unix:{}", socket.display()),
        &["--idle-timeout", "1s"],
    );
    let mut silent = UnixStream::connect(&socket).unwrap();
    silent.set_read_timeout(timeout).unwrap();
    assert_closed_after_the_bound("silent, unix socket", until_closed(&mut silent));
    let mut idle = UnixStream::connect(&socket).unwrap();
    idle.set_read_timeout(timeout).unwrap();
    idle.write_all(request("/healthz").as_bytes()).unwrap();
    until_seen(&mut idle, r#"{"status":"ok"}"#, Duration::from_secs(10));
    assert_closed_after_the_bound("idle after an answer, unix socket", until_closed(&mut idle));
}

#[test]
fn a_zero_idle_timeout_or_connection_limit_is_refused_at_start() {
    let directory = setup();
    let root = directory.path();
    for (flags, expected) in [
        (["--idle-timeout", "0s"], "invalid --idle-timeout `0s`"),
        (["--idle-timeout", "soon"], "invalid --idle-timeout `soon`"),
        (["--max-connections", "0"], "--max-connections"),
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_envctl"))
            .args(["serve", "--listen", "127.0.0.1:0", "--templates"])
            .arg(root.join("templates"))
            .arg("--tokens")
            .arg(root.join("tokens"))
            .arg("--state-directory")
            .arg(root.join("state"))
            .args(flags)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // A server that started anyway is stopped, and fails the test below.
        let deadline = Instant::now() + Duration::from_secs(10);
        while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            matches!(output.status.code(), Some(1 | 2)),
            "{flags:?}: {output:?}"
        );
        assert!(stderr.contains(expected), "{flags:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{flags:?}: it listened");
    }
}

#[test]
fn past_max_connections_a_new_connection_waits_until_one_closes() {
    let directory = setup();
    let root = directory.path();
    let serve = Serve::start(
        root,
        "127.0.0.1:0",
        &["--max-connections", "2", "--idle-timeout", "60s"],
    );
    // Two connections, answered and kept open.
    let mut open = Vec::new();
    for _ in 0..2 {
        let mut stream = serve.connect();
        stream
            .set_read_timeout(Some(Duration::from_secs(1)))
            .unwrap();
        stream.write_all(request("/healthz").as_bytes()).unwrap();
        until_seen(&mut stream, r#"{"status":"ok"}"#, Duration::from_secs(10));
        open.push(stream);
    }
    // A third is not accepted: its request waits, unanswered.
    let mut third = serve.connect();
    third
        .set_read_timeout(Some(Duration::from_millis(1500)))
        .unwrap();
    third.write_all(request("/healthz").as_bytes()).unwrap();
    let mut buffer = [0; 256];
    match third.read(&mut buffer) {
        Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
        other => panic!(
            "a third connection past --max-connections 2 was served: {other:?} {}",
            String::from_utf8_lossy(&buffer)
        ),
    }
    // Once one of the two closes, it is accepted and answered.
    let started = Instant::now();
    drop(open.remove(0));
    until_seen(&mut third, r#"{"status":"ok"}"#, Duration::from_secs(5));
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_request_body_that_stops_half_way_is_answered_408_after_the_request_timeout() {
    let directory = setup();
    let root = directory.path();
    let serve = Serve::start(
        root,
        "127.0.0.1:0",
        &["--request-timeout", "2s", "--idle-timeout", "60s"],
    );
    let mut stream = serve.connect();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        stream,
        "PUT /v1/environments/half HTTP/1.1\r\nHost: envctl\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"templ"
    )
    .unwrap();
    let (answer, held) = until_closed(&mut stream);
    let held = held.unwrap_or_else(|| panic!("still open after 20 s: {answer}"));
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains(r#""code":"timeout""#), "{answer}");
    assert!(
        held >= Duration::from_millis(1900) && held < Duration::from_secs(8),
        "answered after {held:?}"
    );
}

/// Removes the environment's containers, networks and volumes when dropped.
#[cfg(feature = "docker-tests")]
struct Environment(String);

#[cfg(feature = "docker-tests")]
impl Drop for Environment {
    fn drop(&mut self) {
        let docker = |arguments: &[&str]| {
            let output = Command::new("docker").args(arguments).output().unwrap();
            String::from_utf8_lossy(&output.stdout)
                .split_whitespace()
                .map(ToOwned::to_owned)
                .collect::<Vec<_>>()
        };
        let label = format!("label=com.docker.compose.project={}", self.0);
        for container in docker(&["ps", "-aq", "--filter", &label]) {
            docker(&["rm", "-fv", &container]);
        }
        for network in docker(&["network", "ls", "-q", "--filter", &label]) {
            docker(&["network", "rm", &network]);
        }
        for volume in docker(&["volume", "ls", "-q", "--filter", &label]) {
            docker(&["volume", "rm", &volume]);
        }
    }
}

#[cfg(feature = "docker-tests")]
#[test]
fn a_followed_log_and_the_events_stream_outlive_the_idle_timeout() {
    let directory = setup();
    let root = directory.path();
    let serve = Serve::start(root, "127.0.0.1:0", &["--idle-timeout", "1s"]);
    let name = format!("conn-{}", std::process::id());
    let environment = Environment(name.clone());
    let read_timeout = Some(Duration::from_millis(200));

    let mut events = serve.connect();
    events.set_read_timeout(read_timeout).unwrap();
    events.write_all(request("/v1/events").as_bytes()).unwrap();
    until_seen(&mut events, "text/event-stream", Duration::from_secs(10));

    let body = r#"{"template": "talker", "wait": true}"#;
    let mut put = serve.connect();
    write!(
        put,
        "PUT /v1/environments/{name} HTTP/1.1\r\nHost: envctl\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let (answer, _) = until_closed(&mut put);
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    until_seen(&mut events, "event: ready", Duration::from_secs(10));

    // The log: `first`, seconds of quiet, `second`, on one connection.
    let mut logs = serve.connect();
    logs.set_read_timeout(read_timeout).unwrap();
    logs.write_all(request(&format!("/v1/environments/{name}/logs?follow=true")).as_bytes())
        .unwrap();
    until_seen(&mut logs, "first", Duration::from_secs(10));
    let quiet = Instant::now();
    until_seen(&mut logs, "second", Duration::from_secs(15));
    assert!(
        quiet.elapsed() > Duration::from_secs(2),
        "the log was quiet only {:?}",
        quiet.elapsed()
    );

    // The events stream has been quiet as long: it still delivers.
    let mut delete = serve.connect();
    write!(
        delete,
        "DELETE /v1/environments/{name} HTTP/1.1\r\nHost: envctl\r\nAuthorization: Bearer {TOKEN}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let (answer, _) = until_closed(&mut delete);
    assert!(answer.starts_with("HTTP/1.1 202"), "{answer}");
    until_seen(&mut events, "event: deleting", Duration::from_secs(10));
    until_seen(&mut events, "event: deleted", Duration::from_secs(60));
    drop(environment);
}
