//! Carries a [`StackPlan`] out on a Swarm cluster, and reads a stack back: the
//! mechanical half of `stack deploy`, `ps`, `services`, `ls` and `rm`. Which
//! object to create, update, keep or remove, and whether a service has converged,
//! is the planner's (`envctl_planner::stack`).

use std::collections::BTreeMap;

use envctl_planner::stack::{StackNetwork, StackSecret, StackService};
use envctl_planner::{StackAction, StackObserved, StackServiceStatus, StackTaskState};

use crate::docker::{Engine, EngineError};
pub use crate::docker::{SwarmNode, SwarmService, SwarmTask};
use crate::error::ExecutorError;

fn swarm_error(action: &'static str, subject: &str) -> impl FnOnce(EngineError) -> ExecutorError {
    let subject = subject.to_owned();
    move |source| ExecutorError::Swarm {
        action,
        subject,
        source,
    }
}

/// What the cluster holds of `stack`.
pub async fn observe_stack(engine: &Engine, stack: &str) -> Result<StackObserved, ExecutorError> {
    engine
        .observe_stack(stack)
        .await
        .map_err(swarm_error("read stack", stack))
}

/// The services of `stack`, or of every stack.
pub async fn stack_services(
    engine: &Engine,
    stack: Option<&str>,
) -> Result<Vec<SwarmService>, ExecutorError> {
    engine.swarm_services(stack).await.map_err(swarm_error(
        "list the services of",
        stack.unwrap_or("every stack"),
    ))
}

/// The tasks of `stack`'s services.
pub async fn stack_tasks(engine: &Engine, stack: &str) -> Result<Vec<SwarmTask>, ExecutorError> {
    engine
        .swarm_tasks(stack)
        .await
        .map_err(swarm_error("list the tasks of", stack))
}

/// The swarm's nodes, by id.
pub async fn swarm_nodes(engine: &Engine) -> Result<BTreeMap<String, SwarmNode>, ExecutorError> {
    let nodes = engine
        .swarm_nodes()
        .await
        .map_err(swarm_error("list the nodes of", "the swarm"))?;
    Ok(nodes
        .into_iter()
        .map(|node| (node.id.clone(), node))
        .collect())
}

/// The manager's own node id (what `volumes_from` pins to), and the volume
/// paths each of `images` declares.
pub async fn swarm_facts(
    engine: &Engine,
    images: &[String],
) -> Result<(Option<String>, indexmap::IndexMap<String, Vec<String>>), ExecutorError> {
    let node = engine
        .swarm_node_id()
        .await
        .map_err(swarm_error("describe", "the engine"))?;
    let mut volumes = indexmap::IndexMap::new();
    for image in images {
        let paths = engine
            .image_volume_paths(image)
            .await
            .map_err(swarm_error("inspect image", image))?;
        volumes.insert(image.clone(), paths);
    }
    Ok((node, volumes))
}

/// The digest and platforms the registry gives for each of `images` (as the file
/// writes them), asked through the engine as docker does; an image the engine
/// could not resolve (no registry reached, no such tag) is left out, with why.
pub async fn resolve_images(
    engine: &Engine,
    images: &[String],
) -> (
    indexmap::IndexMap<String, envctl_planner::stack::ResolvedImage>,
    Vec<(String, String)>,
) {
    let mut resolved = indexmap::IndexMap::new();
    let mut failed = Vec::new();
    for image in images {
        match engine.registry_digest(image).await {
            Ok((digest, platforms)) if !digest.is_empty() => {
                resolved.insert(
                    image.clone(),
                    envctl_planner::stack::ResolvedImage { digest, platforms },
                );
            }
            Ok(_) => failed.push((image.clone(), "the registry gave no digest".to_owned())),
            Err(error) => failed.push((image.clone(), error.to_string())),
        }
    }
    (resolved, failed)
}

/// Pushes `image` (built for `stack deploy --push`) to its registry.
pub async fn push_image(engine: &Engine, image: &str) -> Result<(), ExecutorError> {
    engine
        .push_image(image)
        .await
        .map_err(swarm_error("push image", image))
}

/// Creates the network unless the plan keeps it.
pub async fn apply_network(engine: &Engine, network: &StackNetwork) -> Result<(), ExecutorError> {
    match network.action {
        StackAction::Create => engine
            .create_stack_network(network)
            .await
            .map_err(swarm_error("create network", &network.name)),
        StackAction::Remove => {
            if let Some(id) = &network.id {
                engine
                    .remove_swarm_network(id)
                    .await
                    .map_err(swarm_error("remove network", &network.name))?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Creates the secret with `data`, or sets its labels (an update: its data
/// is the same), as the plan says.
pub async fn apply_secret(
    engine: &Engine,
    secret: &StackSecret,
    data: &[u8],
) -> Result<(), ExecutorError> {
    match (&secret.action, &secret.id) {
        (StackAction::Create, _) => engine
            .create_swarm_secret(
                &secret.name,
                &secret.labels,
                secret.templating.as_deref(),
                data,
            )
            .await
            .map_err(swarm_error("create secret", &secret.name)),
        (StackAction::Update { .. }, Some(id)) => engine
            .relabel_swarm_secret(
                id,
                secret.version.unwrap_or(0),
                &secret.name,
                &secret.labels,
            )
            .await
            .map_err(swarm_error("update secret", &secret.name)),
        _ => Ok(()),
    }
}

/// The same for a config.
pub async fn apply_config(
    engine: &Engine,
    config: &StackSecret,
    data: &[u8],
) -> Result<(), ExecutorError> {
    match (&config.action, &config.id) {
        (StackAction::Create, _) => engine
            .create_swarm_config(
                &config.name,
                &config.labels,
                config.templating.as_deref(),
                data,
            )
            .await
            .map_err(swarm_error("create config", &config.name)),
        (StackAction::Update { .. }, Some(id)) => engine
            .relabel_swarm_config(
                id,
                config.version.unwrap_or(0),
                &config.name,
                &config.labels,
            )
            .await
            .map_err(swarm_error("update config", &config.name)),
        _ => Ok(()),
    }
}

/// Removes a secret of the stack; `Ok(false)` when it was already gone.
pub async fn remove_secret(engine: &Engine, name: &str, id: &str) -> Result<bool, ExecutorError> {
    engine
        .remove_swarm_secret(id)
        .await
        .map_err(swarm_error("remove secret", name))
}

/// Removes a config of the stack; `Ok(false)` when it was already gone.
pub async fn remove_config(engine: &Engine, name: &str, id: &str) -> Result<bool, ExecutorError> {
    engine
        .remove_swarm_config(id)
        .await
        .map_err(swarm_error("remove config", name))
}

/// Creates, updates or removes the service as the plan says.
pub async fn apply_service(engine: &Engine, service: &StackService) -> Result<(), ExecutorError> {
    match &service.action {
        StackAction::Create => engine
            .create_swarm_service(&service.spec)
            .await
            .map(drop)
            .map_err(swarm_error("create service", &service.name)),
        StackAction::Update { .. } => engine
            .update_swarm_service(
                service.id.as_deref().unwrap_or(&service.name),
                service.version.unwrap_or(0),
                &service.spec,
            )
            .await
            .map_err(swarm_error("update service", &service.name)),
        StackAction::Remove => engine
            .remove_swarm_service(service.id.as_deref().unwrap_or(&service.name))
            .await
            .map(drop)
            .map_err(swarm_error("remove service", &service.name)),
        StackAction::Keep => Ok(()),
    }
}

/// Where the service `name` stands, for [`envctl_planner::convergence`]: its tasks
/// changed after `baseline` (the service's version before this deploy touched
/// it), and its update status unless it is still `stale_update` (an earlier
/// deploy's).
pub async fn service_status(
    engine: &Engine,
    stack: &str,
    name: &str,
    baseline: u64,
    stale_update: Option<&str>,
    one_shot: bool,
    awaiting_update: bool,
) -> Result<StackServiceStatus, ExecutorError> {
    let services = stack_services(engine, Some(stack)).await?;
    let Some(service) = services.iter().find(|service| service.name == name) else {
        return Ok(StackServiceStatus {
            replicas: Some(1),
            one_shot,
            ..StackServiceStatus::default()
        });
    };
    let tasks = stack_tasks(engine, stack).await?;
    let fresh_update = service.update_started.as_deref() != stale_update;
    Ok(StackServiceStatus {
        replicas: service.replicas,
        update_state: service.update_state.clone().filter(|_| fresh_update),
        update_message: service.update_message.clone().filter(|_| fresh_update),
        tasks: tasks
            .iter()
            .filter(|task| {
                task.service == name && (task.version > baseline || task.desired_state == "running")
            })
            .map(|task| StackTaskState {
                desired: task.desired_state.clone(),
                state: task.state.clone(),
                error: task.error.clone(),
                health: None,
            })
            .collect(),
        one_shot,
        health_checked: false,
        awaiting_update,
    })
}

/// Removes every service of `stack`, waits until their tasks are gone (a
/// network in use cannot be removed), then its networks, secrets and configs.
/// The names of what was removed, in order.
pub async fn remove_stack(engine: &Engine, stack: &str) -> Result<Vec<String>, ExecutorError> {
    let observed = observe_stack(engine, stack).await?;
    let mut removed = Vec::new();
    for service in &observed.services {
        engine
            .remove_swarm_service(&service.id)
            .await
            .map_err(swarm_error("remove service", &service.name))?;
        removed.push(format!("service {}", service.name));
    }
    // The tasks' containers go after their service; their network endpoints with them.
    for _ in 0..240 {
        if stack_tasks(engine, stack).await?.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    for secret in &observed.secrets {
        engine
            .remove_swarm_secret(&secret.id)
            .await
            .map_err(swarm_error("remove secret", &secret.name))?;
        removed.push(format!("secret {}", secret.name));
    }
    for config in &observed.configs {
        engine
            .remove_swarm_config(&config.id)
            .await
            .map_err(swarm_error("remove config", &config.name))?;
        removed.push(format!("config {}", config.name));
    }
    for network in &observed.networks {
        let mut result = Ok(false);
        // An endpoint may outlive its task for a moment.
        for _ in 0..40 {
            result = engine.remove_swarm_network(&network.id).await;
            if result.is_ok() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
        result.map_err(swarm_error("remove network", &network.name))?;
        removed.push(format!("network {}", network.name));
    }
    Ok(removed)
}
