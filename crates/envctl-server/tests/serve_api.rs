//! `envctl serve` against a real engine, through a real HTTP client on a real
//! socket: create, same spec again, a changed spec, delete; bad requests that
//! change nothing; expiry reaped, also by a restarted server, which lists what the
//! first one made.

#![cfg(feature = "docker-tests")]
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};

use common::{
    Guard, LIMITED, OTHER, READER, Running, Setup, WRITER, client, container_ids, leftovers, send,
    unique,
};

/// Polls until `GET` of the environment answers `status` (and, for 200, `state`).
async fn wait_for(server: &Running, name: &str, status: StatusCode, state: Option<&str>) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (found, body) = send(
            client()
                .get(server.url(&format!("/v1/environments/{name}")))
                .bearer_auth(READER),
        )
        .await;
        if found == status && state.is_none_or(|state| body["state"] == state) {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "`{name}` never reached {status} {state:?}: last {found} {body}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn create_same_spec_changed_spec_delete() {
    let setup = Setup::new();
    let name = unique("life");
    let _guard = Guard(vec![name.clone()]);
    let server = Running::start(setup.config(Duration::from_secs(3600))).await;
    let url = server.url(&format!("/v1/environments/{name}"));
    // Server-sent events, subscribed before the change.
    let events = client()
        .get(server.url("/v1/events"))
        .bearer_auth(READER)
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), StatusCode::OK);
    assert_eq!(events.headers()["content-type"], "text/event-stream");
    let mut events = events.bytes_stream();

    let (status, created) = send(
        client()
            .put(&url)
            .bearer_auth(WRITER)
            .json(&json!({"template": "web", "ttl": "10m", "wait": true})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["state"], "running", "{created}");
    assert_eq!(created["owner"], "writer");
    assert_eq!(created["services"]["web"]["running"], 1);
    assert_eq!(created["services"]["web"]["desired"], 1);
    let endpoint = &created["endpoints"][0];
    assert_eq!(endpoint["service"], "web");
    assert_eq!(endpoint["target"], "8080/tcp");
    assert_eq!(endpoint["host"], "127.0.0.1");
    // The endpoint answers (busybox httpd: a 404 for an empty directory is an
    // answer), once httpd listens: `running` is the container's state, not its
    // program's (the template has no health check).
    let deadline = Instant::now() + Duration::from_secs(15);
    let answered = loop {
        match client().get(endpoint["url"].as_str().unwrap()).send().await {
            Ok(answered) => break answered,
            Err(error) => assert!(
                Instant::now() < deadline,
                "the published port does not answer: {error}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(answered.status().as_u16() < 500, "{}", answered.status());
    let first_ids = container_ids(&name);
    let mut seen = String::new();
    while !(seen.contains("event: created") && seen.contains("event: ready")) {
        let chunk = tokio::time::timeout(Duration::from_secs(10), events.next())
            .await
            .unwrap_or_else(|_| panic!("no `created` and `ready` events: {seen}"))
            .expect("the stream goes on")
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains(&format!(r#""name":"{name}""#)), "{seen}");
    drop(events);
    assert_eq!(first_ids.len(), 1);

    // Listed, and filtered by label.
    for (filter, listed) in [
        ("io.envctl.serve.owner=writer", true),
        ("io.envctl.serve.template=web", true),
        ("io.envctl.serve.owner=nobody", false),
    ] {
        let (status, body) = send(
            client()
                .get(server.url(&format!("/v1/environments?label={filter}")))
                .bearer_auth(READER),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let names: Vec<&str> = body["environments"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|view| view["name"].as_str())
            .collect();
        assert_eq!(
            names.contains(&name.as_str()),
            listed,
            "{filter}: {names:?}"
        );
    }

    // The same spec again: 200, nothing changes.
    let (status, same) = send(
        client()
            .put(&url)
            .bearer_auth(WRITER)
            .json(&json!({"template": "web", "ttl": "10m", "wait": true})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{same}");
    assert_eq!(same["spec_hash"], created["spec_hash"]);
    assert_eq!(container_ids(&name), first_ids, "the same spec recreated");

    // Another token may not touch it.
    let (status, body) = send(
        client()
            .put(&url)
            .bearer_auth(OTHER)
            .json(&json!({"template": "web"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    // A changed spec converges: the container is made again with the new value.
    let (status, changed) = send(
        client()
            .put(&url)
            .bearer_auth(WRITER)
            .json(&json!({"template": "web", "env": {"GREETING": "bonjour"}, "wait": true})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_ne!(changed["spec_hash"], created["spec_hash"]);
    assert_eq!(changed["created"], created["created"]);
    assert_eq!(changed["state"], "running", "{changed}");
    assert_ne!(
        container_ids(&name),
        first_ids,
        "a changed spec was not applied"
    );

    // The logs, through envctl-ops' `logs`.
    let logs = client()
        .get(server.url(&format!("/v1/environments/{name}/logs?tail=10")))
        .bearer_auth(READER)
        .send()
        .await
        .unwrap();
    assert_eq!(logs.status(), StatusCode::OK);
    let text = logs.text().await.unwrap();
    assert!(text.contains("started bonjour"), "{text}");

    // A one-off command.
    let (status, ran) = send(
        client()
            .post(server.url(&format!("/v1/environments/{name}/run")))
            .bearer_auth(WRITER)
            .json(&json!({"service": "web", "command": ["sh", "-c", "echo $GREETING; exit 3"]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{ran}");
    assert_eq!(ran["exit_code"], 3);
    assert_eq!(ran["output"], "bonjour\n");

    // Delete: 202, twice (idempotent), then gone with its network and volume.
    for _ in 0..2 {
        let (status, body) = send(client().delete(&url).bearer_auth(WRITER)).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    }
    wait_for(&server, &name, StatusCode::NOT_FOUND, None).await;
    assert_eq!(leftovers(&name), Vec::<String>::new(), "left behind");
    let (status, body) = send(client().delete(&url).bearer_auth(WRITER)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_requests_get_json_errors_and_change_nothing() {
    let setup = Setup::new();
    let name = unique("bad");
    let _guard = Guard(vec![name.clone()]);
    let server = Running::start(setup.config(Duration::from_secs(3600))).await;
    let url = server.url(&format!("/v1/environments/{name}"));
    let spec = json!({"template": "web"});

    let cases: Vec<(&str, reqwest::RequestBuilder, StatusCode, &str)> = vec![
        (
            "no token",
            client().put(&url).json(&spec),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            "a wrong token",
            client()
                .put(&url)
                .bearer_auth("not-a-token-at-all")
                .json(&spec),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            "a token without the scope",
            client().put(&url).bearer_auth(READER).json(&spec),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            "malformed JSON",
            client()
                .put(&url)
                .bearer_auth(WRITER)
                .header("content-type", "application/json")
                .body("{\"template\": "),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "an unknown field",
            client()
                .put(&url)
                .bearer_auth(WRITER)
                .json(&json!({"template": "web", "tll": "1h"})),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "an oversized body",
            client()
                .put(&url)
                .bearer_auth(WRITER)
                .json(&json!({"template": "web", "env": {"X": "x".repeat(100 * 1024)}})),
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
        ),
        (
            "an invalid name",
            client()
                .put(server.url("/v1/environments/Not.Valid"))
                .bearer_auth(WRITER)
                .json(&spec),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "an unknown template",
            client()
                .put(&url)
                .bearer_auth(WRITER)
                .json(&json!({"template": "nope"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "refused",
        ),
        (
            "a bad ttl",
            client()
                .put(&url)
                .bearer_auth(WRITER)
                .json(&json!({"template": "web", "ttl": "forever"})),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "a ttl over the token's quota",
            client()
                .put(&url)
                .bearer_auth(LIMITED)
                .json(&json!({"template": "web", "ttl": "2h"})),
            StatusCode::FORBIDDEN,
            "quota",
        ),
        (
            "an unknown environment",
            client().get(&url).bearer_auth(READER),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "PATCH of an unknown environment",
            client()
                .patch(&url)
                .bearer_auth(WRITER)
                .json(&json!({"ttl": "1h"})),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
    ];
    for (what, request, status, code) in cases {
        let (found, body) = send(request).await;
        assert_eq!(found, status, "{what}: {body}");
        assert_eq!(body["error"]["code"], code, "{what}: {body}");
        assert!(body["error"]["message"].is_string(), "{what}: {body}");
    }

    // Forbidden keys: every problem at once, located.
    let compose = "version: \"2.4\"\nservices:\n  a:\n    image: envctl-test/busybox\n    privileged: true\n    ports: [\"80:80\"]\n    volumes: [\"/var/run/docker.sock:/var/run/docker.sock\"]\n    network_mode: host\n    container_name: fixed\n    cap_add: [SYS_ADMIN]\n    labels: {com.docker.compose.project: other}\n    devices: [\"/dev/mem:/dev/mem\"]\nnetworks:\n  outside:\n    external: true\n";
    let (status, body) = send(
        client()
            .put(&url)
            .bearer_auth(WRITER)
            .json(&json!({"compose": compose})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let problems = body["error"]["problems"].as_array().unwrap();
    let located: Vec<(String, u64)> = problems
        .iter()
        .map(|problem| {
            (
                problem["path"].as_str().unwrap_or_default().to_owned(),
                problem["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    for expected in [
        ("a.privileged", 5),
        ("a.ports", 6),
        ("a.volumes", 7),
        ("a.network_mode", 8),
        ("a.container_name", 9),
        ("a.cap_add", 10),
        ("a.labels", 11),
        ("a.devices", 12),
        ("networks.outside.external", 15),
    ] {
        assert!(
            located.contains(&(expected.0.to_owned(), expected.1)),
            "{expected:?} not in {located:?}"
        );
    }
    assert!(
        problems
            .iter()
            .all(|problem| problem["file"] == "<stdin>" && problem["column"].is_u64())
    );

    // A path outside the template is refused before the loader reads it.
    let (status, body) = send(
        client().put(&url).bearer_auth(WRITER).json(&json!({
            "compose": "version: \"2\"\nservices:\n  a:\n    image: envctl-test/busybox\n    env_file: /etc/shadow\n"
        })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["problems"][0]["line"], 5, "{body}");

    // An invalid file: the loader's problem, located.
    let (status, body) = send(
        client().put(&url).bearer_auth(WRITER).json(&json!({
            "compose": "version: \"2\"\nservices:\n  a:\n    image: envctl-test/busybox\n    mem_limit: lots\n"
        })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // (A v1 file is served: tests/v1_files.rs.)

    assert_eq!(
        leftovers(&name),
        Vec::<String>::new(),
        "a refused request made something"
    );
    let (status, body) = send(
        client()
            .get(server.url("/v1/environments"))
            .bearer_auth(READER),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !body.to_string().contains(&name),
        "a refused request is listed: {body}"
    );
    // No token needed for these.
    for path in ["/healthz", "/v1/openapi.json"] {
        let (status, _) = send(client().get(server.url(path))).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    let (status, body) = send(client().get(server.url("/v1/environments"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn expired_environments_are_reaped_also_after_a_restart() {
    let setup = Setup::new();
    let kept = unique("kept");
    let short = unique("short");
    let _guard = Guard(vec![kept.clone(), short.clone()]);
    // The first server never reaps while it runs.
    let first = Running::start(setup.config(Duration::from_secs(3600))).await;
    for (name, ttl) in [(&kept, "1h"), (&short, "2s")] {
        let (status, body) = send(
            client()
                .put(first.url(&format!("/v1/environments/{name}")))
                .bearer_auth(WRITER)
                .json(&json!({"template": "web", "ttl": ttl, "wait": true})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    first.stop().await;
    tokio::time::sleep(Duration::from_secs(3)).await;

    // A new server lists both (the facts are labels), and reaps the expired one.
    let second = Running::start(setup.config(Duration::from_secs(1))).await;
    let kept_view = wait_for(&second, &kept, StatusCode::OK, Some("running")).await;
    assert_eq!(kept_view["template"], "web");
    assert_eq!(kept_view["owner"], "writer");
    wait_for(&second, &short, StatusCode::NOT_FOUND, None).await;
    assert_eq!(
        leftovers(&short),
        Vec::<String>::new(),
        "the reaper left something"
    );

    // PATCH shortens the kept one's life; the reaper takes it within seconds.
    let (status, body) = send(
        client()
            .patch(second.url(&format!("/v1/environments/{kept}")))
            .bearer_auth(WRITER)
            .json(&json!({"ttl": "1s"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    wait_for(&second, &kept, StatusCode::NOT_FOUND, None).await;
    assert_eq!(
        leftovers(&kept),
        Vec::<String>::new(),
        "the reaper left something"
    );
    second.stop().await;
}
