//! `stack deploy`, `ps`, `services`, `ls` and `rm`: the project's file on a Swarm
//! cluster (docs/swarm.md). Deploy is load → observe the stack → plan
//! (`plan_stack`, pure) → networks and secrets → services in dependency order →
//! wait until each has converged (`convergence`, pure), or failed, or rolled back.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use envctl_executor::stack::{
    SwarmNode, SwarmService, SwarmTask, apply_config, apply_network, apply_secret, apply_service,
    observe_stack, push_image, remove_config, remove_secret, remove_stack, resolve_images,
    service_status, stack_services, stack_tasks, swarm_facts, swarm_nodes,
};
use envctl_parser::Project;
use envctl_planner::stack::{StackService, content_digest, ignored_options, unused_versions};
use envctl_planner::{Convergence, StackAction, StackOptions, StackPlan, convergence, plan_stack};
use indexmap::IndexMap;
use tokio_util::sync::CancellationToken;

use crate::error::OpsError;
use crate::events::Events;
use crate::session;
use crate::target::Target;

/// `--resolve-image`: whether the registry is asked for the image's digest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ResolveImage {
    #[default]
    Always,
    Changed,
    Never,
}

/// The images whose digest `--resolve-image` has docker ask a registry for, as
/// `docker stack deploy` decides: under `always` those of every service created or
/// updated, under `changed` those of a new service or one whose image changed,
/// under `never` none. A kept service is not sent, so nothing is asked for it.
fn images_to_resolve(plan: &StackPlan, mode: ResolveImage) -> Vec<String> {
    let mut images: Vec<String> = Vec::new();
    for service in &plan.services {
        let asks = match (&service.action, mode) {
            (_, ResolveImage::Never) | (StackAction::Keep | StackAction::Remove, _) => false,
            (StackAction::Create, _) | (StackAction::Update { .. }, ResolveImage::Always) => true,
            (StackAction::Update { changed }, ResolveImage::Changed) => changed
                .iter()
                .any(|path| path.starts_with("TaskTemplate.ContainerSpec.Image")),
        };
        let image = service.spec["TaskTemplate"]["ContainerSpec"]["Image"].as_str();
        if let (true, Some(image)) = (asks, image)
            && !images.iter().any(|known| known == image)
        {
            images.push(image.to_owned());
        }
    }
    images
}

/// What `stack deploy` is asked.
#[derive(Debug, Clone)]
pub struct StackDeployRequest {
    /// The stack's name; the project's name when `None`.
    pub stack: Option<String>,
    pub dry_run: bool,
    pub prune: bool,
    /// Return once the plan is carried out, without waiting for convergence.
    pub detach: bool,
    pub resolve_image: ResolveImage,
    pub allow_host_binds: bool,
    /// `--push`: build the services with `build`, push each to the registry its
    /// `image` names, and pin the pushed digest.
    pub push: bool,
    /// How long to wait for every service to converge.
    pub timeout: Duration,
}

impl Default for StackDeployRequest {
    fn default() -> Self {
        Self {
            stack: None,
            dry_run: false,
            prune: false,
            detach: false,
            resolve_image: ResolveImage::default(),
            allow_host_binds: false,
            push: false,
            timeout: Duration::from_secs(300),
        }
    }
}

/// What `stack deploy` did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum StackDeployOutcome {
    /// `--dry-run`: the plan, nothing changed.
    DryRun(StackPlan),
    /// Carried out; converged unless `--detach`.
    Deployed(StackPlan),
}

/// The stack's name: the one asked for, else the project's.
fn stack_name(
    target: &Target,
    stack: Option<&str>,
    events: &dyn Events,
) -> Result<String, OpsError> {
    let name = match stack {
        Some(name) => name.to_owned(),
        None => session::load_project(target, events)?.name,
    };
    let valid = name
        .chars()
        .next()
        .is_some_and(|first| first.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || "_.-".contains(character));
    if valid {
        Ok(name)
    } else {
        Err(OpsError::invalid(format!(
            "invalid stack name `{name}`: it must start with a letter or digit and hold only letters, digits, `_`, `.` and `-`"
        )))
    }
}

/// The sha256 of each secret file the services use (the planner reads no file).
fn secret_contents(project: &Project) -> IndexMap<String, Vec<u8>> {
    let mut contents = IndexMap::new();
    for service in project.services.values() {
        for secret in &service.secrets {
            let Some(definition) = project.secrets.get(&secret.source) else {
                continue;
            };
            if definition.external || contents.contains_key(&secret.source) {
                continue;
            }
            if let Some(file) = &definition.file
                && let Ok(data) = std::fs::read(file)
            {
                contents.insert(secret.source.clone(), data);
            }
        }
    }
    contents
}

/// The content of each config file the services use, by its key (a file that
/// cannot be read is left out: the planner refuses its config).
fn config_contents(project: &Project) -> IndexMap<String, Vec<u8>> {
    let mut contents = IndexMap::new();
    for service in project.services.values() {
        for key in envctl_planner::stack::config_keys(service) {
            let Some(definition) = project.configs.get(&key) else {
                continue;
            };
            if definition.external || contents.contains_key(&key) {
                continue;
            }
            if let Some(file) = &definition.file
                && let Ok(data) = std::fs::read(file)
            {
                contents.insert(key, data);
            }
        }
    }
    contents
}

/// The images of the services other services take `volumes_from`: the volumes
/// they declare are shared (docs/swarm.md, "Translations").
fn volumes_from_images(project: &Project) -> Vec<String> {
    let mut images = Vec::new();
    for service in project.services.values() {
        for from in &service.volumes_from {
            if let envctl_parser::VolumesFromSource::Service(source) = &from.source
                && let Some(image) = project
                    .service(source.as_str())
                    .and_then(|source| source.image.clone())
                && !images.contains(&image)
            {
                images.push(image);
            }
        }
    }
    images
}

/// Deploys the project as the stack.
pub async fn stack_deploy(
    target: &Target,
    request: &StackDeployRequest,
    events: &dyn Events,
    shutdown: &CancellationToken,
) -> Result<StackDeployOutcome, OpsError> {
    let project = session::load_project(target, events)?;
    let stack = match &request.stack {
        Some(stack) => stack_name(target, Some(stack), events)?,
        None => stack_name(target, Some(&project.name), events)?,
    };
    // What the file sets that no spec carries: named, as docker names it.
    for warning in ignored_options(&project) {
        events.warning(&warning);
    }
    let contents = secret_contents(&project);
    let config_data = config_contents(&project);
    let options = StackOptions {
        stack: stack.clone(),
        prune: request.prune,
        allow_host_binds: request.allow_host_binds,
        push: request.push,
        secret_digests: contents
            .iter()
            .map(|(key, data)| (key.clone(), content_digest(data)))
            .collect(),
        config_digests: config_data
            .iter()
            .map(|(key, data)| (key.clone(), content_digest(data)))
            .collect(),
        ..StackOptions::default()
    };
    let engine = session::connect(target).await?;
    let (pin_node, image_volumes) = swarm_facts(&engine, &volumes_from_images(&project)).await?;
    let options = StackOptions {
        pin_node,
        image_volumes,
        ..options
    };
    // `--push`: refusals first (nothing is built for a file that cannot deploy),
    // then each service with `build` is built on the manager and pushed.
    if request.push && !request.dry_run {
        plan_stack(&project, &observe_stack(&engine, &stack).await?, &options)?;
        // Boxed: a build's future is large, and only `--push` awaits it.
        Box::pin(build_and_push(&engine, &project, events, shutdown)).await?;
    }
    // `--resolve-image always|changed`: every image the file names is asked for
    // (a re-pushed tag is then a changed spec); the planner pins what it sends.
    let mut options = options;
    if request.resolve_image != ResolveImage::Never {
        let mut images: Vec<String> = Vec::new();
        for image in project
            .services
            .values()
            .filter_map(|service| service.image.as_ref())
        {
            if !image.contains('@') && !images.contains(image) {
                images.push(image.clone());
            }
        }
        // An image that could not be resolved gets docker's warning below, if sent.
        let (resolved, _unresolved) = resolve_images(&engine, &images).await;
        options.resolved_images = resolved;
        options.resolve_changed_only = request.resolve_image == ResolveImage::Changed;
    }
    let observed = observe_stack(&engine, &stack).await?;
    let plan = plan_stack(&project, &observed, &options)?;
    if request.dry_run {
        return Ok(StackDeployOutcome::DryRun(plan));
    }
    events.cancellable();
    for image in images_to_resolve(&plan, request.resolve_image) {
        // docker's words when the registry could not be reached (a pinned image
        // was resolved).
        if !image.contains('@') {
            events.warning(&format!(
                "image {image} could not be accessed on a registry to record its digest. \
                 Each node will access {image} independently, possibly leading to different \
                 nodes running different versions of the image."
            ));
        }
    }
    for network in &plan.networks {
        if network.action == StackAction::Create {
            events.status(&format!("Creating network {}", network.name));
        }
        apply_network(&engine, network).await?;
    }
    for secret in &plan.secrets {
        match secret.action {
            StackAction::Create => {
                events.status(&format!("Creating secret {}", secret.name));
                let data = contents.get(&secret.key).cloned().unwrap_or_default();
                apply_secret(&engine, secret, &data).await?;
            }
            StackAction::Update { .. } => {
                events.status(&format!("Updating secret {}", secret.name));
                apply_secret(&engine, secret, &[]).await?;
            }
            StackAction::Keep | StackAction::Remove => {}
        }
    }
    for config in &plan.configs {
        match config.action {
            StackAction::Create => {
                events.status(&format!("Creating config {}", config.name));
                let data = config_data.get(&config.key).cloned().unwrap_or_default();
                apply_config(&engine, config, &data).await?;
            }
            StackAction::Update { .. } => {
                events.status(&format!("Updating config {}", config.name));
                apply_config(&engine, config, &[]).await?;
            }
            StackAction::Keep | StackAction::Remove => {}
        }
    }
    let deadline = Instant::now() + request.timeout;
    let mut started: Vec<&StackService> = Vec::new();
    for service in &plan.services {
        if shutdown.is_cancelled() {
            return Err(OpsError::Interrupted);
        }
        // `depends_on: condition: service_healthy`: the dependency first converges.
        if !request.detach {
            for dependency in &service.waits_for {
                if let Some(waited) = started.iter().find(|started| &started.name == dependency) {
                    wait(
                        &engine,
                        &plan.stack,
                        &observed,
                        &[waited],
                        events,
                        deadline,
                        shutdown,
                    )
                    .await?;
                }
            }
        }
        match &service.action {
            StackAction::Create => events.status(&format!("Creating service {}", service.name)),
            StackAction::Update { changed } => events.status(&format!(
                "Updating service {} ({})",
                service.name,
                changed.join(", ")
            )),
            StackAction::Remove => events.status(&format!("Removing service {}", service.name)),
            StackAction::Keep => {}
        }
        apply_service(&engine, service).await?;
        if matches!(
            service.action,
            StackAction::Create | StackAction::Update { .. }
        ) {
            started.push(service);
        }
    }
    if !request.detach && !started.is_empty() {
        wait(
            &engine,
            &plan.stack,
            &observed,
            &started,
            events,
            deadline,
            shutdown,
        )
        .await?;
    }
    if !request.detach {
        remove_unused_versions(&engine, &plan, events).await?;
    }
    Ok(StackDeployOutcome::Deployed(plan))
}

/// `stack deploy --push`: builds each service with `build` on the manager,
/// tagged with its `image`, then pushes it to that image's registry.
async fn build_and_push(
    engine: &envctl_executor::Engine,
    project: &Project,
    events: &dyn Events,
    shutdown: &CancellationToken,
) -> Result<(), OpsError> {
    let mut targets = Vec::new();
    for (name, service) in &project.services {
        if service.build.is_some() {
            targets.push(crate::images::build_target(
                project,
                name,
                &crate::images::BuildFlags::default(),
            )?);
        }
    }
    if targets.is_empty() {
        return Ok(());
    }
    let images: Vec<String> = targets
        .iter()
        .map(|(_, request)| request.tag.clone())
        .collect();
    let errors = crate::images::build(engine, targets, 1, events, shutdown).await;
    if shutdown.is_cancelled() {
        return Err(OpsError::Interrupted);
    }
    if !errors.is_empty() {
        return Err(OpsError::Images { errors });
    }
    for image in images {
        events.status(&format!("Pushing {image}"));
        push_image(engine, &image).await?;
    }
    Ok(())
}

/// Once the stack has converged: the earlier versions of its secrets and
/// configs that no service of it uses any more (docs/swarm.md). One the engine
/// will not remove (a service outside the stack uses it) is a warning.
async fn remove_unused_versions(
    engine: &envctl_executor::Engine,
    plan: &StackPlan,
    events: &dyn Events,
) -> Result<(), OpsError> {
    let after = observe_stack(engine, &plan.stack).await?;
    let (secrets, configs) = unused_versions(plan, &after);
    for secret in secrets {
        events.status(&format!(
            "Removing secret {} (an earlier version)",
            secret.name
        ));
        if let Err(error) = remove_secret(engine, &secret.name, &secret.id).await {
            events.warning(&format!("secret {} kept: {error}", secret.name));
        }
    }
    for config in configs {
        events.status(&format!(
            "Removing config {} (an earlier version)",
            config.name
        ));
        if let Err(error) = remove_config(engine, &config.name, &config.id).await {
            events.warning(&format!("config {} kept: {error}", config.name));
        }
    }
    Ok(())
}

/// Waits until every service of `services` has converged; a failure or a
/// rollback of one is an error naming all of them.
async fn wait(
    engine: &envctl_executor::Engine,
    stack: &str,
    observed: &envctl_planner::StackObserved,
    services: &[&StackService],
    events: &dyn Events,
    deadline: Instant,
    shutdown: &CancellationToken,
) -> Result<(), OpsError> {
    let mut pending: Vec<&StackService> = services.to_vec();
    let mut last: BTreeMap<String, String> = BTreeMap::new();
    let mut failures: Vec<(String, String)> = Vec::new();
    let mut rolled_back: Vec<(String, String)> = Vec::new();
    while !pending.is_empty() {
        if shutdown.is_cancelled() {
            return Err(OpsError::Interrupted);
        }
        let mut still = Vec::new();
        for service in pending {
            let before = observed
                .services
                .iter()
                .find(|existing| existing.name == service.name);
            let status = service_status(
                engine,
                stack,
                &service.name,
                before.map_or(0, |before| before.version),
                before.and_then(|before| before.update_started.as_deref()),
                service.one_shot,
                matches!(&service.action, StackAction::Update { changed }
                    if changed.iter().any(|path| path.starts_with("TaskTemplate"))),
            )
            .await?;
            let state = convergence(&status);
            let line = match &state {
                Convergence::Converging { running, wanted } => {
                    format!("service {}: {running}/{wanted} running", service.name)
                }
                Convergence::Converged => format!("service {}: converged", service.name),
                Convergence::RolledBack { message } => {
                    format!("service {}: rolled back: {message}", service.name)
                }
                Convergence::Failed { message } => {
                    format!("service {}: failed: {message}", service.name)
                }
            };
            if last.get(&service.name) != Some(&line) {
                events.status(&line);
                last.insert(service.name.clone(), line);
            }
            match state {
                Convergence::Converged => {}
                Convergence::RolledBack { message } => {
                    rolled_back.push((service.name.clone(), message));
                }
                Convergence::Failed { message } => failures.push((service.name.clone(), message)),
                Convergence::Converging { .. } => still.push(service),
            }
        }
        pending = still;
        if pending.is_empty() {
            break;
        }
        if Instant::now() >= deadline {
            failures.extend(
                pending
                    .iter()
                    .map(|service| (service.name.clone(), "did not converge in time".to_owned())),
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    if !rolled_back.is_empty() {
        return Err(OpsError::StackRolledBack {
            services: rolled_back,
        });
    }
    if !failures.is_empty() {
        return Err(OpsError::StackFailed { services: failures });
    }
    Ok(())
}

/// A task of the stack, with its node's name.
#[derive(Debug, Clone)]
pub struct StackTaskRow {
    pub task: SwarmTask,
    pub node: String,
}

/// `stack ps`: the tasks of the stack's services, newest first per slot.
pub async fn stack_ps(
    target: &Target,
    stack: Option<&str>,
    events: &dyn Events,
) -> Result<Vec<StackTaskRow>, OpsError> {
    let stack = stack_name(target, stack, events)?;
    let engine = session::connect(target).await?;
    let tasks = stack_tasks(&engine, &stack).await?;
    let nodes: BTreeMap<String, SwarmNode> = swarm_nodes(&engine).await?;
    let mut rows: Vec<StackTaskRow> = tasks
        .into_iter()
        .map(|task| StackTaskRow {
            node: nodes
                .get(&task.node_id)
                .map_or_else(|| task.node_id.clone(), |node| node.hostname.clone()),
            task,
        })
        .collect();
    rows.sort_by(|left, right| {
        (&left.task.service, left.task.slot, &right.task.timestamp).cmp(&(
            &right.task.service,
            right.task.slot,
            &left.task.timestamp,
        ))
    });
    Ok(rows)
}

/// `stack services`: the stack's services, with how many tasks run.
pub async fn stack_service_list(
    target: &Target,
    stack: Option<&str>,
    events: &dyn Events,
) -> Result<Vec<(SwarmService, usize)>, OpsError> {
    let stack = stack_name(target, stack, events)?;
    let engine = session::connect(target).await?;
    let services = stack_services(&engine, Some(&stack)).await?;
    let tasks = stack_tasks(&engine, &stack).await?;
    Ok(services
        .into_iter()
        .map(|service| {
            let running = tasks
                .iter()
                .filter(|task| {
                    task.service_id == service.id
                        && task.state == "running"
                        && task.desired_state == "running"
                })
                .count();
            (service, running)
        })
        .collect())
}

/// `stack ls`: every stack, with its number of services.
pub async fn stack_ls(target: &Target) -> Result<Vec<(String, usize)>, OpsError> {
    let engine = session::connect(target).await?;
    let services = stack_services(&engine, None).await?;
    let mut stacks: BTreeMap<String, usize> = BTreeMap::new();
    for service in services {
        *stacks.entry(service.stack).or_default() += 1;
    }
    Ok(stacks.into_iter().collect())
}

/// `stack rm`: the stack's services, then its secrets, configs and networks.
pub async fn stack_rm(
    target: &Target,
    stack: Option<&str>,
    events: &dyn Events,
) -> Result<Vec<String>, OpsError> {
    let stack = stack_name(target, stack, events)?;
    let engine = session::connect(target).await?;
    let removed = remove_stack(&engine, &stack).await?;
    if removed.is_empty() {
        events.warning(&format!("nothing found in stack: {stack}"));
    }
    for line in &removed {
        events.status(&format!("Removing {line}"));
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(name: &str, image: &str, action: StackAction) -> StackService {
        StackService {
            service: name.to_owned(),
            name: format!("s_{name}"),
            action,
            spec: serde_json::json!({"TaskTemplate": {"ContainerSpec": {"Image": image}}}),
            id: None,
            version: None,
            waits_for: Vec::new(),
            one_shot: false,
        }
    }

    #[test]
    fn resolve_image_asks_for_what_docker_stack_deploy_would() {
        let env_changed = StackAction::Update {
            changed: vec!["TaskTemplate.ContainerSpec.Env".to_owned()],
        };
        let image_changed = StackAction::Update {
            changed: vec!["TaskTemplate.ContainerSpec.Image".to_owned()],
        };
        let plan = StackPlan {
            stack: "s".to_owned(),
            networks: Vec::new(),
            secrets: Vec::new(),
            configs: Vec::new(),
            services: vec![
                service("new", "a:1", StackAction::Create),
                service("env", "b:1", env_changed),
                service("image", "c:2", image_changed),
                service("same", "d:1", StackAction::Keep),
                service("twice", "a:1", StackAction::Create),
            ],
            data_only: Vec::new(),
        };
        for (mode, expected) in [
            (ResolveImage::Always, vec!["a:1", "b:1", "c:2"]),
            (ResolveImage::Changed, vec!["a:1", "c:2"]),
            (ResolveImage::Never, vec![]),
        ] {
            assert_eq!(images_to_resolve(&plan, mode), expected, "{mode:?}");
        }
    }
}
