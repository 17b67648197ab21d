//! `envctl logs`: the output of several containers at once, one stream per
//! container, reported line by line as lines arrive.
//!
//! With `follow`, the engine's `start` events of the project are watched too: a
//! container of a selected service that starts later (after a scale or a
//! recreate) is reported ([`StreamEvent::Attached`]) and followed. Following ends
//! when every followed container has stopped and none has started for
//! [`LINGER`] (a recreate stops the old container before it starts the new one),
//! or when `shutdown` fires. Like the rest of the executor this prints nothing.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use envctl_planner::ContainerRef;
use futures::StreamExt as _;
use futures::stream::BoxStream;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::docker::{Engine, EngineError};
use crate::error::{ExecutorError, Operation};
use crate::labels;

/// How long `follow` waits, once every followed container has stopped, for one to
/// start again before it ends.
pub const LINGER: Duration = Duration::from_secs(3);

/// What to read from each container.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogsOptions {
    /// Keep reading until the container stops (`-f`).
    pub follow: bool,
    /// Only the last N lines (`--tail N`); `None` is all.
    pub tail: Option<u64>,
    /// Prefix each line with the engine's RFC 3339 timestamp (`-t`).
    pub timestamps: bool,
}

/// A container being read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSource {
    pub service: String,
    pub container: ContainerRef,
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamEvent {
    /// A container that started while following, now followed too.
    Attached(LogSource),
    /// One line of output, without its line break.
    Line { container: String, text: String },
    /// The container stopped (only when following).
    Exited { container: String, exit_code: i64 },
}

/// Where stream events go; called from several tasks at once.
pub type StreamSink = Arc<dyn Fn(StreamEvent) + Send + Sync>;

/// Reads `sources` as `options` say; with `follow`, also the containers of
/// `project` that start later, when their service is in `services` (every service
/// when empty) and they are not one-off. The first engine error ends it.
pub async fn stream_logs(
    engine: &Engine,
    project: &str,
    services: &[String],
    sources: &[LogSource],
    options: LogsOptions,
    sink: StreamSink,
    shutdown: CancellationToken,
) -> Result<(), ExecutorError> {
    let mut starts: Option<BoxStream<'static, Result<String, EngineError>>> = options
        .follow
        .then(|| engine.container_starts(&labels::project_filter(project)));
    let mut followed: HashSet<String> = HashSet::new();
    let mut tasks = JoinSet::new();
    for source in sources {
        followed.insert(source.container.id.clone());
        tasks.spawn(read_one(
            engine.clone(),
            source.clone(),
            options,
            Arc::clone(&sink),
        ));
    }
    let mut idle_since = tokio::time::Instant::now();
    loop {
        if tasks.is_empty() && !options.follow {
            return Ok(());
        }
        let deadline = idle_since + LINGER;
        tokio::select! {
            () = shutdown.cancelled() => {
                tasks.abort_all();
                return Ok(());
            }
            joined = tasks.join_next(), if !tasks.is_empty() => {
                if let Some(Ok(Err(error))) = joined {
                    tasks.abort_all();
                    return Err(error);
                }
                if tasks.is_empty() {
                    idle_since = tokio::time::Instant::now();
                }
            }
            started = next(&mut starts) => match started {
                Some(Ok(id)) if !followed.contains(&id) => {
                    let Some(details) = engine.inspect_container(&id).await? else {
                        continue;
                    };
                    let Some(service) = details.labels.get(labels::SERVICE).cloned() else {
                        continue;
                    };
                    let oneoff =
                        labels::is_oneoff(details.labels.get(labels::ONEOFF).map(String::as_str));
                    if oneoff || (!services.is_empty() && !services.contains(&service)) {
                        continue;
                    }
                    followed.insert(id.clone());
                    let source = LogSource {
                        service,
                        container: ContainerRef { id, name: details.name },
                    };
                    sink(StreamEvent::Attached(source.clone()));
                    // What it wrote before we attached comes too: from the start.
                    let from_start = LogsOptions { tail: None, ..options };
                    tasks.spawn(read_one(engine.clone(), source, from_start, Arc::clone(&sink)));
                }
                Some(Err(source)) => {
                    tasks.abort_all();
                    return Err(engine.request_failed(Operation::Events, project)(source));
                }
                // The event stream ended (the engine went away): stop watching.
                None => starts = None,
                Some(Ok(_)) => {}
            },
            () = tokio::time::sleep_until(deadline), if tasks.is_empty() => return Ok(()),
        }
    }
}

/// The next event, or never when there is no stream.
async fn next(
    starts: &mut Option<BoxStream<'static, Result<String, EngineError>>>,
) -> Option<Result<String, EngineError>> {
    match starts {
        Some(stream) => stream.next().await,
        None => std::future::pending().await,
    }
}

async fn read_one(
    engine: Engine,
    source: LogSource,
    options: LogsOptions,
    sink: StreamSink,
) -> Result<(), ExecutorError> {
    let name = source.container.name.clone();
    let failed = |error| engine.request_failed(Operation::Logs, &name)(error);
    let mut stream = engine.container_logs(&source.container.id, &options);
    let mut pending: Vec<u8> = Vec::new();
    let emit = |bytes: &[u8]| {
        let text = String::from_utf8_lossy(bytes);
        sink(StreamEvent::Line {
            container: name.clone(),
            text: text.trim_end_matches('\r').to_owned(),
        });
    };
    while let Some(chunk) = stream.next().await {
        pending.extend(chunk.map_err(failed)?);
        while let Some(end) = pending.iter().position(|byte| *byte == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            emit(&line[..line.len() - 1]);
        }
    }
    if !pending.is_empty() {
        emit(&pending);
    }
    if options.follow {
        let exit_code = engine
            .inspect_container(&source.container.id)
            .await?
            .map_or(0, |details| details.exit_code);
        sink(StreamEvent::Exited {
            container: name.clone(),
            exit_code,
        });
    }
    Ok(())
}
