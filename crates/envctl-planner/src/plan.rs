//! The `Plan`: single steps with the steps each waits for.
//!
//! `plan_up` applies 1.29.2's convergence rules (1.29.2 `compose/project.py` L630-750, `compose/service.py` L395-622) to the observed containers;
//! `plan_down` stops in reverse dependency order and removes. The executor walks the
//! steps as a DAG, each as soon as the steps it waits for are done, and decides
//! nothing of its own: names, numbers, hashes and the volumes to carry over are all
//! here.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::HashMap;
use std::fmt;

use envctl_parser::{Project, Service, ServiceName};
use indexmap::IndexMap;

use crate::error::PlanError;
use crate::graph::{DependencyGraph, Direction, NodeIndex};
use crate::hash::{changed_keys, config_digest, config_hash_with_image};
use crate::observed::{ContainerState, Observed, ObservedContainer};
use crate::resources::{Resources, project_resources};

/// Stop timeout when neither the command line nor the service sets one (1.29.2
/// `DEFAULT_TIMEOUT`).
pub const DEFAULT_STOP_TIMEOUT: u64 = 10;

/// When `up` replaces an existing container.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RecreateStrategy {
    /// When its configuration or image changed (the default).
    #[default]
    Changed,
    /// Always (`--force-recreate`).
    Always,
    /// Never (`--no-recreate`).
    Never,
}

/// What `envctl up` was asked.
#[derive(Debug, Clone, Default)]
pub struct UpOptions {
    /// The services named on the command line; empty means all.
    pub services: Vec<ServiceName>,
    /// `--no-deps`: only the named services.
    pub no_deps: bool,
    pub strategy: RecreateStrategy,
    /// `--always-recreate-deps`.
    pub always_recreate_deps: bool,
    /// `--no-start`: create only.
    pub no_start: bool,
    /// `--scale service=N`.
    pub scale: IndexMap<ServiceName, u32>,
    /// `--remove-orphans`.
    pub remove_orphans: bool,
    /// `-V`: do not carry anonymous volumes over to recreated containers.
    pub renew_anon_volumes: bool,
    /// `-t`: stop timeout for recreated and removed containers.
    pub timeout: Option<u64>,
    /// The active profiles (`--profile`, else `COMPOSE_PROFILES`).
    pub profiles: Vec<String>,
    /// `COMPOSE_IGNORE_ORPHANS`: no warning about orphan containers.
    pub ignore_orphans: bool,
}

/// What `envctl down` was asked.
#[derive(Debug, Clone, Default)]
pub struct DownOptions {
    /// `-v`: remove the containers' anonymous volumes too.
    pub remove_volumes: bool,
    /// `--remove-orphans`.
    pub remove_orphans: bool,
    /// `COMPOSE_IGNORE_ORPHANS`: no warning about orphan containers.
    pub ignore_orphans: bool,
    /// `-t`.
    pub timeout: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StepId(pub usize);

impl fmt::Display for StepId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "#{}", self.0)
    }
}

/// An existing container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerRef {
    pub id: String,
    pub name: String,
}

impl From<&ObservedContainer> for ContainerRef {
    fn from(container: &ObservedContainer) -> Self {
        Self {
            id: container.id.clone(),
            name: container.name.clone(),
        }
    }
}

/// One thing to do to the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Create container `number` of the service (and start it unless `start` is false).
    Create {
        number: u32,
        name: String,
        config_hash: String,
        /// Per-key digests of the hashed config (`config_digest`), for the label
        /// that lets a later plan say what changed.
        config_digest: String,
        start: bool,
    },
    /// Stop `old`, rename it out of the way, create its replacement with the same number
    /// (mounting `keep_volumes`, `(volume name, container path)`), start it, remove `old`.
    Recreate {
        old: ContainerRef,
        number: u32,
        name: String,
        config_hash: String,
        config_digest: String,
        start: bool,
        timeout: u64,
        keep_volumes: Vec<(String, String)>,
    },
    Start {
        container: ContainerRef,
    },
    /// Nothing to do; kept so that the plan says so.
    UpToDate {
        container: ContainerRef,
    },
    Stop {
        container: ContainerRef,
        timeout: u64,
    },
    /// Remove a stopped container (`force` for orphans that may still run).
    Remove {
        container: ContainerRef,
        volumes: bool,
        force: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub id: StepId,
    /// Steps that must be done before this one starts.
    pub deps: Vec<StepId>,
    /// The service the container belongs to (its label, for orphans).
    pub service: ServiceName,
    pub op: Op,
    /// Why, in a few words.
    pub cause: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub steps: Vec<Step>,
    /// Things to tell the user that change nothing (orphans left alone, …).
    pub warnings: Vec<String>,
    /// Networks and volumes: made before the first step (`up`), removed after the
    /// last (`down`). Empty for v1 projects.
    pub resources: Resources,
}

impl Plan {
    pub(crate) fn push(
        &mut self,
        deps: Vec<StepId>,
        service: &ServiceName,
        op: Op,
        cause: impl Into<String>,
    ) -> StepId {
        let id = StepId(self.steps.len());
        self.steps.push(Step {
            id,
            deps,
            service: service.clone(),
            op,
            cause: cause.into(),
        });
        id
    }

    /// True when carrying the plan out would change nothing.
    pub fn is_noop(&self) -> bool {
        self.steps
            .iter()
            .all(|step| matches!(step.op, Op::UpToDate { .. }))
    }
}

/// Plans `envctl up`: which containers to create, recreate, start or leave alone.
pub fn plan_up(
    project: &Project,
    observed: &Observed,
    options: &UpOptions,
) -> Result<Plan, PlanError> {
    let graph = DependencyGraph::new(project)?;
    // Node indices are the services' indices in `project.services`.
    let uses_profiles = project
        .services
        .values()
        .any(|service| !service.profiles.is_empty());
    let selected: Vec<NodeIndex> = if uses_profiles {
        crate::profiles::select(
            project,
            &graph,
            &options.services,
            options.no_deps,
            &options.profiles,
        )?
        .iter()
        .filter_map(|name| project.services.get_index_of(name.as_str()))
        .map(NodeIndex::new)
        .collect()
    } else if options.services.is_empty() {
        graph.order_indices()
    } else if options.no_deps {
        graph.only_indices(&options.services)?
    } else {
        graph.with_dependencies_indices(&options.services)?
    };
    let services: Vec<&Service> = selected
        .iter()
        .filter_map(|node| project.services.get_index(node.index()).map(|(_, s)| s))
        .collect();
    // The local id of each selected service's image, looked up once.
    let mut image_ids: Vec<Option<&str>> = Vec::with_capacity(services.len());
    let mut missing = Vec::new();
    for service in &services {
        let image = image_reference_str(project, service);
        let image_id = observed.images.get(image.as_ref()).map(String::as_str);
        if image_id.is_none() {
            missing.push((service.name.clone(), image.into_owned()));
        }
        image_ids.push(image_id);
    }
    if !missing.is_empty() {
        return Err(PlanError::MissingImages { missing });
    }

    let mut plan = Plan {
        resources: project_resources(project),
        ..Plan::default()
    };
    // One step per container is the common case.
    plan.steps.reserve(selected.len());
    let by_service = observed.containers_by_service();
    plan.warnings.extend(orphan_warning(
        project,
        observed,
        options.remove_orphans || options.ignore_orphans,
    ));
    if options.remove_orphans {
        for container in orphans(project, observed) {
            plan_removal(
                &mut plan,
                container,
                Vec::new(),
                options.timeout,
                false,
                true,
                "orphan",
            );
        }
    }

    // By node: the steps each service's dependents must wait for, and whether the
    // service is being (re)created, which may cascade to its dependents.
    let mut done_steps: Vec<Vec<StepId>> = vec![Vec::new(); graph.len()];
    let mut replaced: Vec<bool> = vec![false; graph.len()];
    let mut dependencies = Vec::new();
    let mut deps: Vec<StepId> = Vec::new();
    for (position, node) in selected.iter().enumerate() {
        let (Some(service), Some(image_id)) = (
            project.services.get_index(node.index()).map(|(_, s)| s),
            image_ids.get(position).copied(),
        ) else {
            continue;
        };
        graph.neighbour_indices(*node, Direction::Outgoing, &mut dependencies);
        deps.clear();
        deps.extend(
            dependencies
                .iter()
                .flat_map(|dependency| &done_steps[dependency.index()])
                .copied(),
        );
        let dependency_replaced = dependencies
            .iter()
            .any(|dependency| replaced[dependency.index()]);
        let context = ServiceContext {
            project,
            service,
            containers: by_service.of(service.name.as_str()),
            options,
            hash: config_hash_with_image(project, service, observed, image_id),
            image_id,
            digest: OnceCell::new(),
            dependency_replaced,
        };
        let (steps, was_replaced) = context.converge(&mut plan, &deps);
        done_steps[node.index()] = steps;
        replaced[node.index()] = was_replaced;
    }
    crate::refusals::check_plan(project, &plan)?;
    crate::secrets::check_plan(project, &plan)?;
    Ok(plan)
}

/// Plans `envctl down`: stop every container of the project's services, dependents
/// first, then remove them; orphans only with `--remove-orphans`.
pub fn plan_down(
    project: &Project,
    observed: &Observed,
    options: &DownOptions,
) -> Result<Plan, PlanError> {
    let graph = DependencyGraph::new(project)?;
    let mut plan = Plan::default();
    plan.warnings.extend(orphan_warning(
        project,
        observed,
        options.remove_orphans || options.ignore_orphans,
    ));
    plan.resources = Resources {
        remove_volumes: options.remove_volumes,
        ..project_resources(project)
    };

    // Reverse dependency order: a service's containers stop after its dependents'.
    // Every container of a service, one-off ones included, in the engine's order.
    let mut by_service: HashMap<&str, Vec<&ObservedContainer>, foldhash::fast::FixedState> =
        HashMap::default();
    for container in &observed.containers {
        by_service
            .entry(container.service.as_str())
            .or_default()
            .push(container);
    }
    let mut stop_steps: IndexMap<ServiceName, Vec<StepId>> = IndexMap::new();
    for name in graph.order().iter().rev() {
        let deps: Vec<StepId> = graph
            .dependents_of(name.as_str())
            .iter()
            .filter_map(|dependent| stop_steps.get(dependent))
            .flatten()
            .copied()
            .collect();
        let timeout = options.timeout.unwrap_or(DEFAULT_STOP_TIMEOUT);
        let mut steps = Vec::new();
        for &container in by_service.get(name.as_str()).into_iter().flatten() {
            let stopped = if container.state.is_running() {
                Some(plan.push(
                    deps.clone(),
                    name,
                    Op::Stop {
                        container: container.into(),
                        timeout,
                    },
                    "down",
                ))
            } else {
                None
            };
            steps.push((container, stopped));
        }
        stop_steps.insert(
            name.clone(),
            steps.iter().filter_map(|(_, stop)| *stop).collect(),
        );
        for (container, stop) in steps {
            let deps = stop.map_or_else(|| deps.clone(), |stop| vec![stop]);
            plan.push(
                deps,
                name,
                Op::Remove {
                    container: container.into(),
                    volumes: options.remove_volumes,
                    force: false,
                },
                "down",
            );
        }
    }
    if options.remove_orphans {
        for container in orphans(project, observed) {
            plan_removal(
                &mut plan,
                container,
                Vec::new(),
                options.timeout,
                options.remove_volumes,
                true,
                "orphan",
            );
        }
    }
    Ok(plan)
}

/// Plans `envctl stop` and the graceful stop of an attached `up` (Ctrl-C): stop the
/// running containers of `services` (every service when empty), a service's
/// containers after those of the services that depend on it (1.29.2 `Project.stop`).
pub fn plan_stop(
    project: &Project,
    observed: &Observed,
    services: &[ServiceName],
    timeout: Option<u64>,
) -> Result<Plan, PlanError> {
    let graph = DependencyGraph::new(project)?;
    let selected = if services.is_empty() {
        graph.order()
    } else {
        graph.only(services)?
    };
    let timeout = timeout.unwrap_or(DEFAULT_STOP_TIMEOUT);
    let mut plan = Plan::default();
    let by_service = observed.containers_by_service();
    let mut stop_steps: IndexMap<ServiceName, Vec<StepId>> = IndexMap::new();
    for name in graph.order().iter().rev() {
        let deps: Vec<StepId> = graph
            .dependents_of(name.as_str())
            .iter()
            .filter_map(|dependent| stop_steps.get(dependent))
            .flatten()
            .copied()
            .collect();
        if !selected.contains(name) {
            continue;
        }
        let steps = by_service
            .of(name.as_str())
            .iter()
            .copied()
            .filter(|container| container.state.is_running())
            .map(|container| {
                plan.push(
                    deps.clone(),
                    name,
                    Op::Stop {
                        container: container.into(),
                        timeout,
                    },
                    "stop",
                )
            })
            .collect();
        stop_steps.insert(name.clone(), steps);
    }
    Ok(plan)
}

/// The image a service's containers are created from: `image`, or the name 1.29.2
/// gives a built image (`<project>_<service>`).
pub fn image_reference(project: &Project, service: &Service) -> String {
    image_reference_str(project, service).into_owned()
}

/// [`image_reference`], borrowed when the service names its image.
pub(crate) fn image_reference_str<'a>(project: &Project, service: &'a Service) -> Cow<'a, str> {
    match &service.image {
        Some(image) => Cow::Borrowed(image),
        None => Cow::Owned(format!("{}_{}", project.container_prefix(), service.name)),
    }
}

struct ServiceContext<'a> {
    project: &'a Project,
    service: &'a Service,
    /// The service's containers (not one-off), lowest number first.
    containers: &'a [&'a ObservedContainer],
    options: &'a UpOptions,
    hash: String,
    image_id: Option<&'a str>,
    /// `config_digest`, computed only for a container that is created or replaced
    /// (`up` with nothing to do never needs it).
    digest: OnceCell<String>,
    dependency_replaced: bool,
}

impl ServiceContext<'_> {
    fn digest(&self) -> &str {
        self.digest
            .get_or_init(|| config_digest(self.service, self.image_id))
    }

    /// Adds the service's steps; returns the steps dependents wait for and whether
    /// any container is created or replaced.
    fn converge(&self, plan: &mut Plan, deps: &[StepId]) -> (Vec<StepId>, bool) {
        let name = &self.service.name;
        let mut containers = self.containers.to_vec();
        let mut done = Vec::new();

        // Two containers with one number: keep the oldest (1.29.2
        // `remove_duplicate_containers`), except that the renamed old container of
        // an interrupted recreate gives way to its replacement: removing it is what
        // the recreate had left to do, and its anonymous volumes stay (the
        // replacement mounts them). The service's creates wait for these removals,
        // so that a name is free before it is taken again.
        if containers.len() > 1 {
            containers.sort_by_key(|container| {
                (
                    container.number,
                    container.is_renamed_leftover(),
                    container.created,
                )
            });
        }
        let mut seen_numbers = Vec::new();
        let mut removals = Vec::new();
        containers.retain(|container| {
            if container
                .number
                .is_some_and(|number| seen_numbers.contains(&number))
            {
                let cause = if container.is_renamed_leftover() {
                    "left by an interrupted recreate"
                } else {
                    "duplicate number"
                };
                removals.push(plan_removal(
                    plan,
                    container,
                    deps.to_vec(),
                    self.options.timeout,
                    false,
                    false,
                    cause,
                ));
                false
            } else {
                seen_numbers.extend(container.number);
                true
            }
        });
        let with_removals: Vec<StepId>;
        let deps = if removals.is_empty() {
            deps
        } else {
            with_removals = deps.iter().copied().chain(removals).collect();
            with_removals.as_slice()
        };

        // `--scale`, else the file's `scale`/`deploy.replicas`, else one.
        let scale = self
            .options
            .scale
            .get(name)
            .copied()
            .or(self.service.scale)
            .unwrap_or(1) as usize;
        let start = !self.options.no_start;
        let timeout = self.options.timeout.unwrap_or(DEFAULT_STOP_TIMEOUT);

        // Surplus containers (highest numbers) go.
        while containers.len() > scale {
            if let Some(container) = containers.pop() {
                plan_removal(
                    plan,
                    container,
                    deps.to_vec(),
                    self.options.timeout,
                    false,
                    false,
                    "scale down",
                );
            }
        }

        let mut changed = false;
        // 1.29.2 decides for the whole service (`convergence_plan`): one diverged
        // container, or the dependency cascade, recreates all of them.
        let service_reason = self.recreate_reason(&containers);
        for container in &containers {
            // A renamed leftover alone for its number is finished: recreated under
            // its own name, keeping its volumes (1.29.2 would start it renamed).
            let reason = service_reason.clone().or_else(|| {
                (container.is_renamed_leftover()
                    && self.options.strategy != RecreateStrategy::Never)
                    .then(|| "renamed by an interrupted recreate".to_owned())
            });
            let op_and_cause = match reason {
                Some(cause) => {
                    changed = true;
                    let number = container.number.unwrap_or(1);
                    (
                        Op::Recreate {
                            old: (*container).into(),
                            number,
                            name: self.container_name(number),
                            config_hash: self.hash.clone(),
                            config_digest: self.digest().to_owned(),
                            start,
                            timeout,
                            keep_volumes: self.kept_volumes(container),
                        },
                        cause,
                    )
                }
                None if !container.state.is_running() && start => (
                    Op::Start {
                        container: (*container).into(),
                    },
                    "stopped".to_owned(),
                ),
                None => (
                    Op::UpToDate {
                        container: (*container).into(),
                    },
                    "up to date".to_owned(),
                ),
            };
            done.push(plan.push(deps.to_vec(), name, op_and_cause.0, op_and_cause.1));
        }

        let mut next_number = self
            .containers
            .iter()
            .filter_map(|container| container.number)
            .max()
            .unwrap_or(0);
        for _ in containers.len()..scale {
            next_number += 1;
            changed = true;
            let cause = if containers.is_empty() {
                "no container"
            } else {
                "scale up"
            };
            done.push(plan.push(
                deps.to_vec(),
                name,
                Op::Create {
                    number: next_number,
                    name: self.container_name(next_number),
                    config_hash: self.hash.clone(),
                    config_digest: self.digest().to_owned(),
                    start,
                },
                cause,
            ));
        }
        (done, changed)
    }

    /// Why 1.29.2 would recreate the service's containers, if it would
    /// (`Project._get_convergence_plans`, `Service.convergence_plan`).
    fn recreate_reason(&self, containers: &[&ObservedContainer]) -> Option<String> {
        match self.options.strategy {
            RecreateStrategy::Never => return None,
            RecreateStrategy::Always => return Some("--force-recreate".to_owned()),
            RecreateStrategy::Changed => {}
        }
        if self.dependency_replaced && !containers.is_empty() {
            // A dependency is (re)created: recreate everything if asked to, if a
            // container is created or exited, or if the service has links but its
            // running containers were made without (or the other way round).
            if self.options.always_recreate_deps {
                return Some("a dependency was recreated (--always-recreate-deps)".to_owned());
            }
            if containers.iter().any(|container| {
                matches!(
                    container.state,
                    ContainerState::Created | ContainerState::Exited
                )
            }) {
                return Some("a dependency was recreated and a container is stopped".to_owned());
            }
            let service_has_links = !self.service.links.is_empty();
            let container_has_links = containers
                .iter()
                .any(|container| container.state.is_running() && container.has_links);
            if service_has_links != container_has_links {
                return Some("a dependency was recreated and the links differ".to_owned());
            }
        }
        let changed = containers
            .iter()
            .find(|container| container.config_hash.as_deref() != Some(self.hash.as_str()))?;
        let keys = changed
            .config_digest
            .as_deref()
            .and_then(|old| changed_keys(old, self.digest()))
            .filter(|keys| !keys.is_empty());
        Some(keys.map_or_else(
            || "configuration changed".to_owned(),
            |keys| format!("configuration changed: {}", keys.join(", ")),
        ))
    }

    fn container_name(&self, number: u32) -> String {
        self.service.container_name.clone().unwrap_or_else(|| {
            // Not `format!`: this runs once per container and showed in profiles.
            let prefix = self.project.container_prefix();
            let service = self.service.name.as_str();
            let mut name = String::with_capacity(prefix.len() + service.len() + 12);
            name.push_str(prefix);
            name.push('_');
            name.push_str(service);
            name.push('_');
            let _ = fmt::Write::write_fmt(&mut name, format_args!("{number}"));
            name
        })
    }

    /// The old container's named volumes at paths where the new one would get a fresh
    /// anonymous volume (1.29.2 `merge_volume_bindings`), unless `-V`.
    fn kept_volumes(&self, container: &ObservedContainer) -> Vec<(String, String)> {
        if self.options.renew_anon_volumes {
            return Vec::new();
        }
        container
            .mounts
            .iter()
            .filter(|mount| mount.kind == "volume")
            .filter(|mount| {
                !self
                    .service
                    .volumes
                    .iter()
                    .any(|volume| volume.source.is_some() && volume.target == mount.destination)
            })
            .filter_map(|mount| Some((mount.name.clone()?, mount.destination.clone())))
            .collect()
    }
}

/// Stops `container` if it runs, then removes it; returns the removal's step.
fn plan_removal(
    plan: &mut Plan,
    container: &ObservedContainer,
    deps: Vec<StepId>,
    timeout: Option<u64>,
    volumes: bool,
    force: bool,
    cause: &str,
) -> StepId {
    let service = ServiceName::new(container.service.clone());
    let deps = if container.state.is_running() {
        vec![plan.push(
            deps,
            &service,
            Op::Stop {
                container: container.into(),
                timeout: timeout.unwrap_or(DEFAULT_STOP_TIMEOUT),
            },
            cause,
        )]
    } else {
        deps
    };
    plan.push(
        deps,
        &service,
        Op::Remove {
            container: container.into(),
            volumes,
            force,
        },
        cause,
    )
}

fn orphans<'a>(project: &Project, observed: &'a Observed) -> Vec<&'a ObservedContainer> {
    observed
        .containers
        .iter()
        .filter(|container| {
            !container.oneoff && !project.services.contains_key(container.service.as_str())
        })
        .collect()
}

/// The warning about orphan containers, unless they are being removed or ignored.
fn orphan_warning(project: &Project, observed: &Observed, quiet: bool) -> Option<String> {
    if quiet {
        return None;
    }
    let names: Vec<_> = orphans(project, observed)
        .iter()
        .map(|container| container.name.as_str())
        .collect();
    (!names.is_empty()).then(|| {
        format!(
            "found orphan containers ({}) for this project; if you removed or renamed this service in your compose file, you can run this command with `--remove-orphans` to clean it up",
            names.join(", ")
        )
    })
}

impl fmt::Display for Op {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Create { name, start, .. } => {
                write!(formatter, "create `{name}`")?;
                if !start {
                    write!(formatter, " (not started)")?;
                }
                Ok(())
            }
            Self::Recreate {
                old,
                name,
                keep_volumes,
                ..
            } => {
                write!(formatter, "recreate `{}` as `{name}`", old.name)?;
                if !keep_volumes.is_empty() {
                    write!(formatter, " keeping {} volume(s)", keep_volumes.len())?;
                }
                Ok(())
            }
            Self::Start { container } => write!(formatter, "start `{}`", container.name),
            Self::UpToDate { container } => write!(formatter, "keep `{}`", container.name),
            Self::Stop { container, timeout } => {
                write!(formatter, "stop `{}` ({timeout}s)", container.name)
            }
            Self::Remove {
                container,
                volumes,
                force,
            } => {
                write!(formatter, "remove `{}`", container.name)?;
                if *volumes {
                    write!(formatter, " with its anonymous volumes")?;
                }
                if *force {
                    write!(formatter, " (forced)")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for Plan {
    /// `[deps] -> #id service, operation, cause`, one step a line (compose `plan.go`).
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}", self.resources)?;
        for step in &self.steps {
            let deps: Vec<String> = step.deps.iter().map(ToString::to_string).collect();
            writeln!(
                formatter,
                "[{}] -> {} {}, {}, {}",
                deps.join(" "),
                step.id,
                step.service,
                step.op,
                step.cause
            )?;
        }
        Ok(())
    }
}
