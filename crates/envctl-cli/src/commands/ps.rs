//! `envctl ps`: the project's containers (the `ps` operation) as 1.29.2's table, or
//! as JSON.

use envctl_ops::PsRequest;
use envctl_ops::types::{ContainerDetails, labels};
use envctl_planner::ContainerState;

use crate::args::{PsArgs, PsFormat};
use crate::failure::Failure;
use crate::invocation::Invocation;
use crate::progress::{Terminal, print_line};
use crate::table::table;

pub async fn run(invocation: &Invocation, args: PsArgs) -> Result<(), Failure> {
    if args.quiet && args.services {
        return Err(Failure::usage(
            "`--quiet` and `--services` cannot be combined",
        ));
    }
    let target = invocation.target()?;
    let events = Terminal::new();
    if args.services {
        for name in envctl_ops::services(&target, &events)? {
            print_line(name.as_str())?;
        }
        return Ok(());
    }
    let request = PsRequest {
        services: args.service_names.clone(),
        all: args.all,
    };
    let containers = envctl_ops::ps(&target, &request, &events).await?;
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
