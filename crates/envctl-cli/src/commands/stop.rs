//! `envctl stop [SERVICE...]`: stop the running containers, a service's after those
//! of the services that depend on it (1.29.2 `Project.stop`); one-off containers
//! are left alone.

use envctl_parser::ServiceName;
use envctl_planner::plan_stop;

use crate::args::StopArgs;
use crate::invocation::Invocation;
use crate::report::Failure;

pub async fn run(invocation: &Invocation, args: StopArgs) -> Result<(), Failure> {
    let (project, engine, observed, _lock) = super::prepare_locked(invocation, false).await?;
    let services = service_names(&args.services);
    let plan = plan_stop(&project, &observed, &services, args.timeout)?;
    super::execute(invocation, &engine, &project, &observed, &plan).await
}

/// The `SERVICE` arguments as the planner's names.
pub fn service_names(names: &[String]) -> Vec<ServiceName> {
    names
        .iter()
        .map(|name| ServiceName::new(name.as_str()))
        .collect()
}
