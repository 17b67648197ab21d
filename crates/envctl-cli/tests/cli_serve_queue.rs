//! `envctl serve --amqp URL --queue NAME` against a real `RabbitMQ` (Debian's
//! `rabbitmq-server`, started here on free ports) and a real engine: a server
//! killed part-way through an `apply` leaves its message unacknowledged, the
//! broker delivers it again to the next server, which converges the environment
//! once and replies; bad messages go to `NAME.dead` with their reason;
//! docker-dispatch's messages work.

#![cfg(feature = "docker-tests")]
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicGetOptions, BasicPublishOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};
use serde_json::{Value, json};

const SLOW: &str = r#"version: "2.4"
services:
  a:
    image: envctl-test/busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3; touch /tmp/ready; sleep 100000 & wait"]
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 1s
      retries: 30
  b:
    image: envctl-test/busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 100000 & wait"]
    depends_on:
      a:
        condition: service_healthy
  c:
    image: envctl-test/busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 100000 & wait"]
    depends_on: [b]
"#;

fn docker(arguments: &[&str]) -> Vec<String> {
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

/// Removes the environments' containers, networks and volumes when dropped.
struct Guard(Vec<String>);

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

/// `name`'s containers: `(name, running)`.
fn containers(name: &str) -> Vec<(String, bool)> {
    let label = format!("label=com.docker.compose.project={name}");
    docker(&[
        "ps",
        "-a",
        "--filter",
        &label,
        "--format",
        "{{.Names}} {{.State}}",
    ])
    .into_iter()
    .map(|line| {
        let (container, state) = line.split_once(' ').unwrap_or((&line, ""));
        (container.to_owned(), state == "running")
    })
    .collect()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `RabbitMQ` node of its own, in a temporary directory, stopped when dropped.
struct Broker {
    launcher: Child,
    directory: tempfile::TempDir,
    node: String,
    url: String,
}

impl Broker {
    fn start() -> Self {
        let found = Command::new("sh")
            .args(["-c", "command -v rabbitmq-server"])
            .output()
            .is_ok_and(|output| output.status.success());
        assert!(
            found,
            "`rabbitmq-server` is missing (queue mode is tested against a real broker): apt-get install rabbitmq-server"
        );
        let directory = tempfile::tempdir().unwrap();
        let root = directory.path();
        std::fs::write(root.join("enabled_plugins"), "[].\n").unwrap();
        // As root, rabbitmq-server runs as the `rabbitmq` user: the directory is its.
        if rustix::process::getuid().is_root() {
            let status = Command::new("chown")
                .args(["-R", "rabbitmq"])
                .arg(root)
                .status()
                .unwrap();
            assert!(status.success(), "chown rabbitmq {}", root.display());
            let status = Command::new("chmod").arg("755").arg(root).status().unwrap();
            assert!(status.success());
        }
        let port = free_port();
        let node = format!("envctlserve{}@localhost", std::process::id());
        let mut command = Command::new("rabbitmq-server");
        Self::environment(&mut command, root, &node);
        command
            .env("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
            .env("RABBITMQ_NODE_PORT", port.to_string())
            .env("RABBITMQ_DIST_PORT", free_port().to_string())
            .env("RABBITMQ_MNESIA_BASE", root.join("mnesia"))
            .env("RABBITMQ_LOG_BASE", root.join("log"))
            .env(
                "RABBITMQ_ENABLED_PLUGINS_FILE",
                root.join("enabled_plugins"),
            )
            .env("RABBITMQ_PID_FILE", root.join("pid"))
            .env("RABBITMQ_FEATURE_FLAGS_FILE", root.join("feature_flags"))
            .env("RABBITMQ_PLUGINS_EXPAND_DIR", root.join("plugins-expand"))
            .env("RABBITMQ_CONFIG_FILE", root.join("rabbitmq"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let launcher = command.spawn().expect("rabbitmq-server starts");
        let broker = Self {
            launcher,
            directory,
            node,
            url: format!("amqp://guest:guest@127.0.0.1:{port}/%2f"),
        };
        let deadline = Instant::now() + Duration::from_secs(90);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "RabbitMQ did not listen within 90 s (logs in {})",
                broker.directory.path().join("log").display()
            );
            std::thread::sleep(Duration::from_millis(250));
        }
        broker
    }

    fn environment(command: &mut Command, root: &Path, node: &str) {
        command.env("HOME", root).env("RABBITMQ_NODENAME", node);
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let mut command = Command::new("rabbitmqctl");
        Self::environment(&mut command, self.directory.path(), &self.node);
        let _ = command
            .args(["-n", &self.node, "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while matches!(self.launcher.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.launcher.kill();
        let _ = self.launcher.wait();
    }
}

/// `envctl serve` in queue mode, killed when dropped.
struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(root: &Path, broker: &Broker, queue: &str) -> Serve {
    let mut child = Command::new(env!("CARGO_BIN_EXE_envctl"))
        .arg("serve")
        .args(["--listen", "127.0.0.1:0", "--allow-inline"])
        .arg("--templates")
        .arg(root.join("templates"))
        .arg("--tokens")
        .arg(root.join("tokens"))
        .arg("--state-directory")
        .arg(root.join("state"))
        .args(["--amqp", &broker.url, "--queue", queue])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(root.join("serve.log")).unwrap())
        .spawn()
        .expect("envctl serve starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains("listening on"), "{line}");
    Serve(child)
}

async fn publish(channel: &Channel, queue: &str, body: &[u8], replies: &str, correlation: &str) {
    channel
        .basic_publish(
            "".into(),
            queue.into(),
            BasicPublishOptions::default(),
            body,
            BasicProperties::default()
                .with_reply_to(replies.into())
                .with_correlation_id(correlation.into()),
        )
        .await
        .unwrap()
        .await
        .unwrap();
}

/// The next reply, with its correlation id.
async fn reply(consumer: &mut lapin::Consumer) -> (String, Value) {
    let delivery = tokio::time::timeout(Duration::from_secs(120), consumer.next())
        .await
        .expect("a reply within 120 s")
        .expect("the reply stream goes on")
        .unwrap();
    delivery.ack(BasicAckOptions::default()).await.unwrap();
    let correlation = delivery
        .properties
        .correlation_id()
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    (correlation, serde_json::from_slice(&delivery.data).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn queue_mode_acknowledges_after_the_work_and_survives_a_kill() {
    assert!(
        !docker(&["images", "-q", "envctl-test/busybox"]).is_empty(),
        "the image envctl-test/busybox is missing (or no engine answers): run `just images`"
    );
    let broker = Broker::start();
    let directory = tempfile::tempdir().unwrap();
    let root: PathBuf = directory.path().to_path_buf();
    std::fs::create_dir_all(root.join("templates/slow")).unwrap();
    std::fs::write(root.join("templates/slow/docker-compose.yml"), SLOW).unwrap();
    std::fs::write(root.join("tokens"), "0123456789abcdef0123 ci read,write\n").unwrap();
    let name = format!("serve-queue-{}", std::process::id());
    let job = format!("serve-job-{}", std::process::id());
    let _guard = Guard(vec![name.clone(), job.clone()]);
    let queue = "envctl-requests";
    let replies = "envctl-replies";

    let connection = Connection::connect(&broker.url, ConnectionProperties::default())
        .await
        .unwrap();
    let channel = connection.create_channel().await.unwrap();
    channel
        .queue_declare(
            replies.into(),
            QueueDeclareOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    // Declared here too (as the server declares it), so that nothing published
    // before the server's consumer is ready is dropped.
    channel
        .queue_declare(
            queue.into(),
            QueueDeclareOptions {
                durable: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
    let mut consumer = channel
        .basic_consume(
            replies.into(),
            "test".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();

    // The first server takes the message and is killed while `a` is starting.
    let first = serve(&root, &broker, queue);
    let apply = json!({"op": "apply", "name": name, "spec": {"template": "slow", "ttl": "10m"}});
    publish(
        &channel,
        queue,
        apply.to_string().as_bytes(),
        replies,
        "apply-1",
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while containers(&name).is_empty() {
        if Instant::now() > deadline {
            let early = tokio::time::timeout(Duration::from_secs(2), consumer.next()).await;
            panic!(
                "the first server made nothing; its log: {}; a reply: {:?}",
                std::fs::read_to_string(root.join("serve.log")).unwrap_or_default(),
                early
                    .ok()
                    .flatten()
                    .map(|delivery| String::from_utf8_lossy(&delivery.unwrap().data).into_owned())
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(first);
    let half_made = containers(&name);
    assert!(
        half_made.len() < 3,
        "the first server finished before it was killed: {half_made:?}"
    );

    // The broker delivers it again; the second server converges and replies once.
    let _second = serve(&root, &broker, queue);
    let (correlation, answer) = reply(&mut consumer).await;
    assert_eq!(correlation, "apply-1");
    assert_eq!(answer["ok"], true, "{answer}");
    assert_eq!(answer["environment"]["state"], "running", "{answer}");
    let mut made = containers(&name);
    made.sort();
    let expected: Vec<(String, bool)> = ["a", "b", "c"]
        .iter()
        .map(|service| (format!("{name}_{service}_1"), true))
        .collect();
    assert_eq!(made, expected, "converged once, every container running");

    // A bad message: dead-lettered with its reason, and an error reply.
    publish(&channel, queue, b"{not json", replies, "bad-1").await;
    let (correlation, answer) = reply(&mut consumer).await;
    assert_eq!(correlation, "bad-1");
    assert_eq!(answer["ok"], false, "{answer}");
    assert_eq!(answer["status"], 400, "{answer}");
    let dead = channel
        .basic_get(
            format!("{queue}.dead").as_str().into(),
            BasicGetOptions { no_ack: true },
        )
        .await
        .unwrap()
        .expect("the bad message is in the dead-letter queue");
    assert_eq!(&dead.delivery.data[..], b"{not json");
    let reason = dead
        .delivery
        .properties
        .headers()
        .as_ref()
        .and_then(|headers| headers.inner().get("x-envctl-reason").cloned());
    assert!(
        matches!(&reason, Some(AMQPValue::LongString(text)) if text.to_string().contains("not JSON")),
        "{reason:?}"
    );

    // docker-dispatch's run and remove.
    let run = json!({
        "Dockercmd": "run",
        "Options": {"Name": job},
        "Image": "envctl-test/busybox",
        "Cmd": ["sh", "-c", "trap 'exit 0' TERM; sleep 100000 & wait"],
    });
    publish(
        &channel,
        queue,
        run.to_string().as_bytes(),
        replies,
        "run-1",
    )
    .await;
    let (_, answer) = reply(&mut consumer).await;
    assert_eq!(answer["ok"], true, "{answer}");
    assert_eq!(answer["status"], 201, "{answer}");
    assert_eq!(containers(&job), [(format!("{job}_main_1"), true)]);
    for (body, correlation) in [
        (json!({"Dockercmd": "remove", "Container": job}), "remove-1"),
        (json!({"op": "delete", "name": name}), "delete-1"),
    ] {
        publish(
            &channel,
            queue,
            body.to_string().as_bytes(),
            replies,
            correlation,
        )
        .await;
        let (found, answer) = reply(&mut consumer).await;
        assert_eq!(found, correlation);
        assert_eq!(answer["ok"], true, "{answer}");
    }
    assert_eq!(containers(&job), []);
    assert_eq!(containers(&name), []);
}
