//! `wait: true` and one-shot services against a real engine: a data-only
//! service that exits 0 at once does not fail `wait` and leaves the environment
//! `running`; a job that exits 1 does fail it; a service another needs running
//! (`depends_on`, `service_started`) that exits 0 fails it too. The rule is the
//! CLI's `up --wait` rule (`envctl_planner::may_complete`). See: #21

#![cfg(feature = "docker-tests")]
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use common::{Guard, Running, Setup, WRITER, client, leftovers, send, unique};

const SERVER: &str = r#"["sh", "-c", "trap 'exit 0' TERM; sleep 100000 & wait"]"#;

/// A server that becomes healthy only after 2 s: `wait` reads every container
/// again after the health checks, by when a one-shot beside it has exited.
const SLOW_SERVER: &str = r#"
    command: ["sh", "-c", "trap 'exit 0' TERM; (sleep 2; touch /tmp/up) & sleep 100000 & wait"]
    healthcheck: {test: ["CMD", "test", "-e", "/tmp/up"], interval: 500ms, retries: 30}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_shots_that_exit_0_do_not_fail_wait() {
    let setup = Setup::new();
    let done = unique("oneshot");
    let failed = unique("jobfail");
    let needed = unique("needed");
    let _guard = Guard(vec![done.clone(), failed.clone(), needed.clone()]);
    let server = Running::start(setup.config(Duration::from_secs(3600))).await;
    let put = |name: &str, compose: String| {
        client()
            .put(server.url(&format!("/v1/environments/{name}")))
            .bearer_auth(WRITER)
            .json(&json!({"compose": compose, "ttl": "10m", "wait": true}))
    };

    // A data-only service and a job that exit 0, beside a server.
    let (status, body) = send(put(
        &done,
        format!(
            r#"version: "2.4"
services:
  data:
    image: envctl-test/busybox
    command: ["true"]
    volumes: ["/data"]
  job:
    image: envctl-test/busybox
    command: ["sh", "-c", "echo done"]
  app:
    image: envctl-test/busybox
    command: {SERVER}
    volumes_from: [data]
"#
        ),
    ))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["state"], "running", "{body}");
    assert_eq!(body["services"]["data"]["exit_codes"], json!([0]), "{body}");
    assert_eq!(body["services"]["app"]["running"], 1, "{body}");

    // A job that fails fails `wait`, and nothing of it stays.
    let (status, body) = send(put(
        &failed,
        format!(
            r#"version: "2.4"
services:
  job:
    image: envctl-test/busybox
    command: ["sh", "-c", "exit 1"]
  app:
    image: envctl-test/busybox{SLOW_SERVER}
"#
        ),
    ))
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("exited with code 1"), "{body}");
    assert_eq!(leftovers(&failed), Vec::<String>::new());

    // A service another needs running is no one-shot: its exit 0 fails `wait`.
    let (status, body) = send(put(
        &needed,
        format!(
            r#"version: "2.4"
services:
  db:
    image: envctl-test/busybox
    command: ["true"]
  app:
    image: envctl-test/busybox{SLOW_SERVER}
    depends_on:
      db: {{condition: service_started}}
"#
        ),
    ))
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("exited with code 0"), "{body}");
    server.stop().await;
}
