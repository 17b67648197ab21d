//! A token's quotas against a real engine: `environments=2 containers=3 ttl=1h`.
//! A `PUT` over the number of environments or of containers (each service's
//! `scale` counted), a `PUT` that would grow an environment past the containers,
//! and a `PATCH` or `PUT` over the `ttl`, are refused with `403 quota` and change
//! nothing; two `PUT`s at once cannot both take the last place. Every change, and
//! only a change, is in the audit log, with the token's name.

#![cfg(feature = "docker-tests")]
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use envctl_server::Tokens;
use reqwest::StatusCode;
use serde_json::{Value, json};

use common::{Guard, Running, Setup, client, container_ids, leftovers, send, unique};

const QUOTA: &str = "quota-token-0123456789";

/// An inline file of one service with `scale` containers.
fn scaled(scale: usize) -> Value {
    json!({
        "compose": format!(
            "version: \"2.4\"\nservices:\n  job:\n    image: envctl-test/busybox\n    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep 100000 & wait\"]\n    scale: {scale}\n"
        ),
        "wait": true,
    })
}

/// The audit lines since the last call, as `(event, name, by)`.
fn drain(audit: &Mutex<Vec<Value>>) -> Vec<(String, String, String)> {
    audit
        .lock()
        .unwrap()
        .drain(..)
        .map(|line| {
            let text = |key: &str| line[key].as_str().unwrap_or_default().to_owned();
            (text("event"), text("name"), text("by"))
        })
        .collect()
}

fn line(event: &str, name: &str) -> (String, String, String) {
    (event.to_owned(), name.to_owned(), "quota".to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn over_a_quota_is_403_and_changes_nothing() {
    let setup = Setup::new();
    let [a, b, c, d] = ["a", "b", "c", "d"].map(unique);
    let _guard = Guard(vec![a.clone(), b.clone(), c.clone(), d.clone()]);
    let audit = Arc::new(Mutex::new(Vec::new()));
    let mut config = setup.config(Duration::from_secs(3600));
    config.tokens = Tokens::parse(&format!(
        "{QUOTA} quota read,write,run environments=2 containers=3 ttl=1h\n"
    ))
    .unwrap();
    config.audit = {
        let audit = Arc::clone(&audit);
        Arc::new(move |line: &Value| audit.lock().unwrap().push(line.clone()))
    };
    let server = Running::start(config).await;
    let url = |name: &str| server.url(&format!("/v1/environments/{name}"));
    let put = |name: &str, body: Value| client().put(url(name)).bearer_auth(QUOTA).json(&body);
    let refused = |(status, body): (StatusCode, Value), what: &str| {
        assert_eq!(status, StatusCode::FORBIDDEN, "{what}: {body}");
        assert_eq!(body["error"]["code"], "quota", "{what}: {body}");
    };

    // One container in `a`.
    let (status, body) = send(put(&a, scaled(1))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(drain(&audit), [line("created", &a), line("ready", &a)]);
    let a_containers = container_ids(&a);
    assert_eq!(a_containers.len(), 1);

    // `b` with three more: 1 + 3 > 3.
    refused(send(put(&b, scaled(3))).await, "containers over the quota");
    assert_eq!(leftovers(&b), Vec::<String>::new());
    // A ttl over the token's own (1h, under the server's 1d).
    let mut long = scaled(1);
    long["ttl"] = json!("2h");
    refused(send(put(&b, long)).await, "a ttl over the quota");
    assert_eq!(leftovers(&b), Vec::<String>::new());
    // Two fit.
    let (status, body) = send(put(&b, scaled(2))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(drain(&audit), [line("created", &b), line("ready", &b)]);

    // A third environment, however small.
    refused(
        send(put(&c, scaled(1))).await,
        "environments over the quota",
    );
    assert_eq!(leftovers(&c), Vec::<String>::new());
    // `a` grown to two: 2 (b) + 2 > 3; `a` is left as it was.
    refused(
        send(put(&a, scaled(2))).await,
        "growing past the containers",
    );
    assert_eq!(container_ids(&a), a_containers);
    // PATCH over the ttl: the containers are not made again.
    let (status, body) = send(
        client()
            .patch(url(&a))
            .bearer_auth(QUOTA)
            .json(&json!({"ttl": "90m"})),
    )
    .await;
    refused((status, body), "PATCH over the ttl");
    assert_eq!(container_ids(&a), a_containers);
    assert_eq!(
        drain(&audit),
        Vec::<(String, String, String)>::new(),
        "a refused request is no change"
    );

    // Within the quota, PATCH and run are in the audit log.
    let (status, body) = send(
        client()
            .patch(url(&a))
            .bearer_auth(QUOTA)
            .json(&json!({"ttl": "30m"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = send(
        client()
            .post(server.url(&format!("/v1/environments/{a}/run")))
            .bearer_auth(QUOTA)
            .json(&json!({"service": "job", "command": ["true"]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let lines = audit.lock().unwrap().clone();
    assert_eq!(drain(&audit), [line("extended", &a), line("run", &a)]);
    assert_eq!(lines[1]["message"], "job: exit code 0", "{lines:?}");

    // `b` deleted (and gone), then two PUTs at once for the one place left.
    let (status, body) = send(client().delete(url(&b)).bearer_auth(QUOTA)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    for _ in 0..240 {
        if leftovers(&b).is_empty()
            && send(client().get(url(&b)).bearer_auth(QUOTA)).await.0 == StatusCode::NOT_FOUND
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(leftovers(&b), Vec::<String>::new());
    assert_eq!(drain(&audit), [line("deleting", &b), line("deleted", &b)]);
    let (first, second) = tokio::join!(send(put(&c, scaled(1))), send(put(&d, scaled(1))));
    let mut statuses = [first.0, second.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::CREATED, StatusCode::FORBIDDEN],
        "{first:?} {second:?}"
    );
    let made = if first.0 == StatusCode::CREATED {
        &c
    } else {
        &d
    };
    let other = if first.0 == StatusCode::CREATED {
        &d
    } else {
        &c
    };
    assert_eq!(leftovers(other), Vec::<String>::new());
    assert_eq!(container_ids(made).len(), 1);
    server.stop().await;
}
