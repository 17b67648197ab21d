//! Following the output of a project's containers (attached `up`).
//!
//! One task per container streams its output from the engine, cuts it into lines
//! and reports each as a [`LogEvent`]; when a container stops, its exit code is
//! reported. Like the rest of the executor this prints nothing: the caller renders
//! (1.29.2 `log_printer.py` prefixes `<service>_<N> |`).

use std::sync::Arc;

use envctl_planner::ContainerRef;
use futures::StreamExt as _;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::docker::Engine;
use crate::error::{ExecutorError, Operation};

#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LogEvent {
    /// One line of output, without its line break.
    Line { container: String, text: String },
    /// The container stopped; its stream ended.
    Exited { container: String, exit_code: i64 },
}

/// Where log events go; called from several tasks at once.
pub type LogSink = Arc<dyn Fn(LogEvent) + Send + Sync>;

/// Follows `containers` from `since` (seconds since the epoch) until every one has
/// stopped, or until `shutdown` fires. The first engine error ends the wait.
pub async fn follow(
    engine: &Engine,
    containers: &[ContainerRef],
    since: i64,
    sink: LogSink,
    shutdown: CancellationToken,
) -> Result<(), ExecutorError> {
    let mut tasks = JoinSet::new();
    for container in containers {
        let engine = engine.clone();
        let container = container.clone();
        let sink = Arc::clone(&sink);
        tasks.spawn(async move { follow_one(&engine, &container, since, &sink).await });
    }
    loop {
        tokio::select! {
            () = shutdown.cancelled() => {
                tasks.abort_all();
                return Ok(());
            }
            joined = tasks.join_next() => match joined {
                None => return Ok(()),
                Some(Ok(Err(error))) => {
                    tasks.abort_all();
                    return Err(error);
                }
                Some(_) => {}
            }
        }
    }
}

async fn follow_one(
    engine: &Engine,
    container: &ContainerRef,
    since: i64,
    sink: &LogSink,
) -> Result<(), ExecutorError> {
    let failed = |source| engine.request_failed(Operation::Logs, &container.name)(source);
    let mut stream = engine.follow_logs(&container.id, since);
    let mut pending: Vec<u8> = Vec::new();
    let emit = |bytes: &[u8]| {
        let text = String::from_utf8_lossy(bytes);
        sink(LogEvent::Line {
            container: container.name.clone(),
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
    let exit_code = engine
        .inspect_container(&container.id)
        .await?
        .map_or(0, |details| details.exit_code);
    sink(LogEvent::Exited {
        container: container.name.clone(),
        exit_code,
    });
    Ok(())
}
