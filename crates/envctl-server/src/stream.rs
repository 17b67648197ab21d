//! The streaming routes: `GET /v1/events` (server-sent events of every state
//! change), `GET /v1/environments/{name}/logs` (the services' output, streamed,
//! envctl-ops' `logs`), and `POST /v1/environments/{name}/run` (a one-off
//! container, envctl-ops' `run`; off unless `--allow-run`).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use envctl_ops::types::{LogSource, LogsOptions, OneOff, StreamEvent, StreamSink};
use envctl_ops::{Events, Io, RunRequest, Silent};
use envctl_parser::Project;
use futures::StreamExt;
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::api::{Body, authorize, check_name};
use crate::environments::{Server, detached};
use crate::error::ApiError;
use crate::spec::RunSpec;
use crate::tokens::Scope;

/// `GET /v1/events`: every state change from now on, as server-sent events
/// (`event: created|updated|ready|failed|deleting|deleted|reaped|extended`, the
/// data a JSON object).
pub async fn events(
    State(server): State<Arc<Server>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorize(&server, &headers, Scope::Read)?;
    let receiver = server.events.subscribe();
    let shutdown = server.shutdown.clone();
    let stream = futures::stream::unfold(
        (receiver, shutdown),
        |(mut receiver, shutdown)| async move {
            loop {
                let received = tokio::select! {
                    () = shutdown.cancelled() => return None,
                    received = receiver.recv() => received,
                };
                match received {
                    Ok(event) => {
                        let data = serde_json::to_string(&event).unwrap_or_default();
                        let sse = Event::default().event(event.event.clone()).data(data);
                        return Some((Ok::<Event, Infallible>(sse), (receiver, shutdown)));
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                }
            }
        },
    );
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogsQuery {
    service: Option<String>,
    #[serde(default)]
    follow: bool,
    tail: Option<u64>,
}

/// Sends each line into a channel; the request's end cancels the reading.
struct LogLines {
    sender: mpsc::Sender<String>,
    stop: CancellationToken,
}

impl Events for LogLines {
    fn logs(&self, _project: &Project, sources: &[LogSource]) -> StreamSink {
        let sender = self.sender.clone();
        let stop = self.stop.clone();
        let width = sources
            .iter()
            .map(|source| source.container.name.len())
            .max()
            .unwrap_or(0);
        Arc::new(move |event| {
            let line = match event {
                StreamEvent::Line { container, text } => format!("{container:width$} | {text}\n"),
                StreamEvent::Exited {
                    container,
                    exit_code,
                } => {
                    format!("{container:width$} exited with code {exit_code}\n")
                }
                _ => return,
            };
            if sender.try_send(line).is_err() && sender.is_closed() {
                stop.cancel();
            }
        })
    }
}

/// `GET /v1/environments/{name}/logs?service=&follow=&tail=`: plain text, a line
/// per output line, `container | text`.
pub async fn logs(
    State(server): State<Arc<Server>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(query): Query<LogsQuery>,
) -> Result<Response, ApiError> {
    authorize(&server, &headers, Scope::Read)?;
    check_name(&name)?;
    let Some(view) = server.get(&name).await? else {
        return Err(ApiError::not_found(&name));
    };
    if let Some(service) = &query.service
        && !view.services.contains_key(service)
    {
        return Err(ApiError::not_found(&format!("{name}/{service}")));
    }
    let target = server.target_of(&view);
    let (sender, mut receiver) = mpsc::channel::<String>(1024);
    let stop = server.shutdown.child_token();
    let events = LogLines {
        sender,
        stop: stop.clone(),
    };
    let services: Vec<String> = query.service.into_iter().collect();
    let options = LogsOptions {
        follow: query.follow,
        tail: query.tail,
        timestamps: false,
    };
    tokio::spawn(detached(move || async move {
        let result = envctl_ops::logs(&target, &services, options, &events, &stop).await;
        if let Err(error) = result {
            let _ = events.sender.send(format!("error: {error}\n")).await;
        }
    }));
    let stream = futures::stream::poll_fn(move |context| receiver.poll_recv(context))
        .map(|line| Ok::<_, Infallible>(axum::body::Bytes::from(line)));
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8; stream")],
        axum::body::Body::from_stream(stream),
    )
        .into_response())
}

/// `POST /v1/environments/{name}/run` `{service, command}` → `{exit_code, output}`.
pub async fn run(
    State(server): State<Arc<Server>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Body,
) -> Result<Response, ApiError> {
    let token = authorize(&server, &headers, Scope::Run)?;
    check_name(&name)?;
    if !server.config.allow_run {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "run_disabled",
            "this server runs no one-off command (start it with --allow-run)",
        ));
    }
    let spec: RunSpec = body.parse()?;
    let Some(view) = server.get(&name).await? else {
        return Err(ApiError::not_found(&name));
    };
    if view.owner != token.name {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "not_owner",
            format!("the environment `{name}` belongs to another token"),
        ));
    }
    if !view.services.contains_key(&spec.service) {
        return Err(ApiError::not_found(&format!("{name}/{}", spec.service)));
    }
    let target = server.target_of(&view);
    let request = RunRequest {
        service: spec.service.clone(),
        name: None,
        oneoff: OneOff {
            command: (!spec.command.is_empty()).then(|| spec.command.clone()),
            ..OneOff::default()
        },
        no_deps: true,
        detach: false,
        remove: true,
    };
    let shutdown = server.shutdown.clone();
    let (outcome, mut stdout) = detached(move || async move {
        let mut stdout: Vec<u8> = Vec::new();
        let mut stderr: Vec<u8> = Vec::new();
        let io = Io {
            input: None,
            terminal_size: None,
            stdout: &mut stdout,
            stderr: &mut stderr,
        };
        let outcome = envctl_ops::run(&target, &request, io, &Silent, &shutdown).await;
        stdout.extend_from_slice(&stderr);
        (outcome, stdout)
    })
    .await;
    // The audit line says the service and how the run ended (not the command,
    // which may hold a secret), also when it could not run.
    let outcome = outcome.map_err(|error| {
        server.announce(
            "run",
            &name,
            None,
            Some(&token.name),
            Some(format!("{}: failed: {error}", spec.service)),
        );
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "failed",
            error.to_string(),
        )
    })?;
    server.announce(
        "run",
        &name,
        None,
        Some(&token.name),
        Some(match outcome.exit_code {
            Some(code) => format!("{}: exit code {code}", spec.service),
            None => format!("{}: no exit code", spec.service),
        }),
    );
    stdout.truncate(1 << 20);
    Ok(Json(serde_json::json!({
        "exit_code": outcome.exit_code,
        "output": String::from_utf8_lossy(&stdout),
    }))
    .into_response())
}
