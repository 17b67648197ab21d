//! Waiting on the engine's own state: `depends_on` conditions
//! (`service_healthy`, `service_completed_successfully`) before a dependent is
//! created or started, and `up --wait`.
//!
//! Nothing polls: a health wait subscribes to the container's `health_status` and
//! `die` events first, then reads its current state once, then waits for events;
//! a completion wait is the engine's `wait` endpoint (`condition=not-running`).

use envctl_parser::{DependsOnCondition, Project, Service};
use envctl_planner::ContainerState;
use futures::StreamExt as _;

use crate::docker::{ContainerChange, ContainerDetails, Engine};
use crate::error::{ExecutorError, Operation};
use crate::observe::project_containers;
use crate::spec::ContainerLookup;

/// How a health wait ended badly.
enum NotHealthy {
    Unhealthy,
    NoHealthcheck,
    Exited(i64),
    Gone,
    Engine(crate::error::EngineError),
}

/// Waits until every container of each `depends_on` dependency of `service` meets
/// its condition; `service_started` needs nothing more than the order of the plan.
pub(crate) async fn wait_for_dependencies(
    engine: &Engine,
    service: &Service,
    lookup: &(dyn ContainerLookup + Sync),
) -> Result<(), ExecutorError> {
    for (dependency, condition) in &service.depends_on {
        if *condition == DependsOnCondition::Started {
            continue;
        }
        let failed = |problem: String, advice: Option<String>| ExecutorError::DependencyFailed {
            service: service.name.to_string(),
            dependency: dependency.to_string(),
            problem,
            advice,
        };
        let containers = lookup.containers_of(dependency.as_str());
        if containers.is_empty() {
            return Err(failed(
                format!("has no container to be `{}`", condition.as_str()),
                Some(format!(
                    "start `{dependency}` too, e.g. without `--no-deps`"
                )),
            ));
        }
        for container in containers {
            match condition {
                DependsOnCondition::Started => {}
                DependsOnCondition::Healthy => match wait_healthy(engine, &container.id).await {
                    Ok(()) => {}
                    Err(NotHealthy::Unhealthy) => {
                        return Err(failed(
                            format!("is unhealthy (container `{}`)", container.name),
                            Some(format!(
                                "see its health check's output with `docker inspect --format '{{{{json .State.Health}}}}' {}`",
                                container.name
                            )),
                        ));
                    }
                    Err(NotHealthy::NoHealthcheck) => {
                        return Err(failed(
                            "has no healthcheck, so it can never be `service_healthy`".to_owned(),
                            Some(format!("add a `healthcheck` to `{dependency}`")),
                        ));
                    }
                    Err(NotHealthy::Exited(code)) => {
                        return Err(failed(
                            format!(
                                "exited with code {code} before it was healthy (container `{}`)",
                                container.name
                            ),
                            None,
                        ));
                    }
                    Err(NotHealthy::Gone) => {
                        return Err(failed(
                            format!("container `{}` is gone", container.name),
                            None,
                        ));
                    }
                    Err(NotHealthy::Engine(source)) => {
                        return Err(engine.request_failed(Operation::Wait, &container.name)(
                            source,
                        ));
                    }
                },
                DependsOnCondition::CompletedSuccessfully => {
                    let code = engine
                        .wait_exit(&container.id)
                        .await
                        .map_err(engine.request_failed(Operation::Wait, &container.name))?;
                    if code != 0 {
                        return Err(failed(
                            format!(
                                "did not complete successfully: exited with code {code} (container `{}`)",
                                container.name
                            ),
                            Some(format!("see its output with `envctl logs {dependency}`")),
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Until the container reports `healthy`.
async fn wait_healthy(engine: &Engine, id: &str) -> Result<(), NotHealthy> {
    let mut changes = engine.container_changes(id);
    let details = engine
        .inspect_container(id)
        .await
        .map_err(|_| NotHealthy::Gone)?
        .ok_or(NotHealthy::Gone)?;
    if let Some(result) = health_now(&details) {
        return result;
    }
    while let Some(change) = changes.next().await {
        match change.map_err(NotHealthy::Engine)? {
            ContainerChange::Health(status) if status == "healthy" => return Ok(()),
            ContainerChange::Health(status) if status == "unhealthy" => {
                return Err(NotHealthy::Unhealthy);
            }
            ContainerChange::Health(_) => {}
            ContainerChange::Died => {
                let code = engine
                    .inspect_container(id)
                    .await
                    .ok()
                    .flatten()
                    .map_or(-1, |details| details.exit_code);
                return Err(NotHealthy::Exited(code));
            }
        }
    }
    Err(NotHealthy::Gone)
}

/// The answer the current state already gives, if any.
fn health_now(details: &ContainerDetails) -> Option<Result<(), NotHealthy>> {
    match details.health.as_deref() {
        None => Some(Err(NotHealthy::NoHealthcheck)),
        Some("healthy") => Some(Ok(())),
        Some("unhealthy") => Some(Err(NotHealthy::Unhealthy)),
        _ if matches!(details.state, ContainerState::Exited | ContainerState::Dead) => {
            Some(Err(NotHealthy::Exited(details.exit_code)))
        }
        _ => None,
    }
}

/// `up --wait`: until every container of `services` (all when empty) runs, and is
/// healthy when it has a health check. A container that exited 0 counts as ready
/// when its service may be done ([`envctl_planner::may_complete`]: a service some
/// other waits for with `service_completed_successfully`, or a one-shot that
/// nothing needs running).
///
/// Two passes: the first waits out the health checks (the slow part); the second
/// reads every container again, so that one which was still running when the first
/// looked, and has failed while the others became healthy, fails the wait.
pub async fn wait_ready(
    engine: &Engine,
    project: &Project,
    services: &[String],
) -> Result<(), ExecutorError> {
    for _pass in 0..2 {
        check_ready(engine, project, services).await?;
    }
    Ok(())
}

/// One pass of [`wait_ready`]: every selected container, as it is now.
async fn check_ready(
    engine: &Engine,
    project: &Project,
    services: &[String],
) -> Result<(), ExecutorError> {
    let containers = project_containers(engine, &project.name).await?;
    for details in containers {
        let Some(service) = details.labels.get(crate::labels::SERVICE).cloned() else {
            continue;
        };
        let oneoff = details
            .labels
            .get(crate::labels::ONEOFF)
            .map(String::as_str)
            == Some("True");
        if oneoff || (!services.is_empty() && !services.contains(&service)) {
            continue;
        }
        let failed = |problem: String| ExecutorError::WaitFailed {
            service: service.clone(),
            container: details.name.clone(),
            problem,
        };
        let completes = envctl_planner::may_complete(project, &service);
        if matches!(details.state, ContainerState::Exited | ContainerState::Dead) {
            if completes && details.exit_code == 0 {
                continue;
            }
            return Err(failed(format!("exited with code {}", details.exit_code)));
        }
        if details.health.is_none() {
            if details.state == ContainerState::Running {
                continue;
            }
            return Err(failed("is not running".to_owned()));
        }
        match wait_healthy(engine, &details.id).await {
            Ok(()) => {}
            Err(NotHealthy::Unhealthy) => return Err(failed("is unhealthy".to_owned())),
            Err(NotHealthy::Exited(code)) if completes && code == 0 => {}
            Err(NotHealthy::Exited(code)) => {
                return Err(failed(format!("exited with code {code}")));
            }
            Err(NotHealthy::NoHealthcheck | NotHealthy::Gone) => {
                return Err(failed("is gone".to_owned()));
            }
            Err(NotHealthy::Engine(source)) => {
                return Err(engine.request_failed(Operation::Wait, &details.name)(
                    source,
                ));
            }
        }
    }
    Ok(())
}
