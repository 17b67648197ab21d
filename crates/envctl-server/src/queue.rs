//! Queue mode (`--amqp URL --queue NAME`): the same requests as JSON messages on
//! a `RabbitMQ` queue (lapin), `{op: apply|delete, name, spec}`, and
//! docker-dispatch's (`{Dockercmd: run|stop|remove, Options, Image, Cmd,
//! Container}`), so that its users can switch.
//!
//! A message is acknowledged only once its work is done (an `apply` waits for the
//! environment as `wait: true` does): a server killed part-way leaves it
//! unacknowledged, the broker delivers it again, and the next server converges
//! the environment once (`apply` of the same spec is idempotent). A message that
//! cannot be done is published to `NAME.dead` with the reason in the header
//! `x-envctl-reason`, then acknowledged. When it has `reply_to`, the answer is
//! published there with its `correlation_id`.

use std::sync::Arc;

use futures::StreamExt;
use indexmap::IndexMap;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Connection, ConnectionProperties};
use serde::Deserialize;

use crate::environments::Server;
use crate::error::{ApiError, ServerError};
use crate::spec::{EnvironmentSpec, valid_name};
use crate::tokens::Token;

/// Where the server consumes.
#[derive(Debug, Clone)]
pub struct QueueConfig {
    /// `amqp://user:password@host:port/vhost`.
    pub url: String,
    pub queue: String,
    /// The owner recorded on the environments the queue makes.
    pub owner: String,
}

/// envctl's own message.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Request {
    op: Op,
    name: String,
    #[serde(default)]
    spec: Option<EnvironmentSpec>,
}

#[derive(Debug, Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum Op {
    Apply,
    Delete,
}

/// docker-dispatch's message (its `Message` and `Options`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Dispatch {
    dockercmd: String,
    #[serde(default)]
    options: DispatchOptions,
    #[serde(default)]
    image: String,
    #[serde(default)]
    container: String,
    #[serde(default)]
    cmd: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DispatchOptions {
    #[serde(default)]
    entrypoint: String,
    #[serde(default)]
    name: String,
}

/// What a message asks, understood.
enum Work {
    Apply(String, EnvironmentSpec),
    Delete(String),
}

/// A message as work, or why it cannot be done.
fn understand(payload: &[u8]) -> Result<Work, String> {
    let value: serde_json::Value = serde_json::from_slice(payload)
        .map_err(|error| format!("the message is not JSON: {error}"))?;
    let work = if value.get("Dockercmd").is_some() {
        let dispatch: Dispatch = serde_json::from_value(value)
            .map_err(|error| format!("not a docker-dispatch message: {error}"))?;
        match dispatch.dockercmd.as_str() {
            "run" => {
                if dispatch.image.is_empty() {
                    return Err("docker-dispatch `run` needs `Image`".to_owned());
                }
                let mut service = serde_json::json!({ "image": dispatch.image });
                if !dispatch.cmd.is_empty() {
                    service["command"] = serde_json::json!(dispatch.cmd);
                }
                if !dispatch.options.entrypoint.is_empty() {
                    service["entrypoint"] = serde_json::json!(dispatch.options.entrypoint);
                }
                let file = serde_json::json!({
                    "version": "2.4",
                    "services": { "main": service },
                });
                let compose = serde_yaml::to_string(&file).map_err(|error| error.to_string())?;
                Work::Apply(
                    dispatch.options.name,
                    EnvironmentSpec {
                        compose: Some(compose),
                        env: IndexMap::new(),
                        wait: true,
                        ..EnvironmentSpec::default()
                    },
                )
            }
            "stop" | "remove" | "rm" => Work::Delete(if dispatch.container.is_empty() {
                dispatch.options.name
            } else {
                dispatch.container
            }),
            other => return Err(format!("unknown docker-dispatch command `{other}`")),
        }
    } else {
        let request: Request = serde_json::from_value(value)
            .map_err(|error| format!("the message does not fit: {error}"))?;
        match request.op {
            Op::Apply => {
                let mut spec = request
                    .spec
                    .ok_or_else(|| "`apply` needs `spec`".to_owned())?;
                spec.wait = true;
                Work::Apply(request.name, spec)
            }
            Op::Delete => Work::Delete(request.name),
        }
    };
    let name = match &work {
        Work::Apply(name, _) | Work::Delete(name) => name,
    };
    if !valid_name(name) {
        return Err(format!(
            "invalid environment name `{name}`: expected [a-z0-9][a-z0-9_-]{{0,62}}"
        ));
    }
    Ok(work)
}

fn queue_error(error: &lapin::Error) -> ServerError {
    ServerError::Queue(error.to_string())
}

/// Connects, declares `queue` and `queue.dead` (durable), and consumes until the
/// server stops or the connection is lost.
pub async fn consume(server: Arc<Server>, config: QueueConfig) -> Result<(), ServerError> {
    let connection = Connection::connect(&config.url, ConnectionProperties::default())
        .await
        .map_err(|error| queue_error(&error))?;
    let channel = connection
        .create_channel()
        .await
        .map_err(|error| queue_error(&error))?;
    let dead = format!("{}.dead", config.queue);
    for queue in [&config.queue, &dead] {
        channel
            .queue_declare(
                queue.as_str().into(),
                QueueDeclareOptions {
                    durable: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .map_err(|error| queue_error(&error))?;
    }
    let prefetch = u16::try_from(server.config.parallel.max(1)).unwrap_or(u16::MAX);
    channel
        .basic_qos(prefetch, BasicQosOptions::default())
        .await
        .map_err(|error| queue_error(&error))?;
    let mut consumer = channel
        .basic_consume(
            config.queue.as_str().into(),
            "envctl-serve".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .map_err(|error| queue_error(&error))?;
    let token = Token::internal(&config.owner);
    loop {
        let delivery = tokio::select! {
            () = server.shutdown.cancelled() => break,
            delivery = consumer.next() => delivery,
        };
        let Some(delivery) = delivery else {
            break;
        };
        let delivery = delivery.map_err(|error| queue_error(&error))?;
        let server = Arc::clone(&server);
        let channel = channel.clone();
        let token = token.clone();
        let dead = dead.clone();
        tokio::spawn(async move {
            (server.config.audit)(&serde_json::json!({
                "event": "message",
                "queue": dead.trim_end_matches(".dead"),
                "redelivered": delivery.redelivered,
                "bytes": delivery.data.len(),
            }));
            let outcome = match understand(&delivery.data) {
                Ok(work) => run(&server, work, &token).await,
                Err(reason) => Err(ApiError::bad_request(reason)),
            };
            let properties = &delivery.properties;
            let answer = match &outcome {
                Ok(answer) => answer.clone(),
                Err(error) => {
                    let mut body = error.body();
                    body["ok"] = serde_json::json!(false);
                    body["status"] = serde_json::json!(error.status.as_u16());
                    body
                }
            };
            if let Err(error) = &outcome {
                let mut headers = FieldTable::default();
                headers.insert(
                    "x-envctl-reason".into(),
                    AMQPValue::LongString(error.message.as_str().into()),
                );
                let mut dead_properties = BasicProperties::default().with_headers(headers);
                if let Some(correlation) = properties.correlation_id() {
                    dead_properties = dead_properties.with_correlation_id(correlation.clone());
                }
                let _ = channel
                    .basic_publish(
                        "".into(),
                        dead.as_str().into(),
                        BasicPublishOptions::default(),
                        &delivery.data,
                        dead_properties,
                    )
                    .await;
            }
            if let Some(reply_to) = properties.reply_to() {
                let mut reply_properties =
                    BasicProperties::default().with_content_type("application/json".into());
                if let Some(correlation) = properties.correlation_id() {
                    reply_properties = reply_properties.with_correlation_id(correlation.clone());
                }
                let _ = channel
                    .basic_publish(
                        "".into(),
                        reply_to.clone(),
                        BasicPublishOptions::default(),
                        answer.to_string().as_bytes(),
                        reply_properties,
                    )
                    .await;
            }
            // Only now: the work is done (or dead-lettered with its reason).
            let _ = delivery.ack(BasicAckOptions::default()).await;
        });
    }
    Ok(())
}

async fn run(
    server: &Arc<Server>,
    work: Work,
    token: &Token,
) -> Result<serde_json::Value, ApiError> {
    match work {
        Work::Apply(name, spec) => {
            let applied = server.apply(&name, spec, token).await?;
            Ok(serde_json::json!({
                "ok": true,
                "status": applied.status.as_u16(),
                "environment": applied.view,
            }))
        }
        Work::Delete(name) => {
            server.delete(&name, Some(token), "deleted", true).await?;
            Ok(serde_json::json!({ "ok": true, "status": 202, "name": name }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        let Ok(Work::Apply(name, spec)) =
            understand(br#"{"op":"apply","name":"pr-1","spec":{"template":"web"}}"#)
        else {
            panic!("apply");
        };
        assert_eq!(name, "pr-1");
        assert!(spec.wait, "the queue always waits");
        assert!(matches!(
            understand(br#"{"op":"delete","name":"pr-1"}"#),
            Ok(Work::Delete(name)) if name == "pr-1"
        ));
        let Ok(Work::Apply(name, spec)) = understand(
            br#"{"Dockercmd":"run","Options":{"Name":"job-1"},"Image":"busybox","Cmd":["echo","hi"]}"#,
        ) else {
            panic!("docker-dispatch run");
        };
        assert_eq!(name, "job-1");
        let compose = spec.compose.expect("an inline file");
        assert!(compose.contains("image: busybox"), "{compose}");
        assert!(matches!(
            understand(br#"{"Dockercmd":"remove","Container":"job-1"}"#),
            Ok(Work::Delete(name)) if name == "job-1"
        ));
        for bad in [
            &b"not json"[..],
            br#"{"op":"explode","name":"a"}"#,
            br#"{"op":"apply","name":"a"}"#,
            br#"{"op":"delete","name":"Bad Name"}"#,
            br#"{"op":"delete","name":"a","extra":1}"#,
            br#"{"Dockercmd":"pause","Container":"a"}"#,
        ] {
            assert!(understand(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
