//! `envctl serve`'s lease and snapshot against a real engine: `PATCH` changes the
//! expiry without making the containers again (a restarted server sees it, the
//! reaper honours it), and a change made behind the server's back (`docker
//! stop`) shows in `GET` within seconds although `GET`s are served from a
//! snapshot. See: #21

#![cfg(feature = "docker-tests")]
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use common::{
    Guard, READER, Running, Setup, WRITER, client, container_ids, docker, leftovers, send, unique,
};

async fn get(server: &Running, name: &str) -> (StatusCode, Value) {
    send(
        client()
            .get(server.url(&format!("/v1/environments/{name}")))
            .bearer_auth(READER),
    )
    .await
}

/// Polls `GET` until `done` holds of the answer, for at most `limit`.
async fn until(
    server: &Running,
    name: &str,
    limit: Duration,
    done: impl Fn(StatusCode, &Value) -> bool,
) -> (StatusCode, Value, Duration) {
    let start = Instant::now();
    loop {
        let (status, body) = get(server, name).await;
        if done(status, &body) {
            return (status, body, start.elapsed());
        }
        assert!(
            start.elapsed() < limit,
            "`{name}`: no change within {limit:?}: last {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn patch_changes_the_expiry_and_keeps_the_containers() {
    let setup = Setup::new();
    let name = unique("lease");
    let _guard = Guard(vec![name.clone()]);
    let first = Running::start(setup.config(Duration::from_secs(3600))).await;
    let url = first.url(&format!("/v1/environments/{name}"));
    let (status, created) = send(
        client()
            .put(&url)
            .bearer_auth(WRITER)
            .json(&json!({"template": "web", "ttl": "10m", "wait": true})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let ids = container_ids(&name);
    assert_eq!(ids.len(), 1, "{ids:?}");

    let (status, patched) = send(
        client()
            .patch(&url)
            .bearer_auth(WRITER)
            .json(&json!({"ttl": "5h"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_ne!(patched["expires"], created["expires"], "{patched}");
    assert!(
        patched["expires"].as_str() > created["expires"].as_str(),
        "{patched}"
    );
    let (_, seen) = get(&first, &name).await;
    assert_eq!(seen["expires"], patched["expires"], "{seen}");
    assert_eq!(seen["state"], "running", "{seen}");
    assert_eq!(container_ids(&name), ids, "PATCH made the containers again");
    // One lease: the old one was removed.
    let leases = docker(&[
        "volume",
        "ls",
        "-q",
        "--filter",
        &format!("label=io.envctl.serve.lease={name}"),
    ]);
    assert_eq!(leases.len(), 1, "{leases:?}");
    first.stop().await;

    // A restarted server sees the new expiry, and reaps by it.
    let second = Running::start(setup.config(Duration::from_secs(1))).await;
    let (status, seen) = get(&second, &name).await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert_eq!(seen["expires"], patched["expires"], "{seen}");
    let (status, body) = send(
        client()
            .patch(second.url(&format!("/v1/environments/{name}")))
            .bearer_auth(WRITER)
            .json(&json!({"ttl": "1s"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(container_ids(&name), ids, "PATCH made the containers again");
    until(&second, &name, Duration::from_secs(60), |status, _| {
        status == StatusCode::NOT_FOUND
    })
    .await;
    // The reaper removed the lease with the rest.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !leftovers(&name).is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(leftovers(&name), Vec::<String>::new(), "left behind");
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn get_shows_a_docker_stop_made_outside_the_server_within_seconds() {
    let setup = Setup::new();
    let name = unique("snap");
    let _guard = Guard(vec![name.clone()]);
    let server = Running::start(setup.config(Duration::from_secs(3600))).await;
    let url = server.url(&format!("/v1/environments/{name}"));
    let (status, created) = send(
        client()
            .put(&url)
            .bearer_auth(WRITER)
            .json(&json!({"template": "web", "ttl": "10m", "wait": true})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    // GETs that fill the snapshot.
    for _ in 0..5 {
        let (_, body) = get(&server, &name).await;
        assert_eq!(body["state"], "running", "{body}");
    }
    let ids = container_ids(&name);
    docker(&["stop", "-t", "5", &ids[0]]);
    let (_, body, took) = until(&server, &name, Duration::from_secs(5), |_, body| {
        body["services"]["web"]["running"] == 0
    })
    .await;
    assert_eq!(body["services"]["web"]["exit_codes"], json!([0]), "{body}");
    assert!(took < Duration::from_secs(5), "{took:?}");

    docker(&["start", &ids[0]]);
    until(&server, &name, Duration::from_secs(5), |_, body| {
        body["state"] == "running"
    })
    .await;
    // `docker rm` of the whole environment: it is gone from GET.
    docker(&["rm", "-f", &ids[0]]);
    until(&server, &name, Duration::from_secs(5), |status, _| {
        status == StatusCode::NOT_FOUND
    })
    .await;
    server.stop().await;
}
