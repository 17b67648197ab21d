//! `envctl stack deploy|ps|services|ls|rm`: the project on a Swarm cluster
//! (docs/swarm.md). The engine is chosen as for every command (`-H`,
//! `DOCKER_HOST`): a manager of the swarm.

use std::time::Duration;

use envctl_ops::{ResolveImage, StackDeployOutcome, StackDeployRequest};

use crate::args::{StackCommand, StackDeployArgs};
use crate::failure::Failure;
use crate::invocation::Invocation;
use crate::progress::{Terminal, print_line};
use crate::table::table;

pub async fn run(invocation: &Invocation, command: StackCommand) -> Result<(), Failure> {
    let events = Terminal::new();
    match command {
        StackCommand::Deploy(args) => deploy(invocation, args).await,
        StackCommand::Ps(args) => {
            let target = invocation.target()?;
            let rows = envctl_ops::stack_ps(&target, args.stack.as_deref(), &events).await?;
            let rows: Vec<Vec<String>> = rows
                .iter()
                .map(|row| {
                    let task = &row.task;
                    let name = match task.slot {
                        Some(slot) if slot > 0 => format!("{}.{slot}", task.service),
                        _ => format!("{}.{}", task.service, task.node_id),
                    };
                    vec![
                        task.id.chars().take(12).collect(),
                        name,
                        task.image.split('@').next().unwrap_or_default().to_owned(),
                        row.node.clone(),
                        task.desired_state.clone(),
                        task.state.clone(),
                        task.error.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            print_line(
                table(
                    &[
                        "ID",
                        "NAME",
                        "IMAGE",
                        "NODE",
                        "DESIRED STATE",
                        "CURRENT STATE",
                        "ERROR",
                    ],
                    &rows,
                )
                .trim_end(),
            )
        }
        StackCommand::Services(args) => {
            let target = invocation.target()?;
            let services =
                envctl_ops::stack_service_list(&target, args.stack.as_deref(), &events).await?;
            let rows: Vec<Vec<String>> = services
                .iter()
                .map(|(service, running)| {
                    let replicas = match service.replicas {
                        Some(replicas) => format!("{running}/{replicas}"),
                        None => format!("{running}/{running}"),
                    };
                    vec![
                        service.id.chars().take(12).collect(),
                        service.name.clone(),
                        service.mode.clone(),
                        replicas,
                        service
                            .image
                            .split('@')
                            .next()
                            .unwrap_or_default()
                            .to_owned(),
                        service.ports.join(", "),
                    ]
                })
                .collect();
            print_line(
                table(&["ID", "NAME", "MODE", "REPLICAS", "IMAGE", "PORTS"], &rows).trim_end(),
            )
        }
        StackCommand::Ls => {
            let target = invocation.target()?;
            let stacks = envctl_ops::stack_ls(&target).await?;
            let rows: Vec<Vec<String>> = stacks
                .iter()
                .map(|(name, services)| vec![name.clone(), services.to_string()])
                .collect();
            print_line(table(&["NAME", "SERVICES"], &rows).trim_end())
        }
        StackCommand::Rm(args) => {
            let target = invocation.target()?;
            envctl_ops::stack_rm(&target, args.stack.as_deref(), &events).await?;
            Ok(())
        }
    }
}

async fn deploy(invocation: &Invocation, args: StackDeployArgs) -> Result<(), Failure> {
    let resolve_image = match args.resolve_image.as_str() {
        "always" => ResolveImage::Always,
        "changed" => ResolveImage::Changed,
        "never" => ResolveImage::Never,
        other => {
            return Err(Failure::usage(format!(
                "invalid --resolve-image value `{other}`: use `always`, `changed` or `never`"
            )));
        }
    };
    let invocation = if args.compose_files.is_empty() {
        Invocation::new(invocation.global.clone(), invocation.environment.clone())
    } else {
        let mut global = invocation.global.clone();
        global.files.extend(args.compose_files.iter().cloned());
        Invocation::new(global, invocation.environment.clone())
    };
    let target = invocation.target()?;
    let request = StackDeployRequest {
        stack: args.stack,
        dry_run: args.dry_run,
        prune: args.prune,
        detach: args.detach,
        resolve_image,
        allow_host_binds: args.allow_host_binds,
        push: args.push,
        timeout: Duration::from_secs(args.timeout),
    };
    let events = Terminal::new();
    match envctl_ops::stack_deploy(&target, &request, &events, &crate::interrupt::token()).await? {
        StackDeployOutcome::DryRun(plan) => {
            if plan.is_noop() {
                print_line(&format!(
                    "nothing to do: stack {} is up to date",
                    plan.stack
                ))
            } else {
                print_line(plan.to_string().trim_end())
            }
        }
        _ => Ok(()),
    }
}
