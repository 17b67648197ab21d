//! `envctl serve` from the outside: the addresses it refuses to listen on, and a
//! unix socket made with mode 0600 that answers `/healthz` without a token.
//! No engine is needed for these (the reaper's failures are not fatal).

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn envctl() -> Command {
    Command::new(env!("CARGO_BIN_EXE_envctl"))
}

fn setup() -> tempfile::TempDir {
    let directory = tempfile::tempdir().expect("a temporary directory");
    std::fs::create_dir_all(directory.path().join("templates/web")).expect("templates");
    std::fs::write(
        directory.path().join("templates/web/docker-compose.yml"),
        "version: '2'\nservices:\n  web:\n    image: envctl-test/busybox\n",
    )
    .expect("template");
    std::fs::write(
        directory.path().join("tokens"),
        "# comment\n0123456789abcdef0123 ci read,write\n",
    )
    .expect("tokens");
    directory
}

#[test]
fn refuses_a_non_loopback_address_and_a_bad_tokens_file() {
    let directory = setup();
    let root = directory.path();
    let output = envctl()
        .args(["serve", "--listen", "0.0.0.0:18080", "--templates"])
        .arg(root.join("templates"))
        .arg("--tokens")
        .arg(root.join("tokens"))
        .output()
        .expect("envctl runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("refusing to listen on `0.0.0.0:18080`"),
        "{stderr}"
    );

    std::fs::write(root.join("bad-tokens"), "0123456789abcdef0123 ci admin\n").expect("write");
    let output = envctl()
        .args(["serve", "--listen", "127.0.0.1:0", "--templates"])
        .arg(root.join("templates"))
        .arg("--tokens")
        .arg(root.join("bad-tokens"))
        .output()
        .expect("envctl runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("line 1: unknown scope `admin`"), "{stderr}");
}

#[test]
fn serves_on_a_unix_socket_with_mode_0600() {
    let directory = setup();
    let root = directory.path();
    let socket = root.join("serve.sock");
    let mut child = envctl()
        .arg("serve")
        .arg("--listen")
        .arg(format!("unix:{}", socket.display()))
        .arg("--templates")
        .arg(root.join("templates"))
        .arg("--tokens")
        .arg(root.join("tokens"))
        .arg("--state-directory")
        .arg(root.join("state"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("envctl serve starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !socket.exists() {
        assert!(
            Instant::now() < deadline,
            "no socket at {}",
            socket.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let mode = std::fs::metadata(&socket)
        .expect("socket")
        .permissions()
        .mode()
        & 0o777;
    let request = |path: &str| {
        let mut stream = UnixStream::connect(&socket).expect("connects");
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: envctl\r\nConnection: close\r\n\r\n"
        )
        .expect("writes");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("reads");
        answer
    };
    let health = request("/healthz");
    let listing = request("/v1/environments");
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(mode, 0o600, "the socket's mode");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.contains(r#"{"status":"ok"}"#), "{health}");
    assert!(listing.starts_with("HTTP/1.1 401"), "{listing}");
}
