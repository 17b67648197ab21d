//! The plan's networks and volumes (v2/v3 projects): made before `up` walks the
//! plan, removed after `down` has removed the containers.

use envctl_executor::{Engine, ResourceEvent, RunError, ensure_resources, remove_resources};
use envctl_parser::Project;
use envctl_planner::Plan;

use crate::report::{Failure, print_status, print_warning};

fn report(event: ResourceEvent) {
    match event {
        ResourceEvent::Status(line) => print_status(&line),
        ResourceEvent::Warning(message) => print_warning(&message),
    }
}

pub async fn ensure(engine: &Engine, project: &Project, plan: &Plan) -> Result<(), Failure> {
    Ok(ensure_resources(engine, project, &plan.resources, &report).await?)
}

pub async fn remove(engine: &Engine, plan: &Plan) -> Result<(), Failure> {
    remove_resources(engine, &plan.resources, &report)
        .await
        .map_err(|errors| Failure::from(RunError { errors, skipped: 0 }))
}

/// `run`: the project's networks and volumes, whatever its dependencies' plan holds.
pub async fn ensure_all(engine: &Engine, project: &Project) -> Result<(), Failure> {
    let resources = envctl_planner::project_resources(project);
    Ok(ensure_resources(engine, project, &resources, &report).await?)
}
