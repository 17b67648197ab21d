//! `envctl ps`: the project's containers, found by label only, as 1.29.2's table.

use envctl_executor::{ContainerDetails, labels, project_containers};
use envctl_planner::{ContainerState, DependencyGraph};

use super::table::table;
use crate::args::{PsArgs, PsFormat};
use crate::invocation::Invocation;
use crate::report::{Failure, print_line};

pub async fn run(invocation: &Invocation, args: PsArgs) -> Result<(), Failure> {
    if args.quiet && args.services {
        return Err(Failure::usage(
            "`--quiet` and `--services` cannot be combined",
        ));
    }
    let project = invocation.load_project(true)?;
    if args.services {
        for name in DependencyGraph::new(&project)?.order() {
            print_line(name.as_str())?;
        }
        return Ok(());
    }
    if let Some(unknown) = args
        .service_names
        .iter()
        .find(|name| !project.services.contains_key(name.as_str()))
    {
        return Err(Failure::usage(format!("no such service: `{unknown}`")));
    }
    let engine = invocation.connect().await?;
    let containers: Vec<ContainerDetails> = project_containers(&engine, &project.name)
        .await?
        .into_iter()
        .filter(|container| {
            let service = container.labels.get(labels::SERVICE);
            args.service_names.is_empty()
                || service.is_some_and(|service| args.service_names.contains(service))
        })
        .filter(|container| {
            let oneoff =
                labels::is_oneoff(container.labels.get(labels::ONEOFF).map(String::as_str));
            args.all || !oneoff || container.state.is_running()
        })
        .collect();
    if args.quiet {
        for container in &containers {
            print_line(&container.id)?;
        }
        return Ok(());
    }
    if args.format == PsFormat::Json {
        return print_line(&json(&containers));
    }
    let rows: Vec<Vec<String>> = containers
        .iter()
        .map(|container| {
            vec![
                container.name.clone(),
                command(container),
                state(container),
                ports(container),
            ]
        })
        .collect();
    print_line(&table(&["Name", "Command", "State", "Ports"], &rows))
}

/// `--format json`: one array, an object per container in the table's order, with
/// the values uncut (the whole command, every port binding).
fn json(containers: &[ContainerDetails]) -> String {
    let objects: Vec<serde_json::Value> = containers
        .iter()
        .map(|container| {
            let label = |key: &str| container.labels.get(key).cloned().unwrap_or_default();
            let ports: Vec<serde_json::Value> = container
                .ports
                .iter()
                .flat_map(|(private, bindings)| {
                    let (port, protocol) = private.split_once('/').unwrap_or((private, "tcp"));
                    let port: u64 = port.parse().unwrap_or_default();
                    let unpublished = serde_json::json!({
                        "target": port, "protocol": protocol,
                        "host_ip": null, "published": null,
                    });
                    if bindings.is_empty() {
                        vec![unpublished]
                    } else {
                        bindings
                            .iter()
                            .map(|(ip, published)| {
                                serde_json::json!({
                                    "target": port, "protocol": protocol,
                                    "host_ip": ip,
                                    "published": published.parse::<u64>().ok(),
                                })
                            })
                            .collect()
                    }
                })
                .collect();
            serde_json::json!({
                "name": container.name,
                "service": label(labels::SERVICE),
                "number": label(labels::CONTAINER_NUMBER).parse::<u64>().ok(),
                "state": state_word(container.state),
                "exit_code": container.exit_code,
                "health": container.health,
                "ports": ports,
                "command": container.command,
                "id": container.id,
            })
        })
        .collect();
    serde_json::Value::Array(objects).to_string()
}

/// The engine's state word: `running`, `exited`, `created`, ….
fn state_word(state: ContainerState) -> &'static str {
    match state {
        ContainerState::Created => "created",
        ContainerState::Running => "running",
        ContainerState::Paused => "paused",
        ContainerState::Restarting => "restarting",
        ContainerState::Removing => "removing",
        ContainerState::Dead => "dead",
        ContainerState::Exited => "exited",
    }
}

/// `Config.Entrypoint + Config.Cmd`, cut to 26 characters and ` ...` past 30.
fn command(container: &ContainerDetails) -> String {
    let command = container.command.join(" ");
    if command.chars().count() > 30 {
        format!("{} ...", command.chars().take(26).collect::<String>())
    } else {
        command
    }
}

fn state(container: &ContainerDetails) -> String {
    match container.state {
        ContainerState::Paused => "Paused".to_owned(),
        ContainerState::Restarting => "Restarting".to_owned(),
        ContainerState::Running => match container.health.as_deref() {
            None => "Up".to_owned(),
            Some("starting") => "Up (health: starting)".to_owned(),
            Some(status) => format!("Up ({status})"),
        },
        _ => format!("Exit {}", container.exit_code),
    }
}

/// `0.0.0.0:49153->80/tcp,:::49153->80/tcp, 53/udp` (1.29.2
/// `human_readable_ports`).
fn ports(container: &ContainerDetails) -> String {
    container
        .ports
        .iter()
        .map(|(private, bindings)| {
            if bindings.is_empty() {
                private.clone()
            } else {
                bindings
                    .iter()
                    .map(|(ip, port)| format!("{ip}:{port}->{private}"))
                    .collect::<Vec<_>>()
                    .join(",")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}
