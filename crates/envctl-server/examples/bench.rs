//! `just bench`'s figures for `envctl serve` (docs/serve.md, "Figures"): the time
//! to a running environment of the demo's size through the API against `envctl
//! up` directly, GET latency under 200 concurrent clients, and 20 environments
//! created and deleted at once with nothing left behind.
//!
//! `cargo run --release -p envctl-server --example bench -- ENVCTL [REPORT]`: ENVCTL
//! is the `envctl` binary the direct runs use; the report (Markdown) goes to
//! REPORT, default `target/bench/serve.md`. Needs an engine and `just images`.

#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::format_push_string
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use envctl_ops::EngineTarget;
use envctl_server::{Limits, Listen, ServerConfig, Tokens, discover_templates};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

const TOKEN: &str = "bench-token-0123456789";

const ONE: &str = r#"version: "2.4"
services:
  app:
    image: envctl-test/busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 100000 & wait"]
    ports: ["8080"]
"#;

fn docker(arguments: &[&str]) -> Vec<String> {
    let output = Command::new("docker").args(arguments).output().unwrap();
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(ToOwned::to_owned)
        .collect()
}

fn leftovers(prefix: &str) -> usize {
    let label = "label=com.docker.compose.project";
    let names = docker(&[
        "ps",
        "-a",
        "--filter",
        label,
        "--format",
        "{{.Label \"com.docker.compose.project\"}}",
    ]);
    let networks = docker(&["network", "ls", "--format", "{{.Name}}"]);
    let volumes = docker(&["volume", "ls", "--format", "{{.Name}}"]);
    names
        .iter()
        .chain(&networks)
        .chain(&volumes)
        .filter(|name| name.starts_with(prefix))
        .count()
}

fn remove_all(prefix: &str) {
    for project in docker(&[
        "ps",
        "-a",
        "--format",
        "{{.Label \"com.docker.compose.project\"}}",
    ]) {
        if project.starts_with(prefix) {
            let label = format!("label=com.docker.compose.project={project}");
            for id in docker(&["ps", "-aq", "--filter", &label]) {
                docker(&["rm", "-fv", &id]);
            }
        }
    }
    for network in docker(&["network", "ls", "--format", "{{.Name}}"]) {
        if network.starts_with(prefix) {
            docker(&["network", "rm", &network]);
        }
    }
    for volume in docker(&["volume", "ls", "--format", "{{.Name}}"]) {
        if volume.starts_with(prefix) {
            docker(&["volume", "rm", &volume]);
        }
    }
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn milliseconds(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

/// fixtures/demo as a v2 file (the server serves v2/v3 files), its port ephemeral.
const DEMO: &str = r#"version: "2"
services:
  front:
    image: envctl-demo/front:latest
    ports: ["80"]
    links: [web1, web2]
    environment:
      SITE_TITLE: envctl demo platform
      BACKENDS: web1 web2
  web1:
    image: envctl-demo/web:latest
    links: [db]
    environment: {GREETING: Hello, WEB_NAME: web1}
    mem_limit: 64m
  web2:
    image: envctl-demo/web:latest
    links: [db]
    environment: {GREETING: Hello, WEB_NAME: web2}
    mem_limit: 64m
  db:
    image: envctl-demo/db:latest
    volumes_from: [dbdata]
    environment: {DB_DATA_DIR: /var/lib/demo-db}
  # Running here (the demo's exits at once, which `wait` counts as a failure).
  dbdata:
    image: envctl-demo/db:latest
"#;

fn setup(root: &Path) {
    let demo = root.join("templates/demo");
    std::fs::create_dir_all(&demo).unwrap();
    std::fs::write(demo.join("docker-compose.yml"), DEMO).unwrap();
    let one = root.join("templates/one");
    std::fs::create_dir_all(&one).unwrap();
    std::fs::write(one.join("docker-compose.yml"), ONE).unwrap();
}

fn config(root: &Path) -> ServerConfig {
    ServerConfig {
        listen: Listen::parse("127.0.0.1:0").unwrap(),
        tls: None,
        templates: discover_templates(&root.join("templates")).unwrap(),
        tokens: Tokens::parse(&format!("{TOKEN} bench read,write\n")).unwrap(),
        allow_inline: false,
        allow_run: false,
        allow_build: false,
        publish_address: "127.0.0.1".to_owned(),
        engine: EngineTarget {
            settings: std::env::vars()
                .filter(|(name, _)| name.starts_with("DOCKER_"))
                .collect(),
            home: std::env::var_os("HOME").map(PathBuf::from),
            ..EngineTarget::default()
        },
        state_directory: root.join("state"),
        parallel: 20,
        engine_parallel: 64,
        default_ttl: Duration::from_secs(3600),
        max_ttl: Duration::from_secs(86_400),
        limits: Limits::default(),
        max_body: 256 * 1024,
        request_timeout: Duration::from_secs(600),
        connections: envctl_server::Connections::default(),
        reap_interval: Duration::from_secs(3600),
        capabilities: Vec::new(),
        audit: Arc::new(|_| {}),
        queue: None,
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let mut arguments = std::env::args().skip(1);
    let envctl = PathBuf::from(arguments.next().expect("usage: bench ENVCTL [REPORT]"));
    let report_path = PathBuf::from(
        arguments
            .next()
            .unwrap_or_else(|| "target/bench/serve.md".to_owned()),
    );
    let prefix = format!("servebench{}", std::process::id());
    let directory = tempfile::tempdir().unwrap();
    let root = directory.path();
    setup(root);
    let stop = CancellationToken::new();
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let server = tokio::spawn({
        let config = config(root);
        let stop = stop.clone();
        async move {
            let mut sender = Some(sender);
            envctl_server::serve(config, stop, |bound| {
                if let (Some(sender), Listen::Tcp(address)) = (sender.take(), bound) {
                    let _ = sender.send(*address);
                }
            })
            .await
            .unwrap();
        }
    });
    let base = format!("http://{}", receiver.await.unwrap());
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .unwrap();
    let mut report = String::from("# `envctl serve` figures\n\n");

    // 1. Time to a running environment of the demo's size: API against `envctl up`.
    let runs = 3;
    let mut api = Vec::new();
    let mut direct = Vec::new();
    for run in 0..runs {
        let name = format!("{prefix}-api-{run}");
        let started = Instant::now();
        let response = client
            .put(format!("{base}/v1/environments/{name}"))
            .bearer_auth(TOKEN)
            .json(&json!({"template": "demo", "wait": true}))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert!(status.is_success(), "{status} {body}");
        api.push(started.elapsed());
        client
            .delete(format!("{base}/v1/environments/{name}"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();

        let name = format!("{prefix}-direct-{run}");
        let started = Instant::now();
        let output = Command::new(&envctl)
            .arg("-p")
            .arg(&name)
            .arg("-f")
            .arg(root.join("templates/demo/docker-compose.yml"))
            .args(["up", "-d", "--wait"])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        direct.push(started.elapsed());
        Command::new(&envctl)
            .arg("-p")
            .arg(&name)
            .arg("-f")
            .arg(root.join("templates/demo/docker-compose.yml"))
            .args(["down", "-v"])
            .output()
            .unwrap();
    }
    api.sort();
    direct.sort();
    let api_median = percentile(&api, 0.5);
    let direct_median = percentile(&direct, 0.5);
    report.push_str(&format!(
        "## The demo (5 services) to running, median of {runs}\n\n| | time |\n|---|---|\n| `PUT … {{wait: true}}` | {} |\n| `envctl up -d --wait` | {} |\n| API overhead | {:+.1} % |\n\n",
        milliseconds(api_median),
        milliseconds(direct_median),
        (api_median.as_secs_f64() / direct_median.as_secs_f64() - 1.0) * 100.0
    ));

    // 2. GET latency under 200 concurrent clients.
    let name = format!("{prefix}-get");
    let response = client
        .put(format!("{base}/v1/environments/{name}"))
        .bearer_auth(TOKEN)
        .json(&json!({"template": "one", "wait": true}))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let clients = 200;
    let per_client = 10;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let client = client.clone();
        let url = format!("{base}/v1/environments/{name}");
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            for _ in 0..per_client {
                let request = Instant::now();
                let response = client.get(&url).bearer_auth(TOKEN).send().await.unwrap();
                assert!(response.status().is_success());
                let _ = response.bytes().await.unwrap();
                latencies.push(request.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    let wall = started.elapsed();
    latencies.sort();
    report.push_str(&format!(
        "## GET /v1/environments/{{name}}, {clients} concurrent clients × {per_client}\n\n| p50 | p99 | max | requests/s |\n|---|---|---|---|\n| {} | {} | {} | {:.0} |\n\n",
        milliseconds(percentile(&latencies, 0.5)),
        milliseconds(percentile(&latencies, 0.99)),
        milliseconds(*latencies.last().unwrap()),
        latencies.len() as f64 / wall.as_secs_f64()
    ));
    client
        .delete(format!("{base}/v1/environments/{name}"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();

    // 3. Twenty at once, created and deleted, nothing left behind.
    let count = 20;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for index in 0..count {
        let client = client.clone();
        let url = format!("{base}/v1/environments/{prefix}-many-{index}");
        tasks.push(tokio::spawn(async move {
            let response = client
                .put(&url)
                .bearer_auth(TOKEN)
                .json(&json!({"template": "one", "wait": true}))
                .send()
                .await
                .unwrap();
            response.status().is_success()
        }));
    }
    let mut made = 0;
    for task in tasks {
        made += usize::from(task.await.unwrap());
    }
    let create = started.elapsed();
    let started = Instant::now();
    for index in 0..count {
        client
            .delete(format!("{base}/v1/environments/{prefix}-many-{index}"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let listed: Value = client
            .get(format!("{base}/v1/environments"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if listed["environments"].as_array().is_none_or(Vec::is_empty) || Instant::now() > deadline
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let delete = started.elapsed();
    // The deletions of the first part too.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let left = leftovers(&prefix);
    report.push_str(&format!(
        "## {count} environments at once\n\n| made | created (all running) | deleted (all gone) | objects left behind |\n|---|---|---|---|\n| {made}/{count} | {:.1} s | {:.1} s | {left} |\n",
        create.as_secs_f64(),
        delete.as_secs_f64()
    ));
    stop.cancel();
    let _ = server.await;
    remove_all(&prefix);
    if let Some(parent) = report_path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&report_path, &report).unwrap();
    println!("{report}");
    println!("report: {}", report_path.display());
    assert_eq!(made, count, "not every environment was made");
    assert_eq!(left, 0, "objects were left behind");
}
