//! Why an operation did not do what it was asked.

use envctl_executor::{ExecutorError, RunError};
use envctl_parser::ParseError;
use envctl_planner::PlanError;
use miette::Diagnostic;
use thiserror::Error;

/// An operation's failure. The operation picks no exit code and prints nothing:
/// the front end decides what each variant means to its caller.
#[derive(Debug, Error, Diagnostic)]
#[non_exhaustive]
pub enum OpsError {
    /// The compose files.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Parse(#[from] ParseError),

    /// What was asked cannot be planned (a cycle, a missing image, …).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Plan(#[from] PlanError),

    /// The engine, outside the steps of a plan.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Executor(#[from] ExecutorError),

    /// Steps of the plan failed; the others ran.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Run(#[from] RunError),

    /// Images could not be pulled or built; every failure, in order.
    #[error("{} image(s) could not be pulled or built", errors.len())]
    Images { errors: Vec<ExecutorError> },

    /// The request itself is wrong: options that cannot be combined, a service
    /// that does not exist.
    #[error("{0}")]
    Invalid(String),

    /// `stack deploy`: updates the engine rolled back (`update_config.failure_action:
    /// rollback`), by service, with the engine's message.
    #[error("{} service(s) rolled back: {}", services.len(), render(services))]
    #[diagnostic(
        code(envctl::stack_rolled_back),
        help(
            "the update failed and the cluster runs the previous spec again; `envctl stack ps` shows the failed tasks"
        )
    )]
    StackRolledBack { services: Vec<(String, String)> },

    /// `stack deploy`: services that failed to converge, with why.
    #[error("{} service(s) failed to converge: {}", services.len(), render(services))]
    #[diagnostic(
        code(envctl::stack_failed),
        help("`envctl stack ps` shows the tasks and their errors")
    )]
    StackFailed { services: Vec<(String, String)> },

    /// The cancellation token fired: no new step started, the ones under way
    /// finished.
    #[error("interrupted")]
    Interrupted,
}

fn render(services: &[(String, String)]) -> String {
    services
        .iter()
        .map(|(service, message)| format!("`{service}` ({message})"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl OpsError {
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into())
    }
}
