//! What the real-engine tests of `envctl serve` share: templates and tokens in a
//! temporary directory, a server on a real socket, a guard that removes what a
//! test made, and a JSON client.

#![allow(dead_code, clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use envctl_ops::EngineTarget;
use envctl_server::{Limits, Listen, ServerConfig, Tokens, discover_templates};
use reqwest::StatusCode;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

pub const WRITER: &str = "writer-token-0123456789";
pub const READER: &str = "reader-token-0123456789";
pub const OTHER: &str = "other-token-0123456789";
/// `ttl=1h`.
pub const LIMITED: &str = "limited-token-0123456789";

pub const WEB: &str = r#"version: "2.4"
services:
  web:
    image: envctl-test/busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; echo started $$GREETING; httpd -f -p 8080 & wait"]
    ports: ["8080"]
    environment:
      GREETING: ${GREETING:-hello}
    volumes:
      - data:/data
volumes:
  data: {}
"#;

/// Removes every container, network and volume of the environment when dropped,
/// also when the test fails.
pub struct Guard(pub Vec<String>);

impl Drop for Guard {
    fn drop(&mut self) {
        for name in &self.0 {
            let label = format!("label=com.docker.compose.project={name}");
            let ids = docker(&["ps", "-aq", "--filter", &label]);
            if !ids.is_empty() {
                let mut arguments = vec!["rm", "-fv"];
                arguments.extend(ids.iter().map(String::as_str));
                docker(&arguments);
            }
            for network in docker(&["network", "ls", "-q", "--filter", &label]) {
                docker(&["network", "rm", &network]);
            }
            for volume in docker(&["volume", "ls", "-q", "--filter", &label]) {
                docker(&["volume", "rm", &volume]);
            }
        }
    }
}

pub fn docker(arguments: &[&str]) -> Vec<String> {
    let output = Command::new("docker")
        .args(arguments)
        .output()
        .expect("the docker CLI runs");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(ToOwned::to_owned)
        .collect()
}

/// What the engine holds of project `name`: containers, networks, volumes.
pub fn leftovers(name: &str) -> Vec<String> {
    let label = format!("label=com.docker.compose.project={name}");
    let mut found = docker(&["ps", "-aq", "--filter", &label]);
    found.extend(docker(&["network", "ls", "-q", "--filter", &label]));
    found.extend(docker(&["volume", "ls", "-q", "--filter", &label]));
    found
}

pub fn container_ids(name: &str) -> Vec<String> {
    let label = format!("label=com.docker.compose.project={name}");
    docker(&["ps", "-aq", "--no-trunc", "--filter", &label])
}

pub fn unique(stem: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    format!(
        "serve-{stem}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

pub fn require_engine() {
    let output = Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output();
    assert!(
        output.is_ok_and(|output| output.status.success()),
        "no Docker Engine answers: start dockerd (these tests never skip; `just test-offline` runs the rest)"
    );
    assert!(
        !docker(&["images", "-q", "envctl-test/busybox"]).is_empty(),
        "the image envctl-test/busybox is missing: run `just images`"
    );
}

/// A directory of templates and a tokens file.
pub struct Setup {
    pub directory: tempfile::TempDir,
}

impl Setup {
    pub fn new() -> Self {
        require_engine();
        let directory = tempfile::tempdir().unwrap();
        let web = directory.path().join("templates/web");
        std::fs::create_dir_all(&web).unwrap();
        std::fs::write(web.join("docker-compose.yml"), WEB).unwrap();
        Self { directory }
    }

    pub fn config(&self, reap_interval: Duration) -> ServerConfig {
        let tokens = Tokens::parse(&format!(
            "{WRITER} writer read,write,run\n{READER} reader read\n{OTHER} other read,write\n{LIMITED} limited read,write ttl=1h\n"
        ))
        .unwrap();
        let settings = std::env::vars()
            .filter(|(name, _)| name.starts_with("DOCKER_"))
            .collect();
        ServerConfig {
            listen: Listen::parse("127.0.0.1:0").unwrap(),
            tls: None,
            templates: discover_templates(&self.directory.path().join("templates")).unwrap(),
            tokens,
            allow_inline: true,
            allow_run: true,
            allow_build: false,
            publish_address: "127.0.0.1".to_owned(),
            engine: EngineTarget {
                settings,
                home: std::env::var_os("HOME").map(PathBuf::from),
                ..EngineTarget::default()
            },
            state_directory: self.directory.path().join("state"),
            parallel: 4,
            engine_parallel: 16,
            default_ttl: Duration::from_secs(600),
            max_ttl: Duration::from_secs(86_400),
            limits: Limits::default(),
            max_body: 64 * 1024,
            request_timeout: Duration::from_secs(120),
            connections: envctl_server::Connections::default(),
            reap_interval,
            capabilities: Vec::new(),
            audit: Arc::new(|_| {}),
            queue: None,
        }
    }
}

/// A server on a real socket, stopped when dropped.
pub struct Running {
    base: String,
    stop: CancellationToken,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Running {
    pub async fn start(config: ServerConfig) -> Self {
        let stop = CancellationToken::new();
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let task = tokio::spawn({
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
        let address = receiver.await.expect("the server binds");
        Self {
            base: format!("http://{address}"),
            stop,
            task: Some(task),
        }
    }

    pub async fn stop(mut self) {
        self.stop.cancel();
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

pub async fn send(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("not JSON ({error}), status {status}: {text}"));
    (status, body)
}

pub fn client() -> reqwest::Client {
    reqwest::Client::new()
}
