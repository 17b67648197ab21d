//! Carries out a [`Plan`]: each step starts as soon as every step it waits for is
//! done, at most `parallel_limit` at a time.
//!
//! # Failure policy
//!
//! As docker-compose 1.29.2 (`parallel.py` `feed_queue`): a failed step marks every
//! step that waits for it, directly or not, as *skipped* (never run); steps that do
//! not depend on it carry on. The run then returns every error at once in a
//! [`RunError`]. After the shutdown token fires, no new step starts; steps already
//! talking to the engine finish, and the ones never started are reported as
//! interrupted errors.
//!
//! # References between services
//!
//! Links, `volumes_from` and `service:` namespaces name containers of other
//! services. They are resolved when the step runs, from a run-local map of service →
//! containers that starts as the observed containers and is updated by every step
//! that creates, replaces, starts, stops or removes one. Because the plan makes a
//! service's steps wait for its dependencies' steps, the map already holds what they
//! produced.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use envctl_parser::Project;
use envctl_planner::{ContainerRef, Observed, Op, Plan, Step, StepId};
use indexmap::IndexMap;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::docker::Engine;
use crate::error::{EngineError, ExecutorError, Operation, RunError};
use crate::labels;
use crate::spec::{
    ContainerLookup, ResolvedContainer, Target, container_spec, referenced_containers,
};

/// Concurrent steps when `COMPOSE_PARALLEL_LIMIT` is unset (1.29.2 `PARALLEL_LIMIT`).
pub const DEFAULT_PARALLEL_LIMIT: usize = 64;

/// `COMPOSE_PARALLEL_LIMIT` as given, or the default when unset or not a number.
pub fn parallel_limit(value: Option<&str>) -> usize {
    value
        .and_then(|value| value.trim().parse::<usize>().ok())
        .map_or(DEFAULT_PARALLEL_LIMIT, |limit| limit.max(1))
}

/// What a step does, as progress lines name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Creating,
    Recreating,
    Starting,
    Stopping,
    Removing,
    /// Nothing to do (`<name> is up-to-date`).
    UpToDate,
}

impl fmt::Display for Action {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            Self::Creating => "Creating",
            Self::Recreating => "Recreating",
            Self::Starting => "Starting",
            Self::Stopping => "Stopping",
            Self::Removing => "Removing",
            Self::UpToDate => "Up-to-date",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Started,
    Done,
    /// The error's message; the error itself comes back in the [`RunError`].
    Failed(String),
    /// Not run because a step it waits for failed.
    Skipped,
}

/// Progress of a run; the executor never prints, the caller renders these.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    Step {
        service: String,
        /// The container's name (the old one, for a recreate).
        container: String,
        action: Action,
        outcome: Outcome,
    },
    Warning {
        service: String,
        message: String,
    },
}

/// Where events go; called from several tasks at once.
pub type Progress = Arc<dyn Fn(Event) + Send + Sync>;

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub parallel_limit: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            parallel_limit: DEFAULT_PARALLEL_LIMIT,
        }
    }
}

/// Carries `plan` out on `engine`; see the module documentation for the order and
/// the failure policy.
pub async fn run(
    engine: &Engine,
    project: &Project,
    observed: &Observed,
    plan: &Plan,
    options: &RunOptions,
    progress: Progress,
    shutdown: CancellationToken,
) -> Result<(), RunError> {
    let context = Arc::new(StepContext {
        engine: engine.clone(),
        project: project.clone(),
        containers: Mutex::new(RunContainers::new(observed)),
        progress: Arc::clone(&progress),
        planned: plan
            .steps
            .iter()
            .map(|step| step.service.to_string())
            .collect(),
    });
    let semaphore = Arc::new(Semaphore::new(options.parallel_limit.max(1)));
    let steps: IndexMap<StepId, &Step> = plan.steps.iter().map(|step| (step.id, step)).collect();

    // Only deps that are steps of this plan count (1.29.2 ignores the others).
    let mut waiting_for: IndexMap<StepId, usize> = IndexMap::new();
    let mut dependents: IndexMap<StepId, Vec<StepId>> = IndexMap::new();
    for step in &plan.steps {
        let deps: HashSet<StepId> = step
            .deps
            .iter()
            .copied()
            .filter(|dep| steps.contains_key(dep) && *dep != step.id)
            .collect();
        waiting_for.insert(step.id, deps.len());
        for dep in deps {
            dependents.entry(dep).or_default().push(step.id);
        }
    }

    let mut tasks: JoinSet<(StepId, Result<(), ExecutorError>)> = JoinSet::new();
    let mut task_steps: HashMap<tokio::task::Id, StepId> = HashMap::new();
    let mut errors = Vec::new();
    let mut skipped: HashSet<StepId> = HashSet::new();
    let spawn = |tasks: &mut JoinSet<_>, task_steps: &mut HashMap<_, _>, step: &Step| {
        let context = Arc::clone(&context);
        let semaphore = Arc::clone(&semaphore);
        let shutdown = shutdown.clone();
        let step = step.clone();
        let id = step.id;
        let handle = tasks.spawn(async move {
            let result = match semaphore.acquire_owned().await {
                Ok(_permit) if !shutdown.is_cancelled() => context.execute(&step).await,
                _ => Err(ExecutorError::Interrupted {
                    service: step.service.to_string(),
                    container: container_of(&step.op).name.clone(),
                }),
            };
            (step.id, result)
        });
        task_steps.insert(handle.id(), id);
    };
    for step in &plan.steps {
        if waiting_for.get(&step.id) == Some(&0) {
            spawn(&mut tasks, &mut task_steps, step);
        }
    }

    while let Some(joined) = tasks.join_next().await {
        let (id, result) = match joined {
            Ok(done) => done,
            Err(join_error) => {
                // A step's task panicked: report it as that step's failure.
                let Some(id) = task_steps.get(&join_error.id()).copied() else {
                    continue;
                };
                let step = steps.get(&id).copied();
                let error = ExecutorError::Panicked {
                    service: step
                        .map(|step| step.service.to_string())
                        .unwrap_or_default(),
                    container: step
                        .map(|step| container_of(&step.op).name)
                        .unwrap_or_default(),
                };
                (id, Err(error))
            }
        };
        match result {
            Ok(()) => {
                for dependent in dependents.get(&id).cloned().unwrap_or_default() {
                    if skipped.contains(&dependent) {
                        continue;
                    }
                    if let Some(count) = waiting_for.get_mut(&dependent) {
                        *count = count.saturating_sub(1);
                        if *count == 0
                            && let Some(step) = steps.get(&dependent)
                        {
                            spawn(&mut tasks, &mut task_steps, step);
                        }
                    }
                }
            }
            Err(error) => {
                errors.push(error);
                let mut stack = dependents.get(&id).cloned().unwrap_or_default();
                while let Some(dependent) = stack.pop() {
                    if !skipped.insert(dependent) {
                        continue;
                    }
                    if let Some(step) = steps.get(&dependent) {
                        progress(Event::Step {
                            service: step.service.to_string(),
                            container: container_of(&step.op).name.clone(),
                            action: action_of(&step.op),
                            outcome: Outcome::Skipped,
                        });
                    }
                    stack.extend(dependents.get(&dependent).cloned().unwrap_or_default());
                }
            }
        }
    }

    if errors.is_empty() {
        Ok(())
    } else {
        Err(RunError {
            errors,
            skipped: skipped.len(),
        })
    }
}

/// The container a step is about, for messages; a new one for a create.
fn container_of(op: &Op) -> ContainerRef {
    match op {
        Op::Create { name, .. } => ContainerRef {
            id: String::new(),
            name: name.clone(),
        },
        Op::Recreate { old, .. } => old.clone(),
        Op::Start { container }
        | Op::UpToDate { container }
        | Op::Stop { container, .. }
        | Op::Remove { container, .. } => container.clone(),
    }
}

fn action_of(op: &Op) -> Action {
    match op {
        Op::Create { .. } => Action::Creating,
        Op::Recreate { .. } => Action::Recreating,
        Op::Start { .. } => Action::Starting,
        Op::UpToDate { .. } => Action::UpToDate,
        Op::Stop { .. } => Action::Stopping,
        Op::Remove { .. } => Action::Removing,
    }
}

/// The project's containers as the run changes them.
#[derive(Debug, Default)]
struct RunContainers {
    by_service: IndexMap<String, Vec<ResolvedContainer>>,
    /// Containers outside the project, by the name a service gave: their ids.
    external: HashMap<String, String>,
}

impl RunContainers {
    fn new(observed: &Observed) -> Self {
        let mut containers = Self::default();
        for container in observed.containers.iter().filter(|c| !c.oneoff) {
            containers.insert(
                &container.service,
                ResolvedContainer {
                    id: container.id.clone(),
                    name: container.name.clone(),
                    number: container.number,
                    running: container.state.is_running(),
                },
            );
        }
        containers
    }

    fn insert(&mut self, service: &str, container: ResolvedContainer) {
        let list = self.by_service.entry(service.to_owned()).or_default();
        list.retain(|existing| existing.id != container.id);
        list.push(container);
        list.sort_by_key(|container| container.number.unwrap_or(u32::MAX));
    }

    fn remove(&mut self, service: &str, id: &str) {
        if let Some(list) = self.by_service.get_mut(service) {
            list.retain(|existing| existing.id != id);
        }
    }

    fn set_running(&mut self, service: &str, id: &str, running: bool) {
        if let Some(list) = self.by_service.get_mut(service) {
            for container in list.iter_mut().filter(|container| container.id == id) {
                container.running = running;
            }
        }
    }
}

impl ContainerLookup for Mutex<RunContainers> {
    fn containers_of(&self, service: &str) -> Vec<ResolvedContainer> {
        self.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .by_service
            .get(service)
            .cloned()
            .unwrap_or_default()
    }

    fn container_id(&self, name: &str) -> Option<String> {
        self.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .external
            .get(name)
            .cloned()
    }
}

struct StepContext {
    engine: Engine,
    project: Project,
    containers: Mutex<RunContainers>,
    progress: Progress,
    /// The services with a step in the plan.
    planned: HashSet<String>,
}

impl StepContext {
    fn update(&self, change: impl FnOnce(&mut RunContainers)) {
        change(
            &mut self
                .containers
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
    }

    async fn execute(&self, step: &Step) -> Result<(), ExecutorError> {
        let service = step.service.as_str();
        let container = container_of(&step.op);
        let action = action_of(&step.op);
        let report = |outcome| {
            (self.progress)(Event::Step {
                service: service.to_owned(),
                container: container.name.clone(),
                action,
                outcome,
            });
        };
        if action != Action::UpToDate {
            report(Outcome::Started);
        }
        let result = self
            .carry_out(step)
            .await
            .map_err(|error| error.or_connection_lost(&self.engine.endpoint().quoted()));
        match &result {
            Ok(()) => report(Outcome::Done),
            Err(error) => report(Outcome::Failed(error.to_string())),
        }
        result
    }

    async fn carry_out(&self, step: &Step) -> Result<(), ExecutorError> {
        let service = step.service.as_str();
        let failed = |operation: Operation, container: &str| {
            let container = container.to_owned();
            move |source: EngineError| ExecutorError::Step {
                service: service.to_owned(),
                operation,
                container,
                source,
            }
        };
        match &step.op {
            Op::Create {
                number,
                name,
                config_hash,
                config_digest,
                start,
            } => {
                let target = Target {
                    number: *number,
                    name,
                    config_hash,
                    config_digest,
                    keep_volumes: &[],
                    previous_id: None,
                };
                self.create(step, target, *start).await
            }
            Op::Recreate {
                old,
                number,
                name,
                config_hash,
                config_digest,
                start,
                timeout,
                keep_volumes,
            } => {
                self.engine
                    .stop_container(&old.id, *timeout)
                    .await
                    .map_err(failed(Operation::Stop, &old.name))?;
                self.update(|containers| containers.set_running(service, &old.id, false));
                // Out of the way as `<short id>_<name>`, unless an interrupted
                // recreate already renamed it (1.29.2 `rename_to_tmp_name`).
                let short_id: String = old.id.chars().take(12).collect();
                if !old.name.starts_with(&format!("{short_id}_")) {
                    self.engine
                        .rename_container(&old.id, &format!("{short_id}_{}", old.name))
                        .await
                        .map_err(failed(Operation::Rename, &old.name))?;
                }
                let target = Target {
                    number: *number,
                    name,
                    config_hash,
                    config_digest,
                    keep_volumes,
                    previous_id: Some(&old.id),
                };
                self.create(step, target, *start).await?;
                self.engine
                    .remove_container(&old.id, false, false)
                    .await
                    .map_err(failed(Operation::Remove, &old.name))?;
                self.update(|containers| containers.remove(service, &old.id));
                Ok(())
            }
            Op::Start { container } => {
                if let Some(definition) = self.project.service(service) {
                    crate::health::wait_for_dependencies(
                        &self.engine,
                        definition,
                        &self.containers,
                    )
                    .await?;
                }
                self.engine
                    .start_container(&container.id)
                    .await
                    .map_err(failed(Operation::Start, &container.name))?;
                self.update(|containers| containers.set_running(service, &container.id, true));
                Ok(())
            }
            Op::UpToDate { .. } => {
                // An up-to-date container's `depends_on` conditions still hold, or
                // `up` fails: 1.29.2 checks them for every service it brings up,
                // changed or not (a dependency that became unhealthy, #18). As
                // there, only for dependencies this `up` is about (not `--no-deps`).
                if let Some(definition) = self.project.service(service) {
                    let mut within = definition.clone();
                    within
                        .depends_on
                        .retain(|dependency, _| self.planned.contains(dependency.as_str()));
                    crate::health::wait_for_dependencies(&self.engine, &within, &self.containers)
                        .await?;
                }
                Ok(())
            }
            Op::Stop { container, timeout } => {
                self.engine
                    .stop_container(&container.id, *timeout)
                    .await
                    .map_err(failed(Operation::Stop, &container.name))?;
                self.update(|containers| containers.set_running(service, &container.id, false));
                Ok(())
            }
            Op::Remove {
                container,
                volumes,
                force,
            } => {
                self.engine
                    .remove_container(&container.id, *volumes, *force)
                    .await
                    .map_err(failed(Operation::Remove, &container.name))?;
                self.update(|containers| containers.remove(service, &container.id));
                Ok(())
            }
        }
    }

    /// After a name conflict: the id of the container holding the name when it is
    /// the one this step would create (same project, service, number and config
    /// hash). That happens when an interrupted run's create was still in flight in
    /// the engine while this run observed; adopting it is what converging means.
    async fn same_container(
        &self,
        spec: &crate::spec::ContainerSpec,
        error: &EngineError,
    ) -> Option<String> {
        if !crate::docker::is_conflict(error) {
            return None;
        }
        // The engine reserves the name before the container can be inspected:
        // wait a little for a create still in flight to land.
        let mut existing = None;
        for _ in 0..50 {
            existing = self.engine.inspect_container(&spec.name).await.ok()?;
            if existing.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let existing = existing?;
        let same = [
            labels::PROJECT,
            labels::SERVICE,
            labels::CONTAINER_NUMBER,
            labels::CONFIG_HASH,
        ]
        .iter()
        .all(|key| existing.labels.get(*key) == spec.labels.get(*key));
        same.then_some(existing.id)
    }

    /// Creates (and starts) one container of the step's service.
    async fn create(
        &self,
        step: &Step,
        target: Target<'_>,
        start: bool,
    ) -> Result<(), ExecutorError> {
        let service_name = step.service.as_str();
        let service =
            self.project
                .service(service_name)
                .ok_or_else(|| ExecutorError::Unresolved {
                    service: service_name.to_owned(),
                    reference: "service",
                    target: service_name.to_owned(),
                })?;
        crate::health::wait_for_dependencies(&self.engine, service, &self.containers).await?;
        for name in referenced_containers(service) {
            if let Ok(Some(details)) = self.engine.inspect_container(&name).await {
                self.update(|containers| {
                    containers.external.insert(name, details.id);
                });
            }
        }
        let (spec, warnings) = container_spec(&self.project, service, target, &self.containers)?;
        for message in warnings {
            (self.progress)(Event::Warning {
                service: service_name.to_owned(),
                message,
            });
        }
        let id = match self.engine.create_container(&spec).await {
            Ok(id) => id,
            Err(source) => match self.same_container(&spec, &source).await {
                Some(id) => id,
                None => {
                    return Err(ExecutorError::Step {
                        service: service_name.to_owned(),
                        operation: Operation::Create,
                        container: spec.name.clone(),
                        source,
                    });
                }
            },
        };
        let mut created = ResolvedContainer {
            id: id.clone(),
            name: spec.name.clone(),
            number: Some(target.number),
            running: false,
        };
        self.update(|containers| containers.insert(service_name, created.clone()));
        crate::resources::connect_networks(&self.engine, service_name, &id, &spec).await?;
        if start {
            self.engine
                .start_container(&id)
                .await
                .map_err(|source| ExecutorError::Step {
                    service: service_name.to_owned(),
                    operation: Operation::Start,
                    container: spec.name.clone(),
                    source,
                })?;
            created.running = true;
            self.update(|containers| containers.insert(service_name, created));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_limit_defaults_to_64() {
        assert_eq!(parallel_limit(None), 64);
        assert_eq!(parallel_limit(Some("8")), 8);
        assert_eq!(parallel_limit(Some("0")), 1);
        assert_eq!(parallel_limit(Some("lots")), 64);
    }
}
