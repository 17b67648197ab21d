//! A v1 file (no `version:` key) served against a real engine: made as v1 makes
//! it (the default bridge network, no project network), reported, changed with
//! `PATCH`, and deleted with nothing left behind: what `down` reads round-trips.
//! See: #21

#![cfg(feature = "docker-tests")]
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use common::{
    Guard, READER, Running, Setup, WRITER, client, container_ids, docker, leftovers, send, unique,
};

const V1: &str = r#"
data:
  image: envctl-test/busybox
  command: ["true"]
  volumes: ["/data"]
web:
  image: envctl-test/busybox
  command: ["sh", "-c", "trap 'exit 0' TERM; echo $$HOME; httpd -f -p 8080 & wait"]
  ports: ["8080"]
  volumes_from: [data]
  links: [cache]
cache:
  image: envctl-test/busybox
  command: ["sh", "-c", "trap 'exit 0' TERM; sleep 100000 & wait"]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_v1_file_is_served_and_deleted_without_leftovers() {
    let setup = Setup::new();
    let name = unique("v1");
    let _guard = Guard(vec![name.clone()]);
    let server = Running::start(setup.config(Duration::from_secs(3600))).await;
    let url = server.url(&format!("/v1/environments/{name}"));
    let (status, body) = send(
        client()
            .put(&url)
            .bearer_auth(WRITER)
            .json(&json!({"compose": V1, "ttl": "10m", "wait": true})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["state"], "running", "{body}");
    assert_eq!(body["services"]["web"]["running"], 1, "{body}");
    assert_eq!(body["services"]["cache"]["running"], 1, "{body}");
    assert_eq!(body["endpoints"][0]["target"], "8080/tcp", "{body}");
    // v1: the default bridge, v1's names, no network of the project.
    let web = format!("{name}_web_1");
    assert_eq!(
        docker(&[
            "inspect",
            "-f",
            "{{range $key, $value := .NetworkSettings.Networks}}{{$key}}{{end}}",
            &web
        ]),
        ["bridge"]
    );
    assert_eq!(
        docker(&[
            "network",
            "ls",
            "-q",
            "--filter",
            &format!("label=com.docker.compose.project={name}")
        ]),
        Vec::<String>::new()
    );
    let ids = container_ids(&name);

    // The same file again changes nothing.
    let (status, body) = send(
        client()
            .put(&url)
            .bearer_auth(WRITER)
            .json(&json!({"compose": V1, "ttl": "10m", "wait": true})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(container_ids(&name), ids);
    let (status, body) = send(client().get(&url).bearer_auth(READER)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "running", "{body}");

    // DELETE reads the stored file back: everything goes.
    let (status, body) = send(client().delete(&url).bearer_auth(WRITER)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !leftovers(&name).is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(leftovers(&name), Vec::<String>::new(), "left behind");
    server.stop().await;
}
