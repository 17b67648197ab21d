//! Connecting: the API version comes from the engine's ping and requests work
//! with it, against a real engine.

#![cfg(feature = "docker-tests")]

mod support;

use envctl_executor::{Engine, EngineAddress};
use support::unique_project;

/// The API version the engine itself reports, through the docker CLI.
fn engine_api_version() -> String {
    let output = std::process::Command::new("docker")
        .args(["version", "--format", "{{.Server.APIVersion}}"])
        .output()
        .expect("the docker CLI runs");
    assert!(output.status.success(), "docker version failed: {output:?}");
    String::from_utf8(output.stdout)
        .expect("utf-8")
        .trim()
        .to_owned()
}

// See: #8 (the version used to come from `GET /version`, a third of `envctl ps`).
#[tokio::test]
async fn unix_socket_connection_speaks_the_engines_api_version() {
    let host = std::env::var("DOCKER_HOST").unwrap_or_default();
    let address = if host.is_empty() {
        EngineAddress::parse("unix:///var/run/docker.sock").expect("a valid address")
    } else {
        EngineAddress::parse(&host).expect("DOCKER_HOST is a valid address")
    };
    let engine = Engine::connect(&address).await.expect("the engine answers");
    let reported = engine_api_version();
    let parse = |version: &str| -> (u32, u32) {
        let (major, minor) = version.split_once('.').expect("a dotted version");
        (
            major.parse().expect("a number"),
            minor.parse().expect("a number"),
        )
    };
    // The engine's version, or the client's newest (1.53) when the engine is newer.
    let expected = parse(&reported).min((1, 53));
    assert_eq!(
        parse(&engine.api_version()),
        expected,
        "engine reports {reported}"
    );
    // A versioned request succeeds.
    let label = format!("com.docker.compose.project={}", unique_project("connect"));
    let containers = engine
        .list_containers(&label)
        .await
        .expect("listing works with the negotiated version");
    assert!(containers.is_empty());
}
