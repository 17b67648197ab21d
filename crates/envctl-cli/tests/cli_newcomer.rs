//! What a newcomer meets in the first hour, on a real engine (See: #16).

#![cfg(feature = "docker-tests")]

mod support;

use std::process::Command;

use support::fault_proxy::{FaultProxy, Rule};
use support::{ProjectGuard, Test, unique_project};

const TWO_SERVICES: &str = "\
first:
  image: envctl-test/busybox:latest
second:
  image: envctl-test/busybox:latest
  links: [first]
";

/// `envctl ARGS` under `script`, which gives it a terminal that does not say its
/// width (as some CI log captures do); returns everything the terminal showed.
fn under_script(test: &Test, args: &[&str]) -> String {
    let mut line = String::from(env!("CARGO_BIN_EXE_envctl"));
    for arg in args {
        line.push_str(" '");
        line.push_str(arg);
        line.push('\'');
    }
    let output = Command::new("script")
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .current_dir(test.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LANG", "C.UTF-8")
        .envs(std::env::var("DOCKER_HOST").map(|host| ("DOCKER_HOST", host)))
        .output()
        .expect("script runs (util-linux)");
    let shown = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "envctl {args:?} under script failed:\n{shown}"
    );
    shown
}

#[test]
fn progress_on_a_terminal_of_unknown_width_is_plain_lines() {
    let project = unique_project("newcomer-width");
    let _guard = ProjectGuard::new(&project);
    let test = Test::new().file("docker-compose.yml", TWO_SERVICES);

    for args in [["-p", &project, "up", "-d"], ["-p", &project, "down", "-v"]] {
        let shown = under_script(&test, &args);
        // The terminal turns each `\n` into `\r\n`; anything else (a bare `\r`, an
        // escape sequence to redraw) means bars were drawn.
        let lines: Vec<&str> = shown
            .split("\r\n")
            .filter(|line| !line.is_empty())
            .collect();
        assert!(
            lines
                .iter()
                .all(|line| !line.contains('\r') && !line.contains('\u{1b}')),
            "{args:?} redrew lines on a terminal of unknown width:\n{shown:?}"
        );
        let verb = if args[2] == "up" {
            "Creating"
        } else {
            "Removing"
        };
        let steps = lines.iter().filter(|line| line.starts_with(verb)).count();
        assert_eq!(steps, 2, "{args:?}: one line per container:\n{shown}");
        assert!(
            lines.iter().all(|line| line.len() < 120),
            "{args:?}: lines are not padded to a guessed width:\n{shown:?}"
        );
    }
}

/// `DOCKER_CERT_PATH` without `DOCKER_TLS_VERIFY` only says where certificates are:
/// docker-compose 1.29.2 (and the docker CLI) then speak plain HTTP to a `tcp://`
/// engine, and so does envctl.
#[test]
fn a_cert_path_alone_speaks_plain_http_as_docker_compose_does() {
    let project = unique_project("newcomer-certpath");
    let _guard = ProjectGuard::new(&project);
    let proxy = FaultProxy::start_tcp(Rule::never(), 18107);
    let test = Test::new().file("docker-compose.yml", TWO_SERVICES);
    // docker-compose insists that the files exist, then does not use them.
    let certs = test.path().join("certs");
    std::fs::create_dir(&certs).expect("make the certificate directory");
    let made = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args([
            "-subj",
            "/CN=unused",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
        ])
        .current_dir(&certs)
        .output()
        .expect("openssl runs");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    std::fs::copy(certs.join("cert.pem"), certs.join("ca.pem")).expect("copy the CA");
    let certs = certs.display().to_string();
    let test = test
        .env("DOCKER_HOST", &proxy.docker_host())
        .env("DOCKER_CERT_PATH", &certs)
        .env("COMPOSE_PROJECT_NAME", &project);
    let ours = test.envctl(&["ps"]);
    assert_eq!(ours.code, Some(0), "{}", ours.render());
    let theirs = Command::new("docker-compose")
        .args(["-p", &project, "ps"])
        .current_dir(test.path())
        .env("DOCKER_HOST", proxy.docker_host())
        .env("DOCKER_CERT_PATH", &certs)
        .env_remove("DOCKER_TLS_VERIFY")
        .output()
        .expect("docker-compose 1.29.2 runs");
    assert!(
        theirs.status.success(),
        "docker-compose: {}",
        String::from_utf8_lossy(&theirs.stderr)
    );
}
