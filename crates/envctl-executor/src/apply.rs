//! Acts on containers one by one, in parallel: `kill`, `pause`, `unpause` in no
//! order (1.29.2 `project.py` L427-479), `restart` a service at a time in the order
//! given (see [`apply`]). Which containers, in which order, was decided by the
//! planner (`select_containers`).

use std::sync::Arc;

use envctl_parser::ServiceName;
use envctl_planner::ContainerRef;

use crate::docker::Engine;
use crate::error::{ExecutorError, Operation, RunError};
use crate::parallel::bounded;
use crate::run::Outcome;

/// What to do to each container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContainerAction {
    /// Send a signal (`SIGKILL` by default).
    Kill {
        signal: String,
    },
    Pause,
    Unpause,
    /// Stop with this timeout, then start.
    Restart {
        timeout: u64,
    },
}

impl ContainerAction {
    /// The progress verb 1.29.2 prints (`Killing demo_web_1 ... done`).
    pub fn verb(&self) -> &'static str {
        match self {
            Self::Kill { .. } => "Killing",
            Self::Pause => "Pausing",
            Self::Unpause => "Unpausing",
            Self::Restart { .. } => "Restarting",
        }
    }

    fn operation(&self) -> Operation {
        match self {
            Self::Kill { .. } => Operation::Kill,
            Self::Pause => Operation::Pause,
            Self::Unpause => Operation::Unpause,
            Self::Restart { .. } => Operation::Restart,
        }
    }
}

/// One container done (or failed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionEvent {
    pub service: ServiceName,
    pub container: String,
    pub outcome: Outcome,
}

/// Where [`ActionEvent`]s go; called from several tasks at once.
pub type ActionProgress = Arc<dyn Fn(ActionEvent) + Send + Sync>;

/// Applies `action` to every container of `targets`, at most `parallel_limit` at a
/// time; every failure comes back at once, the other containers are still handled.
pub async fn apply(
    engine: &Engine,
    targets: &[(ServiceName, ContainerRef)],
    action: &ContainerAction,
    parallel_limit: usize,
    progress: ActionProgress,
) -> Result<(), RunError> {
    let mut errors = Vec::new();
    // A restarted container must find the containers it links to running: with
    // `restart`, one service at a time in the order given (dependencies first);
    // 1.29.2 restarts all at once and fails at random on links.
    let waves: Vec<&[(ServiceName, ContainerRef)]> = match action {
        ContainerAction::Restart { .. } => targets.chunk_by(|(a, _), (b, _)| a == b).collect(),
        _ => vec![targets],
    };
    for wave in waves {
        errors.extend(apply_wave(engine, wave, action, parallel_limit, &progress).await);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(RunError { errors, skipped: 0 })
    }
}

async fn apply_wave(
    engine: &Engine,
    targets: &[(ServiceName, ContainerRef)],
    action: &ContainerAction,
    parallel_limit: usize,
    progress: &ActionProgress,
) -> Vec<ExecutorError> {
    let results = bounded(
        targets.to_vec(),
        parallel_limit,
        None,
        |(service, container)| {
            let engine = engine.clone();
            let action = action.clone();
            let progress = Arc::clone(progress);
            async move {
                let result = match &action {
                    ContainerAction::Kill { signal } => {
                        engine.kill_container(&container.id, signal).await
                    }
                    ContainerAction::Pause => engine.pause_container(&container.id).await,
                    ContainerAction::Unpause => engine.unpause_container(&container.id).await,
                    ContainerAction::Restart { timeout } => {
                        engine.restart_container(&container.id, *timeout).await
                    }
                };
                let error = result.err().map(|source| {
                    ExecutorError::Step {
                        service: service.to_string(),
                        operation: action.operation(),
                        container: container.name.clone(),
                        source,
                    }
                    .or_connection_lost(&engine.endpoint().quoted())
                });
                progress(ActionEvent {
                    service: service.clone(),
                    container: container.name.clone(),
                    outcome: error
                        .as_ref()
                        .map_or(Outcome::Done, |error| Outcome::Failed(error_text(error))),
                });
                error
            }
        },
    )
    .await;
    results
        .into_iter()
        .filter_map(|result| match result {
            Some(error) => error,
            None => Some(ExecutorError::Panicked {
                service: String::new(),
                container: String::new(),
            }),
        })
        .collect()
}

/// The engine's own message, which says what is wrong (`Container … is not running`);
/// when the engine never answered, envctl's, which says the connection was lost.
fn error_text(error: &ExecutorError) -> String {
    if matches!(error, ExecutorError::ConnectionLost { .. }) {
        return error.to_string();
    }
    std::error::Error::source(error).map_or_else(|| error.to_string(), ToString::to_string)
}
