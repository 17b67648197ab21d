//! `envctl up`: load → observe → plan → run; without `-d`, then follow the
//! containers' output until they all stop, and stop them on Ctrl-C.

use std::collections::HashMap;
use std::sync::Arc;

use envctl_executor::{Engine, LogEvent, follow, observe};
use envctl_parser::{Project, ServiceName};
use envctl_planner::{
    ContainerRef, DependencyGraph, RecreateStrategy, UpOptions, plan_stop, plan_up,
};
use indexmap::IndexMap;

use crate::args::UpArgs;
use crate::invocation::Invocation;
use crate::report::{Failure, print_line};

pub async fn run(invocation: &Invocation, args: UpArgs) -> Result<(), Failure> {
    let mut options = up_options(&args)?;
    options.profiles = invocation.profiles();
    options.ignore_orphans = invocation.ignore_orphans(args.remove_orphans)?;
    let (project, engine, observed, lock) = super::prepare_locked(invocation, args.dry_run).await?;
    let policy = super::images::ImagePolicy {
        build: args.build,
        no_build: args.no_build,
        dry_run: args.dry_run,
    };
    let observed =
        super::images::ensure_images(invocation, &engine, &project, observed, &options, policy)
            .await?;
    let plan = plan_up(&project, &observed, &options)?;
    if args.dry_run {
        return super::print_plan(&plan);
    }
    let since = seconds_since_epoch();
    super::resources::ensure(&engine, &project, &plan).await?;
    super::execute(invocation, &engine, &project, &observed, &plan).await?;
    // Waiting and following change nothing: another envctl may act meanwhile
    // (`envctl stop` from a second terminal while this one is attached).
    drop(lock);
    if args.wait && !args.no_start {
        return Ok(envctl_executor::wait_ready(&engine, &project, &args.services).await?);
    }
    if args.detach || args.no_start {
        return Ok(());
    }
    attach(invocation, &engine, &project, &options, since).await
}

/// Follows the output of the services' containers (the named ones, else all) as
/// 1.29.2 does: `Attaching to …`, lines prefixed `<service>_<N> |`, `<name> exited
/// with code N`. Returns when they have all stopped; on Ctrl-C, stops them
/// (dependents first) and exits 130.
async fn attach(
    invocation: &Invocation,
    engine: &Engine,
    project: &Project,
    options: &UpOptions,
    since: i64,
) -> Result<(), Failure> {
    let services = &options.services;
    let graph = DependencyGraph::new(project)?;
    let selected = if services.is_empty() {
        graph.order()
    } else {
        graph.only(services)?
    };
    let observed = observe(engine, project).await?;
    let mut containers: Vec<ContainerRef> = Vec::new();
    let mut short_names: HashMap<String, String> = HashMap::new();
    for service in &selected {
        for container in observed.service_containers(service.as_str()) {
            let prefix = format!("{}_{service}", project.name);
            let short = match container.number {
                Some(number) if container.name.starts_with(&prefix) => {
                    format!("{service}_{number}")
                }
                _ => container.name.clone(),
            };
            short_names.insert(container.name.clone(), short);
            containers.push(container.into());
        }
    }
    let names: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
    print_line(&format!("Attaching to {}", names.join(", ")))?;

    let width = project
        .services
        .keys()
        .map(|name| name.as_str().len())
        .max()
        .unwrap_or(0)
        + 3;
    let sink = Arc::new(move |event| {
        let line = match event {
            LogEvent::Line { container, text } => {
                let short = short_names.get(&container).unwrap_or(&container);
                format!("{short:<width$} | {text}")
            }
            LogEvent::Exited {
                container,
                exit_code,
            } => format!("{container} exited with code {exit_code}"),
            _ => return,
        };
        // A closed stdout ends nothing here: the containers keep running.
        let _ = print_line(&line);
    });

    let shutdown = crate::interrupt::shutdown();
    let followed = follow(engine, &containers, since, sink, shutdown.clone()).await;
    if !shutdown.is_cancelled() {
        return Ok(followed?);
    }
    eprintln!("Gracefully stopping... (press Ctrl+C again to force)");
    let _lock = super::lock_project(invocation, project).await?;
    let observed = observe(engine, project).await?;
    let plan = plan_stop(project, &observed, services, options.timeout)?;
    // The signal that got here is spent; the next one exits at once.
    let not_again = tokio_util::sync::CancellationToken::new();
    super::execute_until(invocation, engine, project, &observed, &plan, not_again).await?;
    Err(Failure::interrupted())
}

fn seconds_since_epoch() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(0))
}

/// The flags as the planner's options, with 1.29.2's checks on their combinations.
fn up_options(args: &UpArgs) -> Result<UpOptions, Failure> {
    if args.force_recreate && args.no_recreate {
        return Err(Failure::usage(
            "`--force-recreate` and `--no-recreate` cannot be combined",
        ));
    }
    if args.no_start && args.detach {
        // 1.29.2: "--no-start and --detach cannot be combined."
        return Err(Failure::usage(
            "`--no-start` and `--detach` cannot be combined",
        ));
    }
    if args.renew_anon_volumes && args.no_recreate {
        return Err(Failure::usage(
            "`--renew-anon-volumes` and `--no-recreate` cannot be combined",
        ));
    }
    let strategy = if args.force_recreate || args.renew_anon_volumes {
        RecreateStrategy::Always
    } else if args.no_recreate {
        RecreateStrategy::Never
    } else {
        RecreateStrategy::Changed
    };
    let mut scale = IndexMap::new();
    for entry in &args.scale {
        let parsed = entry
            .split_once('=')
            .and_then(|(service, number)| Some((service, number.trim().parse::<u32>().ok()?)));
        let Some((service, number)) = parsed else {
            return Err(Failure::usage(format!(
                "invalid `--scale` value `{entry}`: expected SERVICE=NUM"
            )));
        };
        scale.insert(ServiceName::new(service), number);
    }
    Ok(UpOptions {
        services: args
            .services
            .iter()
            .map(|name| ServiceName::new(name.as_str()))
            .collect(),
        no_deps: args.no_deps,
        strategy,
        always_recreate_deps: args.always_recreate_deps,
        no_start: args.no_start,
        scale,
        remove_orphans: args.remove_orphans,
        renew_anon_volumes: args.renew_anon_volumes,
        timeout: args.timeout,
        profiles: Vec::new(),
        ignore_orphans: false,
    })
}
