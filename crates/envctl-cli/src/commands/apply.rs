//! `envctl kill`, `pause`, `unpause`, `restart`: each container of the services
//! that the command can act on, in parallel, in no order (1.29.2 `project.py`
//! L427-479); and the plan runner with a caller's progress that `start` uses.

use std::sync::Arc;

use envctl_executor::{
    ActionEvent, ActionProgress, ContainerAction, Engine, Outcome, Progress, RunOptions, apply,
    run as run_plan,
};
use envctl_parser::Project;
use envctl_planner::{ContainerCommand, Observed, Plan, select_containers};

use crate::args::Command;
use crate::invocation::Invocation;
use crate::report::Failure;

pub async fn run(invocation: &Invocation, command: Command) -> Result<(), Failure> {
    let (selection, action, services, nothing) = match command {
        Command::Kill(args) => (
            ContainerCommand::Kill,
            ContainerAction::Kill {
                signal: args.signal,
            },
            args.services,
            None,
        ),
        Command::Pause(args) => (
            ContainerCommand::Pause,
            ContainerAction::Pause,
            args.services,
            Some("No containers to pause"),
        ),
        Command::Unpause(args) => (
            ContainerCommand::Unpause,
            ContainerAction::Unpause,
            args.services,
            Some("No containers to unpause"),
        ),
        Command::Restart(args) => (
            ContainerCommand::Restart,
            ContainerAction::Restart {
                timeout: args.timeout,
            },
            args.services,
            Some("No containers to restart"),
        ),
        _ => return Ok(()),
    };
    let (project, engine, observed, _lock) = super::prepare_locked(invocation, false).await?;
    let services = super::stop::service_names(&services);
    let targets = select_containers(&project, &observed, &services, selection)?;
    if targets.is_empty() {
        // 1.29.2: `kill` with nothing running says nothing and succeeds.
        return match nothing {
            Some(message) => {
                eprintln!("{message}");
                Err(Failure::exit(1))
            }
            None => Ok(()),
        };
    }
    let verb = action.verb();
    let width = targets
        .iter()
        .map(|(_, container)| container.name.len())
        .max()
        .unwrap_or(0);
    let progress: ActionProgress = Arc::new(move |event: ActionEvent| {
        let status = match event.outcome {
            Outcome::Done => "done".to_owned(),
            Outcome::Failed(message) => format!("error\n{message}"),
            Outcome::Started | Outcome::Skipped => return,
        };
        eprintln!("{verb} {:<width$} ... {status}", event.container);
    });
    apply(
        &engine,
        &targets,
        &action,
        invocation.parallel_limit()?,
        progress,
    )
    .await?;
    Ok(())
}

/// Carries `plan` out as `super::execute` does, rendering progress with `progress`.
pub async fn execute_with(
    invocation: &Invocation,
    engine: &Engine,
    project: &Project,
    observed: &Observed,
    plan: &Plan,
    progress: Progress,
) -> Result<(), Failure> {
    let shutdown = crate::interrupt::shutdown();
    let options = RunOptions {
        parallel_limit: invocation.parallel_limit()?,
    };
    let result = run_plan(
        engine,
        project,
        observed,
        plan,
        &options,
        progress,
        shutdown.clone(),
    )
    .await;
    if shutdown.is_cancelled() {
        return Err(Failure::interrupted());
    }
    Ok(result?)
}
