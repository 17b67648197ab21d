//! `envctl run`: the create request of a one-off container (1.29.2
//! `compose/cli/main.py` `run_one_off_container`, `build_one_off_container_options`):
//! the service's container, with the command line's overrides, the one-off
//! labels, no restart policy, and no published ports unless asked.

use envctl_parser::{Project, Service};
use envctl_planner::Observed;

use crate::error::ExecutorError;
use crate::labels;
use crate::shlex;
use crate::spec::{
    ContainerLookup, ContainerSpec, PortBinding, ResolvedContainer, Target, container_spec,
};

/// The label holding a one-off container's full slug.
pub const SLUG: &str = "com.docker.compose.slug";

/// What `run`'s command line changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OneOff {
    pub name: String,
    pub slug: String,
    /// `CMD...`; `None` keeps the service's.
    pub command: Option<Vec<String>>,
    /// `--entrypoint`, split as a shell would.
    pub entrypoint: Option<String>,
    /// `-e KEY=VAL`, after the service's environment.
    pub env: Vec<String>,
    pub user: Option<String>,
    pub working_dir: Option<String>,
    /// `-v`: binds, `source:target[:mode]`.
    pub volumes: Vec<String>,
    /// `-p`: `[ip:]host:container[/proto]` or `container`.
    pub ports: Vec<String>,
    /// `--service-ports`: keep the service's published ports.
    pub service_ports: bool,
    pub tty: bool,
    /// `stdin_open` (not with `-d`).
    pub stdin_open: bool,
}

/// The service's containers as `run` sees them (its dependencies, just brought up).
struct ObservedLookup<'a>(&'a Observed);

impl ContainerLookup for ObservedLookup<'_> {
    fn containers_of(&self, service: &str) -> Vec<ResolvedContainer> {
        self.0
            .service_containers(service)
            .into_iter()
            .map(|container| ResolvedContainer {
                id: container.id.clone(),
                name: container.name.clone(),
                number: container.number,
                running: container.state.is_running(),
            })
            .collect()
    }
}

/// The one-off container's create request, and any warnings.
pub fn oneoff_spec(
    project: &Project,
    service: &Service,
    observed: &Observed,
    oneoff: &OneOff,
) -> Result<(ContainerSpec, Vec<String>), ExecutorError> {
    let target = Target {
        number: 1,
        name: &oneoff.name,
        config_hash: "",
        config_digest: "",
        keep_volumes: &[],
        previous_id: None,
    };
    let (mut spec, warnings) = container_spec(project, service, target, &ObservedLookup(observed))?;
    spec.labels.shift_remove(labels::CONTAINER_NUMBER);
    spec.labels.shift_remove(labels::CONFIG_HASH);
    spec.labels
        .insert(labels::ONEOFF.to_owned(), "True".to_owned());
    spec.labels.insert(SLUG.to_owned(), oneoff.slug.clone());
    if let Some(command) = &oneoff.command {
        spec.command = Some(command.clone());
    }
    if let Some(entrypoint) = &oneoff.entrypoint {
        let words = shlex::split(entrypoint).map_err(|error| ExecutorError::InvalidCommand {
            service: service.name.to_string(),
            key: "--entrypoint",
            message: error.to_string(),
        })?;
        spec.entrypoint = Some(words);
    }
    spec.env.extend(oneoff.env.iter().cloned());
    if oneoff.user.is_some() {
        spec.user.clone_from(&oneoff.user);
    }
    if oneoff.working_dir.is_some() {
        spec.working_dir.clone_from(&oneoff.working_dir);
    }
    spec.host.binds.extend(oneoff.volumes.iter().cloned());
    spec.host.restart = None;
    if !oneoff.service_ports {
        spec.host.port_bindings.clear();
    }
    for port in &oneoff.ports {
        let (key, binding) = parse_port(port).ok_or_else(|| ExecutorError::InvalidCommand {
            service: service.name.to_string(),
            key: "-p",
            message: format!("`{port}` is not `[IP:]HOST:CONTAINER[/PROTOCOL]`"),
        })?;
        if !spec.exposed_ports.contains(&key) {
            spec.exposed_ports.push(key.clone());
        }
        spec.host
            .port_bindings
            .entry(key)
            .or_default()
            .push(binding);
    }
    spec.tty = Some(oneoff.tty);
    spec.stdin_open = Some(oneoff.stdin_open);
    Ok((spec, warnings))
}

/// `[ip:]host:container[/proto]` or `container[/proto]` → (`container/proto`,
/// binding).
fn parse_port(text: &str) -> Option<(String, PortBinding)> {
    let (address, protocol) = text.split_once('/').unwrap_or((text, "tcp"));
    let parts: Vec<&str> = address.rsplitn(3, ':').collect();
    let (container, host_port, host_ip) = match parts.as_slice() {
        [container] => (*container, "", ""),
        [container, host] => (*container, *host, ""),
        [container, host, ip] => (*container, *host, *ip),
        _ => return None,
    };
    let numeric =
        |value: &str| !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit() || b == b'-');
    if !numeric(container) || !(host_port.is_empty() || numeric(host_port)) {
        return None;
    }
    Some((
        format!("{container}/{protocol}"),
        PortBinding {
            host_ip: host_ip.to_owned(),
            host_port: host_port.to_owned(),
        },
    ))
}

/// How a one-off container is run: detached, or attached to the caller's input and
/// output.
pub struct OneOffIo<O, E> {
    /// `-d`: start it and return.
    pub detach: bool,
    /// `--rm`: remove it (and its anonymous volumes) once it exits, also when
    /// attaching failed.
    pub remove: bool,
    /// Its standard input (`None`: none).
    pub input: crate::exec::ExecInput,
    /// `(rows, columns)` of the caller's terminal, for a TTY.
    pub terminal_size: Option<(u16, u16)>,
    pub stdout: O,
    pub stderr: E,
}

/// Carries the one-off container `spec` of `service` out: creates it, joins its
/// networks (without aliases), then starts it (`detach`) or attaches to it, starts
/// it and waits for it to exit. Returns its exit code (`None` when detached).
pub async fn run_oneoff<O, E>(
    engine: &crate::docker::Engine,
    service: &str,
    spec: &ContainerSpec,
    io: OneOffIo<O, E>,
) -> Result<Option<i64>, ExecutorError>
where
    O: tokio::io::AsyncWrite + Unpin,
    E: tokio::io::AsyncWrite + Unpin,
{
    let step_error = |operation, source| ExecutorError::Step {
        service: service.to_owned(),
        operation,
        container: spec.name.clone(),
        source,
    };
    let id = engine
        .create_attachable(spec, !io.detach)
        .await
        .map_err(|source| step_error(crate::Operation::Create, source))?;
    crate::resources::join_networks(engine, service, &id, spec, false).await?;
    if io.detach {
        engine
            .start_container(&id)
            .await
            .map_err(|source| step_error(crate::Operation::Start, source))?;
        return Ok(None);
    }
    let result = engine
        .attach_and_start(&id, io.input, io.terminal_size, io.stdout, io.stderr)
        .await;
    if io.remove {
        engine
            .remove_container(&id, true, true)
            .await
            .map_err(|source| step_error(crate::Operation::Remove, source))?;
    }
    result
        .map(Some)
        .map_err(|source| step_error(crate::Operation::Start, source))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_port_arguments() {
        let binding = |ip: &str, port: &str| PortBinding {
            host_ip: ip.to_owned(),
            host_port: port.to_owned(),
        };
        assert_eq!(
            parse_port("8080:80"),
            Some(("80/tcp".to_owned(), binding("", "8080")))
        );
        assert_eq!(
            parse_port("127.0.0.1:8080:80/udp"),
            Some(("80/udp".to_owned(), binding("127.0.0.1", "8080")))
        );
        assert_eq!(
            parse_port("80"),
            Some(("80/tcp".to_owned(), binding("", "")))
        );
        assert_eq!(parse_port("a:b"), None);
    }
}
