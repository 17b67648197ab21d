//! A container's output with `logs`' options, and the engine's container `start`
//! events (for `logs -f` to pick up containers that appear later).

use std::collections::HashMap;

use bollard::container::LogOutput;
use bollard::query_parameters::{EventsOptionsBuilder, LogsOptionsBuilder};
use futures::stream::{BoxStream, StreamExt as _};

use super::{Engine, EngineError};
use crate::log_stream::LogsOptions;

impl Engine {
    /// The container's output (stdout and stderr as the engine interleaves them):
    /// the last `tail` lines (all when `None`), then, with `follow`, what it
    /// writes until it stops.
    pub fn container_logs(
        &self,
        id: &str,
        options: &LogsOptions,
    ) -> BoxStream<'static, Result<Vec<u8>, EngineError>> {
        let tail = options
            .tail
            .map_or_else(|| "all".to_owned(), |lines| lines.to_string());
        let request = LogsOptionsBuilder::default()
            .follow(options.follow)
            .stdout(true)
            .stderr(true)
            .timestamps(options.timestamps)
            .tail(&tail)
            .build();
        self.client
            .logs(id, Some(request))
            .map(|chunk| {
                chunk.map_err(EngineError::from).map(|output| match output {
                    LogOutput::StdOut { message }
                    | LogOutput::StdErr { message }
                    | LogOutput::StdIn { message }
                    | LogOutput::Console { message } => message.to_vec(),
                })
            })
            .boxed()
    }

    /// The ids of containers carrying `label` (`key=value`) as they start, from now
    /// on, until the stream is dropped.
    pub fn container_starts(&self, label: &str) -> BoxStream<'static, Result<String, EngineError>> {
        let filters = HashMap::from([
            ("type", vec!["container"]),
            ("event", vec!["start"]),
            ("label", vec![label]),
        ]);
        let options = EventsOptionsBuilder::default().filters(&filters).build();
        self.client
            .events(Some(options))
            .filter_map(|event| async move {
                match event {
                    Ok(message) => message.actor.and_then(|actor| actor.id).map(Ok),
                    Err(error) => Some(Err(error.into())),
                }
            })
            .boxed()
    }
}
