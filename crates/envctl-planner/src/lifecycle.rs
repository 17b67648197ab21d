//! The day-to-day lifecycle commands: which containers `start`, `rm`, `kill`,
//! `pause`, `unpause` and `restart` touch, and in which order (1.29.2 `compose/cli/main.py`, `compose/project.py`).
//!
//! * `start` (1.29.2 `Project.start`): the existing containers of the selected
//!   services, in dependency order (a service's containers start after those of the
//!   services it needs); never creates one. A service without containers is
//!   reported, and when no selected service has any, there is nothing to start.
//! * `rm` (1.29.2 `main.py` `rm`): the stopped containers of the selected services,
//!   one-off containers included; with `-s`, their running containers are stopped
//!   first, dependents first.
//! * `kill`, `pause`, `unpause`, `restart`: parallel, no ordering
//!   (`project.py` L427-479), each on the containers it can act on.

use envctl_parser::{Project, ServiceName};
use indexmap::IndexMap;

use crate::error::PlanError;
use crate::graph::DependencyGraph;
use crate::observed::{ContainerState, Observed, ObservedContainer};
use crate::plan::{ContainerRef, DEFAULT_STOP_TIMEOUT, Op, Plan, StepId};

/// What `envctl start` will do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StartPlan {
    /// One `Start` step per stopped container, waiting for its dependencies' starts.
    pub plan: Plan,
    /// The selected services in dependency order, each with its number of
    /// (non one-off) containers, running or not: 0 is 1.29.2's `failed`.
    pub services: Vec<(ServiceName, usize)>,
}

impl StartPlan {
    /// No selected service has a container: 1.29.2's `No containers to start`.
    pub fn nothing_to_start(&self) -> bool {
        self.services.iter().all(|(_, count)| *count == 0)
    }
}

/// Plans `envctl start [SERVICE...]`.
pub fn plan_start(
    project: &Project,
    observed: &Observed,
    services: &[ServiceName],
) -> Result<StartPlan, PlanError> {
    let graph = DependencyGraph::new(project)?;
    let selected = select(&graph, services)?;
    let mut start = StartPlan::default();
    let by_service = observed.containers_by_service();
    let mut start_steps: IndexMap<ServiceName, Vec<StepId>> = IndexMap::new();
    for name in &selected {
        let deps: Vec<StepId> = graph
            .dependencies_of(name.as_str())
            .iter()
            .filter_map(|dependency| start_steps.get(dependency))
            .flatten()
            .copied()
            .collect();
        let containers = by_service.of(name.as_str());
        let steps = containers
            .iter()
            .filter(|container| !container.state.is_running())
            .map(|container| {
                start.plan.push(
                    deps.clone(),
                    name,
                    Op::Start {
                        container: (*container).into(),
                    },
                    "start",
                )
            })
            .collect();
        start_steps.insert(name.clone(), steps);
        start.services.push((name.clone(), containers.len()));
    }
    Ok(start)
}

/// The running containers of the selected services, one-off ones included: what
/// `rm -s` stops first, a service's containers after those of its dependents.
pub fn plan_rm_stop(
    project: &Project,
    observed: &Observed,
    services: &[ServiceName],
    timeout: Option<u64>,
) -> Result<Plan, PlanError> {
    let graph = DependencyGraph::new(project)?;
    let selected = select(&graph, services)?;
    let mut plan = Plan::default();
    let mut stop_steps: IndexMap<ServiceName, Vec<StepId>> = IndexMap::new();
    for name in graph.order().iter().rev() {
        if !selected.contains(name) {
            continue;
        }
        let deps: Vec<StepId> = graph
            .dependents_of(name.as_str())
            .iter()
            .filter_map(|dependent| stop_steps.get(dependent))
            .flatten()
            .copied()
            .collect();
        let timeout = timeout.unwrap_or(DEFAULT_STOP_TIMEOUT);
        let steps = all_containers(observed, name)
            .into_iter()
            .filter(|container| container.state.is_running())
            .map(|container| {
                plan.push(
                    deps.clone(),
                    name,
                    Op::Stop {
                        container: container.into(),
                        timeout,
                    },
                    "rm --stop",
                )
            })
            .collect();
        stop_steps.insert(name.clone(), steps);
    }
    Ok(plan)
}

/// Plans `envctl rm`: remove the stopped containers of the selected services,
/// one-off ones included, in the engine's order (newest first), with their
/// anonymous volumes when `volumes`. Running containers are left alone.
pub fn plan_rm(
    project: &Project,
    observed: &Observed,
    services: &[ServiceName],
    volumes: bool,
) -> Result<Plan, PlanError> {
    let graph = DependencyGraph::new(project)?;
    let selected = select(&graph, services)?;
    let mut stopped: Vec<&ObservedContainer> = observed
        .containers
        .iter()
        .filter(|container| !container.state.is_running())
        .filter(|container| {
            selected
                .iter()
                .any(|name| name.as_str() == container.service)
        })
        .collect();
    stopped.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.name.cmp(&b.name)));
    let mut plan = Plan::default();
    for container in stopped {
        plan.push(
            Vec::new(),
            &ServiceName::new(container.service.as_str()),
            Op::Remove {
                container: container.into(),
                volumes,
                force: false,
            },
            "rm",
        );
    }
    Ok(plan)
}

/// A command that acts on containers one by one, in parallel, in no order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerCommand {
    /// Running containers (paused ones too: the engine kills them).
    Kill,
    /// Running, not paused.
    Pause,
    /// Paused.
    Unpause,
    /// Every container, running or not (1.29.2 restarts stopped ones too).
    Restart,
    /// Every container, running or not: `logs`.
    Logs,
}

impl ContainerCommand {
    fn applies_to(self, state: ContainerState) -> bool {
        match self {
            Self::Kill => state.is_running(),
            Self::Pause => matches!(state, ContainerState::Running | ContainerState::Restarting),
            Self::Unpause => state == ContainerState::Paused,
            Self::Restart | Self::Logs => state != ContainerState::Removing,
        }
    }
}

/// The (non one-off) containers of the selected services that `command` acts on, in
/// dependency order of their services, then by number.
pub fn select_containers(
    project: &Project,
    observed: &Observed,
    services: &[ServiceName],
    command: ContainerCommand,
) -> Result<Vec<(ServiceName, ContainerRef)>, PlanError> {
    let graph = DependencyGraph::new(project)?;
    let selected = select(&graph, services)?;
    let by_service = observed.containers_by_service();
    Ok(selected
        .iter()
        .flat_map(|name| {
            by_service
                .of(name.as_str())
                .iter()
                .copied()
                .filter(|container| command.applies_to(container.state))
                .map(|container| (name.clone(), container.into()))
        })
        .collect())
}

/// The named services (every service when none) in dependency order; unknown
/// names are an error.
fn select(
    graph: &DependencyGraph,
    services: &[ServiceName],
) -> Result<Vec<ServiceName>, PlanError> {
    if services.is_empty() {
        Ok(graph.order())
    } else {
        graph.only(services)
    }
}

/// Every container of the service, one-off ones included, by number then name.
fn all_containers<'a>(observed: &'a Observed, service: &ServiceName) -> Vec<&'a ObservedContainer> {
    let mut containers: Vec<_> = observed
        .containers
        .iter()
        .filter(|container| container.service == service.as_str())
        .collect();
    containers.sort_by(|a, b| {
        a.oneoff
            .cmp(&b.oneoff)
            .then_with(|| a.number.cmp(&b.number))
            .then_with(|| a.name.cmp(&b.name))
    });
    containers
}

/// Plans what `envctl run SERVICE` brings up first: the service's dependencies
/// (transitively), created when missing and started when stopped, never recreated
/// (1.29.2 `run_one_off_container`: strategy `never`, `rescale=False`). Empty when
/// the service has none.
pub fn plan_run_deps(
    project: &Project,
    observed: &Observed,
    service: &ServiceName,
) -> Result<Plan, PlanError> {
    let graph = DependencyGraph::new(project)?;
    graph.only(std::slice::from_ref(service))?;
    let dependencies = graph.dependencies_of(service.as_str());
    if dependencies.is_empty() {
        return Ok(Plan::default());
    }
    let options = crate::plan::UpOptions {
        services: dependencies,
        strategy: crate::plan::RecreateStrategy::Never,
        ..crate::plan::UpOptions::default()
    };
    crate::plan::plan_up(project, observed, &options)
}

/// The name of a one-off container: `<project>_<service>_run_<slug[:12]>` (1.29.2
/// `service.py` L1492-1498).
pub fn oneoff_name(project: &Project, service: &ServiceName, slug: &str) -> String {
    let short: String = slug.chars().take(12).collect();
    format!("{}_{service}_run_{short}", project.container_prefix())
}
